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

/// kube-score and Checkov on the same files, for the checks envelope
/// shares with each (tests/common/kubernetes.rs): each workload one flags
/// and the other does not must be one of the differences judged in
/// docs/kubernetes.md ("envelope and Checkov", "envelope and kube-score");
/// anything else fails.
#[cfg(feature = "external-tools")]
#[test]
fn agrees_with_kube_score_and_checkov_on_the_shared_checks_except_where_documented() {
    use common::kubernetes::{assert_as_judged, compare, Peer, JUDGED};

    let comparison = compare(&repo_root().join("tests/fixtures/kubernetes-corpus"));
    assert_as_judged(&comparison, JUDGED);
    for (peer, least) in [(Peer::KubeScore, 300), (Peer::Checkov, 500)] {
        let agreed = comparison.agreed.get(&peer).copied().unwrap_or(0);
        assert!(
            agreed > least,
            "only {agreed} agreements with {}: is it reading the files?",
            peer.name()
        );
    }
}
