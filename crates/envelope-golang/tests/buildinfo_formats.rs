//! The build info reader against ELF, Mach-O and PE binaries of many
//! GOOS/GOARCH pairs (32/64-bit, little and big endian), built once per test
//! process by the local Go toolchain and checked field by field against
//! `go version -m`, which reads any GOOS's binary.

#![cfg(feature = "external-tools")]

mod common;
use common::*;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use envelope_golang::{buildinfo, AddressSpace, BuildInfo, Format};

/// One binary to build: fixture, GOOS, GOARCH, extra `go build` flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Target {
    fixture: &'static str,
    goos: &'static str,
    goarch: &'static str,
    flags: &'static [&'static str],
}

const STRIP: &[&str] = &["-trimpath", "-ldflags=-s -w"];
/// A linker flag with a space, so that go quotes the `-ldflags` setting.
const QUOTED: &[&str] = &["-ldflags=-s -w -X \"main.version=a b\""];

const fn t(
    fixture: &'static str,
    goos: &'static str,
    goarch: &'static str,
    flags: &'static [&'static str],
) -> Target {
    Target {
        fixture,
        goos,
        goarch,
        flags,
    }
}

const TARGETS: &[Target] = &[
    t("bimod", "linux", "amd64", &[]),
    t("bimod", "linux", "amd64", STRIP),
    t("bimod", "linux", "386", &[]),
    t("bimod", "linux", "arm64", &["-ldflags=-s -w"]),
    t("bimod", "linux", "ppc64", &[]),
    t("bimod", "linux", "ppc64", STRIP),
    t("bimod", "linux", "s390x", &[]),
    t("bimod", "darwin", "arm64", &[]),
    t("bimod", "darwin", "amd64", STRIP),
    t("bimod", "windows", "amd64", &[]),
    t("bimod", "windows", "amd64", QUOTED),
    t("bimod", "windows", "386", &[]),
    t("bimod", "windows", "386", STRIP),
    t("bireplace", "linux", "amd64", &[]),
    t("bireplace", "darwin", "arm64", &["-trimpath"]),
    t("bireplace", "windows", "amd64", &[]),
];

/// Every target, built once per test process, in parallel.
fn binaries() -> &'static HashMap<Target, PathBuf> {
    static BUILT: OnceLock<HashMap<Target, PathBuf>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("buildinfo_formats");
        std::fs::create_dir_all(&dir).expect("out dir");
        std::thread::scope(|s| {
            let handles: Vec<_> = TARGETS
                .iter()
                .enumerate()
                .map(|(i, &target)| {
                    let out = dir.join(format!(
                        "{i}-{}-{}-{}",
                        target.fixture, target.goos, target.goarch
                    ));
                    s.spawn(move || {
                        build(&target, &out);
                        (target, out)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("build thread"))
                .collect()
        })
    })
}

