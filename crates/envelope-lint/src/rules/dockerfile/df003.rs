use envelope_dockerfile::{Instruction, Kind, Span};

use crate::image::defaults_to_nonroot;
use crate::{declare_rule, Context, Diagnostic, Edit, Fix, Rule};

declare_rule! {
    /// ## What it does
    /// Flags a final stage (the last one, which `docker build` builds by
    /// default) that runs as root: its last USER is `root` or `0` (with or
    /// without a group), or no USER is set in it nor in the stages it is
    /// built `FROM`. Only the final stage counts: build stages may run as
    /// root, nothing of them runs in production.
    ///
    /// Bases that already default to a non-root user are not flagged
    /// without a USER: distroless images with a `nonroot` tag
    /// (`gcr.io/distroless/static-debian12:nonroot`, `:debug-nonroot`) and
    /// Chainguard images on cgr.dev except the `-dev` variants and
    /// `wolfi-base`. A USER still holding a variable is not judged. A final
    /// `scratch` stage with no ENTRYPOINT or CMD exports files
    /// (`docker build --output`) rather than runs, and is not flagged.
    ///
    /// ## Why
    /// Root in the container is root on the host's kernel: a bug in the
    /// program, plus any container escape or a writable host mount, becomes
    /// root on the node. A non-root user also cannot modify the image's own
    /// files, which stops many attacks after a compromise. Kubernetes'
    /// `runAsNonRoot` refuses such images, and a numeric USER lets it verify
    /// the user without a passwd file.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// RUN CGO_ENABLED=0 go build -o /app .
    /// FROM gcr.io/distroless/static-debian12
    /// COPY --from=build /app /app
    /// ENTRYPOINT ["/app"]
    /// ```
    ///
    /// ## Fix
    /// `--fix --unsafe-fixes` sets `USER 65532:65532` (the `nonroot` user of
    /// distroless and Chainguard images, needing no passwd entry): it
    /// replaces a final `USER root` that no RUN follows, and otherwise
    /// inserts the line before the final stage's ENTRYPOINT or CMD, or at
    /// the end of the file. The fix is unsafe: files the program writes must
    /// then be writable by that user (`COPY --chown=65532:65532`), or use a
    /// `:nonroot` base.
    ///
    /// No fix is offered when the final stage (or a stage it is built FROM)
    /// shows it relies on root or on a user of its own: files under `/root`
    /// or `HOME=/root` (ENV, ARG, WORKDIR, COPY, ENTRYPOINT/CMD), a port
    /// below 1024, a `useradd`/`adduser` (the help then names that user), a
    /// `chown` or `COPY --chown` to another user, `chmod` modes that leave
    /// others out or set setuid, su-exec, gosu, setpriv, runuser, s6 or
    /// `chroot --userspec` named in a RUN, COPY, ENTRYPOINT or CMD (or in an
    /// entrypoint script copied from the build context), systemd or another
    /// init as PID 1, any `VOLUME`, or a comment saying root is needed. The
    /// help says which.
    ///
    /// A stage that starts as root only to hand the program to another user
    /// (su-exec, gosu, setpriv, runuser or s6's tools installed, copied or
    /// run; an entrypoint script from the build context that runs one; a
    /// linuxserver.io s6-overlay base) is reported one severity lower, as
    /// info by default: the entrypoint and anything run with `docker exec`
    /// are still root, but the program may not be.
    pub struct FinalStageRoot {
        code: "DF003",
        name: "final-stage-root",
        severity: Warning,
        fixable: true,
        enabled: true,
    }
}

const NONROOT: &str = "65532:65532";

