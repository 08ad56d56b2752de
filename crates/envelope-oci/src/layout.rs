//! OCI image layouts on disk: a content-addressed blob store (hash while
//! writing, verify size and digest, atomic rename) and `index.json`, which
//! is replaced atomically and only after every blob it names is in place —
//! so a layout is valid before, during and after any write.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::atomic::{self, AtomicFile, Options, STAGING_DIR};
use crate::image::{BlobData, ImageBlobs};
use crate::{media_types, to_json, Descriptor, Digest, Error, ImageIndex, Sha256Writer};

pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
const OCI_LAYOUT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;

#[derive(Debug, Clone)]
pub struct OciLayout {
    root: PathBuf,
}

impl OciLayout {
    /// Opens a layout, creating it when `dir` does not exist or is empty.
    /// Writers of one layout may run at once (builds in parallel, copies
    /// into one layout): creating it and changing index.json hold an
    /// exclusive lock on the directory, so none loses another's image.
    /// Temporaries that killed writers left behind are removed.
    pub fn open_or_create(dir: &Path) -> Result<OciLayout, Error> {
        if dir.join("oci-layout").is_file() {
            let layout = Self::open(dir)?;
            layout.sweep_temporaries(STALE_TEMPORARY);
            return Ok(layout);
        }
        if dir.exists() && !dir.is_dir() {
            return Err(Error::Layout {
                path: dir.to_path_buf(),
                detail: "exists and is not a directory".into(),
            });
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let _lock = lock_dir(dir, LOCK_WAIT)?;
        // Another writer may have made it while this one waited.
        if dir.join("oci-layout").is_file() {
            return Self::open(dir);
        }
        let mut entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        if entries.next().is_some() {
            return Err(Error::Layout {
                path: dir.to_path_buf(),
                detail: "is a non-empty directory that is not an OCI image layout (no oci-layout file); choose another directory".into(),
            });
        }
        std::fs::create_dir_all(dir.join("blobs/sha256")).map_err(|e| Error::io(dir, e))?;
        let layout = OciLayout {
            root: dir.to_path_buf(),
        };
        layout.write_file("oci-layout", OCI_LAYOUT)?;
        layout.tidy();
        Ok(layout)
    }

    /// Removes the temporary files that writers killed before they could
    /// rename them left in the layout: in its staging directory (`.tmp/`),
    /// and the `.tmp-*` files older versions wrote in its root and blob
    /// directories. A file is stale when its writer has ended, or when
    /// nothing has written to it for `stale` (see [`crate::atomic`]).
    /// Best effort: what cannot be removed stays.
    pub fn sweep_temporaries(&self, stale: std::time::Duration) -> usize {
        let mut dirs = vec![self.root.join(STAGING_DIR), self.root.clone()];
        if let Ok(algs) = std::fs::read_dir(self.root.join("blobs")) {
            dirs.extend(algs.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        }
        dirs.iter().map(|d| atomic::sweep(d, stale)).sum()
    }

    /// Opens an existing layout.
    pub fn open(dir: &Path) -> Result<OciLayout, Error> {
        let marker = dir.join("oci-layout");
        let text = std::fs::read(&marker).map_err(|e| Error::io(&marker, e))?;
        let v: serde_json::Value = serde_json::from_slice(&text).map_err(|e| Error::Json {
            what: marker.display().to_string(),
            detail: e.to_string(),
        })?;
        if v.get("imageLayoutVersion")
            .and_then(|v| v.as_str())
            .is_none()
        {
            return Err(Error::Layout {
                path: marker,
                detail: "has no imageLayoutVersion".into(),
            });
        }
        std::fs::create_dir_all(dir.join("blobs/sha256")).map_err(|e| Error::io(dir, e))?;
        Ok(OciLayout {
            root: dir.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Held while index.json is read, changed and replaced, so that
    /// concurrent writers of one layout never lose each other's entries.
    pub(crate) fn lock(&self) -> Result<std::fs::File, Error> {
        lock_dir(&self.root, LOCK_WAIT)
    }

    /// Replaces the file `name` at the root of the layout, staged in its
    /// `.tmp/`.
    fn write_file(&self, name: &str, data: &[u8]) -> Result<(), Error> {
        let mut f = AtomicFile::staged(&self.root, Options::new())?;
        f.write_all(data)
            .map_err(|e| Error::io(self.root.join(name), e))?;
        f.commit_to(&self.root.join(name))
    }

    /// Replaces index.json; the caller holds [`OciLayout::lock`].
    pub(crate) fn write_index(&self, index: &ImageIndex) -> Result<(), Error> {
        self.write_file("index.json", &to_json(index))?;
        self.tidy();
        Ok(())
    }

    /// Removes the staging directory when no writer uses it, so a
    /// finished layout holds only what the specification names.
    fn tidy(&self) {
        let _ = std::fs::remove_dir(self.root.join(STAGING_DIR));
    }

    pub fn blob_path(&self, d: &Digest) -> PathBuf {
        // Digests are validated hex, so this path never leaves the layout.
        self.root.join("blobs").join(d.algorithm()).join(d.hex())
    }

    pub fn has_blob(&self, d: &Digest) -> bool {
        self.blob_path(d).is_file()
    }

    pub fn write_blob(&self, data: &[u8]) -> Result<Digest, Error> {
        let d = Digest::sha256(data);
        self.write_blob_from(data, Some((&d, data.len() as u64)))?;
        Ok(d)
    }

    /// Streams a blob in, verifying size and digest before it is renamed
    /// into place. On a mismatch nothing is left behind.
    pub fn write_blob_from(
        &self,
        mut reader: impl Read,
        expected: Option<(&Digest, u64)>,
    ) -> Result<(Digest, u64), Error> {
        if let Some((d, size)) = expected {
            let p = self.blob_path(d);
            if std::fs::metadata(&p).is_ok_and(|m| m.len() == size) {
                return Ok((d.clone(), size));
            }
        }
        let mut w = Sha256Writer::new(AtomicFile::staged(&self.root, Options::new())?);
        std::io::copy(&mut reader, &mut w).map_err(|e| Error::io(&self.root, e))?;
        let (file, digest, size) = w.finish();
        if let Some((d, s)) = expected {
            if d.algorithm() == "sha256" && *d != digest {
                return Err(Error::DigestMismatch {
                    what: format!("blob {d}"),
                    expected: d.clone(),
                    actual: digest,
                });
            }
            if s != size {
                return Err(Error::SizeMismatch {
                    digest: d.clone(),
                    expected: s,
                    actual: size,
                });
            }
        }
        file.commit_to(&self.blob_path(&digest))?;
        Ok((digest, size))
    }

    /// Reads a blob and checks it against its digest.
    pub fn read_blob(&self, d: &Digest) -> Result<Vec<u8>, Error> {
        let p = self.blob_path(d);
        let data = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
        if !d.matches(&data) {
            return Err(Error::DigestMismatch {
                what: p.display().to_string(),
                expected: d.clone(),
                actual: Digest::sha256(&data),
            });
        }
        Ok(data)
    }

    /// index.json, or an empty index when there is none yet.
    pub fn index(&self) -> Result<ImageIndex, Error> {
        let p = self.root.join("index.json");
        match std::fs::read(&p) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| Error::Json {
                what: p.display().to_string(),
                detail: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ImageIndex::empty()),
            Err(e) => Err(Error::io(&p, e)),
        }
    }

    /// The descriptor tagged `tag`, or the only one when `tag` is None.
    pub fn resolve(&self, tag: Option<&str>) -> Result<Descriptor, Error> {
        let index = self.index()?;
        let found: Vec<&Descriptor> = index
            .manifests
            .iter()
            .filter(|d| match tag {
                // Artifacts about an image (its SBOM) are not images.
                None => !crate::artifact::is_referrer(d),
                Some(_) => ref_name(d) == tag,
            })
            .collect();
        match (found.as_slice(), tag) {
            ([one], _) => Ok((*one).clone()),
            ([], Some(t)) => Err(Error::Layout {
                path: self.root.clone(),
                detail: format!("has no image tagged {t:?}"),
            }),
            ([], None) => Err(Error::Layout {
                path: self.root.clone(),
                detail: "holds no image".into(),
            }),
            (_, _) => Err(Error::Layout {
                path: self.root.clone(),
                detail: "holds several images; name one with :TAG".into(),
            }),
        }
    }

    /// Adds `desc` to index.json (replacing an entry with the same tag, or
    /// the same digest when untagged), atomically.
    pub fn set_root(&self, mut desc: Descriptor, tag: Option<&str>) -> Result<(), Error> {
        // Read, change and replace index.json as one step among writers.
        let _lock = self.lock()?;
        let mut index = self.index()?;
        // An image manifest keeps its platform (tools choosing an image of
        // a layout by platform read it there); an index has none.
        if !media_types::is_manifest(&desc.media_type) {
            desc.platform = None;
        }
        desc.annotations = tag.map(|t| {
            [(REF_NAME.to_string(), t.to_string())]
                .into_iter()
                .collect()
        });
        index.manifests.retain(|d| match tag {
            Some(t) => ref_name(d) != Some(t),
            None => !(ref_name(d).is_none() && d.digest == desc.digest),
        });
        index.manifests.push(desc);
        if index.media_type.is_none() {
            index.media_type = Some(media_types::OCI_INDEX.to_string());
        }
        self.write_index(&index)
    }
}

use crate::atomic::STALE_TEMPORARY;

/// How long a writer waits for another to finish with a layout before it
/// gives up (the lock is held only while index.json is read and replaced,
/// or the layout is made).
pub const LOCK_WAIT: Duration = Duration::from_secs(60);

/// An exclusive advisory lock on directory `dir`, held until the file is
/// dropped (flock(2) on the directory itself: no lock file is left in the
/// layout). Waits at most `wait`, then fails naming the directory.
fn lock_dir(dir: &Path, wait: Duration) -> Result<std::fs::File, Error> {
    let f = std::fs::File::open(dir).map_err(|e| Error::io(dir, e))?;
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        match f.try_lock() {
            Ok(()) => return Ok(f),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                std::thread::sleep(pause.min(wait.saturating_sub(started.elapsed())));
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Layout {
                    path: dir.to_path_buf(),
                    detail: format!(
                        "is locked by another writer; gave up after waiting {} s for it",
                        wait.as_secs_f64()
                    ),
                })
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(dir, e)),
        }
    }
}

fn ref_name(d: &Descriptor) -> Option<&str> {
    d.annotations
        .as_ref()
        .and_then(|a| a.get(REF_NAME))
        .map(String::as_str)
}

/// Writes every blob of `image`, then points index.json at its root.
pub fn write_oci_layout(dir: &Path, image: &ImageBlobs, tag: Option<&str>) -> Result<(), Error> {
    let layout = OciLayout::open_or_create(dir)?;
    layout.write_blobs(&image.blobs)?;
    if !layout.has_blob(&image.root.digest) {
        return Err(Error::MissingBlob {
            digest: image.root.digest.clone(),
        });
    }
    layout.set_root(image.root.clone(), tag)
}

impl OciLayout {
    /// Writes each of `blobs` the layout lacks (or holds with another
    /// size), checked against its digest as it is written.
    pub fn write_blobs(
        &self,
        blobs: &std::collections::BTreeMap<Digest, BlobData>,
    ) -> Result<(), Error> {
        let layout = self;
        for (d, data) in blobs {
            let size = match data {
                BlobData::Bytes(b) => b.len() as u64,
                BlobData::File(p) => std::fs::metadata(p).map_err(|e| Error::io(p, e))?.len(),
            };
            if std::fs::metadata(layout.blob_path(d)).is_ok_and(|m| m.len() == size) {
                continue;
            }
            match data {
                BlobData::Bytes(b) => layout.write_blob_from(b.as_slice(), Some((d, size)))?,
                BlobData::File(p) => layout.write_blob_from(
                    std::fs::File::open(p).map_err(|e| Error::io(p, e))?,
                    Some((d, size)),
                )?,
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_json_names_the_platform_of_an_image_manifest_only() {
        let dir = tempfile::tempdir().expect("tmp");
        let layout = OciLayout::open_or_create(&dir.path().join("l")).expect("layout");
        let platform: crate::Platform = "linux/arm64".parse().expect("platform");
        let desc = |media_type: &str, data: &[u8]| Descriptor {
            media_type: media_type.into(),
            digest: Digest::sha256(data),
            size: data.len() as u64,
            urls: None,
            annotations: None,
            platform: Some(platform.clone()),
            artifact_type: None,
        };
        layout
            .set_root(desc(media_types::OCI_MANIFEST, b"m"), Some("image"))
            .expect("manifest");
        layout
            .set_root(desc(media_types::OCI_INDEX, b"i"), Some("index"))
            .expect("index");
        let index = layout.index().expect("index.json");
        let of = |tag: &str| {
            index
                .manifests
                .iter()
                .find(|d| ref_name(d) == Some(tag))
                .expect(tag)
                .platform
                .clone()
        };
        assert_eq!(of("image"), Some(platform));
        assert_eq!(of("index"), None);
    }

    #[test]
    fn mismatched_blob_is_refused_and_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tmp");
        let layout = OciLayout::open_or_create(&dir.path().join("l")).expect("layout");
        let wrong = Digest::sha256(b"something else");
        let err = layout
            .write_blob_from(&b"data"[..], Some((&wrong, 4)))
            .expect_err("mismatch");
        assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
        let left: Vec<_> = std::fs::read_dir(dir.path().join("l/blobs/sha256"))
            .expect("dir")
            .collect();
        assert!(left.is_empty(), "temp files left: {left:?}");
        let staged = std::fs::read_dir(dir.path().join("l").join(STAGING_DIR))
            .map(|d| d.count())
            .unwrap_or(0);
        assert_eq!(staged, 0, "staged files left");
        let d = layout.write_blob(b"data").expect("write");
        assert_eq!(layout.read_blob(&d).expect("read"), b"data");
        std::fs::write(layout.blob_path(&d), b"dat4").expect("corrupt");
        assert!(layout.read_blob(&d).is_err());
    }

    #[test]
    fn refuses_a_directory_that_is_not_a_layout() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("precious.txt"), "x").expect("write");
        let err = OciLayout::open_or_create(dir.path())
            .expect_err("refused")
            .to_string();
        assert!(err.contains("not an OCI image layout"), "{err}");
    }