fn build(target: &Target, out: &Path) {
    let output = go_cmd(&fixture(target.fixture))
        .env("GOOS", target.goos)
        .env("GOARCH", target.goarch)
        .arg("build")
        .args(target.flags)
        .arg("-o")
        .arg(out)
        .arg(".")
        .output()
        .expect("runs go");
    assert!(
        output.status.success(),
        "go build {target:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn check(target: &Target) -> BuildInfo {
    let bin = &binaries()[target];
    let data = std::fs::read(bin).expect("binary");
    let info = buildinfo::read(&data)
        .unwrap_or_else(|e| panic!("{target:?}: {e}"))
        .unwrap_or_else(|| panic!("{target:?}: no build info"));
    let (version, lines) = go_version_m(bin);
    assert_eq!(info.go_version, version, "{target:?}");
    assert_eq!(render(&info), lines, "{target:?}");
    assert_eq!(info.setting("GOOS"), Some(target.goos), "{target:?}");
    assert_eq!(info.setting("GOARCH"), Some(target.goarch), "{target:?}");
    assert_eq!(info.setting("CGO_ENABLED"), Some("0"), "{target:?}");
    let space = AddressSpace::parse(&data).expect("parses");
    let format = match target.goos {
        "linux" => Format::Elf,
        "darwin" => Format::MachO,
        _ => Format::Pe,
    };
    assert_eq!(space.format, format, "{target:?}");
    let big = matches!(target.goarch, "ppc64" | "s390x");
    assert_eq!(space.big_endian, big, "{target:?}");
    assert_eq!(space.is_64, target.goarch != "386", "{target:?}");
    assert!(space.buildinfo_hint.is_some(), "{target:?}");
    info
}

#[test]
fn every_format_matches_go_version_m() {
    for target in TARGETS {
        let info = check(target);
        if target.flags.contains(&"-trimpath") {
            assert_eq!(info.trimpath(), Some(true), "{target:?}");
        }
    }
}

#[test]
fn quoted_setting_values_are_unquoted() {
    let info = check(&t("bimod", "windows", "amd64", QUOTED));
    assert_eq!(info.ldflags(), Some("-s -w -X \"main.version=a b\""));
}

#[test]
fn local_replacement_is_read() {
    for goos in ["linux", "darwin", "windows"] {
        let target = TARGETS
            .iter()
            .find(|t| t.fixture == "bireplace" && t.goos == goos)
            .expect("target");
        let info = check(target);
        assert_eq!(info.path, "example.com/bireplace");
        assert_eq!(info.deps.len(), 1, "{info:?}");
        let dep = &info.deps[0];
        assert_eq!(
            (dep.path.as_str(), dep.version.as_str()),
            ("example.com/greet", "v1.2.3")
        );
        let r = dep.replace.as_ref().expect("replacement");
        assert_eq!(r.path, "./lib");
        assert_eq!(r.version, "(devel)");
    }
}

fn data_of(target: &Target) -> Vec<u8> {
    std::fs::read(&binaries()[target]).expect("binary")
}

fn same_info(a: &[u8], b: &[u8]) {
    let a = buildinfo::read(a).expect("reads").expect("info");
    let b = buildinfo::read(b).expect("reads").expect("info");
    assert_eq!(a, b);
}

#[test]
fn elf_without_section_headers_falls_back_to_the_data_segment() {
    for target in [
        t("bimod", "linux", "amd64", STRIP),
        t("bimod", "linux", "ppc64", &[]),
        t("bimod", "linux", "386", &[]),
    ] {
        let data = data_of(&target);
        let mut d = data.clone();
        let is_64 = d[4] == 2;
        let big = d[5] == 2;
        // e_shoff and e_shnum to zero.
        let (shoff, shoff_len, shnum) = if is_64 {
            (0x28, 8, 0x3c)
        } else {
            (0x20, 4, 0x30)
        };
        d[shoff..shoff + shoff_len].fill(0);
        d[shnum..shnum + 2].fill(0);
        let space = AddressSpace::parse(&d).expect("parses");
        assert!(space.sections.is_empty(), "{target:?}");
        assert!(space.buildinfo_hint.is_none(), "{target:?}");
        assert_eq!(space.big_endian, big);
        same_info(&data, &d);
    }
}

#[test]
fn macho_without_go_buildinfo_section_falls_back_to_the_data_segment() {
    for target in [
        t("bimod", "darwin", "arm64", &[]),
        t("bimod", "darwin", "amd64", STRIP),
    ] {
        let data = data_of(&target);
        let mut d = data.clone();
        let name = b"__go_buildinfo";
        let at = d[..0x4000]
            .windows(name.len())
            .position(|w| w == name)
            .expect("section name in the load commands");
        d[at..at + name.len()].copy_from_slice(b"__go_renamed__");
        let space = AddressSpace::parse(&d).expect("parses");
        assert!(space.buildinfo_hint.is_none(), "{target:?}");
        same_info(&data, &d);
    }
}

#[test]
fn non_go_and_hostile_inputs() {
    assert!(matches!(
        buildinfo::read(b"#!/bin/sh\necho hi\n"),
        Err(envelope_golang::Error::UnknownFormat)
    ));
    // A Go binary with its magic wiped has no build info.
    for target in [
        t("bimod", "linux", "amd64", STRIP),
        t("bimod", "darwin", "arm64", &[]),
        t("bimod", "windows", "386", &[]),
    ] {
        let mut d = data_of(&target);
        let magic = b"\xff Go buildinf:";
        while let Some(at) = d.windows(magic.len()).position(|w| w == magic) {
            d[at] = 0;
        }
        assert_eq!(buildinfo::read(&d).expect("reads"), None, "{target:?}");
    }
    // Truncations and flipped bytes of every format: never a panic.
    for target in [
        t("bimod", "darwin", "amd64", STRIP),
        t("bimod", "windows", "386", STRIP),
        t("bimod", "linux", "ppc64", STRIP),
    ] {
        let data = data_of(&target);
        let mut offsets: Vec<usize> = (0..512).step_by(3).collect();
        offsets.extend((0..data.len()).step_by(data.len() / 60 + 1));
        for &n in &offsets {
            let _ = buildinfo::read(&data[..n.min(data.len())]);
        }
        // Flip bytes in the headers and around the build info.
        let magic = b"\xff Go buildinf:";
        let bi = data
            .windows(magic.len())
            .position(|w| w == magic)
            .expect("magic");
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for round in 0..200 {
            let mut d = data.clone();
            for _ in 0..4 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = (seed >> 33) as usize;
                let i = if round % 2 == 0 {
                    r % 4096
                } else {
                    bi + r % 512
                };
                if i < d.len() {
                    d[i] ^= (seed >> 17) as u8 | 1;
                }
            }
            let _ = buildinfo::read(&d);
            envelope_golang::fuzz_all(&d[..d.len().min(1 << 16)]);
        }
    }
}

#[test]
fn pe_without_plain_data_section_falls_back_to_the_first_writable_section() {
    for target in [
        t("bimod", "windows", "amd64", &[]),
        t("bimod", "windows", "386", STRIP),
    ] {
        let data = data_of(&target);
        let mut d = data.clone();
        let at = d[..0x1000]
            .windows(8)
            .position(|w| w == b".data\0\0\0")
            .expect(".data in the section table");
        // IMAGE_SCN_MEM_SHARED: no longer exactly initialized RW data.
        d[at + 39] |= 0x10;
        // The hint is now another RW data section (`.idata`), without the
        // header; the reader then scans the first writable section.
        let space = AddressSpace::parse(&d).expect("parses");
        assert!(
            !space
                .buildinfo_hint
                .is_some_and(|h| h.starts_with(b"\xff Go buildinf:")),
            "{target:?}"
        );
        same_info(&data, &d);
    }
}
