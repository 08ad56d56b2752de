//! Streaming image reading: open an image (an OCI layout, an oci-archive or
//! a docker-archive), read only its small JSON documents (index, manifest,
//! config) into memory, and stream each blob from disk through a
//! [`VerifyingReader`] that checks its size and digest as it goes.
//!
//! Memory stays bounded whatever the size of the layers: JSON documents are
//! read whole but refused above [`JSON_LIMIT`], tar archives are indexed by
//! their headers only, and blobs are streamed through 64 KiB buffers.
//!
//! Every transport opens into an [`ImageStore`] (where the blobs are, and
//! the root), which [`ImageStore::image`] narrows to one platform with
//! [`Platform::choose`] and [`ImageStore::blobs`] reads whole for a copy; a
//! blob directory can be filled by a [`Fetch`] (a registry pull) as it is
//! read.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::Digest as _;

use crate::layout::{OciLayout, REF_NAME};
use crate::tar::Member;
use crate::{
    media_types, to_json, BlobData, Descriptor, Digest, DigestHasher, Error, ImageBlobs,
    ImageConfiguration, ImageIndex, ImageManifest, Platform,
};

/// The largest JSON document (index.json, manifest.json, an image index, a
/// manifest or a config) read into memory; anything larger is refused.
pub const JSON_LIMIT: u64 = 8 << 20;

/// Entries of a tar archive indexed at most (as `read_*_archive` do).
const ENTRY_LIMIT: usize = 1_000_000;
/// Image indexes nested deeper than this are refused.
const MAX_INDEX_DEPTH: usize = 8;
/// Image indexes read while looking for manifests, at most.
const MAX_INDEXES: usize = 1_000;
/// Manifests an image may list across all its indexes.
const MAX_MANIFESTS: usize = 10_000;
/// Read buffer for blobs.
const BUF_SIZE: usize = 64 << 10;

/// Annotation buildx puts on attestation manifests in an index.
const REFERENCE_TYPE: &str = "vnd.docker.reference.type";

/// An opened image: its (small) manifest and config in memory, its blobs on
/// disk, streamed on demand by [`ImageSource::open_blob`].
#[derive(Debug, Clone)]
pub struct ImageSource {
    /// The manifest of the image (of the chosen platform when the image is
    /// an index). For a docker-archive without a usable OCI index it is the
    /// OCI manifest synthesized for it (as skopeo does: the digest is new).
    pub manifest: ImageManifest,
    /// The digest of `manifest`: the root's, or the index entry's.
    pub manifest_digest: Digest,
    /// The descriptor of `manifest`, as its index lists it (or the root).
    pub manifest_descriptor: Descriptor,
    /// The parsed image config.
    pub config: ImageConfiguration,
    /// The config's bytes, verified against `config_digest`.
    pub config_bytes: Vec<u8>,
    pub config_digest: Digest,
    /// The platform of the chosen index entry; for an image without an
    /// index, the config's (None only when the config names no OS or
    /// architecture).
    pub platform: Option<Platform>,
    /// "oci", "oci-archive" or "docker-archive".
    pub transport: String,
    store: Arc<Store<'static>>,
}

impl ImageSource {
    /// The layer descriptors, base layer first.
    pub fn layers(&self) -> &[Descriptor] {
        &self.manifest.layers
    }

    /// Streams blob `d` (a layer, the config, ...) from disk, without
    /// reading it into memory. The reader is a [`VerifyingReader`]: its size
    /// and digest are checked as it is read, and a mismatch is an
    /// `InvalidData` error when the end is reached. Verification needs the
    /// end: read the stream to EOF (e.g. `io::copy(&mut r, &mut io::sink())`
    /// after a tar parser stops at the end-of-archive marker), or a corrupt
    /// tail goes unnoticed.
    ///
    /// A blob that is absent, or whose size on disk differs from the
    /// descriptor's, is an error here already.
    pub fn open_blob(&self, d: &Descriptor) -> Result<Box<dyn Read + Send>, Error> {
        Ok(Box::new(self.store.open_verified(d)?))
    }

    /// Blob `d` as a region of its file, NOT verified, that can be skipped
    /// through without reading (`Seek`): for readers that need only part of
    /// a blob, such as an audit of an uncompressed layer that looks at file
    /// headers. Its size on disk is still checked.
    pub fn open_blob_unverified(&self, d: &Descriptor) -> Result<BlobRegion, Error> {
        self.store.open_region(d)
    }
}

/// `len` bytes of a file from `start`, readable and seekable within them.
#[derive(Debug)]
pub struct BlobRegion {
    file: BufReader<File>,
    len: u64,
    pos: u64,
}

impl Read for BlobRegion {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        if left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
        let n = self.file.read(&mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for BlobRegion {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
        };
        let target = target
            .filter(|t| *t <= self.len)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek outside the blob"))?;
        let delta = i64::try_from(target as i128 - self.pos as i128)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "seek too far"))?;
        self.file.seek_relative(delta)?;
        self.pos = target;
        Ok(target)
    }
}

// ---------------------------------------------------------------------------
// Verification while streaming.

enum State {
    Reading,
    Verified,
    Failed(String),
}

/// Counts and hashes the bytes read through it. When the inner reader
/// reaches its end, the count and digest are compared with the descriptor
/// and a difference is an `io::ErrorKind::InvalidData` error naming the
/// expected and the actual digest. More bytes than the descriptor's size
/// are an error as soon as they arrive. After an error every further read
/// fails the same way; after a successful check reads return 0.
pub struct VerifyingReader<R> {
    inner: R,
    expected: Digest,
    expected_size: u64,
    hasher: DigestHasher,
    count: u64,
    label: String,
    state: State,
}

