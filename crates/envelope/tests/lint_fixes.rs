//! What `envelope lint --fix` does to an image, shown by building the
//! Dockerfile before and after the fix with buildah and running both: the
//! user the container runs as, whether its command still succeeds, whether
//! the build still works. DF003's USER fix is unsafe (only `--unsafe-fixes`
//! applies it) and not offered at all where the stage relies on root;
//! GO006's cache-mount fix takes the later RUNs that read the modules along.
//!
//! Bases are local (buildah from scratch, busybox, the machine's Go), built
//! once per run in a vfs storage of this test's own, so nothing needs a
//! network. Each build gets its own TMPDIR, where buildah keeps the
//! contents of cache mounts: no build sees another's cache.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::goproxy::GoProxy;
use common::*;

/// A buildah and podman storage (vfs) for these tests, kept in the
/// temporary directory between runs like the Go build cache, so the Go base
/// is built once per machine and Go version.
fn storage() -> PathBuf {
    std::env::temp_dir().join("envelope-test-buildah")
}

/// `buildah` or `podman` on this test's storage, with the tests' container
/// settings (runc, no network) and `tmp` as TMPDIR (buildah's cache mounts).
fn tool(name: &str, tmp: &Path) -> Command {
    require(name);
    let root = repo_root();
    let mut cmd = Command::new(name);
    cmd.env("CONTAINERS_CONF", root.join("tests/podman/containers.conf"))
        .env("TMPDIR", tmp)
        .arg("--root")
        .arg(storage().join("root"))
        .arg("--runroot")
        .arg(storage().join("run"))
        .args(["--storage-driver", "vfs"]);
    cmd
}

/// Commits a base image named `name` from scratch with the files of `rootfs`
/// and `extra` (host path, image path), PATH and HOME set, unless one of
/// that name exists.
fn commit_base(name: &str, rootfs: &Path, extra: &[(PathBuf, String)], path: &str) {
    let tmp = tempdir();
    let exists = run(tool("buildah", tmp.path()).args(["inspect", "--type", "image", name]));
    if exists.status.success() {
        return;
    }
    let ctr = ok(tool("buildah", tmp.path()).args(["from", "scratch"]));
    let ctr = ctr.trim();
    ok(tool("buildah", tmp.path())
        .args(["copy", "-q", ctr])
        .arg(rootfs)
        .arg("/"));
    for (from, to) in extra {
        ok(tool("buildah", tmp.path())
            .args(["copy", "-q", ctr])
            .arg(from)
            .arg(to));
    }
    ok(tool("buildah", tmp.path()).args([
        "config",
        "--env",
        &format!("PATH={path}"),
        "--env",
        "HOME=/root",
        ctr,
    ]));
    ok(tool("buildah", tmp.path()).args(["commit", "-q", "--rm", ctr, name]));
}

/// A root file system of busybox with its applets, /etc/passwd, a 0700
/// /root and a world-writable /tmp.
fn busybox_rootfs(dir: &Path) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    std::fs::copy(busybox_path(), bin.join("busybox")).expect("busybox");
    for applet in [
        "sh", "id", "cat", "echo", "mkdir", "touch", "chown", "chmod", "ls", "test",
    ] {
        std::os::unix::fs::symlink("busybox", bin.join(applet)).expect("applet");
    }
    std::fs::create_dir_all(dir.join("etc")).expect("etc");
    std::fs::write(
        dir.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/bin/sh\n",
    )
    .expect("passwd");
    for (sub, mode) in [("root", 0o700), ("tmp", 0o1777)] {
        let d = dir.join(sub);
        std::fs::create_dir_all(&d).expect("dir");
        std::fs::set_permissions(&d, std::os::unix::fs::PermissionsExt::from_mode(mode))
            .expect("chmod");
    }
}

fn busybox_path() -> PathBuf {
    let path = PathBuf::from("/bin/busybox");
    assert!(
        path.is_file(),
        "busybox (static) is required for these tests: run `bash .ci/install.sh`"
    );
    path
}

/// The busybox base, built once per process.
fn base() -> &'static str {
    static BASE: OnceLock<()> = OnceLock::new();
    const NAME: &str = "localhost/envtest-fix-busybox:1";
    BASE.get_or_init(|| {
        let tmp = tempdir();
        busybox_rootfs(tmp.path());
        commit_base(NAME, tmp.path(), &[], "/bin");
    });
    NAME
}

