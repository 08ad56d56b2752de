//! Every binary reader on every Go release of the matrix (`common::MATRIX`,
//! narrowed by `ENVELOPE_TEST_GO`): build info against the same release's
//! `go version -m`, the pclntab function and file tables, inline trees,
//! what the binary needs from its image (CA bundle, time zones), the ELF
//! facts the audit reads (static, stripped) and the platform the headers
//! give — for linux/amd64 and linux/arm64, stripped and not, and on amd64
//! also PIE, cgo and `-race`.
//!
//! A release of the matrix that is not installed fails its test with how
//! to install it; nothing is skipped.

#![cfg(feature = "external-tools")]

mod common;
use common::*;

use std::path::{Path, PathBuf};

use envelope_golang::{
    buildinfo, inspect, runtime_needs, AddressSpace, FileTable, FuncTable, GoVersion, SymbolTable,
};

/// One way of building the fixture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Plain,
    /// `-trimpath -ldflags=-s -w`.
    Stripped,
    /// `-buildmode=pie`.
    Pie,
    /// CGO_ENABLED=1: linked by the system's C linker.
    Cgo,
    /// `-race` (needs cgo).
    Race,
}

impl Variant {
    fn flags(self) -> &'static [&'static str] {
        match self {
            Variant::Plain | Variant::Cgo => &[],
            Variant::Stripped => &["-trimpath", "-ldflags=-s -w"],
            Variant::Pie => &["-buildmode=pie"],
            Variant::Race => &["-race"],
        }
    }

    fn cgo(self) -> bool {
        matches!(self, Variant::Cgo | Variant::Race)
    }
}

/// (GOARCH, variant) pairs built per release. cgo and -race need a C
/// cross-compiler for other architectures, so they are built for amd64.
const BUILDS: &[(&str, Variant)] = &[
    ("amd64", Variant::Plain),
    ("amd64", Variant::Stripped),
    ("arm64", Variant::Plain),
    ("arm64", Variant::Stripped),
    ("amd64", Variant::Pie),
    ("amd64", Variant::Cgo),
    ("amd64", Variant::Race),
];

