//! Archives: `oci-archive` (a tar of an OCI layout) and `docker-archive` (the
//! form `docker save` writes since Docker 25: an OCI layout plus
//! manifest.json). Entries are sorted, owned by 0:0 with mtime 0, and the
//! file appears only when complete (temporary file, then rename).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use crate::atomic::{AtomicFile, Options};
use crate::image::{BlobData, ImageBlobs};
use crate::layout::REF_NAME;
use crate::tar::{self, EntryType, Header};
use crate::{
    media_types, to_json, Descriptor, Digest, Error, ImageConfiguration, ImageIndex, ImageManifest,
};

enum Content<'a> {
    Dir,
    Bytes(&'a [u8]),
    Blob(&'a BlobData),
}

fn write_tar(file: &Path, entries: &BTreeMap<String, Content<'_>>) -> Result<(), Error> {
    if file.is_dir() {
        return Err(Error::Layout {
            path: file.to_path_buf(),
            detail: "is a directory; an archive needs a file name".into(),
        });
    }
    let mut w = AtomicFile::create(file, Options::new())?;
    let io = |e| Error::io(file, e);
    for (path, content) in entries {
        let (entry, mode, len) = match content {
            Content::Dir => (EntryType::Dir, 0o755, 0),
            Content::Bytes(b) => (
                EntryType::File {
                    size: b.len() as u64,
                },
                0o644,
                b.len() as u64,
            ),
            Content::Blob(BlobData::Bytes(b)) => (
                EntryType::File {
                    size: b.len() as u64,
                },
                0o644,
                b.len() as u64,
            ),
            Content::Blob(BlobData::File(p)) => {
                let n = std::fs::metadata(p).map_err(|e| Error::io(p, e))?.len();
                (EntryType::File { size: n }, 0o644, n)
            }
        };
        tar::write_header(
            &mut w,
            &Header {
                path,
                entry,
                mode,
                uid: 0,
                gid: 0,
                mtime: 0,
            },
        )
        .map_err(io)?;
        match content {
            Content::Dir => {}
            Content::Bytes(b) => w.write_all(b).map_err(io)?,
            Content::Blob(BlobData::Bytes(b)) => w.write_all(b).map_err(io)?,
            Content::Blob(BlobData::File(p)) => {
                let f = std::fs::File::open(p).map_err(|e| Error::io(p, e))?;
                let copied = std::io::copy(&mut f.take(len), &mut w).map_err(io)?;
                if copied != len {
                    return Err(Error::Layout {
                        path: p.clone(),
                        detail: "changed size while being archived".into(),
                    });
                }
            }
        }
        w.write_all(&vec![0u8; tar::padding(len)]).map_err(io)?;
    }
    tar::write_end(&mut w).map_err(io)?;
    w.commit()
}

fn blob_entry(d: &Digest) -> String {
    format!("blobs/{}/{}", d.algorithm(), d.hex())
}

fn layout_entries<'a>(
    blobs: impl Iterator<Item = (&'a Digest, &'a BlobData)>,
    index: &'a [u8],
) -> BTreeMap<String, Content<'a>> {
    let mut e = BTreeMap::new();
    e.insert("blobs/".to_string(), Content::Dir);
    e.insert("blobs/sha256/".to_string(), Content::Dir);
    e.insert(
        "oci-layout".to_string(),
        Content::Bytes(br#"{"imageLayoutVersion":"1.0.0"}"#),
    );
    e.insert("index.json".to_string(), Content::Bytes(index));
    for (d, b) in blobs {
        e.insert(blob_entry(d), Content::Blob(b));
    }
    e
}

fn index_for(root: &Descriptor, annotations: BTreeMap<String, String>) -> Vec<u8> {
    let mut d = root.clone();
    d.platform = None;
    d.annotations = (!annotations.is_empty()).then_some(annotations);
    let mut idx = ImageIndex::empty();
    idx.manifests.push(d);
    to_json(&idx)
}

/// Verifies every blob before it goes into an archive.
fn verify_all(image: &ImageBlobs) -> Result<(), Error> {
    for d in image.blobs.keys() {
        image.read(d)?;
    }
    Ok(())
}

pub fn write_oci_archive(file: &Path, image: &ImageBlobs, tag: Option<&str>) -> Result<(), Error> {
    verify_all(image)?;
    let ann = tag
        .map(|t| {
            [(REF_NAME.to_string(), t.to_string())]
                .into_iter()
                .collect()
        })
        .unwrap_or_default();
    let index = index_for(&image.root, ann);
    write_tar(file, &layout_entries(image.blobs.iter(), &index))
}

fn json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Json {
        what: what.to_string(),
        detail: e.to_string(),
    })
}

fn decompress(bytes: &[u8], desc: &Descriptor) -> Result<Vec<u8>, Error> {
    let err = |e: std::io::Error| Error::Decompress {
        digest: desc.digest.clone(),
        media_type: desc.media_type.clone(),
        detail: e.to_string(),
    };
    let mut out = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(err)?;
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        zstd::stream::read::Decoder::new(bytes)
            .map_err(err)?
            .read_to_end(&mut out)
            .map_err(err)?;
    } else {
        out = bytes.to_vec();
    }
    Ok(out)
}

