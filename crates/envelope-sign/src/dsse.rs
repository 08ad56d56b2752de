//! DSSE v1 envelopes (the Dead Simple Signing Envelope cosign wraps
//! attestations and bundle contents in): JSON with a base64 `payload`, its
//! `payloadType` and `signatures`, each over the pre-authentication
//! encoding (PAE) of type and payload. Signatures are ECDSA P-256 over
//! SHA-256, ASN.1 DER, as cosign writes them.
//!
//! Envelopes come from registries and layouts: parsing is bounded and
//! never panics.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::error::parse_json;
use crate::{FormatError, PublicKey, SigningKey};

/// The payload type of an in-toto statement.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The media type of a DSSE envelope stored as an image layer (cosign's
/// `.att` tag).
pub const DSSE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";

/// An envelope's JSON may be this long at most (attestations with an SBOM
/// predicate are the largest).
pub const MAX_ENVELOPE: usize = 64 << 20;

/// More signatures than this on one envelope is not a real envelope.
const MAX_SIGNATURES: usize = 64;

/// A DSSE envelope, its payload decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub payload_type: String,
    pub payload: Vec<u8>,
    pub signatures: Vec<Signature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The key id, when the signer named one (cosign does not).
    pub keyid: Option<String>,
    /// ASN.1 DER ECDSA signature over [`pae`].
    pub sig: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    payload: String,
    payload_type: String,
    signatures: Vec<WireSignature>,
}

#[derive(Serialize, Deserialize)]
struct WireSignature {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keyid: Option<String>,
    sig: String,
}

/// The pre-authentication encoding signed in place of the payload:
/// `DSSEv1 <len(type)> <type> <len(payload)> <payload>`, lengths in
/// decimal ASCII.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

impl Envelope {
    /// `payload` of `payload_type`, signed with `key`. Deterministic.
    pub fn sign(payload_type: &str, payload: Vec<u8>, key: &SigningKey) -> Envelope {
        let sig = key.sign(&pae(payload_type, &payload));
        Envelope {
            payload_type: payload_type.to_string(),
            payload,
            signatures: vec![Signature { keyid: None, sig }],
        }
    }

    /// The envelope's JSON: `payload`, `payloadType`, `signatures` in that
    /// order, standard base64, as cosign writes it.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.wire()).unwrap_or_default()
    }

    fn wire(&self) -> Wire {
        Wire {
            payload: STANDARD.encode(&self.payload),
            payload_type: self.payload_type.clone(),
            signatures: self
                .signatures
                .iter()
                .map(|s| WireSignature {
                    keyid: s.keyid.clone(),
                    sig: STANDARD.encode(&s.sig),
                })
                .collect(),
        }
    }

    /// Reads an envelope's JSON.
    pub fn parse(bytes: &[u8]) -> Result<Envelope, FormatError> {
        Envelope::from_wire(parse_json(bytes, "DSSE envelope", MAX_ENVELOPE)?)
    }

    fn from_wire(wire: Wire) -> Result<Envelope, FormatError> {
        if wire.signatures.len() > MAX_SIGNATURES {
            return Err(FormatError::TooLarge {
                what: "DSSE envelope's signature list",
                len: wire.signatures.len(),
                limit: MAX_SIGNATURES,
            });
        }
        let payload = decode(&wire.payload, "payload")?;
        let signatures = wire
            .signatures
            .into_iter()
            .map(|s| {
                Ok(Signature {
                    keyid: s.keyid.filter(|k| !k.is_empty()),
                    sig: decode(&s.sig, "sig")?,
                })
            })
            .collect::<Result<_, FormatError>>()?;
        Ok(Envelope {
            payload_type: wire.payload_type,
            payload,
            signatures,
        })
    }

    /// Whether any of the envelope's signatures verifies with `key`.
    pub fn verify(&self, key: &PublicKey) -> bool {
        let message = pae(&self.payload_type, &self.payload);
        self.signatures.iter().any(|s| key.verify(&message, &s.sig))
    }
}

impl Serialize for Envelope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.wire().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Envelope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Envelope, D::Error> {
        Envelope::from_wire(Wire::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

fn decode(text: &str, field: &'static str) -> Result<Vec<u8>, FormatError> {
    STANDARD.decode(text).map_err(|_| FormatError::Base64 {
        what: "DSSE envelope",
        field,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_spec_example() {
        // The example of the DSSE v1 protocol description.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn sign_verify_round_trip_is_deterministic() {
        let key = SigningKey::generate();
        let a = Envelope::sign(INTOTO_PAYLOAD_TYPE, b"{}".to_vec(), &key);
        let b = Envelope::sign(INTOTO_PAYLOAD_TYPE, b"{}".to_vec(), &key);
        assert_eq!(a.to_json(), b.to_json());
        let parsed = Envelope::parse(&a.to_json()).expect("parse");
        assert_eq!(parsed, a);
        assert!(parsed.verify(&key.public_key()));
        assert!(!parsed.verify(&SigningKey::generate().public_key()));
        let mut edited = parsed.clone();
        edited.payload = b"{ }".to_vec();
        assert!(!edited.verify(&key.public_key()));
        let json = String::from_utf8(a.to_json()).expect("utf8");
        assert!(json.starts_with(r#"{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":""#), "{json}");
    }

    #[test]
    fn bad_envelopes_are_errors() {
        for bad in [
            &b""[..],
            b"{}",
            b"[]",
            br#"{"payload":"!","payloadType":"x","signatures":[]}"#,
            br#"{"payload":"","payloadType":"x","signatures":[{"sig":"%"}]}"#,
        ] {
            assert!(Envelope::parse(bad).is_err(), "{bad:?}");
        }
    }
}
