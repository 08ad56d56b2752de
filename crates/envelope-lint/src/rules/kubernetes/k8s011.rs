use crate::kubernetes::{entries, items};
use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

/// The volume types the restricted profile allows.
const ALLOWED: [&str; 8] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

declare_rule! {
    /// ## What it does
    /// Flags a pod volume of a type the restricted Pod Security Standard does
    /// not allow ("Volume Types"): only `configMap`, `csi`, `downwardAPI`,
    /// `emptyDir`, `ephemeral`, `persistentVolumeClaim`, `projected` and
    /// `secret` are. `hostPath` volumes are reported by K8S004 alone; a volume
    /// merged in with `<<:` is judged by what is written beside it.
    ///
    /// ## Why
    /// The other in-tree types (`nfs`, `iscsi`, `rbd`, `cephfs`, `gitRepo`...)
    /// let a pod name storage directly, bypassing the PersistentVolume objects
    /// an administrator controls; `gitRepo` runs git on the node.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: data
    ///   nfs:
    ///     server: 10.0.0.2
    ///     path: /exports
    /// ```
    ///
    /// ## Fix
    /// Use a PersistentVolumeClaim bound to a PersistentVolume of that type.
    pub struct VolumeTypes {
        code: "K8S011",
        name: "restricted-volume-type",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for VolumeTypes {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            for (i, v) in items(w.pod_get(&["volumes"])).iter().enumerate() {
                for (k, _) in entries(Some(v)) {
                    let kind = k.as_str().unwrap_or_default();
                    if kind == "name"
                        || kind == "hostPath"
                        || kind == "<<"
                        || ALLOWED.contains(&kind)
                    {
                        continue;
                    }
                    let name = v.get("name").and_then(|n| n.as_str()).unwrap_or("?");
                    out.push(cx.diag_at(
                        &Self::INFO,
                        w.object.document,
                        v,
                        &w.pod_join(&format!("volumes[{i}]")),
                        &[kind],
                        format!("{}: volume \"{name}\" is of type `{kind}`, not allowed by the restricted profile", w.object.describe()),
                    ));
                }
            }
        }
    }
}
