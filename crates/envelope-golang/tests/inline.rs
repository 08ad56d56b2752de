//! Inlined functions found through the inline trees of real binaries built
//! by the local Go toolchain, stripped and not, for ELF (64- and 32-bit,
//! x86 and ARM, big-endian PowerPC), Mach-O and PE, checked against the
//! inlined subroutines of the binaries' DWARF.

#![cfg(feature = "external-tools")]

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use envelope_golang::{split_symbol, FileTable, FuncTable, SymbolTable};

const STRIPPED: &[&str] = &["-trimpath", "-ldflags=-s -w"];

/// Builds the `inl` fixture for `goos`/`goarch` with `flags` into `dir`.
fn build(dir: &Path, goos: &str, goarch: &str, flags: &[&str]) -> Vec<u8> {
    build_at(dir, goos, goarch, flags).1
}

/// [`build`], also returning where the binary is.
fn build_at(dir: &Path, goos: &str, goarch: &str, flags: &[&str]) -> (PathBuf, Vec<u8>) {
    static BUILDS: AtomicUsize = AtomicUsize::new(0);
    let n = BUILDS.fetch_add(1, Ordering::Relaxed);
    let out = dir.join(format!("inl-{goos}-{goarch}-{n}"));
    let output = go_cmd(&fixture("inl"))
        .env("GOOS", goos)
        .env("GOARCH", goarch)
        .env("GOFLAGS", "-mod=mod")
        .arg("build")
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(".")
        .output()
        .expect("runs go");
    assert!(
        output.status.success(),
        "go build {goos}/{goarch} {flags:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let data = std::fs::read(&out).expect("binary");
    (out, data)
}

/// Builds the fixture stripped and not for one target and checks both; the
/// two must read the same, and (ELF) the function names must be those of
/// [`FuncTable`].
fn check_target(goos: &str, goarch: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = build(dir.path(), goos, goarch, &[]);
    let stripped = build(dir.path(), goos, goarch, STRIPPED);
    let a = SymbolTable::read(&plain).expect("reads the unstripped binary");
    let b = SymbolTable::read(&stripped).expect("reads the stripped binary");
    assert_inlining_seen(&a, machine_go_minor(), &format!("{goos}/{goarch}"));
    assert_inlining_seen(&b, machine_go_minor(), &format!("{goos}/{goarch} -s -w"));
    assert_eq!(
        a.inlined().collect::<Vec<_>>(),
        b.inlined().collect::<Vec<_>>()
    );
    assert_eq!(
        a.functions().collect::<Vec<_>>(),
        b.functions().collect::<Vec<_>>()
    );
    if goos == "linux" {
        for (t, data) in [(&a, &plain), (&b, &stripped)] {
            let f = FuncTable::read(data).expect("FuncTable reads");
            assert!(f.names().eq(t.functions()));
            assert!(!f.contains(SMALL) && f.contains(BIG));
        }
    }
}

#[test]
fn linux_amd64() {
    check_target("linux", "amd64");
}

#[test]
fn linux_arm64() {
    check_target("linux", "arm64");
}

#[test]
fn linux_386() {
    check_target("linux", "386");
}

/// Big-endian.
#[test]
fn linux_ppc64() {
    check_target("linux", "ppc64");
}

#[test]
fn linux_arm() {
    check_target("linux", "arm");
}

#[test]
fn darwin_arm64() {
    check_target("darwin", "arm64");
}

#[test]
fn windows_amd64() {
    check_target("windows", "amd64");
}

#[test]
fn windows_386() {
    check_target("windows", "386");
}

#[test]
fn inlining_disabled_makes_small_a_function() {
    let dir = tempfile::tempdir().expect("tempdir");
    for flags in [
        &["-gcflags=all=-l"][..],
        &["-gcflags=all=-l", "-trimpath", "-ldflags=-s -w"],
    ] {
        let data = build(dir.path(), "linux", "amd64", flags);
        let t = SymbolTable::read(&data).expect("reads");
        assert!(t.inline_trees_read());
        assert!(t.is_function(SMALL) && !t.is_inlined(SMALL), "{flags:?}");
        assert!(t.is_function(HAS_PREFIX) && !t.is_inlined(HAS_PREFIX));
        assert!(t.is_function(BIG) && !t.contains(UNUSED));
        // Nothing is inlined anywhere, the runtime included.
        assert_eq!(t.inlined().count(), 0, "{flags:?}");
    }
}

#[test]
fn position_independent_executable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = build(
        dir.path(),
        "linux",
        "amd64",
        &["-buildmode=pie", "-ldflags=-s -w"],
    );
    let t = SymbolTable::read(&data).expect("reads");
    assert_inlining_seen(&t, machine_go_minor(), "linux/amd64 pie");
    // The table is in the RELRO data (.data.rel.ro.gopclntab) of a PIE;
    // the ELF-only readers find it too.
    let f = FuncTable::read(&data).expect("FuncTable reads a PIE");
    assert!(f.names().eq(t.functions()));
    assert!(FileTable::read(&data).expect("FileTable reads a PIE").len() > 10);
}

