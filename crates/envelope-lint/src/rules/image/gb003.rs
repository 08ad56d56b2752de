use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags Go binaries built without `-trimpath`: the build setting is absent
    /// and the source file names in the binary are absolute paths of the build
    /// machine.
    ///
    /// ## Why
    /// The paths leak the build environment (user names, directory layout) and
    /// make the binary depend on where it was built, so builds are not
    /// reproducible.
    ///
    /// ## Example
    /// `go build -o /app .` in `/src`: the binary names `/src/main.go`.
    ///
    /// ## Fix
    /// Build with `-trimpath` (envelope's default).
    pub struct NoTrimpath {
        code: "GB003",
        name: "binary-without-trimpath",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for NoTrimpath {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        for (b, bi) in cx.go_binaries() {
            let paths = b
                .facts
                .as_ref()
                .map(|f| (f.build_paths.clone(), f.build_paths_total))
                .unwrap_or_default();
            if bi.trimpath() == Some(true) && paths.1 == 0 {
                continue;
            }
            // Build info without settings (very old or hand-made binaries):
            // judge by the paths alone.
            if bi.trimpath().is_none() && paths.1 == 0 {
                continue;
            }
            let shown = match paths.0.first() {
                Some(p) => format!(": it names {} build-machine paths such as {p}", paths.1),
                None => String::new(),
            };
            out.push(
                cx.diag(&Self::INFO, format!("{} was built without -trimpath{shown}", b.path))
                    .with_help("build with -trimpath: build-machine paths leave the binary and builds become reproducible"),
            );
        }
    }
}
