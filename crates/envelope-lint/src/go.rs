//! Go invocations in RUN instructions: which `go` subcommand, with which
//! flags and which environment in effect (inline `VAR=x`, `export`, `env`,
//! the stage's ENV and ARG defaults, and GOFLAGS).

use std::collections::HashMap;

use envelope_dockerfile::{Command, Kind, Span, Vars, Word};

use crate::image::{BaseKind, ImageName};
use crate::Context;

/// One `go ...` command in a RUN.
#[derive(Debug, Clone)]
pub struct GoCommand {
    pub stage: usize,
    /// Index of the RUN instruction.
    pub instr: usize,
    /// `build`, `install`, `get`, `mod`, `test`, ...
    pub sub: String,
    /// For `go mod X`, X.
    pub mod_sub: Option<String>,
    pub command: Command,
    /// The environment in effect for this command.
    pub env: Vars,
    /// Variables set inline on this command (`CGO_ENABLED=0 go build`).
    pub inline: Vars,
}

impl GoCommand {
    /// The `go` word's span.
    pub fn go_span(&self) -> Span {
        self.command
            .words
            .first()
            .map_or(self.command.span, |w| w.span)
    }

    /// The subcommand word's span (`build`).
    pub fn sub_span(&self) -> Span {
        self.command
            .words
            .get(1)
            .map_or(self.command.span, |w| w.span)
    }

    /// `go` through `build`: what a finding about the command points at.
    pub fn head_span(&self) -> Span {
        Span::new(self.go_span().start, self.sub_span().end)
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(String::as_str)
    }

    /// The arguments after the subcommand.
    pub fn args(&self) -> &[envelope_dockerfile::Word] {
        self.command.words.get(2..).unwrap_or_default()
    }

    /// Is the flag given (`-trimpath`, `--trimpath`, `-trimpath=true`),
    /// on the command line or in GOFLAGS?
    pub fn has_flag(&self, flag: &str) -> bool {
        let matches = |w: &str| {
            let w = w.strip_prefix('-').unwrap_or(w);
            let w = w.strip_prefix('-').unwrap_or(w);
            w == flag || w == format!("{flag}=true") || w == format!("{flag}=1")
        };
        self.args().iter().any(|w| matches(&w.value))
            || self
                .var("GOFLAGS")
                .is_some_and(|g| g.split_whitespace().any(matches))
    }

    /// The value of `-name X` / `-name=X` on the command line, or in GOFLAGS.
    pub fn flag_value(&self, name: &str) -> Option<String> {
        let args = self.args();
        for (i, w) in args.iter().enumerate() {
            let v = w.value.trim_start_matches('-');
            if !w.value.starts_with('-') {
                continue;
            }
            if v == name {
                return args
                    .get(i + 1)
                    .map(|n| crate::go::expand(&n.value, &self.env));
            }
            if let Some(val) = v.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
                return Some(crate::go::expand(val, &self.env));
            }
        }
        self.var("GOFLAGS").and_then(|g| {
            g.split_whitespace()
                .filter_map(|f| f.trim_start_matches('-').strip_prefix(name))
                .find_map(|r| r.strip_prefix('='))
                .map(str::to_string)
        })
    }

    /// The effective CGO_ENABLED, if set anywhere.
    pub fn cgo_enabled(&self) -> Option<&str> {
        self.var("CGO_ENABLED")
    }
}

/// Expands `$VAR` references known in `vars`, leaving others as written.
pub fn expand(s: &str, vars: &Vars) -> String {
    envelope_dockerfile::expand(s, vars)
}

