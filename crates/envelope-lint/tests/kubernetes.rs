//! The Kubernetes rules and reader. Every rule has a fixture pair under
//! tests/kubernetes/CODE/: `hits.yaml` gives at least one finding of that
//! rule (and, with only it selected, nothing else), `no-hits.yaml` none.
//! `hardened.yaml` passes every rule. The findings of all the `hits`
//! files are one snapshot, with their positions and YAML paths.

use std::path::Path;

use envelope_lint::kubernetes::{self, is_manifest_text, mentions_object, Manifest};
use envelope_lint::{kube_rules, Settings, Severity};

fn dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kubernetes")
}

fn lint(text: &str, settings: &Settings) -> kubernetes::KubeResult {
    kubernetes::lint("m.yaml", text.as_bytes(), settings).expect("lint")
}

fn only_codes(codes: &[&str]) -> Settings {
    Settings {
        select: Some(codes.iter().map(|c| (*c).to_string()).collect()),
        ..Settings::default()
    }
}

/// Each finding as `CODE yaml.path`, in order.
fn codes_and_paths(text: &str, settings: &Settings) -> Vec<String> {
    lint(text, settings)
        .file
        .diagnostics
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d.code,
                d.object_path.as_deref().unwrap_or_default()
            )
        })
        .collect()
}

fn line(d: &envelope_lint::Diagnostic) -> String {
    let p = d.start.expect("a position");
    format!(
        "{}:{}:{} {} {} [document {}, {}] {}",
        d.path,
        p.line,
        p.column,
        d.code,
        d.severity.as_str(),
        d.document.unwrap_or(0),
        d.object_path.as_deref().unwrap_or("-"),
        d.message
    )
}

