//! The snapshot read as a directory.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::time::Instant;

use envelope_vuln::{Database, Error, OpenOptions, Source};

fn open_snapshot() -> Database {
    Database::open(Source::Dir(common::snapshot()), &OpenOptions::default()).unwrap()
}

#[test]
fn loads_the_snapshot() {
    let db = open_snapshot();
    assert_eq!(db.modified(), common::SNAPSHOT_MODIFIED);
    let info = db.info();
    assert_eq!(info.modules, 1373);
    assert!(info.entries >= 4291, "{} entries", info.entries);
    assert!(!info.from_cache);
    assert_eq!(info.fetched_at, None);
    assert_eq!(info.source, Source::Dir(common::snapshot()));
    // The snapshot is months older than "now" on any machine running this.
    assert!(
        info.warnings.iter().any(|w| w.contains("last modified")),
        "{:?}",
        info.warnings
    );
    let quiet = Database::open(
        Source::Dir(common::snapshot()),
        &OpenOptions {
            stale_after: None,
            ..OpenOptions::default()
        },
    )
    .unwrap();
    assert!(quiet.info().warnings.is_empty());
    assert!(db.modules().any(|m| m == "stdlib"));
    assert_eq!(db.requests(), 0);
}

#[test]
fn x_text_language() {
    let db = open_snapshot();
    let vulns = db.vulns_for("golang.org/x/text").unwrap();
    assert!(vulns.iter().any(|e| e.id == "GO-2022-1059"));
    assert!(vulns.iter().all(|e| e
        .affected
        .iter()
        .any(|a| a.package.name == "golang.org/x/text")));

    let m = db.matches("golang.org/x/text", "v0.3.7").unwrap();
    let hit = m
        .iter()
        .find(|m| m.id() == "GO-2022-1059")
        .expect("GO-2022-1059 matches v0.3.7");
    assert_eq!(hit.fixed.as_deref(), Some("v0.3.8"));
    assert_eq!(hit.module, "golang.org/x/text");
    assert_eq!(hit.version, "v0.3.7");
    assert_eq!(hit.affected.len(), 1);
    assert_eq!(hit.imports.len(), 1);
    assert_eq!(hit.imports[0].path, "golang.org/x/text/language");
    assert!(hit.imports[0]
        .symbols
        .contains(&"ParseAcceptLanguage".to_string()));
    assert!(hit.entry.aliases.contains(&"CVE-2022-32149".to_string()));
    assert_eq!(
        hit.entry.url(),
        Some("https://pkg.go.dev/vuln/GO-2022-1059")
    );

    let fixed = db.matches("golang.org/x/text", "v0.3.8").unwrap();
    assert!(fixed.iter().all(|m| m.id() != "GO-2022-1059"));
    // +incompatible and shorthands behave.
    assert!(db
        .matches("golang.org/x/text", "v0.3.7+meta")
        .unwrap()
        .iter()
        .any(|m| m.id() == "GO-2022-1059"));
    // Records load once and are shared.
    let again = db.vulns_for("golang.org/x/text").unwrap();
    assert!(std::sync::Arc::ptr_eq(&vulns[0], &again[0]));
}

#[test]
fn versions_that_match_nothing() {
    let db = open_snapshot();
    for v in ["", "(devel)", "0.3.7", "latest"] {
        assert!(
            db.matches("golang.org/x/text", v).unwrap().is_empty(),
            "{v:?}"
        );
    }
    assert!(db
        .matches("example.com/not/in/db", "v1.0.0")
        .unwrap()
        .is_empty());
    assert!(db.vulns_for("example.com/not/in/db").unwrap().is_empty());
    assert!(db.matches("stdlib", "devel go1.24-abc").unwrap().is_empty());
}

