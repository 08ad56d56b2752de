//! Every image (audit) rule has a fixture pair: an image that must give at
//! least one finding of that rule and nothing else when only that rule is
//! selected, and one that must give none. The images are built here from
//! real components, the way `envelope audit` sees an image: layers written
//! by envelope-layer's `LayerBuilder` (or, for hostile entries, envelope-oci's
//! tar header writer), indexed by the streaming reader with the audit's
//! `Collector`, and an image config. The binary (GB) rules and IM010 run on
//! Go programs built by the real Go toolchain, so they need the
//! `external-tools` feature; the rest run in the fast loop.
//!
//! Each rule is a test of its own, named after its code; a registered rule
//! without a pair fails `every_registered_image_rule_has_a_fixture_pair`.
//!
//! Each no-hit image is the clean one below (or a near miss: /tmp writable
//! by everyone, a digest reference), so one image passes every rule.

use std::sync::Arc;

use envelope_layer::fs::{index_layers, LayerInput, Limits};
use envelope_layer::{FileData, LayerBuilder};
use envelope_lint::audit::{audit, Collector, ImageFacts};
use envelope_lint::{image_rules, Settings};
use serde_json::json;

/// What an image holds, before it is written into layers.
#[derive(Clone)]
struct Image {
    /// (path, contents, mode) in the first layer.
    files: Vec<(&'static str, Vec<u8>, u32)>,
    /// (path, mode, uid) in the first layer.
    dirs: Vec<(&'static str, u32, u32)>,
    /// (path, target) in the first layer.
    symlinks: Vec<(&'static str, &'static str)>,
    /// A second layer given as tar bytes, for entries no builder writes.
    raw_layer: Option<Vec<u8>>,
    /// The image config's `config` object.
    runtime: serde_json::Value,
    history: Vec<&'static str>,
    mutable_tag: Option<String>,
}

const PASSWD: &str = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n";
const CA_BUNDLE: &str =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZmlrc3R1cmU=\n-----END CERTIFICATE-----\n";

/// An image that passes every rule: a non-root user, a health check, the
/// OCI labels, the account files, a CA bundle, zoneinfo, and /tmp.
fn clean() -> Image {
    Image {
        files: vec![
            ("etc/passwd", PASSWD.as_bytes().to_vec(), 0o644),
            (
                "etc/group",
                b"root:x:0:\nnonroot:x:65532:\n".to_vec(),
                0o644,
            ),
            (
                "etc/ssl/certs/ca-certificates.crt",
                CA_BUNDLE.as_bytes().to_vec(),
                0o644,
            ),
            (
                "usr/share/zoneinfo/UTC",
                b"TZif2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0UTC0\n".to_vec(),
                0o644,
            ),
        ],
        dirs: vec![("tmp", 0o1777, 0), ("home/nonroot", 0o700, 65532)],
        symlinks: vec![],
        raw_layer: None,
        runtime: json!({
            "User": "65532:65532",
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"],
            "Entrypoint": ["/app"],
            "Labels": {
                "org.opencontainers.image.source": "https://example.com/app",
                "org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567",
                "org.opencontainers.image.version": "1.2.3",
            },
            "Healthcheck": {"Test": ["CMD", "/app", "-health"]},
        }),
        history: vec!["COPY /app /app # buildkit"],
        mutable_tag: None,
    }
}

impl Image {
    fn file(mut self, path: &'static str, data: impl Into<Vec<u8>>, mode: u32) -> Image {
        self.files.retain(|(p, _, _)| *p != path);
        self.files.push((path, data.into(), mode));
        self
    }

    fn runtime(mut self, key: &str, value: serde_json::Value) -> Image {
        self.runtime[key] = value;
        self
    }

    /// The image indexed as `envelope audit` indexes one.
    fn facts(self) -> ImageFacts {
        let mut b = LayerBuilder::new(0);
        for (path, mode, uid) in &self.dirs {
            b.dir(path, *mode, *uid, *uid).expect("dir");
        }
        for (path, data, mode) in &self.files {
            b.file(path, FileData::Bytes(Arc::new(data.clone())), *mode, 0, 0)
                .expect("file");
        }
        for (path, target) in &self.symlinks {
            b.symlink(path, target, 0, 0).expect("symlink");
        }
        let mut tar = Vec::new();
        b.write_tar(&mut tar).expect("tar");
        let mut layers = vec![LayerInput::new(std::io::Cursor::new(tar), None)];
        if let Some(raw) = self.raw_layer {
            layers.push(LayerInput::new(std::io::Cursor::new(raw), None));
        }
        let mut collector = Collector::new();
        let fs = index_layers(layers, &mut collector, &Limits::default()).expect("index");
        collector.keep_final(&fs);
        let history: Vec<serde_json::Value> = self
            .history
            .iter()
            .map(|h| json!({"created_by": h}))
            .collect();
        ImageFacts {
            reference: "fixture".to_string(),
            is_image: true,
            mutable_tag: self.mutable_tag,
            config: json!({"architecture": "amd64", "os": "linux", "config": self.runtime, "history": history}),
            fs,
            files: collector.files,
            secret_files: collector.secret_files,
            binaries: collector.binaries,
        }
    }
}

/// What went wrong with `code`'s pair, one line each.
fn check_pair(code: &str, hits: fn() -> ImageFacts, no_hits: fn() -> ImageFacts) -> Vec<String> {
    let settings = Settings {
        select: Some(vec![code.to_string()]),
        ..Settings::default()
    };
    let mut failures = Vec::new();
    let found = audit(&hits(), &settings);
    if found.is_empty() {
        failures.push(format!("{code}: the hits image gave no finding"));
    }
    for d in &found {
        if d.code != code {
            failures.push(format!("{code}: hits gave {} ({})", d.code, d.message));
        }
    }
    for d in audit(&no_hits(), &settings) {
        failures.push(format!("{code}: no-hits gave {} ({})", d.code, d.message));
    }
    failures
}

/// One test per image rule, named after its code, from its pair of image
/// builders; `PAIRS` lists them all for the completeness check.
macro_rules! image_rule_tests {
    ($($(#[$attr:meta])* $name:ident: $code:literal => $hits:expr, $no_hits:expr;)*) => {
        $(
            $(#[$attr])*
            #[test]
            fn $name() {
                let failures = check_pair($code, $hits, $no_hits);
                assert!(failures.is_empty(), "{}", failures.join("\n"));
            }
        )*
        type Build = fn() -> ImageFacts;
        const PAIRS: &[(&str, Build, Build)] = &[$(($code, $hits, $no_hits)),*];
    };
}

image_rule_tests! {
    #[cfg(feature = "external-tools")]
    gb001: "GB001" => || go::image("cgo"), || go::image("release");
    #[cfg(feature = "external-tools")]
    gb002: "GB002" => || go::image("plain"), || go::image("release");
    #[cfg(feature = "external-tools")]
    gb003: "GB003" => || go::image("plain"), || go::image("release");
    #[cfg(feature = "external-tools")]
    gb004: "GB004" => || go::image("cgo"), || go::image("release");
    #[cfg(feature = "external-tools")]
    gb005: "GB005" => || go::image("old"), || go::image("release");
    #[cfg(feature = "external-tools")]
    gb006: "GB006" => || go::image("debug"), || go::image("release");
    #[cfg(feature = "external-tools")]
    gb007: "GB007" => || go::image("modified"), || go::image("release");
    im001: "IM001" => || clean().runtime("User", json!("")).facts(), || clean().facts();
    im002: "IM002" => || clean().file("bin/sh", vec![0x90; 4096], 0o755).facts(),
        || clean().facts();
    im003: "IM003" => || {
        clean()
            .file("usr/bin/apt-get", vec![0u8; 2048], 0o755)
            .file("var/lib/dpkg/status", b"Package: apt\nStatus: install ok installed\n".to_vec(), 0o644)
            .facts()
    }, || clean().facts();
    im004: "IM004" => || clean().file("usr/bin/helper", vec![1u8; 100], 0o4755).facts(),
        || clean().file("usr/bin/helper", vec![1u8; 100], 0o755).facts();
    im005: "IM005" => || clean().file("etc/app.conf", b"listen = :8080\n".to_vec(), 0o666).facts(),
        || clean().file("tmp/app.conf", b"listen = :8080\n".to_vec(), 0o666).facts();
    im006: "IM006" => || {
        clean()
            .runtime("Env", json!(["GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ0123456789"]))
            .facts()
    }, || clean().runtime("Env", json!(["GITHUB_TOKEN_FILE=/run/secrets/token"])).facts();
    im007: "IM007" => || clean().file("src/main.go", b"package main\n\nfunc main() {}\n".to_vec(), 0o644).facts(),
        || clean().facts();
    im008: "IM008" => || clean().file("var/cache/apk/APKINDEX.tar.gz", vec![9u8; 4096], 0o644).facts(),
        || clean().facts();
    im009: "IM009" => || {
        let passwd = format!("{PASSWD}toor:x:0:0:root:/root:/bin/sh\n");
        clean().file("etc/passwd", passwd, 0o644).facts()
    }, || clean().facts();
    #[cfg(feature = "external-tools")]
    im010: "IM010" => || {
        let mut img = go::with_binary(go::binary("release"));
        img.files.retain(|(p, _, _)| !p.starts_with("etc/ssl") && !p.starts_with("usr/share/zoneinfo"));
        img.facts()
    }, || go::image("release");
    im011: "IM011" => || {
        let mut img = clean();
        img.mutable_tag = Some("registry.example/app:latest".to_string());
        img.facts()
    }, || clean().facts();
    im012: "IM012" => || clean().runtime("Healthcheck", json!(null)).facts(), || clean().facts();
    im013: "IM013" => || {
        clean()
            .runtime("Labels", json!({"org.opencontainers.image.source": "https://example.com/app"}))
            .facts()
    }, || clean().facts();
    im014: "IM014" => || {
        let mut img = clean();
        img.raw_layer = Some(escaping_layer());
        img.facts()
    }, || clean().facts();
}

/// A layer holding a hard link to `../../etc/shadow`, outside the root,
/// written with the header writer of every tar envelope writes (which,
/// unlike `LayerBuilder`, does not refuse it).
fn escaping_layer() -> Vec<u8> {
    use envelope_oci::tar::{write_end, write_header, EntryType, Header};
    let mut tar = Vec::new();
    let link = Header {
        path: "app/shadow",
        entry: EntryType::Hardlink {
            target: "../../etc/shadow",
        },
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: 0,
    };
    write_header(&mut tar, &link).expect("header");
    write_end(&mut tar).expect("end");
    tar
}

#[test]
fn every_registered_image_rule_has_a_fixture_pair() {
    let registered: Vec<&str> = image_rules().iter().map(|r| r.info().code).collect();
    let paired: Vec<&str> = PAIRS.iter().map(|(code, _, _)| *code).collect();
    assert_eq!(
        paired, registered,
        "image_rule_tests! must give a hits and a no-hits image for every registered image rule, in code order"
    );
}

#[test]
fn the_clean_image_passes_every_rule_that_needs_no_go_binary() {
    let facts = clean().facts();
    let found: Vec<String> = audit(&facts, &Settings::default())
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(found.is_empty(), "{found:#?}");
}

#[cfg(feature = "external-tools")]
#[test]
fn the_clean_image_with_a_release_build_passes_every_rule() {
    let found: Vec<String> = audit(&go::image("release"), &Settings::default())
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(found.is_empty(), "{found:#?}");
}

/// Go programs built by the real toolchain (on PATH), once per test run.
mod go {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::OnceLock;

    use super::{clean, Image};
    use envelope_lint::audit::ImageFacts;

    /// Loads the system roots (net/http to an https URL) and a time zone,
    /// so the image needs a CA bundle and zoneinfo (IM010).
    const MAIN: &str = r#"package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if resp, err := http.Get("https://example.com/"); err == nil {
		resp.Body.Close()
	}
	fmt.Println(time.Now().In(loc))
}
"#;

    fn run(cmd: &mut Command) -> String {
        let out = cmd.output().unwrap_or_else(|e| {
            panic!("{cmd:?}: {e}; Go 1.26 (on PATH) and 1.23, git and gcc are required for these tests: run `bash .ci/install.sh`")
        });
        assert!(
            out.status.success(),
            "{cmd:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// An out-of-support release, where `.ci/install.sh` puts it.
    const OLD_GO: &str = "/usr/lib/go-1.23/bin/go";

    fn go(dir: &Path, go: &str) -> Command {
        let mut cmd = Command::new(go);
        cmd.current_dir(dir)
            .env(
                "GOCACHE",
                std::env::temp_dir().join("envelope-test-gocache"),
            )
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .env("GOFLAGS", "-mod=mod")
            .env("GOWORK", "off")
            .env("CGO_ENABLED", "0");
        cmd
    }

    fn git(dir: &Path, args: &[&str]) {
        run(Command::new("git")
            .current_dir(dir)
            .args([
                "-c",
                "user.name=fixture",
                "-c",
                "user.email=fixture@example.com",
            ])
            .args(args));
    }

    fn build(dir: &Path, go: &str, name: &str, env: &[(&str, &str)], flags: &[&str]) -> Vec<u8> {
        let out: PathBuf = dir.join("out").join(name);
        let mut cmd = self::go(dir, go);
        cmd.arg("build").args(flags).arg("-o").arg(&out).arg(".");
        for (k, v) in env {
            cmd.env(k, v);
        }
        run(&mut cmd);
        std::fs::read(&out).expect("built binary")
    }

    fn builds() -> &'static BTreeMap<&'static str, Vec<u8>> {
        static BUILDS: OnceLock<BTreeMap<&str, Vec<u8>>> = OnceLock::new();
        BUILDS.get_or_init(|| {
            let dir = std::env::temp_dir()
                .join(format!("envelope-lint-image-rules-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("mkdir");
            std::fs::write(
                dir.join("go.mod"),
                "module example.com/fixture\n\ngo 1.21\n",
            )
            .expect("go.mod");
            std::fs::write(dir.join("main.go"), MAIN).expect("main.go");
            std::fs::write(dir.join(".gitignore"), "out/\n").expect(".gitignore");
            // A committed tree: the builds record vcs.modified=false.
            git(&dir, &["init", "-q"]);
            git(&dir, &["add", "."]);
            git(&dir, &["commit", "-q", "-m", "fixture"]);
            let release = ["-trimpath", "-ldflags=-s -w"];
            let debug = ["-trimpath", "-ldflags=-s -w", "-gcflags=all=-N -l"];
            let mut builds = BTreeMap::new();
            for (name, go, env, flags) in [
                ("release", "go", &[][..], &release[..]),
                ("plain", "go", &[], &[]),
                ("cgo", "go", &[("CGO_ENABLED", "1")], &release),
                ("debug", "go", &[], &debug),
                ("old", OLD_GO, &[], &release),
            ] {
                builds.insert(name, build(&dir, go, name, env, flags));
            }
            std::fs::write(dir.join("main.go"), format!("{MAIN}\n// changed\n")).expect("edit");
            builds.insert("modified", build(&dir, "go", "modified", &[], &release));
            let _ = std::fs::remove_dir_all(&dir);
            builds
        })
    }

    /// One of the builds: `release` (`-trimpath`, stripped, static, from a
    /// committed tree), `plain` (no flags), `cgo`, `debug` (`-N -l`),
    /// `modified` (an uncommitted change) and `old` (the release build by
    /// Go 1.23, out of support since 1.25).
    pub fn binary(name: &str) -> Vec<u8> {
        builds()
            .get(name)
            .unwrap_or_else(|| panic!("no build named {name}"))
            .clone()
    }

    /// The clean image with `binary` as /app.
    pub fn with_binary(binary: Vec<u8>) -> Image {
        clean().file("app", binary, 0o755)
    }

    /// The clean image with the build `name` as /app.
    pub fn image(name: &str) -> ImageFacts {
        with_binary(binary(name)).facts()
    }
}
