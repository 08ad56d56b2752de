//! Span-preserving YAML editing: find the values of a key (`image:` in
//! Kubernetes manifests and Compose files), or every scalar a predicate
//! accepts (`ko://` references, [`find_scalars`]), with the exact bytes
//! they occupy, then rewrite those bytes and nothing else, so comments,
//! quotes, indentation and line endings stay as they were.
//!
//! The text is read by a YAML 1.2 parser (saphyr-parser), so block and
//! flow mappings, every scalar style, several documents and text inside
//! block scalars are told apart as YAML defines them. A value is offered
//! for editing only when its bytes in the file are exactly its value (a
//! one-line plain scalar, or a quoted one without escapes); anchors,
//! aliases, block scalars and collections are reported as skipped, with
//! the reason and the line, rather than edited.
//!
//! It depends on nothing else of envelope's.

use std::fmt;
use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

mod edit;
mod scalars;
mod tree;
pub use edit::{Editor, Want};
pub use scalars::find_scalars;
pub use tree::{parse_documents, parse_tree, Node, Tree};

/// Events read per input byte before the text is declared pathological
/// (a real document makes a few per token; this only bounds a parser that
/// would stop making progress).
const EVENTS_PER_BYTE: usize = 4;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },

    #[error("cannot edit bytes {start}..{end}: {detail}")]
    Edit {
        start: usize,
        end: usize,
        detail: &'static str,
    },
}

/// How a found value is written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `image: nginx:1.27`
    Plain,
    /// `image: 'nginx:1.27'`
    SingleQuoted,
    /// `image: "nginx:1.27"`
    DoubleQuoted,
}

/// A value that can be rewritten in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The value as YAML reads it, which is also the text at `range`.
    pub value: String,
    /// Its bytes in the file, quotes excluded.
    pub range: Range<usize>,
    /// The line it is on (1-based).
    pub line: usize,
    pub style: Style,
}

/// Why a value of the key is not offered for editing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// `image: &name REF`: aliases elsewhere share it.
    Anchor,
    /// `image: *name`: the value is written elsewhere.
    Alias,
    /// `image: |` or `image: >`.
    BlockScalar,
    /// A mapping or a sequence.
    Collection,
    /// A plain scalar folded over several lines.
    MultiLine,
    /// A quoted scalar with escapes or line breaks.
    Escaped,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Skip::Anchor => "has an anchor (&), which aliases share",
            Skip::Alias => "is an alias (*) of a value written elsewhere",
            Skip::BlockScalar => "is a block scalar (| or >)",
            Skip::Collection => "is a mapping or a sequence, not a string",
            Skip::MultiLine => "is a plain value folded over several lines",
            Skip::Escaped => "is a quoted value with escapes or line breaks",
        })
    }
}

/// A value of the key left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The line of its key (1-based).
    pub line: usize,
    pub reason: Skip,
    /// The scalar's value as YAML reads it (None for an alias or a
    /// collection).
    pub value: Option<String>,
}

/// Every value of a key in a YAML stream, in the order of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    pub values: Vec<Value>,
    pub skipped: Vec<Skipped>,
}

/// Where a node stands in its parent, as the walk tells its visitor.
#[derive(Debug, Clone, Copy)]
enum Place<'k> {
    /// A document's root or a sequence's item.
    Item,
    /// A mapping's key.
    Key,
    /// A mapping's value: its key's text when the key is a scalar, and
    /// the key's line (1-based).
    Value {
        key: Option<&'k str>,
        key_line: usize,
    },
}

enum Frame<'t> {
    Mapping {
        expect_key: bool,
        key: Option<std::borrow::Cow<'t, str>>,
        key_line: usize,
    },
    Sequence,
}

/// Finds the values of mapping keys equal to `key`, at any depth and in
/// every document. A null value (`image:` alone) is neither found nor
/// skipped.
pub fn find_values(text: &str, key: &str) -> Result<Found, Error> {
    let mut found = Found::default();
    let mut pos = Positions::new(text);
    walk(text, |event, span, place| {
        if let Place::Value {
            key: Some(k),
            key_line,
        } = place
        {
            if k == key {
                classify(
                    text,
                    event,
                    span,
                    key_line,
                    Anchors::Skip,
                    &mut pos,
                    &mut found,
                );
            }
        }
    })?;
    Ok(found)
}

