//! The index being built, layer by layer from the top down: which paths an
//! upper layer hides (entries, whiteouts, opaque directories), the nodes
//! of the final filesystem, the warnings, and at the end the directories
//! no layer lists and dangling hard links.
//!
//! Everything is kept by path id in flat vectors (a flag byte, a 24-byte
//! node record) rather than in maps, and a layer's own entries as a list
//! of 16-byte records: see the crate documentation for the cost per entry.

use std::collections::{HashMap, HashSet};

use envelope_oci::tar::read::{lossy_name, Reader};

use super::dive::{dive_efficiency, DiveLayer, DiveRec};
use super::error::{FsError, LayerId};
use super::input::{Counted, EntryReader};
use super::limits::{Limits, LARGEST, MAX_PATH_BYTES, MAX_WARNINGS};
use super::paths::{join, normalize, split_last, Paths};
use super::read::{Entry, Fail};
use super::{ContentVisitor, FsWarning, ImageFs, LayerSummary, Node, NodeKind, Rec};

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
/// The layer being read: its last entry at the path is a non-directory.
const NONDIR_HERE: u8 = 16;
/// The layer being finished: the path was counted among its implied
/// directories.
const MARK: u8 = 32;

pub(super) struct LayerState {
    pub(super) id: LayerId,
    /// The layer's entries and whiteouts in order (the last per path
    /// counts), for dive.
    pub(super) recs: Vec<DiveRec>,
    pub(super) extra_dirs: Vec<u32>,
    pub(super) opaque: Vec<u32>,
    pub(super) summary: LayerSummary,
}

impl LayerState {
    pub(super) fn index(&self) -> usize {
        self.id.index
    }
}

pub(super) struct Index<'a> {
    pub(super) paths: Paths,
    pub(super) flags: Vec<u8>,
    /// Nodes by path id: those of the layers read so far that no upper
    /// layer hides (the current layer's last entry per path included).
    pub(super) recs: Vec<Rec>,
    pub(super) links: HashMap<u32, Box<str>>,
    pub(super) warnings: Vec<FsWarning>,
    pub(super) warnings_dropped: usize,
    pub(super) entries: usize,
    pub(super) dive: Vec<DiveLayer>,
    pub(super) visitor: &'a mut dyn ContentVisitor,
    pub(super) limits: &'a Limits,
}

impl<'a> Index<'a> {
    pub(super) fn new(
        layers: usize,
        visitor: &'a mut dyn ContentVisitor,
        limits: &'a Limits,
    ) -> Self {
        Index {
            paths: Paths::new(),
            flags: Vec::new(),
            recs: Vec::new(),
            links: HashMap::new(),
            warnings: Vec::new(),
            warnings_dropped: 0,
            entries: 0,
            dive: (0..layers).map(|_| DiveLayer::default()).collect(),
            visitor,
            limits,
        }
    }

    pub(super) fn warn(&mut self, layer: usize, path: &str, message: String) {
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

    fn clear_flag(&mut self, id: u32, f: u8) {
        if let Some(x) = self.flags.get_mut(id as usize) {
            *x &= !f;
        }
    }

    /// The node at `id` if the layer `li` put it there.
    fn here(&self, id: u32, li: usize) -> Option<&Rec> {
        self.recs
            .get(id as usize)
            .filter(|r| r.present() && r.layer as usize == li)
    }

    fn set_rec(&mut self, id: u32, rec: Rec) {
        let i = id as usize;
        if self.recs.len() <= i {
            self.recs.resize(i + 1, Rec::default());
        }
        self.recs[i] = rec;
    }

    /// An ancestor of `pid` is a non-directory in the layer being read.
    fn inside_nondir(&self, pid: u32) -> bool {
        let mut p = pid;
        while p != 0 {
            p = self.paths.parent(p);
            if self.flag(p) & NONDIR_HERE != 0 {
                return true;
            }
        }
        false
    }

    pub(super) fn intern(&mut self, ls: &LayerState, path: &str) -> Result<u32, FsError> {
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

    /// Records one entry, offers it to the visitor when it is a file of
    /// the final filesystem; gives the entry's path.
    pub(super) fn entry(
        &mut self,
        ls: &mut LayerState,
        tar: &mut Reader<&mut Counted<'_>>,
        e: &Entry,
    ) -> Result<String, Fail> {
        let li = ls.index();
        let (name, lossy) = lossy_name(&e.tar.name);
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
            return Ok(path);
        }
        if path.len() > MAX_PATH_BYTES {
            self.warn(
                li,
                &path,
                format!("the path is longer than {MAX_PATH_BYTES} bytes; the entry is skipped"),
            );
            return Ok(path);
        }
        ls.summary.entries += 1;
        ls.summary.dive_size = ls.summary.dive_size.saturating_add(e.tar.size);
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
                ls.recs.push(DiveRec {
                    pid: t,
                    wh: true,
                    is_dir: false,
                    size: e.tar.size,
                });
            }
            return Ok(path);
        }

