//! `envelope audit` and `envelope inspect` end to end: an image envelope
//! built (clean), a bad image assembled here (root, a busybox shell, a
//! setuid file, secrets, an unstripped cgo binary without its loader, an apt
//! cache), an image `buildah bud` built from a naive Dockerfile and saved by
//! podman, cross-checked with dive; hostile archives; bare binaries.

#![cfg(feature = "external-tools")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::*;
use envelope_layer::{FileData, LayerBuilder};
use envelope_oci::{Digest, ImageBlobs};

const SECRET: &str = "s3cr3t-value-9f8e7d6c5b4a";
const GH_TOKEN: &str = "ghp_0123456789abcdefghijABCDEFGHIJ0123456789";

fn audit_json(image: &str) -> (i32, serde_json::Value, String) {
    let tmp = tempdir();
    let out = run(envelope(tmp.path(), &tmp.path().join("cache"))
        .args(["audit", "--isolated", "--format", "json"])
        .arg(image));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "audit {image} failed ({:?}):\n{stderr}\n{stdout}",
        out.status
    );
    (out.status.code().unwrap_or(-1), json(&stdout), stderr)
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn findings<'a>(report: &'a serde_json::Value, code: &str) -> Vec<&'a serde_json::Value> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == code)
        .collect()
}

/// A copy of examples/server outside the repository, so that builds
/// record no version control state (the checkout may have local changes).
fn server_src() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("envelope-audit-src-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for entry in std::fs::read_dir(example("server")).expect("read") {
            let path = entry.expect("entry").path();
            if path.is_file() {
                std::fs::copy(&path, dir.join(path.file_name().expect("name"))).expect("copy");
            }
        }
        dir
    })
    .clone()
}

/// `go build` of examples/server into `out` with `env` and `flags`.
fn go_build(out: &Path, env: &[(&str, &str)], flags: &[&str]) {
    let mut cmd = Command::new(go_dir().join("go"));
    cmd.current_dir(server_src())
        .env("GOCACHE", gocache())
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GOWORK", "off")
        .arg("build")
        .args(flags)
        .arg("-o")
        .arg(out)
        .arg(".");
    for (k, v) in env {
        cmd.env(k, v);
    }
    ok(&mut cmd);
}

fn file(b: &mut LayerBuilder, path: &str, data: Vec<u8>, mode: u32) {
    b.file(path, FileData::Bytes(Arc::new(data)), mode, 0, 0)
        .expect("file");
}

/// The bad image: root, busybox as /bin/sh, a setuid file, secrets in Env,
/// history and a key file, an unstripped cgo server without its loader, an
/// apt cache, two accounts sharing uid 0, and a second layer that
/// overwrites and deletes files of the first.
fn bad_image(dir: &Path) -> (ImageBlobs, PathBuf) {
    let server = dir.join("server-cgo");
    go_build(&server, &[("CGO_ENABLED", "1")], &[]);
    let mut l0 = LayerBuilder::new(0);
    file(&mut l0, "bin/busybox", busybox(), 0o755);
    l0.symlink("bin/sh", "busybox", 0, 0).expect("symlink");
    file(
        &mut l0,
        "etc/passwd",
        b"root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0:root:/root:/bin/sh\n".to_vec(),
        0o644,
    );
    file(&mut l0, "usr/bin/helper", vec![1u8; 1000], 0o4755);
    file(
        &mut l0,
        "var/cache/apt/archives/curl_8.0_amd64.deb",
        vec![7u8; 200_000],
        0o644,
    );
    file(
        &mut l0,
        "root/.ssh/id_ed25519",
        b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n".to_vec(),
        0o600,
    );
    file(
        &mut l0,
        "deploy/id_rsa",
        b"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n".to_vec(),
        0o600,
    );
    file(&mut l0, "data/big.bin", vec![3u8; 300_000], 0o644);
    file(&mut l0, "data/gone.bin", vec![4u8; 50_000], 0o644);
    let server_bytes = std::fs::read(&server).expect("server");
    file(&mut l0, "app/server", server_bytes, 0o755);
    let mut l1 = LayerBuilder::new(0);
    file(&mut l1, "data/big.bin", vec![5u8; 300_000], 0o644);
    file(&mut l1, "data/.wh.gone.bin", Vec::new(), 0o644);
    // A key added, then deleted: still in layer 0's blob.
    file(&mut l1, "deploy/.wh.id_rsa", Vec::new(), 0o644);
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Env": ["PATH=/bin", format!("API_TOKEN={SECRET}")],
            "Entrypoint": ["/app/server"],
        },
        "history": [
            {"created_by": format!("ENV GITHUB_TOKEN={GH_TOKEN}")},
            {"created_by": "COPY data /data"},
        ],
    });
    (assemble(vec![l0, l1], config), server)
}

