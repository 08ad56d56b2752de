//! From text to [`Dockerfile`]: directives, comments, logical lines, heredocs,
//! flags and the JSON/shell decision. Linear in the input; errors are
//! collected and the parse resumes at the next line.

use crate::{
    Args, Comment, Directive, Dockerfile, Flag, Heredoc, Instruction, Kind, ParseError, Span, Text,
    Word,
};

/// Parses a Dockerfile from bytes. Never fails: problems are in `errors`.
pub fn parse(input: &[u8]) -> Dockerfile {
    let mut errors = Vec::new();
    if input.iter().take(8192).any(|&b| b == 0) {
        errors.push(ParseError {
            message: "this is a binary file, not a Dockerfile".into(),
            span: Span::new(0, 0),
            hint: Some("lint Dockerfiles and Containerfiles only".into()),
        });
        return finish(
            String::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            errors,
            '\\',
            vec![0],
        );
    }
    let source = match std::str::from_utf8(input) {
        Ok(s) => s.to_string(),
        Err(e) => {
            let at = e.valid_up_to();
            errors.push(ParseError {
                message: format!("invalid UTF-8 at byte {at}"),
                span: Span::new(at, at + 1),
                hint: Some("save the file as UTF-8".into()),
            });
            String::from_utf8_lossy(input).into_owned()
        }
    };
    let mut p = Parser {
        src: &source,
        // A byte order mark is not part of the first line (BuildKit drops
        // it too); it stays in `source` so offsets match the file.
        pos: if source.starts_with('\u{feff}') { 3 } else { 0 },
        escape: '\\',
        directives: Vec::new(),
        comments: Vec::new(),
        instructions: Vec::new(),
        errors,
        line_starts: line_starts(&source),
    };
    p.directives();
    while p.pos < p.src.len() {
        p.statement();
    }
    let Parser {
        directives,
        comments,
        instructions,
        errors,
        escape,
        line_starts,
        ..
    } = p;
    finish(
        source,
        directives,
        comments,
        instructions,
        errors,
        escape,
        line_starts,
    )
}

fn finish(
    source: String,
    directives: Vec<Directive>,
    comments: Vec<Comment>,
    instructions: Vec<Instruction>,
    mut errors: Vec<ParseError>,
    escape: char,
    line_starts: Vec<usize>,
) -> Dockerfile {
    if let Some(first) = instructions
        .iter()
        .find(|i| i.kind != Kind::Arg)
        .filter(|i| i.kind != Kind::From)
    {
        errors.push(ParseError {
            message: format!("{} before the first FROM", first.kind.name()),
            span: first.keyword_span,
            hint: Some("only ARG may come before the first FROM".into()),
        });
    }
    if errors.is_empty() && instructions.is_empty() {
        errors.push(ParseError {
            message: "the file has no instructions".into(),
            span: Span::new(0, 0),
            hint: Some("a Dockerfile starts with FROM (optionally after ARG)".into()),
        });
    }
    Dockerfile {
        source,
        directives,
        comments,
        instructions,
        errors,
        escape,
        line_starts,
    }
}

fn line_starts(source: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        source
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1)
            .filter(|&i| i < source.len()),
    );
    starts
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    escape: char,
    directives: Vec<Directive>,
    comments: Vec<Comment>,
    instructions: Vec<Instruction>,
    errors: Vec<ParseError>,
    line_starts: Vec<usize>,
}

/// A physical line: its start, the end of its content, and where the next begins.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    next: usize,
}

impl<'a> Parser<'a> {
    fn line_at(&self, pos: usize) -> Line {
        let rest = &self.src[pos..];
        let (len, next) = match rest.find('\n') {
            Some(i) => (i, pos + i + 1),
            None => (rest.len(), self.src.len()),
        };
        let mut end = pos + len;
        if self.src[..end].ends_with('\r') {
            end -= 1;
        }
        Line {
            start: pos,
            end,
            next,
        }
    }

