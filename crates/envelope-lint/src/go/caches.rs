//! The module and build caches of a go command, and the RUN cache mounts
//! that may hold them.

use envelope_dockerfile::Vars;

use super::paths::clean;
use super::stage::{is_golang_image, runs_as_root};
use super::{expand, GoCommand};
use crate::Context;

impl GoCommand {
    /// Where this command keeps downloaded modules (GOMODCACHE, else
    /// GOPATH/pkg/mod): the paths a cache mount may target, best first.
    /// `None` when it depends on something we cannot see.
    pub fn module_cache(&self, cx: &Context) -> Option<Vec<String>> {
        let known = |v: &str| (!v.contains('$') && v.starts_with('/')).then(|| clean(v));
        if let Some(m) = self.var("GOMODCACHE").filter(|v| !v.is_empty()) {
            return known(m).map(|p| vec![p]);
        }
        if let Some(p) = self.var("GOPATH").filter(|v| !v.is_empty()) {
            let first = p.split(':').next().unwrap_or(p);
            return known(first).map(|p| vec![format!("{p}/pkg/mod")]);
        }
        if is_golang_image(cx.root_image(self.stage)) {
            return Some(vec!["/go/pkg/mod".into(), "/root/go/pkg/mod".into()]);
        }
        let home = self.home(cx)?;
        Some(vec![format!("{home}/go/pkg/mod"), "/go/pkg/mod".into()])
    }

    /// Where this command keeps its build cache (GOCACHE, else
    /// `$XDG_CACHE_HOME/go-build`, else `$HOME/.cache/go-build`).
    pub fn build_cache(&self, cx: &Context) -> Option<Vec<String>> {
        let known = |v: &str| (!v.contains('$') && v.starts_with('/')).then(|| clean(v));
        if let Some(c) = self.var("GOCACHE").filter(|v| !v.is_empty()) {
            return known(c).map(|p| vec![p]);
        }
        if let Some(x) = self.var("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            return known(x).map(|p| vec![format!("{p}/go-build")]);
        }
        let home = self.home(cx)?;
        Some(vec![format!("{home}/.cache/go-build")])
    }

    /// HOME: from the environment, else `/root` unless a USER other than
    /// root is in effect.
    fn home(&self, cx: &Context) -> Option<String> {
        if let Some(h) = self.var("HOME").filter(|v| !v.is_empty()) {
            return (!h.contains('$') && h.starts_with('/')).then(|| clean(h));
        }
        if !runs_as_root(cx, self.stage, self.instr) {
            return None;
        }
        Some("/root".into())
    }
}

/// The `type=cache` mount targets of a RUN, variables expanded.
pub fn cache_mount_targets(instr: &envelope_dockerfile::Instruction, vars: &Vars) -> Vec<String> {
    let mut out = Vec::new();
    for m in instr.flags.iter().filter(|f| f.name == "mount") {
        let fields = m.fields();
        if !fields.iter().any(|(k, v)| k == "type" && v == "cache") {
            continue;
        }
        if let Some((_, t)) = fields
            .iter()
            .find(|(k, _)| matches!(k.as_str(), "target" | "dst" | "destination"))
        {
            out.push(expand(t, vars));
        }
    }
    out
}

/// Does a cache mount at `target` hold `path`? A target still holding a
/// variable is assumed to.
pub fn mount_covers(target: &str, path: &str) -> bool {
    if target.contains('$') {
        return true;
    }
    let t = clean(target);
    let p = clean(path);
    t == p
        || (t != "/"
            && p.strip_prefix(t.as_str())
                .is_some_and(|r| r.starts_with('/')))
}
