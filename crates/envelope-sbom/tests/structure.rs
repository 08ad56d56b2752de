//! The package graph both formats render: packages, relationships and the
//! CycloneDX dependency graph.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn spdx_purl(p: &Value) -> Option<&str> {
    p["externalRefs"]
        .as_array()?
        .iter()
        .find(|r| r["referenceType"] == "purl")
        .and_then(|r| r["referenceLocator"].as_str())
}

/// SPDX packages named `name`.
fn spdx_packages<'a>(doc: &'a Value, name: &str) -> Vec<&'a Value> {
    arr(&doc["packages"])
        .iter()
        .filter(|p| p["name"] == name)
        .collect()
}

fn spdx_one<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let found = spdx_packages(doc, name);
    assert_eq!(found.len(), 1, "{name}: {found:#?}");
    found[0]
}

fn spdx_id(p: &Value) -> String {
    s(&p["SPDXID"]).to_string()
}

fn relationships(doc: &Value, kind: &str) -> BTreeSet<(String, String)> {
    arr(&doc["relationships"])
        .iter()
        .filter(|r| r["relationshipType"] == kind)
        .map(|r| {
            (
                s(&r["spdxElementId"]).to_string(),
                s(&r["relatedSpdxElement"]).to_string(),
            )
        })
        .collect()
}

fn annotations(p: &Value) -> Vec<String> {
    p["annotations"]
        .as_array()
        .map(|a| a.iter().map(|x| s(&x["comment"]).to_string()).collect())
        .unwrap_or_default()
}

/// The subject package (the one DESCRIBES points at).
fn spdx_subject(doc: &Value) -> &Value {
    let describes = relationships(doc, "DESCRIBES");
    assert_eq!(describes.len(), 1, "{describes:?}");
    let (from, to) = describes.iter().next().expect("one");
    assert_eq!(from, "SPDXRef-DOCUMENT");
    arr(&doc["packages"])
        .iter()
        .find(|p| p["SPDXID"] == to.as_str())
        .expect("subject package")
}

#[test]
fn spdx_relationships() {
    let doc = common::spdx(&common::image());
    let subject = spdx_subject(&doc);
    assert_eq!(subject["name"], "registry.example.com/team/payments:1.4.2");
    assert_eq!(subject["primaryPackagePurpose"], "CONTAINER");
    assert_eq!(
        subject["checksums"],
        serde_json::json!([{
            "algorithm": "SHA256",
            "checksumValue": common::IMAGE_DIGEST.trim_start_matches("sha256:"),
        }])
    );
    assert_eq!(
        arr(&doc["packages"])[0],
        *subject,
        "the subject comes first"
    );
    let subject_id = spdx_id(subject);

    // Two main packages (same module, two binaries).
    let mains = spdx_packages(&doc, "github.com/example/payments");
    assert_eq!(mains.len(), 2);
    let files: BTreeSet<&str> = mains.iter().map(|m| s(&m["packageFileName"])).collect();
    assert_eq!(
        files,
        BTreeSet::from(["/usr/local/bin/payments", "/usr/local/bin/payments-worker"])
    );
    let contains = relationships(&doc, "CONTAINS");
    let depends = relationships(&doc, "DEPENDS_ON");
    for m in &mains {
        assert_eq!(m["primaryPackagePurpose"], "APPLICATION");
        assert_eq!(m["versionInfo"], "v1.4.2");
        assert!(contains.contains(&(subject_id.clone(), spdx_id(m))));
        let sha = &m["checksums"][0]["checksumValue"];
        assert!(
            sha == common::SERVER_SHA || sha == common::WORKER_SHA,
            "{sha}"
        );
    }

    // Shared modules: one package each, DEPENDS_ON from both mains.
    for name in ["github.com/spf13/cobra", "github.com/spf13/pflag", "stdlib"] {
        let id = spdx_id(spdx_one(&doc, name));
        for m in &mains {
            assert!(depends.contains(&(spdx_id(m), id.clone())), "{name}");
        }
    }
    // Per-binary modules: only from their own main.
    let server = mains
        .iter()
        .find(|m| m["packageFileName"] == "/usr/local/bin/payments")
        .expect("server");
    let grpc = spdx_id(spdx_one(&doc, "google.golang.org/grpc"));
    let from: Vec<&String> = depends
        .iter()
        .filter(|(_, to)| *to == grpc)
        .map(|(f, _)| f)
        .collect();
    assert_eq!(from, [&spdx_id(server)]);

    // stdlib: syft's naming.
    let stdlib = spdx_one(&doc, "stdlib");
    assert_eq!(stdlib["versionInfo"], "go1.23.4");
    assert_eq!(spdx_purl(stdlib), Some("pkg:golang/stdlib@1.23.4"));
    assert_eq!(stdlib["primaryPackagePurpose"], "LIBRARY");

    // OS packages: CONTAINS from the subject.
    for name in [
        "base-files",
        "ca-certificates",
        "libc6",
        "netbase",
        "tzdata",
    ] {
        let p = spdx_one(&doc, name);
        assert!(
            contains.contains(&(subject_id.clone(), spdx_id(p))),
            "{name}"
        );
        assert!(spdx_purl(p).is_some_and(|u| u.starts_with(&format!("pkg:deb/debian/{name}@"))));
    }
    assert_eq!(
        spdx_purl(spdx_one(&doc, "libc6")),
        Some("pkg:deb/debian/libc6@2.36-9%2Bdeb12u7?arch=amd64&distro=debian-12")
    );

    // Nothing else: DESCRIBES + CONTAINS (2 mains, 5 OS) + DEPENDS_ON.
    assert_eq!(contains.len(), 7);
    // server: 5 deps + stdlib; worker: 3 deps + stdlib.
    assert_eq!(depends.len(), 10);
    assert_eq!(arr(&doc["relationships"]).len(), 1 + 7 + 10);
    // Every relationship end is a package (or the document).
    let ids: BTreeSet<String> = arr(&doc["packages"]).iter().map(spdx_id).collect();
    assert_eq!(ids.len(), arr(&doc["packages"]).len(), "SPDXIDs are unique");
    for r in arr(&doc["relationships"]) {
        for end in [s(&r["spdxElementId"]), s(&r["relatedSpdxElement"])] {
            assert!(end == "SPDXRef-DOCUMENT" || ids.contains(end), "{end}");
        }
    }
    assert!(doc.get("documentDescribes").is_none());
    assert_eq!(doc["creationInfo"]["created"], "2024-06-01T10:20:30Z");
    assert_eq!(
        doc["creationInfo"]["creators"],
        serde_json::json!(["Tool: envelope-0.1.0"])
    );
}