/// Finds `go` commands in the RUNs of every stage.
pub(crate) fn find(
    cx_df: &envelope_dockerfile::Dockerfile,
    stages: &[envelope_dockerfile::Stage],
    scopes: &crate::context::Scopes,
) -> Vec<GoCommand> {
    let mut out = Vec::new();
    // Settings written with `go env -w`, per stage (inherited through FROM).
    let mut go_env_files: HashMap<usize, Vars> = HashMap::new();
    for stage in stages {
        if let Some(file) = stage
            .parent
            .filter(|&p| p < stage.index)
            .and_then(|p| go_env_files.get(&p))
            .cloned()
        {
            go_env_files.insert(stage.index, file);
        }
        for idx in stage.from + 1..stage.end {
            let instr = &cx_df.instructions[idx];
            if instr.kind != envelope_dockerfile::Kind::Run {
                continue;
            }
            let commands = instr.commands();
            if !commands.iter().any(|c| is_go(c.name())) {
                continue;
            }
            let mut env = scopes.at(idx).unwrap_or_default();
            for c in commands {
                // `go env -w` persists into the go env file for later commands.
                if is_go(c.name()) && c.words.get(1).is_some_and(|w| w.value == "env") {
                    let writes = go_env_writes(&c, &env);
                    let file = go_env_files.entry(stage.index).or_default();
                    for (k, v) in writes {
                        match v {
                            Some(v) => file.insert(k, v),
                            None => file.remove(&k),
                        };
                    }
                }
                if c.name() == "export" {
                    for w in c.args() {
                        if let Some((k, v)) = w.value.split_once('=') {
                            env.insert(k.to_string(), expand(v, &env));
                        }
                    }
                    continue;
                }
                for (k, v) in &c.env {
                    // Plain assignments on their own persist in the shell.
                    if c.words.is_empty() {
                        env.insert(k.clone(), expand(v, &env));
                    }
                }
                if !is_go(c.name()) || c.words.len() < 2 {
                    continue;
                }
                let mut cmd_env = env.clone();
                let mut inline = Vars::new();
                for (k, v) in &c.env {
                    let v = expand(v, &env);
                    cmd_env.insert(k.clone(), v.clone());
                    inline.insert(k.clone(), v);
                }
                // The environment wins over the go env file.
                if let Some(file) = go_env_files.get(&stage.index) {
                    for (k, v) in file {
                        cmd_env.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                let sub = c.words[1].value.clone();
                let mod_sub = (sub == "mod")
                    .then(|| c.words.get(2).map(|w| w.value.clone()))
                    .flatten();
                out.push(GoCommand {
                    stage: stage.index,
                    instr: idx,
                    sub,
                    mod_sub,
                    command: c,
                    env: cmd_env,
                    inline,
                });
            }
        }
    }
    out
}

/// `go`, `/usr/local/go/bin/go`, and cross-compilation wrappers like `xx-go`.
pub fn is_go(name: &str) -> bool {
    name == "go" || name == "xx-go" || name.starts_with("go1.")
}

/// `go env -w K=V ...` and `go env -u K ...`: what the command writes to the
/// go env file (`None` unsets).
fn go_env_writes(c: &Command, env: &Vars) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut mode = None;
    for w in c.words.get(2..).unwrap_or_default() {
        match w.value.as_str() {
            "-w" | "--w" => mode = Some(true),
            "-u" | "--u" => mode = Some(false),
            v if v.starts_with('-') => {}
            v => match mode {
                Some(true) => {
                    if let Some((k, val)) = v.split_once('=') {
                        out.push((k.to_string(), Some(expand(val, env))));
                    }
                }
                Some(false) => out.push((v.to_string(), None)),
                None => {}
            },
        }
    }
    out
}

/// `go build`/`install`/`run`/`test`/`get` flags that take the next word as
/// their value (the rest are booleans).
const VALUE_FLAGS: [&str; 20] = [
    "o",
    "p",
    "C",
    "asmflags",
    "buildmode",
    "compiler",
    "gccgoflags",
    "gcflags",
    "installsuffix",
    "ldflags",
    "mod",
    "modfile",
    "overlay",
    "pgo",
    "pkgdir",
    "tags",
    "toolexec",
    "coverpkg",
    "covermode",
    "exec",
];

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

/// One `-name value` / `-name=value` occurrence on a command line.
#[derive(Debug, Clone)]
pub struct FlagUse {
    /// The word holding the flag name (and, for `-name=value`, the value).
    pub flag: Word,
    /// The word holding the value when it is separate.
    pub value_word: Option<Word>,
    /// The value, quotes removed, variables not yet expanded.
    pub value: String,
}

impl GoCommand {
    /// Every `-name X` / `-name=X` on the command line, in order.
    pub fn flag_uses(&self, name: &str) -> Vec<FlagUse> {
        let args = self.args();
        let mut out = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let w = &args[i];
            if w.value == "--" || !w.value.starts_with('-') {
                break;
            }
            let bare = w.value.trim_start_matches('-');
            let (n, inline) = match bare.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (bare, None),
            };
            let takes_value = inline.is_none() && VALUE_FLAGS.contains(&n);
            if n == name {
                match inline {
                    Some(v) => out.push(FlagUse {
                        flag: w.clone(),
                        value_word: None,
                        value: v.to_string(),
                    }),
                    None => {
                        if let Some(next) = args.get(i + 1) {
                            out.push(FlagUse {
                                flag: w.clone(),
                                value_word: Some(next.clone()),
                                value: next.value.clone(),
                            });
                        }
                    }
                }
            }
            i += if takes_value { 2 } else { 1 };
        }
        out
    }

    /// The value of the last `-name` on the command line, else in GOFLAGS
    /// (quoted GOFLAGS entries understood), variables expanded. The command
    /// line overrides GOFLAGS, and a later flag an earlier one.
    pub fn last_flag_value(&self, name: &str) -> Option<String> {
        if let Some(u) = self.flag_uses(name).last() {
            return Some(expand(&u.value, &self.env));
        }
        self.goflags_value(name)
    }

    /// The value of the last `-name=X` in GOFLAGS.
    pub fn goflags_value(&self, name: &str) -> Option<String> {
        let goflags = self.var("GOFLAGS")?;
        split_quoted(goflags)
            .iter()
            .filter_map(|f| {
                let f = f.strip_prefix('-')?;
                let f = f.strip_prefix('-').unwrap_or(f);
                f.strip_prefix(name)?.strip_prefix('=').map(str::to_string)
            })
            .next_back()
    }

    /// The package (or `.go` file) arguments: what follows the flags.
    pub fn packages(&self) -> Vec<&Word> {
        let args = self.args();
        let mut i = 0;
        while i < args.len() {
            let w = &args[i].value;
            if w == "--" {
                i += 1;
                break;
            }
            if !w.starts_with('-') {
                break;
            }
            let bare = w.trim_start_matches('-');
            let takes_value = !bare.contains('=') && VALUE_FLAGS.contains(&bare);
            i += if takes_value { 2 } else { 1 };
        }
        let rest = args.get(i..).unwrap_or_default();
        // `go run pkg args...`: only the first is the package.
        if self.sub == "run" {
            return rest.iter().take(1).collect();
        }
        rest.iter().collect()
    }

    /// The linker flags in effect (`-ldflags`, pattern such as `all=`
    /// removed), split as the go command splits them. `None` without any.
    pub fn ldflags(&self) -> Option<Vec<String>> {
        self.last_flag_value("ldflags")
            .map(|v| split_quoted(strip_pattern(&v)))
    }

    /// The build tags in effect (`-tags a,b` or `-tags "a b"`).
    pub fn tags(&self) -> Vec<String> {
        self.last_flag_value("tags")
            .map(|v| {
                v.split([',', ' '])
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

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
fn join(dir: Option<&str>, p: &str) -> Option<String> {
    if p.starts_with('/') {
        return Some(clean(p));
    }
    dir.map(|d| clean(&format!("{d}/{p}")))
}

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

/// Removes a `-ldflags`/`-gcflags` package pattern: `all=-s -w` → `-s -w`.
pub fn strip_pattern(v: &str) -> &str {
    let v = v.trim_start();
    if v.starts_with(['-', '\'', '"']) {
        return v;
    }
    match v.split_once('=') {
        Some((pattern, rest)) if !pattern.contains(char::is_whitespace) => rest,
        _ => v,
    }
}

/// Splits like the go command splits flag values and GOFLAGS: on spaces,
/// with `'...'` and `"..."` quoting (no escapes). `$(...)` and backquoted
/// command substitutions left in the text stay one word.
pub fn split_quoted(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' | '"' => {
                in_word = true;
                for n in chars.by_ref() {
                    if n == c {
                        break;
                    }
                    cur.push(n);
                }
            }
            '$' if chars.peek() == Some(&'(') => {
                in_word = true;
                cur.push(c);
                let mut depth = 0;
                for n in chars.by_ref() {
                    cur.push(n);
                    match n {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            '`' => {
                in_word = true;
                cur.push(c);
                for n in chars.by_ref() {
                    cur.push(n);
                    if n == '`' {
                        break;
                    }
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// Go's boolean flag values (`strconv.ParseBool`).
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// A boolean flag among `words` (`-s`, `--s`, `-s=true`, `-s=0`): `None`
/// if absent, else its last value.
pub fn bool_flag(words: &[String], name: &str) -> Option<bool> {
    let mut found = None;
    for w in words {
        let Some(bare) = w.strip_prefix('-') else {
            continue;
        };
        let bare = bare.strip_prefix('-').unwrap_or(bare);
        if bare == name {
            found = Some(true);
        } else if let Some(v) = bare.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
            found = parse_bool(v).or(found);
        }
    }
    found
}

/// Is `pkg` a remote import path (its first element has a dot:
/// `github.com/x/y`), as opposed to `./cmd/x`, `.` or `std`?
pub fn is_remote_package(pkg: &str) -> bool {
    let path = pkg.split('@').next().unwrap_or(pkg);
    let first = path.split('/').next().unwrap_or(path);
    !path.starts_with('.') && !path.starts_with('/') && first.contains('.')
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_split_and_patterns() {
        assert_eq!(
            split_quoted("-s -w -X 'a=b c'"),
            ["-s", "-w", "-X", "a=b c"]
        );
        assert_eq!(
            split_quoted("-X main.c=$(git rev-parse HEAD) -s"),
            ["-X", "main.c=$(git rev-parse HEAD)", "-s"]
        );
        assert_eq!(strip_pattern("all=-s -w"), "-s -w");
        assert_eq!(strip_pattern("-X a=b"), "-X a=b");
        let w = split_quoted("-s=false -w");
        assert_eq!(bool_flag(&w, "s"), Some(false));
        assert_eq!(bool_flag(&w, "w"), Some(true));
        assert_eq!(bool_flag(&w, "x"), None);
    }

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
        assert_eq!(clean("/a/./b/../c/"), "/a/c");
        assert!(is_remote_package("golang.org/x/tools/gopls@latest"));
        assert!(!is_remote_package("./cmd/x"));
        assert!(!is_remote_package("std"));
        assert_eq!(go_minor("golang:1.21.5-alpine"), Some(21));
        assert_eq!(go_minor("golang:alpine"), None);
    }
}
