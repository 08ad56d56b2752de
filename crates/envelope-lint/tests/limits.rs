//! Large and pathological files lint completely, every rule on (speed is
//! measured in bench/, not here).

use envelope_lint::{lint, Settings};

#[test]
fn a_thousand_env_lines_and_go_builds() {
    let mut src = String::from(
        "ARG BASE=gcr.io/distroless/static-debian12:nonroot\nFROM golang:1.23 AS build\n",
    );
    for i in 0..1000usize {
        src.push_str(&format!("ENV V{i}=${{V{}}}x\n", i.saturating_sub(1)));
        src.push_str(&format!("RUN go build -o /out/app{i} ./cmd/app\n"));
    }
    src.push_str("FROM ${BASE}\nCOPY --from=build /out/app1 /app\nENTRYPOINT [\"/app\"]\n");
    let settings = Settings {
        select: Some(vec!["ALL".into()]),
        ..Settings::default()
    };
    let result = lint("Dockerfile", src.as_bytes(), None, &settings).expect("lint");
    // The one build whose output reaches the final image misses -s -w.
    let go004: Vec<_> = result
        .diagnostics
        .iter()
        .filter(|d| d.code == "GO004")
        .collect();
    assert_eq!(go004.len(), 1, "{go004:?}");
    // And -trimpath: the other 999 binaries ship nowhere.
    let go003 = result
        .diagnostics
        .iter()
        .filter(|d| d.code == "GO003")
        .count();
    assert_eq!(go003, 1);
}

/// Inputs the fuzzer (fuzz/) once found to hang, exhaust memory or panic:
/// each lints to completion with every rule on.
#[test]
fn fuzz_regressions_lint_to_completion() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("regressions dir") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        let settings = Settings {
            select: Some(vec!["ALL".into()]),
            ..Settings::default()
        };
        let result = lint("Dockerfile", &bytes, None, &settings).expect("lint");
        // The file parses into instructions; the linter said something.
        assert!(!result.diagnostics.is_empty(), "{}", path.display());
        n += 1;
    }
    assert!(n >= 1);
}
