//! in-toto Statement v1: the envelope every predicate travels in, and
//! the payload of cosign's DSSE signatures and attestations. A statement
//! binds a predicate (provenance, SBOM, VEX, or cosign's empty signature
//! predicate) to its subjects by digest.
//!
//! Parsing takes untrusted bytes: at most [`MAX_STATEMENT`] bytes, the
//! `_type` must be in-toto's (v1, or v0.1 as older cosign writes), every
//! subject must carry a digest, and a `sha256` digest must be 64 lowercase
//! hex digits.

use std::collections::BTreeMap;

use envelope_oci::Digest;
use serde::{Deserialize, Serialize};

use crate::error::parse_json;
use crate::FormatError;

/// The `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The `_type` of the older v0.1 statements, still accepted when parsing.
pub const STATEMENT_TYPE_V01: &str = "https://in-toto.io/Statement/v0.1";
/// The largest statement parsed (an SBOM of a large image stays far below).
pub const MAX_STATEMENT: usize = crate::dsse::MAX_ENVELOPE;
/// Subjects a statement may name.
const MAX_SUBJECTS: usize = 10_000;

/// The predicate type of cosign's image signatures in bundle form: an
/// empty predicate whose statement's subject is the signed manifest.
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

const WHAT: &str = "in-toto statement";

fn field(
    field: impl Into<String>,
    expected: impl Into<String>,
    found: impl Into<String>,
) -> FormatError {
    FormatError::Field {
        what: WHAT,
        field: field.into(),
        found: found.into().chars().take(80).collect(),
        expected: expected.into(),
    }
}

/// One artifact a statement is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The image reference (or file name) the subject was known by.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Algorithm → lowercase hex (`sha256` → `ab12…`).
    pub digest: BTreeMap<String, String>,
}

impl Subject {
    /// A subject named `name` with the SHA-256 `digest`.
    pub fn new(name: impl Into<String>, digest: &Digest) -> Subject {
        Subject {
            name: name.into(),
            digest: BTreeMap::from([(digest.algorithm().to_string(), digest.hex().to_string())]),
        }
    }

    /// Does this subject name `digest`?
    pub fn matches(&self, digest: &Digest) -> bool {
        self.digest.get(digest.algorithm()).map(String::as_str) == Some(digest.hex())
    }
}

/// An in-toto statement: subjects, a predicate type and the predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    #[serde(default)]
    pub predicate: serde_json::Value,
}

impl Statement {
    /// A v1 statement of `predicate` (of type `predicate_type`) about
    /// `subjects`, sorted so that their order does not matter.
    pub fn new(
        mut subjects: Vec<Subject>,
        predicate_type: impl Into<String>,
        predicate: serde_json::Value,
    ) -> Statement {
        subjects.sort_by(|a, b| (&a.digest, &a.name).cmp(&(&b.digest, &b.name)));
        subjects.dedup();
        Statement {
            statement_type: STATEMENT_TYPE.to_string(),
            subject: subjects,
            predicate_type: predicate_type.into(),
            predicate,
        }
    }

