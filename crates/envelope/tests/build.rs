//! `envelope build` and `envelope package` end to end: real Go builds, images
//! checked by skopeo and GNU tar, run by podman (and qemu for arm64).

#![cfg(feature = "external-tools")]

mod common;

use std::process::Command;

use common::*;

/// Builds `example` into `oci:<tmp>/layout:<tag>` and returns the temp dir.
fn build_example(
    example_name: &str,
    tag: &str,
    extra: &[&str],
) -> (tempfile::TempDir, serde_json::Value) {
    let tmp = tempdir();
    let layout = tmp.path().join("layout");
    let out = ok(envelope(&example(example_name), &tmp.path().join("cache"))
        .args(["build", "--format", "json", "-o"])
        .arg(format!("oci:{}:{tag}", layout.display()))
        .args(extra));
    (tmp, json(&out))
}

fn podman_run(image: &str, args: &[&str]) -> String {
    ok(podman().args(["run", "--rm", image]).args(args))
}

#[test]
fn server_image_is_minimal_non_root_and_runs() {
    let (tmp, report) = build_example("server", "v1", &["--port", "8080", "--arg", "--addr=:8080"]);
    let layout = tmp.path().join("layout");
    let img = &report["images"][0];
    assert_eq!(img["name"], "server");
    let plat = &img["platforms"][0];
    let layer_names: Vec<&str> = plat["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["name"].as_str().expect("name"))
        .collect();
    assert_eq!(layer_names, ["base", "ca-certificates", "tzdata", "app"]);
    assert_eq!(plat["binary"]["ca_certs"]["included"], true);
    assert_eq!(plat["binary"]["tzdata"]["included"], true);
    assert_hardened(&plat["hardening"], "server");

    // skopeo, an independent reader, agrees on the digest and the config.
    let reference = format!("oci:{}:v1", layout.display());
    let inspect = json(&skopeo(&["inspect", &reference]));
    assert_eq!(inspect["Digest"], img["digest"]);
    let config = json(&skopeo(&["inspect", "--config", &reference]));
    let c = &config["config"];
    assert_eq!(c["User"], "65532:65532");
    assert_eq!(c["WorkingDir"], "/home/nonroot");
    assert_eq!(
        c["Entrypoint"],
        serde_json::json!(["/usr/local/bin/server"])
    );
    assert_eq!(c["Cmd"], serde_json::json!(["--addr=:8080"]));
    assert!(c["ExposedPorts"].get("8080/tcp").is_some(), "{c}");
    let env: Vec<&str> = c["Env"]
        .as_array()
        .expect("env")
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    assert!(
        env.contains(&"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"),
        "{env:?}"
    );
    assert_eq!(c["Labels"]["org.opencontainers.image.title"], "server");
    assert!(config["history"]
        .as_array()
        .expect("history")
        .iter()
        .all(|h| h["created_by"]
            .as_str()
            .expect("created_by")
            .starts_with("envelope build")));

    // GNU tar accepts every layer, and ownership and modes are as designed.
    let image = layout_image(&layout, Some("v1"), "amd64");
    let listings: Vec<String> = image.layers.iter().map(|l| tar_list(l)).collect();
    let base = &listings[0];
    assert!(
        base.lines()
            .any(|l| l.starts_with("drwxrwxrwt 0/0") && l.ends_with(" tmp/")),
        "{base}"
    );
    assert!(
        base.lines()
            .any(|l| l.starts_with("drwx------ 65532/65532") && l.ends_with(" home/nonroot/")),
        "{base}"
    );
    assert!(base.contains(" etc/passwd"), "{base}");
    assert!(listings[1].contains(" etc/ssl/certs/ca-certificates.crt"));
    assert!(listings[2].contains(" usr/share/zoneinfo/Europe/Paris"));
    assert!(
        listings[3]
            .lines()
            .any(|l| l.starts_with("-rwxr-xr-x 0/0") && l.ends_with(" usr/local/bin/server")),
        "{}",
        listings[3]
    );
    for l in &listings {
        assert!(!l.contains("bin/sh"), "a shell in the image:\n{l}");
    }

    // And it runs: as 65532, with /tmp writable, certificates and zones found.
    let out = podman_run(&reference, &["selftest"]);
    assert!(out.contains("uid=65532 gid=65532"), "{out}");
    assert!(out.contains("cwd=/home/nonroot"), "{out}");
    assert!(out.contains("tmp=writable"), "{out}");
    let roots: usize = out
        .lines()
        .find_map(|l| l.strip_prefix("roots="))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no root count in {out}"));
    assert!(roots > 100, "{out}");
    assert!(out.contains("zone=Europe/Paris 14:00 CEST"), "{out}");
    assert!(!out.contains("exists=/bin/sh"), "{out}");
}

#[test]
fn hello_image_gets_neither_certificates_nor_zones() {
    let (tmp, report) = build_example("hello", "latest", &["--arg", "a", "--arg=-b"]);
    let plat = &report["images"][0]["platforms"][0];
    let names: Vec<&str> = plat["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["base", "app"]);
    assert_eq!(plat["binary"]["ca_certs"]["included"], false);
    assert_eq!(plat["binary"]["tzdata"]["included"], false);
    let reference = format!("oci:{}:latest", tmp.path().join("layout").display());
    let out = podman_run(&reference, &[]);
    assert!(out.contains("hello uid=65532 gid=65532"), "{out}");
    assert!(out.contains("tmp=writable"), "{out}");
    assert!(out.contains("exists=/etc/passwd"), "{out}");
    assert!(!out.contains("ca-certificates"), "{out}");
    assert!(!out.contains("zoneinfo"), "{out}");
    assert!(out.contains(r#"args=["a" "-b"]"#), "{out}");
    // Arguments after the image replace Cmd, as with any image.
    let out = podman_run(&reference, &["x"]);
    assert!(out.contains(r#"args=["x"]"#), "{out}");
}

#[test]
fn certificates_and_zones_can_be_forced_or_refused() {
    let (_tmp, report) = build_example(
        "hello",
        "t",
        &["--ca-certs", "always", "--tzdata", "always"],
    );
    let names: Vec<&str> = report["images"][0]["platforms"][0]["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["base", "ca-certificates", "tzdata", "app"]);
    let (_tmp, report) =
        build_example("server", "t", &["--ca-certs", "never", "--tzdata", "never"]);
    let names: Vec<&str> = report["images"][0]["platforms"][0]["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["base", "app"]);
}

#[test]
fn tzdata_layer_is_compact() {
    let (_tmp, report) = build_example("server", "t", &[]);
    let tz = report["images"][0]["platforms"][0]["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .find(|l| l["name"] == "tzdata")
        .expect("tzdata layer")
        .clone();
    let size = tz["size"].as_u64().expect("size");
    assert!(size < 450_000, "tzdata layer is {size} bytes");
}

#[test]
fn docker_archive_loads_and_runs_in_podman() {
    let tmp = tempdir();
    let archive = tmp.path().join("hello.tar");
    ok(envelope(&example("hello"), &tmp.path().join("cache"))
        .args(["build", "-q", "-o"])
        .arg(format!(
            "docker-archive:{}:envelope-test/hello:v1",
            archive.display()
        )));
    ok(Command::new("tar").arg("-tf").arg(&archive));
    let loaded = ok(podman().args(["load", "-i"]).arg(&archive));
    assert!(loaded.contains("envelope-test/hello:v1"), "{loaded}");
    let out = podman_run("localhost/envelope-test/hello:v1", &[]);
    let _ = podman()
        .args(["rmi", "-f", "localhost/envelope-test/hello:v1"])
        .output();
    assert!(out.contains("hello uid=65532 gid=65532"), "{out}");
}

#[test]
fn oci_archive_is_readable_by_skopeo() {
    let tmp = tempdir();
    let archive = tmp.path().join("hello-oci.tar");
    let digest = ok(envelope(&example("hello"), &tmp.path().join("cache"))
        .args(["build", "-q", "-o"])
        .arg(format!("oci-archive:{}:v2", archive.display())));
    let inspect = json(&skopeo(&[
        "inspect",
        &format!("oci-archive:{}:v2", archive.display()),
    ]));
    assert_eq!(inspect["Digest"].as_str(), Some(digest.trim()));
}

#[test]
fn multi_platform_build_writes_an_index_and_the_arm64_binary_runs_under_qemu() {
    require("qemu-aarch64-static");
    let (tmp, report) = build_example("hello", "multi", &["--platform", "linux/amd64,linux/arm64"]);
    let layout = tmp.path().join("layout");
    let img = &report["images"][0];
    assert_eq!(img["media_type"], "application/vnd.oci.image.index.v1+json");
    let raw = json(&skopeo(&[
        "inspect",
        "--raw",
        &format!("oci:{}:multi", layout.display()),
    ]));
    assert_eq!(index_arches(&raw), ["amd64", "arm64"]);
    let arm = json(&skopeo(&[
        "inspect",
        "--override-arch",
        "arm64",
        &format!("oci:{}:multi", layout.display()),
    ]));
    assert_eq!(arm["Architecture"], "arm64");

    // The base layers are the same blob for both platforms.
    let amd = layout_image(&layout, Some("multi"), "amd64");
    let arm = layout_image(&layout, Some("multi"), "arm64");
    assert_eq!(amd.manifest["layers"][0], arm.manifest["layers"][0]);
    assert_eq!(arm.config["architecture"], "arm64");

    let root = tmp.path().join("arm-root");
    std::fs::create_dir_all(&root).expect("mkdir");
    tar_extract(arm.layers.last().expect("app layer"), &root);
    let out = ok(Command::new("qemu-aarch64-static")
        .arg(root.join("usr/local/bin/hello"))
        .arg("from-qemu"));
    assert!(out.contains("hello uid="), "{out}");
    assert!(out.contains(r#"args=["from-qemu"]"#), "{out}");
}

#[test]
fn builds_are_reproducible_across_directories_and_caches() {
    let mut digests = Vec::new();
    let mut layouts = Vec::new();
    for _ in 0..2 {
        let tmp = tempdir();
        let src = tmp.path().join("src");
        copy_dir(&example("hello"), &src);
        let layout = tmp.path().join("layout");
        let out = ok(envelope(&src, &tmp.path().join("cache"))
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args(["build", "-q", "-o"])
            .arg(format!("oci:{}:r", layout.display())));
        digests.push(out.trim().to_string());
        layouts.push((tmp, layout));
    }
    assert_eq!(digests[0], digests[1]);
    let list = |dir: &std::path::Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir.join("blobs/sha256"))
            .expect("blobs")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(list(&layouts[0].1), list(&layouts[1].1));
    let cfg = layout_image(&layouts[0].1, Some("r"), "amd64").config;
    assert_eq!(cfg["created"], "2023-11-14T22:13:20Z");
}

/// The layers envelope generates itself must not change unless we mean it:
/// their digests are part of every image envelope makes. A change here means
/// the base files, the bundled root store or tzdata, or the pinned compressor
/// changed — update the digests only on purpose.
#[test]
fn generated_layers_have_golden_digests() {
    let (_tmp, report) = build_example("server", "g", &[]);
    let layers = report["images"][0]["platforms"][0]["layers"]
        .as_array()
        .expect("layers")
        .clone();
    let digest = |name: &str| {
        layers
            .iter()
            .find(|l| l["name"] == name)
            .map(|l| l["digest"].as_str().expect("digest").to_string())
            .expect(name)
    };
    assert_eq!(digest("base"), GOLDEN_BASE);
    assert_eq!(digest("ca-certificates"), GOLDEN_CA);
    assert_eq!(digest("tzdata"), GOLDEN_TZDATA);
}

const GOLDEN_BASE: &str = "sha256:4d888e6f5a417634458edeff355854e3b59c2ae4e06c5432f42c1ea9640fd5ea";
const GOLDEN_CA: &str = "sha256:3c5f81a7ed7118ccf960fcb8828c9c54e60a09da5e1cd11d18683cd4d14cecda";
const GOLDEN_TZDATA: &str =
    "sha256:c06f9bdc5902abe2918b90182d208314908ac5634fbbf5e4bb373f7026f51961";

#[test]
fn a_rebuild_with_no_change_reuses_the_compressed_layers() {
    let tmp = tempdir();
    let cache = tmp.path().join("cache");
    let run = || {
        json(&ok(envelope(&example("hello"), &cache)
            .args(["build", "--format", "json", "-o"])
            .arg(format!(
                "oci:{}:c",
                tmp.path().join("layout").display()
            ))))
    };
    let first = run();
    let second = run();
    let cached = |r: &serde_json::Value| -> Vec<bool> {
        r["images"][0]["platforms"][0]["layers"]
            .as_array()
            .expect("layers")
            .iter()
            .map(|l| l["cached"].as_bool().expect("cached"))
            .collect()
    };
    assert_eq!(cached(&first), [false, false]);
    assert_eq!(cached(&second), [true, true]);
    assert_eq!(first["images"][0]["digest"], second["images"][0]["digest"]);
}

#[test]
fn zstd_layers_are_valid() {
    require("zstd");
    let (tmp, report) = build_example("hello", "z", &["--compression", "zstd"]);
    let layers = report["images"][0]["platforms"][0]["layers"]
        .as_array()
        .expect("layers")
        .clone();
    assert!(layers
        .iter()
        .all(|l| l["media_type"] == "application/vnd.oci.image.layer.v1.tar+zstd"));
    let image = layout_image(&tmp.path().join("layout"), Some("z"), "amd64");
    for l in &image.layers {
        tar_list(l);
    }
    let out = podman_run(
        &format!("oci:{}:z", tmp.path().join("layout").display()),
        &[],
    );
    assert!(out.contains("hello uid=65532"), "{out}");
}

#[test]
fn a_second_image_in_a_layout_keeps_the_first() {
    let tmp = tempdir();
    let layout = tmp.path().join("layout");
    for (ex, tag) in [("hello", "one"), ("server", "two")] {
        ok(envelope(&example(ex), &tmp.path().join("cache"))
            .args(["build", "-q", "-o"])
            .arg(format!("oci:{}:{tag}", layout.display())));
    }
    skopeo(&["inspect", &format!("oci:{}:one", layout.display())]);
    skopeo(&["inspect", &format!("oci:{}:two", layout.display())]);
}

#[test]
fn package_wraps_a_prebuilt_binary() {
    let tmp = tempdir();
    let bin = tmp.path().join("hello-bin");
    ok(Command::new(go_dir().join("go"))
        .current_dir(example("hello"))
        .env("GOCACHE", gocache())
        .env("CGO_ENABLED", "0")
        .env("GOTOOLCHAIN", "local")
        .args(["build", "-o"])
        .arg(&bin));
    // Built without -s -w or -trimpath: packaged, with warnings in the report.
    let report = json(&ok(envelope(tmp.path(), &tmp.path().join("cache"))
        .args(["package", "--format", "json", "--name", "hello", "-o"])
        .arg(format!("oci:{}:p", tmp.path().join("layout").display()))
        .arg(&bin)));
    let plat = &report["images"][0]["platforms"][0];
    assert_eq!(plat["hardening"]["stripped"], false);
    assert_eq!(plat["hardening"]["trimpath"], false);
    assert!(plat["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .any(|w| w.as_str().expect("w").contains("not stripped")));
    let out = podman_run(
        &format!("oci:{}:p", tmp.path().join("layout").display()),
        &[],
    );
    assert!(out.contains("hello uid=65532"), "{out}");
}

#[test]
fn package_refuses_a_dynamic_binary_unless_allowed() {
    require("cc");
    let tmp = tempdir();
    let src = tmp.path().join("d.c");
    std::fs::write(&src, "int main(void){return 0;}\n").expect("write");
    let bin = tmp.path().join("dyn");
    ok(Command::new("cc").arg(&src).arg("-o").arg(&bin));
    let err = fails(
        envelope(tmp.path(), &tmp.path().join("cache"))
            .arg("package")
            .arg(&bin)
            .args(["-o", "oci:out"]),
    );
    assert!(err.contains("dynamically linked"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert!(
        !tmp.path().join("out").exists(),
        "nothing may be written on failure"
    );
    let report = json(&ok(envelope(tmp.path(), &tmp.path().join("cache"))
        .arg("package")
        .arg(&bin)
        .args(["--allow-dynamic", "--format", "json", "-o", "oci:out"])));
    assert_eq!(
        report["images"][0]["platforms"][0]["hardening"]["static"],
        false
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            if e.file_name() != ".envelope" {
                copy_dir(&e.path(), &target);
            }
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

#[test]
fn without_output_the_image_goes_to_a_local_layout_and_the_report_says_how_to_run_it() {
    let tmp = tempdir();
    let src = tmp.path().join("src");
    copy_dir(&example("hello"), &src);
    let out = ok(envelope(&src, &tmp.path().join("cache")).arg("build"));
    assert!(out.contains("wrote oci:.envelope/oci:hello"), "{out}");
    // The printed way to run it works.
    let hint = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("run it:"))
        .unwrap_or_else(|| panic!("no run hint in {out}"))
        .trim()
        .to_string();
    assert!(
        hint.contains("podman run --rm localhost/hello:latest"),
        "{hint}"
    );
    let ran = ok(Command::new("sh")
        .arg("-c")
        .arg(&hint)
        .current_dir(&src)
        .env(
            "CONTAINERS_CONF",
            repo_root().join("tests/podman/containers.conf"),
        )
        .env(
            "CONTAINERS_STORAGE_CONF",
            repo_root().join("tests/podman/storage.conf"),
        ));
    let _ = podman()
        .args(["rmi", "-f", "localhost/hello:latest"])
        .output();
    assert!(ran.contains("hello uid=65532"), "{ran}");
    assert!(out.contains("✓ static"), "{out}");
    let inspect = json(&skopeo(&[
        "inspect",
        &format!("oci:{}:hello", src.join(".envelope/oci").display()),
    ]));
    assert_eq!(inspect["Architecture"], "amd64");
}

#[test]
fn a_multi_platform_docker_archive_lists_every_platform() {
    let tmp = tempdir();
    let archive = tmp.path().join("multi.tar");
    ok(envelope(&example("hello"), &tmp.path().join("cache"))
        .args(["build", "-q", "--platform", "linux/amd64,linux/arm64", "-o"])
        .arg(format!(
            "docker-archive:{}:envelope-test/multi:v1",
            archive.display()
        )));
    let x = tmp.path().join("x");
    std::fs::create_dir_all(&x).expect("mkdir");
    ok(Command::new("tar")
        .arg("-xf")
        .arg(&archive)
        .arg("-C")
        .arg(&x));
    let manifest = read_json(&x.join("manifest.json"));
    let entries = manifest.as_array().expect("entries");
    assert_eq!(
        entries.len(),
        1,
        "loaders take one manifest.json entry: the first platform"
    );
    assert_eq!(
        entries[0]["RepoTags"],
        serde_json::json!(["envelope-test/multi:v1"])
    );
    for e in entries {
        for l in e["Layers"].as_array().expect("layers") {
            // Uncompressed tars, as every docker load accepts.
            tar_list(&x.join(l.as_str().expect("path")));
        }
    }
    let index = read_json(&x.join("index.json"));
    assert_eq!(
        index["manifests"][0]["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let inner = read_json(&blob_path(
        &x,
        index["manifests"][0]["digest"].as_str().expect("digest"),
    ));
    assert_eq!(index_arches(&inner), ["amd64", "arm64"]);
    let inspect = json(&skopeo(&[
        "inspect",
        &format!("docker-archive:{}", archive.display()),
    ]));
    assert_eq!(inspect["Architecture"], "amd64");
}

#[test]
fn archives_are_read_back_by_copy_and_digest() {
    let tmp = tempdir();
    let cache = tmp.path().join("cache");
    let oci_tar = tmp.path().join("img-oci.tar");
    let digest = ok(envelope(&example("hello"), &cache)
        .args(["build", "-q", "-o"])
        .arg(format!("oci-archive:{}:v1", oci_tar.display())))
    .trim()
    .to_string();
    let got = ok(envelope(tmp.path(), &cache)
        .arg("digest")
        .arg(format!("oci-archive:{}:v1", oci_tar.display())));
    assert_eq!(got.trim(), digest);
    let layout = tmp.path().join("from-archive");
    ok(envelope(tmp.path(), &cache)
        .arg("copy")
        .arg(format!("oci-archive:{}:v1", oci_tar.display()))
        .arg(format!("oci:{}:c", layout.display())));
    let inspect = json(&skopeo(&[
        "inspect",
        &format!("oci:{}:c", layout.display()),
    ]));
    assert_eq!(inspect["Digest"].as_str(), Some(digest.as_str()));

    // A docker-archive in the legacy form (skopeo 1.9 writes manifest.json
    // only): read, re-made as an OCI manifest, and it still runs.
    let legacy = tmp.path().join("legacy.tar");
    skopeo(&[
        "copy",
        &format!("oci:{}:c", layout.display()),
        &format!("docker-archive:{}:legacy/hello:v1", legacy.display()),
    ]);
    let copied = tmp.path().join("from-legacy");
    ok(envelope(tmp.path(), &cache)
        .arg("copy")
        .arg(format!(
            "docker-archive:{}:legacy/hello:v1",
            legacy.display()
        ))
        .arg(format!("oci:{}:l", copied.display())));
    let out = ok(podman().args(["run", "--rm", &format!("oci:{}:l", copied.display())]));
    assert!(out.contains("hello uid=65532"), "{out}");

    // A truncated archive is refused cleanly.
    let bytes = std::fs::read(&oci_tar).expect("read");
    let cut = tmp.path().join("cut.tar");
    std::fs::write(&cut, &bytes[..bytes.len() / 2 + 100]).expect("write");
    let err = fails(
        envelope(tmp.path(), &cache)
            .arg("digest")
            .arg(format!("oci-archive:{}", cut.display())),
    );
    assert!(err.contains("cut.tar"), "{err}");
}
