//! `envelope resolve` and `envelope apply` on Kubernetes YAML: the
//! `ko://` and `envelope://` references of a module with two commands are
//! built with the real Go toolchain, pushed to a real registry, and
//! replaced by the digests skopeo sees there; every other byte of the
//! files (comments, quotes, flow style, anchors, CRLF) is compared as it
//! was. `kubectl` is a script that records what it is given, as no
//! Kubernetes API server runs here.

#![cfg(feature = "external-tools")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::registry::Registry;
use common::*;

/// The files `-f deploy -R` reads, in its order.
const FILES: [&str; 4] = [
    "deploy/app.yaml",
    "deploy/crlf.yaml",
    "deploy/job.json",
    "deploy/more/cron.yml",
];

/// The fixture module copied into a temporary directory, with
/// deploy/crlf.yaml's line endings made CRLF.
fn project(root: &Path) -> PathBuf {
    let dir = root.join("proj");
    copy_tree(
        &repo_root().join("crates/envelope/tests/fixtures/resolve"),
        &dir,
    );
    let crlf = dir.join("deploy/crlf.yaml");
    let text = std::fs::read_to_string(&crlf).expect("crlf.yaml");
    std::fs::write(&crlf, text.replace('\n', "\r\n")).expect("write");
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// envelope in the project, pushing to `repo` when given.
fn envelope_in(dir: &Path, tmp: &Path, repo: Option<&str>) -> Command {
    let mut cmd = envelope(dir, &tmp.join("cache"));
    cmd.env_remove("ENVELOPE_REPO").env_remove("KO_DOCKER_REPO");
    if let Some(repo) = repo {
        cmd.env("KO_DOCKER_REPO", repo);
    }
    cmd
}

/// The references by digest of the images the registry holds under
/// `repo`: api's and worker's.
fn pushed(repo: &str) -> (String, String) {
    let by_digest = |name: &str| {
        let digest = remote_digest(&format!("{repo}/{name}:latest"));
        format!("{repo}/{name}@{digest}")
    };
    (by_digest("api"), by_digest("worker"))
}

/// Each file of the project with its references replaced by the digests
/// the registry holds under `repo`.
fn expected(dir: &Path, repo: &str) -> Vec<String> {
    let (api, worker) = pushed(repo);
    FILES
        .iter()
        .map(|f| {
            std::fs::read_to_string(dir.join(f))
                .expect("read")
                .replace("ko://example.com/proj/cmd/api", &api)
                .replace("ko://./cmd/api", &api)
                .replace("envelope://example.com/proj/cmd/worker", &worker)
                .replace("ko://example.com/proj/cmd/worker", &worker)
                .replace("envelope://./cmd/worker", &worker)
        })
        .collect()
}

#[test]
fn references_become_digests_and_no_other_byte_changes() {
    let reg = Registry::start();
    let tmp = tempdir();
    let dir = project(tmp.path());
    let repo = format!("{}/team", reg.addr);

    // Before: every reference is listed with its place.
    let out =
        run(envelope_in(&dir, tmp.path(), None).args(["resolve", "--check", "-Rf", "deploy"]));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let listed = String::from_utf8_lossy(&out.stdout);
    for place in [
        "deploy/app.yaml:17: ko://example.com/proj/cmd/api is not resolved",
        "deploy/app.yaml:29: ko://./cmd/api is not resolved",
        "deploy/app.yaml:32: envelope://example.com/proj/cmd/worker is not resolved",
        "deploy/crlf.yaml:10: envelope://./cmd/worker is not resolved",
        "deploy/job.json:9: ko://example.com/proj/cmd/worker is not resolved",
        "deploy/more/cron.yml:13: ko://example.com/proj/cmd/api is not resolved",
    ] {
        assert!(listed.contains(place), "{place} in {listed}");
    }
    assert!(!listed.contains("busybox"), "pinned: {listed}");

    // --dry-run names each package once, where it goes and where it is used.
    let plan = ok(envelope_in(&dir, tmp.path(), Some(&repo)).args([
        "resolve",
        "--dry-run",
        "-R",
        "-f",
        "deploy",
    ]));
    assert!(
        plan.starts_with(&format!(
            "example.com/proj/cmd/api -> {repo}/api:latest\n  deploy/app.yaml:17\n  deploy/app.yaml:29\n  deploy/app.yaml:34\n  deploy/more/cron.yml:13\nexample.com/proj/cmd/worker -> {repo}/worker:latest\n"
        )),
        "{plan}"
    );

    let out =
        run(envelope_in(&dir, tmp.path(), Some(&repo))
            .args(["resolve", "-v", "-R", "-f", "deploy"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // api is referenced four times and worker three: each is built once,
    // both by one `go build`.
    project::assert_one_go_build(
        &stderr,
        &["example.com/proj/cmd/api", "example.com/proj/cmd/worker"],
    );
    let expected = expected(&dir, &repo);
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected.join("---\n"));
    assert!(expected[1].contains(&format!("- image: {repo}/worker@sha256:")));
    assert!(expected[1].contains(" # keeps its comment\r\n"));

    // Standard input, and a file given by name whatever its extension.
    std::fs::write(dir.join("values.txt"), "image: envelope://./cmd/api\n").expect("write");
    let out = ok(envelope_in(&dir, tmp.path(), Some(&repo))
        .args(["resolve", "-f", "-", "-f", "values.txt"])
        .stdin(std::fs::File::open(dir.join("deploy/job.json")).expect("open")));
    assert_eq!(
        out,
        format!("{}---\nimage: {}\n", expected[2], pushed(&repo).0)
    );
}

#[test]
fn in_place_writes_every_file_or_none() {
    let reg = Registry::start();
    let tmp = tempdir();
    let dir = project(tmp.path());
    let repo = format!("{}/team", reg.addr);
    let before: Vec<Vec<u8>> = FILES
        .iter()
        .map(|f| std::fs::read(dir.join(f)).expect("read"))
        .collect();

    std::fs::write(
        dir.join("deploy/more/zz-broken.yaml"),
        "a: ko://./cmd/api\nb: [1, 2\n",
    )
    .expect("write");
    let err = fails(envelope_in(&dir, tmp.path(), Some(&repo)).args([
        "resolve",
        "--in-place",
        "-R",
        "-f",
        "deploy",
    ]));
    assert!(
        err.contains("deploy/more/zz-broken.yaml:3:1: not valid YAML"),
        "{err}"
    );
    for (f, bytes) in FILES.iter().zip(&before) {
        assert_eq!(&std::fs::read(dir.join(f)).expect("read"), bytes, "{f}");
    }
    let tags = run(Command::new("skopeo").args([
        "list-tags",
        "--tls-verify=false",
        &format!("docker://{repo}/api"),
    ]));
    assert!(!tags.status.success(), "nothing was pushed");
    std::fs::remove_file(dir.join("deploy/more/zz-broken.yaml")).expect("rm");

    ok(envelope_in(&dir, tmp.path(), Some(&repo)).args([
        "resolve",
        "--in-place",
        "-R",
        "-f",
        "deploy",
    ]));
    let now: Vec<String> = FILES
        .iter()
        .map(|f| std::fs::read_to_string(dir.join(f)).expect("read"))
        .collect();
    let fresh = project(&tmp.path().join("again"));
    assert_eq!(now, expected(&fresh, &repo));

    // After: nothing left to resolve; a tag-only image is still found.
    ok(envelope_in(&dir, tmp.path(), None).args(["resolve", "--check", "-R", "-f", "deploy"]));
    std::fs::write(
        dir.join("deploy/more/tagged.yaml"),
        "spec:\n  containers:\n    - image: nginx:1.27\n",
    )
    .expect("write");
    let out =
        run(envelope_in(&dir, tmp.path(), None).args(["resolve", "--check", "-R", "-f", "deploy"]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "deploy/more/tagged.yaml:3: image: nginx:1.27 is not pinned by digest\n"
    );
}

#[test]
fn bad_references_and_no_repository_are_refused_naming_the_place() {
    let tmp = tempdir();
    let dir = project(tmp.path());
    let repo = "127.0.0.1:9/unreachable";
    let write = |text: &str| std::fs::write(dir.join("bad.yaml"), text).expect("write");

    write("# a library\nimage: ko://example.com/proj/internal/lib\n");
    let err = fails(envelope_in(&dir, tmp.path(), Some(repo)).args(["resolve", "-f", "bad.yaml"]));
    assert!(
        err.contains("bad.yaml:2: example.com/proj/internal/lib is package lib, not a command"),
        "{err}"
    );

    write("a: 1\nb:\n  - envelope://./cmd/nope\n");
    let err = fails(envelope_in(&dir, tmp.path(), Some(repo)).args(["resolve", "-f", "bad.yaml"]));
    assert!(err.contains("bad.yaml:3: envelope://./cmd/nope"), "{err}");

    write("image: |\n  ko://./cmd/api\n");
    let err = fails(envelope_in(&dir, tmp.path(), Some(repo)).args(["resolve", "-f", "bad.yaml"]));
    assert!(
        err.contains("bad.yaml:1: the reference ko://./cmd/api is a block scalar"),
        "{err}"
    );

    // Naming as build names images, without building or pushing.
    let plan = ok(envelope_in(&dir, tmp.path(), Some(repo)).args([
        "resolve",
        "--dry-run",
        "--preserve-import-paths",
        "--tag",
        "v1",
        "-f",
        "deploy/more/cron.yml",
    ]));
    assert_eq!(
        plan,
        format!("example.com/proj/cmd/api -> {repo}/example.com/proj/cmd/api\n  deploy/more/cron.yml:13\n")
    );
    // ... envelope.toml's image tables included.
    std::fs::write(
        dir.join("envelope.toml"),
        "[build.images.gateway]\npackage = \"./cmd/api\"\n",
    )
    .expect("envelope.toml");
    let plan = ok(envelope_in(&dir, tmp.path(), Some(repo)).args([
        "resolve",
        "--dry-run",
        "-f",
        "deploy/more/cron.yml",
    ]));
    assert_eq!(
        plan,
        format!("example.com/proj/cmd/api -> {repo}/gateway:latest\n  deploy/more/cron.yml:13\n")
    );
    std::fs::remove_file(dir.join("envelope.toml")).expect("rm envelope.toml");
    let err =
        fails(envelope_in(&dir, tmp.path(), Some(repo)).args(["resolve", "--in-place", "-f", "-"]));
    assert!(
        err.contains("--in-place cannot write back to -, standard input"),
        "{err}"
    );

    let err = fails(envelope_in(&dir, tmp.path(), None).args(["resolve", "-Rf", "deploy"]));
    assert!(
        err.contains("there is none") && err.contains("ENVELOPE_REPO"),
        "{err}"
    );

    let err = fails(envelope_in(&dir, tmp.path(), Some(repo)).args(["resolve", "-f", "cmd"]));
    assert!(
        err.contains("cmd holds no .yaml, .yml or .json file"),
        "{err}"
    );
    assert!(!dir.join(".envelope").exists(), "nothing written");
}

#[test]
fn apply_pipes_the_resolved_yaml_into_kubectl() {
    let reg = Registry::start();
    let tmp = tempdir();
    let dir = project(tmp.path());
    let repo = format!("{}/team", reg.addr);
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let record = tmp.path().join("kubectl");
    std::fs::create_dir_all(&record).expect("mkdir");
    let script = bin.join("kubectl");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > {0}/args\ncat > {0}/stdin\n",
            record.display()
        ),
    )
    .expect("write");
    let mut perms = std::fs::metadata(&script).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).expect("chmod");
    let path = std::env::join_paths([bin.clone(), go_dir()].into_iter().chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH");

    ok(envelope_in(&dir, tmp.path(), Some(&repo))
        .env("PATH", &path)
        .args([
            "apply",
            "-R",
            "-f",
            "deploy",
            "--",
            "--namespace",
            "staging",
        ]));
    assert_eq!(
        std::fs::read_to_string(record.join("args")).expect("args"),
        "apply\n-f\n-\n--namespace\nstaging\n"
    );
    assert_eq!(
        std::fs::read_to_string(record.join("stdin")).expect("stdin"),
        expected(&dir, &repo).join("---\n")
    );

    // No kubectl: refused before anything is built.
    let err = fails(
        envelope_in(&dir, tmp.path(), Some(&repo))
            .env("PATH", tmp.path().join("empty"))
            .args(["apply", "-f", "deploy"]),
    );
    assert!(
        err.contains("kubectl is not on PATH") && err.contains("hint:"),
        "{err}"
    );
}
