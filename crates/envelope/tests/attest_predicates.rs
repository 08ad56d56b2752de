//! The content of envelope's attestations on real images: the program of
//! tests/fixtures/depsapp (real modules with h1: sums from a file GOPROXY,
//! a replace, an upper-case path) built by envelope, read back through the
//! image model, its provenance compared with `go version -m`, validated
//! against the in-toto Statement v1 and SLSA provenance v1 shapes, the same
//! across builds in different directories, and checked against the image:
//! passing as built, failing on each tampering. A build on a base image
//! pushed to a local registry covers the base's digest and layers.

#![cfg(feature = "external-tools")]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::goproxy::{deps_app, go_version_m, DepsApp};
use common::registry::Registry;
use common::*;
use envelope_attest::predicates::{sbom_byproduct, sbom_predicate, SbomFormat};
use envelope_attest::provenance::{
    Provenance, ProvenanceInput, DEP_BASE, DEP_CA, DEP_GO, DEP_SOURCE, DEP_TZDATA,
};
use envelope_attest::{check, check_images, read_image, ImageFacts, Mismatch, Statement, Subject};
use envelope_oci::{Digest, ImageStore};
use serde_json::Value;

const SOURCE: &str = "https://github.com/example/depsapp";
const REVISION: &str = "0123456789abcdef0123456789abcdef01234567";

fn schema(name: &str) -> jsonschema::Validator {
    let schema = read_json(&repo_root().join("crates/envelope/tests/schemas").join(name));
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn validate(doc: &Value, name: &str) {
    let v = schema(name);
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{doc:#}");
}

/// `envelope build --format json` of the depsapp into `output`, labelled
/// with a source repository and revision, with CA certificates and time
/// zones: the report.
fn build_to(app: &DepsApp, output: &str, extra: &[&str]) -> Value {
    let cache = app.proxy.root().join("cache");
    let mut cmd = envelope(&app.src, &cache);
    cmd.envs(app.proxy.env())
        .args([
            "build",
            "--format",
            "json",
            "--ca-certs",
            "always",
            "--tzdata",
            "always",
        ])
        .args([
            "--label",
            &format!("org.opencontainers.image.source={SOURCE}"),
        ])
        .args([
            "--label",
            &format!("org.opencontainers.image.revision={REVISION}"),
        ])
        .args(extra)
        .args(["-o", output]);
    json(&ok(&mut cmd))
}

/// [`build_to`] `oci:LAYOUT:v1`.
fn build(app: &DepsApp, layout: &Path, extra: &[&str]) {
    build_to(app, &format!("oci:{}:v1", layout.display()), extra);
}

struct Attested {
    facts: ImageFacts,
    root: Digest,
    provenance: Provenance,
    statement: Vec<u8>,
}

/// Reads the image back and states its provenance, as `envelope attest`
/// will: the SPDX SBOM's digest as byproduct.
fn attest(layout: &Path) -> Attested {
    let store = ImageStore::oci_layout(layout, Some("v1")).expect("layout opens");
    let source = store.image(None).expect("image");
    let facts = read_image(&source).expect("layers read");
    let mut input = ProvenanceInput::from_images(std::slice::from_ref(&facts), None);
    let sbom = envelope_sbom::SbomInput {
        subject: envelope_sbom::Subject {
            name: "depsapp:v1".into(),
            digest: Some(store.root().digest.to_string()),
            created: facts.created.clone(),
        },
        binaries: facts.binaries.iter().map(|b| b.binary.clone()).collect(),
        os_packages: Vec::new(),
        tool_name: "envelope".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
    };
    let spdx = sbom_predicate(&sbom, SbomFormat::Spdx).expect("SPDX");
    for format in [SbomFormat::Spdx, SbomFormat::CycloneDx] {
        let p = sbom_predicate(&sbom, format).expect("SBOM");
        let s = Statement::new(
            vec![Subject::new("depsapp:v1", &store.root().digest)],
            p.predicate_type,
            p.predicate,
        );
        let v: Value = serde_json::from_slice(&s.to_json()).expect("JSON");
        validate(&v, "in-toto-statement-v1.schema.json");
        let doc: Value = serde_json::from_slice(&p.document).expect("document");
        assert_eq!(v["predicate"], doc, "the predicate is the document");
    }
    assert_eq!(spdx.predicate_type, "https://spdx.dev/Document");
    assert_eq!(spdx.predicate["spdxVersion"], "SPDX-2.3");
    input
        .byproducts
        .push(sbom_byproduct(&spdx.document, SbomFormat::Spdx));
    let provenance = input.provenance();
    let statement = Statement::new(
        vec![Subject::new("depsapp:v1", &store.root().digest)],
        envelope_attest::PROVENANCE_PREDICATE_TYPE,
        provenance.to_value(),
    )
    .to_json();
    Attested {
        facts,
        root: store.root().digest.clone(),
        provenance,
        statement,
    }
}

/// The app layer's binary, extracted to `dest`.
fn extract_binary(layout: &Path, facts: &ImageFacts, dest: &Path) -> PathBuf {
    let app = facts.layers.last().expect("layers");
    std::fs::create_dir_all(dest).expect("dest");
    tar_extract(&blob_path(layout, &app.digest.to_string()), dest);
    dest.join("usr/local/bin/depsapp")
}

/// (path, version, sum) of each module `go version -m` prints, a
/// replacement in place of what it replaces; and the Go version.
fn go_modules(bin: &Path) -> (BTreeSet<(String, String, String)>, String) {
    let text = go_version_m(bin);
    let mut out = BTreeSet::new();
    let mut last: Option<(String, String, String)> = None;
    let mut go = String::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            go = line.rsplit(' ').next().unwrap_or_default().to_string();
            continue;
        }
        let f: Vec<&str> = line.trim_start().split('\t').collect();
        match f.first().copied() {
            Some("dep") => {
                out.extend(last.take());
                last = Some((
                    f[1].into(),
                    f[2].into(),
                    f.get(3).unwrap_or(&"").to_string(),
                ));
            }
            Some("=>") => {
                last = Some((
                    f[1].into(),
                    f[2].into(),
                    f.get(3).unwrap_or(&"").to_string(),
                ));
            }
            _ => out.extend(last.take()),
        }
    }
    out.extend(last);
    (out, go)
}

