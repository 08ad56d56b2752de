//! Image references. Registry references `[HOST[:PORT]/]PATH[:TAG][@DIGEST]`
//! are split in one place, [`ReferenceParts::split`], which never fails;
//! [`RegistryRef`] (Docker Hub's defaults: `alpine` is
//! `docker.io/library/alpine:latest`) and [`normalize_docker_reference`] check
//! the parts it returns, and lenient readers (FROM lines with `${VAR}` in
//! them) take them as they are. Around those, skopeo's transport syntax:
//! `oci:DIR[:TAG]`, `docker-archive:FILE[:REPO[:TAG]]`,
//! `oci-archive:FILE[:TAG]`, `docker://REF`, and a bare `REF`, which names a
//! registry image.

use std::fmt;
use std::net::Ipv6Addr;
use std::path::PathBuf;
use std::str::FromStr;

use crate::{Digest, Error};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    Oci {
        dir: PathBuf,
        tag: Option<String>,
    },
    DockerArchive {
        file: PathBuf,
        reference: Option<String>,
    },
    OciArchive {
        file: PathBuf,
        tag: Option<String>,
    },
    Docker {
        reference: String,
    },
}

/// skopeo transports envelope does not read or write.
const OTHER_TRANSPORTS: &[&str] = &[
    "dir",
    "docker-daemon",
    "containers-storage",
    "tarball",
    "sif",
    "ostree",
];
const KNOWN: &str = "oci:, docker-archive:, oci-archive:, docker://";

/// A tag: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

fn valid_component(c: &str) -> bool {
    // [a-z0-9]+ separated by '.', '_', '__' or '-'s.
    !c.is_empty()
        && c.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
        && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && c.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
}

/// `NAME[:PORT]` or `[IPV6][:PORT]`; a name of letters, digits, '.' and '-'.
fn valid_host(h: &str) -> bool {
    let (name_ok, port) = if let Some(rest) = h.strip_prefix('[') {
        let Some((ip, after)) = rest.split_once(']') else {
            return false;
        };
        let port = match after {
            "" => None,
            a => match a.strip_prefix(':') {
                Some(p) => Some(p),
                None => return false,
            },
        };
        (ip.parse::<Ipv6Addr>().is_ok(), port)
    } else {
        let (name, port) = h.split_once(':').map_or((h, None), |(n, p)| (n, Some(p)));
        let ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        (ok, port)
    };
    name_ok
        && port.is_none_or(|p| p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok())
}

/// The parts of `[HOST[:PORT]/]PATH[:TAG][@DIGEST]` as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferenceParts<'a> {
    /// The first path component when it looks like a host: it has a '.' or
    /// a ':', or is `localhost`, and something follows it.
    pub host: Option<&'a str>,
    pub path: &'a str,
    pub tag: Option<&'a str>,
    /// What follows the first '@', not parsed.
    pub digest: Option<&'a str>,
}

impl<'a> ReferenceParts<'a> {
    /// Splits without checking anything, so that it serves references with
    /// `${VAR}` in them too; [`ReferenceParts::check`] is the strict half.
    pub fn split(reference: &'a str) -> ReferenceParts<'a> {
        let (rest, digest) = match reference.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (reference, None),
        };
        // The tag follows the last ':' of the last component; an earlier
        // ':' belongs to the host's port.
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i + 1..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
            _ => (rest, None),
        };
        let (host, path) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first), path)
            }
            _ => (None, name),
        };
        ReferenceParts {
            host,
            path,
            tag,
            digest,
        }
    }

    /// Checks the host, the path and the tag (the digest is the caller's to
    /// parse); the error says which part is wrong and how to write it.
    pub fn check(&self) -> Result<(), String> {
        if let Some(h) = self.host {
            if !valid_host(h) {
                return Err(format!("bad registry host {h:?}"));
            }
        }
        if !self.path.split('/').all(valid_component) {
            return Err(format!(
                "bad repository name {:?}: use lower-case letters, digits and . _ - separated by /",
                self.path
            ));
        }
        match self.tag {
            Some(t) if !valid_tag(t) => Err(format!(
                "bad tag {t:?}: use letters, digits, '.', '_' and '-' (at most 128)"
            )),
            _ => Ok(()),
        }
    }
}