#[test]
fn withdrawn_records_do_not_match() {
    let db = open_snapshot();
    let all = db.vulns_for("k8s.io/kubernetes").unwrap();
    let withdrawn = all.iter().find(|e| e.id == "GO-2022-0617").expect("listed");
    assert!(withdrawn.is_withdrawn());
    // Its range is "introduced 0", so it would match every version.
    assert_eq!(withdrawn.affects("k8s.io/kubernetes", "v1.30.0").len(), 1);
    let m = db.matches("k8s.io/kubernetes", "v1.30.0").unwrap();
    assert!(m.iter().all(|m| m.id() != "GO-2022-0617"));
}

// --- stdlib: compared with an independent reading of every record -------

/// A Go release version as numbers, with the prerelease as (kind, n);
/// releases sort after their prereleases. Enough for stdlib's versions.
fn go_key(v: &str) -> (u64, u64, u64, u8, String, u64) {
    let v = v.trim_start_matches('v');
    let (core, pre) = v.split_once('-').unwrap_or((v, ""));
    let mut nums = core.split('.').map(|n| n.parse::<u64>().unwrap());
    let (a, b, c) = (
        nums.next().unwrap(),
        nums.next().unwrap_or(0),
        nums.next().unwrap_or(0),
    );
    if pre.is_empty() {
        return (a, b, c, 1, String::new(), 0);
    }
    // "0" (as in 1.23.0-0) is the lowest prerelease.
    let (kind, n) = pre.split_once('.').unwrap_or(("", pre));
    (a, b, c, 0, kind.to_string(), n.parse().unwrap_or(0))
}

/// (id, lowest fixed above v) for every non-withdrawn stdlib record whose
/// SEMVER ranges include `v`, read straight from the JSON files.
fn stdlib_expected(v: &str) -> BTreeSet<(String, Option<String>)> {
    let key = go_key(v);
    let mut out = BTreeSet::new();
    for file in std::fs::read_dir(common::snapshot().join("ID")).unwrap() {
        let rec: serde_json::Value =
            serde_json::from_slice(&std::fs::read(file.unwrap().path()).unwrap()).unwrap();
        if rec.get("withdrawn").is_some() {
            continue;
        }
        let mut hit = false;
        let mut fixed: Option<String> = None;
        for a in rec["affected"].as_array().unwrap() {
            if a["package"]["name"] != "stdlib" {
                continue;
            }
            for r in a["ranges"].as_array().unwrap() {
                assert_eq!(r["type"], "SEMVER");
                // Intervals [introduced, fixed): a version is in the range if
                // some introduced <= v and no fixed lies in (introduced, v].
                let mut events: Vec<(bool, String)> = r["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| match (e.get("introduced"), e.get("fixed")) {
                        (Some(i), _) => (true, i.as_str().unwrap().to_string()),
                        (_, Some(f)) => (false, f.as_str().unwrap().to_string()),
                        _ => panic!("odd event {e}"),
                    })
                    .collect();
                events.sort_by_key(|(intro, ver)| {
                    if *intro && ver == "0" {
                        (0, 0, 0, 0, String::new(), 0)
                    } else {
                        go_key(ver)
                    }
                });
                let mut inside = false;
                for (intro, ver) in &events {
                    let at_or_below = *intro && (ver == "0" || go_key(ver) <= key);
                    if *intro && at_or_below {
                        inside = true;
                    } else if !*intro && inside {
                        if key < go_key(ver) {
                            hit = true;
                            let f = format!("v{ver}");
                            if fixed.as_ref().is_none_or(|g| go_key(&f) < go_key(g)) {
                                fixed = Some(f);
                            }
                            inside = false;
                            break;
                        }
                        inside = false;
                    }
                }
                if inside {
                    hit = true;
                }
            }
        }
        if hit {
            out.insert((rec["id"].as_str().unwrap().to_string(), fixed));
        }
    }
    out
}

fn stdlib_actual(db: &Database, v: &str) -> BTreeSet<(String, Option<String>)> {
    db.matches("stdlib", v)
        .unwrap()
        .into_iter()
        .map(|m| (m.id().to_string(), m.fixed.clone()))
        .collect()
}

