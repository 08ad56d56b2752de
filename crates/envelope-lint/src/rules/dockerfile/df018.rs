use envelope_dockerfile::{Command, Kind, Span};

use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags package installs whose signature checks are off or whose
    /// repository is fetched over plain HTTP, in any stage:
    ///
    /// - `apk --allow-untrusted`, `apk --repository http://...` (or `-X`);
    /// - `apt-get`/`apt` with `--allow-unauthenticated`,
    ///   `--allow-insecure-repositories`, `--force-yes`, or
    ///   `-o Acquire::AllowInsecureRepositories=true` (and
    ///   `AllowDowngradeToInsecureRepositories`, `APT::Get::AllowUnauthenticated`);
    /// - `yum`, `dnf`, `microdnf`, `zypper` with `--nogpgcheck` or
    ///   `--no-gpg-checks`, `rpm --nosignature`/`--nodigest`;
    /// - repository definitions written in a RUN (`echo ... >
    ///   /etc/apt/sources.list.d/x.list`) holding `[trusted=yes]`,
    ///   `gpgcheck=0`, or a `deb http://` / `http://` apk repository line.
    ///
    /// Not flagged: the distribution's own sources lists in the base image
    /// (not visible here), `http://` in other commands (DF014 and DF015
    /// look at downloads), and HTTPS repositories.
    ///
    /// ## Why
    /// Severity warning. Packages are installed as root and run in the
    /// image: with signatures off, whoever controls the mirror or the
    /// network path chooses what is installed. A plain-HTTP repository is
    /// still signed for apt and apk, but anyone on the path sees what is
    /// installed and can hold back updates by replaying an old, validly
    /// signed index; with `[trusted=yes]` or `--allow-untrusted` they can
    /// replace the packages themselves.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN echo "deb [trusted=yes] http://apt.example.com/ stable main" > /etc/apt/sources.list.d/example.list \
    ///     && apt-get update && apt-get install -y --allow-unauthenticated example
    /// RUN apk add --allow-untrusted --repository http://dl.example.com/alpine example
    /// ```
    ///
    /// ## Fix
    /// Use the repository's HTTPS address and import its signing key
    /// (`signed-by=/etc/apt/keyrings/example.gpg` for apt, a key in
    /// `/etc/apk/keys` for apk, `gpgkey=` for yum and dnf), then drop the
    /// flags that skip the checks.
    pub struct InsecurePackageSource {
        code: "DF018",
        name: "insecure-package-source",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl Rule for InsecurePackageSource {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for ins in cx.df.instructions.iter().filter(|i| i.kind == Kind::Run) {
            for cmd in ins.commands() {
                if let Some((span, why)) = insecure(&cmd) {
                    out.push(
                        cx.diag(&Self::INFO, span, why)
                            .with_help("use the repository over HTTPS with its signing key, and keep signature checks on"),
                    );
                }
            }
        }
    }
}