/// Parses `text` and hands every node (a scalar, an alias, the start of a
/// mapping or a sequence) to `visit` with its place, in the order of the
/// file, in every document. The parse is bounded: a parser that stops
/// making progress is an error, not a hang.
fn walk<'t>(
    text: &'t str,
    mut visit: impl FnMut(&Event<'t>, Span, Place<'_>),
) -> Result<(), Error> {
    let mut stack: Vec<Frame<'t>> = Vec::new();
    let limit = text
        .len()
        .saturating_mul(EVENTS_PER_BYTE)
        .saturating_add(64);
    let mut parser = Parser::new_from_str(text);
    let mut events = 0usize;
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| Error::Syntax {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
        events += 1;
        if events > limit {
            return Err(Error::Syntax {
                line: span.start.line(),
                column: span.start.col() + 1,
                message: "the parser stopped making progress".into(),
            });
        }
        let is_node = matches!(
            event,
            Event::Scalar(..)
                | Event::Alias(_)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
        );
        if is_node {
            match stack.last_mut() {
                Some(Frame::Mapping {
                    expect_key,
                    key,
                    key_line,
                }) => {
                    if *expect_key {
                        *key = match &event {
                            Event::Scalar(k, ..) => Some(k.clone()),
                            _ => None,
                        };
                        *key_line = span.start.line();
                        visit(&event, span, Place::Key);
                    } else {
                        let place = Place::Value {
                            key: key.as_deref(),
                            key_line: *key_line,
                        };
                        visit(&event, span, place);
                    }
                    *expect_key = !*expect_key;
                }
                Some(Frame::Sequence) | None => visit(&event, span, Place::Item),
            }
        }
        match event {
            Event::MappingStart(..) => stack.push(Frame::Mapping {
                expect_key: true,
                key: None,
                key_line: 0,
            }),
            Event::SequenceStart(..) => stack.push(Frame::Sequence),
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
            }
            Event::StreamEnd => break,
            _ => {}
        }
    }
    Ok(())
}

/// What an edit of a found node may change besides its own bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchors {
    /// An anchored node is skipped: its aliases would change with it.
    Skip,
    /// An anchored scalar is offered: its aliases are meant to follow.
    Follow,
}

/// Sorts a node: offered for editing, or skipped (reported on `key_line`,
/// its key's line for a value of a key, as a block scalar's or a
/// collection's content is not).
fn classify(
    text: &str,
    event: &Event<'_>,
    span: Span,
    key_line: usize,
    anchors: Anchors,
    pos: &mut Positions<'_>,
    found: &mut Found,
) {
    let start = pos.byte(span.start.index());
    let scalar = match event {
        Event::Scalar(value, ..) => Some(value.to_string()),
        _ => None,
    };
    let mut skip = |reason| {
        found.skipped.push(Skipped {
            line: key_line,
            reason,
            value: scalar.clone(),
        });
    };
    let (value, style, anchor) = match event {
        Event::Alias(_) => return skip(Skip::Alias),
        Event::SequenceStart(..) | Event::MappingStart(..) => return skip(Skip::Collection),
        Event::Scalar(value, style, anchor, _) => (value, *style, *anchor),
        _ => return,
    };
    let style = match style {
        ScalarStyle::Literal | ScalarStyle::Folded => return skip(Skip::BlockScalar),
        ScalarStyle::Plain => Style::Plain,
        ScalarStyle::SingleQuoted => Style::SingleQuoted,
        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
    };
    if anchor != 0 && anchors == Anchors::Skip {
        return skip(Skip::Anchor);
    }
    if value.is_empty() && style == Style::Plain {
        return;
    }
    let quote = match style {
        Style::Plain => "",
        Style::SingleQuoted => "'",
        Style::DoubleQuoted => "\"",
    };
    // The span begins with the node's tag and anchor, if any, and a quoted
    // scalar's may run on over a comment after it; the value's bytes follow
    // them and must be the value itself, else a rewrite could not be exact.
    let span_end = pos.byte(span.end.index());
    let raw = text.get(start..span_end).unwrap_or_default();
    let mut body = raw;
    while body.starts_with(['!', '&']) {
        let tag_end = body.find(char::is_whitespace).unwrap_or(body.len());
        body = body[tag_end..].trim_start();
    }
    let value_start = start + (raw.len() - body.len()) + quote.len();
    let exact = body
        .strip_prefix(quote)
        .and_then(|b| b.strip_prefix(value.as_ref()))
        .is_some_and(|after| {
            if quote.is_empty() {
                after.is_empty()
            } else {
                after.starts_with(quote)
            }
        });
    if !exact || value.contains(['\n', '\r']) {
        return skip(if style == Style::Plain {
            Skip::MultiLine
        } else {
            Skip::Escaped
        });
    }
    let value_end = value_start + value.len();
    found.values.push(Value {
        value: value.to_string(),
        // The parser counts the span's line; a tag may stand lines above.
        line: span.start.line() + line_breaks(raw.get(..value_start - start).unwrap_or_default()),
        range: value_start..value_end,
        style,
    });
}

