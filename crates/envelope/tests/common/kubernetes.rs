//! envelope's Kubernetes rules beside kube-score and Checkov: the two peers'
//! runners, the table of checks envelope shares with each, and the table of
//! differences judged in docs/kubernetes.md ("envelope and Checkov",
//! "envelope and kube-score"). `compare` lints a directory with all three
//! and sets, workload by workload and shared check by shared check, what
//! each tool flags beside what envelope flags.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::{envelope, json, peer, run, tempdir};

/// The workload kinds envelope lints.
pub const KINDS: [&str; 8] = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Pod",
];

/// The optional kube-score checks that overlap envelope's rules, turned on.
pub const KUBE_SCORE_OPTIONAL: [&str; 1] = ["container-seccomp-profile"];

/// A check envelope shares with a peer: envelope flags a workload when one
/// of `codes` reports on it with `text` in the finding's YAML path or
/// message; kube-score when one of `kube_score` grades it below "all OK"
/// (a check it skips flags nothing); Checkov when one of `checkov` fails.
/// An empty list: that peer has no such check.
pub struct Shared {
    pub what: &'static str,
    pub codes: &'static [&'static str],
    pub text: &'static str,
    pub kube_score: &'static [&'static str],
    pub checkov: &'static [&'static str],
}

const fn shared(
    what: &'static str,
    codes: &'static [&'static str],
    text: &'static str,
    kube_score: &'static [&'static str],
    checkov: &'static [&'static str],
) -> Shared {
    Shared {
        what,
        codes,
        text,
        kube_score,
        checkov,
    }
}

/// The mapping (docs/kubernetes.md lists it).
pub const SHARED: [Shared; 23] = [
    shared(
        "privileged",
        &["K8S002"],
        "",
        &["container-security-context-privileged"],
        &["CKV_K8S_16"],
    ),
    shared("hostPID", &["K8S001"], "hostPID", &[], &["CKV_K8S_17"]),
    shared("hostIPC", &["K8S001"], "hostIPC", &[], &["CKV_K8S_18"]),
    shared(
        "hostNetwork",
        &["K8S001"],
        "hostNetwork",
        &[],
        &["CKV_K8S_19"],
    ),
    shared(
        "SYS_ADMIN",
        &["K8S003"],
        "`SYS_ADMIN`",
        &[],
        &["CKV_K8S_39"],
    ),
    shared("hostPort", &["K8S005"], "", &[], &["CKV_K8S_26"]),
    shared(
        "allowPrivilegeEscalation",
        &["K8S012"],
        "",
        &[],
        &["CKV_K8S_20"],
    ),
    shared("runAsNonRoot", &["K8S013"], "", &[], &["CKV_K8S_23"]),
    // No profile (K8S015) or `Unconfined` (K8S009): both leave the
    // container without a filter.
    shared(
        "seccomp",
        &["K8S015", "K8S009"],
        "",
        &["container-seccomp-profile"],
        &["CKV_K8S_31"],
    ),
    shared(
        "drop ALL",
        &["K8S016"],
        "capabilities.drop",
        &[],
        &["CKV_K8S_37"],
    ),
    shared(
        "readOnlyRootFilesystem",
        &["K8S017"],
        "",
        &["container-security-context-readonlyrootfilesystem"],
        &["CKV_K8S_22"],
    ),
    // kube-score has one check for the four.
    shared("resources", &["K8S018"], "", &["container-resources"], &[]),
    shared(
        "memory limit",
        &["K8S018"],
        "memory limit",
        &[],
        &["CKV_K8S_13"],
    ),
    shared("cpu limit", &["K8S018"], "cpu limit", &[], &["CKV_K8S_11"]),
    shared(
        "memory request",
        &["K8S018"],
        "memory request",
        &[],
        &["CKV_K8S_12"],
    ),
    shared(
        "cpu request",
        &["K8S018"],
        "cpu request",
        &[],
        &["CKV_K8S_10"],
    ),
    // kube-score has one check for the two.
    shared("probes", &["K8S019"], "", &["pod-probes"], &[]),
    shared(
        "livenessProbe",
        &["K8S019"],
        "livenessProbe",
        &[],
        &["CKV_K8S_8"],
    ),
    shared(
        "readinessProbe",
        &["K8S019"],
        "readinessProbe",
        &[],
        &["CKV_K8S_9"],
    ),
    shared("token", &["K8S020"], "", &[], &["CKV_K8S_38"]),
    // K8S021's warning: no tag, or `latest`, and no digest.
    shared(
        "latest",
        &["K8S021"],
        "`latest`",
        &["container-image-tag"],
        &["CKV_K8S_14"],
    ),
    // K8S021 at any severity: no digest.
    shared("digest", &["K8S021"], "", &[], &["CKV_K8S_43"]),
    shared(
        "pull policy",
        &["K8S022"],
        "",
        &["container-image-pull-policy"],
        &["CKV_K8S_15"],
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Peer {
    KubeScore,
    Checkov,
}

impl Peer {
    pub fn name(self) -> &'static str {
        match self {
            Peer::KubeScore => "kube-score",
            Peer::Checkov => "checkov",
        }
    }

    pub fn ids(self, s: &Shared) -> &'static [&'static str] {
        match self {
            Peer::KubeScore => s.kube_score,
            Peer::Checkov => s.checkov,
        }
    }
}

