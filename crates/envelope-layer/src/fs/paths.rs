//! Paths: their normalized form (no `.`, `..` or empty components, never
//! above the root) and the table that interns them.

use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

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

pub(super) fn normalize_clamped(path: &str) -> String {
    normalize(path).unwrap_or_else(|e| e.clamped)
}

pub(super) fn join_parts(parts: &[String]) -> String {
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

// Paths, interned as (parent, name) so memory grows with the number of
// components, not with the square of a path's depth. Per path: its
// parent's id, the end of its name in one arena of names, and one slot of
// a hash table of ids (hashed by parent and name, compared through the
// arena): about 9 bytes plus the name's. After indexing, `seal` adds the
// ids sorted by parent then name (4 bytes each): the children of a
// directory, sorted, by a binary search.

/// Ids stay below this (2^30): the bits above are free for tags.
pub(super) const MAX_PATHS: u32 = 1 << 30;

#[derive(Clone)]
pub(super) struct Paths {
    parent: Vec<u32>,
    /// `ends[i]` is where path i's name ends in `names` (it starts where
    /// the previous one ends).
    ends: Vec<u32>,
    names: String,
    table: HashTable<u32>,
    state: RandomState,
    /// Every id but the root's, by parent then name (after `seal`).
    by_parent: Vec<u32>,
}

impl std::fmt::Debug for Paths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Paths({} ids)", self.parent.len())
    }
}

impl Default for Paths {
    fn default() -> Paths {
        Paths::new()
    }
}

impl Paths {
    pub(super) fn new() -> Paths {
        Paths {
            parent: vec![0],
            ends: vec![0],
            names: String::new(),
            table: HashTable::new(),
            state: RandomState::new(),
            by_parent: Vec::new(),
        }
    }

    /// How many ids there are (the root included).
    pub(super) fn count(&self) -> usize {
        self.parent.len()
    }

    fn child(&self, parent: u32, name: &str) -> Option<u32> {
        let h = self.state.hash_one((parent, name));
        self.table
            .find(h, |&id| self.parent(id) == parent && self.name(id) == name)
            .copied()
    }

    /// The id of a normalized absolute path (`/` is 0), created if new;
    /// `None` past [`MAX_PATHS`] ids or 4 GiB of names.
    pub(super) fn intern(&mut self, path: &str) -> Option<u32> {
        let mut cur = 0u32;
        for c in path.split('/').filter(|c| !c.is_empty()) {
            cur = match self.child(cur, c) {
                Some(id) => id,
                None => {
                    let id = u32::try_from(self.parent.len())
                        .ok()
                        .filter(|&id| id < MAX_PATHS)?;
                    let end = u32::try_from(self.names.len() + c.len()).ok()?;
                    self.names.push_str(c);
                    self.parent.push(cur);
                    self.ends.push(end);
                    let h = self.state.hash_one((cur, c));
                    let (parent, ends, names, state) =
                        (&self.parent, &self.ends, &self.names, &self.state);
                    self.table.insert_unique(h, id, |&k| {
                        let p = parent.get(k as usize).copied().unwrap_or(0);
                        state.hash_one((p, name_in(ends, names, k)))
                    });
                    id
                }
            };
        }
        Some(cur)
    }

    pub(super) fn lookup(&self, path: &str) -> Option<u32> {
        let mut cur = 0u32;
        for c in path.split('/').filter(|c| !c.is_empty()) {
            cur = self.child(cur, c)?;
        }
        Some(cur)
    }

    pub(super) fn parent(&self, id: u32) -> u32 {
        self.parent.get(id as usize).copied().unwrap_or(0)
    }

    pub(super) fn name(&self, id: u32) -> &str {
        name_in(&self.ends, &self.names, id)
    }

    /// The length of [`Paths::full`]'s string.
    pub(super) fn len_of(&self, id: u32) -> usize {
        let mut len = 0;
        let mut p = id;
        while p != 0 {
            len += self.name(p).len() + 1;
            p = self.parent(p);
        }
        len.max(1)
    }

    pub(super) fn full(&self, id: u32) -> String {
        let mut parts = Vec::new();
        let mut p = id;
        while p != 0 {
            parts.push(self.name(p));
            p = self.parent(p);
        }
        if parts.is_empty() {
            return "/".to_string();
        }
        let mut s = String::with_capacity(self.len_of(id));
        for part in parts.iter().rev() {
            s.push('/');
            s.push_str(part);
        }
        s
    }

    /// Sorts the ids by parent then name, for [`Paths::children`]; ids
    /// interned later are not listed.
    pub(super) fn seal(&mut self) {
        let mut ids: Vec<u32> = (1..u32::try_from(self.parent.len()).unwrap_or(0)).collect();
        ids.sort_unstable_by(|&a, &b| {
            self.parent(a)
                .cmp(&self.parent(b))
                .then_with(|| self.name(a).cmp(self.name(b)))
        });
        self.by_parent = ids;
    }

    /// The children of `id` sorted by name (after [`Paths::seal`]).
    pub(super) fn children(&self, id: u32) -> &[u32] {
        let v = &self.by_parent;
        let start = v.partition_point(|&c| self.parent(c) < id);
        let end = start + v[start..].partition_point(|&c| self.parent(c) == id);
        &v[start..end]
    }
}

fn name_in<'a>(ends: &[u32], names: &'a str, id: u32) -> &'a str {
    let i = id as usize;
    let start = if i == 0 {
        0
    } else {
        ends.get(i - 1).copied().unwrap_or(0) as usize
    };
    let end = ends.get(i).copied().unwrap_or(0) as usize;
    names.get(start..end).unwrap_or("")
}

pub(super) fn split_last(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("/", path),
    }
}

pub(super) fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}
