//! Real Dockerfiles of well-known Go projects, taken at pinned commits with
//! the ignore files and the folder layout of their build context (see
//! tests/real/SOURCES.md), linted with the default settings.
//!
//! Each directory under tests/real/ is one build context holding exactly one
//! Dockerfile. Its findings are an insta snapshot (`real__<directory>`), and
//! every finding in a snapshot is judged in tests/real/REVIEW.md: a change in
//! a snapshot is a change in what users of those projects are told, to be
//! reviewed (`cargo insta review`) and written down there.
//!
//! A finding that REVIEW.md does not judge, or a judged one that is gone,
//! fails the test: the review and the snapshots move together.
//!
//! Beyond the snapshots: no parse error (DF000) where the file is not known
//! to need one, `fix` reaches a fixed point (a second run changes nothing),
//! the fixed file still parses, and nothing panics.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use envelope_lint::{
    fix, is_dockerfile_name, lint, BuildContext, Diagnostic, FileResult, Settings,
};

/// Directories whose Dockerfile does not parse, with the reason. A DF000
/// anywhere else fails the test.
const KNOWN_PARSE_ERRORS: &[(&str, &str)] = &[];

/// Fewer would no longer be the corpus the lint issue asks for.
const MIN_DIRECTORIES: usize = 32;
const MIN_PROJECTS: usize = 25;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real")
}

/// The build contexts, sorted by name.
fn directories() -> Vec<(String, PathBuf)> {
    let mut dirs: Vec<(String, PathBuf)> = std::fs::read_dir(corpus())
        .expect("tests/real")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .map(|p| {
            let name = p
                .file_name()
                .expect("a directory name")
                .to_string_lossy()
                .into_owned();
            (name, p)
        })
        .collect();
    dirs.sort();
    dirs
}

