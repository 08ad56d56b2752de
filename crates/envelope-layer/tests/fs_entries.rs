//! The index's memory per tar entry: a layer of many empty files (the
//! shape that costs the most per byte of input) is indexed in at most 120
//! bytes of peak memory per entry. Alone in its test binary so the
//! process's peak memory is this test's.

mod generated;

use envelope_layer::{index_layers, LayerInput, Limits, NoContent, NodeKind};
use generated::{header, peak_rss_kib, Generated};

/// `count` empty files in directories of 1,000.
fn empty_files(count: usize) -> Generated {
    let entries = (0..count).flat_map(|i| {
        let mut v = Vec::new();
        if i % 1000 == 0 {
            v.push((header(&format!("data/d{:05}/", i / 1000), b'5', 0), 0));
        }
        v.push((
            header(&format!("data/d{:05}/file{i:07}", i / 1000), b'0', 0),
            0,
        ));
        v
    });
    Generated::new(Box::new(entries))
}

#[test]
fn many_empty_files_cost_at_most_120_bytes_each() {
    let count: usize = std::env::var("ENVELOPE_TEST_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500_000);
    let before = peak_rss_kib();
    let started = std::time::Instant::now();
    let layers = vec![LayerInput::new(empty_files(count), None)];
    let fs = index_layers(layers, &mut NoContent, &Limits::default()).expect("index");
    let elapsed = started.elapsed();
    let files = fs.iter().filter(|(_, n)| n.kind == NodeKind::File).count();
    assert_eq!(files, count);
    assert!(fs.get("/data/d00000/file0000999").is_some());
    assert_eq!(fs.list_dir("/data/d00001").count(), 1000.min(count - 1000));
    let (Some(before), Some(after)) = (before, peak_rss_kib()) else {
        return;
    };
    let per_entry = (after.saturating_sub(before) * 1024) / count as u64;
    eprintln!("{count} entries in {elapsed:?}: {per_entry} bytes per entry at the peak");
    assert!(per_entry <= 120, "{per_entry} bytes per entry");
    drop(fs);
}
