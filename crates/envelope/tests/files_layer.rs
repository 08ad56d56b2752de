//! Files from the source tree in an image, from `envelope build --file
//! SRC:DST`: the files layer sits between the base and the binary, keeps
//! its digest when only the code changes, and inside a container under
//! podman the image's user reads the files and cannot change them.

#![cfg(feature = "external-tools")]

mod common;

use std::path::Path;

use common::*;

const PROGRAM: &str = r#"package main

import (
	"fmt"
	"os"
)

var version = "dev"

func main() {
	fmt.Println("version:", version)
	fmt.Println("uid:", os.Getuid())
	for _, p := range []string{"/srv/static/hello.txt", "/srv/static/link.txt", "/srv/static/css/site.css"} {
		b, err := os.ReadFile(p)
		fmt.Printf("read %s: %q %v\n", p, b, err)
	}
	err := os.WriteFile("/srv/static/hello.txt", []byte("changed"), 0o644)
	fmt.Println("write:", err)
	_, err = os.Create("/srv/static/new.txt")
	fmt.Println("create:", err)
}
"#;

/// `envelope build . --file static:/srv/static` with `version` set, to
/// `layout` tagged `version`; the image's JSON report.
fn build(module: &Path, cache: &Path, layout: &Path, version: &str) -> serde_json::Value {
    let out = ok(envelope(module, cache)
        .args([
            "build",
            ".",
            "--file",
            "static:/srv/static",
            "--sbom",
            "none",
        ])
        .args(["--platform", "linux/amd64", "--format", "json"])
        .arg(format!("--ldflags=-X main.version={version}"))
        .arg("-o")
        .arg(format!("oci:{}:{version}", layout.display())));
    json(&out)["images"][0]["platforms"][0].clone()
}

/// The layer `name` of a platform's report.
fn layer<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no {name} layer: {report}"))
}

#[test]
fn files_are_readable_by_the_images_user_and_not_writable() {
    let tmp = tempdir();
    let module = tmp.path().join("module");
    std::fs::create_dir_all(module.join("static/css")).expect("mkdir");
    std::fs::write(module.join("go.mod"), "module example.com/app\n\ngo 1.21\n").expect("go.mod");
    std::fs::write(module.join("main.go"), PROGRAM).expect("main.go");
    std::fs::write(module.join("static/hello.txt"), "hello from files\n").expect("write");
    std::fs::write(module.join("static/css/site.css"), "body{}\n").expect("write");
    std::os::unix::fs::symlink("hello.txt", module.join("static/link.txt")).expect("symlink");
    let cache = tmp.path().join("cache");
    let layout = tmp.path().join("layout");

    let v1 = build(&module, &cache, &layout, "v1");
    let names: Vec<&str> = v1["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["base", "files", "app"]);
    let v2 = build(&module, &cache, &layout, "v2");
    assert_ne!(layer(&v1, "app")["digest"], layer(&v2, "app")["digest"]);
    assert_eq!(layer(&v1, "files")["digest"], layer(&v2, "files")["digest"]);
    assert_eq!(
        layer(&v2, "files")["cached"],
        true,
        "the unchanged files layer comes from the cache"
    );

    let out = ok(podman()
        .args(["run", "--rm"])
        .arg(format!("oci:{}:v2", layout.display())));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "version: v2", "{out}");
    assert_eq!(lines[1], "uid: 65532", "{out}");
    assert_eq!(
        lines[2], r#"read /srv/static/hello.txt: "hello from files\n" <nil>"#,
        "{out}"
    );
    assert_eq!(
        lines[3], r#"read /srv/static/link.txt: "hello from files\n" <nil>"#,
        "{out}"
    );
    assert_eq!(
        lines[4], r#"read /srv/static/css/site.css: "body{}\n" <nil>"#,
        "{out}"
    );
    assert_eq!(
        lines[5], "write: open /srv/static/hello.txt: permission denied",
        "{out}"
    );
    assert_eq!(
        lines[6], "create: open /srv/static/new.txt: permission denied",
        "{out}"
    );
}
