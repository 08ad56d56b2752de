//! envelope-project's readers on any text, the first byte choosing which
//! (by its value modulo 4, so the digits `0` to `3` serve):
//!
//! 0. an envelope.toml: its `[build]` tables;
//! 1. a `.ko.yaml` in a folder with a go.mod, each main package's
//!    `kodata/` looked up;
//! 2. an ldflags template, against fixed git facts, environment and date
//!    (never running git; the byte's higher bits pick the facts: a commit,
//!    SOURCE_DATE_EPOCH 0, the latest instant, no repository);
//! 3. a `--file SRC:DST` flag.
//!
//! No panic; every source a setting names lies inside the text; what is
//! accepted is what the checks promise (absolute destinations without
//! `..`, modes up to 7777, Go settings envelope lets a build change); the
//! templates of what was read expand or fail, without panicking, and a
//! text without `{{` expands to itself.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use envelope_project::{
    check_go_env, ko, parse_file_flag, template::has_template, GitInfo, Layer, Project, Source,
    TemplateData, TemplateError,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match selector % 4 {
        0 => toml(text),
        1 => ko_yaml(text),
        2 => template(text, selector / 4),
        _ => file_flag(text),
    }
});

fn toml(text: &str) {
    let Ok(project) = Project::parse(Path::new("/p/envelope.toml"), text) else {
        return;
    };
    assert_eq!(project.dir, Path::new("/p"));
    // toml counts lines by `\n` alone.
    let lines = text.matches('\n').count() + 1;
    check_project(&project, lines);
}

/// A folder holding a go.mod, made once per process.
fn module_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = envelope_fuzz::scratch("project");
        std::fs::write(dir.join("go.mod"), "module example.com/app\n\ngo 1.22\n")
            .expect("the go.mod can be written");
        std::fs::create_dir_all(dir.join("cmd/api/kodata")).expect("a kodata folder");
        dir
    })
}

fn ko_yaml(text: &str) {
    let dir = module_dir();
    let Ok((project, extras)) = ko::parse(&dir.join(".ko.yaml"), text) else {
        return;
    };
    assert_eq!(project.dir, dir);
    let (module, root) = extras.module.as_ref().expect("the go.mod is found");
    assert_eq!((module.as_str(), root.as_path()), ("example.com/app", dir));
    let lines = envelope_yaml::line_breaks(text) + 1;
    check_project(&project, lines);
    for table in &project.images {
        if let Some(p) = &table.layer.package {
            if let Some(f) = extras.kodata(&p.value) {
                assert_eq!(f.dst, ko::KO_DATA_PATH);
                assert!(f.src.starts_with(dir), "{} outside the module", f.src.display());
            }
        }
    }
    for w in &extras.warnings {
        assert!(w.starts_with(".ko.yaml:"), "{w}");
    }
}

fn check_project(project: &Project, lines: usize) {
    check_layer(&project.defaults, lines);
    let mut names = Vec::new();
    for table in &project.images {
        check_source(&table.source, lines);
        check_layer(&table.layer, lines);
        let merged = table.layer.over(&project.defaults);
        assert_eq!(merged.over(&merged), merged);
        let explained = merged.explain();
        for e in &explained {
            check_source(&e.source, lines);
        }
        names.push(table.name.as_str());
    }
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "two tables make one image");
}

fn check_source(source: &Source, lines: usize) {
    match source {
        Source::File { line, column, .. } => {
            assert!(*line >= 1 && *line <= lines, "line {line} of {lines}");
            assert!(*column >= 1);
            assert!(source.location().contains(':'));
        }
        Source::Flag(_) | Source::Default => {}
    }
}

fn check_layer(layer: &Layer, lines: usize) {
    for e in layer.explain() {
        check_source(&e.source, lines);
    }
    for k in layer.go_env.keys() {
        assert_eq!(check_go_env(k), Ok(()), "go-env {k} accepted");
    }
    for k in layer.env.keys() {
        assert!(!k.is_empty() && !k.contains('='), "env {k:?} accepted");
    }
    if let Some(w) = &layer.workdir {
        assert!(w.value.starts_with('/'));
    }
    if let Some(files) = &layer.files {
        for f in &files.value {
            check_dst(&f.dst);
            assert!(f.mode.is_none_or(|m| m <= 0o7777));
        }
    }
    // What a build would expand: no panic, whatever the text.
    let data = fixed(0);
    let templated = layer
        .ldflags
        .iter()
        .chain(layer.go_env.values())
        .map(|s| s.value.as_str());
    for t in templated {
        let _ = data.expand(t);
    }
}

fn check_dst(dst: &str) {
    assert!(dst.starts_with('/'), "{dst:?} accepted");
    assert!(!dst.split('/').any(|c| c == ".."), "{dst:?} accepted");
}

/// Git facts, SOURCE_DATE_EPOCH and an environment with one variable,
/// picked by `which`.
fn fixed(which: u8) -> TemplateData {
    let info = |commit_timestamp| GitInfo {
        full_commit: "0123456789abcdef0123456789abcdef01234567".into(),
        short_commit: "0123456".into(),
        tag: "v1.2.3".into(),
        dirty: which % 2 == 1,
        commit_timestamp,
    };
    let env = |k: &str| (k == "VERSION").then(|| "{{.Date}}".to_string());
    match which % 4 {
        0 => TemplateData::fixed(Ok(info(1_700_000_000)), None, env),
        1 => TemplateData::fixed(Ok(info(0)), Some(0), env),
        2 => TemplateData::fixed(Ok(info(u64::MAX)), Some(u64::MAX), env),
        _ => TemplateData::fixed(Err("not in a git repository".into()), None, env),
    }
}

fn template(text: &str, which: u8) {
    let data = fixed(which);
    let got = data.expand(text);
    if !has_template(text) {
        assert_eq!(got.as_deref(), Ok(text));
    }
    match got {
        // A value is never expanded again: the environment's `{{.Date}}`
        // stays as it is.
        Ok(out) => {
            if text.contains("{{.Env.VERSION}}") {
                assert!(out.contains("{{.Date}}"), "{out}");
            }
        }
        Err(TemplateError::Git { field, .. }) => {
            assert_eq!(which % 4, 3, "{field} needs git only without it");
        }
        Err(e) => {
            // The message names what is wrong, and never panics to print.
            assert!(!e.to_string().is_empty());
        }
    }
    // The same text gives the same result.
    assert_eq!(data.expand(text), fixed(which).expand(text));
}

fn file_flag(text: &str) {
    let Ok(f) = parse_file_flag(text, Path::new("/w")) else {
        return;
    };
    check_dst(&f.dst);
    assert!(f.src.starts_with("/w") || text.starts_with('/'));
    assert!(text.ends_with(&f.dst));
    assert_eq!((f.mode, f.uid, f.gid), (None, None, None));
}
