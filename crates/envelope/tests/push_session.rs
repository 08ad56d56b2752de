//! Many images pushed in one run, through a proxy that logs every request
//! to a real registry: a blob the images share is uploaded once and
//! mounted into the other repositories; pushing the same images again
//! sends nothing (HEAD and GET only), finds the SBOMs attached before and
//! reports the images unchanged; so does writing them to a layout again.

#![cfg(feature = "external-tools")]

mod common;

use std::path::{Path, PathBuf};

use common::proxy::Proxy;
use common::registry::Registry;
use common::*;

const NAMES: [&str; 3] = ["api", "worker", "migrate"];

/// A module with commands sharing a non-main package.
fn project(root: &Path) -> PathBuf {
    common::project::module(root, &NAMES)
}

/// Builds ./cmd/... to `repo` and returns the JSON report and the requests
/// the proxy saw.
fn push_all(dir: &Path, tmp: &Path, repo: &str, proxy: &Proxy) -> (serde_json::Value, Vec<String>) {
    if let Ok(mut log) = proxy.faults.log.lock() {
        log.clear();
    }
    let out = ok(envelope(dir, &tmp.join("cache"))
        .env("ENVELOPE_REPO", repo)
        .env_remove("KO_DOCKER_REPO")
        .args(["build", "--format", "json", "./cmd/..."]));
    let log = proxy
        .faults
        .log
        .lock()
        .map(|l| l.clone())
        .unwrap_or_default();
    (json(&out), log)
}

fn sending(log: &[String]) -> Vec<&String> {
    log.iter()
        .filter(|l| l.starts_with("POST ") || l.starts_with("PUT ") || l.starts_with("PATCH "))
        .collect()
}

#[test]
fn shared_blobs_go_up_once_and_an_unchanged_push_only_asks() {
    let reg = Registry::start();
    let proxy = Proxy::start(&reg.addr);
    let tmp = tempdir();
    let dir = project(tmp.path());
    let repo = format!("{}/team", proxy.addr);

    let (first, log) = push_all(&dir, tmp.path(), &repo, &proxy);
    let images = first["images"].as_array().expect("images");
    let mut names: Vec<&str> = images
        .iter()
        .map(|i| i["name"].as_str().expect("name"))
        .collect();
    // Reports come in package order.
    let packages: Vec<&str> = images
        .iter()
        .map(|i| i["package"].as_str().expect("package"))
        .collect();
    let mut sorted = packages.clone();
    sorted.sort_unstable();
    assert_eq!(packages, sorted);
    names.sort_unstable();
    assert_eq!(names, ["api", "migrate", "worker"]);
    for i in images {
        assert_eq!(i["changed"], true, "{i}");
    }
    // The generated base layer, the same in every image: one upload, and
    // two mounts into the other repositories.
    let base = images[0]["platforms"][0]["layers"][0].clone();
    assert_eq!(base["name"], "base");
    let digest = base["digest"].as_str().expect("digest");
    let hex = digest.trim_start_matches("sha256:");
    for i in images {
        assert_eq!(i["platforms"][0]["layers"][0]["digest"], digest);
    }
    let uploads = log
        .iter()
        .filter(|l| l.starts_with("PUT ") && l.contains("/blobs/uploads/") && l.contains(hex))
        .count();
    assert_eq!(uploads, 1, "{log:#?}");
    let mounts = log
        .iter()
        .filter(|l| l.starts_with("POST ") && l.contains("mount=") && l.contains(hex))
        .count();
    assert_eq!(mounts, NAMES.len() - 1, "{log:#?}");

    // Again, nothing changed: the same digests, nothing sent.
    let (second, log) = push_all(&dir, tmp.path(), &repo, &proxy);
    assert!(sending(&log).is_empty(), "{:#?}", sending(&log));
    assert!(log.iter().any(|l| l.starts_with("HEAD ")), "{log:#?}");
    for (a, b) in images
        .iter()
        .zip(second["images"].as_array().expect("images"))
    {
        assert_eq!(a["digest"], b["digest"]);
        assert_eq!(b["changed"], false, "{b}");
        // The SBOM attached the first time is found, not made again.
        assert_eq!(a["sboms"].as_array().map(Vec::len), Some(1), "{a}");
        assert_eq!(a["sboms"], b["sboms"]);
        for l in b["platforms"][0]["layers"].as_array().expect("layers") {
            assert_eq!(l["cached"], true, "no new blob: {l}");
        }
    }
    // The human report says so too.
    let out = ok(envelope(&dir, &tmp.path().join("cache"))
        .env("ENVELOPE_REPO", &repo)
        .args(["build", "./cmd/..."]));
    assert_eq!(out.matches(", unchanged").count(), NAMES.len(), "{out}");
}

#[test]
fn an_unchanged_layout_keeps_its_images_and_their_sboms() {
    let tmp = tempdir();
    let dir = project(tmp.path());
    let layout = tmp.path().join("layout");
    let build = || {
        json(&ok(envelope(&dir, &tmp.path().join("cache"))
            .env_remove("ENVELOPE_REPO")
            .env_remove("KO_DOCKER_REPO")
            .args(["build", "--format", "json", "./cmd/...", "-o"])
            .arg(format!("oci:{}", layout.display()))))
    };
    let first = build();
    let index = std::fs::read(layout.join("index.json")).expect("index.json");
    let second = build();
    assert_eq!(
        std::fs::read(layout.join("index.json")).expect("index.json"),
        index
    );
    let (a, b) = (
        first["images"].as_array().expect("images"),
        second["images"].as_array().expect("images"),
    );
    assert_eq!(a.len(), NAMES.len());
    for (a, b) in a.iter().zip(b) {
        assert_eq!(a["changed"], true, "{a}");
        assert_eq!(b["changed"], false, "{b}");
        assert_eq!(a["digest"], b["digest"]);
        assert_eq!(a["sboms"].as_array().map(Vec::len), Some(1), "{a}");
        assert_eq!(a["sboms"], b["sboms"]);
    }
    // A changed source changes every image, each reported so.
    std::fs::write(
        dir.join("internal/lib/lib.go"),
        "package lib\n\nfunc Who(name string) string { return \"I am really \" + name }\n",
    )
    .expect("write");
    for i in build()["images"].as_array().expect("images") {
        assert_eq!(i["changed"], true, "{i}");
    }
}
