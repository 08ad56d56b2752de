//! Suppression comments in YAML, as in Dockerfiles: `# envelope:
//! ignore=CODE,...` silences those codes in the list item or `key: value`
//! entry that starts on the next line (a container, a `securityContext:`
//! block, one field), or, at the end of a line, in the one that starts on
//! that line; `# envelope:
//! ignore-file=CODE,...` in the whole file. A code that names no rule is
//! an error.

use envelope_diagnostics::Source;
use envelope_yaml::{Node, Tree};

use super::Manifest;
use crate::suppression::{directive, known_codes, Suppressions};
use crate::LintError;

/// Reads the suppression comments of a manifest file.
pub(crate) fn read(
    path: &str,
    source: &Source,
    manifest: &Manifest,
) -> Result<Suppressions, LintError> {
    let mut s = Suppressions::default();
    let text = &source.text;
    let mut line_start = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let this_start = line_start;
        line_start += line.len();
        let Some(hash) = comment_start(line) else {
            continue;
        };
        let Some((file, list)) = directive(&line[hash + 1..]) else {
            continue;
        };
        let codes = known_codes(path, || n + 1, &list)?;
        if file {
            s.file.extend(codes);
            continue;
        }
        // A comment after a value is about that line; alone on its
        // line, about the next line holding something.
        let own_line = line[..hash].trim().is_empty();
        let target = if own_line {
            next_content_line(text, line_start)
        } else {
            Some(this_start)
        };
        let Some(target) = target else {
            continue;
        };
        let target_end = text
            .get(target..)
            .and_then(|t| t.find('\n'))
            .map_or(text.len(), |i| target + i);
        let mut best: Option<(usize, usize)> = None;
        for d in &manifest.documents {
            // Only the document holding the line: a file of many documents
            // with many comments stays linear.
            if target_end >= d.start && target <= d.end {
                widest_starting(d, (target, target_end), &mut best);
            }
        }
        let (start, end) = best.unwrap_or((target, target_end));
        s.ranges.push((start, end.max(target_end), codes));
    }
    Ok(s)
}
/// Where a comment starts on a line: a `#` at its start or after a space,
/// outside quotes.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && (prev == ' ' || prev == '\t') => return Some(i),
            None => {}
        }
        prev = c;
    }
    None
}

/// The start of the first line at or after `from` that holds something
/// other than a comment.
fn next_content_line(text: &str, from: usize) -> Option<usize> {
    let mut at = from;
    for line in text.get(from..)?.split_inclusive('\n') {
        let t = line.trim();
        if !t.is_empty() && !t.starts_with('#') {
            return Some(at);
        }
        at += line.len();
    }
    None
}

/// The widest list item or `key: value` entry starting on the line
/// `line_start..line_end`, as a byte range. Collections themselves are not
/// candidates: a block mapping starts at its first key, on the line of
/// that key, but the comment is about the key.
fn widest_starting(node: &Node, line: (usize, usize), best: &mut Option<(usize, usize)>) {
    match &node.value {
        Tree::Sequence(items) => {
            for n in items {
                consider(best, line, (n.start, n.end));
                widest_starting(n, line, best);
            }
        }
        Tree::Mapping(entries) => {
            for (k, v) in entries {
                consider(best, line, (k.start, v.end.max(k.end)));
                widest_starting(k, line, best);
                widest_starting(v, line, best);
            }
        }
        _ => {}
    }
}

/// Keeps `range` in `best` when it starts on `line` earlier or reaches
/// further than what is there.
fn consider(best: &mut Option<(usize, usize)>, line: (usize, usize), range: (usize, usize)) {
    let (s, e) = range;
    if s < line.0 || s >= line.1.max(line.0 + 1) {
        return;
    }
    if best.is_none_or(|(bs, be)| s < bs || (s == bs && e > be)) {
        *best = Some((s, e));
    }
}
