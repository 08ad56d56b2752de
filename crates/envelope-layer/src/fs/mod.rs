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
//! detected by their first bytes. The tar stream is read with the one
//! streaming reader, [`envelope_oci::tar::read`]: ustar and old V7 headers,
//! GNU long names and links, PAX local and global headers (`path`,
//! `linkpath`, `size`, `uid`, `gid`), GNU base-256 numbers, and both the
//! unsigned and the signed header checksum. Hostile input is bounded by
//! [`Limits`]; it gives an [`FsError`], never a panic.
//!
//! Memory: about 100 bytes per tar entry at the peak (measured on a layer
//! of empty files, the most per byte of input), independent of the paths'
//! depth. Each path component is interned once under its parent (its
//! name in one arena, its parent's id, a slot of a hash table: 9 bytes
//! plus the name), each node of the final filesystem is a 24-byte record
//! indexed by path id (link targets beside it), each entry of a layer a
//! 16-byte record kept for dive's numbers, and computing those numbers
//! takes about 25 bytes per path more. [`Limits::max_entries`] (5 million
//! by default) bounds the whole at about 600 MB; past a limit indexing
//! stops with an [`FsError`], never an out-of-memory.

mod dive;
mod error;
mod index;
mod input;
mod limits;
mod paths;
mod read;

use std::collections::HashMap;
use std::io::Read;

pub use error::{FsError, LayerId};
pub use input::{LayerInput, LayerRead, Seekable, Streamed};
pub use limits::Limits;
pub use paths::{normalize, EscapesRoot};

use index::Index;
use limits::MAX_SYMLINK_HOPS;
use paths::{join_parts, normalize_clamped, Paths};

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

/// The final filesystem of an image. Paths are held interned (each
/// component once, under its parent) and nodes as fixed-size records
/// indexed by path: see the crate documentation for the cost per entry.
#[derive(Debug, Clone, Default)]
pub struct ImageFs {
    paths: Paths,
    /// By path id; `kind` 0 where the path is not in the filesystem.
    recs: Vec<Rec>,
    /// Link targets, by path id.
    links: HashMap<u32, Box<str>>,
    len: usize,
    pub layers: Vec<LayerSummary>,
    pub efficiency: Efficiency,
    pub warnings: Vec<FsWarning>,
}

/// A node as the index keeps it (24 bytes; a link's target is kept
/// beside, by path id).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Rec {
    pub(super) size: u64,
    pub(super) uid: u32,
    pub(super) gid: u32,
    pub(super) layer: u32,
    pub(super) mode: u16,
    /// 0: no node; else a [`NodeKind`] code.
    pub(super) kind: u8,
    /// Given to the visitor (while its layer is read).
    pub(super) visited: bool,
}

impl NodeKind {
    pub(super) fn code(self) -> u8 {
        match self {
            NodeKind::File => 1,
            NodeKind::Dir => 2,
            NodeKind::Symlink => 3,
            NodeKind::Hardlink => 4,
            NodeKind::CharDevice => 5,
            NodeKind::BlockDevice => 6,
            NodeKind::Fifo => 7,
        }
    }

    pub(super) fn from_code(code: u8) -> Option<NodeKind> {
        Some(match code {
            1 => NodeKind::File,
            2 => NodeKind::Dir,
            3 => NodeKind::Symlink,
            4 => NodeKind::Hardlink,
            5 => NodeKind::CharDevice,
            6 => NodeKind::BlockDevice,
            7 => NodeKind::Fifo,
            _ => return None,
        })
    }
}

impl Rec {
    pub(super) fn present(&self) -> bool {
        self.kind != 0
    }

    pub(super) fn is(&self, kind: NodeKind) -> bool {
        self.kind == kind.code()
    }

    fn node(&self, id: u32, links: &HashMap<u32, Box<str>>) -> Option<Node> {
        Some(Node {
            kind: NodeKind::from_code(self.kind)?,
            mode: u32::from(self.mode),
            uid: self.uid,
            gid: self.gid,
            size: self.size,
            link: links.get(&id).map(|l| l.to_string()),
            layer: self.layer as usize,
        })
    }
}

/// Sees the regular files of the final filesystem while they stream by.
pub trait ContentVisitor {
    /// Should `visit` get this file's bytes?
    fn wants(&mut self, path: &str, node: &Node) -> bool;
    /// Reads as much of the file as it needs; the rest is skipped.
    fn visit(&mut self, path: &str, node: &Node, data: &mut dyn Read) -> std::io::Result<()>;
    /// As `visit`, for a file already in memory (read once for two
    /// visitors): a visitor that keeps or parses the bytes whole takes
    /// them from here rather than copying them.
    fn visit_bytes(&mut self, path: &str, node: &Node, bytes: &[u8]) -> std::io::Result<()> {
        self.visit(path, node, &mut &bytes[..])
    }
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

/// Two visitors fed by one read of the layers: each gets what it wants,
/// a file both want read once into memory (each visitor's `wants` bounds
/// the size it accepts) and handed to both.
pub struct Both<'a> {
    a: &'a mut dyn ContentVisitor,
    b: &'a mut dyn ContentVisitor,
    /// Which of the two wanted each path `wants` said yes to.
    wanted: HashMap<String, (bool, bool)>,
}

impl<'a> Both<'a> {
    pub fn new(a: &'a mut dyn ContentVisitor, b: &'a mut dyn ContentVisitor) -> Both<'a> {
        Both {
            a,
            b,
            wanted: HashMap::new(),
        }
    }

    fn record(&mut self, path: &str, a: bool, b: bool) -> bool {
        if a || b {
            self.wanted.insert(path.to_string(), (a, b));
        }
        a || b
    }
}

