use crate::kubernetes::ContainerKind;
use crate::kubernetes::{KubeContext, KubeRule};
use crate::Severity;
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags a container (and init container) without resource requests for
    /// `cpu` and `memory` or without a `memory` limit. A missing `cpu` limit is
    /// reported as info: many teams leave it out on purpose, since CPU
    /// throttling hurts latency more than sharing does. A request left out
    /// where the limit is set is not missing: Kubernetes sets it to the
    /// limit.
    ///
    /// ## Why
    /// Without requests the scheduler packs pods blind and the pod is the first
    /// evicted under pressure; without a memory limit one leaking pod takes the
    /// node's memory from its neighbours. Go's runtime reads the limit too when
    /// `GOMEMLIMIT` is derived from it.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: example.com/app@sha256:...
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    ///   resources:
    ///     requests: {cpu: 100m, memory: 64Mi}
    ///     limits: {memory: 128Mi}
    /// ```
    pub struct Resources {
        code: "K8S018",
        name: "resources-missing",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for Resources {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            for c in w
                .containers
                .iter()
                .filter(|c| c.kind != ContainerKind::Ephemeral)
            {
                let missing: Vec<&str> = [
                    ("requests", "cpu", "cpu request"),
                    ("requests", "memory", "memory request"),
                    ("limits", "memory", "memory limit"),
                ]
                .iter()
                .filter(|(kind, what, _)| {
                    // A request defaults to the limit of the same resource.
                    c.get(&["resources", kind, what]).is_none()
                        && (*kind == "limits" || c.get(&["resources", "limits", what]).is_none())
                })
                .map(|(_, _, name)| *name)
                .collect();
                let keys: &[&str] = match missing.first() {
                    Some(&"memory limit") => &["resources", "limits", "memory"],
                    _ => &["resources", "requests"],
                };
                if !missing.is_empty() {
                    out.push(cx.diag_at(
                        &Self::INFO,
                        w.object.document,
                        c.node,
                        &c.path,
                        keys,
                        format!(
                            "{} of {} has no {}",
                            c.describe(),
                            w.object.describe(),
                            missing.join(", ")
                        ),
                    ));
                }
                if c.get(&["resources", "limits", "cpu"]).is_none() {
                    let mut d = cx.diag_at(
                        &Self::INFO,
                        w.object.document,
                        c.node,
                        &c.path,
                        &["resources", "limits", "cpu"],
                        format!(
                            "{} of {} has no cpu limit",
                            c.describe(),
                            w.object.describe()
                        ),
                    );
                    d.severity = Severity::Info;
                    out.push(d);
                }
            }
        }
    }
}
