use envelope_dockerfile::{Instruction, Kind, Span, Word};

use super::df003::chain;
use crate::{declare_rule, Context, Diagnostic, Edit, Fix, Rule};

declare_rule! {
    /// ## What it does
    /// In a final stage whose base has no shell (`scratch`, distroless
    /// images other than `:debug`, Chainguard `static` and
    /// `glibc-dynamic`), flags what needs `/bin/sh`:
    ///
    /// - a shell-form ENTRYPOINT or CMD (`CMD /app serve`), which Docker runs
    ///   as `/bin/sh -c "/app serve"`; with an exec-form ENTRYPOINT, a
    ///   shell-form CMD reaches it as `/bin/sh -c ...` arguments;
    /// - a shell-form `HEALTHCHECK CMD`, or an exec-form one that runs
    ///   `curl`, `wget` or a shell;
    /// - a shell-form RUN, or an exec-form RUN of a shell or of a common
    ///   tool (`mkdir`, `chown`, `apt-get`...) these bases do not have.
    ///
    /// Only the ENTRYPOINT, CMD and HEALTHCHECK in effect count (a later one
    /// replaces an earlier one, also across `FROM <stage>`). Nothing is
    /// flagged when the Dockerfile sets a SHELL or copies a shell or busybox
    /// into the image, and a tool the healthcheck runs is fine when it is
    /// copied in.
    ///
    /// ## Why
    /// The container fails at start with `exec: "/bin/sh": stat /bin/sh: no
    /// such file or directory`, or the build fails at the RUN, or the
    /// healthcheck fails forever and the orchestrator restarts a healthy
    /// container. Exec form also makes the program PID 1, so it receives
    /// SIGTERM on `docker stop` instead of being killed after the timeout.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM gcr.io/distroless/static-debian12:nonroot
    /// COPY --from=build /app /app
    /// HEALTHCHECK CMD curl -f http://localhost:8080/healthz || exit 1
    /// CMD /app serve
    /// ```
    ///
    /// ## Fix
    /// Use the exec form: `CMD ["/app", "serve"]`. `--fix` rewrites a
    /// shell-form ENTRYPOINT or CMD made only of plain words (no variables,
    /// quotes, globs, pipes or redirections; for an ENTRYPOINT, only when
    /// no CMD is in effect, which the exec form would start passing to it).
    /// For a healthcheck, build the check into the program
    /// (`HEALTHCHECK CMD ["/app", "healthcheck"]`) or rely on the
    /// orchestrator's probes. Do RUN work in a build stage and COPY the
    /// result.
    pub struct NeedsShell {
        code: "DF006",
        name: "needs-missing-shell",
        severity: Error,
        fixable: true,
        enabled: true,
    }
}

/// Shells and tools a shell-less base does not have.
const SHELLS: [&str; 7] = ["sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"];
const TOOLS: [&str; 22] = [
    "curl", "wget", "apt-get", "apt", "apk", "dnf", "yum", "microdnf", "mkdir", "chmod", "chown",
    "ln", "cp", "mv", "rm", "echo", "cat", "touch", "useradd", "adduser", "addgroup", "groupadd",
];

/// Words the shell runs itself: no program by that name exists.
const SHELL_BUILTINS: [&str; 12] = [
    "exec", "cd", "export", "set", "source", ".", "eval", "ulimit", "umask", "trap", "unset",
    "wait",
];

impl Rule for NeedsShell {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(last) = cx.final_stage() else {
            return;
        };
        if cx.base_kind(last.index).has_shell() {
            return;
        }
        let chain = chain(cx, last.index);
        let all: Vec<(usize, &Instruction)> = chain
            .iter()
            .rev()
            .flat_map(|&s| cx.instructions(s))
            .collect();
        if all.iter().any(|(_, i)| i.kind == Kind::Shell) || copies_shell(&all) {
            return;
        }
        let root = cx.root_image(last.index);

        // The ENTRYPOINT and CMD in effect. An ENTRYPOINT resets the CMD of
        // the stage it builds on.
        let pos = |kind: Kind| {
            chain
                .iter()
                .enumerate()
                .find_map(|(p, &s)| cx.last_of(s, kind).map(|(i, ins)| (p, i, ins)))
        };
        let entrypoint = pos(Kind::Entrypoint);
        let cmd = pos(Kind::Cmd).filter(|(pc, _, _)| entrypoint.is_none_or(|(pe, _, _)| pc <= &pe));
        match entrypoint {
            Some((_, _, ep)) if !ep.is_json() => {
                let fix = if cmd.is_none() { exec_form(ep) } else { None };
                out.push(self.entry(
                    cx,
                    ep,
                    format!("shell-form ENTRYPOINT runs /bin/sh -c, which `{root}` does not have"),
                    fix,
                ));
            }
            _ => {
                if let Some((_, _, c)) = cmd.filter(|(_, _, c)| !c.is_json()) {
                    let message = if entrypoint.is_some() {
                        format!("shell-form CMD reaches the ENTRYPOINT as `/bin/sh -c ...` arguments, and `{root}` has no shell")
                    } else {
                        format!("shell-form CMD runs /bin/sh -c, which `{root}` does not have")
                    };
                    out.push(self.entry(cx, c, message, exec_form(c)));
                }
            }
        }

        if let Some((_, hc)) = chain.iter().find_map(|&s| cx.last_of(s, Kind::Healthcheck)) {
            self.healthcheck(cx, hc, &all, root, out);
        }