#[test]
fn an_envelope_image_audits_clean() {
    let tmp = tempdir();
    let layout = tmp.path().join("layout");
    ok(envelope(&server_src(), &tmp.path().join("cache"))
        .args(["build", "-q", "-o"])
        .arg(format!("oci:{}:app", layout.display())));
    let (code, report, _) = audit_json(&format!("oci:{}:app", layout.display()));
    let diags = report["diagnostics"].as_array().expect("diagnostics");
    // Built with a supported Go (the machine's 1.26): not even a warning.
    let serious: Vec<&serde_json::Value> =
        diags.iter().filter(|d| d["severity"] != "info").collect();
    assert!(serious.is_empty(), "{serious:#?}");
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["errors"], 0, "{report}");
    // The Go binary was found and read.
    let bins = report["image"]["go_binaries"].as_array().expect("binaries");
    assert_eq!(bins.len(), 1, "{report}");
    assert_eq!(bins[0]["size"], bins[0]["stripped_size"]);
}

#[test]
fn go_releases_out_of_support_and_newer_than_known() {
    let tmp = tempdir();
    let bin = tmp.path().join("app");
    go_build(
        &bin,
        &[("CGO_ENABLED", "0")],
        &["-trimpath", "-ldflags=-s -w"],
    );
    let data = std::fs::read(&bin).expect("binary");
    let version = ok(Command::new(go_dir().join("go")).args(["env", "GOVERSION"]));
    let version = version.trim();
    // A supported release: nothing to say.
    let (_, report, _) = audit_json(bin.to_str().expect("path"));
    assert!(findings(&report, "GB005").is_empty(), "{report:#}");
    let minor = |v: &str| -> String { v.split('.').nth(1).expect("minor").to_string() };
    let patched = |to: String| {
        let to = format!("{to}{}", &version[to.len()..]);
        let p = tmp.path().join(&to);
        std::fs::write(&p, with_go_version(&data, version, &to)).expect("write");
        (p, to)
    };
    // Older than the two newest: a warning naming the release.
    let old = (minor(version).parse::<u32>().expect("number") - 2).to_string();
    let (old_bin, old_version) = patched(format!("go1.{old}"));
    let (code, report, _) = audit_json(old_bin.to_str().expect("path"));
    let f = findings(&report, "GB005");
    assert_eq!(f.len(), 1, "{report:#}");
    assert_eq!(f[0]["severity"], "warning");
    let m = f[0]["message"].as_str().unwrap_or_default();
    assert!(
        m.contains(&old_version) && m.contains("out of support"),
        "{m}"
    );
    assert_eq!(code, 1, "a warning fails the audit by default");
    // Newer than any release envelope knows: a note, not a warning.
    let (new_bin, new_version) = patched("go1.99".to_string());
    let (code, report, _) = audit_json(new_bin.to_str().expect("path"));
    let f = findings(&report, "GB005");
    assert_eq!(f.len(), 1, "{report:#}");
    assert_eq!(f[0]["severity"], "info");
    let m = f[0]["message"].as_str().unwrap_or_default();
    assert!(
        m.contains(&new_version) && m.contains("newer than any Go release envelope knows"),
        "{m}"
    );
    assert_eq!(code, 0, "a note does not fail the audit");
}

