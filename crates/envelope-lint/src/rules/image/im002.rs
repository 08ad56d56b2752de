use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags an image that contains a shell: `/bin/sh`, `bash`, `ash`, `dash`,
    /// `zsh` or `busybox`.
    ///
    /// ## Why
    /// A Go service needs no shell. With one, any command injection or remote
    /// code execution becomes an interactive foothold, and `kubectl exec` works
    /// for an attacker too. The shell and what it drags along (coreutils, a C
    /// library) are also bytes to ship and patch.
    ///
    /// ## Example
    /// An image built `FROM alpine` or `FROM debian` that only runs `/app`.
    ///
    /// ## Fix
    /// Build `FROM scratch` or a distroless base (envelope's default) and use
    /// exec-form ENTRYPOINT/CMD. Debug with ephemeral containers
    /// (`kubectl debug`) instead of a shell in the image.
    pub struct ShellPresent {
        code: "IM002",
        name: "shell-in-image",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for ShellPresent {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        let found = cx.present(&SHELLS);
        if found.is_empty() {
            return;
        }
        let bytes: u64 = found.iter().map(|(_, s)| s).sum();
        let list: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        out.push(
            cx.diag(
                &Self::INFO,
                format!("the image contains a shell: {}", list.join(", ")),
            )
            .with_help("build FROM scratch or a distroless base; a Go service needs no shell")
            .with_savings(bytes),
        );
    }
}

const SHELLS: [&str; 10] = [
    "/bin/sh",
    "/bin/bash",
    "/bin/ash",
    "/bin/dash",
    "/bin/zsh",
    "/usr/bin/bash",
    "/usr/bin/zsh",
    "/bin/busybox",
    "/usr/bin/busybox",
    "/busybox/sh",
];
