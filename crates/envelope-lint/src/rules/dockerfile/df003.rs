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
    /// `--fix` sets `USER 65532:65532` (the `nonroot` user of distroless and
    /// Chainguard images, needing no passwd entry): it replaces a final
    /// `USER root` that no RUN follows, and otherwise inserts the line before
    /// the final stage's ENTRYPOINT or CMD, or at the end of the file. Files
    /// the program writes must then be writable by that user (`COPY
    /// --chown=65532:65532`), or use a `:nonroot` base.
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
        let d = cx.diag(&Self::INFO, span, message);
        // The fix would break a stage that visibly relies on root.
        if let Some(why) = needs_root(cx, last.index) {
            out.push(d.with_help(format!(
                "run as a non-root user (`USER 65532:65532` before ENTRYPOINT/CMD, or a `:nonroot` base image); not fixed automatically: {why}"
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

/// Why the final stage may rely on root, so that switching users is left to
/// a person: files under /root (WORKDIR or a COPY/ADD destination), a port
/// below 1024, or a comment that says root is needed.
fn needs_root(cx: &Context, stage: usize) -> Option<String> {
    for st in chain(cx, stage) {
        for (idx, ins) in cx.instructions(st) {
            let under_root = |dir: &str| {
                let d = crate::go::clean(dir);
                d == "/root" || d.starts_with("/root/")
            };
            match ins.kind {
                Kind::Workdir | Kind::Copy | Kind::Add => {
                    let Some(w) = ins.words().pop() else { continue };
                    let v = crate::go::expand(&w.value, &cx.vars_at(st, idx));
                    let at = if v.starts_with('/') {
                        Some(v)
                    } else {
                        crate::go::workdir_at(cx, st, idx).map(|d| format!("{d}/{v}"))
                    };
                    if at.as_deref().is_some_and(under_root) {
                        return Some(format!("line {} puts files under /root", ins.line));
                    }
                }
                Kind::Expose => {
                    let vars = cx.vars_at(st, idx);
                    for w in ins.words() {
                        let v = crate::go::expand(&w.value, &vars);
                        let port = v.split(['/', '-']).next().unwrap_or(&v);
                        if port.parse::<u32>().is_ok_and(|p| p > 0 && p < 1024) {
                            return Some(format!(
                                "line {} exposes port {port}, which only root may bind",
                                ins.line
                            ));
                        }
                    }
                }
                _ => {}
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
    None
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
