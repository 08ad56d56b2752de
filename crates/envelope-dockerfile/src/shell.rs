//! Just enough of the POSIX shell to see commands: words with quotes and
//! escapes removed, `&&`, `||`, `;`, `|`, `&`, newlines, redirections
//! dropped, `VAR=value` prefixes and `env VAR=value` kept as the command's
//! environment, and compound-statement keywords skipped so `if go build`
//! still shows `go build`.

use crate::{Span, Text, Word};

/// The operator before a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Start,
    /// `&&`
    And,
    /// `||`
    Or,
    /// `;`, `&` or a newline
    Seq,
    /// `|`
    Pipe,
}

/// One simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// `NAME=value` assignments before the command (and after `env`).
    pub env: Vec<(String, String)>,
    pub words: Vec<Word>,
    pub span: Span,
    pub op: Op,
}

impl Command {
    /// The command name without its directory (`/usr/local/go/bin/go` ⇒ `go`).
    pub fn name(&self) -> &str {
        self.words
            .first()
            .map_or("", |w| w.value.rsplit('/').next().unwrap_or(&w.value))
    }

    pub fn args(&self) -> &[Word] {
        self.words.get(1..).unwrap_or_default()
    }
}

enum Tok {
    /// A word, whether any of it was quoted, and its byte range in the text.
    Word(Word, bool, (usize, usize)),
    Op(Op),
}

/// One lexed word: the word, whether quoted, its byte range in the text.
type Lexed = (Word, bool, (usize, usize));

const KEYWORDS: [&str; 12] = [
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}",
];

/// Splits shell text into commands. The script of `sh -c '...'` is split
/// too, its commands following the `sh` command.
pub fn split_commands(text: &Text) -> Vec<Command> {
    split_nested(text, 0)
}

/// Nesting of `sh -c "sh -c '...'"` followed.
const MAX_NESTING: usize = 4;

fn split_nested(text: &Text, depth: usize) -> Vec<Command> {
    let toks = lex(text);
    let mut out = Vec::new();
    let mut cur: Vec<Lexed> = Vec::new();
    let mut op = Op::Start;
    for t in toks {
        match t {
            Tok::Word(w, quoted, range) => cur.push((w, quoted, range)),
            Tok::Op(o) => {
                flush(text, depth, std::mem::take(&mut cur), op, &mut out);
                op = o;
            }
        }
    }
    flush(text, depth, cur, op, &mut out);
    out
}

fn flush(text: &Text, depth: usize, mut words: Vec<Lexed>, op: Op, out: &mut Vec<Command>) {
    let mut env = Vec::new();
    loop {
        while words.first().is_some_and(|(w, _, _)| {
            KEYWORDS.contains(&w.value.as_str()) || w.value == "(" || w.value == ")"
        }) {
            words.remove(0);
        }
        // Assignments: `NAME=value` words before the command name.
        while let Some((w, _, _)) = words.first() {
            match assignment(&w.value) {
                Some((k, v)) => {
                    env.push((k, v));
                    words.remove(0);
                }
                None => break,
            }
        }
        let skip = wrapper_len(&words);
        if skip > 0 {
            words.drain(..skip);
            continue;
        }
        break;
    }
    if words.is_empty() && env.is_empty() {
        return;
    }
    let script = shell_script(text, &words).filter(|_| depth < MAX_NESTING);
    let span = match (words.first(), words.last()) {
        (Some(a), Some(b)) => Span::new(a.0.span.start, b.0.span.end),
        _ => Span::default(),
    };
    out.push(Command {
        env,
        words: words.into_iter().map(|(w, _, _)| w).collect(),
        span,
        op,
    });
    if let Some(script) = script {
        out.extend(split_nested(&script, depth + 1));
    }
}

/// How many words at the start are a wrapper that runs the rest as a
/// command: `env [-i] [NAME=value...]` (its assignments are taken next
/// round), `time [-p]`, `nice [-n N]`, `nohup`, `exec`, `command` (not
/// `command -v`), `timeout [flags] DURATION`.
fn wrapper_len(words: &[Lexed]) -> usize {
    let Some((first, _, _)) = words.first() else {
        return 0;
    };
    let at = |i: usize| words.get(i).map(|(w, _, _)| w.value.as_str());
    let flags_from = |mut i: usize, valued: &[&str]| {
        while let Some(v) = at(i) {
            if v == "--" {
                return i + 1;
            }
            if !v.starts_with('-') || v == "-" {
                break;
            }
            i += if valued.contains(&v) { 2 } else { 1 };
        }
        i
    };
    let n = match first.value.as_str() {
        "env" => flags_from(1, &["-u", "-C", "-S"]),
        "time" | "exec" => flags_from(1, &["-f", "-o", "-a"]),
        "nohup" => 1,
        "nice" => flags_from(1, &["-n"]),
        "command" if !matches!(at(1), Some("-v" | "-V")) => flags_from(1, &[]),
        "timeout" => flags_from(1, &["-s", "-k"]) + 1,
        _ => 0,
    };
    // A wrapper with nothing after it is the command itself.
    if n >= words.len() {
        0
    } else {
        n
    }
}