impl<R> std::fmt::Debug for VerifyingReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingReader")
            .field("blob", &self.label)
            .field("expected", &self.expected)
            .field("expected_size", &self.expected_size)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl<R: Read> VerifyingReader<R> {
    /// Verifies `inner` against `expected`'s digest and size.
    pub fn new(inner: R, expected: &Descriptor) -> Self {
        Self::with_label(inner, expected, format!("blob {}", expected.digest))
    }

    /// As [`VerifyingReader::new`], naming the blob `label` (a file, an
    /// archive member) in errors.
    pub fn with_label(inner: R, expected: &Descriptor, label: impl Into<String>) -> Self {
        VerifyingReader {
            inner,
            hasher: DigestHasher::for_digest(&expected.digest),
            expected: expected.digest.clone(),
            expected_size: expected.size,
            count: 0,
            label: label.into(),
            state: State::Reading,
        }
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.count
    }

    /// The end was reached and size and digest matched.
    pub fn is_verified(&self) -> bool {
        matches!(self.state, State::Verified)
    }

    /// Reads whatever is left (discarding it), checks size and digest, and
    /// returns the inner reader.
    pub fn finish(mut self) -> io::Result<R> {
        io::copy(&mut self, &mut io::sink())?;
        Ok(self.inner)
    }

    fn fail(&mut self, message: String) -> io::Error {
        self.state = State::Failed(message.clone());
        io::Error::new(io::ErrorKind::InvalidData, message)
    }

    fn verify(&mut self) -> io::Result<()> {
        let actual = self.hasher.finish();
        let expected = self.expected.to_string();
        if self.count == self.expected_size && actual == expected {
            self.state = State::Verified;
            return Ok(());
        }
        let message = if self.count == self.expected_size {
            format!(
                "{}: digest mismatch: expected {expected}, actual {actual} ({} bytes); \
                 the blob is corrupt: fetch or export the image again",
                self.label, self.count
            )
        } else {
            format!(
                "{}: expected {} bytes with digest {expected}, got {} bytes with digest \
                 {actual}; the blob is truncated or corrupt: fetch or export the image again",
                self.label, self.expected_size, self.count
            )
        };
        Err(self.fail(message))
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &self.state {
            State::Verified => return Ok(0),
            State::Failed(m) => return Err(io::Error::new(io::ErrorKind::InvalidData, m.clone())),
            State::Reading => {}
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?.min(buf.len());
        if n == 0 {
            self.verify()?;
            return Ok(0);
        }
        let total = self.count.saturating_add(n as u64);
        if total > self.expected_size {
            let message = format!(
                "{}: more than the {} bytes the descriptor of {} gives; the blob is corrupt \
                 or was replaced: fetch or export the image again",
                self.label, self.expected_size, self.expected
            );
            return Err(self.fail(message));
        }
        self.hasher.update(&buf[..n]);
        self.count = total;
        Ok(n)
    }
}

// ---------------------------------------------------------------------------
// Where blobs are.

/// An OCI layout directory (blobs at `blobs/ALG/HEX`), or a tar archive
/// indexed by member name.
#[derive(Clone)]
struct Store<'f> {
    path: PathBuf,
    /// What errors about the image (not about a file) name: the path, or
    /// the registry reference a blob cache holds.
    label: PathBuf,
    archive: Option<Members>,
    /// Fills a directory store with the blobs it lacks (a registry pull
    /// into envelope's blob cache); only while the image is opened.
    fetch: Option<Arc<dyn Fetch + 'f>>,
}

impl std::fmt::Debug for Store<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("label", &self.label)
            .field("archive", &self.archive)
            .field("fetch", &self.fetch.is_some())
            .finish()
    }
}

/// Puts a blob a directory store lacks into it, verified, at
/// `DIR/blobs/ALGORITHM/HEX`: what a registry pull through a blob cache
/// does. `manifest` says whether it is an image manifest or index (which
/// registries serve from another endpoint) or any other blob.
pub trait Fetch: Send + Sync {
    fn fetch(
        &self,
        d: &Descriptor,
        manifest: bool,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;
}

#[derive(Debug, Clone)]
struct Members {
    entries: BTreeMap<String, Member>,
    /// Blobs of a legacy docker-archive, named by manifest.json rather than
    /// by digest.
    named: BTreeMap<Digest, String>,
}

/// A blob's bytes: `size` bytes at `offset` of `file`.
struct Located {
    file: PathBuf,
    member: Option<String>,
    offset: u64,
    size: u64,
}

impl Located {
    fn label(&self) -> String {
        match &self.member {
            Some(m) => format!("member {m} of {}", self.file.display()),
            None => self.file.display().to_string(),
        }
    }
}

fn blob_entry(d: &Digest) -> String {
    format!("blobs/{}/{}", d.algorithm(), d.hex())
}

impl<'f> Store<'f> {
    fn dir(root: &Path) -> Store<'f> {
        Store {
            path: root.to_path_buf(),
            label: root.to_path_buf(),
            archive: None,
            fetch: None,
        }
    }

