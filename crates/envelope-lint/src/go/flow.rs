//! Reachability as a data flow: which files a stage produces and whether
//! they end up in the final image, answered in three values.
//!
//! A path is resolved through ARG/ENV defaults, `--build-arg` values and
//! the platform arguments (`$TARGETARCH`, `$TARGETOS`, `$TARGETPLATFORM`,
//! `$TARGETVARIANT` and the `BUILD*` ones) expanded over the platforms
//! linted for, so `/out/$TARGETARCH/app` is the set of its expansions.
//! Copies are followed from stage to stage (FROM, `COPY --from`,
//! `ADD --from`, `RUN --mount=from=`), their sources matched with Docker's
//! glob semantics (Go's `filepath.Match` per path element). Whatever cannot
//! be resolved (an unknown variable, output or WORKDIR) makes the answer
//! [`Reach::May`] rather than a guess.

use envelope_dockerfile::{Kind, Vars};

use super::paths::{clean, join};
use super::stage::workdir_at;
use super::{expand, GoCommand, Output};
use crate::Context;

/// Does a file end up in the final image?
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    /// It does not.
    No,
    /// It may: a path on the way could not be resolved.
    May,
    /// It does.
    Yes,
}

/// What a `go build` / `go install` writes, over every platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Produced {
    /// Nothing is written (`go build ./...`, `-o /dev/null`).
    Discarded,
    /// These files (or directories holding them), one per platform at most.
    Paths(Vec<String>),
    /// Cannot tell.
    Unknown,
}

/// The platform arguments BuildKit sets, for one platform `os/arch[/variant]`.
/// The build platform is taken to be the first one linted for.
pub(crate) fn platform_vars(target: &str, build: &str) -> Vars {
    let mut v = Vars::new();
    for (prefix, platform) in [("TARGET", target), ("BUILD", build)] {
        let mut parts = platform.split('/');
        let os = parts.next().unwrap_or_default();
        let arch = parts.next().unwrap_or_default();
        let variant = parts.next().unwrap_or_default();
        v.insert(format!("{prefix}PLATFORM"), platform.to_string());
        v.insert(format!("{prefix}OS"), os.to_string());
        v.insert(format!("{prefix}ARCH"), arch.to_string());
        v.insert(format!("{prefix}VARIANT"), variant.to_string());
    }
    v
}

/// `s` with the platform arguments left in it expanded over the platforms:
/// one string per distinct expansion, sorted.
pub fn expansions(cx: &Context, s: &str) -> Vec<String> {
    if !s.contains('$') {
        return vec![s.to_string()];
    }
    let mut out: Vec<String> = cx
        .platform_vars()
        .iter()
        .map(|vars| expand(s, vars))
        .collect();
    out.sort();
    out.dedup();
    out
}

impl GoCommand {
    /// What this command writes, for every platform.
    pub fn produced(&self, cx: &Context) -> Produced {
        match self.raw_output(cx) {
            Output::Discarded => Produced::Discarded,
            Output::Unknown => Produced::Unknown,
            Output::Path(p) => {
                let paths = expansions(cx, &p);
                if paths.iter().any(|p| p.contains('$')) {
                    Produced::Unknown
                } else {
                    Produced::Paths(paths.iter().map(|p| clean(p)).collect())
                }
            }
        }
    }

    /// Does the binary this command writes end up in the final image?
    /// [`Reach::May`] when its path, or a path it is copied by, cannot be
    /// resolved.
    pub fn reach(&self, cx: &Context) -> Reach {
        if !cx.reaches_final(self.stage) {
            return Reach::No;
        }
        match self.produced(cx) {
            Produced::Discarded => Reach::No,
            // Whatever it wrote is in a stage the final image is built on.
            Produced::Unknown if in_final_chain(cx, self.stage) => Reach::Yes,
            // `-o /out/${BIN}`: some file under /out. A copy of /out (or
            // of `/out/*`) takes it, one of another directory does not, one
            // of a named file in /out may.
            Produced::Unknown => match self.raw_output(cx) {
                // `-o $OUT/app`: the variable may be an absolute path, so
                // nothing of the directory is known.
                Output::Path(_)
                    if self.sub == "build"
                        && self
                            .last_flag_value("o")
                            .is_some_and(|o| o.starts_with('$')) =>
                {
                    path_reach(cx, self.stage, &under_known("/$"), 0, &Budget::new(STEPS))
                }
                Output::Path(p) => expansions(cx, &p)
                    .iter()
                    .map(|p| path_reach(cx, self.stage, &under_known(p), 0, &Budget::new(STEPS)))
                    .max()
                    .unwrap_or(Reach::May),
                _ => Reach::May,
            },
            Produced::Paths(paths) => paths
                .iter()
                .map(|p| path_reach(cx, self.stage, p, 0, &Budget::new(STEPS)))
                .max()
                .unwrap_or(Reach::No),
        }
    }

