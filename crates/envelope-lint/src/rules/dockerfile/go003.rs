use crate::go::{bool_flag, split_quoted, GoCommand, Reach};
use crate::{declare_rule, Context, Diagnostic, Edit, Fix, Rule};

/// `-trimpath` as set: the last occurrence on the command line, else GOFLAGS.
fn trimpath(g: &GoCommand) -> Option<bool> {
    let words: Vec<String> = g.args().iter().map(|w| w.value.clone()).collect();
    bool_flag(&words, "trimpath").or_else(|| {
        bool_flag(
            &split_quoted(g.var("GOFLAGS").unwrap_or_default()),
            "trimpath",
        )
    })
}

declare_rule! {
    /// ## What it does
    /// Flags `go build` and `go install` without `-trimpath` (on the command
    /// line or in GOFLAGS) whose binary reaches the final image, followed
    /// through the stages as for GO004 (docs/lint.md, "Reachability"); a
    /// binary that only may reach it is reported one severity lower, with
    /// a message that says so. Compile checks that write nothing (`-o
    /// /dev/null`, `go build ./...`) and tools built for the build itself
    /// (a code generator, a test runner) that never reach the final image
    /// are not flagged: their paths and reproducibility ship nowhere.
    ///
    /// ## Why
    /// Without it the binary records the absolute paths of the build machine
    /// (`/go/src/app/...`, `/root/go/pkg/mod/...`) in its file table and
    /// stack traces, the binary differs from one build directory to the next,
    /// so builds are not reproducible, and it tells an attacker about the
    /// build host.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app
    /// ```
    ///
    /// ## Fix
    /// Add `-trimpath` after `go build` (applied by `--fix`, in the exec form
    /// as a new `"-trimpath"` item), or set
    /// `ENV GOFLAGS=-trimpath` in the build stage.
    pub struct NoTrimpath {
        code: "GO003",
        name: "go-build-without-trimpath",
        severity: Warning,
        fixable: true,
        enabled: true,
    }
}

impl Rule for NoTrimpath {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for g in &cx.go {
            let set = trimpath(g);
            if !matches!(g.sub.as_str(), "build" | "install") || set == Some(true) {
                continue;
            }
            // A compile check (`-o /dev/null`, `go build ./...`) ships nothing.
            if g.output(cx) == crate::go::Output::Discarded {
                continue;
            }
            let reach = g.reach(cx);
            if reach == Reach::No {
                continue;
            }
            let mut d = cx
                .diag_reach(
                    &Self::INFO,
                    g.head_span(),
                    format!("`go {}` without -trimpath", g.sub),
                    reach,
                )
                .with_help(
                    "-trimpath removes build-machine paths from the binary and makes it reproducible",
                );
            // In exec form the words are JSON strings: a new one goes after
            // the subcommand's. In a `sh -c` script, inside a JSON string or
            // not, a word goes in as text. An explicit -trimpath=false is a
            // choice to undo by hand.
            let exec_form = cx.df.instructions.get(g.instr).is_some_and(|i| {
                i.is_json() && i.words().first().map(|w| w.span) == Some(g.go_span())
            });
            let content = if exec_form {
                ", \"-trimpath\""
            } else {
                " -trimpath"
            };
            if set.is_none() {
                d = d.with_fix(Fix::safe(
                    format!("add -trimpath after `go {}`", g.sub),
                    vec![Edit::insert(g.sub_span().end, content)],
                ));
            }
            out.push(d);
        }
    }
}
