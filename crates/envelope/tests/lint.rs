//! `envelope lint`, `rules`, `rule` and `init` through the real binary:
//! every output format (snapshots; SARIF checked against the 2.1.0 schema),
//! exit codes, fixes written and diffed, directory walks, suppressions,
//! configuration, the corpus of realistic Dockerfiles, and hadolint on the
//! rules both tools have.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

fn lint_cmd(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_envelope"));
    cmd.current_dir(cwd).env("NO_COLOR", "1").arg("lint");
    cmd
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lint")
        .join(name)
}

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../envelope-lint/tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "Dockerfile"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the corpus has {} files", files.len());
    files
}

#[test]
fn every_output_format() {
    let dir = fixture("sample");
    for format in ["human", "concise", "json", "sarif", "github"] {
        let o = run(lint_cmd(&dir).args(["--format", format, "Dockerfile"]));
        assert_eq!(code(&o), 1, "{format}: {}", err(&o));
        insta::assert_snapshot!(format!("lint-{format}"), out(&o));
    }
}

#[test]
fn sarif_is_valid_sarif_2_1_0_with_rule_help() {
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json");
    let schema = json(&std::fs::read_to_string(&schema_path).expect("schema"));
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let mut docs = vec![out(&run(lint_cmd(&fixture("sample")).args([
        "--format",
        "sarif",
        "Dockerfile",
    ])))];
    for f in corpus() {
        docs.push(out(&run(lint_cmd(f.parent().expect("dir"))
            .args(["--format", "sarif"])
            .arg(&f))));
    }
    for doc in docs {
        let v = json(&doc);
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        let rules = v["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules");
        assert!(rules.len() >= 20);
        for r in rules {
            let help = r["help"]["markdown"].as_str().expect("help");
            assert!(help.contains("## Why") && help.contains("## Fix"), "{r}");
        }
        for result in v["runs"][0]["results"].as_array().expect("results") {
            let i = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[i]["id"], result["ruleId"]);
        }
    }
}

#[test]
fn exit_codes_follow_the_threshold() {
    let dir = fixture("sample");
    // Findings at warning level: 1 by default, 0 when only errors count.
    assert_eq!(code(&run(lint_cmd(&dir).args(["-q", "Dockerfile"]))), 1);
    let o = run(lint_cmd(&dir).args(["--fail-on", "error", "--select", "GO003", "Dockerfile"]));
    assert_eq!(code(&o), 0, "{}", out(&o));
    // A clean file.
    let tmp = tempdir();
    std::fs::write(tmp.path().join("Dockerfile"), "FROM scratch@sha256:0000000000000000000000000000000000000000000000000000000000000000\nCOPY app /app\nUSER 65532:65532\nENTRYPOINT [\"/app\"]\n").expect("write");
    let o = run(lint_cmd(tmp.path()).args(["--select", "GO,DF000,DF002,DF003", "Dockerfile"]));
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(out(&o).contains("no findings"));
    // Errors: a missing file, an unknown code, a bad config.
    let o = run(lint_cmd(tmp.path()).arg("nope/Dockerfile"));
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("cannot read nope/Dockerfile"),
        "{}",
        err(&o)
    );
    let o = run(lint_cmd(tmp.path()).args(["--select", "GO999"]));
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("unknown rule code or prefix `GO999`"),
        "{}",
        err(&o)
    );
    std::fs::write(
        tmp.path().join("envelope.toml"),
        "[lint]\nignorre = [\"DF001\"]\n",
    )
    .expect("write");
    let o = run(&mut lint_cmd(tmp.path()));
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("envelope.toml") && err(&o).contains("ignorre"),
        "{}",
        err(&o)
    );
    std::fs::write(
        tmp.path().join("envelope.toml"),
        "[lint]\nseverity = { GO003 = \"fatal\" }\n",
    )
    .expect("write");
    let o = run(&mut lint_cmd(tmp.path()));
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("unknown severity `fatal`"), "{}", err(&o));
}

