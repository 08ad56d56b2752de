//! Helpers the envelope-golang integration tests share: where the Go
//! toolchain and the fixtures are.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use envelope_golang::{BuildInfo, GoVersion, Module, SymbolTable};

/// The Go toolchain most tests use: the machine's, `go` on PATH (Go 1.26
/// where `.ci/install.sh` ran).
pub fn go() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("go"))
        .find(|p| p.exists())
        .expect("the Go toolchain is required: install Go 1.26 (https://go.dev/dl) or run `bash .ci/install.sh`")
}

/// One Go release of the test matrix.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The minor release, as `1.19`.
    pub release: String,
    /// Its `go` command.
    pub go: PathBuf,
    /// What it says of itself, as `go1.19.8`.
    pub version: String,
}

/// The releases the binary readers are checked on: Debian's Go 1.19 and
/// 1.21–1.23, the machine's Go 1.26 and Go 1.27.3 through the module
/// proxy's toolchain module — or the comma-separated list in
/// `ENVELOPE_TEST_GO` (as `1.23,1.26`).
pub const MATRIX: &[&str] = &["1.19", "1.21", "1.22", "1.23", "1.26", "1.27"];

/// The matrix releases `ENVELOPE_TEST_GO` selects (all by default).
pub fn matrix() -> Vec<String> {
    match std::env::var("ENVELOPE_TEST_GO") {
        Ok(list) if !list.trim().is_empty() => list
            .split(',')
            .map(|s| s.trim().trim_start_matches("go").to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        _ => MATRIX.iter().map(|s| s.to_string()).collect(),
    }
}

/// Whether `ENVELOPE_TEST_GO` selects `release`.
pub fn selected(release: &str) -> bool {
    matrix().iter().any(|r| r == release)
}

/// Finds the `go` command of one matrix release; a missing one fails the
/// test with how to install it.
pub fn toolchain(release: &str) -> Toolchain {
    let hint = |what: &str| -> ! {
        panic!(
            "Go {release} is needed by the toolchain matrix and was not found ({what}); \
             `bash .ci/install.sh` installs every release of the matrix, or set \
             ENVELOPE_TEST_GO to the releases you have (as `1.26`)"
        )
    };
    let go = match release {
        // Debian packages them (1.21-1.23 in bookworm-backports).
        "1.19" | "1.21" | "1.22" | "1.23" | "1.24" | "1.25" => {
            let p = PathBuf::from(format!("/usr/lib/go-{release}/bin/go"));
            if !p.exists() {
                hint(&format!("apt-get install golang-{release}-go"));
            }
            p
        }
        // The toolchain module the go command downloads for
        // GOTOOLCHAIN=go1.27.3, from the module cache.
        "1.27" => {
            let out = Command::new(go())
                .args(["env", "GOMODCACHE"])
                .output()
                .unwrap_or_else(|e| hint(&format!("go env: {e}")));
            let cache = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let arch = match std::env::consts::ARCH {
                "aarch64" => "arm64",
                _ => "amd64",
            };
            let p = Path::new(&cache).join(format!(
                "golang.org/toolchain@v0.0.1-go1.27.3.linux-{arch}/bin/go"
            ));
            if !p.exists() {
                hint("run `GOTOOLCHAIN=go1.27.3 go version` once with the module proxy reachable");
            }
            p
        }
        _ => go(),
    };
    let out = Command::new(&go)
        .arg("env")
        .arg("GOVERSION")
        .env("GOTOOLCHAIN", "local")
        .output()
        .unwrap_or_else(|e| hint(&format!("{}: {e}", go.display())));
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !version.starts_with(&format!("go{release}")) {
        hint(&format!("{} is {version}", go.display()));
    }
    Toolchain {
        release: release.to_string(),
        go,
        version,
    }
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
    go_cmd_with(&go(), dir)
}

/// [`go_cmd`] with a given `go` command.
pub fn go_cmd_with(go: &Path, dir: &Path) -> Command {
    let mut c = Command::new(go);
    c.current_dir(dir)
        .env("CGO_ENABLED", "0")
        .env("GOCACHE", gocache())
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off");
    c
}

/// Go's build cache, shared by every test and toolchain (its keys include
/// the toolchain), so each standard library compiles once.
pub fn gocache() -> PathBuf {
    std::env::temp_dir().join("envelope-test-gocache")
}

/// `go version -m`: the Go version and the lines after the first as
/// tab-separated fields, trailing empty fields dropped.
pub fn go_version_m(bin: &Path) -> (String, Vec<Vec<String>>) {
    go_version_m_with(&go(), bin)
}

/// [`go_version_m`] run by a given `go` command.
pub fn go_version_m_with(go: &Path, bin: &Path) -> (String, Vec<Vec<String>>) {
    let out = Command::new(go)
        .args(["version", "-m"])
        .arg(bin)
        .output()
        .expect("go version -m");
    assert!(out.status.success(), "go version -m {}", bin.display());
    let text = String::from_utf8(out.stdout).expect("utf8");
    let mut lines = text.lines();
    let first = lines.next().expect("first line");
    let version = first.rsplit(": ").next().expect("version").to_string();
    // A replaced module's line is followed by an empty one.
    let rest = lines
        .map(|l| fields(l.strip_prefix('\t').unwrap_or(l).split('\t')))
        .filter(|f| !f.is_empty())
        .collect();
    (version, rest)
}

fn fields<'a>(it: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = it.map(str::to_string).collect();
    while v.last().is_some_and(String::is_empty) {
        v.pop();
    }
    v
}

