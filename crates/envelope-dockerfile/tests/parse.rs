use envelope_dockerfile::{parse, Args, Kind, Op};

fn at(src: &str, span: envelope_dockerfile::Span) -> &str {
    &src[span.start..span.end]
}

#[test]
fn directives_escape_and_continuations() {
    let src = "# syntax=docker/dockerfile:1\n# escape=`\nFROM golang:1.23 AS build\nRUN go build `\n    # a comment inside\n    -trimpath `\n\n    ./cmd\n";
    let df = parse(src.as_bytes());
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    assert_eq!(df.escape, '`');
    assert_eq!(df.directives.len(), 2);
    assert_eq!(df.directives[0].value, "docker/dockerfile:1");
    let run = &df.instructions[1];
    assert_eq!(run.kind, Kind::Run);
    assert_eq!(run.line, 4);
    let words: Vec<String> = run.words().into_iter().map(|w| w.value).collect();
    assert_eq!(words, ["go", "build", "-trimpath", "./cmd"]);
    let trimpath = &run.words()[2];
    assert_eq!(at(src, trimpath.span), "-trimpath");
    assert!(df.comments.iter().any(|c| c.text == "a comment inside"));
    assert_eq!(at(src, run.span).lines().last(), Some("    ./cmd"));
}

#[test]
fn a_directive_after_a_comment_is_a_comment() {
    let df = parse(b"# hello\n# escape=`\nFROM scratch\n");
    assert!(df.directives.is_empty());
    assert_eq!(df.escape, '\\');
}

#[test]
fn heredocs_several_stripped_and_quoted() {
    let src = "FROM alpine\nCOPY <<EOF1 <<-\"EOF2\" /dest/\nfirst $X\nEOF1\n\t\tsecond\n\tEOF2\nRUN <<EOF\nset -e\nCGO_ENABLED=0 go build -o /app .\nEOF\nUSER 65532\n";
    let df = parse(src.as_bytes());
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    let copy = &df.instructions[1];
    assert_eq!(copy.heredocs.len(), 2);
    assert_eq!(copy.heredocs[0].body.text, "first $X\n");
    assert!(!copy.heredocs[0].quoted);
    assert!(copy.heredocs[1].quoted && copy.heredocs[1].strip_tabs);
    assert_eq!(copy.heredocs[1].body.text, "second\n");
    assert!(at(src, copy.span).ends_with("\tEOF2"));
    let run = &df.instructions[2];
    let cmds = run.commands();
    let build = cmds.iter().find(|c| c.name() == "go").expect("go build");
    assert_eq!(
        build.env,
        vec![("CGO_ENABLED".to_string(), "0".to_string())]
    );
    assert_eq!(at(src, build.words[1].span), "build");
    assert_eq!(df.instructions[3].kind, Kind::User);
    assert_eq!(df.instructions[3].line, 11);
}

#[test]
fn json_and_shell_forms_and_flags() {
    let src = "FROM --platform=$BUILDPLATFORM golang:1.23 AS build\nRUN --mount=type=cache,target=/go/pkg/mod --mount=type=secret,id=npm go mod download\nCOPY --from=build --chown=65532:65532 --chmod=0755 --link /out/app /app\nENTRYPOINT [\"/app\", \"--port=80\"]\nCMD [not json\n";
    let df = parse(src.as_bytes());
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    let from = &df.instructions[0];
    assert_eq!(
        from.flag("platform").and_then(|f| f.value.as_deref()),
        Some("$BUILDPLATFORM")
    );
    let run = &df.instructions[1];
    assert_eq!(run.flags.len(), 2);
    assert_eq!(
        run.flags[0].fields(),
        vec![
            ("type".to_string(), "cache".to_string()),
            ("target".into(), "/go/pkg/mod".into())
        ]
    );
    let copy = &df.instructions[2];
    assert_eq!(
        copy.flag("from").and_then(|f| f.value.as_deref()),
        Some("build")
    );
    assert!(copy.flag("link").is_some_and(|f| f.value.is_none()));
    let entry = &df.instructions[3];
    match &entry.args {
        Args::Json(items) => {
            assert_eq!(items.len(), 2);
            assert_eq!(at(src, items[1].span), "\"--port=80\"");
        }
        Args::Shell(_) => panic!("exec form expected"),
    }
    assert!(!df.instructions[4].is_json());
}

