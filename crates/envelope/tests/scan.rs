//! `envelope scan` end to end: the tests' Go vulnerability database
//! (tests/fixtures/govulndb) served over loopback HTTP (caching, offline)
//! and read as a directory;
//! the standard-library entries for this machine's Go, computed here from
//! the records themselves; small modules published in a local GOPROXY
//! under the path and a vulnerable version of golang.org/x/text, so the
//! database's entries apply, in programs that call the vulnerable symbol
//! (inlined), import only its package, or only carry the module.

#![cfg(feature = "external-tools")]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::files_http::FilesHttp;
use common::goproxy::GoProxy;
use common::*;

/// The small Go vulnerability database the tests read: real records
/// (every standard library one, golang.org/x/text,
/// go.mongodb.org/mongo-driver, ...) committed in the repository, so
/// results do not drift.
fn snapshot() -> PathBuf {
    let p = repo_root().join("tests/fixtures/govulndb");
    assert!(
        p.join("index/modules.json").is_file(),
        "the test vulnerability database is missing at {}",
        p.display()
    );
    p
}

/// go.mongodb.org/mongo-driver as the tests publish it: the database's
/// GO-2026-5327 affects versions before 1.17.7 and lists
/// `go.mongodb.org/mongo-driver/mongo.Connect`.
const MONGO: &[(&str, &str)] = &[
    ("go.mod", "module go.mongodb.org/mongo-driver\n\ngo 1.21\n"),
    (
        "mongo/client.go",
        "// Package mongo talks to a database.\npackage mongo\n\n\
         type Client struct{ uri string }\n\n\
         //go:noinline\n\
         func Connect(uri string) (*Client, error) { return &Client{uri}, nil }\n\n\
         //go:noinline\n\
         func (c *Client) URI() string { return c.uri }\n",
    ),
];

/// golang.org/x/text as the tests publish it: the package paths and
/// function names of the database's entries, at v0.3.6 (affected by
/// GO-2021-0113, GO-2022-1059, GO-2026-5970 and GO-2026-6629).
const XTEXT: &[(&str, &str)] = &[
    ("go.mod", "module golang.org/x/text\n\ngo 1.21\n"),
    (
        "language/language.go",
        "// Package language parses language tags.\npackage language\n\n\
         import \"errors\"\n\n\
         type Tag struct{ s string }\n\n\
         var errEmpty = errors.New(\"language: empty tag\")\n\n\
         // Parse is small: the compiler inlines it into its callers.\n\
         func Parse(s string) (Tag, error) {\n\
         \tif s == \"\" {\n\t\treturn Tag{}, errEmpty\n\t}\n\
         \treturn Tag{s}, nil\n}\n\n\
         //go:noinline\n\
         func ParseAcceptLanguage(s string) ([]Tag, []float32, error) {\n\
         \tt, err := Parse(s)\n\treturn []Tag{t}, []float32{1}, err\n}\n\n\
         //go:noinline\n\
         func Base(t Tag) string {\n\
         \tif len(t.s) > 2 {\n\t\treturn t.s[:2]\n\t}\n\treturn t.s\n}\n",
    ),
    (
        "width/width.go",
        "// Package width folds wide runes.\npackage width\n\n\
         //go:noinline\n\
         func Fold(s string) string { return s + \"\" }\n",
    ),
    (
        "unicode/norm/norm.go",
        "// Package norm normalizes text.\npackage norm\n\n\
         type Form int\n\n\
         //go:noinline\n\
         func (f Form) String(s string) string { return s }\n",
    ),
];

/// A program of module example.com/NAME requiring x/text v0.3.6 with
/// `main.go` as given; built stripped into `out`.
fn program(proxy: &GoProxy, name: &str, main_go: &str, out: &Path) {
    program_with(
        proxy,
        name,
        "require golang.org/x/text v0.3.6\n",
        main_go,
        out,
    );
}

