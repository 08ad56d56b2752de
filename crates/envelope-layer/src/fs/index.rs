//! The index being built, layer by layer from the top down: which paths an
//! upper layer hides (entries, whiteouts, opaque directories), the nodes
//! of the final filesystem, the warnings, and at the end the directories
//! no layer lists and dangling hard links.

use std::collections::{BTreeMap, HashMap, HashSet};

use envelope_oci::tar::read::{lossy_name, Reader};

use super::dive::{dive_efficiency, DiveLayer, DiveRec};
use super::error::{FsError, LayerId};
use super::input::{Counted, EntryReader};
use super::limits::{Limits, LARGEST, MAX_PATH_BYTES, MAX_WARNINGS};
use super::paths::{join, normalize, split_last, Paths};
use super::read::{Entry, Fail};
use super::{ContentVisitor, FsWarning, ImageFs, LayerSummary, Node, NodeKind};

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

pub(super) struct LayerState {
    pub(super) id: LayerId,
    pub(super) recs: HashMap<(u32, bool), DiveRec>,
    pub(super) extra_dirs: Vec<u32>,
    pub(super) opaque: Vec<u32>,
    /// Nodes no upper layer hides, last entry per path.
    pub(super) seen: HashMap<u32, Node>,
    pub(super) visited: HashSet<u32>,
    pub(super) summary: LayerSummary,
}

impl LayerState {
    pub(super) fn index(&self) -> usize {
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

pub(super) struct Index<'a> {
    pub(super) paths: Paths,
    pub(super) flags: Vec<u8>,
    /// Lowest layer with a (non-whiteout) entry at the path.
    pub(super) lowest: Vec<u32>,
    pub(super) nodes: HashMap<u32, Node>,
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

    fn set_lowest(&mut self, id: u32, layer: usize) {
        let i = id as usize;
        if self.lowest.len() <= i {
            self.lowest.resize(i + 1, u32::MAX);
        }
        let l = u32::try_from(layer).unwrap_or(u32::MAX);
        self.lowest[i] = self.lowest[i].min(l);
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
                ls.recs.insert(
                    (t, true),
                    DiveRec {
                        is_dir: false,
                        size: e.tar.size,
                    },
                );
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
        self.set_lowest(pid, li);
        ls.recs.insert(
            (pid, false),
            DiveRec {
                is_dir: kind == Some(NodeKind::Dir),
                size: e.tar.size,
            },
        );
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
            if ls.seen.insert(pid, node.clone()).is_some() && ls.visited.remove(&pid) {
                self.visitor.superseded(&path);
            }
            if kind != NodeKind::File
                || ls.inside_nondir(&self.paths, pid)
                || !self.visitor.wants(&path, &node)
            {
                return Ok(path);
            }
            ls.visited.insert(pid);
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
    fn forget(&mut self, ls: &mut LayerState, pid: u32, path: &str) {
        if ls.seen.remove(&pid).is_some() && ls.visited.remove(&pid) {
            self.visitor.superseded(path);
        }
    }

    /// After a layer was read whole: its nodes join the final filesystem
    /// and what it hides is noted for the layers below.
    pub(super) fn finish_layer(&mut self, mut ls: LayerState) -> LayerSummary {
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

    pub(super) fn finish(mut self, layers: Vec<LayerSummary>) -> ImageFs {
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

fn push_largest(v: &mut Vec<(String, u64)>, path: &str, size: u64) {
    let better = |(p, s): &(String, u64)| size > *s || (size == *s && path < p.as_str());
    if v.len() >= LARGEST && !v.last().is_some_and(better) {
        return;
    }
    let at = v.iter().position(better).unwrap_or(v.len());
    v.insert(at, (path.to_string(), size));
    v.truncate(LARGEST);
}
