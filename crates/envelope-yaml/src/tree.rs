//! A YAML document read into a tree of values with their line, column and
//! byte range, for configuration files (`.ko.yaml`) and Kubernetes
//! manifests (several documents in one file, JSON too): scalars stay
//! strings (the reader decides what they mean), an alias is the value its
//! anchor named.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::{line_breaks, Error, Positions};

/// Collections nested deeper than this are refused (a configuration file
/// has a handful of levels; this bounds the work and the stack).
const MAX_DEPTH: usize = 64;

/// Merge keys followed from a mapping to find a key.
const MAX_MERGES: usize = 8;

/// Values made per input byte, aliases counted, before the document is
/// refused (an alias of an alias of ... grows without bound otherwise).
const NODES_PER_BYTE: usize = 8;

/// A value and where it is: its 1-based line and column, and the bytes
/// `start..end` of the text it spans (a collection from its first to its
/// last character; an alias the bytes of its anchor's value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub value: Tree,
    pub line: usize,
    pub column: usize,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tree {
    /// `~`, `null` or nothing, unquoted.
    Null,
    Scalar(String),
    Sequence(Vec<Node>),
    /// In the file's order.
    Mapping(Vec<(Node, Node)>),
}

impl Node {
    /// The scalar's text, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Tree::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` in a mapping: its own, else one a merge key
    /// (`<<: *defaults`, `<<: [*a, *b]`, the first listed winning) brings
    /// in, as Kubernetes' and Go's YAML readers merge them.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_merged(key, MAX_MERGES)
    }

    fn get_merged(&self, key: &str, depth: usize) -> Option<&Node> {
        let Tree::Mapping(entries) = &self.value else {
            return None;
        };
        if let Some((_, v)) = entries.iter().find(|(k, _)| k.as_str() == Some(key)) {
            return Some(v);
        }
        // A merged mapping may merge another: bounded, as aliases can
        // chain through every anchor of the text.
        let depth = depth.checked_sub(1)?;
        entries
            .iter()
            .filter(|(k, _)| k.as_str() == Some("<<"))
            .find_map(|(_, v)| match &v.value {
                Tree::Mapping(_) => v.get_merged(key, depth),
                Tree::Sequence(items) => items.iter().find_map(|m| m.get_merged(key, depth)),
                _ => None,
            })
    }

    /// How a person names the kind of value, for errors.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Tree::Null => "null",
            Tree::Scalar(_) => "a string",
            Tree::Sequence(_) => "a list",
            Tree::Mapping(_) => "a mapping",
        }
    }
}

enum Frame {
    Sequence(Node, usize),
    Mapping(Node, Option<Node>, usize),
}

/// The first document of `text`; None when it has none.
pub fn parse_tree(text: &str) -> Result<Option<Node>, Error> {
    let mut first = None;
    read(text, |doc| {
        first = Some(doc);
        false
    })?;
    Ok(first)
}

/// Every document of `text` (`---` separates them), in order; an empty
/// document is [`Tree::Null`]. The limits of [`parse_tree`] hold for the
/// whole text. A syntax error ends the reading: the documents before it
/// are returned with it, so a caller can still use them.
pub fn parse_documents(text: &str) -> (Vec<Node>, Option<Error>) {
    let mut docs = Vec::new();
    let error = read(text, |doc| {
        docs.push(doc);
        true
    })
    .err();
    (docs, error)
}

/// Reads documents, giving each to `each` until it returns false.
fn read(text: &str, mut each: impl FnMut(Node) -> bool) -> Result<(), Error> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    // By anchor id; a later anchor of the same id replaces the earlier.
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut made = 0usize;
    let limit = text.len().saturating_mul(NODES_PER_BYTE).saturating_add(64);
    let end = End::of(text);
    let mut bytes = Positions::new(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(next) => next,
            Err(e) => return Err(end.error_at(e.marker(), e.info())),
        };
        if !matches!(
            event,
            Event::Scalar(..)
                | Event::Alias(_)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
                | Event::SequenceEnd
                | Event::MappingEnd
                | Event::StreamEnd
        ) {
            // Document and stream markers make no value (and may point
            // back at the start of the text).
            continue;
        }
        let (line, column) = end.place(&span.start);
        let start = bytes.byte(span.start.index());
        let stop = bytes.byte(span.end.index()).max(start);
        let at = |value: Tree| Node {
            value,
            line,
            column,
            start,
            end: stop,
        };
        let syntax = |message: String| end.error_at(&span.start, &message);
        let (node, anchor) = match event {
            Event::Scalar(value, style, anchor, _) => {
                let null = style == ScalarStyle::Plain
                    && matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL");
                let tree = if null {
                    Tree::Null
                } else {
                    Tree::Scalar(value.into_owned())
                };
                (at(tree), anchor)
            }
            Event::Alias(id) => {
                let node = anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| syntax("an alias names no anchor before it".into()))?;
                made = made.saturating_add(count(&node));
                (node, 0)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(syntax(format!("nested deeper than {MAX_DEPTH} levels")));
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Sequence(at(Tree::Sequence(Vec::new())), anchor)
                } else {
                    Frame::Mapping(at(Tree::Mapping(Vec::new())), None, anchor)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Sequence(mut node, anchor))
                | Some(Frame::Mapping(mut node, _, anchor)) => {
                    // A flow collection ends at its bracket; a block one
                    // at its last value (the event comes at the next token).
                    let flow = is_flow(text, &node);
                    node.end = if flow {
                        stop
                    } else {
                        last_end(&node).unwrap_or(node.end)
                    }
                    .max(node.start);
                    (node, anchor)
                }
                None => return Err(syntax("a collection ends that did not start".into())),
            },
            Event::StreamEnd => break,
            _ => continue,
        };
        made += 1;
        if made > limit {
            return Err(syntax("the document makes too many values".into()));
        }
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => {
                if !each(node) {
                    return Ok(());
                }
            }
            Some(Frame::Sequence(seq, _)) => {
                if let Tree::Sequence(items) = &mut seq.value {
                    items.push(node);
                }
            }
            Some(Frame::Mapping(map, key, _)) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    if let Tree::Mapping(entries) = &mut map.value {
                        entries.push((k, node));
                    }
                }
            },
        }
    }
    Ok(())
}

