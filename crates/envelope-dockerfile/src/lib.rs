//! A lossless Dockerfile parser for BuildKit's syntax.
//!
//! Every node carries a byte span into the original text, comments are kept
//! (suppression comments and fixes need them), and a syntax error never stops
//! the parse: it becomes a [`ParseError`] with its span and the parser goes on
//! with the next instruction, so a linter can still report everything else.
//!
//! The crate knows Dockerfile syntax, not policy: parser directives, line
//! continuations with the active escape character, heredocs, JSON vs shell
//! form, instruction flags, ARG/ENV expansion with stage scoping, and a small
//! shell lexer that splits RUN bodies into commands and words.

mod expand;
mod parse;
mod shell;
mod stages;

pub use expand::{expand, Vars};
pub use parse::parse;
pub use shell::{split_commands, Command, Op};
pub use stages::Stage;

/// A half-open byte range into the parsed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
}

/// A syntax error: what is wrong, where, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
    pub hint: Option<String>,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, Default)]
pub struct Dockerfile {
    /// The text the spans point into (invalid UTF-8 replaced).
    pub source: String,
    pub directives: Vec<Directive>,
    pub comments: Vec<Comment>,
    pub instructions: Vec<Instruction>,
    pub errors: Vec<ParseError>,
    /// The escape character in effect (`\` unless a directive says `` ` ``).
    pub escape: char,
    /// Byte offsets where each line starts, for line/column lookups.
    line_starts: Vec<usize>,
}

/// A parser directive (`# syntax=...`, `# escape=...`, `# check=...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub value: String,
    pub span: Span,
}

/// A comment line; `text` is what follows `#`, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

/// The instruction keywords Docker knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Add,
    Arg,
    Cmd,
    Copy,
    Entrypoint,
    Env,
    Expose,
    From,
    Healthcheck,
    Label,
    Maintainer,
    Onbuild,
    Run,
    Shell,
    Stopsignal,
    User,
    Volume,
    Workdir,
}

impl Kind {
    pub fn from_keyword(word: &str) -> Option<Kind> {
        Some(match word.to_ascii_uppercase().as_str() {
            "ADD" => Kind::Add,
            "ARG" => Kind::Arg,
            "CMD" => Kind::Cmd,
            "COPY" => Kind::Copy,
            "ENTRYPOINT" => Kind::Entrypoint,
            "ENV" => Kind::Env,
            "EXPOSE" => Kind::Expose,
            "FROM" => Kind::From,
            "HEALTHCHECK" => Kind::Healthcheck,
            "LABEL" => Kind::Label,
            "MAINTAINER" => Kind::Maintainer,
            "ONBUILD" => Kind::Onbuild,
            "RUN" => Kind::Run,
            "SHELL" => Kind::Shell,
            "STOPSIGNAL" => Kind::Stopsignal,
            "USER" => Kind::User,
            "VOLUME" => Kind::Volume,
            "WORKDIR" => Kind::Workdir,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Add => "ADD",
            Kind::Arg => "ARG",
            Kind::Cmd => "CMD",
            Kind::Copy => "COPY",
            Kind::Entrypoint => "ENTRYPOINT",
            Kind::Env => "ENV",
            Kind::Expose => "EXPOSE",
            Kind::From => "FROM",
            Kind::Healthcheck => "HEALTHCHECK",
            Kind::Label => "LABEL",
            Kind::Maintainer => "MAINTAINER",
            Kind::Onbuild => "ONBUILD",
            Kind::Run => "RUN",
            Kind::Shell => "SHELL",
            Kind::Stopsignal => "STOPSIGNAL",
            Kind::User => "USER",
            Kind::Volume => "VOLUME",
            Kind::Workdir => "WORKDIR",
        }
    }

    /// Instructions whose arguments may be a JSON array (exec form).
    fn allows_json(self) -> bool {
        matches!(
            self,
            Kind::Run
                | Kind::Cmd
                | Kind::Entrypoint
                | Kind::Copy
                | Kind::Add
                | Kind::Shell
                | Kind::Volume
        )
    }

    fn allows_flags(self) -> bool {
        matches!(
            self,
            Kind::From | Kind::Run | Kind::Copy | Kind::Add | Kind::Healthcheck
        )
    }

    fn allows_heredocs(self) -> bool {
        matches!(self, Kind::Run | Kind::Copy | Kind::Add)
    }
}

/// A word with its unquoted value and its span in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub value: String,
    pub span: Span,
}

/// `--name[=value]` before an instruction's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
    pub span: Span,
}

impl Flag {
    /// `key=value` pairs of a comma-separated flag value (`--mount=type=cache,target=/x`).
    pub fn fields(&self) -> Vec<(String, String)> {
        self.value
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .filter(|f| !f.is_empty())
            .map(|f| match f.split_once('=') {
                Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
                None => (f.trim().to_string(), String::new()),
            })
            .collect()
    }
}

