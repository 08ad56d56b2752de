//! Whole images to and from a registry. Pushes upload blobs first (a few at
//! a time, skipping what the registry has), then child manifests, then the
//! root under each tag: a registry never holds a manifest whose blobs are
//! missing. Pulls verify every byte against the digest that named it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use envelope_oci::{
    media_types, BlobData, Descriptor, Digest, ImageBlobs, ImageIndex, ImageManifest,
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