    /// `data` stored as a blob, described as an image manifest.
    fn manifest_blob(layout: &OciLayout, data: &[u8]) -> Descriptor {
        Descriptor {
            media_type: media_types::OCI_MANIFEST.into(),
            digest: layout.write_blob(data).expect("blob"),
            size: data.len() as u64,
            urls: None,
            annotations: None,
            platform: None,
            artifact_type: None,
        }
    }

    #[test]
    fn concurrent_writers_keep_every_tag() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().join("l");
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let root = root.clone();
                std::thread::spawn(move || {
                    for round in 0..10 {
                        let layout = OciLayout::open_or_create(&root).expect("layout");
                        let data = format!("{i}-{round}");
                        let desc = manifest_blob(&layout, data.as_bytes());
                        layout
                            .set_root(desc, Some(&format!("t{i}-{round}")))
                            .expect("set");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        let index = OciLayout::open(&root)
            .expect("open")
            .index()
            .expect("index");
        assert_eq!(index.manifests.len(), 80, "every tag kept");
    }

    #[test]
    fn a_later_writer_removes_stale_temporaries_only() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().join("l");
        let layout = OciLayout::open_or_create(&root).expect("layout");
        let d = layout.write_blob(b"kept").expect("blob");
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let make = |p: &Path, age: Option<std::time::SystemTime>| {
            std::fs::write(p, b"partial").expect("write");
            if let Some(t) = age {
                std::fs::File::options()
                    .write(true)
                    .open(p)
                    .and_then(|f| f.set_modified(t))
                    .expect("mtime");
            }
        };
        let stale_blob = root.join("blobs/sha256/.tmp-killed");
        let stale_index = root.join(".tmp-index");
        let fresh = root.join("blobs/sha256/.tmp-writing");
        let other = root.join("blobs/sha256/notes");
        make(&stale_blob, Some(old));
        make(&stale_index, Some(old));
        make(&fresh, None);
        make(&other, Some(old));
        // A link named like a temporary is not followed or removed.
        let outside = dir.path().join("outside");
        make(&outside, Some(old));
        std::os::unix::fs::symlink(&outside, root.join(".tmp-link")).expect("link");
        OciLayout::open_or_create(&root).expect("reopen");
        assert!(!stale_blob.exists() && !stale_index.exists());
        assert!(fresh.exists() && other.exists() && outside.exists());
        assert!(root.join(".tmp-link").symlink_metadata().is_ok());
        assert_eq!(layout.read_blob(&d).expect("blob"), b"kept");
    }

    /// Reads `data` in small pieces, looking at the layout as it goes.
    struct Watching<'a> {
        data: &'a [u8],
        root: &'a Path,
        seen: Vec<(usize, usize)>,
    }

