//! The read-only filesystem of an image, indexed from its layers as they
//! stream by: nothing is extracted, whiteouts and opaque directories are
//! applied, and only the files of the final filesystem are offered to a
//! [`ContentVisitor`] (layers are read from the top down, so what an upper
//! layer hides is known before a lower one is read). Memory holds one
//! record per path, never file contents.
//!
//! Per-layer records also give the wasted bytes and the efficiency score,
//! computed as dive computes them so the numbers compare.
//!
//! Layer blobs may be gzip (one or more members), zstd or plain tar,
//! detected by their first bytes. The tar reader is a streaming one of its
//! own: ustar and old V7 headers, GNU long names and links, PAX local and
//! global headers (`path`, `linkpath`, `size`, `uid`, `gid`), GNU base-256
//! numbers, and both the unsigned and the signed header checksum. Hostile
//! input is bounded by [`Limits`]; it gives an [`FsError`], never a panic.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::io::{self, Read, Seek};
use std::rc::Rc;

use envelope_oci::{Descriptor, Digest};
use sha2::Digest as _;

/// What a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    File,
    Dir,
    Symlink,
    Hardlink,
    CharDevice,
    BlockDevice,
    Fifo,
}

/// One path of the final filesystem.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Node {
    pub kind: NodeKind,
    /// Permission bits with setuid/setgid/sticky (`0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Bytes of a regular file (0 for everything else).
    pub size: u64,
    /// A symlink's target as written, or a hardlink's target as an
    /// absolute normalized path.
    pub link: Option<String>,
    /// Index of the layer (0 = bottom) the path comes from.
    pub layer: usize,
}

/// One layer, as measured while reading it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LayerSummary {
    pub index: usize,
    /// The layer blob's digest and size, when given.
    pub digest: Option<String>,
    pub compressed_size: u64,
    /// Bytes of the uncompressed tar stream.
    pub tar_size: u64,
    /// Sum of the regular files' sizes in this layer.
    pub files_size: u64,
    pub entries: usize,
    pub whiteouts: usize,
    /// The largest regular files of this layer (path, size), largest
    /// first, at most 10.
    pub largest: Vec<(String, u64)>,
    /// Sum of the size fields of all the layer's entries (whiteouts,
    /// links, repeated paths included): what dive calls the layer's size.
    pub dive_size: u64,
}

/// A path present in more than one layer (or deleted by a later one).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Inefficiency {
    pub path: String,
    /// How many layers hold it (whiteouts included).
    pub count: usize,
    /// Bytes over all its copies.
    pub cumulative_size: u64,
}

/// dive's efficiency: the score, the wasted bytes (the cumulative size of
/// every path found in more than one layer), and those paths, most
/// wasteful first.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Efficiency {
    pub score: f64,
    pub wasted_bytes: u64,
    /// Bytes of all layers but the first (dive's "user" size).
    pub user_size: u64,
    pub inefficiencies: Vec<Inefficiency>,
}

/// Something odd in a layer that is not fatal: a path that tried to leave
/// the root, a device node, a hardlink to nothing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FsWarning {
    pub layer: usize,
    pub path: String,
    pub message: String,
}

/// The final filesystem of an image.
#[derive(Debug, Clone, Default)]
pub struct ImageFs {
    /// Absolute normalized paths (`/etc/passwd`) to their nodes; `/` itself
    /// is not listed.
    pub nodes: BTreeMap<String, Node>,
    pub layers: Vec<LayerSummary>,
    pub efficiency: Efficiency,
    pub warnings: Vec<FsWarning>,
}

/// Sees the regular files of the final filesystem while they stream by.
pub trait ContentVisitor {
    /// Should `visit` get this file's bytes?
    fn wants(&mut self, path: &str, node: &Node) -> bool;
    /// Reads as much of the file as it needs; the rest is skipped.
    fn visit(&mut self, path: &str, node: &Node, data: &mut dyn Read) -> std::io::Result<()>;
    /// A file already given to `visit` is not in the final filesystem
    /// after all: a later entry of the same layer replaced it (only odd
    /// tars hold a path twice). The last `visit` of a path that is not
    /// superseded is the one that counts.
    fn superseded(&mut self, _path: &str) {}
    /// A regular file of a lower layer that the final filesystem does not
    /// show (deleted or replaced above): its bytes are still in the image.
    /// Return true to get them through `visit` (`node.layer` says where).
    fn hidden(&mut self, _path: &str, _node: &Node) -> bool {
        false
    }
}

/// A visitor that wants nothing.
pub struct NoContent;

impl ContentVisitor for NoContent {
    fn wants(&mut self, _: &str, _: &Node) -> bool {
        false
    }
    fn visit(&mut self, _: &str, _: &Node, _: &mut dyn Read) -> std::io::Result<()> {
        Ok(())
    }
}

/// One layer to index: its (possibly compressed) bytes, and its
/// descriptor when known (the digest is then verified while reading).
pub struct LayerInput {
    pub reader: Box<dyn LayerRead>,
    pub descriptor: Option<Descriptor>,
}

impl LayerInput {
    /// A layer read from start to end (and verified against `descriptor`).
    pub fn new(reader: impl Read + Send + 'static, descriptor: Option<Descriptor>) -> LayerInput {
        LayerInput {
            reader: Box::new(Streamed(reader)),
            descriptor,
        }
    }

    /// A layer whose file contents can be skipped by seeking when it is an
    /// uncompressed tar: only headers and what the visitor wants are read.
    /// Nothing is verified (a digest needs every byte).
    pub fn seekable(reader: impl Read + Seek + Send + 'static) -> LayerInput {
        LayerInput {
            reader: Box::new(Seekable::new(reader)),
            descriptor: None,
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

/// A reader that can seek forward.
pub struct Seekable<R> {
    inner: R,
    /// The stream's length, learned on the first skip.
    end: Option<u64>,
}

impl<R> Seekable<R> {
    pub fn new(inner: R) -> Seekable<R> {
        Seekable { inner, end: None }
    }
}

impl<R: Read> Read for Seekable<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: Read + Seek + Send> LayerRead for Seekable<R> {
    fn skip_ahead(&mut self, n: u64) -> Option<io::Result<()>> {
        let d = i64::try_from(n).ok()?;
        let r = (|| {
            let here = self.inner.stream_position()?;
            let end = match self.end {
                Some(e) => e,
                None => {
                    let e = self.inner.seek(io::SeekFrom::End(0))?;
                    self.inner.seek(io::SeekFrom::Start(here))?;
                    self.end = Some(e);
                    e
                }
            };
            // Seeking past the end would hide a truncated layer.
            if here.checked_add(n).is_none_or(|t| t > end) {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the layer ends {} bytes into a file's data of {n}",
                        end.saturating_sub(here)
                    ),
                ));
            }
            self.inner.seek(io::SeekFrom::Current(d)).map(|_| ())
        })();
        Some(r)
    }
}

/// Bounds for hostile input.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Entries over all layers.
    pub max_entries: usize,
    /// Uncompressed bytes of one layer (a gzip bomb stops here).
    pub max_layer_bytes: u64,
    /// A PAX or GNU long-name header.
    pub max_header_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 5_000_000,
            max_layer_bytes: 64 << 30,
            max_header_bytes: 1 << 20,
        }
    }
}

// ---------------------------------------------------------------------------
// Errors and warnings.

/// Which layer an error is about: its index (0 = bottom) and, when a
/// descriptor was given, its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerId {
    pub index: usize,
    pub digest: Option<String>,
}