    fn text(&self, l: Line) -> &'a str {
        &self.src[l.start..l.end]
    }

    /// Parser directives: `# key=value` lines at the very top.
    fn directives(&mut self) {
        let mut seen: Vec<String> = Vec::new();
        while self.pos < self.src.len() {
            let l = self.line_at(self.pos);
            let t = self.text(l);
            let Some(body) = t.trim_start().strip_prefix('#') else {
                return;
            };
            let Some((k, v)) = body.split_once('=') else {
                return;
            };
            let key = k.trim();
            if key.is_empty() || key.contains(char::is_whitespace) {
                return;
            }
            let name = key.to_ascii_lowercase();
            if !matches!(name.as_str(), "syntax" | "escape" | "check") {
                return;
            }
            let value = v.trim().to_string();
            let span = Span::new(l.start, l.end);
            if seen.contains(&name) {
                self.errors.push(ParseError {
                    message: format!("the `{name}` parser directive is given twice"),
                    span,
                    hint: Some("keep one".into()),
                });
            }
            if name == "escape" {
                match value.as_str() {
                    "\\" => self.escape = '\\',
                    "`" => self.escape = '`',
                    _ => self.errors.push(ParseError {
                        message: format!("invalid escape directive {value:?}"),
                        span,
                        hint: Some("the escape character is `\\` or a backtick".into()),
                    }),
                }
            }
            seen.push(name.clone());
            self.directives.push(Directive { name, value, span });
            self.comments.push(Comment {
                text: body.trim().to_string(),
                span,
            });
            self.pos = l.next;
        }
    }

    fn statement(&mut self) {
        let l = self.line_at(self.pos);
        let t = self.text(l);
        let trimmed = t.trim_start();
        if trimmed.is_empty() {
            self.pos = l.next;
            return;
        }
        let indent = t.len() - trimmed.len();
        if let Some(c) = trimmed.strip_prefix('#') {
            self.comments.push(Comment {
                text: c.trim().to_string(),
                span: Span::new(l.start + indent, l.end),
            });
            self.pos = l.next;
            return;
        }
        let start = l.start + indent;
        if let Some(i) = self.instruction(start, false) {
            self.instructions.push(i);
        }
    }

    /// Reads the logical line from `start` (continuations joined, comment and
    /// blank lines inside it dropped). Returns the text and the end of the
    /// last physical line; leaves `pos` at the next line.
    fn logical_line(&mut self, start: usize) -> (Text, usize) {
        let mut text = Text::default();
        let mut l = self.line_at(start);
        l.start = start;
        let mut end;
        loop {
            let t = self.text(l);
            end = l.end;
            self.pos = l.next;
            let content = t.trim_end();
            if let Some(body) = content.strip_suffix(self.escape) {
                text.push(body, l.start);
                // Continue with the next line that is not blank or a comment.
                let mut found = false;
                while self.pos < self.src.len() {
                    let n = self.line_at(self.pos);
                    let nt = self.text(n).trim_start();
                    if nt.is_empty() || nt.starts_with('#') {
                        if let Some(body) = nt.strip_prefix('#') {
                            self.comments.push(Comment {
                                text: body.trim().to_string(),
                                span: Span::new(n.end - nt.len(), n.end),
                            });
                        }
                        self.pos = n.next;
                        continue;
                    }
                    l = n;
                    found = true;
                    break;
                }
                if !found {
                    break;
                }
            } else {
                text.push(t, l.start);
                break;
            }
        }
        (text, end)
    }

    fn instruction(&mut self, start: usize, nested: bool) -> Option<Instruction> {
        let (line_text, mut end) = self.logical_line(start);
        let s = line_text.text.as_str();
        let kw_len = s.find(|c: char| c.is_whitespace()).unwrap_or(s.len());
        let keyword = &s[..kw_len];
        let keyword_span = line_text.source_span(0, kw_len);
        let Some(kind) = Kind::from_keyword(keyword) else {
            let hint = suggest(keyword);
            self.errors.push(ParseError {
                message: format!("unknown instruction `{keyword}`"),
                span: keyword_span,
                hint,
            });
            return None;
        };
        let line = self.line_starts.partition_point(|&s| s <= start).max(1);
        let mut i = kw_len;
        skip_ws(s, &mut i);
        // Flags.
        let mut flags = Vec::new();
        if kind.allows_flags() {
            while s[i..].starts_with("--") {
                let w_end = word_end(s, i);
                let word = &s[i + 2..w_end];
                let (name, value) = match word.split_once('=') {
                    Some((n, v)) => (n.to_string(), Some(unquote(v))),
                    None => (word.to_string(), None),
                };
                flags.push(Flag {
                    name,
                    value,
                    span: line_text.source_span(i, w_end),
                });
                i = w_end;
                skip_ws(s, &mut i);
            }
        }
        let args_start = i;
        let raw = line_text.tail(args_start);
        if raw.text.trim().is_empty() && kind != Kind::Healthcheck {
            self.errors.push(ParseError {
                message: format!("{} needs arguments", kind.name()),
                span: keyword_span,
                hint: None,
            });
        }
        let mut onbuild = None;
        if kind == Kind::Onbuild && !nested {
            let inner_start = line_text.source_offset(args_start);
            if args_start < s.len() {
                // Re-parse the wrapped instruction from its own text.
                let save = self.pos;
                onbuild = self.instruction(inner_start, true).map(Box::new);
                self.pos = save;
            }
        }
        let mut json_texts = Vec::new();
        let args = if kind.allows_json() && raw.text.trim_start().starts_with('[') {
            match json_words(&raw) {
                Some((items, texts)) => {
                    json_texts = texts;
                    Args::Json(items)
                }
                None => Args::Shell(raw.clone()),
            }
        } else {
            Args::Shell(raw.clone())
        };
        let mut heredocs = Vec::new();
        if kind.allows_heredocs() {
            if let Args::Shell(t) = &args {
                for (marker, delim, quoted, strip_tabs) in heredoc_markers(t) {
                    match self.heredoc_body(&delim, strip_tabs) {
                        Some((body, body_end)) => {
                            end = body_end;
                            heredocs.push(Heredoc {
                                delimiter: delim,
                                quoted,
                                strip_tabs,
                                marker_span: marker,
                                body,
                            });
                        }
                        None => {
                            self.errors.push(ParseError {
                                message: format!(
                                    "unterminated heredoc: no line `{delim}` closes it"
                                ),
                                span: marker,
                                hint: Some(format!(
                                    "end the heredoc with a line holding only {delim}"
                                )),
                            });
                            break;
                        }
                    }
                }
            }
        }
        Some(Instruction {
            kind,
            keyword: keyword.to_string(),
            keyword_span,
            span: Span::new(start, end),
            line,
            flags,
            args,
            raw,
            heredocs,
            onbuild,
            json_texts,
        })
    }

    /// Consumes heredoc lines up to the delimiter; `None` if the file ends first.
    fn heredoc_body(&mut self, delim: &str, strip_tabs: bool) -> Option<(Text, usize)> {
        let mut body = Text::default();
        while self.pos < self.src.len() {
            let l = self.line_at(self.pos);
            self.pos = l.next;
            let t = self.text(l);
            let (t, off) = if strip_tabs {
                let s = t.trim_start_matches('\t');
                (s, l.start + (t.len() - s.len()))
            } else {
                (t, l.start)
            };
            if t == delim {
                return Some((body, l.end));
            }
            body.push(t, off);
            // The newline maps to the line's end in the source.
            body.push("\n", l.end);
        }
        None
    }
}

