use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};
use envelope_yaml::Want;

declare_rule! {
    /// ## What it does
    /// Flags a container with `securityContext.procMount` other than `Default`
    /// (Pod Security Standards, baseline: "/proc Mount Type").
    ///
    /// ## Why
    /// The default `/proc` mount masks and makes read-only the paths that reveal
    /// or change the node (`/proc/kcore`, `/proc/sys`); `Unmasked` exposes them.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   procMount: Unmasked
    /// ```
    ///
    /// ## Fix
    /// Remove `procMount`.
    pub struct ProcMount {
        code: "K8S008",
        name: "proc-mount-unmasked",
        severity: Error,
        fixable: true,
        enabled: true,
    }
}

impl KubeRule for ProcMount {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            for c in &w.containers {
                let Some(s) = w.container_setting(c, &["procMount"]) else {
                    continue;
                };
                let value = s.value.as_str().unwrap_or_default();
                if value != "Default" {
                    let d = cx.diag_setting(
                        &Self::INFO,
                        w.object.document,
                        &s,
                        format!(
                            "{} of {} mounts /proc `{value}`",
                            c.describe(),
                            w.object.describe()
                        ),
                    );
                    out.push(cx.fix_setting(d, &s, Want::Word("Default")));
                }
            }
        }
    }
}