impl Rule for FinalStageRoot {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(last) = cx.final_stage() else {
            return;
        };
        if is_export_stage(cx, last.index) {
            return;
        }
        let (span, message, replace) = match effective_user(cx, last.index) {
            User::NonRoot | User::Unknown => return,
            User::Root(Some(u)) => {
                let message = format!("the final stage runs as root: `USER {}`", u.value);
                // Replace the value unless a later RUN in the stage needs root.
                let later_run = cx
                    .instructions(last.index)
                    .any(|(i, ins)| i > u.instr && ins.kind == Kind::Run);
                let replace = (u.stage == last.index && !later_run).then_some(u.value_span);
                (u.value_span, message, replace)
            }
            User::Root(None) => {
                let Some(word) = &last.image_word else {
                    return;
                };
                let message = if last.parent.is_some() {
                    "the final stage runs as root: neither it nor the stages it builds on set USER"
                        .to_string()
                } else {
                    format!(
                        "the final stage runs as root: no USER, and `{}` defaults to root",
                        last.image
                    )
                };
                (word.span, message, None)
            }
        };
        let mut d = cx.diag(&Self::INFO, span, message);
        // Started as root only to hand the program to another user: less
        // sure than a program that runs as root, so one severity lower.
        let drop = privilege_drop(cx, last.index);
        if let Some(how) = &drop {
            d.message = format!(
                "{}; it starts as root to switch users ({how}): check that the program itself never runs as root",
                d.message
            );
            d.severity = d.severity.lowered(1);
        }
        // The fix would break a stage that visibly relies on root or on
        // another user: the finding stays, the fix goes.
        let relies = relies_on_user(cx, last.index)
            .or_else(|| drop.map(|how| format!("{how} needs root to switch users")));
        if let Some(why) = relies {
            let user = created_user(cx, last.index);
            let suggest = match &user {
                Some((name, line)) => {
                    format!("`USER {name}` (the user line {line} creates) before ENTRYPOINT/CMD")
                }
                None => "`USER 65532:65532` before ENTRYPOINT/CMD, or a `:nonroot` base image"
                    .to_string(),
            };
            out.push(d.with_help(format!(
                "run as a non-root user ({suggest}); no fix offered: {why}"
            )));
            return;
        }
        let edit = match replace {
            Some(v) => Edit::replace(v.start, v.end, NONROOT),
            None => insert_user(cx, last.index),
        };
        out.push(
            d.with_help("run as a non-root user: `USER 65532:65532` before ENTRYPOINT/CMD, or a `:nonroot` base image")
                .with_fix(Fix::unsafe_edits(format!("set `USER {NONROOT}`"), vec![edit])),
        );
    }
}

/// Why the final stage may rely on root or on a user of its own, so that
/// switching users is left to a person. Looks at the stage and the stages it
/// is built FROM: files under /root or `HOME=/root`, a port below 1024, a
/// comment that says root is needed, a user created, a chown or COPY
/// --chown to another user, owner-only or setuid modes, a privilege-dropping
/// tool (su-exec, gosu, setpriv, runuser, s6, `chroot --userspec`) named
/// anywhere or in an entrypoint script copied from the build context, an
/// init system as PID 1, a VOLUME (root-owned when created).
fn relies_on_user(cx: &Context, stage: usize) -> Option<String> {
    let chain = chain(cx, stage);
    for &st in &chain {
        for (idx, ins) in cx.instructions(st) {
            if let Some(why) = instruction_relies(cx, st, idx, ins) {
                return Some(why);
            }
            for c in cx.df.comments_before(idx) {
                let t = c.text.to_ascii_lowercase();
                let says_root = t
                    .split(|ch: char| !ch.is_ascii_alphanumeric())
                    .any(|w| w == "root");
                if says_root && (t.contains("need") || t.contains("require") || t.contains("must"))
                {
                    let (line, _) = cx.df.line_col(c.span.start);
                    return Some(format!("the comment on line {line} says root is needed"));
                }
            }
        }
    }
    if let Some((path, line)) = copied_entrypoint_script(cx, &chain) {
        if let Some(tool) = script_switches_user(&path) {
            return Some(format!(
                "the entrypoint script copied on line {line} runs `{tool}`, which needs root to switch users"
            ));
        }
    }
    None
}

