//! `envelope lint` on project layouts through the real binary: which files
//! a directory walk finds, the build context (`--context`, the `context`
//! key of envelope.toml, Dockerfile-specific ignore files), and hadolint's
//! suppression comments in a project moving from hadolint.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

fn lint_cmd(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_envelope"));
    cmd.current_dir(cwd).env("NO_COLOR", "1").arg("lint");
    cmd
}

fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (p, body) in files {
        let f = root.join(p);
        std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
        std::fs::write(f, body).expect("write");
    }
}

/// (code, path, line) of every finding in a JSON report.
fn findings(o: &Output) -> Vec<(String, String, u64)> {
    let v = json(&String::from_utf8_lossy(&o.stdout));
    let mut out: Vec<(String, String, u64)> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["path"].as_str().unwrap_or_default().to_string(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    out.sort();
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn directory_walk_finds_every_dockerfile_spelling_and_nothing_else() {
    let tmp = tempdir();
    let root = tmp.path();
    let df = "FROM golang\n";
    write_tree(
        root,
        &[
            ("Dockerfile", df),
            ("Dockerfile.dockerignore", "FROM golang\n"),
            ("Dockerfile.md", "FROM golang\n"),
            ("docker/Dockerfile-alpine", df),
            ("docker/Dockerfile-alpine.dockerignore", ".git\n"),
            ("docker/Dockerfile.goreleaser", df),
            ("docker/Dockerfile.tmpl", "FROM {{ .Image }}\n"),
            ("docker/Dockerfile-build.sh", "docker build .\n"),
            ("build/api.Dockerfile", df),
            ("build/worker.dockerfile", df),
            ("build/api.Dockerfile.dockerignore", ".git\n"),
            ("rhel/Containerfile", df),
            ("rhel/Containerfile.ubi9", df),
            ("rhel/Containerfile-minimal", df),
            ("rhel/Containerfile.README.txt", "FROM golang\n"),
            ("vendor/github.com/x/y/Dockerfile", df),
            ("web/node_modules/pkg/Dockerfile", df),
            ("internal/lint/testdata/Dockerfile", df),
            (".git/Dockerfile", df),
        ],
    );
    let o = run(lint_cmd(root).args(["--format", "json", "--select", "DF002"]));
    let paths: Vec<String> = findings(&o).into_iter().map(|(_, p, _)| p).collect();
    assert_eq!(
        paths,
        [
            "Dockerfile",
            "build/api.Dockerfile",
            "build/worker.dockerfile",
            "docker/Dockerfile-alpine",
            "docker/Dockerfile.goreleaser",
            "rhel/Containerfile",
            "rhel/Containerfile-minimal",
            "rhel/Containerfile.ubi9",
        ],
        "{}",
        stderr(&o)
    );
    // A skipped directory given on the command line is walked.
    let o = run(lint_cmd(root).args([
        "--format",
        "json",
        "--select",
        "DF002",
        "internal/lint/testdata",
    ]));
    let paths: Vec<String> = findings(&o).into_iter().map(|(_, p, _)| p).collect();
    assert_eq!(
        paths,
        ["internal/lint/testdata/Dockerfile"],
        "{}",
        stderr(&o)
    );
}

/// `docker build -f docker/Dockerfile .`: a project whose Dockerfile lives in
/// a subfolder and whose `.dockerignore` is at the root.
fn subfolder_project(root: &Path) {
    write_tree(
        root,
        &[
            (".dockerignore", ".git\n.env\n**/.env\n"),
            (
                "docker/Dockerfile",
                "FROM golang:1.23\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\n",
            ),
        ],
    );
}

fn df005(o: &Output) -> Vec<(String, String, u64)> {
    findings(o)
        .into_iter()
        .filter(|(c, _, _)| c == "DF005")
        .collect()
}

#[test]
fn context_flag_reads_the_dockerignore_of_the_build_context() {
    let tmp = tempdir();
    let root = tmp.path();
    subfolder_project(root);
    let args = ["--format", "json", "--select", "DF005", "docker/Dockerfile"];
    // Today's default: the Dockerfile's folder, which has no .dockerignore.
    let o = run(lint_cmd(root).args(args));
    assert_eq!(
        df005(&o),
        [("DF005".into(), "docker/Dockerfile".into(), 3)],
        "{}",
        stderr(&o)
    );
    // Built from the root.
    let o = run(lint_cmd(root).args(args).args(["--context", "."]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(df005(&o).is_empty());
    // The same from a directory walk.
    let o = run(lint_cmd(root).args(["--format", "json", "--select", "DF005", "--context", "."]));
    assert!(df005(&o).is_empty(), "{}", stderr(&o));
    // A Dockerfile-specific ignore file beside the Dockerfile wins over the
    // context's, and this one forgets `.env`.
    write_tree(root, &[("docker/Dockerfile.dockerignore", ".git\n")]);
    let o = run(lint_cmd(root).args(args).args(["--context", "."]));
    let v = json(&String::from_utf8_lossy(&o.stdout));
    assert_eq!(df005(&o).len(), 1, "{v}");
    let message = v["diagnostics"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Dockerfile.dockerignore does not exclude `.env`"),
        "{message}"
    );
}

#[test]
fn context_key_in_envelope_toml_and_a_bad_context() {
    let tmp = tempdir();
    let root = tmp.path();
    subfolder_project(root);
    // Relative to the envelope.toml, which sits in the Dockerfile's folder.
    write_tree(
        root,
        &[("docker/envelope.toml", "[lint]\ncontext = \"..\"\n")],
    );
    let docker = root.join("docker");
    let o = run(lint_cmd(&docker).args(["--format", "json", "--select", "DF005", "Dockerfile"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(df005(&o).is_empty());
    // --isolated drops it: back to the Dockerfile's folder.
    let o = run(lint_cmd(&docker).args([
        "--format",
        "json",
        "--select",
        "DF005",
        "--isolated",
        "Dockerfile",
    ]));
    assert_eq!(df005(&o).len(), 1, "{}", stderr(&o));
    // A context that is not a directory is an error, with a hint.
    let o = run(lint_cmd(root).args(["--context", "nowhere", "docker/Dockerfile"]));
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("the build context nowhere is not a directory") && e.contains("hint:"),
        "{e}"
    );
}

#[test]
fn hadolint_suppressions_are_honoured() {
    let tmp = tempdir();
    let root = tmp.path();
    write_tree(
        root,
        &[(
            "Dockerfile",
            "# hadolint global ignore=DL3007\nFROM golang:latest AS build\n\
             # hadolint ignore=DL3006,DL3008\nFROM alpine\n\
             # hadolint ignore=DL3002 trailing words: not a pragma\nUSER root\n",
        )],
    );
    let o = run(lint_cmd(root).args(["--format", "json", "--select", "DF002,DF003"]));
    assert_eq!(
        findings(&o),
        [("DF003".into(), "Dockerfile".into(), 6)],
        "{}",
        stderr(&o)
    );
    assert_eq!(o.status.code(), Some(1));
}