fn skip_ws(s: &str, i: &mut usize) {
    while let Some(c) = s[*i..].chars().next() {
        if !c.is_whitespace() {
            break;
        }
        *i += c.len_utf8();
    }
}

/// End of a whitespace-delimited word starting at `i`, honoring quotes.
fn word_end(s: &str, i: usize) -> usize {
    let mut quote: Option<char> = None;
    let mut chars = s[i..].char_indices().peekable();
    while let Some((k, c)) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '\\' => {
                chars.next();
            }
            None if c.is_whitespace() => return i + k,
            None => {}
        }
    }
    s.len()
}

fn unquote(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut quote: Option<char> = None;
    for c in v.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => out.push(c),
            None if c == '"' || c == '\'' => quote = Some(c),
            None => out.push(c),
        }
    }
    out
}

/// Items of a JSON string array with their spans, and each item's decoded
/// text mapped to the source; `None` if the text is not such an array.
fn json_words(raw: &Text) -> Option<(Vec<Word>, Vec<Text>)> {
    let trimmed = raw.text.trim();
    let values: Vec<String> = serde_json::from_str(trimmed).ok()?;
    let base = raw.text.len() - raw.text.trim_start().len();
    let s = trimmed;
    let bytes = s.as_bytes();
    let mut words = Vec::with_capacity(values.len());
    let mut texts = Vec::with_capacity(values.len());
    let mut i = 0;
    for value in values {
        while i < bytes.len() && bytes[i] != b'"' {
            i += 1;
        }
        let start = i;
        i += 1;
        let mut text = Text::default();
        while i < bytes.len() && bytes[i] != b'"' {
            let at = raw.source_offset(base + i);
            if bytes[i] == b'\\' {
                let (c, len) = json_escape(&s[i..]);
                let mut buf = [0u8; 4];
                text.push(c.encode_utf8(&mut buf), at);
                i += len;
            } else {
                let c = s[i..].chars().next().unwrap_or('\u{fffd}');
                let mut buf = [0u8; 4];
                text.push(c.encode_utf8(&mut buf), at);
                i += c.len_utf8();
            }
        }
        i += 1;
        let end = i.min(bytes.len());
        words.push(Word {
            value,
            span: raw.source_span(base + start, base + end),
        });
        texts.push(text);
    }
    Some((words, texts))
}

