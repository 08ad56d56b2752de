//! Registry image references: `[HOST[:PORT]/]PATH[:TAG][@DIGEST]`, with
//! Docker Hub's defaults (`alpine` is `docker.io/library/alpine:latest`).

use std::fmt;
use std::str::FromStr;

use envelope_oci::Digest;

use crate::Error;

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

fn valid_component(c: &str) -> bool {
    !c.is_empty()
        && c.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
        && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && c.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
}

impl FromStr for RegistryRef {
    type Err = Error;

    fn from_str(s: &str) -> Result<RegistryRef, Error> {
        let err = |detail: &str| Error::Reference {
            value: s.to_string(),
            detail: detail.to_string(),
        };
        let s2 = s.strip_prefix("docker://").unwrap_or(s);
        let (rest, digest) = match s2.split_once('@') {
            Some((r, d)) => (
                r,
                Some(d.parse::<Digest>().map_err(|e| err(&e.to_string()))?),
            ),
            None => (s2, None),
        };
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i + 1..].contains('/') => {
                (&rest[..i], Some(rest[i + 1..].to_string()))
            }
            _ => (rest, None),
        };
        if let Some(t) = &tag {
            if !envelope_oci::valid_tag(t) {
                return Err(err(
                    "bad tag: use letters, digits, '.', '_' and '-' (at most 128)",
                ));
            }
        }
        let mut parts: Vec<&str> = name.split('/').collect();
        let first = parts.first().copied().unwrap_or_default();
        let registry = if parts.len() > 1
            && (first.contains('.') || first.contains(':') || first == "localhost")
        {
            parts.remove(0);
            first.to_string()
        } else {
            "docker.io".to_string()
        };
        if registry == "docker.io" && parts.len() == 1 {
            parts.insert(0, "library");
        }
        if parts.is_empty() || !parts.iter().all(|c| valid_component(c)) {
            return Err(err(
                "bad repository name: use lower-case letters, digits and . _ - separated by /",
            ));
        }
        let registry = if registry == "index.docker.io" {
            "docker.io".to_string()
        } else {
            registry
        };
        Ok(RegistryRef {
            registry,
            repository: parts.join("/"),
            tag,
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

    fn r(s: &str) -> RegistryRef {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses() {
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
    }

    #[test]
    fn rejects() {
        for s in ["UPPER/x", "x:bad tag", "ghcr.io/", "x@sha256:abc", ""] {
            assert!(s.parse::<RegistryRef>().is_err(), "{s}");
        }
    }
}