    impl Read for Watching<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let count = |d: &Path| std::fs::read_dir(d).map(|e| e.count()).unwrap_or(0);
            self.seen.push((
                count(&self.root.join("blobs/sha256")),
                count(&self.root.join(STAGING_DIR)),
            ));
            let n = buf.len().min(self.data.len()).min(1000);
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_blob_being_written_is_staged_outside_the_blobs_and_the_stage_is_tidied() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().join("l");
        let layout = OciLayout::open_or_create(&root).expect("layout");
        let data = vec![7u8; 10_000];
        let mut r = Watching {
            data: &data,
            root: &root,
            seen: Vec::new(),
        };
        let (d, size) = layout.write_blob_from(&mut r, None).expect("blob");
        assert_eq!((d.clone(), size), (Digest::sha256(&data), 10_000));
        assert!(r.seen.len() > 5, "{:?}", r.seen);
        assert!(r.seen.iter().all(|s| *s == (0, 1)), "{:?}", r.seen);
        layout
            .set_root(manifest_blob(&layout, b"m"), Some("t"))
            .expect("set");
        let mut names: Vec<_> = std::fs::read_dir(&root)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["blobs", "index.json", "oci-layout"]);
    }

    #[test]
    fn a_killed_writers_staged_blob_goes_when_the_layout_is_opened() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().join("l");
        OciLayout::open_or_create(&root).expect("layout");
        std::fs::create_dir(root.join(STAGING_DIR)).expect("mkdir");
        // A pid above the kernel's largest: a writer that has ended.
        let partial = root.join(STAGING_DIR).join(".tmp-envelope-4194305-Ab12");
        std::fs::write(&partial, b"part of a blob").expect("write");
        OciLayout::open(&root).expect("open for reading");
        assert!(partial.exists(), "readers leave the layout alone");
        OciLayout::open_or_create(&root).expect("open for writing");
        assert!(!partial.exists());
    }

    #[test]
    fn a_writer_gives_up_on_a_lock_held_too_long_naming_the_layout() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().join("l");
        OciLayout::open_or_create(&root).expect("layout");
        let holder = std::fs::File::open(&root).expect("open");
        holder.lock().expect("lock");
        let started = Instant::now();
        let err = lock_dir(&root, Duration::from_millis(300)).expect_err("held");
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(300) && waited < Duration::from_secs(5),
            "{waited:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains(&root.display().to_string()) && msg.contains("locked by another writer"),
            "{msg}"
        );
        // Released while waiting: the writer goes on.
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            drop(holder);
        });
        lock_dir(&root, Duration::from_secs(30)).expect("released");
        release.join().expect("thread");
    }

    #[test]
    fn tags_replace_and_keep() {
        let dir = tempfile::tempdir().expect("tmp");
        let layout = OciLayout::open_or_create(dir.path()).expect("layout");
        let a = manifest_blob(&layout, b"a");
        let b = manifest_blob(&layout, b"b");
        layout.set_root(a.clone(), Some("one")).expect("set");
        layout.set_root(b.clone(), Some("two")).expect("set");
        layout.set_root(b.clone(), Some("one")).expect("set");
        let idx = layout.index().expect("index");
        assert_eq!(idx.manifests.len(), 2);
        assert_eq!(layout.resolve(Some("one")).expect("one").digest, b.digest);
        assert!(layout.resolve(None).is_err(), "two images: a tag is needed");
        assert!(layout.resolve(Some("three")).is_err());
    }
}
