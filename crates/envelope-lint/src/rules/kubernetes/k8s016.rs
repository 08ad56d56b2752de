use super::BASELINE;
use crate::kubernetes::items;
use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};
use envelope_yaml::Want;

declare_rule! {
    /// ## What it does
    /// Flags a container that does not drop every capability (Pod Security
    /// Standards, restricted: "Capabilities"): `securityContext.capabilities.drop`
    /// must hold `ALL`, and `add` may hold only `NET_BIND_SERVICE` (a capability
    /// outside the baseline set is K8S003's). Pods for Windows nodes are not
    /// checked.
    ///
    /// ## Why
    /// Container runtimes grant a default set (`CHOWN`, `DAC_OVERRIDE`,
    /// `SETUID`, `NET_RAW`...) that a Go service does not use and an attacker
    /// does: `NET_RAW` forges packets, `DAC_OVERRIDE` ignores file permissions.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     add: ["CHOWN"]
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     drop: ["ALL"]
    /// ```
    pub struct CapabilitiesDropAll {
        code: "K8S016",
        name: "capabilities-not-dropped",
        severity: Warning,
        fixable: true,
        enabled: true,
    }
}

impl KubeRule for CapabilitiesDropAll {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in cx.workloads.iter().filter(|w| !w.is_windows()) {
            for c in &w.containers {
                let drop = c.get(&["securityContext", "capabilities", "drop"]);
                if !items(drop).iter().any(|n| n.as_str() == Some("ALL")) {
                    let d = cx.diag_at(
                        &Self::INFO,
                        w.object.document,
                        c.node,
                        &c.path,
                        &["securityContext", "capabilities", "drop"],
                        format!(
                            "{} of {} does not drop ALL capabilities",
                            c.describe(),
                            w.object.describe()
                        ),
                    );
                    out.push(cx.fix_container(d, c, &["capabilities", "drop"], Want::Item("ALL")));
                }
                for (item, path, name) in super::added_capabilities(c) {
                    if name != "NET_BIND_SERVICE" && BASELINE.contains(&name) {
                        out.push(cx.diag_item(
                            &Self::INFO,
                            w.object.document,
                            item,
                            path,
                            format!(
                                "{} of {} adds `{name}`: only NET_BIND_SERVICE may be added",
                                c.describe(),
                                w.object.describe()
                            ),
                        ));
                    }
                }
            }
        }
    }
}
