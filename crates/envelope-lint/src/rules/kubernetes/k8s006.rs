use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags an AppArmor profile that turns confinement off (Pod Security
    /// Standards, baseline: "AppArmor"): `appArmorProfile.type` other than
    /// `RuntimeDefault` or `Localhost`, in the pod's or a container's security
    /// context, and the older annotation
    /// `container.apparmor.security.beta.kubernetes.io/NAME` with a value other
    /// than `runtime/default` or `localhost/PROFILE`.
    ///
    /// ## Why
    /// The runtime's default profile blocks writes to `/proc` and `/sys` and
    /// mounting; `Unconfined` drops all of it.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   appArmorProfile:
    ///     type: Unconfined
    /// ```
    ///
    /// ## Fix
    /// Remove the setting (the runtime's default applies) or set
    /// `type: RuntimeDefault`.
    pub struct AppArmor {
        code: "K8S006",
        name: "apparmor-unconfined",
        severity: Error,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for AppArmor {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            for s in w.all_settings(&["appArmorProfile", "type"]) {
                let t = s.value.as_str().unwrap_or_default();
                if !matches!(t, "RuntimeDefault" | "Localhost") {
                    out.push(cx.diag_setting(
                        &Self::INFO,
                        w.object.document,
                        &s,
                        format!("{} sets AppArmor profile type `{t}`", w.object.describe()),
                    ));
                }
            }
            for (name, at, path) in w.annotations() {
                if !name.starts_with("container.apparmor.security.beta.kubernetes.io/") {
                    continue;
                }
                let value = at.node.as_str().unwrap_or_default();
                if value.is_empty() || value == "runtime/default" || value.starts_with("localhost/")
                {
                    continue;
                }
                out.push(cx.diag_node(
                    &Self::INFO,
                    w.object.document,
                    at,
                    path,
                    format!("{} sets AppArmor profile `{value}`", w.object.describe()),
                ));
            }
        }
    }
}