    /// This store without its fetcher, for reading what opening fetched.
    fn detached(self) -> Store<'static> {
        Store {
            path: self.path,
            label: self.label,
            archive: self.archive,
            fetch: None,
        }
    }

    /// Fetches blob `d` into a directory store that lacks it.
    fn ensure(&self, d: &Descriptor, manifest: bool) -> Result<(), Error> {
        let Some(fetch) = &self.fetch else {
            return Ok(());
        };
        if self.archive.is_some() {
            return Ok(());
        }
        let file = self
            .path
            .join("blobs")
            .join(d.digest.algorithm())
            .join(d.digest.hex());
        if file.is_file() {
            return Ok(());
        }
        fetch.fetch(d, manifest).map_err(|source| Error::Fetch {
            digest: d.digest.clone(),
            source,
        })
    }

    /// Indexes the archive's members (headers only).
    fn archive(path: &Path) -> Result<Store<'f>, Error> {
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        let entries =
            crate::tar::list_members(&mut file, ENTRY_LIMIT).map_err(|detail| {
                let mut magic = [0u8; 4];
                let compressed = File::open(path)
                    .and_then(|mut f| f.read_exact(&mut magic))
                    .is_ok()
                    && (magic.starts_with(&[0x1f, 0x8b]) || magic == [0x28, 0xb5, 0x2f, 0xfd]);
                Error::Layout {
                    path: path.to_path_buf(),
                    detail: if compressed {
                        "is a compressed archive: decompress it first (gunzip or zstd -d), an image archive is a plain tar".to_string()
                    } else {
                        format!("not a readable tar archive ({detail}); it may be truncated: export the image again")
                    },
                }
            })?;
        Ok(Store {
            path: path.to_path_buf(),
            label: path.to_path_buf(),
            archive: Some(Members {
                entries,
                named: BTreeMap::new(),
            }),
            fetch: None,
        })
    }

    fn member(&self, name: &str) -> Option<&Member> {
        self.archive.as_ref().and_then(|a| a.entries.get(name))
    }

    fn need_member(&self, name: &str) -> Result<&Member, Error> {
        self.member(name).ok_or_else(|| Error::Layout {
            path: self.path.clone(),
            detail: format!(
                "has no member {name}; the archive is incomplete or truncated: export the image again"
            ),
        })
    }

    /// A small archive member (a JSON document) read whole, `None` when
    /// absent.
    fn read_small(&self, name: &str, what: &str) -> Result<Option<Vec<u8>>, Error> {
        let Some(m) = self.member(name) else {
            return Ok(None);
        };
        if m.size > JSON_LIMIT {
            return Err(Error::Layout {
                path: self.path.clone(),
                detail: format!(
                    "member {name} ({what}) is {} bytes, more than the {JSON_LIMIT} a JSON document may have",
                    m.size
                ),
            });
        }
        let mut file = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        crate::tar::read_member(&mut file, m, JSON_LIMIT)
            .map(Some)
            .map_err(|detail| Error::Layout {
                path: self.path.clone(),
                detail: format!("member {name}: {detail}; export the image again"),
            })
    }

    fn locate(&self, d: &Digest) -> Result<Located, Error> {
        let Some(a) = &self.archive else {
            // Digests are validated hex: the path stays in the layout.
            let file = self.path.join("blobs").join(d.algorithm()).join(d.hex());
            return match std::fs::metadata(&file) {
                Ok(m) if m.is_file() => Ok(Located {
                    file,
                    member: None,
                    offset: 0,
                    size: m.len(),
                }),
                Ok(_) => Err(Error::Layout {
                    path: file,
                    detail: "is not a regular file; the layout is damaged".into(),
                }),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::Layout {
                    path: self.path.clone(),
                    detail: format!(
                        "has no blob {d} (blobs/{}/{}); the layout is incomplete: copy the image into it again",
                        d.algorithm(),
                        d.hex()
                    ),
                }),
                Err(e) => Err(Error::io(file, e)),
            };
        };
        let name = a.named.get(d).cloned().unwrap_or_else(|| blob_entry(d));
        let m = a.entries.get(&name).ok_or_else(|| Error::Layout {
            path: self.path.clone(),
            detail: format!(
                "has no member {name} (blob {d}); the archive is incomplete or truncated: export the image again"
            ),
        })?;
        Ok(Located {
            file: self.path.clone(),
            member: Some(name),
            offset: m.offset,
            size: m.size,
        })
    }

    /// The blob of `d`, present and of the descriptor's size.
    fn locate_checked(&self, d: &Descriptor) -> Result<Located, Error> {
        self.ensure(d, false)?;
        let loc = self.locate(&d.digest)?;
        if loc.size != d.size {
            let what = match &loc.member {
                Some(m) => format!("member {m} is"),
                None => "is".to_string(),
            };
            return Err(Error::Layout {
                path: loc.file,
                detail: format!(
                    "{what} {} bytes, but the descriptor of {} says {}; the image is corrupt: export or copy it again",
                    loc.size, d.digest, d.size
                ),
            });
        }
        Ok(loc)
    }

    fn open_raw(loc: &Located) -> Result<io::Take<File>, Error> {
        let mut f = File::open(&loc.file).map_err(|e| Error::io(&loc.file, e))?;
        if loc.offset > 0 {
            f.seek(SeekFrom::Start(loc.offset))
                .map_err(|e| Error::io(&loc.file, e))?;
        }
        Ok(f.take(loc.size))
    }

    fn open_region(&self, d: &Descriptor) -> Result<BlobRegion, Error> {
        let loc = self.locate_checked(d)?;
        let mut file = File::open(&loc.file).map_err(|e| Error::io(&loc.file, e))?;
        file.seek(SeekFrom::Start(loc.offset))
            .map_err(|e| Error::io(&loc.file, e))?;
        Ok(BlobRegion {
            file: BufReader::with_capacity(16 << 10, file),
            len: loc.size,
            pos: 0,
        })
    }

    fn open_verified(
        &self,
        d: &Descriptor,
    ) -> Result<VerifyingReader<BufReader<io::Take<File>>>, Error> {
        let loc = self.locate_checked(d)?;
        let raw = Self::open_raw(&loc)?;
        Ok(VerifyingReader::with_label(
            BufReader::with_capacity(BUF_SIZE, raw),
            d,
            loc.label(),
        ))
    }

    /// A JSON blob (index, manifest, config), read whole and verified.
    fn read_json_blob(&self, d: &Descriptor, what: &str) -> Result<Vec<u8>, Error> {
        if d.size > JSON_LIMIT {
            return Err(Error::Layout {
                path: self.path.clone(),
                detail: format!(
                    "the {what} {} is {} bytes, more than the {JSON_LIMIT} a JSON document may have",
                    d.digest, d.size
                ),
            });
        }
        self.ensure(d, what != "image config")?;
        let loc = self.locate_checked(d)?;
        let mut raw = Self::open_raw(&loc)?;
        let mut bytes = Vec::with_capacity(d.size as usize);
        raw.read_to_end(&mut bytes)
            .map_err(|e| Error::io(&loc.file, e))?;
        if bytes.len() as u64 != d.size {
            return Err(Error::Layout {
                path: loc.file.clone(),
                detail: format!(
                    "{} ends after {} of its {} bytes; it is truncated: export or copy the image again",
                    loc.member.as_deref().unwrap_or("the file"),
                    bytes.len(),
                    d.size
                ),
            });
        }
        let mut h = DigestHasher::for_digest(&d.digest);
        h.update(&bytes);
        let actual = h.finish();
        if actual != d.digest.to_string() {
            return Err(Error::DigestMismatch {
                what: format!("the {what} at {}", loc.label()),
                expected: d.digest.clone(),
                actual: actual.parse().unwrap_or_else(|_| Digest::sha256(&bytes)),
            });
        }
        Ok(bytes)
    }
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8], what: String) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Json {
        what,
        detail: e.to_string(),
    })
}

