//! Paths as a Dockerfile writes them: cleaned lexically, joined to a
//! directory that may be unknown.

/// `a/./b/../c/` → `a/c`, keeping a leading `/`.
pub fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// `p` resolved against `dir`; `None` if relative and `dir` is unknown.
pub(super) fn join(dir: Option<&str>, p: &str) -> Option<String> {
    if p.starts_with('/') {
        return Some(clean(p));
    }
    dir.map(|d| clean(&format!("{d}/{p}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaned() {
        assert_eq!(clean("/a/./b/../c/"), "/a/c");
    }
}
