use crate::kubernetes::{as_int, items, join};
use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags a container port with a `hostPort` other than `0` (Pod Security
    /// Standards, baseline: "Host Ports").
    ///
    /// ## Why
    /// A host port opens the port on the node's own address, around the
    /// Service and any NetworkPolicy, and limits the pod to one per node.
    ///
    /// ## Example
    /// ```yaml
    /// ports:
    /// - containerPort: 8080
    ///   hostPort: 8080
    /// ```
    ///
    /// ## Fix
    /// Remove `hostPort` and reach the pod through a Service.
    pub struct HostPorts {
        code: "K8S005",
        name: "host-port",
        severity: Error,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for HostPorts {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            for c in &w.containers {
                for (i, p) in items(c.get(&["ports"])).iter().enumerate() {
                    let Some(port) = p.get("hostPort").and_then(|n| n.as_str()) else {
                        continue;
                    };
                    if p.get("hostPort").and_then(as_int) == Some(0) {
                        continue;
                    }
                    out.push(cx.diag_at(
                        &Self::INFO,
                        w.object.document,
                        p,
                        &join(&c.path, &format!("ports[{i}]")),
                        &["hostPort"],
                        format!(
                            "{} of {} opens port {port} on the node",
                            c.describe(),
                            w.object.describe()
                        ),
                    ));
                }
            }
        }
    }
}