#[test]
fn replacements() {
    let doc = common::spdx(&common::image());
    // Version replacement: reported as the replacement.
    assert!(spdx_packages(&doc, "golang.org/x/net").is_empty());
    let fork = spdx_one(&doc, "github.com/example/net-fork");
    assert_eq!(fork["versionInfo"], "v0.25.1-0.20240601120000-abcdef012345");
    assert_eq!(
        spdx_purl(fork),
        Some("pkg:golang/github.com/example/net-fork@v0.25.1-0.20240601120000-abcdef012345")
    );
    let notes = annotations(fork);
    assert!(notes.contains(&"envelope:go:replaced=golang.org/x/net@v0.25.0".to_string()));
    assert!(notes
        .contains(&"envelope:go:h1=h1:Q2Wf0Ld6+vMXFmN0WkN8c8oWkD0mE9p9PmgXQz0Y4Vs=".to_string()));
    assert!(s(&fork["sourceInfo"]).contains("replaced by github.com/example/net-fork@"));

    // Local-directory replacement: the original path, no version.
    let shared = spdx_one(&doc, "github.com/example/shared");
    assert!(shared.get("versionInfo").is_none(), "{shared:#}");
    assert_eq!(
        spdx_purl(shared),
        Some("pkg:golang/github.com/example/shared")
    );
    let notes = annotations(shared);
    assert!(notes.contains(&"envelope:go:replacement-dir=../locallib".to_string()));
    assert!(notes.contains(&"envelope:go:replaced=github.com/example/shared@v0.3.0".to_string()));
    assert!(s(&shared["sourceInfo"]).contains("local directory ../locallib"));

    // h1 sums and build settings are annotations, not checksums.
    let cobra = spdx_one(&doc, "github.com/spf13/cobra");
    assert!(cobra.get("checksums").is_none());
    assert_eq!(
        annotations(cobra),
        ["envelope:go:h1=h1:7aJaZx1B85qltLMc546zn58BxxfZdR/W22ej9CFoEf0="]
    );
    let server = arr(&doc["packages"])
        .iter()
        .find(|p| p["packageFileName"] == "/usr/local/bin/payments")
        .expect("server");
    let notes = annotations(server);
    for want in [
        "envelope:go:binary=/usr/local/bin/payments",
        "envelope:go:toolchain=go1.23.4",
        "envelope:go:build:-ldflags=-s -w -X main.version=1.4.2",
        "envelope:go:build:CGO_ENABLED=0",
        "envelope:go:build:vcs.revision=3f6c1e8b2a9d4c7e5f0a1b2c3d4e5f6a7b8c9d0e",
    ] {
        assert!(
            notes.contains(&want.to_string()),
            "{want} not in {notes:#?}"
        );
    }
    let ann = &server["annotations"][0];
    assert_eq!(ann["annotationType"], "OTHER");
    assert_eq!(ann["annotator"], "Tool: envelope-0.1.0");
    assert_eq!(ann["annotationDate"], "2024-06-01T10:20:30Z");
}