#[test]
fn configuration_selects_ignores_and_overrides_severity() {
    let tmp = tempdir();
    std::fs::copy(
        fixture("sample").join("Dockerfile"),
        tmp.path().join("Dockerfile"),
    )
    .expect("copy");
    std::fs::write(
        tmp.path().join("envelope.toml"),
        "[lint]\nselect = [\"GO\", \"DF002\"]\nignore = [\"GO004\"]\nfail-on = \"error\"\n[lint.severity]\nGO003 = \"error\"\n",
    )
    .expect("write");
    let sub = tmp.path().join("deep/er");
    std::fs::create_dir_all(&sub).expect("mkdir");
    // The nearest envelope.toml above the current directory applies.
    let o = run(lint_cmd(&sub).args(["--format", "json", "../../Dockerfile"]));
    let v = json(&out(&o));
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("d")
        .iter()
        .map(|d| d["code"].as_str().expect("code"))
        .collect();
    assert!(codes.contains(&"GO003"), "{codes:?}");
    assert!(
        !codes.contains(&"GO004") && codes.iter().all(|c| c.starts_with("GO") || *c == "DF002"),
        "{codes:?}"
    );
    let go003 = v["diagnostics"]
        .as_array()
        .expect("d")
        .iter()
        .find(|d| d["code"] == "GO003")
        .expect("GO003");
    assert_eq!(go003["severity"], "error");
    assert_eq!(
        code(&o),
        1,
        "an error-level finding reaches fail-on = error"
    );
    // --isolated ignores the file; --ignore on the command line adds to it.
    let o = run(lint_cmd(&sub).args([
        "--isolated",
        "--format",
        "json",
        "--select",
        "GO003",
        "../../Dockerfile",
    ]));
    assert_eq!(json(&out(&o))["diagnostics"][0]["severity"], "warning");
    let o = run(lint_cmd(&sub).args(["--format", "json", "--ignore", "GO003", "../../Dockerfile"]));
    assert!(!out(&o).contains("\"GO003\""));
}

#[test]
fn suppression_comments() {
    let tmp = tempdir();
    let df = "# envelope: ignore-file=DF002\nFROM golang AS build\n# envelope: ignore=GO003 reason: reproducibility is not needed here\nRUN go build -o /a . && \\\n    go build -o /b ./b\nRUN go build -o /c ./c\nFROM scratch\nCOPY --from=build /a /b /c /bin/\n";
    std::fs::write(tmp.path().join("Dockerfile"), df).expect("write");
    let o = run(lint_cmd(tmp.path()).args(["--format", "json", "--select", "GO003,DF002"]));
    let v = json(&out(&o));
    let lines: Vec<(String, u64)> = v["diagnostics"]
        .as_array()
        .expect("d")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(lines, vec![("GO003".to_string(), 6)], "{v}");
    std::fs::write(
        tmp.path().join("Dockerfile"),
        format!("# envelope: ignore=GO0003\n{df}"),
    )
    .expect("write");
    let o = run(&mut lint_cmd(tmp.path()));
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("Dockerfile:1: unknown rule code `GO0003`"),
        "{}",
        err(&o)
    );
}

#[test]
fn fix_writes_and_diff_shows_the_same_change() {
    let tmp = tempdir();
    let path = tmp.path().join("Dockerfile");
    std::fs::copy(fixture("sample").join("Dockerfile"), &path).expect("copy");
    let before = std::fs::read_to_string(&path).expect("read");
    // Plain --diff: the safe fixes, then the unsafe ones apart and marked.
    let o = run(lint_cmd(tmp.path()).args(["--diff"]));
    assert_eq!(code(&o), 1, "{}", err(&o));
    let shown = out(&o);
    let (safe, unsafe_part) = shown
        .split_once("# unsafe fixes:")
        .unwrap_or_else(|| panic!("no unsafe section: {shown}"));
    assert!(
        safe.contains(" -trimpath") && !safe.contains("USER 65532"),
        "{safe}"
    );
    assert!(unsafe_part.contains("+USER 65532:65532"), "{unsafe_part}");
    assert!(err(&o).contains("shown apart"), "{}", err(&o));
    let o = run(lint_cmd(tmp.path()).args(["--diff", "--unsafe-fixes"]));
    assert_eq!(code(&o), 1, "{}", err(&o));
    let diff = out(&o);
    assert!(!diff.contains("# unsafe fixes:"), "{diff}");
    assert!(
        diff.contains("--- a/Dockerfile")
            && diff
                .lines()
                .any(|l| l.starts_with("+RUN") && l.contains(" -trimpath")),
        "{diff}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        before,
        "--diff wrote the file"
    );
    let o = run(lint_cmd(tmp.path()).args(["--fix", "--unsafe-fixes", "--format", "json"]));
    assert!(err(&o).contains("fixed"), "{}", err(&o));
    let after = std::fs::read_to_string(&path).expect("read");
    assert_ne!(after, before);
    assert!(
        after.contains(" -trimpath") && after.contains("USER 65532:65532"),
        "{after}"
    );
    // The diff's + lines are exactly what --fix wrote.
    for line in diff
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
    {
        assert!(
            after.lines().any(|a| a == &line[1..]),
            "{line} not in\n{after}"
        );
    }
    let v = json(&out(&o));
    assert!(
        v["diagnostics"]
            .as_array()
            .expect("d")
            .iter()
            .all(|d| d["fix"].is_null()),
        "{v}"
    );
    // Nothing left to fix: --diff is clean.
    let o = run(lint_cmd(tmp.path()).args(["--diff"]));
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(out(&o).is_empty());
}

