use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags dynamically linked Go binaries (an ELF interpreter or `DT_NEEDED`
    /// libraries), naming needed libraries not found in the usual library
    /// directories. It is an error, for any ELF file of an image, when the
    /// image lacks its interpreter (the dynamic loader).
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
            // A lone binary has no image to lack anything. In an image, a
            // missing loader is certain; a library may sit on a RUNPATH or
            // an ld.so.conf path, so it only makes a Go binary's warning.
            let in_image = cx.facts.is_image;
            let missing: Vec<String> = f
                .interpreter
                .iter()
                .filter(|i| in_image && !cx.exists(i))
                .cloned()
                .collect();
            let unseen: Vec<String> = f
                .needed
                .iter()
                .filter(|l| in_image && !has_library(cx, l))
                .cloned()
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
                let unseen = if unseen.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; not in the usual library directories: {}",
                        unseen.join(", ")
                    )
                };
                cx.diag(
                    &Self::INFO,
                    format!("{} is dynamically linked{libs}{unseen}", b.path),
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
