use crate::kubernetes::as_bool;
use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags a pod that shares the node's namespaces: `hostNetwork`, `hostPID`
    /// or `hostIPC` set to `true` (Pod Security Standards, baseline: "Host
    /// Namespaces").
    ///
    /// ## Why
    /// A pod in the host's network namespace sees every interface and port of
    /// the node and can bind beside the kubelet; in its PID namespace it sees
    /// and can signal every process; in its IPC namespace it reads shared memory
    /// of other workloads. None of these is needed by a Go service.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostNetwork: true
    /// ```
    ///
    /// ## Fix
    /// Remove the field (the default is `false`). Expose the service with a
    /// Service, not a host port.
    pub struct HostNamespaces {
        code: "K8S001",
        name: "host-namespaces",
        severity: Error,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for HostNamespaces {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            for field in ["hostNetwork", "hostPID", "hostIPC"] {
                let Some(v) = w.pod_get(&[field]) else {
                    continue;
                };
                if as_bool(v) == Some(true) {
                    out.push(cx.diag_at(
                        &Self::INFO,
                        w.object.document,
                        w.pod,
                        &w.pod_path,
                        &[field],
                        format!(
                            "{} shares the node's namespace: `{field}: true`",
                            w.object.describe()
                        ),
                    ));
                }
            }
        }
    }
}
