//! Inputs shared by the integration tests.

#![allow(dead_code)]

use envelope_sbom::{Ecosystem, GoBinary, Module, OsPackage, SbomInput, Subject};

pub const IMAGE_DIGEST: &str =
    "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270";
pub const SERVER_SHA: &str = "0f343b0931126a20f133d67c2b018a3b5b6ad14c4b52a6b6e2e2fdc25e2e7a0b";
pub const WORKER_SHA: &str = "9d5ed678fe57bcca610140957afab571a1f9f7a2c6b2f6f1a9e2c3b4d5e6f708";

pub fn module(path: &str, version: &str, sum: Option<&str>) -> Module {
    Module {
        path: path.to_string(),
        version: version.to_string(),
        sum: sum.map(str::to_string),
        replace: None,
    }
}

pub fn replaced(original: Module, replacement: Module) -> Module {
    Module {
        replace: Some(Box::new(replacement)),
        ..original
    }
}

pub fn settings(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn deb(name: &str, version: &str, arch: &str) -> OsPackage {
    OsPackage {
        name: name.to_string(),
        version: version.to_string(),
        arch: Some(arch.to_string()),
        ecosystem: Ecosystem::Deb,
        distro: Some("debian-12".to_string()),
    }
}

pub fn apk(name: &str, version: &str, arch: &str, distro: Option<&str>) -> OsPackage {
    OsPackage {
        name: name.to_string(),
        version: version.to_string(),
        arch: Some(arch.to_string()),
        ecosystem: Ecosystem::Apk,
        distro: distro.map(str::to_string),
    }
}

fn cobra() -> Module {
    module(
        "github.com/spf13/cobra",
        "v1.8.0",
        Some("h1:7aJaZx1B85qltLMc546zn58BxxfZdR/W22ej9CFoEf0="),
    )
}

fn pflag() -> Module {
    module(
        "github.com/spf13/pflag",
        "v1.0.5",
        Some("h1:iy+VFUOCP1a+8yFto/drg2CJ5u0yRoB7fZw3DKv/JXA="),
    )
}

/// An image with two Go binaries of one module (sharing cobra, pflag and
/// the standard library), a version replacement and a local-directory
/// replacement, and Debian packages.
pub fn image() -> SbomInput {
    let server = GoBinary {
        path: "/usr/local/bin/payments".to_string(),
        sha256: Some(SERVER_SHA.to_string()),
        go_version: "go1.23.4".to_string(),
        main: module("github.com/example/payments", "v1.4.2", None),
        deps: vec![
            cobra(),
            pflag(),
            module(
                "google.golang.org/grpc",
                "v1.64.0",
                Some("h1:KH3VH9y/MgNQg1dE7b3XfVK0GsPSIzJwdF617gUSbvY="),
            ),
            replaced(
                module("golang.org/x/net", "v0.25.0", None),
                module(
                    "github.com/example/net-fork",
                    "v0.25.1-0.20240601120000-abcdef012345",
                    Some("h1:Q2Wf0Ld6+vMXFmN0WkN8c8oWkD0mE9p9PmgXQz0Y4Vs="),
                ),
            ),
            replaced(
                module("github.com/example/shared", "v0.3.0", None),
                module("../locallib", "", None),
            ),
        ],
        settings: settings(&[
            ("-buildmode", "exe"),
            ("-compiler", "gc"),
            ("-trimpath", "true"),
            ("-ldflags", "-s -w -X main.version=1.4.2"),
            ("CGO_ENABLED", "0"),
            ("GOARCH", "amd64"),
            ("GOOS", "linux"),
            ("GOAMD64", "v1"),
            ("vcs", "git"),
            ("vcs.revision", "3f6c1e8b2a9d4c7e5f0a1b2c3d4e5f6a7b8c9d0e"),
            ("vcs.time", "2024-05-30T08:15:00Z"),
            ("vcs.modified", "false"),
        ]),
    };
    let worker = GoBinary {
        path: "/usr/local/bin/payments-worker".to_string(),
        sha256: Some(format!("sha256:{WORKER_SHA}")),
        go_version: "go1.23.4".to_string(),
        main: module("github.com/example/payments", "v1.4.2", None),
        deps: vec![
            cobra(),
            pflag(),
            module(
                "github.com/redis/go-redis/v9",
                "v9.5.1",
                Some("h1:H1X4D3yHPaYrkL5X06Wh6xNVM/pX0Ft4RV0vMGvLBh8="),
            ),
        ],
        settings: settings(&[
            ("-buildmode", "exe"),
            ("-compiler", "gc"),
            ("CGO_ENABLED", "0"),
            ("GOARCH", "amd64"),
            ("GOOS", "linux"),
        ]),
    };
    SbomInput {
        subject: Subject {
            name: "registry.example.com/team/payments:1.4.2".to_string(),
            digest: Some(IMAGE_DIGEST.to_string()),
            created: Some("2024-06-01T10:20:30.123456789Z".to_string()),
        },
        binaries: vec![server, worker],
        os_packages: vec![
            deb("base-files", "12.4+deb12u5", "amd64"),
            deb("ca-certificates", "20230311", "all"),
            deb("libc6", "2.36-9+deb12u7", "amd64"),
            deb("netbase", "6.4", "all"),
            deb("tzdata", "2024a-0+deb12u1", "all"),
        ],
        tool_name: "envelope".to_string(),
        tool_version: "0.1.0".to_string(),
    }
}

/// An image with both Debian and Alpine packages and a boringcrypto
/// binary whose stdlib differs from the other binary's.
pub fn mixed_os() -> SbomInput {
    let mut input = image();
    input.binaries[1].go_version = "go1.22.5 X:boringcrypto".to_string();
    input.os_packages.extend([
        apk("musl", "1.2.5-r0", "x86_64", Some("alpine-3.20")),
        apk("busybox", "1.36.1-r29", "x86_64", Some("alpine-3.20")),
        apk("ssl_client", "1.36.1-r29", "x86_64", None),
    ]);
    // Same package twice (e.g. status and status.d): one component.
    input
        .os_packages
        .push(deb("libc6", "2.36-9+deb12u7", "amd64"));
    input.subject.created = Some("2024-06-01T12:20:30+02:00".to_string());
    input
}

/// A single binary as the subject (its digest is the binary's SHA-256),
/// built from a checkout with a development toolchain.
pub fn bare_binary() -> SbomInput {
    SbomInput {
        subject: Subject {
            name: "payments".to_string(),
            digest: Some(format!("sha256:{SERVER_SHA}")),
            created: None,
        },
        binaries: vec![GoBinary {
            path: "payments".to_string(),
            sha256: Some(SERVER_SHA.to_string()),
            go_version: "devel go1.24-2b8b7b8 Tue Jul 2 10:00:00 2024 +0000".to_string(),
            main: module("github.com/example/payments", "(devel)", None),
            deps: vec![
                cobra(),
                pflag(),
                module("example.com/nosum", "v0.1.0", None),
            ],
            settings: settings(&[("GOOS", "linux"), ("vcs.modified", "true")]),
        }],
        os_packages: Vec::new(),
        tool_name: "envelope".to_string(),
        tool_version: "0.1.0".to_string(),
    }
}

/// Nothing at all, not even names.
pub fn empty() -> SbomInput {
    SbomInput {
        subject: Subject {
            name: String::new(),
            digest: None,
            created: None,
        },
        binaries: Vec::new(),
        os_packages: Vec::new(),
        tool_name: String::new(),
        tool_version: String::new(),
    }
}

/// Unicode, spaces, quotes, control characters and PURL-reserved
/// characters in names, paths and values; a non-SHA-256 subject digest; a
/// binary without a main module.
pub fn odd() -> SbomInput {
    SbomInput {
        subject: Subject {
            name: "oci:/tmp/образ \"test\"/layout:tag✓".to_string(),
            digest: Some("sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e".to_string()),
            created: Some("not a timestamp".to_string()),
        },
        binaries: vec![
            GoBinary {
                path: "/opt/приложение/my app (1)/bin\\x\"q\u{1}".to_string(),
                sha256: Some("not-a-digest".to_string()),
                go_version: "go1.21.13".to_string(),
                main: module("example.com/ünïcode/app", "v0.0.0-20240101000000-abcdef012345", None),
                deps: vec![
                    module("github.com/a/b", "v2.0.0+incompatible", Some("h1:abc=")),
                    module("example.com/we@ird/mod~x", "v1.0.0", Some("")),
                    module("example.com/noversion", "", None),
                    replaced(
                        module("example.com/dir", "", None),
                        module("C:\\src\\dir with space", "", None),
                    ),
                ],
                settings: settings(&[
                    ("-ldflags", "-X 'main.msg=hello\nworld' -X main.q=\"x\""),
                    ("-tags", "netgo,osusergo"),
                    ("DefaultGODEBUG", "httplaxcontentlength=1,x509usefallbackroots=1"),
                ]),
            },
            GoBinary {
                path: "/usr/bin/gopath-tool".to_string(),
                sha256: None,
                go_version: String::new(),
                main: module("", "", None),
                deps: Vec::new(),
                settings: Vec::new(),
            },
        ],
        os_packages: vec![
            OsPackage {
                name: "lib+plus".to_string(),
                version: "1:2.0~rc1+dfsg-3".to_string(),
                arch: None,
                ecosystem: Ecosystem::Deb,
                distro: None,
            },
            apk("ünï", "1.0-r0", "aarch64", Some("wolfi-20230201")),
        ],
        tool_name: "envelope ✓".to_string(),
        tool_version: "0.1.0-dev+abc".to_string(),
    }
}

/// Every input above, by name.
pub fn all() -> Vec<(&'static str, SbomInput)> {
    vec![
        ("image", image()),
        ("mixed_os", mixed_os()),
        ("bare_binary", bare_binary()),
        ("empty", empty()),
        ("odd", odd()),
    ]
}

pub fn spdx(input: &SbomInput) -> serde_json::Value {
    serde_json::from_slice(&envelope_sbom::spdx_json(input).expect("spdx")).expect("spdx json")
}

pub fn cdx(input: &SbomInput) -> serde_json::Value {
    serde_json::from_slice(&envelope_sbom::cyclonedx_json(input).expect("cdx")).expect("cdx json")
}
