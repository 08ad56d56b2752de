use envelope_dockerfile::Kind;

use crate::go::{go_minor, is_golang_image, GoCommand, Reach};
use crate::{declare_rule, Context, Diagnostic, Edit, Fix, Rule};

declare_rule! {
    /// ## What it does
    /// Flags `go build` and `go install` whose binary reaches a final image
    /// without a C library (`scratch`, distroless `static`, Chainguard
    /// `static`) while cgo is not disabled: CGO_ENABLED=0 is not set inline,
    /// with `env` or `export` earlier in the RUN, by ENV, by an ARG default,
    /// or with `go env -w`.
    ///
    /// Whether the binary reaches the final image is followed through the
    /// stages (docs/lint.md, "Reachability"): a binary that only may reach
    /// it, because a path on its way cannot be resolved, is reported as a
    /// warning whose message says so.
    ///
    /// Not flagged: binaries linked statically on purpose
    /// (`-extldflags -static`, `-tags netgo`), and builds on the Alpine
    /// variants of the `golang` image (Go 1.20 and later) that install no C
    /// compiler, where Go turns cgo off by itself. Nor an export stage for
    /// `docker build --output` (a `scratch` final stage of nothing but
    /// `COPY` into `/`): the binary runs on the host. A `scratch` stage
    /// with no ENTRYPOINT that copies to `/app` is still checked: the
    /// command may come from Kubernetes or `docker run`.
    ///
    /// ## Why
    /// Go defaults to CGO_ENABLED=1 when a C compiler is present, and the
    /// Debian-based `golang` images ship gcc. Any program importing `net`
    /// (every HTTP server) or `os/user` is then dynamically linked against
    /// glibc, and on a base without it the container dies at start with the
    /// baffling `exec /app: no such file or directory`: the missing file is
    /// the dynamic loader, not the binary.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// COPY . .
    /// RUN go build -o /app .
    /// FROM scratch
    /// COPY --from=build /app /app
    /// ```
    ///
    /// ## Fix
    /// Put `CGO_ENABLED=0 ` before the `go` command (applied by `--fix
    /// --unsafe-fixes`: a program using cgo builds differently, or not at
    /// all, without it), or `ENV CGO_ENABLED=0` in the build stage. If the
    /// program needs cgo (e.g. SQLite through mattn/go-sqlite3), use a
    /// base with a C library such as `gcr.io/distroless/base-debian12`
    /// instead, or link statically.
    pub struct CgoForStaticBase {
        code: "GO002",
        name: "cgo-for-static-base",
        severity: Error,
        fixable: true,
        enabled: true,
    }
}

impl Rule for CgoForStaticBase {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let Some(last) = cx.final_stage() else {
            return;
        };
        // An export stage (`docker build --output`) hands the binary to the
        // host, which has a C library.
        if cx.base_kind(last.index).has_libc() || exports_only(cx, last.index) {
            return;
        }
        let base = cx.root_image(last.index);
        for g in &cx.go {
            if !matches!(g.sub.as_str(), "build" | "install") || static_on_purpose(g) {
                continue;
            }
            // An empty value is the same as unset.
            let explicit = match g.cgo_enabled().filter(|v| !v.is_empty()) {
                Some("0") => continue,
                // Decided at build time by a value we cannot see.
                Some(v) if v.contains('$') => continue,
                Some(_) => true,
                None => {
                    if !has_c_compiler(cx, g) {
                        continue;
                    }
                    false
                }
            };
            let reach = g.reach(cx);
            if reach == Reach::No {
                continue;
            }
            let d = if explicit {
                cx.diag_reach(
                    &Self::INFO,
                    g.head_span(),
                    format!(
                        "`go {}` with CGO_ENABLED={} for a final image with no C library (`{base}`)",
                        g.sub,
                        g.cgo_enabled().unwrap_or_default()
                    ),
                    reach,
                )
                .with_help(
                    "a cgo binary needs libc at run time: use a base with one (gcr.io/distroless/base-debian12), or link statically with -ldflags '-linkmode external -extldflags -static'",
                )
            } else {
                let mut d = cx
                    .diag_reach(
                        &Self::INFO,
                        g.head_span(),
                        format!(
                            "`go {}` without CGO_ENABLED=0 for a final image with no C library (`{base}`)",
                            g.sub
                        ),
                        reach,
                    )
                    .with_help(
                        "with a C compiler present Go enables cgo, and the binary links against glibc and fails on start with \"no such file or directory\"; set CGO_ENABLED=0",
                    );
                // Exec form has no place for an assignment.
                let json = cx.df.instructions.get(g.instr).is_some_and(|i| i.is_json());
                if !json {
                    d = d.with_fix(Fix::unsafe_edits(
                        format!("set CGO_ENABLED=0 for `go {}`", g.sub),
                        vec![Edit::insert(g.go_span().start, "CGO_ENABLED=0 ")],
                    ));
                }
                d
            };
            out.push(d);
        }
    }
}

