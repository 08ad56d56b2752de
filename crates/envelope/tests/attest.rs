//! `envelope attest`, `build --attest` and `verify` of attestations, with
//! the real cosign (v3) and the local registry: cosign's
//! verify-attestation accepts what envelope attested (provenance, SPDX,
//! OpenVEX; in a registry and in an OCI layout), envelope verifies what
//! cosign attested, the provenance is checked against the image itself,
//! each tampering fails, policies pass and fail, and attestations are the
//! same bytes across builds.

#![cfg(feature = "external-tools")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
use common::cosign::REGISTRY_FLAGS;
use common::goproxy::{deps_app, DepsApp};
use common::registry::Registry;
use common::*;
use serde_json::Value;

const PASSWORD: &str = "a test password";
const SOURCE: &str = "https://github.com/example/depsapp";
const REVISION: &str = "0123456789abcdef0123456789abcdef01234567";

/// `envelope` for the app, with the keys' password.
fn envelope_for(app: &DepsApp) -> Command {
    let mut cmd = app.envelope();
    cmd.env("ENVELOPE_PASSWORD", PASSWORD)
        .env_remove("COSIGN_PASSWORD")
        .env_remove("ENVELOPE_VULNDB");
    cmd
}

/// A key pair made by `envelope keygen` in the app's directory.
fn keygen(app: &DepsApp, prefix: &str) -> (PathBuf, PathBuf) {
    let dir = app.proxy.root();
    ok(envelope_for(app)
        .current_dir(dir)
        .args(["keygen", "--output-key-prefix", prefix]));
    (
        dir.join(format!("{prefix}.key")),
        dir.join(format!("{prefix}.pub")),
    )
}

/// A key pair, and `oci:DIR:v1` for a layout `name` in the app's directory:
/// the private key's path as an argument, the public key, the image.
fn key_and_layout(app: &DepsApp, name: &str) -> (String, PathBuf, String) {
    let (key, public) = keygen(app, "envelope");
    let layout = app.proxy.root().join(name);
    (
        key.to_string_lossy().into_owned(),
        public,
        format!("oci:{}:v1", layout.display()),
    )
}

/// `envelope verify` of `image` fails a check (exit 1) and says why:
/// some check's `reason` is `reason`.
fn verify_fails_for(app: &DepsApp, image: &str, public: &Path, reason: &str) {
    let (code, report, text) = verify(app, image, public, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .any(|c| c["reason"] == reason),
        "{report:#}"
    );
}

/// `envelope attest --format json` of `image`: provenance, SBOM and VEX
/// (from the fixture database), signed with `key`.
fn attest_all(app: &DepsApp, image: &str, key: &Path) -> Value {
    json(&ok(envelope_for(app)
        .args(["attest", image, "--format", "json"])
        .args(["--type", "provenance,sbom,vex", "--db"])
        .arg(vulndb())
        .arg("--key")
        .arg(key)))
}

/// `envelope build --format json` of the depsapp to `output`, labelled
/// with its source repository and revision.
fn build(app: &DepsApp, output: &str, extra: &[&str]) -> Value {
    json(&ok(envelope_for(app)
        .args(["build", "--format", "json"])
        .args([
            "--label",
            &format!("org.opencontainers.image.source={SOURCE}"),
            "--label",
            &format!("org.opencontainers.image.revision={REVISION}"),
        ])
        .args(extra)
        .args(["-o", output])))
}

fn digest_of(report: &Value) -> String {
    report["images"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string()
}

/// `envelope verify --format json`: exit code, report and stdout+stderr.
fn verify(app: &DepsApp, image: &str, public: &Path, extra: &[&str]) -> (i32, Value, String) {
    let out = run(envelope_for(app)
        .args(["verify", image, "--format", "json", "--key"])
        .arg(public)
        .args(extra));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let report = if stdout.trim().is_empty() {
        Value::Null
    } else {
        json(&stdout)
    };
    (
        out.status.code().unwrap_or(-1),
        report,
        format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
    )
}

fn cosign(dir: &Path) -> Command {
    common::cosign::cosign(dir, PASSWORD)
}

/// `cosign verify-attestation --type kind` of a registry image, or with
/// `--local-image` of a layout directory.
fn cosign_verify_attestation(
    dir: &Path,
    public: &Path,
    image: &str,
    kind: &str,
    local: bool,
) -> Output {
    let mut cmd = cosign(dir);
    cmd.args([
        "verify-attestation",
        "--insecure-ignore-tlog",
        "--type",
        kind,
        "--key",
    ])
    .arg(public);
    if local {
        cmd.arg("--local-image");
    } else {
        cmd.args(REGISTRY_FLAGS);
    }
    run(cmd.arg(image))
}

/// The in-toto statements cosign verify-attestation printed.
fn statements(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            let payload = json(l)["payload"].as_str().expect("payload").to_string();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(payload)
                .expect("base64");
            serde_json::from_slice(&bytes).expect("statement")
        })
        .collect()
}

