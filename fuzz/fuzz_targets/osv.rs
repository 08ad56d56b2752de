//! Any documents as a Go vulnerability database folder: the first is
//! index/db.json, the second index/modules.json, the others records
//! (ID/<id>.json, named by their `id`). Each document is read as a record
//! and as both index files; records are matched against the versions they
//! name; the folder is opened and every module it lists is matched. No
//! panic, Go semver comparison is a total order on the versions seen,
//! and a record prints back to itself.
#![no_main]

use std::cmp::Ordering;

use envelope_fuzz::{scratch, split};
use envelope_vuln::index::{parse_db_json, parse_modules_json, valid_id};
use envelope_vuln::{semver, Database, Entry, OpenOptions, Source};
use libfuzzer_sys::fuzz_target;

/// The versions a record names, as a module version (with the `v`).
fn versions(e: &Entry) -> Vec<String> {
    let mut out = vec!["v0.0.0".to_string(), "v1.0.0".to_string()];
    for a in &e.affected {
        for r in &a.ranges {
            for ev in &r.events {
                for v in [&ev.introduced, &ev.fixed, &ev.last_affected]
                    .into_iter()
                    .flatten()
                {
                    out.push(semver::canonical_osv(v));
                }
            }
        }
    }
    out.truncate(16);
    out
}

fn check_order(vs: &[String]) {
    for a in vs {
        assert_eq!(semver::compare(a, a), Ordering::Equal, "{a}");
        for b in vs {
            let ab = semver::compare(a, b);
            assert_eq!(ab, semver::compare(b, a).reverse(), "{a} {b}");
            for c in vs {
                if ab != Ordering::Greater && semver::compare(b, c) != Ordering::Greater {
                    assert_ne!(semver::compare(a, c), Ordering::Greater, "{a} {b} {c}");
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let docs = split(data, 12);
    for d in &docs {
        let _ = parse_db_json(d);
        if let Ok(index) = parse_modules_json(d) {
            let _ = index.entry_count();
        }
        if let Ok(e) = Entry::from_json(d) {
            let again = Entry::from_json(&serde_json::to_vec(&e).expect("prints"))
                .expect("printed record reads back");
            assert_eq!(again, e);
            let vs = versions(&e);
            check_order(&vs);
            for a in &e.affected {
                for v in &vs {
                    let _ = e.affects(&a.package.name, v);
                    let _ = e.fixed_after(&a.package.name, v);
                    let _ = a.fixed_after(v);
                }
            }
            let _ = e.url();
        }
    }

    let dir = scratch("osv");
    std::fs::create_dir_all(dir.join("index")).expect("mkdir");
    std::fs::create_dir_all(dir.join("ID")).expect("mkdir");
    let mut docs = docs.into_iter();
    for name in ["index/db.json", "index/modules.json"] {
        if let Some(d) = docs.next() {
            std::fs::write(dir.join(name), d).expect("write");
        }
    }
    for d in docs {
        let id = serde_json::from_slice::<serde_json::Value>(d)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_string))
            .filter(|id| valid_id(id));
        if let Some(id) = id {
            std::fs::write(dir.join("ID").join(format!("{id}.json")), d).expect("write");
        }
    }
    let opts = OpenOptions {
        stale_after: None,
        ..OpenOptions::default()
    };
    if let Ok(db) = Database::open(Source::Dir(dir), &opts) {
        let modules: Vec<String> = db.modules().take(32).map(str::to_string).collect();
        let _ = db.prefetch(modules.iter().map(String::as_str));
        for m in &modules {
            for v in ["v0.0.1", "v1.2.3", "v1.22.0-rc.1", "go1.21.5", "(devel)"] {
                if let Ok(found) = db.matches(m, v) {
                    assert!(found.windows(2).all(|w| w[0].id() <= w[1].id()));
                }
            }
        }
    }
});
