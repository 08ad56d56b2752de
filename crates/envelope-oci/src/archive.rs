//! Archives: `oci-archive` (a tar of an OCI layout) and `docker-archive` (the
//! form `docker save` writes since Docker 25: an OCI layout plus
//! manifest.json). Entries are sorted, owned by 0:0 with mtime 0, and the
//! file appears only when complete (temporary file, then rename).
//!
//! A docker-archive holds uncompressed layers, which are never held in
//! memory: each layer is decompressed twice, streaming, once to learn its
//! diff_id and size (checked against the config) and once straight into
//! the archive, hashed again (a blob that changed in between voids the
//! archive). A layer that expands past [`MAX_LAYER_BYTES`], or past
//! [`RATIO_FLOOR`] at more than [`MAX_RATIO`] times its compressed size,
//! is refused as a decompression bomb.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use crate::atomic::{AtomicFile, Options};
use crate::image::{BlobData, ImageBlobs};
use crate::layout::REF_NAME;
use crate::tar::{self, EntryType, Header};
use crate::{
    media_types, to_json, Descriptor, Digest, DigestHasher, Error, ImageConfiguration, ImageIndex,
    ImageManifest, Sha256Writer,
};

/// Uncompressed bytes one layer may expand to (64 GiB): far above any real
/// layer, and the bound a decompression bomb meets when its ratio stays
/// below [`MAX_RATIO`]. The filesystem index uses the same default.
pub const MAX_LAYER_BYTES: u64 = 64 << 30;
/// Past [`RATIO_FLOOR`] uncompressed bytes, a layer may expand to at most
/// this many times the compressed bytes read so far. Real layers expand 2
/// to 10 times; only long runs of one byte (zeros) reach gzip's maximum of
/// about 1,030: a gzip or zstd bomb is stopped after [`RATIO_FLOOR`] bytes
/// instead of at [`MAX_LAYER_BYTES`].
pub const MAX_RATIO: u64 = 250;
/// Uncompressed bytes of a layer before [`MAX_RATIO`] applies (128 MiB):
/// a small layer of zeros is no threat.
pub const RATIO_FLOOR: u64 = 128 << 20;