/// Linked by the system linker (cgo), as a plain and a PIE executable.
#[test]
fn external_linking() {
    let has_gcc = Command::new("sh")
        .args(["-c", "command -v gcc"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        has_gcc,
        "gcc is needed for external linking: run `bash .ci/install.sh`"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    for (n, flags) in [
        &["-ldflags=-linkmode=external"][..],
        &["-buildmode=pie", "-ldflags=-linkmode=external -s -w"],
    ]
    .into_iter()
    .enumerate()
    {
        let out = dir.path().join(format!("ext-{n}"));
        let status = go_cmd(&fixture("inl"))
            .env("CGO_ENABLED", "1")
            .env("GOFLAGS", "-mod=mod")
            .arg("build")
            .args(flags)
            .arg("-o")
            .arg(&out)
            .arg(".")
            .status()
            .expect("runs go");
        assert!(status.success(), "{flags:?}");
        let data = std::fs::read(&out).expect("binary");
        let t = SymbolTable::read(&data).expect("reads");
        assert_inlining_seen(&t, machine_go_minor(), &format!("external {flags:?}"));
    }
}

/// Removes the section headers of an ELF file (as `sstrip` does): zeroes
/// e_shoff, e_shnum and e_shstrndx, so the readers must scan segments.
fn without_section_headers(mut d: Vec<u8>) -> Vec<u8> {
    let (shoff, shoff_len, shnum) = if d[4] == 2 {
        (0x28, 8, 0x3c)
    } else {
        (0x20, 4, 0x30)
    };
    d[shoff..shoff + shoff_len].fill(0);
    d[shnum..shnum + 4].fill(0);
    d
}

#[test]
fn elf_without_section_headers() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (goarch, flags) in [
        ("amd64", STRIPPED),
        ("386", STRIPPED),
        ("arm64", STRIPPED),
        ("amd64", &["-buildmode=pie", "-ldflags=-s -w"][..]),
    ] {
        let what = format!("linux/{goarch} {flags:?} without section headers");
        let data = build(dir.path(), "linux", goarch, flags);
        let with = SymbolTable::read(&data).expect("reads");
        let bare = without_section_headers(data);
        let t = SymbolTable::read(&bare).expect(&what);
        assert_inlining_seen(&t, machine_go_minor(), &what);
        assert_eq!(t, with, "{what}");
        let f = FuncTable::read(&bare).expect(&what);
        assert!(f.names().eq(t.functions()), "{what}");
    }
}

/// A small deterministic generator (SplitMix64), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[test]
fn damaged_binaries_never_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = build(dir.path(), "linux", "386", STRIPPED);
    let good = SymbolTable::read(&data).expect("reads");
    let mut rng = Rng(0x1_0001);
    // Damage the pclntab and the data (where the module data is), a few
    // bytes at a time, and cut the file short.
    for round in 0..60 {
        let mut d = data.clone();
        for _ in 0..1 + rng.next() % 16 {
            let at = (rng.next() % d.len() as u64) as usize;
            d[at] = rng.next() as u8;
        }
        if round % 4 == 0 {
            d.truncate((rng.next() % d.len() as u64) as usize);
        }
        if let Ok(t) = SymbolTable::read(&d) {
            // Damage cannot invent names beyond what the tables hold.
            assert!(t.len() <= good.len() * 4 + 1000);
            let _ = t.vuln_symbols();
        }
        envelope_golang::fuzz_all(&d);
    }
}

