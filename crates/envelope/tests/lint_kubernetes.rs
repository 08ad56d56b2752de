//! `envelope lint` on Kubernetes manifests through the real binary: a file
//! of several documents, standard input told apart from a Dockerfile by
//! its content, a directory walk that passes over YAML and JSON that are
//! not manifests, malformed YAML and a Helm template beside good files,
//! kinds without rules counted, and the JSON and SARIF (valid 2.1.0)
//! output carrying the document, the YAML path and the position.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::*;

fn lint_cmd(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_envelope"));
    cmd.current_dir(cwd).env("NO_COLOR", "1").arg("lint");
    cmd
}

fn fixture(path: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../envelope-lint/tests/kubernetes")
        .join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn with_stdin(cmd: &mut Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn envelope");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

/// A Service, a hardened Deployment, a Deployment on the host network
/// and a custom resource, as `helm template` prints them.
fn multi() -> String {
    let bad = fixture("K8S001/hits.yaml").replace("name: api\n", "name: exporter\n");
    format!(
        "---\n# Source: app/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  ports: [{{port: 80}}]\n---\n# Source: app/templates/deployment.yaml\n{}---\n# Source: app/templates/exporter.yaml\n{bad}---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: api\n",
        fixture("hardened.yaml")
    )
}

#[test]
fn a_multi_document_file_in_every_format() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("all.yaml"), multi()).expect("write");
    let o = run(lint_cmd(dir.path()).args(["--format", "json", "all.yaml"]));
    assert_eq!(code(&o), 1, "{}", err(&o));
    let v = json(&out(&o));
    let found = v["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(found.len(), 2, "{v:#}");
    let first = &found[0];
    assert_eq!(first["code"], "K8S001");
    assert_eq!(first["path"], "all.yaml");
    assert_eq!(first["document"], 3);
    assert_eq!(first["object_path"], "spec.template.spec.hostNetwork");
    let text = multi();
    let line = text
        .lines()
        .position(|l| l.trim() == "hostNetwork: true")
        .expect("line")
        + 1;
    assert_eq!(first["line"], line);
    assert_eq!(first["column"], 7);
    assert_eq!(v["summary"]["skipped"]["Service"], 1);
    assert_eq!(v["summary"]["skipped"]["ServiceMonitor"], 1);

    let human = run(lint_cmd(dir.path()).arg("all.yaml"));
    let shown = out(&human);
    assert!(
        shown.contains(&format!(
            "--> all.yaml:{line}:7 (document 3, spec.template.spec.hostNetwork)"
        )),
        "{shown}"
    );
    assert!(
        shown.contains("2 objects of kinds without rules skipped: Service 1, ServiceMonitor 1"),
        "{shown}"
    );

    let sarif = run(lint_cmd(dir.path()).args(["--format", "sarif", "all.yaml"]));
    let doc = json(&out(&sarif));
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json");
    let schema = json(&std::fs::read_to_string(&schema_path).expect("schema"));
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let result = &doc["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "K8S001");
    assert_eq!(
        result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "spec.template.spec.hostNetwork"
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        line
    );
    assert_eq!(result["properties"]["document"], 3);
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    let help = rules
        .iter()
        .find(|r| r["id"] == "K8S001")
        .and_then(|r| r["help"]["markdown"].as_str())
        .expect("K8S001 help")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(help.contains("baseline: \"Host Namespaces\""), "{help}");

    let github = out(&run(
        lint_cmd(dir.path()).args(["--format", "github", "all.yaml"])
    ));
    assert!(
        github.contains(&format!("::error file=all.yaml,line={line},col=7")),
        "{github}"
    );
}

#[test]
fn standard_input_is_a_manifest_or_a_dockerfile_by_its_content() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = with_stdin(
        lint_cmd(dir.path()).args(["--format", "json", "-"]),
        &multi(),
    );
    assert_eq!(code(&o), 1, "{}", err(&o));
    let v = json(&out(&o));
    assert_eq!(v["diagnostics"][0]["code"], "K8S001");
    assert_eq!(v["diagnostics"][0]["path"], "-");
    let o = with_stdin(
        lint_cmd(dir.path()).args(["--format", "json", "-"]),
        "FROM golang:latest\nRUN go build -o /app .\n",
    );
    let v = json(&out(&o));
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(codes.contains(&"DF002"), "{codes:?}");
    assert!(!codes.iter().any(|c| c.starts_with("K8S")), "{codes:?}");
    // A clean manifest on standard input exits 0.
    let o = with_stdin(lint_cmd(dir.path()).arg("-"), &fixture("hardened.yaml"));
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
}

#[test]
fn a_directory_walk_finds_manifests_beside_dockerfiles() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    for d in [
        "deploy",
        ".github/workflows",
        "chart/templates",
        "web",
        "node_modules/x",
    ] {
        std::fs::create_dir_all(root.join(d)).expect("mkdir");
    }
    std::fs::write(root.join("deploy/app.yaml"), multi()).expect("write");
    std::fs::write(root.join("deploy/ok.yml"), fixture("hardened.yaml")).expect("write");
    std::fs::write(
        root.join("deploy/pod.json"),
        r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"hostIPC": true, "containers": []}}"#,
    )
    .expect("write");
    // Not manifests: passed over without a word.
    std::fs::write(
        root.join(".github/workflows/ci.yml"),
        "name: ci\non: push\njobs: {}\n",
    )
    .expect("write");
    std::fs::write(
        root.join("web/package.json"),
        r#"{"name": "web", "version": "1.0.0"}"#,
    )
    .expect("write");
    std::fs::write(root.join("web/broken.yaml"), "a: [1\n").expect("write");
    std::fs::write(
        root.join("node_modules/x/pod.yaml"),
        "apiVersion: v1\nkind: Pod\nspec: {hostPID: true}\n",
    )
    .expect("write");
    // A template and a malformed manifest are findings; the others are
    // still linted.
    std::fs::write(
        root.join("chart/templates/deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"app.fullname\" . }}\n",
    )
    .expect("write");
    std::fs::write(
        root.join("deploy/bad.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {a: b\n",
    )
    .expect("write");
    std::fs::write(root.join("Dockerfile"), "FROM golang:latest\n").expect("write");

    let o = run(lint_cmd(root).args(["--format", "concise", "."]));
    assert_eq!(code(&o), 1, "{}", err(&o));
    let text = out(&o);
    let lines: Vec<&str> = text.lines().collect();
    let has = |prefix: &str, code: &str| {
        lines
            .iter()
            .any(|l| l.starts_with(prefix) && l.contains(&format!(": {code} ")))
    };
    assert!(has("deploy/app.yaml:", "K8S001"), "{text}");
    assert!(has("deploy/pod.json:1:", "K8S001"), "{text}");
    assert!(has("deploy/bad.yaml:", "K8S000"), "{text}");
    assert!(
        has("chart/templates/deployment.yaml:4:9", "K8S000"),
        "{text}"
    );
    assert!(has("Dockerfile:", "DF002"), "{text}");
    for quiet in [
        "deploy/ok.yml",
        "ci.yml",
        "package.json",
        "broken.yaml",
        "node_modules",
    ] {
        assert!(!text.contains(quiet), "{quiet} reported:\n{text}");
    }
    assert!(err(&o).is_empty(), "{}", err(&o));
    // Only YAML that is not Kubernetes: nothing to lint, and said so.
    let o = run(lint_cmd(&root.join(".github")).arg("."));
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(err(&o).contains("no Kubernetes manifest"), "{}", err(&o));
    let json_out = json(&out(&run(lint_cmd(root).args(["--format", "json", "."]))));
    // Dockerfile, app.yaml, bad.yaml, ok.yml, pod.json, the template.
    assert_eq!(json_out["summary"]["files"], 6, "{json_out:#}");
    assert_eq!(json_out["summary"]["skipped"]["Service"], 1);
}

#[test]
fn selection_severities_and_suppressions_apply_to_manifests() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = fixture("K8S017/hits.yaml").replace(
        "          readOnlyRootFilesystem: false\n",
        "          # envelope: ignore=K8S017 writes its cache under /var/cache\n          readOnlyRootFilesystem: false\n",
    );
    std::fs::write(dir.path().join("app.yaml"), &text).expect("write");
    let o = run(lint_cmd(dir.path()).arg("app.yaml"));
    assert_eq!(code(&o), 0, "{}", out(&o));
    std::fs::write(dir.path().join("app.yaml"), fixture("K8S001/hits.yaml")).expect("write");
    let o = run(lint_cmd(dir.path()).args(["--ignore", "K8S001", "app.yaml"]));
    assert_eq!(code(&o), 0, "{}", out(&o));
    std::fs::write(
        dir.path().join("envelope.toml"),
        "[lint]\n[lint.severity]\nK8S001 = \"info\"\n",
    )
    .expect("write");
    let o = run(lint_cmd(dir.path()).args(["--format", "json", "app.yaml"]));
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(json(&out(&o))["diagnostics"][0]["severity"], "info");
    std::fs::write(
        dir.path().join("app.yaml"),
        "# envelope: ignore=K8S404\napiVersion: v1\nkind: Pod\n",
    )
    .expect("write");
    let o = run(lint_cmd(dir.path()).arg("app.yaml"));
    assert_eq!(code(&o), 2, "{}", out(&o));
    assert!(err(&o).contains("K8S404"), "{}", err(&o));
}