fn build(tc: &Toolchain, dir: &Path, goarch: &str, variant: Variant) -> PathBuf {
    let out = dir.join(format!("matrix-{}-{goarch}-{variant:?}", tc.release));
    let output = go_cmd_with(&tc.go, &fixture("matrix"))
        .env("GOOS", "linux")
        .env("GOARCH", goarch)
        .env("GOFLAGS", "-mod=mod")
        .env("CGO_ENABLED", if variant.cgo() { "1" } else { "0" })
        .arg("build")
        .args(variant.flags())
        .arg("-o")
        .arg(&out)
        .arg(".")
        .output()
        .expect("runs go");
    assert!(
        output.status.success(),
        "{} build linux/{goarch} {variant:?}: {}",
        tc.version,
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

/// Everything the readers say of one build, checked.
fn check(tc: &Toolchain, bin: &Path, goarch: &str, variant: Variant) -> SymbolTable {
    let what = format!("{} linux/{goarch} {variant:?}", tc.version);
    let data = std::fs::read(bin).expect("binary");

    // Build info: line for line what this release's `go version -m` says.
    let info = buildinfo::read(&data)
        .unwrap_or_else(|e| panic!("{what}: {e}"))
        .unwrap_or_else(|| panic!("{what}: no build info"));
    let (version, lines) = go_version_m_with(&tc.go, bin);
    assert_eq!(info.go_version, tc.version, "{what}");
    assert_eq!(info.go_version, version, "{what}");
    assert_eq!(render(&info), lines, "{what}");
    assert_eq!(info.setting("GOARCH"), Some(goarch), "{what}");
    let cgo = if variant.cgo() { "1" } else { "0" };
    assert_eq!(info.setting("CGO_ENABLED"), Some(cgo), "{what}");
    assert_eq!(
        info.setting("-race"),
        (variant == Variant::Race).then_some("true"),
        "{what}"
    );
    // Go 1.19 records no -buildmode; later ones do.
    let mode = info.setting("-buildmode");
    if tc.release == "1.19" {
        assert_eq!(mode, None, "{what}");
    } else if variant == Variant::Pie {
        assert_eq!(mode, Some("pie"), "{what}");
    } else {
        assert!(matches!(mode, None | Some("exe")), "{what}: {mode:?}");
    }
    let dep = info.deps.iter().find(|d| d.path == "example.com/inl");
    let replaced = dep.and_then(|d| d.replace.as_deref());
    assert_eq!(replaced.map(|r| r.path.as_str()), Some("../inl"), "{what}");
    assert!(GoVersion::parse(&info.go_version).is_some(), "{what}");

    // The headers' platform.
    let space = AddressSpace::parse(&data).expect("parses");
    assert_eq!(space.platform.goarch, Some(goarch), "{what}");
    assert!(space.platform.goos.contains(&"linux"), "{what}");
    assert!(!space.platform.goos.contains(&"windows"), "{what}");

    // ELF facts.
    let facts = inspect(&data).expect("inspects");
    assert_eq!(facts.goarch, goarch, "{what}");
    assert_eq!(facts.stripped, variant == Variant::Stripped, "{what}");
    assert_eq!(
        facts.symtab_bytes == 0,
        variant == Variant::Stripped,
        "{what}"
    );
    assert_eq!(
        facts.is_static,
        !variant.cgo() && variant != Variant::Pie,
        "{what}: {facts:?}"
    );
    if variant.cgo() {
        assert!(
            facts
                .interpreter
                .as_deref()
                .is_some_and(|i| i.contains("ld-linux")),
            "{what}: {facts:?}"
        );
    }
    if variant != Variant::Stripped {
        assert!(facts.strip_savings > 0, "{what}");
    }

    // The function table and what the binary needs.
    let funcs = FuncTable::read(&data).unwrap_or_else(|e| panic!("{what}: {e}"));
    for name in ["main.main", "runtime.main", BIG] {
        assert!(
            funcs.contains(name),
            "{what}: {name} not in the function table"
        );
    }
    assert!(!funcs.contains(SMALL) && !funcs.contains(UNUSED), "{what}");
    let needs = runtime_needs(&funcs);
    assert!(needs.ca_certs && needs.tzdata, "{what}: {needs:?}");
    assert!(!needs.embedded_tzdata, "{what}");

    // The file table: build paths unless -trimpath.
    let files = FileTable::read(&data).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(files.len() > 100, "{what}: {} files", files.len());
    let paths = files.build_paths();
    if variant == Variant::Stripped {
        assert_eq!(paths.total, 0, "{what}: {:?}", paths.examples);
        assert!(
            files.contains("example.com/inl@v0.0.0/lib/lib.go"),
            "{what}"
        );
        assert!(files.contains("example.com/matrix/main.go"), "{what}");
    } else {
        let dir = fixture("inl").canonicalize().expect("fixture");
        let lib = dir.join("lib/lib.go");
        assert!(
            files.contains(&lib.to_string_lossy()),
            "{what}: {} not in the file table",
            lib.display()
        );
        assert!(paths.total > 0, "{what}");
    }

    // Inline trees: Small exists only inlined, Big only as a function.
    let t = SymbolTable::read(&data).unwrap_or_else(|e| panic!("{what}: {e}"));
    let minor = GoVersion::parse(&tc.version).map_or(0, |v| v.minor);
    assert_inlining_seen(&t, minor, &what);
    let symbols = t.vuln_symbols();
    for (pkg, sym) in [("crypto/x509", "SystemCertPool"), ("time", "LoadLocation")] {
        assert!(
            symbols.contains(&(pkg.to_string(), sym.to_string())),
            "{what}: {pkg}.{sym} not seen"
        );
    }
    t
}

/// Builds and checks every variant with one release; stripping must change
/// none of the names.
fn matrix(release: &str) {
    if !selected(release) {
        eprintln!("Go {release} is not in ENVELOPE_TEST_GO: not checked");
        return;
    }
    let tc = toolchain(release);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut tables = Vec::new();
    for &(goarch, variant) in BUILDS {
        let bin = build(&tc, dir.path(), goarch, variant);
        tables.push((goarch, variant, check(&tc, &bin, goarch, variant)));
    }
    for goarch in ["amd64", "arm64"] {
        let find = |v| {
            tables
                .iter()
                .find(|(a, var, _)| *a == goarch && *var == v)
                .map(|(_, _, t)| t)
                .expect("built")
        };
        let (plain, stripped) = (find(Variant::Plain), find(Variant::Stripped));
        assert!(
            plain.functions().eq(stripped.functions()),
            "{} {goarch}: stripping changed the function table",
            tc.version
        );
        assert!(
            plain.inlined().eq(stripped.inlined()),
            "{} {goarch}: stripping changed the inline trees",
            tc.version
        );
    }
}

#[test]
fn go_1_19() {
    matrix("1.19");
}

#[test]
fn go_1_21() {
    matrix("1.21");
}

#[test]
fn go_1_22() {
    matrix("1.22");
}

#[test]
fn go_1_23() {
    matrix("1.23");
}

#[test]
fn go_1_26() {
    matrix("1.26");
}

#[test]
fn go_1_27() {
    matrix("1.27");
}

#[test]
fn the_matrix_names_only_known_releases() {
    for release in common::matrix() {
        assert!(
            MATRIX.contains(&release.as_str()),
            "ENVELOPE_TEST_GO names Go {release}, which is not in the matrix {MATRIX:?}"
        );
    }
}
