//! Indexing a 1 GB image of 50,000 files stays far below 200 MB of memory:
//! the layers are generated while they are read (never held whole), and
//! the index keeps records, not contents. Alone in its test binary so the
//! process's peak memory is this test's.

mod generated;

use std::io::Read;

use envelope_layer::{index_layers, ContentVisitor, LayerInput, Limits, Node, NodeKind};
use generated::{header, peak_rss_kib, Generated};

fn dir_of(i: usize) -> String {
    format!("usr/share/pkg{:03}", i / 100)
}

fn size_of(i: usize) -> u64 {
    17_000 + (i as u64 % 9) * 1_000
}

fn base_layer(count: usize) -> Generated {
    let entries = (0..count).flat_map(|i| {
        let mut v = Vec::new();
        if i == 0 {
            v.push((header("usr/", b'5', 0), 0));
            v.push((header("usr/share/", b'5', 0), 0));
        }
        if i % 100 == 0 {
            v.push((header(&format!("{}/", dir_of(i)), b'5', 0), 0));
        }
        let size = size_of(i);
        v.push((
            header(&format!("{}/file{i}.dat", dir_of(i)), b'0', size),
            size,
        ));
        v
    });
    Generated::new(Box::new(entries))
}

/// Rewrites every 10th file, deletes every 25th directory.
fn upper_layer(count: usize) -> Generated {
    let entries = (0..count).flat_map(|i| {
        let mut v = Vec::new();
        if i % 2500 == 0 {
            let d = dir_of(i);
            let (parent, base) = d.rsplit_once('/').unwrap_or(("", &d));
            v.push((header(&format!("{parent}/.wh.{base}"), b'0', 0), 0));
        } else if i % 10 == 0 && (i / 100) % 25 != 0 {
            v.push((
                header(&format!("{}/file{i}.dat", dir_of(i)), b'0', 777),
                777,
            ));
        }
        v
    });
    Generated::new(Box::new(entries))
}

struct Prefix {
    visited: usize,
}

impl ContentVisitor for Prefix {
    fn wants(&mut self, path: &str, _: &Node) -> bool {
        path.ends_with("0.dat")
    }
    fn visit(&mut self, _: &str, _: &Node, data: &mut dyn Read) -> std::io::Result<()> {
        let mut b = [0u8; 64];
        data.read_exact(&mut b)?;
        self.visited += 1;
        Ok(())
    }
}

#[test]
fn a_gigabyte_of_fifty_thousand_files_indexes_in_little_memory() {
    let count = 50_000;
    let total: u64 = (0..count).map(size_of).sum();
    assert!(total > 1_000_000_000, "{total}");
    let layers = vec![
        LayerInput {
            reader: Box::new(envelope_layer::fs::Streamed(base_layer(count))),
            descriptor: None,
            diff_id: None,
        },
        LayerInput {
            reader: Box::new(envelope_layer::fs::Streamed(upper_layer(count))),
            descriptor: None,
            diff_id: None,
        },
    ];
    let mut v = Prefix { visited: 0 };
    let fs = index_layers(layers, &mut v, &Limits::default()).expect("index");
    // 20 directories of 100 files deleted; 1 in 10 of the rest rewritten.
    let files = fs.iter().filter(|(_, n)| n.kind == NodeKind::File).count();
    assert_eq!(files, count - 2_000);
    let rewritten = fs
        .iter()
        .filter(|(_, n)| n.kind == NodeKind::File && n.layer == 1)
        .count();
    assert_eq!(rewritten, (count - 2_000) / 10);
    assert!(fs.layers[0].tar_size > total);
    assert_eq!(v.visited, (count - 2_000) / 10);
    assert!(fs.efficiency.wasted_bytes > 0);
    assert!(fs.efficiency.score > 0.0 && fs.efficiency.score < 1.0);
    if let Some(kib) = peak_rss_kib() {
        eprintln!("peak RSS {} MiB", kib / 1024);
        assert!(kib < 100 * 1024, "peak RSS {kib} KiB");
    }
}