#[test]
fn a_bad_image_shows_every_problem_with_savings_and_no_secret() {
    let tmp = tempdir();
    let (image, server) = bad_image(tmp.path());
    let archive = tmp.path().join("bad.tar");
    envelope_oci::write_docker_archive(&archive, &image, Some("bad:1")).expect("archive");
    let layout = tmp.path().join("layout");
    envelope_oci::write_oci_layout(&layout, &image, Some("bad")).expect("layout");
    for reference in [
        format!("docker-archive:{}", archive.display()),
        format!("oci:{}:bad", layout.display()),
    ] {
        let (code, report, stderr) = audit_json(&reference);
        assert_eq!(code, 1);
        let text = report.to_string();
        assert!(
            !text.contains(SECRET) && !stderr.contains(SECRET),
            "secret leaked"
        );
        assert!(!text.contains(GH_TOKEN), "token leaked");
        let found = codes(&report);
        for want in [
            "IM001", "IM002", "IM004", "IM006", "IM008", "IM009", "IM010", "GB001", "GB002",
            "GB003", "GB004",
        ] {
            assert!(found.iter().any(|c| c == want), "{want} missing: {found:?}");
        }
        // Env, history, the key file, and the key deleted by a later layer.
        let im006 = findings(&report, "IM006");
        assert_eq!(im006.len(), 4, "{report}");
        assert!(
            im006.iter().any(|d| {
                let m = d["message"].as_str().unwrap_or_default();
                m.starts_with("/deploy/id_rsa")
                    && m.contains("deleted or replaced by a later layer")
            }),
            "{report}"
        );
        let gb001 = findings(&report, "GB001");
        assert_eq!(gb001[0]["severity"], "error", "{report}");
        assert!(gb001[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("ld-linux"));
        let im008 = findings(&report, "IM008");
        assert_eq!(im008[0]["saves_bytes"], 200_000);
        // The setuid file, and not the others.
        let im004 = findings(&report, "IM004");
        assert_eq!(im004.len(), 1);
        assert!(im004[0]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("/usr/bin/helper is setuid"));
        // GB002's savings against a real -s -w build of the same program.
        let stripped = tmp.path().join("server-stripped");
        go_build(&stripped, &[("CGO_ENABLED", "1")], &["-ldflags=-s -w"]);
        let actual = std::fs::metadata(&server).expect("meta").len()
            - std::fs::metadata(&stripped).expect("meta").len();
        let saved = findings(&report, "GB002")[0]["saves_bytes"]
            .as_u64()
            .expect("saves_bytes");
        let ratio = saved as f64 / actual as f64;
        assert!(
            (0.9..=1.1).contains(&ratio),
            "GB002 says {saved} bytes, -s -w saved {actual}"
        );
        // Two copies of data/big.bin and a deleted file: wasted bytes.
        assert!(report["image"]["wasted_bytes"].as_u64().unwrap_or(0) >= 600_000);
        assert!(
            report["image"]["projected_size"]
                .as_u64()
                .unwrap_or(u64::MAX)
                < report["image"]["size"].as_u64().unwrap_or(0)
        );
    }
    // The human report ends with the savings table.
    let out = run(envelope(tmp.path(), &tmp.path().join("cache"))
        .args(["audit", "--isolated"])
        .arg(format!("docker-archive:{}", archive.display())));
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("savings:") && text.contains("IM008"),
        "{text}"
    );
    assert!(text.contains("built the envelope way"), "{text}");
    assert!(!text.contains(SECRET));
}

