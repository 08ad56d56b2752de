use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags caches left in the image: apt's package lists and archives
    /// (`/var/lib/apt/lists`, `/var/cache/apt`), apk's cache, `/root/.cache`
    /// (the Go build cache among others), and the Go module cache
    /// (`/go/pkg/mod`, `/root/go/pkg/mod`). Empty ones are not flagged.
    ///
    /// ## Why
    /// They are only useful while building, and every byte of them is pulled on
    /// every node that runs the image.
    ///
    /// ## Example
    /// `RUN apt-get update && apt-get install -y curl` without removing the
    /// lists, or `go build` in the final stage.
    ///
    /// ## Fix
    /// Remove them in the same RUN that fills them, or better use BuildKit
    /// cache mounts (`RUN --mount=type=cache,target=/go/pkg/mod ...`), which
    /// keep them out of the image.
    pub struct LeftoverCaches {
        code: "IM008",
        name: "leftover-caches",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for LeftoverCaches {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        for dir in CACHES {
            let bytes = cx.bytes_under(dir);
            if bytes == 0 {
                continue;
            }
            out.push(
                cx.diag(
                    &Self::INFO,
                    format!(
                        "{dir} holds {} of cache",
                        envelope_diagnostics::human_bytes(bytes)
                    ),
                )
                .with_help("remove it in the RUN that fills it, or use a BuildKit cache mount")
                .with_savings(bytes),
            );
        }
    }
}

const CACHES: [&str; 8] = [
    "/var/lib/apt/lists",
    "/var/cache/apt",
    "/var/cache/apk",
    "/root/.cache",
    "/go/pkg/mod",
    "/root/go/pkg/mod",
    "/root/.npm",
    "/var/cache/yum",
];
