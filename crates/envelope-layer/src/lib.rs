//! Deterministic layer tars and their compression. Entries are kept by
//! normalized path and written sorted with parents before children, with
//! explicit owners and modes, one mtime for all, no user or group names, and
//! a proper end-of-archive — the same input always gives the same bytes.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use envelope_oci::tar::{self as ustar, EntryType, Header};
use envelope_oci::{media_types, Descriptor, Digest, Sha256Writer};

pub mod fs;

pub use fs::{
    index_layers, Both, ContentVisitor, Efficiency, EscapesRoot, FsError, FsWarning, ImageFs,
    Inefficiency, LayerId, LayerInput, LayerSummary, Limits, NoContent, Node, NodeKind,
};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid path {path:?} in layer: {detail}")]
    InvalidPath { path: String, detail: &'static str },
    #[error("hard link {path:?} points to {target:?}, which is not a regular file of this layer")]
    BadHardlink { path: String, target: String },
    #[error("{path:?} is already a {existing} in this layer")]
    Conflict {
        path: String,
        existing: &'static str,
    },
    #[error("reading {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} changed size while being added to a layer (expected {expected}, got {actual})", path.display())]
    Changed {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },
    #[error("writing layer: {0}")]
    Write(#[from] std::io::Error),
    #[error("unknown compression {0:?}: use gzip, zstd or none")]
    UnknownCompression(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip at level 7 (flate2 with zlib-rs, pinned; zlib-rs's level 7
    /// compresses Go binaries about as well as GNU gzip -6), header mtime 0,
    /// no file name, OS byte 255 ("unknown"); compressed in parallel chunks.
    Gzip,
    /// zstd at level 3 (zstd 1.5.7, pinned), no checksum, no dictionary.
    Zstd,
    None,
}

impl Compression {
    pub fn media_type(self) -> &'static str {
        match self {
            Compression::Gzip => media_types::OCI_LAYER_TAR_GZIP,
            Compression::Zstd => media_types::OCI_LAYER_TAR_ZSTD,
            Compression::None => media_types::OCI_LAYER_TAR,
        }
    }

    /// Names the exact compressor and settings: caches of compressed bytes
    /// must key on it, or a new envelope would reuse another's bytes.
    pub fn cache_id(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip-l7-zlibrs0.6.8-c256k-d32k",
            Compression::Zstd => "zstd-l3-1.5.7",
            Compression::None => "tar",
        }
    }
}

impl FromStr for Compression {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "gzip" => Ok(Compression::Gzip),
            "zstd" => Ok(Compression::Zstd),
            "none" => Ok(Compression::None),
            other => Err(Error::UnknownCompression(other.to_string())),
        }
    }
}

#[derive(Debug, Clone)]
pub enum FileData {
    Bytes(Arc<Vec<u8>>),
    Static(&'static [u8]),
    /// A file on disk and the length it must have.
    Path(PathBuf, u64),
}

impl FileData {
    fn len(&self) -> u64 {
        match self {
            FileData::Bytes(b) => b.len() as u64,
            FileData::Static(b) => b.len() as u64,
            FileData::Path(_, n) => *n,
        }
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Dir,
    File(FileData),
    Symlink(String),
    Hardlink(String),
}

#[derive(Debug, Clone)]
struct Entry {
    kind: Kind,
    mode: u32,
    uid: u32,
    gid: u32,
}

#[derive(Debug, Clone)]
pub struct LayerBuilder {
    mtime: u64,
    /// Keyed by path components, so iteration puts parents before children.
    entries: BTreeMap<Vec<String>, Entry>,
}

fn normalize(path: &str) -> Result<Vec<String>, Error> {
    let err = |detail| Error::InvalidPath {
        path: path.to_string(),
        detail,
    };
    if path.contains('\0') {
        return Err(err("contains NUL"));
    }
    let trimmed = path.trim_start_matches('/').trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(err("empty"));
    }
    let mut parts = Vec::new();
    for c in trimmed.split('/') {
        match c {
            "" => return Err(err("empty component")),
            "." | ".." => return Err(err("'.' and '..' are not allowed")),
            c => parts.push(c.to_string()),
        }
    }
    Ok(parts)
}

impl LayerBuilder {
    pub fn new(mtime: u64) -> Self {
        LayerBuilder {
            mtime,
            entries: BTreeMap::new(),
        }
    }

