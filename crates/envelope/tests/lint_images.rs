//! `envelope lint --image-dir` end to end: the image-aware Kubernetes
//! rules (K8S023-K8S029) against images built by envelope (no shell, user
//! 65532, port 8080, a program that writes temporary files) and by
//! `buildah bud` (a busybox shell, root, an entrypoint only root can run),
//! saved as OCI layouts and named by digest and by tag; an image that
//! cannot be found; no image opened without the flag.

#![cfg(feature = "external-tools")]

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::registry::Registry;
use common::*;
use envelope_layer::{FileData, LayerBuilder};

const ZERO: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

fn lint(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let o = run(envelope(dir, &dir.join("cache"))
        .args(["lint", "--format", "json"])
        .args(args));
    assert!(
        matches!(code(&o), 0 | 1),
        "lint failed ({}): {}\n{}",
        code(&o),
        err(&o),
        out(&o)
    );
    (code(&o), json(&out(&o)))
}

/// The image-aware findings: `CODE object_path`, and the messages.
fn image_findings(v: &serde_json::Value) -> (Vec<String>, Vec<String>) {
    let mut found = Vec::new();
    let mut messages = Vec::new();
    for d in v["diagnostics"].as_array().expect("diagnostics") {
        let code = d["code"].as_str().unwrap_or_default();
        if ("K8S023".."K8S030").contains(&code) {
            found.push(format!(
                "{code} {}",
                d["object_path"].as_str().unwrap_or_default()
            ));
            messages.push(format!(
                "{code} {}",
                d["message"].as_str().unwrap_or_default()
            ));
        }
    }
    (found, messages)
}

fn deployment(name: &str, pod: &str, containers: &str) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n{pod}      containers:\n{containers}"
    )
}

/// examples/server built by envelope into `DIR/server` tagged v1,
/// declaring port 8080; its digest.
fn envelope_image(t: &Path, images: &Path) -> String {
    let src = t.join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    for entry in std::fs::read_dir(example("server")).expect("read") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, src.join(path.file_name().expect("name"))).expect("copy");
    }
    let layout = images.join("server");
    ok(envelope(&src, &t.join("cache"))
        .args(["build", "-q", "--port", "8080", "-o"])
        .arg(format!("oci:{}:v1", layout.display())));
    read_json(&layout.join("index.json"))["manifests"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string()
}

