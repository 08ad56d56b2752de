//! What the fuzz targets share: one input cut into several documents,
//! digests a fuzzer cannot compute filled in for it, a scratch folder per
//! process, a tar archive of named members, and an image read through.
//!
//! Several targets need more than one document (an index.json and the
//! blobs it names, a database index and its records). An input holds them
//! separated by [`SEPARATOR`]; in a document, `<dN>`, `<hN>` and `<sN>`
//! stand for the digest (`sha256:HEX`), the hex and the size of document
//! N (0 to 9) when N comes after it, so a mutated blob is still found by
//! the index that names it, and only the checks after the lookup fail.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use envelope_layer::{FileData, LayerBuilder};
use envelope_oci::{Digest, ImageStore, Platform};

/// Between the documents of one input.
pub const SEPARATOR: &[u8] = b"\n%%\n";

/// The documents of an input, at most `max`: the last one keeps the rest.
pub fn split(data: &[u8], max: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() + 1 < max {
        let Some(at) = rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) else {
            break;
        };
        out.push(&rest[..at]);
        rest = &rest[at + SEPARATOR.len()..];
    }
    out.push(rest);
    out
}

/// The documents with their placeholders filled in, from the last one
/// back (a document can name only those after it, so no cycle). `body`
/// gives the part of a document its digest is taken of (a member's bytes
/// after its name, say); the rest may name the document itself (a blob
/// member named by its digest), filled in last.
pub fn resolve(docs: &[&[u8]], body: impl Fn(&[u8]) -> &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = vec![Vec::new(); docs.len()];
    let mut facts: Vec<Option<(Digest, usize)>> = vec![None; docs.len()];
    for i in (0..docs.len()).rev() {
        let filled = fill(docs[i], |n| facts.get(n).cloned().flatten());
        let b = body(&filled);
        let own = (Digest::sha256(b), b.len());
        out[i] = fill(&filled, |n| (n == i).then(|| own.clone()));
        facts[i] = Some(own);
    }
    out
}

fn fill(doc: &[u8], fact: impl Fn(usize) -> Option<(Digest, usize)>) -> Vec<u8> {
    let mut out = Vec::with_capacity(doc.len());
    let mut i = 0;
    while i < doc.len() {
        if let Some(&[b'<', kind, n, b'>']) = doc.get(i..i + 4) {
            if n.is_ascii_digit() {
                if let Some((d, size)) = fact(usize::from(n - b'0')) {
                    match kind {
                        b'd' => out.extend_from_slice(d.to_string().as_bytes()),
                        b'h' => out.extend_from_slice(d.hex().as_bytes()),
                        b's' => out.extend_from_slice(size.to_string().as_bytes()),
                        _ => out.extend_from_slice(&doc[i..i + 4]),
                    }
                    i += 4;
                    continue;
                }
            }
        }
        out.push(doc[i]);
        i += 1;
    }
    out
}

/// An empty folder for this process's files, emptied on every call.
/// `scripts/fuzz` points `TMPDIR` at a folder it removes afterwards.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("envelope-fuzz-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the scratch folder can be made");
    dir
}

/// A tar archive of regular files, written by envelope's layer writer
/// (sorted, parent folders added); names it refuses (`..`, NUL, a file
/// under a file) are left out.
pub fn archive(members: &[(String, &[u8])]) -> Vec<u8> {
    let mut b = LayerBuilder::new(0);
    for (name, data) in members {
        let _ = b.file(name, FileData::Bytes(Arc::new(data.to_vec())), 0o644, 0, 0);
    }
    let mut out = Vec::new();
    // Writing to a Vec cannot fail; a file it could not read would.
    let _ = b.write_tar(&mut out);
    out
}

/// Reads an opened image the ways the commands do: the root, every blob
/// (for a copy), and the image of each platform given, its layers
/// streamed and verified. What is handed out verified must be what its
/// descriptor names.
pub fn read_image(store: &ImageStore<'_>, platforms: &[Option<Platform>]) {
    if let Ok(bytes) = store.root_bytes() {
        assert!(store.root().digest.matches(&bytes));
    }
    if let Ok(all) = store.blobs(None) {
        for d in all.blobs.keys() {
            let _ = all.read(d);
        }
    }
    for p in platforms {
        let _ = store.blobs(p.as_ref());
        let Ok(image) = store.image(p.as_ref()) else {
            continue;
        };
        assert!(image.config_digest.matches(&image.config_bytes));
        for layer in image.layers() {
            let Ok(mut r) = image.open_blob(layer) else {
                continue;
            };
            let mut bytes = Vec::new();
            if r.read_to_end(&mut bytes).is_ok() {
                assert!(layer.digest.matches(&bytes), "a verified read");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_fills() {
        let docs = split(b"a <d1> <s1>\n%%\nxyz\n%%\nrest\n%%\nmore", 3);
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[2], b"rest\n%%\nmore");
        let filled = resolve(&docs, |b| b);
        let d = Digest::sha256(b"xyz");
        assert_eq!(filled[0], format!("a {d} 3").into_bytes());
        // Earlier documents are not filled in; the document itself is,
        // outside its body.
        assert_eq!(resolve(&[b"x", b"<d0>"], |b| b)[1], b"<d0>");
        let named = resolve(&[b"<h0>\nbody"], |b| &b[b.len() - 4..]);
        assert_eq!(
            named[0],
            format!("{}\nbody", Digest::sha256(b"body").hex()).into_bytes()
        );
    }
}
