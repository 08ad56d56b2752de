use envelope_dockerfile::Kind;

use super::df003::{chain, is_export_stage};
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags a final image without the OCI labels that tie it to its source:
    /// `org.opencontainers.image.source`, `org.opencontainers.image.revision`
    /// and `org.opencontainers.image.version`. LABELs in the stages the
    /// final stage is built FROM count. One finding lists the missing ones.
    /// A final `scratch` stage with no ENTRYPOINT or CMD (a
    /// `docker build --output` export) is not flagged.
    ///
    /// Labels added at build time (`docker buildx build --label`,
    /// docker/metadata-action) are not visible here; ignore the rule
    /// (`ignore = ["DF009"]`) if your pipeline sets them.
    ///
    /// ## Why
    /// With them, anyone holding the image can find the repository and the
    /// exact commit it was built from: vulnerability scanners link findings
    /// to the source, GitHub connects the package to its repository,
    /// Renovate and Dependabot find release notes, and an incident responder
    /// knows which code is running.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM gcr.io/distroless/static-debian12:nonroot
    /// COPY --from=build /app /app
    /// ENTRYPOINT ["/app"]
    /// ```
    ///
    /// ## Fix
    /// ```dockerfile
    /// ARG VERSION=dev
    /// ARG REVISION=unknown
    /// LABEL org.opencontainers.image.source="https://github.com/acme/app" \
    ///       org.opencontainers.image.revision="$REVISION" \
    ///       org.opencontainers.image.version="$VERSION"
    /// ```
    ///
    /// and build with `--build-arg VERSION=... --build-arg REVISION=$(git
    /// rev-parse HEAD)`.
    pub struct MissingLabels {
        code: "DF009",
        name: "missing-oci-labels",
        severity: Info,
        fixable: false,
        enabled: true,
    }
}

const WANTED: [&str; 3] = ["source", "revision", "version"];

impl Rule for MissingLabels {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(last) = cx.final_stage() else {
            return;
        };
        if is_export_stage(cx, last.index) {
            return;
        }
        // Labels with a value at build time: `$REVISION` of an ARG or ENV
        // declared before, not of a variable nobody declared (empty).
        let mut declared = envelope_dockerfile::Vars::new();
        let mut keys: Vec<String> = Vec::new();
        let mut stages = chain(cx, last.index);
        stages.reverse();
        for s in stages {
            for (_, i) in cx.instructions(s) {
                match i.kind {
                    Kind::Arg | Kind::Env => {
                        for kv in i.key_values() {
                            declared.insert(kv.key, "x".to_string());
                        }
                    }
                    Kind::Label => {
                        for kv in i.key_values() {
                            let value = kv.value.unwrap_or_default();
                            if has_value(&value, &declared) {
                                keys.push(kv.key.to_ascii_lowercase());
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        let missing: Vec<String> = WANTED
            .iter()
            .map(|w| format!("org.opencontainers.image.{w}"))
            .filter(|k| !keys.contains(k))
            .collect();
        if missing.is_empty() {
            return;
        }
        let span = last
            .image_word
            .as_ref()
            .map_or(cx.df.instructions[last.from].keyword_span, |w| w.span);
        let quoted: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
        let list = match quoted.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => quoted.join(""),
        };
        let label = if missing.len() == 1 {
            "label"
        } else {
            "labels"
        };
        out.push(
            cx.diag(
                &Self::INFO,
                span,
                format!("the final image lacks the {list} {label}"),
            )
            .with_help("add them with LABEL, taking revision and version from build args, so the image leads back to its source"),
        );
    }
}

/// Does a LABEL value have something in it once variables nobody declared
/// are taken as empty?
fn has_value(value: &str, declared: &envelope_dockerfile::Vars) -> bool {
    let mut vars = declared.clone();
    let b = value.as_bytes();
    for (i, _) in value.match_indices('$') {
        let rest = &value[i + 1..];
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        let n = rest
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
            .count();
        let escaped = i > 0 && b[i - 1] == b'\\';
        if n > 0 && !escaped {
            vars.entry(rest[..n].to_string()).or_default();
        }
    }
    !crate::go::expand(value, &vars).trim().is_empty()
}
