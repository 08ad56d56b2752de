//! `envelope sbom` and the SBOMs `envelope build` attaches, end to end:
//! binaries with real dependencies (a local file GOPROXY, a replace
//! directive), checked against `go version -m`; images with dpkg and apk
//! databases; every document validated against the official SPDX 2.3 and
//! CycloneDX 1.6 schemas; attachment to OCI layouts and to a registry
//! without the referrers API; a cross-check with syft.

#![cfg(feature = "external-tools")]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::goproxy::{deps_app, go_version_m, DepsApp};
use common::*;
use envelope_layer::{FileData, LayerBuilder};

fn schemas() -> PathBuf {
    repo_root().join("crates/envelope-sbom/tests/schemas")
}

/// Resolves the CycloneDX schema's references to the files beside it.
struct LocalSchemas;

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri.as_str().rsplit('/').next().unwrap_or_default();
        let text = std::fs::read_to_string(schemas().join(name))?;
        Ok(serde_json::from_str(&text)?)
    }
}

fn validate(doc: &serde_json::Value, schema_file: &str) {
    let schema = read_json(&schemas().join(schema_file));
    let validator = jsonschema::options()
        .with_retriever(LocalSchemas)
        .build(&schema)
        .expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema_file}: {errors:#?}");
}

fn validate_spdx(doc: &serde_json::Value) {
    validate(doc, "spdx-schema.json");
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
}

fn validate_cdx(doc: &serde_json::Value) {
    validate(doc, "bom-1.6.SNAPSHOT.schema.json");
    assert_eq!(doc["specVersion"], "1.6");
}

/// One `dep` or `=>` line of `go version -m`: (path, version, sum).
type ModLine = (String, String, String);

/// The modules `go version -m` prints: each dep as reported (its
/// replacement when replaced), and the replaced originals.
fn go_modules(bin: &Path) -> (BTreeSet<ModLine>, BTreeSet<(String, String)>, String) {
    let text = go_version_m(bin);
    let mut deps = BTreeSet::new();
    let mut replaced = BTreeSet::new();
    let mut last: Option<ModLine> = None;
    let mut go = String::new();
    for line in text.lines() {
        let f: Vec<&str> = line.trim_start().split('\t').collect();
        match f.first().copied() {
            Some("dep") => {
                if let Some(l) = last.take() {
                    deps.insert(l);
                }
                last = Some((
                    f[1].to_string(),
                    f[2].to_string(),
                    f.get(3).unwrap_or(&"").to_string(),
                ));
            }
            Some("=>") => {
                let orig = last.take().expect("=> after a dep");
                replaced.insert((orig.0, orig.1));
                deps.insert((
                    f[1].to_string(),
                    f[2].to_string(),
                    f.get(3).unwrap_or(&"").to_string(),
                ));
            }
            _ if line.contains(": go") && go.is_empty() => {
                go = line.rsplit(": ").next().unwrap_or_default().to_string();
            }
            _ => {}
        }
    }
    if let Some(l) = last {
        deps.insert(l);
    }
    (deps, replaced, go)
}

