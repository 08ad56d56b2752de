//! Making a value at a path true by one edit of the text: the scalar
//! rewritten in place, an item added to a sequence, or the missing keys
//! added as new lines (block style, at the mapping's indentation and with
//! the text's line endings) or new entries (flow style and JSON, quoted as
//! the neighbouring keys are). Every other byte stays as it was.
//!
//! A change that would reach beyond the one value is refused (None): a
//! value brought in by an alias or a merge key, or one carrying an anchor
//! or a tag (its aliases would change with it), a value of another type,
//! a multi-line or escaped scalar, indentation that is not spaces.

use std::ops::Range;

use crate::tree::is_flow;
use crate::{Node, Tree};

/// What the value at a path is to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want<'a> {
    /// `true` or `false`.
    Bool(bool),
    /// A word (letters, digits, `_`, `-`, `.`): plain in YAML, quoted in
    /// JSON.
    Word(&'a str),
    /// A sequence that holds this word: added to it, or made with it.
    Item(&'a str),
}

/// A text prepared for edits: its line ending found once, however many
/// values are then set in it.
#[derive(Debug, Clone, Copy)]
pub struct Editor<'t> {
    text: &'t str,
    nl: &'static str,
}

impl<'t> Editor<'t> {
    /// None for a text whose lines end in a carriage return alone: its
    /// lines are not written here.
    pub fn new(text: &'t str) -> Option<Editor<'t>> {
        let bytes = text.as_bytes();
        let lone_cr = bytes
            .iter()
            .enumerate()
            .any(|(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
        if lone_cr {
            return None;
        }
        let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
        Some(Editor { text, nl })
    }

    /// One edit of the text (replace the range with the string) after
    /// which the value at `keys` below `base` (a node read from the text)
    /// is what `want` says; None when no single local edit can do it (see
    /// the module).
    pub fn set(
        &self,
        base: &Node,
        keys: &[&str],
        want: Want<'_>,
    ) -> Option<(Range<usize>, String)> {
        set(self.text, self.nl, base, keys, want)
    }
}

fn set(
    text: &str,
    nl: &str,
    base: &Node,
    keys: &[&str],
    want: Want<'_>,
) -> Option<(Range<usize>, String)> {
    let word = match want {
        Want::Bool(_) => "",
        Want::Word(w) | Want::Item(w) => w,
    };
    if !word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return None;
    }
    if shared(text, base) || !ordered(base) {
        return None;
    }
    let mut node = base;
    let mut quoted = false;
    for (i, k) in keys.iter().enumerate() {
        let Tree::Mapping(entries) = &node.value else {
            return None;
        };
        let Some((key, value)) = entries.iter().find(|(key, _)| key.as_str() == Some(k)) else {
            if node.get(k).is_some() {
                // Brought in by a merge key: written elsewhere.
                return None;
            }
            return add(text, node, &keys[i..], want, quoted, nl);
        };
        quoted = text.get(key.start..).is_some_and(|t| t.starts_with('"'));
        let between = text.get(key.end..value.start)?;
        if value.start < key.end || between.contains(['&', '*', '!']) || shared(text, value) {
            // An alias's value lies elsewhere; an anchored or tagged one
            // is shared with its aliases.
            return None;
        }
        let last = i + 1 == keys.len();
        match &value.value {
            Tree::Null => return fill(text, key, value, &keys[i + 1..], want, quoted, nl),
            _ if last => return leaf(text, value, want, quoted, nl),
            _ => node = value,
        }
    }
    None
}

/// The word or boolean as written: JSON quotes strings.
fn render(want: Want<'_>, quoted: bool) -> String {
    match want {
        Want::Bool(b) => b.to_string(),
        Want::Word(w) | Want::Item(w) if quoted => format!("\"{w}\""),
        Want::Word(w) | Want::Item(w) => w.to_string(),
    }
}

/// The value as a flow value: the word, or `[word]` for an item.
fn flow_value(want: Want<'_>, quoted: bool) -> String {
    match want {
        Want::Item(_) => format!("[{}]", render(want, quoted)),
        _ => render(want, quoted),
    }
}

/// `key: value` of a present key, made what `want` says.
fn leaf(
    text: &str,
    value: &Node,
    want: Want<'_>,
    quoted: bool,
    nl: &str,
) -> Option<(Range<usize>, String)> {
    match (&value.value, want) {
        (Tree::Scalar(s), Want::Bool(_) | Want::Word(_)) => {
            let range = scalar_bytes(text, value, s)?;
            let quoted = quoted || text[range.clone()].starts_with('"');
            Some((range, render(want, quoted)))
        }
        (Tree::Sequence(items), Want::Item(_)) => {
            let flow = is_flow(text, value);
            if flow {
                let close = value.end.checked_sub(1)?;
                if text.as_bytes().get(close) != Some(&b']') {
                    return None;
                }
                let quoted = items
                    .first()
                    .map_or(quoted, |f| text[f.start..].starts_with('"'));
                match items.last() {
                    None => Some((value.start..value.end, flow_value(want, quoted))),
                    Some(last) => {
                        let end = written_end(text, last)?;
                        Some((end..end, format!(", {}", render(want, quoted))))
                    }
                }
            } else {
                let first = items.first()?;
                let line_start = text[..first.start].rfind('\n').map_or(0, |i| i + 1);
                let prefix = &text[line_start..first.start];
                let dash = prefix.trim_start_matches(' ');
                if dash.trim_end_matches(' ') != "-" {
                    return None;
                }
                let at = line_end(text, content_end(text, value));
                let lead = if at == text.len() && !text.ends_with('\n') {
                    nl
                } else {
                    ""
                };
                Some((at..at, format!("{lead}{prefix}{}{nl}", render(want, false))))
            }
        }
        _ => None,
    }
}

/// A present key whose value is null (`key:`, `key: null`, `key: ~`):
/// the value, or the mappings still missing below it, put in its place.
fn fill(
    text: &str,
    key: &Node,
    value: &Node,
    rest: &[&str],
    want: Want<'_>,
    quoted: bool,
    nl: &str,
) -> Option<(Range<usize>, String)> {
    let after_key = text.get(key.end..)?;
    let colon = key.end + after_key.find(':')?;
    if !text[key.end..colon].trim().is_empty() {
        return None;
    }
    // The bytes of the null: a literal, or nothing up to the line's end.
    let written = text
        .get(value.start..value.end)
        .unwrap_or_default()
        .trim_end();
    let literal = (matches!(written, "null" | "Null" | "NULL" | "~") && value.start > colon)
        .then(|| value.start..value.start + written.len());
    if literal.is_none() {
        let line = &text[colon + 1..];
        let blank = line
            .find(['\n', '\r', '#'])
            .map_or(line, |i| &line[..i])
            .trim()
            .is_empty();
        if !blank {
            return None;
        }
    }
    let flow_context = text[..key.start].trim_end().ends_with(['{', ',']);
    if rest.is_empty() || flow_context || quoted {
        let written = if rest.is_empty() {
            flow_value(want, quoted)
        } else {
            format!("{{{}}}", flow_entry(rest, want, quoted))
        };
        return Some(match literal {
            Some(range) => (range, written),
            None => (colon + 1..colon + 1, format!(" {written}")),
        });
    }
    // Block: the keys on the lines below, indented under this one, in
    // place of the null literal if there is one.
    let indent = indent_of(text, key)? + 2;
    let block = block_lines(rest, want, indent, nl);
    let block = block.strip_suffix(nl).unwrap_or(&block);
    let end = literal.map_or(colon + 1, |r| r.end);
    Some((colon + 1..end, format!("{nl}{block}")))
}

/// The mapping `node` lacks `rest[0]`: the missing keys and the value
/// added to it.
fn add(
    text: &str,
    node: &Node,
    rest: &[&str],
    want: Want<'_>,
    quoted: bool,
    nl: &str,
) -> Option<(Range<usize>, String)> {
    let Tree::Mapping(entries) = &node.value else {
        return None;
    };
    if is_flow(text, node) {
        let close = node.end.checked_sub(1)?;
        if text.as_bytes().get(close) != Some(&b'}') {
            return None;
        }
        let quoted = entries
            .first()
            .map_or(quoted, |(k, _)| text[k.start..].starts_with('"'));
        let entry = flow_entry(rest, want, quoted);
        let Some((last_key, last)) = entries.last() else {
            return Some((node.start..node.end, format!("{{{entry}}}")));
        };
        let end = written_end(text, last)?;
        if text[end..close].contains('\n') {
            // JSON laid out a key a line: the new one on a line of its own.
            let indent = " ".repeat(indent_of(text, last_key)?);
            return Some((end..end, format!(",{nl}{indent}{entry}")));
        }
        return Some((end..end, format!(", {entry}")));
    }
    let (first, _) = entries.first()?;
    let indent = indent_of(text, first)?;
    let at = line_end(text, content_end(text, node));
    let lead = if at == text.len() && !text.ends_with('\n') {
        nl
    } else {
        ""
    };
    Some((
        at..at,
        format!("{lead}{}", block_lines(rest, want, indent, nl)),
    ))
}

/// `a: {b: value}` for keys `[a, b]`.
fn flow_entry(rest: &[&str], want: Want<'_>, quoted: bool) -> String {
    let key = |k: &str| {
        if quoted {
            format!("\"{k}\"")
        } else {
            k.to_string()
        }
    };
    let mut out = flow_value(want, quoted);
    for (j, k) in rest.iter().enumerate().rev() {
        out = if j + 1 == rest.len() {
            format!("{}: {out}", key(k))
        } else {
            format!("{}: {{{out}}}", key(k))
        };
    }
    out
}

/// The keys as block lines from `indent`, each nested two deeper, the
/// last holding the value (an item as `- word` under its key).
fn block_lines(rest: &[&str], want: Want<'_>, indent: usize, nl: &str) -> String {
    let mut out = String::new();
    for (j, k) in rest.iter().enumerate() {
        let pad = " ".repeat(indent + 2 * j);
        if j + 1 < rest.len() {
            out.push_str(&format!("{pad}{k}:{nl}"));
        } else if let Want::Item(_) = want {
            out.push_str(&format!("{pad}{k}:{nl}{pad}- {}{nl}", render(want, false)));
        } else {
            out.push_str(&format!("{pad}{k}: {}{nl}", render(want, false)));
        }
    }
    out
}

/// The bytes of a one-line scalar exactly as its value is written
/// (quotes included, a comment after it not); None for escaped,
/// multi-line, tagged or anchored ones.
fn scalar_bytes(text: &str, node: &Node, value: &str) -> Option<Range<usize>> {
    let raw = text.get(node.start..node.end)?;
    for q in ['"', '\''] {
        if raw.starts_with(q) {
            let inner = raw[1..].strip_prefix(value)?;
            return inner
                .starts_with(q)
                .then(|| node.start..node.start + value.len() + 2);
        }
    }
    (raw.trim_end() == value && !value.contains(['\n', '\r']))
        .then(|| node.start..node.start + value.len())
}

/// Does the node's text open with an anchor or a tag (`&name`, `!!map`)?
/// An anchored value is shared with its aliases, a tagged one may not
/// mean what it reads as.
fn shared(text: &str, node: &Node) -> bool {
    text.get(node.start..)
        .is_some_and(|t| t.starts_with(['&', '!', '*']))
}

/// Is every value below `node` written where it stands, each after the
/// one before it? An alias's value carries its anchor's bytes, earlier in
/// the text: a collection holding one cannot be edited by position.
fn ordered(node: &Node) -> bool {
    let mut end = node.start;
    let mut next = |n: &Node| {
        let fine = n.start >= end && ordered(n);
        end = end.max(n.end);
        fine
    };
    match &node.value {
        Tree::Sequence(items) => items.iter().all(next),
        Tree::Mapping(entries) => entries.iter().all(|(k, v)| next(k) && next(v)),
        Tree::Null | Tree::Scalar(_) => true,
    }
}

/// Where a value inside a flow collection ends: a scalar's own bytes (a
/// quoted one's span may run on over a comment), a collection's closing
/// bracket; None for a value written as nothing.
fn written_end(text: &str, node: &Node) -> Option<usize> {
    match &node.value {
        Tree::Scalar(s) => scalar_bytes(text, node, s).map(|r| r.end),
        Tree::Null => None,
        Tree::Sequence(_) | Tree::Mapping(_) => Some(node.end),
    }
}

/// Where the last written character of a collection is: its span may run
/// on over the blank space after it (a block scalar's ends at the next
/// line's indentation).
fn content_end(text: &str, node: &Node) -> usize {
    let end = node.end.min(text.len());
    text[..end].trim_end().len().max(node.start.min(end))
}

/// The columns before a key on its line, when they are spaces or the
/// dashes of sequence items (`- name:` puts `name` at 2).
fn indent_of(text: &str, key: &Node) -> Option<usize> {
    let line_start = text[..key.start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let prefix = &text[line_start..key.start];
    prefix
        .chars()
        .all(|c| c == ' ' || c == '-')
        .then(|| prefix.chars().count())
}

/// Where the line holding byte `end - 1` ends, after its line break (the
/// text's end when it has none).
fn line_end(text: &str, end: usize) -> usize {
    if end > 0 && text[..end].ends_with('\n') {
        return end;
    }
    text[end..].find('\n').map_or(text.len(), |i| end + i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_tree;

    /// `text` with the value at `keys` (below the root) set.
    fn apply(text: &str, keys: &[&str], want: Want<'_>) -> Option<String> {
        let root = parse_tree(text).expect("parses").expect("a document");
        let (range, with) = Editor::new(text)?.set(&root, keys, want)?;
        let mut out = text.to_string();
        out.replace_range(range, &with);
        // The result reads back with the value set.
        let back = parse_tree(&out).expect("still parses").expect("a document");
        let node = keys.iter().try_fold(&back, |n, k| n.get(k)).expect("set");
        match want {
            Want::Bool(b) => assert_eq!(node.as_str(), Some(b.to_string().as_str()), "{out}"),
            Want::Word(w) => assert_eq!(node.as_str(), Some(w), "{out}"),
            Want::Item(w) => {
                let Tree::Sequence(items) = &node.value else {
                    panic!("a list: {out}")
                };
                assert!(items.iter().any(|i| i.as_str() == Some(w)), "{out}");
            }
        }
        Some(out)
    }

    #[test]
    fn a_scalar_is_rewritten_in_place() {
        let text = "a:\n  b: true # keep\n  c: 1\n";
        assert_eq!(
            apply(text, &["a", "b"], Want::Bool(false)).as_deref(),
            Some("a:\n  b: false # keep\n  c: 1\n")
        );
        let text = "a: {b: 'Unconfined'} # keep\n";
        assert_eq!(
            apply(text, &["a", "b"], Want::Word("RuntimeDefault")).as_deref(),
            Some("a: {b: RuntimeDefault} # keep\n")
        );
        let text = "{\"a\": {\"b\": \"Unconfined\"}}";
        assert_eq!(
            apply(text, &["a", "b"], Want::Word("RuntimeDefault")).as_deref(),
            Some("{\"a\": {\"b\": \"RuntimeDefault\"}}")
        );
    }

    #[test]
    fn missing_keys_become_lines_at_the_mappings_indentation() {
        let text = "containers:\n- name: app\n  image: x # pinned\n  ports:\n  - containerPort: 80\n- name: b\n";
        assert_eq!(
            apply(text, &["containers"], Want::Bool(true)),
            None,
            "a list is not a scalar"
        );
        let root = parse_tree(text).expect("parses").expect("doc");
        let Tree::Sequence(items) = &root.get("containers").expect("c").value else {
            panic!()
        };
        let (range, with) = Editor::new(text)
            .expect("editable")
            .set(
                &items[0],
                &["securityContext", "seccompProfile", "type"],
                Want::Word("RuntimeDefault"),
            )
            .expect("an edit");
        let mut out = text.to_string();
        out.replace_range(range, &with);
        assert_eq!(
            out,
            "containers:\n- name: app\n  image: x # pinned\n  ports:\n  - containerPort: 80\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n- name: b\n"
        );
    }

    #[test]
    fn crlf_and_a_missing_final_line_break_are_kept() {
        let text = "a:\r\n  b: 1";
        assert_eq!(
            apply(text, &["a", "c"], Want::Bool(false)).as_deref(),
            Some("a:\r\n  b: 1\r\n  c: false\r\n")
        );
    }

    #[test]
    fn items_are_added_to_lists_of_every_style() {
        let block = "caps:\n  drop:\n    - NET_RAW # old\n  add: []\n";
        assert_eq!(
            apply(block, &["caps", "drop"], Want::Item("ALL")).as_deref(),
            Some("caps:\n  drop:\n    - NET_RAW # old\n    - ALL\n  add: []\n")
        );
        assert_eq!(
            apply(
                "caps: {drop: [\"NET_RAW\"]}\n",
                &["caps", "drop"],
                Want::Item("ALL")
            )
            .as_deref(),
            Some("caps: {drop: [\"NET_RAW\", \"ALL\"]}\n")
        );
        assert_eq!(
            apply("caps: {drop: []}\n", &["caps", "drop"], Want::Item("ALL")).as_deref(),
            Some("caps: {drop: [ALL]}\n")
        );
        assert_eq!(
            apply("caps:\n  add: [X]\n", &["caps", "drop"], Want::Item("ALL")).as_deref(),
            Some("caps:\n  add: [X]\n  drop:\n  - ALL\n")
        );
    }

    #[test]
    fn flow_mappings_and_json_get_entries() {
        assert_eq!(
            apply("a: {}\n", &["a", "b", "c"], Want::Bool(false)).as_deref(),
            Some("a: {b: {c: false}}\n")
        );
        assert_eq!(
            apply("a: {x: 1}\n", &["a", "b"], Want::Word("Default")).as_deref(),
            Some("a: {x: 1, b: Default}\n")
        );
        let json = "{\n  \"a\": {\n    \"x\": 1\n  }\n}\n";
        assert_eq!(
            apply(json, &["a", "b", "c"], Want::Item("ALL")).as_deref(),
            Some("{\n  \"a\": {\n    \"x\": 1,\n    \"b\": {\"c\": [\"ALL\"]}\n  }\n}\n")
        );
        assert_eq!(
            apply("{\"a\": {}}", &["a", "b"], Want::Word("RuntimeDefault")).as_deref(),
            Some("{\"a\": {\"b\": \"RuntimeDefault\"}}")
        );
    }

    #[test]
    fn null_values_are_filled() {
        assert_eq!(
            apply("a:\nb: 1\n", &["a", "c"], Want::Bool(true)).as_deref(),
            Some("a:\n  c: true\nb: 1\n")
        );
        assert_eq!(
            apply("a: ~ # none\n", &["a"], Want::Bool(true)).as_deref(),
            Some("a: true # none\n")
        );
        assert_eq!(
            apply("a: null\n", &["a", "b"], Want::Bool(true)).as_deref(),
            Some("a:\n  b: true\n")
        );
        // An empty value inside a flow mapping is left alone.
        assert_eq!(
            apply("a: {b: }\n", &["a", "b"], Want::Word("Default")),
            None
        );
    }

    #[test]
    fn shared_or_unwritable_values_are_refused() {
        let merged = "base: &b\n  x: 1\nmine:\n  <<: *b\n";
        assert_eq!(apply(merged, &["mine", "x"], Want::Bool(true)), None);
        let alias = "base: &b {x: 1}\nmine: *b\n";
        assert_eq!(apply(alias, &["mine", "y"], Want::Bool(true)), None);
        assert_eq!(apply("a: !!str yes\n", &["a"], Want::Bool(false)), None);
        assert_eq!(apply("a: \"y\\u0065s\"\n", &["a"], Want::Bool(false)), None);
        assert_eq!(apply("a: [1]\n", &["a"], Want::Bool(false)), None);
        assert_eq!(apply("a: 1\n", &["a"], Want::Word("has space")), None);
    }

    /// `text` with `want` at `keys` below the first item of `containers`.
    fn in_first(text: &str, keys: &[&str], want: Want<'_>) -> Option<String> {
        let root = parse_tree(text).expect("parses").expect("a document");
        let Tree::Sequence(items) = &root.get("containers").expect("containers").value else {
            panic!("a list")
        };
        let (range, with) = Editor::new(text)?.set(&items[0], keys, want)?;
        let mut out = text.to_string();
        out.replace_range(range, &with);
        let back = parse_tree(&out).expect("still parses").expect("a document");
        let Tree::Sequence(after) = &back.get("containers").expect("containers").value else {
            panic!("a list")
        };
        assert_eq!(after.len(), items.len(), "{out}");
        Some(out)
    }

    #[test]
    fn a_last_value_that_runs_on_does_not_carry_the_edit_into_the_next_item() {
        // A block scalar's span runs to the next line's indentation.
        let text =
            "containers:\n- name: api\n  args:\n  - |\n    echo hi\n- name: side\n  image: y\n";
        assert_eq!(
            in_first(text, &["ro"], Want::Bool(true)).as_deref(),
            Some("containers:\n- name: api\n  args:\n  - |\n    echo hi\n  ro: true\n- name: side\n  image: y\n")
        );
        // An indentless list whose first item is a flow mapping is a block
        // list, ending at its last item.
        let text = "containers:\n- name: api\n  ports:\n  - {containerPort: 8080}\n- name: side\n  image: y\n";
        assert_eq!(
            in_first(text, &["sc", "ro"], Want::Bool(true)).as_deref(),
            Some("containers:\n- name: api\n  ports:\n  - {containerPort: 8080}\n  sc:\n    ro: true\n- name: side\n  image: y\n")
        );
        let text = "a:\n  b:\n    c: |\n      text\n\n  d: 1\n";
        assert_eq!(
            apply(text, &["a", "b", "x"], Want::Bool(true)).as_deref(),
            Some("a:\n  b:\n    c: |\n      text\n    x: true\n\n  d: 1\n")
        );
    }

    #[test]
    fn collections_holding_aliases_or_carrying_anchors_are_refused() {
        let flow = "x: [ALL, &raw NET_RAW]\ncaps: {drop: [NET_ADMIN, *raw]}\n";
        assert_eq!(apply(flow, &["caps", "drop"], Want::Item("ALL")), None);
        assert_eq!(
            apply(
                "i: &i img\nc: {a: 1, b: *i}\n",
                &["c", "ro"],
                Want::Bool(true)
            ),
            None
        );
        let block = "p: &p x\nq:\n  args:\n    - a\n    - *p\nz: 1\n";
        assert_eq!(apply(block, &["q", "ro"], Want::Bool(true)), None);
        let anchored = "sc: &sc\n  a: 1\npod: *sc\n";
        assert_eq!(apply(anchored, &["sc", "b"], Want::Bool(true)), None);
        assert_eq!(
            apply("a: !!map\n  b: 1\n", &["a", "c"], Want::Bool(true)),
            None
        );
        assert_eq!(apply("a: &s\n  - X\n", &["a"], Want::Item("ALL")), None);
        // Lines ended by CR alone.
        assert_eq!(
            apply("a:\r  b: 1\rc: 2\r", &["a", "x"], Want::Bool(true)),
            None
        );
    }
}
