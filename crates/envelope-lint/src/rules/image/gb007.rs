use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags Go binaries whose build info says they were built from a version
    /// control tree with uncommitted changes (`vcs.modified=true`).
    ///
    /// ## Why
    /// The recorded revision does not describe the code that was built: the
    /// binary cannot be traced back to its source or rebuilt.
    ///
    /// ## Example
    /// A build from a working copy with local edits.
    ///
    /// ## Fix
    /// Commit (or stash) the changes and build from a clean tree, in CI.
    pub struct ModifiedTree {
        code: "GB007",
        name: "built-from-modified-tree",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for ModifiedTree {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        for (b, bi) in cx.go_binaries() {
            if bi.vcs_modified() != Some(true) {
                continue;
            }
            let rev = bi.setting("vcs.revision").unwrap_or("an unknown revision");
            out.push(
                cx.diag(&Self::INFO, format!("{} was built from a modified tree (on top of {rev})", b.path))
                    .with_help("build from a clean checkout so the recorded revision is the code that was built"),
            );
        }
    }
}
