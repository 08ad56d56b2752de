//! Files from the source tree in an image: the files layer sits between the
//! base and the binary, keeps its digest when only the code changes, and
//! inside a container under podman the image's user reads the files and
//! cannot change them.

#![cfg(feature = "external-tools")]

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::*;
use envelope_build::{
    assemble, platform_image, Cache, FileEntry, ImageOptions, PlatformBinary, PlatformImage,
};

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

/// Builds the program with `version` set, for linux/amd64.
fn go_build(module: &Path, version: &str) -> Vec<u8> {
    let out = module.join("app");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![go_dir()];
    dirs.extend(std::env::split_paths(&path));
    ok(Command::new("go")
        .current_dir(module)
        .env("PATH", std::env::join_paths(dirs).expect("PATH"))
        .env("GOCACHE", gocache())
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("CGO_ENABLED", "0")
        .env("GOOS", "linux")
        .env("GOARCH", "amd64")
        .args(["build", "-trimpath", "-o"])
        .arg(&out)
        .arg(format!("-ldflags=-s -w -X main.version={version}"))
        .arg("."));
    std::fs::read(&out).expect("binary")
}

fn image(binary: Vec<u8>, files: &[FileEntry], cache: &Cache) -> PlatformImage {
    let mut opts = ImageOptions::new("app", "test");
    opts.files = files.to_vec();
    let bin = PlatformBinary {
        platform: "linux/amd64".parse().expect("platform"),
        data: Arc::new(binary),
        source: "app".into(),
    };
    platform_image(&opts, &bin, None, cache).expect("image")
}

fn layer<'a>(image: &'a PlatformImage, name: &str) -> &'a envelope_build::image::LayerReport {
    image
        .report
        .layers
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no {name} layer"))
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
    let files = [FileEntry {
        src: module.join("static"),
        dst: "/srv/static".into(),
        mode: None,
        uid: None,
        gid: None,
    }];
    let cache = Cache::at(tmp.path().join("cache"));

    let v1 = image(go_build(&module, "v1"), &files, &cache);
    let names: Vec<&str> = v1.report.layers.iter().map(|l| l.name).collect();
    assert_eq!(names, ["base", "files", "app"]);
    let v2 = image(go_build(&module, "v2"), &files, &cache);
    assert_ne!(layer(&v1, "app").digest, layer(&v2, "app").digest);
    assert_eq!(layer(&v1, "files").digest, layer(&v2, "files").digest);
    assert!(
        layer(&v2, "files").cached,
        "the unchanged files layer comes from the cache"
    );

    let layout = tmp.path().join("layout");
    envelope_oci::write_oci_layout(&layout, &assemble(&[v2], false), Some("v2")).expect("layout");
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
