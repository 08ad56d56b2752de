//! Any text through envelope-yaml's scanner, by key (`image`) and by
//! value (every `ko://` scalar): no panic, every range found on character
//! boundaries inside the text and holding exactly its value, and rewriting
//! them all changes those bytes and no others.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
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
