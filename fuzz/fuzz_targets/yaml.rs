//! Any text through envelope-yaml's scanner, by key (`image`) and by
//! value (every `ko://` scalar): no panic, every range found on character
//! boundaries inside the text and holding exactly its value, and rewriting
//! them all changes those bytes and no others. The same text read as a
//! tree (`parse_tree`, what `.ko.yaml` is read with): no panic, every
//! value at a line of the text, nesting and aliases bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    tree(text);
    let Ok(found) = envelope_yaml::find_values(text, "image") else {
        return;
    };
    check(text, &found);
    let refs = envelope_yaml::find_scalars(text, |v| v.starts_with("ko://"))
        .expect("a text that parses once parses again");
    for v in &refs.values {
        assert!(v.value.starts_with("ko://"));
    }
    check(text, &refs);
});

fn check(text: &str, found: &envelope_yaml::Found) {
    let lines = envelope_yaml::line_breaks(text) + 1;
    let mut edits = Vec::new();
    for v in &found.values {
        assert_eq!(text.get(v.range.clone()), Some(v.value.as_str()));
        assert!(v.line >= 1 && v.line <= lines);
        edits.push((v.range.clone(), format!("{}@sha256:0", v.value)));
    }
    for s in &found.skipped {
        assert!(s.line >= 1 && s.line <= lines);
    }
    let out = envelope_yaml::splice(text, &edits).expect("found ranges never overlap");
    assert_eq!(out.replace("@sha256:0", ""), text.replace("@sha256:0", ""));
}

/// The bounds `parse_tree` promises: 64 levels, 8 values per input byte
/// (aliases counted as the values they copy) and 64 more.
fn tree(text: &str) {
    let Ok(Some(root)) = envelope_yaml::parse_tree(text) else {
        return;
    };
    let lines = envelope_yaml::line_breaks(text) + 1;
    let mut values = 0usize;
    walk(&root, 0, lines, &mut values);
    assert!(values <= text.len() * 8 + 64, "{values} values");
}

fn walk(node: &envelope_yaml::Node, depth: usize, lines: usize, values: &mut usize) {
    use envelope_yaml::Tree;
    assert!(depth <= 64, "nested {depth} deep");
    assert!(node.line >= 1 && node.line <= lines, "line {} of {lines}", node.line);
    assert!(node.column >= 1);
    *values += 1;
    match &node.value {
        Tree::Sequence(items) => {
            for i in items {
                walk(i, depth + 1, lines, values);
            }
        }
        Tree::Mapping(entries) => {
            for (k, v) in entries {
                walk(k, depth + 1, lines, values);
                walk(v, depth + 1, lines, values);
                if let Some(key) = k.as_str() {
                    assert!(node.get(key).is_some());
                }
            }
        }
        Tree::Null | Tree::Scalar(_) => {}
    }
}
