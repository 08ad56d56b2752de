//! A layer's bytes on their way to the tar reader: where they come from
//! (read through or seekable), the compressed bytes counted and hashed
//! against the descriptor, the format detected from the first bytes and
//! decompressed, the uncompressed bytes counted against the layer limit,
//! and a file's data handed to the visitor.

use std::io::{self, Read, Seek};

use envelope_oci::tar::read::{Data, Skip};
use envelope_oci::{Descriptor, Digest, DigestHasher};

use super::error::{FsError, LayerId};

/// One layer to index: its (possibly compressed) bytes, and its
/// descriptor when known (the digest is then verified while reading).
pub struct LayerInput {
    pub reader: Box<dyn LayerRead>,
    pub descriptor: Option<Descriptor>,
    /// The digest the uncompressed tar stream must have (the config's
    /// `rootfs.diff_ids` entry), hashed while the layer is indexed: every
    /// byte is then read, none skipped.
    pub diff_id: Option<Digest>,
}

impl LayerInput {
    /// A layer read from start to end (and verified against `descriptor`).
    pub fn new(reader: impl Read + Send + 'static, descriptor: Option<Descriptor>) -> LayerInput {
        LayerInput {
            reader: Box::new(Streamed(reader)),
            descriptor,
            diff_id: None,
        }
    }

    /// Also checks that the uncompressed tar stream hashes to `diff_id`.
    #[must_use]
    pub fn with_diff_id(mut self, diff_id: Digest) -> LayerInput {
        self.diff_id = Some(diff_id);
        self
    }

    /// A layer whose file contents can be skipped by seeking when it is an
    /// uncompressed tar: only headers and what the visitor wants are read.
    /// Nothing is verified (a digest needs every byte).
    pub fn seekable(reader: impl Read + Seek + Send + 'static) -> LayerInput {
        LayerInput {
            reader: Box::new(Seekable::new(reader)),
            descriptor: None,
            diff_id: None,
        }
    }
}

/// A layer's bytes, and whether some can be passed over without reading.
pub trait LayerRead: Read + Send {
    /// Moves `n` bytes ahead without reading them, when the source can;
    /// `None` when it cannot (the bytes are then read and dropped).
    fn skip_ahead(&mut self, _n: u64) -> Option<io::Result<()>> {
        None
    }
}

/// A reader that can only be read through.
pub struct Streamed<R>(pub R);

impl<R: Read> Read for Streamed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Read + Send> LayerRead for Streamed<R> {}

/// A reader that can seek forward: file data is passed over without
/// reading it, never past the end (that would hide a truncated layer).
pub use envelope_oci::tar::read::Seekable;

impl<R: Read + Seek + Send> LayerRead for Seekable<R> {
    fn skip_ahead(&mut self, n: u64) -> Option<io::Result<()>> {
        Skip::skip_ahead(self, n)
    }
}

// ---------------------------------------------------------------------------
// Reading: hashing, decompression, a byte limit.

/// Counts (and hashes, with a descriptor) the compressed bytes.
pub(super) struct Meter<'a> {
    pub(super) inner: &'a mut dyn LayerRead,
    pub(super) hasher: Option<DigestHasher>,
    pub(super) count: u64,
    pub(super) failed: bool,
}

impl Read for Meter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                let n = n.min(buf.len());
                if let Some(h) = &mut self.hasher {
                    h.update(&buf[..n]);
                }
                self.count += n as u64;
                Ok(n)
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.failed = true;
                }
                Err(e)
            }
        }
    }
}

impl Meter<'_> {
    /// Skips without reading when nothing is being hashed and the source
    /// can seek.
    pub(super) fn skip_ahead(&mut self, n: u64) -> Option<io::Result<()>> {
        if self.hasher.is_some() {
            return None;
        }
        let r = self.inner.skip_ahead(n)?;
        if r.is_ok() {
            self.count += n;
        }
        Some(r)
    }
}

