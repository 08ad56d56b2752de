//! Where a `go build` or `go install` writes its binary, and whether that
//! binary reaches the final image (through FROM, `COPY --from` or a
//! `RUN --mount=from=`).

use envelope_dockerfile::Kind;

use super::paths::{clean, join};
use super::stage::{is_golang_image, workdir_at};
use super::{expand, GoCommand};
use crate::Context;

/// Where a build writes its binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Nothing is written (`go build ./...`, `-o /dev/null`).
    Discarded,
    /// This file, or a directory holding it.
    Path(String),
    /// Cannot tell.
    Unknown,
}

impl GoCommand {
    /// Does this command cross-compile or may it (GOOS/GOARCH set, xx-go)?
    fn may_cross_compile(&self) -> bool {
        self.command.name() == "xx-go" || self.var("GOOS").is_some() || self.var("GOARCH").is_some()
    }

    /// The directory the command runs in: WORKDIR, then `cd` earlier in the
    /// same RUN, then `-C`. `None` when unknown.
    pub fn cwd(&self, cx: &Context) -> Option<String> {
        let mut dir = workdir_at(cx, self.stage, self.instr);
        if let Some(instr) = cx.df.instructions.get(self.instr) {
            let vars = cx.vars_at(self.stage, self.instr);
            for c in instr.commands() {
                if c.span == self.command.span && c.words == self.command.words {
                    break;
                }
                if c.name() != "cd" {
                    continue;
                }
                dir = match c.args().first().map(|w| expand(&w.value, &vars)) {
                    Some(a) if !a.contains('$') && a != "-" => join(dir.as_deref(), &a),
                    _ => None,
                };
            }
        }
        if let Some(c) = self.last_flag_value("C") {
            dir = if c.contains('$') {
                None
            } else {
                join(dir.as_deref(), &c)
            };
        }
        dir
    }

    /// Where `go build` / `go install` writes the binary.
    pub fn output(&self, cx: &Context) -> Output {
        match self.sub.as_str() {
            "build" => self.build_output(cx),
            "install" => self.install_output(cx),
            _ => Output::Unknown,
        }
    }

    fn build_output(&self, cx: &Context) -> Output {
        if let Some(o) = self.last_flag_value("o") {
            if o.contains('$') {
                return Output::Unknown;
            }
            if o == "/dev/null" {
                return Output::Discarded;
            }
            let Some(path) = join(self.cwd(cx).as_deref(), &o) else {
                return Output::Unknown;
            };
            // `-o dir/` writes dir/<package name>.
            let pkgs = self.packages();
            if o.ends_with('/') && pkgs.len() == 1 {
                if let Some(name) = binary_name(&pkgs[0].value) {
                    return Output::Path(format!("{}/{name}", path.trim_end_matches('/')));
                }
            }
            return Output::Path(path);
        }
        let pkgs = self.packages();
        let files = pkgs.iter().any(|w| w.value.ends_with(".go"));
        let count = pkgs.iter().filter(|w| !w.value.ends_with(".go")).count() + usize::from(files);
        // Several packages, or a pattern: compiled as a check, nothing written.
        if count > 1 || pkgs.iter().any(|w| w.value.contains("...")) {
            return Output::Discarded;
        }
        self.cwd(cx).map_or(Output::Unknown, Output::Path)
    }

    fn install_output(&self, cx: &Context) -> Output {
        let dir = if let Some(bin) = self.var("GOBIN").filter(|b| !b.is_empty()) {
            bin.to_string()
        } else if let Some(path) = self.var("GOPATH").filter(|p| !p.is_empty()) {
            format!("{}/bin", path.split(':').next().unwrap_or(path))
        } else if is_golang_image(cx.root_image(self.stage)) {
            "/go/bin".to_string()
        } else {
            return Output::Unknown;
        };
        if dir.contains('$') || !dir.starts_with('/') {
            return Output::Unknown;
        }
        let dir = clean(&dir);
        let pkgs = self.packages();
        if pkgs.len() != 1 || self.may_cross_compile() {
            return Output::Path(dir);
        }
        match binary_name(&pkgs[0].value) {
            Some(name) => Output::Path(format!("{}/{name}", dir.trim_end_matches('/'))),
            None => Output::Path(dir),
        }
    }

    /// Does the binary this command writes end up in the final image?
    /// Unknown outputs count as reaching it when their stage does.
    pub fn output_reaches_final(&self, cx: &Context) -> bool {
        match self.output(cx) {
            Output::Discarded => false,
            Output::Path(p) => path_reaches_final(cx, self.stage, Some(&p), 0),
            Output::Unknown => path_reaches_final(cx, self.stage, None, 0),
        }
    }
}

/// `go install example.com/x/cmd/tool/v2@v2.1.0` installs `tool`.
fn binary_name(pkg: &str) -> Option<String> {
    let path = pkg.split('@').next().unwrap_or(pkg).trim_end_matches('/');
    if path.contains("...") || path.contains('$') || path.ends_with(".go") {
        return None;
    }
    let elems: Vec<&str> = path
        .split('/')
        .filter(|e| !e.is_empty() && *e != ".")
        .collect();
    let mut name = *elems.last()?;
    let major =
        name.len() > 1 && name.starts_with('v') && name[1..].bytes().all(|b| b.is_ascii_digit());
    if major && elems.len() > 1 {
        name = elems[elems.len() - 2];
    }
    if name == ".." || (name.contains('.') && elems.len() == 1) {
        return None;
    }
    Some(name.to_string())
}

