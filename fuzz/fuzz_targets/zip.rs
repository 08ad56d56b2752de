//! Any bytes through the zip reader of the vulnerability database: the
//! central directory, then every entry read with a small limit and with
//! none, and the bytes opened as a `vulndb.zip` (its index and the records
//! of every module it lists). No panic, no entry longer than the limit it
//! was read with.
#![no_main]

use std::io::Cursor;

use envelope_fuzz::scratch;
use envelope_vuln::zip::ZipArchive;
use envelope_vuln::{Database, OpenOptions, Source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut zip) = ZipArchive::new(Cursor::new(data)) {
        let mut names: Vec<String> = zip.names().map(str::to_string).collect();
        names.sort();
        assert_eq!(names.len(), zip.len());
        for name in names.iter().take(64) {
            assert!(zip.contains(name));
            for limit in [1024, u64::MAX] {
                if let Ok(Some(bytes)) = zip.read(name, limit) {
                    assert!(bytes.len() as u64 <= limit);
                }
            }
        }
    }

    let file = scratch("zip").join("vulndb.zip");
    std::fs::write(&file, data).expect("write");
    let opts = OpenOptions {
        stale_after: None,
        ..OpenOptions::default()
    };
    if let Ok(db) = Database::open(Source::Zip(file), &opts) {
        let modules: Vec<String> = db.modules().take(32).map(str::to_string).collect();
        for m in &modules {
            let _ = db.vulns_for(m);
            let _ = db.matches(m, "v1.0.0");
        }
    }
});
