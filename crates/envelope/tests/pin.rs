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
    let real_dir = tmp.path().join("common-docker");
    std::fs::create_dir(&real_dir).expect("mkdir");
    let target = real_dir.join("Dockerfile");
    std::fs::write(&target, format!("FROM {image}\n")).expect("write");
    let app = tmp.path().join("app");
    std::fs::create_dir(&app).expect("mkdir");
    let link = app.join("Dockerfile");
    std::os::unix::fs::symlink("../common-docker/Dockerfile", &link).expect("symlink");

    ok(envelope(&app, &cache).args(["pin", "Dockerfile"]));
    assert!(is_symlink(&link), "the link was replaced by a file");
    assert_eq!(
        std::fs::read_to_string(&target).expect("read"),
        format!("FROM {image}@{digest}\n")
    );
    let mut names: Vec<String> = std::fs::read_dir(&real_dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["Dockerfile"], "temporary files left");
}

/// The YAML `pin` used to misread with a line scanner: an anchored value
/// (it tried to resolve `&img` and failed), a folded block scalar, a key
/// inside a literal block scalar (it rewrote the script), a flow mapping
/// (it missed it); and several documents.
#[test]
fn pin_reads_yaml_with_a_parser() {
    let reg = Registry::start();
    let (image, digest) = pushed(&reg, "test/yaml:v1");
    let pinned = format!("{image}@{digest}");
    let tmp = tempdir();
    let cache = tmp.path().join("cache");
    let path = tmp.path().join("deploy.yaml");
    // PIN marks the references to pin, KEEP those to leave alone.
    let template = "\
# a comment: KEEP
apiVersion: v1
kind: Pod
spec:
  containers:
    - name: anchored
      image: &img KEEP
    - name: aliased
      image: *img
    - name: folded
      image: >-
        KEEP
    - name: script
      image: PIN   # the app
      command:
        - sh
        - -c
        - |
          image: KEEP
          echo done
---
services:
  flow: {image: PIN, restart: always}
  quoted: { image: \"PIN\" }
...
";
    let yaml = template.replace("PIN", &image).replace("KEEP", &image);
    std::fs::write(&path, &yaml).expect("write");

    let out = run(envelope(tmp.path(), &cache).args(["pin", "--check", "deploy.yaml"]));
    assert_eq!(
        out.status.code(),
        Some(1),
        "unpinned references fail the check"
    );
    let listed = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = listed
        .lines()
        .map(|l| l.split(": ").next().unwrap_or(l))
        .collect();
    assert_eq!(
        lines,
        ["deploy.yaml:14", "deploy.yaml:23", "deploy.yaml:24"],
        "{listed}"
    );
    let warned = String::from_utf8_lossy(&out.stderr);
    for (line, why) in [(7, "anchor"), (9, "alias"), (11, "block scalar")] {
        assert!(
            warned.contains(&format!("deploy.yaml:{line}: the image: value"))
                && warned.contains(why),
            "no warning for line {line}:\n{warned}"
        );
    }
    assert!(!warned.contains("deploy.yaml:19"), "{warned}");

    // The anchored value is left alone (its aliases share it) and the
    // others are pinned: a warning, not a failure.
    let out = run(envelope(tmp.path(), &cache).args(["pin", "deploy.yaml"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("deploy.yaml:7: the image: value has an anchor"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        template.replace("PIN", &pinned).replace("KEEP", &image)
    );
    // Pinned references need no registry; what is left only warns.
    drop(reg);
    let out = run(envelope(tmp.path(), &cache).args(["pin", "--check", "deploy.yaml"]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn pin_refuses_invalid_yaml_and_leaves_it_alone() {
    let tmp = tempdir();
    let path = tmp.path().join("chart.yaml");
    let text = "image: {{ .Values.image }}\nother: [unclosed\n";
    std::fs::write(&path, text).expect("write");
    let err = fails(envelope(tmp.path(), &tmp.path().join("cache")).args(["pin", "chart.yaml"]));
    assert!(
        err.contains("chart.yaml: not valid YAML") && err.contains("line "),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
}