/// For `sh -c SCRIPT` (`bash`, `ash`, `dash`, with options before `-c`),
/// the script as text mapped to the source, when the word is written so
/// that its value is its source text inside the quotes.
fn shell_script(text: &Text, words: &[Lexed]) -> Option<Text> {
    let name = words.first()?.0.value.rsplit('/').next()?;
    if !matches!(name, "sh" | "bash" | "ash" | "dash") {
        return None;
    }
    let mut i = 1;
    loop {
        let v = words.get(i)?.0.value.as_str();
        if !v.starts_with('-') || v.len() < 2 {
            return None;
        }
        if v.starts_with("--") {
            // `--login`, `--norc`: long options before `-c`.
            i += 1;
            continue;
        }
        i += 1;
        if v[1..].contains('c') {
            break;
        }
    }
    let (word, _, (start, end)) = words.get(i)?;
    let raw = text.text.get(*start..*end)?;
    let quoted = raw.len() >= 2
        && (raw.starts_with('\'') && raw.ends_with('\'')
            || raw.starts_with('"') && raw.ends_with('"'));
    let (from, to) = if quoted {
        (start + 1, end - 1)
    } else {
        (*start, *end)
    };
    (text.text.get(from..to)? == word.value).then(|| text.slice(from, to))
}

fn assignment(w: &str) -> Option<(String, String)> {
    let (k, v) = w.split_once('=')?;
    let mut chars = k.chars();
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic() || first == '_')
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return None;
    }
    Some((k.to_string(), v.to_string()))
}

/// Splits arguments on whitespace, removing quotes and backslash escapes.
pub fn split_words(text: &Text) -> Vec<Word> {
    lex_words_only(text)
}

fn lex_words_only(text: &Text) -> Vec<Word> {
    let s = text.text.as_str();
    let mut out = Vec::new();
    let mut i = 0;
    let b = s.as_bytes();
    while i < b.len() {
        // Skip separators with the same predicate that ends a word below:
        // a character that ends a word but is not skipped here would yield
        // empty words forever.
        match s[i..].char_indices().find(|(_, c)| !c.is_whitespace()) {
            Some((k, _)) => i += k,
            None => break,
        }
        let start = i;
        let mut value = String::new();
        let mut quote: Option<char> = None;
        let mut chars = s[i..].char_indices();
        let mut end = s.len();
        while let Some((k, c)) = chars.next() {
            match quote {
                Some(q) if c == q => quote = None,
                Some('"') if c == '\\' => match chars.next() {
                    Some((_, n)) if matches!(n, '"' | '\\' | '$') => value.push(n),
                    Some((_, n)) => {
                        value.push('\\');
                        value.push(n);
                    }
                    None => value.push('\\'),
                },
                Some(_) => value.push(c),
                None if c == '"' || c == '\'' => quote = Some(c),
                None if c == '\\' => {
                    if let Some((_, n)) = chars.next() {
                        value.push(n);
                    }
                }
                None if c.is_whitespace() => {
                    end = i + k;
                    break;
                }
                None => value.push(c),
            }
        }
        out.push(Word {
            value,
            span: text.source_span(start, end),
        });
        i = end;
    }
    out
}