#[test]
fn stages_args_and_env_scoping() {
    let src = "ARG GO=1.23\nARG BASE=gcr.io/distroless/static\nFROM golang:${GO} AS Build\nARG GO\nENV CGO_ENABLED=0 GOFLAGS=\"-trimpath\"\nARG LD=${CGO_ENABLED}x\nRUN go build\nFROM build AS test\nRUN go test\nFROM ${BASE:-scratch}\nCOPY --from=build /app /app\n";
    let df = parse(src.as_bytes());
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    let stages = df.stages();
    assert_eq!(stages.len(), 3);
    assert_eq!(stages[0].image, "golang:1.23");
    assert_eq!(stages[0].name.as_deref(), Some("build"));
    assert_eq!(stages[1].parent, Some(0));
    assert_eq!(stages[2].image, "gcr.io/distroless/static");
    let vars = df.vars_at(&stages, 0, 6);
    assert_eq!(vars.get("GO").map(String::as_str), Some("1.23"));
    assert_eq!(vars.get("CGO_ENABLED").map(String::as_str), Some("0"));
    assert_eq!(vars.get("GOFLAGS").map(String::as_str), Some("-trimpath"));
    assert_eq!(vars.get("LD").map(String::as_str), Some("0x"));
    // The child stage inherits ENV, not ARG.
    let child = df.vars_at(&stages, 1, 8);
    assert_eq!(child.get("CGO_ENABLED").map(String::as_str), Some("0"));
    assert!(!child.contains_key("LD"));
    assert!(df.stage_by_ref(&stages, "BUILD").is_some());
    assert!(df.stage_by_ref(&stages, "2").is_some());
}

#[test]
fn env_legacy_form_and_labels() {
    let df = parse(b"FROM scratch\nENV GOPATH /go path\nLABEL a=b \"c d\"=\"e f\"\n");
    let env = df.instructions[1].key_values();
    assert_eq!(env[0].key, "GOPATH");
    assert_eq!(env[0].value.as_deref(), Some("/go path"));
    let labels = df.instructions[2].key_values();
    assert_eq!(labels[1].key, "c d");
    assert_eq!(labels[1].value.as_deref(), Some("e f"));
}

#[test]
fn run_commands_see_pipes_and_shells() {
    let df = parse(b"FROM debian\nRUN apt-get update && apt-get install -y curl && curl -fsSL https://x.sh | sh\n");
    let cmds = df.instructions[1].commands();
    let names: Vec<&str> = cmds.iter().map(|c| c.name()).collect();
    assert_eq!(names, ["apt-get", "apt-get", "curl", "sh"]);
    assert_eq!(cmds[3].op, Op::Pipe);
}

#[test]
fn onbuild_wraps_an_instruction() {
    let df = parse(b"FROM scratch\nONBUILD RUN go build\n");
    let inner = df.instructions[1].onbuild.as_deref().expect("wrapped");
    assert_eq!(inner.kind, Kind::Run);
}

#[test]
fn errors_have_positions_and_the_parse_goes_on() {
    let src = "FROM scratch\nFORM x\nRUN <<EOF\nnever closed\n";
    let df = parse(src.as_bytes());
    let msgs: Vec<&str> = df.errors.iter().map(|e| e.message.as_str()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("unknown instruction `FORM`")),
        "{msgs:?}"
    );
    let unknown = &df.errors[0];
    assert_eq!(df.line_col(unknown.span.start), (2, 1));
    assert_eq!(unknown.hint.as_deref(), Some("did you mean `FROM`?"));
    assert!(
        msgs.iter().any(|m| m.contains("unterminated heredoc")),
        "{msgs:?}"
    );
    assert_eq!(df.instructions.len(), 2);
}

#[test]
fn bad_inputs() {
    assert!(parse(b"").errors[0].message.contains("no instructions"));
    assert!(parse(b"\x7fELF\x02\x01\x00\x00").errors[0]
        .message
        .contains("binary"));
    let bad = parse(b"FROM scratch\nLABEL x=\xff\xfe\n");
    assert!(
        bad.errors[0].message.contains("invalid UTF-8 at byte 21"),
        "{:?}",
        bad.errors
    );
    assert_eq!(bad.instructions.len(), 2);
    let esc = parse(b"# escape=x\nFROM scratch\n");
    assert!(esc.errors[0].message.contains("invalid escape"));
    let early = parse(b"RUN true\nFROM scratch\n");
    assert!(early.errors[0].message.contains("before the first FROM"));
}