impl fmt::Display for LayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "layer {}", self.index)?;
        if let Some(d) = &self.digest {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

fn of_path(path: &Option<String>) -> String {
    match path {
        Some(p) => format!(" (entry {p:?})"),
        None => String::new(),
    }
}

/// Why a layer could not be indexed. Each message names the layer (index
/// and digest when known), where in it (byte offset, entry path) and what
/// to do about it.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("{layer}: reading the blob failed after {offset} bytes: {source}; check that the blob file or the connection is intact and retry")]
    Read {
        layer: LayerId,
        offset: u64,
        #[source]
        source: io::Error,
    },
    #[error("{layer}: the {format} stream is corrupt at compressed byte {offset}: {detail}; the blob is damaged or truncated, fetch it again")]
    Decompress {
        layer: LayerId,
        format: &'static str,
        offset: u64,
        detail: String,
    },
    #[error("{layer}: the blob does not match its descriptor: expected {expected} ({expected_size} bytes), got {actual} ({actual_size} bytes){also}; the blob is corrupt or belongs to another image, fetch it again")]
    DigestMismatch {
        layer: LayerId,
        expected: String,
        actual: String,
        expected_size: u64,
        actual_size: u64,
        /// What else went wrong while reading it, if anything.
        also: String,
    },
    #[error("{layer}: truncated tar: {what} at byte {offset} of the uncompressed stream ends early{}; the layer is incomplete, fetch it again", of_path(.path))]
    Truncated {
        layer: LayerId,
        offset: u64,
        what: &'static str,
        path: Option<String>,
    },
    #[error("{layer}: bad tar header checksum at byte {offset} of the uncompressed stream (recorded {recorded}, computed {computed}); the layer is corrupt or not a tar archive")]
    BadChecksum {
        layer: LayerId,
        offset: u64,
        recorded: String,
        computed: u64,
    },
    #[error("{layer}: invalid tar header at byte {offset} of the uncompressed stream{}: {detail}; the layer is corrupt or not a tar archive", of_path(.path))]
    BadHeader {
        layer: LayerId,
        offset: u64,
        path: Option<String>,
        detail: String,
    },
    #[error("{layer}: {kind} header of {size} bytes at byte {offset} of the uncompressed stream exceeds the limit of {limit} bytes; no real image needs one that large: the layer is hostile or corrupt")]
    HeaderTooLarge {
        layer: LayerId,
        offset: u64,
        kind: &'static str,
        size: u64,
        limit: u64,
    },
    #[error("{layer}: more than {limit} tar entries over all layers (at byte {offset} of this layer's uncompressed stream); no real image has that many: it is hostile or corrupt")]
    TooManyEntries {
        layer: LayerId,
        offset: u64,
        limit: usize,
    },
    #[error("{layer}: the uncompressed layer is larger than the limit of {limit} bytes: a decompression bomb, or an image far larger than any real one")]
    LayerTooLarge { layer: LayerId, limit: u64 },
    #[error("{layer}: more distinct paths than can be indexed{}; the layer is hostile or far larger than any image", of_path(.path))]
    TooManyPaths {
        layer: LayerId,
        path: Option<String>,
    },
    #[error("{layer}: the content visitor failed on {path:?} (file data at byte {offset} of the uncompressed stream): {source}; the error comes from the caller's visitor, not from the layer")]
    Visitor {
        layer: LayerId,
        path: String,
        offset: u64,
        #[source]
        source: io::Error,
    },
}

/// A path whose `..` components tried to leave the root; `clamped` is the
/// path kept inside it (a `..` at the root stays at the root).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("path {original:?} escapes the root; kept as {clamped}")]
pub struct EscapesRoot {
    pub original: String,
    pub clamped: String,
}

/// The absolute normalized form of a path: `/a/b`, without `.` or `..`
/// components, empty components or a trailing slash (`./a/b/` and `a//b`
/// give `/a/b`, the empty path and `.` give `/`). A `..` that would leave
/// the root is an [`EscapesRoot`] carrying the path clamped inside.
pub fn normalize(path: &str) -> Result<String, EscapesRoot> {
    let mut parts: Vec<&str> = Vec::new();
    let mut escaped = false;
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => escaped |= parts.pop().is_none(),
            c => parts.push(c),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    if escaped {
        Err(EscapesRoot {
            original: path.to_string(),
            clamped: out,
        })
    } else {
        Ok(out)
    }
}

fn normalize_clamped(path: &str) -> String {
    normalize(path).unwrap_or_else(|e| e.clamped)
}

// ---------------------------------------------------------------------------
// The public entry point and the queries.

/// Longest normalized path indexed; longer entries are skipped with a
/// warning (no Linux system call takes a longer path).
const MAX_PATH_BYTES: usize = 4096;
/// Symbolic links followed while resolving one path (Linux's MAXSYMLINKS).
const MAX_SYMLINK_HOPS: usize = 40;
/// Warnings kept; beyond that they are counted.
const MAX_WARNINGS: usize = 10_000;
/// Files listed in [`LayerSummary::largest`].
const LARGEST: usize = 10;

/// The root directory, which no layer lists.
static ROOT: Node = Node {
    kind: NodeKind::Dir,
    mode: 0o755,
    uid: 0,
    gid: 0,
    size: 0,
    link: None,
    layer: 0,
};

/// Indexes the final filesystem of an image from its layers (bottom layer
/// first in `layers`; they are read from the last one down). Each layer's
/// reader is read to its end; when its descriptor is given, its size and
/// digest are checked. Regular files of the final filesystem are offered
/// to `visitor` while they stream by; the visitor sees them before the
/// layer's digest is checked at its end, so an error still voids what it
/// saw.
pub fn index_layers(
    layers: Vec<LayerInput>,
    visitor: &mut dyn ContentVisitor,
    limits: &Limits,
) -> Result<ImageFs, FsError> {
    let count = layers.len();
    let mut index = Index::new(count, visitor, limits);
    let mut summaries = Vec::with_capacity(count);
    for (i, input) in layers.into_iter().enumerate().rev() {
        summaries.push(index.read_layer(i, input)?);
    }
    summaries.reverse();
    Ok(index.finish(summaries))
}

impl ImageFs {
    /// The node at `path` (normalized first; `/` is the root directory).
    /// Symbolic links are not followed: see [`ImageFs::resolve`].
    pub fn get(&self, path: &str) -> Option<&Node> {
        let p = normalize_clamped(path);
        if p == "/" {
            return Some(&ROOT);
        }
        self.nodes.get(&p)
    }

    /// Follows symbolic links (relative and absolute targets, in the path's
    /// parent directories too) inside the image: an absolute target starts
    /// again at the image's root and a `..` at the root stays there. Gives
    /// the final path and its node, or `None` when a component is missing,
    /// a non-directory has components after it, or more than 40 links are
    /// followed (a loop).
    pub fn resolve(&self, path: &str) -> Option<(String, &Node)> {
        let mut pending: Vec<String> = path
            .split('/')
            .rev()
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_string)
            .collect();
        let mut cur: Vec<String> = Vec::new();
        let mut hops = 0usize;
        let mut node: &Node = &ROOT;
        while let Some(c) = pending.pop() {
            if node.kind != NodeKind::Dir {
                return None;
            }
            if c == ".." {
                cur.pop();
                node = self.lookup_parts(&cur)?;
                continue;
            }
            cur.push(c);
            let n = self.lookup_parts(&cur)?;
            if n.kind == NodeKind::Symlink {
                hops += 1;
                let target = n.link.as_deref().unwrap_or("");
                if hops > MAX_SYMLINK_HOPS || target.is_empty() {
                    return None;
                }
                cur.pop();
                if target.starts_with('/') {
                    cur.clear();
                }
                pending.extend(
                    target
                        .split('/')
                        .rev()
                        .filter(|c| !c.is_empty() && *c != ".")
                        .map(str::to_string),
                );
                node = self.lookup_parts(&cur)?;
            } else {
                node = n;
            }
        }
        Some((join_parts(&cur), node))
    }

    fn lookup_parts(&self, parts: &[String]) -> Option<&Node> {
        if parts.is_empty() {
            Some(&ROOT)
        } else {
            self.nodes.get(&join_parts(parts))
        }
    }

    /// Every path of the final filesystem (the root excluded), sorted.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Bytes of the regular files of the final filesystem.
    pub fn total_size(&self) -> u64 {
        self.nodes
            .values()
            .filter(|n| n.kind == NodeKind::File)
            .map(|n| n.size)
            .fold(0u64, u64::saturating_add)
    }

    /// The direct children of `dir` (normalized first; symbolic links are
    /// not followed, use [`ImageFs::resolve`] for that), sorted.
    pub fn list_dir<'a>(&'a self, dir: &str) -> impl Iterator<Item = (&'a str, &'a Node)> + 'a {
        let d = normalize_clamped(dir);
        let prefix = if d == "/" { d } else { format!("{d}/") };
        let plen = prefix.len();
        self.nodes
            .range::<String, _>(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(prefix.as_str()))
            .filter(move |(k, _)| !k[plen..].contains('/'))
            .map(|(k, v)| (k.as_str(), v))
    }
}

