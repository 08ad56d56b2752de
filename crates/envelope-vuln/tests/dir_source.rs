//! The fixture database read as a directory.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use envelope_vuln::{Database, Error, OpenOptions, Source};

fn open_fixture() -> Database {
    Database::open(Source::Dir(common::fixture()), &OpenOptions::default()).unwrap()
}

#[test]
fn loads_the_fixture() {
    let db = open_fixture();
    assert_eq!(db.modified(), common::FIXTURE_MODIFIED);
    let info = db.info();
    // The fixture's index/modules.json: 5 modules; 196 items, of which 6
    // repeat a (module, record) pair (stdlib records with two `affected`
    // blocks): 190 pairs.
    let index = common::fixture_index();
    let listed: Vec<&str> = index.keys().map(String::as_str).collect();
    assert_eq!(listed, common::FIXTURE_MODULES);
    assert_eq!(info.modules, 5);
    let items: usize = index.values().map(Vec::len).sum();
    let pairs: usize = index
        .values()
        .map(|ids| ids.iter().collect::<BTreeSet<_>>().len())
        .sum();
    assert_eq!((items, pairs), (196, 190));
    assert_eq!(info.entries, pairs, "(module, record) pairs, each once");
    assert!(!info.from_cache);
    assert_eq!(info.fetched_at, None);
    assert_eq!(info.source, Source::Dir(common::fixture()));
    // The staleness warning follows the database's age.
    let stale = info.warnings.iter().any(|w| w.contains("last modified"));
    assert_eq!(
        stale,
        info.age() > Duration::from_secs(14 * 86_400),
        "{:?}",
        info.warnings
    );
    let strict = Database::open(
        Source::Dir(common::fixture()),
        &OpenOptions {
            stale_after: Some(Duration::from_secs(1)),
            ..OpenOptions::default()
        },
    )
    .unwrap();
    assert!(
        strict
            .info()
            .warnings
            .iter()
            .any(|w| w.contains("last modified") && w.contains(common::FIXTURE_MODIFIED)),
        "{:?}",
        strict.info().warnings
    );
    let quiet = Database::open(
        Source::Dir(common::fixture()),
        &OpenOptions {
            stale_after: None,
            ..OpenOptions::default()
        },
    )
    .unwrap();
    assert!(quiet.info().warnings.is_empty());
    let mut modules: Vec<&str> = db.modules().collect();
    modules.sort_unstable();
    assert_eq!(modules, common::FIXTURE_MODULES);
    assert_eq!(db.requests(), 0);
}

#[test]
fn x_text_language() {
    let db = open_fixture();
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
    let db = open_fixture();
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
    let db = open_fixture();
    let all = db.vulns_for("go.etcd.io/bbolt").unwrap();
    let withdrawn = all.iter().find(|e| e.id == "GO-2026-4923").expect("listed");
    assert!(withdrawn.is_withdrawn());
    // Its range is "introduced 0", so it would match every version.
    assert_eq!(withdrawn.affects("go.etcd.io/bbolt", "v1.4.0").len(), 1);
    assert!(db.matches("go.etcd.io/bbolt", "v1.4.0").unwrap().is_empty());
}

// --- stdlib: compared with an independent reading of every record -------

/// A Go release version as numbers, with the prerelease as (kind, n);
/// releases sort after their prereleases. Enough for stdlib's versions.
type GoKey = (u64, u64, u64, u8, String, u64);

fn go_key(v: &str) -> GoKey {
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

/// A SEMVER range's events as (introduced?, version key), sorted, with
/// "introduced 0" first.
fn events(range: &serde_json::Value) -> Vec<(bool, GoKey)> {
    assert_eq!(range["type"], "SEMVER");
    let mut events: Vec<(bool, GoKey)> = range["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| match (e.get("introduced"), e.get("fixed")) {
            (Some(i), _) if i == "0" => (true, (0, 0, 0, 0, String::new(), 0)),
            (Some(i), _) => (true, go_key(i.as_str().unwrap())),
            (_, Some(f)) => (false, go_key(f.as_str().unwrap())),
            _ => panic!("odd event {e}"),
        })
        .collect();
    events.sort_by(|x, y| x.1.cmp(&y.1));
    events
}

/// Whether `key` is in the range: the last event at or below it is an
/// `introduced`.
fn in_range(range: &serde_json::Value, key: &GoKey) -> bool {
    let mut inside = false;
    for (introduced, at) in events(range) {
        if at > *key {
            break;
        }
        inside = introduced;
    }
    inside
}

/// The record's stdlib SEMVER ranges, from every `affected` block.
fn stdlib_ranges(rec: &serde_json::Value) -> Vec<&serde_json::Value> {
    rec["affected"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["package"]["name"] == "stdlib")
        .flat_map(|a| a["ranges"].as_array().unwrap())
        .collect()
}

