//! The committed database the other tests read (`tests/fixtures/govulndb`):
//! that it is whole, consistent, small, licensed, and what
//! `scripts/vulndb` says it makes.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(common::fixture().join(rel)).unwrap()
}

fn json(rel: &str) -> serde_json::Value {
    serde_json::from_str(&read(rel)).unwrap()
}

/// `(name, value)` of the `name=value` line of the script.
fn script_setting(script: &str, name: &str) -> String {
    let prefix = format!("{name}=");
    script
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name}= in scripts/vulndb"))
        .to_string()
}

#[test]
fn made_by_the_script_at_its_pinned_version() {
    let script =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/vulndb"))
            .unwrap();
    let (version, sum, format) = (
        script_setting(&script, "version"),
        script_setting(&script, "sum"),
        script_setting(&script, "format"),
    );
    let modules = common::FIXTURE_MODULES.join(",");
    // The stamp names what was built; a pin bumped in the script without
    // rebuilding the fixture fails here.
    assert_eq!(
        read(".vulndb-stamp"),
        format!("golang.org/x/vulndb {version} {sum}\nformat {format}\nmodules {modules}\n")
    );
    let notice = read("NOTICE");
    for needle in [
        "Go project's Go vulnerability database data",
        "CC-BY-4.0",
        "https://creativecommons.org/licenses/by/4.0/",
        "module golang.org/x/vulndb",
        version.as_str(),
        sum.as_str(),
        &format!("scripts/vulndb --modules {modules} tests/fixtures/govulndb"),
    ] {
        assert!(
            notice.contains(needle),
            "NOTICE lacks {needle:?}:\n{notice}"
        );
    }
}

#[test]
fn small() {
    let mut total = 0;
    let mut stack = vec![common::fixture()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                total += meta.len();
            }
        }
    }
    assert!(total < 1 << 20, "{total} bytes");
}

#[test]
fn indexes_match_the_records() {
    let root = common::fixture();
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(root.join("ID")).unwrap().flatten() {
        let name = e.file_name().into_string().unwrap();
        let id = name.strip_suffix(".json").unwrap().to_string();
        let rec: serde_json::Value =
            serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap();
        assert_eq!(rec["id"], id.as_str());
        files.insert(id, rec);
    }
    assert_eq!(files.len(), 190);

    // vulns.json: every record, by ID.
    let vulns: Vec<String> = json("index/vulns.json")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(vulns, files.keys().cloned().collect::<Vec<_>>());

    // modules.json: the chosen modules, sorted; under each, one item per
    // `affected` block naming it (so some records twice), sorted by ID;
    // and every record is under one of them.
    let index = common::fixture_index();
    assert_eq!(
        index.keys().map(String::as_str).collect::<Vec<_>>(),
        common::FIXTURE_MODULES
    );
    let mut listed = BTreeSet::new();
    for (module, ids) in &index {
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, &sorted, "{module}");
        let blocks: Vec<String> = files
            .iter()
            .flat_map(|(id, rec)| {
                rec["affected"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|a| a["package"]["name"] == module.as_str())
                    .map(|_| id.clone())
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(ids, &blocks, "{module}");
        listed.extend(ids.iter().cloned());
    }
    assert_eq!(listed, files.keys().cloned().collect::<BTreeSet<_>>());

    // The records carry zero times, so db.json says the module's commit
    // time.
    assert!(files
        .values()
        .all(|r| r["modified"] == "0001-01-01T00:00:00Z"));
    assert_eq!(json("index/db.json")["modified"], common::FIXTURE_MODIFIED);
    // Records other tests use.
    for id in [
        "GO-2022-1059",
        "GO-2021-0113",
        "GO-2026-5970",
        "GO-2026-4923",
    ] {
        assert!(files.contains_key(id), "{id}");
    }
    assert!(files["GO-2026-4923"]["withdrawn"].is_string());
}