/// Writes what `docker load` and `podman load` read: manifest.json naming
/// the config and UNCOMPRESSED layer tars (every loader accepts those), and
/// the OCI layout of the same image as Docker 25 writes it.
pub fn write_docker_archive(
    file: &Path,
    image: &ImageBlobs,
    reference: Option<&str>,
) -> Result<(), Error> {
    let manifests: Vec<Descriptor> = if media_types::is_index(&image.root.media_type) {
        let idx: ImageIndex = json(&image.read(&image.root.digest)?, "image index")?;
        idx.manifests
            .into_iter()
            .filter(|d| media_types::is_manifest(&d.media_type))
            .collect()
    } else {
        vec![image.root.clone()]
    };
    let mut blobs: BTreeMap<Digest, BlobData> = BTreeMap::new();
    let mut docker_manifest = Vec::new();
    let mut new_descs = Vec::new();
    for (i, desc) in manifests.iter().enumerate() {
        let m: ImageManifest = json(&image.read(&desc.digest)?, "manifest")?;
        let config_bytes = image.read(&m.config.digest)?;
        let config: ImageConfiguration = json(&config_bytes, "image config")?;
        let mut layers = Vec::new();
        for (n, l) in m.layers.iter().enumerate() {
            let tar_bytes = decompress(&image.read(&l.digest)?, l)?;
            let diff_id = Digest::sha256(&tar_bytes);
            if let Some(want) = config.rootfs.diff_ids.get(n) {
                if *want != diff_id {
                    return Err(Error::DigestMismatch {
                        what: format!("uncompressed layer {}", l.digest),
                        expected: want.clone(),
                        actual: diff_id,
                    });
                }
            }
            layers.push(Descriptor {
                media_type: media_types::OCI_LAYER_TAR.to_string(),
                digest: diff_id.clone(),
                size: tar_bytes.len() as u64,
                urls: None,
                annotations: None,
                platform: None,
                artifact_type: None,
            });
            blobs.insert(diff_id, BlobData::Bytes(Arc::new(tar_bytes)));
        }
        blobs.insert(
            m.config.digest.clone(),
            BlobData::Bytes(Arc::new(config_bytes)),
        );
        let mut config_desc = m.config.clone();
        config_desc.media_type = media_types::OCI_CONFIG.to_string();
        let new_manifest = ImageManifest {
            schema_version: 2,
            media_type: Some(media_types::OCI_MANIFEST.to_string()),
            artifact_type: None,
            config: config_desc,
            layers: layers.clone(),
            subject: None,
            annotations: m.annotations.clone(),
        };
        let bytes = to_json(&new_manifest);
        let mut nd = Descriptor {
            media_type: media_types::OCI_MANIFEST.to_string(),
            digest: Digest::sha256(&bytes),
            size: bytes.len() as u64,
            urls: None,
            annotations: None,
            platform: desc.platform.clone(),
            artifact_type: None,
        };
        blobs.insert(nd.digest.clone(), BlobData::Bytes(Arc::new(bytes)));
        // Loaders that read manifest.json (docker load without the
        // containerd store, podman, skopeo) take exactly one entry: the first
        // platform. The OCI index beside it carries them all.
        if i == 0 {
            docker_manifest.push(serde_json::json!({
                "Config": blob_entry(&m.config.digest),
                "RepoTags": reference.into_iter().collect::<Vec<_>>(),
                "Layers": layers.iter().map(|l| blob_entry(&l.digest)).collect::<Vec<_>>(),
            }));
        }
        if manifests.len() == 1 {
            nd.platform = None;
        }
        new_descs.push(nd);
    }
    let root = if manifests.len() == 1 {
        new_descs.remove(0)
    } else {
        let mut idx = ImageIndex::empty();
        idx.manifests = new_descs;
        let bytes = to_json(&idx);
        let d = Descriptor {
            media_type: media_types::OCI_INDEX.to_string(),
            digest: Digest::sha256(&bytes),
            size: bytes.len() as u64,
            urls: None,
            annotations: None,
            platform: None,
            artifact_type: None,
        };
        blobs.insert(d.digest.clone(), BlobData::Bytes(Arc::new(bytes)));
        d
    };
    let mut ann = BTreeMap::new();
    if let Some(r) = reference {
        ann.insert("io.containerd.image.name".to_string(), r.to_string());
        if let Some((_, tag)) = r.rsplit_once(':').filter(|(_, t)| !t.contains('/')) {
            ann.insert(REF_NAME.to_string(), tag.to_string());
        }
    }
    let index = index_for(&root, ann);
    let manifest_json = serde_json::to_vec(&docker_manifest).unwrap_or_default();
    let mut entries = layout_entries(blobs.iter(), &index);
    entries.insert("manifest.json".to_string(), Content::Bytes(&manifest_json));
    write_tar(file, &entries)
}