#[test]
fn an_envelope_image_checked_by_every_image_aware_rule() {
    let tmp = tempdir();
    let t = tmp.path();
    let images = t.join("images");
    let digest = envelope_image(t, &images);
    let by_digest = format!("registry.example.com/team/server@{digest}");
    let bad = deployment(
        "bad",
        "      securityContext:\n        runAsUser: 0\n",
        &format!(
            "      - name: app\n        image: {by_digest}\n        command: [/usr/local/bin/server-old]\n        ports:\n        - containerPort: 9090\n        securityContext:\n          readOnlyRootFilesystem: true\n        livenessProbe:\n          exec:\n            command: [sh, -c, 'wget -qO- localhost:8080/healthz']\n      - name: typo\n        image: registry.example.com/team/server@{ZERO}\n      - name: elsewhere\n        image: registry.example.com/team/gone:1\n"
        ),
    );
    // The image's own user, its port, /tmp writable, a network probe; by
    // tag, found as tag v1 of the layout in a directory named `server`.
    let good = deployment(
        "good",
        "      securityContext:\n        runAsUser: 65532\n        runAsGroup: 65532\n      volumes:\n      - name: tmp\n        emptyDir: {}\n",
        &format!(
            "      - name: app\n        image: {by_digest}\n        ports:\n        - containerPort: 8080\n        securityContext:\n          readOnlyRootFilesystem: true\n        volumeMounts:\n        - name: tmp\n          mountPath: /tmp\n        livenessProbe:\n          httpGet:\n            path: /healthz\n            port: 8080\n      - name: by-tag\n        image: registry.example.com/team/server:v1\n        ports:\n        - containerPort: 8080\n"
        ),
    );
    std::fs::write(t.join("bad.yaml"), &bad).expect("write");
    std::fs::write(t.join("good.yaml"), &good).expect("write");
    let dir = images.to_str().expect("utf-8");

    let (status, v) = lint(t, &["--image-dir", dir, "bad.yaml"]);
    assert_eq!(status, 1);
    let (found, messages) = image_findings(&v);
    let c = "spec.template.spec.containers";
    let want = [
        format!("K8S023 {c}[2].image"),
        format!("K8S024 {c}[0].livenessProbe.exec.command"),
        format!("K8S025 {c}[0].command"),
        "K8S026 spec.template.spec.securityContext.runAsUser".to_string(),
        format!("K8S027 {c}[0].securityContext.readOnlyRootFilesystem"),
        format!("K8S028 {c}[0].ports[0].containerPort"),
        format!("K8S029 {c}[1].image"),
    ];
    let mut sorted = found.clone();
    sorted.sort();
    assert_eq!(sorted, want, "{messages:#?}");
    let all = messages.join("\n");
    for text in [
        "no /bin/sh",
        "`/usr/local/bin/server-old`",
        "made to run as user 65532",
        "os.CreateTemp",
        "9090/tcp",
        "exposes 8080/tcp",
        "no layout under --image-dir holds",
        "could not look at `registry.example.com/team/gone:1`",
    ] {
        assert!(all.contains(text), "{text} in\n{all}");
    }
    // The other rules ran beside them.
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(codes.contains(&"K8S012"), "{codes:?}");

    let (_, v) = lint(t, &["--image-dir", dir, "good.yaml"]);
    let (found, messages) = image_findings(&v);
    assert!(found.is_empty(), "{messages:#?}");

    // A pod pinned to a platform is checked against that platform's
    // image: amd64 is the one built, arm64 is not in it.
    let arch = std::env::consts::ARCH
        .replace("x86_64", "amd64")
        .replace("aarch64", "arm64");
    let other = if arch == "amd64" { "arm64" } else { "amd64" };
    for (pinned, findings) in [(arch.as_str(), 0), (other, 1)] {
        let yaml = good.replace(
            "      securityContext:\n        runAsUser: 65532",
            &format!("      nodeSelector:\n        kubernetes.io/arch: {pinned}\n      securityContext:\n        runAsUser: 65532"),
        );
        std::fs::write(t.join("pinned.yaml"), &yaml).expect("write");
        let (_, v) = lint(t, &["--image-dir", dir, "pinned.yaml"]);
        let (found, messages) = image_findings(&v);
        assert_eq!(found.len(), findings * 2, "{pinned}: {messages:#?}");
        for m in &messages {
            assert!(
                m.starts_with("K8S023") && m.contains(&format!(" for linux/{pinned}`")),
                "{m}"
            );
        }
    }

    // A layout that cannot be read may hold the digest: not "does not
    // exist" then, but "could not look", naming the broken layout.
    let broken = images.join("broken");
    std::fs::create_dir_all(&broken).expect("mkdir");
    std::fs::write(
        broken.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("write");
    std::fs::write(broken.join("index.json"), "{").expect("write");
    let (_, v) = lint(t, &["--image-dir", dir, "bad.yaml"]);
    let (found, messages) = image_findings(&v);
    assert!(
        !found.iter().any(|f| f.starts_with("K8S029")),
        "{messages:#?}"
    );
    assert!(
        found.contains(&format!("K8S023 {c}[1].image")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("1 layout could not be read") && m.contains("broken")),
        "{messages:#?}"
    );
    std::fs::remove_dir_all(&broken).expect("rm");

    // Offline by default: without --image-dir no image is looked at (the
    // layout is not even read: moving it away changes nothing).
    std::fs::rename(&images, t.join("moved")).expect("move");
    let (_, v) = lint(t, &["bad.yaml"]);
    let (found, _) = image_findings(&v);
    assert!(found.is_empty(), "{found:?}");
    // A directory that is not there is envelope's failure: exit 2.
    let o = run(Command::new(env!("CARGO_BIN_EXE_envelope"))
        .current_dir(t)
        .args(["lint", "--image-dir", dir, "bad.yaml"]));
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(err(&o).contains("not a directory"), "{}", err(&o));
}

#[test]
fn a_buildah_image_with_a_shell() {
    require("buildah");
    require("podman");
    let tmp = tempdir();
    let t = tmp.path();
    let id = std::process::id();
    // A busybox base in podman's storage.
    let mut base = LayerBuilder::new(0);
    base.file(
        "bin/busybox",
        FileData::Bytes(Arc::new(busybox())),
        0o755,
        0,
        0,
    )
    .expect("busybox");
    for tool in ["sh", "chmod", "mkdir"] {
        base.symlink(&format!("bin/{tool}"), "busybox", 0, 0)
            .expect("symlink");
    }
    base.file(
        "etc/passwd",
        FileData::Bytes(Arc::new(b"root:x:0:0:root:/root:/bin/sh\n".to_vec())),
        0o644,
        0,
        0,
    )
    .expect("passwd");
    base.dir("tmp", 0o1777, 0, 0).expect("tmp");
    let base_image = assemble(
        vec![base],
        serde_json::json!({
            "architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/bin"]},
            "history": [{"created_by": "busybox base"}],
        }),
    );
    let base_ref = format!("localhost/envtest-lintbase:{id}");
    let base_tar = t.join("base.tar");
    envelope_oci::write_docker_archive(&base_tar, &base_image, Some(&base_ref)).expect("base");
    ok(podman().args(["load", "-q", "-i"]).arg(&base_tar));
    // An entrypoint only root may run.
    let ctx = t.join("ctx");
    std::fs::create_dir_all(&ctx).expect("ctx");
    std::fs::write(ctx.join("app"), "#!/bin/sh\necho hello\n").expect("app");
    std::fs::write(
        ctx.join("Dockerfile"),
        format!("FROM {base_ref}\nCOPY app /usr/local/bin/app\nRUN chmod 700 /usr/local/bin/app\nEXPOSE 8080\nENTRYPOINT [\"/usr/local/bin/app\"]\n"),
    )
    .expect("dockerfile");
    let tag = format!("localhost/envtest-lintshell:{id}");
    let root = repo_root();
    ok(Command::new("buildah")
        .env("CONTAINERS_CONF", root.join("tests/podman/containers.conf"))
        .env(
            "CONTAINERS_STORAGE_CONF",
            root.join("tests/podman/storage.conf"),
        )
        .args(["bud", "--pull=never", "-q", "-t", &tag, "-f"])
        .arg(ctx.join("Dockerfile"))
        .arg(&ctx));
    let layout = t.join("images/shell");
    std::fs::create_dir_all(t.join("images")).expect("mkdir");
    let pushed = run(podman()
        .args(["push", "-q", &tag])
        .arg(format!("oci:{}:1", layout.display())));
    let _ = run(podman().args(["rmi", "-f", &tag, &base_ref]));
    assert_eq!(code(&pushed), 0, "{}", err(&pushed));
    let digest = read_json(&layout.join("index.json"))["manifests"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string();

    let image = format!("registry.example.com/shell@{digest}");
    let yaml = deployment(
        "shell",
        "",
        &format!(
            "      - name: sh\n        image: {image}\n        ports:\n        - containerPort: 8080\n        readinessProbe:\n          exec:\n            command: [/bin/sh, -c, 'true']\n        livenessProbe:\n          exec:\n            command: [bash, -c, 'true']\n      - name: user\n        image: {image}\n        securityContext:\n          runAsUser: 1000\n      - name: root\n        image: {image}\n        securityContext:\n          runAsUser: 0\n"
        ),
    );
    std::fs::write(t.join("shell.yaml"), yaml).expect("write");
    let dir = t.join("images");
    let (_, v) = lint(
        t,
        &["--image-dir", dir.to_str().expect("utf-8"), "shell.yaml"],
    );
    let (mut found, messages) = image_findings(&v);
    found.sort();
    let c = "spec.template.spec.containers";
    assert_eq!(
        found,
        [
            format!("K8S024 {c}[0].livenessProbe.exec.command"),
            format!("K8S026 {c}[1].securityContext.runAsUser"),
        ],
        "{messages:#?}"
    );
    let all = messages.join("\n");
    // It has a shell, only not bash; user 1000 cannot run the entrypoint.
    assert!(
        all.contains("`bash`") && !all.contains("no /bin/sh"),
        "{all}"
    );
    assert!(
        all.contains("1000:0, which cannot read and execute `/usr/local/bin/app`")
            && all.contains("mode 0700"),
        "{all}"
    );
}

