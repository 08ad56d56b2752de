//! Conformance on real programs: every program of
//! `tests/conformance/programs.toml` (real modules, pinned by version) is
//! fetched from the Go module proxy, built by `envelope build` into an OCI
//! layout, run under podman, and checked against the reference tools:
//!
//! - `envelope sbom` on the image against `go version -m` of the binary
//!   taken out of it (every module path, version, h1: sum, replacement,
//!   the Go version, the build settings), and against syft on the same
//!   image (the Go (name, version) set; the one documented difference:
//!   syft 1.57 writes `UNKNOWN` for a `(devel)` main module);
//! - `envelope scan` on the image (stripped binary) against
//!   `govulncheck -mode=binary` on an unstripped build of the same source:
//!   the same ID → called|imported|module map;
//! - govulncheck on the stripped binary (it degrades: everything present is
//!   called) must call at least as much as on the unstripped one;
//! - every ID `govulncheck -mode=source` calls, envelope calls too
//!   (binary-level reachability is a superset: a linked function counts);
//!   the IDs only envelope calls are counted.
//!
//! A difference not listed as an exception in programs.toml (by ID, with
//! its reason; tests/conformance/README.md has the details) fails the test,
//! and so does an exception that is no longer needed.
//!
//! Requirements (a missing one fails the test with the install hint, never
//! a silent skip):
//! - the Go module proxy (https://proxy.golang.org, or GOPROXY as the Go
//!   environment file sets it): this suite unsets GOPROXY and sets
//!   GOFLAGS empty for its own go, govulncheck and envelope commands, so
//!   the `GOPROXY=off GOFLAGS=-mod=mod` of scripts/env.sh does not apply;
//! - Go 1.26 first on PATH, built with GOTOOLCHAIN=local;
//! - the Go vulnerability database that `bash .ci/install.sh` builds with
//!   scripts/vulndb from a pinned golang.org/x/vulndb:
//!   `$ENVELOPE_PEERS/govulndb` (default `~/.cache/envelope-peers/govulndb`),
//!   read by govulncheck as `-db file:///ABS/PATH` and by envelope as
//!   `--db /ABS/PATH`;
//! - govulncheck and syft (`.ci/install.sh` pins them), skopeo, podman.
//!
//! Go's caches are the user's own (`go env GOCACHE GOMODCACHE`), shared by
//! every program and every tool here, so CI can cache them: the unstripped
//! build reuses every package `envelope build` compiled (same GOCACHE,
//! -trimpath, CGO_ENABLED=0, GOOS/GOARCH), only the link is done twice.
//!
//! One #[test] for the whole list: the summary table is a product of the
//! whole run, and a #[test] per program could not know when the last one
//! ends. Programs run on two workers (`ENVELOPE_CONFORMANCE_JOBS`) and fail
//! independently: every program is checked, then the test fails naming
//! each failed program and its error.
//!
//! `ENVELOPE_CONFORMANCE_ONLY=hey,nsq` runs only those programs;
//! `ENVELOPE_CONFORMANCE_REPORT=PATH` also writes the summary table there.
//!
//!     cargo test -p envelope --features external-tools --test conformance -- --nocapture

#![cfg(feature = "external-tools")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::goproxy::go_version_m;
use common::*;
use serde::Deserialize;

