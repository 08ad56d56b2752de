use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Notes an image without a `HEALTHCHECK` in its config.
    ///
    /// ## Why
    /// Docker and Compose use it to tell a running container from a working
    /// one. Kubernetes ignores it and uses its own probes, which is why this is
    /// only information.
    ///
    /// ## Example
    /// Most images: few set one.
    ///
    /// ## Fix
    /// Build a health subcommand into the program and set `HEALTHCHECK CMD
    /// ["/app", "healthcheck"]`, or rely on orchestrator probes.
    pub struct NoHealthcheck {
        code: "IM012",
        name: "no-healthcheck",
        severity: Info,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for NoHealthcheck {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        match cx.healthcheck() {
            Some(test) if !test.is_empty() => {}
            _ => out.push(
                cx.diag(&Self::INFO, "the image has no HEALTHCHECK")
                    .with_help("Docker and Compose use it; Kubernetes uses its own probes"),
            ),
        }
    }
}
