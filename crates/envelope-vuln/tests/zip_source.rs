//! `vulndb.zip` sources, built here from part of the fixture database, and
//! robustness of the zip reader and the index parsers on arbitrary bytes.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Cursor;

use envelope_vuln::index::{parse_db_json, parse_modules_json};
use envelope_vuln::zip::ZipArchive;
use envelope_vuln::{Database, Entry, Error, OpenOptions, Source};
use proptest::prelude::*;

const MODULES: &[&str] = &["golang.org/x/text", "stdlib", "go.etcd.io/bbolt"];

fn write_db(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vulndb.zip");
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

fn open(path: &std::path::Path) -> Result<Database, Error> {
    Database::open(
        Source::parse(path.to_str().unwrap()),
        &OpenOptions::default(),
    )
}

#[test]
fn reads_a_zip_database() {
    for prefix in ["", "vulndb/"] {
        let zip = common::write_zip(&common::subset_entries(MODULES, prefix));
        let (_dir, path) = write_db(&zip);
        let db = open(&path).unwrap();
        assert!(matches!(db.info().source, Source::Zip(_)));
        assert_eq!(db.modified(), common::FIXTURE_MODIFIED);
        assert_eq!(db.info().modules, MODULES.len());

        let m = db.matches("golang.org/x/text", "v0.3.7").unwrap();
        let hit = m
            .iter()
            .find(|m| m.id() == "GO-2022-1059")
            .expect("GO-2022-1059");
        assert_eq!(hit.fixed.as_deref(), Some("v0.3.8"));
        assert!(db
            .matches("golang.org/x/text", "v0.3.8")
            .unwrap()
            .iter()
            .all(|m| m.id() != "GO-2022-1059"));

        // Same answers as the directory, for every module in the zip.
        let dir_db =
            Database::open(Source::Dir(common::fixture()), &OpenOptions::default()).unwrap();
        for module in MODULES {
            for v in ["v0.0.1", "v1.23.5", "v1.27.0", "v1.4.0", "v0.3.7"] {
                let ids = |d: &Database| -> Vec<String> {
                    d.matches(module, v)
                        .unwrap()
                        .iter()
                        .map(|m| format!("{} {:?}", m.id(), m.fixed))
                        .collect()
                };
                assert_eq!(ids(&db), ids(&dir_db), "{module} {v}");
            }
        }
        // A module outside the subset.
        assert!(db
            .vulns_for("github.com/submariner-io/submariner-operator")
            .unwrap()
            .is_empty());
    }
}

#[test]
fn listed_record_missing_from_zip() {
    let mut entries = common::subset_entries(&["golang.org/x/text"], "");
    entries.retain(|(name, _, _)| name != "ID/GO-2022-1059.json");
    let (_dir, path) = write_db(&common::write_zip(&entries));
    let db = open(&path).unwrap();
    let err = db.vulns_for("golang.org/x/text").unwrap_err();
    assert!(matches!(err, Error::MissingRecord { .. }), "{err}");
    assert!(err.to_string().contains("GO-2022-1059"), "{err}");
}

#[test]
fn not_a_database_zip() {
    let (_dir, path) = write_db(&common::write_zip(&[(
        "README".to_string(),
        b"hello".to_vec(),
        false,
    )]));
    let err = open(&path).unwrap_err();
    assert!(err.to_string().contains("index/db.json"), "{err}");

    let err = open(std::path::Path::new("/nonexistent/vulndb.zip")).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");

    let (_dir, path) = write_db(b"PK\x03\x04 this is not really a zip file at all, sorry");
    let err = open(&path).unwrap_err();
    assert!(matches!(err, Error::Zip { .. }), "{err}");
    assert!(err.to_string().contains("vulndb.zip"), "{err}");
}

#[test]
fn truncated_zip_is_an_error() {
    let zip = common::write_zip(&common::subset_entries(&["golang.org/x/text"], ""));
    // Every cut is an error: the end record is gone. Cuts are spread over
    // the whole file, including inside the central directory and the end
    // record.
    let step = (zip.len() / 400).max(1);
    let mut cuts: Vec<usize> = (0..zip.len()).step_by(step).collect();
    cuts.extend(zip.len().saturating_sub(60)..zip.len());
    for cut in cuts {
        let (_dir, path) = write_db(&zip[..cut]);
        let res = open(&path).and_then(|db| db.vulns_for("golang.org/x/text").map(|_| ()));
        assert!(res.is_err(), "cut at {cut} of {}", zip.len());
    }
}

#[test]
fn damaged_entry_data_is_an_error() {
    let entries = common::subset_entries(&["golang.org/x/text"], "");
    let zip = common::write_zip(&entries);
    let (_dir, path) = write_db(&zip);
    assert!(open(&path).is_ok());
    // Flip one byte in the middle of each record's data: inflate or the
    // CRC check catches it.
    let db_pos = |name: &str| {
        let needle = name.as_bytes();
        zip.windows(needle.len()).position(|w| w == needle).unwrap() + needle.len()
    };
    let mut caught = 0;
    for (name, data, _) in entries.iter().filter(|(n, _, _)| n.starts_with("ID/")) {
        let mut bad = zip.clone();
        let at = db_pos(name) + data.len().min(200) / 2;
        bad[at] ^= 0x55;
        let (_d, p) = write_db(&bad);
        let db = open(&p).unwrap();
        let err = db.vulns_for("golang.org/x/text").unwrap_err();
        assert!(
            matches!(err, Error::Zip { .. } | Error::Corrupt { .. }),
            "{err}"
        );
        caught += 1;
    }
    assert!(caught >= 2);
}

#[test]
fn zip_entry_limits() {
    let big = vec![b' '; 5 << 20];
    let zip = common::write_zip(&[("big".to_string(), big, true)]);
    let mut archive = ZipArchive::new(Cursor::new(zip)).unwrap();
    assert!(archive.read("big", 1 << 20).is_err());
    assert_eq!(
        archive.read("big", 8 << 20).unwrap().unwrap().len(),
        5 << 20
    );
    assert!(archive.read("missing", 1 << 20).unwrap().is_none());
}

/// Found by fuzzing: a deflated entry whose directory claims ~4 GB was
/// given a buffer of that size before a byte was inflated (with no limit
/// from the caller). Deflate cannot expand 1032 to 1, so such a claim is
/// refused before anything is allocated.
#[test]
fn an_impossible_inflated_size_is_refused_up_front() {
    let mut zip = common::write_zip(&[("x".to_string(), b"hello".to_vec(), true)]);
    let at = |i: usize| u32::from_le_bytes(zip[i..i + 4].try_into().unwrap()) as usize;
    let central = at(zip.len() - 6);
    zip[central + 24..central + 28].copy_from_slice(&0xffff_fffeu32.to_le_bytes());
    let mut archive = ZipArchive::new(Cursor::new(zip)).unwrap();
    let err = archive.read("x", u64::MAX).unwrap_err().to_string();
    assert!(err.contains("cannot inflate to the 4294967294"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn zip_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(mut archive) = ZipArchive::new(Cursor::new(bytes)) {
            let names: Vec<String> = archive.names().map(str::to_string).collect();
            for n in names {
                let _ = archive.read(&n, 1 << 20);
            }
        }
    }

    #[test]
    fn damaged_zip_never_panics(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        do_cut in any::<bool>(),
    ) {
        let entries = vec![
            ("index/db.json".to_string(), br#"{"modified":"2024-01-01T00:00:00Z"}"#.to_vec(), false),
            ("index/modules.json".to_string(), br#"[{"path":"m","vulns":[{"id":"GO-1"}]}]"#.to_vec(), true),
            ("ID/GO-1.json".to_string(), br#"{"id":"GO-1","affected":[{"package":{"name":"m"}}]}"#.to_vec(), true),
        ];
        let mut zip = common::write_zip(&entries);
        for (at, byte) in flips {
            let i = at.index(zip.len());
            zip[i] = byte;
        }
        if do_cut {
            let n = cut.index(zip.len());
            zip.truncate(n);
        }
        if let Ok(mut archive) = ZipArchive::new(Cursor::new(zip)) {
            let names: Vec<String> = archive.names().map(str::to_string).collect();
            for n in names {
                if let Ok(Some(data)) = archive.read(&n, 1 << 20) {
                    let _ = parse_modules_json(&data);
                    let _ = parse_db_json(&data);
                    let _ = Entry::from_json(&data);
                }
            }
        }
    }

    #[test]
    fn index_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_db_json(&bytes);
        let _ = parse_modules_json(&bytes);
        let _ = Entry::from_json(&bytes);
    }

    #[test]
    fn json_like_input_never_panics(s in r#"[\[\]{}":,a-z0-9 .-]{0,200}"#) {
        let _ = parse_db_json(s.as_bytes());
        let _ = parse_modules_json(s.as_bytes());
        if let Ok(e) = Entry::from_json(s.as_bytes()) {
            let _ = e.affects("m", "v1.0.0");
        }
    }

    #[test]
    fn modules_index_roundtrip(paths in proptest::collection::vec("[a-z]{1,8}(/[a-z]{1,8}){0,2}", 0..20)) {
        let json: Vec<serde_json::Value> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| serde_json::json!({"path": p, "vulns": [{"id": format!("GO-2024-{i:04}"), "modified": "x"}]}))
            .collect();
        let idx = parse_modules_json(&serde_json::to_vec(&json).unwrap()).unwrap();
        for (i, p) in paths.iter().enumerate() {
            let id = format!("GO-2024-{i:04}");
            prop_assert!(idx.get(p).iter().any(|v| v.id == id));
        }
    }
}