#[test]
fn verify_checks_every_layer_digest() {
    let tmp = tempdir();
    let (image, _) = bad_image(tmp.path());
    let layout = tmp.path().join("layout");
    envelope_oci::write_oci_layout(&layout, &image, Some("bad")).expect("layout");
    let reference = format!("oci:{}:bad", layout.display());
    // Flip one byte inside the top layer's blob (gzip: the digest changes,
    // the stream may still decompress).
    let manifest = read_json(&layout.join("index.json"));
    let mdigest = manifest["manifests"][0]["digest"].as_str().expect("digest");
    let m = read_json(&blob_path(&layout, mdigest));
    let top = m["layers"][1]["digest"].as_str().expect("layer");
    let path = blob_path(&layout, top);
    let mut bytes = std::fs::read(&path).expect("blob");
    let at = bytes.len() - 10;
    bytes[at] ^= 0x55;
    std::fs::write(&path, bytes).expect("write");
    let err = fails(
        envelope(tmp.path(), &tmp.path().join("cache"))
            .args(["audit", "--isolated", "--verify"])
            .arg(&reference),
    );
    assert!(err.contains(top), "{err}");
    let err = fails(
        envelope(tmp.path(), &tmp.path().join("cache"))
            .args(["inspect", "--verify"])
            .arg(&reference),
    );
    assert!(err.contains(top), "{err}");
}

#[test]
fn registry_images_are_pulled_verified_and_a_tag_is_flagged() {
    let reg = common::registry::Registry::start();
    let tmp = tempdir();
    let (image, _) = bad_image(tmp.path());
    let layout = tmp.path().join("layout");
    envelope_oci::write_oci_layout(&layout, &image, Some("bad")).expect("layout");
    let target = format!("{}/test/bad:1", reg.addr);
    let pushed = ok(envelope(tmp.path(), &tmp.path().join("cache"))
        .args(["copy"])
        .arg(format!("oci:{}:bad", layout.display()))
        .arg(format!("docker://{target}")));
    let by_digest = pushed.trim().to_string();
    assert!(by_digest.contains("@sha256:"), "{pushed}");
    let (code, report, _) = audit_json(&format!("docker://{target}"));
    assert_eq!(code, 1);
    let tagged = codes(&report);
    let im011 = findings(&report, "IM011");
    assert_eq!(im011.len(), 1, "{tagged:?}");
    assert!(im011[0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("`1`"));
    // A bare reference by digest: the same findings but IM011.
    let (_, report, _) = audit_json(&by_digest);
    let pinned = codes(&report);
    assert!(!pinned.iter().any(|c| c == "IM011"), "{pinned:?}");
    let mut without: Vec<String> = tagged.into_iter().filter(|c| c != "IM011").collect();
    without.sort();
    let mut pinned = pinned;
    pinned.sort();
    assert_eq!(without, pinned);
}

#[test]
fn every_output_format_of_a_bad_image() {
    let tmp = tempdir();
    let (image, _) = bad_image(tmp.path());
    let layout = tmp.path().join("layout");
    envelope_oci::write_oci_layout(&layout, &image, Some("bad")).expect("layout");
    let reference = format!("oci:{}:bad", layout.display());
    let fmt = |f: &str| {
        ok_or_1(
            envelope(tmp.path(), &tmp.path().join("cache"))
                .args(["audit", "--isolated", "--format", f])
                .arg(&reference),
        )
    };
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json");
    let schema = json(&std::fs::read_to_string(&schema_path).expect("schema"));
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let sarif = json(&fmt("sarif"));
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    for result in sarif["runs"][0]["results"].as_array().expect("results") {
        let i = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[i]["id"], result["ruleId"]);
    }
    let concise = fmt("concise");
    assert!(concise.lines().any(|l| l.contains("IM001")), "{concise}");
    let github = fmt("github");
    assert!(
        github
            .lines()
            .any(|l| l.starts_with("::error") && l.contains("IM006")),
        "{github}"
    );
    for text in [concise, github, sarif.to_string()] {
        assert!(!text.contains(SECRET));
    }
}

