use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};
use envelope_yaml::Want;

declare_rule! {
    /// ## What it does
    /// Flags a seccomp profile of type `Unconfined` in the pod's or a
    /// container's security context, and the older annotations
    /// (`seccomp.security.alpha.kubernetes.io/pod`,
    /// `container.seccomp.security.alpha.kubernetes.io/NAME`) set to
    /// `unconfined` (Pod Security Standards, baseline: "Seccomp").
    ///
    /// ## Why
    /// Seccomp filters the system calls a container may make; the runtime's
    /// default profile blocks the ones used to escape containers (`unshare`,
    /// `keyctl`, `bpf`, ...). `Unconfined` allows them all.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   seccompProfile:
    ///     type: Unconfined
    /// ```
    ///
    /// ## Fix
    /// Set `seccompProfile: {type: RuntimeDefault}` in the pod's security
    /// context.
    pub struct SeccompUnconfined {
        code: "K8S009",
        name: "seccomp-unconfined",
        severity: Error,
        fixable: true,
        enabled: true,
    }
}

impl KubeRule for SeccompUnconfined {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            for s in w.all_settings(&["seccompProfile", "type"]) {
                if s.value.as_str() == Some("Unconfined") {
                    let d = cx.diag_setting(
                        &Self::INFO,
                        w.object.document,
                        &s,
                        format!("{} runs without a seccomp filter", w.object.describe()),
                    );
                    out.push(cx.fix_setting(d, &s, Want::Word("RuntimeDefault")));
                }
            }
            for (name, at, path) in w.annotations() {
                let seccomp = name == "seccomp.security.alpha.kubernetes.io/pod"
                    || name.starts_with("container.seccomp.security.alpha.kubernetes.io/");
                if seccomp && at.node.as_str() == Some("unconfined") {
                    out.push(cx.diag_node(
                        &Self::INFO,
                        w.object.document,
                        at,
                        path,
                        format!(
                            "{} runs without a seccomp filter (annotation `{name}`)",
                            w.object.describe()
                        ),
                    ));
                }
            }
        }
    }
}