#[test]
fn a_module_with_and_without_its_sum_is_one_package() {
    let mut input = common::image();
    input.binaries[1].deps[0].sum = None; // cobra in the worker
    let doc = common::spdx(&input);
    let cobra = spdx_one(&doc, "github.com/spf13/cobra");
    assert_eq!(annotations(cobra).len(), 1, "the known sum is kept");
    let depends = relationships(&doc, "DEPENDS_ON");
    assert_eq!(
        depends
            .iter()
            .filter(|(_, to)| *to == spdx_id(cobra))
            .count(),
        2
    );
}

#[test]
fn stdlib_per_toolchain() {
    let doc = common::spdx(&common::mixed_os());
    let stdlibs = spdx_packages(&doc, "stdlib");
    let got: BTreeSet<(&str, Option<&str>)> = stdlibs
        .iter()
        .map(|p| (s(&p["versionInfo"]), spdx_purl(p)))
        .collect();
    assert_eq!(
        got,
        BTreeSet::from([
            ("go1.22.5", Some("pkg:golang/stdlib@1.22.5")),
            ("go1.23.4", Some("pkg:golang/stdlib@1.23.4")),
        ])
    );
    let worker = arr(&doc["packages"])
        .iter()
        .find(|p| p["packageFileName"] == "/usr/local/bin/payments-worker")
        .expect("worker");
    assert!(annotations(worker).contains(&"envelope:go:toolchain=go1.22.5 X:boringcrypto".into()));

    let bin = common::spdx(&common::bare_binary());
    let stdlib = spdx_one(&bin, "stdlib");
    assert_eq!(stdlib["versionInfo"], "go1.24-2b8b7b8");
    assert_eq!(spdx_purl(stdlib), Some("pkg:golang/stdlib@1.24-2b8b7b8"));
}

#[test]
fn os_packages_deb_and_apk() {
    let doc = common::spdx(&common::mixed_os());
    assert_eq!(spdx_packages(&doc, "libc6").len(), 1, "duplicates merge");
    assert_eq!(
        spdx_purl(spdx_one(&doc, "musl")),
        Some("pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20")
    );
    assert_eq!(
        spdx_purl(spdx_one(&doc, "ssl_client")),
        Some("pkg:apk/alpine/ssl_client@1.36.1-r29?arch=x86_64")
    );
    let subject_id = spdx_id(spdx_subject(&doc));
    let contains = relationships(&doc, "CONTAINS");
    for name in ["musl", "busybox", "ssl_client", "tzdata"] {
        assert!(contains.contains(&(subject_id.clone(), spdx_id(spdx_one(&doc, name)))));
    }
    // Offset times are converted to UTC.
    assert_eq!(doc["creationInfo"]["created"], "2024-06-01T10:20:30Z");
}

#[test]
fn binary_subject() {
    let input = common::bare_binary();
    let doc = common::spdx(&input);
    let subject = spdx_subject(&doc);
    assert_eq!(subject["name"], "payments");
    assert_eq!(subject["primaryPackagePurpose"], "APPLICATION");
    assert_eq!(subject["checksums"][0]["checksumValue"], common::SERVER_SHA);
    let main = spdx_one(&doc, "github.com/example/payments");
    assert_eq!(main["versionInfo"], "(devel)");
    assert_eq!(
        spdx_purl(main),
        Some("pkg:golang/github.com/example/payments")
    );
    assert!(relationships(&doc, "CONTAINS").contains(&(spdx_id(subject), spdx_id(main))));
    assert_eq!(doc["creationInfo"]["created"], "1970-01-01T00:00:00Z");

    let cdx = common::cdx(&input);
    assert_eq!(cdx["metadata"]["component"]["type"], "application");
    assert_eq!(
        common::cdx(&common::image())["metadata"]["component"]["type"],
        "container"
    );
}

