//! Checking signatures found next to an image against a key and the
//! image's manifest digest. Each signature becomes one [`Check`] with its
//! [`Outcome`]; a [`Report`] gathers them and says what was proved. The
//! stores (registry, layout) only hand over bytes: finding them is not
//! this module's job, and nothing here does I/O.
//!
//! Attestations are checked the same way (a DSSE envelope whose statement
//! names the digest); their predicates and a policy are for the layers
//! above to judge from [`Check::predicate_type`] and the statement.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;

use crate::bundle::{Bundle, Content};
use crate::dsse::{Envelope, INTOTO_PAYLOAD_TYPE};
use crate::simple_signing::SimpleSigning;
use crate::statement::{Statement, COSIGN_SIGN_PREDICATE};
use crate::{FormatError, PublicKey};

/// Where a signature was found, in which of cosign's formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// A simple-signing layer under the `sha256-<hex>.sig` tag.
    SimpleSigning,
    /// A DSSE envelope layer under the `sha256-<hex>.att` tag.
    Attestation,
    /// A Sigstore bundle attached as a referrer.
    Bundle,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::SimpleSigning => "simple-signing",
            Format::Attestation => "attestation",
            Format::Bundle => "bundle",
        }
    }
}

/// Why a signature did not check out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Failure {
    /// The signature does not verify with the key: another key made it, or
    /// the payload was edited after signing. `hint_matches` says whether a
    /// bundle's key hint names this key (None when there is no hint).
    Signature { hint_matches: Option<bool> },
    /// A valid signature, but for another manifest (a tag that moved, a
    /// signature copied from another image).
    OtherDigest { signed: Vec<String> },
    /// A signed statement that is not a signature or attestation envelope
    /// reads (e.g. a payload type other than in-toto).
    Unexpected { detail: String },
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Signature {
                hint_matches: Some(false),
            } => f.write_str("signed by another key (the bundle names another key)"),
            Failure::Signature { .. } => f.write_str(
                "the signature does not verify with the key (another key, or the payload was edited)",
            ),
            Failure::OtherDigest { signed } => {
                write!(f, "a valid signature for another manifest: {}", signed.join(", "))
            }
            Failure::Unexpected { detail } => f.write_str(detail),
        }
    }
}

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    Verified,
    Failed(Failure),
    /// The document does not parse: not a failed check but an error.
    Error {
        detail: String,
    },
}

impl From<FormatError> for Outcome {
    fn from(e: FormatError) -> Outcome {
        Outcome::Error {
            detail: e.to_string(),
        }
    }
}

/// One signature or attestation, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub format: Format,
    /// Where it was found (a tag, a referrer digest, a layout entry).
    pub location: String,
    /// The statement's predicate type, for DSSE content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate_type: Option<String>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The key and the manifest digest every signature must match.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub key: &'a PublicKey,
    /// `sha256:<hex>`.
    pub digest: &'a str,
}

/// A simple-signing payload and its base64 signature (the layer and its
/// `dev.cosignproject.cosign/signature` annotation).
pub fn check_simple_signing(payload: &[u8], signature: &str, want: Expected<'_>) -> Outcome {
    let Ok(sig) = STANDARD.decode(signature.trim()) else {
        return Outcome::Error {
            detail: "the signature annotation is not base64".into(),
        };
    };
    if !want.key.verify(payload, &sig) {
        return Outcome::Failed(Failure::Signature { hint_matches: None });
    }
    match SimpleSigning::parse(payload) {
        Err(e) => e.into(),
        Ok(p) if p.digest() == want.digest => Outcome::Verified,
        Ok(p) => Outcome::Failed(Failure::OtherDigest {
            signed: vec![p.digest().chars().take(80).collect()],
        }),
    }
}

/// A DSSE envelope's JSON holding an in-toto statement about the image
/// (the `.att` tag's layers); returns the outcome and the predicate type.
pub fn check_envelope(bytes: &[u8], want: Expected<'_>) -> (Outcome, Option<String>) {
    match Envelope::parse(bytes) {
        Err(e) => (e.into(), None),
        Ok(e) => check_statement(&e, None, want),
    }
}

/// A Sigstore bundle's JSON: a DSSE statement about the image (signature
/// or attestation), or a message signature over the manifest digest.
pub fn check_bundle(bytes: &[u8], want: Expected<'_>) -> (Outcome, Option<String>) {
    let b = match Bundle::parse(bytes) {
        Ok(b) => b,
        Err(e) => return (e.into(), None),
    };
    let hint_matches = b.hint().map(|h| want.key.hint().ok().as_deref() == Some(h));
    match &b.content {
        Content::Dsse(e) => check_statement(e, hint_matches, want),
        Content::Message { sha256, .. } => {
            if !b.verify(want.key) {
                return (Outcome::Failed(Failure::Signature { hint_matches }), None);
            }
            let signed = format!("sha256:{}", hex::encode(sha256));
            if signed == want.digest {
                (Outcome::Verified, None)
            } else {
                (
                    Outcome::Failed(Failure::OtherDigest {
                        signed: vec![signed],
                    }),
                    None,
                )
            }
        }
    }
}

