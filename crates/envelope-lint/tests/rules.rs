//! Every rule has a fixture pair under tests/fixtures/CODE/: `hits.Dockerfile`
//! (or a `hits/` build context holding a Dockerfile) must give at least one
//! finding of that rule and nothing else, `no-hits.Dockerfile` (or
//! `no-hits/`) none. The findings and, for fixable rules, the fixed file are
//! snapshots; the fixed file must no longer have the fixed findings.

use std::path::{Path, PathBuf};

use envelope_diagnostics::{render, Format, Report};
use envelope_lint::{all_rules, fix, lint, Settings};

fn fixture(code: &str, which: &str) -> (PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(code);
    let as_dir = dir.join(which);
    if as_dir.is_dir() {
        return (as_dir.join("Dockerfile"), as_dir);
    }
    (dir.join(format!("{which}.Dockerfile")), dir)
}

/// Only `code`, on top of `tests/fixtures/CODE/envelope.toml` when there is
/// one (for rules that need settings, such as trusted registries).
fn only(code: &str) -> Settings {
    let config = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(code)
        .join("envelope.toml");
    let base = if config.is_file() {
        Settings::from_file(&config).expect("fixture envelope.toml")
    } else {
        Settings::default()
    };
    Settings {
        select: Some(vec![code.to_string()]),
        ..base
    }
}

fn concise(path: &str, result: &envelope_lint::FileResult) -> String {
    let report = Report {
        diagnostics: result.diagnostics.clone(),
        sources: vec![result.source.clone()],
        files_checked: 1,
        ..Report::default()
    };
    let mut out = Vec::new();
    render(&report, Format::Human, false, &mut out).expect("render");
    String::from_utf8(out)
        .expect("utf8")
        .replace(path, "hits.Dockerfile")
}

#[test]
fn every_rule_has_a_fixture_pair_that_hits_and_does_not() {
    let mut failures = Vec::new();
    // ENVELOPE_RULES=GO checks only the codes starting with GO.
    let filter = std::env::var("ENVELOPE_RULES").unwrap_or_default();
    for rule in all_rules() {
        let info = rule.info();
        let code = info.code;
        if !code.starts_with(filter.as_str()) {
            continue;
        }
        let settings = only(code);
        let (hits, ctx) = fixture(code, "hits");
        let Ok(bytes) = std::fs::read(&hits) else {
            failures.push(format!("{code}: no fixture {}", hits.display()));
            continue;
        };
        let shown = format!("{code}/hits.Dockerfile");
        let result = lint(&shown, &bytes, Some(&ctx), &settings).expect("lint");
        if result.diagnostics.is_empty() {
            failures.push(format!("{code}: hits gave no finding"));
        }
        for d in &result.diagnostics {
            if d.code != code {
                failures.push(format!("{code}: hits gave {} ({})", d.code, d.message));
            }
        }
        insta::assert_snapshot!(format!("{code}-hits"), concise(&shown, &result));

        let (clean, ctx) = fixture(code, "no-hits");
        match std::fs::read(&clean) {
            Ok(bytes) => {
                let result =
                    lint("no-hits.Dockerfile", &bytes, Some(&ctx), &settings).expect("lint");
                for d in &result.diagnostics {
                    failures.push(format!(
                        "{code}: no-hits gave {} at {:?}: {}",
                        d.code, d.start, d.message
                    ));
                }
            }
            Err(_) => failures.push(format!("{code}: no fixture {}", clean.display())),
        }

        if info.fixable {
            let (fixed, after, applied) = fix(&shown, &bytes, Some(&ctx), &settings).expect("fix");
            if applied == 0 {
                failures.push(format!("{code}: fixable but --fix changed nothing"));
            }
            let remaining: Vec<_> = after
                .diagnostics
                .iter()
                .filter(|d| d.fix.is_some())
                .collect();
            if !remaining.is_empty() {
                failures.push(format!(
                    "{code}: fixable findings remain after --fix: {remaining:?}"
                ));
            }
            // The fixed file still parses cleanly.
            let reparsed = envelope_dockerfile::parse(fixed.as_bytes());
            if !reparsed.errors.is_empty() {
                failures.push(format!(
                    "{code}: --fix broke the syntax: {:?}",
                    reparsed.errors
                ));
            }
            insta::assert_snapshot!(format!("{code}-fixed"), fixed);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_is_documented_in_fixed_sections() {
    for info in envelope_lint::all_infos() {
        for section in ["What it does", "Why", "Example", "Fix"] {
            assert!(
                envelope_diagnostics::section(info.doc, section).is_some_and(|s| !s.is_empty()),
                "{} lacks a `## {section}` section",
                info.code
            );
        }
        assert!(!info.summary().is_empty());
        assert!(
            info.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'),
            "{}",
            info.name
        );
    }
    let mut codes: Vec<&str> = envelope_lint::all_infos().iter().map(|i| i.code).collect();
    let n = codes.len();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), n, "duplicate codes");
}
