use envelope_dockerfile::Kind;

use crate::go::{cache_mount_targets, is_remote_package, mount_covers, runs_as_root, GoCommand};
use crate::{declare_rule, Context, Diagnostic, Edit, Fix, Rule};

declare_rule! {
    /// ## What it does
    /// Flags a RUN with `go mod download` (or `go get`, or `go install` or
    /// `go run` of `pkg@version`) that has no `--mount=type=cache` on the
    /// module cache (GOMODCACHE, by default `/go/pkg/mod` in the `golang`
    /// images, `/root/go/pkg/mod` elsewhere), or with `go build`/`go install`
    /// that has none on the build cache (GOCACHE, by default
    /// `/root/.cache/go-build`). One finding per RUN. A build is also
    /// flagged for the module cache when an earlier RUN downloaded the
    /// modules into a cache mount: that mount is not part of the image, so
    /// a build without it downloads every module again.
    ///
    /// ## Why
    /// When a layer is rebuilt, everything it computed is lost: every module
    /// is downloaded again and every package, including the standard library
    /// and all dependencies, compiled again. A BuildKit cache mount keeps
    /// those directories between builds on the same builder, so a one-line
    /// change recompiles one package instead of the world. The cache is not
    /// part of the image.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN go mod download
    /// RUN go build -o /out/app ./cmd/app
    /// ```
    ///
    /// ## Fix
    /// Add the cache mounts right after `RUN` (applied by `--fix
    /// --unsafe-fixes`, except under a USER other than root, where the mount
    /// needs `uid=`). The fix is unsafe: modules in a cache mount are no
    /// longer in the image's layer. Every later RUN that reads them (a go
    /// command such as `go mod verify`, `go vet` or `go build`, `make`, a
    /// script), in the stage and the stages built FROM it, gets the same
    /// module cache mount in the same fix, so `go mod verify` still sees the
    /// modules instead of checking nothing. No fix is offered when one of
    /// those RUNs is a heredoc or runs under a non-root USER, or when a
    /// `COPY --from` or `--mount=from=` takes the module cache out of the
    /// stage:
    ///
    /// ```dockerfile
    /// RUN --mount=type=cache,target=/go/pkg/mod go mod download
    /// RUN --mount=type=cache,target=/go/pkg/mod \
    ///     --mount=type=cache,target=/root/.cache/go-build \
    ///     go build -o /out/app ./cmd/app
    /// ```
    pub struct NoCacheMount {
        code: "GO006",
        name: "go-without-cache-mount",
        severity: Info,
        fixable: true,
        enabled: true,
    }
}

