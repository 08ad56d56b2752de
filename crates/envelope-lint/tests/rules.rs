//! Every rule has a fixture pair under tests/fixtures/CODE/: `hits.Dockerfile`
//! (or a `hits/` build context holding a Dockerfile) must give at least one
//! finding of that rule and nothing else, `no-hits.Dockerfile` (or
//! `no-hits/`) none. The findings and, for fixable rules, the fixed file are
//! snapshots; the fixed file must no longer have the fixed findings.
//!
//! Each rule is a test of its own, named after its code (`cargo test -p
//! envelope-lint --test rules go003`), and a rule registered without one
//! fails `every_registered_rule_has_a_test`.

use std::path::{Path, PathBuf};

use envelope_diagnostics::{render, Format, Report};
use envelope_lint::{all_rules, fix, lint, BuildContext, Settings};

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

/// The fixture pair of one rule: what went wrong, one line each.
fn check_fixtures(code: &str) -> Vec<String> {
    let mut failures = Vec::new();
    let Some(info) = all_rules()
        .iter()
        .map(|r| r.info())
        .find(|i| i.code == code)
    else {
        return vec![format!("{code}: no such rule is registered")];
    };
    let settings = only(code);
    let (hits, ctx) = fixture(code, "hits");
    let Ok(bytes) = std::fs::read(&hits) else {
        return vec![format!("{code}: no fixture {}", hits.display())];
    };
    let shown = format!("{code}/hits.Dockerfile");
    let result = lint(&shown, &bytes, Some(&BuildContext::new(&ctx)), &settings).expect("lint");
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
            let result = lint(
                "no-hits.Dockerfile",
                &bytes,
                Some(&BuildContext::new(&ctx)),
                &settings,
            )
            .expect("lint");
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
        // Every fix, the unsafe ones too: the snapshot shows what each does.
        let all = Settings {
            unsafe_fixes: true,
            ..settings.clone()
        };
        let (fixed, after, applied) =
            fix(&shown, &bytes, Some(&BuildContext::new(&ctx)), &all).expect("fix");
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
    failures
}

/// One test per rule, named after its code, so a failure names its rule;
/// [`every_registered_rule_has_a_test`] keeps the list complete.
macro_rules! rule_tests {
    ($($name:ident: $code:literal,)*) => {
        $(
            #[test]
            fn $name() {
                let failures = check_fixtures($code);
                assert!(failures.is_empty(), "{}", failures.join("\n"));
            }
        )*
        const TESTED: &[&str] = &[$($code),*];
    };
}

rule_tests! {
    df000: "DF000",
    df001: "DF001",
    df002: "DF002",
    df003: "DF003",
    df004: "DF004",
    df005: "DF005",
    df006: "DF006",
    df007: "DF007",
    df008: "DF008",
    df009: "DF009",
    df010: "DF010",
    df011: "DF011",
    df012: "DF012",
    df013: "DF013",
    df014: "DF014",
    df015: "DF015",
    df016: "DF016",
    df017: "DF017",
    df018: "DF018",
    df019: "DF019",
    df020: "DF020",
    df021: "DF021",
    go001: "GO001",
    go002: "GO002",
    go003: "GO003",
    go004: "GO004",
    go005: "GO005",
    go006: "GO006",
    go007: "GO007",
    go008: "GO008",
    go009: "GO009",
    go010: "GO010",
}

#[test]
fn every_registered_rule_has_a_test() {
    let registered: Vec<&str> = all_rules().iter().map(|r| r.info().code).collect();
    assert_eq!(
        TESTED, registered,
        "rule_tests! must list every registered Dockerfile rule, in code order"
    );
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
