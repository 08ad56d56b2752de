//! envelope.toml's `[build]` and `[build.images.NAME]` tables: per-image
//! settings applied to real Go builds, the command line over the tables,
//! templated ldflags, a base of its own from a registry, `--explain`, and
//! the errors of a bad file. Checked in the OCI layout and by podman.

#![cfg(feature = "external-tools")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::registry::Registry;
use common::*;

/// The fixture module copied to `root` as a git repository with one commit
/// of a fixed date; envelope.toml's `@BASE@` replaced by `base`.
fn project(root: &Path, base: &str) -> PathBuf {
    let from = repo_root().join("crates/envelope/tests/fixtures/config");
    let dir = root.join("proj");
    for rel in [
        "go.mod",
        "envelope.toml",
        "cmd/web/main.go",
        "cmd/stamp/main.go",
        "cmd/based/main.go",
        "cmd/plain/main.go",
        "static/hello.txt",
        "static/css/site.css",
    ] {
        let text = std::fs::read_to_string(from.join(rel)).expect("fixture");
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text.replace("@BASE@", base)).expect("write");
    }
    std::fs::write(dir.join(".gitignore"), ".envelope/\n").expect("gitignore");
    commit_all(&dir);
    dir
}

/// Makes `dir` a git repository with one commit of a fixed date.
fn commit_all(dir: &Path) {
    let git = |args: &[&str]| {
        ok(Command::new("git")
            .current_dir(dir)
            .args(args)
            .env("GIT_AUTHOR_DATE", "2024-01-02T03:04:05Z")
            .env("GIT_COMMITTER_DATE", "2024-01-02T03:04:05Z")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1"))
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "commit",
        "-qm",
        "fixture",
    ]);
}

fn envelope_in(dir: &Path, tmp: &Path) -> Command {
    let mut cmd = envelope(dir, &tmp.join("cache"));
    cmd.env_remove("ENVELOPE_REPO").env_remove("KO_DOCKER_REPO");
    cmd
}

/// `envelope build --explain NAME --format json`'s settings.
fn explain(dir: &Path, tmp: &Path, name: &str, extra: &[&str]) -> serde_json::Value {
    let out = ok(envelope_in(dir, tmp)
        .args(["build", "./...", "--explain", name, "--format", "json"])
        .args(extra));
    json(&out)["settings"].clone()
}

