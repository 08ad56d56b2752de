//! Sigstore bundles, v0.3 (`application/vnd.dev.sigstore.bundle.v0.3+json`,
//! the protobuf-specs `Bundle` message in its JSON form): the verification
//! material (for a key: `publicKey.hint`, base64 of the SHA-256 of the
//! key's PKIX DER) and the content, either a `dsseEnvelope` or a
//! `messageSignature` (`messageDigest{algorithm: SHA2_256, digest}` and
//! `signature`, bytes in standard base64). cosign stores image signatures
//! and attestations as DSSE bundles; message signatures are what
//! `cosign sign-blob` writes.
//!
//! Bundles with certificates or transparency-log entries parse (the
//! material is kept as it came) but envelope checks them only against a key.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::dsse::Envelope;
use crate::error::parse_json;
use crate::{FormatError, PublicKey};

/// The media type of a v0.3 bundle (also its artifactType in a registry).
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// The older spelling of the same media type that protobuf-specs allow.
const BUNDLE_MEDIA_TYPE_ALT: &str = "application/vnd.dev.sigstore.bundle+json;version=0.3";

/// The referrer manifest's annotation naming the statement's predicate type.
pub const PREDICATE_TYPE_ANNOTATION: &str = "dev.sigstore.bundle.predicateType";

/// The referrer manifest's annotation naming the bundle's content.
pub const CONTENT_ANNOTATION: &str = "dev.sigstore.bundle.content";

/// The largest bundle read: a DSSE envelope and some material.
pub const MAX_BUNDLE: usize = crate::dsse::MAX_ENVELOPE + (1 << 20);

/// A v0.3 bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    pub media_type: String,
    pub material: Material,
    pub content: Content,
}