// ---------------------------------------------------------------------------
// Platforms.

fn config_platform(c: &ImageConfiguration) -> Option<Platform> {
    (!c.os.is_empty() && !c.architecture.is_empty()).then(|| Platform {
        architecture: c.architecture.clone(),
        os: c.os.clone(),
        os_version: c.os_version.clone(),
        os_features: None,
        variant: c.variant.clone(),
    })
}

fn is_unknown(p: &Platform) -> bool {
    p.os == "unknown" && p.architecture == "unknown"
}

fn is_attestation(d: &Descriptor) -> bool {
    d.annotations
        .as_ref()
        .and_then(|a| a.get(REFERENCE_TYPE))
        .is_some_and(|t| t == "attestation-manifest")
        || d.platform.as_ref().is_some_and(is_unknown)
}

fn is_image_config(media_type: &str) -> bool {
    media_type == media_types::OCI_CONFIG || media_type == media_types::DOCKER_CONFIG
}

struct Candidate {
    desc: Descriptor,
    platform: Option<Platform>,
}

fn platform_name(p: Option<&Platform>) -> String {
    p.map_or_else(|| "unknown".to_string(), Platform::to_string)
}

/// The platforms of `cands`, each once, in order.
fn platform_list(cands: &[Candidate]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for c in cands {
        let n = platform_name(c.platform.as_ref());
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names
}

/// Among the entries matching `want`, the one [`Platform::choose`] picks.
fn best_match(mut cands: Vec<Candidate>, want: &Platform) -> Option<Candidate> {
    let i = want.choose(&cands, |c| c.platform.as_ref())?;
    Some(cands.swap_remove(i))
}

/// Picks the manifest for `want`; without one, the only platform, else
/// linux/amd64, else an error listing the platforms.
fn choose(cands: Vec<Candidate>, want: Option<&Platform>, path: &Path) -> Result<Candidate, Error> {
    let names = platform_list(&cands);
    let err = |detail: String| Error::Layout {
        path: path.to_path_buf(),
        detail,
    };
    if cands.is_empty() {
        return Err(err(
            "image index lists no image manifest (only attestations or other artifacts)".into(),
        ));
    }
    match want {
        Some(w) => best_match(cands, w).ok_or_else(|| {
            err(format!(
                "image has no {w} platform; it has {}: choose one of those with --platform",
                names.join(", ")
            ))
        }),
        None if names.len() == 1 => cands
            .into_iter()
            .next()
            .ok_or_else(|| err("image index lists no image manifest".into())),
        None => best_match(cands, &Platform::linux_amd64()).ok_or_else(|| {
            err(format!(
                "image has several platforms ({}): choose one with --platform",
                names.join(", ")
            ))
        }),
    }
}

// ---------------------------------------------------------------------------
// From a root descriptor to an image.

/// Why opening failed, and whether a docker-archive may still fall back to
/// its manifest.json (not when the image was found but the platform asked
/// for is not in it).
struct Failure {
    error: Box<Error>,
    platform: bool,
}

impl Failure {
    fn other(error: Error) -> Failure {
        Failure {
            error: Box::new(error),
            platform: false,
        }
    }

    fn platform(error: Error) -> Failure {
        Failure {
            error: Box::new(error),
            platform: true,
        }
    }
}

struct Walk<'a> {
    store: &'a Store<'a>,
    indexes: usize,
    out: Vec<Candidate>,
}

impl Walk<'_> {
    /// The image manifests `index` (and the indexes in it) lists, without
    /// attestations.
    fn index(&mut self, index: &Descriptor, depth: usize) -> Result<(), Error> {
        let path = &self.store.label;
        if depth > MAX_INDEX_DEPTH {
            return Err(Error::Layout {
                path: path.to_path_buf(),
                detail: format!(
                    "image indexes are nested more than {MAX_INDEX_DEPTH} deep (at {})",
                    index.digest
                ),
            });
        }
        self.indexes += 1;
        if self.indexes > MAX_INDEXES {
            return Err(Error::Layout {
                path: path.to_path_buf(),
                detail: format!("image has more than {MAX_INDEXES} image indexes"),
            });
        }
        let bytes = self.store.read_json_blob(index, "image index")?;
        let idx: ImageIndex = parse(
            &bytes,
            format!("image index {} in {}", index.digest, path.display()),
        )?;
        for d in idx.manifests {
            if is_attestation(&d) {
                continue;
            }
            if media_types::is_index(&d.media_type) {
                self.index(&d, depth + 1)?;
            } else if media_types::is_manifest(&d.media_type) {
                if self.out.len() >= MAX_MANIFESTS {
                    return Err(Error::Layout {
                        path: path.to_path_buf(),
                        detail: format!("image lists more than {MAX_MANIFESTS} manifests"),
                    });
                }
                self.out.push(Candidate {
                    platform: d.platform.clone(),
                    desc: d,
                });
            }
        }
        Ok(())
    }
}

fn read_manifest(store: &Store, d: &Descriptor) -> Result<ImageManifest, Error> {
    let bytes = store.read_json_blob(d, "image manifest")?;
    parse(
        &bytes,
        format!("image manifest {} in {}", d.digest, store.label.display()),
    )
}

