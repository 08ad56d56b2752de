use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags Go binaries built with a Go release older than the two newest
    /// minor releases envelope knows of (only those get security fixes), and
    /// ELF files that look like Go programs but carry no build info. A
    /// binary built with a release newer than any envelope knows gets a
    /// note (severity info) saying its support cannot be judged.
    ///
    /// ## Why
    /// Vulnerabilities in the standard library (net/http, crypto/tls, ...) are
    /// fixed only in supported releases: an older toolchain ships known holes
    /// into every binary it builds.
    ///
    /// ## Example
    /// A binary built with go1.21.
    ///
    /// ## Fix
    /// Rebuild with a supported Go release.
    pub struct GoOutOfSupport {
        code: "GB005",
        name: "go-out-of-support",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for GoOutOfSupport {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        for (b, bi) in cx.go_binaries() {
            let Some(v) = envelope_golang::go_version(bi) else {
                continue;
            };
            match envelope_golang::go_support(v) {
                envelope_golang::Support::OutOfSupport { newest } => out.push(
                    cx.diag(&Self::INFO, format!("{} was built with {v}, which is out of support (the newest release envelope knows is go{newest}; the two newest get security fixes)", b.path))
                        .with_help("rebuild with a supported Go release: older ones get no security fixes"),
                ),
                // Not a finding against the binary: a note that this
                // check could not judge it.
                envelope_golang::Support::Newer { newest } => {
                    let mut d = cx
                        .diag(&Self::INFO, format!("{} was built with {v}, newer than any Go release envelope knows (the newest it knows is go{newest}): whether it is supported cannot be judged", b.path))
                        .with_help("update envelope: its table of Go releases is older than this toolchain");
                    d.severity = crate::Severity::Info;
                    out.push(d);
                }
                envelope_golang::Support::Supported | envelope_golang::Support::Unknown => {}
            }
        }
        // ELF files with a Go function table but no build info.
        for b in &cx.facts.binaries {
            let Ok(f) = &b.facts else { continue };
            if f.build_info.is_none() && b.needs.is_some() {
                out.push(
                    cx.diag(&Self::INFO, format!("{} is a Go binary without build info", b.path))
                        .with_help("build with a current `go build` (Go 1.18+ records the toolchain and settings) so the binary can be audited"),
                );
            }
        }
    }
}
