//! Paths: their normalized form (no `.`, `..` or empty components, never
//! above the root) and the table that interns them.

use std::collections::HashMap;
use std::rc::Rc;

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
// components, not with the square of a path's depth.

pub(super) struct Paths {
    parent: Vec<u32>,
    name: Vec<Rc<str>>,
    kids: HashMap<u32, HashMap<Rc<str>, u32>>,
}

impl Paths {
    pub(super) fn new() -> Paths {
        Paths {
            parent: vec![0],
            name: vec![Rc::from("")],
            kids: HashMap::new(),
        }
    }

    /// The id of a normalized absolute path (`/` is 0), created if new.
    pub(super) fn intern(&mut self, path: &str) -> Option<u32> {
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

    pub(super) fn lookup(&self, path: &str) -> Option<u32> {
        let mut cur = 0u32;
        for c in path.split('/').filter(|c| !c.is_empty()) {
            cur = *self.kids.get(&cur)?.get(c)?;
        }
        Some(cur)
    }

    pub(super) fn parent(&self, id: u32) -> u32 {
        self.parent.get(id as usize).copied().unwrap_or(0)
    }

    pub(super) fn name(&self, id: u32) -> &str {
        self.name.get(id as usize).map_or("", |n| n)
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
        let mut s = String::new();
        for part in parts.iter().rev() {
            s.push('/');
            s.push_str(part);
        }
        s
    }
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
