use crate::kubernetes::{is_long_running, ContainerKind};
use crate::kubernetes::{KubeContext, KubeRule};
use crate::{declare_rule, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Flags a container of a long-running workload (Deployment, StatefulSet,
    /// DaemonSet, ReplicaSet, ReplicationController) with no `readinessProbe`
    /// or no `livenessProbe`. Init containers, ephemeral containers, Jobs,
    /// CronJobs and bare Pods are not checked.
    ///
    /// ## Why
    /// Without a readiness probe a Service sends traffic to the pod as soon as
    /// the process starts, before it listens, and during a rollout to pods that
    /// cannot serve; without a liveness probe a deadlocked process is never
    /// restarted. A Go image from envelope has no shell, so use `httpGet` or
    /// `tcpSocket` probes, not `exec`.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   ports:
    ///   - containerPort: 8080
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    ///   readinessProbe:
    ///     httpGet: {path: /healthz, port: 8080}
    ///   livenessProbe:
    ///     httpGet: {path: /healthz, port: 8080}
    /// ```
    pub struct Probes {
        code: "K8S019",
        name: "probes-missing",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl KubeRule for Probes {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>) {
        for w in cx
            .workloads
            .iter()
            .filter(|w| is_long_running(w.object.kind))
        {
            for c in w
                .containers
                .iter()
                .filter(|c| c.kind == ContainerKind::Container)
            {
                for probe in ["readinessProbe", "livenessProbe"] {
                    if c.get(&[probe]).is_some() {
                        continue;
                    }
                    out.push(cx.diag_at(
                        &Self::INFO,
                        w.object.document,
                        c.node,
                        &c.path,
                        &[probe],
                        format!("{} of {} has no {probe}", c.describe(), w.object.describe()),
                    ));
                }
            }
        }
    }
}