fn dependency<'a>(p: &'a Value, name: &str) -> &'a Value {
    p["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .expect("resolvedDependencies")
        .iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {p:#}"))
}

fn dependency_mut<'a>(p: &'a mut Value, name: &str) -> &'a mut Value {
    p["buildDefinition"]["resolvedDependencies"]
        .as_array_mut()
        .expect("resolvedDependencies")
        .iter_mut()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

/// The check of `facts` against the provenance edited by `edit`, parsed
/// back as untrusted JSON.
fn check_edited(a: &Attested, edit: impl FnOnce(&mut Value)) -> Vec<Mismatch> {
    let mut v = a.provenance.to_value();
    edit(&mut v);
    let p = Provenance::from_value(v).expect("still a provenance");
    check(&a.facts, &p).mismatches
}

#[test]
fn provenance_of_a_real_image_matches_its_build_info_and_detects_tampering() {
    let app = deps_app();
    let layout = app.proxy.root().join("layout");
    build(&app, &layout, &[]);
    let a = attest(&layout);

    // The statement: in-toto v1, about the image, parsed back unchanged.
    let statement: Value = serde_json::from_slice(&a.statement).expect("JSON");
    validate(&statement, "in-toto-statement-v1.schema.json");
    validate(&statement["predicate"], "slsa-provenance-v1.schema.json");
    let parsed = Statement::parse(&a.statement).expect("parses");
    assert!(parsed.is_about(&a.root));
    assert_eq!(parsed.predicate_type, "https://slsa.dev/provenance/v1");
    let p = &statement["predicate"];
    assert_eq!(
        p["buildDefinition"]["buildType"],
        "https://envelope.dev/buildtypes/go-image/v1"
    );

    // External parameters.
    let ext = &p["buildDefinition"]["externalParameters"];
    assert_eq!(
        ext["packages"],
        serde_json::json!(["example.com/depsapp"]),
        "{ext:#}"
    );
    assert_eq!(
        ext["platforms"],
        serde_json::json!(["linux/amd64"]),
        "{ext:#}"
    );
    assert_eq!(ext["base"], "scratch");
    assert_eq!(ext["source"]["repository"], SOURCE);
    assert_eq!(ext["source"]["revision"], REVISION);
    assert_eq!(ext["flags"]["env"]["CGO_ENABLED"], "0", "{ext:#}");

    // Modules with their h1: sums and the toolchain, as `go version -m`.
    let bin = extract_binary(&layout, &a.facts, &app.proxy.root().join("x"));
    let (want, go) = go_modules(&bin);
    let text = go_version_m(&bin);
    if let Some(l) = text.lines().find(|l| l.contains("-ldflags=")) {
        let ldflags = l.split_once("-ldflags=").map(|x| x.1).unwrap_or_default();
        assert_eq!(
            ext["flags"]["ldflags"],
            ldflags.trim().trim_matches('"'),
            "{text}"
        );
    }
    assert!(want.len() >= 5, "{want:?}");
    let have: BTreeSet<(String, String, String)> = a
        .provenance
        .go_modules()
        .into_iter()
        .map(|m| (m.path, m.version, m.sum.unwrap_or_default()))
        .collect();
    assert_eq!(have, want);
    let shout = dependency(p, "example.com/Shout");
    let shout_version = &want
        .iter()
        .find(|m| m.0 == "example.com/Shout")
        .expect("Shout")
        .1;
    assert_eq!(
        shout["uri"],
        format!("pkg:golang/example.com/Shout@{shout_version}")
    );
    assert_eq!(
        shout["digest"]["dirHash"].as_str().map(str::len),
        Some(64),
        "{shout:#}"
    );
    let newlog = dependency(p, "example.com/newlog");
    assert_eq!(
        newlog["annotations"]["replaces"],
        "example.com/oldlog@v1.0.0"
    );
    assert_eq!(
        dependency(p, DEP_GO)["annotations"]["goVersion"].as_str(),
        Some(go.as_str())
    );
    assert_eq!(p["buildDefinition"]["internalParameters"]["goVersion"], go);
    assert_eq!(
        p["buildDefinition"]["internalParameters"]["envelopeVersion"],
        env!("CARGO_PKG_VERSION")
    );
    let src = dependency(p, DEP_SOURCE);
    assert_eq!(src["uri"], format!("git+{SOURCE}@{REVISION}"));
    assert_eq!(src["digest"]["gitCommit"], REVISION);

    // The CA bundle by the file's digest, the time zones by their layer.
    let ca_layer = &a.facts.layers[a.facts.ca_bundle.as_ref().expect("CA bundle").1];
    let ca_dir = app.proxy.root().join("ca");
    std::fs::create_dir_all(&ca_dir).expect("ca dir");
    tar_extract(&blob_path(&layout, &ca_layer.digest.to_string()), &ca_dir);
    let pem = std::fs::read(ca_dir.join("etc/ssl/certs/ca-certificates.crt")).expect("CA file");
    assert_eq!(
        dependency(p, DEP_CA)["digest"]["sha256"].as_str(),
        Some(Digest::sha256(&pem).hex())
    );
    let tz = &a.facts.layers[a.facts.tzdata_layer.expect("tzdata")];
    assert_eq!(
        dependency(p, DEP_TZDATA)["digest"]["sha256"].as_str(),
        Some(tz.digest.hex())
    );

    // Run details: the image's created time (no SOURCE_DATE_EPOCH), the
    // SBOM as byproduct.
    let run = &p["runDetails"];
    assert_eq!(run["builder"]["id"], "https://envelope.dev/builders/cli/v1");
    assert_eq!(run["metadata"]["startedOn"], "1970-01-01T00:00:00Z");
    assert_eq!(run["metadata"]["finishedOn"], "1970-01-01T00:00:00Z");
    assert_eq!(run["byproducts"][0]["mediaType"], "application/spdx+json");

    // The check passes on the image as built, through the parser.
    let back = Provenance::from_value(parsed.predicate.clone()).expect("provenance");
    let report = check(&a.facts, &back);
    assert!(report.passed(), "{:#?}", report.mismatches);
    assert_eq!(report.binaries, 1);
    assert_eq!(report.modules, want.len());

    // Each tampering is reported, naming the module and both values.
    let (path, version, sum) = want
        .iter()
        .find(|m| m.0 == "example.com/greet")
        .cloned()
        .expect("greet");
    let m = check_edited(&a, |v| {
        dependency_mut(v, &path)["annotations"]["version"] = "v9.9.9".into();
    });
    assert_eq!(
        m,
        [Mismatch::ModuleVersion {
            binary: "/usr/local/bin/depsapp".into(),
            path: path.clone(),
            expected: vec!["v9.9.9".into()],
            found: version.clone(),
        }]
    );
    let forged = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let m = check_edited(&a, |v| {
        dependency_mut(v, &path)["annotations"]["goSum"] = forged.into();
    });
    assert_eq!(
        m,
        [Mismatch::ModuleHash {
            binary: "/usr/local/bin/depsapp".into(),
            path: path.clone(),
            version: version.clone(),
            expected: Some(forged.into()),
            found: Some(sum.clone()),
        }]
    );
    let m = check_edited(&a, |v| {
        dependency_mut(v, DEP_GO)["annotations"]["goVersion"] = "go1.20".into();
    });
    assert_eq!(
        m,
        [Mismatch::GoVersion {
            binary: "/usr/local/bin/depsapp".into(),
            expected: vec!["go1.20".into()],
            found: go.clone(),
        }]
    );
    // A module left out, and one added.
    let m = check_edited(&a, |v| {
        let deps = v["buildDefinition"]["resolvedDependencies"]
            .as_array_mut()
            .expect("deps");
        deps.retain(|d| d["name"] != path.as_str());
        deps.push(serde_json::json!({
            "name": "example.com/extra",
            "uri": "pkg:golang/example.com/extra@v1.0.0",
            "annotations": {"version": "v1.0.0"}
        }));
    });
    assert_eq!(
        m,
        [
            Mismatch::ModuleNotInProvenance {
                binary: "/usr/local/bin/depsapp".into(),
                path: path.clone(),
                version: version.clone(),
            },
            Mismatch::ModuleNotInImage {
                path: "example.com/extra".into(),
                version: "v1.0.0".into(),
            },
        ]
    );
    // A base the image does not have.
    let fake = Digest::sha256(b"another base");
    let m = check_edited(&a, |v| {
        v["buildDefinition"]["resolvedDependencies"]
            .as_array_mut()
            .expect("deps")
            .push(serde_json::json!({
                "name": DEP_BASE,
                "uri": "oci://example.com/base:v1",
                "digest": {"sha256": fake.hex()},
                "annotations": {"layers": [fake.to_string()]}
            }));
    });
    assert_eq!(
        m,
        [
            Mismatch::BaseDigest {
                expected: Some(fake.to_string()),
                found: None,
            },
            Mismatch::BaseLayer {
                index: 0,
                expected: fake.to_string(),
                found: Some(a.facts.layers[0].digest.to_string()),
            },
        ]
    );
}

