//! The test helper `common::goproxy` itself: a file GOPROXY built offline
//! serves modules that `go` accepts, and `deps_app` yields binaries whose
//! build info has `dep` lines with h1: sums, an indirect dependency and a
//! module-to-module replacement.

#![cfg(feature = "external-tools")]

mod common;

use std::process::Command;

use common::goproxy::*;
use common::*;

#[test]
fn crc32_and_escaping() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
    assert_eq!(escape("example.com/Shout"), "example.com/!shout");
    assert_eq!(
        escape("github.com/BurntSushi/toml"),
        "github.com/!burnt!sushi/toml"
    );
    assert_eq!(escape("v1.0.0-RC1"), "v1.0.0-!r!c1");
}

#[test]
fn zip_has_no_directory_entries_and_is_deterministic() {
    let files: &[(&str, &[u8])] = &[("m@v1.0.0/go.mod", b"module m\n"), ("m@v1.0.0/a/b.go", b"")];
    let a = zip(files);
    assert_eq!(a, zip(files));
    // Two local headers, two central entries, one end record.
    let count = |sig: u32| a.windows(4).filter(|w| *w == sig.to_le_bytes()).count();
    assert_eq!(count(0x0403_4b50), 2);
    assert_eq!(count(0x0201_4b50), 2);
    assert_eq!(count(0x0605_4b50), 1);
}

#[test]
fn proxy_layout_escapes_upper_case() {
    let proxy = GoProxy::new();
    proxy.module(
        "example.com/Up",
        "v1.0.0",
        &[("go.mod", "module example.com/Up\n")],
    );
    proxy.module(
        "example.com/Up",
        "v1.1.0",
        &[("go.mod", "module example.com/Up\n")],
    );
    proxy.module(
        "example.com/Up",
        "v1.0.0",
        &[("go.mod", "module example.com/Up\n")],
    );
    let at_v = proxy.dir.join("example.com/!up/@v");
    let list = std::fs::read_to_string(at_v.join("list")).expect("list");
    assert_eq!(list, "v1.0.0\nv1.1.0\n");
    for f in ["v1.0.0.info", "v1.0.0.mod", "v1.0.0.zip", "v1.1.0.zip"] {
        assert!(at_v.join(f).is_file(), "{f}");
    }
    let info = read_json(&at_v.join("v1.1.0.info"));
    assert_eq!(info["Version"], "v1.1.0");
    assert_eq!(info["Time"], "2024-01-01T00:00:00Z");
}

/// Asserts the build info of a deps_app binary lists every module as
/// expected, with h1: sums.
fn assert_deps(info: &str) {
    assert!(info.contains("\tpath\texample.com/depsapp\n"), "{info}");
    assert!(
        info.contains("\tmod\texample.com/depsapp\t(devel)"),
        "{info}"
    );
    for (path, version) in [
        ("example.com/greet", "v1.2.3"),
        ("example.com/color", "v0.4.0"),
        ("example.com/ansi", "v0.1.0"),
        ("example.com/Shout", "v0.2.0"),
    ] {
        assert!(
            info.contains(&format!("\tdep\t{path}\t{version}\th1:")),
            "no dep {path} {version} with a sum:\n{info}"
        );
    }
    // The replaced module has no sum of its own; its replacement does.
    assert!(
        info.contains("\tdep\texample.com/oldlog\tv1.0.0\n\t=>\texample.com/newlog\tv1.1.0\th1:"),
        "no replacement line:\n{info}"
    );
    // Every h1: sum is base64 of a SHA-256.
    for line in info.lines().filter(|l| l.contains("h1:")) {
        let sum = line.rsplit('\t').next().expect("sum");
        let b64 = sum.strip_prefix("h1:").expect("h1:");
        assert_eq!(b64.len(), 44, "{line}");
        assert!(b64.ends_with('='), "{line}");
    }
}

