use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags a container image named by digest that the lookup answers does
    /// not exist: no OCI layout under `--image-dir` holds that digest, or the
    /// registry says it has no manifest of that digest. Runs only when
    /// images are looked up (`--image-dir` or `--images registry`).
    ///
    /// ## Why
    /// A pod whose image cannot be pulled never starts (`ErrImagePull`,
    /// then `ImagePullBackOff`). A digest that names nothing is a typo, an
    /// image built but never pushed, or one deleted by a registry's
    /// clean-up; each is cheaper to find before the rollout.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: example.com/app@sha256:0000000000000000000000000000000000000000000000000000000000000000
    /// ```
    ///
    /// ## Fix
    /// Push the image, or write the digest it has: `envelope resolve`
    /// fills in the digest of what was built.
    pub struct ImageDigestNotFound {
        code: "K8S029",
        name: "image-digest-not-found",
        severity: Error,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for ImageDigestNotFound {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        cx.each_missing(|w, c, unseen| {
            if !unseen.absent {
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
                        "{} of {}: `{image}` does not exist: {}",
                        c.describe(),
                        w.object.describe(),
                        unseen.reason
                    ),
                )
                .with_help("push the image, or write the digest it has (`envelope resolve`)"),
            );
        });
    }
}
