use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Checks `/etc/passwd` and `/etc/shadow`: two accounts with the same uid,
    /// an account with an empty password field (in `passwd` when there is no
    /// shadow entry, or in `shadow`), and a `User` in the config that names an
    /// account `/etc/passwd` does not have.
    ///
    /// ## Why
    /// Shared uids make file ownership ambiguous; an empty password lets anyone
    /// log in as that account where a login exists; a user name the image does
    /// not know makes the container fail to start.
    ///
    /// ## Example
    /// `RUN echo 'app::1000:1000::/home/app:/bin/sh' >> /etc/passwd`.
    ///
    /// ## Fix
    /// Give every account its own uid and a locked password (`!` or `*`), or
    /// use numeric `USER 65532:65532`, which needs no account at all.
    pub struct Accounts {
        code: "IM009",
        name: "account-file-problems",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for Accounts {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        let passwd = cx
            .facts
            .files
            .get("/etc/passwd")
            .map(|b| String::from_utf8_lossy(b).into_owned());
        let shadow = cx
            .facts
            .files
            .get("/etc/shadow")
            .map(|b| String::from_utf8_lossy(b).into_owned());
        let mut seen: std::collections::BTreeMap<String, String> = Default::default();
        let shadowed: Vec<String> = shadow
            .iter()
            .flat_map(|s| s.lines())
            .filter_map(|l| l.split(':').next().map(str::to_string))
            .collect();
        for line in passwd.iter().flat_map(|p| p.lines()) {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 7 || line.starts_with('#') {
                continue;
            }
            if let Some(other) = seen.get(f[2]) {
                out.push(
                    cx.diag(
                        &Self::INFO,
                        format!("/etc/passwd: `{}` and `{other}` share uid {}", f[0], f[2]),
                    )
                    .with_help("give every account its own uid"),
                );
            } else {
                seen.insert(f[2].to_string(), f[0].to_string());
            }
            if f[1].is_empty() && !shadowed.iter().any(|s| s == f[0]) {
                out.push(
                    cx.diag(
                        &Self::INFO,
                        format!("/etc/passwd: `{}` has an empty password", f[0]),
                    )
                    .with_help("lock the account: `x` in /etc/passwd and `!` in /etc/shadow"),
                );
            }
        }
        for line in shadow.iter().flat_map(|s| s.lines()) {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() >= 2 && f[1].is_empty() {
                out.push(
                    cx.diag(
                        &Self::INFO,
                        format!("/etc/shadow: `{}` has an empty password", f[0]),
                    )
                    .with_help("lock the account with `!` or `*`"),
                );
            }
        }
        let user = cx.user();
        let name = user.split(':').next().unwrap_or_default();
        if !name.is_empty() && !name.bytes().all(|b| b.is_ascii_digit()) {
            let known = passwd
                .iter()
                .flat_map(|p| p.lines())
                .any(|l| l.split(':').next() == Some(name));
            if !known {
                out.push(
                    cx.diag(&Self::INFO, format!("`User` is `{user}`, but /etc/passwd has no `{name}`: the container will not start"))
                        .with_help("use a numeric user (`USER 65532:65532`) or add the account"),
                );
            }
        }
    }
}