        let kind = match e.tar.typeflag {
            _ if e.tar.sparse => None,
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
        let is_dir = kind == Some(NodeKind::Dir);
        ls.recs.push(DiveRec {
            pid,
            wh: false,
            is_dir,
            size: e.tar.size,
        });
        if is_dir {
            self.clear_flag(pid, NONDIR_HERE);
        } else {
            self.set_flag(pid, NONDIR_HERE);
        }
        let Some(kind) = kind else {
            let what = if e.tar.sparse {
                "a sparse file, which is not supported".to_string()
            } else {
                format!(
                    "an unsupported entry type {:?}",
                    char::from(e.tar.typeflag).escape_default().to_string()
                )
            };
            self.warn(li, &path, format!("{what}; the entry is skipped"));
            self.forget(ls, pid, &path);
            return Ok(path);
        };
        let link = match kind {
            NodeKind::Symlink => {
                let (l, lossy) = lossy_name(&e.tar.link);
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
                let (l, lossy) = lossy_name(&e.tar.link);
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
        let size = if kind == NodeKind::File {
            e.tar.size
        } else {
            0
        };
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
                return Ok(path);
            }
        } else {
            let was_visited = self.here(pid, li).map(|r| r.visited);
            self.store(pid, &node);
            if was_visited == Some(true) {
                self.visitor.superseded(&path);
            }
            if kind != NodeKind::File
                || self.inside_nondir(pid)
                || !self.visitor.wants(&path, &node)
            {
                return Ok(path);
            }
            if let Some(r) = self.recs.get_mut(pid as usize) {
                r.visited = true;
            }
        }
        let mut r = EntryReader {
            data: tar.data(),
            failed: None,
            short: false,
        };
        let res = self.visitor.visit(&path, &node, &mut r);
        let (failed, short) = (r.failed.take(), r.short);
        let pos = tar.offset();
        if let Some(err) = failed {
            return Err(Fail::Io(err, pos));
        }
        match res {
            Ok(()) => Ok(path),
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
                offset: e.tar.offset,
                source,
            }
            .into()),
        }
    }

    /// A later entry of the layer replaced the path with nothing visible.
    fn forget(&mut self, ls: &LayerState, pid: u32, path: &str) {
        if let Some(r) = self.here(pid, ls.index()).copied() {
            self.set_rec(pid, Rec::default());
            self.links.remove(&pid);
            if r.visited {
                self.visitor.superseded(path);
            }
        }
    }

    /// Keeps `node` as the path's node (replacing one of the same layer).
    fn store(&mut self, pid: u32, node: &Node) {
        self.set_rec(
            pid,
            Rec {
                size: node.size,
                uid: node.uid,
                gid: node.gid,
                layer: u32::try_from(node.layer).unwrap_or(u32::MAX),
                mode: u16::try_from(node.mode & 0o7777).unwrap_or(0),
                kind: node.kind.code(),
                visited: false,
            },
        );
        match &node.link {
            Some(l) => {
                self.links.insert(pid, l.as_str().into());
            }
            None => {
                self.links.remove(&pid);
            }
        }
    }

    /// After a layer was read whole: its nodes join the final filesystem
    /// and what it hides is noted for the layers below.
    pub(super) fn finish_layer(&mut self, mut ls: LayerState) -> LayerSummary {
        let li = ls.index();
        let mut implied: Vec<u32> = Vec::new();
        let starts: Vec<u32> = ls
            .recs
            .iter()
            .map(|r| self.paths.parent(r.pid))
            .chain(ls.extra_dirs.iter().copied())
            .collect();
        for start in starts {
            let mut p = start;
            while p != 0 && self.flag(p) & MARK == 0 {
                self.set_flag(p, MARK);
                implied.push(p);
                p = self.paths.parent(p);
            }
        }
        for i in 0..ls.recs.len() {
            let r = ls.recs[i];
            if r.wh {
                continue;
            }
            let Some(rec) = self.here(r.pid, li).copied() else {
                continue;
            };
            if self.inside_nondir(r.pid) {
                let path = self.paths.full(r.pid);
                self.warn(
                    li,
                    &path,
                    "a parent of this entry is a non-directory in the same layer; the entry is dropped"
                        .to_string(),
                );
                if rec.visited {
                    self.visitor.superseded(&path);
                }
                self.set_rec(r.pid, Rec::default());
                self.links.remove(&r.pid);
            } else if let Some(x) = self.recs.get_mut(r.pid as usize) {
                x.visited = false;
            }
        }
        // The last record per path counts.
        let mut recs = std::mem::take(&mut ls.recs);
        recs.sort_by_key(|r| (r.pid, r.wh));
        recs.dedup_by(|later, earlier| {
            let same = (later.pid, later.wh) == (earlier.pid, earlier.wh);
            if same {
                *earlier = *later;
            }
            same
        });
        recs.shrink_to_fit();
        for r in &recs {
            let f = if r.wh {
                SUBTREE_HIDDEN
            } else if r.is_dir {
                ENTRY_ABOVE
            } else {
                ENTRY_ABOVE | SUBTREE_HIDDEN
            };
            self.clear_flag(r.pid, NONDIR_HERE);
            self.set_flag(r.pid, f);
        }
        for &d in &ls.opaque {
            self.set_flag(d, OPAQUE_ABOVE);
        }
        for &a in &implied {
            self.clear_flag(a, MARK);
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

    fn present(&self, pid: u32) -> Option<&Rec> {
        self.recs.get(pid as usize).filter(|r| r.present())
    }

    pub(super) fn finish(mut self, layers: Vec<LayerSummary>) -> ImageFs {
        self.flags = Vec::new();
        self.dangling_hard_links();
        self.implied_dirs();
        self.paths.seal();
        let mut efficiency = dive_efficiency(&self.paths, &self.dive);
        self.dive = Vec::new();
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
        let mut fs = ImageFs::new(self.paths, self.recs, self.links);
        fs.layers = layers;
        fs.efficiency = efficiency;
        fs.warnings = warnings;
        fs
    }

    /// Hard links whose target no entry of their layer or below gives.
    fn dangling_hard_links(&mut self) {
        let links: Vec<(u32, usize, String)> = self
            .links
            .iter()
            .filter(|(&pid, _)| self.present(pid).is_some_and(|r| r.is(NodeKind::Hardlink)))
            .filter_map(|(&pid, t)| Some((pid, self.present(pid)?.layer as usize, t.to_string())))
            .collect();
        if links.is_empty() {
            return;
        }
        let targets: HashSet<u32> = links
            .iter()
            .filter_map(|(_, _, t)| self.paths.lookup(t))
            .collect();
        // The lowest layer with an entry (not a whiteout) at each target.
        let mut lowest: HashMap<u32, usize> = HashMap::new();
        for (li, layer) in self.dive.iter().enumerate() {
            for r in &layer.recs {
                if !r.wh && targets.contains(&r.pid) {
                    lowest.entry(r.pid).or_insert(li);
                }
            }
        }
        let mut dangling: Vec<(usize, u32, String)> = links
            .into_iter()
            .filter(|(_, layer, target)| {
                self.paths
                    .lookup(target)
                    .and_then(|t| lowest.get(&t))
                    .is_none_or(|&l| l > *layer)
            })
            .map(|(pid, layer, target)| (layer, pid, target))
            .collect();
        dangling.sort_unstable();
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
    }

    /// Directories implied by entries under them but listed by no layer.
    /// Their paths are bounded (1 MiB plus 8 times the bytes of the listed
    /// paths) so a hostile layer cannot multiply memory.
    fn implied_dirs(&mut self) {
        let count = u32::try_from(self.recs.len()).unwrap_or(u32::MAX);
        let listed: usize = (0..count)
            .filter(|&p| self.present(p).is_some())
            .map(|p| self.paths.len_of(p))
            .fold(0usize, usize::saturating_add);
        let mut budget = (1usize << 20).saturating_add(listed.saturating_mul(8));
        let mut implied: HashMap<u32, u32> = HashMap::new();
        let mut drop = Vec::new();
        let mut capped = false;
        for pid in 0..count {
            let Some(layer) = self.present(pid).map(|r| r.layer) else {
                continue;
            };
            let mut p = self.paths.parent(pid);
            while p != 0 {
                if let Some(n) = self.present(p) {
                    if !n.is(NodeKind::Dir) {
                        drop.push(pid);
                    }
                    break;
                }
                match implied.get_mut(&p) {
                    Some(l) => *l = (*l).max(layer),
                    None => {
                        let len = self.paths.len_of(p);
                        if len <= budget {
                            budget -= len;
                            implied.insert(p, layer);
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
            if let Some(layer) = self.present(pid).map(|r| r.layer) {
                let path = self.paths.full(pid);
                self.set_rec(pid, Rec::default());
                self.links.remove(&pid);
                self.warn(
                    layer as usize,
                    &path,
                    "a parent of this entry is not a directory; the entry is dropped".to_string(),
                );
            }
        }
        for (pid, layer) in implied {
            self.set_rec(
                pid,
                Rec {
                    size: 0,
                    uid: 0,
                    gid: 0,
                    layer,
                    mode: 0o755,
                    kind: NodeKind::Dir.code(),
                    visited: false,
                },
            );
        }
    }
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