/// A decompressed stream that may pass over bytes without reading them.
pub(super) trait SkipRead: Read {
    fn skip_ahead(&mut self, _n: u64) -> Option<io::Result<()>> {
        None
    }
}

impl<R: Read> SkipRead for flate2::read::MultiGzDecoder<R> {}
impl<R: io::BufRead> SkipRead for zstd::stream::read::Decoder<'_, R> {}

/// A plain tar: the magic bytes already read, then the metered source.
pub(super) struct PlainTar<'a, 'b> {
    pub(super) head: io::Take<io::Cursor<[u8; 4]>>,
    pub(super) meter: &'a mut Meter<'b>,
}

impl Read for PlainTar<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.head.limit() > 0 {
            return self.head.read(buf);
        }
        self.meter.read(buf)
    }
}

impl SkipRead for PlainTar<'_, '_> {
    fn skip_ahead(&mut self, n: u64) -> Option<io::Result<()>> {
        if self.head.limit() > 0 {
            return None;
        }
        self.meter.skip_ahead(n)
    }
}

/// Counts the uncompressed bytes (hashing them when a diff_id is to be
/// checked) and stops past the limit.
pub(super) struct Counted<'a> {
    pub(super) inner: Box<dyn SkipRead + 'a>,
    pub(super) pos: u64,
    pub(super) limit: u64,
    pub(super) over: bool,
    pub(super) hasher: Option<DigestHasher>,
}

/// Passes over bytes without reading them, when the source can, nothing
/// is being hashed and the layer limit allows.
impl Skip for Counted<'_> {
    fn skip_ahead(&mut self, n: u64) -> Option<io::Result<()>> {
        if self.over || self.hasher.is_some() || self.pos.checked_add(n)? > self.limit {
            return None;
        }
        let r = self.inner.skip_ahead(n)?;
        if r.is_ok() {
            self.pos += n;
        }
        Some(r)
    }
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.over {
            return Err(io::Error::other("the layer is over its size limit"));
        }
        let n = self.inner.read(buf)?.min(buf.len());
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.pos += n as u64;
        if self.pos > self.limit {
            self.over = true;
            return Err(io::Error::other("the layer is over its size limit"));
        }
        Ok(n)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Tar,
    Gzip,
    Zstd,
}

impl Format {
    pub(super) fn detect(magic: &[u8]) -> Format {
        if magic.starts_with(&[0x1f, 0x8b]) {
            Format::Gzip
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Format::Zstd
        } else {
            Format::Tar
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Format::Tar => "tar",
            Format::Gzip => "gzip",
            Format::Zstd => "zstd",
        }
    }
}

/// A file's bytes for the visitor, and a note of an error or an early end
/// of the stream beneath.
pub(super) struct EntryReader<'a, 'b, 'c> {
    pub(super) data: Data<'a, &'b mut Counted<'c>>,
    pub(super) failed: Option<io::Error>,
    pub(super) short: bool,
}

impl Read for EntryReader<'_, '_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.data.remaining() == 0 || buf.is_empty() {
            return Ok(0);
        }
        match self.data.read(buf) {
            Ok(0) => {
                self.short = true;
                Ok(0)
            }
            Ok(k) => Ok(k),
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.failed = Some(io::Error::new(e.kind(), e.to_string()));
                }
                Err(e)
            }
        }
    }
}

// ---------------------------------------------------------------------------

pub(super) fn check_blob(
    id: &LayerId,
    d: &Descriptor,
    meter: &mut Meter<'_>,
    also: String,
) -> Option<FsError> {
    let actual = meter.hasher.as_mut()?.finish();
    let expected = d.digest.to_string();
    (actual != expected || meter.count != d.size).then(|| FsError::DigestMismatch {
        layer: id.clone(),
        expected,
        actual,
        expected_size: d.size,
        actual_size: meter.count,
        also,
    })
}
