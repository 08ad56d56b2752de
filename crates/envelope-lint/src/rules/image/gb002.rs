use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags ELF binaries that still carry a symbol table or DWARF debug
    /// information, with the bytes `-ldflags="-s -w"` (or `strip`) would save,
    /// measured from the section sizes.
    ///
    /// ## Why
    /// Neither is needed to run: Go's own stack traces use the pclntab, which
    /// stripping keeps. The symbols and DWARF often make up a quarter to a third
    /// of a Go binary.
    ///
    /// ## Example
    /// `go build -o /app .` without `-ldflags`.
    ///
    /// ## Fix
    /// Build with `-ldflags="-s -w"` (envelope's default).
    pub struct NotStripped {
        code: "GB002",
        name: "binary-not-stripped",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for NotStripped {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        for b in &cx.facts.binaries {
            let Ok(f) = &b.facts else { continue };
            if f.stripped {
                continue;
            }
            let saves = f.strip_savings;
            let flag = if f.build_info.is_some() {
                "build with -ldflags=\"-s -w\""
            } else {
                "strip it (`strip --strip-all`)"
            };
            out.push(
                cx.diag(
                    &Self::INFO,
                    format!(
                        "{} is not stripped: symbols and debug information take {}",
                        b.path,
                        envelope_diagnostics::human_bytes(saves)
                    ),
                )
                .with_help(format!("{flag}; stack traces keep working"))
                .with_savings(saves),
            );
        }
    }
}
