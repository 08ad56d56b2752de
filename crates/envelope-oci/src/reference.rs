//! Image references in skopeo's transport syntax: `oci:DIR[:TAG]`,
//! `docker-archive:FILE[:REPO[:TAG]]`, `oci-archive:FILE[:TAG]`,
//! `docker://REF`, and a bare `REF`, which names a registry image.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::Error;

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

/// A docker reference `[HOST[:PORT]/]PATH[:TAG]`, returned with `:latest`
/// added when it has no tag.
pub fn normalize_docker_reference(r: &str) -> Result<String, String> {
    if r.contains('@') {
        return Err("a digest cannot name an image in an archive; use REPO:TAG".into());
    }
    let (name, tag) = match r.rfind(':') {
        Some(i) if !r[i + 1..].contains('/') => (&r[..i], Some(&r[i + 1..])),
        _ => (r, None),
    };
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1 {
        let first = parts[0];
        if first.contains('.') || first.contains(':') || first == "localhost" {
            let (host, port) = first
                .split_once(':')
                .map_or((first, None), |(h, p)| (h, Some(p)));
            let host_ok = !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !host_ok || port.is_some_and(|p| p.parse::<u16>().is_err()) {
                return Err(format!("bad registry host {first:?}"));
            }
            parts.remove(0);
        }
    }
    if parts.is_empty() || !parts.iter().all(|c| valid_component(c)) {
        return Err(format!(
            "bad repository name {name:?}: use lower-case letters, digits and . _ - separated by /"
        ));
    }
    match tag {
        Some(t) if !valid_tag(t) => Err(format!(
            "bad tag {t:?}: use letters, digits, '.', '_' and '-' (at most 128)"
        )),
        Some(_) => Ok(r.to_string()),
        None => Ok(format!("{r}:latest")),
    }
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
}
