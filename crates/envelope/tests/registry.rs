//! Pushes, pulls, copies and credentials against a real registry, checked
//! by skopeo and podman.

#![cfg(feature = "external-tools")]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::registry::Registry;
use common::*;

fn push_hello(
    reg: &Registry,
    repo_tag: &str,
    extra: &[&str],
) -> (tempfile::TempDir, serde_json::Value, String) {
    let tmp = tempdir();
    let out = run(envelope(&example("hello"), &tmp.path().join("cache"))
        .args(["build", "--format", "json", "-v", "-o"])
        .arg(format!("docker://{}/{repo_tag}", reg.addr))
        .args(extra));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "push failed:\n{stderr}");
    let report = json(&String::from_utf8_lossy(&out.stdout));
    (tmp, report, stderr)
}

#[test]
fn build_pushes_to_a_registry_and_podman_runs_it() {
    let reg = Registry::start();
    let (_tmp, report, _) = push_hello(&reg, "test/hello:v1", &["--tag", "v2"]);
    let img = &report["images"][0];
    let digest = img["digest"].as_str().expect("digest");
    assert_eq!(
        img["outputs"][0].as_str(),
        Some(format!("{}/test/hello:v1@{digest}", reg.addr).as_str())
    );
    for tag in ["v1", "v2"] {
        let inspect = json(&skopeo(&[
            "inspect",
            "--tls-verify=false",
            &format!("docker://{}/test/hello:{tag}", reg.addr),
        ]));
        assert_eq!(inspect["Digest"].as_str(), Some(digest), "{tag}");
    }
    let out = ok(podman()
        .args(["run", "--rm", "--tls-verify=false"])
        .arg(format!("{}/test/hello:v1", reg.addr)));
    let _ = podman()
        .args(["rmi", "-f"])
        .arg(format!("{}/test/hello:v1", reg.addr))
        .output();
    assert!(out.contains("hello uid=65532 gid=65532"), "{out}");
}

#[test]
fn an_unchanged_re_push_uploads_nothing() {
    let reg = Registry::start();
    let (_t1, first, err1) = push_hello(&reg, "test/again:v1", &[]);
    assert_eq!(
        err1.matches("pushed   sha256:").count(),
        3,
        "config + 2 layers:\n{err1}"
    );
    let (_t2, second, err2) = push_hello(&reg, "test/again:v1", &[]);
    assert_eq!(err2.matches("pushed   sha256:").count(), 0, "{err2}");
    assert_eq!(err2.matches("exists   sha256:").count(), 3, "{err2}");
    // One HEAD per blob and per manifest; nothing sent.
    assert!(
        err2.contains("requests: 4 HEAD, 0 GET, 0 PUT, 0 POST") && err2.contains("0 B uploaded"),
        "{err2}"
    );
    assert_eq!(first["images"][0]["digest"], second["images"][0]["digest"]);
}

