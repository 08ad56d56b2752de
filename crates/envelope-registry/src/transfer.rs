//! Whole images to and from a registry. Pushes upload blobs first (a few at
//! a time, skipping what the registry has), then child manifests, then the
//! root under each tag: a registry never holds a manifest whose blobs are
//! missing. Pulls verify every byte against the digest that named it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use envelope_oci::{
    media_types, BlobData, Descriptor, Digest, ImageBlobs, ImageIndex, ImageManifest, Platform,
};

use crate::{Client, Error, RegistryRef};

const PARALLEL_UPLOADS: usize = 4;

#[derive(Debug, Clone)]
pub enum PushEvent {
    /// The registry already had the blob.
    Exists {
        digest: Digest,
        size: u64,
    },
    /// An upload begins.
    Started {
        digest: Digest,
        size: u64,
    },
    /// Bytes of an upload sent so far.
    Progress {
        digest: Digest,
        sent: u64,
    },
    /// Mounted from another repository of the same registry.
    Mounted {
        digest: Digest,
        size: u64,
        from: String,
    },
    Uploaded {
        digest: Digest,
        size: u64,
    },
    Manifest {
        digest: Digest,
        reference: String,
    },
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Malformed(format!("{what}: {e}")))
}

/// Pushes `image` to `target` under `tags` (the target's own tag when
/// empty); returns the root digest.
pub fn push_image(
    client: &Client,
    image: &ImageBlobs,
    target: &RegistryRef,
    tags: &[String],
    mount_from: &[RegistryRef],
    on_event: &(dyn Fn(PushEvent) + Sync),
) -> Result<Digest, Error> {
    // Only repositories of the same registry can lend a blob.
    let mount_from: Vec<&RegistryRef> = mount_from
        .iter()
        .filter(|m| m.registry == target.registry && m.repository != target.repository)
        .collect();
    let root_bytes = image.read(&image.root.digest)?;
    let mut children: Vec<(Descriptor, Vec<u8>)> = Vec::new();
    let mut blobs: BTreeMap<Digest, u64> = BTreeMap::new();
    let mut manifests = vec![(image.root.clone(), root_bytes.clone())];
    if media_types::is_index(&image.root.media_type) {
        let idx: ImageIndex = parse(&root_bytes, "image index")?;
        manifests.clear();
        for d in idx.manifests {
            let bytes = image.read(&d.digest)?;
            children.push((d.clone(), bytes.clone()));
            manifests.push((d, bytes));
        }
    }
    for (d, bytes) in &manifests {
        if !media_types::is_manifest(&d.media_type) {
            return Err(Error::MediaType {
                what: format!("manifest {}", d.digest),
                media_type: d.media_type.clone(),
            });
        }
        let m: ImageManifest = parse(bytes, "manifest")?;
        for b in std::iter::once(&m.config).chain(&m.layers) {
            blobs.insert(b.digest.clone(), b.size);
        }
    }

    let queue: Vec<(Digest, u64)> = blobs.into_iter().collect();
    let next = AtomicUsize::new(0);
    let first_error: Mutex<Option<Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..PARALLEL_UPLOADS.min(queue.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((digest, size)) = queue.get(i) else {
                    break;
                };
                if first_error.lock().map(|e| e.is_some()).unwrap_or(true) {
                    break;
                }
                let result = push_blob(client, image, target, digest, *size, &mount_from, on_event);
                if let Err(e) = result {
                    if let Ok(mut slot) = first_error.lock() {
                        slot.get_or_insert(e);
                    }
                    break;
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    // A manifest the registry already has under that name is not sent again.
    let has = |reference: &str, digest: &Digest| -> Result<bool, Error> {
        let probe = RegistryRef {
            tag: Some(reference.to_string()),
            digest: None,
            ..target.clone()
        };
        Ok(client.head_manifest_quick(&probe)?.as_ref() == Some(digest))
    };
    for (d, bytes) in &children {
        let reference = d.digest.to_string();
        if !has(&reference, &d.digest)? {
            client.put_manifest(target, &reference, &d.media_type, bytes)?;
        }
        on_event(PushEvent::Manifest {
            digest: d.digest.clone(),
            reference,
        });
    }
    let tags: Vec<String> = if tags.is_empty() {
        vec![target
            .tag
            .clone()
            .unwrap_or_else(|| image.root.digest.to_string())]
    } else {
        tags.to_vec()
    };
    let digest = image.root.digest.clone();
    for tag in &tags {
        if !has(tag, &digest)? {
            client.put_manifest(target, tag, &image.root.media_type, &root_bytes)?;
        }
        on_event(PushEvent::Manifest {
            digest: digest.clone(),
            reference: tag.clone(),
        });
    }
    Ok(digest)
}

fn push_blob(
    client: &Client,
    image: &ImageBlobs,
    target: &RegistryRef,
    digest: &Digest,
    size: u64,
    mount_from: &[&RegistryRef],
    on_event: &(dyn Fn(PushEvent) + Sync),
) -> Result<(), Error> {
    if client.blob_exists(target, digest)? {
        on_event(PushEvent::Exists {
            digest: digest.clone(),
            size,
        });
        return Ok(());
    }
    for source in mount_from {
        if client.mount_blob(target, digest, &source.repository)? {
            on_event(PushEvent::Mounted {
                digest: digest.clone(),
                size,
                from: source.repository.clone(),
            });
            return Ok(());
        }
    }
    let data = match image.blobs.get(digest) {
        Some(BlobData::Bytes(b)) => Arc::clone(b),
        Some(BlobData::File(_)) => Arc::new(image.read(digest)?),
        None => {
            return Err(Error::Oci(envelope_oci::Error::MissingBlob {
                digest: digest.clone(),
            }))
        }
    };
    on_event(PushEvent::Started {
        digest: digest.clone(),
        size,
    });
    let progress = |sent: u64| {
        on_event(PushEvent::Progress {
            digest: digest.clone(),
            sent,
        })
    };
    client.upload_blob(target, digest, &data, &progress)?;
    on_event(PushEvent::Uploaded {
        digest: digest.clone(),
        size,
    });
    Ok(())
}

/// Pulls an image: the manifest (or, with `platform`, the matching manifest
/// of an index; without, the whole index) and every blob, all verified.
pub fn pull_image(
    client: &Client,
    r: &RegistryRef,
    platform: Option<&Platform>,
) -> Result<ImageBlobs, Error> {
    let (bytes, media_type, digest) = client.get_manifest(r)?;
    let root = Descriptor {
        media_type: media_type.clone(),
        digest: digest.clone(),
        size: bytes.len() as u64,
        urls: None,
        annotations: None,
        platform: None,
        artifact_type: None,
    };
    let mut image = ImageBlobs::new(root);
    let mut manifests = Vec::new();
    if media_types::is_index(&media_type) {
        let idx: ImageIndex = parse(&bytes, "image index")?;
        let wanted: Vec<Descriptor> = match platform {
            Some(p) => {
                let found = idx.manifests.iter().find(|d| {
                    d.platform.as_ref().is_some_and(|dp| {
                        dp.os == p.os
                            && dp.architecture == p.architecture
                            && (p.variant.is_none() || dp.variant == p.variant)
                    })
                });
                let Some(found) = found else {
                    let available = idx
                        .manifests
                        .iter()
                        .filter_map(|d| d.platform.as_ref().map(ToString::to_string))
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(Error::NoPlatform {
                        reference: r.to_string(),
                        platform: p.to_string(),
                        available,
                    });
                };
                vec![found.clone()]
            }
            None => idx.manifests.clone(),
        };
        if platform.is_some() {
            // The image is the platform's manifest alone.
            let d = &wanted[0];
            let (mb, mt, md) = client.get_manifest(&r.with_digest(d.digest.clone()))?;
            image = ImageBlobs::new(Descriptor {
                media_type: mt,
                digest: md,
                size: mb.len() as u64,
                urls: None,
                annotations: None,
                platform: None,
                artifact_type: None,
            });
            manifests.push((image.root.clone(), mb));
        } else {
            image.insert(digest, BlobData::Bytes(Arc::new(bytes)));
            for d in wanted {
                let (mb, _, _) = client.get_manifest(&r.with_digest(d.digest.clone()))?;
                manifests.push((d, mb));
            }
        }
    } else if media_types::is_manifest(&media_type) {
        manifests.push((image.root.clone(), bytes));
    } else {
        return Err(Error::MediaType {
            what: r.to_string(),
            media_type,
        });
    }
    let single = manifests.len() == 1 && !media_types::is_index(&image.root.media_type);
    for (d, mb) in manifests {
        let m: ImageManifest = parse(&mb, "manifest")?;
        if let (Some(p), true) = (platform, single) {
            // A single manifest names its platform only in its config.
            let config = client.get_blob(r, &m.config)?;
            let cfg: envelope_oci::ImageConfiguration = parse(&config, "image config")?;
            let matches = cfg.os == p.os
                && cfg.architecture == p.architecture
                && (p.variant.is_none() || cfg.variant == p.variant);
            if !matches {
                let have = Platform {
                    os: cfg.os,
                    architecture: cfg.architecture,
                    variant: cfg.variant,
                    os_version: None,
                    os_features: None,
                };
                return Err(Error::NoPlatform {
                    reference: r.to_string(),
                    platform: p.to_string(),
                    available: have.to_string(),
                });
            }
            image.insert(m.config.digest.clone(), BlobData::Bytes(Arc::new(config)));
        }
        for b in std::iter::once(&m.config).chain(&m.layers) {
            if !image.blobs.contains_key(&b.digest) {
                let data = client.get_blob(r, b)?;
                image.insert(b.digest.clone(), BlobData::Bytes(Arc::new(data)));
            }
        }
        image.insert(d.digest.clone(), BlobData::Bytes(Arc::new(mb)));
    }
    Ok(image)
}