/// Go packages of an SPDX document: (name, version) of every package
/// whose PURL is pkg:golang, and the h1: annotation of each.
fn spdx_go_packages(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
    doc["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| purl(p).is_some_and(|u| u.starts_with("pkg:golang/")))
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_string(),
                p["versionInfo"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn purl(p: &serde_json::Value) -> Option<&str> {
    p["externalRefs"]
        .as_array()?
        .iter()
        .find(|r| r["referenceType"] == "purl")
        .and_then(|r| r["referenceLocator"].as_str())
}

fn spdx_package<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no package {name} in {doc:#}"))
}

fn annotations(p: &serde_json::Value) -> Vec<String> {
    p["annotations"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["comment"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn relationships(doc: &serde_json::Value, kind: &str) -> Vec<(String, String)> {
    doc["relationships"]
        .as_array()
        .expect("relationships")
        .iter()
        .filter(|r| r["relationshipType"] == kind)
        .map(|r| {
            (
                r["spdxElementId"].as_str().unwrap_or_default().to_string(),
                r["relatedSpdxElement"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

fn id_of(doc: &serde_json::Value, name: &str) -> String {
    spdx_package(doc, name)["SPDXID"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The deps app, built once per test process (hardened, linux/amd64).
fn app() -> &'static (DepsApp, PathBuf) {
    static APP: std::sync::OnceLock<(DepsApp, PathBuf)> = std::sync::OnceLock::new();
    APP.get_or_init(|| {
        let app = deps_app();
        let bin = app.proxy.root().join("depsapp-bin");
        app.build(
            &bin,
            "linux",
            "amd64",
            &[("CGO_ENABLED", "0")],
            &["-trimpath", "-ldflags=-s -w"],
        );
        (app, bin)
    })
}

fn sbom(cwd: &Path, args: &[&str]) -> serde_json::Value {
    let cache = cwd.join("cache");
    json(&ok(envelope(cwd, &cache).arg("sbom").args(args)))
}

#[test]
fn a_binary_sbom_lists_exactly_what_go_version_m_shows() {
    let (_, bin) = app();
    let tmp = tempdir();
    let (deps, replaced, go) = go_modules(bin);
    assert!(
        deps.len() >= 5 && replaced.len() == 1,
        "{deps:?} {replaced:?}"
    );
    let path = bin.to_str().expect("utf-8 path");

    // envelope's own model: every dep, its sum and its replacement.
    let model = sbom(tmp.path(), &[path, "--format", "json"]);
    let b = &model["binaries"][0];
    assert_eq!(b["go_version"], go.as_str());
    assert_eq!(b["main"]["path"], "example.com/depsapp");
    let mut ours = BTreeSet::new();
    let mut ours_replaced = BTreeSet::new();
    for d in b["deps"].as_array().expect("deps") {
        let m = if d["replace"].is_object() {
            ours_replaced.insert((
                d["path"].as_str().unwrap_or_default().to_string(),
                d["version"].as_str().unwrap_or_default().to_string(),
            ));
            &d["replace"]
        } else {
            d
        };
        ours.insert((
            m["path"].as_str().unwrap_or_default().to_string(),
            m["version"].as_str().unwrap_or_default().to_string(),
            m["sum"].as_str().unwrap_or_default().to_string(),
        ));
    }
    assert_eq!(ours, deps);
    assert_eq!(ours_replaced, replaced);
    let sha = hex_sha256(&std::fs::read(bin).expect("bin"));
    assert_eq!(b["sha256"], sha.as_str());

    // SPDX: a package per module (the replacement under its own name, the
    // original recorded), the stdlib, purls, h1: sums, relationships.
    let spdx = sbom(tmp.path(), &[path]);
    validate_spdx(&spdx);
    let mut expected: BTreeSet<(String, String)> = deps
        .iter()
        .map(|(p, v, _)| (p.clone(), v.clone()))
        .collect();
    expected.insert(("example.com/depsapp".into(), "(devel)".into()));
    expected.insert(("stdlib".into(), go.clone()));
    assert_eq!(spdx_go_packages(&spdx), expected);
    let newlog = spdx_package(&spdx, "example.com/newlog");
    assert_eq!(purl(newlog), Some("pkg:golang/example.com/newlog@v1.1.0"));
    let notes = annotations(newlog).join("\n");
    assert!(notes.contains("example.com/oldlog@v1.0.0"), "{notes}");
    let newlog_sum = &deps
        .iter()
        .find(|d| d.0 == "example.com/newlog")
        .expect("newlog")
        .2;
    assert!(notes.contains(newlog_sum.as_str()), "{notes}");
    let stdlib = spdx_package(&spdx, "stdlib");
    assert_eq!(
        purl(stdlib).map(str::to_string),
        Some(format!("pkg:golang/stdlib@{}", go.trim_start_matches("go")))
    );
    let shout = spdx_package(&spdx, "example.com/Shout");
    assert_eq!(purl(shout), Some("pkg:golang/example.com/Shout@v0.2.0"));
    let main_id = id_of(&spdx, "example.com/depsapp");
    let depends = relationships(&spdx, "DEPENDS_ON");
    for name in [
        "example.com/greet",
        "example.com/ansi",
        "example.com/newlog",
        "stdlib",
    ] {
        assert!(
            depends.contains(&(main_id.clone(), id_of(&spdx, name))),
            "{name} {depends:?}"
        );
    }
    let describes = relationships(&spdx, "DESCRIBES");
    assert_eq!(describes.len(), 1);
    assert!(relationships(&spdx, "CONTAINS").contains(&(describes[0].1.clone(), main_id)));
    let settings = annotations(spdx_package(&spdx, "example.com/depsapp")).join("\n");
    assert!(settings.contains("-trimpath=true"), "{settings}");
    assert!(settings.contains("CGO_ENABLED=0"), "{settings}");

    // CycloneDX: the same components, a complete dependency graph.
    let cdx = sbom(tmp.path(), &[path, "--format", "cyclonedx-json"]);
    validate_cdx(&cdx);
    let comps = cdx["components"].as_array().expect("components");
    let cdx_go: BTreeSet<(String, String)> = comps
        .iter()
        .filter(|c| {
            c["purl"]
                .as_str()
                .is_some_and(|u| u.starts_with("pkg:golang/"))
        })
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_string(),
                c["version"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(cdx_go, expected);
    let refs: BTreeSet<&str> = comps.iter().filter_map(|c| c["bom-ref"].as_str()).collect();
    let graph = cdx["dependencies"].as_array().expect("dependencies");
    for c in &refs {
        assert!(
            graph.iter().any(|d| d["ref"] == *c),
            "{c} has no dependency entry"
        );
    }
    let main_ref = comps
        .iter()
        .find(|c| c["name"] == "example.com/depsapp")
        .and_then(|c| c["bom-ref"].as_str())
        .expect("main ref");
    let main_deps = graph
        .iter()
        .find(|d| d["ref"] == main_ref)
        .and_then(|d| d["dependsOn"].as_array())
        .expect("main depends");
    assert_eq!(
        main_deps.len(),
        deps.len() + 1,
        "every module and the stdlib"
    );

    // Deterministic, and SOURCE_DATE_EPOCH sets the time.
    let again = sbom(tmp.path(), &[path]);
    assert_eq!(spdx, again);
    let cache = tmp.path().join("cache");
    let dated = json(&ok(envelope(tmp.path(), &cache)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["sbom", path])));
    assert_eq!(dated["creationInfo"]["created"], "2023-11-14T22:13:20Z");
    assert_eq!(dated["documentNamespace"], spdx["documentNamespace"]);
}

fn hex_sha256(data: &[u8]) -> String {
    envelope_oci::Digest::sha256(data)
        .to_string()
        .trim_start_matches("sha256:")
        .to_string()
}

#[test]
fn binaries_of_other_formats_and_a_local_replacement() {
    let (app, _) = app();
    let tmp = tempdir();
    for (goos, goarch) in [("darwin", "arm64"), ("windows", "amd64"), ("linux", "386")] {
        let bin = tmp.path().join(format!("app-{goos}-{goarch}"));
        app.build(&bin, goos, goarch, &[("CGO_ENABLED", "0")], &["-trimpath"]);
        let (deps, _, go) = go_modules(&bin);
        let doc = sbom(tmp.path(), &[bin.to_str().expect("path")]);
        validate_spdx(&doc);
        let mut expected: BTreeSet<(String, String)> = deps
            .iter()
            .map(|(p, v, _)| (p.clone(), v.clone()))
            .collect();
        expected.insert(("example.com/depsapp".into(), "(devel)".into()));
        expected.insert(("stdlib".into(), go));
        assert_eq!(spdx_go_packages(&doc), expected, "{goos}/{goarch}");
    }

    // A replace by a local directory: the original path, no version, the
    // directory recorded.
    let src = tmp.path().join("local");
    std::fs::create_dir_all(src.join("lib")).expect("dirs");
    std::fs::write(
        src.join("go.mod"),
        "module example.com/uses\n\ngo 1.21\n\nrequire example.com/lib v1.0.0\n\nreplace example.com/lib => ./lib\n",
    )
    .expect("go.mod");
    std::fs::write(
        src.join("main.go"),
        "package main\n\nimport \"example.com/lib\"\n\nfunc main() { println(lib.X()) }\n",
    )
    .expect("main.go");
    std::fs::write(
        src.join("lib/go.mod"),
        "module example.com/lib\n\ngo 1.21\n",
    )
    .expect("lib");
    std::fs::write(
        src.join("lib/lib.go"),
        "package lib\n\nfunc X() int { return 42 }\n",
    )
    .expect("lib.go");
    let bin = tmp.path().join("uses");
    ok(app
        .proxy
        .go(&src)
        .env("CGO_ENABLED", "0")
        .args(["build", "-o"])
        .arg(&bin)
        .arg("."));
    let doc = sbom(tmp.path(), &[bin.to_str().expect("path")]);
    validate_spdx(&doc);
    let lib = spdx_package(&doc, "example.com/lib");
    assert!(lib.get("versionInfo").is_none(), "{lib:#}");
    assert!(annotations(lib).join("\n").contains("./lib"), "{lib:#}");
    validate_cdx(&sbom(
        tmp.path(),
        &[bin.to_str().expect("path"), "--format", "cyclonedx-json"],
    ));
}

#[test]
fn bad_input_is_a_clear_error() {
    let tmp = tempdir();
    let cache = tmp.path().join("cache");
    let text = tmp.path().join("notes.txt");
    std::fs::write(&text, "not a binary at all\n").expect("write");
    let err = fails(envelope(tmp.path(), &cache).args(["sbom", text.to_str().expect("p")]));
    assert!(err.contains("not an ELF, Mach-O or PE"), "{err}");

    // A C program: an ELF without Go build info.
    let c = tmp.path().join("hello.c");
    std::fs::write(&c, "int main(void) { return 0; }\n").expect("c");
    let cbin = tmp.path().join("hello");
    ok(Command::new("gcc").arg("-o").arg(&cbin).arg(&c));
    let err = fails(envelope(tmp.path(), &cache).args(["sbom", cbin.to_str().expect("p")]));
    assert!(err.contains("no Go build info"), "{err}");

    // A truncated Go binary.
    let (_, bin) = app();
    let data = std::fs::read(bin).expect("bin");
    let cut = tmp.path().join("cut");
    std::fs::write(&cut, &data[..data.len() / 3]).expect("cut");
    let out = run(envelope(tmp.path(), &cache).args(["sbom", cut.to_str().expect("p")]));
    assert!(out.status.code().is_some_and(|c| c <= 2), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));

    let err = fails(envelope(tmp.path(), &cache).args(["sbom", "./missing"]));
    assert!(err.contains("no such file"), "{err}");
    let err = fails(envelope(tmp.path(), &cache).args(["sbom", tmp.path().to_str().expect("p")]));
    assert!(err.contains("is a directory"), "{err}");

    // --output is written whole or not at all.
    let target = tmp.path().join("out.json");
    fails(envelope(tmp.path(), &cache).args([
        "sbom",
        cbin.to_str().expect("p"),
        "-o",
        target.to_str().expect("p"),
    ]));
    assert!(!target.exists());
}

fn file(b: &mut LayerBuilder, path: &str, data: Vec<u8>, mode: u32) {
    b.file(path, FileData::Bytes(Arc::new(data)), mode, 0, 0)
        .expect("file");
}

/// A tool of the Go toolchain (GOROOT/pkg/tool/linux_amd64/NAME).
fn go_tool(name: &str) -> PathBuf {
    let goroot = ok(Command::new(go_dir().join("go")).args(["env", "GOROOT"]));
    Path::new(goroot.trim())
        .join("pkg/tool/linux_amd64")
        .join(name)
}

const DPKG_STATUS: &str = "\
Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0+deb12u1
Description: time zone and daylight-saving time data

Package: oldpkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1
";

const APK_INSTALLED: &str = "\
C:Q1abc=
P:musl
V:1.2.4-r2
A:x86_64
T:the musl c library

P:ca-certificates-bundle
V:20240226-r0
A:x86_64
";

/// An image with the deps app in two places (one under a path a later
/// layer replaces with a non-Go file), a dpkg database, a distroless
/// status.d entry, an apk database and os-release.
fn os_image(dir: &Path) -> PathBuf {
    let (_, bin) = app();
    let data = std::fs::read(bin).expect("bin");
    let mut base = LayerBuilder::new(0);
    file(
        &mut base,
        "etc/os-release",
        b"ID=debian\nVERSION_ID=\"12\"\n".to_vec(),
        0o644,
    );
    file(
        &mut base,
        "var/lib/dpkg/status",
        DPKG_STATUS.as_bytes().to_vec(),
        0o644,
    );
    file(
        &mut base,
        "var/lib/dpkg/status.d/base-files",
        b"Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n".to_vec(),
        0o644,
    );
    file(
        &mut base,
        "lib/apk/db/installed",
        APK_INSTALLED.as_bytes().to_vec(),
        0o644,
    );
    file(&mut base, "usr/bin/replaced", data.clone(), 0o755);
    let mut top = LayerBuilder::new(0);
    file(&mut top, "usr/local/bin/depsapp", data.clone(), 0o755);
    file(&mut top, "opt/app/worker", data, 0o755);
    file(
        &mut top,
        "usr/bin/replaced",
        b"#!/bin/sh\necho hi\n".to_vec(),
        0o755,
    );
    // A Go program without a `mod` line: one of the toolchain's own tools.
    file(
        &mut top,
        "usr/local/go/tool/vet",
        std::fs::read(go_tool("vet")).expect("vet"),
        0o755,
    );
    let image = assemble(
        vec![base, top],
        serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "created": "2025-02-03T04:05:06Z",
            "config": {},
        }),
    );
    let layout = dir.join("layout");
    envelope_oci::write_oci_layout(&layout, &image, Some("os")).expect("layout");
    layout
}

#[test]
fn an_image_sbom_has_every_go_binary_and_the_os_packages() {
    let tmp = tempdir();
    let layout = os_image(tmp.path());
    let reference = format!("oci:{}:os", layout.display());
    let spdx = sbom(tmp.path(), &[&reference]);
    validate_spdx(&spdx);
    assert_eq!(spdx["creationInfo"]["created"], "2025-02-03T04:05:06Z");
    let files: BTreeSet<String> = spdx["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| p["packageFileName"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        files,
        [
            "/opt/app/worker",
            "/usr/local/bin/depsapp",
            "/usr/local/go/tool/vet"
        ]
        .map(String::from)
        .into()
    );
    let purls: BTreeSet<String> = spdx["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| purl(p).map(str::to_string))
        .filter(|u| !u.starts_with("pkg:golang/"))
        .collect();
    for want in [
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
        "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12",
        "pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12",
        "pkg:apk/debian/musl@1.2.4-r2?arch=x86_64&distro=debian-12",
    ] {
        assert!(purls.contains(want), "{want} not in {purls:#?}");
    }
    assert!(!purls.iter().any(|p| p.contains("oldpkg")), "{purls:#?}");
    let cdx = sbom(tmp.path(), &[&reference, "--format", "cyclonedx-json"]);
    validate_cdx(&cdx);
    assert_eq!(
        cdx["metadata"]["component"]["name"].as_str(),
        Some(reference.as_str())
    );
}

#[test]
fn build_attaches_an_sbom_to_layouts_and_registries() {
    let (app, _) = app();
    let tmp = tempdir();
    let cache = tmp.path().join("cache");
    let layout = tmp.path().join("layout");
    let reference = format!("oci:{}:v1", layout.display());
    let build = |extra: &[&str]| {
        let mut cmd = envelope(&app.src, &cache);
        cmd.envs(app.proxy.env()).arg("build").args(extra);
        json(&ok(cmd.args(["--format", "json"])))
    };
    let report = build(&["-o", &reference]);
    let image = &report["images"][0];
    let sboms = image["sboms"].as_array().expect("sboms reported");
    assert_eq!(sboms.len(), 1);
    assert_eq!(sboms[0]["media_type"], "application/spdx+json");

    // index.json lists the artifact with its type; its manifest's subject
    // is the image manifest; skopeo still reads the tagged image.
    let index = read_json(&layout.join("index.json"));
    let entries = index["manifests"].as_array().expect("manifests");
    assert_eq!(entries.len(), 2, "{index:#}");
    let art = entries
        .iter()
        .find(|d| d["artifactType"] == "application/spdx+json")
        .expect("artifact entry");
    let manifest = read_json(&blob_path(&layout, art["digest"].as_str().expect("digest")));
    assert_eq!(manifest["subject"]["digest"], image["digest"]);
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.oci.empty.v1+json"
    );
    skopeo(&["inspect", &reference]);

    let attached = sbom(tmp.path(), &["--attached", &reference]);
    validate_spdx(&attached);
    let fresh = sbom(tmp.path(), &[&reference]);
    assert_eq!(spdx_go_packages(&attached), spdx_go_packages(&fresh));
    assert!(spdx_go_packages(&attached).contains(&("example.com/newlog".into(), "v1.1.0".into())));
    // The audit and the other readers skip the artifact.
    ok(envelope(tmp.path(), &cache).args(["inspect", &format!("oci:{}:v1", layout.display())]));

    // Rebuilding the same thing adds nothing; CycloneDX asked for is
    // found by format.
    build(&["-o", &reference]);
    assert_eq!(
        read_json(&layout.join("index.json"))["manifests"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let err = fails(envelope(tmp.path(), &cache).args([
        "sbom",
        "--attached",
        &reference,
        "--format",
        "cyclonedx-json",
    ]));
    assert!(err.contains("no attached"), "{err}");
    let cdx_layout = tmp.path().join("cdx");
    let cdx_ref = format!("oci:{}:v1", cdx_layout.display());
    build(&["-o", &cdx_ref, "--sbom", "cyclonedx"]);
    validate_cdx(&sbom(tmp.path(), &["--attached", &cdx_ref]));
    let none_layout = tmp.path().join("none");
    build(&[
        "-o",
        &format!("oci:{}:v1", none_layout.display()),
        "--sbom",
        "none",
    ]);
    assert_eq!(
        read_json(&none_layout.join("index.json"))["manifests"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // An untagged layout keeps one entry (skopeo and podman could not
    // pick the image among several) and says why there is no SBOM.
    let untagged = tmp.path().join("untagged");
    let mut cmd = envelope(&app.src, &cache);
    cmd.envs(app.proxy.env())
        .args(["build", "-o", &format!("oci:{}", untagged.display())]);
    let out = run(&mut cmd);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no SBOM attached"));
    assert_eq!(
        read_json(&untagged.join("index.json"))["manifests"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    skopeo(&["inspect", &format!("oci:{}", untagged.display())]);

    // A registry without the referrers API: the tag schema.
    let registry = registry::Registry::start();
    let target = format!("{}/team/depsapp:v1", registry.addr);
    let pushed = build(&["-o", &target]);
    let digest = pushed["images"][0]["digest"].as_str().expect("digest");
    let sb = &pushed["images"][0]["sboms"][0];
    assert_eq!(sb["via"], "tag-schema");
    let tags = json(&skopeo(&[
        "list-tags",
        "--tls-verify=false",
        &format!("docker://{}/team/depsapp", registry.addr),
    ]));
    let fallback = digest.replace(':', "-");
    assert!(
        tags["Tags"]
            .as_array()
            .expect("tags")
            .iter()
            .any(|t| t == fallback.as_str()),
        "{tags:#}"
    );
    let remote = sbom(tmp.path(), &["--attached", &target]);
    validate_spdx(&remote);
    assert_eq!(spdx_go_packages(&remote), spdx_go_packages(&attached));
    // Pushing again keeps one entry in the referrers index.
    build(&["-o", &target]);
    let index = json(&skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{}/team/depsapp:{fallback}", registry.addr),
    ]));
    assert_eq!(
        index["manifests"].as_array().map(Vec::len),
        Some(1),
        "{index:#}"
    );
}

/// syft on the same OCI layout finds the same Go packages, and the same
/// OS packages.
#[test]
fn syft_finds_the_same_packages() {
    let syft = peer("syft");
    let tmp = tempdir();
    let layout = os_image(tmp.path());
    let ours = sbom(tmp.path(), &[&format!("oci:{}:os", layout.display())]);
    let out = ok(Command::new(&syft)
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .args(["scan", "-q"])
        .arg(format!("oci-dir:{}", layout.display()))
        .args(["-o", "spdx-json"]));
    let theirs = json(&out);
    // Go: identical (name, version) sets, but for a main module whose
    // binary records version `(devel)`: syft 1.57 writes UNKNOWN
    // (docs/sbom.md).
    let theirs_go: BTreeSet<(String, String)> = spdx_go_packages(&theirs)
        .into_iter()
        .map(|(n, v)| {
            let v = if v == "UNKNOWN" { "(devel)".into() } else { v };
            (n, v)
        })
        .collect();
    let ours_go = spdx_go_packages(&ours);
    assert!(ours_go.iter().any(|(_, v)| v == "(devel)"), "{ours_go:?}");
    assert_eq!(ours_go, theirs_go);
    // OS packages: syft reads dpkg status and status.d and the apk
    // database the same way, and (since before 1.57) also leaves out the
    // package dpkg has removed but whose configuration files remain.
    let os = |doc: &serde_json::Value| -> BTreeSet<(String, String)> {
        doc["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .filter(|p| {
                purl(p).is_some_and(|u| u.starts_with("pkg:deb/") || u.starts_with("pkg:apk/"))
            })
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or_default().to_string(),
                    p["versionInfo"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let theirs_os = os(&theirs);
    assert!(
        !theirs_os.contains(&("oldpkg".to_string(), "1.0-1".to_string())),
        "syft lists the removed package again: update docs/sbom.md"
    );
    assert!(theirs_os.len() > 2, "{theirs_os:?}");
    assert_eq!(os(&ours), theirs_os);
}
