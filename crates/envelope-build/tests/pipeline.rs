//! The build pipeline with the real Go toolchain: a program built for two
//! platforms into an index, a library refused, an options error passed
//! through; and what the reporter hears in each case.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use envelope_build::gobuild::GoBuild;
use envelope_build::{
    build_images, BuildError, BuildPlan, Cache, GoTool, ImageOptions, PlatformImage, Reporter,
};
use envelope_oci::{media_types, Platform};

#[derive(Default)]
struct Recorder {
    events: Vec<String>,
}

impl Reporter for Recorder {
    fn go_build_started(&mut self, build: &GoBuild<'_>, env: &[(&'static str, String)]) {
        assert!(
            env.contains(&("GOARCH", build.platform.architecture.clone())),
            "{env:?}"
        );
        self.events
            .push(format!("go build {} ({})", build.shown(), build.platform));
    }

    fn go_build_finished(&mut self, package: &str, platform: &Platform) {
        self.events.push(format!("done {package} ({platform})"));
    }

    fn platform_image_built(&mut self, image: &PlatformImage) {
        self.events.push(format!("image {}", image.platform));
    }
}

fn options(name: &str) -> ImageOptions {
    ImageOptions::new(name, &format!("test build {name}"))
}

/// One test, as it changes the current directory: `go build` runs there,
/// as it does for `envelope build`.
#[test]
fn builds_programs_refuses_libraries_and_passes_option_errors_through() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let go = GoTool::find().expect("the Go toolchain (source scripts/env.sh)");
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(cache_dir.path());
    let platforms: Vec<Platform> = vec![
        "linux/amd64".parse().unwrap(),
        "linux/arm64".parse().unwrap(),
    ];

    std::env::set_current_dir(examples.join("hello")).unwrap();
    let workdir = std::env::current_dir().unwrap();
    let plan = BuildPlan {
        go: &go,
        cache: &cache,
        workdir: &workdir,
        package: ".",
        platforms: &platforms,
        ldflags: None,
        gcflags: None,
        go_env: &[],
        tags: None,
        bases: None,
        name: None,
        prebuilt: None,
    };
    let mut rec = Recorder::default();
    let mut named = Vec::new();
    let built = build_images(
        &plan,
        |name| {
            named.push(name.to_string());
            Ok::<_, BuildError>(options(name))
        },
        &mut rec,
    )
    .unwrap();
    assert_eq!(named, ["hello"], "named after the binary");
    assert_eq!(built.name, "hello");
    assert_eq!(
        rec.events,
        [
            "go build . (linux/amd64)",
            "done . (linux/amd64)",
            "go build . (linux/arm64)",
            "done . (linux/arm64)",
            "image linux/amd64",
            "image linux/arm64",
        ]
    );
    assert_eq!(built.image.root.media_type, media_types::OCI_INDEX);
    assert_eq!(built.platforms.len(), 2);
    for (p, want) in built.platforms.iter().zip(&platforms) {
        assert_eq!(&p.platform, want);
        assert_eq!(p.report.binary.path, "/usr/local/bin/hello");
        let layers: Vec<&str> = p.report.layers.iter().map(|l| l.name).collect();
        assert_eq!(layers, ["base", "app"], "hello needs no CA bundle or zones");
        assert!(p.report.hardening.stripped && p.report.hardening.trimpath);
        assert!(built.image.blobs.contains_key(&p.manifest.digest));
    }

    // A name given is used as it is; the options' error comes back as it
    // was made, and no image is assembled.
    let mut rec = Recorder::default();
    let refused = build_images(
        &BuildPlan {
            name: Some("given"),
            prebuilt: None,
            platforms: &platforms[..1],
            ..plan
        },
        |name| {
            Err(BuildError::Option {
                option: "--name",
                value: name.to_string(),
                detail: "refused by the test".into(),
            })
        },
        &mut rec,
    );
    assert!(
        matches!(&refused, Err(BuildError::Option { value, .. }) if value == "given"),
        "{:?}",
        refused.err()
    );
    assert_eq!(
        rec.events,
        ["go build . (linux/amd64)", "done . (linux/amd64)"]
    );

    std::env::set_current_dir(examples.join("lib")).unwrap();
    let workdir = std::env::current_dir().unwrap();
    let mut rec = Recorder::default();
    let lib = build_images(
        &BuildPlan {
            workdir: &workdir,
            platforms: &platforms[..1],
            ..plan
        },
        |name| Ok::<_, BuildError>(options(name)),
        &mut rec,
    );
    assert!(
        matches!(&lib, Err(BuildError::NotMainPackage { name: Some(n), .. }) if n == "lib"),
        "{:?}",
        lib.err()
    );
    assert_eq!(
        rec.events,
        ["go build . (linux/amd64)", "done . (linux/amd64)"],
        "the build is reported finished even when it fails"
    );
}
