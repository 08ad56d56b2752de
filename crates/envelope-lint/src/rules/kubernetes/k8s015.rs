use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};
use envelope_yaml::Want;

declare_rule! {
    /// ## What it does
    /// Flags a container with no seccomp profile (Pod Security Standards,
    /// restricted: "Seccomp"): `seccompProfile.type` must be `RuntimeDefault` or
    /// `Localhost` in the pod's security context, or in every container's. A
    /// container's setting overrides the pod's. `Unconfined` is K8S009's. Pods
    /// for Windows nodes are not checked.
    ///
    /// ## Why
    /// Kubernetes runs containers without seccomp unless asked (or unless the
    /// kubelet's `--seccomp-default` is on), so the system calls used to escape
    /// containers stay open.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///   - name: app
    ///     image: example.com/app@sha256:...
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     seccompProfile:
    ///       type: RuntimeDefault
    /// ```
    pub struct SeccompRequired {
        code: "K8S015",
        name: "seccomp-profile-missing",
        severity: Warning,
        fixable: true,
        enabled: true,
    }
}

impl KubeRule for SeccompRequired {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in cx.workloads.iter().filter(|w| !w.is_windows()) {
            if w.pod_setting(&["seccompProfile", "type"]).is_some() {
                continue;
            }
            for c in &w.containers {
                if w.container_setting(c, &["seccompProfile", "type"])
                    .is_some()
                {
                    continue;
                }
                let d = cx.diag_at(
                    &Self::INFO,
                    w.object.document,
                    c.node,
                    &c.path,
                    &["securityContext", "seccompProfile"],
                    format!(
                        "{} of {} has no seccomp profile, in it or in the pod",
                        c.describe(),
                        w.object.describe()
                    ),
                );
                // A profile without a type (a localhostProfile alone) is
                // not completed: its other fields decide which type.
                if c.get(&["securityContext", "seccompProfile"]).is_some() {
                    out.push(d);
                } else {
                    out.push(cx.fix_container(
                        d,
                        c,
                        &["seccompProfile", "type"],
                        Want::Word("RuntimeDefault"),
                    ));
                }
            }
        }
    }
}
