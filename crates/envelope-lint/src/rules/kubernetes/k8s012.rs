use crate::kubernetes::as_bool;
use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};
use envelope_yaml::Want;

declare_rule! {
    /// ## What it does
    /// Flags a container (init and ephemeral ones too) that does not set
    /// `securityContext.allowPrivilegeEscalation: false` (Pod Security
    /// Standards, restricted: "Privilege Escalation"). Pods for Windows nodes
    /// (`spec.os.name: windows`) are not checked.
    ///
    /// ## Why
    /// Without it, a process can gain more privileges than its parent through
    /// setuid binaries or file capabilities (`no_new_privs` is not set). The
    /// field defaults to allowing it.
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
    ///   securityContext:
    ///     allowPrivilegeEscalation: false
    /// ```
    pub struct PrivilegeEscalation {
        code: "K8S012",
        name: "privilege-escalation-allowed",
        severity: Warning,
        fixable: true,
        enabled: true,
    }
}

impl KubeRule for PrivilegeEscalation {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in cx.workloads.iter().filter(|w| !w.is_windows()) {
            for c in &w.containers {
                let set = w.container_setting(c, &["allowPrivilegeEscalation"]);
                if set.as_ref().and_then(|s| as_bool(s.value)) == Some(false) {
                    continue;
                }
                let message = match set {
                    Some(_) => format!(
                        "{} of {} allows privilege escalation",
                        c.describe(),
                        w.object.describe()
                    ),
                    None => format!(
                        "{} of {} does not set `allowPrivilegeEscalation: false`",
                        c.describe(),
                        w.object.describe()
                    ),
                };
                let d = cx.diag_at(
                    &Self::INFO,
                    w.object.document,
                    c.node,
                    &c.path,
                    &["securityContext", "allowPrivilegeEscalation"],
                    message,
                );
                out.push(cx.fix_container(d, c, &["allowPrivilegeEscalation"], Want::Bool(false)));
            }
        }
    }
}
