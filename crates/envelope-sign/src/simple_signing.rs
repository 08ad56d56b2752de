//! cosign's "simple signing" payload: the JSON document a `.sig` tag's
//! layer holds and its signature signs, naming the repository
//! (`critical.identity.docker-reference`), the manifest digest
//! (`critical.image.docker-manifest-digest`) and the type `cosign
//! container image signature`. The signature is ECDSA P-256 over SHA-256
//! of these exact bytes, base64 in the layer's
//! `dev.cosignproject.cosign/signature` annotation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::parse_json;
use crate::FormatError;

/// The media type of a simple-signing layer.
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

/// The layer annotation holding the base64 signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

/// The `critical.type` every cosign image signature carries.
pub const SIMPLE_SIGNING_TYPE: &str = "cosign container image signature";

/// A payload is a few hundred bytes; annotations (`cosign sign -a`) add a
/// little.
pub const MAX_PAYLOAD: usize = 1 << 20;

/// A simple-signing payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimpleSigning {
    pub critical: Critical,
    /// Annotations the signer added; null when none (as cosign writes).
    #[serde(default)]
    pub optional: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Critical {
    pub identity: Identity,
    pub image: Image,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    #[serde(rename = "docker-reference")]
    pub docker_reference: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Image {
    #[serde(rename = "docker-manifest-digest")]
    pub docker_manifest_digest: String,
}

impl SimpleSigning {
    /// The payload for the manifest `digest` (`sha256:<hex>`) in the
    /// repository `docker_reference` (registry/path, no tag or digest, as
    /// cosign names it).
    pub fn new(docker_reference: &str, digest: &str) -> SimpleSigning {
        SimpleSigning {
            critical: Critical {
                identity: Identity {
                    docker_reference: docker_reference.to_string(),
                },
                image: Image {
                    docker_manifest_digest: digest.to_string(),
                },
                kind: SIMPLE_SIGNING_TYPE.to_string(),
            },
            optional: None,
        }
    }

    /// The payload's bytes, field for field as cosign writes them.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a payload; one of another `critical.type` is refused.
    pub fn parse(bytes: &[u8]) -> Result<SimpleSigning, FormatError> {
        let p: SimpleSigning = parse_json(bytes, "simple-signing payload", MAX_PAYLOAD)?;
        if p.critical.kind != SIMPLE_SIGNING_TYPE {
            return Err(FormatError::Field {
                what: "simple-signing payload",
                field: "critical.type".into(),
                found: p.critical.kind.chars().take(80).collect(),
                expected: SIMPLE_SIGNING_TYPE.into(),
            });
        }
        Ok(p)
    }

    /// The payload's bytes and their signature with `key`, base64 as the
    /// layer's annotation holds it. Deterministic.
    pub fn sign(&self, key: &crate::SigningKey) -> (Vec<u8>, String) {
        use base64::Engine;
        let payload = self.to_json();
        let sig = base64::engine::general_purpose::STANDARD.encode(key.sign(&payload));
        (payload, sig)
    }

    /// The signed manifest digest.
    pub fn digest(&self) -> &str {
        &self.critical.image.docker_manifest_digest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What cosign 3.1 pushed for an image in a local registry.
    const COSIGN: &str = r#"{"critical":{"identity":{"docker-reference":"127.0.0.1:45518/test"},"image":{"docker-manifest-digest":"sha256:0da0ea03c770cb48af3fcd77a38efcbf09ab5e5f45f39fec732e3c2963fe66bc"},"type":"cosign container image signature"},"optional":null}"#;

    #[test]
    fn builds_what_cosign_writes_byte_for_byte() {
        let p = SimpleSigning::new(
            "127.0.0.1:45518/test",
            "sha256:0da0ea03c770cb48af3fcd77a38efcbf09ab5e5f45f39fec732e3c2963fe66bc",
        );
        assert_eq!(String::from_utf8(p.to_json()).expect("utf8"), COSIGN);
        assert_eq!(SimpleSigning::parse(COSIGN.as_bytes()).expect("parse"), p);
    }

    #[test]
    fn other_types_and_garbage_are_refused() {
        let other = COSIGN.replace("cosign container image signature", "x");
        assert!(SimpleSigning::parse(other.as_bytes()).is_err());
        assert!(SimpleSigning::parse(b"{}").is_err());
        assert!(SimpleSigning::parse(b"").is_err());
        let annotated = COSIGN.replace(r#""optional":null"#, r#""optional":{"a":"b"}"#);
        let p = SimpleSigning::parse(annotated.as_bytes()).expect("annotations");
        assert_eq!(p.optional.map(|o| o.len()), Some(1));
    }
}
