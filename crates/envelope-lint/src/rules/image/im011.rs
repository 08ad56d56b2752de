use crate::audit::{ImageContext, ImageRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags a registry image audited by a tag (`registry/app:1.2`) rather than
    /// a digest (`registry/app@sha256:...`).
    ///
    /// ## Why
    /// A tag can be moved to another image at any time: what was audited is not
    /// necessarily what a later pull, or the cluster, runs.
    ///
    /// ## Example
    /// `envelope audit docker://registry.example/app:latest`.
    ///
    /// ## Fix
    /// Deploy and audit by digest: `envelope digest REF` prints it, `envelope
    /// pin` writes it into manifests.
    pub struct MutableTag {
        code: "IM011",
        name: "mutable-image-tag",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl ImageRule for MutableTag {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>) {
        if let Some(tag) = &cx.facts.mutable_tag {
            out.push(
                cx.diag(&Self::INFO, format!("the image is referenced by the tag `{tag}`, which can move"))
                    .with_help("refer to it by digest: `envelope digest REF` prints it, `envelope pin` writes it"),
            );
        }
    }
}
