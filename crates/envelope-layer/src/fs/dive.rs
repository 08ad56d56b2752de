//! dive's efficiency (dive 0.13, filetree/efficiency.go), reproduced on the
//! per-layer records: its layer trees, its traversal order, its stacked
//! trees and its quirks.
//!
//! - A layer tree holds a node per entry path (the last entry wins) and an
//!   empty, non-directory node for every parent no entry lists. A whiteout
//!   is a node named `.wh.NAME`; opaque markers (`.wh..wh..opq`) are not
//!   nodes at all, so opaque directories hide nothing for dive.
//! - Leaves are visited depth first, children sorted by name, children
//!   before their parent. A file's size is its size field; a whiteout's is
//!   the size of everything under the path in the tree stacked from the
//!   layers below when that was a directory, else 0. A whiteout of a path
//!   missing there ends that layer's walk, leaving the path with a minimum
//!   of -1.
//! - Stacking removes whited-out subtrees and otherwise sets each node's
//!   data, keeping the children (so a parent no entry lists turns into an
//!   empty non-directory).

use std::collections::HashMap;

use super::paths::{Paths, MAX_PATHS};
use super::{Efficiency, Inefficiency};

/// One path of one layer, as dive sees it: an entry, or a whiteout of
/// the path (`wh`).
#[derive(Debug, Clone, Copy)]
pub(super) struct DiveRec {
    pub(super) pid: u32,
    pub(super) wh: bool,
    pub(super) is_dir: bool,
    pub(super) size: u64,
}

#[derive(Debug, Default)]
pub(super) struct DiveLayer {
    /// Sorted by (path, whiteout?), one per pair.
    pub(super) recs: Vec<DiveRec>,
    /// Directories created only by an opaque marker (or other `.wh..wh.`
    /// metadata) under them.
    pub(super) extra_dirs: Vec<u32>,
}

/// A node of a layer tree: a path id, with `WH` set for a whiteout node
/// (ids stay below [`MAX_PATHS`], 2^30).
type Key = u32;
const WH: u32 = 1 << 31;
/// In a visiting order: the node is a leaf.
const LEAF: u32 = 1 << 30;
const ID: u32 = MAX_PATHS - 1;

fn key(pid: u32, wh: bool) -> Key {
    pid | if wh { WH } else { 0 }
}

fn dive_name(paths: &Paths, k: Key) -> impl Iterator<Item = u8> + '_ {
    let prefix: &'static [u8] = if k & WH != 0 { b".wh." } else { b"" };
    prefix.iter().copied().chain(paths.name(k & ID).bytes())
}

/// Every node of a layer's tree in dive's visiting order, with `LEAF` set
/// on leaves.
fn layer_tree(paths: &Paths, layer: &DiveLayer) -> Vec<Key> {
    let mut seen = vec![0u64; paths.count().div_ceil(64)];
    let mut nodes: Vec<Key> = Vec::new();
    let mut add = |start: Key| {
        let mut k = start;
        while k & ID != 0 {
            if k & WH == 0 {
                let i = (k & ID) as usize;
                let Some(word) = seen.get_mut(i / 64) else {
                    break;
                };
                if *word & (1 << (i % 64)) != 0 {
                    break;
                }
                *word |= 1 << (i % 64);
            }
            nodes.push(k);
            k = paths.parent(k & ID);
        }
    };
    for r in &layer.recs {
        add(key(r.pid, r.wh));
    }
    for &d in &layer.extra_dirs {
        add(d);
    }
    drop(seen);
    // Children sorted by name under their parent; the sort is stable, as
    // dive's is.
    nodes.sort_by(|&a, &b| {
        paths
            .parent(a & ID)
            .cmp(&paths.parent(b & ID))
            .then_with(|| dive_name(paths, a).cmp(dive_name(paths, b)))
    });
    let children = |k: Key| -> (usize, usize) {
        if k & WH != 0 {
            return (0, 0);
        }
        let id = k & ID;
        let start = nodes.partition_point(|&c| paths.parent(c & ID) < id);
        let len = nodes[start..].partition_point(|&c| paths.parent(c & ID) == id);
        (start, start + len)
    };
    let mut order = Vec::with_capacity(nodes.len());
    let (s, e) = children(0);
    let mut stack: Vec<(Key, usize, usize, usize)> = vec![(0, s, s, e)];
    while let Some(top) = stack.last_mut() {
        let (k, first, next, end) = *top;
        if next < end {
            top.2 += 1;
            let c = nodes[next];
            let (s, e) = children(c);
            stack.push((c, s, s, e));
        } else {
            stack.pop();
            if k != 0 {
                order.push(k | if first == end { LEAF } else { 0 });
            }
        }
    }
    order
}

/// dive's tree of the layers stacked so far, by path id: whether a path
/// is in it, a directory, its size. Its children are the paths' children
/// that are in it (a node's parent always is).
struct Stacked {
    state: Vec<u8>,
    size: Vec<u64>,
}

const IN: u8 = 1;
const DIR: u8 = 2;

impl Stacked {
    fn new(count: usize) -> Stacked {
        let mut state = vec![0u8; count.max(1)];
        state[0] = IN | DIR;
        Stacked {
            state,
            size: vec![0u64; count.max(1)],
        }
    }

    fn has(&self, pid: u32) -> bool {
        self.state.get(pid as usize).is_some_and(|s| s & IN != 0)
    }