/// The busybox base with the machine's Go under /usr/local/go (the go
/// command, the compiler, linker and assembler, the standard library's
/// sources), named after the Go version.
fn go_base() -> &'static str {
    static GO: OnceLock<String> = OnceLock::new();
    GO.get_or_init(|| {
        let go = go_dir().join("go");
        let goroot = ok(Command::new(&go).args(["env", "GOROOT"]));
        let goroot = PathBuf::from(goroot.trim());
        let version = ok(Command::new(&go).args(["env", "GOVERSION"]));
        let name = format!("localhost/envtest-fix-go:{}", version.trim());
        let tmp = tempdir();
        busybox_rootfs(tmp.path());
        let host = |var: &str| ok(Command::new(&go).args(["env", var])).trim().to_string();
        let tools = format!("pkg/tool/{}_{}", host("GOHOSTOS"), host("GOHOSTARCH"));
        let mut parts: Vec<String> = ["bin", "src", "pkg/include", "go.env", "VERSION"]
            .map(String::from)
            .to_vec();
        parts.extend(["compile", "link", "asm"].map(|t| format!("{tools}/{t}")));
        let extra: Vec<(PathBuf, String)> = parts
            .iter()
            .map(|p| (goroot.join(p), format!("/usr/local/go/{p}")))
            .collect();
        commit_base(&name, tmp.path(), &extra, "/usr/local/go/bin:/bin");
        name
    })
}

/// `buildah bud` of `dockerfile` in `ctx` (written there as
/// `name`), tagged `tag`, with its own cache-mount directory.
fn build(ctx: &Path, name: &str, dockerfile: &str, tag: &str) -> Output {
    std::fs::write(ctx.join(name), dockerfile).expect("dockerfile");
    let tmp = tempdir();
    run(tool("buildah", tmp.path())
        .args([
            "bud",
            "--pull=never",
            "--layers=false",
            "-q",
            "-t",
            tag,
            "-f",
        ])
        .arg(ctx.join(name))
        .arg(ctx))
}

