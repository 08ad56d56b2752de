use crate::kubernetes::{KubeContext, KubeRule};
use crate::Severity;
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags a container image with no tag or the `latest` tag and no digest;
    /// an image by any other tag without a digest is reported as info.
    ///
    /// ## Why
    /// A tag is a name that moves: nodes that pull at different times run
    /// different code, a rollback redeploys whatever the tag means today, and
    /// nobody can say afterwards what ran. A digest names exactly one image.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: example.com/app:latest
    /// ```
    ///
    /// ## Fix
    /// Name the image by digest: `envelope resolve` (or `envelope pin`) writes
    /// `example.com/app:1.4.2@sha256:...` into the manifest.
    pub struct ImageNotPinned {
        code: "K8S021",
        name: "image-latest-or-unpinned",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for ImageNotPinned {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            for (c, image, name) in super::images_without_digest(w) {
                let (message, info) = match name.tag.as_deref() {
                    None => (format!("`{image}` has no tag, so it means `latest`"), false),
                    Some("latest") => (format!("`{image}` uses the mutable `latest` tag"), false),
                    Some(_) => (format!("`{image}` is named by tag, not by digest"), true),
                };
                let mut d = cx
                    .diag_at(
                        &Self::INFO,
                        w.object.document,
                        c.node,
                        &c.path,
                        &["image"],
                        format!("{} of {}: {message}", c.describe(), w.object.describe()),
                    )
                    .with_help("pin it: `envelope resolve` or `envelope pin` writes the digest");
                if info {
                    d.severity = Severity::Info;
                }
                out.push(d);
            }
        }
    }
}