/// Every file under `dir`, as paths relative to it with `/` separators.
fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                let parts: Vec<_> = rel.iter().map(|p| p.to_string_lossy()).collect();
                out.push(parts.join("/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// The one Dockerfile of a build context, relative to it.
fn dockerfile(name: &str, dir: &Path) -> String {
    let found: Vec<String> = files(dir)
        .into_iter()
        .filter(|f| is_dockerfile_name(file_name(f)))
        .collect();
    assert!(
        found.len() == 1,
        "{name}: a corpus directory holds exactly one Dockerfile, found {found:?}"
    );
    found.into_iter().next().unwrap_or_default()
}

/// `CODE line:col`: how a finding is named in a snapshot and in REVIEW.md.
fn at(d: &Diagnostic) -> String {
    match d.start {
        Some(p) => format!("{} {}:{}", d.code, p.line, p.column),
        None => format!("{} -", d.code),
    }
}

/// One line per finding: code, line:column, severity, message.
fn render(result: &FileResult) -> String {
    let mut out = String::new();
    for d in &result.diagnostics {
        let _ = writeln!(out, "{} {} {}", at(d), d.severity.as_str(), d.message);
    }
    if out.is_empty() {
        out.push_str("(no findings)\n");
    }
    out
}

/// Lints and fixes one build context: what went wrong, one line each, the
/// rendering for the snapshot, and the findings as REVIEW.md names them.
fn check(name: &str, dir: &Path) -> (Vec<String>, String, Vec<String>) {
    let rel = dockerfile(name, dir);
    let full = dir.join(&rel);
    let dockerfile_dir = full.parent().unwrap_or(dir).to_path_buf();
    let build = BuildContext::new(dir).with_dockerfile_dir(dockerfile_dir);
    let settings = Settings::default();
    let bytes = std::fs::read(&full).expect("read the Dockerfile");
    let mut failures = Vec::new();

    let result = lint(&rel, &bytes, Some(&build), &settings)
        .unwrap_or_else(|e| panic!("{name}: lint failed: {e}"));
    let expects_df000 = KNOWN_PARSE_ERRORS.iter().any(|(d, _)| *d == name);
    let df000: Vec<_> = result
        .diagnostics
        .iter()
        .filter(|d| d.code == "DF000")
        .collect();
    if df000.is_empty() == expects_df000 {
        failures.push(format!(
            "{name}: DF000 {} expected, got {:?}",
            if expects_df000 { "is" } else { "is not" },
            df000.iter().map(|d| &d.message).collect::<Vec<_>>()
        ));
    }

    // Safe fixes alone (plain --fix) and with the unsafe ones (--unsafe-fixes).
    for unsafe_fixes in [false, true] {
        let settings = Settings {
            unsafe_fixes,
            ..settings.clone()
        };
        let (once, _, _) =
            fix(&rel, &bytes, Some(&build), &settings).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (twice, _, applied) = fix(&rel, once.as_bytes(), Some(&build), &settings)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if applied != 0 || twice != once {
            failures.push(format!(
                "{name}: a second fix (unsafe fixes: {unsafe_fixes}) applied {applied} more edits (not idempotent)"
            ));
        }
        let before = envelope_dockerfile::parse(&bytes).errors.len();
        let after = envelope_dockerfile::parse(once.as_bytes()).errors.len();
        if after > before {
            failures.push(format!(
                "{name}: fix (unsafe fixes: {unsafe_fixes}) broke the syntax ({before} parse errors before, {after} after)"
            ));
        }
    }
    (failures, render(&result), judged_form(&result))
}

/// The findings REVIEW.md judges, per directory: `code line:col`, sorted,
/// each followed by a `right` or `wrong` judgement.
fn reviewed() -> BTreeMap<String, Vec<String>> {
    let review = std::fs::read_to_string(corpus().join("REVIEW.md")).expect("REVIEW.md");
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut section = String::new();
    let mut lines = review.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(title) = line.strip_prefix("## ") {
            section = title.trim().to_string();
        } else if let Some(rest) = line.strip_prefix("- `") {
            let finding = rest.split('`').next().unwrap_or_default().to_string();
            let judged = lines
                .peek()
                .map(|l| l.trim_start())
                .is_some_and(|l| l.starts_with("right") || l.starts_with("wrong"));
            assert!(
                judged,
                "REVIEW.md, {section}: `{finding}` has no right/wrong line"
            );
            out.entry(section.clone()).or_default().push(finding);
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

/// `code line:col` of each finding, sorted, as REVIEW.md names them.
fn judged_form(result: &FileResult) -> Vec<String> {
    let mut v: Vec<String> = result.diagnostics.iter().map(at).collect();
    v.sort();
    v
}

#[test]
fn real_dockerfiles_match_their_reviewed_snapshots() {
    let dirs = directories();
    assert!(
        dirs.len() >= MIN_DIRECTORIES,
        "{} corpus directories, at least {MIN_DIRECTORIES} expected",
        dirs.len()
    );
    let reviewed = reviewed();
    let mut failures = Vec::new();
    for (name, dir) in &dirs {
        match catch_unwind(AssertUnwindSafe(|| check(name, dir))) {
            Ok((f, rendered, findings)) => {
                failures.extend(f);
                let judged = reviewed.get(name).cloned().unwrap_or_default();
                if judged != findings {
                    failures.push(format!(
                        "{name}: REVIEW.md judges {judged:?}, the findings are {findings:?}"
                    ));
                }
                insta::assert_snapshot!(name.as_str(), rendered);
            }
            Err(_) => failures.push(format!("{name}: linting or fixing panicked")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The corpus stays test data: Dockerfiles, ignore files and go.mod, each
/// directory named `OWNER__REPO[__variant]`.
#[test]
fn corpus_directories_hold_only_build_inputs_the_rules_read() {
    let mut projects = BTreeSet::new();
    for (name, dir) in directories() {
        let parts: Vec<&str> = name.split("__").collect();
        assert!(
            (2..=3).contains(&parts.len()) && parts.iter().all(|p| !p.is_empty()),
            "{name}: not OWNER__REPO[__variant]"
        );
        projects.insert(format!("{}/{}", parts[0], parts[1]));
        for f in files(&dir) {
            let n = file_name(&f);
            assert!(
                is_dockerfile_name(n)
                    || n == ".dockerignore"
                    || n.ends_with(".dockerignore")
                    || n == "go.mod",
                "{name}/{f}: only Dockerfiles, ignore files and go.mod belong in the corpus"
            );
        }
    }
    assert!(
        projects.len() >= MIN_PROJECTS,
        "{} projects, at least {MIN_PROJECTS} expected",
        projects.len()
    );
}

/// Every directory has a row in SOURCES.md naming its repository and a
/// pinned commit, and every row a directory.
#[test]
fn every_corpus_directory_is_sourced_at_a_pinned_commit() {
    let sources = std::fs::read_to_string(corpus().join("SOURCES.md")).expect("SOURCES.md");
    let mut rows = BTreeSet::new();
    for line in sources.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let dir = cells
            .get(1)
            .map(|c| c.trim_matches('`'))
            .unwrap_or_default();
        let repo = cells.get(2).copied().unwrap_or_default();
        let commit = cells
            .get(3)
            .map(|c| c.trim_matches('`'))
            .unwrap_or_default();
        let parts: Vec<&str> = dir.split("__").collect();
        assert!(
            parts.len() >= 2 && repo.contains(&format!("{}/{}", parts[0], parts[1])),
            "{dir}: the repository cell {repo:?} does not name {}/{}",
            parts.first().unwrap_or(&""),
            parts.get(1).unwrap_or(&"")
        );
        assert!(
            commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit()),
            "{dir}: {commit:?} is not a pinned 40-hex commit"
        );
        rows.insert(dir.to_string());
    }
    let dirs: BTreeSet<String> = directories().into_iter().map(|(n, _)| n).collect();
    assert_eq!(rows, dirs, "SOURCES.md rows and corpus directories differ");
}
