//! The readers against real binaries built by the real Go toolchain (and a
//! C compiler for a dynamic one), checked against `go version -m`.

#![cfg(feature = "external-tools")]

mod common;
use common::*;

use std::path::Path;
use std::process::Command;

use envelope_golang::{buildinfo, inspect, runtime_needs, FuncTable};

/// Builds `dir` into `out` with the given GOARCH and flags.
fn build(dir: &Path, out: &Path, goarch: &str, flags: &[&str]) -> Vec<u8> {
    let status = go_cmd(dir)
        .env("GOARCH", goarch)
        .arg("build")
        .args(flags)
        .arg("-o")
        .arg(out)
        .arg(".")
        .status()
        .expect("runs go");
    assert!(status.success(), "go build failed in {}", dir.display());
    std::fs::read(out).expect("binary")
}

fn assert_matches_go(bin: &Path, data: &[u8]) {
    let info = buildinfo::read(data)
        .expect("reads")
        .expect("has build info");
    let (version, lines) = go_version_m(bin);
    assert_eq!(info.go_version, version);
    assert_eq!(render(&info), lines);
}

#[test]
fn stripped_static_binary_facts_and_build_info() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bin = tmp.path().join("server");
    let data = build(
        &example("server"),
        &bin,
        "amd64",
        &["-trimpath", "-ldflags=-s -w"],
    );
    let f = inspect(&data).expect("inspects");
    assert!(f.is_static);
    assert!(f.stripped);
    assert_eq!((f.goos.as_str(), f.goarch.as_str()), ("linux", "amd64"));
    assert_eq!(f.symtab_bytes + f.debug_bytes, 0);
    assert_matches_go(&bin, &data);
    let info = f.build_info.expect("build info");
    assert_eq!(info.setting("-trimpath"), Some("true"));
    assert_eq!(info.setting("CGO_ENABLED"), Some("0"));
    // With -trimpath, go leaves -ldflags out of the build info.
    assert_eq!(info.setting("-ldflags"), None);

    let funcs = FuncTable::read(&data).expect("pclntab survives -s -w");
    assert!(funcs.len() > 1000, "{}", funcs.len());
    assert!(funcs.contains("main.main"));
    assert!(funcs.contains("main.selftest"));
    let needs = runtime_needs(&funcs);
    assert!(needs.ca_certs, "{needs:?}");
    assert!(needs.tzdata, "{needs:?}");
    assert!(!needs.embedded_tzdata);
}

#[test]
fn unstripped_arm64_binary() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bin = tmp.path().join("hello");
    let data = build(&example("hello"), &bin, "arm64", &[]);
    let f = inspect(&data).expect("inspects");
    assert_eq!(f.goarch, "arm64");
    assert!(!f.stripped);
    assert!(f.symtab_bytes > 0 && f.debug_bytes > 0, "{f:?}");
    assert_matches_go(&bin, &data);
    assert_eq!(
        f.build_info.as_ref().and_then(|b| b.setting("-trimpath")),
        None
    );
    let needs = runtime_needs(&FuncTable::read(&data).expect("pclntab"));
    assert!(!needs.ca_certs && !needs.tzdata, "{needs:?}");
}

#[test]
fn embedded_tzdata_is_seen() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bin = tmp.path().join("tz");
    let data = build(
        &fixture("tzembed"),
        &bin,
        "amd64",
        &["-trimpath", "-ldflags=-s -w"],
    );
    let needs = runtime_needs(&FuncTable::read(&data).expect("pclntab"));
    assert!(needs.tzdata && needs.embedded_tzdata, "{needs:?}");
    assert!(!needs.ca_certs);
}

#[test]
fn dynamic_c_binary() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("d.c");
    std::fs::write(&src, "int main(void){return 0;}\n").expect("write");
    let bin = tmp.path().join("d");
    let st = Command::new("cc")
        .arg(&src)
        .arg("-o")
        .arg(&bin)
        .status()
        .expect("cc is required");
    assert!(st.success());
    let data = std::fs::read(&bin).expect("read");
    let f = inspect(&data).expect("inspects");
    assert!(!f.is_static);
    assert!(
        f.interpreter
            .as_deref()
            .is_some_and(|i| i.contains("ld-linux")),
        "{f:?}"
    );
    assert!(f.needed.iter().any(|n| n.starts_with("libc.so")), "{f:?}");
    assert!(f.build_info.is_none());
    assert!(FuncTable::read(&data).is_err());
}

#[test]
fn hostile_inputs_never_panic() {
    assert!(matches!(
        inspect(b"#!/bin/sh\n"),
        Err(envelope_golang::Error::NotElf)
    ));
    let tmp = tempfile::tempdir().expect("tmp");
    let data = build(
        &example("hello"),
        &tmp.path().join("h"),
        "amd64",
        &["-trimpath", "-ldflags=-s -w"],
    );
    // Truncations at many offsets, and bytes flipped through the headers,
    // the build info and the pclntab.
    let mut offsets: Vec<usize> = (0..256).collect();
    offsets.extend((0..data.len()).step_by(data.len() / 200 + 1));
    for &n in &offsets {
        envelope_golang::fuzz_all(&data[..n.min(data.len())]);
    }
    let mut seed = 0x1234_5678_u64;
    for _ in 0..300 {
        let mut d = data.clone();
        for _ in 0..8 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let i = (seed >> 33) as usize % d.len();
            d[i] ^= (seed >> 17) as u8 | 1;
        }
        envelope_golang::fuzz_all(&d);
    }
    for size in [0, 4, 16, 52, 64, 100] {
        let mut d = b"\x7fELF\x02\x01\x01".to_vec();
        d.resize(size.max(7), 0xff);
        envelope_golang::fuzz_all(&d);
    }
}