fn read_config(store: &Store, m: &ImageManifest) -> Result<(ImageConfiguration, Vec<u8>), Error> {
    let bytes = store.read_json_blob(&m.config, "image config")?;
    let config = parse(
        &bytes,
        format!(
            "image config {} in {}",
            m.config.digest,
            store.label.display()
        ),
    )?;
    Ok((config, bytes))
}

/// Index entries without a platform get the one of their config; entries
/// that turn out not to be images (artifacts, attestations) are dropped.
fn fill_platforms(store: &Store, cands: Vec<Candidate>) -> Result<Vec<Candidate>, Error> {
    let mut out = Vec::with_capacity(cands.len());
    for mut c in cands {
        if c.platform.is_none() {
            let m = read_manifest(store, &c.desc)?;
            if !is_image_config(&m.config.media_type) {
                continue;
            }
            let (config, _) = read_config(store, &m)?;
            c.platform = config_platform(&config);
            if c.platform.as_ref().is_some_and(is_unknown) {
                continue;
            }
        }
        out.push(c);
    }
    Ok(out)
}

/// Every layer is present with its descriptor's size (nothing is read).
fn check_layers(store: &Store, layers: &[Descriptor]) -> Result<(), Error> {
    for l in layers {
        store.locate_checked(l)?;
    }
    Ok(())
}

fn check_platform(
    want: Option<&Platform>,
    have: Option<&Platform>,
    path: &Path,
) -> Result<(), Error> {
    match (want, have) {
        (Some(w), Some(h)) if !w.matches(h) => Err(Error::Layout {
            path: path.to_path_buf(),
            detail: format!(
                "image is for {h}, not for {w}: choose another image, or another --platform"
            ),
        }),
        (Some(w), None) => Err(Error::Layout {
            path: path.to_path_buf(),
            detail: format!("image config names no platform, so it cannot be checked to be {w}"),
        }),
        _ => Ok(()),
    }
}

/// What opening found; the store is added by the caller, which may still
/// need it when this fails.
#[derive(Clone)]
struct Opened {
    manifest: ImageManifest,
    /// The manifest's descriptor (as the index lists it, or the root).
    desc: Descriptor,
    manifest_digest: Digest,
    config: ImageConfiguration,
    config_bytes: Vec<u8>,
    platform: Option<Platform>,
}

impl Opened {
    fn into_source(self, store: Store<'_>, transport: &str) -> ImageSource {
        ImageSource {
            config_digest: self.manifest.config.digest.clone(),
            manifest_descriptor: self.desc,
            manifest: self.manifest,
            manifest_digest: self.manifest_digest,
            config: self.config,
            config_bytes: self.config_bytes,
            platform: self.platform,
            transport: transport.to_string(),
            store: Arc::new(store.detached()),
        }
    }
}

/// The image `root` is: itself when a manifest, the entry for `want` when
/// an index.
fn from_root(store: &Store, root: Descriptor, want: Option<&Platform>) -> Result<Opened, Failure> {
    let path = store.label.clone();
    let (desc, index_platform) = if media_types::is_manifest(&root.media_type) {
        (root, None)
    } else if media_types::is_index(&root.media_type) {
        let mut walk = Walk {
            store,
            indexes: 0,
            out: Vec::new(),
        };
        walk.index(&root, 0).map_err(Failure::other)?;
        let cands = fill_platforms(store, walk.out).map_err(Failure::other)?;
        let c = choose(cands, want, &path).map_err(Failure::platform)?;
        (c.desc, Some(c.platform))
    } else {
        return Err(Failure::other(Error::Layout {
            path,
            detail: format!(
                "the image's root {} has media type {:?}, neither an image manifest nor an index: not a container image",
                root.digest, root.media_type
            ),
        }));
    };
    let manifest = read_manifest(store, &desc).map_err(Failure::other)?;
    let (config, config_bytes) = read_config(store, &manifest).map_err(Failure::other)?;
    let platform = match index_platform {
        Some(p) => p,
        None => {
            let p = config_platform(&config);
            check_platform(want, p.as_ref(), &path).map_err(Failure::platform)?;
            p
        }
    };
    check_layers(store, &manifest.layers).map_err(Failure::other)?;
    Ok(Opened {
        manifest,
        manifest_digest: desc.digest.clone(),
        desc,
        config,
        config_bytes,
        platform,
    })
}

/// A file read whole must not exceed [`JSON_LIMIT`] (absent is fine here).
fn check_small_file(path: &Path) -> Result<(), Error> {
    match std::fs::metadata(path) {
        Ok(m) if m.len() > JSON_LIMIT => Err(Error::Layout {
            path: path.to_path_buf(),
            detail: format!(
                "is {} bytes, more than the {JSON_LIMIT} a JSON document may have",
                m.len()
            ),
        }),
        _ => Ok(()),
    }
}

/// An image as it is stored, before a platform is chosen: where its blobs
/// are and its root (a manifest or an index). Every transport opens into
/// one: [`ImageStore::image`] narrows it to the image of one platform,
/// streamed; [`ImageStore::blobs`] reads every blob it reaches, verified,
/// for copying.
pub struct ImageStore<'f> {
    store: Store<'f>,
    root: Descriptor,
    transport: String,
    /// A legacy docker-archive's image, opened from manifest.json (its
    /// manifest is synthesized, so it has no store of its own).
    legacy: Option<Opened>,
}

