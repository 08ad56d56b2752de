//! `envelope manifest` end to end: manifests for an image envelope built
//! (its user, its declared port, the /tmp its program writes) checked by
//! the Kubernetes schemas (kubernetes-validate), kube-score and Checkov;
//! images assembled here that run as root or as a named user; a registry
//! image named by digest; bad input that writes nothing.

#![cfg(feature = "external-tools")]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::kubernetes;
use common::registry::Registry;
use common::*;
use envelope_layer::{FileData, LayerBuilder};

/// examples/server built by envelope into `oci:DIR:v1`, declaring port 8080.
fn built_server(t: &Path) -> String {
    let src = t.join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    for entry in std::fs::read_dir(example("server")).expect("read") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, src.join(path.file_name().expect("name"))).expect("copy");
    }
    let image = format!("oci:{}:v1", t.join("server").display());
    ok(envelope(&src, &t.join("cache")).args(["build", "-q", "--port", "8080", "-o", &image]));
    image
}

fn manifest(t: &Path, args: &[&str]) -> String {
    ok(envelope(t, &t.join("cache")).arg("manifest").args(args))
}

/// The objects of a multi-document YAML file, by kind, once the
/// Kubernetes schemas (strict: no unknown field) have accepted each.
fn kinds(yaml: &Path) -> Vec<String> {
    ok(std::process::Command::new(peer("kubernetes-validate"))
        .arg("--strict")
        .arg(yaml));
    std::fs::read_to_string(yaml)
        .expect("read")
        .lines()
        .filter_map(|l| l.strip_prefix("kind: "))
        .map(str::to_string)
        .collect()
}

/// kube-score's failed checks, as (kind, check id).
fn kube_score(yaml: &Path) -> Vec<(String, String)> {
    kubernetes::kube_score_failed(&kubernetes::kube_score_report(yaml))
        .into_iter()
        .map(|(kind, _, id)| (kind, id))
        .collect()
}

/// Checkov's failed Kubernetes checks, by id.
fn checkov(yaml: &Path) -> Vec<String> {
    kubernetes::checkov_failed_ids(&kubernetes::checkov_report(yaml))
}

#[test]
fn manifests_for_an_envelope_image_pass_the_schemas_kube_score_and_checkov() {
    let tmp = tempdir();
    let t = tmp.path();
    let image = built_server(t);
    let yaml = t.join("server.yaml");
    let all = [
        image.as_str(),
        "--image-ref",
        "registry.example.com/team/server",
        "--namespace",
        "shop",
        "--health-path",
        "/healthz",
        "--pdb",
        "--network-policy",
        "--service-account",
    ];
    let y = manifest(t, &[&all[..], &["-o", &yaml.to_string_lossy()]].concat());
    assert!(y.is_empty(), "-o writes the file, not stdout: {y}");
    let text = std::fs::read_to_string(&yaml).expect("written");
    assert_eq!(
        kinds(&yaml),
        [
            "ServiceAccount",
            "Deployment",
            "Service",
            "PodDisruptionBudget",
            "NetworkPolicy"
        ]
    );
    // What the image holds: its user, its port, the digest, /tmp.
    let digest = read_json(&t.join("server/index.json"))["manifests"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    for want in [
        format!("image: \"registry.example.com/team/server@{digest}\""),
        "runAsUser: 65532".to_string(),
        "containerPort: 8080".to_string(),
        "mountPath: /tmp".to_string(),
        "path: \"/healthz\"".to_string(),
    ] {
        assert!(text.contains(&want), "{want} in\n{text}");
    }
    assert!(!text.contains("NET_BIND_SERVICE"), "{text}");
    // kube-score: what envelope chooses otherwise on purpose (docs/kubernetes.md).
    assert_eq!(
        kube_score(&yaml),
        [
            (
                "Deployment".to_string(),
                "container-image-pull-policy".to_string()
            ),
            ("Deployment".to_string(), "pod-networkpolicy".to_string()),
        ]
    );
    assert_eq!(checkov(&yaml), Vec::<String>::new());
    // The same image, the same bytes.
    let again = manifest(t, &all);
    assert_eq!(again, text);
    // Without the flags, kube-score asks for what they add.
    let plain = t.join("plain.yaml");
    manifest(
        t,
        &[
            &image,
            "--image-ref",
            "r.example/server",
            "-o",
            &plain.to_string_lossy(),
        ],
    );
    let failed: Vec<String> = kube_score(&plain).into_iter().map(|(_, id)| id).collect();
    assert_eq!(
        failed,
        [
            "container-image-pull-policy",
            "deployment-has-poddisruptionbudget",
            "pod-networkpolicy",
            "pod-probes-identical"
        ]
    );
}

#[test]
fn a_registry_image_is_named_by_digest_and_resolve_leaves_envelope_references_for_later() {
    require("docker-registry");
    let tmp = tempdir();
    let t = tmp.path();
    let image = built_server(t);
    let registry = Registry::start();
    let remote = format!("{}/team/server:v1", registry.addr);
    ok(envelope(t, &t.join("cache")).args(["copy", "-q", &image, &remote]));
    let digest = remote_digest(&remote);
    let y = manifest(t, &[&remote]);
    assert!(
        y.contains(&format!(
            "image: \"{}/team/server@{digest}\"",
            registry.addr
        )),
        "{y}"
    );
    assert!(y.contains("name: server\n"), "the repository names it: {y}");
    let y = manifest(t, &[&image, "--image-ref", "envelope://./cmd/server"]);
    assert!(y.contains("image: \"envelope://./cmd/server\""), "{y}");
}

/// An image assembled here: `user` in its config, /etc/passwd and
/// /etc/group naming `app` (uid 1234, gid 2345), ports 443 and 53/udp.
fn assembled(t: &Path, user: &str) -> String {
    let mut files = LayerBuilder::new(0);
    let text = |s: &str| FileData::Bytes(Arc::new(s.as_bytes().to_vec()));
    files
        .file(
            "etc/passwd",
            text("root:x:0:0::/root:/sbin/nologin\napp:x:1234:2345::/:/sbin/nologin\n"),
            0o644,
            0,
            0,
        )
        .expect("passwd");
    files
        .file("etc/group", text("root:x:0:\napps:x:2345:\n"), 0o644, 0, 0)
        .expect("group");
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"User": user, "ExposedPorts": {"443/tcp": {}, "53/udp": {}}},
    });
    let image = assemble(vec![files], config);
    let name = if user.is_empty() { "root" } else { user };
    let dir: PathBuf = t.join(format!("img-{}", name.replace(':', "-")));
    envelope_oci::write_oci_layout(&dir, &image, Some("v1")).expect("layout");
    format!("oci:{}:v1", dir.display())
}