const INSTALL_HINT: &str = "run `bash .ci/install.sh`";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct List {
    program: Vec<Program>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Program {
    name: String,
    module: String,
    version: String,
    main: String,
    #[serde(default)]
    args: Vec<String>,
    stdout: Option<String>,
    stderr: Option<String>,
    #[allow(dead_code)]
    note: String,
    #[serde(default)]
    clean: bool,
    #[serde(default)]
    called: BTreeMap<String, String>,
    #[serde(default)]
    exception: Vec<Exception>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exception {
    compare: String,
    id: String,
    theirs: String,
    envelope: String,
    #[allow(dead_code)]
    reason: String,
}

impl Program {
    fn label(&self) -> String {
        format!("{}@{}", self.module, self.version)
    }
}

fn list() -> List {
    let path = repo_root().join("tests/conformance/programs.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let list: List = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for p in &list.program {
        for e in &p.exception {
            assert!(
                matches!(e.compare.as_str(), "source" | "binary"),
                "{}: exception {}: compare is \"source\" or \"binary\", not {:?}",
                p.name,
                e.id,
                e.compare
            );
            for level in [&e.theirs, &e.envelope] {
                assert!(
                    level == "absent" || Level::parse(level).is_some(),
                    "{}: exception {}: {level:?} is not called|imported|module|absent",
                    p.name,
                    e.id
                );
            }
        }
    }
    list
}

/// What this run shares: Go's caches, the tools, the database.
struct Setup {
    gocache: PathBuf,
    gomodcache: PathBuf,
    db: PathBuf,
    govulncheck: PathBuf,
    syft: PathBuf,
    arch: &'static str,
    /// One envelope cache for the run: the base layers are made once.
    envelope_cache: tempfile::TempDir,
}

fn setup() -> Setup {
    let db = peers_bin()
        .parent()
        .expect("the peers folder")
        .join("govulndb");
    assert!(
        db.join("index/modules.json").is_file(),
        "the Go vulnerability database is missing at {} (scripts/vulndb builds it from a \
         pinned golang.org/x/vulndb): {INSTALL_HINT}",
        db.display()
    );
    let govulncheck = peer("govulncheck");
    let syft = peer("syft");
    require("skopeo");
    require("podman");
    require("tar");
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => panic!("the conformance suite runs on amd64 or arm64, not {other}"),
    };
    // The user's own caches: what `go env` says in this environment.
    let out = ok(Command::new(go_dir().join("go"))
        .env("GOFLAGS", "")
        .env("GOTOOLCHAIN", "local")
        .args(["env", "-json", "GOCACHE", "GOMODCACHE"]));
    let env = json(&out);
    let dir = |key: &str| {
        let v = env[key].as_str().unwrap_or_default();
        assert!(
            Path::new(v).is_absolute(),
            "go env {key} is {v:?}: the suite needs Go's caches"
        );
        PathBuf::from(v)
    };
    Setup {
        gocache: dir("GOCACHE"),
        gomodcache: dir("GOMODCACHE"),
        db,
        govulncheck,
        syft,
        arch,
        envelope_cache: tempdir(),
    }
}

impl Setup {
    /// Go's environment for this suite's go, govulncheck and envelope
    /// commands: the module proxy on, no GOFLAGS, the shared caches, the
    /// platform envelope builds for.
    fn go_env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![go_dir()];
        dirs.extend(std::env::split_paths(&path));
        cmd.env("PATH", std::env::join_paths(dirs).expect("PATH"))
            .env("GOCACHE", &self.gocache)
            .env("GOMODCACHE", &self.gomodcache)
            .env("GOFLAGS", "")
            .env_remove("GOPROXY")
            .env("GOTOOLCHAIN", "local")
            .env("GOWORK", "off")
            .env("CGO_ENABLED", "0")
            .env("GOOS", "linux")
            .env("GOARCH", self.arch)
            .env_remove("GOAMD64")
            .env_remove("GOARM")
    }

    fn go(&self, cwd: &Path) -> Command {
        let mut cmd = Command::new(go_dir().join("go"));
        cmd.current_dir(cwd);
        self.go_env(&mut cmd);
        cmd
    }

    fn envelope(&self, cwd: &Path, cache: &Path) -> Command {
        let mut cmd = envelope(cwd, cache);
        self.go_env(&mut cmd);
        cmd
    }

    fn govulncheck(&self, cwd: &Path) -> Command {
        let mut cmd = Command::new(&self.govulncheck);
        cmd.current_dir(cwd);
        self.go_env(&mut cmd);
        cmd.arg(format!("-db=file://{}", self.db.display()))
            .arg("-format=json");
        cmd
    }
}

/// skopeo with podman's test storage, for copies into containers-storage.
fn skopeo_cmd() -> Command {
    let root = repo_root();
    let mut cmd = Command::new("skopeo");
    cmd.env("CONTAINERS_CONF", root.join("tests/podman/containers.conf"))
        .env(
            "CONTAINERS_STORAGE_CONF",
            root.join("tests/podman/storage.conf"),
        );
    cmd
}

/// Removes an image from podman's storage when dropped.
struct PodmanImage(String);

impl Drop for PodmanImage {
    fn drop(&mut self) {
        let _ = podman().args(["rmi", "-f", &self.0]).output();
    }
}

/// Reachability, ordered: module < imported < called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Module,
    Imported,
    Called,
}

impl Level {
    fn parse(s: &str) -> Option<Level> {
        match s {
            "module" => Some(Level::Module),
            "imported" => Some(Level::Imported),
            "called" => Some(Level::Called),
            _ => None,
        }
    }

    fn name(level: Option<Level>) -> &'static str {
        match level {
            Some(Level::Module) => "module",
            Some(Level::Imported) => "imported",
            Some(Level::Called) => "called",
            None => "absent",
        }
    }
}

type Levels = BTreeMap<String, Level>;

fn raise(map: &mut Levels, id: &str, level: Level) {
    let e = map.entry(id.to_string()).or_insert(level);
    *e = (*e).max(level);
}

