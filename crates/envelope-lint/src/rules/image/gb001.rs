use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags dynamically linked Go binaries (an ELF interpreter or `DT_NEEDED`
    /// libraries). It is an error, for any ELF file, when the image lacks the
    /// interpreter or a needed library.
    ///
    /// ## Why
    /// A dynamically linked binary needs the exact loader and C library it was
    /// linked against. Without them it fails at start with the misleading
    /// `exec /app: no such file or directory`; with them the image carries a C
    /// library to patch.
    ///
    /// ## Example
    /// `go build` with cgo enabled (the default where a C compiler exists)
    /// copied into `scratch`.
    ///
    /// ## Fix
    /// Build with `CGO_ENABLED=0` (envelope's default). If the program needs
    /// cgo, use a base with the matching C library
    /// (`gcr.io/distroless/base-debian12`).
    pub struct DynamicBinary {
        code: "GB001",
        name: "dynamically-linked-binary",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for DynamicBinary {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        for b in &cx.facts.binaries {
            let Ok(f) = &b.facts else { continue };
            if f.is_static {
                continue;
            }
            let missing: Vec<String> = f
                .interpreter
                .iter()
                .filter(|i| !cx.exists(i))
                .cloned()
                .chain(f.needed.iter().filter(|l| !has_library(cx, l)).cloned())
                .collect();
            let is_go = f.build_info.is_some();
            if missing.is_empty() && !is_go {
                continue;
            }
            let libs = if f.needed.is_empty() {
                String::new()
            } else {
                format!(" ({})", f.needed.join(", "))
            };
            let mut d = if missing.is_empty() {
                cx.diag(
                    &Self::INFO,
                    format!("{} is dynamically linked{libs}", b.path),
                )
            } else {
                let mut d = cx.diag(
                    &Self::INFO,
                    format!(
                        "{} is dynamically linked, and the image lacks {}: it cannot start",
                        b.path,
                        missing.join(", ")
                    ),
                );
                d.severity = envelope_diagnostics::Severity::Error;
                d
            };
            d = d.with_help("build with CGO_ENABLED=0 for a static binary, or use a base with the matching C library");
            out.push(d);
        }
    }
}

/// Is a `DT_NEEDED` library in one of the loader's usual directories?
fn has_library(cx: &ImageContext, lib: &str) -> bool {
    if lib.starts_with('/') {
        return cx.exists(lib);
    }
    LIB_DIRS.iter().any(|d| cx.exists(&format!("{d}/{lib}")))
}

const LIB_DIRS: [&str; 10] = [
    "/lib",
    "/usr/lib",
    "/lib64",
    "/usr/lib64",
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/local/lib",
    "/lib/arm-linux-gnueabihf",
];