impl std::fmt::Debug for ImageStore<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageStore")
            .field("store", &self.store)
            .field("root", &self.root)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl<'f> ImageStore<'f> {
    /// The image tagged `tag` (or the only one) in the OCI layout `dir`.
    pub fn oci_layout(dir: &Path, tag: Option<&str>) -> Result<ImageStore<'f>, Error> {
        check_small_file(&dir.join("oci-layout"))?;
        check_small_file(&dir.join("index.json"))?;
        let layout = OciLayout::open(dir)?;
        let root = layout.resolve(tag)?;
        Ok(ImageStore {
            store: Store::dir(dir),
            root,
            transport: "oci".into(),
            legacy: None,
        })
    }

    /// An `oci-archive:` (a tar of an OCI layout), not extracted: the tar's
    /// headers are indexed, and blobs are read from their offsets.
    pub fn oci_archive(file: &Path, tag: Option<&str>) -> Result<ImageStore<'f>, Error> {
        let store = Store::archive(file)?;
        let root = archive_root(&store, tag)?;
        Ok(ImageStore {
            store,
            root,
            transport: "oci-archive".into(),
            legacy: None,
        })
    }

    /// A `docker-archive:`: the OCI index.json when there is one and it
    /// yields the image, else the manifest.json entry for `reference` (or
    /// the only one), as an OCI manifest synthesized for it (as skopeo
    /// does: the digest is new).
    ///
    /// Cost: a legacy archive (manifest.json only) names its layers by path,
    /// not digest, and the synthesized manifest needs their digests, so
    /// every compressed layer is read once here, streamed through sha256 in
    /// 64 KiB buffers, and again, verified, when streamed. Uncompressed
    /// layers are checked against the config's rootfs.diff_ids, the only
    /// reference such an archive has for them.
    pub fn docker_archive(file: &Path, reference: Option<&str>) -> Result<ImageStore<'f>, Error> {
        let store = Store::archive(file)?;
        if store.member("index.json").is_some() {
            // The index yields the image when it opens, or when only the
            // platform is left to choose (that is decided later).
            let found = archive_root(&store, reference)
                .map_err(Failure::other)
                .and_then(|root| match from_root(&store, root.clone(), None) {
                    Err(f) if !f.platform => Err(f),
                    _ => Ok(root),
                });
            match found {
                Ok(root) => {
                    return Ok(ImageStore {
                        store,
                        root,
                        transport: "docker-archive".into(),
                        legacy: None,
                    })
                }
                Err(f) if store.member("manifest.json").is_none() => return Err(*f.error),
                // An index.json that does not yield the image leaves
                // manifest.json to try.
                Err(_) => {}
            }
        }
        let (store, opened) = open_legacy(store, reference)?;
        let manifest_bytes = to_json(&opened.manifest);
        Ok(ImageStore {
            store,
            root: descriptor(
                media_types::OCI_MANIFEST,
                opened.manifest_digest.clone(),
                manifest_bytes.len() as u64,
            ),
            transport: "docker-archive".into(),
            legacy: Some(opened),
        })
    }

    /// The image whose root (a manifest or an index) is `root`, every blob
    /// a file `DIR/blobs/ALGORITHM/HEX`: an OCI layout's store, or
    /// envelope's blob cache of pulled images, which `fetch` fills with what
    /// it lacks while the image is opened. `transport` names where it came
    /// from (`docker` for a registry).
    pub fn blob_dir(
        dir: &Path,
        root: Descriptor,
        transport: &str,
        fetch: Option<Arc<dyn Fetch + 'f>>,
    ) -> ImageStore<'f> {
        let mut store = Store::dir(dir);
        store.fetch = fetch;
        ImageStore {
            store,
            root,
            transport: transport.into(),
            legacy: None,
        }
    }

    /// Names the image `label` in errors about it (a registry reference
    /// rather than the blob cache's directory).
    pub fn named(mut self, label: impl Into<PathBuf>) -> ImageStore<'f> {
        self.store.label = label.into();
        self
    }

    /// The root: the manifest or index the reference names.
    pub fn root(&self) -> &Descriptor {
        &self.root
    }

    /// The root's bytes, read and verified against its digest.
    pub fn root_bytes(&self) -> Result<Vec<u8>, Error> {
        if let Some(o) = &self.legacy {
            return Ok(to_json(&o.manifest));
        }
        let what = if media_types::is_index(&self.root.media_type) {
            "image index"
        } else {
            "image manifest"
        };
        self.store.read_json_blob(&self.root, what)
    }

    /// "oci", "oci-archive", "docker-archive" or what `blob_dir` was given.
    pub fn transport(&self) -> &str {
        &self.transport
    }

    /// The image for `platform` when the root is an index (without one: the
    /// only platform, else linux/amd64, else an error listing them); a
    /// single image must be for `platform` when one is given. Reads the
    /// index, the manifest and the config; layers stay where they are and
    /// are only checked to be present with the right size.
    pub fn image(&self, platform: Option<&Platform>) -> Result<ImageSource, Error> {
        if let Some(o) = &self.legacy {
            check_platform(platform, o.platform.as_ref(), &self.store.label)?;
            return Ok(o.clone().into_source(self.store.clone(), &self.transport));
        }
        let opened = from_root(&self.store, self.root.clone(), platform).map_err(|f| *f.error)?;
        Ok(opened.into_source(self.store.clone(), &self.transport))
    }

    /// Every blob of the image, verified: with `platform`, the image
    /// [`ImageStore::image`] chooses (its manifest becomes the root);
    /// without, everything the root reaches (every platform of an index,
    /// attestations and artifacts included), for a copy that keeps the
    /// image whole. Blobs of a directory store stay files; those of an
    /// archive are read into memory.
    pub fn blobs(&self, platform: Option<&Platform>) -> Result<ImageBlobs, Error> {
        if platform.is_some() || self.legacy.is_some() {
            let image = self.image(platform)?;
            let mut root = image.manifest_descriptor.clone();
            root.annotations = None;
            root.platform = image.platform.clone();
            let manifest = match &self.legacy {
                Some(_) => to_json(&image.manifest),
                None => self.store.read_json_blob(&root, "image manifest")?,
            };
            let mut out = ImageBlobs::new(root.clone());
            out.insert(root.digest, BlobData::Bytes(Arc::new(manifest)));
            out.insert(
                image.config_digest.clone(),
                BlobData::Bytes(Arc::new(image.config_bytes.clone())),
            );
            for l in &image.manifest.layers {
                self.insert_blob(&mut out, l)?;
            }
            return Ok(out);
        }
        let mut root = self.root.clone();
        root.annotations = None;
        let mut out = ImageBlobs::new(root);
        let mut stack = vec![(self.root.clone(), 0usize)];
        let mut documents = 0usize;
        while let Some((d, depth)) = stack.pop() {
            if out.blobs.contains_key(&d.digest) {
                continue;
            }
            let index = media_types::is_index(&d.media_type);
            if index || media_types::is_manifest(&d.media_type) {
                documents += 1;
                if depth > MAX_INDEX_DEPTH || documents > MAX_INDEXES + MAX_MANIFESTS {
                    return Err(Error::Layout {
                        path: self.store.label.clone(),
                        detail: format!(
                            "image indexes are nested more than {MAX_INDEX_DEPTH} deep or list more than {MAX_MANIFESTS} manifests"
                        ),
                    });
                }
                let what = if index {
                    "image index"
                } else {
                    "image manifest"
                };
                let bytes = self.store.read_json_blob(&d, what)?;
                let at = format!("{what} {} in {}", d.digest, self.store.label.display());
                if index {
                    let idx: ImageIndex = parse(&bytes, at)?;
                    stack.extend(idx.manifests.into_iter().map(|m| (m, depth + 1)));
                } else {
                    let m: ImageManifest = parse(&bytes, at)?;
                    for b in std::iter::once(&m.config).chain(&m.layers) {
                        self.insert_blob(&mut out, b)?;
                    }
                }
                out.insert(d.digest.clone(), BlobData::Bytes(Arc::new(bytes)));
            } else {
                self.insert_blob(&mut out, &d)?;
            }
        }
        Ok(out)
    }

    /// Blob `d` into `out`: the file of a directory store (checked present
    /// with the descriptor's size), or the verified bytes of an archive
    /// member.
    fn insert_blob(&self, out: &mut ImageBlobs, d: &Descriptor) -> Result<(), Error> {
        if out.blobs.contains_key(&d.digest) {
            return Ok(());
        }
        let loc = self.store.locate_checked(d)?;
        let data = if loc.member.is_none() {
            BlobData::File(loc.file)
        } else {
            let mut bytes = Vec::new();
            self.store
                .open_verified(d)?
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io(&self.store.path, e))?;
            BlobData::Bytes(Arc::new(bytes))
        };
        out.insert(d.digest.clone(), data);
        Ok(())
    }
}

