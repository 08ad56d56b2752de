//! Every scalar of a YAML stream that a predicate accepts, wherever it
//! stands: the value of any key, a sequence's item, a document's root, in
//! every document (a JSON file is one flow document). `envelope resolve`
//! finds its `ko://` and `envelope://` references this way, through the
//! same walk and the same rules for what can be rewritten byte for byte as
//! [`find_values`](crate::find_values), with one difference: a scalar with
//! an anchor is offered, since its aliases are meant to follow it.

use saphyr_parser::Event;

use crate::{classify, walk, Anchors, Found, Place, Positions};

/// Finds every scalar whose value `wanted` accepts, in the order of the
/// file. One that cannot be rewritten exactly (a block scalar, a folded
/// plain scalar, a quoted one with escapes) is reported as skipped, on its
/// key's line when it is a key's value. Aliases and collections are not scalars and never reported.
pub fn find_scalars(text: &str, wanted: impl Fn(&str) -> bool) -> Result<Found, crate::Error> {
    let mut found = Found::default();
    let mut pos = Positions::new(text);
    walk(text, |event, span, place| {
        if let Event::Scalar(value, ..) = event {
            if wanted(value) {
                // A block scalar's span starts below its key's line.
                let line = match place {
                    Place::Value { key_line, .. } => key_line,
                    Place::Key | Place::Item => span.start.line(),
                };
                classify(
                    text,
                    event,
                    span,
                    line,
                    Anchors::Follow,
                    &mut pos,
                    &mut found,
                );
            }
        }
    })?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use std::ops::Range;

    use proptest::prelude::*;

    use super::*;
    use crate::{splice, Skip, Style};

    fn is_ref(v: &str) -> bool {
        v.starts_with("ko://") || v.starts_with("envelope://")
    }

    /// (line, text at the range, style), checking each range holds its value.
    fn refs(text: &str) -> Vec<(usize, &str, Style)> {
        let found = find_scalars(text, is_ref).expect("valid YAML");
        found
            .values
            .iter()
            .map(|v| {
                assert_eq!(&text[v.range.clone()], v.value, "range of {v:?}");
                (v.line, &text[v.range.clone()], v.style)
            })
            .collect()
    }

    fn replaced(text: &str, with: &str) -> String {
        let edits: Vec<(Range<usize>, String)> = find_scalars(text, is_ref)
            .expect("valid YAML")
            .values
            .into_iter()
            .map(|v| (v.range, with.to_string()))
            .collect();
        splice(text, &edits).expect("splice")
    }

    #[test]
    fn any_key_sequence_items_and_every_document() {
        let text = "# head\nimage: ko://a # c\nargs:\n  - ko://b\n  - plain\n---\nx: {y: 'envelope://c', z: [\"ko://d\"]}\n--- ko://e\n";
        assert_eq!(
            refs(text),
            [
                (2, "ko://a", Style::Plain),
                (4, "ko://b", Style::Plain),
                (7, "envelope://c", Style::SingleQuoted),
                (7, "ko://d", Style::DoubleQuoted),
                (8, "ko://e", Style::Plain),
            ]
        );
        assert_eq!(
            replaced(text, "R@sha256:1"),
            "# head\nimage: R@sha256:1 # c\nargs:\n  - R@sha256:1\n  - plain\n---\nx: {y: 'R@sha256:1', z: [\"R@sha256:1\"]}\n--- R@sha256:1\n"
        );
    }

    #[test]
    fn json_is_a_flow_document() {
        let text = "{\n  \"spec\": {\"containers\": [{\"image\": \"ko://example.com/x/cmd/a\", \"name\": \"ko://\"}]},\n  \"n\": 1\n}\n";
        assert_eq!(
            refs(text),
            [
                (2, "ko://example.com/x/cmd/a", Style::DoubleQuoted),
                (2, "ko://", Style::DoubleQuoted),
            ]
        );
    }

    #[test]
    fn crlf_anchors_and_tags_keep_their_bytes() {
        let text = "a: &img ko://./cmd/api\r\nb: *img\r\nc: !!str &t envelope://x\r\nd: [*img]\r\n";
        assert_eq!(
            refs(text),
            [
                (1, "ko://./cmd/api", Style::Plain),
                (3, "envelope://x", Style::Plain)
            ]
        );
        assert_eq!(
            replaced(text, "R"),
            "a: &img R\r\nb: *img\r\nc: !!str &t R\r\nd: [*img]\r\n"
        );
    }

    #[test]
    fn what_cannot_be_rewritten_exactly_is_skipped_on_its_line() {
        let text = "a: |\n  ko://block\nb: \"ko://esc\\u0061ped\"\nc: ko://two\n  lines\nd: ko://ok\nko://key: 1\n";
        let found = find_scalars(text, is_ref).expect("valid YAML");
        let skipped: Vec<(usize, Skip, Option<&str>)> = found
            .skipped
            .iter()
            .map(|s| (s.line, s.reason, s.value.as_deref()))
            .collect();
        assert_eq!(
            skipped,
            [
                (1, Skip::BlockScalar, Some("ko://block\n")),
                (3, Skip::Escaped, Some("ko://escaped")),
                (4, Skip::MultiLine, Some("ko://two lines")),
            ]
        );
        assert_eq!(
            refs(text),
            [(6, "ko://ok", Style::Plain), (7, "ko://key", Style::Plain)]
        );
    }

    #[test]
    fn nothing_wanted_nothing_found_and_bad_yaml_is_an_error() {
        assert_eq!(find_scalars("a: [b, c]\n", |_| false), Ok(Found::default()));
        let e = find_scalars("a: ko://x\n b: [\n", is_ref).expect_err("invalid");
        assert!(
            matches!(e, crate::Error::Syntax { line, .. } if line >= 1),
            "{e}"
        );
    }

    /// A scalar the generator writes in one of the styles the finder
    /// offers, and the value it holds.
    fn scalar() -> impl Strategy<Value = String> {
        let body = "[a-z0-9./_-]{0,12}";
        (
            prop_oneof![Just("ko://"), Just("envelope://"), Just("")],
            body,
            0..3u8,
        )
            .prop_map(|(scheme, body, style)| {
                let v = format!("{scheme}x{body}");
                match style {
                    0 => v,
                    1 => format!("'{v}'"),
                    _ => format!("\"{v}\""),
                }
            })
    }

    /// A document of block and flow nodes around the scalars, with
    /// comments and either line ending.
    fn document() -> impl Strategy<Value = String> {
        let line = prop_oneof![
            scalar().prop_map(|s| format!("k: {s}")),
            scalar().prop_map(|s| format!("k: {s} # note")),
            scalar().prop_map(|s| format!("k:\n  - {s}\n  - {s}")),
            (scalar(), scalar()).prop_map(|(a, b)| format!("k: {{a: {a}, b: [{b}]}}")),
            scalar().prop_map(|s| format!("k: &n {s}\nl: *n")),
            Just("# comment".to_string()),
        ];
        (
            proptest::collection::vec(line, 0..6),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(lines, crlf, two)| {
                // Each line holds its own mapping, so repeated keys are not
                // the same mapping's: documents of one key each.
                let mut text = lines.join("\n---\n");
                if two {
                    text = format!("{text}\n---\nlast: ko://z\n");
                }
                if crlf {
                    text = text.replace('\n', "\r\n");
                }
                text
            })
    }

    proptest! {
        #[test]
        fn a_found_range_spliced_with_its_own_value_is_the_input(text in document()) {
            let found = find_scalars(&text, is_ref).expect("generated YAML is valid");
            prop_assert!(found.skipped.is_empty(), "{:?}", found.skipped);
            let edits: Vec<(Range<usize>, String)> =
                found.values.iter().map(|v| (v.range.clone(), v.value.clone())).collect();
            prop_assert_eq!(splice(&text, &edits).expect("splice"), text.clone());
        }

        #[test]
        fn a_replaced_value_reparses_to_the_new_value(text in document(), new in "[a-z]{1,8}/[a-z]{1,8}@sha256:[0-9a-f]{8}") {
            let found = find_scalars(&text, is_ref).expect("generated YAML is valid");
            let edits: Vec<(Range<usize>, String)> =
                found.values.iter().map(|v| (v.range.clone(), new.clone())).collect();
            let out = splice(&text, &edits).expect("splice");
            let again = find_scalars(&out, |v| v == new).expect("the output is valid YAML");
            let lines: Vec<usize> = found.values.iter().map(|v| v.line).collect();
            let again_lines: Vec<usize> = again.values.iter().map(|v| v.line).collect();
            prop_assert_eq!(again_lines, lines);
            prop_assert!(find_scalars(&out, is_ref).expect("valid").values.is_empty());
        }
    }
}
