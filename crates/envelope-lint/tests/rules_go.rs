//! Edge cases of the GO rules beyond the fixture pairs: what must and must
//! not be flagged, and what the fixes write.

use envelope_lint::{fix, lint, BuildContext, Diagnostic, Settings};

fn only(code: &str) -> Settings {
    Settings {
        select: Some(vec![code.to_string()]),
        ..Settings::default()
    }
}

fn findings(code: &str, text: &str) -> Vec<Diagnostic> {
    lint("Dockerfile", text.as_bytes(), None, &only(code))
        .expect("lint")
        .diagnostics
}

/// (line, message) of each finding.
fn lines(code: &str, text: &str) -> Vec<(usize, String)> {
    findings(code, text)
        .into_iter()
        .map(|d| (d.start.map_or(0, |p| p.line), d.message))
        .collect()
}

fn fixed(code: &str, text: &str) -> String {
    let all = Settings {
        unsafe_fixes: true,
        ..only(code)
    };
    let (out, after, _) = fix("Dockerfile", text.as_bytes(), None, &all).expect("fix");
    assert!(
        after.diagnostics.iter().all(|d| d.fix.is_none()),
        "fixable findings remain: {:?}",
        after.diagnostics
    );
    assert!(envelope_dockerfile::parse(out.as_bytes()).errors.is_empty());
    out
}

fn flagged_lines(code: &str, text: &str) -> Vec<usize> {
    lines(code, text).into_iter().map(|(l, _)| l).collect()
}

#[test]
fn go001_toolchain_final_stage() {
    let single =
        "FROM golang:1.23\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\nCMD [\"/app\"]\n";
    assert_eq!(flagged_lines("GO001", single), [1]);
    let chainguard =
        "FROM cgr.dev/chainguard/go:latest\nCOPY . /src\nRUN cd /src && go build -o /app .\n";
    assert_eq!(flagged_lines("GO001", chainguard), [1]);
    // A tools image: nothing copied, nothing built, the tools need Go.
    let tools = "FROM golang:1.23\nRUN go install honnef.co/go/tools/cmd/staticcheck@2024.1.1\nENTRYPOINT [\"staticcheck\"]\n";
    assert!(lines("GO001", tools).is_empty());
    // Go installed into another base, the build in the final stage.
    let alpine = "FROM alpine:3.20\nRUN apk add --no-cache go\nCOPY . /src\nRUN cd /src && go build -o /usr/local/bin/app .\n";
    let got = lines("GO001", alpine);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, 4);
    assert!(
        got[0].1.starts_with("`go build` in the final stage"),
        "{got:?}"
    );
    // Installed, used and removed in one layer.
    let removed = "FROM alpine:3.20\nCOPY . /src\nRUN apk add --no-cache go && cd /src && go build -o /usr/local/bin/app . && apk del go\n";
    assert!(lines("GO001", removed).is_empty());
}

