use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags Go binaries built with the race detector (`-race`) or with
    /// optimizations and inlining off (`-gcflags` with `-N` or `-l`).
    ///
    /// ## Why
    /// A race build runs several times slower with many times the memory, and
    /// debug builds are larger and slower: both are for testing, not for
    /// production.
    ///
    /// ## Example
    /// `go build -race -o /app .` left in a release Dockerfile.
    ///
    /// ## Fix
    /// Build without `-race` and without `-gcflags=all=-N -l`.
    pub struct DebugBuild {
        code: "GB006",
        name: "debug-or-race-build",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for DebugBuild {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        for (b, bi) in cx.go_binaries() {
            if bi.race() == Some(true) {
                out.push(
                    cx.diag(
                        &Self::INFO,
                        format!("{} was built with the race detector", b.path),
                    )
                    .with_help(
                        "drop -race from release builds: it slows the program several times",
                    ),
                );
            }
            let gc = bi.setting("-gcflags").unwrap_or_default();
            if bi.debug_gcflags() == Some(true) {
                out.push(
                    cx.diag(
                        &Self::INFO,
                        format!(
                            "{} was built with -gcflags={gc}: optimizations or inlining off",
                            b.path
                        ),
                    )
                    .with_help("drop -N and -l from release builds"),
                );
            }
        }
    }
}
