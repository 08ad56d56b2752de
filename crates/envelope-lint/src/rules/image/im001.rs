use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags an image whose config runs the container as root: no `User`, or
    /// `root`, `0` or `0:...`, or a user name that `/etc/passwd` maps to uid 0.
    ///
    /// ## Why
    /// A process running as root in a container is root on the host's kernel:
    /// one escape, or one writable host mount, away from the host. Go services
    /// need no privileges to serve on a port from 1024 up.
    ///
    /// ## Example
    /// An image built with `docker build` from a Dockerfile without `USER`.
    ///
    /// ## Fix
    /// Set a non-root user: `USER 65532:65532` in the Dockerfile (envelope
    /// images do this by default), or a `:nonroot` base image.
    pub struct RunsAsRoot {
        code: "IM001",
        name: "image-runs-as-root",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for RunsAsRoot {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        let user = cx.user();
        let name = user.split(':').next().unwrap_or_default().to_string();
        let why = if user.is_empty() {
            "no user is set, so it runs as root".to_string()
        } else if crate::go::is_root_user(&user) {
            format!("`User` is `{user}`")
        } else if !name.bytes().all(|b| b.is_ascii_digit()) && passwd_uid(cx, &name) == Some(0) {
            format!("`User` is `{user}`, which /etc/passwd gives uid 0")
        } else {
            return;
        };
        out.push(
            cx.diag(&Self::INFO, format!("the image runs as root: {why}"))
                .with_help(
                    "run as a non-root user: `USER 65532:65532`, or a `:nonroot` base image",
                ),
        );
    }
}

/// The uid /etc/passwd gives `name`.
pub(crate) fn passwd_uid(cx: &ImageContext, name: &str) -> Option<u32> {
    let text = String::from_utf8_lossy(cx.facts.files.get("/etc/passwd")?).into_owned();
    text.lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() >= 3 && f[0] == name)
        .and_then(|f| f[2].parse().ok())
}
