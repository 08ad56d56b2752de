//! Projects of many services: package patterns (`./...`, `./cmd/...`) build
//! every main package, and the default repository (ENVELOPE_REPO,
//! KO_DOCKER_REPO) names where each image goes. Real Go builds, a real
//! registry, checked by skopeo and by running the binaries.

#![cfg(feature = "external-tools")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::registry::Registry;
use common::*;

/// A module with commands sharing a non-main package.
fn project(root: &Path) -> PathBuf {
    common::project::module(root, &["api", "worker"])
}

/// envelope in the project, with no default repository from the caller's
/// environment.
fn envelope_in(dir: &Path, tmp: &Path) -> Command {
    let mut cmd = envelope(dir, &tmp.join("cache"));
    cmd.env_remove("ENVELOPE_REPO").env_remove("KO_DOCKER_REPO");
    cmd
}

/// Checks the layout's image tagged `name`: its entrypoint is its own
/// binary, and that binary, taken out of the layer, says who it is.
fn assert_runs_as(layout: &Path, name: &str, tmp: &Path) {
    let image = layout_image(layout, Some(name), "amd64");
    assert_eq!(
        image.config["config"]["Entrypoint"],
        serde_json::json!([format!("/usr/local/bin/{name}")]),
        "{name}"
    );
    let app = image.layers.last().expect("layers");
    let dest = tmp.join(format!("extract-{name}"));
    std::fs::create_dir_all(&dest).expect("mkdir");
    tar_extract(app, &dest);
    let out = ok(&mut Command::new(dest.join("usr/local/bin").join(name)));
    assert_eq!(out.trim(), format!("I am {name}"));
}

fn names(report: &serde_json::Value) -> Vec<String> {
    report["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["name"].as_str().expect("name").to_string())
        .collect()
}

#[test]
fn every_main_package_a_pattern_matches_becomes_an_image() {
    // Commands named one by one share the `go build` as a pattern's do.
    for pattern in [
        &["./..."][..],
        &["./cmd/..."],
        &["./cmd/api", "./cmd/worker"],
    ] {
        let tmp = tempdir();
        let dir = project(tmp.path());
        let layout = tmp.path().join("layout");
        let out = run(envelope_in(&dir, tmp.path())
            .args(["build", "-v", "--format", "json"])
            .args(pattern)
            .arg("-o")
            .arg(format!("oci:{}", layout.display())));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        // One `go build` writes both commands into one directory.
        project::assert_one_go_build(
            &stderr,
            &["example.com/proj/cmd/api", "example.com/proj/cmd/worker"],
        );
        let report = json(&String::from_utf8_lossy(&out.stdout));
        assert_eq!(names(&report), ["api", "worker"], "{pattern:?}");
        assert_eq!(
            report["images"][0]["package"], "example.com/proj/cmd/api",
            "{report}"
        );
        for name in ["api", "worker"] {
            assert_runs_as(&layout, name, tmp.path());
        }
    }
}

#[test]
fn a_pattern_without_a_main_package_is_refused() {
    let tmp = tempdir();
    let dir = project(tmp.path());
    let err = fails(envelope_in(&dir, tmp.path()).args(["build", "./internal/..."]));
    assert!(
        err.contains("./internal/... matches no main package")
            && err.contains("example.com/proj/internal/lib (package lib)"),
        "{err}"
    );
    let err = fails(envelope_in(&dir, tmp.path()).args(["build", "./cmd/api/x/..."]));
    assert!(err.contains("./cmd/api/x/..."), "{err}");
    assert!(!dir.join(".envelope").exists(), "nothing written");
}

#[test]
fn two_commands_with_one_name_are_refused_naming_both() {
    let tmp = tempdir();
    let dir = project(tmp.path());
    std::fs::create_dir_all(dir.join("tools/api")).expect("mkdir");
    std::fs::copy(dir.join("cmd/api/main.go"), dir.join("tools/api/main.go")).expect("copy");
    let err = fails(envelope_in(&dir, tmp.path()).args(["build", "./..."]));
    assert!(
        err.contains("example.com/proj/cmd/api and example.com/proj/tools/api"),
        "{err}"
    );
    assert!(!dir.join(".envelope").exists(), "nothing written");
}

#[test]
fn the_default_repository_takes_every_image_and_the_refs_file_lists_them() {
    let reg = Registry::start();
    let tmp = tempdir();
    let dir = project(tmp.path());
    let refs = tmp.path().join("out/refs.txt");
    // The human report on stdout, quiet: the pushed references.
    let out = ok(envelope_in(&dir, tmp.path())
        .env("ENVELOPE_REPO", format!("{}/team", reg.addr))
        .env("KO_DOCKER_REPO", "ignored.example.com/other")
        .args(["build", "-q", "./cmd/...", "--image-refs"])
        .arg(&refs));
    let mut expected = Vec::new();
    for name in ["api", "worker"] {
        let digest = remote_digest(&format!("{}/team/{name}:latest", reg.addr));
        expected.push(format!("{}/team/{name}:latest@{digest}", reg.addr));
    }
    assert_eq!(out, format!("{}\n", expected.join("\n")));
    assert_eq!(
        std::fs::read_to_string(&refs).expect("refs"),
        format!("{}\n", expected.join("\n"))
    );
    assert!(!dir.join(".envelope").exists(), "nothing written locally");
}

#[test]
fn ko_docker_repo_tags_import_paths_and_bare_name_the_destination() {
    let reg = Registry::start();
    let tmp = tempdir();
    let dir = project(tmp.path());
    let refs = tmp.path().join("refs.json");
    let out = ok(envelope_in(&dir, tmp.path())
        .env("KO_DOCKER_REPO", format!("{}/ko", reg.addr))
        .args(["build", "--format", "json", "./...", "--tag", "v1"])
        .args(["--preserve-import-paths", "--image-refs"])
        .arg(&refs));
    let report = json(&out);
    let listed = read_json(&refs);
    for (i, name) in ["api", "worker"].iter().enumerate() {
        let repo = format!("{}/ko/example.com/proj/cmd/{name}", reg.addr);
        let digest = remote_digest(&format!("{repo}:v1"));
        assert_eq!(report["images"][i]["digest"], digest.as_str());
        assert_eq!(listed[i]["reference"], format!("{repo}:v1@{digest}"));
        assert_eq!(listed[i]["package"], format!("example.com/proj/cmd/{name}"));
    }

    let out = ok(envelope_in(&dir, tmp.path())
        .env("ENVELOPE_REPO", format!("{}/bare", reg.addr))
        .args(["build", "--format", "json", "./cmd/worker", "--bare"]));
    let digest = remote_digest(&format!("{}/bare:latest", reg.addr));
    assert_eq!(json(&out)["images"][0]["digest"], digest.as_str());

    let err = fails(
        envelope_in(&dir, tmp.path())
            .env("ENVELOPE_REPO", format!("{}/bare", reg.addr))
            .args(["build", "./cmd/...", "--bare"]),
    );
    assert!(err.contains("--bare pushes one image"), "{err}");
    let err = fails(envelope_in(&dir, tmp.path()).args(["build", "./cmd/api", "--bare"]));
    assert!(err.contains("there is none"), "{err}");
    let err = fails(
        envelope_in(&dir, tmp.path())
            .env("ENVELOPE_REPO", "team")
            .args(["build", "./cmd/api"]),
    );
    assert!(err.contains("ENVELOPE_REPO=team"), "{err}");
}