/// (id, fix) for every non-withdrawn stdlib record one of whose ranges
/// includes `v`, sorted by ID, read straight from the JSON files. The fix
/// is the lowest `fixed` version above `v` that no stdlib range of the
/// record includes again (govulncheck's rule: a record may list stdlib in
/// several blocks, one per release line or package).
fn stdlib_expected(v: &str) -> Vec<(String, Option<String>)> {
    let key = go_key(v);
    let mut out = Vec::new();
    for file in std::fs::read_dir(common::fixture().join("ID")).unwrap() {
        let rec: serde_json::Value =
            serde_json::from_slice(&std::fs::read(file.unwrap().path()).unwrap()).unwrap();
        if rec.get("withdrawn").is_some() {
            continue;
        }
        let ranges = stdlib_ranges(&rec);
        if !ranges.iter().any(|r| in_range(r, &key)) {
            continue;
        }
        let fixed = ranges
            .iter()
            .flat_map(|r| events(r))
            .filter(|(introduced, at)| !introduced && *at > key)
            .map(|(_, at)| at)
            .filter(|at| !ranges.iter().any(|r| in_range(r, at)))
            .min();
        // Back from the key to the version as the record writes it.
        let fixed = fixed.map(|at| {
            let f = ranges
                .iter()
                .flat_map(|r| r["events"].as_array().unwrap())
                .filter_map(|e| e.get("fixed").and_then(|f| f.as_str()))
                .find(|f| go_key(f) == at)
                .unwrap();
            format!("v{f}")
        });
        out.push((rec["id"].as_str().unwrap().to_string(), fixed));
    }
    out.sort();
    out
}

/// Every match, in the order `matches` gives them (repeats kept).
fn stdlib_actual(db: &Database, v: &str) -> Vec<(String, Option<String>)> {
    db.matches("stdlib", v)
        .unwrap()
        .into_iter()
        .map(|m| (m.id().to_string(), m.fixed.clone()))
        .collect()
}

#[test]
fn stdlib_matches_agree_with_the_records() {
    let db = open_fixture();
    for v in [
        "v1.23.5",
        "v1.24.0-rc.1",
        "v1.20.0",
        "v1.25.0",
        "v1.9.2",
        // Around GO-2023-2185's two stdlib blocks.
        "v1.20.10",
        "v1.20.11",
        "v1.21.0",
        "v1.21.4",
        // The 1.26 and 1.27 lines, where GO-2026-6603 and others list
        // stdlib twice.
        "v1.26.8",
        "v1.27.0",
        "v1.27.1",
    ] {
        let expected = stdlib_expected(v);
        assert!(!expected.is_empty(), "{v}");
        assert_eq!(stdlib_actual(&db, v), expected, "stdlib at {v}");
    }
}

#[test]
fn stdlib_1_23_5_by_hand() {
    let db = open_fixture();
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
    assert_eq!(got.len(), GO1_23_5_MATCHES);
    assert_eq!(stdlib_expected("v1.23.5").len(), GO1_23_5_MATCHES);
    let ids: Vec<&str> = got.iter().map(|m| m.id()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(ids, sorted, "sorted by ID, each once");

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

/// How many stdlib records of the fixture affect go1.23.5, as
/// `stdlib_expected` counts them from the records: stated here so that a
/// change in matching, or in the fixture, shows as a number.
const GO1_23_5_MATCHES: usize = 67;

// --- records that list a module in several `affected` blocks -------------

/// The stdlib records the fixture's index lists twice: vuln.go.dev writes
/// one modules.json item per `affected` block.
const TWICE_LISTED: &[&str] = &[
    "GO-2023-2185",
    "GO-2026-6603",
    "GO-2026-6610",
    "GO-2026-6611",
    "GO-2026-6612",
    "GO-2026-6617",
];

#[test]
fn a_record_listed_twice_is_one_match() {
    let index = common::fixture_index();
    for id in TWICE_LISTED {
        let n = index["stdlib"].iter().filter(|i| i == id).count();
        assert_eq!(n, 2, "{id} is listed twice for stdlib in the index");
    }
    let db = open_fixture();
    let stdlib = db.vulns_for("stdlib").unwrap();
    let ids: Vec<&str> = stdlib.iter().map(|e| e.id.as_str()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "vulns_for gives each record once");
    assert_eq!(
        ids.len(),
        index["stdlib"].len() - TWICE_LISTED.len(),
        "and every record"
    );

    for v in ["go1.26.8", "go1.27.0", "go1.20.10", "go1.21.0", "go1.21.4"] {
        let got = db.matches("stdlib", v).unwrap();
        let ids: Vec<&str> = got.iter().map(|m| m.id()).collect();
        let unique: BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(
            ids.len(),
            unique.len(),
            "{v}: one match per record: {ids:?}"
        );
    }

    // GO-2026-6603: net/http before 1.26.9; net/http/internal/http2 on
    // the 1.27 line before 1.27.2. Each version gets the block (and the
    // packages) that affects it.
    let one = |v: &str, id: &str| {
        let got = db.matches("stdlib", v).unwrap();
        let mut hits: Vec<_> = got.into_iter().filter(|m| m.id() == id).collect();
        assert_eq!(hits.len(), 1, "{id} at {v}");
        hits.pop().unwrap()
    };
    let m = one("go1.26.8", "GO-2026-6603");
    assert_eq!(m.fixed.as_deref(), Some("v1.26.9"));
    assert_eq!(m.affected.len(), 1);
    let paths: Vec<&str> = m.imports.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths, ["net/http"]);
    let m = one("go1.27.0", "GO-2026-6603");
    assert_eq!(m.fixed.as_deref(), Some("v1.27.2"));
    let paths: Vec<&str> = m.imports.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths, ["net/http/internal/http2"]);
    assert!(db
        .matches("stdlib", "go1.27.2")
        .unwrap()
        .iter()
        .all(|m| m.id() != "GO-2026-6603"));
}