#[test]
fn every_rule_has_fixtures_that_hit_and_miss() {
    let mut failures = Vec::new();
    let mut snapshot = String::new();
    for rule in kube_rules() {
        let code = rule.info().code;
        // The image-aware rules need images: tests/kubernetes_images.rs.
        if code == "K8S000" || kubernetes::IMAGE_AWARE.contains(&code) {
            continue;
        }
        let settings = only_codes(&[code]);
        for which in ["hits", "no-hits"] {
            let path = dir().join(code).join(format!("{which}.yaml"));
            let Ok(text) = std::fs::read_to_string(&path) else {
                failures.push(format!("{code}: no {}", path.display()));
                continue;
            };
            let shown = format!("{code}/{which}.yaml");
            let result = kubernetes::lint(&shown, text.as_bytes(), &settings).expect("lint");
            let found = &result.file.diagnostics;
            if which == "hits" {
                if found.is_empty() {
                    failures.push(format!("{code}: hits gave no finding"));
                }
                for d in found {
                    snapshot.push_str(&line(d));
                    snapshot.push('\n');
                }
            } else if !found.is_empty() {
                failures.push(format!(
                    "{code}: no-hits gave {:?}",
                    found.iter().map(line).collect::<Vec<_>>()
                ));
            }
            if found.iter().any(|d| d.code != code) {
                failures.push(format!("{code}: {which} gave other codes"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    insta::assert_snapshot!("kubernetes_hits", snapshot);
}

#[test]
fn a_hardened_deployment_passes_every_rule() {
    let text = std::fs::read_to_string(dir().join("hardened.yaml")).expect("fixture");
    let all = Settings {
        select: Some(vec!["ALL".into()]),
        ..Settings::default()
    };
    let result = lint(&text, &all);
    let found: Vec<String> = result.file.diagnostics.iter().map(line).collect();
    assert!(found.is_empty(), "{found:#?}");
    assert_eq!(result.objects, 1);
}

const MULTI: &str = "# Source: chart/templates/all.yaml
---
apiVersion: v1
kind: Service
metadata:
  name: api
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: \"0 3 * * *\"
  jobTemplate:
    spec:
      template:
        spec:
          hostPID: true
          containers:
          - name: job
            image: busybox
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
---
";

#[test]
fn several_documents_with_paths_and_skipped_kinds() {
    let result = lint(MULTI, &Settings::default());
    assert_eq!(result.objects, 3);
    assert_eq!(
        result
            .skipped
            .iter()
            .map(|(k, n)| (k.as_str(), *n))
            .collect::<Vec<_>>(),
        vec![("Service", 1), ("Widget", 1)]
    );
    let host = result
        .file
        .diagnostics
        .iter()
        .find(|d| d.code == "K8S001")
        .expect("hostPID");
    assert_eq!(host.document, Some(2));
    assert_eq!(
        host.object_path.as_deref(),
        Some("spec.jobTemplate.spec.template.spec.hostPID")
    );
    let p = host.start.expect("position");
    assert_eq!((p.line, p.column), (18, 11));
    // A field that is missing is named in full and shown at its nearest
    // parent: the container's first line.
    let ro = result
        .file
        .diagnostics
        .iter()
        .find(|d| d.code == "K8S017")
        .expect("read-only root");
    assert_eq!(
        ro.object_path.as_deref(),
        Some("spec.jobTemplate.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem")
    );
    assert_eq!(ro.start.map(|p| (p.line, p.column)), Some((20, 13)));
    // No probes are asked of a CronJob's containers.
    assert!(!result.file.diagnostics.iter().any(|d| d.code == "K8S019"));
}

#[test]
fn json_and_lists_are_read() {
    let json = r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
   "spec": {"containers": [{"name": "c", "image": "x:latest", "securityContext": {"privileged": true}}]}}
]}"#;
    let result = lint(json, &Settings::default());
    let d = result
        .file
        .diagnostics
        .iter()
        .find(|d| d.code == "K8S002")
        .expect("privileged");
    assert_eq!(
        d.object_path.as_deref(),
        Some("items[0].spec.containers[0].securityContext.privileged")
    );
    assert_eq!(d.start.map(|p| p.line), Some(3));
    let tabs =
        "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Pod\",\n\t\"spec\": {\"containers\": []}\n}\n";
    let result = lint(tabs, &Settings::default());
    assert!(
        !result.file.diagnostics.iter().any(|d| d.code == "K8S000"),
        "{:?}",
        result.file.diagnostics
    );
    assert_eq!(result.objects, 1);
}

#[test]
fn templates_are_one_finding() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n";
    let result = lint(text, &Settings::default());
    assert_eq!(
        result.file.diagnostics.len(),
        1,
        "{:?}",
        result.file.diagnostics
    );
    let d = &result.file.diagnostics[0];
    assert_eq!(d.code, "K8S000");
    assert_eq!(d.severity, Severity::Error);
    assert!(d.message.contains("render it first"), "{}", d.message);
    assert!(d
        .help
        .as_deref()
        .unwrap_or_default()
        .contains("helm template"));
    assert_eq!(d.start.map(|p| (p.line, p.column)), Some((4, 9)));
    // Go templates inside strings of a rendered manifest are data.
    let rendered = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alerts\ndata:\n  a.tmpl: |\n    {{ define \"x\" }}{{ end }}\n  b: \"{{ .Labels }}\"\n  c: failed for {{ $labels.namespace }}/{{ $labels.pod }} at {{ $labels.host}}:{{ $labels.port }}\n";
    let result = lint(rendered, &Settings::default());
    assert!(
        result.file.diagnostics.is_empty(),
        "{:?}",
        result.file.diagnostics
    );
    assert_eq!(result.skipped.get("ConfigMap"), Some(&1));
    // A template that parses as YAML is still one.
    for text in [
        "apiVersion: v1\nkind: Service\nmetadata:\n  labels:\n    {{- include \"app.labels\" . | nindent 4 }}\n",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: \"{{ .Release.Name }}\"\n  labels: [{{ .Values.label }}]\n",
    ] {
        let result = lint(text, &Settings::default());
        let codes: Vec<&str> = result.file.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["K8S000"], "{text}");
    }
}

#[test]
fn malformed_yaml_is_a_finding_and_earlier_documents_are_checked() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers: []\n---\nkind: [oops\n";
    let result = lint(text, &Settings::default());
    let codes: Vec<&str> = result.file.diagnostics.iter().map(|d| d.code).collect();
    assert!(
        codes.contains(&"K8S000") && codes.contains(&"K8S001"),
        "{codes:?}"
    );
    let bad = result
        .file
        .diagnostics
        .iter()
        .find(|d| d.code == "K8S000")
        .expect("syntax");
    assert_eq!(bad.start.map(|p| p.line), Some(9));
    assert_eq!(bad.document, Some(2));
    for junk in [
        "\u{0}\u{1}",
        "a: b: c",
        "- [",
        "{{{{",
        "key: \"unterminated",
        "\t- x",
    ] {
        let _ = lint(junk, &Settings::default());
    }
}

#[test]
fn suppression_comments() {
    let text = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  # envelope: ignore=K8S001 the node exporter needs the host network
  hostNetwork: true
  hostPID: true   # envelope: ignore=K8S001
  hostIPC: true
  containers:
  # envelope: ignore=K8S002,K8S017
  - name: a
    image: x@sha256:0000000000000000000000000000000000000000000000000000000000000000
    securityContext:
      privileged: true
  - name: b
    image: x@sha256:0000000000000000000000000000000000000000000000000000000000000000
    securityContext:
      privileged: true
";
    let settings = only_codes(&["K8S001", "K8S002", "K8S017"]);
    let found = codes_and_paths(text, &settings);
    assert_eq!(
        found,
        vec![
            "K8S001 spec.hostIPC",
            "K8S017 spec.containers[1].securityContext.readOnlyRootFilesystem",
            "K8S002 spec.containers[1].securityContext.privileged",
        ]
    );
    let file = format!("# envelope: ignore-file=K8S001,K8S002,K8S017\n{text}");
    assert!(lint(&file, &settings).file.diagnostics.is_empty());
    let typo = format!("# envelope: ignore=K8S999\n{text}");
    assert!(kubernetes::lint("m.yaml", typo.as_bytes(), &settings).is_err());
}

#[test]
fn what_is_a_manifest() {
    assert!(is_manifest_text("---\n# Source: x\napiVersion: v1\n"));
    assert!(is_manifest_text("# c\napiVersion: v1\nkind: Pod\n"));
    assert!(is_manifest_text("{\"kind\": \"Pod\"}"));
    assert!(!is_manifest_text(
        "# syntax=docker/dockerfile:1\nFROM golang:1.23\n"
    ));
    assert!(!is_manifest_text("FROM scratch\n"));
    assert!(!is_manifest_text(""));
    assert!(mentions_object("apiVersion: v1\nkind: Pod\n"));
    assert!(mentions_object(
        "{\n  \"apiVersion\": \"v1\", \"kind\": \"Pod\"}"
    ));
    assert!(mentions_object(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n"
    ));
    // A CI workflow that writes a manifest in a script is not one.
    assert!(!mentions_object(
        "on: push\njobs:\n  deploy:\n    steps:\n    - run: |\n        cat <<EOF\n        apiVersion: v1\n        kind: Namespace\n        EOF\n        echo ${{ github.sha }}\n"
    ));
    assert!(!mentions_object("name: ci\non: push\n"));
    assert!(!mentions_object("{\"name\": \"x\", \"version\": \"1\"}"));
    let m = Manifest::read("a: 1\n---\nb: 2\n");
    assert_eq!((m.documents.len(), m.objects().len()), (2, 0));
}

#[test]
fn booleans_and_numbers_as_kubernetes_reads_them() {
    let text = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: yes
  hostPID: \"false\"
  securityContext: {runAsUser: 0x0}
  containers:
  - name: a
    securityContext: {privileged: on, runAsUser: 00}
    ports: [{containerPort: 80, hostPort: 0_0}]
";
    let found = codes_and_paths(text, &only_codes(&["K8S001", "K8S002", "K8S005", "K8S014"]));
    assert_eq!(
        found,
        vec![
            "K8S001 spec.hostNetwork",
            "K8S014 spec.securityContext.runAsUser",
            "K8S002 spec.containers[0].securityContext.privileged",
            "K8S014 spec.containers[0].securityContext.runAsUser",
        ]
    );
}

#[test]
fn merge_keys_count_as_set() {
    let text = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: &hardened
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: a
    securityContext:
      <<: *hardened
      privileged: yes
";
    let found = codes_and_paths(text, &only_codes(&["K8S002", "K8S013", "K8S015"]));
    assert_eq!(
        found,
        vec!["K8S002 spec.containers[0].securityContext.privileged"]
    );
    let text = text.replace(
        "  securityContext: &hardened\n",
        "  x-defaults: &hardened\n",
    );
    let found = codes_and_paths(&text, &only_codes(&["K8S013", "K8S015"]));
    assert!(found.is_empty(), "{found:?}");
}

/// Each fixable rule's `hits.yaml` with every fix applied (they are all
/// unsafe, so none without asking): the rule's fixable findings are gone,
/// the text reads back as the same documents with no error, and the edits
/// are one snapshot.
#[test]
fn fixable_rules_fix_their_hits_and_only_when_asked() {
    let mut failures = Vec::new();
    let mut snapshot = String::new();
    for rule in kube_rules().iter().filter(|r| r.info().fixable) {
        let code = rule.info().code;
        let path = dir().join(code).join("hits.yaml");
        let text = std::fs::read_to_string(&path).expect("hits fixture");
        let shown = format!("{code}/hits.yaml");
        let settings = only_codes(&[code]);
        let (same, _, none) =
            kubernetes::fix_with_images(&shown, text.as_bytes(), &settings, None).expect("fix");
        if none != 0 || same != text {
            failures.push(format!("{code}: an unsafe fix was applied without asking"));
        }
        let all = Settings {
            unsafe_fixes: true,
            ..settings
        };
        let (fixed, after, applied) =
            kubernetes::fix_with_images(&shown, text.as_bytes(), &all, None).expect("fix");
        if applied == 0 {
            failures.push(format!("{code}: fixable but nothing was fixed"));
        }
        let left: Vec<String> = after
            .file
            .diagnostics
            .iter()
            .filter(|d| d.fix.is_some())
            .map(line)
            .collect();
        if !left.is_empty() {
            failures.push(format!("{code}: fixable findings remain: {left:#?}"));
        }
        let (before, _) = envelope_yaml::parse_documents(&text);
        let (docs, error) = envelope_yaml::parse_documents(&fixed);
        if error.is_some() || docs.len() != before.len() {
            failures.push(format!("{code}: the fixed file reads back as {error:?}"));
        }
        snapshot.push_str(&format!("=== {code}\n"));
        for d in similar::TextDiff::from_lines(&text, &fixed)
            .unified_diff()
            .context_radius(1)
            .iter_hunks()
        {
            snapshot.push_str(&d.to_string());
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    insta::assert_snapshot!("kubernetes_fixed", snapshot);
}

/// A Deployment with nothing hardened, fixed with every rule: each
/// container and the pod get the one value each field has, in place,
/// comments and layout kept, in block YAML, flow YAML and JSON alike.
#[test]
fn an_unhardened_workload_is_hardened_by_its_fixes_in_every_style() {
    let all = Settings {
        unsafe_fixes: true,
        ..Settings::default()
    };
    let fixable: Vec<&str> = kube_rules()
        .iter()
        .map(|r| r.info())
        .filter(|i| i.fixable)
        .map(|i| i.code)
        .collect();
    let block = "# the API\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n      - name: api # main\n        image: example.com/api@sha256:0000000000000000000000000000000000000000000000000000000000000000\n        securityContext:\n          privileged: true\n          capabilities:\n            drop:\n            - NET_RAW\n      - name: side\n        image: example.com/side@sha256:0000000000000000000000000000000000000000000000000000000000000000\n        securityContext: {procMount: Unmasked, seccompProfile: {type: Unconfined}}\n";
    let json = r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
 "spec": {"containers": [{"name": "c", "image": "example.com/c@sha256:0000000000000000000000000000000000000000000000000000000000000000"}]}}
"#;
    for (name, text) in [("block.yaml", block), ("pod.json", json)] {
        let (fixed, after, applied) =
            kubernetes::fix_with_images(name, text.as_bytes(), &all, None).expect("fix");
        assert!(applied > 0, "{name}");
        let left: Vec<String> = after
            .file
            .diagnostics
            .iter()
            .filter(|d| fixable.contains(&d.code))
            .map(line)
            .collect();
        assert!(left.is_empty(), "{name}: {left:#?}\n{fixed}");
        insta::assert_snapshot!(format!("hardened-by-fixes-{name}"), fixed);
    }
}

#[test]
fn a_pods_platform_comes_from_its_node_selector_or_required_affinity() {
    let platform = |pod: &str| {
        let text = format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n{pod}  containers: [{{name: c, image: x}}]\n");
        let m = Manifest::read(&text);
        let o = m.objects().into_iter().next().expect("object");
        kubernetes::Workload::read(o).expect("workload").platform()
    };
    assert_eq!(platform(""), None);
    assert_eq!(
        platform("  nodeSelector: {kubernetes.io/arch: arm64}\n").as_deref(),
        Some("linux/arm64")
    );
    assert_eq!(
        platform("  nodeSelector: {kubernetes.io/os: windows, kubernetes.io/arch: amd64}\n")
            .as_deref(),
        Some("windows/amd64")
    );
    let terms = |a: &str, b: &str| {
        format!("  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions: [{{key: kubernetes.io/arch, operator: In, values: [{a}]}}]\n        - matchExpressions: [{{key: kubernetes.io/arch, operator: In, values: [{b}]}}]\n")
    };
    assert_eq!(
        platform(&terms("arm64", "arm64")).as_deref(),
        Some("linux/arm64")
    );
    // The node selector and the affinity must agree.
    let both = format!(
        "  nodeSelector: {{kubernetes.io/arch: amd64}}\n{}",
        terms("arm64", "arm64")
    );
    assert_eq!(platform(&both), None);
    // The pod's own OS field, and the beta labels.
    assert_eq!(
        platform("  os: {name: windows}\n  nodeSelector: {beta.kubernetes.io/arch: amd64}\n")
            .as_deref(),
        Some("windows/amd64")
    );
    // Either of two architectures, or two in one term: not pinned.
    assert_eq!(platform(&terms("arm64", "amd64")), None);
    assert_eq!(platform(&terms("arm64, amd64", "arm64")), None);
}

/// Fixes that could not be placed by position are not offered, and a
/// Windows pod is not asked for a read-only root it cannot have.
#[test]
fn aliased_containers_and_windows_pods_get_no_misplaced_fixes() {
    let all = Settings {
        unsafe_fixes: true,
        ..Settings::default()
    };
    // The second container is an alias of the first: a fix for it would
    // edit the first one's bytes.
    let aliased = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - &c\n    name: a\n    image: x@sha256:0000000000000000000000000000000000000000000000000000000000000000\n    securityContext: {privileged: true}\n  - *c\n";
    let r = lint(aliased, &only_codes(&["K8S002"]));
    // Both containers are the same bytes: one finding, and no fix.
    assert_eq!(r.file.diagnostics.len(), 1, "{:?}", r.file.diagnostics);
    assert!(r.file.diagnostics.iter().all(|d| d.fix.is_none()));
    let (fixed, _, n) =
        kubernetes::fix_with_images("m.yaml", aliased.as_bytes(), &all, None).expect("fix");
    assert_eq!((fixed.as_str(), n), (aliased, 0));

    let windows = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  os: {name: windows}\n  containers:\n  - name: a\n    image: x\n";
    assert!(lint(windows, &only_codes(&["K8S017"]))
        .file
        .diagnostics
        .is_empty());
}