/// A `scratch` stage with nothing but `COPY ... /` (or `./`): files for
/// `docker build --output`, not an image to run.
fn exports_only(cx: &Context, stage: usize) -> bool {
    if !super::df003::is_export_stage(cx, stage) || cx.stages[stage].parent.is_some() {
        return false;
    }
    let mut copies = 0;
    for (_, instr) in cx.instructions(stage) {
        match instr.kind {
            Kind::Copy | Kind::Add => {
                let dest = instr.words().last().map(|w| w.value.clone());
                if !matches!(dest.as_deref(), Some("/" | "." | "./")) {
                    return false;
                }
                copies += 1;
            }
            Kind::Arg => {}
            _ => return false,
        }
    }
    copies > 0
}

/// `-ldflags '-extldflags "-static"'` or `-tags netgo`: a static binary is
/// asked for.
fn static_on_purpose(g: &GoCommand) -> bool {
    let ld = g.ldflags().unwrap_or_default();
    let ext_static = ld.iter().enumerate().any(|(i, w)| {
        let w = w.trim_start_matches('-');
        match w.strip_prefix("extldflags") {
            Some("") => ld.get(i + 1).is_some_and(|n| n.contains("-static")),
            Some(rest) => rest.starts_with('=') && rest.contains("-static"),
            None => false,
        }
    });
    ext_static || g.tags().iter().any(|t| t == "netgo")
}

/// Is a C compiler there for Go to find? The Debian `golang` images and
/// other bases are assumed to have one; the Alpine `golang` images (Go 1.20
/// and later, when cgo off without a compiler became the default) have one
/// only when the stage installs it or sets CC.
fn has_c_compiler(cx: &Context, g: &GoCommand) -> bool {
    let root = cx.root_image(g.stage);
    let tag = root.rsplit_once(':').map_or("", |(_, t)| t);
    let alpine = is_golang_image(root) && tag.contains("alpine");
    if !alpine || go_minor(root).is_some_and(|m| m < 20) {
        return true;
    }
    if g.var("CC").is_some_and(|cc| !cc.is_empty()) {
        return true;
    }
    for st in super::df003::chain(cx, g.stage) {
        for (idx, instr) in cx.instructions(st) {
            if st == g.stage && idx > g.instr {
                break;
            }
            if instr.kind == Kind::Run && installs_compiler(instr) {
                return true;
            }
        }
    }
    false
}

fn installs_compiler(instr: &envelope_dockerfile::Instruction) -> bool {
    instr.commands().iter().any(|c| {
        c.name() == "apk"
            && c.args().iter().any(|w| w.value == "add")
            && c.args().iter().any(|w| {
                matches!(
                    w.value.as_str(),
                    "gcc" | "build-base" | "clang" | "g++" | "tcc" | "zig"
                )
            })
    })
}