#[test]
fn the_fix_is_one_no_block_undoes() {
    // GO-2023-2185 lists stdlib in two blocks: the first says 1.20.11 and
    // 1.21.4 fix it, the second that those two are vulnerable again
    // (fixed in 1.20.12 and 1.21.5).
    let rec = common::fixture_record("GO-2023-2185");
    let blocks: Vec<_> = rec["affected"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["package"]["name"] == "stdlib")
        .collect();
    assert_eq!(blocks.len(), 2);
    let db = open_fixture();
    let at = |v: &str| {
        let got = db.matches("stdlib", v).unwrap();
        let hits: Vec<_> = got.iter().filter(|m| m.id() == "GO-2023-2185").collect();
        assert!(hits.len() <= 1, "{v}: {}", hits.len());
        hits.first()
            .map(|m| (m.fixed.clone(), m.affected.len(), m.imports.len()))
    };
    // Before 1.20.11: the first block; its fix, 1.20.11, is vulnerable by
    // the second, so the fix to take is 1.20.12.
    assert_eq!(at("go1.20.10"), Some((Some("v1.20.12".into()), 1, 2)));
    assert_eq!(at("go1.20.11"), Some((Some("v1.20.12".into()), 1, 1)));
    assert_eq!(at("go1.20.12"), None);
    assert_eq!(at("go1.21.0"), Some((Some("v1.21.5".into()), 1, 2)));
    assert_eq!(at("go1.21.4"), Some((Some("v1.21.5".into()), 1, 1)));
    assert_eq!(at("go1.21.5"), None);
}

#[test]
fn the_index_fixed_versions_do_not_hide_a_vulnerable_version() {
    // The index gives each item the latest fix of its block (x/vulndb's
    // osvutils.LatestFixed). For GO-2023-2185 the first stdlib item says
    // 1.21.4, yet go1.21.4 is vulnerable (second block): matching reads
    // the record, not the index's `fixed`.
    let raw: serde_json::Value = serde_json::from_slice(
        &std::fs::read(common::fixture().join("index/modules.json")).unwrap(),
    )
    .unwrap();
    let items = |module: &str, id: &str| -> Vec<serde_json::Value> {
        raw.as_array()
            .unwrap()
            .iter()
            .filter(|m| m["path"] == module)
            .flat_map(|m| m["vulns"].as_array().unwrap().clone())
            .filter(|v| v["id"] == id)
            .collect()
    };
    let fixes: Vec<_> = items("stdlib", "GO-2023-2185")
        .iter()
        .map(|v| v["fixed"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fixes, ["1.21.4", "1.21.5"]);
    let db = open_fixture();
    assert!(db
        .matches("stdlib", "go1.21.4")
        .unwrap()
        .iter()
        .any(|m| m.id() == "GO-2023-2185"));

    // GO-2024-2866: fixed in 0.16.4, then vulnerable again from 0.17.0
    // with no fix: LatestFixed clears the index's `fixed`, and 0.17.0 and
    // later match, with no fix to offer.
    let module = "github.com/submariner-io/submariner-operator";
    let listed = items(module, "GO-2024-2866");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].get("fixed").is_none(), "{:?}", listed[0]);
    let at = |v: &str| -> Option<Option<String>> {
        let got = db.matches(module, v).unwrap();
        assert!(got.len() <= 1);
        got.first().map(|m| m.fixed.clone())
    };
    assert_eq!(at("v0.16.3"), Some(Some("v0.16.4".into())));
    assert_eq!(at("v0.16.4"), None);
    assert_eq!(at("v0.17.0"), Some(None));
    assert_eq!(at("v0.18.1"), Some(None));

    // An index whose `fixed` is plainly wrong changes nothing either.
    let dir = common::small_db(
        r#"[{"path":"example.com/m","vulns":[{"id":"GO-2099-0001","fixed":"1.0.0"}]}]"#,
        &[(
            "GO-2099-0001",
            r#"{"id":"GO-2099-0001","affected":[{"package":{"name":"example.com/m"},
                "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"},{"introduced":"1.5.0"}]}]}]}"#,
        )],
    );
    let db = Database::open(Source::Dir(dir.path().into()), &OpenOptions::default()).unwrap();
    for (v, hit) in [
        ("v0.9.0", true),
        ("v1.0.0", false),
        ("v1.5.0", true),
        ("v2.0.0", true),
    ] {
        let got = db.matches("example.com/m", v).unwrap();
        assert_eq!(got.len(), usize::from(hit), "{v}");
        if v != "v0.9.0" {
            assert!(got.iter().all(|m| m.fixed.is_none()), "{v}");
        }
    }
}

