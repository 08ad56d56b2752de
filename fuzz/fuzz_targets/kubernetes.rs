//! Any bytes as a Kubernetes manifest file: read into documents and
//! objects (every value's bytes inside the text, on character boundaries,
//! its line a line of the text) and linted with every K8S rule. No panic;
//! every finding points inside the text, names its document among those
//! read (or the one a syntax error is in), and carries a YAML path when
//! it is about an object. The checks that tell a manifest from a
//! Dockerfile read it too. Every fix applied (the unsafe ones too) keeps
//! the file reading as the same number of documents, with no new error,
//! and each fix's edits lie inside the text.
#![no_main]

use envelope_lint::kubernetes::{self, is_manifest_text, mentions_object, Manifest};
use envelope_lint::Settings;
use envelope_yaml::{Node, Tree};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = is_manifest_text(&text);
    let _ = mentions_object(&text);
    let manifest = Manifest::read(&text);
    let lines = envelope_yaml::line_breaks(&text) + 1;
    for doc in &manifest.documents {
        walk(&text, doc, lines);
    }
    for o in manifest.objects() {
        assert!(o.document >= 1 && o.document <= manifest.documents.len());
    }
    if let Some(at) = manifest.template {
        assert_eq!(text.get(at..at + 2), Some("{{"));
    }
    let settings = Settings {
        select: Some(vec!["ALL".into()]),
        ..Settings::default()
    };
    let Ok(result) = kubernetes::lint("f.yaml", data, &settings) else {
        // Only an unknown code in a suppression comment stops a file.
        assert!(text.contains("envelope:"));
        return;
    };
    let len = result.file.source.text.len();
    for d in &result.file.diagnostics {
        let (s, e) = d.span.expect("every finding has a span");
        assert!(s <= e && e <= len, "{s}..{e} of {len}");
        assert!(result.file.source.text.is_char_boundary(s));
        assert!(result.file.source.text.is_char_boundary(e));
        if let Some(n) = d.document {
            assert!(n >= 1 && n <= manifest.documents.len() + 1, "document {n}");
        }
        if d.code != "K8S000" {
            assert!(d.object_path.is_some(), "{d:?}");
        }
        for e in d.fix.iter().flat_map(|f| &f.edits) {
            assert!(e.start <= e.end && e.end <= len, "{e:?} of {len}");
        }
    }
    if std::str::from_utf8(data).is_ok() && result.file.diagnostics.iter().any(|d| d.fix.is_some()) {
        let all = Settings {
            unsafe_fixes: true,
            ..settings
        };
        let (fixed, _, _) =
            kubernetes::fix_with_images("f.yaml", data, &all, None).expect("fixing lints as before");
        let shape = |t: &str| {
            let (docs, error) = envelope_yaml::parse_documents(t);
            (docs.len(), error.is_none())
        };
        assert_eq!(shape(&text), shape(&fixed), "{fixed}");
    }
});

fn walk(text: &str, node: &Node, lines: usize) {
    assert!(node.start <= node.end && node.end <= text.len());
    assert!(text.is_char_boundary(node.start) && text.is_char_boundary(node.end));
    assert!(node.line >= 1 && node.line <= lines);
    match &node.value {
        Tree::Sequence(items) => items.iter().for_each(|n| walk(text, n, lines)),
        Tree::Mapping(entries) => entries.iter().for_each(|(k, v)| {
            walk(text, k, lines);
            walk(text, v, lines);
        }),
        Tree::Null | Tree::Scalar(_) => {}
    }
}
