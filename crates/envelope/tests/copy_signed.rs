//! `envelope copy` carries what refers to the image along: cosign's
//! signatures (bundle and `.sig` tag) and attestations (bundle and `.att`
//! tag) and envelope's SBOM referrer, between registries, `oci:` layouts
//! and `oci-archive:` files, so that cosign and envelope still verify the
//! copy; into a docker-archive nothing of it goes, and a warning says
//! what was left behind.

mod common;

use std::path::Path;

use common::*;

/// A small image written to `oci:dir:v1`, signed there by envelope.
fn signed_layout(t: &Path, dir: &Path) -> String {
    let mut l = envelope_layer::LayerBuilder::new(0);
    l.file(
        "etc/message",
        envelope_layer::FileData::Bytes(std::sync::Arc::new(b"signed".to_vec())),
        0o644,
        0,
        0,
    )
    .expect("file");
    let image = assemble(
        vec![l],
        serde_json::json!({"architecture": "amd64", "os": "linux", "config": {}}),
    );
    envelope_oci::write_oci_layout(dir, &image, Some("v1")).expect("layout");
    let name = format!("oci:{}:v1", dir.display());
    ok(envelope(t, &t.join("cache"))
        .args(["keygen", "--output-key-prefix", "k"])
        .env("ENVELOPE_PASSWORD", "p"));
    ok(envelope(t, &t.join("cache"))
        .args(["sign", &name, "--key", "k.key"])
        .env("ENVELOPE_PASSWORD", "p"));
    name
}