#[test]
fn go002_cgo_defaults() {
    let base = |from: &str, run: &str, last: &str| {
        format!("FROM {from} AS build\nWORKDIR /src\nCOPY . .\n{run}\nFROM {last}\nCOPY --from=build /app /app\n")
    };
    let run = "RUN go build -o /app .";
    assert_eq!(
        flagged_lines("GO002", &base("golang:1.23", run, "scratch")),
        [4]
    );
    // Alpine golang images have no C compiler: cgo is off by default...
    assert!(lines("GO002", &base("golang:1.23-alpine", run, "scratch")).is_empty());
    // ...unless one is installed, or Go predates 1.20.
    let gcc = "RUN apk add --no-cache gcc musl-dev\nRUN go build -o /app .";
    assert_eq!(
        flagged_lines("GO002", &base("golang:1.23-alpine", gcc, "scratch")),
        [5]
    );
    assert_eq!(
        flagged_lines("GO002", &base("golang:1.19-alpine", run, "scratch")),
        [4]
    );
    // A final image with a C library is fine.
    assert!(lines(
        "GO002",
        &base("golang:1.23", run, "gcr.io/distroless/base-debian12")
    )
    .is_empty());
    assert!(lines("GO002", &base("golang:1.23", run, "alpine:3.20")).is_empty());
    // Static on purpose, or decided by an unknown value.
    let ext = "RUN go build -ldflags '-linkmode external -extldflags \"-static\"' -o /app .";
    assert!(lines("GO002", &base("golang:1.23", ext, "scratch")).is_empty());
    let unknown = "RUN CGO_ENABLED=$CGO go build -o /app .";
    assert!(lines("GO002", &base("golang:1.23", unknown, "scratch")).is_empty());
    let env = "ARG CGO=0\nENV CGO_ENABLED=${CGO}\nRUN go build -o /app .";
    assert!(lines("GO002", &base("golang:1.23", env, "scratch")).is_empty());
    // Exec form: reported, but an assignment cannot be inserted.
    let exec = "RUN [\"go\", \"build\", \"-o\", \"/app\", \".\"]";
    let d = findings("GO002", &base("golang:1.23", exec, "scratch"));
    assert_eq!(d.len(), 1);
    assert!(d[0].fix.is_none());
}

#[test]
fn go002_follows_the_binary() {
    // GOBIN decides where `go install` writes.
    let gobin = "FROM golang:1.23 AS build\nENV GOBIN=/out\nCOPY . /src\nRUN cd /src && go install ./cmd/app\nFROM scratch\nCOPY --from=build /out/app /app\n";
    assert_eq!(flagged_lines("GO002", gobin), [4]);
    // Relative -o against WORKDIR and `cd`.
    let rel = "FROM golang:1.23 AS build\nWORKDIR /src\nCOPY . .\nRUN cd cmd && go build -o ../bin/app ./app\nRUN go build -o tmp/tool ./tool\nFROM scratch\nCOPY --from=build /src/bin/app /app\n";
    assert_eq!(flagged_lines("GO002", rel), [4]);
    // Through an intermediate stage built FROM the builder.
    let hop = "FROM golang:1.23 AS build\nCOPY . /src\nRUN cd /src && go build -o /out/app .\nFROM build AS pack\nRUN cp /out/app /app\nFROM scratch\nCOPY --from=pack /out/app /app\n";
    assert_eq!(flagged_lines("GO002", hop), [3]);
    // Through a stage it is copied into, then from there to the final one.
    let copied = "FROM golang:1.23 AS tools\nRUN go install example.com/gen@v1.0.0\nRUN go build -o /out/app ./app\nFROM debian:12 AS pack\nCOPY --from=tools /out/ /opt/bin/\nCOPY --from=tools /go/bin/gen /usr/bin/gen\nFROM scratch\nCOPY --from=pack /opt/bin/app /app\nENTRYPOINT [\"/app\"]\n";
    assert_eq!(flagged_lines("GO002", copied), [3]);
    // `-o dir/` writes dir/<package>: only the package copied on is flagged.
    let dir = "FROM golang:1.23 AS build\nCOPY . /src\nWORKDIR /src\nRUN go build -o /out/ ./cmd/app\nRUN go build -o /out/ ./cmd/tool\nFROM scratch\nCOPY --from=build /out/app /app\nENTRYPOINT [\"/app\"]\n";
    assert_eq!(flagged_lines("GO002", dir), [4]);
    // An export stage hands the binary to the host.
    let export = "FROM golang:1.23 AS build\nCOPY . /src\nRUN cd /src && go build -o /app .\nFROM scratch\nCOPY --from=build /app /\n";
    assert!(lines("GO002", export).is_empty());
    // A mirror of the official image is the official image.
    let mirror = "FROM mirror.gcr.io/library/golang:1.23-alpine AS build\nCOPY . /src\nRUN cd /src && go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\nENTRYPOINT [\"/app\"]\n";
    assert!(lines("GO002", mirror).is_empty());
    // Inside `sh -c` and behind `time`.
    let wrapped = "FROM golang:1.23 AS build\nCOPY . /src\nRUN sh -c 'cd /src && time go build -o /app .'\nFROM scratch\nCOPY --from=build /app /app\nENTRYPOINT [\"/app\"]\n";
    assert_eq!(flagged_lines("GO002", wrapped), [3]);
    assert!(fixed("GO002", wrapped).contains("time CGO_ENABLED=0 go build"));
    let fixed_text = fixed("GO002", gobin);
    assert!(fixed_text.contains("RUN cd /src && CGO_ENABLED=0 go install ./cmd/app"));
}