/// A workload: (file relative to the linted directory, kind, name).
pub type Workload = (String, String, String);

/// Differences judged in docs/kubernetes.md: for `peer` and each shared
/// check in `what`, the workloads ("FILE KIND NAME") that only envelope
/// (`envelope_flags`) or only the peer flags; `docs` is the item of the
/// docs section that explains it.
pub struct Judged {
    pub peer: Peer,
    pub what: &'static [&'static str],
    pub envelope_flags: bool,
    pub docs: &'static str,
    pub workloads: &'static [&'static str],
}

/// What one tool says of one workload for one shared check.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
pub struct Difference {
    pub peer: Peer,
    pub what: &'static str,
    pub workload: Workload,
    pub envelope_flags: bool,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (file, kind, name) = &self.workload;
        let verdict = |flags: bool| if flags { "flags it" } else { "does not" };
        write!(
            f,
            "{file} {kind} {name}: {}: envelope {}, {} {}",
            self.what,
            verdict(self.envelope_flags),
            self.peer.name(),
            verdict(!self.envelope_flags)
        )
    }
}

/// The outcome of `compare`: per peer, how many (workload, shared check)
/// pairs both tools judged alike, and each difference.
#[derive(Debug, Default)]
pub struct Comparison {
    pub files: BTreeSet<String>,
    pub agreed: BTreeMap<Peer, usize>,
    pub flagged_by_both: BTreeMap<Peer, usize>,
    pub differences: BTreeSet<Difference>,
}

/// The manifest files under `dir`, sorted (SOURCES.md and the like left out).
pub fn manifest_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

fn relative(dir: &Path, path: &str) -> String {
    let p = Path::new(path);
    let p = p.strip_prefix(dir).unwrap_or(p);
    let s = p.to_string_lossy().replace('\\', "/");
    s.trim_start_matches("./")
        .trim_start_matches('/')
        .to_string()
}

/// kube-score's report on one file (`score -o json`, the overlapping
/// optional checks on). Every file alone: kube-score merges objects of
/// the same kind, namespace and name across the files of one call.
pub fn kube_score_report(yaml: &Path) -> Value {
    let mut cmd = Command::new(peer("kube-score"));
    cmd.args(["score", "--output-format", "json"]);
    for check in KUBE_SCORE_OPTIONAL {
        cmd.args(["--enable-optional-test", check]);
    }
    let out = run(cmd.arg(yaml));
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("kube-score: {e}: {out:?}"));
    report
}

/// The checks kube-score fails (graded below "all OK", not skipped) in
/// its report, as (kind, name, check id).
pub fn kube_score_failed(report: &Value) -> Vec<(String, String, String)> {
    let mut failed = Vec::new();
    for object in report.as_array().into_iter().flatten() {
        let kind = object["type_meta"]["kind"].as_str().unwrap_or_default();
        let name = object["object_meta"]["name"].as_str().unwrap_or_default();
        for check in object["checks"].as_array().into_iter().flatten() {
            // Grades: 1 critical, 5 warning, 7 almost ok, 10 all ok.
            let grade = check["grade"].as_i64().unwrap_or(10);
            if grade < 10 && check["skipped"] != true {
                let id = check["check"]["id"].as_str().unwrap_or_default();
                failed.push((kind.to_string(), name.to_string(), id.to_string()));
            }
        }
    }
    failed.sort();
    failed
}

/// Checkov's Kubernetes report on a file (`-f`) or a directory (`-d`).
pub fn checkov_report(target: &Path) -> Value {
    let flag = if target.is_dir() { "-d" } else { "-f" };
    let out = run(Command::new(peer("checkov"))
        .args(["--framework", "kubernetes", "--skip-download"])
        .args(["--output", "json", flag])
        .arg(target));
    let mut report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("checkov: {e}: {out:?}"));
    if report.is_array() {
        report = report[0].take();
    }
    report
}

