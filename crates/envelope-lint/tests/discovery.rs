//! Which file names a directory walk lints, and which directories it skips:
//! names as real projects spell them.

use envelope_lint::{is_dockerfile_name, is_skipped_dir};

#[test]
fn dockerfile_names_real_projects_use_are_found() {
    for name in [
        "Dockerfile",
        "dockerfile",
        "DOCKERFILE",
        "Containerfile",
        "Dockerfile.alpine",
        "Dockerfile.goreleaser_releaser",
        "Dockerfile.dev",
        "Dockerfile-alpine",
        "Dockerfile-goreleaser",
        "build.Dockerfile",
        "api.dockerfile",
        "ubi.Containerfile",
        "Containerfile.rhel",
        "Containerfile-dev",
        "Dockerfile.prod.arm64",
    ] {
        assert!(is_dockerfile_name(name), "{name} is a Dockerfile");
    }
}

#[test]
fn files_named_after_a_dockerfile_that_are_not_one_are_skipped() {
    for name in [
        "Dockerfile.dockerignore",
        "api.Dockerfile.dockerignore",
        "Containerfile.containerignore",
        ".dockerignore",
        "Dockerfile.md",
        "Dockerfile-README.md",
        "Dockerfile-README",
        "Dockerfile.txt",
        "Dockerfile.sh",
        "Dockerfile-build.sh",
        "Dockerfile.tmpl",
        "Dockerfile.in",
        "Dockerfile.template",
        "Dockerfile.j2",
        "Dockerfile.yaml",
        "Dockerfile.bak",
        "Dockerfile.orig",
        "Dockerfile.dev~",
        "Dockerfile~",
        "Dockerfile.",
        "Dockerfile-",
        ".Dockerfile",
        "Dockerfiles",
        "Dockerfile_old",
        "docker-compose.yml",
        "Makefile",
    ] {
        assert!(!is_dockerfile_name(name), "{name} is not a Dockerfile");
    }
}

#[test]
fn vendored_code_and_test_data_are_not_walked() {
    for dir in [".git", "vendor", "node_modules", "testdata"] {
        assert!(is_skipped_dir(dir), "{dir}");
    }
    for dir in [
        "docker", "build", "deploy", "cmd", "internal", "test", "tests",
    ] {
        assert!(!is_skipped_dir(dir), "{dir}");
    }
}
