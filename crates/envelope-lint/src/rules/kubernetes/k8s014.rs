use crate::kubernetes::as_int;
use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags `runAsUser: 0` in the pod's or a container's security context (Pod
    /// Security Standards, restricted: "Running as Non-root user").
    ///
    /// ## Why
    /// User 0 is root: it owns the container's files, can change them, and is
    /// one kernel bug away from root on the node. `runAsNonRoot: true` makes
    /// such a pod fail to start; this says why, before it is deployed.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 0
    /// ```
    ///
    /// ## Fix
    /// Run as the image's non-root user (`65532` for envelope's images), or
    /// remove `runAsUser` so the image's user applies.
    pub struct RunAsRootUser {
        code: "K8S014",
        name: "run-as-root-user",
        severity: Error,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for RunAsRootUser {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            for s in w.all_settings(&["runAsUser"]) {
                if as_int(s.value) == Some(0) {
                    out.push(cx.diag_setting(
                        &Self::INFO,
                        w.object.document,
                        &s,
                        format!("{} runs as root: `runAsUser: 0`", w.object.describe()),
                    ));
                }
            }
        }
    }
}
