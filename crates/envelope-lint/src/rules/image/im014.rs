use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Reports odd entries in the image's layers that no build tool writes:
    /// paths that try to leave the root (`../../etc/x`), hard links to
    /// nothing or outside the root, device nodes, named pipes, names that
    /// are not UTF-8, sparse files envelope cannot expand (old GNU entries;
    /// PAX sparse files are read as the files they are) and over-long paths.
    ///
    /// ## Why
    /// Extracting such a layer with a careless tool writes outside the
    /// target directory or creates devices; in an image meant to run one
    /// Go binary they are signs of a hand-crafted or tampered layer. envelope
    /// never extracts: it records them, keeps paths inside the root, and
    /// says so here.
    ///
    /// ## Example
    /// A layer tar holding `../../../etc/cron.d/x`, or `dev/sda` as a block
    /// device.
    ///
    /// ## Fix
    /// Rebuild the image with a normal build tool from trusted sources, and
    /// find out where the layer came from.
    pub struct OddLayerEntries {
        code: "IM014",
        name: "odd-layer-entries",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

/// Findings listed one by one before the rest are counted.
const SHOWN: usize = 20;

impl ImageRule for OddLayerEntries {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        let warnings = &cx.facts.fs.warnings;
        for w in warnings.iter().take(SHOWN) {
            out.push(
                cx.diag(
                    &Self::INFO,
                    format!("layer {}: {}: {}", w.layer, w.path, w.message),
                )
                .with_help("no build tool writes this: find out where the layer came from"),
            );
        }
        if warnings.len() > SHOWN {
            out.push(cx.diag(
                &Self::INFO,
                format!("and {} more odd layer entries", warnings.len() - SHOWN),
            ));
        }
    }
}