/// Converts the parser's positions, counted in characters, to byte
/// offsets and lines. Events come mostly in file order, so a cursor walks
/// forward, and back from where it is when asked for an earlier position.
pub(crate) struct Positions<'a> {
    text: &'a str,
    chars: usize,
    bytes: usize,
}

impl<'a> Positions<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Positions {
            text,
            chars: 0,
            bytes: 0,
        }
    }

    pub(crate) fn byte(&mut self, char_index: usize) -> usize {
        if char_index < self.chars {
            // Back from where the cursor is, not from the start: a text of
            // many documents would otherwise be walked once per step back.
            let back = self.chars - char_index;
            let before = self.text.get(..self.bytes).unwrap_or_default();
            match before.char_indices().rev().nth(back - 1) {
                Some((b, _)) => {
                    self.chars = char_index;
                    self.bytes = b;
                    return b;
                }
                None => {
                    self.chars = 0;
                    self.bytes = 0;
                }
            }
        }
        let rest = self.text.get(self.bytes..).unwrap_or_default();
        let skipped = rest
            .char_indices()
            .nth(char_index - self.chars)
            .map_or(rest.len(), |(b, _)| b);
        self.chars = char_index;
        self.bytes += skipped;
        self.bytes
    }
}

/// Line breaks as YAML counts them: LF, CRLF, and a CR alone.
pub fn line_breaks(text: &str) -> usize {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
}

