//! The build context a Dockerfile is linted in: which ignore file BuildKit
//! would apply (a Dockerfile-specific one beside the Dockerfile first, then
//! the context's `.dockerignore`), and `context` in envelope.toml.

use std::path::Path;

use envelope_lint::{lint, BuildContext, Settings};

fn only(code: &str) -> Settings {
    Settings {
        select: Some(vec![code.to_string()]),
        ..Settings::default()
    }
}

/// A temporary project holding `files`.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), files);
    tmp
}

fn write(root: &Path, files: &[(&str, &str)]) {
    for (p, body) in files {
        let f = root.join(p);
        std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
        std::fs::write(f, body).expect("write");
    }
}

const COPY_ALL: &str = "FROM golang:1.23\nWORKDIR /src\nCOPY . .\n";

/// The DF005 messages for `path` linted in `build`.
fn df005(path: &str, build: &BuildContext) -> Vec<String> {
    lint(path, COPY_ALL.as_bytes(), Some(build), &only("DF005"))
        .expect("lint")
        .diagnostics
        .into_iter()
        .map(|d| d.message)
        .collect()
}

/// Exactly one DF005 finding, whose message starts with `prefix`.
fn one_starting_with(m: &[String], prefix: &str) {
    assert!(m.len() == 1 && m[0].starts_with(prefix), "{m:?}");
}

#[test]
fn the_context_dockerignore_counts_for_a_dockerfile_in_a_subfolder() {
    let tmp = project(&[(".dockerignore", ".git\n.env\n**/.env\n")]);
    let root = tmp.path();
    std::fs::create_dir_all(root.join("docker")).expect("mkdir");
    // Built from the root: the root's ignore file applies.
    let from_root = BuildContext::new(root).with_dockerfile_dir(root.join("docker"));
    assert!(df005("docker/Dockerfile", &from_root).is_empty());
    // Built from its own folder (the default): there is none there.
    let own = BuildContext::new(root.join("docker"));
    one_starting_with(&df005("docker/Dockerfile", &own), "no .dockerignore");
}

#[test]
fn a_dockerfile_specific_ignore_file_beside_the_dockerfile_wins() {
    let tmp = project(&[
        (".dockerignore", ".git\n.env\n"),
        // Beside the Dockerfile, not in the context: this one applies,
        // and it forgets `.env`.
        ("docker/api.Dockerfile.dockerignore", "node_modules\n"),
        // In the context but named after the Dockerfile: BuildKit
        // looks for it beside the Dockerfile only.
        ("api.Dockerfile.dockerignore", ".git\n.env\n"),
    ]);
    let root = tmp.path();
    let build = BuildContext::new(root).with_dockerfile_dir(root.join("docker"));
    one_starting_with(
        &df005("docker/api.Dockerfile", &build),
        "api.Dockerfile.dockerignore does not exclude `.env`",
    );
    // Another Dockerfile in the same folder still gets the context's file.
    assert!(df005("docker/web.Dockerfile", &build).is_empty());
    // `Dockerfile.dockerignore` for a plain `Dockerfile`.
    write(root, &[("docker/Dockerfile.dockerignore", ".git\n")]);
    one_starting_with(
        &df005("docker/Dockerfile", &build),
        "Dockerfile.dockerignore does not exclude `.env`",
    );
}

#[test]
fn context_in_envelope_toml_is_relative_to_the_file() {
    let tmp = project(&[
        ("deploy/envelope.toml", "[lint]\ncontext = \"..\"\n"),
        ("plain/envelope.toml", "[lint]\nselect = [\"DF\"]\n"),
        ("audit/envelope.toml", "[audit]\ncontext = \".\"\n"),
    ]);
    let root = tmp.path();
    let s = Settings::from_file(&root.join("deploy/envelope.toml")).expect("settings");
    assert_eq!(s.context, Some(root.join("deploy").join("..")));
    let s = Settings::from_file(&root.join("plain/envelope.toml")).expect("settings");
    assert_eq!(s.context, None);
    let e = Settings::from_file_table(&root.join("audit/envelope.toml"), "audit")
        .expect_err("an image has no build context");
    assert!(e.to_string().contains("`context` belongs in [lint]"), "{e}");
}
