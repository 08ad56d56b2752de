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

/// The members of an archive file, read lazily.
struct Archive {
    file: std::fs::File,
    path: std::path::PathBuf,
    members: BTreeMap<String, crate::tar::Member>,
}

/// No archive member envelope reads is larger than this.
const MEMBER_LIMIT: u64 = 16 << 30;

impl Archive {
    fn open(path: &Path) -> Result<Archive, Error> {
        let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let members =
            crate::tar::list_members(&mut file, 1_000_000).map_err(|detail| Error::Layout {
                path: path.to_path_buf(),
                detail: format!("not a readable tar archive: {detail}"),
            })?;
        Ok(Archive {
            file,
            path: path.to_path_buf(),
            members,
        })
    }

    fn get(&mut self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        let Some(m) = self.members.get(name).cloned() else {
            return Ok(None);
        };
        crate::tar::read_member(&mut self.file, &m, MEMBER_LIMIT)
            .map(Some)
            .map_err(|detail| Error::Layout {
                path: self.path.clone(),
                detail,
            })
    }

    fn need(&mut self, name: &str) -> Result<Vec<u8>, Error> {
        self.get(name)?.ok_or_else(|| Error::Layout {
            path: self.path.clone(),
            detail: format!("has no {name}"),
        })
    }

    /// A blob named by digest, verified.
    fn blob(&mut self, d: &Digest) -> Result<Vec<u8>, Error> {
        let bytes = self.need(&blob_entry(d))?;
        if !d.matches(&bytes) {
            return Err(Error::DigestMismatch {
                what: format!("{} in {}", blob_entry(d), self.path.display()),
                expected: d.clone(),
                actual: Digest::sha256(&bytes),
            });
        }
        Ok(bytes)
    }

    /// The image an OCI index.json in the archive names (by tag, or the
    /// only one), with every blob it reaches.
    fn oci_image(&mut self, tag: Option<&str>) -> Result<ImageBlobs, Error> {
        let index: ImageIndex = json(&self.need("index.json")?, "index.json")?;
        let matches = |d: &&Descriptor| {
            let ann = d.annotations.as_ref();
            tag.is_none_or(|t| {
                ann.and_then(|a| a.get(REF_NAME)).is_some_and(|n| n == t)
                    || ann
                        .and_then(|a| a.get("io.containerd.image.name"))
                        .is_some_and(|n| {
                            n == t || n.ends_with(&format!("/{t}")) || n.ends_with(&format!(":{t}"))
                        })
            })
        };
        let found: Vec<&Descriptor> = index.manifests.iter().filter(matches).collect();
        let root = match found.as_slice() {
            [one] => (*one).clone(),
            [] => {
                return Err(Error::Layout {
                    path: self.path.clone(),
                    detail: format!(
                        "holds no image{}",
                        tag.map(|t| format!(" tagged {t:?}")).unwrap_or_default()
                    ),
                })
            }
            _ => {
                return Err(Error::Layout {
                    path: self.path.clone(),
                    detail: "holds several images; name one with :TAG".into(),
                })
            }
        };
        let mut image = ImageBlobs::new(Descriptor {
            annotations: None,
            platform: None,
            ..root.clone()
        });
        let mut stack = vec![root];
        while let Some(d) = stack.pop() {
            let bytes = self.blob(&d.digest)?;
            if media_types::is_index(&d.media_type) {
                let idx: ImageIndex = json(&bytes, "image index")?;
                stack.extend(idx.manifests);
            } else if media_types::is_manifest(&d.media_type) {
                let m: ImageManifest = json(&bytes, "manifest")?;
                for b in std::iter::once(&m.config).chain(&m.layers) {
                    let data = self.blob(&b.digest)?;
                    image.insert(b.digest.clone(), BlobData::Bytes(Arc::new(data)));
                }
            }
            image.insert(d.digest.clone(), BlobData::Bytes(Arc::new(bytes)));
        }
        Ok(image)
    }
}

