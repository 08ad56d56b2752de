//! The facts an image audit needs, against real binaries: build paths from
//! the pclntab file table, what `-s -w` would save, the Go version and the
//! build settings. One small module is built once per test process in every
//! variant, in parallel threads, by the local Go toolchain (and gcc for the
//! cgo and race variants); the tests share the results.

#![cfg(feature = "external-tools")]

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use envelope_golang::pclntab::MAX_BUILD_PATH_EXAMPLES;
use envelope_golang::{
    go_support, go_version, inspect, BinaryFacts, BuildInfo, FileTable, GoVersion, Support,
};

/// A `go` command that never reaches the network and ignores the caller's
/// Go settings.
fn go_cmd(dir: &Path) -> Command {
    let mut c = common::go_cmd(dir);
    c.env("GOFLAGS", "-mod=mod")
        .env("GOARCH", "amd64")
        .env("GOOS", "linux");
    c
}

const GO_MOD: &str = "module example.com/m\n\ngo 1.23\n";

/// Imports net so that a CGO_ENABLED=1 build links the C library.
const MAIN_GO: &str = r#"package main

import (
	"fmt"
	"net"
	"os"

	"example.com/m/internal/greet"
)

func main() {
	fmt.Println(greet.Hello(os.Args[0]), net.ParseIP("192.0.2.1"))
}
"#;

const GREET_GO: &str = r#"package greet

import "strings"

//go:noinline
func Hello(name string) string { return "hello, " + strings.ToUpper(name) }
"#;

/// Lists the file table of a binary with the standard library's reader.
const LISTER_GO: &str = r#"package main

import (
	"debug/elf"
	"debug/gosym"
	"fmt"
	"os"
	"sort"
)

func main() {
	f, err := elf.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	data, err := f.Section(".gopclntab").Data()
	if err != nil {
		panic(err)
	}
	t, err := gosym.NewTable(nil, gosym.NewLineTable(data, f.Section(".text").Addr))
	if err != nil {
		panic(err)
	}
	var names []string
	for n := range t.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Println(n)
	}
}
"#;

fn write_module(dir: &Path) {
    std::fs::create_dir_all(dir.join("internal/greet")).expect("mkdir");
    std::fs::write(dir.join("go.mod"), GO_MOD).expect("go.mod");
    std::fs::write(dir.join("main.go"), MAIN_GO).expect("main.go");
    std::fs::write(dir.join("internal/greet/greet.go"), GREET_GO).expect("greet.go");
}

struct Variant {
    name: &'static str,
    flags: &'static [&'static str],
    cgo: bool,
    goarch: &'static str,
    in_git: bool,
}