/// Is this collection written in flow style (`[a, b]`, `{a: 1}`)? Its
/// text opens with a bracket after any anchor and tag, and its first
/// value does not start there: an indentless block sequence whose first
/// item is a flow mapping (`- {port: 80}`) starts at that mapping's brace.
pub(crate) fn is_flow(text: &str, node: &Node) -> bool {
    let mut at = node.start;
    let mut rest = text.get(at..).unwrap_or_default();
    while rest.starts_with(['&', '!']) {
        let word = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let skipped = rest[word..].len() - rest[word..].trim_start().len();
        at += word + skipped;
        rest = &rest[word + skipped..];
    }
    let first = match &node.value {
        Tree::Sequence(items) => items.first().map(|n| n.start),
        Tree::Mapping(entries) => entries.first().map(|(k, _)| k.start),
        _ => None,
    };
    rest.starts_with(['[', '{']) && first != Some(at)
}

/// Where a block collection's last value ends.
fn last_end(node: &Node) -> Option<usize> {
    match &node.value {
        Tree::Sequence(items) => items.last().map(|n| n.end),
        Tree::Mapping(entries) => entries.last().map(|(k, v)| k.end.max(v.end)),
        _ => None,
    }
}

/// The text's last line, where positions past the end are shown: the
/// parser counts a line break the text may not have (`---` at the end of
/// a one-line file is at line 2), and a message must name a line of the
/// file.
struct End {
    line: usize,
    /// 1-based, just after the last character.
    column: usize,
}

impl End {
    fn of(text: &str) -> End {
        let last = text
            .rsplit(['\n', '\r'])
            .next()
            .map_or(0, |l| l.chars().count());
        End {
            line: line_breaks(text) + 1,
            column: last + 1,
        }
    }

    /// A marker's 1-based line and column, inside the text.
    fn place(&self, at: &saphyr_parser::Marker) -> (usize, usize) {
        if at.line() > self.line {
            (self.line, self.column)
        } else {
            (at.line().max(1), at.col() + 1)
        }
    }

    fn error_at(&self, at: &saphyr_parser::Marker, message: &str) -> Error {
        let (line, column) = self.place(at);
        Error::Syntax {
            line,
            column,
            message: message.to_string(),
        }
    }
}

