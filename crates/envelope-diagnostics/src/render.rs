//! The output formats. Each writes the whole report; none prints on its own.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::{sarif, Diagnostic, Position, Report, Severity};

/// An output format for a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Source excerpt with a caret, the help and the fix.
    Human,
    /// `file:line:col: CODE message`, one per line.
    Concise,
    /// The documented JSON shape (`version` 1).
    Json,
    /// SARIF 2.1.0 with rule help.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
}

/// Writes `report` in `format`; `color` adds ANSI styles to human output.
pub fn render(report: &Report, format: Format, color: bool, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human => human(report, color, out),
        Format::Concise => concise(report, out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &typed_report(report))?;
            writeln!(out)
        }
        Format::Sarif => sarif::write(&sarif(report), out),
        Format::Github => github(report, out),
    }
}

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn severity(&self, sev: Severity, s: &str) -> String {
        let code = match sev {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        self.paint(code, s)
    }
}

fn location(d: &Diagnostic) -> String {
    let at = match d.start {
        Some(p) => format!("{}:{}:{}", d.path, p.line, p.column),
        None => d.path.clone(),
    };
    match where_in(d) {
        Some(w) => format!("{at} ({w})"),
        None => at,
    }
}

/// `document 2, spec.template.spec.hostNetwork`: where in a structured
/// file, for findings that know it.
fn where_in(d: &Diagnostic) -> Option<String> {
    match (d.document, &d.object_path) {
        (None, None) => None,
        (Some(n), None) => Some(format!("document {n}")),
        (None, Some(p)) => Some(p.clone()),
        (Some(n), Some(p)) if p.is_empty() => Some(format!("document {n}")),
        (Some(n), Some(p)) => Some(format!("document {n}, {p}")),
    }
}

fn human(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let st = Style { on: color };
    let sources = report.sources_by_path();
    for d in &report.diagnostics {
        writeln!(
            out,
            "{}{} {}",
            st.severity(d.severity, &format!("{}[{}]", d.severity.as_str(), d.code)),
            st.paint("1", ":"),
            st.paint("1", &d.message)
        )?;
        writeln!(out, "  {} {}", st.paint("1;34", "-->"), location(d))?;
        if let (Some(src), Some(start), Some(end)) =
            (sources.get(d.path.as_str()).copied(), d.start, d.end)
        {
            let width = end.line.to_string().len();
            let bar = st.paint("1;34", "|");
            writeln!(out, "{:width$} {bar}", "")?;
            let last = end.line.min(start.line + 3);
            for n in start.line..=last {
                let text = src.line(n);
                writeln!(
                    out,
                    "{} {bar} {}",
                    st.paint("1;34", &format!("{n:>width$}")),
                    text.replace('\t', " ")
                )?;
                let chars = text.chars().count();
                let (from, to) = caret_range(n, start, end, chars);
                if to > from {
                    writeln!(
                        out,
                        "{:width$} {bar} {}{}",
                        "",
                        " ".repeat(from),
                        st.severity(d.severity, &"^".repeat(to - from))
                    )?;
                }
            }
            if end.line > last {
                writeln!(out, "{:width$} {bar} ...", "")?;
            }
        }
        if let Some(help) = &d.help {
            writeln!(out, "  {} {help}", st.paint("1;36", "= help:"))?;
        }
        if let Some(fix) = &d.fix {
            let label = format!("= fix ({}):", fix.applicability.as_str());
            writeln!(out, "  {} {}", st.paint("1;32", &label), fix.message)?;
        }
        if let Some(bytes) = d.savings {
            writeln!(
                out,
                "  {} {}",
                st.paint("1;32", "= saves:"),
                human_bytes(bytes)
            )?;
        }
        writeln!(out)?;
    }
    summary(report, &st, out)
}

/// Columns (0-based, half-open) to underline on line `n`.
fn caret_range(n: usize, start: Position, end: Position, chars: usize) -> (usize, usize) {
    let from = if n == start.line { start.column - 1 } else { 0 };
    let to = if n == end.line {
        (end.column - 1).max(from + usize::from(n == start.line))
    } else {
        chars
    };
    (from.min(chars), to.min(chars.max(from + 1)))
}

