use crate::kubernetes::as_bool;
use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};
use envelope_yaml::Want;

declare_rule! {
    /// ## What it does
    /// Flags a container that may run as root because nothing requires
    /// otherwise (Pod Security Standards, restricted: "Running as Non-root"):
    /// `runAsNonRoot` must be `true` in the pod's security context or in every
    /// container's, and no container may set it to `false`. A container's
    /// setting overrides the pod's.
    ///
    /// ## Why
    /// With `runAsNonRoot: true` the kubelet refuses to start a container whose
    /// user is root, whatever the image says; without it, an image built with
    /// `USER root` (or none) runs as root.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///   - name: app
    ///     securityContext:
    ///       runAsNonRoot: false
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsNonRoot: true
    /// ```
    pub struct RunAsNonRoot {
        code: "K8S013",
        name: "run-as-non-root-missing",
        severity: Warning,
        fixable: true,
        enabled: true,
    }
}

impl KubeRule for RunAsNonRoot {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            let pod = w.pod_setting(&["runAsNonRoot"]);
            if let Some(p) = &pod {
                if as_bool(p.value) == Some(false) {
                    let d = cx.diag_setting(
                        &Self::INFO,
                        w.object.document,
                        p,
                        format!("{} sets `runAsNonRoot: false`", w.object.describe()),
                    );
                    out.push(cx.fix_setting(d, p, Want::Bool(true)));
                }
            }
            let pod_true = pod.as_ref().and_then(|p| as_bool(p.value)) == Some(true);
            for c in &w.containers {
                match w.container_setting(c, &["runAsNonRoot"]) {
                    Some(s) if as_bool(s.value) == Some(true) => {}
                    Some(s) => {
                        let d = cx.diag_setting(
                            &Self::INFO,
                            w.object.document,
                            &s,
                            format!(
                                "{} of {} may run as root: `runAsNonRoot` is not true",
                                c.describe(),
                                w.object.describe()
                            ),
                        );
                        out.push(cx.fix_setting(d, &s, Want::Bool(true)));
                    }
                    None if pod_true => {}
                    None => {
                        let d = cx.diag_at(
                            &Self::INFO,
                            w.object.document,
                            c.node,
                            &c.path,
                            &["securityContext", "runAsNonRoot"],
                            format!("{} of {} may run as root: neither it nor the pod sets `runAsNonRoot: true`", c.describe(), w.object.describe()),
                        );
                        out.push(cx.fix_container(d, c, &["runAsNonRoot"], Want::Bool(true)));
                    }
                }
            }
        }
    }
}