#[test]
fn provenance_is_byte_identical_across_builds_in_different_directories() {
    let one = deps_app();
    let two = deps_app();
    assert_ne!(one.src, two.src);
    let (l1, l2) = (
        one.proxy.root().join("out-a"),
        two.proxy.root().join("out-b"),
    );
    build(&one, &l1, &[]);
    build(&two, &l2, &[]);
    let (a, b) = (attest(&l1), attest(&l2));
    assert_eq!(a.root, b.root, "the builds are reproducible");
    assert_eq!(
        String::from_utf8_lossy(&a.statement),
        String::from_utf8_lossy(&b.statement)
    );
    // With SOURCE_DATE_EPOCH the times are the epoch's, and still the same.
    let t =
        ProvenanceInput::from_images(std::slice::from_ref(&a.facts), Some("2023-11-14T22:13:20Z"))
            .provenance()
            .to_value();
    assert_eq!(
        t["runDetails"]["metadata"]["startedOn"],
        "2023-11-14T22:13:20Z"
    );
}

#[test]
fn a_base_image_is_named_by_digest_with_its_layers_and_checked() {
    let reg = Registry::start();
    let tmp = tempdir();
    let base_ref = format!("{}/test/base:v1", reg.addr);
    let out = json(&ok(envelope(&example("hello"), &tmp.path().join("cache"))
        .args(["build", "--format", "json", "-o"])
        .arg(format!("docker://{base_ref}"))));
    let base_digest = out["images"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    let base_layers: Vec<String> = json(&skopeo(&[
        "inspect",
        "--tls-verify=false",
        &format!("docker://{}/test/base@{base_digest}", reg.addr),
    ]))["Layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l.as_str().expect("digest").to_string())
        .collect();

    let app = deps_app();
    let layout = app.proxy.root().join("layout");
    let pinned = format!("{}/test/base@{base_digest}", reg.addr);
    build(&app, &layout, &["--base", &pinned]);
    let a = attest(&layout);
    let statement: Value = serde_json::from_slice(&a.statement).expect("JSON");
    let p = &statement["predicate"];
    validate(p, "slsa-provenance-v1.schema.json");
    assert_eq!(p["buildDefinition"]["externalParameters"]["base"], pinned);
    // The base's own program (hello) is the base's, not this build's.
    assert_eq!(
        p["buildDefinition"]["externalParameters"]["packages"],
        serde_json::json!(["example.com/depsapp"])
    );
    assert_eq!(a.facts.binaries.len(), 2);
    let base = dependency(p, DEP_BASE);
    assert_eq!(
        base["digest"]["sha256"].as_str(),
        base_digest.strip_prefix("sha256:")
    );
    assert_eq!(base["uri"], format!("oci://{pinned}"));
    assert_eq!(
        base["annotations"]["layers"],
        serde_json::json!(base_layers),
        "{base:#}"
    );
    // The base's own CA bundle and time zones are not envelope's.
    let report = check(&a.facts, &a.provenance);
    assert!(report.passed(), "{:#?}", report.mismatches);
    assert_eq!(report.base_layers, base_layers.len());

    // Another base digest, another first layer: each reported.
    let other = Digest::sha256(b"other");
    let m = check_edited(&a, |v| {
        dependency_mut(v, DEP_BASE)["digest"]["sha256"] = other.hex().into();
    });
    assert_eq!(
        m,
        [Mismatch::BaseDigest {
            expected: Some(other.to_string()),
            found: Some(base_digest.clone()),
        }]
    );
    let m = check_edited(&a, |v| {
        dependency_mut(v, DEP_BASE)["annotations"]["layers"][0] = other.to_string().into();
    });
    assert_eq!(
        m,
        [Mismatch::BaseLayer {
            index: 0,
            expected: other.to_string(),
            found: Some(base_layers[0].clone()),
        }]
    );
}

#[test]
fn a_multi_platform_build_names_each_platform_s_base_and_checks_every_image() {
    let reg = Registry::start();
    let tmp = tempdir();
    let out = json(&ok(envelope(&example("hello"), &tmp.path().join("cache"))
        .args([
            "build",
            "--format",
            "json",
            "--platform",
            "linux/amd64,linux/arm64",
            "-o",
        ])
        .arg(format!("docker://{}/test/base:v1", reg.addr))));
    let base_digest = out["images"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    let pinned = format!("{}/test/base@{base_digest}", reg.addr);

    let app = deps_app();
    let layout = app.proxy.root().join("layout");
    build(
        &app,
        &layout,
        &["--base", &pinned, "--platform", "linux/amd64,linux/arm64"],
    );
    let store = ImageStore::oci_layout(&layout, Some("v1")).expect("layout opens");
    let images: Vec<ImageFacts> = ["amd64", "arm64"]
        .iter()
        .map(|arch| {
            let p = envelope_oci::Platform::new("linux", arch);
            read_image(&store.image(Some(&p)).expect("platform")).expect("layers read")
        })
        .collect();
    let provenance = ProvenanceInput::from_images(&images, None).provenance();
    let v = provenance.to_value();
    validate(&v, "slsa-provenance-v1.schema.json");
    assert_eq!(
        v["buildDefinition"]["externalParameters"]["platforms"],
        serde_json::json!(["linux/amd64", "linux/arm64"])
    );
    let bases: Vec<&Value> = v["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .expect("deps")
        .iter()
        .filter(|d| d["name"] == DEP_BASE)
        .collect();
    assert_eq!(bases.len(), 2, "{v:#}");
    for (base, facts) in bases.iter().zip(&images) {
        assert_eq!(
            base["annotations"]["platform"].as_str(),
            facts.platform.as_ref().map(ToString::to_string).as_deref()
        );
        assert_eq!(
            base["digest"]["sha256"].as_str(),
            base_digest.strip_prefix("sha256:")
        );
        let layers: Vec<String> = facts
            .base_layers()
            .expect("base layers")
            .iter()
            .map(|d| d.digest.to_string())
            .collect();
        assert_eq!(base["annotations"]["layers"], serde_json::json!(layers));
    }
    assert_ne!(
        bases[0]["annotations"]["layers"],
        bases[1]["annotations"]["layers"]
    );
    let report = check_images(&images, &provenance);
    assert!(report.passed(), "{:#?}", report.mismatches);
    assert_eq!(report.binaries, 2);
    // The amd64 image checked against a provenance whose bases swapped
    // platforms: its layers are not the amd64 base's.
    let mut swapped = v.clone();
    for d in swapped["buildDefinition"]["resolvedDependencies"]
        .as_array_mut()
        .expect("deps")
    {
        if d["name"] == DEP_BASE {
            let p = if d["annotations"]["platform"] == "linux/amd64" {
                "linux/arm64"
            } else {
                "linux/amd64"
            };
            d["annotations"]["platform"] = p.into();
        }
    }
    let swapped = Provenance::from_value(swapped).expect("provenance");
    let m = check_images(&images, &swapped).mismatches;
    assert!(
        !m.is_empty() && m.iter().all(|m| matches!(m, Mismatch::BaseLayer { .. })),
        "{m:#?}"
    );
}

/// cosign attests envelope's provenance predicate (`--type
/// slsaprovenance1`) on the image in a registry and verifies it offline;
/// what it returns parses (cosign writes in-toto Statement v0.1), carries
/// the predicate unchanged, and passes envelope's check.
#[test]
fn cosign_attests_and_verifies_the_provenance_and_the_check_passes_on_what_it_returns() {
    let reg = Registry::start();
    let app = deps_app();
    let pushed = build_to(&app, &format!("docker://{}/test/app:v1", reg.addr), &[]);
    let digest = pushed["images"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    let layout = app.proxy.root().join("layout");
    build(&app, &layout, &[]);
    let a = attest(&layout);
    assert_eq!(a.root.to_string(), digest, "the same build in a layout");

    let dir = app.proxy.root().join("cosign");
    std::fs::create_dir_all(&dir).expect("dir");
    let cosign = || common::cosign::cosign(&dir, "pw");
    ok(cosign().arg("generate-key-pair"));
    common::cosign::offline_signing_config(&dir);
    std::fs::write(
        dir.join("provenance.json"),
        serde_json::to_vec(&a.provenance.to_value()).expect("json"),
    )
    .expect("predicate");
    let image = format!("{}/test/app@{digest}", reg.addr);
    ok(cosign()
        .args([
            "attest",
            "--yes",
            "--key",
            "cosign.key",
            "--signing-config",
            "sc.json",
        ])
        .args([
            "--type",
            "slsaprovenance1",
            "--predicate",
            "provenance.json",
        ])
        .args(common::cosign::REGISTRY_FLAGS)
        .arg(&image));
    let out = ok(cosign()
        .args([
            "verify-attestation",
            "--key",
            "cosign.pub",
            "--insecure-ignore-tlog",
        ])
        .args(["--type", "slsaprovenance1"])
        .args(common::cosign::REGISTRY_FLAGS)
        .arg(&image));
    let line = out
        .lines()
        .find(|l| l.starts_with('{'))
        .expect("an attestation");
    let dsse = json(line);
    assert_eq!(dsse["payloadType"], "application/vnd.in-toto+json");
    let payload = dsse["payload"].as_str().expect("payload");
    let mut child = std::process::Command::new("base64")
        .arg("-d")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("base64");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(payload.as_bytes())
            .expect("write");
    }
    let decoded = child.wait_with_output().expect("base64 -d").stdout;
    let statement = Statement::parse(&decoded).expect("cosign's statement parses");
    assert!(statement.is_about(&a.root));
    assert_eq!(statement.predicate_type, "https://slsa.dev/provenance/v1");
    let back = Provenance::from_value(statement.predicate).expect("provenance");
    assert_eq!(back, a.provenance, "cosign carried the predicate unchanged");
    let report = check(&a.facts, &back);
    assert!(report.passed(), "{:#?}", report.mismatches);
}