#[test]
fn merged_usr_symlinks_and_hard_links_are_followed() {
    let tmp = tempdir();
    let server = tmp.path().join("server");
    go_build(
        &server,
        &[("CGO_ENABLED", "0")],
        &["-trimpath", "-ldflags=-s -w"],
    );
    let bb = busybox();
    let bb_len = bb.len() as u64;
    let mut l0 = LayerBuilder::new(0);
    l0.dir("usr/bin", 0o755, 0, 0).expect("dir");
    file(&mut l0, "usr/bin/busybox", bb, 0o755);
    l0.hardlink("usr/bin/sh", "usr/bin/busybox")
        .expect("hardlink");
    l0.symlink("bin", "usr/bin", 0, 0).expect("symlink");
    // Certificates in a directory reached through a symlink.
    l0.dir("usr/share/ca-certificates/mozilla", 0o755, 0, 0)
        .expect("dir");
    file(
        &mut l0,
        "usr/share/ca-certificates/mozilla/root.crt",
        b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".to_vec(),
        0o644,
    );
    l0.dir("etc/ssl", 0o755, 0, 0).expect("dir");
    l0.symlink("etc/ssl/certs", "/usr/share/ca-certificates/mozilla", 0, 0)
        .expect("symlink");
    file(
        &mut l0,
        "app",
        std::fs::read(&server).expect("server"),
        0o755,
    );
    let image = assemble(
        vec![l0],
        serde_json::json!({"architecture": "amd64", "os": "linux", "config": {"User": "65532"}}),
    );
    let layout = tmp.path().join("layout");
    envelope_oci::write_oci_layout(&layout, &image, Some("m")).expect("layout");
    let (_, report, _) = audit_json(&format!("oci:{}:m", layout.display()));
    let im002 = findings(&report, "IM002");
    assert_eq!(im002.len(), 1, "{report}");
    assert_eq!(im002[0]["saves_bytes"], bb_len, "{report}");
    // The CA directory is found through its symlink: no CA error.
    assert!(
        !findings(&report, "IM010").iter().any(|d| d["message"]
            .as_str()
            .unwrap_or_default()
            .contains("CA bundle")),
        "{report}"
    );
}

#[test]
fn config_selects_and_ignores_checks() {
    let tmp = tempdir();
    let (image, _) = bad_image(tmp.path());
    let layout = tmp.path().join("layout");
    envelope_oci::write_oci_layout(&layout, &image, Some("bad")).expect("layout");
    std::fs::write(
        tmp.path().join("envelope.toml"),
        "[audit]\nselect = [\"IM00\"]\nignore = [\"IM006\"]\n",
    )
    .expect("toml");
    let out = ok_or_1(
        envelope(tmp.path(), &tmp.path().join("cache"))
            .args(["audit", "--format", "json"])
            .arg(format!("oci:{}:bad", layout.display())),
    );
    let report = json(&out);
    let found = codes(&report);
    assert!(!found.is_empty());
    assert!(
        found.iter().all(|c| c.starts_with("IM00") && c != "IM006"),
        "{found:?}"
    );
    // An unknown code is a clear error.
    std::fs::write(
        tmp.path().join("envelope.toml"),
        "[audit]\nignore = [\"XX999\"]\n",
    )
    .expect("toml");
    let err = fails(
        envelope(tmp.path(), &tmp.path().join("cache"))
            .args(["audit"])
            .arg(format!("oci:{}:bad", layout.display())),
    );
    assert!(err.contains("XX999"), "{err}");
}