impl Rule for NoCacheMount {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mut runs: Vec<usize> = cx.go.iter().map(|g| g.instr).collect();
        runs.dedup();
        for idx in runs {
            let Some(instr) = cx.df.instructions.get(idx) else {
                continue;
            };
            let cmds: Vec<&GoCommand> = cx.go.iter().filter(|g| g.instr == idx).collect();
            let Some(first) = cmds.first() else {
                continue;
            };
            let targets = cache_mount_targets(instr, &first.env);
            let covered = |paths: &Option<Vec<String>>| match paths {
                Some(ps) => ps
                    .iter()
                    .any(|p| targets.iter().any(|t| mount_covers(t, p))),
                // Somewhere we cannot tell: any cache mount may be it.
                None => !targets.is_empty(),
            };
            let downloads: Vec<&&GoCommand> = cmds.iter().filter(|g| downloads(g)).collect();
            let builds: Vec<&&GoCommand> = cmds
                .iter()
                .filter(|g| matches!(g.sub.as_str(), "build" | "install"))
                .collect();
            let mod_paths = downloads
                .first()
                .or(builds.first())
                .and_then(|g| g.module_cache(cx));
            let build_paths = builds.first().and_then(|g| g.build_cache(cx));
            // Modules fetched into a cache mount by an earlier RUN are not in
            // the image: a build without that mount fetches them again.
            let cached_before = !builds.is_empty()
                && downloads.is_empty()
                && earlier_module_mount(cx, first, mod_paths.as_deref());
            let need_mod = (!downloads.is_empty() || cached_before) && !covered(&mod_paths);
            let need_build = !builds.is_empty() && !covered(&build_paths);
            if !need_mod && !need_build {
                continue;
            }
            let mut concerned: Vec<&&GoCommand> = Vec::new();
            if need_mod {
                concerned.extend(&downloads);
            }
            if cached_before && need_mod && !need_build {
                concerned.extend(&builds);
            }
            if need_build {
                concerned.extend(&builds);
            }
            concerned.sort_by_key(|g| g.go_span().start);
            let mut labels: Vec<String> = Vec::new();
            for g in &concerned {
                let l = label(g);
                if !labels.contains(&l) {
                    labels.push(l);
                }
            }
            let what = match labels.as_slice() {
                [a] => a.clone(),
                [a, b] => format!("{a} and {b}"),
                [a, ..] => format!("{a} and other go commands"),
                [] => continue,
            };
            let caches = match (need_mod, need_build) {
                (true, true) => "cache mounts for the module and build caches",
                (true, false) => "a cache mount for the module cache",
                _ => "a cache mount for the build cache",
            };
            let span = concerned.first().map_or(first.head_span(), |g| head(g));
            // What to add: known paths, for root only (the mount is root-owned).
            let mut mounts = Vec::new();
            let root = runs_as_root(cx, first.stage, idx);
            let mut fixable = root;
            for (need, paths) in [(need_mod, &mod_paths), (need_build, &build_paths)] {
                if !need {
                    continue;
                }
                match paths.as_ref().and_then(|p| p.first()) {
                    Some(p) => mounts.push(format!("--mount=type=cache,target={p}")),
                    None => fixable = false,
                }
            }
            let mut d = cx
                .diag(&Self::INFO, span, format!("{what} without {caches}"))
                .with_help(match (mounts.is_empty(), root) {
                    _ if cached_before && need_mod => format!(
                        "an earlier RUN downloaded the modules into a cache mount, which is not part of the image: without the same mount here they are downloaded again{}",
                        if mounts.is_empty() { String::new() } else { format!(": `RUN {} ...`", mounts.join(" ")) }
                    ),
                    (_, false) => "cache mounts keep modules and compiled packages between builds, even when this layer is rebuilt; under a USER other than root, give the mount `uid=` and a target in that user's home".to_string(),
                    (true, true) => "cache mounts keep modules and compiled packages between builds, even when this layer is rebuilt".to_string(),
                    (false, true) => format!(
                        "cache mounts keep modules and compiled packages between builds, even when this layer is rebuilt: `RUN {} ...`",
                        mounts.join(" ")
                    ),
                });
            // Modules moved into a cache mount leave the layer: every later
            // RUN that reads them needs the same mount, or the fix is not
            // offered (`go mod verify` would check nothing and succeed).
            let mut later = Vec::new();
            if fixable && need_mod && !cached_before {
                if let Some(path) = mod_paths.as_ref().and_then(|p| p.first()) {
                    match later_module_readers(cx, first.stage, idx, path) {
                        Ok(edits) => later = edits,
                        Err(why) => {
                            fixable = false;
                            d.help = Some(format!(
                                "{}; no fix offered: {why}",
                                d.help.as_deref().unwrap_or_default()
                            ));
                        }
                    }
                }
            }
            if fixable && !mounts.is_empty() {
                let content: String = mounts.iter().map(|m| format!(" {m}")).collect();
                let mut edits = vec![Edit::insert(instr.keyword_span.end, content)];
                let message = if later.is_empty() {
                    format!("add {}", mounts.join(" "))
                } else {
                    format!(
                        "add {}, and the module cache mount to the {} later RUN{} reading the modules",
                        mounts.join(" "),
                        later.len(),
                        if later.len() == 1 { "" } else { "s" }
                    )
                };
                edits.extend(later);
                d = d.with_fix(Fix::unsafe_edits(message, edits));
            }
            out.push(d);
        }
    }
}