/// Decodes one JSON escape at the start of `s`: the char and bytes used.
fn json_escape(s: &str) -> (char, usize) {
    let b = s.as_bytes();
    let simple = match b.get(1) {
        Some(b'n') => Some('\n'),
        Some(b't') => Some('\t'),
        Some(b'r') => Some('\r'),
        Some(b'b') => Some('\u{8}'),
        Some(b'f') => Some('\u{c}'),
        Some(&c @ (b'"' | b'\\' | b'/')) => Some(c as char),
        _ => None,
    };
    if let Some(c) = simple {
        return (c, 2);
    }
    let hex = |at: usize| {
        s.get(at..at + 4)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    match hex(2) {
        Some(hi @ 0xD800..=0xDBFF) => {
            if s.get(6..8) == Some("\\u") {
                if let Some(lo @ 0xDC00..=0xDFFF) = hex(8) {
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return (char::from_u32(c).unwrap_or('\u{fffd}'), 12);
                }
            }
            ('\u{fffd}', 6)
        }
        Some(c) => (char::from_u32(c).unwrap_or('\u{fffd}'), 6),
        None => ('\u{fffd}', 2.min(s.len()).max(1)),
    }
}

/// `(marker span, delimiter, quoted, strip_tabs)` for each `<<WORD` outside quotes.
fn heredoc_markers(t: &Text) -> Vec<(Span, String, bool, bool)> {
    let s = t.text.as_str();
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                i += 1;
                continue;
            }
            None if c == b'\'' || c == b'"' => {
                quote = Some(c);
                i += 1;
                continue;
            }
            None => {}
        }
        if c == b'<' && b.get(i + 1) == Some(&b'<') && b.get(i + 2) != Some(&b'<') {
            let start = i;
            let mut j = i + 2;
            let strip = b.get(j) == Some(&b'-');
            if strip {
                j += 1;
            }
            let q = match b.get(j) {
                Some(&c @ (b'"' | b'\'')) => {
                    j += 1;
                    Some(c)
                }
                _ => None,
            };
            let ds = j;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'-') {
                j += 1;
            }
            let delim = &s[ds..j];
            if let Some(q) = q {
                if b.get(j) != Some(&q) {
                    i = j.max(i + 1);
                    continue;
                }
                j += 1;
            }
            if !delim.is_empty() {
                out.push((
                    t.source_span(start, j),
                    delim.to_string(),
                    q.is_some(),
                    strip,
                ));
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    out
}

fn suggest(word: &str) -> Option<String> {
    const ALL: [&str; 18] = [
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    ];
    let upper = word.to_ascii_uppercase();
    let best = ALL
        .iter()
        .map(|k| (distance(&upper, k), *k))
        .min()
        .filter(|&(d, _)| d <= 2)?;
    Some(format!("did you mean `{}`?", best.1))
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    if a.len() > 40 {
        return usize::MAX;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