fn ok_or_1(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn bare_binaries_get_the_binary_checks() {
    let tmp = tempdir();
    let hardened = tmp.path().join("hardened");
    go_build(
        &hardened,
        &[("CGO_ENABLED", "0")],
        &["-trimpath", "-ldflags=-s -w"],
    );
    let (_, report, _) = audit_json(hardened.to_str().expect("path"));
    let found = codes(&report);
    assert!(found.is_empty(), "{found:?}");
    let naive = tmp.path().join("naive");
    go_build(&naive, &[("CGO_ENABLED", "1")], &["-gcflags=all=-N -l"]);
    let (code, report, _) = audit_json(naive.to_str().expect("path"));
    assert_eq!(code, 1);
    let found = codes(&report);
    for want in ["GB001", "GB002", "GB003", "GB004", "GB006"] {
        assert!(found.iter().any(|c| c == want), "{want}: {found:?}");
    }
    // No image, so nothing can be said to be missing: a warning.
    assert_eq!(findings(&report, "GB001")[0]["severity"], "warning");
    // No image checks for a binary.
    assert!(!found.iter().any(|c| c.starts_with("IM")), "{found:?}");
}

#[test]
fn bad_input_is_a_clear_error() {
    let tmp = tempdir();
    let text = tmp.path().join("notes.txt");
    std::fs::write(&text, "hello").expect("write");
    for (arg, want) in [
        (text.display().to_string(), "not an ELF binary"),
        (format!("oci:{}/missing", tmp.path().display()), "missing"),
        (format!("docker-archive:{}", text.display()), "notes.txt"),
        (tmp.path().display().to_string(), "is a directory"),
        ("./no-such-binary".to_string(), "no such file"),
    ] {
        let err = fails(
            envelope(tmp.path(), &tmp.path().join("cache"))
                .args(["audit"])
                .arg(&arg),
        );
        assert!(err.contains(want), "{arg}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A docker-archive whose one layer is `tar` as given.
fn raw_archive(dir: &Path, name: &str, tar: Vec<u8>) -> PathBuf {
    let diff = Digest::sha256(&tar);
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff.to_string()]},
    });
    let config_bytes = serde_json::to_vec(&config).expect("config");
    let manifest = serde_json::json!([{
        "Config": "config.json", "RepoTags": ["hostile:1"], "Layers": ["layer.tar"],
    }]);
    let mut out = Vec::new();
    {
        let mut add = |path: &str, data: &[u8]| {
            let mut h = [0u8; 512];
            h[..path.len()].copy_from_slice(path.as_bytes());
            h[100..108].copy_from_slice(b"0000644\0");
            h[108..116].copy_from_slice(b"0000000\0");
            h[116..124].copy_from_slice(b"0000000\0");
            h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
            h[136..148].copy_from_slice(b"00000000000\0");
            h[156] = b'0';
            h[257..263].copy_from_slice(b"ustar\0");
            h[263..265].copy_from_slice(b"00");
            h[148..156].copy_from_slice(b"        ");
            let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
            h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
            out.extend_from_slice(&h);
            out.extend_from_slice(data);
            out.resize(out.len().div_ceil(512) * 512, 0);
        };
        add("config.json", &config_bytes);
        add("manifest.json", &serde_json::to_vec(&manifest).expect("m"));
        add("layer.tar", &tar);
    }
    out.extend_from_slice(&[0u8; 1024]);
    let path = dir.join(name);
    std::fs::write(&path, out).expect("write");
    path
}