/// The edits that give every RUN after `idx` that reads modules, in `stage`
/// and the stages built FROM it, a cache mount on the module cache `path`;
/// `Err` says why that cannot be done exactly: a RUN with a heredoc, one
/// under a non-root USER (the mount would be root's), or a COPY or mount
/// taking the module cache out of those stages.
fn later_module_readers(
    cx: &Context,
    stage: usize,
    idx: usize,
    path: &str,
) -> Result<Vec<Edit>, String> {
    let family: Vec<usize> = (stage..cx.stages.len())
        .filter(|&s| super::df003::chain(cx, s).contains(&stage))
        .collect();
    let mount = format!(" --mount=type=cache,target={path}");
    let mut edits = Vec::new();
    for &st in &family {
        for (i, ins) in cx.instructions(st) {
            if st == stage && i <= idx || ins.kind != Kind::Run {
                continue;
            }
            if !reads_modules(cx, i, ins) {
                continue;
            }
            let targets = cache_mount_targets(ins, &cx.vars_at(st, i));
            if targets.iter().any(|t| mount_covers(t, path)) {
                continue;
            }
            if !ins.heredocs.is_empty() {
                return Err(format!(
                    "line {} reads the modules from a heredoc RUN",
                    ins.line
                ));
            }
            if !runs_as_root(cx, st, i) {
                return Err(format!(
                    "line {} reads the modules under a USER other than root",
                    ins.line
                ));
            }
            edits.push(Edit::insert(ins.keyword_span.end, mount.clone()));
        }
    }
    // Anything copying the module cache out of these stages would find it empty.
    for (st_index, st) in cx.stages.iter().enumerate() {
        for (i, ins) in cx.instructions(st_index) {
            let mut refs: Vec<(String, Vec<String>)> = Vec::new();
            if matches!(ins.kind, Kind::Copy | Kind::Add) {
                if let Some(from) = ins.flag("from").and_then(|f| f.value.clone()) {
                    let words = ins.words();
                    let sources = words[..words.len().saturating_sub(1)]
                        .iter()
                        .map(|w| w.value.clone())
                        .collect();
                    refs.push((from, sources));
                }
            }
            for m in ins.flags.iter().filter(|f| f.name == "mount") {
                let fields = m.fields();
                let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                if let Some(from) = get("from") {
                    refs.push((from, vec![get("source").unwrap_or_else(|| "/".into())]));
                }
            }
            for (from, sources) in refs {
                let named = cx.stage_ref(i, &from);
                if !named.is_some_and(|s| family.contains(&s.index)) {
                    continue;
                }
                let vars = cx.vars_at(st_index, i);
                let takes_cache = sources.iter().any(|src| {
                    let src = crate::go::expand(src, &vars);
                    mount_covers(&src, path) || mount_covers(path, &src)
                });
                if takes_cache {
                    return Err(format!(
                        "line {} takes the module cache from stage `{}`",
                        ins.line,
                        st.name.as_deref().unwrap_or(&from)
                    ));
                }
            }
        }
    }
    Ok(edits)
}

/// Does a RUN read the module cache: any go command but `version`, `env`
/// and `help`, or a build tool or script that may run them?
fn reads_modules(cx: &Context, idx: usize, ins: &envelope_dockerfile::Instruction) -> bool {
    let go = cx
        .go
        .iter()
        .filter(|g| g.instr == idx)
        .any(|g| !matches!(g.sub.as_str(), "version" | "env" | "help"));
    go || ins.commands().iter().any(|c| {
        let name = c.name();
        matches!(
            name,
            "make" | "gmake" | "mage" | "task" | "just" | "goreleaser"
        ) || std::path::Path::new(name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("sh"))
            || (matches!(name, "sh" | "bash") && c.words.len() > 1)
    })
}

/// Did a RUN before `g`'s, in its stage or the stages it is built FROM,
/// mount a cache on the module cache (`paths`; any cache mount when they
/// are unknown)?
fn earlier_module_mount(cx: &Context, g: &GoCommand, paths: Option<&[String]>) -> bool {
    for st in super::df003::chain(cx, g.stage) {
        for (idx, instr) in cx.instructions(st) {
            if st == g.stage && idx >= g.instr {
                break;
            }
            // Variables only for RUNs with a mount: scopes cost per call.
            if instr.kind != Kind::Run || !instr.flags.iter().any(|f| f.name == "mount") {
                continue;
            }
            let targets = cache_mount_targets(instr, &cx.vars_at(st, idx));
            let hit = paths.is_some_and(|ps| {
                ps.iter()
                    .any(|p| targets.iter().any(|t| mount_covers(t, p)))
            });
            if hit {
                return true;
            }
        }
    }
    false
}

/// Commands that fetch modules into the module cache.
fn downloads(g: &GoCommand) -> bool {
    match g.sub.as_str() {
        "mod" => g.mod_sub.as_deref() == Some("download"),
        "get" => true,
        "install" | "run" => g
            .packages()
            .iter()
            .any(|p| p.value.contains('@') && is_remote_package(&p.value)),
        _ => false,
    }
}

/// `go build`, or `go mod download` with its second word.
fn head(g: &GoCommand) -> envelope_dockerfile::Span {
    let span = g.head_span();
    match (&g.mod_sub, g.command.words.get(2)) {
        (Some(_), Some(w)) => envelope_dockerfile::Span::new(span.start, w.span.end),
        _ => span,
    }
}

fn label(g: &GoCommand) -> String {
    match &g.mod_sub {
        Some(m) => format!("`go mod {m}`"),
        None => format!("`go {}`", g.sub),
    }
}