#[test]
fn subject_checksum_only_for_sha256() {
    let doc = common::spdx(&common::odd());
    let subject = spdx_subject(&doc);
    assert!(subject.get("checksums").is_none(), "{subject:#}");
    assert_eq!(subject["primaryPackagePurpose"], "CONTAINER");
    let cdx = common::cdx(&common::odd());
    assert!(cdx["metadata"]["component"].get("hashes").is_none());
    // Not a timestamp: the epoch.
    assert_eq!(doc["creationInfo"]["created"], "1970-01-01T00:00:00Z");
    assert_eq!(cdx["metadata"]["timestamp"], "1970-01-01T00:00:00Z");

    // A bare hex digest is a SHA-256 too.
    let mut input = common::image();
    input.subject.digest = Some(
        common::IMAGE_DIGEST
            .trim_start_matches("sha256:")
            .to_uppercase(),
    );
    let doc = common::spdx(&input);
    assert_eq!(
        spdx_subject(&doc)["checksums"][0]["checksumValue"],
        common::IMAGE_DIGEST.trim_start_matches("sha256:")
    );
}

#[test]
fn odd_names_are_encoded() {
    let doc = common::spdx(&common::odd());
    let main = spdx_one(&doc, "example.com/ünïcode/app");
    assert_eq!(
        spdx_purl(main),
        Some("pkg:golang/example.com/%C3%BCn%C3%AFcode/app@v0.0.0-20240101000000-abcdef012345")
    );
    assert_eq!(
        main["packageFileName"],
        "/opt/приложение/my app (1)/bin\\x\"q\u{1}"
    );
    assert!(main.get("checksums").is_none(), "not a digest");
    assert_eq!(
        spdx_purl(spdx_one(&doc, "example.com/we@ird/mod~x")),
        Some("pkg:golang/example.com/we%40ird/mod~x@v1.0.0")
    );
    let noversion = spdx_one(&doc, "example.com/noversion");
    assert!(noversion.get("versionInfo").is_none());
    // An empty h1 is not recorded.
    assert!(annotations(spdx_one(&doc, "example.com/we@ird/mod~x")).is_empty());
    // A binary without a main module: named after its file, no PURL, no stdlib.
    let tool = spdx_one(&doc, "gopath-tool");
    assert_eq!(spdx_purl(tool), None);
    assert_eq!(spdx_packages(&doc, "stdlib").len(), 1);
    assert_eq!(
        spdx_purl(spdx_one(&doc, "lib+plus")),
        Some("pkg:deb/debian/lib%2Bplus@1%3A2.0~rc1%2Bdfsg-3")
    );
    assert_eq!(
        spdx_purl(spdx_one(&doc, "ünï")),
        Some("pkg:apk/wolfi/%C3%BCn%C3%AF@1.0-r0?arch=aarch64&distro=wolfi-20230201")
    );
    let ids: BTreeSet<String> = arr(&doc["packages"]).iter().map(spdx_id).collect();
    for id in &ids {
        assert!(
            id.strip_prefix("SPDXRef-").is_some_and(|r| r
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')),
            "{id}"
        );
    }
}

#[test]
fn empty_input() {
    let doc = common::spdx(&common::empty());
    assert_eq!(arr(&doc["packages"]).len(), 1, "just the subject");
    assert_eq!(arr(&doc["relationships"]).len(), 1, "just DESCRIBES");
    let cdx = common::cdx(&common::empty());
    assert!(arr(&cdx["components"]).is_empty());
    assert_eq!(arr(&cdx["dependencies"]).len(), 1);
}

/// CycloneDX: metadata.component is the subject, every component and the
/// subject have a dependency entry, refs resolve, edges match SPDX.
#[test]
fn cyclonedx_dependency_graph_is_complete() {
    for (name, input) in common::all() {
        let cdx = common::cdx(&input);
        let spdx = common::spdx(&input);
        let subject = &cdx["metadata"]["component"];
        assert_eq!(subject["name"], input.subject.name.as_str(), "{name}");
        let subject_ref = s(&subject["bom-ref"]).to_string();

        let mut refs: Vec<String> = arr(&cdx["components"])
            .iter()
            .map(|c| s(&c["bom-ref"]).to_string())
            .collect();
        refs.push(subject_ref.clone());
        let unique: BTreeSet<&String> = refs.iter().collect();
        assert_eq!(unique.len(), refs.len(), "{name}: bom-refs are unique");

        let graph: BTreeMap<String, Vec<String>> = arr(&cdx["dependencies"])
            .iter()
            .map(|d| {
                (
                    s(&d["ref"]).to_string(),
                    arr(&d["dependsOn"])
                        .iter()
                        .map(|x| s(x).to_string())
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            graph.len(),
            arr(&cdx["dependencies"]).len(),
            "{name}: one entry per ref"
        );
        let keys: BTreeSet<&String> = graph.keys().collect();
        assert_eq!(keys, unique, "{name}: every component has an entry");
        for (from, tos) in &graph {
            for to in tos {
                assert!(unique.contains(to), "{name}: {from} -> {to}");
            }
        }

        // The same edges as SPDX's CONTAINS and DEPENDS_ON (ids map 1:1).
        let spdx_edges: BTreeSet<(String, String)> = relationships(&spdx, "CONTAINS")
            .into_iter()
            .chain(relationships(&spdx, "DEPENDS_ON"))
            .map(|(a, b)| {
                let strip = |x: String| x.trim_start_matches("SPDXRef-Package-").to_string();
                (strip(a), strip(b))
            })
            .collect();
        let cdx_edges: BTreeSet<(String, String)> = graph
            .iter()
            .flat_map(|(f, tos)| tos.iter().map(move |t| (f.clone(), t.clone())))
            .collect();
        assert_eq!(spdx_edges, cdx_edges, "{name}");
        // Everything is reachable from the subject.
        let mut seen = BTreeSet::from([subject_ref.clone()]);
        let mut todo = vec![subject_ref];
        while let Some(r) = todo.pop() {
            for t in &graph[&r] {
                if seen.insert(t.clone()) {
                    todo.push(t.clone());
                }
            }
        }
        assert_eq!(seen.len(), unique.len(), "{name}: all reachable");
    }
}

#[test]
fn cyclonedx_fields() {
    let cdx = common::cdx(&common::image());
    assert_eq!(cdx["bomFormat"], "CycloneDX");
    assert_eq!(cdx["specVersion"], "1.6");
    assert_eq!(cdx["version"], 1);
    assert_eq!(cdx["metadata"]["timestamp"], "2024-06-01T10:20:30Z");
    assert_eq!(
        cdx["metadata"]["tools"]["components"],
        serde_json::json!([{"type": "application", "name": "envelope", "version": "0.1.0"}])
    );
    let serial = s(&cdx["serialNumber"]);
    let uuid = serial.trim_start_matches("urn:uuid:");
    assert_eq!(&uuid[14..15], "5", "version 5");
    assert!(
        matches!(&uuid[19..20], "8" | "9" | "a" | "b"),
        "RFC 4122 variant"
    );
    let comps = arr(&cdx["components"]);
    let stdlib = comps
        .iter()
        .find(|c| c["name"] == "stdlib")
        .expect("stdlib");
    assert_eq!(stdlib["version"], "go1.23.4");
    assert_eq!(stdlib["purl"], "pkg:golang/stdlib@1.23.4");
    assert_eq!(stdlib["type"], "library");
    let server = comps
        .iter()
        .find(|c| {
            c["properties"]
                .as_array()
                .is_some_and(|p| p.iter().any(|x| x["value"] == "/usr/local/bin/payments"))
        })
        .expect("server");
    assert_eq!(server["type"], "application");
    assert_eq!(server["hashes"][0]["alg"], "SHA-256");
    assert_eq!(server["hashes"][0]["content"], common::SERVER_SHA);
    let worker = comps
        .iter()
        .find(|c| c["hashes"][0]["content"] == common::WORKER_SHA)
        .expect("worker: sha256: prefix stripped");
    assert_eq!(worker["name"], "github.com/example/payments");
    assert_eq!(
        cdx["metadata"]["component"]["hashes"][0]["content"],
        common::IMAGE_DIGEST.trim_start_matches("sha256:")
    );
}