    /// Does the binary this command writes end up, or may it, in the final
    /// image?
    pub fn output_reaches_final(&self, cx: &Context) -> bool {
        self.reach(cx) != Reach::No
    }
}

/// A path element standing for a name that could not be resolved: only a
/// pattern that takes any name (`*`) matches it for sure.
const UNKNOWN_NAME: &str = "\u{0}";

/// `path` cut at its first element holding an unresolved variable, which
/// becomes [`UNKNOWN_NAME`]: `/out/${BIN}/x` is some file under `/out`.
fn under_known(path: &str) -> String {
    let mut out = String::new();
    for e in clean(path).split('/').filter(|e| !e.is_empty()) {
        out.push('/');
        if e.contains('$') {
            out.push_str(UNKNOWN_NAME);
            return out;
        }
        out.push_str(e);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Steps of [`path_reach`] one question may take.
const STEPS: u32 = 4096;

type Budget = std::cell::Cell<u32>;

/// Is `stage` the final stage or one it is built FROM?
fn in_final_chain(cx: &Context, stage: usize) -> bool {
    let Some(mut s) = cx.final_stage().map(|f| f.index) else {
        return false;
    };
    for _ in 0..=cx.stages.len() {
        if s == stage {
            return true;
        }
        match cx.stages.get(s).and_then(|st| st.parent) {
            Some(p) if p < s => s = p,
            _ => return false,
        }
    }
    false
}

/// Does `path` (a file or a directory in `stage`) end up in the final image?
fn path_reach(cx: &Context, stage: usize, path: &str, depth: usize, budget: &Budget) -> Reach {
    if !cx.reaches_final(stage) {
        return Reach::No;
    }
    if cx.is_final(stage) {
        return Reach::Yes;
    }
    // Copies of copies can fan out: past a depth or a number of steps, the
    // answer is a guess.
    if depth > 64 || budget.get() == 0 {
        return Reach::May;
    }
    budget.set(budget.get() - 1);
    let mut best = Reach::No;
    for t in cx
        .stages
        .iter()
        .filter(|t| t.index > stage && cx.reaches_final(t.index))
    {
        if t.parent == Some(stage) {
            best = best.max(path_reach(cx, t.index, path, depth + 1, budget));
        }
        for (idx, instr) in cx.instructions(t.index) {
            if best == Reach::Yes {
                return best;
            }
            let from_here =
                |idx: usize, r: &str| cx.stage_ref(idx, r).is_some_and(|s| s.index == stage);
            match instr.kind {
                Kind::Copy | Kind::Add => {
                    let Some(from) = instr.flag("from").and_then(|f| f.value.clone()) else {
                        continue;
                    };
                    if !from_here(idx, &from) {
                        continue;
                    }
                    let words = instr.words();
                    let vars = cx.vars_at(t.index, idx);
                    let sources = words.len().saturating_sub(1);
                    let Some(dest) = words.last() else {
                        continue;
                    };
                    let dests = expansions(cx, &expand(&dest.value, &vars));
                    for w in &words[..sources] {
                        for source in expansions(cx, &expand(&w.value, &vars)) {
                            let found = match glob_match(&source, path) {
                                Match::None => continue,
                                Match::Unresolved => Reach::May,
                                Match::Covers(src) => follow(
                                    cx, t.index, idx, &src, path, &dests, sources, depth, budget,
                                ),
                                Match::Part { exact } => {
                                    // Part of the directory: lands at dest.
                                    let landed = dests
                                        .iter()
                                        .map(|d| match resolve(cx, t.index, idx, d) {
                                            Some(d) => {
                                                path_reach(cx, t.index, &d, depth + 1, budget)
                                            }
                                            None => Reach::May,
                                        })
                                        .max()
                                        .unwrap_or(Reach::May);
                                    landed.min(if exact { Reach::Yes } else { Reach::May })
                                }
                            };
                            best = best.max(found);
                        }
                    }
                }
                Kind::Run => {
                    for m in instr.flags.iter().filter(|f| f.name == "mount") {
                        let fields = m.fields();
                        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v);
                        if !get("from").is_some_and(|f| from_here(idx, f)) {
                            continue;
                        }
                        let found = match get("source").or_else(|| get("src")) {
                            Some(src) => {
                                let vars = cx.vars_at(t.index, idx);
                                expansions(cx, &expand(src, &vars))
                                    .iter()
                                    .map(|s| match glob_match(&escape(s), path) {
                                        Match::None => Reach::No,
                                        Match::Unresolved => Reach::May,
                                        Match::Covers(_) | Match::Part { .. } => Reach::Yes,
                                    })
                                    .max()
                                    .unwrap_or(Reach::No)
                            }
                            None => Reach::Yes,
                        };
                        best = best.max(found);
                    }
                }
                _ => {}
            }
        }
    }
    best
}

/// A mount source is a path, not a pattern: its glob characters are literal.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Follows `source` (a concrete path in the stage copied from) into
/// instruction `idx` of `stage`, to wherever `path` lands for each of the
/// destinations.
#[allow(clippy::too_many_arguments)]
fn follow(
    cx: &Context,
    stage: usize,
    idx: usize,
    source: &str,
    path: &str,
    dests: &[String],
    sources: usize,
    depth: usize,
    budget: &Budget,
) -> Reach {
    dests
        .iter()
        // A destination that cannot be resolved is still in a stage that
        // reaches the final image.
        .map(
            |dest| match copied_to(cx, stage, idx, source, path, dest, sources) {
                Some(landed) => path_reach(cx, stage, &landed, depth + 1, budget),
                None => Reach::May,
            },
        )
        .max()
        .unwrap_or(Reach::May)
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
    let into_dir = sources > 1 || dest.ends_with('/');
    let dest = resolve(cx, stage, idx, dest)?;
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

/// A COPY destination as an absolute path; `None` when it cannot tell.
fn resolve(cx: &Context, stage: usize, idx: usize, dest: &str) -> Option<String> {
    let dest = if dest.starts_with('/') {
        clean(dest)
    } else {
        join(workdir_at(cx, stage, idx).as_deref(), dest)?
    };
    (!dest.contains('$')).then_some(dest)
}

/// How a `COPY --from` source pattern relates to a path of the stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Match {
    /// Unrelated.
    None,
    /// The source holds a variable left unresolved, or is a bad pattern.
    Unresolved,
    /// The source matches the path or a directory holding it: the concrete
    /// path it matched.
    Covers(String),
    /// The path is a directory and the source part of it; `exact` when the
    /// rest of the source is literal (no glob) so a file is named outright,
    /// or all `*`, which takes everything in the directory.
    Part { exact: bool },
}

/// Matches a source pattern against a path, element by element, as Docker
/// matches `COPY` sources (Go's `filepath.Match` per element).
pub(crate) fn glob_match(pattern: &str, path: &str) -> Match {
    if pattern.contains('$') {
        return Match::Unresolved;
    }
    let pat = clean(&format!("/{pattern}"));
    let p = clean(path);
    let pe: Vec<&str> = pat.split('/').filter(|e| !e.is_empty()).collect();
    let xe: Vec<&str> = p.split('/').filter(|e| !e.is_empty()).collect();
    let n = pe.len().min(xe.len());
    for (a, b) in pe.iter().zip(&xe).take(n) {
        match element_match(a, b) {
            Some(true) => {}
            // A name not known: another pattern may still be it.
            Some(false) if *b == UNKNOWN_NAME => return Match::Unresolved,
            Some(false) => return Match::None,
            None => return Match::Unresolved,
        }
    }
    if pe.len() <= xe.len() {
        return Match::Covers(format!("/{}", xe[..pe.len()].join("/")));
    }
    let rest = &pe[xe.len()..];
    if rest.iter().any(|e| element_match(e, "").is_none()) {
        return Match::Unresolved;
    }
    // Literal names, or `*` that takes whatever the directory holds.
    Match::Part {
        exact: rest.iter().all(|e| !has_meta(e)) || rest.iter().all(|e| *e == "*"),
    }
}

fn has_meta(e: &str) -> bool {
    e.contains(['*', '?', '[', '\\'])
}

/// Go's `filepath.Match` for one path element: `*`, `?`, `[...]` with
/// ranges and `^` negation, `\` escapes. `None` for a malformed pattern,
/// which Go rejects even when an earlier part already fails to match.
pub(crate) fn element_match(pattern: &str, name: &str) -> Option<bool> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' if i + 1 >= p.len() => return None,
            '\\' => i += 2,
            '[' => i = class(&p, i, None)?.0,
            _ => i += 1,
        }
    }
    Some(match_from(&p, &n))
}

