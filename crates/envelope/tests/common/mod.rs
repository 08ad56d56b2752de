//! Shared helpers for the integration tests: run the real `envelope` binary
//! with the real Go toolchain, and check its images with skopeo, podman and
//! GNU tar. A missing tool fails the test with a message saying how to get
//! it (`bash .ci/install.sh`); nothing is skipped.

#![allow(dead_code)]

pub mod cosign;
pub mod files_http;
pub mod goproxy;
pub mod kubernetes;
pub mod project;
pub mod proxy;
pub mod registry;
pub mod token;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

pub fn example(name: &str) -> PathBuf {
    repo_root().join("examples").join(name)
}

/// The directory holding the machine's `go` (Go 1.26 where
/// `.ci/install.sh` ran): the first on PATH.
pub fn go_dir() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .find(|d| d.join("go").exists())
        .expect("the Go toolchain is required for these tests: install Go 1.26 or run `bash .ci/install.sh`")
}

/// Where `.ci/install.sh` puts the peers it builds: `$ENVELOPE_PEERS/bin`
/// (default `~/.cache/envelope-peers/bin`).
pub fn peers_bin() -> PathBuf {
    let dir = std::env::var_os("ENVELOPE_PEERS")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .filter(|d| !d.is_empty())
                .map(|d| PathBuf::from(d).join("envelope-peers"))
        })
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/envelope-peers"))
        })
        .unwrap_or_else(|| PathBuf::from("envelope-peers"));
    dir.join("bin")
}

/// A peer tool (ko, govulncheck, crane, cosign, syft, dive, hadolint,
/// kube-score, kubernetes-validate, checkov): on
/// PATH, else where `.ci/install.sh` installs it; missing, the test fails
/// saying how to install it.
pub fn peer(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([peers_bin()])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} is required for this test and was not found on PATH or in {}: \
                 run `bash .ci/install.sh`",
                peers_bin().display()
            )
        })
}

pub fn require(tool: &str) {
    let ok = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{tool} is required for these tests: run `bash .ci/install.sh`"
    );
}

/// A lower-case temporary directory (podman refuses upper-case `oci:` paths).
/// The first call of a test process removes those left by test processes
/// that are gone (a directory held by a `static` is never dropped).
pub fn tempdir() -> tempfile::TempDir {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(sweep_stale);
    tempfile::Builder::new()
        .prefix("envtest")
        .rand_bytes(0)
        .suffix(&format!("-{}", unique()))
        .tempdir()
        .expect("tempdir")
}

/// Removes `envtest-PID-…` and `envelope-audit-src-PID` directories of
/// processes that no longer run.
fn sweep_stale() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(rest) = name
            .strip_prefix("envtest-")
            .or_else(|| name.strip_prefix("envelope-audit-src-"))
        else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or_default();
        let gone = pid
            .parse::<u32>()
            .is_ok_and(|p| p != std::process::id() && !Path::new(&format!("/proc/{p}")).exists());
        if gone {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}-{n}-{t}", std::process::id())
}

/// Go's build cache shared by every test, so the standard library compiles once.
pub fn gocache() -> PathBuf {
    std::env::temp_dir().join("envelope-test-gocache")
}

/// A command running the real envelope binary with Go on PATH, an isolated
/// envelope cache (`cache`), and no network for Go.
pub fn envelope(cwd: &Path, cache: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_envelope"));
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![go_dir()];
    dirs.extend(std::env::split_paths(&path));
    cmd.current_dir(cwd)
        .env("PATH", std::env::join_paths(dirs).expect("PATH"))
        .env("GOCACHE", gocache())
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("ENVELOPE_CACHE_DIR", cache)
        .env("NO_COLOR", "1")
        .env_remove("ENVELOPE_GO")
        .env_remove("SOURCE_DATE_EPOCH");
    cmd
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    out
}