    fn insert(&mut self, path: &str, entry: Entry) -> Result<(), Error> {
        let key = normalize(path)?;
        for i in 1..key.len() {
            match self.entries.get(&key[..i]) {
                Some(Entry {
                    kind: Kind::Dir, ..
                }) => {}
                Some(_) => {
                    return Err(Error::Conflict {
                        path: key[..i].join("/"),
                        existing: "non-directory",
                    })
                }
                None => {
                    self.entries.insert(
                        key[..i].to_vec(),
                        Entry {
                            kind: Kind::Dir,
                            mode: 0o755,
                            uid: 0,
                            gid: 0,
                        },
                    );
                }
            }
        }
        if let Some(old) = self.entries.get(&key) {
            let both_dirs = matches!(old.kind, Kind::Dir) && matches!(entry.kind, Kind::Dir);
            if !both_dirs {
                return Err(Error::Conflict {
                    path: key.join("/"),
                    existing: if matches!(old.kind, Kind::Dir) {
                        "directory"
                    } else {
                        "file"
                    },
                });
            }
        }
        self.entries.insert(key, entry);
        Ok(())
    }

    /// A directory; adding it again (or after it was implied) sets its
    /// owner and mode.
    pub fn dir(&mut self, path: &str, mode: u32, uid: u32, gid: u32) -> Result<(), Error> {
        self.insert(
            path,
            Entry {
                kind: Kind::Dir,
                mode,
                uid,
                gid,
            },
        )
    }

