use envelope_dockerfile::{Instruction, Kind};

use super::df003::{chain, last_in_chain};
use crate::go::Reach;
use crate::image::BaseKind;
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags a final stage on a full OS image (debian, ubuntu, alpine,
    /// busybox, fedora, a distroless `:debug` image...) whose program is a
    /// static Go binary: a `go build` or `go install` with `CGO_ENABLED=0`
    /// in effect, in another stage, whose output is copied into the final
    /// image. The finding says which packages the stage installs, if any,
    /// so you can check whether the program needs them at run time. The
    /// binary is followed as GO002 follows it (docs/lint.md,
    /// "Reachability"), variables such as `$TARGETARCH` in its path
    /// resolved; one that only may reach the final image gives an info.
    ///
    /// Not flagged: a final stage that needs the OS to start: it runs a
    /// shell script, a shell, a shell-form command line using shell syntax,
    /// or an init or user-switching tool (`ENTRYPOINT ["/entrypoint.sh"]`,
    /// `CMD ["sh", "-c", ...]`, `tini`, `dumb-init`, `gosu`, `su-exec`), or
    /// copies `*.sh` files from the build context. Also not flagged: builds
    /// where cgo may be on, and a final stage on the Go toolchain image or
    /// running `go build` itself, which GO001 reports.
    ///
    /// ## Why
    /// A binary built with CGO_ENABLED=0 needs no C library, no shell and
    /// no package manager. A full OS base adds tens to hundreds of megabytes
    /// and every package in it is attack surface and a line in every
    /// vulnerability scan, for nothing the program uses. CA certificates
    /// and time zone data, the usual reasons to keep an OS, are in
    /// distroless `static` already.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app
    /// FROM alpine:3.20
    /// RUN apk add --no-cache ca-certificates
    /// COPY --from=build /out/app /app
    /// ENTRYPOINT ["/app"]
    /// ```
    ///
    /// ## Fix
    /// Use `gcr.io/distroless/static-debian12:nonroot` (CA certificates,
    /// tzdata, a nonroot user, no shell) or `scratch` (copy
    /// `/etc/ssl/certs/ca-certificates.crt` from the build stage if the
    /// program makes TLS calls).
    pub struct FullOsFinalStage {
        code: "DF008",
        name: "full-os-final-stage",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

const HELP: &str = "a static Go binary needs no OS: use gcr.io/distroless/static-debian12:nonroot (CA certificates and tzdata included) or scratch";

impl Rule for FullOsFinalStage {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(last) = cx.final_stage() else {
            return;
        };
        // Toolchain finals are GO001's.
        if cx.base_kind(last.index) != BaseKind::FullOs {
            return;
        }
        let chain = chain(cx, last.index);
        if cx.go.iter().any(|g| chain.contains(&g.stage)) {
            return;
        }
        let reach = cx
            .go
            .iter()
            .filter(|g| {
                matches!(g.sub.as_str(), "build" | "install") && g.cgo_enabled() == Some("0")
            })
            .map(|g| g.reach(cx))
            .max()
            .unwrap_or(Reach::No);
        if reach == Reach::No || needs_shell(cx, last.index, &chain) {
            return;
        }
        let Some(word) = &last.image_word else {
            return;
        };
        let root = cx.root_image(last.index);
        let packages = installed(cx, &chain);
        let mut message = if last.parent.is_some() {
            format!(
                "the final stage is built on the full OS image `{root}` to run a static Go binary"
            )
        } else {
            format!("`{root}` is a full OS image for a static Go binary")
        };
        if !packages.is_empty() {
            let shown: Vec<String> = packages.iter().take(4).map(|p| format!("`{p}`")).collect();
            let more = if packages.len() > 4 { ", ..." } else { "" };
            message.push_str(&format!(
                "; check whether the program needs the packages installed ({}{more})",
                shown.join(", ")
            ));
        }
        out.push(
            cx.diag_reach(&Self::INFO, word.span, message, reach)
                .with_help(HELP),
        );
    }
}

/// Does the final stage start a shell or a script, or carry scripts?
fn needs_shell(cx: &Context, stage: usize, chain: &[usize]) -> bool {
    let starts_shell = |ins: &Instruction| {
        let words = ins.words();
        let Some(first) = words.first() else {
            return false;
        };
        if !ins.is_json() {
            // Shell form: shell syntax, or a script among its commands.
            let text = ins.raw.text.trim();
            return text.contains(|c: char| "$'\"|&;<>*?`(){}".contains(c))
                || ins.commands().iter().any(|c| script(c.name()));
        }
        script(first.value.rsplit('/').next().unwrap_or(&first.value))
    };
    let runs = [Kind::Entrypoint, Kind::Cmd]
        .into_iter()
        .filter_map(|k| last_in_chain(cx, stage, k))
        .any(|(_, ins)| starts_shell(ins));
    let copies_scripts = chain
        .iter()
        .flat_map(|&s| cx.instructions(s))
        .any(|(_, ins)| {
            matches!(ins.kind, Kind::Copy | Kind::Add)
                && ins.flag("from").is_none()
                && ins.words().iter().any(|w| w.value.ends_with(".sh"))
        });
    runs || copies_scripts
}

fn script(name: &str) -> bool {
    name.ends_with(".sh")
        || matches!(
            name,
            "sh" | "bash" | "ash" | "dash" | "zsh" | "tini" | "dumb-init" | "su-exec" | "gosu"
        )
}

/// The packages `apt-get install`, `apt install`, `apk add`, `dnf/yum
/// install` put into the stages.
fn installed(cx: &Context, chain: &[usize]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for &s in chain.iter().rev() {
        for (_, ins) in cx.instructions(s) {
            if ins.kind != Kind::Run {
                continue;
            }
            for c in ins.commands() {
                let args: Vec<&str> = c.args().iter().map(|w| w.value.as_str()).collect();
                let verb = match c.name() {
                    "apt-get" | "apt" | "dnf" | "yum" | "microdnf" => "install",
                    "apk" => "add",
                    _ => continue,
                };
                let Some(at) = args.iter().position(|a| *a == verb) else {
                    continue;
                };
                let mut skip = false;
                for a in &args[at + 1..] {
                    if std::mem::take(&mut skip) {
                        continue;
                    }
                    // Options that take the next word (`--virtual .deps`).
                    if matches!(*a, "--virtual" | "-t" | "-o" | "--repository" | "-X") {
                        skip = true;
                        continue;
                    }
                    if a.starts_with('-') || a.contains('$') || out.iter().any(|p| p == a) {
                        continue;
                    }
                    out.push((*a).to_string());
                }
            }
        }
    }
    out
}
