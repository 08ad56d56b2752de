use crate::kubernetes::{as_bool, ContainerKind};
use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};
use envelope_yaml::Want;

declare_rule! {
    /// ## What it does
    /// Flags a container (and init container) that does not set
    /// `securityContext.readOnlyRootFilesystem: true`. Pods for Windows
    /// nodes (`spec.os.name: windows`), which cannot set it, are not
    /// checked.
    ///
    /// ## Why
    /// A Go service writes nothing to its image: with a read-only root, an
    /// attacker who gets code execution cannot drop tools or change the
    /// binary, and accidental writes fail loudly instead of filling the node's
    /// disk. Mount an `emptyDir` where the program needs a scratch folder.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   securityContext:
    ///     readOnlyRootFilesystem: false
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    ///   securityContext:
    ///     readOnlyRootFilesystem: true
    ///   volumeMounts:
    ///   - name: tmp          # only if the program writes to /tmp
    ///     mountPath: /tmp
    /// ```
    pub struct ReadOnlyRoot {
        code: "K8S017",
        name: "writable-root-filesystem",
        severity: Warning,
        fixable: true,
        enabled: true,
    }
}

impl KubeRule for ReadOnlyRoot {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        // Windows pods cannot set readOnlyRootFilesystem (the API
        // refuses it when spec.os.name is windows).
        for w in cx.workloads.iter().filter(|w| !w.is_windows()) {
            for c in w
                .containers
                .iter()
                .filter(|c| c.kind != ContainerKind::Ephemeral)
            {
                let set = w.container_setting(c, &["readOnlyRootFilesystem"]);
                if set.as_ref().and_then(|s| as_bool(s.value)) == Some(true) {
                    continue;
                }
                let d = cx.diag_at(
                    &Self::INFO,
                    w.object.document,
                    c.node,
                    &c.path,
                    &["securityContext", "readOnlyRootFilesystem"],
                    format!(
                        "{} of {} has a writable root filesystem",
                        c.describe(),
                        w.object.describe()
                    ),
                );
                out.push(cx.fix_container(d, c, &["readOnlyRootFilesystem"], Want::Bool(true)));
            }
        }
    }
}