fn check_statement(
    e: &Envelope,
    hint_matches: Option<bool>,
    want: Expected<'_>,
) -> (Outcome, Option<String>) {
    if !e.verify(want.key) {
        return (Outcome::Failed(Failure::Signature { hint_matches }), None);
    }
    if e.payload_type != INTOTO_PAYLOAD_TYPE {
        return (
            Outcome::Failed(Failure::Unexpected {
                detail: format!(
                    "the envelope's payload type is {:?}, not an in-toto statement",
                    e.payload_type.chars().take(80).collect::<String>()
                ),
            }),
            None,
        );
    }
    let s = match Statement::parse(&e.payload) {
        Ok(s) => s,
        Err(e) => return (e.into(), None),
    };
    let predicate = Some(s.predicate_type.clone());
    if want
        .digest
        .parse::<envelope_oci::Digest>()
        .is_ok_and(|d| s.is_about(&d))
    {
        (Outcome::Verified, predicate)
    } else {
        let mut signed = s.subject_digests();
        signed.truncate(8);
        (Outcome::Failed(Failure::OtherDigest { signed }), predicate)
    }
}

/// Is this check an image signature (not an attestation)?
pub fn is_signature(c: &Check) -> bool {
    match c.format {
        Format::SimpleSigning => true,
        Format::Attestation => false,
        Format::Bundle => c
            .predicate_type
            .as_deref()
            .is_none_or(|p| p == COSIGN_SIGN_PREDICATE),
    }
}

/// Every check made for one image.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub digest: String,
    /// The key's fingerprint: SHA-256 of its PKIX DER, hex.
    pub key_fingerprint: String,
    pub checks: Vec<Check>,
}

/// The verdict: 0 verified, 1 a check failed (or nothing to check), 2 an
/// error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Verified,
    Failed,
    Error,
}

impl Report {
    /// Verified when at least one signature verified and no check failed;
    /// an unreadable document is an error whatever else was found.
    pub fn verdict(&self) -> Verdict {
        if self
            .checks
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Error { .. }))
        {
            return Verdict::Error;
        }
        let failed = self
            .checks
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Failed(_)));
        if failed || self.verified_signatures() == 0 {
            Verdict::Failed
        } else {
            Verdict::Verified
        }
    }

    /// How many image signatures verified.
    pub fn verified_signatures(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| is_signature(c) && c.outcome == Outcome::Verified)
            .count()
    }

    /// The formats with a verified signature, sorted, each once.
    pub fn verified_formats(&self) -> Vec<Format> {
        let mut f: Vec<Format> = self
            .checks
            .iter()
            .filter(|c| c.outcome == Outcome::Verified)
            .map(|c| c.format)
            .collect();
        f.sort();
        f.dedup();
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SigningKey;

    const DIGEST: &str = "sha256:0da0ea03c770cb48af3fcd77a38efcbf09ab5e5f45f39fec732e3c2963fe66bc";

    #[test]
    fn cosign_simple_signature_verifies() {
        let key = PublicKey::from_pem(include_bytes!("../tests/data/cosign.pub")).expect("key");
        let payload = SimpleSigning::new("127.0.0.1:45518/test", DIGEST).to_json();
        let sig = "MEYCIQDlv52XowvxTUS/UHO4cUAX9mAWvgI4K+tmX/1P4HP8TQIhAK4Vr9/Bp5w4OmaDGQVn9WJR1QPEovF3ZU3ChGO1H9f/";
        let want = Expected {
            key: &key,
            digest: DIGEST,
        };
        assert_eq!(check_simple_signing(&payload, sig, want), Outcome::Verified);
        let other = SigningKey::generate().public_key();
        assert!(matches!(
            check_simple_signing(
                &payload,
                sig,
                Expected {
                    key: &other,
                    ..want
                }
            ),
            Outcome::Failed(Failure::Signature { .. })
        ));
        let mut edited = payload.clone();
        edited[20] ^= 1;
        assert!(matches!(
            check_simple_signing(&edited, sig, want),
            Outcome::Failed(Failure::Signature { .. })
        ));
    }

    #[test]
    fn another_digest_is_a_failure_not_a_pass() {
        let key = SigningKey::generate();
        let other = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
        let payload = SimpleSigning::new("r/x", other).to_json();
        let sig = STANDARD.encode(key.sign(&payload));
        let pk = key.public_key();
        let want = Expected {
            key: &pk,
            digest: DIGEST,
        };
        assert!(matches!(
            check_simple_signing(&payload, &sig, want),
            Outcome::Failed(Failure::OtherDigest { .. })
        ));
        let e = Envelope::sign(
            INTOTO_PAYLOAD_TYPE,
            Statement::cosign_sign(&other.parse().expect("digest")).to_json(),
            &key,
        );
        let b = Bundle::dsse(e, &pk).expect("bundle");
        let (o, p) = check_bundle(&b.to_json(), want);
        assert!(
            matches!(o, Outcome::Failed(Failure::OtherDigest { .. })),
            "{o:?}"
        );
        assert_eq!(p.as_deref(), Some(COSIGN_SIGN_PREDICATE));
        let (o, _) = check_bundle(b"{not json", want);
        assert!(matches!(o, Outcome::Error { .. }));
    }

    #[test]
    fn verdicts() {
        let ok = Check {
            format: Format::Bundle,
            location: "x".into(),
            predicate_type: Some(COSIGN_SIGN_PREDICATE.into()),
            outcome: Outcome::Verified,
        };
        let mut r = Report {
            digest: DIGEST.into(),
            key_fingerprint: "f".into(),
            checks: vec![],
        };
        assert_eq!(r.verdict(), Verdict::Failed);
        r.checks.push(ok.clone());
        assert_eq!(r.verdict(), Verdict::Verified);
        r.checks.push(Check {
            outcome: Outcome::Failed(Failure::Signature { hint_matches: None }),
            ..ok.clone()
        });
        assert_eq!(r.verdict(), Verdict::Failed);
        r.checks.push(Check {
            outcome: Outcome::Error { detail: "x".into() },
            ..ok
        });
        assert_eq!(r.verdict(), Verdict::Error);
    }
}