/// A signing config without any transparency log or authority, for
/// `cosign attest` offline.
fn signing_config(dir: &Path) -> PathBuf {
    common::cosign::offline_signing_config(dir);
    dir.join("sc.json")
}

fn vulndb() -> String {
    repo_root()
        .join("tests/fixtures/govulndb")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn build_attests_in_a_registry_cosign_and_envelope_verify_and_a_swapped_attestation_fails() {
    require("docker-registry");
    let reg = Registry::start();
    let app = deps_app();
    let (key, public) = keygen(&app, "envelope");
    let (_, other) = keygen(&app, "other");
    let dir = app.proxy.root().to_path_buf();
    let image = format!("{}/test/app:v1", reg.addr);
    let key_arg = key.to_string_lossy().into_owned();
    let built = build(
        &app,
        &format!("docker://{image}"),
        &["--sign-key", &key_arg, "--attest", "provenance,sbom"],
    );
    let digest = digest_of(&built);

    for (kind, predicate_type) in [
        ("slsaprovenance1", "https://slsa.dev/provenance/v1"),
        ("spdxjson", "https://spdx.dev/Document"),
    ] {
        let out = cosign_verify_attestation(&dir, &public, &image, kind, false);
        assert!(out.status.success(), "{kind}: {out:?}");
        let found = statements(&out);
        assert!(!found.is_empty(), "{kind}: {out:?}");
        for s in &found {
            assert_eq!(s["predicateType"], predicate_type);
            assert_eq!(
                s["subject"][0]["digest"]["sha256"],
                digest.trim_start_matches("sha256:")
            );
            // What the image holds: the app's modules are in the SBOM and
            // the provenance's dependencies.
            let text = s["predicate"].to_string();
            for module in ["example.com/greet", "example.com/color"] {
                assert!(text.contains(module), "{kind}: {module} missing: {text}");
            }
        }
        assert!(
            !cosign_verify_attestation(&dir, &other, &image, kind, false)
                .status
                .success(),
            "{kind} with another key"
        );
    }

    // envelope verify: the signatures, the attestations and what they say.
    let (code, report, text) = verify(&app, &image, &public, &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(report["digest"], digest.as_str());
    let provenance = &report["proved"]["provenance"][0];
    assert_eq!(provenance["source_repository"], SOURCE, "{report:#}");
    assert_eq!(provenance["source_revision"], REVISION);
    assert_eq!(provenance["checked"], true);
    assert_eq!(provenance["mismatches"], serde_json::json!([]));
    assert!(
        provenance["go_versions"][0]
            .as_str()
            .is_some_and(|v| v.starts_with("go1.")),
        "{provenance:#}"
    );
    assert_eq!(provenance["base_pinned"], true, "scratch");
    assert_eq!(report["proved"]["sbom"][0], "spdx");
    let human = ok(envelope_for(&app)
        .args(["verify", &image, "--key"])
        .arg(&public));
    assert!(
        human.contains(&format!(
            "provenance: source {SOURCE} at {REVISION}, Go go1."
        )),
        "{human}"
    );
    assert!(
        human.contains("the image's binaries and base match it"),
        "{human}"
    );

    // Another image, signed, given the first one's attestations: a valid
    // signature about another digest fails (exit 1).
    let second = format!("{}/test/app:v2", reg.addr);
    let built2 = build(
        &app,
        &format!("docker://{second}"),
        &["--sign-key", &key_arg, "--annotation", "variant=2"],
    );
    let digest2 = digest_of(&built2);
    assert_ne!(digest, digest2);
    assert_eq!(verify(&app, &second, &public, &[]).0, 0);
    let att = |d: &str| format!("{}/test/app:{}.att", reg.addr, d.replace(':', "-"));
    ok(Command::new(peer("crane")).args(["copy", "--insecure", &att(&digest), &att(&digest2)]));
    verify_fails_for(&app, &second, &public, "other-digest");
}

#[test]
fn attest_a_layout_with_vex_cosign_reads_it_and_an_edited_statement_fails() {
    let app = deps_app();
    let (key, public) = keygen(&app, "envelope");
    let dir = app.proxy.root().to_path_buf();
    let layout = dir.join("layout");
    let image = format!("oci:{}:v1", layout.display());
    build(&app, &image, &[]);
    let attest = || attest_all(&app, &image, &key);
    let first = attest();
    let types: Vec<&str> = first["attestations"]
        .as_array()
        .expect("attestations")
        .iter()
        .map(|a| a["predicate_type"].as_str().expect("type"))
        .collect();
    assert_eq!(
        types,
        [
            "https://slsa.dev/provenance/v1",
            "https://spdx.dev/Document",
            "https://openvex.dev/ns"
        ]
    );
    // Again: the same bytes, nothing added.
    let again = attest();
    for (a, b) in first["attestations"]
        .as_array()
        .expect("a")
        .iter()
        .zip(again["attestations"].as_array().expect("b"))
    {
        assert_eq!(a["envelope_digest"], b["envelope_digest"]);
        assert_eq!(b["tag_added"], false);
    }
    let layout_arg = layout.to_string_lossy().into_owned();
    for kind in ["slsaprovenance1", "spdxjson", "openvex"] {
        let out = cosign_verify_attestation(&dir, &public, &layout_arg, kind, true);
        assert!(out.status.success(), "{kind}: {out:?}");
        assert!(!statements(&out).is_empty(), "{kind}");
        if kind == "openvex" {
            // The VEX attested is what `envelope scan --format openvex`
            // says of the image.
            let scanned = json(&ok(envelope_for(&app)
                .args(["scan", &image, "--format", "openvex", "--fail-on", "none"])
                .arg("--db")
                .arg(vulndb())));
            let attested = &statements(&out)[0]["predicate"];
            assert_eq!(
                attested["statements"], scanned["statements"],
                "{attested:#}"
            );
        }
    }

    // No database: vex fails with scan's hint (exit 2), naming --db.
    let out = run(envelope_for(&app)
        .args([
            "attest",
            &image,
            "--type",
            "vex",
            "--offline",
            "--db",
            "https://127.0.0.1:1/nothing",
            "--key",
        ])
        .arg(&key));
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("hint:") && err.contains("--update-db"),
        "{err}"
    );

    // Signed too, it verifies, with the VEX's statuses.
    ok(envelope_for(&app).args(["sign", &image, "--key"]).arg(&key));
    let (code, report, text) = verify(&app, &image, &public, &[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        report["proved"]["vex"]["statuses"].is_object(),
        "{report:#}"
    );
    assert_eq!(report["proved"]["provenance"][0]["checked"], true);

    // Policies: flags, a file, unknown keys.
    let policy = |extra: &[&str]| verify(&app, &image, &public, extra);
    let (code, report, text) = policy(&[
        "--require-source",
        "https://github.com/example/*",
        "--require-pinned-base",
        "--min-go",
        "1.20",
    ]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(report["policy"]["passed"], true);
    let (code, report, text) = policy(&["--require-source", "https://gitlab.com/*"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        report["policy"]["failures"][0]
            .as_str()
            .is_some_and(|f| f.contains("does not match https://gitlab.com/*")),
        "{report:#}"
    );
    let (code, _, text) = policy(&["--min-go", "1.99"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("older than the minimum"), "{text}");
    let affected = report["proved"]["vex"]["affected"]
        .as_array()
        .expect("affected")
        .len();
    let (code, _, text) = policy(&["--deny-called"]);
    assert_eq!(code, if affected == 0 { 0 } else { 1 }, "{text}");
    let file = dir.join("policy.toml");
    std::fs::write(
        &file,
        "source = \"https://github.com/example/*\"\npinned-base = true\nmin-go = \"1.20\"\n",
    )
    .expect("policy");
    let file_arg = file.to_string_lossy().into_owned();
    assert_eq!(policy(&["--policy", &file_arg]).0, 0);
    // A flag overrides the file.
    assert_eq!(policy(&["--policy", &file_arg, "--min-go", "1.99"]).0, 1);
    std::fs::write(&file, "pinned-base = true\nmax-go-age = 90\n").expect("policy");
    let (code, _, text) = policy(&["--policy", &file_arg]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("policy.toml:2:1") && text.contains("max-go-age"),
        "{text}"
    );

    // An edited statement: the .att layer's payload changed after signing.
    edit_att_layer(&layout, &|envelope: Value| {
        let mut e = envelope;
        let payload = base64::engine::general_purpose::STANDARD
            .decode(e["payload"].as_str().expect("payload"))
            .expect("base64");
        let text = String::from_utf8(payload).expect("utf-8");
        let edited = text.replacen(REVISION, "1111111111111111111111111111111111111111", 1);
        assert_ne!(text, edited);
        e["payload"] = base64::engine::general_purpose::STANDARD
            .encode(edited)
            .into();
        e
    });
    verify_fails_for(&app, &image, &public, "signature");
}

/// Rewrites the DSSE envelope of the `.att` tag's first layer in a layout.
fn edit_att_layer(dir: &Path, edit: &dyn Fn(Value) -> Value) {
    let layout = envelope_oci::OciLayout::open(dir).expect("layout");
    let mut index = read_json(&dir.join("index.json"));
    let entries = index["manifests"].as_array_mut().expect("manifests");
    let entry = entries
        .iter_mut()
        .find(|d| {
            d["annotations"]["org.opencontainers.image.ref.name"]
                .as_str()
                .is_some_and(|t| t.ends_with(".att"))
        })
        .expect("an .att entry");
    let digest: envelope_oci::Digest = entry["digest"].as_str().expect("d").parse().expect("d");
    let mut manifest: Value =
        serde_json::from_slice(&layout.read_blob(&digest).expect("manifest")).expect("json");
    let layer: envelope_oci::Digest = manifest["layers"][0]["digest"]
        .as_str()
        .expect("layer")
        .parse()
        .expect("digest");
    let envelope: Value =
        serde_json::from_slice(&layout.read_blob(&layer).expect("layer")).expect("json");
    let edited = serde_json::to_vec(&edit(envelope)).expect("json");
    let new_layer = layout.write_blob(&edited).expect("write");
    manifest["layers"][0]["digest"] = new_layer.to_string().into();
    manifest["layers"][0]["size"] = edited.len().into();
    let bytes = serde_json::to_vec(&manifest).expect("json");
    entry["digest"] = layout.write_blob(&bytes).expect("write").to_string().into();
    entry["size"] = bytes.len().into();
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&index).expect("json"),
    )
    .expect("index");
}

#[test]
fn cosign_attested_provenance_verifies_and_one_whose_modules_differ_fails_the_check() {
    require("docker-registry");
    let reg = Registry::start();
    let app = deps_app();
    let (key, public) = keygen(&app, "envelope");
    let dir = app.proxy.root().to_path_buf();
    let key_arg = key.to_string_lossy().into_owned();
    let image = format!("{}/test/app:v1", reg.addr);
    let digest = digest_of(&build(
        &app,
        &format!("docker://{image}"),
        &["--sign-key", &key_arg],
    ));
    // The provenance as envelope states it: from a layout of the same build.
    let layout = dir.join("layout");
    let local = format!("oci:{}:v1", layout.display());
    build(&app, &local, &[]);
    ok(envelope_for(&app)
        .args(["attest", &local, "--type", "provenance", "--key"])
        .arg(&key));
    let out = cosign_verify_attestation(
        &dir,
        &public,
        &layout.to_string_lossy(),
        "slsaprovenance1",
        true,
    );
    assert!(out.status.success(), "{out:?}");
    let statement = statements(&out).remove(0);
    assert_eq!(
        statement["subject"][0]["digest"]["sha256"],
        digest.trim_start_matches("sha256:"),
        "the same build"
    );
    let predicate = statement["predicate"].clone();
    let config = signing_config(&dir);
    let cosign_attest = |predicate: &Value| {
        std::fs::write(
            dir.join("p.json"),
            serde_json::to_vec(predicate).expect("json"),
        )
        .expect("predicate");
        ok(cosign(&dir)
            .args(["attest", "--yes", "--key", &key_arg, "--signing-config"])
            .arg(&config)
            .args(["--type", "slsaprovenance1", "--predicate", "p.json"])
            .args(REGISTRY_FLAGS)
            .arg(format!("{}/test/app@{digest}", reg.addr)));
    };
    cosign_attest(&predicate);
    let (code, report, text) = verify(&app, &image, &public, &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        report["proved"]["provenance"][0]["checked"], true,
        "{report:#}"
    );
    assert_eq!(
        report["proved"]["provenance"][0]["source_repository"],
        SOURCE
    );

    // The same key states other module versions: every signature verifies,
    // the check against the image fails, naming the module.
    let mut edited = predicate.clone();
    let deps = edited["buildDefinition"]["resolvedDependencies"]
        .as_array_mut()
        .expect("deps");
    let module = deps
        .iter_mut()
        .find(|d| {
            d["uri"]
                .as_str()
                .is_some_and(|u| u.starts_with("pkg:golang/"))
                && d["name"] != "go-toolchain"
        })
        .expect("a module");
    let name = module["name"].as_str().expect("name").to_string();
    module["annotations"]["version"] = "v9.9.9".into();
    cosign_attest(&edited);
    let (code, report, text) = verify(&app, &image, &public, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .all(|c| c["status"] == "verified"),
        "{report:#}"
    );
    let human = run(envelope_for(&app)
        .args(["verify", &image, "--key"])
        .arg(&public));
    let human = String::from_utf8_lossy(&human.stdout);
    assert!(
        human.contains("provenance: FAILED") && human.contains(&name),
        "{human}"
    );
}

#[test]
fn attestations_are_identical_across_builds_in_different_directories() {
    let (one, two) = (deps_app(), deps_app());
    assert_ne!(one.src, two.src);
    let (key, _) = keygen(&one, "envelope");
    let key_arg = key.to_string_lossy().into_owned();
    let mut digests = Vec::new();
    for app in [&one, &two] {
        let out = app.proxy.root().join("out");
        let image = format!("oci:{}:v1", out.display());
        build(
            app,
            &image,
            &["--sign-key", &key_arg, "--attest", "provenance,sbom"],
        );
        // The .att tag's layers: one DSSE envelope per statement.
        let layout = envelope_oci::OciLayout::open(&out).expect("layout");
        let index = read_json(&out.join("index.json"));
        let att = index["manifests"]
            .as_array()
            .expect("manifests")
            .iter()
            .find(|d| {
                d["annotations"]["org.opencontainers.image.ref.name"]
                    .as_str()
                    .is_some_and(|t| t.ends_with(".att"))
            })
            .expect("an .att tag");
        let manifest: Value = serde_json::from_slice(
            &layout
                .read_blob(&att["digest"].as_str().expect("d").parse().expect("d"))
                .expect("manifest"),
        )
        .expect("json");
        digests.push(
            manifest["layers"]
                .as_array()
                .expect("layers")
                .iter()
                .map(|l| l["digest"].as_str().expect("d").to_string())
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(digests[0], digests[1]);
    assert_eq!(digests[0].len(), 2);
}

/// A build attests the image it just made from the layers' tars in
/// memory; `envelope attest` reads the layout back, every blob verified
/// and decompressed. Both make the same SBOM and VEX statements, byte for
/// byte: attesting the built layout again adds none.
#[test]
fn a_build_states_what_attest_reads_back_from_its_layout() {
    let app = deps_app();
    let (key_arg, _, image) = key_and_layout(&app, "layout");
    json(&ok(envelope_for(&app)
        .env("ENVELOPE_VULNDB", vulndb())
        .args(["build", "--format", "json", "--sign-key", &key_arg])
        .args(["--attest", "provenance,sbom,vex", "-o", &image])));
    let again = attest_all(&app, &image, Path::new(&key_arg));
    let added: Vec<(&str, bool)> = again["attestations"]
        .as_array()
        .expect("attestations")
        .iter()
        .map(|a| {
            let t = a["predicate_type"].as_str().expect("type");
            (t, a["tag_added"].as_bool().expect("tag_added"))
        })
        .collect();
    // The provenance differs where only a build knows more: the GOFLAGS
    // it ran `go build` with (the test's Go environment sets them).
    assert_eq!(
        added,
        [
            ("https://slsa.dev/provenance/v1", true),
            ("https://spdx.dev/Document", false),
            ("https://openvex.dev/ns", false)
        ]
    );
}

#[test]
fn attest_without_sign_key_is_a_usage_error() {
    let app = deps_app();
    let out = run(envelope_for(&app).args(["build", "--attest", "provenance", "-o", "oci:out:v1"]));
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sign-key"));
}

#[test]
fn a_multi_platform_image_is_attested_once_and_every_platform_checked() {
    let app = deps_app();
    let (key_arg, public, image) = key_and_layout(&app, "multi");
    let built = build(
        &app,
        &image,
        &[
            "--platform",
            "linux/amd64,linux/arm64",
            "--sign-key",
            &key_arg,
            "--attest",
            "provenance",
        ],
    );
    let (code, report, text) = verify(&app, &image, &public, &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(report["digest"], digest_of(&built).as_str(), "the index");
    let provenance = &report["proved"]["provenance"];
    assert_eq!(provenance.as_array().map(Vec::len), Some(1), "{report:#}");
    assert_eq!(provenance[0]["checked"], true);
    let out = cosign_verify_attestation(
        app.proxy.root(),
        &public,
        &app.proxy.root().join("multi").to_string_lossy(),
        "slsaprovenance1",
        true,
    );
    assert!(out.status.success(), "{out:?}");
    let statement = statements(&out).remove(0);
    let platforms = &statement["predicate"]["buildDefinition"]["externalParameters"]["platforms"];
    assert_eq!(
        platforms,
        &serde_json::json!(["linux/amd64", "linux/arm64"]),
        "{statement:#}"
    );
}