/// A heredoc attached to a RUN, COPY or ADD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub delimiter: String,
    /// `<<"EOF"` or `<<'EOF'`: no expansion in the body.
    pub quoted: bool,
    /// `<<-EOF`: leading tabs stripped.
    pub strip_tabs: bool,
    /// The `<<EOF` marker in the instruction line.
    pub marker_span: Span,
    /// The body (tabs stripped for `<<-`), with a trailing newline per line.
    pub body: Text,
}

/// Text assembled from pieces of the source (continuation lines joined,
/// heredoc tabs stripped), with a map back to source offsets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    pub text: String,
    /// (offset in `text`, offset in the source) where each piece starts.
    segments: Vec<(usize, usize)>,
}

impl Text {
    fn push(&mut self, piece: &str, source_offset: usize) {
        if piece.is_empty() {
            return;
        }
        self.segments.push((self.text.len(), source_offset));
        self.text.push_str(piece);
    }

    /// The part of this text from byte `from` on, keeping its source map.
    pub fn tail(&self, from: usize) -> Text {
        let mut out = Text::default();
        let from = from.min(self.text.len());
        for (i, &(start, src)) in self.segments.iter().enumerate() {
            let end = self
                .segments
                .get(i + 1)
                .map_or(self.text.len(), |&(s, _)| s);
            if end <= from {
                continue;
            }
            let s = start.max(from);
            out.push(&self.text[s..end], src + (s - start));
        }
        out
    }

    /// The part of this text from byte `from` to byte `to`, keeping its
    /// source map.
    pub fn slice(&self, from: usize, to: usize) -> Text {
        let mut out = self.tail(from);
        let keep = to.saturating_sub(from.min(self.text.len()));
        if keep < out.text.len() {
            out.text.truncate(keep);
            out.segments.retain(|&(start, _)| start < keep);
        }
        out
    }

    /// The source offset of a byte offset into `text`.
    pub fn source_offset(&self, offset: usize) -> usize {
        let i = self
            .segments
            .partition_point(|&(start, _)| start <= offset)
            .saturating_sub(1);
        match self.segments.get(i) {
            Some(&(start, src)) => src + (offset - start),
            None => offset,
        }
    }

    /// The source span of a range of `text`.
    pub fn source_span(&self, start: usize, end: usize) -> Span {
        if end <= start {
            let s = self.source_offset(start);
            return Span::new(s, s);
        }
        // The end maps through its last byte so that a joined continuation
        // does not stretch the span over the escape and newline.
        Span::new(self.source_offset(start), self.source_offset(end - 1) + 1)
    }
}

/// An instruction's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    /// Exec form: `["a", "b"]`.
    Json(Vec<Word>),
    /// Shell form: the logical text after the keyword and flags.
    Shell(Text),
}

/// One instruction, with everything it spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    pub kind: Kind,
    /// The keyword as written.
    pub keyword: String,
    pub keyword_span: Span,
    /// From the keyword to the end of its last line (continuations and
    /// heredoc bodies included), without the final newline.
    pub span: Span,
    /// 1-based line of the keyword.
    pub line: usize,
    pub flags: Vec<Flag>,
    pub args: Args,
    /// The arguments' logical text (continuations joined), shell or JSON.
    pub raw: Text,
    pub heredocs: Vec<Heredoc>,
    /// For ONBUILD, the instruction it wraps.
    pub onbuild: Option<Box<Instruction>>,
    /// For exec form, each item's decoded value mapped to its source bytes
    /// (escapes included), so words inside `["sh", "-c", "..."]` have spans.
    pub json_texts: Vec<Text>,
}

/// `KEY=value` or `KEY value` (ENV, LABEL) or `NAME[=default]` (ARG).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: Option<String>,
    pub key_span: Span,
    pub span: Span,
}

