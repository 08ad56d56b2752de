use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags Go binaries built with `CGO_ENABLED=1`.
    ///
    /// ## Why
    /// cgo links the program against the C library (dynamically, unless told
    /// otherwise), ties it to the base image's libc version, and brings C code
    /// and its memory-safety risks into a Go program. Most services use cgo
    /// only by accident: the `net` and `os/user` packages fall back to cgo when
    /// a C compiler is present.
    ///
    /// ## Example
    /// `go build` in the Debian `golang` image, which ships gcc.
    ///
    /// ## Fix
    /// Build with `CGO_ENABLED=0` unless a dependency truly needs C (such as
    /// SQLite through mattn/go-sqlite3).
    pub struct CgoBinary {
        code: "GB004",
        name: "cgo-enabled-binary",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for CgoBinary {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        for (b, bi) in cx.go_binaries() {
            if bi.cgo_enabled() != Some(true) {
                continue;
            }
            out.push(
                cx.diag(
                    &Self::INFO,
                    format!("{} was built with CGO_ENABLED=1", b.path),
                )
                .with_help("build with CGO_ENABLED=0 unless a dependency needs C"),
            );
        }
    }
}