/// One tar entry with a given type, name and link.
fn entry(kind: u8, name: &str, link: &str, data: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 512];
    let n = name.len().min(100);
    h[..n].copy_from_slice(&name.as_bytes()[..n]);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = kind;
    let l = link.len().min(100);
    h[157..157 + l].copy_from_slice(&link.as_bytes()[..l]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

#[test]
fn hostile_archives_never_write_outside_and_never_panic() {
    let tmp = tempdir();
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    let escape = format!("../../../../../../..{}/pwned", outside.display());
    let end = vec![0u8; 1024];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "dotdot",
            [entry(b'0', &escape, "", b"x"), end.clone()].concat(),
        ),
        (
            "symlink-out",
            [
                entry(b'2', "etc", &outside.display().to_string(), b""),
                entry(b'0', "etc/pwned", "", b"x"),
                end.clone(),
            ]
            .concat(),
        ),
        (
            "hardlink-out",
            [entry(b'1', "x", &escape, b""), end.clone()].concat(),
        ),
        (
            "device",
            [entry(b'3', "dev/sda", "", b""), end.clone()].concat(),
        ),
        (
            "huge-pax",
            [entry(b'x', "pax", "", &vec![b'a'; 4 << 20]), end.clone()].concat(),
        ),
        (
            "truncated",
            entry(b'0', "f", "", &[1u8; 5000])[..2000].to_vec(),
        ),
        ("garbage", vec![0x5a; 3000]),
    ];
    for (name, tar) in cases {
        let archive = raw_archive(tmp.path(), &format!("{name}.tar"), tar);
        let out = run(envelope(tmp.path(), &tmp.path().join("cache"))
            .args(["audit", "--isolated", "--format", "json"])
            .arg(format!("docker-archive:{}", archive.display())));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "{name}: {:?} {stderr}",
            out.status
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(
            std::fs::read_dir(&outside).expect("read").next().is_none(),
            "{name} wrote outside"
        );
        if matches!(name, "dotdot" | "device" | "hardlink-out") {
            let report = json(&String::from_utf8_lossy(&out.stdout));
            assert!(
                codes(&report).iter().any(|c| c == "IM014"),
                "{name}: {report}"
            );
        }
        if matches!(name, "truncated" | "garbage" | "huge-pax") {
            assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
            assert!(stderr.contains("layer"), "{name}: {stderr}");
        }
    }
}

