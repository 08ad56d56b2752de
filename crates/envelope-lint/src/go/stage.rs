//! What a stage has in effect at an instruction: its WORKDIR and USER
//! (following FROM chains), and whether it builds on the golang image.

use envelope_dockerfile::Kind;

use super::expand;
use super::paths::join;
use crate::image::{BaseKind, ImageName};
use crate::Context;

/// The WORKDIR in effect before instruction `idx` of `stage` (following FROM
/// chains), `None` when it depends on an image we do not know.
pub fn workdir_at(cx: &Context, stage: usize, idx: usize) -> Option<String> {
    let mut chain = vec![stage];
    let mut s = stage;
    while let Some(p) = cx.stages.get(s).and_then(|st| st.parent) {
        if p >= s || chain.len() > 64 {
            break;
        }
        chain.push(p);
        s = p;
    }
    chain.reverse();
    let root = cx.root_image(stage);
    let mut dir = if is_golang_image(root) {
        Some("/go".to_string())
    } else {
        match BaseKind::classify(root) {
            BaseKind::Scratch | BaseKind::Static | BaseKind::LibcNoShell | BaseKind::FullOs => {
                Some("/".to_string())
            }
            BaseKind::Toolchain | BaseKind::Unknown => None,
        }
    };
    for st in chain {
        for (i, instr) in cx.instructions(st) {
            if st == stage && i >= idx {
                break;
            }
            if instr.kind != Kind::Workdir {
                continue;
            }
            let raw = instr
                .words()
                .first()
                .map(|w| w.value.clone())
                .unwrap_or_default();
            let v = expand(&raw, &cx.vars_at(st, i));
            dir = if v.contains('$') {
                None
            } else {
                join(dir.as_deref(), &v)
            };
        }
    }
    dir
}

/// The official `golang` image (GOPATH=/go, WORKDIR /go, gcc in the
/// Debian variants), from Docker Hub or any mirror of it
/// (`mirror.gcr.io/library/golang`, `registry.example/dockerhub/golang`).
pub fn is_golang_image(image: &str) -> bool {
    let n = ImageName::parse(&image.to_ascii_lowercase());
    n.short_name() == "golang"
}

/// The Go minor version an image tag names (`golang:1.22-alpine` → 22).
pub fn go_minor(image: &str) -> Option<u32> {
    let n = ImageName::parse(&image.to_ascii_lowercase());
    let tag = n.tag?;
    let rest = tag.strip_prefix("1.")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Is the USER in effect before instruction `idx` root (or never set in
/// this file)?
pub fn runs_as_root(cx: &Context, stage: usize, idx: usize) -> bool {
    let mut s = Some(stage);
    let mut hops = 0;
    while let Some(st) = s {
        let user = cx
            .instructions(st)
            .filter(|(i, ins)| (st != stage || *i < idx) && ins.kind == Kind::User)
            .last();
        if let Some((i, ins)) = user {
            let v = ins
                .words()
                .first()
                .map(|w| w.value.clone())
                .unwrap_or_default();
            let v = expand(&v, &cx.vars_at(st, i));
            return is_root_user(&v);
        }
        s = cx.stages.get(st).and_then(|x| x.parent).filter(|&p| p < st);
        hops += 1;
        if hops > 64 {
            break;
        }
    }
    true
}

/// Is a USER value (`root`, `0`, `0000:0`, `root:staff`) the root user?
pub fn is_root_user(value: &str) -> bool {
    let name = value.split(':').next().unwrap_or(value);
    name == "root" || (!name.is_empty() && name.bytes().all(|b| b == b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_minor_of_tags() {
        assert_eq!(go_minor("golang:1.21.5-alpine"), Some(21));
        assert_eq!(go_minor("golang:alpine"), None);
    }
}
