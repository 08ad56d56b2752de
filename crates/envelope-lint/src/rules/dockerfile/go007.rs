use crate::go::{expand, is_remote_package};
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags `go install`, `go run` and `go get` of a remote package
    /// (`github.com/x/y/cmd/z`: its first path element has a dot) at a
    /// version that moves: `@latest`, `@upgrade`, `@patch`, a branch such as
    /// `@master`, `@main` or `@HEAD`, a prefix such as `@v1` or `@v1.2`, or a
    /// comparison such as `@>=v1.2.0`; and `go get` of one with no version,
    /// which means the latest.
    ///
    /// Not flagged: local packages (`./cmd/x`, `.`), exact versions, pseudo
    /// versions and commit hashes, and `go install`/`go run` without a
    /// version, which take the version from go.mod (or fail outside a
    /// module).
    ///
    /// ## Why
    /// The same Dockerfile then installs a different tool tomorrow: a new
    /// major version can break the build, a compromised release lands
    /// silently, and nobody can tell later which version an image contains.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN go install github.com/go-delve/delve/cmd/dlv@latest
    /// ```
    ///
    /// ## Fix
    /// Name an exact version: `go install github.com/go-delve/delve/cmd/dlv@v1.23.1`,
    /// or track tools in go.mod (`go get -tool`, Go 1.24) and install them
    /// without `@`.
    pub struct UnversionedInstall {
        code: "GO007",
        name: "unversioned-go-install",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl Rule for UnversionedInstall {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for g in &cx.go {
            if !matches!(g.sub.as_str(), "install" | "run" | "get") {
                continue;
            }
            for w in g.packages() {
                let pkg = expand(&w.value, &g.env);
                if !is_remote_package(&pkg) {
                    continue;
                }
                let (path, version) = match pkg.split_once('@') {
                    Some((p, v)) => (p, Some(v)),
                    None => (pkg.as_str(), None),
                };
                let message = match version {
                    None if g.sub == "get" => format!(
                        "`go get {path}` without a version takes the newest release at build time"
                    ),
                    None => continue,
                    // Decided at build time by a value we cannot see.
                    Some(v) if v.contains('$') => continue,
                    Some(v) => match mutable(v) {
                        Some(why) => {
                            let written = w.value.split_once('@').map_or("", |(_, v)| v);
                            if written == v {
                                format!("`go {} {pkg}`: {why}", g.sub)
                            } else {
                                format!(
                                    "`go {} {pkg}` (`{written}` is `{v}` by default): {why}",
                                    g.sub
                                )
                            }
                        }
                        None => continue,
                    },
                };
                out.push(
                    cx.diag(&Self::INFO, w.span, message)
                        .with_help(format!("pin an exact version: `{path}@vX.Y.Z`")),
                );
            }
        }
    }
}

/// Why a version query moves, or `None` for a fixed one.
fn mutable(v: &str) -> Option<String> {
    match v {
        "latest" | "upgrade" | "patch" => {
            return Some(format!("`@{v}` is whatever is newest at build time"))
        }
        "master" | "main" | "HEAD" | "trunk" | "develop" => {
            return Some(format!("`@{v}` is a branch, whatever was pushed last"))
        }
        _ => {}
    }
    if v.starts_with(['<', '>']) {
        return Some(format!("`@{v}` is a range, resolved to the newest match"));
    }
    // `v1` or `v1.2`: a prefix query, the newest v1.x.y or v1.2.y.
    if let Some(rest) = v.strip_prefix('v') {
        let parts: Vec<&str> = rest.split('.').collect();
        if parts.len() < 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Some(format!(
                "`@{v}` is a version prefix, resolved to the newest release matching it"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::mutable;

    #[test]
    fn versions() {
        for v in ["latest", "master", "HEAD", "v1", "v1.2", ">=v1.2.0"] {
            assert!(mutable(v).is_some(), "{v}");
        }
        for v in [
            "v1.2.3",
            "v0.0.0-20240101000000-abcdefabcdef",
            "v2.0.0-rc.1",
            "4f3c2a1",
        ] {
            assert!(mutable(v).is_none(), "{v}");
        }
    }
}