    pub fn file(
        &mut self,
        path: &str,
        data: FileData,
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<(), Error> {
        self.insert(
            path,
            Entry {
                kind: Kind::File(data),
                mode,
                uid,
                gid,
            },
        )
    }

    pub fn symlink(&mut self, path: &str, target: &str, uid: u32, gid: u32) -> Result<(), Error> {
        if target.is_empty() || target.contains('\0') {
            return Err(Error::InvalidPath {
                path: target.to_string(),
                detail: "bad symlink target",
            });
        }
        self.insert(
            path,
            Entry {
                kind: Kind::Symlink(target.to_string()),
                mode: 0o777,
                uid,
                gid,
            },
        )
    }

    /// A hard link to a regular file of this layer, which must sort before
    /// it (tar readers create the target first).
    pub fn hardlink(&mut self, path: &str, target: &str) -> Result<(), Error> {
        let tkey = normalize(target)?;
        let key = normalize(path)?;
        let Some(Entry {
            kind: Kind::File(_),
            mode,
            uid,
            gid,
        }) = self.entries.get(&tkey).cloned()
        else {
            return Err(Error::BadHardlink {
                path: path.to_string(),
                target: target.to_string(),
            });
        };
        if tkey >= key {
            return Err(Error::BadHardlink {
                path: path.to_string(),
                target: target.to_string(),
            });
        }
        self.insert(
            path,
            Entry {
                kind: Kind::Hardlink(tkey.join("/")),
                mode,
                uid,
                gid,
            },
        )
    }

    /// Writes the tar; returns its length.
    pub fn write_tar<W: Write>(&self, w: W) -> Result<u64, Error> {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
        let mut total = 0u64;
        for (key, e) in &self.entries {
            let mut path = key.join("/");
            let entry = match &e.kind {
                Kind::Dir => {
                    path.push('/');
                    EntryType::Dir
                }
                Kind::File(d) => EntryType::File { size: d.len() },
                Kind::Symlink(t) => EntryType::Symlink { target: t },
                Kind::Hardlink(t) => EntryType::Hardlink { target: t },
            };
            total += ustar::write_header(
                &mut w,
                &Header {
                    path: &path,
                    entry,
                    mode: e.mode,
                    uid: e.uid,
                    gid: e.gid,
                    mtime: self.mtime,
                },
            )?;
            if let Kind::File(d) = &e.kind {
                let len = d.len();
                match d {
                    FileData::Bytes(b) => w.write_all(b)?,
                    FileData::Static(b) => w.write_all(b)?,
                    FileData::Path(p, n) => {
                        let f = std::fs::File::open(p).map_err(|source| Error::Read {
                            path: p.clone(),
                            source,
                        })?;
                        let copied = std::io::copy(&mut std::io::Read::take(f, *n), &mut w)?;
                        if copied != *n {
                            return Err(Error::Changed {
                                path: p.clone(),
                                expected: *n,
                                actual: copied,
                            });
                        }
                    }
                }
                let pad = ustar::padding(len);
                w.write_all(&[0u8; 512][..pad])?;
                total += len + pad as u64;
            }
        }
        total += ustar::write_end(&mut w)?;
        w.flush()?;
        Ok(total)
    }
}

/// A compressed layer and both of its digests.
#[derive(Debug, Clone)]
pub struct Layer {
    pub compression: Compression,
    pub blob: Arc<Vec<u8>>,
    pub digest: Digest,
    pub size: u64,
    /// sha256 of the uncompressed tar (the config's rootfs.diff_ids).
    pub diff_id: Digest,
    pub uncompressed_size: u64,
}

impl Layer {
    pub fn descriptor(&self) -> Descriptor {
        Descriptor {
            media_type: self.compression.media_type().to_string(),
            digest: self.digest.clone(),
            size: self.size,
            urls: None,
            annotations: None,
            platform: None,
            artifact_type: None,
        }
    }
}

/// Compresses a tar into a layer.
pub fn compress_tar(tar: &[u8], compression: Compression) -> Result<Layer, Error> {
    let diff_id = Digest::sha256(tar);
    let blob = match compression {
        Compression::None => tar.to_vec(),
        Compression::Gzip => gzip_parallel(tar)?,
        Compression::Zstd => {
            let mut enc = zstd::stream::write::Encoder::new(Vec::with_capacity(tar.len() / 2), 3)?;
            enc.include_checksum(false)?;
            enc.include_contentsize(true)?;
            enc.write_all(tar)?;
            enc.finish()?
        }
    };
    let digest = Digest::sha256(&blob);
    Ok(Layer {
        compression,
        size: blob.len() as u64,
        blob: Arc::new(blob),
        digest,
        diff_id,
        uncompressed_size: tar.len() as u64,
    })
}

/// Input per independently compressed gzip chunk. Fixed, so the output
/// does not depend on how many cores compress it.
const GZIP_CHUNK: usize = 256 * 1024;
const GZIP_LEVEL: u32 = 7;
/// Each chunk is primed with the input before it, as pigz does, so
/// splitting costs almost nothing in size.
const GZIP_DICT: usize = 32 * 1024;

/// gzip as one member whose deflate stream is made of chunks compressed in
/// parallel: every chunk but the last ends with a sync flush (byte-aligned,
/// not final), so their concatenation is one valid stream.
fn gzip_parallel(tar: &[u8]) -> std::io::Result<Vec<u8>> {
    gzip_with_workers(
        tar,
        std::thread::available_parallelism().map_or(1, |p| p.get()),
    )
}

fn gzip_with_workers(tar: &[u8], workers: usize) -> std::io::Result<Vec<u8>> {
    let chunks: Vec<&[u8]> = if tar.is_empty() {
        vec![tar]
    } else {
        tar.chunks(GZIP_CHUNK).collect()
    };
    let n = chunks.len();
    let workers = workers.min(n).max(1);
    let mut parts: Vec<std::io::Result<Vec<u8>>> = Vec::with_capacity(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let chunks = &chunks;
                s.spawn(move || {
                    (w..n)
                        .step_by(workers)
                        .map(|i| (i, deflate_chunk(tar, i, chunks[i], i + 1 == n)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(usize, std::io::Result<Vec<u8>>)> = Vec::with_capacity(n);
        for h in handles {
            match h.join() {
                Ok(v) => all.extend(v),
                Err(_) => all.push((
                    usize::MAX,
                    Err(std::io::Error::other("a compression thread panicked")),
                )),
            }
        }
        all.sort_by_key(|(i, _)| *i);
        parts = all.into_iter().map(|(_, r)| r).collect();
    });
    let mut out = Vec::with_capacity(tar.len() / 2 + 64);
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
    for p in parts {
        out.extend_from_slice(&p?);
    }
    out.extend_from_slice(&crc32fast::hash(tar).to_le_bytes());
    out.extend_from_slice(&(tar.len() as u32).to_le_bytes());
    Ok(out)
}

fn deflate_chunk(all: &[u8], index: usize, chunk: &[u8], last: bool) -> std::io::Result<Vec<u8>> {
    use flate2::{Compress, FlushCompress, Status};
    let mut c = Compress::new(flate2::Compression::new(GZIP_LEVEL), false);
    if index > 0 {
        let start = index * GZIP_CHUNK;
        c.set_dictionary(&all[start.saturating_sub(GZIP_DICT)..start])
            .map_err(std::io::Error::other)?;
    }
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut out = Vec::with_capacity(chunk.len() / 2 + 1024);
    let mut consumed = 0usize;
    loop {
        if out.capacity() - out.len() < 16 * 1024 {
            out.reserve(64 * 1024);
        }
        let before = c.total_in();
        let status = c
            .compress_vec(&chunk[consumed..], &mut out, flush)
            .map_err(std::io::Error::other)?;
        consumed += usize::try_from(c.total_in() - before).map_err(std::io::Error::other)?;
        let done = if last {
            status == Status::StreamEnd
        } else {
            consumed == chunk.len() && out.len() < out.capacity()
        };
        if done {
            return Ok(out);
        }
    }
}

/// Writes the tar and compresses it.
pub fn build_layer(builder: &LayerBuilder, compression: Compression) -> Result<Layer, Error> {
    let mut tar = Vec::new();
    builder.write_tar(&mut tar)?;
    compress_tar(&tar, compression)
}

/// Hashes a tar as it is written, for callers that stream.
pub fn tar_digest(builder: &LayerBuilder) -> Result<(Digest, u64), Error> {
    let mut w = Sha256Writer::new(std::io::sink());
    builder.write_tar(&mut w)?;
    let (_, d, n) = w.finish();
    Ok((d, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compressible but not trivial: a text-like stream with varied words.
    fn sample(len: usize) -> Vec<u8> {
        let words = [
            "envelope", "layer", "gzip", "chunk", "static", "binary", "go", "image", "\n",
        ];
        let mut out = Vec::with_capacity(len);
        let mut x = 12345u64;
        while out.len() < len {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            out.extend_from_slice(words[(x >> 40) as usize % words.len()].as_bytes());
            out.push(b' ' + (x >> 60) as u8);
        }
        out.truncate(len);
        out
    }

    #[test]
    fn parallel_gzip_is_the_same_for_any_worker_count_and_decodes() {
        let data = sample(3 * GZIP_CHUNK + 12_345);
        let one = gzip_with_workers(&data, 1).expect("gzip");
        for w in [2, 3, 8] {
            assert_eq!(
                gzip_with_workers(&data, w).expect("gzip"),
                one,
                "{w} workers"
            );
        }
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&one[..]), &mut back)
            .expect("gunzip");
        assert_eq!(back, data);
        // Priming each chunk with the previous 32 KiB keeps the ratio of a
        // single stream to within a fraction of a percent.
        let mut single =
            flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(GZIP_LEVEL));
        single.write_all(&data).expect("write");
        let single = single.finish().expect("finish");
        assert!(
            one.len() as f64 <= single.len() as f64 * 1.005,
            "{} vs {}",
            one.len(),
            single.len()
        );
    }

    #[test]
    fn empty_input_is_a_valid_gzip() {
        let z = gzip_with_workers(&[], 2).expect("gzip");
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&z[..]), &mut back)
            .expect("gunzip");
        assert!(back.is_empty());
    }
}