/// What verifies the bundle's signature.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Material {
    #[serde(rename = "publicKey", default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKeyHint>,
    /// Certificates, transparency-log entries, timestamps: kept, not read.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PublicKeyHint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// What the bundle signs.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// A DSSE envelope (an in-toto statement about the image).
    Dsse(Envelope),
    /// A signature over a message known by its SHA-256.
    Message {
        sha256: Vec<u8>,
        /// ASN.1 DER ECDSA signature over the message.
        signature: Vec<u8>,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    media_type: String,
    verification_material: Material,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dsse_envelope: Option<Envelope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_signature: Option<MessageSignature>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageSignature {
    message_digest: MessageDigest,
    signature: String,
}

#[derive(Serialize, Deserialize)]
struct MessageDigest {
    algorithm: String,
    digest: String,
}

impl Bundle {
    /// A bundle holding `envelope`, naming `key` by its hint.
    pub fn dsse(envelope: Envelope, key: &PublicKey) -> Result<Bundle, crate::KeyError> {
        Ok(Bundle {
            media_type: BUNDLE_MEDIA_TYPE.to_string(),
            material: Material::for_key(key)?,
            content: Content::Dsse(envelope),
        })
    }

    /// A bundle holding a signature over a message with SHA-256 `sha256`.
    pub fn message(
        sha256: Vec<u8>,
        signature: Vec<u8>,
        key: &PublicKey,
    ) -> Result<Bundle, crate::KeyError> {
        Ok(Bundle {
            media_type: BUNDLE_MEDIA_TYPE.to_string(),
            material: Material::for_key(key)?,
            content: Content::Message { sha256, signature },
        })
    }

    /// The bundle's JSON, fields in the order cosign writes them.
    pub fn to_json(&self) -> Vec<u8> {
        let (dsse_envelope, message_signature) = match &self.content {
            Content::Dsse(e) => (Some(e.clone()), None),
            Content::Message { sha256, signature } => (
                None,
                Some(MessageSignature {
                    message_digest: MessageDigest {
                        algorithm: "SHA2_256".into(),
                        digest: STANDARD.encode(sha256),
                    },
                    signature: STANDARD.encode(signature),
                }),
            ),
        };
        serde_json::to_vec(&Wire {
            media_type: self.media_type.clone(),
            verification_material: self.material.clone(),
            dsse_envelope,
            message_signature,
        })
        .unwrap_or_default()
    }

    /// Reads a bundle; only v0.3 (either spelling of its media type).
    pub fn parse(bytes: &[u8]) -> Result<Bundle, FormatError> {
        let wire: Wire = parse_json(bytes, "Sigstore bundle", MAX_BUNDLE)?;
        if wire.media_type != BUNDLE_MEDIA_TYPE && wire.media_type != BUNDLE_MEDIA_TYPE_ALT {
            return Err(FormatError::Field {
                what: "Sigstore bundle",
                field: "mediaType".into(),
                found: wire.media_type.chars().take(80).collect(),
                expected: BUNDLE_MEDIA_TYPE.into(),
            });
        }
        let content = match (wire.dsse_envelope, wire.message_signature) {
            (Some(e), None) => Content::Dsse(e),
            (None, Some(m)) => {
                if m.message_digest.algorithm != "SHA2_256" {
                    return Err(FormatError::Field {
                        what: "Sigstore bundle",
                        field: "messageSignature.messageDigest.algorithm".into(),
                        found: m.message_digest.algorithm.chars().take(40).collect(),
                        expected: "SHA2_256".into(),
                    });
                }
                let b64 = |text: &str, field| {
                    STANDARD.decode(text).map_err(|_| FormatError::Base64 {
                        what: "Sigstore bundle",
                        field,
                    })
                };
                let sha256 = b64(&m.message_digest.digest, "messageDigest.digest")?;
                if sha256.len() != 32 {
                    return Err(FormatError::Field {
                        what: "Sigstore bundle",
                        field: "messageSignature.messageDigest.digest".into(),
                        found: format!("{} bytes", sha256.len()),
                        expected: "32 bytes".into(),
                    });
                }
                Content::Message {
                    sha256,
                    signature: b64(&m.signature, "messageSignature.signature")?,
                }
            }
            (found_dsse, _) => {
                return Err(FormatError::Field {
                    what: "Sigstore bundle",
                    field: "content".into(),
                    found: if found_dsse.is_some() {
                        "both a dsseEnvelope and a messageSignature".into()
                    } else {
                        "neither a dsseEnvelope nor a messageSignature".into()
                    },
                    expected: "exactly one of dsseEnvelope and messageSignature".into(),
                })
            }
        };
        Ok(Bundle {
            media_type: wire.media_type,
            material: wire.verification_material,
            content,
        })
    }

    /// The key hint, when the bundle names one.
    pub fn hint(&self) -> Option<&str> {
        self.material
            .public_key
            .as_ref()
            .and_then(|k| k.hint.as_deref())
    }

    /// Whether the bundle's signature verifies with `key`. A message
    /// signature is checked against its digest: that the digest is the
    /// expected message's is the caller's to check.
    pub fn verify(&self, key: &PublicKey) -> bool {
        match &self.content {
            Content::Dsse(e) => e.verify(key),
            Content::Message { sha256, signature } => key.verify_prehash(sha256, signature),
        }
    }
}

impl Material {
    fn for_key(key: &PublicKey) -> Result<Material, crate::KeyError> {
        Ok(Material {
            public_key: Some(PublicKeyHint {
                hint: Some(key.hint()?),
            }),
            other: BTreeMap::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsse::INTOTO_PAYLOAD_TYPE;
    use crate::SigningKey;

    /// What `cosign sign --key` (3.1, no transparency log) attached as a
    /// referrer to an image in a local registry, and the public key.
    const COSIGN_BUNDLE: &str = r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"nPDnnaTakK9k9jd5TPH0dIYn4WnOmpyoEvqvggmu8+M="}},"dsseEnvelope":{"payload":"eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEiLCJzdWJqZWN0IjpbeyJkaWdlc3QiOnsic2hhMjU2IjoiMGRhMGVhMDNjNzcwY2I0OGFmM2ZjZDc3YTM4ZWZjYmYwOWFiNWU1ZjQ1ZjM5ZmVjNzMyZTNjMjk2M2ZlNjZiYyJ9LCJhbm5vdGF0aW9ucyI6e319XSwicHJlZGljYXRlVHlwZSI6Imh0dHBzOi8vc2lnc3RvcmUuZGV2L2Nvc2lnbi9zaWduL3YxIiwicHJlZGljYXRlIjp7fX0=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"MEYCIQC+EVaQdMRaf9zzMxh175l+PFXs3xqePmlJckfS2TTwAgIhAOvvwEkppKjKhCrG6oPeVr57XDkuHslNSYvHgfwxcjKh"}]}}"#;
    pub(crate) const COSIGN_PUB: &str = include_str!("../tests/data/cosign.pub");

    #[test]
    fn reads_and_verifies_what_cosign_writes() {
        let key = PublicKey::from_pem(COSIGN_PUB.as_bytes()).expect("key");
        let b = Bundle::parse(COSIGN_BUNDLE.as_bytes()).expect("parse");
        assert_eq!(b.hint(), Some(key.hint().expect("hint").as_str()));
        assert!(b.verify(&key));
        assert!(!b.verify(&SigningKey::generate().public_key()));
        // Written back, the same bytes.
        assert_eq!(String::from_utf8(b.to_json()).expect("utf8"), COSIGN_BUNDLE);
    }

    #[test]
    fn builds_both_contents_and_reads_them_back() {
        let key = SigningKey::generate();
        let e = crate::dsse::Envelope::sign(INTOTO_PAYLOAD_TYPE, b"{}".to_vec(), &key);
        let b = Bundle::dsse(e, &key.public_key()).expect("bundle");
        let again = Bundle::parse(&b.to_json()).expect("parse");
        assert_eq!(again, b);
        assert!(again.verify(&key.public_key()));

        let message = b"a blob";
        let sha = <sha2::Sha256 as sha2::Digest>::digest(message).to_vec();
        let m = Bundle::message(sha, key.sign(message), &key.public_key()).expect("bundle");
        let json = String::from_utf8(m.to_json()).expect("utf8");
        assert!(
            json.contains(
                r#""messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":""#
            ),
            "{json}"
        );
        let again = Bundle::parse(json.as_bytes()).expect("parse");
        assert!(again.verify(&key.public_key()));
    }

    #[test]
    fn bad_bundles_are_errors() {
        for bad in [
            "",
            "{}",
            r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{}}"#,
            r#"{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.1","verificationMaterial":{},"dsseEnvelope":{"payload":"","payloadType":"x","signatures":[]}}"#,
            r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AAAA"},"signature":""}}"#,
        ] {
            assert!(Bundle::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
