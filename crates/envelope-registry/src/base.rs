//! Pulling a base image for a build: by digest through a content-addressed
//! cache on disk, so a second build of a pinned base needs no network.
//! Every cached file was verified before it was renamed into place and is
//! verified again when read; a bad one is fetched anew.

use std::io::Write;
use std::path::{Path, PathBuf};

use envelope_oci::{
    media_types, BlobData, Descriptor, Digest, ImageConfiguration, ImageIndex, ImageManifest,
    Platform,
};

use crate::open::media_type_of;
use crate::{Client, Error, RegistryRef};

/// Verified blobs (and manifests) by digest: `DIR/ALGORITHM/HEX`, laid
/// out as the blobs of an OCI layout whose root is DIR's parent. Files are
/// staged in that root's `.tmp/` and renamed into place once verified, so
/// processes sharing the cache (parallel pulls of one image) never see a
/// partial blob, and two writers of one blob both write the same bytes.
#[derive(Debug, Clone)]
pub struct BlobCache {
    dir: PathBuf,
}

impl BlobCache {
    /// The cache at `dir`, removing the temporaries that killed writers
    /// left in it (see [`envelope_oci::atomic`]).
    pub fn new(dir: impl Into<PathBuf>) -> BlobCache {
        let cache = BlobCache { dir: dir.into() };
        let stale = envelope_oci::atomic::STALE_TEMPORARY;
        envelope_oci::atomic::sweep(&cache.root().join(envelope_oci::atomic::STAGING_DIR), stale);
        // Older versions wrote `.tmp-*` files beside the blobs.
        if let Ok(algs) = std::fs::read_dir(&cache.dir) {
            for alg in algs.flatten().filter(|e| e.path().is_dir()) {
                envelope_oci::atomic::sweep(&alg.path(), stale);
            }
        }
        cache
    }

    fn path(&self, d: &Digest) -> PathBuf {
        self.dir.join(d.algorithm()).join(d.hex())
    }

    /// The directory holding `ALGORITHM/HEX` files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The root of the blob store: the directory whose `blobs/` this is.
    pub fn root(&self) -> &Path {
        self.dir.parent().unwrap_or(&self.dir)
    }

    /// Stores `bytes` as blob `d`, refusing bytes that are not `d`; unlike
    /// the best-effort cache of base pulls, an error when it cannot be
    /// written (the image is read back from here).
    pub fn store(&self, d: &Digest, bytes: &[u8]) -> Result<(), Error> {
        if !d.matches(bytes) {
            return Err(Error::Oci(envelope_oci::Error::DigestMismatch {
                what: format!("blob {d} fetched for the cache"),
                expected: d.clone(),
                actual: Digest::sha256(bytes),
            }));
        }
        self.write(d, bytes, true)?;
        Ok(())
    }

    /// The cached bytes when present and intact.
    pub fn get(&self, d: &Digest) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.path(d)).ok()?;
        d.matches(&bytes).then_some(bytes)
    }

    /// Stores bytes already checked against `d`; a cache that cannot be
    /// written only costs a download next time.
    fn put(&self, d: &Digest, bytes: &[u8]) -> Option<PathBuf> {
        if !d.matches(bytes) {
            return None;
        }
        // Verified when read: no need to sync.
        self.write(d, bytes, false).ok()
    }

    /// Writes verified `bytes` as blob `d`, staged then renamed.
    fn write(&self, d: &Digest, bytes: &[u8], durable: bool) -> Result<PathBuf, Error> {
        let path = self.path(d);
        let dir = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(dir).map_err(|e| envelope_oci::Error::Io {
            path: dir.to_path_buf(),
            source: e,
        })?;
        let options = envelope_oci::atomic::Options::new().durable(durable);
        let mut f = envelope_oci::AtomicFile::staged(self.root(), options)?;
        f.write_all(bytes).map_err(|e| envelope_oci::Error::Io {
            path: path.clone(),
            source: e,
        })?;
        f.commit_to(&path)?;
        Ok(path)
    }

    fn fetch(
        &self,
        d: &Digest,
        fetch: impl FnOnce() -> Result<Vec<u8>, Error>,
    ) -> Result<(Vec<u8>, PathBuf), Error> {
        if let Some(b) = self.get(d) {
            return Ok((b, self.path(d)));
        }
        let bytes = fetch()?;
        let path = self.put(d, &bytes).unwrap_or_default();
        Ok((bytes, path))
    }
}

/// A base image resolved for one platform.
#[derive(Debug, Clone)]
pub struct PulledBase {
    /// The digest the user pinned, or the one the tag resolved to.
    pub digest: Digest,
    pub manifest_media_type: String,
    pub config: ImageConfiguration,
    /// Layers with their verified bytes (in the cache, or in memory when
    /// the cache could not be written).
    pub layers: Vec<(Descriptor, BlobData)>,
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Malformed(format!("{what}: {e}")))
}