/// govulncheck's `-format json` output: a stream of JSON objects.
fn json_stream(text: &str) -> Vec<serde_json::Value> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<serde_json::Value>()
        .map(|v| v.unwrap_or_else(|e| panic!("govulncheck wrote bad JSON ({e})")))
        .collect()
}

/// The `finding` objects of govulncheck's output.
fn gvc_findings(stream: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    stream.iter().filter_map(|o| o.get("finding")).collect()
}

/// ID → the highest level govulncheck reports: the first frame of a
/// finding's trace names a function (called), only a package (imported)
/// or only a module. By ID: govulncheck may name another module of the
/// entry than envelope does (go.opentelemetry.io/otel for otel/sdk).
fn gvc_levels(findings: &[&serde_json::Value]) -> Levels {
    let mut map = Levels::new();
    for f in findings {
        let id = f["osv"].as_str().expect("finding.osv");
        let top = &f["trace"][0];
        let level = if top["function"].as_str().is_some_and(|s| !s.is_empty()) {
            Level::Called
        } else if top["package"].as_str().is_some_and(|s| !s.is_empty()) {
            Level::Imported
        } else {
            Level::Module
        };
        raise(&mut map, id, level);
    }
    map
}

/// ID → the highest level envelope reports, over every binary and module.
fn envelope_levels(report: &serde_json::Value) -> Levels {
    let mut map = Levels::new();
    for b in report["binaries"].as_array().expect("binaries") {
        for f in b["findings"].as_array().expect("findings") {
            let id = f["id"].as_str().expect("id");
            let r = f["reachability"].as_str().expect("reachability");
            let level = Level::parse(r).unwrap_or_else(|| panic!("reachability {r:?}"));
            raise(&mut map, id, level);
        }
    }
    map
}

fn count(map: &Levels, level: Level) -> usize {
    map.values().filter(|l| **l == level).count()
}

fn called(map: &Levels) -> BTreeSet<&str> {
    map.iter()
        .filter(|(_, l)| **l == Level::Called)
        .map(|(id, _)| id.as_str())
        .collect()
}

/// A module of the build info: path, version, sum, and its replacement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Module {
    path: String,
    version: String,
    sum: String,
    replace: Option<Box<Module>>,
}

/// What `go version -m` prints about a binary.
#[derive(Debug, Default)]
struct BuildInfo {
    go: String,
    main: Option<Module>,
    deps: BTreeSet<Module>,
    settings: BTreeMap<String, String>,
}

/// Parses `go version -m` output: the Go version, `mod`, `dep` and `=>`
/// lines, and the `build` settings (values unquoted as Go quotes them).
fn parse_version_m(text: &str) -> BuildInfo {
    let mut info = BuildInfo::default();
    let mut last: Option<Module> = None;
    let mut last_is_main = false;
    let flush = |m: Option<Module>, is_main: bool, info: &mut BuildInfo| {
        if let Some(m) = m {
            if is_main {
                info.main = Some(m);
            } else {
                info.deps.insert(m);
            }
        }
    };
    for (n, line) in text.lines().enumerate() {
        if n == 0 {
            info.go = line.rsplit(": ").next().unwrap_or_default().to_string();
            continue;
        }
        let f: Vec<&str> = line.trim_start().split('\t').collect();
        let module = || Module {
            path: f.get(1).unwrap_or(&"").to_string(),
            version: f.get(2).unwrap_or(&"").to_string(),
            sum: f.get(3).unwrap_or(&"").to_string(),
            replace: None,
        };
        match f.first().copied() {
            Some(kind @ ("mod" | "dep")) => {
                flush(last.take(), last_is_main, &mut info);
                last = Some(module());
                last_is_main = kind == "mod";
            }
            Some("=>") => {
                let orig = last.as_mut().expect("=> after mod or dep");
                orig.replace = Some(Box::new(module()));
            }
            Some("build") => {
                let setting = f[1..].join("\t");
                let (k, v) = setting.split_once('=').unwrap_or((&setting, ""));
                let v = if v.starts_with('"') {
                    serde_json::from_str::<String>(v).unwrap_or_else(|_| v.to_string())
                } else {
                    v.to_string()
                };
                info.settings.insert(k.to_string(), v);
            }
            _ => {}
        }
    }
    flush(last, last_is_main, &mut info);
    info
}

/// A module of envelope's SBOM model (`envelope sbom --format json`).
fn model_module(v: &serde_json::Value) -> Module {
    Module {
        path: v["path"].as_str().unwrap_or_default().to_string(),
        version: v["version"].as_str().unwrap_or_default().to_string(),
        sum: v["sum"].as_str().unwrap_or_default().to_string(),
        replace: v["replace"]
            .is_object()
            .then(|| Box::new(model_module(&v["replace"]))),
    }
}