const fn v(name: &'static str, flags: &'static [&'static str], cgo: bool) -> Variant {
    Variant {
        name,
        flags,
        cgo,
        goarch: "amd64",
        in_git: false,
    }
}

const VARIANTS: &[Variant] = &[
    v("plain", &[], false),
    v("stripped", &["-ldflags=-s -w"], false),
    v("trimpath", &["-trimpath"], false),
    v("trimpath_stripped", &["-trimpath", "-ldflags=-s -w"], false),
    v("debug", &["-gcflags=all=-N -l"], false),
    v("cgo", &[], true),
    v("cgo_stripped", &["-ldflags=-s -w"], true),
    v("race", &["-race"], true),
    Variant {
        goarch: "arm64",
        ..v("arm64", &[], false)
    },
    Variant {
        goarch: "arm64",
        ..v("arm64_stripped", &["-ldflags=-s -w"], false)
    },
    Variant {
        in_git: true,
        ..v("git_modified", &[], false)
    },
];

struct Built {
    path: PathBuf,
    data: Vec<u8>,
}

struct Builds {
    /// The module directory (canonical: Go records the real path).
    module: PathBuf,
    /// The copy of the module in a git repository with a modified tree.
    git_module: PathBuf,
    git_head: String,
    /// The lister of LISTER_GO, built.
    lister: PathBuf,
    /// Each variant's binary, or why it did not build.
    bins: HashMap<&'static str, Result<Built, String>>,
}

impl Builds {
    fn bin(&self, name: &str) -> &Built {
        match self.bins.get(name).expect("a known variant") {
            Ok(b) => b,
            Err(e) => panic!("the {name} variant did not build:\n{e}"),
        }
    }
    fn facts(&self, name: &str) -> BinaryFacts {
        inspect(&self.bin(name).data).expect("inspects")
    }
    fn info(&self, name: &str) -> BuildInfo {
        self.facts(name).build_info.expect("build info")
    }
}

/// One directory per test process, under the system temp dir (not inside
/// this repository, whose git status Go would stamp). Directories of test
/// processes that are gone are removed first, so crashed runs do not pile
/// up.
fn work_dir() -> PathBuf {
    const PREFIX: &str = "envelope-golang-audit-";
    let tmp = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix(PREFIX) {
                if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    }
    let dir = tmp.join(format!("{PREFIX}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("work dir");
    dir.canonicalize().expect("canonical work dir")
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn git(dir: &Path, args: &[&str]) -> String {
    run(Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Envelope Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Envelope Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com"))
    .expect("git")
}

fn gcc_exists() -> bool {
    Command::new("sh")
        .args(["-c", "command -v gcc"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn builds() -> &'static Builds {
    static BUILDS: OnceLock<Builds> = OnceLock::new();
    BUILDS.get_or_init(|| {
        let root = work_dir();
        let module = root.join("m");
        write_module(&module);

        // The same module in a git repository, modified after the commit.
        let git_module = root.join("gitm");
        write_module(&git_module);
        git(&git_module, &["init", "-q"]);
        git(&git_module, &["add", "-A"]);
        git(&git_module, &["commit", "-q", "-m", "initial"]);
        let git_head = git(&git_module, &["rev-parse", "HEAD"]).trim().to_string();
        std::fs::write(
            git_module.join("main.go"),
            format!("{MAIN_GO}\n// An uncommitted change.\n"),
        )
        .expect("modify");

        let lister_dir = root.join("lister");
        std::fs::create_dir_all(&lister_dir).expect("mkdir");
        std::fs::write(
            lister_dir.join("go.mod"),
            "module example.com/lister\n\ngo 1.23\n",
        )
        .expect("go.mod");
        std::fs::write(lister_dir.join("main.go"), LISTER_GO).expect("main.go");
        let lister = root.join("bin/lister");

        let gcc = gcc_exists();
        let bins = std::thread::scope(|s| {
            let lister_job = s.spawn(|| {
                run(go_cmd(&lister_dir)
                    .args(["build", "-o"])
                    .arg(&lister)
                    .arg("."))
            });
            let jobs: Vec<_> = VARIANTS
                .iter()
                .map(|var| {
                    let dir = if var.in_git { &git_module } else { &module };
                    let out = root.join("bin").join(var.name);
                    s.spawn(move || {
                        if var.cgo && !gcc {
                            return (
                                var.name,
                                Err("gcc is required for cgo and -race builds \
                                     (`command -v gcc` found none): install it"
                                    .to_string()),
                            );
                        }
                        let mut cmd = go_cmd(dir);
                        cmd.env("CGO_ENABLED", if var.cgo { "1" } else { "0" })
                            .env("GOARCH", var.goarch)
                            .arg("build")
                            .args(var.flags)
                            .arg("-o")
                            .arg(&out)
                            .arg(".");
                        let built = run(&mut cmd).and_then(|_| {
                            let data = std::fs::read(&out).map_err(|e| e.to_string())?;
                            Ok(Built { path: out, data })
                        });
                        (var.name, built)
                    })
                })
                .collect();
            lister_job
                .join()
                .expect("lister thread")
                .expect("builds the lister");
            jobs.into_iter()
                .map(|j| j.join().expect("build thread"))
                .collect()
        });
        Builds {
            module,
            git_module,
            git_head,
            lister,
            bins,
        }
    })
}

fn go_env(key: &str) -> String {
    run(go_cmd(Path::new("/")).args(["env", key]))
        .expect("go env")
        .trim()
        .to_string()
}

#[test]
fn build_paths_without_trimpath_name_the_build_machine() {
    let b = builds();
    let f = b.facts("plain");
    let main_go = b.module.join("main.go").display().to_string();
    let greet_go = b
        .module
        .join("internal/greet/greet.go")
        .display()
        .to_string();
    assert!(
        f.build_paths_total > MAX_BUILD_PATH_EXAMPLES,
        "the runtime's files are absolute too: {}",
        f.build_paths_total
    );
    assert_eq!(f.build_paths.len(), MAX_BUILD_PATH_EXAMPLES);
    // The project's files come before the Go installation's.
    assert_eq!(
        f.build_paths[..2],
        [greet_go, main_go],
        "{:?}",
        f.build_paths
    );
    assert!(f.build_paths.iter().all(|p| p.starts_with('/')));
    let files = FileTable::read(&b.bin("plain").data).expect("file table");
    assert_eq!(files.goroot(), Some(go_env("GOROOT").as_str()));
    assert!(files.contains(&format!("{}/src/runtime/proc.go", go_env("GOROOT"))));
    assert_eq!(f.build_info.expect("build info").trimpath(), Some(false));
}

#[test]
fn build_paths_survive_strip() {
    let b = builds();
    let plain = b.facts("plain");
    let f = b.facts("stripped");
    assert!(f.stripped, "{f:?}");
    assert_eq!(f.strip_savings, 0);
    assert_eq!(
        (f.build_paths, f.build_paths_total),
        (plain.build_paths, plain.build_paths_total)
    );
    assert_eq!(
        f.build_info.expect("build info").ldflags(),
        Some("-s -w"),
        "without -trimpath go records -ldflags"
    );
}

#[test]
fn trimpath_leaves_no_build_paths() {
    let b = builds();
    for name in ["trimpath", "trimpath_stripped"] {
        let f = b.facts(name);
        assert!(f.build_paths.is_empty(), "{name}: {:?}", f.build_paths);
        assert_eq!(f.build_paths_total, 0, "{name}");
        let files = FileTable::read(&b.bin(name).data).expect("file table");
        assert!(files.len() > 50, "{name}: {}", files.len());
        assert!(files.contains("example.com/m/main.go"), "{name}");
        assert!(files.contains("example.com/m/internal/greet/greet.go"));
        assert!(files.contains("runtime/proc.go"), "{name}");
        assert_eq!(files.goroot(), None);
        let info = f.build_info.expect("build info");
        assert_eq!(info.trimpath(), Some(true), "{name}");
        assert_eq!(
            info.ldflags(),
            None,
            "go leaves -ldflags out with -trimpath"
        );
    }
}

#[test]
fn file_table_matches_debug_gosym() {
    let b = builds();
    for name in ["plain", "trimpath_stripped", "cgo", "arm64"] {
        let bin = b.bin(name);
        let listed = run(Command::new(&b.lister).arg(&bin.path)).expect("lister runs");
        let want: BTreeSet<&str> = listed.lines().collect();
        let files = FileTable::read(&bin.data).expect("file table");
        let got: BTreeSet<&str> = files.names().collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn strip_savings_matches_actual_strip() {
    let b = builds();
    for (full, stripped) in [
        ("plain", "stripped"),
        ("arm64", "arm64_stripped"),
        ("cgo", "cgo_stripped"),
    ] {
        let estimate = b.facts(full).strip_savings;
        let actual = (b.bin(full).data.len())
            .checked_sub(b.bin(stripped).data.len())
            .expect("the stripped binary is smaller") as u64;
        eprintln!("{full}: strip_savings {estimate}, actual difference {actual}");
        assert!(
            estimate.abs_diff(actual) * 10 <= actual,
            "{full}: strip_savings {estimate} is not within 10% of the actual difference \
             {actual} between the {full} and {stripped} binaries"
        );
    }
}

#[test]
fn go_version_and_support_of_a_real_binary() {
    let b = builds();
    let info = b.info("plain");
    let v = go_version(&info).expect("a release version");
    assert_eq!(Some(v), GoVersion::parse(&go_env("GOVERSION")));
    assert_eq!((v.major, v.pre), (1, None));
    // The machine's Go (1.26) is one of the two newest releases.
    assert_eq!(go_support(v), Support::Supported, "{v}");
}

#[test]
fn cgo_build_is_dynamic_and_says_so() {
    let b = builds();
    let f = b.facts("cgo");
    assert!(!f.is_static, "{f:?}");
    assert!(f.interpreter.is_some(), "{f:?}");
    assert!(f.needed.iter().any(|n| n.starts_with("libc.so")), "{f:?}");
    let info = f.build_info.expect("build info");
    assert_eq!(info.cgo_enabled(), Some(true));
    assert_eq!(info.race(), Some(false));
    let plain = b.facts("plain");
    assert!(plain.is_static);
    assert_eq!(plain.build_info.expect("info").cgo_enabled(), Some(false));
}

#[test]
fn race_build_records_race() {
    assert!(
        gcc_exists(),
        "gcc is required for -race builds (`command -v gcc` found none)"
    );
    let b = builds();
    let info = b.info("race");
    assert_eq!(info.race(), Some(true));
    assert_eq!(info.cgo_enabled(), Some(true));
    assert_eq!(info.debug_gcflags(), Some(false));
    assert_eq!(b.info("plain").race(), Some(false));
}

#[test]
fn debug_gcflags_build() {
    let b = builds();
    let info = b.info("debug");
    assert_eq!(info.setting("-gcflags"), Some("all=-N -l"));
    assert_eq!(info.debug_gcflags(), Some(true));
    assert_eq!(b.info("plain").debug_gcflags(), Some(false));
    assert_eq!(b.info("stripped").debug_gcflags(), Some(false));
}

#[test]
fn git_modified_tree_is_stamped() {
    let b = builds();
    let info = b.info("git_modified");
    assert_eq!(info.vcs_modified(), Some(true), "{:?}", info.settings);
    assert_eq!(info.setting("vcs"), Some("git"));
    assert_eq!(info.setting("vcs.revision"), Some(b.git_head.as_str()));
    let f = b.facts("git_modified");
    let main_go = b.git_module.join("main.go").display().to_string();
    assert!(f.build_paths.contains(&main_go), "{:?}", f.build_paths);
    assert_eq!(
        b.info("plain").vcs_modified(),
        None,
        "the plain module is outside any repository ({})",
        b.module.display()
    );
}

/// Where the pclntab header starts in a Go 1.20+ little-endian binary.
fn pclntab_offset(data: &[u8]) -> usize {
    data.windows(8)
        .enumerate()
        .find(|(i, w)| i % 4 == 0 && w[..6] == *b"\xf1\xff\xff\xff\x00\x00" && w[7] == 8)
        .map(|(i, _)| i)
        .expect("a pclntab header")
}

#[test]
fn hostile_file_tables_never_panic() {
    let b = builds();
    let data = &b.bin("plain").data;
    let hdr = pclntab_offset(data);
    // Header words: nfunc, nfiles, textStart, funcnametab, cutab, filetab,
    // pctab, functab offsets; set each to extremes.
    for word in 0..8 {
        for value in [0u64, 1, 7, u64::from(u32::MAX), u64::MAX / 2, u64::MAX] {
            let mut d = data.clone();
            let at = hdr + 8 + word * 8;
            d[at..at + 8].copy_from_slice(&value.to_le_bytes());
            envelope_golang::fuzz_all(&d);
            if let Ok(files) = FileTable::read(&d) {
                let paths = files.build_paths();
                assert!(paths.examples.len() <= MAX_BUILD_PATH_EXAMPLES);
                assert!(paths.total <= files.len());
            }
        }
    }
    // The file table without NULs, and cut at every few bytes.
    let word = |n: usize| {
        let at = hdr + 8 + n * 8;
        let w: [u8; 8] = data[at..at + 8].try_into().expect("8 bytes");
        hdr + usize::try_from(u64::from_le_bytes(w)).expect("usize")
    };
    let (filetab, pctab) = (word(5), word(6));
    assert!(filetab < pctab && pctab <= data.len());
    let total = pctab - filetab;
    let mut d = data.clone();
    for c in &mut d[filetab..filetab + total] {
        if *c == 0 {
            *c = b'/';
        }
    }
    envelope_golang::fuzz_all(&d);
    for cut in (hdr..hdr + 64).chain((filetab..filetab + total).step_by(97)) {
        envelope_golang::fuzz_all(&data[..cut]);
    }
}