enum Content<'a> {
    Dir,
    Bytes(Cow<'a, [u8]>),
    Blob(&'a BlobData),
    /// A layer blob written uncompressed: `size` bytes hashing to `diff_id`,
    /// as the first pass measured it.
    Layer {
        image: &'a ImageBlobs,
        blob: Box<Descriptor>,
        diff_id: Digest,
        size: u64,
    },
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
            Content::Layer { size, .. } => (EntryType::File { size: *size }, 0o644, *size),
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
            Content::Layer {
                image,
                blob,
                diff_id,
                size,
            } => {
                let mut written = 0u64;
                let (again, n) = uncompress(image, blob, RATIO_FLOOR, &mut |chunk| {
                    written += chunk.len() as u64;
                    if written > *size {
                        return Err(io::Error::other("it grew since it was measured"));
                    }
                    w.write_all(chunk)
                })?;
                if again != *diff_id || n != *size {
                    return Err(Error::DigestMismatch {
                        what: format!(
                            "uncompressed layer {} (it changed while being archived)",
                            blob.digest
                        ),
                        expected: diff_id.clone(),
                        actual: again,
                    });
                }
            }
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
    blobs: impl Iterator<Item = (Digest, Content<'a>)>,
    index: Vec<u8>,
) -> BTreeMap<String, Content<'a>> {
    let mut e = BTreeMap::new();
    e.insert("blobs/".to_string(), Content::Dir);
    e.insert("blobs/sha256/".to_string(), Content::Dir);
    e.insert(
        "oci-layout".to_string(),
        Content::Bytes(Cow::Borrowed(br#"{"imageLayoutVersion":"1.0.0"}"#)),
    );
    e.insert("index.json".to_string(), Content::Bytes(Cow::Owned(index)));
    for (d, b) in blobs {
        e.insert(blob_entry(&d), b);
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
    let blobs = image
        .blobs
        .iter()
        .map(|(d, b)| (d.clone(), Content::Blob(b)));
    write_tar(file, &layout_entries(blobs, index))
}

/// Writes the whole of the layout `layout` as an oci-archive: its
/// index.json as it is (images, signature images, referrers) and every
/// blob an entry reaches, each verified first.
pub fn write_layout_archive(file: &Path, layout: &crate::OciLayout) -> Result<(), Error> {
    let index = layout.index()?;
    let mut all =
        ImageBlobs::new(
            index
                .manifests
                .first()
                .cloned()
                .ok_or_else(|| Error::Layout {
                    path: layout.root().to_path_buf(),
                    detail: "holds no image".into(),
                })?,
        );
    for entry in &index.manifests {
        let store = crate::ImageStore::blob_dir(layout.root(), entry.clone(), "oci", None);
        all.blobs.extend(store.blobs(None)?.blobs);
    }
    verify_all(&all)?;
    let blobs = all.blobs.iter().map(|(d, b)| (d.clone(), Content::Blob(b)));
    write_tar(file, &layout_entries(blobs, to_json(&index)))
}

fn json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Json {
        what: what.to_string(),
        detail: e.to_string(),
    })
}

/// Counts and hashes the compressed bytes of a blob as they are read.
struct Metered<'c, R> {
    inner: R,
    hasher: DigestHasher,
    count: &'c Cell<u64>,
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?.min(buf.len());
        self.hasher.update(&buf[..n]);
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Streams layer blob `l` uncompressed (gzip, zstd or plain, told by its
/// first bytes) into `sink`, checking the blob against its descriptor and
/// the bomb limits on the way (the ratio past `floor` bytes, normally
/// [`RATIO_FLOOR`]); gives the diff_id and the uncompressed size.
fn uncompress(
    image: &ImageBlobs,
    l: &Descriptor,
    floor: u64,
    sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
) -> Result<(Digest, u64), Error> {
    let raw = image.open_unverified(&l.digest)?;
    let read = Cell::new(0u64);
    let mut src = BufReader::with_capacity(
        64 << 10,
        Metered {
            inner: raw,
            hasher: DigestHasher::for_digest(&l.digest),
            count: &read,
        },
    );
    let err = |detail: String| Error::Decompress {
        digest: l.digest.clone(),
        media_type: l.media_type.clone(),
        detail,
    };
    let head = src.fill_buf().map_err(|e| err(e.to_string()))?;
    let mut decoder: Box<dyn Read + '_> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(&mut src))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(
            zstd::stream::read::Decoder::with_buffer(&mut src).map_err(|e| err(e.to_string()))?,
        )
    } else {
        Box::new(&mut src)
    };
    let mut diff_id = Sha256Writer::new(io::sink());
    let mut out = 0u64;
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match decoder.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n.min(buf.len()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(err(format!("{e} (after {out} uncompressed bytes)"))),
        };
        out += n as u64;
        if out > MAX_LAYER_BYTES {
            return Err(err(format!(
                "it expands past {MAX_LAYER_BYTES} bytes, the limit for one layer: a decompression bomb or no real image"
            )));
        }
        if out > floor && out / MAX_RATIO > read.get() {
            return Err(err(format!(
                "{} compressed bytes expand to more than {out}, over {MAX_RATIO} times: a decompression bomb (a docker-archive holds layers uncompressed; oci: and oci-archive: keep them as they are)",
                read.get()
            )));
        }
        diff_id
            .write_all(&buf[..n])
            .map_err(|e| err(e.to_string()))?;
        sink(&buf[..n]).map_err(|e| err(format!("writing it uncompressed: {e}")))?;
    }
    drop(decoder);
    // What the decoder left (padding, a trailer) belongs to the blob too.
    io::copy(&mut src, &mut io::sink()).map_err(|e| err(e.to_string()))?;
    let mut metered = src.into_inner();
    let actual = metered.hasher.finish();
    if actual != l.digest.to_string() || read.get() != l.size {
        return Err(Error::DigestMismatch {
            what: format!("layer blob ({} bytes, {} expected)", read.get(), l.size),
            expected: l.digest.clone(),
            actual: actual.parse()?,
        });
    }
    let (_, diff_id, _) = diff_id.finish();
    Ok((diff_id, out))
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
    let mut blobs: BTreeMap<Digest, Content<'_>> = BTreeMap::new();
    // A layer shared by several platforms is measured once.
    let mut measured: BTreeMap<Digest, (Digest, u64)> = BTreeMap::new();
    let mut docker_manifest = Vec::new();
    let mut new_descs = Vec::new();
    for (i, desc) in manifests.iter().enumerate() {
        let m: ImageManifest = json(&image.read(&desc.digest)?, "manifest")?;
        let config_bytes = image.read(&m.config.digest)?;
        let config: ImageConfiguration = json(&config_bytes, "image config")?;
        let mut layers = Vec::new();
        for (n, l) in m.layers.iter().enumerate() {
            let (diff_id, size) = match measured.get(&l.digest) {
                Some(known) => known.clone(),
                None => {
                    let got = uncompress(image, l, RATIO_FLOOR, &mut |_| Ok(()))?;
                    measured.insert(l.digest.clone(), got.clone());
                    got
                }
            };
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
                size,
                urls: None,
                annotations: None,
                platform: None,
                artifact_type: None,
            });
            blobs.insert(
                diff_id.clone(),
                Content::Layer {
                    image,
                    blob: Box::new(l.clone()),
                    diff_id,
                    size,
                },
            );
        }
        blobs.insert(
            m.config.digest.clone(),
            Content::Bytes(Cow::Owned(config_bytes)),
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
        blobs.insert(nd.digest.clone(), Content::Bytes(Cow::Owned(bytes)));
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
        blobs.insert(d.digest.clone(), Content::Bytes(Cow::Owned(bytes)));
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
    let mut entries = layout_entries(blobs.into_iter(), index);
    entries.insert(
        "manifest.json".to_string(),
        Content::Bytes(Cow::Owned(manifest_json)),
    );
    write_tar(file, &entries)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn desc(media_type: &str, bytes: &[u8]) -> Descriptor {
        let d = serde_json::json!({
            "mediaType": media_type,
            "digest": Digest::sha256(bytes),
            "size": bytes.len(),
        });
        serde_json::from_value(d).expect("a descriptor")
    }

    /// An image of one gzip layer, its config naming `diff_id`.
    fn image(layer: Vec<u8>, diff_id: &Digest) -> ImageBlobs {
        let config = serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
        });
        let config = serde_json::to_vec(&config).expect("config");
        let l = desc(media_types::OCI_LAYER_TAR_GZIP, &layer);
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media_types::OCI_MANIFEST,
            "config": desc(media_types::OCI_CONFIG, &config),
            "layers": [l],
        });
        let manifest = serde_json::to_vec(&manifest).expect("manifest");
        let mut image = ImageBlobs::new(desc(media_types::OCI_MANIFEST, &manifest));
        for b in [manifest, config, layer] {
            image.insert(Digest::sha256(&b), BlobData::Bytes(Arc::new(b)));
        }
        image
    }

    /// `mib` MiB of zeros as that many gzip members of 1 MiB each (a
    /// multi-member gzip, as `cat a.gz b.gz` makes): compressed once.
    fn gzip_of_zeros(mib: usize) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&[0u8; 1 << 20]).expect("gzip");
        e.finish().expect("gzip").repeat(mib)
    }

    #[test]
    fn a_decompression_bomb_stops_early() {
        // The ratio check past 24 MiB instead of RATIO_FLOOR: the same
        // check, less to decompress in a debug build.
        let floor = 24 << 20;
        let bomb = gzip_of_zeros(64);
        assert!(
            bomb.len() < (64 << 20) / MAX_RATIO as usize,
            "{}",
            bomb.len()
        );
        let l = desc(media_types::OCI_LAYER_TAR_GZIP, &bomb);
        let img = image(bomb, &Digest::sha256(b"whatever"));
        let mut seen = 0u64;
        let err = uncompress(&img, &l, floor, &mut |chunk| {
            seen += chunk.len() as u64;
            Ok(())
        })
        .expect_err("a bomb");
        let msg = err.to_string();
        assert!(matches!(err, Error::Decompress { .. }), "{msg}");
        assert!(msg.contains("decompression bomb"), "{msg}");
        // Stopped at the floor, give or take what the reader buffers.
        assert!(seen <= floor + (1 << 20), "{seen}");
        // Below the floor zeros are just zeros.
        let (_, size) = uncompress(&img, &l, 128 << 20, &mut |_| Ok(())).expect("zeros");
        assert_eq!(size, 64 << 20);
    }

    #[test]
    fn layers_are_streamed_and_checked_against_the_config() {
        // 1 MiB of zeros in a tar: small enough for the ratio check.
        let mut tar_bytes = Vec::new();
        tar::write_header(
            &mut tar_bytes,
            &Header {
                path: "zeros",
                entry: EntryType::File { size: 1 << 20 },
                mode: 0o644,
                uid: 0,
                gid: 0,
                mtime: 0,
            },
        )
        .expect("header");
        tar_bytes.resize(tar_bytes.len() + (1 << 20), 0);
        tar::write_end(&mut tar_bytes).expect("end");
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&tar_bytes).expect("gzip");
        let layer = e.finish().expect("gzip");
        let diff_id = Digest::sha256(&tar_bytes);
        let tmp = tempfile::tempdir().expect("tmp");

        let file = tmp.path().join("good.tar");
        write_docker_archive(&file, &image(layer.clone(), &diff_id), None).expect("write");
        let archive = std::fs::read(&file).expect("archive");
        let at = archive
            .windows(tar_bytes.len())
            .position(|w| w == tar_bytes.as_slice());
        assert!(at.is_some(), "the uncompressed layer is in the archive");

        let wrong = Digest::sha256(b"not this layer");
        let file = tmp.path().join("wrong.tar");
        let err = write_docker_archive(&file, &image(layer.clone(), &wrong), None)
            .expect_err("a wrong diff_id");
        let Error::DigestMismatch {
            expected, actual, ..
        } = &err
        else {
            panic!("{err}");
        };
        assert_eq!((expected, actual), (&wrong, &diff_id));
        assert!(!file.exists());

        // A blob whose bytes are not its digest's.
        let mut img = image(layer.clone(), &diff_id);
        let mut bad = layer.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        img.insert(Digest::sha256(&layer), BlobData::Bytes(Arc::new(bad)));
        let file = tmp.path().join("bad.tar");
        let err = write_docker_archive(&file, &img, None).expect_err("a corrupt blob");
        assert!(!file.exists(), "{err}");
    }
}