#[test]
fn deps_app_build_info_has_sums_indirect_deps_and_a_replacement() {
    let app = deps_app();
    // The committed go.mod is already tidy.
    assert_eq!(
        std::fs::read_to_string(app.src.join("go.mod")).expect("go.mod"),
        std::fs::read_to_string(deps_app_fixture().join("go.mod")).expect("go.mod")
    );
    // go mod tidy wrote every module's sums, and the module cache agrees
    // with them (a zip with directory entries would fail here).
    let sum = std::fs::read_to_string(app.src.join("go.sum")).expect("go.sum");
    for m in [
        "example.com/greet v1.2.3 h1:",
        "example.com/greet v1.2.3/go.mod h1:",
        "example.com/ansi v0.1.0 h1:",
        "example.com/newlog v1.1.0 h1:",
        "example.com/Shout v0.2.0 h1:",
    ] {
        assert!(sum.contains(m), "{m} not in go.sum:\n{sum}");
    }
    assert!(!sum.contains("example.com/oldlog"), "{sum}");
    ok(app.proxy.go(&app.src).args(["mod", "verify"]));
    assert!(app
        .proxy
        .modcache
        .join("example.com/!shout@v0.2.0/shout.go")
        .is_file());

    let tmp = tempdir();
    let plain = tmp.path().join("plain");
    app.build(&plain, "linux", "amd64", &[], &[]);
    let info = go_version_m(&plain);
    assert_deps(&info);
    assert!(
        info.contains("\tdep\texample.com/greet\tv1.2.3\th1:"),
        "{info}"
    );

    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        let out = ok(&mut Command::new(&plain));
        assert_eq!(
            out,
            "newlog: \x1b[31mHELLO, WORLD!\x1b[0m\n\
             greet v1.2.3 color v0.4.0 Shout v0.2.0 newlog v1.1.0\n"
        );
    }

    // Stripped, trimmed, static, and for another architecture: the build
    // info survives, and the same sums are recorded.
    let small = tmp.path().join("small");
    app.build(
        &small,
        "linux",
        "arm64",
        &[("CGO_ENABLED", "0")],
        &["-trimpath", "-ldflags=-s -w"],
    );
    let small_info = go_version_m(&small);
    assert_deps(&small_info);
    assert!(
        small_info.contains("\tbuild\t-trimpath=true\n"),
        "{small_info}"
    );
    // With -trimpath, Go leaves -ldflags out of the build info; the
    // symbol table is gone all the same.
    assert!(!small_info.contains("-ldflags"), "{small_info}");
    let has_symtab = |p: &std::path::Path| {
        let bytes = std::fs::read(p).expect("binary");
        bytes.windows(8).any(|w| w == b".symtab\0")
    };
    assert!(has_symtab(&plain));
    assert!(!has_symtab(&small));
    assert!(
        small_info.contains("\tbuild\tCGO_ENABLED=0\n"),
        "{small_info}"
    );
    assert!(
        small_info.contains("\tbuild\tGOARCH=arm64\n"),
        "{small_info}"
    );
    let deps = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.starts_with("\tdep\t") || l.starts_with("\t=>\t"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(deps(&info), deps(&small_info));
    assert_eq!(deps(&info).len(), 6, "{info}");
}

#[test]
fn deps_app_is_reproducible() {
    // Two separate proxies and module caches, the same bytes: the modules
    // and their sums are fixed.
    let (a, b) = (deps_app(), deps_app());
    assert_eq!(
        std::fs::read(a.src.join("go.sum")).expect("go.sum"),
        std::fs::read(b.src.join("go.sum")).expect("go.sum")
    );
    let tmp = tempdir();
    let flags = ["-trimpath", "-ldflags=-s -w -buildid="];
    let env = [("CGO_ENABLED", "0")];
    a.build(&tmp.path().join("a"), "linux", "amd64", &env, &flags);
    b.build(&tmp.path().join("b"), "linux", "amd64", &env, &flags);
    assert_eq!(
        std::fs::read(tmp.path().join("a")).expect("a"),
        std::fs::read(tmp.path().join("b")).expect("b")
    );
}
