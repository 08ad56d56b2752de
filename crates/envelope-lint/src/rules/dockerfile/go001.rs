use envelope_dockerfile::{Instruction, Kind};

use crate::go::{is_remote_package, GoCommand};
use crate::image::BaseKind;
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags a final stage (the last one, which `docker build` builds by
    /// default) that is the Go toolchain image (`golang:*`,
    /// `cgr.dev/chainguard/go`, directly or through `FROM <stage>`), or that
    /// runs `go build`/`go install` itself: a build that is not split into a
    /// build stage and a runtime stage.
    ///
    /// A toolchain image that copies nothing and builds nothing (a CI or
    /// tools image that only `go install`s remote tools, which need the
    /// toolchain to run) is taken to be a build environment and not flagged.
    ///
    /// ## Why
    /// The toolchain image is hundreds of megabytes of compiler, C toolchain,
    /// package manager and shell, all shipped to production with the source
    /// code and the module cache. Every one of those packages is attack
    /// surface and shows up in vulnerability scans, while the program itself
    /// needs none of it.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23
    /// WORKDIR /src
    /// COPY . .
    /// RUN go build -o /app .
    /// CMD ["/app"]
    /// ```
    ///
    /// ## Fix
    /// Build in a named stage and copy only the binary into a small runtime
    /// stage:
    ///
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// WORKDIR /src
    /// COPY . .
    /// RUN CGO_ENABLED=0 go build -o /app .
    ///
    /// FROM gcr.io/distroless/static-debian12
    /// COPY --from=build /app /app
    /// CMD ["/app"]
    /// ```
    pub struct ToolchainFinalStage {
        code: "GO001",
        name: "toolchain-final-stage",
        severity: Error,
        fixable: false,
        enabled: true,
    }
}

const HELP: &str = "build in a `golang` stage, then `COPY --from=` only the binary into a runtime stage such as gcr.io/distroless/static-debian12 or scratch";

impl Rule for ToolchainFinalStage {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(last) = cx.final_stage() else {
            return;
        };
        let chain = chain(cx, last.index);
        let go: Vec<&GoCommand> = cx.go.iter().filter(|g| chain.contains(&g.stage)).collect();
        if cx.base_kind(last.index) == BaseKind::Toolchain {
            let copies = chain.iter().any(|&s| {
                cx.instructions(s)
                    .any(|(_, i)| matches!(i.kind, Kind::Copy | Kind::Add))
            });
            let builds = go.iter().any(|g| match g.sub.as_str() {
                "build" | "run" => true,
                "install" => g.packages().iter().all(|p| !is_remote_package(&p.value)),
                _ => false,
            });
            if !copies && !builds {
                return;
            }
            let Some(word) = &last.image_word else {
                return;
            };
            let root = cx.root_image(last.index);
            let message = if last.parent.is_some() {
                format!(
                    "the final stage builds on `{}`, the Go toolchain image `{root}`: the image ships the toolchain",
                    last.image
                )
            } else {
                format!("the final stage is the Go toolchain image `{root}`: the image ships the toolchain")
            };
            out.push(cx.diag(&Self::INFO, word.span, message).with_help(HELP));
            return;
        }
        // Another base with Go installed into it: the build runs in the final
        // image, unless the same RUN removes the toolchain again.
        let Some(g) = go.iter().find(|g| {
            matches!(g.sub.as_str(), "build" | "install")
                && !cx
                    .df
                    .instructions
                    .get(g.instr)
                    .is_some_and(removes_toolchain)
        }) else {
            return;
        };
        out.push(
            cx.diag(
                &Self::INFO,
                g.head_span(),
                format!(
                    "`go {}` in the final stage: the image ships the Go toolchain",
                    g.sub
                ),
            )
            .with_help(HELP),
        );
    }
}

/// The stage and the stages it is built FROM, nearest first.
fn chain(cx: &Context, stage: usize) -> Vec<usize> {
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

/// `apk del go`, `apt-get purge golang-go`, `rm -rf /usr/local/go`.
fn removes_toolchain(instr: &Instruction) -> bool {
    instr.commands().iter().any(|c| {
        let args: Vec<&str> = c.args().iter().map(|w| w.value.as_str()).collect();
        let go_pkg = |a: &&str| *a == "go" || a.starts_with("golang") || a.starts_with("go1");
        match c.name() {
            "apk" => args.first() == Some(&"del") && args.iter().any(go_pkg),
            "apt-get" | "apt" => {
                args.iter().any(|a| matches!(*a, "remove" | "purge")) && args.iter().any(go_pkg)
            }
            "rm" => args
                .iter()
                .any(|a| a.trim_end_matches('/') == "/usr/local/go"),
            _ => false,
        }
    })
}