#[test]
fn fix_writes_through_a_symlinked_dockerfile() {
    let tmp = tempdir();
    let real = tmp.path().join("common-docker");
    std::fs::create_dir(&real).expect("mkdir");
    let target = real.join("Dockerfile");
    std::fs::copy(fixture("sample").join("Dockerfile"), &target).expect("copy");
    let before = std::fs::read_to_string(&target).expect("read");
    let app = tmp.path().join("app");
    std::fs::create_dir(&app).expect("mkdir");
    let link = app.join("Dockerfile");
    std::os::unix::fs::symlink("../common-docker/Dockerfile", &link).expect("symlink");

    let o = run(lint_cmd(&app).args(["--fix", "Dockerfile"]));
    assert!(err(&o).contains("fixed"), "{}", err(&o));
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("lstat")
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    let after = std::fs::read_to_string(&target).expect("read");
    assert_ne!(after, before, "the link's target was not fixed");
    assert!(after.contains(" -trimpath"), "{after}");
    let mut left: Vec<String> = std::fs::read_dir(&real)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.append(
        &mut std::fs::read_dir(&app)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect(),
    );
    assert_eq!(left, ["Dockerfile", "Dockerfile"], "temporary files left");
}

#[test]
fn directories_are_walked_respecting_gitignore() {
    let tmp = tempdir();
    let root = tmp.path();
    for (p, body) in [
        ("Dockerfile", "FROM golang\n"),
        ("svc/api.Dockerfile", "FROM golang\n"),
        ("svc/Dockerfile.dev", "FROM golang\n"),
        ("svc/Containerfile", "FROM golang\n"),
        ("vendor/x/Dockerfile", "FROM golang\n"),
        ("README.md", "FROM golang\n"),
        (".gitignore", "vendor/\n"),
    ] {
        let f = root.join(p);
        std::fs::create_dir_all(f.parent().expect("p")).expect("mkdir");
        std::fs::write(f, body).expect("write");
    }
    let o = run(lint_cmd(root).args(["--format", "json", "--select", "DF002"]));
    let v = json(&out(&o));
    let mut paths: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("d")
        .iter()
        .map(|d| d["path"].as_str().expect("p"))
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "Dockerfile",
            "svc/Containerfile",
            "svc/Dockerfile.dev",
            "svc/api.Dockerfile"
        ],
        "{v}"
    );
    assert_eq!(v["summary"]["files"], 4);
    // An empty directory: a warning, exit 0.
    let empty = root.join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let o = run(&mut lint_cmd(&empty));
    assert_eq!(code(&o), 0);
    assert!(err(&o).contains("no Dockerfile"), "{}", err(&o));
}