#[test]
fn a_damaged_signature_stops_the_copy_and_names_the_way_around() {
    let tmp = tempdir();
    let t = tmp.path();
    let src = t.join("src");
    let image = signed_layout(t, &src);
    let copy = |dst: &str, extra: &[&str]| {
        run(envelope(t, &t.join("cache"))
            .arg("copy")
            .args(extra)
            .args([image.as_str(), dst]))
    };
    // Intact: the signature comes along and verifies in the copy.
    let good = format!("oci:{}:v1", t.join("good").display());
    assert!(copy(&good, &[]).status.success());
    ok(envelope(t, &t.join("cache")).args(["verify", &good, "--key", "k.pub"]));

    // The .sig layer's blob damaged: nothing verified, nothing written.
    let index = read_json(&src.join("index.json"));
    let sig = index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .find(|d| d["annotations"]["kind"] == "dev.cosignproject.cosign/sigs")
        .expect("the .sig entry");
    let manifest = read_json(&blob_path(&src, sig["digest"].as_str().expect("digest")));
    let layer = blob_path(
        &src,
        manifest["layers"][0]["digest"].as_str().expect("layer"),
    );
    let mut bytes = std::fs::read(&layer).expect("layer");
    bytes[0] ^= 1;
    std::fs::write(&layer, bytes).expect("write");
    let bad = t.join("bad");
    let out = copy(&format!("oci:{}:v1", bad.display()), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--remove-signatures"), "{stderr}");
    assert!(!bad.join("index.json").exists());
    // The image alone still copies.
    let out = copy(
        &format!("oci:{}:v1", bad.display()),
        &["--remove-signatures"],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        read_json(&bad.join("index.json"))["manifests"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[cfg(feature = "external-tools")]
mod with_cosign {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    use super::common::registry::Registry;
    use super::common::*;

    use super::common::cosign::{offline_signing_config, REGISTRY_FLAGS};

    const PASSWORD: &str = "a copy password";
    const SPDX: &str =
        r#"{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"attached"}"#;

    fn cosign(dir: &Path) -> Command {
        super::common::cosign::cosign(dir, PASSWORD)
    }

    fn env(t: &Path) -> Command {
        let mut cmd = envelope(t, &t.join("cache"));
        cmd.env_remove("COSIGN_PASSWORD")
            .env_remove("ENVELOPE_PASSWORD");
        cmd
    }

    /// `envelope copy --format json`.
    fn copy(t: &Path, src: &str, dst: &str) -> serde_json::Value {
        json(&ok(env(t).args(["copy", "--format", "json", src, dst])))
    }

    /// The hello example copied to T/src.
    fn hello(t: &Path) -> PathBuf {
        let src = t.join("src");
        std::fs::create_dir_all(&src).expect("mkdir");
        for f in ["go.mod", "main.go"] {
            std::fs::copy(example("hello").join(f), src.join(f)).expect("copy");
        }
        src
    }

    /// The hello example built and pushed to `remote` with its SBOM.
    fn build(t: &Path, remote: &str) {
        ok(envelope(&hello(t), &t.join("cache"))
            .args(["build", "--sbom", "spdx", "-o", remote])
            .env("SOURCE_DATE_EPOCH", "1700000000"));
    }

    /// Where an image is, as each tool names it.
    struct Place {
        /// envelope's name for it.
        image: String,
        /// cosign's arguments naming it.
        cosign: Vec<String>,
    }

    fn registry_place(remote: &str) -> Place {
        let mut cosign: Vec<String> = REGISTRY_FLAGS.iter().map(|s| s.to_string()).collect();
        cosign.push(remote.to_string());
        Place {
            image: remote.to_string(),
            cosign,
        }
    }

    fn layout_place(dir: &Path, tag: &str) -> Place {
        Place {
            image: format!("oci:{}:{tag}", dir.display()),
            cosign: vec!["--local-image".into(), dir.display().to_string()],
        }
    }

    fn passes(out: &Output, what: &str) {
        assert!(out.status.success(), "{what}: {out:?}");
    }

    /// Everything the original had verifies at `place`.
    fn verified(t: &Path, public: &Path, place: &Place, digest: &str, what: &str) {
        let verify = |extra: &[&str]| {
            run(cosign(t)
                .args(["verify", "--insecure-ignore-tlog", "--key"])
                .arg(public)
                .args(extra)
                .args(&place.cosign))
        };
        let out = verify(&[]);
        passes(&out, &format!("{what}: cosign verify"));
        // cosign prints the payloads it verified, except from a layout
        // (--local-image prints them empty).
        if place.cosign[0] != "--local-image" {
            assert!(
                String::from_utf8_lossy(&out.stdout).contains(digest),
                "{what}: {out:?}"
            );
        }
        passes(
            &verify(&["--new-bundle-format=false"]),
            &format!("{what}: cosign verify of the .sig tag"),
        );
        let attestation = |extra: &[&str]| {
            run(cosign(t)
                .args([
                    "verify-attestation",
                    "--insecure-ignore-tlog",
                    "--type",
                    "custom",
                    "--key",
                ])
                .arg(public)
                .args(extra)
                .args(&place.cosign))
        };
        passes(
            &attestation(&[]),
            &format!("{what}: cosign verify-attestation"),
        );
        passes(
            &attestation(&["--new-bundle-format=false"]),
            &format!("{what}: cosign verify-attestation of the .att tag"),
        );
        let out = run(env(t)
            .args(["verify", &place.image, "--format", "json", "--key"])
            .arg(public));
        let report = json(&String::from_utf8_lossy(&out.stdout));
        assert_eq!(out.status.code(), Some(0), "{what}: {report}");
        assert_eq!(report["digest"], digest, "{what}: {report}");
        // A signature and an attestation, each in both formats.
        assert_eq!(report["verified_signatures"], 2, "{what}: {report}");
        let checks = report["checks"].as_array().expect("checks");
        assert_eq!(checks.len(), 4, "{what}: {report}");
        assert!(
            checks.iter().all(|c| c["status"] == "verified"),
            "{what}: {report}"
        );
        let sbom = ok(env(t).args(["sbom", "--attached", &place.image]));
        assert!(sbom.contains("SPDX-2.3"), "{what}: {sbom}");
        if place.cosign[0] != "--local-image" {
            let out = ok(cosign(t).args(["download", "sbom"]).args(&place.cosign));
            assert!(out.contains(r#""name":"attached""#), "{what}: {out}");
        }
    }

    fn kinds(report: &serde_json::Value) -> Vec<(String, bool)> {
        let mut k: Vec<(String, bool)> = report["carried"]
            .as_array()
            .expect("carried")
            .iter()
            .map(|c| {
                (
                    c["kind"].as_str().expect("kind").to_string(),
                    c["added"].as_bool().expect("added"),
                )
            })
            .collect();
        k.sort();
        k
    }

    fn all(added: bool) -> Vec<(String, bool)> {
        // cosign's signature and attestation bundles, the .sig, .att and
        // .sbom tags, envelope's SBOM.
        [
            "attestations",
            "bundle",
            "bundle",
            "sbom",
            "sboms",
            "signatures",
        ]
        .iter()
        .map(|k| (k.to_string(), added))
        .collect()
    }

    #[test]
    fn signatures_attestations_and_sboms_travel_with_the_image() {
        let (tmp, registry) = (tempdir(), Registry::start());
        let t = tmp.path();
        let (key, public) = super::common::cosign::key_pair(t, PASSWORD);
        offline_signing_config(t);
        let remote = format!("{}/app:v1", registry.addr);
        build(t, &remote);
        let digest = remote_digest(&remote);
        let by_digest = format!("{}/app@{digest}", registry.addr);

        // Signed in both of cosign's formats, and attested in both.
        std::fs::write(t.join("predicate.json"), br#"{"built":"by hand"}"#).expect("write");
        let old_format = [
            "--new-bundle-format=false",
            "--use-signing-config=false",
            "--tlog-upload=false",
        ];
        for (command, extra) in [
            ("sign", &["--signing-config", "sc.json"][..]),
            ("sign", &old_format[..]),
            ("attest", &["--signing-config", "sc.json"][..]),
            ("attest", &old_format[..]),
        ] {
            let mut cmd = cosign(t);
            cmd.args([command, "-y"]).args(extra).arg("--key").arg(&key);
            if command == "attest" {
                cmd.args(["--type", "custom", "--predicate", "predicate.json"]);
            }
            ok(cmd.args(REGISTRY_FLAGS).arg(&by_digest));
        }
        // And an SBOM under the .sbom tag, as `cosign attach sbom` stores it.
        std::fs::write(t.join("attached.spdx.json"), SPDX).expect("write");
        ok(cosign(t)
            .args([
                "attach",
                "sbom",
                "--sbom",
                "attached.spdx.json",
                "--type",
                "spdx",
            ])
            .args(REGISTRY_FLAGS)
            .arg(&by_digest));
        verified(t, &public, &registry_place(&remote), &digest, "original");

        // Registry to registry, another repository.
        let other = format!("{}/other/app:v1", registry.addr);
        let report = copy(t, &remote, &other);
        assert_eq!(report["digest"], digest.as_str(), "{report}");
        assert_eq!(kinds(&report), all(true), "{report}");
        verified(
            t,
            &public,
            &registry_place(&other),
            &digest,
            "registry copy",
        );
        // Again: nothing new.
        let again = copy(t, &remote, &other);
        assert_eq!(kinds(&again), all(false), "{again}");

        // Registry to a layout cosign's --local-image reads.
        let layout = t.join("layout");
        let place = layout_place(&layout, "v1");
        let report = copy(t, &remote, &place.image);
        assert_eq!(kinds(&report), all(true), "{report}");
        verified(t, &public, &place, &digest, "layout copy");
        // index.json's entries, in any order (the image's entry is
        // written again, last).
        let entries = || {
            let mut e: Vec<String> = read_json(&layout.join("index.json"))["manifests"]
                .as_array()
                .expect("manifests")
                .iter()
                .map(|d| d.to_string())
                .collect();
            e.sort();
            e
        };
        let before = entries();
        assert_eq!(before.len(), 7, "{before:?}");
        let again = copy(t, &remote, &place.image);
        assert_eq!(kinds(&again), all(false), "{again}");
        assert_eq!(entries(), before, "a second copy changed index.json");

        // Layout to an oci-archive, and on to a registry.
        let archive = format!("oci-archive:{}:v1", t.join("app.tar").display());
        let report = copy(t, &place.image, &archive);
        assert_eq!(kinds(&report), all(true), "{report}");
        let bytes = std::fs::read(t.join("app.tar")).expect("archive");
        copy(t, &place.image, &archive);
        assert_eq!(
            std::fs::read(t.join("app.tar")).expect("archive"),
            bytes,
            "the archive is deterministic"
        );
        // envelope verifies the archive itself, reading what it carries.
        let out = run(env(t)
            .args(["verify", &archive, "--format", "json", "--key"])
            .arg(&public));
        let report = json(&String::from_utf8_lossy(&out.stdout));
        assert_eq!(out.status.code(), Some(0), "archive: {report}");
        assert_eq!(report["digest"], digest.as_str(), "archive: {report}");
        assert_eq!(
            report["checks"].as_array().map(Vec::len),
            Some(4),
            "{report}"
        );
        ok(cosign(t).args(["generate-key-pair", "--output-key-prefix", "other"]));
        let other_public = t.join("other.pub");
        let out = run(env(t)
            .args(["verify", &archive, "--key"])
            .arg(&other_public));
        assert_eq!(out.status.code(), Some(1), "another key: {out:?}");
        let from_archive = format!("{}/from/archive:v1", registry.addr);
        let report = copy(t, &archive, &from_archive);
        assert_eq!(kinds(&report), all(true), "{report}");
        verified(
            t,
            &public,
            &registry_place(&from_archive),
            &digest,
            "archive copy",
        );

        // The image only.
        let bare = format!("{}/bare:v1", registry.addr);
        let report = json(&ok(env(t).args([
            "copy",
            "--remove-signatures",
            "--format",
            "json",
            &remote,
            &bare,
        ])));
        assert!(kinds(&report).is_empty(), "{report}");
        let out = run(cosign(t)
            .args(["verify", "--insecure-ignore-tlog", "--key"])
            .arg(&public)
            .args(REGISTRY_FLAGS)
            .arg(&bare));
        assert!(!out.status.success(), "{out:?}");

        // A docker-archive holds none of it: the image is copied, and the
        // warning says what was left behind.
        let docker = format!("docker-archive:{}:app:v1", t.join("docker.tar").display());
        let out = run(env(t).args(["copy", &remote, &docker]));
        passes(&out, "copy to a docker-archive");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for what in [
            "left behind",
            "1 signature",
            "1 attestation",
            "2 Sigstore bundles",
            "1 SBOM referrer",
            "1 SBOM (.sbom tag)",
        ] {
            assert!(stderr.contains(what), "{what}: {stderr}");
        }
        assert!(t.join("docker.tar").is_file());
    }

    #[test]
    fn each_platform_manifest_keeps_its_signatures() {
        let (tmp, registry) = (tempdir(), Registry::start());
        let t = tmp.path();
        let (key, public) = super::common::cosign::key_pair(t, PASSWORD);
        let remote = format!("{}/multi:v1", registry.addr);
        ok(envelope(&hello(t), &t.join("cache")).args([
            "build",
            "--sbom",
            "none",
            "--platform",
            "linux/amd64,linux/arm64",
            "-o",
            &remote,
        ]));
        let signed = json(&ok(env(t)
            .args(["sign", &remote, "--recursive", "--format", "json", "--key"])
            .arg(&key)
            .env("ENVELOPE_PASSWORD", PASSWORD)));
        let mut digests: Vec<String> = signed["signed"]
            .as_array()
            .expect("signed")
            .iter()
            .map(|s| s["digest"].as_str().expect("digest").to_string())
            .collect();
        assert_eq!(digests.len(), 3, "{signed}");
        digests.sort();

        // Registry, layout, archive, registry: each digest's signature
        // (the .sig tag and the bundle) all the way.
        let layout = format!("oci:{}:v1", t.join("layout").display());
        let archive = format!("oci-archive:{}:v1", t.join("multi.tar").display());
        let other = format!("{}/copied/multi:v1", registry.addr);
        for (from, to) in [(&remote, &layout), (&layout, &archive), (&archive, &other)] {
            let report = copy(t, from, to);
            let mut subjects: Vec<String> = report["carried"]
                .as_array()
                .expect("carried")
                .iter()
                .map(|c| c["subject"].as_str().expect("subject").to_string())
                .collect();
            assert_eq!(subjects.len(), 6, "{to}: {report}");
            subjects.sort();
            subjects.dedup();
            assert_eq!(subjects, digests, "{to}: {report}");
        }
        for digest in &digests {
            let by_digest = format!("{}/copied/multi@{digest}", registry.addr);
            for extra in [&[][..], &["--new-bundle-format=false"][..]] {
                let out = run(cosign(t)
                    .args(["verify", "--insecure-ignore-tlog", "--key"])
                    .arg(&public)
                    .args(REGISTRY_FLAGS)
                    .args(extra)
                    .arg(&by_digest));
                passes(&out, &format!("{digest} {extra:?}"));
            }
            let out = run(env(t).args(["verify", &by_digest, "--key"]).arg(&public));
            passes(&out, &format!("envelope verify {digest}"));
        }

        // With --platform, one manifest and its own signatures only.
        let one = format!("{}/one:v1", registry.addr);
        let report = json(&ok(env(t).args([
            "copy",
            "--platform",
            "linux/arm64",
            "--format",
            "json",
            &remote,
            &one,
        ])));
        let carried = report["carried"].as_array().expect("carried");
        assert_eq!(carried.len(), 2, "{report}");
        assert!(
            carried.iter().all(|c| c["subject"] == report["digest"]),
            "{report}"
        );
        passes(
            &run(cosign(t)
                .args(["verify", "--insecure-ignore-tlog", "--key"])
                .arg(&public)
                .args(REGISTRY_FLAGS)
                .arg(&one)),
            "the arm64 manifest alone",
        );
    }
}