#[test]
fn multi_platform_push_digest_and_copy_round_trip() {
    let reg = Registry::start();
    let (tmp, report, _) = push_hello(
        &reg,
        "test/multi:v1",
        &["--platform", "linux/amd64,linux/arm64"],
    );
    let digest = report["images"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    let remote = format!("docker://{}/test/multi:v1", reg.addr);
    let raw = json(&skopeo(&[
        "inspect",
        "--tls-verify=false",
        "--raw",
        &remote,
    ]));
    assert_eq!(index_arches(&raw), ["amd64", "arm64"]);
    let cache = tmp.path().join("cache");
    let got = ok(envelope(tmp.path(), &cache).args(["digest", &remote]));
    assert_eq!(got.trim(), digest);

    // Registry → layout → another repository: the digest never changes.
    let layout = tmp.path().join("copied");
    let out = ok(envelope(tmp.path(), &cache)
        .args(["copy", &remote])
        .arg(format!("oci:{}:c", layout.display())));
    assert!(out.trim().ends_with(&digest), "{out}");
    let got = ok(envelope(tmp.path(), &cache)
        .args(["digest"])
        .arg(format!("oci:{}:c", layout.display())));
    assert_eq!(got.trim(), digest);
    let back = format!("{}/other/multi:v9", reg.addr);
    let out = ok(envelope(tmp.path(), &cache)
        .arg("copy")
        .arg(format!("oci:{}:c", layout.display()))
        .arg(&back));
    assert_eq!(out.trim(), format!("{back}@{digest}"));
    let inspect = json(&skopeo(&[
        "inspect",
        "--tls-verify=false",
        "--override-arch",
        "arm64",
        &format!("docker://{back}"),
    ]));
    assert_eq!(inspect["Architecture"], "arm64");
}

/// One opening path: `--platform` means the same from every transport.
/// `copy --platform` once copied a local source whole whatever it named,
/// and `inspect --platform linux/arm64/v8` failed on `docker://` only.
#[test]
fn platform_is_honoured_from_every_transport() {
    let reg = Registry::start();
    let (tmp, report, _) = push_hello(
        &reg,
        "test/plat:v1",
        &["--platform", "linux/amd64,linux/arm64"],
    );
    let index_digest = report["images"][0]["digest"].as_str().expect("digest");
    let remote = format!("docker://{}/test/plat:v1", reg.addr);
    let raw = json(&skopeo(&[
        "inspect",
        "--tls-verify=false",
        "--raw",
        &remote,
    ]));
    let arm64 = raw["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .find(|m| m["platform"]["architecture"] == "arm64")
        .and_then(|m| m["digest"].as_str())
        .expect("arm64 manifest")
        .to_string();
    let cache = tmp.path().join("cache");
    let env = || envelope(tmp.path(), &cache);
    let dir = tmp.path();
    let layout = format!("oci:{}:v1", dir.join("multi").display());
    ok(env().args(["copy", &remote, &layout]));
    let oci_archive = format!("oci-archive:{}:v1", dir.join("multi-oci.tar").display());
    ok(env().args(["copy", &remote, &oci_archive]));
    let docker_archive = format!(
        "docker-archive:{}:example.com/plat:v1",
        dir.join("multi-docker.tar").display()
    );
    ok(env().args(["copy", &remote, &docker_archive]));
    for (i, source) in [&remote, &layout, &oci_archive, &docker_archive]
        .into_iter()
        .enumerate()
    {
        // A platform the image lacks: an error, and nothing written.
        let out = dir.join(format!("none{i}"));
        let err = fails(
            env()
                .args(["copy", "--platform", "linux/s390x", source])
                .arg(format!("oci:{}:v1", out.display())),
        );
        assert!(
            err.contains("no linux/s390x platform") && err.contains("linux/amd64, linux/arm64"),
            "{source}: {err}"
        );
        assert!(!out.exists(), "{source}: {} written", out.display());
        // inspect names the variant the same way everywhere; a
        // docker-archive holds uncompressed layers, so its manifests have
        // digests of their own.
        let inspect = json(&ok(env().args([
            "inspect",
            "--format",
            "json",
            "--platform",
            "linux/arm64/v8",
            source,
        ])));
        let expected = inspect["manifest_digest"]
            .as_str()
            .expect("digest")
            .to_string();
        if !source.starts_with("docker-archive:") {
            assert_eq!(expected, arm64, "{source}");
        }
        // One platform: its manifest alone, by its own digest.
        let one_dir = dir.join(format!("one{i}"));
        let one = format!("oci:{}:v1", one_dir.display());
        let printed = ok(env()
            .args(["copy", "--platform", "linux/arm64/v8", source])
            .arg(&one));
        assert!(printed.trim().ends_with(&expected), "{source}: {printed}");
        let got = ok(env().args(["digest", &one]));
        assert_eq!(got.trim(), expected, "{source}");
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(one_dir.join("index.json")).expect("index.json"))
                .expect("json");
        assert_eq!(
            index["manifests"][0]["mediaType"], "application/vnd.oci.image.manifest.v1+json",
            "{source}: {index}"
        );
        // Without --platform the whole index is copied.
        let whole = format!("oci:{}:v1", dir.join(format!("whole{i}")).display());
        let printed = ok(env().args(["copy", source, &whole]));
        if !source.starts_with("docker-archive:") {
            assert!(
                printed.trim().ends_with(index_digest),
                "{source}: {printed}"
            );
        }
        let arches = ok(env().args(["inspect", "--platform", "linux/amd64", &whole]));
        assert!(!arches.is_empty(), "{source}");
    }
}

#[test]
fn unknown_images_and_platforms_are_clear_errors() {
    let reg = Registry::start();
    let tmp = tempdir();
    let cache = tmp.path().join("cache");
    let err =
        fails(envelope(tmp.path(), &cache).args(["digest", &format!("{}/no/such:v1", reg.addr)]));
    assert!(err.contains("does not exist"), "{err}");
    let err = fails(envelope(tmp.path(), &cache).args([
        "copy",
        &format!("{}/no/such:v1", reg.addr),
        "oci:out",
    ]));
    assert!(
        err.contains("HTTP 404") && err.contains("MANIFEST_UNKNOWN"),
        "{err}"
    );
    assert!(!tmp.path().join("out").exists());
    push_hello(&reg, "test/one:v1", &[]);
    let err = fails(envelope(tmp.path(), &cache).args([
        "copy",
        "--platform",
        "linux/s390x",
        &format!("{}/test/one:v1", reg.addr),
        "oci:out",
    ]));
    // The same words as from a local layout: one platform matcher.
    assert!(
        err.contains("image is for linux/amd64, not for linux/s390x")
            && err.contains(&format!("{}/test/one:v1", reg.addr))
            && !err.contains("cache"),
        "{err}"
    );
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn basic_auth_login_push_logout_and_no_secret_in_output() {
    let password = "s3cret-Pa55word";
    let reg = Registry::start_with(Some(("alice", password)));
    let tmp = tempdir();
    let cache = tmp.path().join("cache");
    let docker_config = tmp.path().join("docker");
    let target = format!("docker://{}/secure/hello:v1", reg.addr);
    let with_config = |cmd: &mut Command| {
        cmd.env("DOCKER_CONFIG", &docker_config)
            .env_remove("REGISTRY_AUTH_FILE")
            .env_remove("XDG_RUNTIME_DIR");
    };

    // No credentials: a clear failure naming the way out.
    let mut cmd = envelope(&example("hello"), &cache);
    with_config(&mut cmd);
    let err = fails(cmd.args(["build", "-q", "-o", &target]));
    assert!(
        err.contains("authentication failed") && err.contains("envelope login"),
        "{err}"
    );

    // Wrong password: login refuses and stores nothing.
    let login = |pw: &str| {
        let mut cmd = envelope(tmp.path(), &cache);
        with_config(&mut cmd);
        let mut child = cmd
            .args(["login", &reg.addr, "-u", "alice", "--password-stdin", "-v"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{pw}\n").as_bytes())
            .expect("write");
        child.wait_with_output().expect("wait")
    };
    let bad = login("wrong");
    assert_eq!(bad.status.code(), Some(2));
    assert!(!docker_config.join("config.json").exists());

    let good = login(password);
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    let cfg = std::fs::read_to_string(docker_config.join("config.json")).expect("config.json");
    assert!(cfg.contains(&reg.addr));

    let mut cmd = envelope(&example("hello"), &cache);
    with_config(&mut cmd);
    let out = run(cmd.args(["build", "-v", "-o", &target]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for text in [
        &out.stdout,
        &out.stderr,
        &good.stdout,
        &good.stderr,
        &bad.stdout,
        &bad.stderr,
    ] {
        assert!(
            !String::from_utf8_lossy(text).contains(password),
            "the password leaked"
        );
    }
    let creds = format!("--creds=alice:{password}");
    let inspect = json(&skopeo(&["inspect", "--tls-verify=false", &creds, &target]));
    assert!(inspect["Digest"]
        .as_str()
        .is_some_and(|d| d.starts_with("sha256:")));

    let mut cmd = envelope(tmp.path(), &cache);
    with_config(&mut cmd);
    ok(cmd.args(["logout", &reg.addr]));
    assert!(!std::fs::read_to_string(docker_config.join("config.json"))
        .expect("config")
        .contains(&reg.addr));
}

#[test]
fn tls_registry_with_a_trusted_certificate() {
    let reg = Registry::start_tls();
    let cert = reg.cert.clone().expect("cert");
    let tmp = tempdir();
    let target = format!("docker://{}/tls/hello:v1", reg.addr);
    let out = ok(envelope(&example("hello"), &tmp.path().join("cache"))
        .args(["build", "-q", "-o", &target, "--registry-ca-file"])
        .arg(&cert));
    let cert_dir = cert.parent().expect("dir").display().to_string();
    let inspect = json(&skopeo(&["inspect", "--cert-dir", &cert_dir, &target]));
    // -q prints the pushed reference, usable as it is.
    let digest = inspect["Digest"].as_str().expect("digest");
    assert_eq!(
        out.trim(),
        format!("{}@{digest}", target.trim_start_matches("docker://"))
    );
    // Without the CA: refused, naming the certificate problem.
    let err = fails(envelope(tmp.path(), &tmp.path().join("cache")).args(["digest", &target]));
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    assert!(err.contains("hint: trust the registry's CA"), "{err}");
    // SSL_CERT_FILE works too, for digest.
    let got = ok(envelope(tmp.path(), &tmp.path().join("cache"))
        .env("SSL_CERT_FILE", &cert)
        .args(["digest", &target]));
    assert_eq!(got.trim(), digest);
}

mod faults {
    use std::sync::atomic::Ordering;

    use super::common::proxy::Proxy;
    use super::common::registry::Registry;
    use super::common::*;
    use super::push_hello;

    #[test]
    fn a_flipped_byte_is_caught_and_nothing_is_written() {
        let reg = Registry::start();
        push_hello(&reg, "test/flip:v1", &[]);
        let proxy = Proxy::start(&reg.addr);
        proxy.faults.flip_blobs.store(true, Ordering::SeqCst);
        let tmp = tempdir();
        let out = tmp.path().join("out");
        let err = fails(
            envelope(tmp.path(), &tmp.path().join("cache"))
                .env("ENVELOPE_RETRY_BACKOFF_MS", "5")
                .args(["copy", &format!("{}/test/flip:v1", proxy.addr)])
                .arg(format!("oci:{}", out.display())),
        );
        assert!(
            err.contains("expected sha256:") && err.contains("got sha256:"),
            "{err}"
        );
        assert!(
            err.contains(&format!("http://{}/v2/test/flip/blobs/sha256:", proxy.addr)),
            "names the URL: {err}"
        );
        assert!(!out.exists(), "nothing may be written from a tampered pull");
    }

    #[test]
    fn busy_registries_are_retried() {
        let reg = Registry::start();
        let proxy = Proxy::start(&reg.addr);
        for status in [503, 429] {
            proxy.faults.error_status.store(status, Ordering::SeqCst);
            proxy.faults.fail_first.store(3, Ordering::SeqCst);
            let tmp = tempdir();
            let out = ok(envelope(&example("hello"), &tmp.path().join("cache"))
                .env("ENVELOPE_RETRY_BACKOFF_MS", "5")
                .args([
                    "build",
                    "-q",
                    "-o",
                    &format!("{}/test/busy:{status}", proxy.addr),
                ]));
            assert_eq!(
                proxy.faults.fail_first.load(Ordering::SeqCst),
                0,
                "the faults were met"
            );
            let inspect = json(&skopeo(&[
                "inspect",
                "--tls-verify=false",
                &format!("docker://{}/test/busy:{status}", reg.addr),
            ]));
            let digest = inspect["Digest"].as_str().expect("digest");
            assert_eq!(
                out.trim(),
                format!("{}/test/busy:{status}@{digest}", proxy.addr)
            );
        }
    }

    #[test]
    fn an_upload_cut_midway_completes_on_retry() {
        let reg = Registry::start();
        let proxy = Proxy::start(&reg.addr);
        proxy.faults.cut_next_upload.store(true, Ordering::SeqCst);
        let tmp = tempdir();
        let out = ok(envelope(&example("hello"), &tmp.path().join("cache"))
            .env("ENVELOPE_RETRY_BACKOFF_MS", "5")
            .args(["build", "-q", "-o", &format!("{}/test/cut:v1", proxy.addr)]));
        assert!(
            !proxy.faults.cut_next_upload.load(Ordering::SeqCst),
            "an upload was cut"
        );
        // skopeo copies the whole image back: every blob is there and valid.
        let back = tmp.path().join("back");
        skopeo(&[
            "copy",
            "--src-tls-verify=false",
            &format!("docker://{}/test/cut:v1", reg.addr),
            &format!("oci:{}:x", back.display()),
        ]);
        let inspect = json(&skopeo(&["inspect", &format!("oci:{}:x", back.display())]));
        let digest = inspect["Digest"].as_str().expect("digest");
        assert_eq!(out.trim(), format!("{}/test/cut:v1@{digest}", proxy.addr));
    }
}

#[test]
fn bearer_token_flow_with_a_token_server() {
    use common::token::TokenServer;
    let password = "t0ken-Secret";
    let tokens = TokenServer::start("alice", password);
    let reg = Registry::start_config(None, false, &tokens.registry_config());
    let tmp = tempdir();
    let cache = tmp.path().join("cache");
    let docker_config = tmp.path().join("docker");
    std::fs::create_dir_all(&docker_config).expect("mkdir");
    let target = format!("docker://{}/bearer/hello:v1", reg.addr);

    // Anonymous: the token server refuses, and the error says so.
    let err = fails(
        envelope(&example("hello"), &cache)
            .env("DOCKER_CONFIG", &docker_config)
            .args(["build", "-q", "-o", &target]),
    );
    assert!(err.contains("authentication failed"), "{err}");

    let auth = common::registry::basic_config(&reg.addr, "alice", password);
    std::fs::write(docker_config.join("config.json"), auth).expect("config");
    let out = run(envelope(&example("hello"), &cache)
        .env("DOCKER_CONFIG", &docker_config)
        .args(["build", "--format", "json", "-v", "-o", &target]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains(password) && !String::from_utf8_lossy(&out.stdout).contains(password));
    assert!(tokens.issued.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    let report = json(&String::from_utf8_lossy(&out.stdout));
    let digest = report["images"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    let got = ok(envelope(tmp.path(), &cache)
        .env("DOCKER_CONFIG", &docker_config)
        .args(["digest", &target]));
    assert_eq!(got.trim(), digest);
}

#[test]
fn identity_tokens_are_exchanged_at_the_token_endpoint() {
    use common::token::TokenServer;
    let password = "t0ken-Secret";
    let tokens = TokenServer::start("alice", password);
    let reg = Registry::start_config(None, false, &tokens.registry_config());
    let tmp = tempdir();
    let cache = tmp.path().join("cache");
    let docker_config = tmp.path().join("docker");
    std::fs::create_dir_all(&docker_config).expect("mkdir");
    let target = format!("docker://{}/identity/hello:v1", reg.addr);
    let config = |token: &str| {
        serde_json::json!({"auths": {reg.addr.clone(): {"auth": "", "identitytoken": token}}})
            .to_string()
    };

    // A wrong identity token: refused, and never printed.
    let wrong = "refresh-not-the-one";
    std::fs::write(docker_config.join("config.json"), config(wrong)).expect("config");
    let err = fails(
        envelope(&example("hello"), &cache)
            .env("DOCKER_CONFIG", &docker_config)
            .args(["build", "-v", "-o", &target]),
    );
    assert!(err.contains("authentication failed"), "{err}");
    assert!(!err.contains(wrong), "{err}");

    let good = TokenServer::identity_token(password);
    std::fs::write(docker_config.join("config.json"), config(&good)).expect("config");
    let out = run(envelope(&example("hello"), &cache)
        .env("DOCKER_CONFIG", &docker_config)
        .args(["build", "-v", "-o", &target]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stderr.contains(&good) && !stdout.contains(&good),
        "{stderr}"
    );
    let prefix = format!("{}/identity/hello:v1@", reg.addr);
    let pushed = stdout
        .split(&prefix)
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {prefix} in {stdout}"));
    let inspect = json(&skopeo(&[
        "inspect",
        "--tls-verify=false",
        "--creds",
        &format!("alice:{password}"),
        &target,
    ]));
    assert_eq!(inspect["Digest"].as_str(), Some(pushed));
}

mod base {
    use super::common::registry::Registry;
    use super::common::*;
    use super::push_hello;

    /// Pushes the hello image as a base and returns (registry, base name, digest).
    fn base_image(reg: &Registry) -> (String, String) {
        let (_t, report, _) = push_hello(
            reg,
            "test/base:v1",
            &["--platform", "linux/amd64,linux/arm64"],
        );
        let digest = report["images"][0]["digest"]
            .as_str()
            .expect("digest")
            .to_string();
        (format!("{}/test/base", reg.addr), digest)
    }

    #[test]
    fn a_pinned_base_is_stacked_inherited_and_cached_for_offline_rebuilds() {
        let reg = Registry::start();
        let (name, digest) = base_image(&reg);
        let tmp = tempdir();
        let cache = tmp.path().join("cache");
        let layout = tmp.path().join("layout");
        let build = |extra: &[&str]| {
            json(&ok(envelope(&example("server"), &cache)
                .args([
                    "build",
                    "--format",
                    "json",
                    "--base",
                    &format!("{name}@{digest}"),
                    "-o",
                ])
                .arg(format!("oci:{}:b", layout.display()))
                .args(extra)))
        };
        let first = build(&["--ca-certs", "always"]);
        let img = layout_image(&layout, Some("b"), "amd64");
        let layers = img.manifest["layers"].as_array().expect("layers");
        // The base's two layers, then the CA layer and the app.
        assert_eq!(layers.len(), 4, "{}", img.manifest);
        let names: Vec<&str> = first["images"][0]["platforms"][0]["layers"]
            .as_array()
            .expect("l")
            .iter()
            .map(|l| l["name"].as_str().expect("n"))
            .collect();
        assert_eq!(names, ["ca-certificates", "app"]);
        assert_eq!(
            img.manifest["annotations"]["org.opencontainers.image.base.digest"].as_str(),
            Some(digest.as_str())
        );
        assert_eq!(
            img.manifest["annotations"]["org.opencontainers.image.base.name"].as_str(),
            Some(name.as_str())
        );
        assert_eq!(img.config["config"]["User"], "65532:65532");
        assert_eq!(
            img.config["rootfs"]["diff_ids"]
                .as_array()
                .expect("ids")
                .len(),
            4
        );
        let reference = format!("oci:{}:b", layout.display());
        let out = ok(podman().args(["run", "--rm", &reference, "selftest"]));
        assert!(
            out.contains("uid=65532") && out.contains("exists=/etc/ssl/certs/ca-certificates.crt"),
            "{out}"
        );

        // The registry goes away: the pinned base comes from the cache.
        drop(reg);
        let second = build(&["--ca-certs", "always"]);
        assert_eq!(first["images"][0]["digest"], second["images"][0]["digest"]);
    }

    #[test]
    fn an_unpinned_base_warns_and_can_be_refused() {
        let reg = Registry::start();
        let (name, digest) = base_image(&reg);
        let tmp = tempdir();
        let cache = tmp.path().join("cache");
        let out = run(envelope(&example("hello"), &cache)
            .args(["build", "-o"])
            .arg(format!("oci:{}/out", tmp.path().display()))
            .args(["--base", &format!("{name}:v1")]));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(
            stderr.contains("is not pinned") && stderr.contains(&digest),
            "{stderr}"
        );
        let err = fails(
            envelope(&example("hello"), &cache)
                .args([
                    "build",
                    "--require-pinned",
                    "--base",
                    &format!("{name}:v1"),
                    "-o",
                ])
                .arg(format!("oci:{}/out2", tmp.path().display())),
        );
        assert!(
            err.contains("not pinned by digest") && err.contains("hint:"),
            "{err}"
        );
        assert!(!tmp.path().join("out2").exists());
        let err = fails(
            envelope(&example("hello"), &cache)
                .args([
                    "build",
                    "--platform",
                    "linux/s390x",
                    "--base",
                    &format!("{name}@{digest}"),
                    "-o",
                ])
                .arg(format!("oci:{}/out3", tmp.path().display())),
        );
        assert!(
            err.contains("no manifest for platform linux/s390x")
                && err.contains("linux/amd64, linux/arm64"),
            "{err}"
        );
    }

    #[test]
    fn a_docker_schema2_base_makes_a_docker_schema2_image() {
        let reg = Registry::start();
        let tmp = tempdir();
        let cache = tmp.path().join("cache");
        let layout = tmp.path().join("hello-layout");
        ok(envelope(&example("hello"), &cache)
            .args(["build", "-q", "-o"])
            .arg(format!("oci:{}:h", layout.display())));
        skopeo(&[
            "copy",
            "--format",
            "v2s2",
            "--dest-tls-verify=false",
            &format!("oci:{}:h", layout.display()),
            &format!("docker://{}/test/dbase:v1", reg.addr),
        ]);
        let digest =
            ok(envelope(tmp.path(), &cache)
                .args(["digest", &format!("{}/test/dbase:v1", reg.addr)]))
            .trim()
            .to_string();
        let target = format!("{}/test/on-docker:v1", reg.addr);
        ok(envelope(&example("hello"), &cache).args([
            "build",
            "-q",
            "--base",
            &format!("{}/test/dbase@{digest}", reg.addr),
            "-o",
            &target,
        ]));
        let raw = json(&skopeo(&[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{target}"),
        ]));
        assert_eq!(
            raw["mediaType"],
            "application/vnd.docker.distribution.manifest.v2+json"
        );
        assert!(
            raw["layers"]
                .as_array()
                .expect("layers")
                .iter()
                .all(|l| l["mediaType"] == "application/vnd.docker.image.rootfs.diff.tar.gzip"),
            "{raw}"
        );
        assert_eq!(
            raw["config"]["mediaType"],
            "application/vnd.docker.container.image.v1+json"
        );
        let out = ok(podman().args(["run", "--rm", "--tls-verify=false", &target]));
        let _ = podman().args(["rmi", "-f", &target]).output();
        assert!(out.contains("hello uid=65532"), "{out}");
    }

    #[test]
    fn blobs_of_the_base_are_mounted_not_uploaded() {
        let reg = Registry::start();
        let (_t, report, _) = push_hello(&reg, "test/lender:v1", &[]);
        let digest = report["images"][0]["digest"]
            .as_str()
            .expect("digest")
            .to_string();
        let tmp = tempdir();
        let cache = tmp.path().join("cache");
        let out = run(envelope(&example("server"), &cache).args([
            "build",
            "-v",
            "--base",
            &format!("{}/test/lender@{digest}", reg.addr),
            "-o",
            &format!("{}/test/borrower:v1", reg.addr),
        ]));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert_eq!(
            stderr.matches("mounted  sha256:").count(),
            2,
            "the base's two layers:\n{stderr}"
        );
        assert_eq!(
            stderr.matches("pushed   sha256:").count(),
            2,
            "config and app:\n{stderr}"
        );

        let out = run(envelope(tmp.path(), &cache).args([
            "copy",
            &format!("{}/test/lender:v1", reg.addr),
            &format!("{}/test/copy:v1", reg.addr),
        ]));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert_eq!(stderr.matches("mounted  sha256:").count(), 3, "{stderr}");
        assert_eq!(stderr.matches("pushed   sha256:").count(), 0, "{stderr}");
    }
}

#[test]
fn pin_rewrites_dockerfiles_and_yaml_and_check_gates_ci() {
    let reg = Registry::start();
    let (_t, report, _) = push_hello(&reg, "test/pinme:v1", &[]);
    let digest = report["images"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    let image = format!("{}/test/pinme:v1", reg.addr);
    let tmp = tempdir();
    let cache = tmp.path().join("cache");
    let dockerfile = tmp.path().join("Dockerfile");
    let compose = tmp.path().join("compose.yaml");
    let df = format!("FROM {image} AS build\nRUN make\nFROM build AS again\nFROM scratch\n# FROM {image} stays a comment\nFROM --platform=linux/amd64 {image}\n");
    let yaml = format!(
        "services:\n  app:\n    image: \"{image}\"  # the app\n    ports: [\"8080:8080\"]\n"
    );
    std::fs::write(&dockerfile, &df).expect("write");
    std::fs::write(&compose, &yaml).expect("write");

    let out =
        run(envelope(tmp.path(), &cache).args(["pin", "--check", "Dockerfile", "compose.yaml"]));
    assert_eq!(
        out.status.code(),
        Some(1),
        "unpinned references fail the check"
    );
    let listed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(listed.lines().count(), 3, "{listed}");
    assert!(
        listed.contains("Dockerfile:1:")
            && listed.contains("Dockerfile:6:")
            && listed.contains("compose.yaml:3:"),
        "{listed}"
    );

    ok(envelope(tmp.path(), &cache).args(["pin", "Dockerfile", "compose.yaml"]));
    let pinned = format!("{image}@{digest}");
    assert_eq!(std::fs::read_to_string(&dockerfile).expect("read"), format!("FROM {pinned} AS build\nRUN make\nFROM build AS again\nFROM scratch\n# FROM {image} stays a comment\nFROM --platform=linux/amd64 {pinned}\n"));
    assert_eq!(
        std::fs::read_to_string(&compose).expect("read"),
        yaml.replace(&image, &pinned)
    );

    // Pinned references need no registry to pass the check.
    drop(reg);
    ok(envelope(tmp.path(), &cache).args(["pin", "--check", "Dockerfile", "compose.yaml"]));
    let err = fails(envelope(tmp.path(), &cache).args(["pin", "notes.txt"]));
    assert!(err.contains("not a Dockerfile"), "{err}");
}

#[test]
fn credentials_from_a_helper_and_from_registry_auth_file() {
    let password = "helper-Pa55";
    let reg = Registry::start_with(Some(("bob", password)));
    let tmp = tempdir();
    let cache = tmp.path().join("cache");

    // A docker-credential-* helper named by credHelpers.
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let helper = bin.join("docker-credential-envtest");
    std::fs::write(&helper, format!("#!/bin/sh\nread host\n[ \"$1\" = get ] || exit 1\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"bob\",\"Secret\":\"{password}\"}}' \"$host\"\n")).expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let docker = tmp.path().join("docker");
    std::fs::create_dir_all(&docker).expect("mkdir");
    std::fs::write(
        docker.join("config.json"),
        format!(r#"{{"credHelpers":{{"{}":"envtest"}}}}"#, reg.addr),
    )
    .expect("write");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = envelope(&example("hello"), &cache);
    cmd.env("DOCKER_CONFIG", &docker)
        .env("PATH", format!("{}:{path}", go_dir().display()))
        .env_remove("REGISTRY_AUTH_FILE");
    let out = run(cmd.args([
        "build",
        "-q",
        "-o",
        &format!("{}/helper/hello:v1", reg.addr),
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Podman's auth.json format, through REGISTRY_AUTH_FILE.
    let auth_file = tmp.path().join("auth.json");
    std::fs::write(
        &auth_file,
        common::registry::basic_config(&reg.addr, "bob", password),
    )
    .expect("write");
    let empty = tmp.path().join("empty-docker");
    let out = run(envelope(tmp.path(), &cache)
        .env("DOCKER_CONFIG", &empty)
        .env("REGISTRY_AUTH_FILE", &auth_file)
        .args(["digest", &format!("{}/helper/hello:v1", reg.addr)]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("sha256:"));
}

#[test]
fn large_blobs_go_up_in_chunks_even_when_a_chunk_is_cut() {
    use common::proxy::Proxy;
    use std::sync::atomic::Ordering;
    let reg = Registry::start();
    let proxy = Proxy::start(&reg.addr);
    proxy.faults.cut_next_upload.store(true, Ordering::SeqCst);
    let tmp = tempdir();
    let out = run(envelope(&example("hello"), &tmp.path().join("cache"))
        .env("ENVELOPE_UPLOAD_CHUNK", "100000")
        .env("ENVELOPE_RETRY_BACKOFF_MS", "5")
        .args([
            "build",
            "--format",
            "json",
            "-v",
            "-o",
            &format!("{}/test/chunked:v1", proxy.addr),
        ]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !proxy.faults.cut_next_upload.load(Ordering::SeqCst),
        "a chunk was cut"
    );
    // The app layer (~700 KB) took several PATCH requests.
    let puts: u64 = stderr
        .lines()
        .find_map(|l| l.split("GET, ").nth(1))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(puts > 5, "PUT+PATCH requests: {puts}\n{stderr}");
    let digest = json(&String::from_utf8_lossy(&out.stdout))["images"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    let back = tmp.path().join("back");
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        &format!("docker://{}/test/chunked:v1", reg.addr),
        &format!("oci:{}:x", back.display()),
    ]);
    let inspect = json(&skopeo(&["inspect", &format!("oci:{}:x", back.display())]));
    assert_eq!(inspect["Digest"].as_str(), Some(digest.as_str()));
}

#[test]
fn pushing_on_a_terminal_draws_bars_and_keeps_a_line_per_blob() {
    require("script");
    let reg = Registry::start();
    let tmp = tempdir();
    let cmd = format!(
        "{} build -o {}/test/tty:v1",
        env!("CARGO_BIN_EXE_envelope"),
        reg.addr
    );
    let out = ok(Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(example("hello"))
        .env(
            "PATH",
            format!(
                "{}:{}",
                go_dir().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("GOCACHE", gocache())
        .env("ENVELOPE_CACHE_DIR", tmp.path().join("cache"))
        .env("ENVELOPE_UPLOAD_CHUNK", "100000")
        .env("NO_COLOR", "1"));
    assert_eq!(out.matches("pushed   sha256:").count(), 3, "{out}");
    assert!(
        out.contains(&format!("{}/test/tty:v1@sha256:", reg.addr)),
        "{out}"
    );
}

mod crashes {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    use super::common::proxy::Proxy;
    use super::common::registry::Registry;
    use super::common::*;
    use super::push_hello;

    #[test]
    fn a_registry_that_lies_about_a_manifest_is_caught() {
        let reg = Registry::start();
        let (_t, report, _) = push_hello(&reg, "test/liar:v1", &[]);
        let digest = report["images"][0]["digest"]
            .as_str()
            .expect("digest")
            .to_string();
        let proxy = Proxy::start(&reg.addr);
        proxy.faults.flip_manifests.store(true, Ordering::SeqCst);
        let tmp = tempdir();
        let cache = tmp.path().join("cache");
        let err = fails(envelope(tmp.path(), &cache).args([
            "copy",
            &format!("{}/test/liar@{digest}", proxy.addr),
            "oci:out",
        ]));
        assert!(
            err.contains(&format!("expected {digest}")) && err.contains("got sha256:"),
            "{err}"
        );
        // A pinned base that arrives tampered leaves nothing unverified in the cache.
        proxy.faults.flip_manifests.store(false, Ordering::SeqCst);
        proxy.faults.flip_blobs.store(true, Ordering::SeqCst);
        let err = fails(
            envelope(&example("hello"), &cache)
                .args([
                    "build",
                    "--base",
                    &format!("{}/test/liar@{digest}", proxy.addr),
                    "-o",
                ])
                .arg(format!("oci:{}/out", tmp.path().display())),
        );
        assert!(
            err.contains("expected sha256:") && err.contains("got sha256:"),
            "{err}"
        );
        let blobs = cache.join("blobs/sha256");
        for entry in std::fs::read_dir(&blobs).into_iter().flatten() {
            let entry = entry.expect("entry");
            let bytes = std::fs::read(entry.path()).expect("read");
            let out = ok(std::process::Command::new("sha256sum").arg(entry.path()));
            assert!(
                out.starts_with(&entry.file_name().to_string_lossy().to_string()),
                "unverified bytes cached: {out} ({} bytes)",
                bytes.len()
            );
        }
        assert!(!tmp.path().join("out").exists());
    }

    #[test]
    fn a_registry_killed_mid_push_leaves_no_broken_manifest_and_a_rerun_completes() {
        let mut reg = Registry::start();
        let proxy = Proxy::start(&reg.addr);
        proxy.faults.delay_ms.store(15, Ordering::SeqCst);
        let tmp = tempdir();
        let cache = tmp.path().join("cache");
        let target = format!("{}/test/crash:v1", proxy.addr);
        let push = || {
            envelope(&example("hello"), &cache)
                .env("ENVELOPE_UPLOAD_CHUNK", "20000")
                .env("ENVELOPE_RETRY_BACKOFF_MS", "5")
                .args(["build", "-q", "-o", &target])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        };
        let mut child = push();
        let started = Instant::now();
        while proxy.faults.requests.load(Ordering::SeqCst) < 12 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the push made no progress"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        reg.kill();
        let status = child.wait().expect("wait");
        assert_eq!(
            status.code(),
            Some(2),
            "the push fails while the registry is down"
        );
        reg.restart();
        // Whatever the crash left, no tag points at an incomplete image.
        let direct = format!("docker://{}/test/crash:v1", reg.addr);
        let inspect = std::process::Command::new("skopeo")
            .args(["inspect", "--tls-verify=false", &direct])
            .output()
            .expect("skopeo");
        assert!(
            !inspect.status.success(),
            "no manifest was pushed before its blobs"
        );
        proxy.faults.delay_ms.store(0, Ordering::SeqCst);
        let out = push().wait_with_output().expect("rerun");
        assert!(out.status.success(), "the rerun completes");
        let back = tmp.path().join("back");
        skopeo(&[
            "copy",
            "--src-tls-verify=false",
            &direct,
            &format!("oci:{}:x", back.display()),
        ]);
        skopeo(&["inspect", &format!("oci:{}:x", back.display())]);
    }
}

#[test]
fn a_pull_cut_mid_blob_is_fetched_again() {
    use common::proxy::Proxy;
    use std::sync::atomic::Ordering;
    let reg = Registry::start();
    let (_t, report, _) = push_hello(&reg, "test/cutpull:v1", &[]);
    let digest = report["images"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    let proxy = Proxy::start(&reg.addr);
    proxy.faults.cut_next_blob.store(true, Ordering::SeqCst);
    let tmp = tempdir();
    let out = ok(envelope(tmp.path(), &tmp.path().join("cache"))
        .env("ENVELOPE_RETRY_BACKOFF_MS", "5")
        .args(["copy", &format!("{}/test/cutpull:v1", proxy.addr)])
        .arg(format!("oci:{}:x", tmp.path().join("out").display())));
    assert!(
        !proxy.faults.cut_next_blob.load(Ordering::SeqCst),
        "a blob was cut"
    );
    assert!(out.trim().ends_with(&digest), "{out}");
}

#[test]
fn an_unsupported_media_type_is_refused_before_anything_is_pushed() {
    let reg = Registry::start();
    let tmp = tempdir();
    let cache = tmp.path().join("cache");
    let layout = tmp.path().join("layout");
    ok(envelope(&example("hello"), &cache)
        .args(["build", "-q", "-o"])
        .arg(format!("oci:{}:odd", layout.display())));
    let index_path = layout.join("index.json");
    let index = std::fs::read_to_string(&index_path).expect("index");
    std::fs::write(
        &index_path,
        index.replace(
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.example.thing.v1+json",
        ),
    )
    .expect("write");
    let err = fails(
        envelope(tmp.path(), &cache)
            .arg("copy")
            .arg(format!("oci:{}:odd", layout.display()))
            .arg(format!("{}/test/odd:v1", reg.addr)),
    );
    assert!(
        err.contains("unsupported media type")
            && err.contains("application/vnd.example.thing.v1+json"),
        "{err}"
    );
    let probe = std::process::Command::new("skopeo")
        .args([
            "inspect",
            "--tls-verify=false",
            &format!("docker://{}/test/odd:v1", reg.addr),
        ])
        .output()
        .expect("skopeo");
    assert!(!probe.status.success(), "nothing was tagged");
}

/// crane and cosign, the peers teams check registries with, read what
/// envelope pushes: crane validates every blob of the image against its
/// manifest and config, its digest and manifest are envelope's, and cosign
/// finds the SBOM envelope attached (distribution 2.8 has no referrers API:
/// the `sha256-<hex>` tag schema).
#[test]
fn crane_and_cosign_read_what_envelope_pushes() {
    let crane = peer("crane");
    let cosign = peer("cosign");
    let reg = Registry::start();
    let tmp = tempdir();
    let out = run(envelope(&example("server"), &tmp.path().join("cache"))
        .args(["build", "--format", "json", "-o"])
        .arg(format!("{}/peers/server:v1", reg.addr)));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&String::from_utf8_lossy(&out.stdout));
    let image = &report["images"][0];
    let digest = image["digest"].as_str().expect("digest");
    let reference = format!("{}/peers/server:v1", reg.addr);

    let validated =
        ok(Command::new(&crane).args(["validate", "--insecure", "--remote", &reference]));
    assert!(validated.starts_with("PASS"), "{validated}");
    let crane_digest = ok(Command::new(&crane).args(["digest", "--insecure", &reference]));
    assert_eq!(crane_digest.trim(), digest);
    let manifest = json(&ok(Command::new(&crane).args([
        "manifest",
        "--insecure",
        &reference,
    ])));
    assert_eq!(
        manifest["config"]["digest"], image["platforms"][0]["config"],
        "{manifest:#}"
    );

    let sbom = &image["sboms"][0];
    assert_eq!(sbom["media_type"], "application/spdx+json");
    let sbom_digest = sbom["digest"].as_str().expect("sbom digest");
    let tree = ok(Command::new(&cosign).env("COSIGN_EXPERIMENTAL", "1").args([
        "tree",
        "--allow-http-registry",
        &reference,
    ]));
    assert!(
        tree.contains("application/spdx+json") && tree.contains(sbom_digest),
        "cosign does not see the SBOM {sbom_digest}:\n{tree}"
    );
}

/// Copies into one layout at once keep every image: eight writers over
/// three rounds once left about a third of the tags (exit 0 each time).
#[test]
fn concurrent_copies_into_one_layout_keep_every_tag() {
    let tmp = tempdir();
    let cache = tmp.path().join("cache");
    let good = format!("oci:{}:v1", tmp.path().join("good").display());
    ok(envelope(&example("hello"), &cache).args(["build", "-q", "-o", &good]));
    let layout = tmp.path().join("shared");
    for round in 0..3 {
        let children: Vec<_> = (0..8)
            .map(|i| {
                envelope(tmp.path(), &cache)
                    .args(["copy", "-q", &good])
                    .arg(format!("oci:{}:r{round}t{i}", layout.display()))
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().expect("wait");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let index = json(&std::fs::read_to_string(layout.join("index.json")).expect("index"));
    let entries = index["manifests"].as_array().expect("manifests");
    let tags = entries
        .iter()
        .filter(|d| d["annotations"]["org.opencontainers.image.ref.name"].is_string())
        .count();
    assert_eq!(tags, 24, "{index}");
    // The image's SBOM came along, once.
    let sboms = entries
        .iter()
        .filter(|d| d["artifactType"] == "application/spdx+json")
        .count();
    assert_eq!((entries.len(), sboms), (25, 1), "{index}");
}
