use crate::go::{split_quoted, strip_pattern, GoCommand, Reach};
use crate::{declare_rule, Context, Diagnostic, Rule};

declare_rule! {
    /// ## What it does
    /// Flags `go build` and `go install` with `-race`, or with
    /// optimizations and inlining turned off (`-gcflags=all=-N -l`,
    /// `-gcflags '-N -l'`, on the command line or in GOFLAGS), whose binary
    /// ends up in the final image (docs/lint.md, "Reachability"; one that
    /// only may reach it is reported one severity lower).
    ///
    /// Not flagged: such builds whose output stays in a build or test stage
    /// (a debug image built as its own target, `go test -race`), and
    /// `-gcflags` without `-N` (`-l` alone only stops inlining).
    ///
    /// ## Why
    /// Severity warning: these are debugging builds. The race detector
    /// makes a program several times slower, multiplies its memory use,
    /// needs cgo (so the binary is dynamically linked and fails on
    /// `scratch`) and aborts the process on the first race it sees.
    /// `-N -l` turns off the optimizer and inlining: a slower, larger
    /// binary, made for a debugger such as Delve, that has no place in a
    /// production image.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// RUN go build -race -gcflags="all=-N -l" -o /out/app ./cmd/app
    /// FROM gcr.io/distroless/base-debian12
    /// COPY --from=build /out/app /app
    /// ```
    ///
    /// ## Fix
    /// Drop `-race` and `-gcflags=all=-N -l` from the image build; run
    /// `go test -race` in CI, and build a debug image from its own stage
    /// (`docker build --target debug`) when you need Delve.
    pub struct DebugBuildShipped {
        code: "GO010",
        name: "debug-build-in-final-image",
        severity: Warning,
        fixable: false,
        enabled: true,
    }
}

impl Rule for DebugBuildShipped {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for g in &cx.go {
            if !matches!(g.sub.as_str(), "build" | "install") {
                continue;
            }
            let what = match (race(g), no_optimizations(g)) {
                (true, true) => "-race and -gcflags=-N -l",
                (true, false) => "-race",
                (false, true) => "-gcflags=-N -l",
                (false, false) => continue,
            };
            let reach = g.reach(cx);
            if reach == Reach::No {
                continue;
            }
            out.push(
                cx.diag_reach(
                    &Self::INFO,
                    g.head_span(),
                    match reach {
                        Reach::Yes => format!(
                            "`go {}` with {what}: a debugging build ships in the final image",
                            g.sub
                        ),
                        _ => format!("`go {}` with {what}: a debugging build", g.sub),
                    },
                    reach,
                )
                .with_help("build the shipped binary without -race and -N -l; keep them for tests and a separate debug target"),
            );
        }
    }
}

fn race(g: &GoCommand) -> bool {
    g.has_flag("race")
}

/// Does `-gcflags` (the last one wins, as for the go command) hold `-N`,
/// which turns the optimizer off (usually written with `-l`)?
fn no_optimizations(g: &GoCommand) -> bool {
    g.last_flag_value("gcflags")
        .is_some_and(|v| split_quoted(strip_pattern(&v)).iter().any(|f| f == "-N"))
}
