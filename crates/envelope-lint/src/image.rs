//! Image references in FROM lines, and what kind of base an image is.

use envelope_oci::ReferenceParts;

/// A FROM line's view of an image reference `[registry/]repository[:tag][@digest]`,
/// split as envelope-oci splits every reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageName {
    /// The registry host, `docker.io` when none is written.
    pub registry: String,
    /// The repository as written (without registry), e.g. `library/golang` → `golang`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageName {
    /// Never fails: FROM lines may hold `${VAR}`, so nothing is checked.
    pub fn parse(reference: &str) -> ImageName {
        let parts = ReferenceParts::split(reference);
        ImageName {
            registry: parts.host.unwrap_or("docker.io").to_string(),
            repository: parts
                .path
                .strip_prefix("library/")
                .unwrap_or(parts.path)
                .to_string(),
            tag: parts.tag.map(str::to_string),
            digest: parts.digest.map(str::to_string),
        }
    }

    /// The last path component of the repository (`gcr.io/distroless/static` → `static`).
    pub fn short_name(&self) -> &str {
        self.repository
            .rsplit('/')
            .next()
            .unwrap_or(&self.repository)
    }

    /// `registry/repository` with Docker Hub written as it usually is.
    pub fn full_name(&self) -> String {
        if self.registry == "docker.io" {
            self.repository.clone()
        } else {
            format!("{}/{}", self.registry, self.repository)
        }
    }
}

/// What an external base image provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseKind {
    /// `scratch`: nothing at all.
    Scratch,
    /// No libc and no shell (distroless static, chainguard static).
    Static,
    /// A libc but no shell (distroless base/cc, chainguard glibc-dynamic).
    LibcNoShell,
    /// A Go toolchain image (`golang:*`).
    Toolchain,
    /// A full OS with a shell and package manager (debian, ubuntu, alpine...).
    FullOs,
    /// Anything else: assume a shell may be there.
    Unknown,
}

impl BaseKind {
    /// Is there a `/bin/sh` in this base?
    pub fn has_shell(self) -> bool {
        !matches!(
            self,
            BaseKind::Scratch | BaseKind::Static | BaseKind::LibcNoShell
        )
    }

    /// Is there a C library (so a cgo binary could run)?
    pub fn has_libc(self) -> bool {
        !matches!(self, BaseKind::Scratch | BaseKind::Static)
    }

    pub fn classify(image: &str) -> BaseKind {
        if image.eq_ignore_ascii_case("scratch") {
            return BaseKind::Scratch;
        }
        let name = ImageName::parse(&image.to_ascii_lowercase());
        let repo = name.repository.as_str();
        let tag = name.tag.as_deref().unwrap_or("");
        let debug = tag.contains("debug");
        if name.registry == "gcr.io" && repo.starts_with("distroless/") {
            let flavor = repo.trim_start_matches("distroless/");
            if debug {
                return BaseKind::FullOs;
            }
            return if flavor.starts_with("static") {
                BaseKind::Static
            } else {
                BaseKind::LibcNoShell
            };
        }
        if name.registry == "cgr.dev" {
            let short = name.short_name();
            if short == "go" {
                return BaseKind::Toolchain;
            }
            if tag.contains("dev") {
                return BaseKind::FullOs;
            }
            return match short {
                "static" => BaseKind::Static,
                "glibc-dynamic" | "cc-dynamic" => BaseKind::LibcNoShell,
                "go" => BaseKind::Toolchain,
                _ => BaseKind::Unknown,
            };
        }
        let short = name.short_name();
        if short == "golang" || repo == "golang" {
            return BaseKind::Toolchain;
        }
        const FULL: [&str; 16] = [
            "debian",
            "ubuntu",
            "alpine",
            "busybox",
            "centos",
            "fedora",
            "rockylinux",
            "almalinux",
            "amazonlinux",
            "ubi",
            "ubi-minimal",
            "ubi8",
            "ubi9",
            "buildpack-deps",
            "archlinux",
            "opensuse",
        ];
        if FULL.contains(&short) || (name.registry == "docker.io" && FULL.contains(&repo)) {
            return BaseKind::FullOs;
        }
        BaseKind::Unknown
    }
}