fn join_parts(parts: &[String]) -> String {
    if parts.is_empty() {
        return "/".to_string();
    }
    let mut s = String::new();
    for p in parts {
        s.push('/');
        s.push_str(p);
    }
    s
}

// ---------------------------------------------------------------------------
// Paths, interned as (parent, name) so memory grows with the number of
// components, not with the square of a path's depth.

struct Paths {
    parent: Vec<u32>,
    name: Vec<Rc<str>>,
    kids: HashMap<u32, HashMap<Rc<str>, u32>>,
}

impl Paths {
    fn new() -> Paths {
        Paths {
            parent: vec![0],
            name: vec![Rc::from("")],
            kids: HashMap::new(),
        }
    }

    /// The id of a normalized absolute path (`/` is 0), created if new.
    fn intern(&mut self, path: &str) -> Option<u32> {
        let mut cur = 0u32;
        for c in path.split('/').filter(|c| !c.is_empty()) {
            let known = self.kids.get(&cur).and_then(|m| m.get(c)).copied();
            cur = match known {
                Some(id) => id,
                None => {
                    let id = u32::try_from(self.parent.len())
                        .ok()
                        .filter(|&id| id < u32::MAX)?;
                    let rc: Rc<str> = Rc::from(c);
                    self.parent.push(cur);
                    self.name.push(rc.clone());
                    self.kids.entry(cur).or_default().insert(rc, id);
                    id
                }
            };
        }
        Some(cur)
    }

    fn lookup(&self, path: &str) -> Option<u32> {
        let mut cur = 0u32;
        for c in path.split('/').filter(|c| !c.is_empty()) {
            cur = *self.kids.get(&cur)?.get(c)?;
        }
        Some(cur)
    }

    fn parent(&self, id: u32) -> u32 {
        self.parent.get(id as usize).copied().unwrap_or(0)
    }

    fn name(&self, id: u32) -> &str {
        self.name.get(id as usize).map_or("", |n| n)
    }

    /// The length of [`Paths::full`]'s string.
    fn len_of(&self, id: u32) -> usize {
        let mut len = 0;
        let mut p = id;
        while p != 0 {
            len += self.name(p).len() + 1;
            p = self.parent(p);
        }
        len.max(1)
    }

    fn full(&self, id: u32) -> String {
        let mut parts = Vec::new();
        let mut p = id;
        while p != 0 {
            parts.push(self.name(p));
            p = self.parent(p);
        }
        if parts.is_empty() {
            return "/".to_string();
        }
        let mut s = String::new();
        for part in parts.iter().rev() {
            s.push('/');
            s.push_str(part);
        }
        s
    }
}

// ---------------------------------------------------------------------------
// Reading: hashing, decompression, a byte limit.