/// Reads an `oci-archive:` (a tar of an OCI layout).
pub fn read_oci_archive(file: &Path, tag: Option<&str>) -> Result<ImageBlobs, Error> {
    Archive::open(file)?.oci_image(tag)
}

fn layer_media_type(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        media_types::OCI_LAYER_TAR_GZIP
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        media_types::OCI_LAYER_TAR_ZSTD
    } else {
        media_types::OCI_LAYER_TAR
    }
}

/// Reads a `docker-archive:`. When the archive carries an OCI index (Docker
/// 25 and envelope write one) the image comes from it, digests intact;
/// otherwise from manifest.json, as an OCI manifest made for it (as skopeo
/// does: the digest is new).
pub fn read_docker_archive(file: &Path, reference: Option<&str>) -> Result<ImageBlobs, Error> {
    let mut a = Archive::open(file)?;
    if a.members.contains_key("index.json") {
        if let Ok(img) = a.oci_image(reference) {
            return Ok(img);
        }
    }
    let manifest: Vec<serde_json::Value> = json(&a.need("manifest.json")?, "manifest.json")?;
    let norm = |t: &str| {
        t.trim_start_matches("docker.io/")
            .trim_start_matches("library/")
            .to_string()
    };
    let entries: Vec<&serde_json::Value> = manifest
        .iter()
        .filter(|e| {
            reference.is_none_or(|r| {
                e["RepoTags"].as_array().is_some_and(|tags| {
                    tags.iter()
                        .filter_map(|t| t.as_str())
                        .any(|t| norm(t) == norm(r))
                })
            })
        })
        .collect();
    let entry = match entries.as_slice() {
        [one] => *one,
        [] => {
            return Err(Error::Layout {
                path: file.to_path_buf(),
                detail: format!(
                    "holds no image{}",
                    reference.map(|r| format!(" named {r}")).unwrap_or_default()
                ),
            })
        }
        _ => {
            return Err(Error::Layout {
                path: file.to_path_buf(),
                detail: "holds several images; name one with :REPO:TAG".into(),
            })
        }
    };
    let config_name = entry["Config"]
        .as_str()
        .ok_or_else(|| Error::Layout {
            path: file.to_path_buf(),
            detail: "manifest.json entry without Config".into(),
        })?
        .to_string();
    let config = a.need(&config_name)?;
    let config_desc = Descriptor {
        media_type: media_types::OCI_CONFIG.into(),
        digest: Digest::sha256(&config),
        size: config.len() as u64,
        urls: None,
        annotations: None,
        platform: None,
        artifact_type: None,
    };
    let mut layers = Vec::new();
    let mut image_blobs = Vec::new();
    for l in entry["Layers"].as_array().into_iter().flatten() {
        let name = l.as_str().ok_or_else(|| Error::Layout {
            path: file.to_path_buf(),
            detail: "a layer name is not a string".into(),
        })?;
        let bytes = a.need(name)?;
        let d = Descriptor {
            media_type: layer_media_type(&bytes).into(),
            digest: Digest::sha256(&bytes),
            size: bytes.len() as u64,
            urls: None,
            annotations: None,
            platform: None,
            artifact_type: None,
        };
        image_blobs.push((d.digest.clone(), bytes));
        layers.push(d);
    }
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(media_types::OCI_MANIFEST.into()),
        artifact_type: None,
        config: config_desc.clone(),
        layers,
        subject: None,
        annotations: None,
    };
    let mbytes = to_json(&manifest);
    let root = Descriptor {
        media_type: media_types::OCI_MANIFEST.into(),
        digest: Digest::sha256(&mbytes),
        size: mbytes.len() as u64,
        urls: None,
        annotations: None,
        platform: None,
        artifact_type: None,
    };
    let mut image = ImageBlobs::new(root.clone());
    image.insert(root.digest, BlobData::Bytes(Arc::new(mbytes)));
    image.insert(config_desc.digest, BlobData::Bytes(Arc::new(config)));
    for (d, b) in image_blobs {
        image.insert(d, BlobData::Bytes(Arc::new(b)));
    }
    Ok(image)
}
