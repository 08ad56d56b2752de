//! Any documents as an OCI layout: the first is index.json, the others
//! its blobs (see the crate's doc for how they name each other). Each is
//! read as every model type (manifest, index, config, descriptor), and
//! what reads must print back to the same value; the layout is opened the
//! ways the commands open it (the referrers, and `read_image`: the root,
//! every blob, the image of each platform, each layer streamed and
//! verified). No panic, and a blob handed out verified is the one its
//! descriptor names.
#![no_main]

use envelope_fuzz::{read_image, resolve, scratch, split};
use envelope_oci::{
    to_json, Descriptor, Digest, ImageConfiguration, ImageIndex, ImageManifest, ImageStore,
    OciLayout, Platform,
};
use libfuzzer_sys::fuzz_target;

fn round_trips<T>(doc: &[u8])
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    if let Ok(v) = serde_json::from_slice::<T>(doc) {
        let again: T = serde_json::from_slice(&to_json(&v)).expect("printed JSON reads back");
        assert_eq!(again, v);
    }
}

fuzz_target!(|data: &[u8]| {
    let docs = resolve(&split(data, 10), |b| b);
    for d in &docs {
        round_trips::<ImageManifest>(d);
        round_trips::<ImageIndex>(d);
        round_trips::<ImageConfiguration>(d);
        round_trips::<Descriptor>(d);
        if let Ok(text) = std::str::from_utf8(d) {
            if let Ok(digest) = text.parse::<Digest>() {
                assert_eq!(digest.to_string().parse::<Digest>().ok(), Some(digest));
            }
        }
    }

    let dir = scratch("manifest");
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("blobs folder");
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).expect("write");
    std::fs::write(dir.join("index.json"), &docs[0]).expect("write");
    for d in &docs[1..] {
        std::fs::write(blobs.join(Digest::sha256(d).hex()), d).expect("write");
    }

    if let Ok(layout) = OciLayout::open(&dir) {
        if let Ok(index) = layout.index() {
            for m in &index.manifests {
                let _ = layout.referrers(&m.digest);
            }
        }
    }
    let platforms = [
        None,
        Some(Platform::linux_amd64()),
        Some(Platform::new("linux", "arm64")),
    ];
    for tag in [None, Some("latest")] {
        if let Ok(store) = ImageStore::oci_layout(&dir, tag) {
            read_image(&store, &platforms);
        }
    }
});