/// Go's strconv.Quote, for the ASCII text of build settings.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Our build info in `go version -m`'s line shapes, to compare with
/// [`go_version_m`].
pub fn render(info: &BuildInfo) -> Vec<Vec<String>> {
    fn module(word: &str, m: &Module, out: &mut Vec<Vec<String>>) {
        let mut line = vec![word.to_string(), m.path.clone(), m.version.clone()];
        if m.replace.is_none() {
            line.push(m.sum.clone().unwrap_or_default());
        }
        out.push(fields(line.iter().map(String::as_str)));
        if let Some(r) = &m.replace {
            module("=>", r, out);
        }
    }
    let mut out = Vec::new();
    if !info.path.is_empty() {
        out.push(vec!["path".to_string(), info.path.clone()]);
    }
    if let Some(m) = &info.main {
        module("mod", m, &mut out);
    }
    for d in &info.deps {
        module("dep", d, &mut out);
    }
    for (k, v) in &info.settings {
        let k = if k.is_empty() || k.contains(['=', ' ', '\t', '\r', '\n', '"', '`']) {
            go_quote(k)
        } else {
            k.clone()
        };
        let v = if v.contains([' ', '\t', '\r', '\n', '"', '`']) {
            go_quote(v)
        } else {
            v.clone()
        };
        out.push(vec!["build".to_string(), format!("{k}={v}")]);
    }
    out
}

/// Functions of the `inl` fixture (also built into `matrix`): one the
/// compiler inlines, one it cannot, one nothing calls.
pub const SMALL: &str = "example.com/inl/lib.Small";
pub const BIG: &str = "example.com/inl/lib.Big";
pub const UNUSED: &str = "example.com/inl/lib.Unused";
/// A one-line standard library function the compiler always inlines, and
/// (Go 1.23 and later) the function it in turn inlines.
pub const HAS_PREFIX: &str = "strings.HasPrefix";
pub const STRINGSLITE_HAS_PREFIX: &str = "internal/stringslite.HasPrefix";

/// The minor release of the machine's Go ([`go`]).
pub fn machine_go_minor() -> u32 {
    static MINOR: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *MINOR.get_or_init(|| {
        let out = Command::new(go())
            .args(["env", "GOVERSION"])
            .env("GOTOOLCHAIN", "local")
            .output()
            .expect("go env GOVERSION");
        let v = String::from_utf8_lossy(&out.stdout);
        GoVersion::parse(v.trim())
            .unwrap_or_else(|| panic!("not a Go release: {v}"))
            .minor
    })
}

/// The assertions every build of the `inl` fixture (or a program calling
/// it) with inlining on must pass, for a binary of Go 1.`go_minor`.
pub fn assert_inlining_seen(t: &SymbolTable, go_minor: u32, what: &str) {
    assert!(t.inline_trees_read(), "{what}: inline trees not read");
    assert!(t.is_function("main.main"), "{what}");
    // Small is inlined into main.main and has no entry of its own.
    assert!(
        !t.is_function(SMALL),
        "{what}: {SMALL} in the function table"
    );
    assert!(t.is_inlined(SMALL), "{what}: {SMALL} not in an inline tree");
    assert!(t.is_inlined_only(SMALL) && t.contains(SMALL), "{what}");
    // Big is a real function, not inlined anywhere.
    assert!(t.is_function(BIG) && !t.is_inlined(BIG), "{what}");
    assert!(t.contains(BIG) && !t.is_inlined_only(BIG), "{what}");
    // Unused is nowhere.
    assert!(!t.contains(UNUSED), "{what}: {UNUSED} found");
    assert!(!t.is_inlined(UNUSED) && !t.is_function(UNUSED), "{what}");
    // The standard library's inlined one-liners.
    let mut one_liners = vec![HAS_PREFIX];
    if go_minor >= 23 {
        one_liners.push(STRINGSLITE_HAS_PREFIX);
    }
    for name in &one_liners {
        assert!(t.is_inlined(name), "{what}: {name} not in an inline tree");
        assert!(t.contains(name), "{what}");
    }
    assert!(t.is_inlined_only(HAS_PREFIX), "{what}");
    // Runtime helpers are inlined all over the runtime.
    assert!(t.inlined().count() > 100, "{what}: {}", t.inlined().count());
    assert!(t.inlined().all(|n| !n.is_empty()));
    assert!(t.len() > t.functions().count());
    let symbols = t.vuln_symbols();
    for name in one_liners.iter().chain(&[SMALL, BIG, "main.main"]) {
        let (pkg, sym) = name.rsplit_once('.').expect("pkg.Func");
        assert!(
            symbols.contains(&(pkg.to_string(), sym.to_string())),
            "{what}: {pkg} {sym}"
        );
    }
    assert!(!symbols.contains(&("example.com/inl/lib".into(), "Unused".into())));
}