#[test]
fn go003_exec_form_scripts_and_checks() {
    let text = "FROM golang:1.23 AS build\nRUN [\"go\", \"build\", \"-o\", \"/app\", \".\"]\nRUN [\"sh\", \"-c\", \"go build -o /app2 .\"]\nRUN go build -o /dev/null ./... && go vet ./...\nRUN go build ./...\n";
    assert_eq!(flagged_lines("GO003", text), [2, 3]);
    let out = fixed("GO003", text);
    assert!(
        out.contains("RUN [\"go\", \"build\", \"-trimpath\", \"-o\", \"/app\", \".\"]"),
        "{out}"
    );
    assert!(
        out.contains("RUN [\"sh\", \"-c\", \"go build -trimpath -o /app2 .\"]"),
        "{out}"
    );
}

#[test]
fn go004_fixes_keep_quoting() {
    let wrap = |run: &str| {
        format!("FROM golang:1.23 AS build\nCOPY . /src\n{run}\nFROM scratch\nCOPY --from=build /app /app\n")
    };
    let cases = [
        (
            "RUN go build -ldflags=\"-X main.c=$(git rev-parse HEAD)\" -o /app .",
            "RUN go build -ldflags=\"-s -w -X main.c=$(git rev-parse HEAD)\" -o /app .",
        ),
        (
            "RUN go build \"-ldflags=-X main.v=1\" -o /app .",
            "RUN go build \"-ldflags=-s -w -X main.v=1\" -o /app .",
        ),
        (
            "RUN go build -ldflags -X=main.v=1 -o /app .",
            "RUN go build -ldflags \"-s -w -X=main.v=1\" -o /app .",
        ),
        (
            "RUN go build -ldflags=-w -o /app .",
            "RUN go build -ldflags=\"-s -w\" -o /app .",
        ),
        (
            "RUN [\"go\", \"build\", \"-o\", \"/app\", \".\"]",
            "RUN [\"go\", \"build\", \"-ldflags=-s -w\", \"-o\", \"/app\", \".\"]",
        ),
    ];
    for (before, after) in cases {
        let out = fixed("GO004", &wrap(before));
        assert!(out.contains(after), "{before}\n=> {out}");
    }
    // Old Go: -s does not imply -w.
    let old = "FROM golang:1.21 AS build\nRUN go build -ldflags='-s' -o /app .\nFROM scratch\nCOPY --from=build /app /app\n";
    assert!(fixed("GO004", old).contains("-ldflags='-w -s'"));
    // Deliberate choices and unknowns are left alone.
    for run in [
        "RUN go build -ldflags=\"-w=false\" -o /app .",
        "RUN go build -ldflags \"$LDFLAGS\" -o /app .",
        "RUN go build -cover -o /app .",
        "RUN go build -o /elsewhere .",
    ] {
        assert!(lines("GO004", &wrap(run)).is_empty(), "{run}");
    }
    // Two -ldflags: the last counts, no fix.
    let two = findings(
        "GO004",
        &wrap("RUN go build -ldflags=-s -ldflags=\"-X a=b\" -o /app ."),
    );
    assert_eq!(two.len(), 1);
    assert!(two[0].fix.is_none());
}