#[test]
fn inspect_shows_layers_and_wasted_bytes() {
    let tmp = tempdir();
    let (image, _) = bad_image(tmp.path());
    let layout = tmp.path().join("layout");
    envelope_oci::write_oci_layout(&layout, &image, Some("bad")).expect("layout");
    let reference = format!("oci:{}:bad", layout.display());
    let out = ok(envelope(tmp.path(), &tmp.path().join("cache"))
        .args(["inspect", "--format", "json"])
        .arg(&reference));
    let v = json(&out);
    let layers = v["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[1]["created_by"], "COPY data /data");
    // History is shown with secret values redacted.
    assert_eq!(layers[0]["created_by"], "ENV GITHUB_TOKEN=***");
    assert!(!out.contains(GH_TOKEN));
    assert_eq!(layers[1]["largest"][0]["path"], "/data/big.bin");
    assert!(v["wasted_bytes"].as_u64().unwrap_or(0) >= 600_000, "{v}");
    let human = ok(envelope(tmp.path(), &tmp.path().join("cache"))
        .args(["inspect"])
        .arg(&reference));
    assert!(
        human.contains("/data/big.bin") && human.contains("efficiency"),
        "{human}"
    );
}

/// dive on the same docker archive: efficiency and wasted bytes agree.
fn dive_numbers(archive: &Path) -> (f64, u64) {
    let dive = peer("dive");
    let tmp = tempdir();
    let out_json = tmp.path().join("dive.json");
    let out = Command::new(&dive)
        .args(["--source", "docker-archive"])
        .arg(archive)
        .arg("--json")
        .arg(&out_json)
        .output()
        .unwrap_or_else(|e| {
            panic!("dive is required for this test ({e}): run `bash .ci/install.sh`")
        });
    assert!(
        out.status.success(),
        "dive failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&std::fs::read_to_string(&out_json).expect("dive json"));
    (
        v["image"]["efficiencyScore"]
            .as_f64()
            .expect("efficiencyScore"),
        v["image"]["inefficientBytes"]
            .as_u64()
            .expect("inefficientBytes"),
    )
}

fn assert_close(what: &str, ours: f64, theirs: f64) {
    let diff = if theirs == 0.0 {
        ours.abs()
    } else {
        ((ours - theirs) / theirs).abs()
    };
    assert!(diff <= 0.001, "{what}: envelope {ours}, dive {theirs}");
}

#[test]
fn a_naive_buildah_image_matches_dive_and_is_flagged() {
    require("buildah");
    require("podman");
    let tmp = tempdir();
    // A local base: busybox and an /etc, loaded into podman's storage.
    let mut base = LayerBuilder::new(0);
    file(&mut base, "bin/busybox", busybox(), 0o755);
    for tool in ["sh", "rm", "mkdir", "echo", "dd", "cp", "chmod"] {
        base.symlink(&format!("bin/{tool}"), "busybox", 0, 0)
            .expect("symlink");
    }
    file(
        &mut base,
        "etc/passwd",
        b"root:x:0:0:root:/root:/bin/sh\n".to_vec(),
        0o644,
    );
    base.dir("tmp", 0o1777, 0, 0).expect("tmp");
    let base_image = assemble(
        vec![base],
        serde_json::json!({
            "architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/bin"]},
            "history": [{"created_by": "busybox base"}],
        }),
    );
    let base_tar = tmp.path().join("base.tar");
    envelope_oci::write_docker_archive(&base_tar, &base_image, Some("localhost/envtest-base:1"))
        .expect("base archive");
    ok(podman().args(["load", "-q", "-i"]).arg(&base_tar));
    // A naive single-stage Dockerfile: the binary and its sources copied in,
    // a cache made and removed in separate layers.
    let ctx = tmp.path().join("ctx");
    std::fs::create_dir_all(&ctx).expect("ctx");
    go_build(&ctx.join("server"), &[("CGO_ENABLED", "0")], &[]);
    std::fs::copy(server_src().join("main.go"), ctx.join("main.go")).expect("copy");
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM localhost/envtest-base:1\nCOPY . /src\nRUN mkdir -p /root/.cache && dd if=/dev/zero of=/root/.cache/blob bs=1024 count=300\nRUN mkdir -p /usr/local/bin && cp /src/server /usr/local/bin/server && chmod 755 /usr/local/bin/server\nRUN rm -rf /root/.cache\nRUN chmod 700 /usr/local/bin/server\nENTRYPOINT [\"/usr/local/bin/server\"]\n",
    )
    .expect("dockerfile");
    let tag = format!("localhost/envtest-naive:{}", std::process::id());
    let root = repo_root();
    ok(Command::new("buildah")
        .env("CONTAINERS_CONF", root.join("tests/podman/containers.conf"))
        .env(
            "CONTAINERS_STORAGE_CONF",
            root.join("tests/podman/storage.conf"),
        )
        .args(["bud", "--pull=never", "--layers", "-q", "-t", &tag, "-f"])
        .arg(ctx.join("Dockerfile"))
        .arg(&ctx));
    let archive = tmp.path().join("naive.tar");
    ok(podman()
        .args(["save", "--format", "docker-archive", "-o"])
        .arg(&archive)
        .arg(&tag));
    let _ = run(podman().args(["rmi", "-f", &tag, "localhost/envtest-base:1"]));

    let reference = format!("docker-archive:{}", archive.display());
    let inspect = json(&ok(envelope(tmp.path(), &tmp.path().join("cache"))
        .args(["inspect", "--format", "json"])
        .arg(&reference)));
    let (score, wasted) = dive_numbers(&archive);
    assert_close(
        "efficiency",
        inspect["efficiency"].as_f64().expect("efficiency"),
        score,
    );
    assert_close(
        "wasted bytes",
        inspect["wasted_bytes"].as_u64().expect("wasted") as f64,
        wasted as f64,
    );
    assert!(wasted > 0, "the naive image wastes bytes");
    let (code, report, _) = audit_json(&reference);
    assert_eq!(code, 1);
    let found = codes(&report);
    for want in ["IM001", "IM002", "IM007", "GB002", "GB003"] {
        assert!(found.iter().any(|c| c == want), "{want}: {found:?}");
    }
}
