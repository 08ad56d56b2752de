//! `envelope pin` against a real registry: symlinked files written
//! through, and YAML read by a real parser (anchors, aliases, block
//! scalars, flow mappings, several documents).

mod common;

use std::path::Path;

use common::registry::Registry;
use common::*;

/// Pushes the hello example to `reg` as `repo_tag`; returns the reference
/// and its digest.
fn pushed(reg: &Registry, repo_tag: &str) -> (String, String) {
    let tmp = tempdir();
    let image = format!("{}/{repo_tag}", reg.addr);
    let out = ok(envelope(&example("hello"), &tmp.path().join("cache"))
        .args(["build", "--format", "json", "-o"])
        .arg(format!("docker://{image}")));
    let report = json(&out);
    let digest = report["images"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    (image, digest)
}

fn is_symlink(p: &Path) -> bool {
    std::fs::symlink_metadata(p)
        .expect("lstat")
        .file_type()
        .is_symlink()
}

#[test]
fn pin_writes_through_a_symlinked_dockerfile() {
    let reg = Registry::start();
    let (image, digest) = pushed(&reg, "test/linked:v1");
    let tmp = tempdir();
    let cache = tmp.path().join("cache");
    let shared = tmp.path().join("shared");
    std::fs::create_dir(&shared).expect("mkdir");
    let target = shared.join("Dockerfile");
    std::fs::write(&target, format!("FROM {image}\n")).expect("write");
    let app = tmp.path().join("app");
    std::fs::create_dir(&app).expect("mkdir");
    let link = app.join("Dockerfile");
    std::os::unix::fs::symlink("../shared/Dockerfile", &link).expect("symlink");

    ok(envelope(&app, &cache).args(["pin", "Dockerfile"]));
    assert!(is_symlink(&link), "the link was replaced by a file");
    assert_eq!(
        std::fs::read_to_string(&target).expect("read"),
        format!("FROM {image}@{digest}\n")
    );
    let mut names: Vec<String> = std::fs::read_dir(&shared)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["Dockerfile"], "temporary files left");
}
