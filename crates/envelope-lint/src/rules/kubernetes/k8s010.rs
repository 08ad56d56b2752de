use crate::kubernetes::items;
use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

/// The sysctls the baseline profile allows.
const SAFE: [&str; 12] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

declare_rule! {
    /// ## What it does
    /// Flags a pod sysctl outside the safe set of the Pod Security Standards
    /// (baseline: "Sysctls"): `kernel.shm_rmid_forced`,
    /// `net.ipv4.ip_local_port_range`, `net.ipv4.ip_unprivileged_port_start`,
    /// `net.ipv4.tcp_syncookies`, `net.ipv4.ping_group_range`,
    /// `net.ipv4.ip_local_reserved_ports`, `net.ipv4.tcp_keepalive_time`,
    /// `net.ipv4.tcp_fin_timeout`, `net.ipv4.tcp_keepalive_intvl`,
    /// `net.ipv4.tcp_keepalive_probes`, `net.ipv4.tcp_rmem` and
    /// `net.ipv4.tcp_wmem`.
    ///
    /// ## Why
    /// Other sysctls are not isolated per pod: setting one changes the node for
    /// every workload on it (or the kubelet refuses the pod).
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   sysctls:
    ///   - name: kernel.msgmax
    ///     value: "65536"
    /// ```
    ///
    /// ## Fix
    /// Remove the sysctl, or set it on the nodes if every workload needs it.
    pub struct UnsafeSysctls {
        code: "K8S010",
        name: "unsafe-sysctl",
        severity: Error,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for UnsafeSysctls {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            let sysctls = w.pod_get(&["securityContext", "sysctls"]);
            for (i, s) in items(sysctls).iter().enumerate() {
                let name = s.get("name").and_then(|n| n.as_str()).unwrap_or_default();
                if SAFE.contains(&name) {
                    continue;
                }
                out.push(cx.diag_at(
                    &Self::INFO,
                    w.object.document,
                    s,
                    &w.pod_join(&format!("securityContext.sysctls[{i}]")),
                    &["name"],
                    format!("{} sets the unsafe sysctl `{name}`", w.object.describe()),
                ));
            }
        }
    }
}