/// The values in a node, itself included.
fn count(node: &Node) -> usize {
    match &node.value {
        Tree::Sequence(items) => 1 + items.iter().map(count).sum::<usize>(),
        Tree::Mapping(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count(k) + count(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        parse_tree(text).expect("parses").expect("a document")
    }

    #[test]
    fn values_with_positions() {
        let doc = parse(
            "# ko\ndefaultBaseImage: cgr.dev/x:1\nbuilds:\n- id: api\n  main: ./cmd/api\n  ldflags: [\"-X a=b\", '-s']\nempty:\n",
        );
        let base = doc.get("defaultBaseImage").expect("base");
        assert_eq!(
            (base.as_str(), base.line, base.column),
            (Some("cgr.dev/x:1"), 2, 19)
        );
        let Tree::Sequence(builds) = &doc.get("builds").expect("builds").value else {
            panic!("a list")
        };
        let main = builds[0].get("main").expect("main");
        assert_eq!(
            (main.as_str(), main.line, main.column),
            (Some("./cmd/api"), 5, 9)
        );
        let Tree::Sequence(flags) = &builds[0].get("ldflags").expect("ldflags").value else {
            panic!("a list")
        };
        assert_eq!(flags[1].as_str(), Some("-s"));
        assert_eq!(doc.get("empty").map(|n| &n.value), Some(&Tree::Null));
        assert_eq!(doc.get("missing"), None);
    }

    #[test]
    fn merge_keys_bring_in_values() {
        let doc = parse(
            "base: &b {a: 1, b: 2}\nother: &o {c: 3}\nm:\n  <<: [*b, *o]\n  a: 9\nn: {<<: *b}\n",
        );
        let m = doc.get("m").expect("m");
        assert_eq!(m.get("a").and_then(Node::as_str), Some("9"));
        assert_eq!(m.get("b").and_then(Node::as_str), Some("2"));
        assert_eq!(m.get("c").and_then(Node::as_str), Some("3"));
        assert_eq!(
            doc.get("n").and_then(|n| n.get("b")).and_then(Node::as_str),
            Some("2")
        );
        assert_eq!(m.get("d"), None);
        // A chain of merges longer than the bound ends, without a value.
        let mut text = String::from("m0: &m0 {k: v}\n");
        for i in 1..40 {
            text.push_str(&format!("m{i}: &m{i} {{<<: *m{}}}\n", i - 1));
        }
        let doc = parse(&text);
        assert_eq!(
            doc.get("m3")
                .and_then(|n| n.get("k"))
                .and_then(Node::as_str),
            Some("v")
        );
        assert_eq!(doc.get("m39").and_then(|n| n.get("k")), None);
    }

    #[test]
    fn aliases_are_their_anchors_value() {
        let doc = parse("env: &e [A=1]\nother: *e\n");
        assert_eq!(
            doc.get("env").map(|n| &n.value),
            doc.get("other").map(|n| &n.value)
        );
    }

    #[test]
    fn bad_documents_are_errors_not_panics() {
        assert!(matches!(
            parse_tree("a: [1, 2\n"),
            Err(Error::Syntax { line: 2, .. })
        ));
        assert!(parse_tree("a: *nothing\n").is_err());
        let deep = "[".repeat(200);
        assert!(parse_tree(&deep).is_err());
        // A billion laughs is refused, not expanded.
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            text.push_str(&format!(
                "b{i}: &b{i} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n",
                p = if i == 0 {
                    "a".to_string()
                } else {
                    format!("b{}", i - 1)
                }
            ));
        }
        assert!(parse_tree(&text).is_err());
        assert_eq!(parse_tree("").expect("empty"), None);
    }

    #[test]
    fn positions_past_the_end_are_on_the_last_line() {
        // The parser puts the empty document after `---` on a line the
        // text does not have (found by fuzzing).
        for (text, at) in [
            ("---", (1, 4)),
            ("# a\n---\n# b", (3, 4)),
            ("# a\r\n---\r\n# é", (3, 4)),
            ("---\n", (2, 1)),
        ] {
            let node = parse(text);
            assert_eq!(
                (node.value.clone(), node.line, node.column),
                (Tree::Null, at.0, at.1),
                "{text:?}"
            );
        }
        assert!(matches!(
            parse_tree("a: [1, 2"),
            Err(Error::Syntax { line: 1, .. })
        ));
    }

    #[test]
    fn documents_and_byte_ranges() {
        let text = "# first\napiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: é\n    image: x\n---\n---\n{\"kind\": \"Job\", \"a\": [1, 2]}\n";
        let (docs, error) = parse_documents(text);
        assert_eq!(error, None);
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[1].value, Tree::Null);
        let spec = docs[0].get("spec").expect("spec");
        let Tree::Sequence(containers) = &spec.get("containers").expect("list").value else {
            panic!("a list")
        };
        let c = &containers[0];
        assert_eq!(&text[c.start..c.end], "name: é\n    image: x");
        let name = c.get("name").expect("name");
        assert_eq!(
            (&text[name.start..name.end], name.line, name.column),
            ("é", 6, 11)
        );
        let json = &docs[2];
        assert_eq!(
            &text[json.start..json.end],
            "{\"kind\": \"Job\", \"a\": [1, 2]}"
        );
        let a = json.get("a").expect("a");
        assert_eq!(&text[a.start..a.end], "[1, 2]");
        assert_eq!(json.get("kind").and_then(Node::as_str), Some("Job"));
    }

    #[test]
    fn documents_before_an_error_are_kept() {
        let (docs, error) = parse_documents("a: 1\n---\nb: [2\n");
        assert_eq!(docs.len(), 1);
        assert!(
            matches!(error, Some(Error::Syntax { line: 4, .. })),
            "{error:?}"
        );
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn many_documents_are_read_in_linear_time() {
        let doc = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: é\nspec:\n  containers:\n  - name: a\n    image: x\n";
        let text = vec![doc; 20_000].join("---\n");
        let started = std::time::Instant::now();
        let (docs, error) = parse_documents(&text);
        assert_eq!((docs.len(), error), (20_000, None));
        let last = docs
            .last()
            .and_then(|d| d.get("metadata"))
            .and_then(|m| m.get("name"));
        let name = last.expect("name");
        assert_eq!(&text[name.start..name.end], "é");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
    }
}