#[test]
fn standard_input() {
    let tmp = tempdir();
    let mut child = lint_cmd(tmp.path())
        .args([
            "--format",
            "concise",
            "--select",
            "DF002",
            "--stdin-filename",
            "build/Dockerfile",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"FROM golang\n")
        .expect("write");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(
        out(&o).trim(),
        "build/Dockerfile:1:6: DF002 `golang` has no tag, so it means `latest`"
    );
}

#[test]
fn bad_files_give_positions_not_panics() {
    let tmp = tempdir();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "empty",
            Vec::new(),
            "1:1: DF000 the file has no instructions",
        ),
        (
            "binary",
            b"\x7fELF\x02\x01\x01\x00\x00\x00".to_vec(),
            "DF000 this is a binary file",
        ),
        (
            "utf8",
            b"FROM scratch\nLABEL a=\xff\n".to_vec(),
            "2:9: DF000 invalid UTF-8 at byte 21",
        ),
        (
            "heredoc",
            b"FROM scratch\nRUN <<EOF\necho\n".to_vec(),
            "2:5: DF000 unterminated heredoc",
        ),
        (
            "unknown",
            b"FROM scratch\nRUNN true\n".to_vec(),
            "2:1: DF000 unknown instruction `RUNN`",
        ),
        (
            "escape",
            b"# escape=ab\nFROM scratch\n".to_vec(),
            "1:1: DF000 invalid escape directive",
        ),
    ];
    for (name, body, want) in cases {
        let f = tmp.path().join(format!("{name}.Dockerfile"));
        std::fs::write(&f, body).expect("write");
        let o = run(lint_cmd(tmp.path())
            .args(["--format", "concise", "--select", "DF000"])
            .arg(&f));
        assert_eq!(code(&o), 1, "{name}: {}", err(&o));
        assert!(out(&o).contains(want), "{name}: {}", out(&o));
    }
    // 10 MB of instructions.
    let mut big = String::from("FROM golang:1.23 AS build\n");
    while big.len() < 10 << 20 {
        big.push_str(
            "RUN CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" -o /out/app ./cmd/app\n",
        );
    }
    big.push_str("FROM scratch\nCOPY --from=build /out/app /app\n");
    let f = tmp.path().join("big.Dockerfile");
    std::fs::write(&f, big).expect("write");
    let o = run(lint_cmd(tmp.path())
        .args(["--format", "json", "--select", "DF000,GO003"])
        .arg(&f));
    assert_eq!(code(&o), 0, "{}", err(&o));
}

#[test]
fn the_corpus_lints_without_errors() {
    for f in corpus() {
        let o = run(lint_cmd(f.parent().expect("dir"))
            .args(["--format", "json"])
            .arg(&f));
        assert!(matches!(code(&o), 0 | 1), "{}: {}", f.display(), err(&o));
        let v = json(&out(&o));
        for d in v["diagnostics"].as_array().expect("d") {
            assert_ne!(d["code"], "DF000", "{}: {d}", f.display());
        }
    }
}

#[test]
fn rules_and_rule() {
    let tmp = tempdir();
    let o = run(Command::new(env!("CARGO_BIN_EXE_envelope"))
        .current_dir(tmp.path())
        .args(["rules", "--format", "json"]));
    let list = json(&out(&o));
    let codes: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|r| r["code"].as_str().expect("code"))
        .collect();
    for c in [
        "GO001", "GO002", "GO003", "GO004", "GO005", "GO006", "GO007", "DF001", "DF012",
    ] {
        assert!(codes.contains(&c), "{c} missing from {codes:?}");
    }
    let o = run(Command::new(env!("CARGO_BIN_EXE_envelope"))
        .current_dir(tmp.path())
        .args(["rule", "go003"]));
    assert!(
        out(&o).starts_with("# GO003 go-build-without-trimpath"),
        "{}",
        out(&o)
    );
    let o = run(Command::new(env!("CARGO_BIN_EXE_envelope"))
        .current_dir(tmp.path())
        .args(["rule", "XX1"]));
    assert_eq!(code(&o), 2);
}

mod init {
    use super::*;

    fn module(files: &[(&str, &str)]) -> tempfile::TempDir {
        let tmp = tempdir();
        for (p, body) in files {
            let f = tmp.path().join(p);
            std::fs::create_dir_all(f.parent().expect("p")).expect("mkdir");
            std::fs::write(f, body).expect("write");
        }
        tmp
    }

    fn init(dir: &Path, extra: &[&str]) -> Output {
        run(Command::new(env!("CARGO_BIN_EXE_envelope"))
            .current_dir(dir)
            .arg("init")
            .args(extra))
    }

