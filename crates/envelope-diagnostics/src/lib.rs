//! What a finding is and how it is shown.
//!
//! Checks (Dockerfile lint rules, image audit checks) produce [`Diagnostic`]s
//! with a stable code and a severity; this crate renders them in every output
//! format. It knows nothing about Dockerfiles or images: a diagnostic points
//! at a path and, when there is source text, at a byte range in it.

mod render;
pub mod sarif;

pub use render::{human_bytes, json_report, render, Format};

use serde::{Deserialize, Serialize};

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    /// How many steps above info: 0, 1 or 2.
    pub fn rank(self) -> u8 {
        self as u8
    }

    /// This severity lowered by `steps` (error → warning → info), never
    /// below info.
    pub fn lowered(self, steps: u8) -> Severity {
        match self.rank().saturating_sub(steps) {
            0 => Severity::Info,
            1 => Severity::Warning,
            _ => Severity::Error,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "info" | "note" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// One text replacement: bytes `start..end` of the source become `content`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub content: String,
}

impl Edit {
    pub fn insert(at: usize, content: impl Into<String>) -> Edit {
        Edit {
            start: at,
            end: at,
            content: content.into(),
        }
    }

    pub fn replace(start: usize, end: usize, content: impl Into<String>) -> Edit {
        Edit {
            start,
            end,
            content: content.into(),
        }
    }
}

/// Whether applying a fix keeps what the program does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Applicability {
    /// The meaning is unchanged: `--fix` applies it.
    Safe,
    /// It may change what the image or program does (a user, a package
    /// set, where files are): applied only with `--unsafe-fixes`.
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// A mechanical fix: what it does, the edits that do it, and whether it
/// keeps the meaning.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fix {
    pub message: String,
    pub edits: Vec<Edit>,
    pub applicability: Applicability,
}

impl Fix {
    /// A fix that keeps what the program does.
    pub fn safe(message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            message: message.into(),
            edits,
            applicability: Applicability::Safe,
        }
    }

    /// A fix that may change what the program does.
    pub fn unsafe_edits(message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            message: message.into(),
            edits,
            applicability: Applicability::Unsafe,
        }
    }

    pub fn is_safe(&self) -> bool {
        self.applicability == Applicability::Safe
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The file (or image reference) the finding is in.
    pub path: String,
    /// Byte range in the source, when there is source text.
    pub span: Option<(usize, usize)>,
    pub start: Option<Position>,
    pub end: Option<Position>,
    /// What to do about it.
    pub help: Option<String>,
    pub fix: Option<Fix>,
    /// Bytes the image would lose if the finding were fixed (image audits).
    pub savings: Option<u64>,
    /// In a file of several documents (YAML `---`), which one (1-based).
    pub document: Option<usize>,
    /// Where in a structured document the finding is, as a dotted path
    /// (`spec.template.spec.containers[0].securityContext`), even when the
    /// field itself is missing and the position is its nearest parent's.
    pub object_path: Option<String>,
}

impl Diagnostic {
    pub fn new(code: &'static str, severity: Severity, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            path: String::new(),
            span: None,
            start: None,
            end: None,
            help: None,
            fix: None,
            savings: None,
            document: None,
            object_path: None,
        }
    }

    /// Where in a structured document (which one, and the dotted path).
    pub fn with_object_path(mut self, document: usize, path: impl Into<String>) -> Diagnostic {
        self.document = Some(document);
        self.object_path = Some(path.into());
        self
    }

    pub fn with_savings(mut self, bytes: u64) -> Diagnostic {
        self.savings = Some(bytes);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Diagnostic {
        self.fix = Some(fix);
        self
    }
}

/// A rule's (or check's) description, for `rules`, docs and SARIF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    pub code: &'static str,
    /// kebab-case name, e.g. `go-build-without-trimpath`.
    pub name: &'static str,
    pub severity: Severity,
    pub fixable: bool,
    /// Off-by-default rules run only when selected.
    pub enabled_by_default: bool,
    /// The rule's doc comment: `## What it does`, `## Why`, `## Example`, `## Fix`.
    pub doc: &'static str,
}

impl RuleInfo {
    /// The first sentence of "What it does".
    pub fn summary(&self) -> String {
        let body = section(self.doc, "What it does").unwrap_or_else(|| self.doc.trim().to_string());
        let para = body.split("\n\n").next().unwrap_or_default();
        let line = para.split_whitespace().collect::<Vec<_>>().join(" ");
        match line.find(". ") {
            Some(i) => line[..=i].to_string(),
            None => line,
        }
    }

    /// The documentation as Markdown, with the code and name as its title.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "# {} {}\n\nDefault severity: {}{}{}\n\n",
            self.code,
            self.name,
            self.severity.as_str(),
            if self.fixable { " · fixable" } else { "" },
            if self.enabled_by_default {
                ""
            } else {
                " · off by default"
            },
        );
        out.push_str(&dedent(self.doc));
        out.push('\n');
        out
    }
}

/// The text under `## title` in a doc comment, up to the next heading.
pub fn section(doc: &str, title: &str) -> Option<String> {
    let doc = dedent(doc);
    let start = doc.find(&format!("## {title}"))?;
    let rest = &doc[start..];
    let body_start = rest.find('\n').map_or(rest.len(), |i| i + 1);
    let body = &rest[body_start..];
    let end = body.find("\n## ").unwrap_or(body.len());
    Some(body[..end].trim().to_string())
}

/// Doc comments arrive with one leading space per line; remove it.
pub fn dedent(doc: &str) -> String {
    doc.lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// Source text of a file, for excerpts and line/column lookups.
#[derive(Debug, Clone, Default)]
pub struct Source {
    pub path: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl Source {
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Source {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Source {
            path: path.into(),
            text,
            line_starts,
        }
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Position { line, column }
    }

    /// Line `n` (1-based) without its newline.
    pub fn line(&self, n: usize) -> &str {
        let Some(&start) = self.line_starts.get(n.wrapping_sub(1)) else {
            return "";
        };
        let end = self.line_starts.get(n).copied().unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or_default()
            .trim_end_matches(['\n', '\r'])
    }

    /// Fills `start`/`end` from `span`.
    pub fn locate(&self, d: &mut Diagnostic) {
        if let Some((s, e)) = d.span {
            d.start = Some(self.position(s));
            d.end = Some(self.position(e.max(s)));
        }
    }
}

/// Everything a renderer needs: the findings, the sources they point into,
/// the rules that can appear, and how many files were checked.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Vec<Source>,
    pub rules: Vec<RuleInfo>,
    pub files_checked: usize,
    /// Objects read but not checked, by kind (Kubernetes kinds that have no
    /// rules: Services, ConfigMaps, custom resources).
    pub skipped: std::collections::BTreeMap<String, usize>,
    /// The tool's name and version, for SARIF.
    pub tool_version: String,
}

impl Report {
    /// Every source by its path, for renderers that look one up per
    /// finding (a run over many files has as many sources).
    pub fn sources_by_path(&self) -> std::collections::HashMap<&str, &Source> {
        self.sources.iter().map(|s| (s.path.as_str(), s)).collect()
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    pub fn fixable(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.fix.is_some()).count()
    }

    /// Sorts findings by path, position and code, for stable output.
    pub fn sort(&mut self) {
        self.diagnostics.sort_by(|a, b| {
            (&a.path, a.start, a.code, &a.message).cmp(&(&b.path, b.start, b.code, &b.message))
        });
    }
}