#[test]
fn registry_images_only_when_asked() {
    require("docker-registry");
    let tmp = tempdir();
    let t = tmp.path();
    let images = t.join("images");
    envelope_image(t, &images);
    let registry = Registry::start();
    let remote = format!("{}/team/server:v1", registry.addr);
    ok(envelope(t, &t.join("cache"))
        .args(["copy", "-q"])
        .arg(format!("oci:{}:v1", images.join("server").display()))
        .arg(&remote));
    let digest = remote_digest(&remote);
    let repo = format!("{}/team/server", registry.addr);
    let yaml = deployment(
        "api",
        "",
        &format!(
            "      - name: app\n        image: {repo}@{digest}\n        livenessProbe:\n          exec:\n            command: [sh, -c, 'true']\n      - name: typo\n        image: {repo}@{ZERO}\n"
        ),
    );
    std::fs::write(t.join("api.yaml"), yaml).expect("write");
    // Pulled from the registry: the shell it lacks, the digest it lacks
    // (the registry's 404).
    let (_, v) = lint(t, &["--images", "registry", "api.yaml"]);
    let (mut found, messages) = image_findings(&v);
    found.sort();
    let c = "spec.template.spec.containers";
    assert_eq!(
        found,
        [
            format!("K8S024 {c}[0].livenessProbe.exec.command"),
            format!("K8S029 {c}[1].image"),
        ],
        "{messages:#?}"
    );
    // Not asked: nothing is pulled.
    let (_, v) = lint(t, &["api.yaml"]);
    assert!(image_findings(&v).0.is_empty());
    // A registry that is gone: the image pulled before is read from the
    // cache by its digest; the other could not be looked at (info), which
    // is not "does not exist".
    drop(registry);
    let (_, v) = lint(t, &["--images", "registry", "api.yaml"]);
    let (mut found, messages) = image_findings(&v);
    found.sort();
    assert_eq!(
        found,
        [
            format!("K8S023 {c}[1].image"),
            format!("K8S024 {c}[0].livenessProbe.exec.command"),
        ],
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("could not look at") && m.contains("Connection refused")),
        "{messages:#?}"
    );
}
