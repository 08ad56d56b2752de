use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags a container whose image is named by a tag (not a digest) and whose
    /// `imagePullPolicy` is not `Always`, whether written (`IfNotPresent`,
    /// `Never`) or left to the default (which is `IfNotPresent` for any tag but
    /// `latest`).
    ///
    /// ## Why
    /// With a tag and `IfNotPresent`, each node keeps the image the tag named
    /// when that node first pulled it: after the tag moves, pods of one
    /// Deployment run different code depending on where they land. With a
    /// digest the policy does not matter.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: example.com/app:1.4
    /// ```
    ///
    /// ## Fix
    /// Name the image by digest (`envelope resolve`); or set
    /// `imagePullPolicy: Always`.
    pub struct ImagePullPolicy {
        code: "K8S022",
        name: "image-pull-policy",
        severity: Info,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for ImagePullPolicy {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            for (c, image, name) in super::images_without_digest(w) {
                let policy = c.get(&["imagePullPolicy"]).and_then(|n| n.as_str());
                let latest = matches!(name.tag.as_deref(), None | Some("latest"));
                let effective = policy.unwrap_or(if latest { "Always" } else { "IfNotPresent" });
                if effective == "Always" {
                    continue;
                }
                let how = if policy.is_some() {
                    ""
                } else {
                    " (the default for a tag)"
                };
                out.push(cx.diag_at(
                    &Self::INFO,
                    w.object.document,
                    c.node,
                    &c.path,
                    &["imagePullPolicy"],
                    format!(
                        "{} of {}: `{image}` by tag with imagePullPolicy `{effective}`{how}",
                        c.describe(),
                        w.object.describe()
                    ),
                ));
            }
        }
    }
}