#[test]
fn go005_chains_and_vendoring() {
    // The copy is in the parent stage, the build in the child: one finding.
    let chain = "FROM golang:1.23 AS src\nWORKDIR /src\nCOPY . .\nFROM src AS a\nRUN go build -o /a ./a\nFROM src AS b\nRUN go build -o /b ./b\n";
    assert_eq!(flagged_lines("GO005", chain), [3]);
    let glob = "FROM golang:1.23\nWORKDIR /src\nCOPY go.* ./\nRUN go mod download\nCOPY . .\nRUN go build -o /app .\n";
    assert!(lines("GO005", glob).is_empty());
    // A copy after all Go commands, or no Go at all.
    let after =
        "FROM golang:1.23\nRUN go install golang.org/x/tools/cmd/stringer@v0.26.0\nCOPY . /data\n";
    assert!(lines("GO005", after).is_empty());
    // A vendor/ directory in the build context.
    let dir = std::env::temp_dir().join(format!("envelope-go005-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("vendor")).expect("mkdir");
    std::fs::write(dir.join("vendor/modules.txt"), "# example.com/x v1.0.0\n").expect("write");
    let text = "FROM golang:1.23\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\n";
    let with_vendor = lint(
        "Dockerfile",
        text.as_bytes(),
        Some(&BuildContext::new(&dir)),
        &only("GO005"),
    )
    .expect("lint");
    std::fs::remove_dir_all(&dir).ok();
    assert!(with_vendor.diagnostics.is_empty());
    assert_eq!(flagged_lines("GO005", text), [3]);
}

#[test]
fn go005_names_the_command() {
    let text =
        "FROM golang:1.23\nWORKDIR /src\nCOPY . .\nRUN go get ./...\nRUN go build -o /app .\n";
    let got = lines("GO005", text);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].1.contains("before `go get`"), "{got:?}");
}

#[test]
fn go006_targets() {
    let unknown = "FROM golang:1.23\nRUN --mount=type=cache,target=$GOMODCACHE --mount=type=cache,target=${GOCACHE} go build -o /app .\n";
    assert!(lines("GO006", unknown).is_empty());
    // A cache on /go holds the module cache, not the build cache.
    let partial = "FROM golang:1.23\nRUN --mount=type=cache,target=/go go mod download && go build -o /app .\n";
    let got = lines("GO006", partial);
    assert_eq!(got.len(), 1);
    assert!(got[0].1.contains("build cache"), "{got:?}");
    // go test and go vet are not this rule's business.
    assert!(lines(
        "GO006",
        "FROM golang:1.23\nRUN go vet ./... && go test ./...\n"
    )
    .is_empty());
    // Modules downloaded into a cache mount are not in the image: the
    // build needs the same mount, and the fix adds it.
    let split = "FROM golang:1.23\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN --mount=type=cache,target=/go/pkg/mod go mod download\nCOPY . .\nRUN --mount=type=cache,target=/root/.cache/go-build go build -o /app .\n";
    let got = lines("GO006", split);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, 6);
    assert!(got[0].1.contains("module cache"), "{got:?}");
    let out = fixed("GO006", split);
    assert!(
        out.contains("RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build go build"),
        "{out}"
    );
    // Downloaded into the image layer: the build finds them there.
    let layer = "FROM golang:1.23\nRUN go mod download\nRUN --mount=type=cache,target=/root/.cache/go-build go build -o /app .\n";
    assert_eq!(flagged_lines("GO006", layer), [2]);
    let exec = "FROM golang:1.23\nRUN [\"go\", \"mod\", \"download\"]\n";
    assert!(fixed("GO006", exec).contains("RUN --mount=type=cache,target=/go/pkg/mod [\"go\""));
}