/// Backtracking match; the pattern is known to be well formed.
fn match_from(p: &[char], n: &[char]) -> bool {
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        let step = match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
                continue;
            }
            Some('?') => Some(pi + 1),
            Some('[') => class(p, pi, Some(n[ni])).and_then(|(end, hit)| hit.then_some(end)),
            Some('\\') => p.get(pi + 1).filter(|c| **c == n[ni]).map(|_| pi + 2),
            Some(c) => (*c == n[ni]).then_some(pi + 1),
            None => None,
        };
        match step {
            Some(next) => {
                pi = next;
                ni += 1;
            }
            None => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).unwrap_or_default().iter().all(|c| *c == '*')
}

/// The class opened at `p[i]` (`[...]`): the index after its `]`, and
/// whether it holds `c`. `None` when malformed, as Go says: empty, or a
/// range bound that is `-` or `]`, or unclosed.
fn class(p: &[char], i: usize, c: Option<char>) -> Option<(usize, bool)> {
    let mut j = i + 1;
    let negated = p.get(j) == Some(&'^');
    if negated {
        j += 1;
    }
    let mut hit = false;
    let mut ranges = 0;
    loop {
        if p.get(j) == Some(&']') && ranges > 0 {
            return Some((j + 1, hit != negated));
        }
        let (lo, next) = class_char(p, j)?;
        j = next;
        let mut hi = lo;
        if p.get(j) == Some(&'-') {
            (hi, j) = class_char(p, j + 1)?;
        }
        if c.is_some_and(|c| lo <= c && c <= hi) {
            hit = true;
        }
        ranges += 1;
    }
}