fn summary(report: &Report, st: &Style, out: &mut dyn Write) -> io::Result<()> {
    let n = report.diagnostics.len();
    let files = report.files_checked;
    if !report.skipped.is_empty() {
        let total: usize = report.skipped.values().sum();
        let kinds: Vec<String> = report
            .skipped
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        writeln!(
            out,
            "{} object{} of kinds without rules skipped: {}",
            total,
            if total == 1 { "" } else { "s" },
            kinds.join(", ")
        )?;
    }
    let plural = |k: usize, w: &str| format!("{k} {w}{}", if k == 1 { "" } else { "s" });
    if n == 0 {
        return writeln!(
            out,
            "{} {} checked, no findings",
            st.paint("1;32", "✓"),
            plural(files, "file")
        );
    }
    let mut parts = Vec::new();
    for (sev, word) in [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Info, "info"),
    ] {
        let k = report.count(sev);
        if k > 0 {
            parts.push(if sev == Severity::Info {
                format!("{k} info")
            } else {
                plural(k, word)
            });
        }
    }
    write!(
        out,
        "{} in {}: {}",
        plural(n, "finding"),
        plural(files, "file"),
        parts.join(", ")
    )?;
    let (safe, unsafe_) = fix_counts(report);
    match (safe, unsafe_) {
        (0, 0) => {}
        (s, 0) => write!(out, "; {s} fixable with --fix")?,
        (0, u) => write!(out, "; {u} fixable with --fix --unsafe-fixes")?,
        (s, u) => write!(
            out,
            "; {s} fixable with --fix, {u} more with --fix --unsafe-fixes"
        )?,
    }
    writeln!(out)
}

/// How many findings have a safe fix, and how many an unsafe one.
fn fix_counts(report: &Report) -> (usize, usize) {
    let fixes = report.diagnostics.iter().filter_map(|d| d.fix.as_ref());
    let safe = fixes.clone().filter(|f| f.is_safe()).count();
    (safe, report.fixable() - safe)
}

fn concise(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for d in &report.diagnostics {
        let loc = match d.start {
            Some(p) => format!("{}:{}:{}", d.path, p.line, p.column),
            None => format!("{}:1:1", d.path),
        };
        writeln!(out, "{loc}: {} {}", d.code, d.message)?;
    }
    Ok(())
}

/// The JSON shape, typed and borrowing the report: written straight out,
/// with no tree of values built first. Fields are in alphabetical order,
/// the order the document has always had.
#[derive(serde::Serialize)]
struct JsonReport<'a> {
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: JsonSummary<'a>,
    version: u32,
}

#[derive(serde::Serialize)]
struct JsonSummary<'a> {
    errors: usize,
    files: usize,
    findings: usize,
    fixable: usize,
    info: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<&'a std::collections::BTreeMap<String, usize>>,
    unsafe_fixable: usize,
    warnings: usize,
}

#[derive(serde::Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<usize>,
    end_column: Option<usize>,
    end_line: Option<usize>,
    fix: Option<JsonFix<'a>>,
    help: &'a Option<String>,
    line: Option<usize>,
    message: &'a str,
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    object_path: Option<&'a str>,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    saves_bytes: Option<u64>,
    severity: &'a str,
}

#[derive(serde::Serialize)]
struct JsonFix<'a> {
    applicability: &'a str,
    edits: Vec<JsonEdit<'a>>,
    message: &'a str,
}

#[derive(serde::Serialize)]
struct JsonEdit<'a> {
    column: Option<usize>,
    content: &'a str,
    end: usize,
    end_column: Option<usize>,
    end_line: Option<usize>,
    line: Option<usize>,
    start: usize,
}

fn typed_report(report: &Report) -> JsonReport<'_> {
    let sources = report.sources_by_path();
    let names: std::collections::HashMap<&str, &str> =
        report.rules.iter().map(|r| (r.code, r.name)).collect();
    let diagnostics = report
        .diagnostics
        .iter()
        .map(|d| {
            let src = sources.get(d.path.as_str()).copied();
            let fix = d.fix.as_ref().map(|f| JsonFix {
                applicability: f.applicability.as_str(),
                message: &f.message,
                edits: f
                    .edits
                    .iter()
                    .map(|e| {
                        let s = src.map(|src| src.position(e.start));
                        let en = src.map(|src| src.position(e.end));
                        JsonEdit {
                            start: e.start,
                            end: e.end,
                            line: s.map(|p| p.line),
                            column: s.map(|p| p.column),
                            end_line: en.map(|p| p.line),
                            end_column: en.map(|p| p.column),
                            content: &e.content,
                        }
                    })
                    .collect(),
            });
            JsonDiagnostic {
                code: d.code,
                name: names.get(d.code).copied(),
                severity: d.severity.as_str(),
                message: &d.message,
                path: &d.path,
                line: d.start.map(|p| p.line),
                column: d.start.map(|p| p.column),
                end_line: d.end.map(|p| p.line),
                end_column: d.end.map(|p| p.column),
                help: &d.help,
                fix,
                saves_bytes: d.savings,
                document: d.document,
                object_path: d.object_path.as_deref(),
            }
        })
        .collect();
    JsonReport {
        diagnostics,
        summary: JsonSummary {
            files: report.files_checked,
            findings: report.diagnostics.len(),
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            info: report.count(Severity::Info),
            fixable: report.fixable(),
            unsafe_fixable: fix_counts(report).1,
            skipped: (!report.skipped.is_empty()).then_some(&report.skipped),
        },
        version: 1,
    }
}

