//! cosign as the tests run it: offline, its home and TUF root in the test
//! directory, talking plain HTTP to the local registry.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{ok, peer};

/// What cosign needs to reach the local registry.
pub const REGISTRY_FLAGS: [&str; 2] = ["--allow-insecure-registry", "--allow-http-registry"];

/// cosign, run in `dir` with `password` for its keys.
pub fn cosign(dir: &Path, password: &str) -> Command {
    let mut cmd = Command::new(peer("cosign"));
    cmd.current_dir(dir)
        .env("COSIGN_PASSWORD", password)
        .env("HOME", dir)
        .env("TUF_ROOT", dir.join("tuf"));
    cmd
}

/// Writes `dir/sc.json`, a signing configuration without a transparency
/// log, certificate authority or timestamp authority: cosign signs with a
/// key and nothing else, offline.
pub fn offline_signing_config(dir: &Path) {
    ok(cosign(dir, "").args([
        "signing-config",
        "create",
        "--no-default-fulcio",
        "--no-default-rekor",
        "--no-default-oidc",
        "--no-default-tsa",
        "--out",
        "sc.json",
    ]));
}

/// `cosign generate-key-pair` in `dir` with `password`: the private and
/// the public key's paths.
#[allow(dead_code)]
pub fn key_pair(dir: &Path, password: &str) -> (PathBuf, PathBuf) {
    ok(cosign(dir, password).arg("generate-key-pair"));
    (dir.join("cosign.key"), dir.join("cosign.pub"))
}