/// One character of a class, escape removed, and the index after it.
fn class_char(p: &[char], j: usize) -> Option<(char, usize)> {
    match *p.get(j)? {
        '-' | ']' => None,
        '\\' => Some((*p.get(j + 1)?, j + 2)),
        ch => Some((ch, j + 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_match_as_go_does() {
        for (p, n, want) in [
            ("minio*", "minio", Some(true)),
            ("minio*", "minisign", Some(false)),
            ("a?c", "abc", Some(true)),
            ("a?c", "ac", Some(false)),
            ("[a-c]x", "bx", Some(true)),
            ("[^a-c]x", "bx", Some(false)),
            ("[^a-c]x", "dx", Some(true)),
            ("\\*", "*", Some(true)),
            ("\\*", "a", Some(false)),
            ("*.go", "main.go", Some(true)),
            ("a*b*c", "axxbyyc", Some(true)),
            ("a*b*c", "axxbyy", Some(false)),
            ("[", "a", None),
            ("[]a]", "]", None),
            ("[a-]", "a", None),
            ("[\\]]", "]", Some(true)),
            ("x\\", "x", None),
        ] {
            assert_eq!(element_match(p, n), want, "{p} {n}");
        }
    }

    #[test]
    fn sources_against_paths() {
        assert_eq!(
            glob_match("/go/bin/minio*", "/go/bin/minisign"),
            Match::None
        );
        assert_eq!(
            glob_match("/go/bin/minio*", "/go/bin/minio"),
            Match::Covers("/go/bin/minio".into())
        );
        assert_eq!(
            glob_match("/out/", "/out/app"),
            Match::Covers("/out".into())
        );
        assert_eq!(glob_match("out/app", "/out"), Match::Part { exact: true });
        assert_eq!(glob_match("out/a*", "/out"), Match::Part { exact: false });
        assert_eq!(
            glob_match("/go/bin/*", "/go/bin"),
            Match::Part { exact: true }
        );
        assert_eq!(glob_match("/out/app", "/go/bin/tool"), Match::None);
        assert_eq!(glob_match("/out/$X/app", "/out/a/app"), Match::Unresolved);
        assert_eq!(
            glob_match("/o*/app", "/out/app"),
            Match::Covers("/out/app".into())
        );
    }
}