#[test]
fn go006_download_only_step_takes_its_readers_along() {
    const MOD: &str = "--mount=type=cache,target=/go/pkg/mod";
    // Every later RUN reading the modules, in the stage and the stages built
    // FROM it, gets the mount in the same fix; other RUNs are left alone.
    let text = "FROM golang:1.23 AS build\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\nRUN apk add --no-cache git\nRUN go mod verify\nCOPY . .\nRUN [\"make\", \"all\"]\nFROM build AS test\nRUN go vet ./...\n";
    let d = findings("GO006", text);
    let download: Vec<_> = d
        .iter()
        .filter(|d| d.start.map(|p| p.line) == Some(4))
        .collect();
    assert_eq!(download.len(), 1, "{d:?}");
    let fix = download[0].fix.as_ref().expect("a fix");
    assert!(!fix.is_safe());
    assert_eq!(fix.edits.len(), 4, "{fix:?}");
    let out = fixed("GO006", text);
    for line in [
        format!("RUN {MOD} go mod download"),
        "RUN apk add --no-cache git".to_string(),
        format!("RUN {MOD} go mod verify"),
        format!("RUN {MOD} [\"make\", \"all\"]"),
        format!("RUN {MOD} go vet ./..."),
    ] {
        assert!(out.lines().any(|l| l == line), "{line} not in\n{out}");
    }
    // A reader the mount cannot be added to exactly: no fix, and the help says why.
    for (tail, why) in [
        ("RUN <<EOF\ngo mod verify\nEOF\n", "heredoc"),
        ("USER 1000\nRUN go mod verify\n", "USER other than root"),
        (
            "FROM golang:1.23\nCOPY --from=build /go/pkg/mod /go/pkg/mod\n",
            "takes the module cache from stage `build`",
        ),
        (
            "FROM golang:1.23\nRUN --mount=from=build,source=/go,target=/go go build .\n",
            "takes the module cache",
        ),
    ] {
        let text = format!("FROM golang:1.23 AS build\nRUN go mod download\n{tail}");
        let d = findings("GO006", &text);
        let first = d
            .iter()
            .find(|d| d.start.map(|p| p.line) == Some(2))
            .expect("the download is flagged");
        assert!(first.fix.is_none(), "{text}");
        let help = first.help.clone().unwrap_or_default();
        assert!(
            help.contains(why) && help.contains("no fix offered"),
            "{text}: {help}"
        );
    }
}

#[test]
fn go007_versions() {
    let wrap = |run: &str| format!("FROM golang:1.23\n{run}\n");
    for run in [
        "RUN go install example.com/tool@HEAD",
        "RUN go get -u golang.org/x/net@upgrade",
        "RUN go install github.com/x/y/v2/cmd/z@v2.1",
        "RUN go install -tags sqlite github.com/x/y@master",
    ] {
        assert_eq!(lines("GO007", &wrap(run)).len(), 1, "{run}");
    }
    for run in [
        "RUN go install github.com/x/y@v1.2.3",
        "RUN go install example.com/tool",
        "RUN go get -u ./...",
        "RUN go run ./cmd/gen",
        "RUN go install github.com/x/y@4f3c2a1b",
    ] {
        assert!(lines("GO007", &wrap(run)).is_empty(), "{run}");
    }
}