impl Instruction {
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }

    pub fn is_json(&self) -> bool {
        matches!(self.args, Args::Json(_))
    }

    /// The arguments as words: JSON items, or shell-form text split on
    /// whitespace with quotes removed.
    pub fn words(&self) -> Vec<Word> {
        match &self.args {
            Args::Json(items) => items.clone(),
            Args::Shell(text) => shell::split_words(text),
        }
    }

    /// The shell-form text (empty for exec form).
    pub fn shell_text(&self) -> &str {
        match &self.args {
            Args::Shell(t) => &t.text,
            Args::Json(_) => "",
        }
    }

    /// Key/value pairs of ENV, LABEL and ARG.
    pub fn key_values(&self) -> Vec<KeyValue> {
        let words = self.words();
        let mut out = Vec::new();
        // Legacy `ENV KEY value with spaces` (no `=` in the first word).
        if matches!(self.kind, Kind::Env | Kind::Label)
            && words.first().is_some_and(|w| !w.value.contains('='))
        {
            if let Some(first) = words.first() {
                let rest = &words[1..];
                let value = rest
                    .iter()
                    .map(|w| w.value.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                let end = rest.last().map_or(first.span.end, |w| w.span.end);
                out.push(KeyValue {
                    key: first.value.clone(),
                    value: Some(value),
                    key_span: first.span,
                    span: Span::new(first.span.start, end),
                });
            }
            return out;
        }
        for w in words {
            match w.value.split_once('=') {
                Some((k, v)) => out.push(KeyValue {
                    key: k.to_string(),
                    value: Some(v.to_string()),
                    key_span: Span::new(w.span.start, w.span.start + k.len()),
                    span: w.span,
                }),
                None => out.push(KeyValue {
                    key: w.value.clone(),
                    value: None,
                    key_span: w.span,
                    span: w.span,
                }),
            }
        }
        out
    }

    /// The shell commands of a RUN (or of a shell-form CMD/ENTRYPOINT), and
    /// of its heredoc bodies when the heredoc is the script.
    pub fn commands(&self) -> Vec<Command> {
        match &self.args {
            Args::Json(items) => {
                // `["sh", "-c", "script"]` is a script; anything else one command.
                if items.len() >= 3
                    && matches!(
                        items[0].value.as_str(),
                        "sh" | "/bin/sh" | "bash" | "/bin/bash"
                    )
                    && items[1].value == "-c"
                {
                    if let Some(script) = self.json_texts.get(2) {
                        return split_commands(script);
                    }
                }
                vec![Command {
                    env: Vec::new(),
                    words: items.clone(),
                    span: Span::new(
                        items.first().map_or(0, |w| w.span.start),
                        items.last().map_or(0, |w| w.span.end),
                    ),
                    op: Op::Start,
                }]
            }
            Args::Shell(text) => {
                let mut cmds = split_commands(text);
                for h in &self.heredocs {
                    // `RUN <<EOF` runs the body as the script; `RUN cat <<EOF`
                    // feeds it to a command, whose words are already above.
                    let marker_only = cmds.iter().all(|c| c.words.is_empty());
                    if marker_only || cmds.iter().any(is_shell) {
                        cmds.extend(split_commands(&h.body));
                    }
                }
                cmds
            }
        }
    }
}

/// A shell reading its script from standard input: `sh`, `bash -ex`,
/// `bash -o pipefail` (no `-c`, no script file).
fn is_shell(c: &Command) -> bool {
    if !matches!(c.name(), "sh" | "bash" | "ash" | "dash" | "zsh") {
        return false;
    }
    let mut args = c.args().iter();
    while let Some(w) = args.next() {
        let v = w.value.as_str();
        match v.strip_prefix('-').or_else(|| v.strip_prefix('+')) {
            Some("o") => {
                args.next();
            }
            Some(opts) if !opts.starts_with('-') && !opts.contains('c') => {}
            Some(long) if long.starts_with('-') => {}
            _ => return false,
        }
    }
    true
}

impl Dockerfile {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let end = offset.min(self.source.len());
        let col = self
            .source
            .get(start..end)
            .map_or(end.saturating_sub(start), |s| s.chars().count());
        (line, col + 1)
    }

    /// The text of 1-based line `n`, without its newline.
    pub fn line_text(&self, n: usize) -> &str {
        let Some(&start) = self.line_starts.get(n.wrapping_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(n)
            .copied()
            .unwrap_or(self.source.len());
        self.source
            .get(start..end)
            .unwrap_or_default()
            .trim_end_matches(['\n', '\r'])
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The offset where line `n` (1-based) starts.
    pub fn line_start(&self, n: usize) -> usize {
        self.line_starts
            .get(n.wrapping_sub(1))
            .copied()
            .unwrap_or(self.source.len())
    }

    /// Comments directly above instruction `index`, nearest first, stopping at
    /// a blank line or another instruction.
    pub fn comments_before(&self, index: usize) -> Vec<&Comment> {
        let Some(instr) = self.instructions.get(index) else {
            return Vec::new();
        };
        let prev_end = index
            .checked_sub(1)
            .and_then(|i| self.instructions.get(i))
            .map_or(0, |p| p.span.end);
        let mut out = Vec::new();
        let mut line = instr.line;
        for c in self.comments.iter().rev() {
            if c.span.start >= instr.span.start || c.span.start < prev_end {
                continue;
            }
            let (cl, _) = self.line_col(c.span.start);
            if cl + 1 != line {
                break;
            }
            out.push(c);
            line = cl;
        }
        out
    }
}
