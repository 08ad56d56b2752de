//! Any documents as the members of an image archive (written by the layer
//! writer, so sorted): each document is a member name, a newline, and its
//! bytes (see the crate's doc for how
//! they name each other, `blobs/sha256/<h1>` included). The archive is
//! opened as a docker-archive (its manifest.json, or its index.json) and
//! as an oci-archive, with and without a reference, and the input itself
//! is opened as an archive too. No panic, and what is handed out verified
//! is what its descriptor names. The oci-archive is also unpacked whole
//! into a layout, as `copy` does to carry signatures, and what refers to
//! each of its entries is collected from there.
#![no_main]

use envelope_fuzz::{archive, read_image, resolve, scratch, split};
use envelope_oci::{ImageStore, Platform};
use envelope_registry::carry;
use envelope_registry::signatures::Target;
use libfuzzer_sys::fuzz_target;

/// A member's name and bytes.
fn member(doc: &[u8]) -> (&[u8], &[u8]) {
    match doc.iter().position(|&b| b == b'\n') {
        Some(at) => (&doc[..at], &doc[at + 1..]),
        None => (doc, &[]),
    }
}

fuzz_target!(|data: &[u8]| {
    let docs = resolve(&split(data, 10), |d| member(d).1);
    let members: Vec<(String, &[u8])> = docs
        .iter()
        .map(|d| {
            let (name, bytes) = member(d);
            (String::from_utf8_lossy(name).into_owned(), bytes)
        })
        .collect();

    let dir = scratch("docker-archive");
    let built = dir.join("built.tar");
    let raw = dir.join("raw.tar");
    std::fs::write(&built, archive(&members)).expect("write");
    std::fs::write(&raw, data).expect("write");
    let platforms = [None, Some(Platform::linux_amd64())];
    for file in [&built, &raw] {
        for reference in [None, Some("example.com/app:v1"), Some("latest")] {
            if let Ok(store) = ImageStore::docker_archive(file, reference) {
                read_image(&store, &platforms);
            }
            if let Ok(store) = ImageStore::oci_archive(file, reference) {
                read_image(&store, &platforms);
            }
        }
        let unpacked = dir.join("unpacked");
        let _ = std::fs::remove_dir_all(&unpacked);
        if let Ok(layout) = envelope_oci::unpack_oci_archive(file, &unpacked) {
            if let Ok(index) = layout.index() {
                let _ = carry::collect(&Target::Layout(layout), &index.manifests);
            }
        }
    }
});