#[test]
fn users_ports_and_bad_input() {
    let tmp = tempdir();
    let t = tmp.path();
    // A named user and group, looked up in the image's files.
    let y = manifest(
        t,
        &[&assembled(t, "app:apps"), "--image-ref", "r.example/app"],
    );
    assert!(
        y.contains("runAsUser: 1234\n        runAsGroup: 2345"),
        "{y}"
    );
    assert!(
        y.contains("add:\n                - NET_BIND_SERVICE"),
        "443: {y}"
    );
    assert!(
        y.contains("containerPort: 53\n              protocol: UDP"),
        "{y}"
    );
    assert!(!y.contains("emptyDir"), "no program writes /tmp here: {y}");
    let yaml = t.join("app.yaml");
    std::fs::write(&yaml, &y).expect("write");
    kinds(&yaml);
    // The user alone: its group from /etc/passwd.
    let y = manifest(t, &[&assembled(t, "app"), "--image-ref", "r.example/app"]);
    assert!(
        y.contains("runAsUser: 1234\n        runAsGroup: 2345"),
        "{y}"
    );

    // Root: refused with a way out, and nothing written.
    let root = assembled(t, "");
    let out_file = t.join("root.yaml");
    let err = fails(envelope(t, &t.join("cache")).args([
        "manifest",
        &root,
        "--image-ref",
        "r.example/root",
        "-o",
        &out_file.to_string_lossy(),
    ]));
    assert!(
        err.contains("runs as root") && err.contains("--user"),
        "{err}"
    );
    assert!(!out_file.exists());
    let y = manifest(
        t,
        &[
            &root,
            "--image-ref",
            "r.example/root",
            "--user",
            "10001:10001",
        ],
    );
    assert!(y.contains("runAsUser: 10001"), "{y}");

    for (args, says) in [
        (vec![root.as_str()], "--image-ref"),
        (vec![&root, "--image-ref", "r.example/x", "--user", "0"], "non-root"),
        (vec![&root, "--image-ref", "r.example/x", "--user", "7", "--name", "Bad_Name"], "--name"),
        (vec![&root, "--image-ref", "r.example/x", "--user", "7", "--port", "http"], "not a port"),
        (
            vec![&root, "--image-ref", "r.example/x@sha256:0000000000000000000000000000000000000000000000000000000000000000", "--user", "7"],
            "leave the digest out",
        ),
        (vec![&root, "--image-ref", "r.example/x", "--user", "7", "--health-path", "healthz"], "--health-path"),
    ] {
        let err = fails(envelope(t, &t.join("cache")).arg("manifest").args(&args));
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn init_kubernetes_writes_manifests_that_resolve_builds_later() {
    let tmp = tempdir();
    let t = tmp.path();
    built_server(t);
    let src = t.join("src");
    let init = || {
        run(envelope(&src, &t.join("cache")).args([
            "init",
            "--kubernetes",
            "--port",
            "8080",
            "--health-path",
            "/healthz",
        ]))
    };
    let out = init();
    assert!(out.status.success(), "{out:?}");
    let yaml = src.join("deploy/server.yaml");
    let text = std::fs::read_to_string(&yaml).expect("deploy/server.yaml");
    assert!(
        text.contains("image: \"envelope://example.com/server\""),
        "{text}"
    );
    assert!(text.contains("containerPort: 8080"), "{text}");
    assert_eq!(
        kinds(&yaml),
        [
            "ServiceAccount",
            "Deployment",
            "Service",
            "PodDisruptionBudget",
            "NetworkPolicy"
        ]
    );
    // resolve would build that package and put it in the default repository.
    let listed = ok(envelope(&src, &t.join("cache"))
        .env("ENVELOPE_REPO", "registry.example.com/team")
        .args(["resolve", "--dry-run", "-f", "deploy/server.yaml"]));
    assert!(
        listed.contains("example.com/server -> registry.example.com/team/server"),
        "{listed}"
    );
    // Again: refused, the file kept.
    let again = init();
    assert_eq!(again.status.code(), Some(2), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&yaml).expect("kept"), text);
}