/// How the final stage (or a stage it is built FROM) hands its program to
/// another user after starting as root: a privilege-dropping tool
/// installed, copied or run (`su-exec` on line 44), an entrypoint script
/// from the build context that runs one, or a base running its services
/// under s6-overlay as their own users (the linuxserver.io images).
fn privilege_drop(cx: &Context, stage: usize) -> Option<String> {
    let chain = chain(cx, stage);
    for &st in &chain {
        let image = cx.stages.get(st).map(|s| s.image.to_ascii_lowercase());
        if image.is_some_and(|i| i.contains("linuxserver/") || i.contains("s6-overlay")) {
            return Some("an s6-overlay base".to_string());
        }
    }
    for &st in &chain {
        for (_, ins) in cx.instructions(st) {
            if !matches!(
                ins.kind,
                Kind::Run | Kind::Copy | Kind::Add | Kind::Entrypoint | Kind::Cmd
            ) {
                continue;
            }
            let found = ins.words().iter().find_map(|w| {
                switcher(&w.value)
                    .filter(|t| drops_root(t))
                    .map(str::to_string)
            });
            if let Some(tool) = found {
                return Some(format!("`{tool}` on line {}", ins.line));
            }
        }
    }
    let (path, line) = copied_entrypoint_script(cx, &chain)?;
    let tool = script_switches_user(&path).filter(|t| drops_root(t))?;
    Some(format!(
        "`{tool}` in the entrypoint script copied on line {line}"
    ))
}

/// Is this switcher one whose job is to drop root for another user (not
/// `su`, `sudo` or `doas`, which as often gain it)?
fn drops_root(tool: &str) -> bool {
    !matches!(tool, "su" | "sudo" | "doas")
}

/// Tools that start as root and switch to another user.
const USER_SWITCHERS: &[&str] = &[
    "su-exec",
    "gosu",
    "setpriv",
    "runuser",
    "s6-setuidgid",
    "s6-applyuidgid",
    "s6-envuidgid",
    "chpst",
    "setuidgid",
    "su",
    "sudo",
    "doas",
];

/// Programs that, as PID 1, run services as root or as their own users.
const INITS: &[&str] = &[
    "systemd",
    "init",
    "s6-svscan",
    "runsvdir",
    "supervisord",
    "openrc-init",
];

fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

fn under_root(path: &str) -> bool {
    let d = crate::go::clean(path);
    d == "/root" || d.starts_with("/root/")
}

/// A word naming a privilege-dropping tool, s6-overlay included.
fn switcher(word: &str) -> Option<&str> {
    let base = basename(word);
    if USER_SWITCHERS.contains(&base) {
        return Some(base);
    }
    word.contains("s6-overlay").then_some("s6-overlay")
}

