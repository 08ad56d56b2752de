use super::BASELINE;
use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags a container that adds a Linux capability outside the baseline set
    /// of the Pod Security Standards ("Capabilities", baseline): `AUDIT_WRITE`,
    /// `CHOWN`, `DAC_OVERRIDE`, `FOWNER`, `FSETID`, `KILL`, `MKNOD`,
    /// `NET_BIND_SERVICE`, `SETFCAP`, `SETGID`, `SETPCAP`, `SETUID` and
    /// `SYS_CHROOT` are allowed; anything else (`SYS_ADMIN`, `NET_ADMIN`,
    /// `SYS_PTRACE`, `ALL`...) is not. Names are compared as written, as the
    /// admission controller does.
    ///
    /// ## Why
    /// Capabilities such as `SYS_ADMIN` or `SYS_PTRACE` are most of root's power:
    /// mounting filesystems, tracing other processes, changing the network.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     add: ["NET_ADMIN"]
    /// ```
    ///
    /// ## Fix
    /// Remove the capability; a Go service binding a port below 1024 needs
    /// `NET_BIND_SERVICE` at most.
    pub struct BaselineCapabilities {
        code: "K8S003",
        name: "capabilities-beyond-baseline",
        severity: Error,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for BaselineCapabilities {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            for c in &w.containers {
                for (item, path, name) in super::added_capabilities(c) {
                    if !BASELINE.contains(&name) {
                        out.push(cx.diag_item(
                            &Self::INFO,
                            w.object.document,
                            item,
                            path,
                            format!(
                                "{} of {} adds `{name}`, outside the baseline capabilities",
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
