use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

/// The types the baseline profile allows.
const ALLOWED_TYPES: [&str; 4] = [
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

declare_rule! {
    /// ## What it does
    /// Flags SELinux options that change the container's confinement (Pod
    /// Security Standards, baseline: "SELinux"), in the pod's or a container's
    /// security context: `seLinuxOptions.type` other than `container_t`,
    /// `container_init_t`, `container_kvm_t` or `container_engine_t`, and any
    /// `seLinuxOptions.user` or `seLinuxOptions.role`.
    ///
    /// ## Why
    /// The SELinux type decides what the container's processes may touch on the
    /// node; a custom type or user (`spc_t`, `unconfined_u`) lifts the
    /// confinement the runtime sets.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   seLinuxOptions:
    ///     type: spc_t
    /// ```
    ///
    /// ## Fix
    /// Remove `seLinuxOptions`, or keep only `level` (the MCS label).
    pub struct SeLinux {
        code: "K8S007",
        name: "selinux-options",
        severity: Error,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for SeLinux {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            let found = ["type", "user", "role"]
                .into_iter()
                .flat_map(|field| w.all_settings(&["seLinuxOptions", field]));
            for s in found {
                let value = s.value.as_str().unwrap_or_default();
                if value.is_empty() {
                    continue;
                }
                let field = s.keys.last().copied().unwrap_or_default();
                if field == "type" && ALLOWED_TYPES.contains(&value) {
                    continue;
                }
                out.push(cx.diag_setting(
                    &Self::INFO,
                    w.object.document,
                    &s,
                    format!("{} sets SELinux {field} `{value}`", w.object.describe()),
                ));
            }
        }
    }
}