fn instruction_relies(cx: &Context, st: usize, idx: usize, ins: &Instruction) -> Option<String> {
    let line = ins.line;
    let vars = || cx.vars_at(st, idx);
    match ins.kind {
        Kind::Workdir | Kind::Copy | Kind::Add => {
            if let Some(chown) = ins.flag("chown").and_then(|f| f.value.as_deref()) {
                let user = chown.split(':').next().unwrap_or(chown);
                if !user.is_empty() && !is_nonroot_target(user) && !crate::go::is_root_user(user) {
                    return Some(format!("line {line} gives files to `{user}`"));
                }
            }
            let w = ins.words().pop()?;
            let v = crate::go::expand(&w.value, &vars());
            let at = if v.starts_with('/') {
                Some(v)
            } else {
                crate::go::workdir_at(cx, st, idx).map(|d| format!("{d}/{v}"))
            };
            if at.as_deref().is_some_and(under_root) {
                return Some(format!("line {line} puts files under /root"));
            }
            if ins.kind != Kind::Workdir {
                let words = ins.words();
                let sources = &words[..words.len().saturating_sub(1)];
                if let Some(tool) = sources.iter().find_map(|w| switcher(&w.value)) {
                    return Some(format!(
                        "line {line} copies `{tool}`, which needs root to switch users"
                    ));
                }
            }
        }
        Kind::Expose => {
            let vars = vars();
            for w in ins.words() {
                let v = crate::go::expand(&w.value, &vars);
                let port = v.split(['/', '-']).next().unwrap_or(&v);
                if port.parse::<u32>().is_ok_and(|p| p > 0 && p < 1024) {
                    return Some(format!(
                        "line {line} exposes port {port}, which only root may bind"
                    ));
                }
            }
        }
        Kind::Volume => {
            return Some(format!(
                "line {line} declares a VOLUME, which the runtime creates owned by root"
            ));
        }
        Kind::Env | Kind::Arg => {
            for kv in ins.key_values() {
                let Some(value) = kv.value.as_deref() else {
                    continue;
                };
                let value = crate::go::expand(value, &vars());
                if value.split(':').any(under_root) {
                    return Some(format!("line {line} sets {}={value}", kv.key));
                }
            }
        }
        Kind::Entrypoint | Kind::Cmd => {
            let words = ins.words();
            if let Some(first) = words.first() {
                let base = basename(&first.value);
                if INITS.contains(&base) || first.value == "/init" {
                    return Some(format!(
                        "line {line} runs `{}` as PID 1, which manages its own users",
                        first.value
                    ));
                }
            }
            if let Some(why) = commands_rely(ins, line) {
                return Some(why);
            }
            let vars = vars();
            for w in &words {
                let v = crate::go::expand(&w.value, &vars);
                let path = v.split_once('=').map_or(v.as_str(), |(_, p)| p);
                if path.starts_with('/') && under_root(path) {
                    return Some(format!("line {line} uses {path}"));
                }
            }
        }
        Kind::Run => return commands_rely(ins, line),
        _ => {}
    }
    None
}

/// `65532`, the user the fix sets, with or without its group.
fn is_nonroot_target(user: &str) -> bool {
    user == "65532" || user == "nonroot"
}

/// A RUN (or shell-form ENTRYPOINT/CMD) whose commands create a user, chown
/// to another one, restrict files to their owner, or name a tool that
/// switches users.
fn commands_rely(ins: &Instruction, line: usize) -> Option<String> {
    for c in ins.commands() {
        let name = c.name();
        let args: Vec<&str> = c.words.iter().skip(1).map(|w| w.value.as_str()).collect();
        match name {
            "useradd" | "adduser" => {
                return Some(format!("line {line} creates a user for the program"));
            }
            "chown" => {
                let owner = args.iter().find(|a| !a.starts_with('-'));
                if let Some(owner) = owner {
                    let user = owner.split([':', '.']).next().unwrap_or(owner);
                    if !is_nonroot_target(user) {
                        return Some(format!("line {line} runs `chown {owner}`"));
                    }
                }
            }
            "chmod" => {
                let mode = args.iter().find(|a| !a.starts_with('-'));
                if let Some(mode) = mode.filter(|m| owner_only_mode(m)) {
                    return Some(format!(
                        "line {line} runs `chmod {mode}`, which leaves other users out"
                    ));
                }
            }
            "chroot" if args.iter().any(|a| a.starts_with("--userspec")) => {
                return Some(format!(
                    "line {line} runs `chroot --userspec`, which needs root"
                ));
            }
            _ => {}
        }
        if let Some(tool) = c.words.iter().find_map(|w| switcher(&w.value)) {
            return Some(format!(
                "line {line} uses `{tool}`, which needs root to switch users"
            ));
        }
    }
    None
}

/// A mode that gives others no access, or sets setuid/setgid.
fn owner_only_mode(mode: &str) -> bool {
    if mode.chars().all(|c| c.is_ascii_digit()) && !mode.is_empty() {
        let Ok(bits) = u32::from_str_radix(mode, 8) else {
            return false;
        };
        return bits & 0o7 == 0 || bits & 0o6000 != 0;
    }
    mode.split(',').any(|clause| {
        let who: String = clause.chars().take_while(|c| "ugoa".contains(*c)).collect();
        let rest = &clause[who.len()..];
        (rest.starts_with('+') && rest.contains('s'))
            || (who.contains('o') && (rest.starts_with('-') || rest == "="))
            || (who.contains('o') && rest.starts_with('=') && !rest.contains('r'))
    })
}

