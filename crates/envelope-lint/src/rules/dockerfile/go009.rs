use envelope_dockerfile::Kind;

use super::df003::{chain, is_export_stage};
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags a final image on `scratch` that gets a Go binary from another
    /// stage but lacks the files Go reads at run time:
    ///
    /// - no CA certificates (no COPY or ADD of `ca-certificates`,
    ///   `/etc/ssl/...` or `/etc/pki/...`) when the program probably makes
    ///   HTTPS calls: the build context's `go.mod` requires a well-known
    ///   HTTP client or cloud SDK (AWS, Google Cloud, Azure, oauth2,
    ///   resty, retryablehttp, Stripe, Slack, GitHub clients, ...; direct
    ///   requirements only, as `// indirect` ones may be unused). When the
    ///   context has no `go.mod` at its root (a monorepo built from above
    ///   the module), a final image holding a Go binary and no CA bundle is
    ///   reported, as most Go services call something over TLS. With no
    ///   build context at all (standard input), nothing is known about the
    ///   program and the CA bundle is not judged;
    /// - no time zone data when `TZ` is set to a zone other than UTC: no
    ///   COPY of `zoneinfo`/`tzdata`, no `ZONEINFO` variable, and no build
    ///   of the binary with `-tags timetzdata`.
    ///
    /// Not flagged: other bases (distroless `static` and Chainguard
    /// `static` include both; full OS images are DF008's), a `scratch`
    /// stage with no ENTRYPOINT or CMD (an export of files), and a
    /// `go.mod` that requires none of the known clients. Calls to
    /// `time.LoadLocation` in the sources are not looked for; a program
    /// that imports `time/tzdata` carries its own data.
    ///
    /// ## Why
    /// Severity info: whether the program needs these files depends on
    /// what it does, which a Dockerfile cannot show. When it does, the
    /// failure comes at run time, not at build time: every HTTPS request
    /// fails with `x509: certificate signed by unknown authority`, and
    /// `time.LoadLocation("Europe/Paris")` returns an error (or `TZ` is
    /// silently ignored and times are printed in UTC).
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app
    /// FROM scratch
    /// ENV TZ=Europe/Paris
    /// COPY --from=build /out/app /app
    /// ENTRYPOINT ["/app"]
    /// ```
    ///
    /// ## Fix
    /// Copy them from the build stage:
    ///
    /// ```dockerfile
    /// COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
    /// COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo
    /// ```
    ///
    /// or build with `-tags timetzdata`, or use
    /// `gcr.io/distroless/static-debian12:nonroot`, which has both.
    pub struct ScratchRuntimeData {
        code: "GO009",
        name: "scratch-without-ca-or-tzdata",
        severity: Info,
        fixable: false,
        enabled: true,
    }
}

/// go.mod requirements whose presence makes HTTPS calls likely.
const HTTPS_MODULES: [&str; 18] = [
    "github.com/aws/aws-sdk-go",
    "cloud.google.com/go",
    "google.golang.org/api",
    "github.com/Azure/azure-sdk-for-go",
    "golang.org/x/oauth2",
    "github.com/go-resty/resty",
    "resty.dev/",
    "github.com/hashicorp/go-retryablehttp",
    "github.com/stripe/stripe-go",
    "github.com/slack-go/slack",
    "github.com/google/go-github",
    "github.com/xanzy/go-gitlab",
    "gitlab.com/gitlab-org/api/client-go",
    "github.com/minio/minio-go",
    "github.com/sendgrid/sendgrid-go",
    "github.com/twilio/twilio-go",
    "github.com/openai/openai-go",
    "github.com/sashabaranov/go-openai",
];

impl Rule for ScratchRuntimeData {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(last) = cx.final_stage() else {
            return;
        };
        if !cx.root_image(last.index).eq_ignore_ascii_case("scratch")
            || is_export_stage(cx, last.index)
        {
            return;
        }
        let stages = chain(cx, last.index);
        let binaries: Vec<_> = cx
            .go
            .iter()
            .filter(|g| matches!(g.sub.as_str(), "build" | "install"))
            .filter(|g| !stages.contains(&g.stage) && g.output_reaches_final(cx))
            .collect();
        if binaries.is_empty() {
            return;
        }
        let copies: Vec<String> = stages
            .iter()
            .flat_map(|&s| cx.instructions(s))
            .filter(|(_, i)| matches!(i.kind, Kind::Copy | Kind::Add))
            .flat_map(|(_, i)| i.words().into_iter().map(|w| w.value.to_ascii_lowercase()))
            .collect();
        let copied =
            |needles: &[&str]| copies.iter().any(|c| needles.iter().any(|n| c.contains(n)));
        let span = last
            .image_word
            .as_ref()
            .map_or(cx.df.instructions[last.from].keyword_span, |w| w.span);

        if !copied(&[
            "ca-certificates",
            "/etc/ssl",
            "/etc/pki",
            "ca-bundle",
            "cacert",
        ]) {
            let why = match (cx.context_dir, https_client(cx)) {
                (_, Some(Some(module))) => Some(format!("go.mod requires `{module}`")),
                (Some(_), None) => Some("the program most likely makes TLS calls".to_string()),
                _ => None,
            };
            if let Some(why) = why {
                out.push(
                    cx.diag(
                        &Self::INFO,
                        span,
                        format!("the final image on scratch has no CA certificates ({why})"),
                    )
                    .with_help("COPY --from=<build stage> /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/, or use gcr.io/distroless/static-debian12:nonroot"),
                );
            }
        }

        let vars = cx.vars_at(last.index, last.end);
        let tz = vars.get("TZ").map(String::as_str).unwrap_or_default();
        let utc = matches!(
            tz.trim_start_matches(':'),
            "" | "UTC" | "Etc/UTC" | "UTC0" | "GMT" | "Etc/GMT" | "Universal" | "Zulu"
        );
        let embedded = binaries
            .iter()
            .any(|g| g.tags().iter().any(|t| t == "timetzdata"));
        if !utc && !embedded && !vars.contains_key("ZONEINFO") && !copied(&["zoneinfo", "tzdata"]) {
            let tz_span = stages
                .iter()
                .flat_map(|&s| cx.instructions(s))
                .filter(|(_, i)| i.kind == Kind::Env)
                .flat_map(|(_, i)| i.key_values())
                .filter(|kv| kv.key == "TZ")
                .last()
                .map_or(span, |kv| kv.span);
            out.push(
                cx.diag(
                    &Self::INFO,
                    tz_span,
                    format!("`TZ={tz}` on scratch, but the image has no time zone data"),
                )
                .with_help("COPY --from=<build stage> /usr/share/zoneinfo /usr/share/zoneinfo, or build with -tags timetzdata"),
            );
        }
    }
}

/// `Some(Some(module))` when the build context's go.mod requires a known
/// HTTPS client, `Some(None)` when it requires none, `None` when there is
/// no go.mod to read.
fn https_client(cx: &Context) -> Option<Option<String>> {
    let dir = cx.context_dir?;
    let bytes = std::fs::read(dir.join("go.mod")).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    Some(text.lines().find_map(|l| {
        let l = l.trim();
        // An indirect requirement says nothing about what the program calls.
        if l.ends_with("// indirect") {
            return None;
        }
        let l = l.strip_prefix("require").map_or(l, str::trim_start);
        let module = l.split_whitespace().next()?;
        HTTPS_MODULES
            .iter()
            .any(|m| module.starts_with(m))
            .then(|| module.to_string())
    }))
}