/// The JSON shape: `{version, summary, diagnostics: [...]}`.
pub fn json_report(report: &Report) -> Value {
    serde_json::to_value(typed_report(report)).unwrap_or(Value::Null)
}

/// SARIF 2.1.0 regions: a finding without a position points at line 1, and
/// an empty range is widened to one column.
fn region(start: Option<Position>, end: Option<Position>) -> sarif::Region {
    match (start, end) {
        (Some(s), Some(e)) => sarif::Region {
            end_column: Some(
                e.column
                    .max(if e.line == s.line { s.column + 1 } else { 1 }),
            ),
            end_line: Some(e.line),
            start_column: Some(s.column),
            start_line: s.line,
        },
        _ => sarif::Region::line(1),
    }
}

fn sarif(report: &Report) -> sarif::Log {
    let sources = report.sources_by_path();
    let rules = report
        .rules
        .iter()
        .map(|r| {
            let md = r.markdown();
            sarif::Rule {
                default_configuration: Some(sarif::Configuration {
                    enabled: r.enabled_by_default,
                    level: r.severity.into(),
                }),
                full_description: sarif::Message::text(
                    crate::section(r.doc, "What it does").unwrap_or_else(|| r.summary()),
                ),
                help: sarif::Message {
                    markdown: Some(md.clone()),
                    text: md,
                },
                help_uri: None,
                id: r.code.to_string(),
                name: Some(r.name.to_string()),
                properties: sarif::Properties::from([("fixable".into(), json!(r.fixable))]),
                short_description: sarif::Message::text(r.summary()),
            }
        })
        .collect();
    let results = report
        .diagnostics
        .iter()
        .map(|d| {
            let fixes = match (&d.fix, sources.get(d.path.as_str()).copied()) {
                (Some(fix), Some(src)) => vec![sarif::Fix {
                    artifact_changes: vec![sarif::ArtifactChange {
                        artifact_location: sarif::ArtifactLocation::path(&d.path),
                        replacements: fix
                            .edits
                            .iter()
                            .map(|e| sarif::Replacement {
                                deleted_region: region(
                                    Some(src.position(e.start)),
                                    Some(src.position(e.end)),
                                ),
                                inserted_content: sarif::ArtifactContent {
                                    text: e.content.clone(),
                                },
                            })
                            .collect(),
                    }],
                    // SARIF has no applicability: say it where a reviewer reads.
                    description: sarif::Message::text(if fix.is_safe() {
                        fix.message.clone()
                    } else {
                        format!("{} (unsafe: may change what runs)", fix.message)
                    }),
                }],
                _ => Vec::new(),
            };
            let mut location = sarif::Location::file(&d.path, Some(region(d.start, d.end)));
            let mut properties = sarif::Properties::new();
            if let Some(p) = d.object_path.as_ref().filter(|p| !p.is_empty()) {
                location.logical_locations.push(sarif::LogicalLocation {
                    fully_qualified_name: p.clone(),
                    kind: "element".into(),
                });
                properties.insert("objectPath".into(), json!(p));
            }
            if let Some(n) = d.document {
                properties.insert("document".into(), json!(n));
            }
            sarif::SarifResult {
                fixes,
                level: d.severity.into(),
                locations: vec![location],
                message: sarif::Message::text(match &d.help {
                    Some(h) => format!("{} ({h})", d.message),
                    None => d.message.clone(),
                }),
                properties,
                rule_id: d.code.to_string(),
                rule_index: report.rules.iter().position(|r| r.code == d.code),
            }
        })
        .collect();
    sarif::Log::new(vec![sarif::Run {
        results,
        tool: sarif::Tool {
            driver: sarif::Driver::envelope(report.tool_version.clone(), rules),
        },
    }])
}

fn github(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for d in &report.diagnostics {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = vec![format!("file={}", gh_prop(&d.path))];
        if let Some(s) = d.start {
            props.push(format!("line={}", s.line));
            props.push(format!("col={}", s.column));
        }
        if let Some(e) = d.end {
            props.push(format!("endLine={}", e.line));
            props.push(format!("endColumn={}", e.column));
        }
        props.push(format!("title={}", gh_prop(d.code)));
        let mut msg = d.message.clone();
        if let Some(w) = where_in(d) {
            msg.push_str(&format!(" ({w})"));
        }
        if let Some(h) = &d.help {
            msg.push('\n');
            msg.push_str(h);
        }
        writeln!(out, "::{level} {}::{}", props.join(","), gh_data(&msg))?;
    }
    Ok(())
}

fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_prop(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `1.2 MB`, `512 B`: decimal units, as image tools print sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1000.0 {
            break;
        }
        v /= 1000.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}