/// Replaces each range of `text` with its text, leaving every other byte
/// as it was. Ranges must lie on character boundaries and not overlap.
pub fn splice(text: &str, edits: &[(Range<usize>, String)]) -> Result<String, Error> {
    let mut sorted: Vec<&(Range<usize>, String)> = edits.iter().collect();
    sorted.sort_by_key(|(r, _)| (r.start, r.end));
    let extra: usize = edits.iter().map(|(_, t)| t.len()).sum();
    let mut out = String::with_capacity(text.len() + extra);
    let mut at = 0;
    for (range, replacement) in sorted {
        let bad = |detail| Error::Edit {
            start: range.start,
            end: range.end,
            detail,
        };
        if range.start < at {
            return Err(bad("overlaps another edit"));
        }
        let (Some(kept), Some(_)) = (text.get(at..range.start), text.get(range.clone())) else {
            return Err(bad("out of the text or not on a character boundary"));
        };
        out.push_str(kept);
        out.push_str(replacement);
        at = range.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(text: &str) -> Found {
        find_values(text, "image").expect("valid YAML")
    }

    fn values(text: &str) -> Vec<(usize, &str, Style)> {
        let found = images(text);
        found
            .values
            .iter()
            .map(|v| {
                assert_eq!(&text[v.range.clone()], v.value, "range of {v:?}");
                let at = v.range.start;
                (v.line, &text[at..v.range.end], v.style)
            })
            .collect()
    }

    /// Appends `@D` to every found value.
    fn pinned(text: &str) -> String {
        let edits: Vec<(Range<usize>, String)> = images(text)
            .values
            .into_iter()
            .map(|v| (v.range, format!("{}@D", v.value)))
            .collect();
        splice(text, &edits).expect("splice")
    }

    #[test]
    fn each_scalar_style_keeps_its_quotes_and_comments() {
        let text = "a:\n  image: nginx:1.27 # plain\nb:\n  image: 'ghcr.io/o/a:v1'\nc:\n  image: \"busybox\"  # quoted\n";
        assert_eq!(
            values(text),
            [
                (2, "nginx:1.27", Style::Plain),
                (4, "ghcr.io/o/a:v1", Style::SingleQuoted),
                (6, "busybox", Style::DoubleQuoted),
            ]
        );
        assert_eq!(
            pinned(text),
            "a:\n  image: nginx:1.27@D # plain\nb:\n  image: 'ghcr.io/o/a:v1@D'\nc:\n  image: \"busybox@D\"  # quoted\n"
        );
    }

    #[test]
    fn flow_mappings_sequences_and_documents() {
        let text = "containers: [{name: a, image: alpine:3}, {image: \"b:1\"}]\n---\nspec:\n  - image: c:2\r\n    name: x\r\n...\n---\n{ image : 'd:4' }\n";
        assert_eq!(
            values(text),
            [
                (1, "alpine:3", Style::Plain),
                (1, "b:1", Style::DoubleQuoted),
                (4, "c:2", Style::Plain),
                (8, "d:4", Style::SingleQuoted),
            ]
        );
        assert_eq!(
            pinned(text),
            text.replace(":3", ":3@D")
                .replace(":1", ":1@D")
                .replace(":2", ":2@D")
                .replace(":4", ":4@D")
        );
    }

    #[test]
    fn block_scalars_hide_their_text_and_are_not_values() {
        let text = "script: |\n  image: not-a-key:1\n  more\nfolded: >\n  image: nor-this\nimage: >-\n  real:1\nafter: {image: x:1}\n";
        let found = images(text);
        assert_eq!(values(text), [(8, "x:1", Style::Plain)]);
        assert_eq!(
            found.skipped,
            [Skipped {
                line: 6,
                reason: Skip::BlockScalar,
                value: Some("real:1".into()),
            }]
        );
    }

    #[test]
    fn anchors_aliases_and_collections_are_skipped_with_their_line() {
        let text = "a:\n  image: &img nginx:1\nb:\n  image: *img\nc:\n  image:\n    repository: r\n    tag: t\nd:\n  image: [x]\ne:\n  image:\nf:\n  image: ok:1\n";
        let found = images(text);
        let skipped: Vec<(usize, Skip)> =
            found.skipped.iter().map(|s| (s.line, s.reason)).collect();
        assert_eq!(
            skipped,
            [
                (2, Skip::Anchor),
                (4, Skip::Alias),
                (6, Skip::Collection),
                (10, Skip::Collection),
            ]
        );
        assert_eq!(values(text), [(14, "ok:1", Style::Plain)]);
    }

    #[test]
    fn only_exact_bytes_are_offered() {
        let text = "a: {image: \"esc\\u0061ped\"}\nb:\n  image: 'it''s'\nc:\n  image: two\n    lines\nd:\n  image: !!str tagged:1\ne:\n  \"image\": quoted-key:1\nimage: top:1\n";
        let found = images(text);
        let skipped: Vec<(usize, Skip)> =
            found.skipped.iter().map(|s| (s.line, s.reason)).collect();
        assert_eq!(
            skipped,
            [(1, Skip::Escaped), (3, Skip::Escaped), (5, Skip::MultiLine)]
        );
        assert_eq!(
            values(text),
            [
                (8, "tagged:1", Style::Plain),
                (10, "quoted-key:1", Style::Plain),
                (11, "top:1", Style::Plain),
            ]
        );
    }

    #[test]
    fn positions_are_bytes_in_non_ascii_text() {
        let text = "\u{feff}# café ☕\nnote: \"naïve — 日本\"\nimage: 'ghcr.io/ü/app:v1' # ✓\nlist: [é, {image: x:1}]\n";
        assert_eq!(
            values(text),
            [
                (3, "ghcr.io/ü/app:v1", Style::SingleQuoted),
                (4, "x:1", Style::Plain),
            ]
        );
        assert_eq!(
            pinned(text),
            text.replace("app:v1", "app:v1@D").replace("x:1", "x:1@D")
        );
    }

    #[test]
    fn lines_count_every_yaml_line_break() {
        let text = "a: 1\rb: 2\r\nc:\n  image: !!str\r    x:1\n";
        assert_eq!(values(text), [(5, "x:1", Style::Plain)]);
        assert_eq!(line_breaks(text), 5);
    }

    #[test]
    fn keys_other_than_the_one_asked_are_ignored() {
        let text = "images:\n  image_pull: x\nspec:\n  initImage: y\n  image:\n    - image: z:1\n";
        assert_eq!(values(text), [(6, "z:1", Style::Plain)]);
        assert_eq!(images(text).skipped.len(), 1);
    }

    #[test]
    fn invalid_yaml_is_an_error_with_its_position() {
        let e = find_values("a: [1, 2\nb: {{ .Values.image }}\n", "image").expect_err("invalid");
        assert!(matches!(e, Error::Syntax { line, .. } if line >= 1), "{e}");
        assert!(e.to_string().starts_with("line "), "{e}");
        assert_eq!(find_values("", "image"), Ok(Found::default()));
    }

    #[test]
    fn splice_refuses_overlaps_and_broken_characters() {
        assert_eq!(splice("abc", &[(1..2, "XY".into())]), Ok("aXYc".into()));
        assert_eq!(
            splice("abcd", &[(2..3, "2".into()), (0..1, "0".into())]),
            Ok("0b2d".into())
        );
        assert!(splice("abc", &[(0..2, "x".into()), (1..3, "y".into())]).is_err());
        assert!(splice("é", &[(1..2, "x".into())]).is_err());
        assert!(splice("abc", &[(2..9, "x".into())]).is_err());
    }
}
