//! A Go module of several commands sharing a non-main package, as the
//! tests of projects (package patterns, many images) build it.

use std::path::{Path, PathBuf};

/// `root/proj`: module example.com/proj with `cmd/NAME` for each name,
/// each printing "I am NAME" through `internal/lib`.
pub fn module(root: &Path, names: &[&str]) -> PathBuf {
    let dir = root.join("proj");
    let write = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("go.mod", "module example.com/proj\n\ngo 1.21\n");
    write(
        "internal/lib/lib.go",
        "package lib\n\nfunc Who(name string) string { return \"I am \" + name }\n",
    );
    for name in names {
        write(
            &format!("cmd/{name}/main.go"),
            &format!(
                "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/proj/internal/lib\"\n)\n\nfunc main() {{ fmt.Println(lib.Who({name:?})) }}\n"
            ),
        );
    }
    dir
}

/// `--verbose` shows each `go build` envelope ran: there was one, and it
/// built these packages, in this order, into one directory.
pub fn assert_one_go_build(stderr: &str, packages: &[&str]) {
    let go_builds: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("CGO_ENABLED=0 ") && l.contains(" go build "))
        .collect();
    assert_eq!(go_builds.len(), 1, "{stderr}");
    assert!(
        go_builds[0].ends_with(&format!("/ {}", packages.join(" "))),
        "{stderr}"
    );
}
