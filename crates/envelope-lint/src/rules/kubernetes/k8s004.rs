use crate::kubernetes::items;
use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags a pod volume of type `hostPath` (Pod Security Standards, baseline:
    /// "HostPath Volumes").
    ///
    /// ## Why
    /// A hostPath volume is a folder of the node inside the container: the
    /// container runtime's socket, the kubelet's credentials, other pods' data.
    /// A read-only mount still leaks them.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: docker
    ///   hostPath:
    ///     path: /var/run/docker.sock
    /// ```
    ///
    /// ## Fix
    /// Use an `emptyDir` for scratch space, a ConfigMap or Secret for files, a
    /// PersistentVolumeClaim for data.
    pub struct HostPathVolumes {
        code: "K8S004",
        name: "host-path-volume",
        severity: Error,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for HostPathVolumes {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            for (i, v) in items(w.pod_get(&["volumes"])).iter().enumerate() {
                if v.get("hostPath").is_some() {
                    let name = v.get("name").and_then(|n| n.as_str()).unwrap_or("?");
                    out.push(cx.diag_at(
                        &Self::INFO,
                        w.object.document,
                        v,
                        &w.pod_join(&format!("volumes[{i}]")),
                        &["hostPath"],
                        format!(
                            "{} mounts a folder of the node: hostPath volume \"{name}\"",
                            w.object.describe()
                        ),
                    ));
                }
            }
        }
    }
}