/// Resolves `r` (a digest, or a tag resolved over the network) to its
/// manifest digest.
pub fn resolve_root(
    client: &Client,
    cache: &BlobCache,
    r: &RegistryRef,
) -> Result<(Digest, Vec<u8>), Error> {
    match &r.digest {
        Some(d) => {
            let (bytes, _) = cache.fetch(d, || client.get_manifest(r).map(|(b, _, _)| b))?;
            Ok((d.clone(), bytes))
        }
        None => {
            let (bytes, _, d) = client.get_manifest(r)?;
            cache.put(&d, &bytes);
            Ok((d, bytes))
        }
    }
}

/// The base for `platform`, its config and layers verified and cached.
pub fn pull_base(
    client: &Client,
    cache: &BlobCache,
    r: &RegistryRef,
    root: &(Digest, Vec<u8>),
    platform: &Platform,
) -> Result<PulledBase, Error> {
    let (digest, bytes) = root;
    let mut manifest_bytes = bytes.clone();
    let mut media_type = media_type_of(bytes);
    if media_types::is_index(&media_type) {
        let idx: ImageIndex = parse(bytes, "image index")?;
        let found = platform
            .choose(&idx.manifests, |d| d.platform.as_ref())
            .map(|i| &idx.manifests[i]);
        let Some(found) = found else {
            let available = idx
                .manifests
                .iter()
                .filter_map(|d| d.platform.as_ref().map(ToString::to_string))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Error::NoPlatform {
                reference: r.to_string(),
                platform: platform.to_string(),
                available,
            });
        };
        let child = r.with_digest(found.digest.clone());
        let (b, _) = cache.fetch(&found.digest, || {
            client.get_manifest(&child).map(|(b, _, _)| b)
        })?;
        media_type = media_type_of(&b);
        manifest_bytes = b;
    }
    if !media_types::is_manifest(&media_type) {
        return Err(Error::MediaType {
            what: format!("base image {r}"),
            media_type,
        });
    }
    let m: ImageManifest = parse(&manifest_bytes, "manifest")?;
    let (config_bytes, _) = cache.fetch(&m.config.digest, || client.get_blob(r, &m.config))?;
    let config: ImageConfiguration = parse(&config_bytes, "image config")?;
    let have = Platform {
        variant: config.variant.clone(),
        ..Platform::new(&config.os, &config.architecture)
    };
    // The index chose by variant; the config is checked for OS and
    // architecture (configs often name no variant).
    let os_arch = Platform::new(&platform.os, &platform.architecture);
    if !os_arch.matches(&have) {
        return Err(Error::NoPlatform {
            reference: r.to_string(),
            platform: platform.to_string(),
            available: have.to_string(),
        });
    }
    let mut layers = Vec::new();
    for l in &m.layers {
        if l.media_type == media_types::DOCKER_FOREIGN_LAYER {
            return Err(Error::MediaType {
                what: format!("layer {} of {r}", l.digest),
                media_type: l.media_type.clone(),
            });
        }
        let (bytes, path) = cache.fetch(&l.digest, || client.get_blob(r, l))?;
        let data = if path.as_os_str().is_empty() {
            BlobData::Bytes(std::sync::Arc::new(bytes))
        } else {
            BlobData::File(path)
        };
        layers.push((l.clone(), data));
    }
    Ok(PulledBase {
        digest: digest.clone(),
        manifest_media_type: media_type,
        config,
        layers,
    })
}

/// Where the blob cache lives under envelope's cache directory.
pub fn blob_cache_dir(cache_root: &Path) -> PathBuf {
    cache_root.join("blobs")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    #[test]
    fn blobs_are_staged_outside_the_cache_and_killed_writers_litter_is_swept() {
        let tmp = tempfile::tempdir().expect("tmp");
        let root = tmp.path().join("cache");
        let staging = root.join(envelope_oci::atomic::STAGING_DIR);
        let sha = root.join("blobs/sha256");
        std::fs::create_dir_all(&staging).expect("mkdir");
        std::fs::create_dir_all(&sha).expect("mkdir");
        // A writer that has ended (a pid above the kernel's largest), and
        // an older version's temporary beside the blobs, an hour old.
        std::fs::write(staging.join(".tmp-envelope-4194305-Ab1"), b"part").expect("write");
        let legacy = sha.join(".tmp-XyZ123");
        std::fs::write(&legacy, b"part").expect("write");
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(&legacy)
            .and_then(|f| f.set_modified(hour_ago))
            .expect("mtime");
        let cache = BlobCache::new(blob_cache_dir(&root));
        assert_eq!(cache.root(), root);
        assert!(names(&staging).is_empty(), "{:?}", names(&staging));
        assert!(names(&sha).is_empty(), "{:?}", names(&sha));

        let d = Digest::sha256(b"blob");
        cache.store(&d, b"blob").expect("store");
        assert_eq!(names(&sha), [d.hex().to_string()]);
        assert_eq!(cache.get(&d).as_deref(), Some(&b"blob"[..]));
        assert!(names(&staging).is_empty());
        let wrong = Digest::sha256(b"other");
        assert!(cache.store(&wrong, b"blob").is_err());
        assert_eq!(cache.put(&wrong, b"blob"), None);
        assert_eq!(names(&sha), [d.hex().to_string()]);
        assert!(names(&staging).is_empty());
    }
}