    fn is_dir(&self, pid: u32) -> bool {
        self.state.get(pid as usize).is_some_and(|s| s & DIR != 0)
    }

    fn add(&mut self, paths: &Paths, pid: u32, rec: DiveRec) {
        if pid == 0 {
            return;
        }
        let mut p = pid;
        while p != 0 && !self.has(p) {
            if let (Some(s), Some(z)) = (
                self.state.get_mut(p as usize),
                self.size.get_mut(p as usize),
            ) {
                *s = IN;
                *z = 0;
            }
            p = paths.parent(p);
        }
        if let (Some(s), Some(z)) = (
            self.state.get_mut(pid as usize),
            self.size.get_mut(pid as usize),
        ) {
            *s = if rec.is_dir { IN | DIR } else { IN };
            *z = rec.size;
        }
    }

    /// The path and what it holds, depth first.
    fn subtree<'a>(&'a self, paths: &'a Paths, pid: u32) -> impl Iterator<Item = u32> + 'a {
        let mut todo = if self.has(pid) { vec![pid] } else { Vec::new() };
        std::iter::from_fn(move || {
            let p = todo.pop()?;
            todo.extend(paths.children(p).iter().copied().filter(|&c| self.has(c)));
            Some(p)
        })
    }

    fn remove(&mut self, paths: &Paths, pid: u32) {
        if pid == 0 {
            return;
        }
        let all: Vec<u32> = self.subtree(paths, pid).collect();
        for p in all {
            if let Some(s) = self.state.get_mut(p as usize) {
                *s = 0;
            }
        }
    }

    /// The sizes of the node and everything under it.
    fn subtree_size(&self, paths: &Paths, pid: u32) -> i64 {
        self.subtree(paths, pid).fold(0i64, |sum, p| {
            let size = self.size.get(p as usize).copied().unwrap_or(0);
            sum.saturating_add(i64::try_from(size).unwrap_or(i64::MAX))
        })
    }
}

struct PathEfficiency {
    cumulative: i64,
    min: i64,
    count: usize,
}

/// Per path: the size of its one visit so far (most paths have one), or
/// its record once it has more.
struct Visits {
    once: Vec<i64>,
    more: HashMap<u32, PathEfficiency>,
}

const UNSEEN: i64 = i64::MIN;

impl Visits {
    fn created(&mut self, pid: u32) {
        let once = self.once.get(pid as usize).copied().unwrap_or(UNSEEN);
        if once == UNSEEN && !self.more.contains_key(&pid) {
            self.more.insert(
                pid,
                PathEfficiency {
                    cumulative: 0,
                    min: -1,
                    count: 0,
                },
            );
        }
    }

    fn visit(&mut self, pid: u32, size: i64) {
        if let Some(e) = self.more.get_mut(&pid) {
            e.cumulative = e.cumulative.saturating_add(size);
            if e.min < 0 || size < e.min {
                e.min = size;
            }
            e.count += 1;
            return;
        }
        let Some(slot) = self.once.get_mut(pid as usize) else {
            return;
        };
        if *slot == UNSEEN {
            *slot = size;
        } else {
            let first = *slot;
            *slot = UNSEEN;
            self.more.insert(
                pid,
                PathEfficiency {
                    cumulative: first.saturating_add(size),
                    min: first.min(size),
                    count: 2,
                },
            );
        }
    }
}

pub(super) fn dive_efficiency(paths: &Paths, layers: &[DiveLayer]) -> Efficiency {
    let count = paths.count();
    let mut visits = Visits {
        once: vec![UNSEEN; count],
        more: HashMap::new(),
    };
    let mut stacked = Stacked::new(count);
    let empty = DiveRec {
        pid: 0,
        wh: false,
        is_dir: false,
        size: 0,
    };
    for (li, layer) in layers.iter().enumerate() {
        let order = layer_tree(paths, layer);
        let info = |k: Key| {
            let want = (k & ID, k & WH != 0);
            layer
                .recs
                .binary_search_by_key(&want, |r| (r.pid, r.wh))
                .ok()
                .and_then(|i| layer.recs.get(i).copied())
                .unwrap_or(empty)
        };
        if li == 0 {
            // dive stacks onto a copy of the first layer's tree.
            for &k in &order {
                if k & WH == 0 {
                    stacked.add(paths, k & ID, info(k & !LEAF));
                }
            }
        }
        for &k in &order {
            if k & LEAF == 0 {
                continue;
            }
            let k = k & !LEAF;
            let pid = k & ID;
            let size = if k & WH != 0 {
                if !stacked.has(pid) {
                    visits.created(pid);
                    break;
                }
                if stacked.is_dir(pid) {
                    stacked.subtree_size(paths, pid)
                } else {
                    0
                }
            } else {
                i64::try_from(info(k).size).unwrap_or(i64::MAX)
            };
            visits.visit(pid, size);
        }
        for &k in &order {
            let k = k & !LEAF;
            if k & WH != 0 {
                stacked.remove(paths, k & ID);
            } else {
                stacked.add(paths, k, info(k));
            }
        }
    }
    let mut min_sum: i128 = 0;
    let mut cum_sum: i128 = 0;
    for &v in &visits.once {
        if v != UNSEEN {
            min_sum += i128::from(v);
            cum_sum += i128::from(v);
        }
    }
    let mut inefficiencies = Vec::new();
    let mut wasted: u64 = 0;
    for (&pid, e) in &visits.more {
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