fn lex(text: &Text) -> Vec<Tok> {
    let s = text.text.as_str();
    let b = s.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut word = String::new();
    let mut quoted = false;
    let mut start: Option<usize> = None;
    // Drop the next word (a redirection target).
    let mut skip_next = false;
    let end_word = |at: usize,
                    start: &mut Option<usize>,
                    word: &mut String,
                    quoted: &mut bool,
                    skip_next: &mut bool,
                    toks: &mut Vec<Tok>| {
        if let Some(st) = start.take() {
            if *skip_next {
                *skip_next = false;
                word.clear();
            } else {
                toks.push(Tok::Word(
                    Word {
                        value: std::mem::take(word),
                        span: text.source_span(st, at),
                    },
                    *quoted,
                    (st, at),
                ));
            }
            *quoted = false;
        }
    };
    macro_rules! end_word {
        ($at:expr) => {
            end_word(
                $at,
                &mut start,
                &mut word,
                &mut quoted,
                &mut skip_next,
                &mut toks,
            )
        };
    }
    while i < b.len() {
        let c = s[i..].chars().next().unwrap_or(' ');
        let len = c.len_utf8();
        match c {
            ' ' | '\t' | '\r' => {
                end_word!(i);
                i += 1;
            }
            '\n' => {
                end_word!(i);
                toks.push(Tok::Op(Op::Seq));
                i += 1;
            }
            '#' if start.is_none() => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            '\\' => {
                // A line continuation (heredoc bodies keep them) joins
                // lines: it is no part of a word, nor starts one.
                if b.get(i + 1) == Some(&b'\n') {
                    i += 2;
                    continue;
                }
                if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                    i += 3;
                    continue;
                }
                start.get_or_insert(i);
                if let Some(n) = s[i + 1..].chars().next() {
                    word.push(n);
                    i += 1 + n.len_utf8();
                } else {
                    i += 1;
                }
            }
            '\'' => {
                start.get_or_insert(i);
                quoted = true;
                let close = s[i + 1..].find('\'').map_or(s.len(), |k| i + 1 + k);
                word.push_str(&s[i + 1..close]);
                i = (close + 1).min(s.len().max(close));
                if close >= s.len() {
                    i = s.len();
                }
            }
            '"' => {
                start.get_or_insert(i);
                quoted = true;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    let c = s[i..].chars().next().unwrap_or(' ');
                    if c == '\\' {
                        match b.get(i + 1) {
                            Some(&n @ (b'"' | b'\\' | b'$' | b'`')) => {
                                word.push(n as char);
                                i += 2;
                                continue;
                            }
                            Some(b'\n') => {
                                i += 2;
                                continue;
                            }
                            _ => {}
                        }
                    }
                    if c == '$' && b.get(i + 1) == Some(&b'(') {
                        let end = subst_end(b, i + 2);
                        word.push_str(&s[i..end]);
                        i = end;
                        continue;
                    }
                    word.push(c);
                    i += c.len_utf8();
                }
                i = (i + 1).min(b.len());
            }
            // Process substitution, `<(curl ...)`: one word, as `$( ... )`.
            '<' | '>' if b.get(i + 1) == Some(&b'(') => {
                start.get_or_insert(i);
                let end = subst_end(b, i + 2);
                word.push_str(&s[i..end]);
                i = end;
            }
            '$' if b.get(i + 1) == Some(&b'(') => {
                start.get_or_insert(i);
                let end = subst_end(b, i + 2);
                word.push_str(&s[i..end]);
                i = end;
            }
            '$' if b.get(i + 1) == Some(&b'{') => {
                start.get_or_insert(i);
                let end = s[i..].find('}').map_or(s.len(), |k| i + k + 1);
                word.push_str(&s[i..end]);
                i = end;
            }
            '`' => {
                start.get_or_insert(i);
                let end = s[i + 1..].find('`').map_or(s.len(), |k| i + 1 + k + 1);
                word.push_str(&s[i..end]);
                i = end;
            }
            '&' | '|' | ';' => {
                if c == '&' && b.get(i + 1) == Some(&b'>') {
                    end_word!(i);
                    i += 2;
                    if b.get(i) == Some(&b'>') {
                        i += 1;
                    }
                    skip_next = true;
                    continue;
                }
                end_word!(i);
                let two = b.get(i + 1) == Some(&(c as u8));
                let op = match (c, two) {
                    ('&', true) => Op::And,
                    ('|', true) => Op::Or,
                    ('|', false) => Op::Pipe,
                    _ => Op::Seq,
                };
                toks.push(Tok::Op(op));
                i += if two { 2 } else { 1 };
            }
            '(' | ')' => {
                end_word!(i);
                toks.push(Tok::Op(Op::Seq));
                i += 1;
            }
            '>' | '<' => {
                // A file-descriptor number just before is part of the redirection.
                if start.is_some()
                    && !quoted
                    && !word.is_empty()
                    && word.bytes().all(|c| c.is_ascii_digit())
                {
                    start = None;
                    word.clear();
                } else {
                    end_word!(i);
                }
                i += 1;
                while i < b.len() && matches!(b[i], b'>' | b'<' | b'&' | b'-' | b'|') {
                    i += 1;
                }
                skip_next = true;
            }
            _ => {
                start.get_or_insert(i);
                word.push(c);
                i += len;
            }
        }
    }
    end_word!(s.len());
    toks
}