/// Pushes the plain command's image as a base of its own, for
/// `platforms` (comma-separated).
fn push_base(reg: &Registry, tmp: &Path, platforms: &str) -> String {
    let name = platforms.replace(['/', ','], "-");
    let dir = project(&tmp.join(&name), "unused");
    let reference = format!("{}/bases/{name}:1", reg.addr);
    let out = ok(envelope_in(&dir, tmp)
        .args([
            "build",
            "./cmd/plain",
            "--isolated",
            "--platform",
            platforms,
            "--sbom",
            "none",
            "--format",
            "json",
        ])
        .args(["-o", &reference]));
    let digest = json(&out)["images"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    format!("{reference}@{digest}")
}

#[test]
fn each_image_takes_its_own_table() {
    let reg = Registry::start();
    let tmp = tempdir();
    let base = push_base(&reg, tmp.path(), "linux/amd64");
    let dir = project(tmp.path(), &base);
    let layout = tmp.path().join("layout");
    let build = || {
        json(&ok(envelope_in(&dir, tmp.path())
            .args(["build", "./...", "--sbom", "none", "--format", "json"])
            .arg("-o")
            .arg(format!("oci:{}", layout.display()))))
    };
    let report = build();
    let mut names: Vec<&str> = report["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["name"].as_str().expect("name"))
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["based", "plain", "stamp", "web"]);

    // web: its table's ports, env, args, user and labels, over [build]'s.
    let web = layout_image(&layout, Some("web"), "amd64").config;
    let config = &web["config"];
    assert_eq!(
        config["ExposedPorts"],
        serde_json::json!({"8080/tcp": {}, "53/udp": {}})
    );
    assert_eq!(config["Cmd"], serde_json::json!(["serve", "--fast"]));
    assert_eq!(
        config["Entrypoint"],
        serde_json::json!(["/usr/local/bin/web", "--from-entrypoint"])
    );
    assert_eq!(config["WorkingDir"], "/srv");
    let manifest = layout_image(&layout, Some("web"), "amd64").manifest;
    assert_eq!(manifest["annotations"]["org.example.owner"], "team-a");
    assert_eq!(config["User"], "2000");
    assert!(
        config["Env"]
            .as_array()
            .expect("env")
            .contains(&serde_json::json!("GREETING=hello")),
        "{config}"
    );
    assert_eq!(config["Labels"]["org.example.team"], "core");
    assert_eq!(config["Labels"]["org.example.tier"], "front");
    let out = ok(podman().args(["run", "--rm", &format!("oci:{}:web", layout.display())]));
    assert_eq!(
        out.trim(),
        "args=--from-entrypoint,serve,--fast greeting=hello"
    );

    // plain: [build] only.
    let plain = layout_image(&layout, Some("plain"), "amd64").config;
    assert_eq!(plain["config"]["User"], "1000:1000");
    assert!(plain["config"]["ExposedPorts"].is_null(), "{plain}");
    assert_eq!(plain["config"]["Labels"]["org.example.team"], "core");
    assert!(plain["config"]["Labels"]["org.example.tier"].is_null());

    // stamp: the commit injected by the template, the same on a rebuild.
    let head = ok(Command::new("git")
        .current_dir(&dir)
        .args(["rev-parse", "HEAD"]));
    let out = ok(podman().args(["run", "--rm", &format!("oci:{}:stamp", layout.display())]));
    assert_eq!(out.trim(), format!("commit={}", head.trim()));
    // Its go-env reached go build: the binary records GOAMD64.
    let stamp = layout_image(&layout, Some("stamp"), "amd64");
    let extracted = tmp.path().join("stamp");
    std::fs::create_dir_all(&extracted).expect("mkdir");
    tar_extract(stamp.layers.last().expect("layers"), &extracted);
    let info = ok(Command::new(go_dir().join("go"))
        .args(["version", "-m"])
        .arg(extracted.join("usr/local/bin/stamp")));
    assert!(info.contains("GOAMD64=v2"), "{info}");
    let digest_of = |r: &serde_json::Value, name: &str| {
        r["images"]
            .as_array()
            .expect("images")
            .iter()
            .find(|i| i["name"] == name)
            .map(|i| i["digest"].clone())
            .expect("image")
    };
    let again = build();
    for name in ["stamp", "web", "based", "plain"] {
        assert_eq!(digest_of(&report, name), digest_of(&again, name), "{name}");
    }

    // based: the pushed base's layers under its own.
    let based = layout_image(&layout, Some("based"), "amd64");
    let base_image = layout_image(&layout, Some("plain"), "amd64");
    let layers = |m: &serde_json::Value| -> Vec<String> {
        m["layers"]
            .as_array()
            .expect("layers")
            .iter()
            .map(|l| l["digest"].as_str().expect("digest").to_string())
            .collect()
    };
    let own = layers(&based.manifest);
    let plain_layers = layers(&base_image.manifest);
    // The base is plain as built without envelope.toml: its app layer is
    // the same binary, so its layers lead based's.
    assert!(own.len() > plain_layers.len(), "{own:?}");
    // Its files entry: the static/ tree at /srv/static, which the image's
    // user (1000, from [build]) reads and cannot change.
    let out = ok(podman().args(["run", "--rm", &format!("oci:{}:based", layout.display())]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "based",
            r#"hello.txt: "hello from files\n" <nil>"#,
            r#"css/site.css: "body{}\n" <nil>"#,
            "open for writing: open /srv/static/hello.txt: permission denied",
        ],
        "{out}"
    );
    // The files layer's headers: owned by root, files 0644, folders 0755.
    let files_digest = report["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| i["name"] == "based")
        .and_then(|i| {
            i["platforms"][0]["layers"]
                .as_array()
                .expect("layers")
                .iter()
                .find(|l| l["name"] == "files")
        })
        .map(|l| l["digest"].as_str().expect("digest").to_string())
        .expect("a files layer");
    assert!(own.contains(&files_digest), "{own:?}");
    let listed = tar_list(&blob_path(&layout, &files_digest));
    let mut entries: Vec<(String, String, String)> = listed
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let field = |i: usize| f.get(i).expect("tar -tv field").to_string();
            let name = f.last().expect("name").trim_start_matches("./");
            (name.to_string(), field(0), field(1))
        })
        .collect();
    entries.sort();
    let expect = |name: &str, mode: &str| (name.to_string(), mode.to_string(), "0/0".to_string());
    assert_eq!(
        entries,
        [
            expect("srv/", "drwxr-xr-x"),
            expect("srv/static/", "drwxr-xr-x"),
            expect("srv/static/css/", "drwxr-xr-x"),
            expect("srv/static/css/site.css", "-rw-r--r--"),
            expect("srv/static/hello.txt", "-rw-r--r--"),
        ],
        "{listed}"
    );
    let by_tag = base.split('@').next().expect("reference");
    let pulled = skopeo(&[
        "inspect",
        "--tls-verify=false",
        &format!("docker://{by_tag}"),
    ]);
    let pulled_layers: Vec<String> = json(&pulled)["Layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l.as_str().expect("layer").to_string())
        .collect();
    assert_eq!(own[..pulled_layers.len()], pulled_layers[..]);
    let explained = explain(&dir, tmp.path(), "based", &[]);
    assert_eq!(explained["base"]["value"], base.as_str());

    // The same four to the registry: the same digests as in the layout,
    // and the refs file says what the registry serves.
    let refs = tmp.path().join("refs.json");
    let pushed = json(&ok(envelope_in(&dir, tmp.path())
        .env("ENVELOPE_REPO", format!("{}/team", reg.addr))
        .args(["build", "./...", "--sbom", "none", "--format", "json"])
        .arg("--image-refs")
        .arg(&refs)));
    let listed = json(&std::fs::read_to_string(&refs).expect("refs"));
    let listed = listed.as_array().expect("refs array");
    assert_eq!(listed.len(), 4, "{listed:?}");
    for image in report["images"].as_array().expect("images") {
        let name = image["name"].as_str().expect("name");
        let repo = format!("{}/team/{name}", reg.addr);
        let digest = remote_digest(&format!("{repo}:latest"));
        assert_eq!(image["digest"], digest.as_str(), "{name}");
        let sent = pushed["images"]
            .as_array()
            .expect("images")
            .iter()
            .find(|i| i["name"] == name)
            .expect("pushed");
        assert_eq!(sent["digest"], digest.as_str(), "{name}");
        assert!(
            listed
                .iter()
                .any(|r| r["reference"] == format!("{repo}:latest@{digest}").as_str()),
            "{name}: {listed:?}"
        );
    }
}

#[test]
fn the_command_line_beats_the_table_which_beats_build() {
    let tmp = tempdir();
    let dir = project(tmp.path(), "scratch");
    let toml = dir.join("envelope.toml");
    let text = std::fs::read_to_string(&toml).expect("toml");
    std::fs::write(
        &toml,
        format!("{text}\n[build.images.plain]\ncompression = \"zstd\"\n"),
    )
    .expect("write");

    let web = explain(&dir, tmp.path(), "web", &[]);
    assert_eq!(web["user"]["value"], "2000");
    assert_eq!(
        web["user"]["source"],
        "envelope.toml:11:8 [build.images.web]"
    );
    assert_eq!(web["workdir"]["value"], "/srv");
    assert_eq!(web["annotations.org.example.owner"]["value"], "team-a");
    let stamp = explain(&dir, tmp.path(), "stamp", &["--go-env", "GOAMD64=v3"]);
    assert_eq!(stamp["go-env.GOAMD64"]["value"], "v3");
    assert_eq!(stamp["go-env.GOAMD64"]["source"], "--go-env");
    assert_eq!(
        web["labels.org.example.team"]["source"],
        "envelope.toml:4:33 [build]"
    );
    assert_eq!(web["ports"]["value"], "8080 53/udp");
    let plain = explain(&dir, tmp.path(), "plain", &[]);
    assert_eq!(plain["user"]["source"], "envelope.toml:3:8 [build]");
    assert_eq!(plain["ports"]["source"], "default");
    assert_eq!(plain["compression"]["value"], "zstd");

    // Flags win, even one given at its default value.
    let flags = ["--user", "3000", "--compression", "gzip"];
    let web = explain(&dir, tmp.path(), "web", &flags);
    assert_eq!(web["user"]["value"], "3000");
    assert_eq!(web["user"]["source"], "--user");
    let plain = explain(&dir, tmp.path(), "plain", &flags);
    assert_eq!(plain["compression"]["value"], "gzip");
    assert_eq!(plain["compression"]["source"], "--compression");

    // The images agree with the explanation.
    let layout = tmp.path().join("layout");
    ok(envelope_in(&dir, tmp.path())
        .args(["build", "./cmd/web", "./cmd/plain", "--sbom", "none"])
        .args(flags)
        .arg("-o")
        .arg(format!("oci:{}", layout.display())));
    for name in ["web", "plain"] {
        let image = layout_image(&layout, Some(name), "amd64");
        assert_eq!(image.config["config"]["User"], "3000", "{name}");
        for l in image.manifest["layers"].as_array().expect("layers") {
            assert_eq!(
                l["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip",
                "{name}"
            );
        }
    }
    let zstd = tmp.path().join("zstd");
    ok(envelope_in(&dir, tmp.path())
        .args(["build", "./cmd/plain", "--sbom", "none"])
        .arg("-o")
        .arg(format!("oci:{}", zstd.display())));
    let image = layout_image(&zstd, None, "amd64");
    assert_eq!(image.config["config"]["User"], "1000:1000");
    assert_eq!(
        image.manifest["layers"][0]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar+zstd"
    );

    // --isolated reads no envelope.toml.
    let isolated = explain(&dir, tmp.path(), "web", &["--isolated"]);
    assert_eq!(isolated["user"]["source"], "default");
    // Without a package the tables' commands are the build (web's table
    // names its command by name, stamp's by package).
    let human = ok(envelope_in(&dir, tmp.path()).args(["build", "--explain", "web"]));
    assert!(
        human.contains("ports") && human.contains("envelope.toml:8:9 [build.images.web]"),
        "{human}"
    );
}

#[test]
fn a_bad_file_is_refused_with_its_position() {
    let tmp = tempdir();
    let dir = project(tmp.path(), "scratch");
    let toml = dir.join("envelope.toml");
    let text = std::fs::read_to_string(&toml).expect("toml");
    let layout = tmp.path().join("layout");
    let attempt = |extra: &str| {
        std::fs::write(&toml, format!("{text}\n{extra}")).expect("write");
        fails(
            envelope_in(&dir, tmp.path())
                .args(["build", "./..."])
                .arg("-o")
                .arg(format!("oci:{}", layout.display())),
        )
    };
    let lines = text.lines().count();
    let err = attempt("[build.images.plain]\nportz = [1]\n");
    assert!(
        err.contains(&format!("envelope.toml:{}:1", lines + 3)) && err.contains("portz"),
        "{err}"
    );
    let err = attempt("[build.images.plain]\nuser = 5\n");
    assert!(
        err.contains(&format!("envelope.toml:{}:8", lines + 3)),
        "{err}"
    );
    let err = attempt("[build.images.plain]\nldflags = \"-X main.x={{.Git.Comit}}\"\n");
    assert!(
        err.contains(&format!("envelope.toml:{}:11", lines + 3)) && err.contains("{{.Git.Comit}}"),
        "{err}"
    );
    let err = attempt("[build.images.plain]\nldflags = \"-X main.x={{.Env.ENVELOPE_NOT_SET}}\"\n");
    assert!(err.contains("ENVELOPE_NOT_SET is not set"), "{err}");
    let err = attempt("[build.images.nothing]\nuser = \"1\"\n");
    assert!(
        err.contains(&format!("envelope.toml:{}:1", lines + 2))
            && err.contains("[build.images.nothing] names an image no package builds"),
        "{err}"
    );
    let err = attempt("[build.images.plain]\nfiles = [{ src = \"x\", dst = \"relative\" }]\n");
    assert!(err.contains("not an absolute path"), "{err}");
    let err = attempt("[build.images.plain]\nports = [\"80/tcpx\"]\n");
    assert!(
        err.contains(&format!("envelope.toml:{}:9", lines + 3)) && err.contains("80/tcpx"),
        "{err}"
    );
    let err = attempt("[build.images.plain]\nuser = \"somebody\"\n");
    assert!(
        err.contains(&format!("envelope.toml:{}:8", lines + 3)),
        "{err}"
    );
    let err = attempt("[build.images.plain]\ngo-env = { CGO_ENABLED = \"1\" }\n");
    assert!(err.contains("CGO_ENABLED=0"), "{err}");
    // A files entry whose src is missing, or holds a symlink out of it.
    let err = attempt("[build.images.plain]\nfiles = [{ src = \"missing/\", dst = \"/srv/x\" }]\n");
    assert!(
        err.contains("files entry") && err.contains("missing/: src does not exist"),
        "{err}"
    );
    // ... named with where it was set.
    assert!(
        err.contains(&format!("envelope.toml:{}:9: files of plain", lines + 3)),
        "{err}"
    );
    std::fs::create_dir(dir.join("escape")).expect("mkdir");
    std::os::unix::fs::symlink("../go.mod", dir.join("escape/out")).expect("symlink");
    let err = attempt("[build.images.plain]\nfiles = [{ src = \"escape/\", dst = \"/srv/x\" }]\n");
    assert!(
        err.contains("the symlink") && err.contains("escape/out points to ../go.mod, outside"),
        "{err}"
    );
    assert!(!layout.exists(), "nothing written");

    // Git fields outside a git repository name the field.
    std::fs::write(&toml, &text).expect("write");
    std::fs::remove_dir_all(dir.join(".git")).expect("rm .git");
    let err = fails(envelope_in(&dir, tmp.path()).args(["build", "./cmd/stamp"]));
    assert!(
        err.contains("{{.Git.FullCommit}}") && err.contains("envelope.toml:19:11"),
        "{err}"
    );
}

/// A module set up for ko: a `.ko.yaml` and no envelope.toml.
fn ko_project(root: &Path, base: &str) -> PathBuf {
    let dir = root.join("koproj");
    let write = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("go.mod", "module example.com/koproj\n\ngo 1.21\n");
    write(
        "cmd/app/main.go",
        "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nvar version = \"unset\"\n\nfunc main() {\n\tb, err := os.ReadFile(os.Getenv(\"KO_DATA_PATH\") + \"/hello.txt\")\n\tfmt.Printf(\"version=%s data=%q err=%v\\n\", version, b, err)\n}\n",
    );
    write("cmd/app/kodata/hello.txt", "hi");
    write("cmd/app/kodata/sub/more.txt", "more");
    // A real project's shape: defaults, one build with a template, and a
    // field envelope does not support.
    write(
        ".ko.yaml",
        &format!(
            "defaultBaseImage: {base}\ndefaultPlatforms: all\ndefaultEnv:\n  - GOAMD64=v1\nbuilds:\n  - id: app\n    dir: .\n    main: ./cmd/app\n    ldflags:\n      - -X main.version={{{{.Git.ShortCommit}}}}\n    mod_timestamp: \"{{{{ .CommitTimestamp }}}}\"\n"
        ),
    );
    commit_all(&dir);
    dir
}

/// The regular files of `layers` under `prefix` (no leading `/`), sorted.
fn files_under(layers: &[PathBuf], prefix: &str) -> Vec<String> {
    let mut files: Vec<String> = layers
        .iter()
        .flat_map(|l| tar_list(l).lines().map(str::to_string).collect::<Vec<_>>())
        // `tar -tv`: regular files (`-rw...`), the name last.
        .filter(|f| f.starts_with('-'))
        .filter_map(|f| f.split_whitespace().last().map(str::to_string))
        .map(|f| {
            f.trim_start_matches('.')
                .trim_start_matches('/')
                .to_string()
        })
        .filter(|f| f.starts_with(prefix))
        .collect();
    files.sort();
    files
}

#[test]
fn a_ko_yaml_project_builds_as_ko_builds_it() {
    require("ko");
    let reg = Registry::start();
    let tmp = tempdir();
    let base = push_base(&reg, tmp.path(), "linux/amd64,linux/arm64");
    let dir = ko_project(tmp.path(), &base);

    let ours = tmp.path().join("ours");
    let out = run(envelope_in(&dir, tmp.path())
        .args(["build", "./cmd/app", "--sbom", "none"])
        .arg("-o")
        .arg(format!("oci:{}:app", ours.display())));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(".ko.yaml:11:5: builds: mod_timestamp is not supported"),
        "{stderr}"
    );
    assert!(stderr.contains("adds -s -w"), "{stderr}");

    let theirs = tmp.path().join("theirs");
    ok(Command::new("ko")
        .current_dir(&dir)
        .env("PATH", {
            let path = std::env::var_os("PATH").unwrap_or_default();
            let mut dirs = vec![go_dir()];
            dirs.extend(std::env::split_paths(&path));
            std::env::join_paths(dirs).expect("PATH")
        })
        .env("GOCACHE", gocache())
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env_remove("KO_DOCKER_REPO")
        .env("KOCACHE", tmp.path().join("kocache"))
        .args(["build", "--push=false", "--sbom=none", "--oci-layout-path"])
        .arg(&theirs)
        .arg("./cmd/app"));

    // `defaultPlatforms: all`: the base's two platforms, in both.
    for arch in ["arm64", "amd64"] {
        layout_image(&ours, Some("app"), arch);
        layout_image(&theirs, None, arch);
    }
    let mine = layout_image(&ours, Some("app"), "amd64");
    let ko = layout_image(&theirs, None, "amd64");
    // The same environment for the program: KO_DATA_PATH and PATH.
    let env_of = |c: &serde_json::Value| -> Vec<String> {
        c["config"]["Env"]
            .as_array()
            .expect("env")
            .iter()
            .map(|e| e.as_str().expect("env").to_string())
            .filter(|e| !e.starts_with("SSL_CERT_FILE="))
            .collect()
    };
    let mut mine_env = env_of(&mine.config);
    // ko adds its binary's folder, /ko-app, to PATH.
    let mut ko_env: Vec<String> = env_of(&ko.config)
        .into_iter()
        .map(|e| e.trim_end_matches(":/ko-app").to_string())
        .collect();
    mine_env.sort();
    ko_env.sort();
    assert_eq!(mine_env, ko_env);
    // The entrypoint is the same program (envelope keeps it in
    // /usr/local/bin, ko in /ko-app: a documented difference).
    assert_eq!(
        mine.config["config"]["Entrypoint"],
        serde_json::json!(["/usr/local/bin/app"])
    );
    assert_eq!(
        ko.config["config"]["Entrypoint"],
        serde_json::json!(["/ko-app/app"])
    );
    // The base is ko's base too.
    let base_digest = base.rsplit('@').next().expect("digest");
    assert_eq!(
        mine.manifest["annotations"]["org.opencontainers.image.base.digest"],
        base_digest
    );

    // kodata/ is what ko puts at /var/run/ko; envelope carries it as a
    // file entry to the same place: the same files in the layers of both.
    let ko_files = files_under(&ko.layers, "var/run/ko/");
    assert_eq!(
        ko_files,
        ["var/run/ko/hello.txt", "var/run/ko/sub/more.txt"]
    );
    assert_eq!(files_under(&mine.layers, "var/run/ko/"), ko_files);
    assert!(
        mine_env.contains(&"KO_DATA_PATH=/var/run/ko".to_string()),
        "{mine_env:?}"
    );
    let explained = json(&ok(envelope_in(&dir, tmp.path()).args([
        "build",
        "./cmd/app",
        "--explain",
        "app",
        "--format",
        "json",
    ])));
    let files = explained["settings"]["files"]["value"]
        .as_str()
        .expect("files");
    assert!(files.ends_with("cmd/app/kodata:/var/run/ko"), "{files}");
    assert_eq!(
        explained["settings"]["ldflags"]["source"],
        ".ko.yaml:10:7 [builds app]"
    );
    assert_eq!(explained["settings"]["go-env.GOAMD64"]["value"], "v1");

    // The same ldflags template gives the same version in both images.
    let short = ok(Command::new("git")
        .current_dir(&dir)
        .args(["rev-parse", "--short", "HEAD"]));
    let version = format!("version={}", short.trim());
    let ran = ok(podman().args(["run", "--rm", &format!("oci:{}:app", ours.display())]));
    assert!(ran.starts_with(&version), "{ran}");
    assert!(ran.contains("data=\"hi\" err=<nil>"), "{ran}");
    let ran_ko = ok(podman().args(["run", "--rm", &format!("oci:{}", theirs.display())]));
    assert!(ran_ko.starts_with(&version), "{ran_ko}");
    assert!(ran_ko.contains("data=\"hi\" err=<nil>"), "{ran_ko}");
}