fn program_with(proxy: &GoProxy, name: &str, requires: &str, main_go: &str, out: &Path) {
    let src = proxy.root().join(name);
    std::fs::create_dir_all(&src).expect("src");
    std::fs::write(
        src.join("go.mod"),
        format!("module example.com/{name}\n\ngo 1.21\n\n{requires}"),
    )
    .expect("go.mod");
    std::fs::write(src.join("main.go"), main_go).expect("main.go");
    ok(proxy.go(&src).args(["mod", "tidy"]));
    ok(proxy
        .go(&src)
        .env("CGO_ENABLED", "0")
        .args(["build", "-trimpath", "-ldflags=-s -w", "-o"])
        .arg(out)
        .arg("."));
}

/// Parse is inlined into main (its argument is not a constant, so its
/// code stays): only the inline tree names it.
const CALLS: &str =
    "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\n\t\"golang.org/x/text/language\"\n)\n\n\
func main() {\n\tt, err := language.Parse(os.Args[0])\n\tfmt.Println(t, err)\n}\n";
const IMPORTS: &str =
    "package main\n\nimport (\n\t\"fmt\"\n\n\t\"golang.org/x/text/language\"\n)\n\n\
func main() {\n\tfmt.Println(language.Base(language.Tag{}))\n}\n";
const MODULE_ONLY: &str =
    "package main\n\nimport (\n\t\"fmt\"\n\n\t\"golang.org/x/text/width\"\n)\n\n\
func main() {\n\tfmt.Println(width.Fold(\"x\"))\n}\n";

struct Programs {
    _proxy: GoProxy,
    /// Imports x/text under another module path (a replace directive).
    replaced: PathBuf,
    calls: PathBuf,
    imports: PathBuf,
    module_only: PathBuf,
}

fn programs() -> &'static Programs {
    static P: std::sync::OnceLock<Programs> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let proxy = GoProxy::new();
        proxy.module("golang.org/x/text", "v0.3.6", XTEXT);
        let dir = proxy.root().join("bin");
        std::fs::create_dir_all(&dir).expect("bin");
        let (calls, imports, module_only) = (
            dir.join("calls"),
            dir.join("imports"),
            dir.join("module-only"),
        );
        program(&proxy, "calls", CALLS, &calls);
        program(&proxy, "imports", IMPORTS, &imports);
        program(&proxy, "moduleonly", MODULE_ONLY, &module_only);
        let replaced = dir.join("replaced");
        program_with(
            &proxy,
            "replaced",
            "require example.com/mytext v0.0.0\n\nreplace example.com/mytext => golang.org/x/text v0.3.6\n",
            &CALLS.replace("golang.org/x/text/language", "example.com/mytext/language"),
            &replaced,
        );
        Programs {
            _proxy: proxy,
            replaced,
            calls,
            imports,
            module_only,
        }
    })
}

fn scan_json(cwd: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let cache = cwd.join("cache");
    let out = run(envelope(cwd, &cache)
        .arg("scan")
        .args(args)
        .args(["--format", "json"]));
    let code = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        code == 0 || code == 1,
        "exit {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, json(&stdout))
}