/// Opens the image tagged `tag` (or the only one) in the OCI layout `dir`,
/// for `platform` when it is an index (see [`ImageStore::image`]).
pub fn open_oci_layout(
    dir: &Path,
    tag: Option<&str>,
    platform: Option<&Platform>,
) -> Result<ImageSource, Error> {
    ImageStore::oci_layout(dir, tag)?.image(platform)
}

/// Opens the image whose root is `root` in the blob directory `dir` (see
/// [`ImageStore::blob_dir`]), for `platform`.
pub fn open_blob_dir(
    dir: &Path,
    root: Descriptor,
    platform: Option<&Platform>,
    transport: &str,
) -> Result<ImageSource, Error> {
    ImageStore::blob_dir(dir, root, transport, None).image(platform)
}

/// An archive's index.json.
fn archive_index(store: &Store) -> Result<ImageIndex, Error> {
    let bytes = store
        .read_small("index.json", "index.json")?
        .ok_or_else(|| Error::Layout {
            path: store.path.clone(),
            detail: "has no index.json: not an OCI archive (is it a docker-archive?)".into(),
        })?;
    parse(&bytes, format!("index.json in {}", store.path.display()))
}

/// The descriptor index.json of an archive names for `tag` (its
/// org.opencontainers.image.ref.name, or its io.containerd.image.name or
/// that name's last part), or its only entry.
fn archive_root(store: &Store, tag: Option<&str>) -> Result<Descriptor, Error> {
    let index = archive_index(store)?;
    let matches = |d: &&Descriptor| {
        let ann = d.annotations.as_ref();
        if tag.is_none() && crate::artifact::is_referrer(d) {
            return false;
        }
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
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Error::Layout {
            path: store.path.clone(),
            detail: format!(
                "holds no image{}",
                tag.map(|t| format!(" tagged {t:?}")).unwrap_or_default()
            ),
        }),
        _ => Err(Error::Layout {
            path: store.path.clone(),
            detail: "holds several images; name one with :TAG".into(),
        }),
    }
}

/// Unpacks the whole of the oci-archive `file` into the layout `dir`:
/// every blob each index.json entry reaches, verified as it is read, then
/// the archive's index.json as it is. Signature images and referrers come
/// along with the images, so they can be read as in a layout.
pub fn unpack_oci_archive(file: &Path, dir: &Path) -> Result<OciLayout, Error> {
    let store = Store::archive(file)?;
    let index = archive_index(&store)?;
    let layout = OciLayout::open_or_create(dir)?;
    for entry in &index.manifests {
        let whole = ImageStore {
            store: store.clone(),
            root: entry.clone(),
            transport: "oci-archive".into(),
            legacy: None,
        };
        layout.write_blobs(&whole.blobs(None)?.blobs)?;
    }
    let _lock = layout.lock()?;
    layout.write_index(&index)?;
    Ok(layout)
}

/// Opens an `oci-archive:` (see [`ImageStore::oci_archive`]) for
/// `platform`.
pub fn open_oci_archive(
    file: &Path,
    tag: Option<&str>,
    platform: Option<&Platform>,
) -> Result<ImageSource, Error> {
    ImageStore::oci_archive(file, tag)?.image(platform)
}

/// Opens a `docker-archive:` (see [`ImageStore::docker_archive`]) for
/// `platform`.
pub fn open_docker_archive(
    file: &Path,
    reference: Option<&str>,
    platform: Option<&Platform>,
) -> Result<ImageSource, Error> {
    ImageStore::docker_archive(file, reference)?.image(platform)
}

/// A member name from manifest.json, as list_members normalizes names;
/// absolute names and `..` are refused.
fn member_name(raw: &str, file: &Path) -> Result<String, Error> {
    let name = raw.trim_start_matches("./");
    if name.is_empty() || name.starts_with('/') || name.split('/').any(|c| c == "..") {
        return Err(Error::Layout {
            path: file.to_path_buf(),
            detail: format!(
                "manifest.json names member {raw:?}, which is not a relative path inside the archive; the archive is malformed"
            ),
        });
    }
    Ok(name.to_string())
}