#[test]
fn split_symbol_of_real_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = build(dir.path(), "linux", "amd64", &[]);
    let t = SymbolTable::read(&data).expect("reads");
    // Every name of a real binary either splits into a package that is a
    // prefix of the name (after unescaping), or is compiler-generated.
    for name in t.functions().chain(t.inlined()) {
        match split_symbol(name) {
            Some((pkg, sym)) => {
                assert!(!pkg.is_empty() && !sym.is_empty(), "{name}");
                assert!(!sym.contains(['(', ')', '*', '[', ']']), "{name}: {sym}");
                assert!(
                    name.replace("%2e", ".").starts_with(&format!("{pkg}.")),
                    "{name}: {pkg}"
                );
            }
            // Compiler-generated, or assembly without a package
            // (_rt0_amd64).
            None => assert!(
                name.starts_with("go:") || name.starts_with("type:") || !name.contains('.'),
                "{name} does not split"
            ),
        }
    }
}

/// A Go program that lists the functions the DWARF of an ELF, Mach-O or PE
/// binary says were inlined somewhere: the names of the abstract origins of its
/// `DW_TAG_inlined_subroutine` entries, sorted, one a line.
const DWARF_LISTER: &str = r#"package main

import (
	"debug/dwarf"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"fmt"
	"os"
	"sort"
)

func open(path string) (*dwarf.Data, error) {
	if f, err := elf.Open(path); err == nil {
		return f.DWARF()
	}
	if f, err := macho.Open(path); err == nil {
		return f.DWARF()
	}
	f, err := pe.Open(path)
	if err != nil {
		return nil, err
	}
	return f.DWARF()
}

func main() {
	d, err := open(os.Args[1])
	if err != nil {
		panic(err)
	}
	names := map[dwarf.Offset]string{}
	var origins []dwarf.Offset
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			panic(err)
		}
		if e == nil {
			break
		}
		switch e.Tag {
		case dwarf.TagSubprogram:
			if n, ok := e.Val(dwarf.AttrName).(string); ok {
				names[e.Offset] = n
			}
		case dwarf.TagInlinedSubroutine:
			if o, ok := e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset); ok {
				origins = append(origins, o)
			}
		}
	}
	seen := map[string]bool{}
	for _, o := range origins {
		seen[names[o]] = true
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	for _, n := range out {
		fmt.Println(n)
	}
}
"#;

/// The inline trees name the functions DWARF's inlined subroutines do.
#[test]
fn inline_trees_match_dwarf() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lister_dir = dir.path().join("lister");
    std::fs::create_dir(&lister_dir).expect("mkdir");
    std::fs::write(lister_dir.join("go.mod"), "module lister\n\ngo 1.21\n").expect("go.mod");
    std::fs::write(lister_dir.join("main.go"), DWARF_LISTER).expect("main.go");
    let lister = dir.path().join("lister.bin");
    let status = go_cmd(&lister_dir)
        .env("GOFLAGS", "-mod=mod")
        .args(["build", "-o"])
        .arg(&lister)
        .arg(".")
        .status()
        .expect("runs go");
    assert!(status.success());
    for (goos, goarch) in [
        ("linux", "amd64"),
        ("linux", "386"),
        ("linux", "arm64"),
        ("linux", "ppc64"),
        ("linux", "arm"),
        ("darwin", "arm64"),
        ("windows", "amd64"),
    ] {
        let (bin, data) = build_at(dir.path(), goos, goarch, &[]);
        let out = Command::new(&lister)
            .arg(&bin)
            .output()
            .expect("lister runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dwarf: Vec<String> = String::from_utf8(out.stdout)
            .expect("utf8")
            .lines()
            .map(str::to_string)
            .collect();
        assert!(dwarf.iter().any(|n| n == SMALL), "{goos}/{goarch}");
        let t = SymbolTable::read(&data).expect("reads");
        assert_eq!(t.inlined().collect::<Vec<_>>(), dwarf, "{goos}/{goarch}");
    }
}
