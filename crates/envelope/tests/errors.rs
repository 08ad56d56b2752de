//! Bad input gives a clear error, exit code 2, and no output written.

#![cfg(feature = "external-tools")]

mod common;

use common::*;

fn assert_nothing_written(dir: &std::path::Path) {
    assert!(
        !dir.join("out").exists(),
        "output written despite the failure"
    );
    assert!(
        !dir.join(".envelope").exists(),
        "default output written despite the failure"
    );
}

#[test]
fn outside_a_go_module() {
    let tmp = tempdir();
    let err =
        fails(envelope(tmp.path(), &tmp.path().join("cache")).args(["build", "-o", "oci:out"]));
    assert!(
        err.contains("go.mod file not found"),
        "go's own message is shown:\n{err}"
    );
    assert!(err.contains("error: go build failed for ."), "{err}");
    assert!(
        err.contains("hint: run envelope inside a Go module"),
        "{err}"
    );
    assert_nothing_written(tmp.path());
}

#[test]
fn a_package_that_is_not_main() {
    let tmp = tempdir();
    let err = fails(
        envelope(&example("lib"), &tmp.path().join("cache"))
            .args(["build", "-o"])
            .arg(format!("oci:{}/out", tmp.path().display())),
    );
    assert!(
        err.contains("not a main package (it is package lib)"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    assert_nothing_written(tmp.path());
}

#[test]
fn no_go_on_path() {
    let tmp = tempdir();
    let err = fails(
        envelope(&example("hello"), &tmp.path().join("cache"))
            .env("PATH", tmp.path())
            .args(["build"]),
    );
    assert!(err.contains("cannot find the Go toolchain"), "{err}");
    assert!(err.contains("ENVELOPE_GO"), "{err}");
    let err = fails(
        envelope(&example("hello"), &tmp.path().join("cache"))
            .env("ENVELOPE_GO", tmp.path().join("nope"))
            .args(["build"]),
    );
    assert!(err.contains("ENVELOPE_GO="), "{err}");
}

#[test]
fn compile_errors_are_streamed_from_go() {
    let tmp = tempdir();
    let src = tmp.path().join("broken");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(src.join("go.mod"), "module example.com/broken\n\ngo 1.23\n").expect("write");
    std::fs::write(
        src.join("main.go"),
        "package main\n\nfunc main() {\n\tundefinedThing()\n}\n",
    )
    .expect("write");
    let err = fails(envelope(&src, &tmp.path().join("cache")).args(["build", "-o", "oci:out"]));
    assert!(
        err.contains("main.go:4:2: undefined: undefinedThing"),
        "{err}"
    );
    assert!(!src.join("out").exists());
}

#[test]
fn bad_platforms() {
    let tmp = tempdir();
    for (p, want) in [
        ("linux", "OS/ARCH"),
        ("windows/amd64", "run on linux"),
        ("linux/sparc", "cannot build for architecture"),
        ("linux/arm/v9", "variant"),
    ] {
        let err = fails(
            envelope(&example("hello"), &tmp.path().join("cache")).args([
                "build",
                "--platform",
                p,
                "-o",
                "oci:/nonexistent-never",
            ]),
        );
        assert!(err.contains(want), "{p}: {err}");
        assert!(err.contains("platform"), "{p}: {err}");
    }
}

#[test]
fn bad_source_date_epoch() {
    let tmp = tempdir();
    let err = fails(
        envelope(&example("hello"), &tmp.path().join("cache"))
            .env("SOURCE_DATE_EPOCH", "yesterday")
            .args(["build"]),
    );
    assert!(err.contains("SOURCE_DATE_EPOCH=\"yesterday\""), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn bad_outputs_are_refused_before_building() {
    let tmp = tempdir();
    for (o, want) in [
        ("tarball:x", "transport"),
        ("docker://UPPER/x:v1", "repository name"),
        ("docker://", "image name"),
        // No registry named: these pushed to Docker Hub after the build.
        ("server:v1", "names no registry"),
        ("out", "did you mean oci:out?"),
        ("myuser/server", "docker.io/myuser/server"),
        ("oci-dir:out", "did you mean oci:out?"),
        ("docker://myuser/server:v1", "names no registry"),
    ] {
        let err = fails(
            envelope(&example("hello"), &tmp.path().join("cache"))
                .env("PATH", "/nonexistent")
                .args(["build", "-o", o]),
        );
        assert!(err.to_lowercase().contains(want), "{o}: {err}");
        assert!(
            !err.contains("Go toolchain"),
            "outputs are checked first: {err}"
        );
        // copy's destination, checked before the source is read.
        let err =
            fails(envelope(tmp.path(), &tmp.path().join("cache")).args(["copy", "oci:missing", o]));
        assert!(err.to_lowercase().contains(want), "copy to {o}: {err}");
    }
}

#[test]
fn bad_tags_are_refused_before_building() {
    let tmp = tempdir();
    let err = fails(
        envelope(&example("hello"), &tmp.path().join("cache"))
            .env("PATH", "/nonexistent")
            .args(["build", "--tag", "bad!tag", "-o", "127.0.0.1:9/team/app"]),
    );
    assert!(err.contains("bad --tag \"bad!tag\""), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert!(
        !err.contains("Go toolchain"),
        "tags are checked first: {err}"
    );
}

/// `envelope ... | head` ends quietly: a closed stdout is a success,
/// whatever writes to it (the JSON writers once reported it as an error).
#[test]
fn a_closed_stdout_is_a_success() {
    let tmp = tempdir();
    let cache = tmp.path().join("cache");
    let layout = format!("oci:{}:v1", tmp.path().join("img").display());
    ok(envelope(&example("hello"), &cache).args(["build", "-q", "-o", &layout]));
    let db = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/govulndb");
    let db = db.to_str().expect("utf-8 path");
    for args in [
        vec!["audit", &layout],
        vec!["audit", "--format", "json", &layout],
        vec!["inspect", "--format", "json", &layout],
        vec!["sbom", "--format", "json", &layout],
        vec!["scan", "--db", db, &layout],
        vec!["scan", "--db", db, "--format", "json", &layout],
        vec!["rules", "--format", "json"],
    ] {
        let mut child = envelope(tmp.path(), &cache)
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        // Close the reading end before anything is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}

#[test]
fn an_unwritable_output() {
    let tmp = tempdir();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    let err = fails(
        envelope(&example("hello"), &tmp.path().join("cache"))
            .args(["build", "-o"])
            .arg(format!("oci:{}/layout", file.display())),
    );
    assert!(err.contains("a-file"), "names the path: {err}");
}

#[test]
fn package_of_something_that_is_not_elf() {
    let tmp = tempdir();
    let f = tmp.path().join("script.sh");
    std::fs::write(&f, "#!/bin/sh\necho hi\n").expect("write");
    let err = fails(
        envelope(tmp.path(), &tmp.path().join("cache"))
            .arg("package")
            .arg(&f)
            .args(["-o", "oci:out"]),
    );
    assert!(err.contains("is not a usable Go binary"), "{err}");
    assert_nothing_written(tmp.path());
    let err =
        fails(envelope(tmp.path(), &tmp.path().join("cache")).args(["package", "missing-file"]));
    assert!(err.contains("missing-file"), "{err}");
}

#[test]
fn bad_image_options() {
    let tmp = tempdir();
    for (args, want) in [
        (&["--port", "http"][..], "--port"),
        (&["--port", "70000"][..], "--port"),
        (&["--label", "novalue"][..], "--label"),
        (&["--env", "=x"][..], "--env"),
        (&["--user", "bob"][..], "--user"),
        (&["--base", "UPPER/x"][..], "--base"),
    ] {
        let err = fails(
            envelope(&example("hello"), &tmp.path().join("cache"))
                .arg("build")
                .args(args)
                .args(["-o", "oci:/nonexistent-never"]),
        );
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn help_and_version() {
    let tmp = tempdir();
    let out = ok(envelope(tmp.path(), &tmp.path().join("cache")).arg("--version"));
    assert!(out.starts_with("envelope "), "{out}");
    let out = ok(envelope(tmp.path(), &tmp.path().join("cache")).args(["build", "--help"]));
    for flag in [
        "--platform",
        "--output",
        "--ca-certs",
        "--tzdata",
        "--compression",
        "--ldflags",
        "SOURCE_DATE_EPOCH",
    ] {
        assert!(out.contains(flag), "--help lacks {flag}");
    }
    // Usage errors are failures too.
    let out =
        run(envelope(tmp.path(), &tmp.path().join("cache")).args(["build", "--no-such-flag"]));
    assert_eq!(out.status.code(), Some(2));
}