/// Runs and asserts success, returning stdout.
pub fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs and asserts success, returning stdout's bytes.
pub fn ok_bytes(cmd: &mut Command) -> Vec<u8> {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs and asserts exit code 2 (the tool failed), returning stderr.
pub fn fails(cmd: &mut Command) -> String {
    let out = run(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{cmd:?} should fail with exit 2:\nstdout:\n{}\nstderr:\n{stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

/// A command's standard output, as text.
pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A command's standard error, as text.
pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A command's exit code (-1 when a signal ended it).
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

pub fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}):\n{s}"))
}

pub fn skopeo(args: &[&str]) -> String {
    require("skopeo");
    ok(Command::new("skopeo").args(args))
}

/// The digest the registry serves for `reference`, as skopeo sees it.
pub fn remote_digest(reference: &str) -> String {
    let image = format!("docker://{reference}");
    skopeo(&[
        "inspect",
        "--tls-verify=false",
        "--format",
        "{{.Digest}}",
        &image,
    ])
    .trim()
    .to_string()
}

pub fn podman() -> Command {
    require("podman");
    let root = repo_root();
    let mut cmd = Command::new("podman");
    cmd.env("CONTAINERS_CONF", root.join("tests/podman/containers.conf"))
        .env(
            "CONTAINERS_STORAGE_CONF",
            root.join("tests/podman/storage.conf"),
        );
    cmd
}

/// The blobs of an OCI layout's image: (manifest JSON, config JSON, layer paths).
pub struct LayoutImage {
    pub manifest: serde_json::Value,
    pub config: serde_json::Value,
    pub layers: Vec<PathBuf>,
}

pub fn blob_path(layout: &Path, digest: &str) -> PathBuf {
    let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
    layout.join("blobs/sha256").join(hex)
}

pub fn read_json(path: &Path) -> serde_json::Value {
    json(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// Follows index.json (tag `tag`) to the manifest for `arch`.
pub fn layout_image(layout: &Path, tag: Option<&str>, arch: &str) -> LayoutImage {
    let index = read_json(&layout.join("index.json"));
    let entries = index["manifests"].as_array().expect("manifests");
    let entry = entries
        .iter()
        .find(|m| {
            tag.is_none() || m["annotations"]["org.opencontainers.image.ref.name"].as_str() == tag
        })
        .unwrap_or_else(|| panic!("tag {tag:?} not in {index}"));
    let mut desc = entry.clone();
    if desc["mediaType"] == "application/vnd.oci.image.index.v1+json" {
        let idx = read_json(&blob_path(layout, desc["digest"].as_str().expect("digest")));
        desc = idx["manifests"]
            .as_array()
            .expect("manifests")
            .iter()
            .find(|m| m["platform"]["architecture"] == arch)
            .unwrap_or_else(|| panic!("no {arch} in {idx}"))
            .clone();
    }
    let manifest = read_json(&blob_path(layout, desc["digest"].as_str().expect("digest")));
    let config = read_json(&blob_path(
        layout,
        manifest["config"]["digest"].as_str().expect("config"),
    ));
    let layers = manifest["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| blob_path(layout, l["digest"].as_str().expect("digest")))
        .collect();
    LayoutImage {
        manifest,
        config,
        layers,
    }
}

/// GNU tar with the decompression flag a layer needs.
fn tar_for(layer: &Path) -> Command {
    require("tar");
    let head = std::fs::read(layer).expect("layer");
    let mut cmd = Command::new("tar");
    if head.starts_with(&[0x1f, 0x8b]) {
        cmd.arg("-z");
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        cmd.arg("--zstd");
    }
    cmd
}

/// `tar -tvf` of a layer with GNU tar: the listing, one entry a line.
pub fn tar_list(layer: &Path) -> String {
    ok(tar_for(layer).arg("--numeric-owner").arg("-tvf").arg(layer))
}

/// Extracts a layer with GNU tar into `dest`.
pub fn tar_extract(layer: &Path, dest: &Path) {
    ok(tar_for(layer).arg("-xf").arg(layer).arg("-C").arg(dest));
}

/// The architectures of an index's manifests, in order.
pub fn index_arches(index: &serde_json::Value) -> Vec<String> {
    index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .map(|m| {
            m["platform"]["architecture"]
                .as_str()
                .expect("arch")
                .to_string()
        })
        .collect()
}

/// An image from layers and a config (diff_ids filled in), uncompressed
/// layers as `docker save` writes them.
pub fn assemble(
    layers: Vec<envelope_layer::LayerBuilder>,
    config: serde_json::Value,
) -> envelope_oci::ImageBlobs {
    let built = layers
        .iter()
        .map(|b| {
            let l =
                envelope_layer::build_layer(b, envelope_layer::Compression::Gzip).expect("layer");
            (l.descriptor(), l.diff_id, l.blob)
        })
        .collect();
    assemble_blobs(built, config)
}

/// An image of uncompressed layer tars made elsewhere (by GNU tar, say).
pub fn assemble_tars(tars: Vec<Vec<u8>>, config: serde_json::Value) -> envelope_oci::ImageBlobs {
    let layers = tars
        .into_iter()
        .map(|tar| {
            let digest = envelope_oci::Digest::sha256(&tar);
            let desc = envelope_oci::Descriptor {
                media_type: "application/vnd.oci.image.layer.v1.tar".into(),
                digest: digest.clone(),
                size: tar.len() as u64,
                urls: None,
                annotations: None,
                platform: None,
                artifact_type: None,
            };
            (desc, digest, std::sync::Arc::new(tar))
        })
        .collect();
    assemble_blobs(layers, config)
}

/// An image of layers given as (descriptor, diff_id, blob), its config's
/// diff_ids filled in.
fn assemble_blobs(
    layers: Vec<(
        envelope_oci::Descriptor,
        envelope_oci::Digest,
        std::sync::Arc<Vec<u8>>,
    )>,
    mut config: serde_json::Value,
) -> envelope_oci::ImageBlobs {
    config["rootfs"] = serde_json::json!({
        "type": "layers",
        "diff_ids": layers.iter().map(|l| l.1.to_string()).collect::<Vec<_>>(),
    });
    let config_bytes = serde_json::to_vec(&config).expect("config");
    let config_desc = envelope_oci::Descriptor {
        media_type: "application/vnd.oci.image.config.v1+json".into(),
        digest: envelope_oci::Digest::sha256(&config_bytes),
        size: config_bytes.len() as u64,
        urls: None,
        annotations: None,
        platform: None,
        artifact_type: None,
    };
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config_desc,
        "layers": layers.iter().map(|l| &l.0).collect::<Vec<_>>(),
    });
    let manifest_bytes = serde_json::to_vec(&manifest).expect("manifest");
    let root = envelope_oci::Descriptor {
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        digest: envelope_oci::Digest::sha256(&manifest_bytes),
        size: manifest_bytes.len() as u64,
        urls: None,
        annotations: None,
        platform: None,
        artifact_type: None,
    };
    let mut image = envelope_oci::ImageBlobs::new(root.clone());
    image.insert(
        root.digest,
        envelope_oci::BlobData::Bytes(std::sync::Arc::new(manifest_bytes)),
    );
    image.insert(
        config_desc.digest,
        envelope_oci::BlobData::Bytes(std::sync::Arc::new(config_bytes)),
    );
    for (desc, _, blob) in layers {
        image.insert(desc.digest, envelope_oci::BlobData::Bytes(blob));
    }
    image
}

/// `data` (a Go binary) with its Go version, as `go1.26.8`, replaced
/// everywhere — the build info's copy and the runtime's — by another of
/// the same length: a binary "built" by another release.
pub fn with_go_version(data: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len(), "{from} {to}");
    let mut out = data.to_vec();
    let mut found = 0;
    let mut at = 0;
    while let Some(i) = out[at..]
        .windows(from.len())
        .position(|w| w == from.as_bytes())
    {
        out[at + i..at + i + to.len()].copy_from_slice(to.as_bytes());
        at += i + to.len();
        found += 1;
    }
    assert!(found > 0, "{from} is not in the binary");
    out
}

/// Every hardening check of a build report's platform (`hardening` of
/// `envelope build --format json`) passed.
pub fn assert_hardened(hardening: &serde_json::Value, what: &str) {
    for check in [
        "static",
        "stripped",
        "trimpath",
        "cgo_disabled",
        "non_root",
        "no_shell",
    ] {
        assert_eq!(hardening[check], true, "{what}: {check}: {hardening}");
    }
}

/// The static busybox the tests put in images as their shell.
pub fn busybox() -> Vec<u8> {
    let path = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("busybox-static is required for these tests: run `bash .ci/install.sh`");
    std::fs::read(path).expect("busybox")
}