/// (name, version) of the Go packages (PURL pkg:golang/) of an SPDX document.
fn spdx_go_packages(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
    doc["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| {
            p["externalRefs"].as_array().is_some_and(|refs| {
                refs.iter().any(|r| {
                    r["referenceType"] == "purl"
                        && r["referenceLocator"]
                            .as_str()
                            .is_some_and(|u| u.starts_with("pkg:golang/"))
                })
            })
        })
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_string(),
                p["versionInfo"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Function and data symbol names of an unstripped binary (`go tool nm`).
fn nm(setup: &Setup, bin: &Path) -> BTreeSet<String> {
    let out = ok(setup
        .go(bin.parent().expect("dir"))
        .args(["tool", "nm"])
        .arg(bin));
    out.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.trim_start().splitn(3, ' ').collect();
            match f.as_slice() {
                [kind, name] if kind.len() == 1 => Some(name.to_string()),
                [_, kind, name] if kind.len() == 1 => Some(name.to_string()),
                _ => None,
            }
        })
        .collect()
}

/// The symbol `go tool nm` shows for a govulncheck trace frame:
/// `pkg.(*T).M`, `pkg.T.M`, `pkg.f`, closures `f$1` as `f.func1`.
fn frame_symbol(frame: &serde_json::Value) -> Option<String> {
    let pkg = frame["package"].as_str()?;
    let function = frame["function"].as_str()?.replace('$', ".func");
    Some(match frame["receiver"].as_str().filter(|r| !r.is_empty()) {
        Some(r) if r.starts_with('*') => format!("{pkg}.({r}).{function}"),
        Some(r) => format!("{pkg}.{r}.{function}"),
        None => format!("{pkg}.{function}"),
    })
}

/// The names `go tool nm` may show for a symbol as the database writes
/// it (`Form.String` is `pkg.Form.String` or `pkg.(*Form).String`).
fn osv_symbol_names(pkg: &str, symbol: &str) -> Vec<String> {
    match symbol.split_once('.') {
        Some((recv, method)) => vec![
            format!("{pkg}.{recv}.{method}"),
            format!("{pkg}.(*{recv}).{method}"),
        ],
        None => vec![format!("{pkg}.{symbol}")],
    }
}

/// Evidence for a source-mode exception (source mode calls the entry,
/// envelope does not): in every trace source mode gives, the vulnerable
/// function's caller is not in the binary while the caller's caller is
/// (so the frame names resolve, and the path breaks where the linker
/// dropped code), and no symbol the record lists is in the binary.
fn check_not_linked(
    setup: &Setup,
    id: &str,
    source: &[&serde_json::Value],
    symbols: &BTreeSet<String>,
) -> Result<(), String> {
    let mut traces = 0;
    for f in source.iter().filter(|f| f["osv"] == id) {
        let trace = f["trace"].as_array().expect("trace");
        if frame_symbol(&trace[0]).is_none() {
            continue;
        }
        traces += 1;
        let (Some(caller), Some(linked)) = (
            trace.get(1).and_then(frame_symbol),
            trace.get(2).and_then(frame_symbol),
        ) else {
            return Err(format!("a source trace of {id} is too short: {f}"));
        };
        if symbols.contains(&caller) {
            return Err(format!(
                "{caller} (calls {} in source mode) is in the binary",
                frame_symbol(&trace[0]).unwrap_or_default()
            ));
        }
        if !symbols.contains(&linked) {
            return Err(format!(
                "{linked} (calls {caller} in source mode) is not in the binary either: \
                 the trace does not show where the linker dropped the path"
            ));
        }
    }
    if traces == 0 {
        return Err(format!("source mode gives no call trace for {id}"));
    }
    let record = read_json(&setup.db.join("ID").join(format!("{id}.json")));
    for affected in record["affected"].as_array().expect("affected") {
        let imports = affected["ecosystem_specific"]["imports"].as_array();
        for imp in imports.into_iter().flatten() {
            let pkg = imp["path"].as_str().expect("path");
            for sym in imp["symbols"].as_array().into_iter().flatten() {
                let sym = sym.as_str().expect("symbol");
                if let Some(hit) = osv_symbol_names(pkg, sym)
                    .into_iter()
                    .find(|s| symbols.contains(s))
                {
                    return Err(format!("{hit}, listed by {id}, is in the binary"));
                }
            }
        }
    }
    Ok(())
}

