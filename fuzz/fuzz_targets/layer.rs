//! Any documents as the layers of an image (bottom first, at most
//! three), indexed into its filesystem with small limits: a document that
//! starts with byte 1 is the rest gzip-compressed, with byte 2 the rest
//! zstd-compressed (as envelope compresses layers), otherwise it is the
//! layer's bytes as they are. Every
//! file is read by a visitor that wants them all (hidden ones too), and
//! the filesystem is walked (lookups, symlinks resolved, folders listed).
//! No panic; the same layers give the same result read through, verified
//! against their digests, or seekable; what is indexed is consistent.
#![no_main]

use std::io::{Cursor, Read};

use envelope_fuzz::split;
use envelope_layer::fs::{
    index_layers, ContentVisitor, ImageFs, LayerInput, Limits, Node, NodeKind,
};
use envelope_layer::{compress_tar, Compression, Layer};
use libfuzzer_sys::fuzz_target;

/// Reads a little of every file, and counts what it saw.
struct Everything {
    visited: usize,
}

impl ContentVisitor for Everything {
    fn wants(&mut self, _: &str, _: &Node) -> bool {
        true
    }
    fn visit(&mut self, _: &str, node: &Node, data: &mut dyn Read) -> std::io::Result<()> {
        let mut buf = Vec::new();
        data.take(4096).read_to_end(&mut buf)?;
        assert!(buf.len() as u64 <= node.size);
        self.visited += 1;
        Ok(())
    }
    fn hidden(&mut self, _: &str, _: &Node) -> bool {
        true
    }
}

fn layer(doc: &[u8]) -> Option<Layer> {
    match doc.split_first() {
        Some((1, rest)) => compress_tar(rest, Compression::Gzip),
        Some((2, rest)) => compress_tar(rest, Compression::Zstd),
        _ => compress_tar(doc, Compression::None),
    }
    .ok()
}

fn walk(fs: &ImageFs) {
    for (path, node) in fs.iter() {
        assert!(path.starts_with('/') && path != "/", "{path:?}");
        assert_eq!(fs.get(&path).as_ref(), Some(&node));
        match node.kind {
            NodeKind::Symlink => {
                let _ = fs.resolve(&path);
            }
            NodeKind::Dir => {
                for (child, _) in fs.list_dir(&path) {
                    assert!(child.starts_with(&path));
                }
                assert!(fs.subtree(&path).count() >= 1);
            }
            _ => {}
        }
    }
    let _ = fs.total_size();
    assert!(fs.efficiency.score.is_finite() || fs.efficiency.score.is_nan());
}

fuzz_target!(|data: &[u8]| {
    let Some(layers) = split(data, 3)
        .into_iter()
        .map(layer)
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    let limits = Limits {
        max_entries: 5_000,
        max_layer_bytes: 1 << 22,
        max_header_bytes: 1 << 14,
    };
    let mut seen = Everything { visited: 0 };
    let read = index_layers(
        layers
            .iter()
            .map(|l| LayerInput::new(Cursor::new(l.blob.to_vec()), None))
            .collect(),
        &mut seen,
        &limits,
    );
    let verified = index_layers(
        layers
            .iter()
            .map(|l| LayerInput::new(Cursor::new(l.blob.to_vec()), Some(l.descriptor())))
            .collect(),
        &mut Everything { visited: 0 },
        &limits,
    );
    let seekable = index_layers(
        layers
            .iter()
            .map(|l| LayerInput::seekable(Cursor::new(l.blob.to_vec())))
            .collect(),
        &mut Everything { visited: 0 },
        &limits,
    );
    assert_eq!(read.is_ok(), verified.is_ok());
    assert_eq!(read.is_ok(), seekable.is_ok());
    if let (Ok(a), Ok(b), Ok(c)) = (&read, &verified, &seekable) {
        let listed = |fs: &ImageFs| fs.iter().collect::<Vec<_>>();
        assert_eq!(listed(a), listed(b));
        assert_eq!(listed(a), listed(c));
        assert!(a.len() <= limits.max_entries);
        walk(a);
    }
});