/// (id, reachability) of the findings for `module` in the first binary.
fn findings(report: &serde_json::Value, module: &str) -> BTreeSet<(String, String)> {
    report["binaries"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["module"] == module)
        .map(|f| {
            (
                f["id"].as_str().unwrap_or_default().to_string(),
                f["reachability"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn called_imported_and_module_only() {
    let p = programs();
    let tmp = tempdir();
    let db = snapshot();
    let db = db.to_str().expect("path");

    // Parse has no function of its own: only the inline tree names it.
    let table = envelope_golang::SymbolTable::read(&std::fs::read(&p.calls).expect("calls"))
        .expect("symbols");
    assert!(table.is_inlined_only("golang.org/x/text/language.Parse"));
    let (code, r) = scan_json(tmp.path(), &[p.calls.to_str().expect("p"), "--db", db]);
    assert_eq!(code, 1, "a called vulnerability fails the scan");
    assert_eq!(
        findings(&r, "golang.org/x/text"),
        set(&[
            ("GO-2021-0113", "called"),
            ("GO-2022-1059", "imported"),
            ("GO-2026-5970", "module"),
            ("GO-2026-6629", "module"),
        ])
    );
    let f = r["binaries"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["id"] == "GO-2021-0113")
        .expect("GO-2021-0113");
    assert_eq!(f["version"], "v0.3.6");
    assert_eq!(f["fixed"], "v0.3.7");
    assert!(
        f["symbols"]
            .as_array()
            .expect("symbols")
            .iter()
            .any(|s| s == "golang.org/x/text/language.Parse"),
        "{f:#}"
    );

    let (code, r) = scan_json(tmp.path(), &[p.imports.to_str().expect("p"), "--db", db]);
    assert_eq!(
        findings(&r, "golang.org/x/text"),
        set(&[
            ("GO-2021-0113", "imported"),
            ("GO-2022-1059", "imported"),
            ("GO-2026-5970", "module"),
            ("GO-2026-6629", "module"),
        ])
    );
    // Only the standard library can still make it fail here.
    let stdlib_called = r["binaries"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["module"] == "stdlib" && f["reachability"] == "called");
    assert_eq!(code, i32::from(stdlib_called));

    let (_, r) = scan_json(
        tmp.path(),
        &[p.module_only.to_str().expect("p"), "--db", db],
    );
    assert_eq!(
        findings(&r, "golang.org/x/text"),
        set(&[
            ("GO-2021-0113", "module"),
            ("GO-2022-1059", "module"),
            ("GO-2026-5970", "module"),
            ("GO-2026-6629", "module"),
        ])
    );

    // A replacement: the database's packages are matched under the
    // original import path the binary's function names use.
    let (_, r) = scan_json(tmp.path(), &[p.replaced.to_str().expect("p"), "--db", db]);
    assert_eq!(
        findings(&r, "golang.org/x/text"),
        set(&[
            ("GO-2021-0113", "called"),
            ("GO-2022-1059", "imported"),
            ("GO-2026-5970", "module"),
            ("GO-2026-6629", "module"),
        ])
    );

    // --fail-on: module fails on anything; none never fails.
    let cache = tmp.path().join("cache");
    let out = run(envelope(tmp.path(), &cache).args([
        "scan",
        p.module_only.to_str().expect("p"),
        "--db",
        db,
        "--fail-on",
        "module",
    ]));
    assert_eq!(out.status.code(), Some(1));
    let out = run(envelope(tmp.path(), &cache).args([
        "scan",
        p.calls.to_str().expect("p"),
        "--db",
        db,
        "--fail-on",
        "none",
    ]));
    assert_eq!(out.status.code(), Some(0));
}

/// `go1.23.5` → (1, 23, 5, pre-release rank): release sorts above its
/// release candidates and betas. Versions in the records are written
/// without the `v` ("1.23.5", "1.21.0-rc.2").
type GoKey = (u64, u64, u64, u64, u64);

fn go_key(v: &str) -> GoKey {
    let v = v.trim_start_matches('v').trim_start_matches("go");
    let (core, pre) = v.split_once('-').unwrap_or((v, ""));
    let mut n = core.split('.').map(|x| x.parse::<u64>().unwrap_or(0));
    let (a, b, c) = (
        n.next().unwrap_or(0),
        n.next().unwrap_or(0),
        n.next().unwrap_or(0),
    );
    let (rank, num) = if pre.is_empty() {
        (9, 0)
    } else {
        let (kind, num) = pre.split_once('.').unwrap_or((pre, "0"));
        (if kind == "rc" { 5 } else { 1 }, num.parse().unwrap_or(0))
    };
    (a, b, c, rank, num)
}

/// The stdlib records whose SEMVER ranges include `version` and that
/// apply to linux/amd64, read from the record files directly.
fn stdlib_ids(db: &Path, version: &str) -> BTreeSet<String> {
    stdlib_ids_for(db, version, Some(("linux", "amd64")))
}

/// [`stdlib_ids`] for one platform, or (None) for any.
fn stdlib_ids_for(db: &Path, version: &str, platform: Option<(&str, &str)>) -> BTreeSet<String> {
    let me = go_key(version);
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(db.join("ID")).expect("ID") {
        let rec = read_json(&e.expect("entry").path());
        if rec.get("withdrawn").is_some_and(|w| !w.is_null()) {
            continue;
        }
        for a in rec["affected"].as_array().into_iter().flatten() {
            if a["package"]["name"] != "stdlib" {
                continue;
            }
            // Entries limited to other platforms do not apply to a
            // linux/amd64 binary.
            let limits_ok = |v: &serde_json::Value, have: &str| {
                v.as_array()
                    .is_none_or(|l| l.is_empty() || l.iter().any(|x| x == have))
            };
            let imports = a["ecosystem_specific"]["imports"].as_array();
            let applies = imports.is_none_or(|is| {
                is.is_empty()
                    || is.iter().any(|i| {
                        platform.is_none_or(|(os, arch)| {
                            limits_ok(&i["goos"], os) && limits_ok(&i["goarch"], arch)
                        })
                    })
            });
            if !applies {
                continue;
            }
            for r in a["ranges"].as_array().into_iter().flatten() {
                if r["type"] != "SEMVER" {
                    continue;
                }
                let mut inside = false;
                let mut events: Vec<(bool, GoKey)> = Vec::new();
                for ev in r["events"].as_array().into_iter().flatten() {
                    if let Some(i) = ev["introduced"].as_str() {
                        events.push((true, if i == "0" { (0, 0, 0, 0, 0) } else { go_key(i) }));
                    }
                    if let Some(f) = ev["fixed"].as_str() {
                        events.push((false, go_key(f)));
                    }
                }
                events.sort_by_key(|e| e.1);
                for (introduced, at) in events {
                    if at > me {
                        break;
                    }
                    inside = introduced;
                }
                if inside {
                    out.insert(rec["id"].as_str().expect("id").to_string());
                }
            }
        }
    }
    out
}

/// The IDs of the standard library findings of the first binary.
fn stdlib_found(report: &serde_json::Value) -> BTreeSet<String> {
    report["binaries"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["module"] == "stdlib")
        .map(|f| f["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_standard_library_entries_are_exactly_those_for_this_go() {
    let p = programs();
    let tmp = tempdir();
    let db = snapshot();
    let (_, r) = scan_json(
        tmp.path(),
        &[
            p.module_only.to_str().expect("p"),
            "--db",
            db.to_str().expect("p"),
        ],
    );
    let go = r["binaries"][0]["go_version"]
        .as_str()
        .expect("go")
        .to_string();
    let ours = stdlib_found(&r);
    let expected = stdlib_ids(&db, &go);
    assert!(expected.len() > 10, "{go}: {expected:?}");
    assert_eq!(
        r["binaries"][0]["path"]
            .as_str()
            .map(|p| p.ends_with("module-only")),
        Some(true)
    );
    assert_eq!(ours, expected);
}

#[test]
fn the_database_over_http_is_cached_and_works_offline() {
    let p = programs();
    let tmp = tempdir();
    let served = tmp.path().join("served");
    copy_dir(&snapshot(), &served);
    let server = FilesHttp::start(served.clone());
    let bin = p.calls.to_str().expect("p");
    let (_, first) = scan_json(tmp.path(), &[bin, "--db", &server.url]);
    assert_eq!(server.hits("/index/db.json"), 1);
    assert_eq!(server.hits("/index/modules.json"), 1);
    assert_eq!(server.hits("/ID/GO-2021-0113.json"), 1);
    assert_eq!(first["database"]["from_cache"], false);
    // Unchanged: only db.json is asked for; the records come from the cache.
    let before = server.total();
    let (_, second) = scan_json(tmp.path(), &[bin, "--db", &server.url]);
    assert_eq!(server.total(), before + 1, "only db.json again");
    assert_eq!(second["database"]["from_cache"], true);
    assert_eq!(first["binaries"], second["binaries"]);
    // Offline: no request at all.
    let before = server.total();
    let (_, offline) = scan_json(tmp.path(), &[bin, "--db", &server.url, "--offline"]);
    assert_eq!(server.total(), before);
    assert_eq!(first["binaries"], offline["binaries"]);
    // A newer index is fetched again.
    std::fs::write(
        served.join("index/db.json"),
        r#"{"modified":"2030-01-01T00:00:00Z"}"#,
    )
    .expect("db.json");
    let (_, newer) = scan_json(tmp.path(), &[bin, "--db", &server.url]);
    assert_eq!(server.hits("/index/modules.json"), 2);
    assert_eq!(newer["database"]["modified"], "2030-01-01T00:00:00Z");
    // --update-db refreshes without an image.
    let cache = tmp.path().join("cache");
    let out = ok(envelope(tmp.path(), &cache).args(["scan", "--update-db", "--db", &server.url]));
    let _ = out;
    assert_eq!(server.hits("/index/modules.json"), 3);

    // A server error is a clear error; offline still works from the cache.
    server.fail.store(true, std::sync::atomic::Ordering::SeqCst);
    let err = fails(envelope(tmp.path(), &cache).args(["scan", bin, "--db", &server.url]));
    assert!(err.contains("500"), "{err}");
    assert!(err.contains("--offline"), "{err}");
    let (_, offline) = scan_json(tmp.path(), &[bin, "--db", &server.url, "--offline"]);
    assert_eq!(
        first["binaries"][0]["findings"],
        offline["binaries"][0]["findings"]
    );
    // Offline with no cache at all.
    let other = tempdir();
    let err = fails(envelope(other.path(), &other.path().join("cache")).args([
        "scan",
        bin,
        "--db",
        &server.url,
        "--offline",
    ]));
    assert!(err.contains("--update-db"), "{err}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

#[test]
fn images_every_format_and_bad_databases() {
    let p = programs();
    let tmp = tempdir();
    let db = snapshot();
    let db = db.to_str().expect("path");
    let cache = tmp.path().join("cache");
    // An image with two binaries.
    let mut layer = envelope_layer::LayerBuilder::new(0);
    for (path, bin) in [("app/calls", &p.calls), ("usr/bin/imports", &p.imports)] {
        layer
            .file(
                path,
                envelope_layer::FileData::Bytes(std::sync::Arc::new(
                    std::fs::read(bin).expect("bin"),
                )),
                0o755,
                0,
                0,
            )
            .expect("file");
    }
    let image = assemble(
        vec![layer],
        serde_json::json!({"architecture": "amd64", "os": "linux", "config": {}}),
    );
    let layout = tmp.path().join("layout");
    envelope_oci::write_oci_layout(&layout, &image, Some("s")).expect("layout");
    let reference = format!("oci:{}:s", layout.display());
    let (code, r) = scan_json(tmp.path(), &[&reference, "--db", db]);
    assert_eq!(code, 1);
    let paths: Vec<&str> = r["binaries"]
        .as_array()
        .expect("binaries")
        .iter()
        .filter_map(|b| b["path"].as_str())
        .collect();
    assert_eq!(paths, ["/app/calls", "/usr/bin/imports"]);

    // Human: grouped by module, with the fix and the path.
    let out = run(envelope(tmp.path(), &cache).args(["scan", &reference, "--db", db]));
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(human.contains("/app/calls"), "{human}");
    assert!(
        human.contains("golang.org/x/text v0.3.6 ⇒ v0.41.0"),
        "{human}"
    );
    assert!(
        human.contains("calls golang.org/x/text/language.Parse"),
        "{human}"
    );

    // SARIF, validated.
    let out =
        run(envelope(tmp.path(), &cache)
            .args(["scan", &reference, "--db", db, "--format", "sarif"]));
    let sarif = json(&String::from_utf8_lossy(&out.stdout));
    let schema =
        read_json(&repo_root().join("crates/envelope/tests/schemas/sarif-schema-2.1.0.json"));
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(results
        .iter()
        .any(|x| x["ruleId"] == "GO-2021-0113" && x["level"] == "error"));

    // OpenVEX: affected when called, not_affected otherwise.
    let out = run(envelope(tmp.path(), &cache)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["scan", &reference, "--db", db, "--format", "openvex"]));
    let vex = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(vex["@context"], "https://openvex.dev/ns/v0.2.0");
    assert_eq!(vex["timestamp"], "2023-11-14T22:13:20Z");
    let statements = vex["statements"].as_array().expect("statements");
    let of = |id: &str, status: &str| {
        statements
            .iter()
            .filter(|s| s["vulnerability"]["name"] == id && s["status"] == status)
            .count()
    };
    assert_eq!(of("GO-2021-0113", "affected"), 1, "calls");
    assert_eq!(of("GO-2021-0113", "not_affected"), 1, "imports");
    let imported = statements
        .iter()
        .find(|s| s["vulnerability"]["name"] == "GO-2021-0113" && s["status"] == "not_affected")
        .expect("imported statement");
    assert_eq!(
        imported["justification"],
        "vulnerable_code_not_in_execute_path"
    );
    let module_only = statements
        .iter()
        .find(|s| s["vulnerability"]["name"] == "GO-2026-5970")
        .expect("module-only statement");
    assert_eq!(module_only["justification"], "vulnerable_code_not_present");
    for s in statements {
        match s["status"].as_str() {
            Some("affected") => assert!(s["action_statement"].is_string(), "{s:#}"),
            Some("not_affected") => assert!(
                s["justification"] == "vulnerable_code_not_in_execute_path"
                    || s["justification"] == "vulnerable_code_not_present",
                "{s:#}"
            ),
            other => panic!("status {other:?}"),
        }
        assert!(s["products"][0]["subcomponents"][0]["@id"]
            .as_str()
            .is_some_and(|p| p.starts_with("pkg:golang/")));
    }

    // Bad databases: clear errors, exit 2, nothing half-written.
    let bad = tmp.path().join("bad");
    copy_dir(&snapshot().join("index"), &bad.join("index"));
    std::fs::create_dir_all(bad.join("ID")).expect("ID");
    let err = fails(envelope(tmp.path(), &cache).args([
        "scan",
        p.calls.to_str().expect("p"),
        "--db",
        bad.to_str().expect("p"),
    ]));
    assert!(err.contains("GO-20"), "a listed record is missing: {err}");
    std::fs::write(bad.join("index/modules.json"), "[{\"path\": ").expect("write");
    let err = fails(envelope(tmp.path(), &cache).args([
        "scan",
        p.calls.to_str().expect("p"),
        "--db",
        bad.to_str().expect("p"),
    ]));
    assert!(err.contains("modules.json"), "{err}");
    let zip = tmp.path().join("vulndb.zip");
    std::fs::write(&zip, b"PK\x03\x04 truncated").expect("zip");
    let err = fails(envelope(tmp.path(), &cache).args([
        "scan",
        p.calls.to_str().expect("p"),
        "--db",
        zip.to_str().expect("p"),
    ]));
    assert!(err.contains("vulndb.zip"), "{err}");
    let err = fails(envelope(tmp.path(), &cache).args(["scan", "./nothing-here", "--db", db]));
    assert!(err.contains("no such file"), "{err}");
}

/// A module whose path starts with `go.` is a module like any other: its
/// functions are not taken for the linker's `go.` symbols.
#[test]
fn modules_under_go_dot_domains_are_seen() {
    let proxy = GoProxy::new();
    proxy.module("go.mongodb.org/mongo-driver", "v1.17.6", MONGO);
    let tmp = tempdir();
    let bin = tmp.path().join("mongo");
    let main_go = "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\n\t\"go.mongodb.org/mongo-driver/mongo\"\n)\n\n\
func main() {\n\tc, err := mongo.Connect(os.Args[0])\n\tfmt.Println(c.URI(), err)\n}\n";
    program_with(
        &proxy,
        "mongoapp",
        "require go.mongodb.org/mongo-driver v1.17.6\n",
        main_go,
        &bin,
    );
    let db = snapshot();
    let (code, r) = scan_json(
        tmp.path(),
        &[bin.to_str().expect("p"), "--db", db.to_str().expect("p")],
    );
    assert_eq!(
        findings(&r, "go.mongodb.org/mongo-driver"),
        set(&[("GO-2026-5327", "called")]),
        "{r:#}"
    );
    assert_eq!(code, 1);
    let f = &r["binaries"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["id"] == "GO-2026-5327")
        .expect("finding")["symbols"];
    assert!(
        f.as_array()
            .expect("symbols")
            .iter()
            .any(|s| s == "go.mongodb.org/mongo-driver/mongo.Connect"),
        "{f}"
    );
}

/// A Go binary linked without the go command (as Bazel and custom link
/// steps do): `go tool compile` and `go tool link` record the Go version
/// but no build settings and no main module.
fn link_by_hand(dir: &Path, main_go: &str) -> PathBuf {
    let src = dir.join("main.go");
    std::fs::write(&src, main_go).expect("main.go");
    let go = go_dir().join("go");
    let env = |c: &mut std::process::Command| {
        c.current_dir(dir)
            .env("GOCACHE", gocache())
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .env("GOFLAGS", "")
            .env("GO111MODULE", "off")
            .env("CGO_ENABLED", "0")
            .env("GOOS", "linux")
            .env("GOARCH", "amd64");
    };
    let mut list = std::process::Command::new(&go);
    env(&mut list);
    let cfg = ok(list.args([
        "list",
        "-export",
        "-deps",
        "-f",
        "{{if .Export}}packagefile {{.ImportPath}}={{.Export}}{{end}}",
        "fmt",
        "net/http",
        "os",
    ]));
    std::fs::write(dir.join("importcfg"), cfg).expect("importcfg");
    let mut compile = std::process::Command::new(&go);
    env(&mut compile);
    ok(compile.args([
        "tool",
        "compile",
        "-p",
        "main",
        "-importcfg",
        "importcfg",
        "-o",
        "main.a",
        "main.go",
    ]));
    let bin = dir.join("nobi");
    let mut link = std::process::Command::new(&go);
    env(&mut link);
    ok(link
        .args(["tool", "link", "-s", "-w", "-importcfg", "importcfg", "-o"])
        .arg(&bin)
        .arg("main.a"));
    bin
}

/// Without GOOS/GOARCH in the build settings the ELF header says the
/// binary is for linux/amd64: entries limited to windows or ppc64le are
/// not reported. And no main module is invented.
#[test]
fn platform_limits_come_from_the_headers_when_the_build_info_has_none() {
    let tmp = tempdir();
    let bin = link_by_hand(
        tmp.path(),
        "package main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n\t\"os\"\n)\n\n\
func main() {\n\tresp, err := http.Get(os.Args[0])\n\tfmt.Println(resp, err)\n}\n",
    );
    let data = std::fs::read(&bin).expect("binary");
    let info = envelope_golang::buildinfo::read(&data)
        .expect("reads")
        .expect("build info");
    assert!(info.settings.is_empty() && info.main.is_none() && info.path.is_empty());
    // Go 1.23.5, the release with the most platform-limited entries in
    // the database, so that dropping them shows.
    let old = tmp.path().join("nobi-1.23.5");
    std::fs::write(&old, with_go_version(&data, &info.go_version, "go1.23.5")).expect("write");
    let db = snapshot();
    let expected = stdlib_ids(&db, "1.23.5");
    let everywhere = stdlib_ids_for(&db, "1.23.5", None);
    let limited: Vec<&String> = everywhere.difference(&expected).collect();
    assert!(
        !limited.is_empty(),
        "the database has no entry for go1.23.5 limited to other platforms"
    );
    let (_, r) = scan_json(
        tmp.path(),
        &[old.to_str().expect("p"), "--db", db.to_str().expect("p")],
    );
    let ours = stdlib_found(&r);
    assert_eq!(ours, expected, "entries for other platforms: {limited:?}");
    assert_eq!(r["binaries"][0]["main_module"], serde_json::Value::Null);
    assert_eq!(r["binaries"][0]["go_version"], "go1.23.5");
    // The human report names no empty module.
    let out = run(envelope(tmp.path(), &tmp.path().join("cache")).args([
        "scan",
        old.to_str().expect("p"),
        "--db",
        db.to_str().expect("p"),
    ]));
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(human.contains("nobi-1.23.5 (go1.23.5)"), "{human}");
    assert!(!human.contains("(, "), "{human}");
}

/// A Go binary stored as a sparse file (GNU tar `--sparse --format=posix`,
/// each PAX sparse format) is scanned, listed in the SBOM and audited under
/// its real path: once it was invisible ("no Go binaries found") and audit
/// named it `GNUSparseFile.NNN/calls`.
#[test]
fn a_binary_stored_as_a_sparse_file_is_scanned_listed_and_audited() {
    let p = programs();
    let tmp = tempdir();
    let db = snapshot();
    let db = db.to_str().expect("path");
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("app")).expect("mkdir");
    let bin = root.join("app/calls");
    std::fs::copy(&p.calls, &bin).expect("copy");
    // A 2 MiB hole at the end: what makes tar store it sparse.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&bin)
        .expect("open");
    let len = f.metadata().expect("meta").len();
    f.set_len(len + (2 << 20)).expect("extend");
    drop(f);
    for version in ["1.0", "0.1", "0.0"] {
        let tar = tmp.path().join(format!("layer-{version}.tar"));
        let status = Command::new("tar")
            .args(["--sparse", "--format=posix", "--no-recursion"])
            .arg(format!("--sparse-version={version}"))
            .arg("-cf")
            .arg(&tar)
            .arg("-C")
            .arg(&root)
            .args(["app", "app/calls"])
            .status()
            .expect("GNU tar is required");
        assert!(status.success(), "{version}");
        let tar = std::fs::read(&tar).expect("read");
        assert!(
            (tar.len() as u64) < len + (1 << 20),
            "{version}: not stored sparse"
        );
        let image = assemble_tars(
            vec![tar],
            serde_json::json!({"architecture": "amd64", "os": "linux", "config": {}}),
        );
        let layout = tmp.path().join(format!("layout-{version}"));
        envelope_oci::write_oci_layout(&layout, &image, Some("s")).expect("layout");
        let reference = format!("oci:{}:s", layout.display());

        let (code, r) = scan_json(tmp.path(), &[&reference, "--db", db, "--verify"]);
        assert_eq!(code, 1, "{version}: {r}");
        assert_eq!(r["binaries"][0]["path"], "/app/calls", "{version}");
        assert!(
            findings(&r, "golang.org/x/text")
                .contains(&("GO-2021-0113".to_string(), "called".to_string())),
            "{version}: {r}"
        );

        let cache = tmp.path().join("cache");
        let spdx = json(&ok(envelope(tmp.path(), &cache).args(["sbom", &reference])));
        assert!(
            spdx["packages"]
                .as_array()
                .expect("packages")
                .iter()
                .any(|p| p["packageFileName"] == "/app/calls"),
            "{version}: {spdx}"
        );
        let audit =
            run(envelope(tmp.path(), &cache).args(["audit", &reference, "--format", "json"]));
        let audit = String::from_utf8_lossy(&audit.stdout);
        assert!(audit.contains("/app/calls"), "{version}: {audit}");
        assert!(!audit.contains("GNUSparseFile"), "{version}: {audit}");
    }
}