impl ContentVisitor for Both<'_> {
    fn wants(&mut self, path: &str, node: &Node) -> bool {
        let a = self.a.wants(path, node);
        let b = self.b.wants(path, node);
        self.record(path, a, b)
    }

    fn visit(&mut self, path: &str, node: &Node, data: &mut dyn Read) -> std::io::Result<()> {
        match self.wanted.get(path).copied().unwrap_or((false, false)) {
            (true, true) => {
                // The size is the tar header's: a bound, not a promise.
                let mut bytes = Vec::with_capacity(usize::try_from(node.size).unwrap_or(0));
                data.take(node.size).read_to_end(&mut bytes)?;
                self.a.visit_bytes(path, node, &bytes)?;
                self.b.visit_bytes(path, node, &bytes)
            }
            (true, false) => self.a.visit(path, node, data),
            (false, true) => self.b.visit(path, node, data),
            (false, false) => Ok(()),
        }
    }

    fn visit_bytes(&mut self, path: &str, node: &Node, bytes: &[u8]) -> std::io::Result<()> {
        let (a, b) = self.wanted.get(path).copied().unwrap_or((false, false));
        if a {
            self.a.visit_bytes(path, node, bytes)?;
        }
        if b {
            self.b.visit_bytes(path, node, bytes)?;
        }
        Ok(())
    }

    fn superseded(&mut self, path: &str) {
        self.a.superseded(path);
        self.b.superseded(path);
    }

    fn hidden(&mut self, path: &str, node: &Node) -> bool {
        let a = self.a.hidden(path, node);
        let b = self.b.hidden(path, node);
        self.record(path, a, b)
    }
}

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
    fn new(paths: Paths, recs: Vec<Rec>, links: HashMap<u32, Box<str>>) -> ImageFs {
        let len = recs.iter().skip(1).filter(|r| r.present()).count();
        ImageFs {
            paths,
            recs,
            links,
            len,
            ..ImageFs::default()
        }
    }

    fn rec(&self, id: u32) -> Option<&Rec> {
        self.recs.get(id as usize).filter(|r| r.present())
    }

    fn node_of(&self, id: u32) -> Option<Node> {
        if id == 0 {
            return Some(ROOT.clone());
        }
        self.rec(id)?.node(id, &self.links)
    }

    /// How many paths the filesystem holds (the root excluded).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The node at `path` (normalized first; `/` is the root directory).
    /// Symbolic links are not followed: see [`ImageFs::resolve`].
    pub fn get(&self, path: &str) -> Option<Node> {
        let p = normalize_clamped(path);
        self.node_of(self.paths.lookup(&p)?)
    }

    /// Follows symbolic links (relative and absolute targets, in the path's
    /// parent directories too) inside the image: an absolute target starts
    /// again at the image's root and a `..` at the root stays there. Gives
    /// the final path and its node, or `None` when a component is missing,
    /// a non-directory has components after it, or more than 40 links are
    /// followed (a loop).
    pub fn resolve(&self, path: &str) -> Option<(String, Node)> {
        let mut pending: Vec<String> = path
            .split('/')
            .rev()
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_string)
            .collect();
        let mut cur: Vec<String> = Vec::new();
        let mut hops = 0usize;
        let mut node: Node = ROOT.clone();
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

    fn lookup_parts(&self, parts: &[String]) -> Option<Node> {
        self.node_of(self.paths.lookup(&join_parts(parts))?)
    }

    /// Every path of the final filesystem (the root excluded), a directory
    /// before what it holds, the entries of a directory sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (String, Node)> + '_ {
        self.walk(0).filter(|&id| id != 0).filter_map(|id| {
            let node = self.node_of(id)?;
            Some((self.paths.full(id), node))
        })
    }

    /// `path` (normalized first) and everything under it, in the order of
    /// [`ImageFs::iter`]; symbolic links are not followed.
    pub fn subtree(&self, path: &str) -> impl Iterator<Item = (String, Node)> + '_ {
        let start = self.paths.lookup(&normalize_clamped(path));
        start
            .into_iter()
            .flat_map(|id| self.walk(id))
            .filter_map(|id| {
                let node = self.node_of(id)?;
                Some((self.paths.full(id), node))
            })
    }

    /// The ids at and under `id` that are in the filesystem, depth first.
    fn walk(&self, id: u32) -> impl Iterator<Item = u32> + '_ {
        let mut stack = if id == 0 || self.rec(id).is_some() {
            vec![id]
        } else {
            Vec::new()
        };
        std::iter::from_fn(move || {
            let id = stack.pop()?;
            let kids = self.paths.children(id);
            stack.extend(
                kids.iter()
                    .rev()
                    .copied()
                    .filter(|&k| self.rec(k).is_some()),
            );
            Some(id)
        })
    }

    /// Bytes of the regular files of the final filesystem.
    pub fn total_size(&self) -> u64 {
        self.recs
            .iter()
            .filter(|r| r.is(NodeKind::File))
            .map(|r| r.size)
            .fold(0u64, u64::saturating_add)
    }

    /// The direct children of `dir` (normalized first; symbolic links are
    /// not followed, use [`ImageFs::resolve`] for that), sorted.
    pub fn list_dir<'a>(&'a self, dir: &str) -> impl Iterator<Item = (String, Node)> + 'a {
        let id = self.paths.lookup(&normalize_clamped(dir));
        id.filter(|&id| id == 0 || self.rec(id).is_some())
            .map(|id| self.paths.children(id))
            .unwrap_or(&[])
            .iter()
            .filter_map(|&k| Some((self.paths.full(k), self.node_of_present(k)?)))
    }

    fn node_of_present(&self, id: u32) -> Option<Node> {
        self.rec(id)?.node(id, &self.links)
    }
}