    #[test]
    fn writes_a_dockerfile_the_linter_passes_and_never_overwrites() {
        let tmp = module(&[
            ("go.mod", "module example.com/acme/shop\n\ngo 1.23.4\n"),
            ("go.sum", ""),
            (
                "cmd/shop/main.go",
                "// Command shop.\npackage main\n\nfunc main() {}\n",
            ),
            ("cmd/shop/main_test.go", "package main\n"),
            ("internal/x/x.go", "package x\n"),
            ("tools/gen.go", "//go:build ignore\n\npackage main\n"),
        ]);
        let o = init(tmp.path(), &[]);
        assert_eq!(code(&o), 0, "{}", err(&o));
        let df = std::fs::read_to_string(tmp.path().join("Dockerfile")).expect("Dockerfile");
        assert!(
            df.contains("FROM --platform=$BUILDPLATFORM golang:1.23 AS build"),
            "{df}"
        );
        assert!(df.contains("COPY go.mod go.sum ./"));
        assert!(df.contains("-o /out/shop ./cmd/shop"));
        assert!(df.contains("ENTRYPOINT [\"/usr/local/bin/shop\"]"));
        let ignore =
            std::fs::read_to_string(tmp.path().join(".dockerignore")).expect(".dockerignore");
        assert!(ignore.lines().any(|l| l == ".git") && ignore.lines().any(|l| l == ".env"));
        // Zero findings, every default rule.
        let o = run(lint_cmd(tmp.path()).args(["--format", "json", "--fail-on", "info"]));
        assert_eq!(code(&o), 0, "{}", out(&o));
        assert_eq!(json(&out(&o))["summary"]["findings"], 0);
        // Without --force nothing is touched.
        std::fs::write(tmp.path().join("Dockerfile"), "FROM mine\n").expect("write");
        let o = init(tmp.path(), &[]);
        assert_eq!(code(&o), 2);
        assert!(err(&o).contains("already exist"), "{}", err(&o));
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("Dockerfile")).expect("read"),
            "FROM mine\n"
        );
        let o = init(tmp.path(), &["--force", "--base", "scratch"]);
        assert_eq!(code(&o), 0, "{}", err(&o));
        let df = std::fs::read_to_string(tmp.path().join("Dockerfile")).expect("Dockerfile");
        assert!(df.contains("\nFROM scratch\n"), "{df}");
        let o = run(lint_cmd(tmp.path()).args(["--format", "json", "--fail-on", "info"]));
        assert_eq!(code(&o), 0, "{}", out(&o));
    }

    #[test]
    fn several_main_packages_need_a_choice() {
        let tmp = module(&[
            ("go.mod", "module example.com/tools\n\ngo 1.22\n"),
            ("cmd/a/main.go", "package main\nfunc main() {}\n"),
            ("cmd/b/main.go", "package main\nfunc main() {}\n"),
        ]);
        let o = init(tmp.path(), &[]);
        assert_eq!(code(&o), 2);
        assert!(
            err(&o).contains("several main packages: ./cmd/a, ./cmd/b")
                && err(&o).contains("--main"),
            "{}",
            err(&o)
        );
        assert!(!tmp.path().join("Dockerfile").exists());
        let o = init(tmp.path(), &["--main", "cmd/b"]);
        assert_eq!(code(&o), 0, "{}", err(&o));
        let df = std::fs::read_to_string(tmp.path().join("Dockerfile")).expect("Dockerfile");
        assert!(
            df.contains("golang:1.22 AS build")
                && df.contains("-o /out/b ./cmd/b")
                && df.contains("COPY go.mod ./\n"),
            "{df}"
        );
        let o = init(&tmp.path().join("cmd"), &[]);
        assert_eq!(code(&o), 2);
        assert!(err(&o).contains("go.mod"), "{}", err(&o));
    }

    #[cfg(feature = "external-tools")]
    /// The generated build command is run for real with the machine's Go:
    /// it produces a static, stripped binary.
    #[test]
    fn the_generated_build_command_builds_a_static_binary() {
        let tmp = module(&[
            ("go.mod", "module example.com/hello\n\ngo 1.23\n"),
            (
                "main.go",
                "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n",
            ),
        ]);
        assert_eq!(code(&init(tmp.path(), &[])), 0);
        let df = std::fs::read_to_string(tmp.path().join("Dockerfile")).expect("Dockerfile");
        let parsed = envelope_dockerfile::parse(df.as_bytes());
        let build = parsed
            .instructions
            .iter()
            .flat_map(|i| i.commands())
            .find(|c| c.name() == "go" && c.words.get(1).is_some_and(|w| w.value == "build"))
            .expect("go build");
        let out_bin = tmp.path().join("out-bin");
        let mut cmd = Command::new(go_dir().join("go"));
        cmd.current_dir(tmp.path())
            .env("GOCACHE", gocache())
            .env("GOPROXY", "off")
            .env("GOTOOLCHAIN", "local")
            .env("GOFLAGS", "");
        for (k, v) in &build.env {
            if !v.starts_with('$') {
                cmd.env(k, v);
            }
        }
        let args: Vec<String> = build.words[1..]
            .iter()
            .map(|w| {
                if w.value.starts_with("/out/") {
                    out_bin.display().to_string()
                } else {
                    w.value.clone()
                }
            })
            .collect();
        ok(cmd.args(&args));
        let facts =
            envelope_golang::elf::inspect(&std::fs::read(&out_bin).expect("binary")).expect("ELF");
        assert!(facts.is_static && facts.stripped, "{facts:?}");
    }
}