/// Does `path` (a file or directory in `stage`, or anything when `None`)
/// end up in the final image: through FROM, `COPY --from` or a
/// `RUN --mount=from=`?
fn path_reaches_final(cx: &Context, stage: usize, path: Option<&str>, depth: usize) -> bool {
    if !cx.reaches_final(stage) {
        return false;
    }
    let Some(path) = path else {
        return true;
    };
    if cx.is_final(stage) || depth > 64 {
        return true;
    }
    for t in cx
        .stages
        .iter()
        .filter(|t| t.index > stage && cx.reaches_final(t.index))
    {
        if t.parent == Some(stage) && path_reaches_final(cx, t.index, Some(path), depth + 1) {
            return true;
        }
        for (idx, instr) in cx.instructions(t.index) {
            let from_here = |r: &str| {
                cx.df
                    .stage_by_ref(&cx.stages, r)
                    .is_some_and(|s| s.index == stage)
            };
            match instr.kind {
                Kind::Copy | Kind::Add => {
                    let Some(from) = instr.flag("from").and_then(|f| f.value.clone()) else {
                        continue;
                    };
                    if !from_here(&from) {
                        continue;
                    }
                    let words = instr.words();
                    let vars = cx.vars_at(t.index, idx);
                    let sources = words.len().saturating_sub(1);
                    let Some(dest) = words.last().map(|w| expand(&w.value, &vars)) else {
                        continue;
                    };
                    for w in &words[..sources] {
                        let source = expand(&w.value, &vars);
                        if !covers(&source, path) {
                            continue;
                        }
                        // Follow the copy into the stage it lands in.
                        let landed = copied_to(cx, t.index, idx, &source, path, &dest, sources);
                        if path_reaches_final(cx, t.index, landed.as_deref(), depth + 1) {
                            return true;
                        }
                    }
                }
                Kind::Run => {
                    for m in instr.flags.iter().filter(|f| f.name == "mount") {
                        let fields = m.fields();
                        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v);
                        if !get("from").is_some_and(|f| from_here(f)) {
                            continue;
                        }
                        match get("source").or_else(|| get("src")) {
                            Some(src) => {
                                if covers(src, path) {
                                    return true;
                                }
                            }
                            None => return true,
                        }
                    }
                }
                _ => {}
            }
        }
    }
    false
}

/// Where `COPY source... dest` (instruction `idx` of `stage`) puts `path`
/// (or the part of it `source` holds); `None` when it cannot tell.
fn copied_to(
    cx: &Context,
    stage: usize,
    idx: usize,
    source: &str,
    path: &str,
    dest: &str,
    sources: usize,
) -> Option<String> {
    if source.contains(['$', '*', '?', '[']) || dest.contains('$') {
        return None;
    }
    let into_dir = sources > 1 || dest.ends_with('/');
    let dest = if dest.starts_with('/') {
        clean(dest)
    } else {
        join(workdir_at(cx, stage, idx).as_deref(), dest)?
    };
    let s = clean(&format!("/{source}"));
    let p = clean(path);
    if s == p {
        // The file itself: into a directory, or renamed.
        let into_dir = into_dir || dest == "/";
        let name = p.rsplit('/').next().unwrap_or(&p);
        return Some(if into_dir {
            format!("{}/{name}", dest.trim_end_matches('/'))
        } else {
            dest
        });
    }
    if let Some(rest) = p.strip_prefix(s.as_str()).filter(|r| r.starts_with('/')) {
        // A directory holding the path: its contents go into dest.
        return Some(clean(&format!("{dest}{rest}")));
    }
    if s == "/" {
        return Some(clean(&format!("{dest}/{p}")));
    }
    // Part of a directory `path`: the copied part, wherever it lands.
    Some(dest)
}

/// Does copying `source` (from a stage's root) take `path` along, or part of
/// it? Globs and unresolved variables are assumed to.
fn covers(source: &str, path: &str) -> bool {
    if source.contains(['$', '*', '?', '[']) {
        return true;
    }
    let s = clean(&format!("/{source}"));
    let p = clean(path);
    s == "/"
        || s == p
        || p.strip_prefix(s.as_str())
            .is_some_and(|r| r.starts_with('/'))
        || s.strip_prefix(p.as_str())
            .is_some_and(|r| r.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert_eq!(
            binary_name("github.com/a/b/cmd/tool@v1.2.3").as_deref(),
            Some("tool")
        );
        assert_eq!(
            binary_name("github.com/a/b/v2@latest").as_deref(),
            Some("b")
        );
        assert_eq!(binary_name("./cmd/app").as_deref(), Some("app"));
        assert_eq!(binary_name("."), None);
        assert!(covers("/out/", "/out/app"));
        assert!(covers("out/app", "/out"));
        assert!(!covers("/out/app", "/go/bin/tool"));
    }
}