/// The user a RUN in the final stage (or its FROM chain) creates with
/// useradd or adduser, and its line.
fn created_user(cx: &Context, stage: usize) -> Option<(String, usize)> {
    // Options of useradd and adduser (Debian and busybox) that take a value.
    const VALUED: &[&str] = &[
        "-u",
        "-g",
        "-G",
        "-h",
        "-s",
        "-k",
        "-K",
        "-d",
        "-c",
        "-e",
        "-f",
        "-p",
        "-b",
        "-Z",
        "--uid",
        "--gid",
        "--home",
        "--home-dir",
        "--shell",
        "--ingroup",
        "--gecos",
        "--groups",
        "--comment",
        "--password",
        "--base-dir",
        "--expiredate",
        "--inactive",
        "--key",
        "--skel",
        "--firstuid",
        "--lastuid",
        "--add-extra-groups",
        "--conf",
    ];
    for st in chain(cx, stage) {
        for (_, ins) in cx.instructions(st).filter(|(_, i)| i.kind == Kind::Run) {
            for c in ins.commands() {
                if !matches!(c.name(), "useradd" | "adduser") {
                    continue;
                }
                let mut words = c.words.iter().skip(1);
                while let Some(w) = words.next() {
                    let v = w.value.as_str();
                    if VALUED.contains(&v) {
                        words.next();
                    } else if !v.starts_with('-') && !v.contains('$') && !v.is_empty() {
                        return Some((v.to_string(), ins.line));
                    }
                }
            }
        }
    }
    None
}

/// The file of the build context that the stage copies to where its
/// ENTRYPOINT (else CMD) runs from, with the COPY's line.
fn copied_entrypoint_script(cx: &Context, chain: &[usize]) -> Option<(std::path::PathBuf, usize)> {
    let ctx = cx.context_dir?;
    let stage = *chain.first()?;
    let (_, run) = last_in_chain(cx, stage, Kind::Entrypoint)
        .or_else(|| last_in_chain(cx, stage, Kind::Cmd))?;
    let program = run.words().into_iter().next()?.value;
    for &st in chain {
        for (idx, ins) in cx.instructions(st) {
            if !matches!(ins.kind, Kind::Copy | Kind::Add) || ins.flag("from").is_some() {
                continue;
            }
            let words = ins.words();
            let [sources @ .., dest] = words.as_slice() else {
                continue;
            };
            let dest = crate::go::expand(&dest.value, &cx.vars_at(st, idx));
            let [source] = sources else { continue };
            let source = &source.value;
            let plain = !source.contains(['*', '?', '[', '$']) && !source.contains("://");
            let hit = dest == program
                || (dest.ends_with('/')
                    && program.strip_prefix(dest.as_str()) == Some(basename(source)));
            if plain && hit {
                let rel = std::path::Path::new(source.trim_start_matches('/'));
                let safe = rel.components().all(|c| {
                    matches!(
                        c,
                        std::path::Component::Normal(_) | std::path::Component::CurDir
                    )
                });
                if safe {
                    return Some((ctx.join(rel), ins.line));
                }
            }
        }
    }
    None
}

/// A user-switching tool the script runs, looked up by name in its words.
fn script_switches_user(path: &std::path::Path) -> Option<String> {
    use std::io::Read;
    // Scripts are small; a large file is not read past this.
    const LIMIT: u64 = 256 * 1024;
    let file = std::fs::File::open(path).ok()?;
    let mut text = String::new();
    file.take(LIMIT).read_to_string(&mut text).ok()?;
    text.split(|c: char| c.is_whitespace() || "\"';|&()`".contains(c))
        .find_map(|w| switcher(w).map(str::to_string))
}

