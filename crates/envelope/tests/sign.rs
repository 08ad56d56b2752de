//! `envelope sign` and `envelope verify`: what they store (both of
//! cosign's formats, deterministically), what verify proves and how each
//! kind of tampering is caught; with external tools, that cosign accepts
//! what envelope signed and attached (registry and `--local-image`) and
//! envelope verifies what cosign signed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use envelope_layer::{FileData, LayerBuilder};

const PASSWORD: &str = "a test password";

/// A key pair made by `envelope keygen` in `dir`: (private, public).
fn keygen(dir: &Path, prefix: &str) -> (PathBuf, PathBuf) {
    ok(Command::new(env!("CARGO_BIN_EXE_envelope"))
        .current_dir(dir)
        .args(["keygen", "--output-key-prefix", prefix])
        .env("ENVELOPE_PASSWORD", PASSWORD));
    (
        dir.join(format!("{prefix}.key")),
        dir.join(format!("{prefix}.pub")),
    )
}

fn env(tmp: &Path) -> Command {
    let mut cmd = envelope(tmp, &tmp.join("cache"));
    cmd.env("ENVELOPE_PASSWORD", PASSWORD)
        .env_remove("COSIGN_PASSWORD");
    cmd
}

/// A small image holding `content`, written to `oci:dir:tag`.
fn image(dir: &Path, tag: &str, content: &str) -> String {
    let mut l = LayerBuilder::new(0);
    l.file(
        "etc/message",
        FileData::Bytes(std::sync::Arc::new(content.as_bytes().to_vec())),
        0o644,
        0,
        0,
    )
    .expect("file");
    let image = assemble(
        vec![l],
        serde_json::json!({"architecture": "amd64", "os": "linux", "config": {}}),
    );
    envelope_oci::write_oci_layout(dir, &image, Some(tag)).expect("layout");
    format!("oci:{}:{tag}", dir.display())
}

fn sign(tmp: &Path, image: &str, key: &Path) -> serde_json::Value {
    json(&ok(env(tmp)
        .args(["sign", image, "--format", "json", "--key"])
        .arg(key)))
}

/// `envelope verify --format json`: exit code and report.
fn verify(tmp: &Path, image: &str, public: &Path) -> (i32, serde_json::Value) {
    let out = run(env(tmp)
        .args(["verify", image, "--format", "json", "--key"])
        .arg(public));
    let code = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let report = if stdout.trim().is_empty() {
        serde_json::Value::Null
    } else {
        json(&stdout)
    };
    (code, report)
}

/// The digest index.json tags `tag` with.
fn tagged_digest(dir: &Path, tag: &str) -> String {
    let index = index_json(dir);
    index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .find(|d| annotation(d, "org.opencontainers.image.ref.name") == Some(tag))
        .and_then(|d| d["digest"].as_str())
        .expect("tagged")
        .to_string()
}

fn index_json(dir: &Path) -> serde_json::Value {
    read_json(&dir.join("index.json"))
}

fn write_index(dir: &Path, index: &serde_json::Value) {
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(index).expect("json"),
    )
    .expect("write");
}

fn annotation<'v>(d: &'v serde_json::Value, key: &str) -> Option<&'v str> {
    d["annotations"][key].as_str()
}