/// A program's figures for the summary table.
#[derive(Debug, Default)]
struct Figures {
    modules: usize,
    envelope: [usize; 3],
    binary_same: String,
    unstripped_called: usize,
    stripped_called: usize,
    source_called: usize,
    envelope_only_called: usize,
    build_secs: f64,
    total_secs: f64,
}

fn copy_writable(from: &Path, to: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    for e in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        let kind = e.file_type().expect("file type");
        if kind.is_dir() {
            copy_writable(&e.path(), &dest);
        } else if kind.is_file() {
            std::fs::copy(e.path(), &dest)
                .unwrap_or_else(|err| panic!("copying {}: {err}", e.path().display()));
            let mode = std::fs::metadata(&dest)
                .expect("metadata")
                .permissions()
                .mode();
            std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(mode | 0o200))
                .expect("chmod");
        }
    }
}

fn secs(since: Instant) -> f64 {
    since.elapsed().as_secs_f64()
}

/// Everything the suite checks for one program.
#[allow(clippy::too_many_lines)]
fn check_program(setup: &Setup, p: &Program) -> Figures {
    let started = Instant::now();
    let label = p.label();
    let say = |msg: String| eprintln!("[{}] {msg}", p.name);
    let tmp = tempdir();
    let work = tmp.path();
    let mut fig = Figures::default();

    // a. The module's source, from the proxy, as a writable main module.
    let out = run(setup
        .go(work)
        .args(["mod", "download", "-json"])
        .arg(format!("{}@{}", p.module, p.version)));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let info: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_default();
    if let Some(err) = info["Error"].as_str() {
        panic!("{label}: cannot be fetched: {err}");
    }
    assert!(
        out.status.success(),
        "{label}: cannot be fetched: {}{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = info["Dir"].as_str().expect("Dir");
    let src = work.join("src");
    copy_writable(Path::new(dir), &src);
    let main = if p.main.starts_with('.') {
        p.main.clone()
    } else {
        format!("./{}", p.main)
    };

    // b. envelope build: the hardened defaults, into an OCI layout.
    let cache = setup.envelope_cache.path().to_path_buf();
    let layout = work.join("layout");
    let image = format!("oci:{}:{}", layout.display(), p.name);
    let t = Instant::now();
    let out = run(setup
        .envelope(&src, &cache)
        // The defaults, not the project's own .ko.yaml (its bases are
        // elsewhere).
        .args([
            "build",
            &main,
            "--isolated",
            "--format",
            "json",
            "-o",
            &image,
        ]));
    fig.build_secs = secs(t);
    assert!(
        out.status.success(),
        "{label}: envelope build {main} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&String::from_utf8_lossy(&out.stdout));
    let built = &report["images"][0];
    let hardening = &built["platforms"][0]["hardening"];
    assert_hardened(hardening, &label);
    let digest = built["digest"].as_str().expect("digest").to_string();
    say(format!("envelope build {main}: {:.1}s", fig.build_secs));

    // The unstripped build of the same source, for govulncheck: every
    // package comes from the build cache envelope's build filled.
    let t = Instant::now();
    let unstripped = work.join(format!("{}-unstripped", p.name));
    let out = run(setup
        .go(&src)
        .args(["build", "-trimpath", "-o"])
        .arg(&unstripped)
        .arg(&main));
    assert!(
        out.status.success(),
        "{label}: go build -trimpath {main} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    say(format!("unstripped go build: {:.1}s", secs(t)));

    // c. The image runs under podman.
    let podman_ref = format!(
        "localhost/envelope-conformance/{}:{}",
        p.name,
        p.version
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            })
            .collect::<String>()
    );
    ok(skopeo_cmd()
        .args(["copy", "-q", &image])
        .arg(format!("containers-storage:{podman_ref}")));
    let guard = PodmanImage(podman_ref.clone());
    let out = run(podman()
        .args(["run", "--rm", "--network=none", &podman_ref])
        .args(&p.args));
    let (ran_out, ran_err) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "{label}: podman run {podman_ref} {:?} failed ({}):\nstdout:\n{ran_out}\nstderr:\n{ran_err}",
        p.args,
        out.status
    );
    if let Some(want) = &p.stdout {
        assert!(
            ran_out.contains(want.as_str()),
            "{label}: stdout lacks {want:?}:\n{ran_out}"
        );
    }
    if let Some(want) = &p.stderr {
        assert!(
            ran_err.contains(want.as_str()),
            "{label}: stderr lacks {want:?}:\n{ran_err}"
        );
    }
    drop(guard);
    say(format!("podman run {:?}: exit 0", p.args));

    // d. The binary out of the image: skopeo copies the image alone to a
    // layout (the same manifest), GNU tar unpacks its layers.
    let single = work.join("single");
    ok(skopeo_cmd().args(["copy", "-q", &image]).arg(format!(
        "oci:{}:{}",
        single.display(),
        p.name
    )));
    let copied = read_json(&single.join("index.json"));
    assert_eq!(
        copied["manifests"][0]["digest"],
        digest.as_str(),
        "{label}: skopeo's copy is another image"
    );
    let img = layout_image(&single, Some(&p.name), setup.arch);
    let ours = layout_image(&layout, Some(&p.name), setup.arch);
    assert_eq!(
        img.manifest, ours.manifest,
        "{label}: skopeo changed the manifest"
    );
    let rootfs = work.join("rootfs");
    std::fs::create_dir_all(&rootfs).expect("rootfs");
    for layer in &img.layers {
        tar_extract(layer, &rootfs);
    }
    let entry = img.config["config"]["Entrypoint"][0]
        .as_str()
        .expect("Entrypoint")
        .to_string();
    let stripped = rootfs.join(entry.trim_start_matches('/'));

    // envelope sbom on the image = go version -m on its binary.
    let want = parse_version_m(&go_version_m(&stripped));
    let model = json(&ok(setup
        .envelope(work, &cache)
        .args(["sbom", &image, "--format", "json"])));
    let bins = model["binaries"].as_array().expect("binaries");
    assert_eq!(bins.len(), 1, "{label}: {model:#}");
    let b = &bins[0];
    assert_eq!(b["path"], entry.as_str(), "{label}");
    let data = std::fs::read(&stripped).expect("binary");
    assert_eq!(
        b["sha256"].as_str().map(|s| format!("sha256:{s}")),
        Some(envelope_oci::Digest::sha256(&data).to_string()),
        "{label}: sha256"
    );
    assert_eq!(b["go_version"], want.go.as_str(), "{label}: Go version");
    assert_eq!(
        Some(model_module(&b["main"])),
        want.main,
        "{label}: main module"
    );
    let deps: BTreeSet<Module> = b["deps"]
        .as_array()
        .expect("deps")
        .iter()
        .map(model_module)
        .collect();
    assert_eq!(
        deps, want.deps,
        "{label}: envelope's modules differ from go version -m"
    );
    let settings: BTreeMap<String, String> = b["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .map(|kv| {
            (
                kv[0].as_str().unwrap_or_default().to_string(),
                kv[1].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(settings, want.settings, "{label}: build settings");
    let replaced = want.deps.iter().filter(|d| d.replace.is_some()).count();
    fig.modules = want.deps.len();

    // The SPDX document: a package per module as compiled in (the
    // replacement when replaced), the main module and the stdlib.
    let spdx = json(&ok(setup.envelope(work, &cache).args(["sbom", &image])));
    let ours_go = spdx_go_packages(&spdx);
    let main_mod = want.main.clone().expect("main module");
    let mut expected: BTreeSet<(String, String)> = want
        .deps
        .iter()
        .map(|d| {
            let m = d.replace.as_deref().unwrap_or(d);
            (m.path.clone(), m.version.clone())
        })
        .collect();
    expected.insert((main_mod.path.clone(), main_mod.version.clone()));
    expected.insert(("stdlib".into(), want.go.clone()));
    assert_eq!(ours_go, expected, "{label}: SPDX Go packages");

    // syft on the same layout, as envelope wrote it (the image and its
    // attached SBOM), agrees, but for the (devel) main module
    // (docs/sbom.md).
    let out = ok(Command::new(&setup.syft)
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .args(["scan", "-q"])
        .arg(format!("oci-dir:{}", layout.display()))
        .args(["-o", "spdx-json"]));
    let theirs_go: BTreeSet<(String, String)> = spdx_go_packages(&json(&out))
        .into_iter()
        .map(|(n, v)| {
            if n == main_mod.path && v == "UNKNOWN" && main_mod.version == "(devel)" {
                (n, main_mod.version.clone())
            } else {
                (n, v)
            }
        })
        .collect();
    assert_eq!(
        ours_go,
        theirs_go,
        "{label}: syft differs: only envelope {:?}, only syft {:?}",
        ours_go.difference(&theirs_go).collect::<Vec<_>>(),
        theirs_go.difference(&ours_go).collect::<Vec<_>>()
    );
    say(format!(
        "sbom: {} modules ({replaced} replaced) = go version -m = syft",
        fig.modules
    ));

    // The unstripped build has the same modules: the same program.
    let unstripped_info = parse_version_m(&go_version_m(&unstripped));
    assert_eq!(
        unstripped_info.deps, want.deps,
        "{label}: the unstripped build's modules"
    );

    // e. envelope scan (stripped, in the image) = govulncheck -mode=binary
    // (unstripped).
    let out = ok(setup.envelope(work, &cache).args([
        "scan",
        &image,
        "--db",
        setup.db.to_str().expect("utf-8 path"),
        "--format",
        "json",
        "--fail-on",
        "none",
    ]));
    let scan = json(&out);
    let envelope_map = envelope_levels(&scan);
    let gvc_out = ok(setup.govulncheck(work).arg("-mode=binary").arg(&unstripped));
    let gvc_stream = json_stream(&gvc_out);
    let binary_map = gvc_levels(&gvc_findings(&gvc_stream));
    let excepted = |compare: &str, id: &str, theirs: Option<Level>, ours: Option<Level>| {
        p.exception.iter().any(|e| {
            e.compare == compare
                && e.id == id
                && e.theirs == Level::name(theirs)
                && e.envelope == Level::name(ours)
        })
    };
    let mut used: BTreeSet<(String, String)> = BTreeSet::new();
    let mut problems = Vec::new();
    let ids: BTreeSet<&String> = envelope_map.keys().chain(binary_map.keys()).collect();
    let mut binary_excepted = 0;
    for id in ids {
        let (theirs, ours) = (binary_map.get(id).copied(), envelope_map.get(id).copied());
        if theirs == ours {
            continue;
        }
        if excepted("binary", id, theirs, ours) {
            used.insert(("binary".into(), id.clone()));
            binary_excepted += 1;
        } else {
            problems.push(format!(
                "{id}: govulncheck -mode=binary (unstripped) says {}, envelope says {}",
                Level::name(theirs),
                Level::name(ours)
            ));
        }
    }
    fig.envelope = [
        count(&envelope_map, Level::Called),
        count(&envelope_map, Level::Imported),
        count(&envelope_map, Level::Module),
    ];
    fig.unstripped_called = count(&binary_map, Level::Called);
    fig.binary_same = if binary_excepted == 0 {
        "same".into()
    } else {
        format!("same but {binary_excepted} excepted")
    };
    for (id, module) in &p.called {
        let hit = scan["binaries"][0]["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| {
                f["id"] == id.as_str()
                    && f["module"] == module.as_str()
                    && f["reachability"] == "called"
            });
        if !hit {
            problems.push(format!("{id} is not reported called in {module}"));
        }
    }
    if p.clean {
        let outside: Vec<String> = scan["binaries"][0]["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["module"] != "stdlib")
            .map(|f| format!("{} {}", f["id"], f["module"]))
            .collect();
        if !outside.is_empty() {
            problems.push(format!(
                "findings outside the standard library: {outside:?}"
            ));
        }
    }
    say(format!(
        "scan: envelope {}/{}/{} called/imported/module; govulncheck -mode=binary {}",
        fig.envelope[0], fig.envelope[1], fig.envelope[2], fig.binary_same
    ));

    // f. govulncheck on the stripped binary: without symbols it calls
    // everything present.
    let stripped_out = ok(setup.govulncheck(work).arg("-mode=binary").arg(&stripped));
    let stripped_map = gvc_levels(&gvc_findings(&json_stream(&stripped_out)));
    fig.stripped_called = count(&stripped_map, Level::Called);
    if fig.stripped_called < fig.unstripped_called {
        problems.push(format!(
            "govulncheck on the stripped binary calls {}, fewer than the {} it calls unstripped",
            fig.stripped_called, fig.unstripped_called
        ));
    }
    say(format!(
        "govulncheck -mode=binary: {} called unstripped, {} stripped",
        fig.unstripped_called, fig.stripped_called
    ));

    // g. govulncheck -mode=source: what it calls, envelope calls.
    let t = Instant::now();
    let source_out = ok(setup.govulncheck(&src).arg("-mode=source").arg(&main));
    let source_stream = json_stream(&source_out);
    let source_findings = gvc_findings(&source_stream);
    let source_map = gvc_levels(&source_findings);
    let source_called = called(&source_map);
    let envelope_called = called(&envelope_map);
    let mut symbols: Option<BTreeSet<String>> = None;
    for id in source_called.difference(&envelope_called) {
        let ours = envelope_map.get(*id).copied();
        if !excepted("source", id, Some(Level::Called), ours) {
            problems.push(format!(
                "{id}: govulncheck -mode=source says called, envelope says {}",
                Level::name(ours)
            ));
            continue;
        }
        used.insert(("source".into(), (*id).to_string()));
        let symbols = symbols.get_or_insert_with(|| nm(setup, &unstripped));
        if let Err(e) = check_not_linked(setup, id, &source_findings, symbols) {
            problems.push(format!("{id}: the exception's evidence does not hold: {e}"));
        }
    }
    let envelope_only: Vec<&&str> = envelope_called.difference(&source_called).collect();
    fig.source_called = source_called.len();
    fig.envelope_only_called = envelope_only.len();
    say(format!(
        "govulncheck -mode=source ({:.1}s): {} called; envelope calls {} more: {envelope_only:?}",
        secs(t),
        fig.source_called,
        fig.envelope_only_called
    ));

    for e in &p.exception {
        if !used.contains(&(e.compare.clone(), e.id.clone())) {
            problems.push(format!(
                "the {} exception for {} ({} vs envelope {}) is no longer needed: remove it \
                 from programs.toml and README.md",
                e.compare, e.id, e.theirs, e.envelope
            ));
        }
    }
    assert!(problems.is_empty(), "{label}:\n  {}", problems.join("\n  "));
    fig.total_secs = secs(started);
    fig
}

fn table(list: &List, results: &BTreeMap<String, Result<Figures, String>>) -> String {
    let mut out = String::new();
    out.push_str(
        "| program | modules | envelope called / imported / module | govulncheck binary (unstripped) \
         | govulncheck stripped: called | source mode: called | envelope-only called \
         | envelope build s | total s |\n",
    );
    out.push_str("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |\n");
    for p in &list.program {
        let name = format!("{} {}", p.module, p.version);
        match results.get(&p.name) {
            Some(Ok(f)) => {
                let _ = writeln!(
                    out,
                    "| {name} | {} | {} / {} / {} | {} | {} | {} | {} | {:.1} | {:.1} |",
                    f.modules,
                    f.envelope[0],
                    f.envelope[1],
                    f.envelope[2],
                    f.binary_same,
                    f.stripped_called,
                    f.source_called,
                    f.envelope_only_called,
                    f.build_secs,
                    f.total_secs
                );
            }
            Some(Err(_)) => {
                let _ = writeln!(out, "| {name} | FAILED | | | | | | | |");
            }
            None => {}
        }
    }
    out
}

fn panic_message(e: &(dyn std::any::Any + Send)) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_else(|| "panicked".into())
}

#[test]
fn real_programs_agree_with_go_syft_and_govulncheck() {
    let list = list();
    let setup = setup();
    let only: Option<BTreeSet<String>> = std::env::var("ENVELOPE_CONFORMANCE_ONLY")
        .ok()
        .filter(|s| !s.is_empty())
        .map(|s| s.split(',').map(|n| n.trim().to_string()).collect());
    if let Some(only) = &only {
        for n in only {
            assert!(
                list.program.iter().any(|p| &p.name == n),
                "ENVELOPE_CONFORMANCE_ONLY names {n}, which is not in programs.toml"
            );
        }
    }
    let programs: Vec<&Program> = list
        .program
        .iter()
        .filter(|p| only.as_ref().is_none_or(|o| o.contains(&p.name)))
        .collect();
    let jobs = std::env::var("ENVELOPE_CONFORMANCE_JOBS")
        .ok()
        .and_then(|j| j.parse::<usize>().ok())
        .unwrap_or(2)
        .max(1);
    let started = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..jobs.min(programs.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(p) = programs.get(i) else { break };
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    check_program(&setup, p)
                }))
                .map_err(|e| panic_message(e.as_ref()));
                results
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(p.name.clone(), r);
            });
        }
    });
    let results = results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut summary = table(&list, &results);
    let _ = writeln!(
        summary,
        "\n{} programs, {jobs} at a time, in {:.0}s; Go {}; database {}",
        programs.len(),
        secs(started),
        go_version_of_machine(&setup),
        setup.db.display()
    );
    eprintln!("\n{summary}");
    if let Ok(path) = std::env::var("ENVELOPE_CONFORMANCE_REPORT") {
        if !path.is_empty() {
            std::fs::write(&path, &summary).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
    let failed: Vec<String> = programs
        .iter()
        .filter_map(|p| match results.get(&p.name) {
            Some(Err(e)) if e.starts_with(&p.label()) => Some(e.clone()),
            Some(Err(e)) => Some(format!("{}: {e}", p.label())),
            Some(Ok(_)) => None,
            None => Some(format!("{}: did not run", p.label())),
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} programs failed:\n\n{}",
        failed.len(),
        programs.len(),
        failed.join("\n\n")
    );
}

fn go_version_of_machine(setup: &Setup) -> String {
    ok(setup.go(&repo_root()).args(["env", "GOVERSION"]))
        .trim()
        .to_string()
}