/// Inserts `USER 65532:65532` before the stage's first ENTRYPOINT or CMD
/// that no RUN follows (above the comments directly over it), else at the
/// end of the file.
fn insert_user(cx: &Context, stage: usize) -> Edit {
    let instrs: Vec<(usize, &Instruction)> = cx.instructions(stage).collect();
    let last_run = instrs
        .iter()
        .filter(|(_, i)| i.kind == Kind::Run)
        .map(|(i, _)| *i)
        .max();
    let target = instrs.iter().find(|(i, ins)| {
        matches!(ins.kind, Kind::Entrypoint | Kind::Cmd) && last_run.is_none_or(|r| *i > r)
    });
    if let Some((idx, ins)) = target {
        let start = cx
            .df
            .comments_before(*idx)
            .last()
            .map_or(ins.span.start, |c| c.span.start);
        let at = cx.line_start(start);
        // Only when the instruction (or its comment) starts its line.
        if cx.df.source[at..start].trim().is_empty() {
            return Edit::insert(at, format!("USER {NONROOT}\n"));
        }
    }
    let src = &cx.df.source;
    let sep = if src.is_empty() || src.ends_with('\n') {
        ""
    } else if src.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    Edit::insert(src.len(), format!("{sep}USER {NONROOT}\n"))
}

/// A USER instruction in effect.
#[derive(Debug, Clone)]
pub(crate) struct UserLine {
    pub stage: usize,
    pub instr: usize,
    /// The value with variables expanded.
    pub value: String,
    pub value_span: Span,
}

/// Who the stage's container runs as.
#[derive(Debug, Clone)]
pub(crate) enum User {
    /// Root: by a USER line, or `None` when no USER is set and the base
    /// defaults to root.
    Root(Option<UserLine>),
    NonRoot,
    /// A USER holding a variable we cannot resolve.
    Unknown,
}

/// The user a stage runs as: its last USER, else the nearest one in the
/// stages it is built FROM, else the base image's default.
pub(crate) fn effective_user(cx: &Context, stage: usize) -> User {
    for st in chain(cx, stage) {
        let Some((idx, ins)) = cx.last_of(st, Kind::User) else {
            continue;
        };
        let Some(word) = ins.words().into_iter().next() else {
            return User::Unknown;
        };
        let value = crate::go::expand(&word.value, &cx.vars_at(st, idx));
        if value.contains('$') || value.is_empty() {
            return User::Unknown;
        }
        if crate::go::is_root_user(&value) {
            // The span of the whole value (`root:root`), words joined.
            let end = ins.words().last().map_or(word.span.end, |w| w.span.end);
            return User::Root(Some(UserLine {
                stage: st,
                instr: idx,
                value,
                value_span: Span::new(word.span.start, end),
            }));
        }
        return User::NonRoot;
    }
    if defaults_to_nonroot(cx.root_image(stage)) {
        User::NonRoot
    } else {
        User::Root(None)
    }
}

/// The stage and the stages it is built FROM, nearest first.
pub(crate) fn chain(cx: &Context, stage: usize) -> Vec<usize> {
    let mut out = vec![stage];
    let mut s = stage;
    while let Some(p) = cx.stages.get(s).and_then(|st| st.parent) {
        if p >= s || out.contains(&p) {
            break;
        }
        out.push(p);
        s = p;
    }
    out
}

/// The last instruction of `kind` in effect for a stage, looking through the
/// stages it is built FROM.
pub(crate) fn last_in_chain<'a>(
    cx: &Context<'a>,
    stage: usize,
    kind: Kind,
) -> Option<(usize, &'a Instruction)> {
    chain(cx, stage)
        .into_iter()
        .find_map(|s| cx.last_of(s, kind))
}

/// A `scratch` final stage with no ENTRYPOINT or CMD: it exports files
/// (`docker build --output`), nothing runs it.
pub(crate) fn is_export_stage(cx: &Context, stage: usize) -> bool {
    let root_scratch = cx.root_image(stage).eq_ignore_ascii_case("scratch");
    root_scratch
        && last_in_chain(cx, stage, Kind::Entrypoint).is_none()
        && last_in_chain(cx, stage, Kind::Cmd).is_none()
}