/// The end of `$( ... )` starting after `$(`, counting nested parentheses.
fn subst_end(b: &[u8], mut i: usize) -> usize {
    let mut depth = 1;
    while i < b.len() {
        match b[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Text {
        let mut t = Text::default();
        t.push(s, 0);
        t
    }

    type Simple = (Vec<(String, String)>, Vec<String>, Op);

    fn cmds(s: &str) -> Vec<Simple> {
        split_commands(&text(s))
            .into_iter()
            .map(|c| (c.env, c.words.into_iter().map(|w| w.value).collect(), c.op))
            .collect()
    }

    #[test]
    fn operators_env_and_quotes() {
        let got = cmds(
            "CGO_ENABLED=0 go build -ldflags=\"-s -w\" -o /out ./cmd && echo 'a b' | tee x; env GOOS=linux go vet ./... || true",
        );
        assert_eq!(got.len(), 5);
        assert_eq!(got[0].0, vec![("CGO_ENABLED".into(), "0".into())]);
        assert_eq!(
            got[0].1,
            ["go", "build", "-ldflags=-s -w", "-o", "/out", "./cmd"]
        );
        assert_eq!(got[1].1, ["echo", "a b"]);
        assert_eq!(got[1].2, Op::And);
        assert_eq!(got[2].2, Op::Pipe);
        assert_eq!(got[3].0, vec![("GOOS".into(), "linux".into())]);
        assert_eq!(got[3].1, ["go", "vet", "./..."]);
        assert_eq!(got[4].2, Op::Or);
    }

    #[test]
    fn redirections_keywords_and_substitutions() {
        let got = cmds(
            "if [ -f go.mod ]; then go build . 2>&1 > /log; fi\ncurl -fsSL $(echo https://x) | sh",
        );
        let words: Vec<Vec<String>> = got.iter().map(|c| c.1.clone()).collect();
        assert!(
            words.contains(&vec!["go".to_string(), "build".into(), ".".into()]),
            "{words:?}"
        );
        assert!(words.contains(&vec![
            "curl".to_string(),
            "-fsSL".into(),
            "$(echo https://x)".into()
        ]));
        assert!(words.contains(&vec!["sh".to_string()]));
    }

    #[test]
    fn continuations_left_in_the_text_join_lines() {
        // Heredoc bodies keep `\` + newline: no empty word, no new command.
        let got = cmds("go build \\\n  -o /out/app \\\r\n  ./cmd/app\nfo\\\no");
        assert_eq!(got[0].1, ["go", "build", "-o", "/out/app", "./cmd/app"]);
        assert_eq!(got[1].1, ["foo"]);
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn spans_point_at_words() {
        let src = "go build -trimpath ./x";
        let c = &split_commands(&text(src))[0];
        let w = &c.words[2];
        assert_eq!(&src[w.span.start..w.span.end], "-trimpath");
    }

    #[test]
    fn wrappers_run_the_rest_as_a_command() {
        for (src, want) in [
            ("time go build .", "go build ."),
            ("time -p go build .", "go build ."),
            ("nice -n 10 go build .", "go build ."),
            ("nohup go build .", "go build ."),
            ("exec go build .", "go build ."),
            ("command go build .", "go build ."),
            ("timeout -s KILL 600 go build .", "go build ."),
            ("env -i GOOS=linux time go build .", "go build ."),
            ("command -v go", "command -v go"),
            ("time", "time"),
        ] {
            let got = cmds(src);
            assert_eq!(got[0].1.join(" "), want, "{src}");
        }
        assert_eq!(cmds("env -i GOOS=linux nice go version")[0].0.len(), 1);
    }

    #[test]
    fn sh_c_scripts_are_split_with_source_spans() {
        let src = r#"sh -ec 'CGO_ENABLED=0 go build -o /app . && echo ok' ; bash --norc -c "go vet ./..." ; sh -c "echo \"x\"""#;
        let all = split_commands(&text(src));
        let names: Vec<String> = all
            .iter()
            .map(|c| {
                c.words
                    .iter()
                    .map(|w| w.value.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        assert!(
            names.contains(&"go build -o /app .".to_string()),
            "{names:?}"
        );
        assert!(names.contains(&"echo ok".to_string()), "{names:?}");
        assert!(names.contains(&"go vet ./...".to_string()), "{names:?}");
        // Escapes inside: the script's text is not its source; not split.
        assert!(!names.contains(&"echo x".to_string()), "{names:?}");
        let build = all
            .iter()
            .find(|c| c.words[0].value == "go")
            .expect("go build");
        assert_eq!(build.env, vec![("CGO_ENABLED".into(), "0".into())]);
        let o = &build.words[3];
        assert_eq!(&src[o.span.start..o.span.end], "/app");
        // Nesting is followed, to a limit.
        let deep = "sh -c \"sh -c 'go build .'\"";
        assert!(cmds(deep).iter().any(|c| c.1 == ["go", "build", "."]));
    }
}