    /// The statement as compact JSON, the bytes a DSSE envelope carries.
    /// Object keys of the predicate come out sorted; the same statement
    /// always gives the same bytes.
    pub fn to_json(&self) -> Vec<u8> {
        // A struct of strings and a Value: serializing cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The statement `cosign sign` signs in bundle form for the manifest
    /// `digest`: cosign's empty signature predicate about it, unnamed.
    pub fn cosign_sign(digest: &Digest) -> Statement {
        Statement::new(
            vec![Subject::new("", digest)],
            COSIGN_SIGN_PREDICATE,
            serde_json::Value::Object(serde_json::Map::new()),
        )
    }

    /// Parses and checks untrusted bytes (see the module documentation).
    pub fn parse(bytes: &[u8]) -> Result<Statement, FormatError> {
        let s: Statement = parse_json(bytes, WHAT, MAX_STATEMENT)?;
        if s.statement_type != STATEMENT_TYPE && s.statement_type != STATEMENT_TYPE_V01 {
            return Err(field("_type", STATEMENT_TYPE, s.statement_type.clone()));
        }
        if s.predicate_type.is_empty() {
            return Err(field("predicateType", "a URI", "\"\""));
        }
        if s.subject.is_empty() || s.subject.len() > MAX_SUBJECTS {
            return Err(field(
                "subject",
                format!("1 to {MAX_SUBJECTS} subjects"),
                s.subject.len().to_string(),
            ));
        }
        for (i, subject) in s.subject.iter().enumerate() {
            if subject.digest.is_empty() {
                return Err(field(
                    format!("subject[{i}].digest"),
                    "at least one digest",
                    "none",
                ));
            }
            if let Some(hex) = subject.digest.get("sha256") {
                if Digest::from_sha256_hex(hex).is_err() {
                    return Err(field(
                        format!("subject[{i}].digest.sha256"),
                        "64 lowercase hex digits",
                        format!("{hex:?}"),
                    ));
                }
            }
        }
        Ok(s)
    }

    /// Is `digest` one of the subjects?
    pub fn is_about(&self, digest: &Digest) -> bool {
        self.subject.iter().any(|s| s.matches(digest))
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

    fn digest() -> Digest {
        Digest::sha256(b"image")
    }

    #[test]
    fn round_trips_and_names_its_subject() {
        let s = Statement::new(
            vec![Subject::new("example.com/app:v1", &digest())],
            "https://example.com/p",
            serde_json::json!({"b": 1, "a": 2}),
        );
        let bytes = s.to_json();
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(
            text.starts_with(r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"example.com/app:v1","digest":{"sha256":""#),
            "{text}"
        );
        assert!(
            text.ends_with(r#""predicateType":"https://example.com/p","predicate":{"a":2,"b":1}}"#),
            "{text}"
        );
        let back = Statement::parse(&bytes).expect("parses");
        assert_eq!(back, s);
        assert!(back.is_about(&digest()));
        assert!(!back.is_about(&Digest::sha256(b"other")));
    }

    #[test]
    fn cosign_sign_statement_shape() {
        let d = digest();
        let s = Statement::cosign_sign(&d);
        assert_eq!(
            String::from_utf8(s.to_json()).expect("utf8"),
            format!(
                r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"digest":{{"sha256":"{}"}}}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{{}}}}"#,
                d.hex()
            )
        );
        assert!(Statement::parse(&s.to_json()).expect("parse").is_about(&d));
    }

    #[test]
    fn refuses_what_is_not_a_statement() {
        let cases: &[(&str, &str)] = &[
            ("", "does not parse"),
            ("[]", "does not parse"),
            (r#"{"_type":"x","subject":[],"predicateType":"p"}"#, "_type"),
            (
                r#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"p"}"#,
                "subject",
            ),
            (
                r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{}}],"predicateType":"p"}"#,
                "subject[0].digest",
            ),
            (
                r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"AB"}}],"predicateType":"p"}"#,
                "subject[0].digest.sha256",
            ),
            (
                r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"ab"}}],"predicateType":""}"#,
                "predicateType",
            ),
        ];
        for (input, want) in cases {
            let e = Statement::parse(input.as_bytes()).expect_err(input);
            assert!(e.to_string().contains(want), "{input}: {e}");
        }
        let deep = "[".repeat(100_000);
        assert!(Statement::parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn accepts_v01_statements() {
        let hex = digest().hex().to_string();
        let input = format!(
            r#"{{"_type":"https://in-toto.io/Statement/v0.1","subject":[{{"name":"a","digest":{{"sha256":"{hex}"}}}}],"predicateType":"p","predicate":{{}}}}"#
        );
        assert!(Statement::parse(input.as_bytes())
            .expect("parses")
            .is_about(&digest()));
    }
}