/// Replaces the first layer of the manifest the index.json entry `pick`
/// chooses with `edit(layer)`, rewriting the blobs and the entry.
fn edit_layer(
    dir: &Path,
    pick: &dyn Fn(&serde_json::Value) -> bool,
    edit: &dyn Fn(Vec<u8>) -> Vec<u8>,
) {
    let layout = envelope_oci::OciLayout::open(dir).expect("layout");
    let mut index = index_json(dir);
    let entries = index["manifests"].as_array_mut().expect("manifests");
    let entry = entries.iter_mut().find(|d| pick(d)).expect("entry");
    let digest: envelope_oci::Digest = entry["digest"]
        .as_str()
        .expect("digest")
        .parse()
        .expect("digest");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&layout.read_blob(&digest).expect("manifest")).expect("json");
    let layer_digest: envelope_oci::Digest = manifest["layers"][0]["digest"]
        .as_str()
        .expect("layer")
        .parse()
        .expect("digest");
    let edited = edit(layout.read_blob(&layer_digest).expect("layer"));
    let new_layer = layout.write_blob(&edited).expect("write");
    manifest["layers"][0]["digest"] = new_layer.to_string().into();
    manifest["layers"][0]["size"] = edited.len().into();
    let bytes = serde_json::to_vec(&manifest).expect("json");
    let new_manifest = layout.write_blob(&bytes).expect("write");
    entry["digest"] = new_manifest.to_string().into();
    entry["size"] = bytes.len().into();
    write_index(dir, &index);
}

#[test]
fn signing_a_layout_stores_both_formats_deterministically_and_verifies() {
    let tmp = tempdir();
    let (key, public) = keygen(tmp.path(), "release");
    // The same image in two directories, signed with the same key.
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let (image_a, image_b) = (image(&a, "v1", "hello"), image(&b, "v1", "hello"));
    let signed_a = sign(tmp.path(), &image_a, &key);
    let signed_b = sign(tmp.path(), &image_b, &key);
    assert_eq!(
        signed_a["signed"], signed_b["signed"],
        "{signed_a} {signed_b}"
    );
    assert_eq!(signed_a["signed"][0]["tag_added"], true, "{signed_a}");
    assert_eq!(index_json(&a), index_json(&b));

    // Signing again adds nothing: index.json keeps its bytes.
    let before = std::fs::read(a.join("index.json")).expect("index");
    let again = sign(tmp.path(), &image_a, &key);
    assert_eq!(again["signed"][0]["tag_added"], false, "{again}");
    assert_eq!(
        again["signed"][0]["bundle"],
        signed_a["signed"][0]["bundle"]
    );
    assert_eq!(std::fs::read(a.join("index.json")).expect("index"), before);

    // The entries cosign's --local-image reads, and the image is still
    // what the tag names.
    let index = index_json(&a);
    let kinds: Vec<Option<&str>> = index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .map(|d| annotation(d, "kind"))
        .collect();
    assert_eq!(
        kinds,
        vec![
            Some("dev.cosignproject.cosign/image"),
            Some("dev.cosignproject.cosign/sigs"),
            None
        ],
        "{index}"
    );
    let bundle = &index["manifests"][2];
    assert_eq!(
        bundle["artifactType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    assert_eq!(
        annotation(bundle, "dev.sigstore.bundle.predicateType"),
        Some("https://sigstore.dev/cosign/sign/v1")
    );
    assert_eq!(
        tagged_digest(&a, "v1"),
        signed_a["digest"].as_str().expect("digest")
    );

    let (code, report) = verify(tmp.path(), &image_a, &public);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["verdict"], "verified");
    assert_eq!(report["verified_signatures"], 2);
    assert_eq!(
        report["formats"],
        serde_json::json!(["simple-signing", "bundle"])
    );
    assert_eq!(report["digest"], signed_a["digest"]);
    assert_eq!(report["key_fingerprint"], signed_a["key_fingerprint"]);

    // The human report says what was proved.
    let human = ok(env(tmp.path())
        .args(["verify", &image_a, "--key"])
        .arg(&public));
    assert!(human.contains("verified sha256:"), "{human}");
    assert!(
        human.contains("2 signatures (simple-signing, bundle)"),
        "{human}"
    );
    // Nothing secret is printed while signing, even verbosely.
    let out = run(env(tmp.path())
        .args(["sign", "-v", &image_a, "--key"])
        .arg(&key));
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && !printed.contains(PASSWORD),
        "{printed}"
    );
}