#[test]
fn reach_follows_globs_platforms_and_unknowns() {
    use envelope_lint::Severity;
    // The example: `minio*` does not take minisign along.
    let glob = "FROM golang:1.23 AS b\nRUN go install example.com/minisign@v1.0.0\nFROM scratch\nCOPY --from=b /go/bin/minio* /bin/\n";
    assert!(lines("GO002", glob).is_empty());
    assert!(lines("GO004", glob).is_empty());
    let taken = glob.replace("minisign", "minio");
    assert_eq!(flagged_lines("GO002", &taken), [2]);
    // Classes and `?` as Go's filepath.Match has them, per element.
    let class = "FROM golang:1.23 AS b\nRUN go build -o /out/app ./cmd/app\nRUN go build -o /out/tool ./cmd/tool\nFROM scratch\nCOPY --from=b /out/[a-c]p? /app\n";
    assert_eq!(flagged_lines("GO002", class), [2]);
    // A platform argument is the set of its expansions.
    let arch = "FROM golang:1.23 AS b\nARG TARGETARCH\nRUN go build -o /out/$TARGETARCH/app ./cmd/app\nFROM scratch\nARG TARGETARCH\nCOPY --from=b /out/${TARGETARCH}/app /app\n";
    let d = findings("GO002", arch);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].severity, Severity::Error);
    assert!(!d[0].message.contains("may reach"), "{}", d[0].message);
    let other = arch.replace("/out/${TARGETARCH}/app", "/out/386/app");
    assert!(findings("GO002", &other).is_empty());
    // An unknown variable in the copy: may reach, one severity lower.
    let unknown = "FROM golang:1.23 AS b\nRUN go build -o /out/app ./cmd/app\nFROM scratch\nCOPY --from=b $DIR/app /app\n";
    let d = findings("GO002", unknown);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].severity, Severity::Warning);
    assert!(d[0].message.contains("may reach the final image"));
    // Lowered from the configured severity too.
    let settings = Settings {
        severity: [("GO002".to_string(), Severity::Warning)].into(),
        ..only("GO002")
    };
    let d = lint("Dockerfile", unknown.as_bytes(), None, &settings)
        .expect("lint")
        .diagnostics;
    assert_eq!(d[0].severity, Severity::Info);
    // An unknown name in a known directory: a copy of the directory takes
    // it, a copy of another directory does not, a named file may be it.
    let under = "FROM golang:1.23 AS b\nARG BIN\nRUN go build -o /output/${BIN} ./cmd/${BIN}\nFROM scratch\nCOPY --from=b /output /\n";
    let d = findings("GO004", under);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].severity, Severity::Warning, "{}", d[0].message);
    assert!(!d[0].message.contains("may reach"), "{}", d[0].message);
    let elsewhere = under.replace("COPY --from=b /output /", "COPY --from=b /licenses /");
    assert!(findings("GO004", &elsewhere).is_empty());
    let named = under.replace("COPY --from=b /output /", "COPY --from=b /output/api /api");
    let d = findings("GO004", &named);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].severity, Severity::Info);
    assert!(d[0].message.contains("may reach"), "{}", d[0].message);
    // `--build-arg` resolves what the defaults leave open.
    let arg = "FROM golang:1.23 AS b\nARG OUT\nRUN go build -o $OUT/app ./cmd/app\nFROM scratch\nCOPY --from=b /dist/app /app\n";
    assert_eq!(findings("GO002", arg)[0].severity, Severity::Warning);
    let settings = Settings {
        build_args: [("OUT".to_string(), "/elsewhere".to_string())].into(),
        ..only("GO002")
    };
    let given = lint("Dockerfile", arg.as_bytes(), None, &settings).expect("lint");
    assert!(given.diagnostics.is_empty());
    let settings = Settings {
        build_args: [("OUT".to_string(), "/dist".to_string())].into(),
        ..only("GO002")
    };
    let given = lint("Dockerfile", arg.as_bytes(), None, &settings).expect("lint");
    assert_eq!(given.diagnostics[0].severity, Severity::Error);
    // Platforms given replace the default pair.
    let settings = Settings {
        platforms: vec!["linux/386".to_string()],
        ..only("GO002")
    };
    let given = lint("Dockerfile", other.as_bytes(), None, &settings).expect("lint");
    assert_eq!(given.diagnostics.len(), 1);
}