enum Hasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    fn for_digest(d: &Digest) -> Hasher {
        if d.algorithm() == "sha512" {
            Hasher::Sha512(sha2::Sha512::new())
        } else {
            Hasher::Sha256(sha2::Sha256::new())
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    fn finish(&mut self) -> String {
        match self {
            Hasher::Sha256(h) => format!("sha256:{:x}", h.finalize_reset()),
            Hasher::Sha512(h) => format!("sha512:{:x}", h.finalize_reset()),
        }
    }
}

/// Counts (and hashes, with a descriptor) the compressed bytes.
struct Meter<'a> {
    inner: &'a mut dyn LayerRead,
    hasher: Option<Hasher>,
    count: u64,
    failed: bool,
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
    fn skip_ahead(&mut self, n: u64) -> Option<io::Result<()>> {
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
trait SkipRead: Read {
    fn skip_ahead(&mut self, _n: u64) -> Option<io::Result<()>> {
        None
    }
}

impl<R: Read> SkipRead for flate2::read::MultiGzDecoder<R> {}
impl<R: io::BufRead> SkipRead for zstd::stream::read::Decoder<'_, R> {}

/// A plain tar: the magic bytes already read, then the metered source.
struct PlainTar<'a, 'b> {
    head: io::Take<io::Cursor<[u8; 4]>>,
    meter: &'a mut Meter<'b>,
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

/// Counts the uncompressed bytes and stops past the limit.
struct Counted<'a> {
    inner: Box<dyn SkipRead + 'a>,
    pos: u64,
    limit: u64,
    over: bool,
}

impl Counted<'_> {
    /// Passes over `n` bytes without reading them, when the source can and
    /// the layer limit allows.
    fn skip_ahead(&mut self, n: u64) -> Option<io::Result<()>> {
        if self.over || self.pos.checked_add(n)? > self.limit {
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
        self.pos += n as u64;
        if self.pos > self.limit {
            self.over = true;
            return Err(io::Error::other("the layer is over its size limit"));
        }
        Ok(n)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Tar,
    Gzip,
    Zstd,
}

impl Format {
    fn detect(magic: &[u8]) -> Format {
        if magic.starts_with(&[0x1f, 0x8b]) {
            Format::Gzip
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Format::Zstd
        } else {
            Format::Tar
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Tar => "tar",
            Format::Gzip => "gzip",
            Format::Zstd => "zstd",
        }
    }
}

/// Reads until `buf` is full or the end; returns the bytes read.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Reads and discards up to `n` bytes; returns how many there were.
fn skip(r: &mut dyn Read, n: u64, scratch: &mut [u8]) -> io::Result<u64> {
    let mut left = n;
    while left > 0 {
        let want = usize::try_from(left).map_or(scratch.len(), |l| l.min(scratch.len()));
        match r.read(&mut scratch[..want]) {
            Ok(0) => break,
            Ok(k) => left -= (k as u64).min(left),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n - left)
}

/// A file's bytes for the visitor: at most `remaining`, and a note of an
/// error or an early end of the stream beneath.
struct EntryReader<'a, 'b> {
    src: &'a mut Counted<'b>,
    remaining: u64,
    failed: Option<io::Error>,
    short: bool,
}

impl Read for EntryReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = usize::try_from(self.remaining).map_or(buf.len(), |r| r.min(buf.len()));
        match self.src.read(&mut buf[..want]) {
            Ok(0) => {
                self.short = true;
                Ok(0)
            }
            Ok(k) => {
                self.remaining -= (k as u64).min(self.remaining);
                Ok(k)
            }
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
// Tar headers.

const BLOCK: u64 = 512;

fn padding(size: u64) -> u64 {
    (BLOCK - size % BLOCK) % BLOCK
}

/// A numeric field: octal (NUL/space padded) or GNU base-256.
fn parse_numeric(field: &[u8]) -> Option<u64> {
    let first = *field.first()?;
    if first & 0x80 != 0 {
        if first & 0x40 != 0 {
            return None; // negative
        }
        let mut v = u64::from(first & 0x3f);
        for &b in &field[1..] {
            if v >> 56 != 0 {
                return None;
            }
            v = (v << 8) | u64::from(b);
        }
        return Some(v);
    }
    let s = field
        .iter()
        .position(|&b| b != 0 && b != b' ')
        .map_or(&field[..0], |start| {
            let end = field
                .iter()
                .rposition(|&b| b != 0 && b != b' ')
                .map_or(start, |e| e + 1);
            &field[start..end]
        });
    if s.is_empty() {
        return Some(0);
    }
    let mut v: u64 = 0;
    for &b in s {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

fn cstr(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    &field[..end]
}

/// Checks the header checksum (the unsigned sum POSIX specifies, or the
/// signed one some old writers used).
fn check_checksum(b: &[u8; 512]) -> Result<(), (String, u64)> {
    let mut unsigned: i64 = 0;
    let mut signed: i64 = 0;
    for (i, &x) in b.iter().enumerate() {
        if (148..156).contains(&i) {
            unsigned += 32;
            signed += 32;
        } else {
            unsigned += i64::from(x);
            signed += i64::from(x as i8);
        }
    }
    let computed = u64::try_from(unsigned).unwrap_or(0);
    match parse_numeric(&b[148..156]) {
        Some(r) if i64::try_from(r).is_ok_and(|r| r == unsigned || r == signed) => Ok(()),
        Some(r) => Err((r.to_string(), computed)),
        None => Err((
            format!("unreadable {:?}", String::from_utf8_lossy(&b[148..156])),
            computed,
        )),
    }
}

fn header_name(b: &[u8; 512]) -> Vec<u8> {
    let name = cstr(&b[0..100]);
    // The prefix field exists in POSIX ustar only; GNU's "ustar  " format
    // keeps other things there.
    if &b[257..263] == b"ustar\0" {
        let prefix = cstr(&b[345..500]);
        if !prefix.is_empty() {
            let mut v = prefix.to_vec();
            v.push(b'/');
            v.extend_from_slice(name);
            return v;
        }
    }
    name.to_vec()
}

/// Entry types with no data in the stream whatever their size field says
/// (as Go's archive/tar, and so dive, read them).
fn header_only(typeflag: u8) -> bool {
    matches!(typeflag, b'1'..=b'6')
}

/// Overrides from PAX headers.
#[derive(Debug, Clone, Default)]
struct Pax {
    path: Option<Vec<u8>>,
    linkpath: Option<Vec<u8>>,
    size: Option<u64>,
    uid: Option<u64>,
    gid: Option<u64>,
    sparse: bool,
}

fn decimal(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 20 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// Parses PAX records (`LEN key=value\n`) into `into`; an empty value
/// removes the key.
fn parse_pax(mut data: &[u8], into: &mut Pax) -> Result<(), String> {
    while !data.is_empty() {
        if data.iter().all(|&b| b == 0) {
            break; // NUL padding some writers leave
        }
        let sp = data
            .iter()
            .take(21)
            .position(|&b| b == b' ')
            .ok_or("a PAX record does not start with its length")?;
        let len = decimal(&data[..sp])
            .and_then(|l| usize::try_from(l).ok())
            .ok_or("a PAX record length is not a number")?;
        if len <= sp + 1 || len > data.len() || data[len - 1] != b'\n' {
            return Err(format!("a PAX record claims {len} bytes, which do not fit"));
        }
        let rec = &data[sp + 1..len - 1];
        data = &data[len..];
        let eq = rec
            .iter()
            .position(|&b| b == b'=')
            .ok_or("a PAX record has no '='")?;
        let (key, value) = (&rec[..eq], &rec[eq + 1..]);
        let bytes = (!value.is_empty()).then(|| value.to_vec());
        match key {
            b"path" => into.path = bytes,
            b"linkpath" => into.linkpath = bytes,
            b"size" => {
                into.size = match bytes {
                    None => None,
                    Some(v) => Some(decimal(&v).ok_or("the PAX size is not a number")?),
                }
            }
            b"uid" => into.uid = bytes.and_then(|v| decimal(&v)),
            b"gid" => into.gid = bytes.and_then(|v| decimal(&v)),
            k if k.starts_with(b"GNU.sparse.") => into.sparse = true,
            _ => {}
        }
    }
    Ok(())
}

/// A name as a string; `true` when it had to be converted lossily (not
/// UTF-8, or a NUL inside).
fn lossy_string(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.contains('\0') => (s.to_string(), false),
        _ => (
            String::from_utf8_lossy(bytes).replace('\0', "\u{fffd}"),
            true,
        ),
    }
}

fn split_last(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("/", path),
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

// ---------------------------------------------------------------------------
// The index being built.

/// An upper layer has an entry at the path.
const ENTRY_ABOVE: u8 = 1;
/// An upper layer whites the path out or puts a non-directory there: the
/// path and everything under it is hidden.
const SUBTREE_HIDDEN: u8 = 2;
/// An upper layer marks the directory opaque: what is under it is hidden.
const OPAQUE_ABOVE: u8 = 4;
/// An upper layer has entries under the path, so it is a directory there:
/// a non-directory at the path is hidden.
const IMPLIED_DIR_ABOVE: u8 = 8;

/// One path of one layer, as dive sees it.
#[derive(Debug, Clone, Copy)]
struct DiveRec {
    is_dir: bool,
    size: u64,
}

#[derive(Debug, Default)]
struct DiveLayer {
    /// (path, whiteout?) → record.
    recs: Vec<((u32, bool), DiveRec)>,
    /// Directories created only by an opaque marker (or other `.wh..wh.`
    /// metadata) under them.
    extra_dirs: Vec<u32>,
}

struct LayerState {
    id: LayerId,
    recs: HashMap<(u32, bool), DiveRec>,
    extra_dirs: Vec<u32>,
    opaque: Vec<u32>,
    /// Nodes no upper layer hides, last entry per path.
    seen: HashMap<u32, Node>,
    visited: HashSet<u32>,
    global: Pax,
    summary: LayerSummary,
}

impl LayerState {
    fn index(&self) -> usize {
        self.id.index
    }

    /// An ancestor of `pid` is a non-directory in this layer.
    fn inside_nondir(&self, paths: &Paths, pid: u32) -> bool {
        let mut p = pid;
        while p != 0 {
            p = paths.parent(p);
            if self.recs.get(&(p, false)).is_some_and(|r| !r.is_dir) {
                return true;
            }
        }
        false
    }
}

enum Fail {
    Io(io::Error, u64),
    Fs(FsError),
}

impl From<FsError> for Fail {
    fn from(e: FsError) -> Fail {
        Fail::Fs(e)
    }
}

/// One tar entry, with its PAX and GNU overrides applied.
struct Entry {
    name: Vec<u8>,
    link: Vec<u8>,
    typeflag: u8,
    /// The size field (what dive counts).
    size: u64,
    /// Bytes of data that follow in the stream.
    data_len: u64,
    mode: u32,
    uid: u32,
    gid: u32,
    sparse: bool,
    offset: u64,
}

struct Index<'a> {
    paths: Paths,
    flags: Vec<u8>,
    /// Lowest layer with a (non-whiteout) entry at the path.
    lowest: Vec<u32>,
    nodes: HashMap<u32, Node>,
    warnings: Vec<FsWarning>,
    warnings_dropped: usize,
    entries: usize,
    dive: Vec<DiveLayer>,
    visitor: &'a mut dyn ContentVisitor,
    limits: &'a Limits,
}

impl<'a> Index<'a> {
    fn new(layers: usize, visitor: &'a mut dyn ContentVisitor, limits: &'a Limits) -> Self {
        Index {
            paths: Paths::new(),
            flags: Vec::new(),
            lowest: Vec::new(),
            nodes: HashMap::new(),
            warnings: Vec::new(),
            warnings_dropped: 0,
            entries: 0,
            dive: (0..layers).map(|_| DiveLayer::default()).collect(),
            visitor,
            limits,
        }
    }

    fn warn(&mut self, layer: usize, path: &str, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(FsWarning {
                layer,
                path: path.to_string(),
                message,
            });
        } else {
            self.warnings_dropped += 1;
        }
    }

    fn flag(&self, id: u32) -> u8 {
        self.flags.get(id as usize).copied().unwrap_or(0)
    }

    fn set_flag(&mut self, id: u32, f: u8) {
        let i = id as usize;
        if self.flags.len() <= i {
            self.flags.resize(i + 1, 0);
        }
        self.flags[i] |= f;
    }

    fn set_lowest(&mut self, id: u32, layer: usize) {
        let i = id as usize;
        if self.lowest.len() <= i {
            self.lowest.resize(i + 1, u32::MAX);
        }
        let l = u32::try_from(layer).unwrap_or(u32::MAX);
        self.lowest[i] = self.lowest[i].min(l);
    }

    fn intern(&mut self, ls: &LayerState, path: &str) -> Result<u32, FsError> {
        self.paths
            .intern(path)
            .ok_or_else(|| FsError::TooManyPaths {
                layer: ls.id.clone(),
                path: Some(path.to_string()),
            })
    }

    /// An upper layer hides the path.
    fn hidden_above(&self, pid: u32, is_dir: bool) -> bool {
        let f = self.flag(pid);
        if f & (ENTRY_ABOVE | SUBTREE_HIDDEN) != 0 || (!is_dir && f & IMPLIED_DIR_ABOVE != 0) {
            return true;
        }
        let mut p = pid;
        while p != 0 {
            p = self.paths.parent(p);
            if self.flag(p) & (SUBTREE_HIDDEN | OPAQUE_ABOVE) != 0 {
                return true;
            }
        }
        false
    }

    fn read_layer(&mut self, index: usize, input: LayerInput) -> Result<LayerSummary, FsError> {
        let LayerInput {
            mut reader,
            descriptor,
        } = input;
        let id = LayerId {
            index,
            digest: descriptor.as_ref().map(|d| d.digest.to_string()),
        };
        let mut meter = Meter {
            inner: &mut *reader,
            hasher: descriptor.as_ref().map(|d| Hasher::for_digest(&d.digest)),
            count: 0,
            failed: false,
        };
        let mut magic = [0u8; 4];
        let got = read_full(&mut meter, &mut magic).map_err(|e| FsError::Read {
            layer: id.clone(),
            offset: meter.count,
            source: e,
        })?;
        let format = Format::detect(&magic[..got]);
        let mut ls = LayerState {
            id: id.clone(),
            recs: HashMap::new(),
            extra_dirs: Vec::new(),
            opaque: Vec::new(),
            seen: HashMap::new(),
            visited: HashSet::new(),
            global: Pax::default(),
            summary: LayerSummary {
                index,
                digest: id.digest.clone(),
                ..LayerSummary::default()
            },
        };
        let limit = self.limits.max_layer_bytes;
        let (outcome, tar_size, over) = {
            let head = io::Cursor::new(magic).take(got as u64);
            let decoder: io::Result<Box<dyn SkipRead + '_>> = match format {
                Format::Tar => Ok(Box::new(PlainTar {
                    head,
                    meter: &mut meter,
                })),
                Format::Gzip => Ok(Box::new(flate2::read::MultiGzDecoder::new(
                    head.chain(&mut meter),
                ))),
                Format::Zstd => zstd::stream::read::Decoder::new(head.chain(&mut meter))
                    .map(|d| Box::new(d) as Box<dyn SkipRead + '_>),
            };
            match decoder {
                Err(e) => (Err(Fail::Io(e, 0)), 0, false),
                Ok(inner) => {
                    let mut src = Counted {
                        inner,
                        pos: 0,
                        limit,
                        over: false,
                    };
                    let mut r = self.read_tar(&mut ls, &mut src);
                    if r.is_ok() {
                        // Trailing blocks after the end-of-archive marker.
                        let mut scratch = vec![0u8; 64 << 10];
                        r = skip(&mut src, u64::MAX, &mut scratch)
                            .map(|_| ())
                            .map_err(|e| Fail::Io(e, src.pos));
                    }
                    (r, src.pos, src.over)
                }
            }
        };
        let failure = match outcome {
            Ok(()) => None,
            Err(Fail::Fs(e)) => Some(e),
            Err(Fail::Io(e, offset)) => Some(if over {
                FsError::LayerTooLarge {
                    layer: id.clone(),
                    limit,
                }
            } else if meter.failed || format == Format::Tar {
                FsError::Read {
                    layer: id.clone(),
                    offset: meter.count,
                    source: e,
                }
            } else {
                let detail = if e.kind() == io::ErrorKind::UnexpectedEof {
                    format!("the stream ends early (truncated) after {offset} uncompressed bytes")
                } else {
                    format!("{e} (after {offset} uncompressed bytes)")
                };
                FsError::Decompress {
                    layer: id.clone(),
                    format: format.name(),
                    offset: meter.count,
                    detail,
                }
            }),
        };
        if let Some(err) = failure {
            if matches!(err, FsError::Read { .. } | FsError::Visitor { .. }) {
                return Err(err);
            }
            // A blob that is not what its descriptor says explains the
            // failure better than the failure itself.
            if let Some(d) = &descriptor {
                if io::copy(&mut meter, &mut io::sink()).is_ok() {
                    if let Some(mismatch) = check_blob(
                        &id,
                        d,
                        &mut meter,
                        format!("; reading it also failed: {err}"),
                    ) {
                        return Err(mismatch);
                    }
                }
            }
            return Err(err);
        }
        io::copy(&mut meter, &mut io::sink()).map_err(|e| FsError::Read {
            layer: id.clone(),
            offset: meter.count,
            source: e,
        })?;
        if let Some(d) = &descriptor {
            if let Some(mismatch) = check_blob(&id, d, &mut meter, String::new()) {
                return Err(mismatch);
            }
        }
        ls.summary.compressed_size = meter.count;
        ls.summary.tar_size = tar_size;
        Ok(self.finish_layer(ls))
    }

    fn read_tar(&mut self, ls: &mut LayerState, src: &mut Counted<'_>) -> Result<(), Fail> {
        let mut local = Pax::default();
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        let mut block = [0u8; 512];
        let mut scratch = vec![0u8; 64 << 10];
        let max_header = self.limits.max_header_bytes;
        loop {
            let at = src.pos;
            let n = read_full(src, &mut block).map_err(|e| Fail::Io(e, src.pos))?;
            if n == 0 {
                let message = if at == 0 {
                    "the layer is empty (not even an end-of-archive marker)"
                } else {
                    "the tar ends without an end-of-archive marker"
                };
                self.warn(ls.index(), "", message.to_string());
                return Ok(());
            }
            if n < block.len() {
                return Err(FsError::Truncated {
                    layer: ls.id.clone(),
                    offset: at,
                    what: "a header",
                    path: None,
                }
                .into());
            }
            if block.iter().all(|&b| b == 0) {
                return Ok(());
            }
            check_checksum(&block).map_err(|(recorded, computed)| FsError::BadChecksum {
                layer: ls.id.clone(),
                offset: at,
                recorded,
                computed,
            })?;
            let bad_header = |detail: &str, path: Option<String>| FsError::BadHeader {
                layer: ls.id.clone(),
                offset: at,
                path,
                detail: detail.to_string(),
            };
            let raw_name = header_name(&block);
            let hdr_size = parse_numeric(&block[124..136]).ok_or_else(|| {
                bad_header(
                    "the size field is not a number",
                    Some(lossy_string(&raw_name).0),
                )
            })?;
            let typeflag = block[156];
            if matches!(typeflag, b'x' | b'g' | b'L' | b'K') {
                let kind = match typeflag {
                    b'x' => "PAX extended",
                    b'g' => "PAX global",
                    b'L' => "GNU long name",
                    _ => "GNU long link",
                };
                if hdr_size > max_header {
                    return Err(FsError::HeaderTooLarge {
                        layer: ls.id.clone(),
                        offset: at,
                        kind,
                        size: hdr_size,
                        limit: max_header,
                    }
                    .into());
                }
                let mut data = Vec::new();
                let got = (&mut *src)
                    .take(hdr_size)
                    .read_to_end(&mut data)
                    .map_err(|e| Fail::Io(e, src.pos))?;
                let pad = padding(hdr_size);
                let padded = skip(src, pad, &mut scratch).map_err(|e| Fail::Io(e, src.pos))?;
                if (got as u64) < hdr_size || padded < pad {
                    return Err(FsError::Truncated {
                        layer: ls.id.clone(),
                        offset: at,
                        what: "an extended header",
                        path: None,
                    }
                    .into());
                }
                match typeflag {
                    b'x' => parse_pax(&data, &mut local),
                    b'g' => parse_pax(&data, &mut ls.global),
                    b'L' => {
                        long_name = Some(cstr(&data).to_vec());
                        Ok(())
                    }
                    _ => {
                        long_link = Some(cstr(&data).to_vec());
                        Ok(())
                    }
                }
                .map_err(|detail| bad_header(&detail, None))?;
                continue;
            }

            self.entries += 1;
            if self.entries > self.limits.max_entries {
                return Err(FsError::TooManyEntries {
                    layer: ls.id.clone(),
                    offset: at,
                    limit: self.limits.max_entries,
                }
                .into());
            }
            // GNU long names win over PAX, as in Go's archive/tar.
            let name = long_name
                .take()
                .or_else(|| local.path.take())
                .or_else(|| ls.global.path.clone())
                .unwrap_or(raw_name);
            let link = long_link
                .take()
                .or_else(|| local.linkpath.take())
                .or_else(|| ls.global.linkpath.clone())
                .unwrap_or_else(|| cstr(&block[157..257]).to_vec());
            let size = local.size.or(ls.global.size).unwrap_or(hdr_size);
            let lenient = |v: Option<u64>, field: &str, this: &mut Self| -> u32 {
                match v.map(u32::try_from) {
                    Some(Ok(v)) => v,
                    _ => {
                        this.warn(
                            ls.id.index,
                            &lossy_string(&name).0,
                            format!("the {field} field is unreadable or too large; 0 is used"),
                        );
                        0
                    }
                }
            };
            let mode = lenient(parse_numeric(&block[100..108]), "mode", self);
            let uid = lenient(
                local
                    .uid
                    .or(ls.global.uid)
                    .or_else(|| parse_numeric(&block[108..116])),
                "uid",
                self,
            );
            let gid = lenient(
                local
                    .gid
                    .or(ls.global.gid)
                    .or_else(|| parse_numeric(&block[116..124])),
                "gid",
                self,
            );
            let sparse = local.sparse || ls.global.sparse || typeflag == b'S';
            local = Pax::default();
            if typeflag == b'S' && block[482] != 0 {
                // Old GNU sparse: extension blocks of the sparse map.
                let mut ext = [0u8; 512];
                let mut total = 0u64;
                loop {
                    total += BLOCK;
                    if total > max_header {
                        return Err(FsError::HeaderTooLarge {
                            layer: ls.id.clone(),
                            offset: at,
                            kind: "GNU sparse map",
                            size: total,
                            limit: max_header,
                        }
                        .into());
                    }
                    let n = read_full(src, &mut ext).map_err(|e| Fail::Io(e, src.pos))?;
                    if n < ext.len() {
                        return Err(FsError::Truncated {
                            layer: ls.id.clone(),
                            offset: src.pos,
                            what: "a GNU sparse map",
                            path: Some(lossy_string(&name).0),
                        }
                        .into());
                    }
                    if ext[504] == 0 {
                        break;
                    }
                }
            }
            let dir_by_name = typeflag == 0 && name.last() == Some(&b'/');
            let data_len = if header_only(typeflag) || dir_by_name {
                0
            } else {
                size
            };
            let entry = Entry {
                name,
                link,
                typeflag: if dir_by_name { b'5' } else { typeflag },
                size,
                data_len,
                mode,
                uid,
                gid,
                sparse,
                offset: at,
            };
            let (consumed, path) = self.entry(ls, src, &entry)?;
            let rest = (data_len - consumed.min(data_len)).saturating_add(padding(data_len));
            let skipped = match src.skip_ahead(rest) {
                Some(r) => r.map(|()| rest).map_err(|e| Fail::Io(e, src.pos))?,
                None => skip(src, rest, &mut scratch).map_err(|e| Fail::Io(e, src.pos))?,
            };
            if skipped < rest {
                return Err(FsError::Truncated {
                    layer: ls.id.clone(),
                    offset: src.pos,
                    what: "file data",
                    path: Some(path),
                }
                .into());
            }
        }
    }

    /// Records one entry, offers it to the visitor when it is a file of
    /// the final filesystem; gives the data bytes the visitor consumed and
    /// the entry's path.
    fn entry(
        &mut self,
        ls: &mut LayerState,
        src: &mut Counted<'_>,
        e: &Entry,
    ) -> Result<(u64, String), Fail> {
        let li = ls.index();
        let (name, lossy) = lossy_string(&e.name);
        let path = match normalize(&name) {
            Ok(p) => p,
            Err(esc) => {
                self.warn(li, &esc.clamped, esc.to_string());
                esc.clamped
            }
        };
        if lossy {
            self.warn(
                li,
                &path,
                "the name is not valid UTF-8 or holds a NUL byte; it was converted lossily"
                    .to_string(),
            );
        }
        if path == "/" {
            return Ok((0, path));
        }
        if path.len() > MAX_PATH_BYTES {
            self.warn(
                li,
                &path,
                format!("the path is longer than {MAX_PATH_BYTES} bytes; the entry is skipped"),
            );
            return Ok((0, path));
        }
        ls.summary.entries += 1;
        ls.summary.dive_size = ls.summary.dive_size.saturating_add(e.size);
        let (parent, base) = split_last(&path);
        if let Some(rest) = base.strip_prefix(".wh.") {
            ls.summary.whiteouts += 1;
            let pid = self.intern(ls, parent)?;
            if rest == ".wh..opq" {
                ls.opaque.push(pid);
                ls.extra_dirs.push(pid);
            } else if rest.is_empty() || rest.starts_with(".wh.") {
                self.warn(
                    li,
                    &path,
                    "aufs metadata (a .wh..wh. entry) is ignored".to_string(),
                );
                ls.extra_dirs.push(pid);
            } else {
                let target = join(parent, rest);
                let t = self.intern(ls, &target)?;
                ls.recs.insert(
                    (t, true),
                    DiveRec {
                        is_dir: false,
                        size: e.size,
                    },
                );
            }
            return Ok((0, path));
        }

        let kind = match e.typeflag {
            _ if e.sparse => None,
            b'0' | 0 | b'7' => Some(NodeKind::File),
            b'1' => Some(NodeKind::Hardlink),
            b'2' => Some(NodeKind::Symlink),
            b'3' => Some(NodeKind::CharDevice),
            b'4' => Some(NodeKind::BlockDevice),
            b'5' => Some(NodeKind::Dir),
            b'6' => Some(NodeKind::Fifo),
            _ => None,
        };
        let pid = self.intern(ls, &path)?;
        self.set_lowest(pid, li);
        ls.recs.insert(
            (pid, false),
            DiveRec {
                is_dir: kind == Some(NodeKind::Dir),
                size: e.size,
            },
        );
        let Some(kind) = kind else {
            let what = if e.sparse {
                "a sparse file, which is not supported".to_string()
            } else {
                format!(
                    "an unsupported entry type {:?}",
                    char::from(e.typeflag).escape_default().to_string()
                )
            };
            self.warn(li, &path, format!("{what}; the entry is skipped"));
            self.forget(ls, pid, &path);
            return Ok((0, path));
        };
        let link = match kind {
            NodeKind::Symlink => {
                let (l, lossy) = lossy_string(&e.link);
                if lossy {
                    self.warn(
                        li,
                        &path,
                        "the link target is not valid UTF-8 or holds a NUL byte; it was converted lossily".to_string(),
                    );
                }
                Some(l)
            }
            NodeKind::Hardlink => {
                let (l, lossy) = lossy_string(&e.link);
                if lossy {
                    self.warn(
                        li,
                        &path,
                        "the link target is not valid UTF-8 or holds a NUL byte; it was converted lossily".to_string(),
                    );
                }
                Some(match normalize(&l) {
                    Ok(t) => t,
                    Err(esc) => {
                        self.warn(li, &path, format!("hard link target: {esc}"));
                        esc.clamped
                    }
                })
            }
            _ => None,
        };
        match kind {
            NodeKind::CharDevice | NodeKind::BlockDevice => self.warn(
                li,
                &path,
                "a device node; container runtimes usually refuse or ignore these".to_string(),
            ),
            NodeKind::Fifo => self.warn(li, &path, "a named pipe (fifo)".to_string()),
            _ => {}
        }
        let size = if kind == NodeKind::File { e.size } else { 0 };
        if kind == NodeKind::File {
            ls.summary.files_size = ls.summary.files_size.saturating_add(size);
            push_largest(&mut ls.summary.largest, &path, size);
        }
        let node = Node {
            kind,
            mode: e.mode & 0o7777,
            uid: e.uid,
            gid: e.gid,
            size,
            link,
            layer: li,
        };
        if self.hidden_above(pid, kind == NodeKind::Dir) {
            self.forget(ls, pid, &path);
            if kind != NodeKind::File || !self.visitor.hidden(&path, &node) {
                return Ok((0, path));
            }
        } else {
            if ls.seen.insert(pid, node.clone()).is_some() && ls.visited.remove(&pid) {
                self.visitor.superseded(&path);
            }
            if kind != NodeKind::File
                || ls.inside_nondir(&self.paths, pid)
                || !self.visitor.wants(&path, &node)
            {
                return Ok((0, path));
            }
            ls.visited.insert(pid);
        }
        let mut r = EntryReader {
            src,
            remaining: e.data_len,
            failed: None,
            short: false,
        };
        let res = self.visitor.visit(&path, &node, &mut r);
        let consumed = e.data_len - r.remaining;
        let (failed, short) = (r.failed.take(), r.short);
        let pos = src.pos;
        if let Some(err) = failed {
            return Err(Fail::Io(err, pos));
        }
        match res {
            Ok(()) => Ok((consumed, path)),
            Err(_) if short => Err(FsError::Truncated {
                layer: ls.id.clone(),
                offset: pos,
                what: "file data",
                path: Some(path),
            }
            .into()),
            Err(source) => Err(FsError::Visitor {
                layer: ls.id.clone(),
                path,
                offset: e.offset,
                source,
            }
            .into()),
        }
    }

    /// A later entry of the layer replaced the path with nothing visible.
    fn forget(&mut self, ls: &mut LayerState, pid: u32, path: &str) {
        if ls.seen.remove(&pid).is_some() && ls.visited.remove(&pid) {
            self.visitor.superseded(path);
        }
    }

    /// After a layer was read whole: its nodes join the final filesystem
    /// and what it hides is noted for the layers below.
    fn finish_layer(&mut self, mut ls: LayerState) -> LayerSummary {
        let li = ls.index();
        let mut implied: HashSet<u32> = HashSet::new();
        let starts = ls
            .recs
            .keys()
            .map(|&(pid, _)| self.paths.parent(pid))
            .chain(ls.extra_dirs.iter().copied());
        for start in starts {
            let mut p = start;
            while p != 0 && implied.insert(p) {
                p = self.paths.parent(p);
            }
        }
        let seen: Vec<(u32, Node)> = ls.seen.drain().collect();
        for (pid, node) in seen {
            if ls.inside_nondir(&self.paths, pid) {
                let path = self.paths.full(pid);
                self.warn(
                    li,
                    &path,
                    "a parent of this entry is a non-directory in the same layer; the entry is dropped"
                        .to_string(),
                );
                if ls.visited.contains(&pid) {
                    self.visitor.superseded(&path);
                }
                continue;
            }
            self.nodes.insert(pid, node);
        }
        let mut recs: Vec<((u32, bool), DiveRec)> = ls.recs.drain().collect();
        recs.sort_unstable_by_key(|&(k, _)| k);
        for &((pid, wh), r) in &recs {
            let f = if wh {
                SUBTREE_HIDDEN
            } else if r.is_dir {
                ENTRY_ABOVE
            } else {
                ENTRY_ABOVE | SUBTREE_HIDDEN
            };
            self.set_flag(pid, f);
        }
        for &d in &ls.opaque {
            self.set_flag(d, OPAQUE_ABOVE);
        }
        for &a in &implied {
            self.set_flag(a, IMPLIED_DIR_ABOVE);
        }
        if let Some(slot) = self.dive.get_mut(li) {
            *slot = DiveLayer {
                recs,
                extra_dirs: std::mem::take(&mut ls.extra_dirs),
            };
        }
        ls.summary
    }

    fn finish(mut self, layers: Vec<LayerSummary>) -> ImageFs {
        // Hard links whose target no entry of their layer or below gives.
        let mut dangling = Vec::new();
        for (&pid, node) in &self.nodes {
            if node.kind != NodeKind::Hardlink {
                continue;
            }
            let target = node.link.as_deref().unwrap_or("/");
            let ok = self.paths.lookup(target).is_some_and(|t| {
                self.lowest
                    .get(t as usize)
                    .is_some_and(|&l| (l as usize) <= node.layer)
            });
            if !ok {
                dangling.push((node.layer, pid, target.to_string()));
            }
        }
        for (layer, pid, target) in dangling {
            let path = self.paths.full(pid);
            self.warn(
                layer,
                &path,
                format!(
                    "a hard link to {target}, which no entry of this layer or a lower one provides"
                ),
            );
        }

        // Directories implied by entries under them but listed by no
        // layer. Their paths are bounded (1 MiB plus 8 times the bytes of
        // the listed paths) so a hostile layer cannot multiply memory.
        let listed: usize = self.nodes.keys().map(|&p| self.paths.len_of(p)).sum();
        let mut budget = (1usize << 20).saturating_add(listed.saturating_mul(8));
        let mut implied: HashMap<u32, usize> = HashMap::new();
        let mut drop = Vec::new();
        let mut capped = false;
        for (&pid, node) in &self.nodes {
            let mut p = self.paths.parent(pid);
            while p != 0 {
                if let Some(n) = self.nodes.get(&p) {
                    if n.kind != NodeKind::Dir {
                        drop.push(pid);
                    }
                    break;
                }
                match implied.get_mut(&p) {
                    Some(l) => *l = (*l).max(node.layer),
                    None => {
                        let len = self.paths.len_of(p);
                        if len <= budget {
                            budget -= len;
                            implied.insert(p, node.layer);
                        } else {
                            capped = true;
                        }
                    }
                }
                p = self.paths.parent(p);
            }
        }
        if capped {
            self.warn(
                0,
                "",
                "too many directories are implied without being listed; not all are indexed"
                    .to_string(),
            );
        }
        for pid in drop {
            if let Some(node) = self.nodes.remove(&pid) {
                let path = self.paths.full(pid);
                self.warn(
                    node.layer,
                    &path,
                    "a parent of this entry is not a directory; the entry is dropped".to_string(),
                );
            }
        }
        let mut nodes = BTreeMap::new();
        for (pid, layer) in implied {
            nodes.insert(
                self.paths.full(pid),
                Node {
                    kind: NodeKind::Dir,
                    mode: 0o755,
                    uid: 0,
                    gid: 0,
                    size: 0,
                    link: None,
                    layer,
                },
            );
        }
        for (pid, node) in std::mem::take(&mut self.nodes) {
            nodes.insert(self.paths.full(pid), node);
        }

        let mut efficiency = dive_efficiency(&self.paths, &self.dive);
        efficiency.user_size = layers
            .iter()
            .skip(1)
            .map(|l| l.dive_size)
            .fold(0u64, u64::saturating_add);
        if self.warnings_dropped > 0 {
            let n = self.warnings_dropped;
            self.warnings.push(FsWarning {
                layer: layers.len().saturating_sub(1),
                path: String::new(),
                message: format!("{n} more warnings were not recorded"),
            });
        }
        let mut warnings = self.warnings;
        warnings.sort_by_key(|w| w.layer);
        ImageFs {
            nodes,
            layers,
            efficiency,
            warnings,
        }
    }
}

fn check_blob(
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

fn push_largest(v: &mut Vec<(String, u64)>, path: &str, size: u64) {
    let better = |(p, s): &(String, u64)| size > *s || (size == *s && path < p.as_str());
    if v.len() >= LARGEST && !v.last().is_some_and(better) {
        return;
    }
    let at = v.iter().position(better).unwrap_or(v.len());
    v.insert(at, (path.to_string(), size));
    v.truncate(LARGEST);
}

// ---------------------------------------------------------------------------
// dive's efficiency (dive 0.13, filetree/efficiency.go), reproduced on the
// per-layer records: its layer trees, its traversal order, its stacked
// trees and its quirks.
//
// - A layer tree holds a node per entry path (the last entry wins) and an
//   empty, non-directory node for every parent no entry lists. A whiteout
//   is a node named `.wh.NAME`; opaque markers (`.wh..wh..opq`) are not
//   nodes at all, so opaque directories hide nothing for dive.
// - Leaves are visited depth first, children sorted by name, children
//   before their parent. A file's size is its size field; a whiteout's is
//   the size of everything under the path in the tree stacked from the
//   layers below when that was a directory, else 0. A whiteout of a path
//   missing there ends that layer's walk, leaving the path with a minimum
//   of -1.
// - Stacking removes whited-out subtrees and otherwise sets each node's
//   data, keeping the children (so a parent no entry lists turns into an
//   empty non-directory).

type Key = (u32, bool);

struct LayerTree {
    /// Every node, in dive's visiting order, with whether it is a leaf.
    order: Vec<(Key, bool)>,
    info: HashMap<Key, DiveRec>,
}

fn dive_name(paths: &Paths, k: Key) -> impl Iterator<Item = u8> + '_ {
    let prefix: &'static [u8] = if k.1 { b".wh." } else { b"" };
    prefix.iter().copied().chain(paths.name(k.0).bytes())
}

fn layer_tree(paths: &Paths, layer: &DiveLayer) -> LayerTree {
    let mut kids: HashMap<u32, Vec<Key>> = HashMap::new();
    let mut present: HashSet<Key> = HashSet::new();
    let mut add = |start: Key| {
        let mut k = start;
        while k.0 != 0 && present.insert(k) {
            let parent = paths.parent(k.0);
            kids.entry(parent).or_default().push(k);
            k = (parent, false);
        }
    };
    for &(k, _) in &layer.recs {
        add(k);
    }
    for &d in &layer.extra_dirs {
        add((d, false));
    }
    for v in kids.values_mut() {
        v.sort_by(|a, b| dive_name(paths, *a).cmp(dive_name(paths, *b)));
    }
    let children = |k: Key| -> &[Key] {
        if k.1 {
            &[]
        } else {
            kids.get(&k.0).map_or(&[][..], Vec::as_slice)
        }
    };
    let mut order = Vec::with_capacity(present.len());
    let mut stack: Vec<(Key, usize)> = vec![((0, false), 0)];
    while let Some(top) = stack.last_mut() {
        let ch = children(top.0);
        if let Some(&c) = ch.get(top.1) {
            top.1 += 1;
            stack.push((c, 0));
        } else {
            let k = top.0;
            stack.pop();
            if k != (0, false) {
                order.push((k, ch.is_empty()));
            }
        }
    }
    LayerTree {
        order,
        info: layer.recs.iter().copied().collect(),
    }
}

struct StackNode {
    is_dir: bool,
    size: u64,
    kids: BTreeSet<u32>,
}

/// dive's tree of the layers stacked so far.
struct Stacked {
    nodes: HashMap<u32, StackNode>,
}

impl Stacked {
    fn new() -> Stacked {
        let mut nodes = HashMap::new();
        nodes.insert(
            0,
            StackNode {
                is_dir: true,
                size: 0,
                kids: BTreeSet::new(),
            },
        );
        Stacked { nodes }
    }

    fn add(&mut self, paths: &Paths, pid: u32, rec: DiveRec) {
        if pid == 0 {
            return;
        }
        let mut chain = Vec::new();
        let mut p = pid;
        while p != 0 && !self.nodes.contains_key(&p) {
            chain.push(p);
            p = paths.parent(p);
        }
        for &c in chain.iter().rev() {
            self.nodes.insert(
                c,
                StackNode {
                    is_dir: false,
                    size: 0,
                    kids: BTreeSet::new(),
                },
            );
            if let Some(parent) = self.nodes.get_mut(&paths.parent(c)) {
                parent.kids.insert(c);
            }
        }
        if let Some(n) = self.nodes.get_mut(&pid) {
            n.is_dir = rec.is_dir;
            n.size = rec.size;
        }
    }

    fn remove(&mut self, paths: &Paths, pid: u32) {
        if pid == 0 || !self.nodes.contains_key(&pid) {
            return;
        }
        if let Some(parent) = self.nodes.get_mut(&paths.parent(pid)) {
            parent.kids.remove(&pid);
        }
        let mut todo = vec![pid];
        while let Some(p) = todo.pop() {
            if let Some(n) = self.nodes.remove(&p) {
                todo.extend(n.kids);
            }
        }
    }

    /// The sizes of the node and everything under it.
    fn subtree_size(&self, pid: u32) -> i64 {
        let mut sum: i64 = 0;
        let mut todo = vec![pid];
        while let Some(p) = todo.pop() {
            if let Some(n) = self.nodes.get(&p) {
                sum = sum.saturating_add(i64::try_from(n.size).unwrap_or(i64::MAX));
                todo.extend(n.kids.iter().copied());
            }
        }
        sum
    }
}

struct PathEfficiency {
    cumulative: i64,
    min: i64,
    count: usize,
}

fn dive_efficiency(paths: &Paths, layers: &[DiveLayer]) -> Efficiency {
    let mut eff: HashMap<u32, PathEfficiency> = HashMap::new();
    let mut stacked = Stacked::new();
    let empty = DiveRec {
        is_dir: false,
        size: 0,
    };
    for (li, layer) in layers.iter().enumerate() {
        let tree = layer_tree(paths, layer);
        let info = |k: Key| tree.info.get(&k).copied().unwrap_or(empty);
        if li == 0 {
            // dive stacks onto a copy of the first layer's tree.
            for &(k, _) in &tree.order {
                if !k.1 {
                    stacked.add(paths, k.0, info(k));
                }
            }
        }
        for &(k, leaf) in &tree.order {
            if !leaf {
                continue;
            }
            let e = eff.entry(k.0).or_insert(PathEfficiency {
                cumulative: 0,
                min: -1,
                count: 0,
            });
            let size = if k.1 {
                match stacked.nodes.get(&k.0) {
                    None => break,
                    Some(n) if n.is_dir => stacked.subtree_size(k.0),
                    Some(_) => 0,
                }
            } else {
                i64::try_from(info(k).size).unwrap_or(i64::MAX)
            };
            e.cumulative = e.cumulative.saturating_add(size);
            if e.min < 0 || size < e.min {
                e.min = size;
            }
            e.count += 1;
        }
        for &(k, _) in &tree.order {
            if k.1 {
                stacked.remove(paths, k.0);
            } else {
                stacked.add(paths, k.0, info(k));
            }
        }
    }
    let mut min_sum: i128 = 0;
    let mut cum_sum: i128 = 0;
    let mut inefficiencies = Vec::new();
    let mut wasted: u64 = 0;
    for (&pid, e) in &eff {
        min_sum += i128::from(e.min);
        cum_sum += i128::from(e.cumulative);
        if e.count >= 2 {
            let c = u64::try_from(e.cumulative).unwrap_or(0);
            wasted = wasted.saturating_add(c);
            inefficiencies.push(Inefficiency {
                path: paths.full(pid),
                count: e.count,
                cumulative_size: c,
            });
        }
    }
    inefficiencies.sort_by(|a, b| {
        b.cumulative_size
            .cmp(&a.cumulative_size)
            .then_with(|| a.path.cmp(&b.path))
    });
    let score = if cum_sum == 0 {
        1.0
    } else {
        min_sum as f64 / cum_sum as f64
    };
    Efficiency {
        score,
        wasted_bytes: wasted,
        user_size: 0,
        inefficiencies,
    }
}
