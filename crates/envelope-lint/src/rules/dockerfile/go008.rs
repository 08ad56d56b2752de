use envelope_dockerfile::{Kind, Span};

use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags Go settings that turn off the checks on downloaded modules, in
    /// any stage: in ENV, in ARG defaults, as inline assignments or
    /// `export` in a RUN (`GOSUMDB=off go mod download`), and in
    /// `go env -w`:
    ///
    /// - `GOSUMDB=off`;
    /// - `GONOSUMCHECK=1` and `GONOSUMDB=1`-style switches, and
    ///   `GONOSUMDB`, `GOPRIVATE` or `GOINSECURE` patterns that cover public
    ///   module hosts (`*`, `github.com`, `golang.org`, `gopkg.in`, ...);
    /// - `GOINSECURE` with any pattern: modules fetched over plain HTTP or
    ///   with unchecked certificates;
    /// - `-insecure` in GOFLAGS.
    ///
    /// Not flagged: `GOPRIVATE` and `GONOSUMDB` listing private hosts
    /// (`GOPRIVATE=git.corp.example.com`): a private module is not in the
    /// public checksum database, so the check cannot apply to it, and
    /// `go.sum` still pins its content; `GOSUMDB` naming another database
    /// or a mirror; `GOFLAGS=-mod=mod`; `GONOSUMDB=` (empty).
    ///
    /// ## Why
    /// Severity warning. The checksum database is what makes `go mod
    /// download` refuse a module whose content differs from what everyone
    /// else got for that version: with it off, a compromised proxy, a
    /// re-tagged repository or a man in the middle can hand the build
    /// different code for the same version, and the first `go.sum` entry
    /// records the forged content as correct. GOINSECURE also drops TLS,
    /// so anyone on the path can change the code.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// ENV GOSUMDB=off GOINSECURE=*
    /// RUN go mod download
    /// ```
    ///
    /// ## Fix
    /// Remove the setting. For private modules, set
    /// `GOPRIVATE=git.corp.example.com/*` (which skips the public database
    /// for those paths only) and pass credentials with a secret mount. Keep
    /// `go.sum` committed and use `go mod download` then `go mod verify`.
    pub struct ChecksumDbDisabled {
        code: "GO008",
        name: "go-checksum-db-disabled",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl Rule for ChecksumDbDisabled {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mut report = |span: Span, name: &str, value: &str| {
            if let Some(why) = disables(name, value) {
                out.push(
                    cx.diag(&Self::INFO, span, format!("`{name}={value}` {why}"))
                        .with_help(
                            "remove it; for private modules set GOPRIVATE to their hosts only",
                        ),
                );
            }
        };
        for ins in &cx.df.instructions {
            match ins.kind {
                Kind::Env | Kind::Arg => {
                    for kv in ins.key_values() {
                        if let Some(v) = &kv.value {
                            report(kv.span, &kv.key, v);
                        }
                    }
                }
                Kind::Run => {
                    for cmd in ins.commands() {
                        for (k, v) in &cmd.env {
                            report(cmd.span, k, v);
                        }
                        let args = cmd.args();
                        let assignments = match cmd.name() {
                            "export" => args,
                            n if crate::go::is_go(n)
                                && args.first().is_some_and(|w| w.value == "env")
                                && args.get(1).is_some_and(|w| w.value == "-w") =>
                            {
                                args.get(2..).unwrap_or_default()
                            }
                            _ => &[],
                        };
                        for w in assignments {
                            if let Some((k, v)) = w.value.split_once('=') {
                                report(w.span, k, v);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Public module hosts: a pattern covering one of them takes public modules
/// out of the checks.
const PUBLIC_HOSTS: [&str; 9] = [
    "github.com",
    "gitlab.com",
    "bitbucket.org",
    "golang.org",
    "google.golang.org",
    "gopkg.in",
    "go.googlesource.com",
    "k8s.io",
    "go.uber.org",
];

/// Why this setting turns off module checks, if it does.
fn disables(name: &str, value: &str) -> Option<&'static str> {
    let value = value.trim_matches(|c| c == '"' || c == '\'');
    match name {
        "GOSUMDB" => (value == "off").then_some("turns off the Go checksum database"),
        "GONOSUMCHECK" => {
            (!value.is_empty() && value != "0").then_some("turns off the Go checksum checks")
        }
        "GONOSUMDB" | "GOPRIVATE" => (value == "1" || covers_public(value))
            .then_some("takes public modules out of the Go checksum database"),
        "GOINSECURE" => (!value.is_empty())
            .then_some("lets modules be fetched over plain HTTP or unchecked TLS"),
        "GOFLAGS" => value
            .split_whitespace()
            .any(|f| f == "-insecure" || f == "--insecure" || f == "-insecure=true")
            .then_some("lets modules be fetched over plain HTTP or unchecked TLS"),
        _ => None,
    }
}

/// Does a comma-separated module path pattern list cover a public host?
fn covers_public(value: &str) -> bool {
    value.split(',').map(str::trim).any(|p| {
        let p = p.trim_end_matches("/*").trim_end_matches('/');
        let host = p.split('/').next().unwrap_or(p);
        host == "*" || host == "*.*" || (PUBLIC_HOSTS.contains(&host) && !p.contains('/'))
    })
}

#[cfg(test)]
mod tests {
    use super::disables;

    #[test]
    fn settings() {
        assert!(disables("GOSUMDB", "off").is_some());
        assert!(disables("GOSUMDB", "sum.golang.org").is_none());
        assert!(disables("GONOSUMDB", "*").is_some());
        assert!(disables("GONOSUMDB", "github.com").is_some());
        assert!(disables("GONOSUMDB", "github.com/acme/*").is_none());
        assert!(disables("GOPRIVATE", "git.corp.example.com").is_none());
        assert!(disables("GOPRIVATE", "github.com/acme").is_none());
        assert!(disables("GOINSECURE", "git.corp.example.com").is_some());
        assert!(disables("GOINSECURE", "").is_none());
        assert!(disables("GOFLAGS", "-mod=mod -insecure").is_some());
        assert!(disables("GOFLAGS", "-mod=mod").is_none());
        assert!(disables("GONOSUMCHECK", "1").is_some());
        assert!(disables("HOME", "off").is_none());
    }
}
