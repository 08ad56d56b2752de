//! Whole images to and from a registry. Pushes upload blobs first (a few at
//! a time, skipping what the registry has), then child manifests, then the
//! root under each tag: a registry never holds a manifest whose blobs are
//! missing. Pulls verify every byte against the digest that named it.
//!
//! Several images pushed in one run share a [`PushSession`]: a blob they
//! share (the generated base, CA certificates, time zones, a base image's
//! layers) is uploaded once per registry, and the other repositories mount
//! it from the first or, when it is already theirs, are not asked again.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

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

/// What the pushes of one run know of the registries' blobs: which
/// repositories hold each blob (seen, mounted or uploaded), and one lock per
/// blob and registry, so two images sharing a blob do not upload it twice
/// at the same time.
#[derive(Debug, Default)]
pub struct PushSession {
    holders: Mutex<BTreeMap<BlobAt, BTreeSet<String>>>,
    locks: Mutex<BTreeMap<BlobAt, Arc<Mutex<()>>>>,
}

/// A blob in a registry: (registry, digest).
type BlobAt = (String, Digest);

impl PushSession {
    pub fn new() -> PushSession {
        PushSession::default()
    }

    fn lock_for(&self, registry: &str, digest: &Digest) -> Arc<Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            locks
                .entry((registry.to_string(), digest.clone()))
                .or_default(),
        )
    }

    /// The repositories of `registry` known to hold `digest`.
    fn holders(&self, registry: &str, digest: &Digest) -> BTreeSet<String> {
        let holders = self.holders.lock().unwrap_or_else(PoisonError::into_inner);
        holders
            .get(&(registry.to_string(), digest.clone()))
            .cloned()
            .unwrap_or_default()
    }

    fn record(&self, target: &RegistryRef, digest: &Digest) {
        let mut holders = self.holders.lock().unwrap_or_else(PoisonError::into_inner);
        holders
            .entry((target.registry.clone(), digest.clone()))
            .or_default()
            .insert(target.repository.clone());
    }
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The root manifest's digest.
    pub digest: Digest,
    /// Whether anything was sent: a blob uploaded or mounted, a manifest
    /// put. False when the registry held the image under every tag.
    pub changed: bool,
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Malformed(format!("{what}: {e}")))
}

/// Pushes `image` to `target` under `tags` (the target's own tag when
/// empty), in `session`; returns the root digest and whether anything had
/// to be sent.
pub fn push_image(
    client: &Client,
    session: &PushSession,
    image: &ImageBlobs,
    target: &RegistryRef,
    tags: &[String],
    mount_from: &[RegistryRef],
    on_event: &(dyn Fn(PushEvent) + Sync),
) -> Result<Pushed, Error> {
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
    let sent = AtomicBool::new(false);
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
                let blob = BlobPush {
                    client,
                    session,
                    image,
                    target,
                    mount_from: &mount_from,
                    on_event,
                };
                match blob.push(digest, *size) {
                    Ok(true) => sent.store(true, Ordering::SeqCst),
                    Ok(false) => {}
                    Err(e) => {
                        if let Ok(mut slot) = first_error.lock() {
                            slot.get_or_insert(e);
                        }
                        break;
                    }
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
            sent.store(true, Ordering::SeqCst);
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
            sent.store(true, Ordering::SeqCst);
        }
        on_event(PushEvent::Manifest {
            digest: digest.clone(),
            reference: tag.clone(),
        });
    }
    Ok(Pushed {
        digest,
        changed: sent.into_inner(),
    })
}

/// One image's blob pushes: where to, and what the run knows.
struct BlobPush<'a> {
    client: &'a Client,
    session: &'a PushSession,
    image: &'a ImageBlobs,
    target: &'a RegistryRef,
    mount_from: &'a [&'a RegistryRef],
    on_event: &'a (dyn Fn(PushEvent) + Sync),
}

impl BlobPush<'_> {
    /// Makes sure the target repository holds the blob: known from this
    /// run, found by HEAD, mounted from a repository that has it, or
    /// uploaded. Returns whether anything was sent.
    fn push(&self, digest: &Digest, size: u64) -> Result<bool, Error> {
        let target = self.target;
        let lock = self.session.lock_for(&target.registry, digest);
        let _held = lock.lock().unwrap_or_else(PoisonError::into_inner);
        let holders = self.session.holders(&target.registry, digest);
        let exists = |d: &Digest| {
            (self.on_event)(PushEvent::Exists {
                digest: d.clone(),
                size,
            });
        };
        if holders.contains(&target.repository) {
            exists(digest);
            return Ok(false);
        }
        if self.client.blob_exists(target, digest)? {
            self.session.record(target, digest);
            exists(digest);
            return Ok(false);
        }
        // Repositories this run pushed it to first, then the base's.
        let sources = holders.iter().map(String::as_str).chain(
            self.mount_from
                .iter()
                .map(|m| m.repository.as_str())
                .filter(|r| !holders.contains(*r)),
        );
        for from in sources {
            if self.client.mount_blob(target, digest, from)? {
                self.session.record(target, digest);
                (self.on_event)(PushEvent::Mounted {
                    digest: digest.clone(),
                    size,
                    from: from.to_string(),
                });
                return Ok(true);
            }
        }
        upload(self.client, self.image, target, digest, size, self.on_event)?;
        self.session.record(target, digest);
        Ok(true)
    }
}

fn upload(
    client: &Client,
    image: &ImageBlobs,
    target: &RegistryRef,
    digest: &Digest,
    size: u64,
    on_event: &(dyn Fn(PushEvent) + Sync),
) -> Result<(), Error> {
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