/// A docker reference `[HOST[:PORT]/]PATH[:TAG]`, returned with `:latest`
/// added when it has no tag.
pub fn normalize_docker_reference(r: &str) -> Result<String, String> {
    let parts = ReferenceParts::split(r);
    if parts.digest.is_some() {
        return Err("a digest cannot name an image in an archive; use REPO:TAG".into());
    }
    parts.check()?;
    Ok(match parts.tag {
        Some(_) => r.to_string(),
        None => format!("{r}:latest"),
    })
}

/// `PATH[:TAG]`: a tag only when what follows the last ':' is one.
fn split_path_tag(s: &str) -> (&str, Option<&str>) {
    match s.rfind(':') {
        Some(i) if valid_tag(&s[i + 1..]) && i > 0 => (&s[..i], Some(&s[i + 1..])),
        _ => (s, None),
    }
}

impl FromStr for ImageRef {
    type Err = Error;

    fn from_str(s: &str) -> Result<ImageRef, Error> {
        let err = |detail: String| Error::InvalidReference {
            value: s.to_string(),
            detail,
        };
        if let Some(rest) = s.strip_prefix("docker://") {
            if rest.is_empty() {
                return Err(err(
                    "docker:// needs an image name, e.g. docker://registry.example.com/app:v1"
                        .into(),
                ));
            }
            return Ok(ImageRef::Docker {
                reference: rest.to_string(),
            });
        }
        let Some((transport, rest)) = s.split_once(':') else {
            return bare(s).map_err(err);
        };
        match transport {
            "oci" | "oci-archive" => {
                let (path, tag) = split_path_tag(rest);
                if path.is_empty() {
                    return Err(err(format!(
                        "{transport}: needs a path, e.g. {transport}:out"
                    )));
                }
                let (path, tag) = (PathBuf::from(path), tag.map(str::to_string));
                Ok(if transport == "oci" {
                    ImageRef::Oci { dir: path, tag }
                } else {
                    ImageRef::OciArchive { file: path, tag }
                })
            }
            "docker-archive" => {
                let (file, reference) = match rest.split_once(':') {
                    Some((f, r)) => (f, Some(normalize_docker_reference(r).map_err(err)?)),
                    None => (rest, None),
                };
                if file.is_empty() {
                    return Err(err(
                        "docker-archive: needs a file, e.g. docker-archive:image.tar".into(),
                    ));
                }
                Ok(ImageRef::DockerArchive {
                    file: PathBuf::from(file),
                    reference,
                })
            }
            t if OTHER_TRANSPORTS.contains(&t) => Err(err(format!(
                "the {t}: transport is not supported; use one of {KNOWN}"
            ))),
            // `oic:out`, `docker-achive:x.tar`: a misspelt transport, not an
            // image `oic` tagged `out` (`busybox:latest` is an image).
            t if looks_like_transport(t) && !rest.contains('/') => Err(err(format!(
                "unknown transport {t:?}; use one of {KNOWN}, or a registry reference"
            ))),
            _ => bare(s).map_err(err),
        }
    }
}

/// A word close to a transport name: one of them with a letter changed,
/// added, dropped or two swapped, or anything with `archive` in it.
fn looks_like_transport(t: &str) -> bool {
    let names = ["oci", "oci-archive", "docker-archive", "docker"];
    t.contains("archive")
        || names
            .iter()
            .any(|n| edit_distance(t, n) <= 1 || swapped(t, n))
}

