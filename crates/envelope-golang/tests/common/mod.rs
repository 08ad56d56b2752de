//! Helpers the envelope-golang integration tests share: where the Go
//! toolchain and the fixtures are.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Go toolchain: Debian's Go 1.23 when installed, else `go` on PATH.
pub fn go() -> PathBuf {
    let debian = Path::new("/usr/lib/go-1.23/bin/go");
    if debian.exists() {
        return debian.to_path_buf();
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("go"))
        .find(|p| p.exists())
        .expect("the Go toolchain is required: run `bash .ci/install.sh`")
}

/// A directory of the repository's examples/.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

/// A directory of tests/fixtures/.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A `go` command run in `dir` that never reaches the network: the local
/// toolchain, no module proxy, the tests' shared build cache, and
/// CGO_ENABLED=0 (callers set or override the rest).
pub fn go_cmd(dir: &Path) -> Command {
    let mut c = Command::new(go());
    c.current_dir(dir)
        .env("CGO_ENABLED", "0")
        .env(
            "GOCACHE",
            std::env::temp_dir().join("envelope-test-gocache"),
        )
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off");
    c
}