#[test]
fn rule_docs_name_the_upstream_checks() {
    let o = run(Command::new(env!("CARGO_BIN_EXE_envelope")).args(["rule", "K8S013"]));
    assert_eq!(code(&o), 0);
    let doc = out(&o);
    assert!(doc.contains("# K8S013 run-as-non-root-missing"), "{doc}");
    assert!(doc.contains("Running as Non-root"), "{doc}");
    let list = out(&run(
        Command::new(env!("CARGO_BIN_EXE_envelope")).args(["rules"])
    ));
    assert!(list.contains("K8S000") && list.contains("K8S022"), "{list}");
}

/// The fixable rules' codes, from `envelope rules --format json`.
fn fixable_codes() -> Vec<String> {
    let o = run(Command::new(env!("CARGO_BIN_EXE_envelope")).args(["rules", "--format", "json"]));
    let rules = json(&out(&o));
    rules
        .as_array()
        .expect("rules")
        .iter()
        .filter(|r| {
            r["fixable"] == true && r["code"].as_str().is_some_and(|c| c.starts_with("K8S"))
        })
        .filter_map(|r| r["code"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn fixes_harden_a_manifest_only_when_the_unsafe_ones_are_asked_for() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("app.yaml");
    let text = "# the API server\r\napiVersion: apps/v1\r\nkind: Deployment\r\nmetadata:\r\n  name: api\r\nspec:\r\n  template:\r\n    spec:\r\n      containers:\r\n      - name: api   # the one container\r\n        image: example.com/api@sha256:0000000000000000000000000000000000000000000000000000000000000000\r\n        securityContext:\r\n          allowPrivilegeEscalation: true\r\n";
    std::fs::write(&file, text).expect("write");

    // --fix alone: every Kubernetes fix is unsafe, so nothing changes and
    // the run says what it held back.
    let o = run(lint_cmd(dir.path()).args(["--fix", "app.yaml"]));
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert_eq!(std::fs::read_to_string(&file).expect("read"), text);
    assert!(err(&o).contains("--unsafe-fixes"), "{}", err(&o));

    // --diff shows them, marked, and writes nothing.
    let o = run(lint_cmd(dir.path()).args(["--diff", "app.yaml"]));
    assert!(
        out(&o).contains("+          allowPrivilegeEscalation: false"),
        "{}",
        out(&o)
    );
    assert!(out(&o).contains("unsafe"), "{}", out(&o));
    assert_eq!(std::fs::read_to_string(&file).expect("read"), text);

    // Standard input: the fixed text is the output.
    let o = with_stdin(
        lint_cmd(dir.path()).args(["--fix", "--unsafe-fixes", "-"]),
        text,
    );
    let piped = out(&o);

    let o = run(lint_cmd(dir.path()).args(["--fix", "--unsafe-fixes", "app.yaml"]));
    let fixed = std::fs::read_to_string(&file).expect("read");
    assert_eq!(fixed, piped, "{}", err(&o));
    assert!(err(&o).contains("fixed"), "{}", err(&o));
    // Only lines were added or rewritten: comments, CRLF line ends and
    // the layout stay.
    assert!(fixed.starts_with("# the API server\r\n"), "{fixed}");
    assert!(
        fixed.contains("- name: api   # the one container\r\n"),
        "{fixed}"
    );
    assert!(!fixed.replace("\r\n", "").contains('\n'), "{fixed:?}");
    for line in [
        "          allowPrivilegeEscalation: false\r\n",
        "          runAsNonRoot: true\r\n",
        "          seccompProfile:\r\n            type: RuntimeDefault\r\n",
        "          capabilities:\r\n            drop:\r\n            - ALL\r\n",
        "          readOnlyRootFilesystem: true\r\n",
        "      automountServiceAccountToken: false\r\n",
    ] {
        assert!(fixed.contains(line), "{line:?} in\n{fixed}");
    }
    // What is left has no fix, and no finding of a fixable rule is left.
    let o = run(lint_cmd(dir.path()).args(["--format", "json", "app.yaml"]));
    let report = json(&out(&o));
    let fixable = fixable_codes();
    assert!(fixable.contains(&"K8S012".to_string()), "{fixable:?}");
    for d in report["diagnostics"].as_array().expect("diagnostics") {
        let c = d["code"].as_str().unwrap_or_default().to_string();
        assert!(!fixable.contains(&c) && d["fix"].is_null(), "{d}");
    }
}

/// Every real manifest of the corpus fixed with every fix: the fixable
/// findings are gone, each file reads back as the same documents, and
/// each file the Kubernetes schemas accepted before they accept after.
#[cfg(feature = "external-tools")]
#[test]
fn fixed_real_manifests_keep_their_documents_and_pass_the_schemas() {
    let corpus = repo_root().join("tests/fixtures/kubernetes-corpus");
    let dir = tempdir();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&corpus).expect("corpus") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json") {
            std::fs::copy(&path, dir.path().join(&name)).expect("copy");
            files.push(name);
        }
    }
    files.sort();
    assert!(files.len() >= 20, "{files:?}");
    let validates = |path: &Path| {
        Command::new(peer("kubernetes-validate"))
            .arg("--strict")
            .arg(path)
            .output()
            .expect("kubernetes-validate runs")
            .status
            .success()
    };
    let before: Vec<bool> = files
        .iter()
        .map(|f| validates(&dir.path().join(f)))
        .collect();
    let o = run(lint_cmd(dir.path()).args(["--isolated", "--fix", "--unsafe-fixes", "."]));
    assert_eq!(code(&o), 1, "findings without fixes remain: {}", err(&o));
    let o = run(lint_cmd(dir.path()).args(["--isolated", "--format", "json", "."]));
    let report = json(&out(&o));
    let left: Vec<String> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| !d["fix"].is_null())
        .map(|d| format!("{} {}:{} {}", d["code"], d["path"], d["line"], d["message"]))
        .collect();
    // The corpus has no aliased or merged security contexts, so no
    // finding with a fix is left (K8S016's added capabilities have none).
    assert!(left.is_empty(), "{left:#?}");
    let mut changed = 0;
    for (f, ok) in files.iter().zip(before) {
        let original = std::fs::read_to_string(corpus.join(f)).expect("read");
        let fixed = std::fs::read_to_string(dir.path().join(f)).expect("read");
        let (a, _) = documents(&original);
        let (b, error) = documents(&fixed);
        assert_eq!((a, None), (b, error.clone()), "{f}: {error:?}");
        changed += usize::from(original != fixed);
        if ok {
            assert!(
                validates(&dir.path().join(f)),
                "{f} validated before the fixes, not after"
            );
        }
    }
    assert!(changed >= 15, "{changed} files changed");
}

/// How many documents a text holds, and the error that ended the reading.
#[cfg(feature = "external-tools")]
fn documents(text: &str) -> (usize, Option<String>) {
    let (docs, error) = envelope_yaml::parse_documents(text);
    (docs.len(), error.map(|e| e.to_string()))
}