#[cfg(feature = "external-tools")]
mod hadolint {
    //! hadolint on the corpus, for the rules both tools have. Every
    //! disagreement must be one of the deliberate differences documented in
    //! docs/lint-vs-hadolint.md; anything else fails.
    use super::*;
    use envelope_dockerfile::{parse, Dockerfile, Kind};
    use envelope_lint::image::BaseKind;

    pub fn hadolint() -> PathBuf {
        peer("hadolint")
    }

    /// Instruction index holding 1-based `line`.
    fn instr_at(df: &Dockerfile, line: usize) -> Option<usize> {
        df.instructions.iter().position(|i| {
            let (first, _) = df.line_col(i.span.start);
            let (last, _) = df.line_col(i.span.end.saturating_sub(1).max(i.span.start));
            first <= line && line <= last
        })
    }

    #[derive(Default)]
    struct Pairs {
        /// (hadolint codes, envelope code) → (hadolint instrs, envelope instrs)
        hl: Vec<usize>,
        en: Vec<usize>,
    }

    #[test]
    fn agrees_with_hadolint_on_the_shared_rules_except_where_documented() {
        let hadolint = hadolint();
        let mut failures = Vec::new();
        let mut agreed = 0;
        for file in corpus() {
            let name = file
                .file_name()
                .expect("name")
                .to_string_lossy()
                .to_string();
            let text = std::fs::read_to_string(&file).expect("read");
            let df = parse(text.as_bytes());
            let stages = df.stages();
            let final_stage = stages.last().expect("a stage");
            let root_image = |mut s: usize| {
                while let Some(p) = stages[s].parent {
                    s = p;
                }
                stages[s].image.clone()
            };
            let final_base = BaseKind::classify(&root_image(final_stage.index));
            let in_final = |i: usize| i >= final_stage.from;

            let h = run(Command::new(&hadolint)
                .args(["-f", "json", "--no-fail"])
                .arg(&file));
            let h = json(&out(&h));
            let e = run(lint_cmd(file.parent().expect("dir"))
                .args(["--format", "json", "--select", "DF002,DF003,DF006,DF007"])
                .arg(&file));
            let e = json(&out(&e));
            let pick_h = |codes: &[&str]| -> Pairs {
                let mut p = Pairs::default();
                for f in h.as_array().expect("hadolint json") {
                    if codes.contains(&f["code"].as_str().unwrap_or_default()) {
                        if let Some(i) = instr_at(&df, f["line"].as_u64().unwrap_or(0) as usize) {
                            p.hl.push(i);
                        }
                    }
                }
                p
            };
            let pick = |codes: &[&str], en: &str| -> Pairs {
                let mut p = pick_h(codes);
                for d in e["diagnostics"].as_array().expect("envelope json") {
                    if d["code"] == en {
                        if let Some(i) = instr_at(&df, d["line"].as_u64().unwrap_or(0) as usize) {
                            p.en.push(i);
                        }
                    }
                }
                p.hl.sort();
                p.hl.dedup();
                p.en.sort();
                p.en.dedup();
                p
            };
            let text_of = |i: usize| {
                let sp = df.instructions[i].span;
                df.source[sp.start..sp.end].to_string()
            };
            let mut check = |rule: &str,
                             p: Pairs,
                             only_hl: &dyn Fn(usize) -> bool,
                             only_en: &dyn Fn(usize) -> bool| {
                for &i in &p.hl {
                    if p.en.contains(&i) {
                        agreed += 1;
                    } else if !only_hl(i) {
                        failures.push(format!(
                            "{name}: {rule}: hadolint only, line {}: {}",
                            df.instructions[i].line,
                            text_of(i)
                        ));
                    }
                }
                for &i in &p.en {
                    if !p.hl.contains(&i) && !only_en(i) {
                        failures.push(format!(
                            "{name}: {rule}: envelope only, line {}: {}",
                            df.instructions[i].line,
                            text_of(i)
                        ));
                    }
                }
            };

            // Untagged / latest. hadolint compares stage names case-sensitively
            // (`FROM build` after `AS Build`) and does not resolve ARG defaults.
            let stage_named = |i: usize| {
                let img = df.instructions[i]
                    .words()
                    .first()
                    .map(|w| w.value.to_ascii_lowercase())
                    .unwrap_or_default();
                stages
                    .iter()
                    .any(|s| s.name.as_deref() == Some(img.as_str()))
            };
            check(
                "DF002~DL3006/DL3007",
                pick(&["DL3006", "DL3007"], "DF002"),
                &|i| stage_named(i),
                &|i| text_of(i).contains('$'),
            );
            // Root: hadolint looks at the last USER of every stage, envelope at
            // the final stage only, and also reports a final stage with no USER.
            check(
                "DF003~DL3002",
                pick(&["DL3002"], "DF003"),
                &|i| !in_final(i),
                &|i| df.instructions[i].kind != Kind::User || in_final(i),
            );
            // ADD: hadolint also flags ADD of .zip files and git sources (which
            // COPY cannot do); envelope also flags ADD of a URL without --checksum.
            check(
                "DF007~DL3020",
                pick(&["DL3020"], "DF007"),
                &|i| {
                    let t = text_of(i);
                    t.contains(".zip") || t.contains("git@") || t.contains(".git")
                },
                &|i| {
                    let t = text_of(i);
                    t.contains("http://") || t.contains("https://")
                },
            );
            // Shell form: envelope only where the final stage has no shell
            // (hadolint fires everywhere), and also on exec-form HEALTHCHECKs
            // running curl/wget and RUN in a shell-less stage.
            check(
                "DF006~DL3025",
                pick(&["DL3025"], "DF006"),
                &|i| !in_final(i) || final_base.has_shell(),
                &|i| matches!(df.instructions[i].kind, Kind::Healthcheck | Kind::Run),
            );
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(agreed >= 5, "only {agreed} findings in common");
    }
}

#[test]
fn build_args_and_platforms_resolve_paths() {
    let tmp = tempdir();
    std::fs::write(
        tmp.path().join("Dockerfile"),
        "FROM golang:1.23 AS b\nARG OUT\nARG TARGETARCH\nRUN go build -o $OUT/$TARGETARCH/app ./cmd/app\nFROM scratch\nCOPY --from=b /dist/arm/app /app\nENTRYPOINT [\"/app\"]\n",
    )
    .expect("write");
    let severities = |extra: &[&str]| {
        let o = run(lint_cmd(tmp.path())
            .args(["--select", "GO002", "--format", "json", "Dockerfile"])
            .args(extra));
        json(&out(&o))["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|d| d["severity"].as_str().expect("severity").to_string())
            .collect::<Vec<_>>()
    };
    // OUT unknown: the binary may reach the final image, one severity lower.
    assert_eq!(severities(&[]), ["warning"]);
    // Resolved, but built for amd64 and arm64 only: /dist/arm is not it.
    assert!(severities(&["--build-arg", "OUT=/dist"]).is_empty());
    let arm = ["--build-arg", "OUT=/dist", "--platform", "linux/arm/v7"];
    assert_eq!(severities(&arm), ["error"]);
    // The same from envelope.toml.
    std::fs::write(
        tmp.path().join("envelope.toml"),
        "[lint]\nbuild-args = { OUT = \"/dist\" }\n",
    )
    .expect("write");
    assert_eq!(
        severities(&["--platform", "linux/amd64,linux/arm"]),
        ["error"]
    );
    let o = run(lint_cmd(tmp.path()).args(["--platform", "linux", "Dockerfile"]));
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(err(&o).contains("--platform `linux`"), "{}", err(&o));
}
