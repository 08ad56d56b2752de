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

use std::collections::{BTreeSet, HashMap, HashSet};

use super::paths::Paths;
use super::{Efficiency, Inefficiency};

/// One path of one layer, as dive sees it.
#[derive(Debug, Clone, Copy)]
pub(super) struct DiveRec {
    pub(super) is_dir: bool,
    pub(super) size: u64,
}

#[derive(Debug, Default)]
pub(super) struct DiveLayer {
    /// (path, whiteout?) → record.
    pub(super) recs: Vec<((u32, bool), DiveRec)>,
    /// Directories created only by an opaque marker (or other `.wh..wh.`
    /// metadata) under them.
    pub(super) extra_dirs: Vec<u32>,
}

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
    pub(super) fn new() -> Stacked {
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

    pub(super) fn remove(&mut self, paths: &Paths, pid: u32) {
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

pub(super) fn dive_efficiency(paths: &Paths, layers: &[DiveLayer]) -> Efficiency {
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