/// Does the image run as a non-root user when no USER says otherwise?
/// Distroless `:nonroot` tags (`nonroot`, `debug-nonroot`, `latest-nonroot`)
/// and Chainguard images except the `-dev` variants and `wolfi-base` do.
/// Anything else is taken to run as root, as most images do.
pub fn defaults_to_nonroot(image: &str) -> bool {
    let name = ImageName::parse(&image.to_ascii_lowercase());
    let tag = name.tag.as_deref().unwrap_or("");
    if name.registry == "gcr.io" && name.repository.starts_with("distroless/") {
        return tag.contains("nonroot");
    }
    if name.registry == "cgr.dev" {
        return !tag.contains("dev") && name.short_name() != "wolfi-base";
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let n = ImageName::parse("golang:1.23-alpine@sha256:abc");
        assert_eq!(n.registry, "docker.io");
        assert_eq!(n.repository, "golang");
        assert_eq!(n.tag.as_deref(), Some("1.23-alpine"));
        assert_eq!(n.digest.as_deref(), Some("sha256:abc"));
        let n = ImageName::parse("localhost:5000/team/app");
        assert_eq!(n.registry, "localhost:5000");
        assert_eq!(n.tag, None);
        assert_eq!(
            ImageName::parse("docker.io/library/alpine:3").repository,
            "alpine"
        );
    }

    /// The same split as envelope-oci's strict readers: `RegistryRef`
    /// agrees on registry, repository (but for `library/`), tag and digest.
    #[test]
    fn agrees_with_registry_ref() {
        let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        for (s, registry, repository, tag, digest) in [
            ("alpine".to_string(), "docker.io", "alpine", None, None),
            (
                "library/alpine:3".into(),
                "docker.io",
                "alpine",
                Some("3"),
                None,
            ),
            (
                format!("localhost:5000/a/b:v1@{d}"),
                "localhost:5000",
                "a/b",
                Some("v1"),
                Some(d),
            ),
            ("[::1]:5000/x".into(), "[::1]:5000", "x", None, None),
            (format!("ghcr.io/o/r@{d}"), "ghcr.io", "o/r", None, Some(d)),
            (
                "registry.example.com:443/team/app".into(),
                "registry.example.com:443",
                "team/app",
                None,
                None,
            ),
        ] {
            let n = ImageName::parse(&s);
            assert_eq!(
                (
                    n.registry.as_str(),
                    n.repository.as_str(),
                    n.tag.as_deref(),
                    n.digest.as_deref()
                ),
                (registry, repository, tag, digest),
                "{s}"
            );
            let r: envelope_oci::RegistryRef = s.parse().expect(&s);
            assert_eq!(r.registry, n.registry, "{s}");
            let hub = format!("library/{}", n.repository);
            let want = if r.registry == "docker.io" {
                &hub
            } else {
                &n.repository
            };
            assert_eq!(&r.repository, want, "{s}");
            assert_eq!(r.tag, n.tag, "{s}");
            assert_eq!(r.digest.map(|d| d.to_string()), n.digest, "{s}");
        }
        // Where the strict readers refuse, this one still splits.
        let n = ImageName::parse("${REGISTRY:-ghcr.io}/app:${TAG}@${DIGEST}");
        assert_eq!(
            (
                n.registry.as_str(),
                n.repository.as_str(),
                n.tag.as_deref(),
                n.digest.as_deref()
            ),
            (
                "${REGISTRY:-ghcr.io}",
                "app",
                Some("${TAG}"),
                Some("${DIGEST}")
            )
        );
    }

    #[test]
    fn kinds() {
        assert_eq!(BaseKind::classify("scratch"), BaseKind::Scratch);
        assert_eq!(
            BaseKind::classify("gcr.io/distroless/static-debian12:nonroot"),
            BaseKind::Static
        );
        assert_eq!(
            BaseKind::classify("gcr.io/distroless/base-debian12"),
            BaseKind::LibcNoShell
        );
        assert_eq!(
            BaseKind::classify("gcr.io/distroless/static:debug"),
            BaseKind::FullOs
        );
        assert_eq!(BaseKind::classify("golang:1.23"), BaseKind::Toolchain);
        assert_eq!(
            BaseKind::classify("cgr.dev/chainguard/go:latest-dev"),
            BaseKind::Toolchain
        );
        assert_eq!(
            BaseKind::classify("mirror.gcr.io/library/golang:1.23"),
            BaseKind::Toolchain
        );
        assert_eq!(
            BaseKind::classify("docker.io/library/debian:bookworm-slim"),
            BaseKind::FullOs
        );
        assert_eq!(
            BaseKind::classify("ghcr.io/acme/runtime"),
            BaseKind::Unknown
        );
    }

    #[test]
    fn nonroot_defaults() {
        assert!(defaults_to_nonroot(
            "gcr.io/distroless/static-debian12:nonroot"
        ));
        assert!(defaults_to_nonroot(
            "gcr.io/distroless/base:debug-nonroot@sha256:ab"
        ));
        assert!(!defaults_to_nonroot("gcr.io/distroless/static-debian12"));
        assert!(defaults_to_nonroot("cgr.dev/chainguard/static:latest"));
        assert!(!defaults_to_nonroot("cgr.dev/chainguard/go:latest-dev"));
        assert!(!defaults_to_nonroot("cgr.dev/chainguard/wolfi-base"));
        assert!(!defaults_to_nonroot("alpine:3.20"));
        assert!(!defaults_to_nonroot("docker.io/nonroot/app:nonroot"));
    }
}