#[test]
fn stage_names_with_platform_arguments_are_resolved() {
    use envelope_lint::Severity;
    // FROM a stage named through $TARGETOS: `linux` on every default
    // platform, so the binary ships (and DF003 names the stage chain).
    let from = "ARG TARGETOS\nFROM golang:1.23 AS build\nRUN CGO_ENABLED=0 go build -trimpath -o /out/app .\nFROM scratch AS binaries-linux\nCOPY --from=build /out/app /app\nFROM scratch AS binaries-darwin\nFROM binaries-$TARGETOS\nENTRYPOINT [\"/app\"]\n";
    let d = findings("GO004", from);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].severity, Severity::Warning);
    assert!(!d[0].message.contains("may reach"), "{}", d[0].message);
    // A darwin build takes the other stage, which holds no binary.
    let settings = Settings {
        platforms: vec!["darwin/arm64".to_string()],
        ..only("GO004")
    };
    let darwin = lint("Dockerfile", from.as_bytes(), None, &settings).expect("lint");
    assert!(darwin.diagnostics.is_empty(), "{:?}", darwin.diagnostics);
    // `--from=` with a variable in scope.
    let copy = "FROM golang:1.23 AS build\nRUN CGO_ENABLED=0 go build -trimpath -o /out/app .\nFROM scratch AS bin-amd64\nCOPY --from=build /out/app /app\nFROM scratch AS bin-arm64\nCOPY --from=build /out/app /app\nFROM scratch\nARG TARGETARCH\nCOPY --from=bin-$TARGETARCH /app /app\n";
    // Different stages on amd64 and arm64: not one stage, so nothing is
    // said to ship through it.
    assert!(findings("GO004", copy).is_empty());
    let settings = Settings {
        platforms: vec!["linux/arm64".to_string()],
        ..only("GO004")
    };
    let one = lint("Dockerfile", copy.as_bytes(), None, &settings).expect("lint");
    assert_eq!(one.diagnostics.len(), 1, "{:?}", one.diagnostics);
    // A declared global ARG without a default is empty, as in a plain
    // `docker build`: `${DEBUG:+-debug}` adds nothing.
    let debug = "ARG DEBUG\nFROM golang:1.23 AS build\nRUN CGO_ENABLED=0 go build -trimpath -o /out/app .\nFROM scratch AS release\nCOPY --from=build /out/app /app\nFROM scratch AS release-debug\nFROM release${DEBUG:+-debug}\n";
    assert_eq!(findings("GO004", debug).len(), 1);
}

#[test]
fn heredoc_scripts_are_split_as_the_shell_would() {
    let text = "FROM golang:1.23 AS b\nWORKDIR /src\nRUN <<EOT\nset -e\nif [ -f go.mod ]; then\n  go build \\\n    -o /out/app \\\n    ./cmd/app\nfi\nEOT\nFROM scratch\nCOPY --from=b /out/app /app\n";
    assert_eq!(flagged_lines("GO002", text), [6]);
    assert_eq!(flagged_lines("GO003", text), [6]);
    assert_eq!(flagged_lines("GO004", text), [6]);
    let out = fixed("GO003", text);
    assert!(
        out.contains("  go build -trimpath \\\n    -o /out/app"),
        "{out}"
    );
    for shell in ["bash -ex <<EOT", "<<EOT bash", "sh -e <<EOT"] {
        let t = text.replace("<<EOT\n", &format!("{shell}\n"));
        assert_eq!(flagged_lines("GO002", &t), [6], "{shell}");
    }
}

#[test]
fn copies_of_copies_stay_bounded() {
    // Every stage copies the previous one twice: 2^40 ways, never followed
    // to the end.
    let mut text = String::from("FROM golang:1.23 AS s0\nRUN go build -o /out/app ./cmd/app\n");
    for i in 1..=40 {
        let p = i - 1;
        text.push_str(&format!(
            "FROM debian:12 AS s{i}\nCOPY --from=s{p} / /a/\nCOPY --from=s{p} / /b/\n"
        ));
    }
    text.push_str("FROM scratch\nCOPY --from=s40 /nothing /x\n");
    let started = std::time::Instant::now();
    let d = findings("GO002", &text);
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    assert!(
        !d.is_empty() && d.iter().all(|d| d.message.contains("may reach")),
        "{d:?}"
    );
}

#[test]
fn heredoc_groups_subshells_and_comments() {
    let text = "FROM golang:1.23 AS b\nRUN <<-EOT\n\t# go build -o /out/c ./c\n\t( cd /src && go build -o /out/a ./a ) || exit 1\n\t{ go build -o /out/b ./b; } | tee log\n\tif true; then go build -o /out/d ./d; else echo no; fi\nEOT\nFROM scratch\nCOPY --from=b /out/a /out/b /out/c /out/d /bin/\n";
    assert_eq!(flagged_lines("GO002", text), [4, 5, 6]);
    let out = fixed("GO003", text);
    assert!(out.contains("\t( cd /src && go build -trimpath -o /out/a ./a ) || exit 1\n\t{ go build -trimpath -o /out/b"), "{out}");
    assert!(out.contains("\t# go build -o /out/c ./c\n"), "{out}");
}

