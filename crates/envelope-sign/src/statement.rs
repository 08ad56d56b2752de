//! The part of an in-toto Statement (v1, and v0.1 as older cosign writes)
//! that signing and verifying need: its subjects' digests and its
//! predicate type. The predicates themselves are not read here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::parse_json;
use crate::FormatError;

/// in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";

/// The predicate type of cosign's image signatures in bundle form: an
/// empty predicate whose statement's subject is the signed manifest.
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// The subjects and predicate type of a statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub kind: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    #[serde(default)]
    pub predicate: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub digest: BTreeMap<String, String>,
}

impl Statement {
    /// The statement `cosign sign` signs in bundle form for the manifest
    /// `digest` (`sha256:<hex>`).
    pub fn cosign_sign(digest: &str) -> Statement {
        let (alg, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
        Statement {
            kind: STATEMENT_V1.into(),
            subject: vec![Subject {
                name: None,
                digest: [(alg.to_string(), hex.to_string())].into_iter().collect(),
            }],
            predicate_type: COSIGN_SIGN_PREDICATE.into(),
            predicate: serde_json::Value::Object(serde_json::Map::new()),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a statement (the payload of a DSSE envelope, already bounded).
    pub fn parse(bytes: &[u8]) -> Result<Statement, FormatError> {
        let s: Statement = parse_json(bytes, "in-toto statement", crate::dsse::MAX_ENVELOPE)?;
        if s.kind != STATEMENT_V1 && s.kind != STATEMENT_V01 {
            return Err(FormatError::Field {
                what: "in-toto statement",
                field: "_type",
                found: s.kind.chars().take(80).collect(),
                expected: STATEMENT_V1,
            });
        }
        Ok(s)
    }

    /// Whether a subject names the manifest `digest` (`alg:hex`).
    pub fn names(&self, digest: &str) -> bool {
        let Some((alg, hex)) = digest.split_once(':') else {
            return false;
        };
        self.subject.iter().any(|s| {
            s.digest
                .get(alg)
                .is_some_and(|h| h.eq_ignore_ascii_case(hex))
        })
    }

    /// The subjects' digests as `alg:hex`, for messages.
    pub fn subject_digests(&self) -> Vec<String> {
        self.subject
            .iter()
            .flat_map(|s| s.digest.iter().map(|(a, h)| format!("{a}:{h}")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosign_sign_statement_shape() {
        let s = Statement::cosign_sign("sha256:abc");
        assert_eq!(
            String::from_utf8(s.to_json()).expect("utf8"),
            r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"abc"}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}"#
        );
        let back = Statement::parse(&s.to_json()).expect("parse");
        assert!(back.names("sha256:abc"));
        assert!(!back.names("sha256:abd"));
        assert!(Statement::parse(br#"{"_type":"x","subject":[],"predicateType":"p"}"#).is_err());
    }
}
