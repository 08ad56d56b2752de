//! hadolint's suppression comments: a fixture with them silences exactly
//! the findings of the mapped envelope rules, on the instruction hadolint
//! would apply them to; and the mapping table in docs/lint-vs-hadolint.md is
//! the one in the code.

use std::collections::BTreeMap;
use std::path::Path;

use envelope_lint::{hadolint, lint, rule_by_code, Settings};

fn select(codes: &[&str]) -> Settings {
    Settings {
        select: Some(codes.iter().map(|c| (*c).to_string()).collect()),
        ..Settings::default()
    }
}

/// (code, line) of every finding of every rule.
fn findings(text: &str) -> Vec<(String, usize)> {
    findings_of(text, &select(&["ALL"]))
}

fn findings_of(text: &str, settings: &Settings) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = lint("Dockerfile", text.as_bytes(), None, settings)
        .expect("lint")
        .diagnostics
        .into_iter()
        .map(|d| (d.code.to_string(), d.start.map_or(0, |p| p.line)))
        .collect();
    out.sort();
    out
}

#[test]
fn hadolint_comments_silence_exactly_the_mapped_findings() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/suppression/hadolint.Dockerfile");
    let text = std::fs::read_to_string(path).expect("fixture");
    // The same file with the pragmas turned into plain comments (same lines).
    let plain = text.replace("# hadolint", "# hadolint-was");
    let with = findings(&text);
    let without = findings(&plain);
    let silenced: Vec<(&str, usize)> = without
        .iter()
        .filter(|f| !with.contains(f))
        .map(|(c, l)| (c.as_str(), *l))
        .collect();
    assert_eq!(
        silenced,
        [
            ("DF002", 3),  // DL3006 on the FROM below it
            ("DF003", 19), // DL3002
            ("DF007", 16), // DL3020
            ("DF009", 12), // DL3049, global
            ("DF010", 14), // DL3015 (DL3008 has no equivalent)
            ("GO007", 7),  // DL3062
        ],
        "with: {with:?}\nwithout: {without:?}"
    );
    // Nothing else changed: every finding left is one the plain file has.
    assert!(with.iter().all(|f| without.contains(f)), "{with:?}");
    // Not silenced: DL3007 is not on the line above its FROM, DL3008 has no
    // equivalent, and a pragma with trailing words is no pragma for
    // hadolint either.
    for kept in [("DF002", 12), ("DF007", 23)] {
        let kept = (kept.0.to_string(), kept.1);
        assert!(with.contains(&kept), "{kept:?} in {with:?}");
    }
}

#[test]
fn envelope_and_hadolint_comments_work_together() {
    let df = select(&["DF001", "DF002"]);
    let text = "# hadolint ignore=DL3006\n# envelope: ignore=DF001\nFROM golang\n";
    // hadolint's applies to the next line only, which is a comment here.
    assert_eq!(findings_of(text, &df), [("DF002".to_string(), 3)]);
    let text = "# envelope: ignore=DF001\n# hadolint ignore=DL3006\nFROM golang\n";
    assert!(findings_of(text, &df).is_empty());
    // Unknown hadolint codes are hadolint's business, not an error.
    let unknown = "# hadolint ignore=DL9999,SC2086\nFROM golang\n";
    assert_eq!(
        findings_of(unknown, &select(&["DF002"])),
        [("DF002".to_string(), 2)]
    );
}

/// The rows of the table under "## Suppression comments" in
/// docs/lint-vs-hadolint.md: hadolint code → envelope codes.
fn doc_table() -> BTreeMap<String, Vec<String>> {
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/lint-vs-hadolint.md");
    let doc = std::fs::read_to_string(doc).expect("docs/lint-vs-hadolint.md");
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("Suppression comments"))
        .expect("a `## Suppression comments` section");
    let mut rows = BTreeMap::new();
    for line in section
        .lines()
        .filter(|l| l.starts_with("| DL") || l.starts_with("| SC"))
    {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(h), Some(e)) = (cells.get(1), cells.get(2)) else {
            panic!("bad row {line:?}");
        };
        let codes = e
            .split(',')
            .map(|c| c.trim().trim_matches('`').to_string())
            .filter(|c| !c.is_empty())
            .collect();
        assert!(
            rows.insert(h.trim_matches('`').to_string(), codes)
                .is_none(),
            "{h} twice in the doc table"
        );
    }
    rows
}

#[test]
fn the_doc_table_is_the_code_table() {
    let code: BTreeMap<String, Vec<String>> = hadolint::EQUIVALENTS
        .iter()
        .map(|(h, e)| {
            (
                (*h).to_string(),
                e.iter().map(|c| (*c).to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(doc_table(), code);
    for (h, codes) in &code {
        assert!(!codes.is_empty(), "{h} maps to nothing");
        for c in codes {
            assert!(
                rule_by_code(c).is_some(),
                "{h} maps to {c}, which is no rule"
            );
        }
    }
}