        for (_, ins) in &all {
            if ins.kind != Kind::Run || mounts_from(ins) {
                continue;
            }
            match ins.words().first() {
                _ if !ins.is_json() => out.push(
                    cx.diag(
                        &Self::INFO,
                        ins.keyword_span,
                        format!("shell-form RUN needs /bin/sh, which `{root}` does not have"),
                    )
                    .with_help(
                        "do this work in a build stage and COPY the result into the final stage",
                    ),
                ),
                Some(w) => {
                    let name = base_name(&w.value);
                    if SHELLS.contains(&name) || TOOLS.contains(&name) {
                        out.push(
                            cx.diag(&Self::INFO, w.span, format!("RUN runs `{name}`, which `{root}` does not have"))
                                .with_help("do this work in a build stage and COPY the result into the final stage"),
                        );
                    }
                }
                None => {}
            }
        }
    }
}

impl NeedsShell {
    fn entry(
        &self,
        cx: &Context,
        ins: &Instruction,
        message: String,
        fix: Option<Fix>,
    ) -> Diagnostic {
        let kw = ins.kind.name();
        let help = match &fix {
            Some(f) => format!("use the exec form: `{kw} {}`", f.edits[0].content),
            None => format!("use the exec form: `{kw} [\"/app\", \"arg\"]`"),
        };
        let span = trimmed_span(ins).unwrap_or(ins.keyword_span);
        let d = cx.diag(&Self::INFO, span, message).with_help(help);
        match fix {
            Some(f) => d.with_fix(f),
            None => d,
        }
    }

    fn healthcheck(
        &self,
        cx: &Context,
        hc: &Instruction,
        all: &[(usize, &Instruction)],
        root: &str,
        out: &mut Vec<Diagnostic>,
    ) {
        let text = &hc.raw.text;
        let lead = text.len() - text.trim_start().len();
        let rest = &text[lead..];
        if !rest.get(..3).is_some_and(|k| k.eq_ignore_ascii_case("CMD")) {
            return;
        }
        let end = text.trim_end().len();
        let span = hc.raw.source_span(lead, end);
        let command = rest[3..].trim();
        let help = "build the check into the program (`HEALTHCHECK CMD [\"/app\", \"healthcheck\"]`) or use the orchestrator's probes";
        if !command.starts_with('[') {
            out.push(
                cx.diag(
                    &Self::INFO,
                    span,
                    format!("shell-form HEALTHCHECK runs /bin/sh -c, which `{root}` does not have"),
                )
                .with_help(help),
            );
            return;
        }
        // Read the JSON array as the parser reads a CMD.
        let probe = envelope_dockerfile::parse(format!("FROM x\nCMD {command}\n").as_bytes());
        let Some(argv0) = probe
            .instructions
            .get(1)
            .filter(|i| i.is_json())
            .and_then(|i| i.words().into_iter().next())
        else {
            return;
        };
        let name = base_name(&argv0.value);
        let tool = SHELLS.contains(&name) || matches!(name, "curl" | "wget");
        if !tool || copies_named(all, name) {
            return;
        }
        out.push(
            cx.diag(
                &Self::INFO,
                span,
                format!("HEALTHCHECK runs `{name}`, which `{root}` does not have"),
            )
            .with_help(help),
        );
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The span of the instruction's arguments, surrounding blanks left out.
fn trimmed_span(ins: &Instruction) -> Option<Span> {
    let t = &ins.raw.text;
    let start = t.len() - t.trim_start().len();
    let end = t.trim_end().len();
    (end > start).then(|| ins.raw.source_span(start, end))
}

/// The exec form of a shell-form ENTRYPOINT/CMD made of plain words only.
fn exec_form(ins: &Instruction) -> Option<Fix> {
    let text = ins.raw.text.trim();
    let plain = !text.is_empty()
        && ins.heredocs.is_empty()
        && !text.contains(|c: char| "$'\"|&;<>*?`()\\#~{}[]!\n\r".contains(c));
    if !plain {
        return None;
    }
    let span = trimmed_span(ins)?;
    let mut words: Vec<&str> = text.split_whitespace().collect();
    // `exec /app` is what the exec form does anyway.
    if words.first() == Some(&"exec") {
        words.remove(0);
    }
    // `VAR=x /app` sets a variable, a shell builtin needs the shell: the
    // exec form would run a program of that name.
    let first = words.first()?;
    if first.contains('=') || SHELL_BUILTINS.contains(first) {
        return None;
    }
    let json = format!(
        "[{}]",
        words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Some(Fix::safe(
        format!("rewrite {} in exec form", ins.kind.name()),
        vec![Edit::replace(span.start, span.end, json)],
    ))
}

/// Does a COPY/ADD bring a shell in (`/bin/sh`, busybox, a whole `/bin`)?
fn copies_shell(all: &[(usize, &Instruction)]) -> bool {
    copy_words(all).any(|w| {
        let v = crate::go::clean(w.value.trim_end_matches('/'));
        SHELLS.contains(&base_name(&v)) || matches!(v.as_str(), "/bin" | "/usr/bin" | "/busybox")
    })
}

/// Does a COPY/ADD bring in a file with this name?
fn copies_named(all: &[(usize, &Instruction)], name: &str) -> bool {
    copy_words(all).any(|w| base_name(w.value.trim_end_matches('/')) == name)
}

fn copy_words<'a>(all: &'a [(usize, &'a Instruction)]) -> impl Iterator<Item = Word> + 'a {
    all.iter()
        .filter(|(_, i)| matches!(i.kind, Kind::Copy | Kind::Add))
        .flat_map(|(_, i)| i.words())
}

/// A RUN with a mount from another stage or image may bring its own shell.
fn mounts_from(ins: &Instruction) -> bool {
    ins.flags
        .iter()
        .filter(|f| f.name == "mount")
        .any(|f| f.fields().iter().any(|(k, _)| k == "from"))
}
