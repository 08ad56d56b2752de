//! `envelope lint` on real Kubernetes manifests (tests/fixtures/
//! kubernetes-corpus: 29 files from 12 open-source projects, listed with
//! their sources in SOURCES.md): every file read without a crash or an
//! error of envelope's own, and every finding as judged, in a snapshot —
//! a rule that starts or stops firing on real input shows up here.

mod common;

use common::*;

#[test]
fn real_manifests_lint_without_errors_and_their_findings_stay_as_judged() {
    let root = repo_root();
    let out = run(envelope(&root, &tempdir().path().join("cache"))
        .args(["lint", "--isolated", "--format", "json"])
        .arg("tests/fixtures/kubernetes-corpus"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "findings, no error: {stderr}");
    let report = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(report["summary"]["files"], 29, "{}", report["summary"]);
    let mut lines: Vec<String> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            let file = d["path"].as_str().unwrap_or_default();
            let file = file.rsplit('/').next().unwrap_or(file);
            format!(
                "{file}:{} {} {} doc {} {}",
                d["line"],
                d["code"].as_str().unwrap_or_default(),
                d["severity"].as_str().unwrap_or_default(),
                d["document"],
                d["object_path"].as_str().unwrap_or_default()
            )
        })
        .collect();
    lines.sort();
    // No document of the corpus is unreadable (K8S000): they are valid YAML.
    assert!(!lines.iter().any(|l| l.contains(" K8S000 ")), "{lines:#?}");
    insta::assert_snapshot!("kubernetes-corpus", lines.join("\n"));
    insta::assert_snapshot!(
        "kubernetes-corpus-skipped",
        serde_json::to_string_pretty(&report["summary"]["skipped"]).expect("json")
    );
}