#[test]
fn stdlib_matches_agree_with_the_records() {
    let db = open_snapshot();
    for v in ["v1.23.5", "v1.24.0-rc.1", "v1.20.0", "v1.25.0", "v1.9.2"] {
        let expected = stdlib_expected(v);
        assert!(!expected.is_empty(), "{v}");
        assert_eq!(stdlib_actual(&db, v), expected, "stdlib at {v}");
    }
}

#[test]
fn stdlib_1_23_5_by_hand() {
    let db = open_snapshot();
    let got = db.matches("stdlib", "v1.23.5").unwrap();
    let fixed = |id: &str| {
        got.iter()
            .find(|m| m.id() == id)
            .unwrap_or_else(|| panic!("{id} should match go1.23.5"))
            .fixed
            .clone()
    };
    // Checked by reading the records:
    // GO-2025-3447: introduced 0, fixed 1.22.12, introduced 1.23.0-0, fixed 1.23.6.
    assert_eq!(fixed("GO-2025-3447").as_deref(), Some("v1.23.6"));
    // GO-2025-4007: introduced 0, fixed 1.24.9 (no 1.23 backport).
    assert_eq!(fixed("GO-2025-4007").as_deref(), Some("v1.24.9"));
    assert_eq!(fixed("GO-2025-3563").as_deref(), Some("v1.23.8"));
    // GO-2025-3373 was fixed in 1.23.5 itself.
    assert!(got.iter().all(|m| m.id() != "GO-2025-3373"));
    assert_eq!(got.len(), 53);
    let ids: Vec<&str> = got.iter().map(|m| m.id()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "sorted by ID");

    // The Go version spelling gives the same answer.
    let via_go: Vec<String> = db
        .matches("stdlib", "go1.23.5 X:boringcrypto")
        .unwrap()
        .iter()
        .map(|m| m.id().to_string())
        .collect();
    assert_eq!(via_go, ids);

    // GO-2025-3373: introduced 1.24.0-0, fixed 1.24.0-rc.2 on the 1.24 line.
    let rc1 = db.matches("stdlib", "go1.24rc1").unwrap();
    let m = rc1
        .iter()
        .find(|m| m.id() == "GO-2025-3373")
        .expect("affects go1.24rc1");
    assert_eq!(m.fixed.as_deref(), Some("v1.24.0-rc.2"));
    assert!(db
        .matches("stdlib", "go1.24rc2")
        .unwrap()
        .iter()
        .all(|m| m.id() != "GO-2025-3373"));
}

#[test]
fn cold_open_and_match_is_fast() {
    let modules = [
        "stdlib",
        "toolchain",
        "golang.org/x/text",
        "golang.org/x/net",
        "golang.org/x/crypto",
        "golang.org/x/sys",
        "golang.org/x/oauth2",
        "golang.org/x/image",
        "google.golang.org/grpc",
        "google.golang.org/protobuf",
        "github.com/golang/protobuf",
        "github.com/gin-gonic/gin",
        "github.com/gorilla/websocket",
        "github.com/gorilla/mux",
        "github.com/sirupsen/logrus",
        "github.com/prometheus/client_golang",
        "github.com/golang-jwt/jwt/v4",
        "github.com/dgrijalva/jwt-go",
        "github.com/docker/docker",
        "github.com/opencontainers/runc",
        "github.com/containerd/containerd",
        "k8s.io/kubernetes",
        "k8s.io/client-go",
        "gopkg.in/yaml.v2",
        "gopkg.in/yaml.v3",
        "github.com/hashicorp/consul",
        "github.com/hashicorp/vault",
        "go.etcd.io/etcd",
        "github.com/miekg/dns",
        "github.com/valyala/fasthttp",
    ];
    let start = Instant::now();
    let db = open_snapshot();
    let opened = start.elapsed();
    let mut n = 0;
    for m in modules {
        n += db.matches(m, "v0.0.1").unwrap().len();
    }
    let total = start.elapsed();
    eprintln!("open {opened:?}, open + 30 modules {total:?}, {n} matches");
    assert!(n > 0);
    // Generous for unoptimized builds on a busy machine; the release
    // build takes a few tens of milliseconds.
    assert!(total.as_secs() < 10, "{total:?}");
}