fn built(ctx: &Path, name: &str, dockerfile: &str, tag: &str) {
    let o = build(ctx, name, dockerfile, tag);
    assert!(
        o.status.success(),
        "buildah bud {name} failed:\n{dockerfile}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Runs the image (its own command, or `args`) and returns exit code and output.
fn container(tag: &str, args: &[&str]) -> (i32, String) {
    let tmp = tempdir();
    let o = run(tool("podman", tmp.path())
        .args(["run", "--rm", "--pull=never", "--network=none", tag])
        .args(args));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code().unwrap_or(-1), text)
}

fn remove(tags: &[&str]) {
    let tmp = tempdir();
    let _ = run(tool("buildah", tmp.path()).arg("rmi").args(tags));
}

/// `envelope lint` with `args` on `file`; asserts it did not fail.
fn lint(file: &Path, args: &[&str]) -> String {
    let o = run(Command::new(env!("CARGO_BIN_EXE_envelope"))
        .env("NO_COLOR", "1")
        .arg("lint")
        .args(args)
        .arg(file));
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_ne!(o.status.code(), Some(2), "envelope lint failed: {stderr}");
    format!("{}{stderr}", String::from_utf8_lossy(&o.stdout))
}

fn tag(what: &str) -> String {
    format!("localhost/envtest-fix-{what}:{}", std::process::id())
}

#[test]
fn df003_user_fix_is_unsafe_and_runs_the_program_as_nonroot() {
    let base = base();
    let ctx = tempdir();
    let before =
        format!("FROM {base}\nCMD [\"sh\", \"-c\", \"echo ran > /tmp/state && cat /tmp/state\"]\n");
    let file = ctx.path().join("Dockerfile");
    std::fs::write(&file, &before).expect("write");

    // Plain --fix holds the USER fix back and says so.
    let said = lint(&file, &["--fix", "--select", "DF003"]);
    assert_eq!(std::fs::read_to_string(&file).expect("read"), before);
    assert!(said.contains("1 unsafe fix not applied"), "{said}");
    // --unsafe-fixes adds it, and nothing else.
    lint(&file, &["--fix", "--unsafe-fixes", "--select", "DF003"]);
    let after = std::fs::read_to_string(&file).expect("read");
    assert_eq!(
        after,
        format!("FROM {base}\nUSER 65532:65532\nCMD [\"sh\", \"-c\", \"echo ran > /tmp/state && cat /tmp/state\"]\n")
    );

    let (t_before, t_after) = (tag("df003-root"), tag("df003-user"));
    built(ctx.path(), "before.Dockerfile", &before, &t_before);
    built(ctx.path(), "after.Dockerfile", &after, &t_after);
    assert_eq!(container(&t_before, &["id", "-u"]), (0, "0\n".into()));
    assert_eq!(container(&t_after, &["id", "-u"]), (0, "65532\n".into()));
    // The program's own command works the same under the new user.
    assert_eq!(container(&t_before, &[]), (0, "ran\n".into()));
    assert_eq!(container(&t_after, &[]), (0, "ran\n".into()));
    remove(&[&t_before, &t_after]);
}

#[test]
fn df003_offers_no_fix_where_the_program_relies_on_root() {
    let base = base();
    // Two programs a USER line would break: one keeping state under /root
    // through HOME, one writing into a directory chowned to its own user
    // (as an entrypoint dropping privileges to that user would).
    let cases = [
        (
            "home",
            format!(
                "FROM {base}\nENV HOME=/root\nCMD [\"sh\", \"-c\", \"mkdir -p $HOME/.app && echo ran > $HOME/.app/state && cat $HOME/.app/state\"]\n"
            ),
        ),
        (
            "chown",
            format!(
                "FROM {base}\nRUN mkdir -p /var/lib/app && chown 1000:1000 /var/lib/app && chmod 700 /var/lib/app\nCMD [\"sh\", \"-c\", \"echo ran > /var/lib/app/state && cat /var/lib/app/state\"]\n"
            ),
        ),
    ];
    for (what, before) in cases {
        let ctx = tempdir();
        let file = ctx.path().join("Dockerfile");
        std::fs::write(&file, &before).expect("write");
        let said = lint(&file, &["--fix", "--unsafe-fixes", "--select", "DF003"]);
        assert!(said.contains("DF003"), "{what}: still reported: {said}");
        assert_eq!(
            std::fs::read_to_string(&file).expect("read"),
            before,
            "{what}: no fix offered"
        );

        // What the fix would have done, by hand.
        let with_user = before.replace("\nCMD", "\nUSER 65532:65532\nCMD");
        let (t_before, t_user) = (tag(&format!("{what}-root")), tag(&format!("{what}-user")));
        built(ctx.path(), "before.Dockerfile", &before, &t_before);
        built(ctx.path(), "user.Dockerfile", &with_user, &t_user);
        assert_eq!(container(&t_before, &[]), (0, "ran\n".into()), "{what}");
        let (code, text) = container(&t_user, &[]);
        assert_ne!(code, 0, "{what}: as 65532 the program should fail: {text}");
        assert!(text.contains("Permission denied"), "{what}: {text}");
        remove(&[&t_before, &t_user]);
    }
}

#[test]
fn go006_fix_keeps_the_modules_for_later_runs() {
    let base = base();
    let go = go_base();
    let proxy = GoProxy::new();
    proxy.module(
        "example.com/dep",
        "v1.0.0",
        &[
            ("go.mod", "module example.com/dep\n\ngo 1.22\n"),
            (
                "dep.go",
                "package dep\n\nfunc Hello() string { return \"hello from dep\" }\n",
            ),
        ],
    );
    // The context: the proxy's directory, with the program beside it.
    let ctx = proxy.root();
    std::fs::write(
        ctx.join("go.mod"),
        "module example.com/app\n\ngo 1.22\n\nrequire example.com/dep v1.0.0\n",
    )
    .expect("go.mod");
    std::fs::write(
        ctx.join("main.go"),
        "package main\n\nimport (\n\t\"os\"\n\n\t\"example.com/dep\"\n)\n\nfunc main() { os.Stdout.WriteString(dep.Hello() + \"\\n\") }\n",
    )
    .expect("main.go");
    // The build reads the modules `go mod download` left in the layer, with
    // no proxy: offline, as after a download step with credentials.
    let before = format!(
        "FROM {go} AS build\n\
         ENV GOPROXY=file:///proxy GOSUMDB=off GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local\n\
         COPY proxy /proxy\n\
         WORKDIR /src\n\
         COPY go.mod main.go ./\n\
         RUN go mod download\n\
         RUN GOPROXY=off go build -o /app .\n\
         FROM {base}\n\
         COPY --from=build /app /app\n\
         CMD [\"/app\"]\n"
    );
    let download = "RUN go mod download\n";
    let mounted = "RUN --mount=type=cache,target=/root/go/pkg/mod go mod download\n";
    let file = ctx.join("Dockerfile");
    std::fs::write(&file, &before).expect("write");
    let said = lint(&file, &["--fix", "--select", "GO006"]);
    assert_eq!(std::fs::read_to_string(&file).expect("read"), before);
    assert!(said.contains("unsafe fixes not applied"), "{said}");
    lint(&file, &["--fix", "--unsafe-fixes", "--select", "GO006"]);
    let fixed = std::fs::read_to_string(&file).expect("read");
    // The download moves into the cache mount, and the build gets it too.
    assert!(fixed.contains(mounted), "{fixed}");
    let build_line = fixed
        .lines()
        .find(|l| l.contains("go build"))
        .expect("the build line");
    assert!(
        build_line.contains("--mount=type=cache,target=/root/go/pkg/mod"),
        "{fixed}"
    );
    // A second --fix changes nothing.
    lint(&file, &["--fix", "--unsafe-fixes", "--select", "GO006"]);
    assert_eq!(std::fs::read_to_string(&file).expect("read"), fixed);
    // The naive fix: the mount on the download only.
    let naive = before.replace(download, mounted);

    let (t_before, t_naive, t_fixed) = (tag("go-before"), tag("go-naive"), tag("go-fixed"));
    built(ctx, "before.Dockerfile", &before, &t_before);
    assert_eq!(container(&t_before, &[]), (0, "hello from dep\n".into()));
    // The modules went to the cache mount; the build finds none of them.
    let o = build(ctx, "naive.Dockerfile", &naive, &t_naive);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "the naive fix should break the build");
    assert!(
        stderr.contains("module lookup disabled by GOPROXY=off"),
        "{stderr}"
    );
    built(ctx, "fixed.Dockerfile", &fixed, &t_fixed);
    assert_eq!(container(&t_fixed, &[]), (0, "hello from dep\n".into()));
    remove(&[&t_before, &t_fixed]);
}
