use crate::kubernetes::as_bool;
use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};
use envelope_yaml::Want;

declare_rule! {
    /// ## What it does
    /// Flags a pod that gets a Kubernetes API token mounted: its spec does not
    /// set `automountServiceAccountToken: false` (or sets it `true`), and the
    /// ServiceAccount it runs as is not in the same file with
    /// `automountServiceAccountToken: false`.
    ///
    /// ## Why
    /// Every pod gets its service account's token at
    /// `/var/run/secrets/kubernetes.io/serviceaccount` unless told otherwise;
    /// whoever takes over the process can call the API with it. A Go service
    /// that does not talk to the Kubernetes API needs no token.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   serviceAccountName: api
    ///   containers:
    ///   - name: app
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    /// spec:
    ///   automountServiceAccountToken: false
    /// ```
    pub struct ServiceAccountToken {
        code: "K8S020",
        name: "service-account-token-mounted",
        severity: Warning,
        fixable: true,
        enabled: true,
    }
}

impl KubeRule for ServiceAccountToken {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in &cx.workloads {
            let own = w
                .pod_get(&["automountServiceAccountToken"])
                .and_then(as_bool);
            if own == Some(false) {
                continue;
            }
            if own.is_none() {
                let account = w
                    .pod_get(&["serviceAccountName"])
                    .or_else(|| w.pod_get(&["serviceAccount"]))
                    .and_then(|n| n.as_str())
                    .unwrap_or("default");
                let off = cx.objects.iter().any(|o| {
                    o.kind == "ServiceAccount"
                        && o.name == Some(account)
                        && o.node.get("automountServiceAccountToken").and_then(as_bool)
                            == Some(false)
                });
                if off {
                    continue;
                }
            }
            let d = cx.diag_at(
                &Self::INFO,
                w.object.document,
                w.pod,
                &w.pod_path,
                &["automountServiceAccountToken"],
                format!("{} mounts a Kubernetes API token", w.object.describe()),
            );
            out.push(cx.fix(
                d,
                w.pod,
                &["automountServiceAccountToken"],
                Want::Bool(false),
            ));
        }
    }
}
