use envelope_dockerfile::Span;

use crate::go::{bool_flag, go_minor, split_quoted, strip_pattern, FlagUse, GoCommand, Reach};
use crate::{declare_rule, Context, Diagnostic, Edit, Fix, Rule};

declare_rule! {
    /// ## What it does
    /// Flags `go build` and `go install` whose binary reaches the final image
    /// while their `-ldflags` (on the command line, else in GOFLAGS) lack
    /// `-s` (no symbol table) and `-w` (no DWARF debug data). From Go 1.22
    /// `-s` implies `-w`, so `-s` alone is enough unless the build stage's
    /// `golang` tag names an older Go.
    ///
    /// Whether the binary reaches the final image is followed through the
    /// stages (docs/lint.md, "Reachability"); a binary that only may reach
    /// it is reported as an info whose message says so.
    ///
    /// Not flagged: builds whose output never reaches the final image (a
    /// `go build ./...` check, `-o /dev/null`, a test stage, a tool installed
    /// but not copied), debug builds (`-gcflags=all="-N -l"`), `-race` and
    /// `-cover` builds, an explicit `-s=false` or `-w=false`, and `-ldflags`
    /// coming from a variable whose value is unknown.
    ///
    /// ## Why
    /// The symbol table and DWARF data are only read by debuggers and
    /// profilers; they are typically 25–35% of a Go binary, shipped and
    /// pulled with every image. Panics and stack traces still show function
    /// names, files and lines without them, because those come from a
    /// separate table that `-s -w` keeps.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN go build -ldflags="-X main.version=1.2.3" -o /out/app ./cmd/app
    /// ```
    ///
    /// ## Fix
    /// Add `-s -w` to `-ldflags` (applied by `--fix`: inside an existing
    /// `-ldflags` value, keeping its quotes, or as a new
    /// `-ldflags="-s -w"`). When `-ldflags` comes from GOFLAGS, add them
    /// there.
    pub struct NoStripFlags {
        code: "GO004",
        name: "go-build-without-strip",
        severity: Warning,
        fixable: true,
        enabled: true,
    }
}

const HELP: &str = "-s -w drop the symbol table and DWARF debug data, typically 25–35% of the binary; stack traces keep their files and lines";

impl Rule for NoStripFlags {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for g in &cx.go {
            if !matches!(g.sub.as_str(), "build" | "install")
                || g.has_flag("race")
                || g.has_flag("cover")
                || debug_build(g)
            {
                continue;
            }
            let uses = g.flag_uses("ldflags");
            let (words, from_goflags) = match uses.last() {
                Some(u) => (
                    split_quoted(strip_pattern(&crate::go::expand(&u.value, &g.env))),
                    false,
                ),
                None => match g.goflags_value("ldflags") {
                    Some(v) => (split_quoted(strip_pattern(&v)), true),
                    None => (Vec::new(), false),
                },
            };
            // A whole word from an unknown variable could hold anything.
            if words.iter().any(|w| w.starts_with('$')) {
                continue;
            }
            let s = bool_flag(&words, "s");
            let w = bool_flag(&words, "w");
            if s == Some(false) || w == Some(false) {
                continue;
            }
            let s_implies_w = go_minor(cx.root_image(g.stage)).is_none_or(|m| m >= 22);
            let need_s = s.is_none();
            let need_w = w.is_none() && !(s == Some(true) && s_implies_w);
            if !(need_s || need_w) {
                continue;
            }
            let reach = g.reach(cx);
            if reach == Reach::No {
                continue;
            }
            let (missing, message) = match (need_s, need_w) {
                (true, true) => (
                    "-s -w",
                    format!(
                        "`go {}` without -s -w in -ldflags: the binary keeps its symbol table and DWARF debug data",
                        g.sub
                    ),
                ),
                (true, false) => (
                    "-s",
                    format!(
                        "`go {}` without -s in -ldflags: the binary keeps its symbol table",
                        g.sub
                    ),
                ),
                _ => (
                    "-w",
                    format!(
                        "`go {}` without -w in -ldflags: before Go 1.22, -s alone keeps the DWARF debug data",
                        g.sub
                    ),
                ),
            };
            let span = match uses.last() {
                Some(u) => Span::new(
                    u.flag.span.start,
                    u.value_word
                        .as_ref()
                        .map_or(u.flag.span.end, |v| v.span.end),
                ),
                None => g.head_span(),
            };
            let mut d = cx.diag_reach(&Self::INFO, span, message, reach);
            if from_goflags {
                d = d.with_help(format!(
                    "{HELP}; here -ldflags comes from GOFLAGS, add {missing} there"
                ));
            } else {
                d = d.with_help(HELP);
                let edits = match uses.as_slice() {
                    [] => insert_ldflags(cx, g),
                    [u] => {
                        if cx.df.instructions.get(g.instr).is_some_and(|i| i.is_json()) {
                            None
                        } else {
                            add_to_value(cx, u, missing)
                        }
                    }
                    _ => None,
                };
                if let Some(edits) = edits {
                    d = d.with_fix(Fix::safe(format!("add {missing} to -ldflags"), edits));
                }
            }
            out.push(d);
        }
    }
}

