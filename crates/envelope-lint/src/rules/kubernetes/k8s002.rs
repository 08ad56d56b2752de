use crate::kubernetes::as_bool;
use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};
use envelope_yaml::Want;

declare_rule! {
    /// ## What it does
    /// Flags a container (init and ephemeral ones too) with
    /// `securityContext.privileged: true` (Pod Security Standards, baseline:
    /// "Privileged Containers").
    ///
    /// ## Why
    /// A privileged container has every capability, every device of the node
    /// and no seccomp, AppArmor or SELinux confinement: escaping to the node is
    /// a matter of mounting its disk.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   securityContext:
    ///     privileged: true
    /// ```
    ///
    /// ## Fix
    /// Remove `privileged`; grant the one capability the program needs, if any.
    pub struct Privileged {
        code: "K8S002",
        name: "privileged-container",
        severity: Error,
        fixable: true,
        enabled: true,
    }
}

impl KubeRule for Privileged {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            for c in &w.containers {
                if let Some(s) = w.container_setting(c, &["privileged"]) {
                    if as_bool(s.value) == Some(true) {
                        let d = cx.diag_setting(
                            &Self::INFO,
                            w.object.document,
                            &s,
                            format!("{} of {} is privileged", c.describe(), w.object.describe()),
                        );
                        out.push(cx.fix_setting(d, &s, Want::Bool(false)));
                    }
                }
            }
        }
    }
}