/// The ids of the checks Checkov fails in its report, sorted, once each.
pub fn checkov_failed_ids(report: &Value) -> Vec<String> {
    let mut failed: Vec<String> = report["results"]["failed_checks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["check_id"].as_str().unwrap_or_default().to_string())
        .collect();
    failed.sort();
    failed.dedup();
    failed
}

/// envelope's findings name the workload: "... of Deployment NAME ...".
fn workload_of(message: &str) -> Option<(String, String)> {
    let words: Vec<&str> = message.split_whitespace().collect();
    words.windows(2).find_map(|w| {
        KINDS
            .contains(&w[0])
            .then(|| (w[0].to_string(), w[1].trim_end_matches(':').to_string()))
    })
}

/// Lints `dir` with envelope (once), kube-score (once a file) and Checkov
/// (once) and compares them on the shared checks, for the workloads each
/// peer reports on.
pub fn compare(dir: &Path) -> Comparison {
    let out = run(envelope(dir, &tempdir().path().join("cache")).args([
        "lint",
        "--isolated",
        "--format",
        "json",
        ".",
    ]));
    assert_ne!(out.status.code(), Some(2), "{out:?}");
    let report = json(&String::from_utf8_lossy(&out.stdout));
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics");

    // Per peer: the workloads it reports on, and (shared check, workload)
    // for each it flags.
    let mut seen: BTreeMap<Peer, BTreeSet<Workload>> = BTreeMap::new();
    let mut flags: BTreeMap<Peer, BTreeSet<(&'static str, Workload)>> = BTreeMap::new();

    let mut comparison = Comparison::default();
    for file in manifest_files(dir) {
        let rel = relative(dir, &file.to_string_lossy());
        comparison.files.insert(rel.clone());
        let report = kube_score_report(&file);
        for object in report.as_array().into_iter().flatten() {
            let kind = object["type_meta"]["kind"].as_str().unwrap_or_default();
            let name = object["object_meta"]["name"].as_str().unwrap_or_default();
            if KINDS.contains(&kind) {
                seen.entry(Peer::KubeScore).or_default().insert((
                    rel.clone(),
                    kind.to_string(),
                    name.to_string(),
                ));
            }
        }
        for (kind, name, id) in kube_score_failed(&report) {
            for s in SHARED
                .iter()
                .filter(|s| s.kube_score.contains(&id.as_str()))
            {
                flags
                    .entry(Peer::KubeScore)
                    .or_default()
                    .insert((s.what, (rel.clone(), kind.clone(), name.clone())));
            }
        }
    }

    let checkov = checkov_report(dir);
    let resource = |c: &Value| -> Option<Workload> {
        // KIND.NAMESPACE.NAME
        let (kind, rest) = c["resource"].as_str()?.split_once('.')?;
        let name = rest.split_once('.').map_or(rest, |(_, n)| n);
        KINDS.contains(&kind).then(|| {
            (
                relative(dir, c["file_path"].as_str().unwrap_or_default()),
                kind.to_string(),
                name.to_string(),
            )
        })
    };
    for (list, failed) in [("passed_checks", false), ("failed_checks", true)] {
        for c in checkov["results"][list].as_array().into_iter().flatten() {
            let Some(w) = resource(c) else { continue };
            let id = c["check_id"].as_str().unwrap_or_default();
            // Checkov's graph checks name pods that are no workload.
            if !id.starts_with("CKV_K8S_") {
                continue;
            }
            seen.entry(Peer::Checkov).or_default().insert(w.clone());
            if failed {
                for s in SHARED.iter().filter(|s| s.checkov.contains(&id)) {
                    flags
                        .entry(Peer::Checkov)
                        .or_default()
                        .insert((s.what, w.clone()));
                }
            }
        }
    }

    let ours: BTreeSet<(&'static str, Workload)> = SHARED
        .iter()
        .flat_map(|s| {
            diagnostics
                .iter()
                .filter(|d| s.codes.contains(&d["code"].as_str().unwrap_or_default()))
                .filter(|d| {
                    let path = d["object_path"].as_str().unwrap_or_default();
                    let message = d["message"].as_str().unwrap_or_default();
                    path.contains(s.text) || message.contains(s.text)
                })
                .filter_map(|d| {
                    let (kind, name) = workload_of(d["message"].as_str()?)?;
                    Some((s.what, (relative(dir, d["path"].as_str()?), kind, name)))
                })
                .collect::<Vec<_>>()
        })
        .collect();

    for peer in [Peer::KubeScore, Peer::Checkov] {
        let seen = seen.remove(&peer).unwrap_or_default();
        let theirs = flags.remove(&peer).unwrap_or_default();
        for s in SHARED.iter().filter(|s| !peer.ids(s).is_empty()) {
            for w in &seen {
                let key = (s.what, w.clone());
                let (a, b) = (ours.contains(&key), theirs.contains(&key));
                if a == b {
                    *comparison.agreed.entry(peer).or_default() += 1;
                    if a {
                        *comparison.flagged_by_both.entry(peer).or_default() += 1;
                    }
                } else {
                    comparison.differences.insert(Difference {
                        peer,
                        what: s.what,
                        workload: w.clone(),
                        envelope_flags: a,
                    });
                }
            }
        }
    }
    comparison
}

/// Every difference in `comparison` is judged in `judged`, and every
/// judged difference is still there; fails naming each one that is not.
pub fn assert_as_judged(comparison: &Comparison, judged: &[Judged]) {
    let mut expected = BTreeSet::new();
    for j in judged {
        for w in j.workloads {
            if !comparison
                .files
                .contains(w.split(' ').next().unwrap_or_default())
            {
                continue;
            }
            let mut parts = w.split(' ');
            let (Some(file), Some(kind), Some(name), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                panic!("judged workload is not \"FILE KIND NAME\": {w}");
            };
            for what in j.what {
                expected.insert(Difference {
                    peer: j.peer,
                    what,
                    workload: (file.to_string(), kind.to_string(), name.to_string()),
                    envelope_flags: j.envelope_flags,
                });
            }
        }
    }
    let unjudged: Vec<String> = comparison
        .differences
        .difference(&expected)
        .map(ToString::to_string)
        .collect();
    let gone: Vec<String> = expected
        .difference(&comparison.differences)
        .map(ToString::to_string)
        .collect();
    assert!(
        unjudged.is_empty() && gone.is_empty(),
        "differences not judged in docs/kubernetes.md: {unjudged:#?}\n\
         judged differences no longer seen: {gone:#?}"
    );
}

/// The differences judged in docs/kubernetes.md, on the lint fixtures
/// (`K8SNNN/…`, `hardened.yaml`) and on the corpus of real manifests.
pub const JUDGED: &[Judged] = &[
    Judged {
        peer: Peer::KubeScore,
        what: &["pull policy"],
        envelope_flags: false,
        docs: "`imagePullPolicy` of an image by digest",
        workloads: &[
            "K8S001/hits.yaml Deployment api",
            "K8S001/no-hits.yaml Deployment api",
            "K8S002/hits.yaml Deployment api",
            "K8S002/no-hits.yaml Deployment api",
            "K8S003/hits.yaml Deployment api",
            "K8S003/no-hits.yaml Deployment api",
            "K8S004/hits.yaml Deployment api",
            "K8S004/no-hits.yaml Deployment api",
            "K8S005/hits.yaml Deployment api",
            "K8S005/no-hits.yaml Deployment api",
            "K8S006/hits.yaml Deployment api",
            "K8S006/no-hits.yaml Deployment api",
            "K8S007/hits.yaml Deployment api",
            "K8S007/no-hits.yaml Deployment api",
            "K8S008/hits.yaml Deployment api",
            "K8S008/no-hits.yaml Deployment api",
            "K8S009/hits.yaml Deployment api",
            "K8S009/no-hits.yaml Deployment api",
            "K8S010/hits.yaml Deployment api",
            "K8S010/no-hits.yaml Deployment api",
            "K8S011/hits.yaml Deployment api",
            "K8S011/no-hits.yaml Deployment api",
            "K8S012/hits.yaml Deployment api",
            "K8S012/no-hits.yaml Deployment api",
            "K8S013/hits.yaml Deployment api",
            "K8S013/no-hits.yaml Deployment api",
            "K8S014/hits.yaml Deployment api",
            "K8S014/no-hits.yaml Deployment api",
            "K8S015/hits.yaml Deployment api",
            "K8S015/no-hits.yaml Deployment api",
            "K8S016/hits.yaml Deployment api",
            "K8S016/no-hits.yaml Deployment api",
            "K8S017/hits.yaml Deployment api",
            "K8S017/no-hits.yaml Deployment api",
            "K8S018/hits.yaml Deployment api",
            "K8S018/no-hits.yaml Deployment api",
            "K8S018/no-hits.yaml Pod limits-only",
            "K8S019/hits.yaml Deployment api",
            "K8S019/no-hits.yaml Deployment api",
            "K8S020/hits.yaml Deployment api",
            "K8S020/no-hits.yaml Deployment api",
            "K8S021/no-hits.yaml Deployment api",
            "hardened.yaml Deployment api",
            "04-microservices-demo-loadgenerator.yaml Deployment loadgenerator",
            "17-ingress-nginx-cloud-deploy.yaml Deployment ingress-nginx-controller",
            "17-ingress-nginx-cloud-deploy.yaml Job ingress-nginx-admission-create",
            "17-ingress-nginx-cloud-deploy.yaml Job ingress-nginx-admission-patch",
        ],
    },
    Judged {
        peer: Peer::KubeScore,
        what: &["resources"],
        envelope_flags: false,
        docs: "Limits without requests",
        workloads: &["K8S018/no-hits.yaml Pod limits-only"],
    },
    Judged {
        peer: Peer::KubeScore,
        what: &["seccomp"],
        envelope_flags: true,
        docs: "A container's `Unconfined` under the pod's profile",
        workloads: &["K8S009/hits.yaml Deployment api"],
    },
    Judged {
        peer: Peer::KubeScore,
        what: &["probes"],
        envelope_flags: true,
        docs: "Probes of a pod no Service selects",
        workloads: &[
            "K8S019/hits.yaml Deployment api",
            "01-microservices-demo-release.yaml Deployment loadgenerator",
            "04-microservices-demo-loadgenerator.yaml Deployment loadgenerator",
            "10-examples-newrelic-infra-daemonset.yaml DaemonSet newrelic-infra-agent",
            "11-examples-vllm-deployment.yaml Deployment vllm-gemma-deployment",
            "12-examples-minio-distributed-statefulset.yaml StatefulSet minio",
            "21-kube-prometheus-node-exporter-daemonset.yaml DaemonSet node-exporter",
            "22-kube-prometheus-prometheus-operator-deployment.yaml Deployment prometheus-operator",
            "29-dashboard-nginx-daemonset.yaml DaemonSet nginx-daemon",
        ],
    },
    Judged {
        peer: Peer::Checkov,
        what: &["livenessProbe", "readinessProbe"],
        envelope_flags: false,
        docs: "Probes of a bare Pod",
        workloads: &[
            "09-examples-storm-zookeeper-pod.json Pod zookeeper",
            "28-dashboard-init-container-pod.yaml Pod myapp-pod",
            "K8S018/no-hits.yaml Pod limits-only",
        ],
    },
    Judged {
        peer: Peer::Checkov,
        what: &["drop ALL"],
        envelope_flags: true,
        docs: "`drop: [all]`",
        workloads: &[
            "23-sock-shop-complete-demo.yaml Deployment carts",
            "23-sock-shop-complete-demo.yaml Deployment carts-db",
            "23-sock-shop-complete-demo.yaml Deployment catalogue",
            "23-sock-shop-complete-demo.yaml Deployment front-end",
            "23-sock-shop-complete-demo.yaml Deployment orders",
            "23-sock-shop-complete-demo.yaml Deployment orders-db",
            "23-sock-shop-complete-demo.yaml Deployment payment",
            "23-sock-shop-complete-demo.yaml Deployment session-db",
            "23-sock-shop-complete-demo.yaml Deployment shipping",
            "23-sock-shop-complete-demo.yaml Deployment user",
            "23-sock-shop-complete-demo.yaml Deployment user-db",
        ],
    },
    Judged {
        peer: Peer::Checkov,
        what: &["memory request"],
        envelope_flags: true,
        docs: "A CPU limit alone",
        workloads: &["09-examples-storm-zookeeper-pod.json Pod zookeeper"],
    },
    Judged {
        peer: Peer::Checkov,
        what: &["hostPort"],
        envelope_flags: false,
        docs: "`hostPort: 0`",
        workloads: &["K8S005/no-hits.yaml Deployment api"],
    },
    Judged {
        peer: Peer::Checkov,
        what: &["runAsNonRoot"],
        envelope_flags: true,
        docs: "`runAsUser` without `runAsNonRoot`",
        workloads: &["K8S013/hits.yaml Deployment api"],
    },
    Judged {
        peer: Peer::Checkov,
        what: &["seccomp"],
        envelope_flags: true,
        docs: "A container's `Unconfined` under the pod's profile",
        workloads: &["K8S009/hits.yaml Deployment api"],
    },
    Judged {
        peer: Peer::Checkov,
        what: &["token"],
        envelope_flags: false,
        docs: "A token its ServiceAccount keeps unmounted",
        workloads: &["K8S020/no-hits.yaml Deployment api"],
    },
];