#[test]
fn go008_private_hosts_are_fine() {
    let text = "FROM golang:1.23.4\nENV GOPRIVATE=github.com/acme/*,git.corp.example.com GONOSUMDB=git.corp.example.com\nRUN GOFLAGS=-mod=mod go mod download\n";
    assert!(flagged_lines("GO008", text).is_empty());
    let text = "FROM golang:1.23.4\nARG GOSUMDB=off\nRUN GONOSUMDB=* go mod download && go env -w GOINSECURE=git.corp.example.com\n";
    assert_eq!(flagged_lines("GO008", text), [2, 3, 3]);
}

/// A build context holding a go.mod that requires `requires`.
fn context_with_go_mod(requires: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let go_mod =
        format!("module example.com/app\n\ngo 1.23\n\nrequire (\n\t{requires} v1.0.0\n)\n");
    std::fs::write(dir.path().join("go.mod"), go_mod).expect("write go.mod");
    dir
}

#[test]
fn go009_reads_the_go_mod_of_the_context() {
    let text = "FROM golang:1.23.4 AS build\nRUN CGO_ENABLED=0 go build -o /out/app .\nFROM scratch\nCOPY --from=build /out/app /app\nENTRYPOINT [\"/app\"]\n";
    let with = |requires: &str| {
        let dir = context_with_go_mod(requires);
        lint(
            "Dockerfile",
            text.as_bytes(),
            Some(&BuildContext::new(dir.path())),
            &only("GO009"),
        )
        .expect("lint")
        .diagnostics
        .len()
    };
    assert_eq!(with("cloud.google.com/go/storage"), 1);
    assert_eq!(with("github.com/spf13/cobra"), 0);
    assert_eq!(
        with("golang.org/x/oauth2 v0.1.0 // indirect\n\tgithub.com/spf13/cobra"),
        0
    );
    // A context without go.mod: a Go binary alone on scratch is reported;
    // with no context at all (standard input) nothing is known.
    let empty = tempfile::tempdir().expect("tempdir");
    let no_go_mod = lint(
        "Dockerfile",
        text.as_bytes(),
        Some(&BuildContext::new(empty.path())),
        &only("GO009"),
    )
    .expect("lint");
    assert_eq!(no_go_mod.diagnostics.len(), 1);
    assert!(flagged_lines("GO009", text).is_empty());
    // UTC needs no zone data; an export stage runs nothing.
    let utc = text.replace("FROM scratch\n", "FROM scratch\nENV TZ=UTC\nCOPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/\n");
    assert!(flagged_lines("GO009", &utc).is_empty());
    let export = "FROM golang:1.23.4 AS build\nRUN go build -o /out/app .\nFROM scratch\nCOPY --from=build /out/app /app\n";
    assert!(flagged_lines("GO009", export).is_empty());
}

#[test]
fn go010_debug_builds_that_stay_behind() {
    let text = "FROM golang:1.23.4 AS build\nRUN go build -race -o /debug/app .\nRUN go build -gcflags=all=-l -o /out/app .\nFROM scratch\nCOPY --from=build /out/app /app\n";
    assert!(flagged_lines("GO010", text).is_empty());
    let goflags = "FROM golang:1.23.4\nENV GOFLAGS=-race\nRUN go build -o /usr/local/bin/app .\n";
    assert_eq!(flagged_lines("GO010", goflags), [3]);
    // Copied through an unresolved variable: may ship, one severity lower.
    let may = "FROM golang:1.23.4 AS build\nRUN go build -race -o /out/app .\nFROM scratch\nCOPY --from=build $DIR/app /app\n";
    let d = findings("GO010", may);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].severity, envelope_lint::Severity::Info);
    assert!(d[0].message.contains("may reach"), "{}", d[0].message);
}