// --- broken directories ---------------------------------------------------

#[test]
fn missing_folder_and_files() {
    let err = Database::open(
        Source::Dir("/nonexistent/vulndb".into()),
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("/nonexistent/vulndb"), "{err}");

    let empty = tempfile::tempdir().unwrap();
    let err =
        Database::open(Source::Dir(empty.path().into()), &OpenOptions::default()).unwrap_err();
    assert!(err.to_string().contains("index/db.json"), "{err}");
}

fn broken_db(modules_json: &str, records: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("index")).unwrap();
    std::fs::create_dir_all(dir.path().join("ID")).unwrap();
    common::set_modified(dir.path(), "2024-01-01T00:00:00Z");
    std::fs::write(dir.path().join("index/modules.json"), modules_json).unwrap();
    for (id, body) in records {
        std::fs::write(dir.path().join(format!("ID/{id}.json")), body).unwrap();
    }
    dir
}

#[test]
fn listed_record_missing() {
    let dir = broken_db(
        r#"[{"path":"example.com/m","vulns":[{"id":"GO-2099-0001","modified":"x"}]}]"#,
        &[],
    );
    let db = Database::open(Source::Dir(dir.path().into()), &OpenOptions::default()).unwrap();
    let err = db.matches("example.com/m", "v1.0.0").unwrap_err();
    assert!(matches!(err, Error::MissingRecord { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("GO-2099-0001") && msg.contains("example.com/m"),
        "{msg}"
    );
}

#[test]
fn corrupt_files() {
    let dir = broken_db(
        r#"[{"path":"m","vulns":[{"id":"GO-1"},{"id":"GO-2"}]},{"path":"n","vulns":[{"id":"GO-3"}]}]"#,
        &[
            ("GO-1", r#"{"id": "GO-1", "affected": [ {"package": "#),
            ("GO-2", r#"{"id": "GO-9"}"#),
            (
                "GO-3",
                r#"{"id": "GO-3", "affected": [{"package": {"name": "n"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}"#,
            ),
        ],
    );
    let db = Database::open(Source::Dir(dir.path().into()), &OpenOptions::default()).unwrap();
    let err = db.vulns_for("m").unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("GO-1.json"), "{err}");
    // A good module next to bad ones still works.
    assert_eq!(db.matches("n", "v1.0.0").unwrap().len(), 1);
    assert!(db.matches("n", "v1.0.0").unwrap()[0].fixed.is_none());

    let wrong_id = broken_db(
        r#"[{"path":"m","vulns":[{"id":"GO-2"}]}]"#,
        &[("GO-2", r#"{"id": "GO-9"}"#)],
    );
    let db = Database::open(Source::Dir(wrong_id.path().into()), &OpenOptions::default()).unwrap();
    let err = db.vulns_for("m").unwrap_err();
    assert!(err.to_string().contains("holds GO-9"), "{err}");

    for bad in [
        "",
        "{",
        "[1,2,3]",
        r#"[{"vulns":[]}]"#,
        r#"[{"path":"m","vulns":[{"id":"../x"}]}]"#,
    ] {
        let dir = broken_db(bad, &[]);
        let err =
            Database::open(Source::Dir(dir.path().into()), &OpenOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "{bad:?}: {err}");
        assert!(err.to_string().contains("modules.json"), "{err}");
    }
    let dir = broken_db("[]", &[]);
    std::fs::write(dir.path().join("index/db.json"), r#"{"modified": 3}"#).unwrap();
    let err = Database::open(Source::Dir(dir.path().into()), &OpenOptions::default()).unwrap_err();
    assert!(err.to_string().contains("db.json"), "{err}");
}
