//! Pulling a base image for a build: by digest through a content-addressed
//! cache on disk, so a second build of a pinned base needs no network.
//! Every cached file was verified before it was renamed into place and is
//! verified again when read; a bad one is fetched anew.

use std::path::{Path, PathBuf};

use envelope_oci::{
    media_types, BlobData, Descriptor, Digest, ImageConfiguration, ImageIndex, ImageManifest,
    Platform,
};

use crate::open::media_type_of;
use crate::{Client, Error, RegistryRef};

/// Verified blobs (and manifests) by digest.
#[derive(Debug, Clone)]
pub struct BlobCache {
    dir: PathBuf,
}

impl BlobCache {
    pub fn new(dir: impl Into<PathBuf>) -> BlobCache {
        BlobCache { dir: dir.into() }
    }

    fn path(&self, d: &Digest) -> PathBuf {
        self.dir.join(d.algorithm()).join(d.hex())
    }

    /// The directory holding `ALGORITHM/HEX` files.
    pub fn dir(&self) -> &Path {
        &self.dir
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
        let path = self.path(d);
        let dir = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(dir).map_err(|e| envelope_oci::Error::Io {
            path: dir.to_path_buf(),
            source: e,
        })?;
        envelope_oci::write_atomic(&path, bytes)?;
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
        let path = self.path(d);
        let dir = path.parent()?;
        std::fs::create_dir_all(dir).ok()?;
        // Verified when read: no need to sync.
        let options = envelope_oci::atomic::Options::new().durable(false);
        envelope_oci::write_atomic_with(&path, options, bytes).ok()?;
        Some(path)
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