#[test]
fn each_kind_of_tampering_is_caught_with_its_exit_code() {
    let tmp = tempdir();
    let (key, public) = keygen(tmp.path(), "k");
    let (_, other_public) = keygen(tmp.path(), "other");
    let dir = tmp.path().join("layout");
    let v1 = image(&dir, "v1", "one");
    let v2 = image(&dir, "v2", "two");

    // No signature: a failed check.
    let (code, report) = verify(tmp.path(), &v1, &public);
    assert_eq!(
        (code, &report["verdict"]),
        (1, &"failed".into()),
        "{report}"
    );
    let human = run(env(tmp.path()).args(["verify", &v1, "--key"]).arg(&public));
    assert!(
        String::from_utf8_lossy(&human.stdout).contains("no signature"),
        "{human:?}"
    );

    let signed = sign(tmp.path(), &v1, &key);
    assert_eq!(verify(tmp.path(), &v1, &public).0, 0);

    // Another key.
    let (code, report) = verify(tmp.path(), &v1, &other_public);
    assert_eq!(code, 1, "{report}");
    assert!(
        report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .all(|c| c["status"] == "failed" && c["reason"] == "signature"),
        "{report}"
    );

    // A tag that moved: v2's signature tag holds v1's signatures.
    let v1_digest = signed["digest"].as_str().expect("digest").to_string();
    let v2_digest = tagged_digest(&dir, "v2");
    let mut index = index_json(&dir);
    let sig_entry = index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .find(|d| annotation(d, "kind") == Some("dev.cosignproject.cosign/sigs"))
        .expect("sigs")
        .clone();
    let mut moved = sig_entry.clone();
    moved["annotations"]["org.opencontainers.image.ref.name"] =
        format!("sha256-{}.sig", &v2_digest[7..]).into();
    index["manifests"]
        .as_array_mut()
        .expect("manifests")
        .push(moved);
    write_index(&dir, &index);
    let (code, report) = verify(tmp.path(), &v2, &public);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["checks"][0]["reason"], "other-digest", "{report}");
    assert_eq!(
        report["checks"][0]["signed"][0],
        v1_digest.as_str(),
        "{report}"
    );

    // An edited payload (the simple-signing document, its signature kept).
    let sigs_of_v1 = |d: &serde_json::Value| {
        annotation(d, "org.opencontainers.image.ref.name")
            == Some(format!("sha256-{}.sig", &v1_digest[7..]).as_str())
    };
    let copy = tmp.path().join("copy");
    ok(Command::new("cp").arg("-a").arg(&dir).arg(&copy));
    edit_layer(&copy, &sigs_of_v1, &|payload| {
        String::from_utf8(payload)
            .expect("utf8")
            .replace("\"v1\"", "\"v9\"")
            .into_bytes()
    });
    let copied_v1 = format!("oci:{}:v1", copy.display());
    let (code, report) = verify(tmp.path(), &copied_v1, &public);
    assert_eq!(code, 1, "{report}");
    assert!(
        report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .any(|c| c["format"] == "simple-signing" && c["reason"] == "signature"),
        "{report}"
    );

    // A bundle that does not parse: an error, not a failed check.
    let bundle_of_v1 = |d: &serde_json::Value| {
        d["artifactType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    };
    edit_layer(&dir, &bundle_of_v1, &|_| b"{\"mediaType\": 1".to_vec());
    let (code, report) = verify(tmp.path(), &v1, &public);
    assert_eq!(code, 2, "{report}");
    assert_eq!(report["verdict"], "error");

    // An edited bundle statement (re-encoded, signature kept).
    let fresh = tmp.path().join("fresh");
    let fresh_image = image(&fresh, "v1", "one");
    sign(tmp.path(), &fresh_image, &key);
    edit_layer(&fresh, &bundle_of_v1, &|bundle| {
        let mut b: serde_json::Value = serde_json::from_slice(&bundle).expect("bundle");
        let payload = b["dsseEnvelope"]["payload"]
            .as_str()
            .expect("payload")
            .to_string();
        // "e30=" is `{}`: another statement, same signature.
        b["dsseEnvelope"]["payload"] = payload.replacen(&payload[..8], "e30gICAg", 1).into();
        serde_json::to_vec(&b).expect("json")
    });
    let (code, report) = verify(tmp.path(), &fresh_image, &public);
    assert_eq!(code, 1, "{report}");

    // Bad keys are errors with a hint.
    let stderr = fails(env(tmp.path()).args(["verify", &v1, "--key"]).arg(&key));
    assert!(stderr.contains("hint:"), "{stderr}");
    let out = run(env(tmp.path())
        .args(["sign", &v1, "--key"])
        .arg(&key)
        .env("ENVELOPE_PASSWORD", "wrong"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("wrong password"),
        "{out:?}"
    );
}

/// With cosign and the local registry.
#[cfg(feature = "external-tools")]
mod with_cosign {
    use super::common::registry::Registry;
    use super::*;

    use super::common::cosign::{offline_signing_config, REGISTRY_FLAGS};

    fn cosign(dir: &Path) -> Command {
        super::common::cosign::cosign(dir, PASSWORD)
    }

    fn cosign_verify(
        dir: &Path,
        public: &Path,
        image: &str,
        extra: &[&str],
    ) -> std::process::Output {
        run(cosign(dir)
            .args(["verify", "--insecure-ignore-tlog", "--key"])
            .arg(public)
            .args(REGISTRY_FLAGS)
            .args(extra)
            .arg(image))
    }

    /// The hello example copied to DIR/src.
    fn hello(dir: &Path) -> PathBuf {
        let src = dir.join("src");
        std::fs::create_dir_all(&src).expect("mkdir");
        for f in ["go.mod", "main.go"] {
            std::fs::copy(example("hello").join(f), src.join(f)).expect("copy");
        }
        src
    }

    /// A small image pushed to `registry` as `repo:v1`.
    fn pushed(tmp: &Path, registry: &Registry, repo: &str, content: &str) -> String {
        let src = image(&tmp.join(format!("src-{repo}")), "v1", content);
        let remote = format!("{}/{repo}:v1", registry.addr);
        ok(env(tmp).args(["copy", &src, &remote]));
        remote
    }

    #[test]
    fn cosign_accepts_what_envelope_signed_in_a_registry_and_a_layout() {
        require("docker-registry");
        let tmp = tempdir();
        let t = tmp.path();
        let registry = Registry::start();
        let (key, public) = keygen(t, "envelope");
        let (_, other) = keygen(t, "other");
        let remote = pushed(t, &registry, "signed", "registry");
        let signed = sign(t, &remote, &key);
        assert_eq!(
            signed["signed"][0]["bundle_via"], "fallback-tag",
            "{signed}"
        );

        // cosign 3 reads the bundle when there is one, the .sig tag with
        // --new-bundle-format=false: both verify.
        for extra in [&[][..], &["--new-bundle-format=false"][..]] {
            let out = cosign_verify(t, &public, &remote, extra);
            assert!(out.status.success(), "{extra:?}: {out:?}");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                stdout.contains(signed["digest"].as_str().expect("digest")),
                "{stdout}"
            );
            assert!(
                !cosign_verify(t, &other, &remote, extra).status.success(),
                "{extra:?}"
            );
        }
        assert_eq!(verify(t, &remote, &public).0, 0);

        // A layout as cosign verify --local-image reads it.
        let dir = t.join("layout");
        let local = image(&dir, "v1", "layout");
        sign(t, &local, &key);
        let local_verify = |public: &Path| {
            run(cosign(t)
                .args(["verify", "--insecure-ignore-tlog", "--local-image", "--key"])
                .arg(public)
                .arg(&dir))
        };
        let out = local_verify(&public);
        assert!(out.status.success(), "{out:?}");
        assert!(!local_verify(&other).status.success());
        // Other readers still find the image by its tag.
        let inspected = json(&skopeo(&["inspect", &local]));
        assert_eq!(inspected["Digest"], tagged_digest(&dir, "v1").as_str());
    }

    #[test]
    fn envelope_verifies_what_cosign_signed() {
        let (tmp, registry) = (tempdir(), Registry::start());
        let t = tmp.path();
        let (key, public) = super::common::cosign::key_pair(t, PASSWORD);
        offline_signing_config(t);
        let remote = pushed(t, &registry, "bycosign", "cosign");
        let digest = remote_digest(&remote);
        let by_digest = format!("{}/bycosign@{digest}", registry.addr);

        // A bundle, as cosign 3 signs by default.
        ok(cosign(t)
            .args(["sign", "-y", "--signing-config", "sc.json", "--key"])
            .arg(&key)
            .args(REGISTRY_FLAGS)
            .arg(&by_digest));
        let (code, report) = verify(t, &remote, &public);
        assert_eq!(code, 0, "{report}");
        assert_eq!(report["formats"], serde_json::json!(["bundle"]), "{report}");

        // And the .sig tag, as older cosign signs.
        ok(cosign(t)
            .args([
                "sign",
                "-y",
                "--new-bundle-format=false",
                "--use-signing-config=false",
                "--tlog-upload=false",
                "--key",
            ])
            .arg(&key)
            .args(REGISTRY_FLAGS)
            .arg(&by_digest));
        let (code, report) = verify(t, &remote, &public);
        assert_eq!(code, 0, "{report}");
        assert_eq!(report["verified_signatures"], 2, "{report}");
        assert_eq!(
            report["formats"],
            serde_json::json!(["simple-signing", "bundle"]),
            "{report}"
        );

        // A layout `cosign save` wrote (no tags; index.json's `kind`
        // entries name the image and its signatures) verifies too.
        let saved = t.join("saved");
        ok(cosign(t)
            .args(["save", "--dir"])
            .arg(&saved)
            .args(REGISTRY_FLAGS)
            .arg(&by_digest));
        let (code, report) = verify(t, &format!("oci:{}", saved.display()), &public);
        assert_eq!(code, 0, "{report}");
        assert!(
            report["formats"]
                .as_array()
                .expect("formats")
                .contains(&"simple-signing".into()),
            "{report}"
        );
        assert!(fails(
            env(t)
                .args(["sign", &format!("oci:{}", saved.display()), "--key"])
                .arg(&key)
        )
        .contains("no tag"));

        // envelope signs with cosign's key too; cosign's signatures and
        // envelope's sit side by side and all verify.
        let signed = sign(t, &remote, &key);
        assert_eq!(signed["digest"], digest.as_str());
        let (code, report) = verify(t, &remote, &public);
        assert_eq!(code, 0, "{report}");
        assert_eq!(report["verified_signatures"], 4, "{report}");

        // cosign signs with a key envelope made; envelope verifies it.
        let (ekey, epub) = keygen(t, "envelope");
        let other = pushed(t, &registry, "byenvelopekey", "cosign");
        ok(cosign(t)
            .args(["sign", "-y", "--signing-config", "sc.json", "--key"])
            .arg(&ekey)
            .args(REGISTRY_FLAGS)
            .arg(format!("{}/byenvelopekey@{digest}", registry.addr)));
        let (code, report) = verify(t, &other, &epub);
        assert_eq!(code, 0, "{report}");
        assert_eq!(verify(t, &other, &public).0, 1);
    }

    #[test]
    fn cosign_verify_attestation_accepts_an_attached_attestation() {
        require("docker-registry");
        let tmp = tempdir();
        let t = tmp.path();
        let registry = Registry::start();
        let (key, public) = keygen(t, "k");
        let signing_key = envelope_sign::SigningKey::from_pem(
            &std::fs::read(&key).expect("key"),
            Some(&envelope_sign::Password::new(PASSWORD)),
        )
        .expect("key");
        let remote = pushed(t, &registry, "attested", "attested");
        let digest = remote_digest(&remote);
        let dir = t.join("layout");
        let local = image(&dir, "v1", "attested");
        let local_digest = tagged_digest(&dir, "v1");

        let client = envelope_registry::Client::new(
            envelope_registry::CredentialStore::from_env(),
            envelope_registry::ClientOptions::default(),
        )
        .expect("client");
        // cosign's --type custom predicate.
        let predicate_type = "https://cosign.sigstore.dev/attestation/v1";
        let attest = |target: &envelope_registry::signatures::Target<'_>,
                      digest: &str,
                      media_type: &str,
                      size: u64| {
            let statement = serde_json::json!({
                "_type": "https://in-toto.io/Statement/v1",
                "subject": [{"name": "image", "digest": {"sha256": &digest[7..]}}],
                "predicateType": predicate_type,
                "predicate": {"Data": "made by hand", "Timestamp": "1970-01-01T00:00:00Z"},
            });
            let envelope = envelope_sign::Envelope::sign(
                envelope_sign::dsse::INTOTO_PAYLOAD_TYPE,
                serde_json::to_vec(&statement).expect("json"),
                &signing_key,
            );
            let subject = envelope_oci::Descriptor {
                media_type: media_type.into(),
                digest: digest.parse().expect("digest"),
                size,
                urls: None,
                annotations: None,
                platform: None,
                artifact_type: None,
            };
            envelope_registry::signatures::attach_attestation(
                target,
                &subject,
                &envelope,
                predicate_type,
                &signing_key.public_key(),
                None,
            )
            .expect("attach")
        };
        let repository: envelope_registry::RegistryRef = remote.parse().expect("ref");
        let (bytes, media_type, _) = client.get_manifest(&repository).expect("manifest");
        let stored = attest(
            &envelope_registry::signatures::Target::Registry {
                client: &client,
                repository: repository.clone(),
            },
            &digest,
            &media_type,
            bytes.len() as u64,
        );
        assert!(stored.tag.ends_with(".att"), "{stored:?}");
        let layout = envelope_oci::OciLayout::open(&dir).expect("layout");
        let root = layout.resolve(Some("v1")).expect("root");
        attest(
            &envelope_registry::signatures::Target::Layout(layout),
            &local_digest,
            &root.media_type,
            root.size,
        );

        let verify_attestation = |place: &[&str], image: &str| {
            run(cosign(t)
                .args([
                    "verify-attestation",
                    "--insecure-ignore-tlog",
                    "--type",
                    "custom",
                    "--key",
                ])
                .arg(&public)
                .args(place)
                .arg(image))
        };
        let out = verify_attestation(&REGISTRY_FLAGS, &remote);
        assert!(out.status.success(), "{out:?}");
        // envelope verify sees it too, beside no signature: a failed
        // check (an attestation is not a signature), the attestation verified.
        let (code, report) = verify(t, &remote, &public);
        assert_eq!(code, 1, "{report}");
        let checks = report["checks"].as_array().expect("checks");
        assert_eq!(checks.len(), 2, "{report}");
        assert!(
            checks
                .iter()
                .all(|c| c["status"] == "verified" && c["predicate_type"] == predicate_type),
            "{report}"
        );
        // The same through the .att tag alone.
        let out = run(cosign(t)
            .args([
                "verify-attestation",
                "--insecure-ignore-tlog",
                "--type",
                "custom",
                "--new-bundle-format=false",
                "--key",
            ])
            .arg(&public)
            .args(REGISTRY_FLAGS)
            .arg(&remote));
        assert!(out.status.success(), "{out:?}");
        let out = verify_attestation(&["--local-image"], dir.to_str().expect("utf8"));
        assert!(out.status.success(), "{out:?}");
        let _ = local;
    }

    #[test]
    fn two_builds_in_different_directories_sign_to_the_same_bytes() {
        require("docker-registry");
        let tmp = tempdir();
        let t = tmp.path();
        let (key, public) = keygen(t, "release");
        let registry = Registry::start();
        let build = |name: &str, output: &str| {
            let src = hello(&t.join(name));
            let out = run(envelope(&src, &t.join(name).join("cache"))
                .args(["build", "--sbom", "none", "-o", output, "--sign-key"])
                .arg(&key)
                .env("ENVELOPE_PASSWORD", PASSWORD)
                .env("SOURCE_DATE_EPOCH", "1700000000"));
            assert!(out.status.success(), "{out:?}");
            String::from_utf8_lossy(&out.stderr).into_owned()
        };
        let (a, b) = (t.join("a/out"), t.join("b/out"));
        let printed = build("a", &format!("oci:{}:hello", a.display()));
        assert!(printed.contains("signed sha256:"), "{printed}");
        assert!(!printed.contains(PASSWORD), "{printed}");
        build("b", &format!("oci:{}:hello", b.display()));
        // Image, signature image and bundle: the same bytes, so the same
        // index.json.
        assert_eq!(
            std::fs::read(a.join("index.json")).expect("a"),
            std::fs::read(b.join("index.json")).expect("b")
        );
        let bundle = index_json(&a)["manifests"]
            .as_array()
            .expect("manifests")
            .iter()
            .find(|d| d["artifactType"] == "application/vnd.dev.sigstore.bundle.v0.3+json")
            .cloned()
            .expect("bundle");
        assert_eq!(
            annotation(&bundle, "org.opencontainers.image.created"),
            Some("2023-11-14T22:13:20Z")
        );
        let image = format!("oci:{}:hello", a.display());
        assert_eq!(verify(t, &image, &public).0, 0);
        let out = run(cosign(t)
            .args(["verify", "--insecure-ignore-tlog", "--local-image", "--key"])
            .arg(&public)
            .arg(&a));
        assert!(out.status.success(), "{out:?}");

        // Pushed: cosign verifies it in the registry.
        let remote = format!("{}/hello:v1", registry.addr);
        build("c", &remote);
        let out = cosign_verify(t, &public, &remote, &[]);
        assert!(out.status.success(), "{out:?}");
        let out = cosign_verify(t, &public, &remote, &["--new-bundle-format=false"]);
        assert!(out.status.success(), "{out:?}");
    }

    #[test]
    fn recursive_signing_covers_the_index_and_each_platform_manifest() {
        require("docker-registry");
        let tmp = tempdir();
        let t = tmp.path();
        let (key, public) = keygen(t, "k");
        let registry = Registry::start();
        let src = hello(t);
        let remote = format!("{}/multi:v1", registry.addr);
        ok(envelope(&src, &t.join("cache")).args([
            "build",
            "--sbom",
            "none",
            "--platform",
            "linux/amd64,linux/arm64",
            "-o",
            &remote,
        ]));
        // Without --recursive only the index is signed.
        let signed = sign(t, &remote, &key);
        assert_eq!(
            signed["signed"].as_array().map(Vec::len),
            Some(1),
            "{signed}"
        );
        let signed = sign(t, &format!("docker://{remote}"), &key);
        assert_eq!(signed["signed"][0]["tag_added"], false, "{signed}");
        let out = run(env(t)
            .args(["sign", &remote, "--recursive", "--format", "json", "--key"])
            .arg(&key));
        assert!(out.status.success(), "{out:?}");
        let recursive = json(&String::from_utf8_lossy(&out.stdout));
        let digests: Vec<String> = recursive["signed"]
            .as_array()
            .expect("signed")
            .iter()
            .map(|s| s["digest"].as_str().expect("digest").to_string())
            .collect();
        assert_eq!(digests.len(), 3, "{recursive}");
        assert_eq!(digests[0], signed["digest"].as_str().expect("digest"));
        for digest in &digests {
            let by_digest = format!("{}/multi@{digest}", registry.addr);
            let out = cosign_verify(t, &public, &by_digest, &[]);
            assert!(out.status.success(), "{digest}: {out:?}");
            assert_eq!(verify(t, &by_digest, &public).0, 0, "{digest}");
        }
    }
}