/// Checkov on the same files, for the checks both tools make: each
/// workload (file, kind, name) one flags and the other does not must be one
/// of the differences judged in docs/kubernetes.md ("envelope and
/// Checkov"); anything else fails.
#[cfg(feature = "external-tools")]
#[test]
fn agrees_with_checkov_on_the_shared_checks_except_where_documented() {
    use std::collections::BTreeSet;

    type Key = (String, String, String);
    const KINDS: [&str; 8] = [
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "ReplicationController",
        "Job",
        "CronJob",
        "Pod",
    ];
    // (what, envelope code, text its YAML path or message holds, Checkov ids)
    let shared: [(&str, &str, &str, &[&str]); 19] = [
        ("privileged", "K8S002", "", &["CKV_K8S_16"]),
        ("hostPID", "K8S001", "hostPID", &["CKV_K8S_17"]),
        ("hostIPC", "K8S001", "hostIPC", &["CKV_K8S_18"]),
        ("hostNetwork", "K8S001", "hostNetwork", &["CKV_K8S_19"]),
        ("allowPrivilegeEscalation", "K8S012", "", &["CKV_K8S_20"]),
        ("readOnlyRootFilesystem", "K8S017", "", &["CKV_K8S_22"]),
        ("runAsNonRoot", "K8S013", "", &["CKV_K8S_23"]),
        ("hostPort", "K8S005", "", &["CKV_K8S_26"]),
        ("seccomp", "K8S015", "", &["CKV_K8S_31"]),
        ("livenessProbe", "K8S019", "livenessProbe", &["CKV_K8S_8"]),
        ("readinessProbe", "K8S019", "readinessProbe", &["CKV_K8S_9"]),
        ("memory limit", "K8S018", "memory limit", &["CKV_K8S_13"]),
        ("cpu limit", "K8S018", "cpu limit", &["CKV_K8S_11"]),
        (
            "memory request",
            "K8S018",
            "memory request",
            &["CKV_K8S_12"],
        ),
        ("cpu request", "K8S018", "cpu request", &["CKV_K8S_10"]),
        ("digest", "K8S021", "", &["CKV_K8S_43"]),
        ("pull policy", "K8S022", "", &["CKV_K8S_15"]),
        ("token", "K8S020", "", &["CKV_K8S_38"]),
        ("drop ALL", "K8S016", "capabilities.drop", &["CKV_K8S_37"]),
    ];
    // Judged: see docs/kubernetes.md.
    let documented: BTreeSet<String> = [
        // Probes: envelope asks them of controllers, not of a bare Pod.
        "livenessProbe checkov-only 09-examples-storm-zookeeper-pod.json Pod zookeeper",
        "livenessProbe checkov-only 28-dashboard-init-container-pod.yaml Pod myapp-pod",
        "readinessProbe checkov-only 09-examples-storm-zookeeper-pod.json Pod zookeeper",
        "readinessProbe checkov-only 28-dashboard-init-container-pod.yaml Pod myapp-pod",
        // `drop: [all]`: the restricted standard wants `ALL`, as written.
        "drop ALL envelope-only 23-sock-shop-complete-demo.yaml Deployment carts",
        "drop ALL envelope-only 23-sock-shop-complete-demo.yaml Deployment carts-db",
        "drop ALL envelope-only 23-sock-shop-complete-demo.yaml Deployment catalogue",
        "drop ALL envelope-only 23-sock-shop-complete-demo.yaml Deployment front-end",
        "drop ALL envelope-only 23-sock-shop-complete-demo.yaml Deployment orders",
        "drop ALL envelope-only 23-sock-shop-complete-demo.yaml Deployment orders-db",
        "drop ALL envelope-only 23-sock-shop-complete-demo.yaml Deployment payment",
        "drop ALL envelope-only 23-sock-shop-complete-demo.yaml Deployment session-db",
        "drop ALL envelope-only 23-sock-shop-complete-demo.yaml Deployment shipping",
        "drop ALL envelope-only 23-sock-shop-complete-demo.yaml Deployment user",
        "drop ALL envelope-only 23-sock-shop-complete-demo.yaml Deployment user-db",
        // A CPU limit alone: Checkov takes it for a memory request too.
        "memory request envelope-only 09-examples-storm-zookeeper-pod.json Pod zookeeper",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();

    let root = repo_root();
    let corpus = root.join("tests/fixtures/kubernetes-corpus");
    let out = run(envelope(&root, &tempdir().path().join("cache"))
        .args(["lint", "--isolated", "--format", "json"])
        .arg(&corpus));
    let report = json(&String::from_utf8_lossy(&out.stdout));
    let out = run(std::process::Command::new(peer("checkov"))
        .args(["--framework", "kubernetes", "--skip-download", "--quiet"])
        .args(["--output", "json", "-d"])
        .arg(&corpus));
    let mut checkov = json(&String::from_utf8_lossy(&out.stdout));
    if checkov.is_array() {
        checkov = checkov[0].take();
    }
    let base = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    // envelope's findings name the workload: "... of Deployment NAME ...".
    let workload = |message: &str| -> Option<(String, String)> {
        let words: Vec<&str> = message.split_whitespace().collect();
        words.windows(2).find_map(|w| {
            KINDS
                .contains(&w[0])
                .then(|| (w[0].to_string(), w[1].trim_end_matches(':').to_string()))
        })
    };
    let mut differences = BTreeSet::new();
    let mut agreed = 0;
    for (what, code, text, ids) in shared {
        let ours: BTreeSet<Key> = report["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["code"] == code)
            .filter(|d| {
                let path = d["object_path"].as_str().unwrap_or_default();
                let message = d["message"].as_str().unwrap_or_default();
                path.contains(text) || message.contains(text)
            })
            .filter_map(|d| {
                let (kind, name) = workload(d["message"].as_str()?)?;
                Some((base(d["path"].as_str()?), kind, name))
            })
            .collect();
        let theirs: BTreeSet<Key> = checkov["results"]["failed_checks"]
            .as_array()
            .expect("checkov failed_checks")
            .iter()
            .filter(|c| ids.contains(&c["check_id"].as_str().unwrap_or_default()))
            .filter_map(|c| {
                // KIND.NAMESPACE.NAME
                let resource = c["resource"].as_str()?;
                let (kind, rest) = resource.split_once('.')?;
                let name = rest.split_once('.').map_or(rest, |(_, n)| n);
                KINDS.contains(&kind).then(|| {
                    (
                        base(c["file_path"].as_str().unwrap_or_default()),
                        kind.to_string(),
                        name.to_string(),
                    )
                })
            })
            .collect();
        agreed += ours.intersection(&theirs).count();
        for (side, keys) in [
            ("envelope-only", ours.difference(&theirs)),
            ("checkov-only", theirs.difference(&ours)),
        ] {
            for (file, kind, name) in keys {
                differences.insert(format!("{what} {side} {file} {kind} {name}"));
            }
        }
    }
    let undocumented: Vec<&String> = differences.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "differences not in docs/kubernetes.md: {undocumented:#?}"
    );
    let gone: Vec<&String> = documented.difference(&differences).collect();
    assert!(
        gone.is_empty(),
        "documented differences no longer seen: {gone:#?}"
    );
    assert!(
        agreed > 500,
        "only {agreed} agreements: is Checkov reading the files?"
    );
}