/// The first insecure part of a command, with why it is insecure.
fn insecure(cmd: &Command) -> Option<(Span, String)> {
    let args = cmd.args();
    let lower = |i: usize| args.get(i).map(|w| w.value.to_ascii_lowercase());
    for (i, w) in args.iter().enumerate() {
        let v = w.value.to_ascii_lowercase();
        let why = match cmd.name() {
            "apk" => match v.as_str() {
                "--allow-untrusted" => {
                    Some("`apk --allow-untrusted` installs unsigned packages".to_string())
                }
                "--repository" | "-x" if lower(i + 1).is_some_and(|n| n.starts_with("http://")) => {
                    Some("an apk repository over plain HTTP".to_string())
                }
                _ if v.starts_with("--repository=http://") || v.starts_with("-xhttp://") => {
                    Some("an apk repository over plain HTTP".to_string())
                }
                _ => None,
            },
            "apt-get" | "apt" | "aptitude" => {
                let o = v.trim_start_matches("-o").trim_start_matches('=');
                let o_value = if v == "-o" { lower(i + 1) } else { None };
                let setting = o_value.as_deref().unwrap_or(o);
                if matches!(
                    v.as_str(),
                    "--allow-unauthenticated" | "--allow-insecure-repositories" | "--force-yes"
                ) {
                    Some(format!(
                        "`{} {}` skips package signature checks",
                        cmd.name(),
                        w.value
                    ))
                } else if (setting.starts_with("acquire::allowinsecurerepositories=")
                    || setting.starts_with("acquire::allowdowngradetoinsecurerepositories=")
                    || setting.starts_with("apt::get::allowunauthenticated="))
                    && is_true(setting.rsplit('=').next().unwrap_or_default())
                {
                    Some(format!("`{}` skips package signature checks", setting))
                } else {
                    None
                }
            }
            "yum" | "dnf" | "microdnf" | "tdnf" | "zypper" | "rpm" => matches!(
                v.as_str(),
                "--nogpgcheck" | "--no-gpg-checks" | "--nosignature" | "--nodigest"
            )
            .then(|| {
                format!(
                    "`{} {}` skips package signature checks",
                    cmd.name(),
                    w.value
                )
            }),
            "echo" | "printf" | "tee" | "cat" => repo_line(&v),
            _ => None,
        };
        if let Some(why) = why {
            return Some((w.span, why));
        }
    }
    if matches!(cmd.name(), "echo" | "printf") {
        // `echo deb [trusted=yes] http://...` split into words.
        let line = args
            .iter()
            .map(|w| w.value.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(why) = repo_line(&line) {
            return Some((cmd.span, why));
        }
    }
    None
}

/// A repository definition written by the RUN, if it is insecure.
fn repo_line(text: &str) -> Option<String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if text.contains("trusted=yes") {
        return Some(
            "an apt repository marked `trusted=yes`: its signatures are not checked".into(),
        );
    }
    if compact.contains("gpgcheck=0") || compact.contains("gpgcheck=false") {
        return Some("a repository with `gpgcheck=0`: its packages are not checked".into());
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    if words
        .windows(2)
        .any(|p| matches!(p[0], "deb" | "deb-src") && p[1].starts_with("http://"))
    {
        return Some("an apt repository over plain HTTP".into());
    }
    if words.len() == 1 && text.starts_with("http://") && text.contains("alpine") {
        return Some("an apk repository over plain HTTP".into());
    }
    None
}

fn is_true(v: &str) -> bool {
    matches!(v.trim_matches(['"', '\'']), "true" | "1" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(s: &str) -> bool {
        let df = envelope_dockerfile::parse(format!("RUN {s}\n").as_bytes());
        df.instructions
            .first()
            .is_some_and(|i| i.commands().iter().any(|c| insecure(c).is_some()))
    }

    #[test]
    fn insecure_installs() {
        assert!(found("apk add --allow-untrusted x"));
        assert!(found("apk add --repository http://dl.example.com/alpine x"));
        assert!(found("apt-get install -y --allow-unauthenticated x"));
        assert!(found(
            "apt-get -o Acquire::AllowInsecureRepositories=true update"
        ));
        assert!(found("dnf install -y --nogpgcheck x"));
        assert!(found(
            "echo 'deb [trusted=yes] https://x/ stable main' > /etc/apt/sources.list.d/x.list"
        ));
        assert!(found(
            "echo deb http://x/ stable main > /etc/apt/sources.list.d/x.list"
        ));
        assert!(found(
            "printf '[x]\\nbaseurl=https://x\\ngpgcheck=0\\n' > /etc/yum.repos.d/x.repo"
        ));
        assert!(!found(
            "apk add --no-cache --repository https://dl-cdn.alpinelinux.org/alpine/edge/testing x"
        ));
        assert!(!found("apt-get install -y --no-install-recommends x"));
        assert!(!found(
            "echo 'deb [signed-by=/k.gpg] https://x/ stable main' > /etc/apt/sources.list.d/x.list"
        ));
        assert!(!found("echo http://example.com"));
    }
}