#[test]
fn overlapping_blocks_merge_into_one_match() {
    // Two blocks for one module, both affecting v1.1.0, naming the same
    // package (one with symbols, one without: the whole package) and one
    // package each; the module is listed once per block, as vuln.go.dev
    // does.
    let dir = common::small_db(
        r#"[{"path":"example.com/m","vulns":[
              {"id":"GO-2099-0002","fixed":"1.2.0"},{"id":"GO-2099-0002","fixed":"1.3.0"}]},
            {"path":"example.com/other","vulns":[{"id":"GO-2099-0002"}]}]"#,
        &[(
            "GO-2099-0002",
            r#"{"id":"GO-2099-0002","affected":[
                {"package":{"name":"example.com/m"},
                 "ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"fixed":"1.2.0"}]}],
                 "ecosystem_specific":{"imports":[
                    {"path":"example.com/m/a","symbols":["F","G"]},
                    {"path":"example.com/m/b","symbols":["H"]}]}},
                {"package":{"name":"example.com/other"},
                 "ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}],
                 "ecosystem_specific":{"imports":[{"path":"example.com/other/x"}]}},
                {"package":{"name":"example.com/m"},
                 "ranges":[{"type":"SEMVER","events":[{"introduced":"1.1.0"},{"fixed":"1.3.0"}]}],
                 "ecosystem_specific":{"imports":[
                    {"path":"example.com/m/a","symbols":["G","K"]},
                    {"path":"example.com/m/b"},
                    {"path":"example.com/m/c","goos":["windows"],"symbols":["W"]}]}}]}"#,
        )],
    );
    let db = Database::open(Source::Dir(dir.path().into()), &OpenOptions::default()).unwrap();
    assert_eq!(db.info().entries, 2, "(module, record) pairs");
    assert_eq!(db.vulns_for("example.com/m").unwrap().len(), 1);

    let got = db.matches("example.com/m", "v1.1.5").unwrap();
    assert_eq!(got.len(), 1, "one match for the record");
    let m = &got[0];
    assert_eq!(m.affected.len(), 2, "both blocks affect v1.1.5");
    // v1.2.0 ends the first block but is still in the second.
    assert_eq!(m.fixed.as_deref(), Some("v1.3.0"));
    let imports: Vec<(&str, Vec<&str>, Vec<&str>)> = m
        .imports
        .iter()
        .map(|i| {
            (
                i.path.as_str(),
                i.goos.iter().map(String::as_str).collect(),
                i.symbols.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        imports,
        [
            ("example.com/m/a", vec![], vec!["F", "G", "K"]),
            ("example.com/m/b", vec![], vec![]),
            ("example.com/m/c", vec!["windows"], vec!["W"]),
        ],
        "packages merged; a package listed without symbols stays whole"
    );

    // Only the first block affects v1.0.5: its packages only; its fix,
    // v1.2.0, is in the second block's range, so the fix is v1.3.0 again.
    let got = db.matches("example.com/m", "v1.0.5").unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].affected.len(), 1);
    assert_eq!(got[0].fixed.as_deref(), Some("v1.3.0"));
    assert_eq!(got[0].imports.len(), 2);
    // Only the second affects v1.2.5.
    let got = db.matches("example.com/m", "v1.2.5").unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].fixed.as_deref(), Some("v1.3.0"));
    assert!(db.matches("example.com/m", "v1.3.0").unwrap().is_empty());
    // The other module's block is not mixed in.
    let other = db.matches("example.com/other", "v9.0.0").unwrap();
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].imports.len(), 1);
    assert_eq!(other[0].fixed, None);
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
    // Most are not in the fixture: looking up a module the index does not
    // list must be cheap too.
    let start = Instant::now();
    let db = open_fixture();
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
    common::small_db(modules_json, records)
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