fn swapped(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() != b.len() {
        return false;
    }
    let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    matches!(diff.as_slice(), [i, j] if *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i])
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let v = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
            cur.push(v);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn bare(s: &str) -> Result<ImageRef, String> {
    if s.is_empty() || s.contains(char::is_whitespace) {
        return Err(format!("expected one of {KNOWN}, or a registry reference"));
    }
    Ok(ImageRef::Docker {
        reference: s.to_string(),
    })
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suffix = |t: &Option<String>| t.as_ref().map(|t| format!(":{t}")).unwrap_or_default();
        match self {
            ImageRef::Oci { dir, tag } => write!(f, "oci:{}{}", dir.display(), suffix(tag)),
            ImageRef::OciArchive { file, tag } => {
                write!(f, "oci-archive:{}{}", file.display(), suffix(tag))
            }
            ImageRef::DockerArchive { file, reference } => {
                write!(f, "docker-archive:{}{}", file.display(), suffix(reference))
            }
            ImageRef::Docker { reference } => write!(f, "docker://{reference}"),
        }
    }
}

/// A registry image: `[HOST[:PORT]/]PATH[:TAG][@DIGEST]`, optionally after
/// `docker://`, with Docker Hub's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRef {
    /// As written by the user, e.g. "docker.io", "127.0.0.1:5000".
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

impl RegistryRef {
    /// The host to talk to: Docker Hub's API host for docker.io.
    pub fn api_host(&self) -> &str {
        if self.registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }

    /// The tag or digest to ask the registry for.
    pub fn reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_string(),
        }
    }

    pub fn with_tag(&self, tag: &str) -> RegistryRef {
        RegistryRef {
            tag: Some(tag.to_string()),
            digest: None,
            ..self.clone()
        }
    }

    pub fn with_digest(&self, digest: Digest) -> RegistryRef {
        RegistryRef {
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// `registry/repository`, the name without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// Loopback registries talk plain HTTP, as the Docker daemon allows.
    pub fn is_loopback(&self) -> bool {
        let host = host_of(&self.registry);
        host == "localhost" || host.starts_with("127.") || host == "[::1]" || host == "::1"
    }
}

fn host_of(registry: &str) -> &str {
    if registry.starts_with('[') {
        return registry
            .split_once(']')
            .map_or(registry, |(h, _)| &registry[..h.len() + 1]);
    }
    registry.split(':').next().unwrap_or(registry)
}

impl FromStr for RegistryRef {
    type Err = Error;

    fn from_str(s: &str) -> Result<RegistryRef, Error> {
        let err = |detail: String| Error::InvalidReference {
            value: s.to_string(),
            detail,
        };
        let parts = ReferenceParts::split(s.strip_prefix("docker://").unwrap_or(s));
        let digest = parts
            .digest
            .map(str::parse::<Digest>)
            .transpose()
            .map_err(|e| err(e.to_string()))?;
        parts.check().map_err(err)?;
        let registry = match parts.host {
            None | Some("index.docker.io") => "docker.io",
            Some(h) => h,
        };
        let repository = if registry == "docker.io" && !parts.path.contains('/') {
            format!("library/{}", parts.path)
        } else {
            parts.path.to_string()
        };
        Ok(RegistryRef {
            registry: registry.to_string(),
            repository,
            tag: parts.tag.map(str::to_string),
            digest,
        })
    }
}

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ImageRef {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn transports() {
        assert_eq!(
            p("oci:out"),
            ImageRef::Oci {
                dir: "out".into(),
                tag: None
            }
        );
        assert_eq!(
            p("oci:./out"),
            ImageRef::Oci {
                dir: "./out".into(),
                tag: None
            }
        );
        assert_eq!(
            p("oci:out:v1"),
            ImageRef::Oci {
                dir: "out".into(),
                tag: Some("v1".into())
            }
        );
        assert_eq!(
            p("oci:.envelope/oci:server"),
            ImageRef::Oci {
                dir: ".envelope/oci".into(),
                tag: Some("server".into())
            }
        );
        assert_eq!(
            p("oci-archive:a.tar:x"),
            ImageRef::OciArchive {
                file: "a.tar".into(),
                tag: Some("x".into())
            }
        );
        assert_eq!(
            p("docker-archive:a.tar"),
            ImageRef::DockerArchive {
                file: "a.tar".into(),
                reference: None
            }
        );
        assert_eq!(
            p("docker-archive:a.tar:app"),
            ImageRef::DockerArchive {
                file: "a.tar".into(),
                reference: Some("app:latest".into())
            }
        );
        assert_eq!(
            p("docker-archive:a.tar:localhost:5000/team/app:v1"),
            ImageRef::DockerArchive {
                file: "a.tar".into(),
                reference: Some("localhost:5000/team/app:v1".into())
            }
        );
        assert_eq!(
            p("docker://ghcr.io/a/b:v1"),
            ImageRef::Docker {
                reference: "ghcr.io/a/b:v1".into()
            }
        );
        assert_eq!(
            p("ghcr.io/a/b:v1"),
            ImageRef::Docker {
                reference: "ghcr.io/a/b:v1".into()
            }
        );
        assert_eq!(
            p("localhost:5000/b"),
            ImageRef::Docker {
                reference: "localhost:5000/b".into()
            }
        );
        for s in [
            "oci:out:v1",
            "docker-archive:a.tar:app:latest",
            "docker://x/y:z",
        ] {
            assert_eq!(p(s).to_string(), s);
        }
    }

    #[test]
    fn errors() {
        for (s, want) in [
            ("oci:", "needs a path"),
            ("docker://", "needs an image name"),
            ("tarball:x", "not supported"),
            ("oic:out", "unknown transport"),
            ("docker-achive:a.tar", "unknown transport"),
            ("ocii-archive:a.tar", "unknown transport"),
            ("docker-archive:a.tar:UPPER:v1", "repository name"),
            ("docker-archive:a.tar:app:bad tag", "tag"),
            ("docker-archive:a.tar:app@sha256:00", "digest"),
            ("docker-archive::app", "needs a file"),
        ] {
            let e = s.parse::<ImageRef>().expect_err(s).to_string();
            assert!(e.contains(want), "{s}: {e}");
        }
        // A bare name:tag is an image, whatever the tag.
        for s in [
            "busybox:latest",
            "golang:bookworm",
            "frobnicate:x",
            "alpine:3.19",
        ] {
            assert_eq!(
                s.parse::<ImageRef>().expect(s),
                ImageRef::Docker {
                    reference: s.to_string()
                }
            );
        }
    }

    fn r(s: &str) -> RegistryRef {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn registry_refs() {
        let a = r("alpine");
        assert_eq!(
            (a.registry.as_str(), a.repository.as_str(), a.reference()),
            ("docker.io", "library/alpine", "latest".to_string())
        );
        assert_eq!(a.api_host(), "registry-1.docker.io");
        let b = r("127.0.0.1:5000/team/app:v1");
        assert_eq!(
            (b.registry.as_str(), b.repository.as_str(), b.tag.as_deref()),
            ("127.0.0.1:5000", "team/app", Some("v1"))
        );
        assert!(b.is_loopback());
        let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let c = r(&format!("docker://ghcr.io/o/r:1.2@{d}"));
        assert_eq!(c.reference(), d);
        assert_eq!(c.to_string(), format!("ghcr.io/o/r:1.2@{d}"));
        assert!(!c.is_loopback());
        assert!(r("localhost/x").is_loopback());
        assert!(r("[::1]:5000/x").is_loopback());
        // Docker Hub's other name is Docker Hub, library/ included.
        assert_eq!(
            r("index.docker.io/alpine").to_string(),
            "docker.io/library/alpine"
        );
    }

    #[test]
    fn registry_ref_rejects() {
        for s in ["UPPER/x", "x:bad tag", "ghcr.io/", "x@sha256:abc", ""] {
            assert!(s.parse::<RegistryRef>().is_err(), "{s}");
        }
        for (s, want) in [
            ("my_host.io/x", "registry host"),
            ("[::1/x", "registry host"),
            ("[zz]:5000/x", "registry host"),
            ("[::1]5000/x", "registry host"),
            ("localhost:99999/x", "registry host"),
            ("localhost:+80/x", "registry host"),
            ("ghcr.io/o/UPPER", "repository name"),
            ("a//b", "repository name"),
            ("x:-v1", "tag"),
            ("x@sha256:00", "digest"),
        ] {
            let e = s.parse::<RegistryRef>().expect_err(s).to_string();
            assert!(e.contains(want), "{s}: {e}");
        }
    }

    fn parts<'a>(
        host: Option<&'a str>,
        path: &'a str,
        tag: Option<&'a str>,
        digest: Option<&'a str>,
    ) -> ReferenceParts<'a> {
        ReferenceParts {
            host,
            path,
            tag,
            digest,
        }
    }

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// The split, and what the strict readers make of it: `RegistryRef`
    /// (registry, repository) and `normalize_docker_reference`.
    #[allow(clippy::type_complexity)]
    fn split_table() -> Vec<(
        String,
        ReferenceParts<'static>,
        (&'static str, &'static str),
        Option<String>,
    )> {
        vec![
            (
                "alpine".into(),
                parts(None, "alpine", None, None),
                ("docker.io", "library/alpine"),
                Some("alpine:latest".into()),
            ),
            (
                "library/alpine:3".into(),
                parts(None, "library/alpine", Some("3"), None),
                ("docker.io", "library/alpine"),
                Some("library/alpine:3".into()),
            ),
            (
                format!("localhost:5000/a/b:v1@{D}"),
                parts(Some("localhost:5000"), "a/b", Some("v1"), Some(D)),
                ("localhost:5000", "a/b"),
                None,
            ),
            (
                "[::1]:5000/x".into(),
                parts(Some("[::1]:5000"), "x", None, None),
                ("[::1]:5000", "x"),
                Some("[::1]:5000/x:latest".into()),
            ),
            (
                format!("ghcr.io/o/r@{D}"),
                parts(Some("ghcr.io"), "o/r", None, Some(D)),
                ("ghcr.io", "o/r"),
                None,
            ),
            (
                "registry.example.com:443/team/app".into(),
                parts(Some("registry.example.com:443"), "team/app", None, None),
                ("registry.example.com:443", "team/app"),
                Some("registry.example.com:443/team/app:latest".into()),
            ),
        ]
    }

    #[test]
    fn one_split_for_every_reader() {
        for (s, want, (registry, repository), normalized) in split_table() {
            let got = ReferenceParts::split(&s);
            assert_eq!(got, want, "{s}");
            assert_eq!(got.check(), Ok(()), "{s}");

            let reg = r(&s);
            assert_eq!(
                (reg.registry.as_str(), reg.repository.as_str()),
                (registry, repository),
                "{s}"
            );
            assert_eq!(reg.tag.as_deref(), want.tag, "{s}");
            assert_eq!(
                reg.digest.as_ref().map(ToString::to_string).as_deref(),
                want.digest,
                "{s}"
            );

            let norm = normalize_docker_reference(&s);
            match (&norm, &normalized) {
                (Ok(n), Some(w)) => assert_eq!(n, w, "{s}"),
                (Err(e), None) => assert!(e.contains("digest"), "{s}: {e}"),
                _ => panic!("{s}: {norm:?}, expected {normalized:?}"),
            }
            // As the archive name of a docker-archive: the same answer.
            let archive = format!("docker-archive:a.tar:{s}");
            match (archive.parse::<ImageRef>(), &normalized) {
                (Ok(ImageRef::DockerArchive { reference, .. }), Some(w)) => {
                    assert_eq!(reference.as_ref(), Some(w), "{s}");
                }
                (Err(e), None) => assert!(e.to_string().contains("digest"), "{s}: {e}"),
                (got, _) => panic!("{archive}: {got:?}"),
            }
        }
    }

    #[test]
    fn split_never_fails() {
        for (s, want) in [
            (
                "${REGISTRY}/app:${TAG}",
                parts(None, "${REGISTRY}/app", Some("${TAG}"), None),
            ),
            ("", parts(None, "", None, None)),
            ("ghcr.io/", parts(Some("ghcr.io"), "", None, None)),
            ("é:ü@@", parts(None, "é", Some("ü"), Some("@"))),
        ] {
            assert_eq!(ReferenceParts::split(s), want, "{s}");
        }
    }
}