/// `-gcflags=all="-N -l"`: a build meant for a debugger.
fn debug_build(g: &GoCommand) -> bool {
    g.last_flag_value("gcflags").is_some_and(|v| {
        split_quoted(strip_pattern(&v))
            .iter()
            .any(|w| w == "-N" || w == "-l")
    })
}

/// ` -ldflags="-s -w"` after the subcommand (`, "-ldflags=-s -w"` in exec
/// form; nothing for an `sh -c` string, whose offsets are not exact).
fn insert_ldflags(cx: &Context, g: &GoCommand) -> Option<Vec<Edit>> {
    let instr = cx.df.instructions.get(g.instr)?;
    let at = g.sub_span().end;
    if instr.is_json() {
        let first = instr.words().first().map(|w| w.value.clone())?;
        if first != "go" && !first.ends_with("/go") {
            return None;
        }
        return Some(vec![Edit::insert(at, ", \"-ldflags=-s -w\"")]);
    }
    Some(vec![Edit::insert(at, " -ldflags=\"-s -w\"")])
}

/// Adds `missing` at the start of an existing `-ldflags` value, inside its
/// quotes, after a package pattern such as `all=`.
fn add_to_value(cx: &Context, u: &FlagUse, missing: &str) -> Option<Vec<Edit>> {
    let stripped = strip_pattern(&u.value);
    let pattern = &u.value[..u.value.len() - stripped.len()];
    let content = if stripped.trim().is_empty() {
        missing.to_string()
    } else {
        format!("{missing} ")
    };
    // Where the value starts in the source, and whether quotes are open there.
    let (start, end, inside_quotes) = match &u.value_word {
        Some(v) => (v.span.start, v.span.end, false),
        None => {
            let raw = cx.text(u.flag.span);
            let at = raw.find("ldflags=")? + "ldflags=".len();
            (
                u.flag.span.start + at,
                u.flag.span.end,
                raw.starts_with(['"', '\'']),
            )
        }
    };
    let raw = cx.text(Span::new(start, end));
    if inside_quotes || raw.starts_with(['"', '\'']) {
        let open = if inside_quotes { 0 } else { 1 };
        let after = raw.get(open..)?;
        if !after.starts_with(pattern) {
            return None;
        }
        return Some(vec![Edit::insert(start + open + pattern.len(), content)]);
    }
    // Unquoted: quote it, if that cannot change what the shell makes of it.
    if raw.contains(['\\', '\'', '"', '`', '*', '?', '[', ' ', '\t', '\n'])
        || !raw.starts_with(pattern)
    {
        return None;
    }
    let rest = &raw[pattern.len()..];
    Some(vec![Edit::replace(
        start,
        end,
        format!("\"{pattern}{content}{rest}\""),
    )])
}
