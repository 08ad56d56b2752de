use std::collections::BTreeSet;

use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Says, once per image in a file, that an image a container runs could
    /// not be looked at, and why (a layout that does not hold it, a
    /// registry that cannot be reached, a tag the registry does not know).
    /// Runs only when images are looked up (`envelope lint --image-dir DIR`
    /// or `--images registry`). An image named by a digest that is not found
    /// is K8S029's instead.
    ///
    /// ## Why
    /// The image-aware rules (K8S024-K8S029) check a container against the
    /// image it runs; without the image they say nothing, and this finding
    /// tells that they did not check, rather than letting silence pass for
    /// a clean result. The other rules still run.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: example.com/app:1.4   # in no layout under --image-dir
    /// ```
    ///
    /// ## Fix
    /// Make the image reachable: save it into the directory given to
    /// `--image-dir` (`envelope build -o oci:DIR/app:1.4`), or check the
    /// registry's address and credentials.
    pub struct ImageNotLookedUp {
        code: "K8S023",
        name: "image-not-looked-up",
        severity: Info,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for ImageNotLookedUp {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        let mut seen = BTreeSet::new();
        cx.each_missing(|w, c, unseen| {
                // A digest that does not exist is K8S029's.
                if unseen.absent || !seen.insert(unseen.shown.clone()) {
                    return;
                }
                let image = &unseen.shown;
                out.push(
                    cx.diag_at(
                        &Self::INFO,
                        w.object.document,
                        c.node,
                        &c.path,
                        &["image"],
                        format!(
                            "could not look at `{image}` ({} of {}): {}; the image-aware rules did not check it",
                            c.describe(),
                            w.object.describe(),
                            unseen.reason
                        ),
                    )
                    .with_help("make the image reachable: an OCI layout under --image-dir, or the registry"),
                );
        });
    }
}