#[test]
fn a_ten_megabyte_file_parses() {
    let mut src = String::from("FROM golang:1.23\n");
    while src.len() < 10 << 20 {
        src.push_str("RUN CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" -o /out/app ./cmd/app && \\\n    echo done # ok\n");
    }
    let df = parse(src.as_bytes());
    assert!(df.errors.is_empty());
    assert!(df.instructions.len() > 100_000);
    let last = df.instructions.last().expect("last");
    assert_eq!(last.line, df.line_count() - 1);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
    #[test]
    fn never_panics_and_spans_stay_inside(input in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
        let df = parse(&input);
        for i in &df.instructions {
            proptest::prop_assert!(i.span.end <= df.source.len());
            for w in i.words() {
                proptest::prop_assert!(w.span.start <= w.span.end && w.span.end <= df.source.len());
            }
            for c in i.commands() {
                for w in c.words {
                    proptest::prop_assert!(w.span.end <= df.source.len());
                }
            }
            let _ = df.stages();
        }
    }

    #[test]
    fn dockerfile_shaped_input_never_panics(lines in proptest::collection::vec(
        proptest::prop_oneof![
            proptest::prelude::Just("FROM golang:1.23 AS b".to_string()),
            proptest::prelude::Just("RUN <<EOF".to_string()),
            proptest::prelude::Just("EOF".to_string()),
            proptest::prelude::Just("RUN a \\".to_string()),
            proptest::prelude::Just("# escape=`".to_string()),
            proptest::prelude::Just("COPY <<-'X' <<Y /d".to_string()),
            proptest::prelude::Just("ENV A=${B:-${C}} D \"e".to_string()),
            proptest::prelude::Just("ONBUILD ONBUILD RUN x".to_string()),
            proptest::prelude::Just("CMD [\"a\", 1]".to_string()),
            "[ -~]{0,30}",
            // Whitespace that is not a plain space or tab.
            "[a-z${}\u{b}\u{c}\u{85}\u{a0}\u{2028} ]{0,12}",
        ], 0..30)) {
        let src = lines.join("\n");
        let df = parse(src.as_bytes());
        let stages = df.stages();
        for s in &stages {
            let _ = df.vars_at(&stages, s.index, s.end);
        }
        for i in &df.instructions {
            for w in i.words() {
                proptest::prop_assert!(w.span.start < w.span.end || w.value.is_empty());
            }
            for c in i.commands() {
                for w in c.words {
                    proptest::prop_assert!(w.span.end <= df.source.len());
                }
            }
        }
    }
}

#[test]
fn walk_vars_agrees_with_vars_at() {
    let src = "ARG G=1\nFROM a AS one\nENV X=1\nARG G\nARG Y=${X}2\nENV X=3 Z=$Y W=$X\nRUN true\nFROM one\nARG Y=9\nRUN true\n";
    let df = parse(src.as_bytes());
    let stages = df.stages();
    for s in &stages {
        df.walk_vars(&stages, s.index, |idx, vars| {
            assert_eq!(
                vars,
                &df.vars_at(&stages, s.index, idx),
                "instruction {idx}"
            );
        });
    }
}

#[test]
fn exec_form_shell_scripts_keep_spans_through_escapes() {
    let src = "FROM golang:1.23\nRUN [\"sh\", \"-c\", \"echo \\\"a\\\" && go build -o /x .\"]\n";
    let df = parse(src.as_bytes());
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    let cmds = df.instructions[1].commands();
    let go = cmds.iter().find(|c| c.name() == "go").expect("go");
    assert_eq!(at(src, go.words[1].span), "build");
    assert_eq!(cmds[0].words[1].value, "a");
}

#[test]
fn unusual_whitespace_separates_words_and_ends() {
    // A vertical tab or form feed inside an argument used to make the word
    // splitter return empty words forever.
    for ws in ["\u{b}", "\u{c}", "\u{a0}", "\u{2028}"] {
        let src =
            format!("FROM golang:${{{ws}X}}-bookworm{ws}AS build\nEXPOSE 80{ws}{ws}443{ws}\n");
        let df = parse(src.as_bytes());
        let words: Vec<String> = df.instructions[0]
            .words()
            .into_iter()
            .map(|w| w.value)
            .collect();
        assert_eq!(words, ["golang:${", "X}-bookworm", "AS", "build"], "{ws:?}");
        let expose: Vec<String> = df.instructions[1]
            .words()
            .into_iter()
            .map(|w| w.value)
            .collect();
        assert_eq!(expose, ["80", "443"], "{ws:?}");
        assert_eq!(df.stages().len(), 1);
    }
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let src = "\u{feff}# syntax=docker/dockerfile:1\nFROM golang:1.23\nRUN go build .\n";
    let df = parse(src.as_bytes());
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    assert_eq!(df.directives.len(), 1);
    assert_eq!(df.instructions[0].kind, Kind::From);
    assert_eq!(at(src, df.instructions[0].keyword_span), "FROM");
    let df = parse("\u{feff}FROM scratch\n".as_bytes());
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    assert_eq!(df.instructions[0].line, 1);
}