/// As archive.rs decides a legacy layer's media type, from its first bytes.
fn layer_media_type(head: &[u8]) -> &'static str {
    if head.starts_with(&[0x1f, 0x8b]) {
        media_types::OCI_LAYER_TAR_GZIP
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        media_types::OCI_LAYER_TAR_ZSTD
    } else {
        media_types::OCI_LAYER_TAR
    }
}

/// The first bytes of member `name` (for its compression).
fn member_head(store: &Store, name: &str, m: &Member) -> Result<Vec<u8>, Error> {
    let loc = Located {
        file: store.path.clone(),
        member: Some(name.to_string()),
        offset: m.offset,
        size: m.size,
    };
    let mut head = Vec::with_capacity(4);
    Store::open_raw(&loc)?
        .take(4)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(&store.path, e))?;
    Ok(head)
}

/// Streams member `name` through sha256 once: its digest and first bytes.
fn hash_member(store: &Store, name: &str, m: &Member) -> Result<(Digest, Vec<u8>), Error> {
    let loc = Located {
        file: store.path.clone(),
        member: Some(name.to_string()),
        offset: m.offset,
        size: m.size,
    };
    let mut r = Store::open_raw(&loc)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; BUF_SIZE];
    let mut head = Vec::new();
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(&store.path, e)),
        };
        if head.len() < 4 {
            head.extend(buf[..n].iter().take(4 - head.len()));
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    if total != m.size {
        return Err(Error::Layout {
            path: store.path.clone(),
            detail: format!(
                "member {name} ends after {total} of its {} bytes; the archive is truncated: export the image again",
                m.size
            ),
        });
    }
    Ok((
        Digest::from_sha256_hex(&hex::encode(hasher.finalize()))?,
        head,
    ))
}

fn descriptor(media_type: &str, digest: Digest, size: u64) -> Descriptor {
    Descriptor {
        media_type: media_type.into(),
        digest,
        size,
        urls: None,
        annotations: None,
        platform: None,
        artifact_type: None,
    }
}

/// A docker-archive's image from its manifest.json, the manifest
/// synthesized.
fn open_legacy<'f>(
    mut store: Store<'f>,
    reference: Option<&str>,
) -> Result<(Store<'f>, Opened), Error> {
    let file = store.path.clone();
    let layout_err = |detail: String| Error::Layout {
        path: file.clone(),
        detail,
    };
    let bytes = store
        .read_small("manifest.json", "manifest.json")?
        .ok_or_else(|| {
            layout_err(
                "has no manifest.json (and no usable index.json): not a docker-archive".into(),
            )
        })?;
    let manifest: Vec<serde_json::Value> =
        parse(&bytes, format!("manifest.json in {}", file.display()))?;
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
            return Err(layout_err(format!(
                "holds no image{}",
                reference.map(|r| format!(" named {r}")).unwrap_or_default()
            )))
        }
        _ => {
            return Err(layout_err(
                "holds several images; name one with :REPO:TAG".into(),
            ))
        }
    };
    let config_name = entry["Config"]
        .as_str()
        .ok_or_else(|| layout_err("manifest.json entry without Config".into()))?;
    let config_name = member_name(config_name, &file)?;
    store.need_member(&config_name)?;
    let config_bytes = store
        .read_small(&config_name, "image config")?
        .ok_or_else(|| layout_err(format!("has no member {config_name}")))?;
    let config: ImageConfiguration = parse(
        &config_bytes,
        format!("image config {config_name} in {}", file.display()),
    )?;
    let platform = config_platform(&config);
    let config_desc = descriptor(
        media_types::OCI_CONFIG,
        Digest::sha256(&config_bytes),
        config_bytes.len() as u64,
    );
    let mut named = BTreeMap::new();
    named.insert(config_desc.digest.clone(), config_name);
    let mut layers = Vec::new();
    for (i, l) in entry["Layers"].as_array().into_iter().flatten().enumerate() {
        let name = l
            .as_str()
            .ok_or_else(|| layout_err("a layer name in manifest.json is not a string".into()))?;
        let name = member_name(name, &file)?;
        let m = store.need_member(&name)?.clone();
        // An uncompressed layer's digest is its diff_id: taken from the
        // config here and checked when the layer is read verified, so
        // opening reads no layer. Others are hashed now.
        let head = member_head(&store, &name, &m)?;
        let media_type = layer_media_type(&head);
        let diff_id = config
            .rootfs
            .diff_ids
            .get(i)
            .filter(|_| media_type == media_types::OCI_LAYER_TAR);
        let digest = match diff_id {
            Some(d) => d.clone(),
            None => hash_member(&store, &name, &m)?.0,
        };
        if media_type == media_types::OCI_LAYER_TAR {
            if let Some(want) = config.rootfs.diff_ids.get(i) {
                if *want != digest {
                    return Err(Error::DigestMismatch {
                        what: format!(
                            "layer {name} of {} (rootfs.diff_ids[{i}] of its config)",
                            file.display()
                        ),
                        expected: want.clone(),
                        actual: digest,
                    });
                }
            }
        }
        named.entry(digest.clone()).or_insert(name);
        layers.push(descriptor(media_type, digest, m.size));
    }
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(media_types::OCI_MANIFEST.into()),
        artifact_type: None,
        config: config_desc,
        layers,
        subject: None,
        annotations: None,
    };
    let manifest_bytes = to_json(&manifest);
    let manifest_digest = Digest::sha256(&manifest_bytes);
    if let Some(a) = &mut store.archive {
        a.named = named;
    }
    let desc = descriptor(
        media_types::OCI_MANIFEST,
        manifest_digest.clone(),
        manifest_bytes.len() as u64,
    );
    let opened = Opened {
        manifest,
        desc,
        manifest_digest,
        config,
        config_bytes,
        platform,
    };
    Ok((store, opened))
}
