//! The SBOM as an attestation predicate: the document envelope-sbom writes,
//! unchanged, under the predicate type cosign and policy engines know it
//! by. The provenance names the same document as a byproduct
//! ([`sbom_byproduct`]).

use envelope_oci::Digest;
use envelope_sbom::SbomInput;

use crate::provenance::ResourceDescriptor;
use crate::Error;

/// Predicate type of an SPDX document (cosign `--type spdxjson`).
pub const SPDX_PREDICATE_TYPE: &str = "https://spdx.dev/Document";
/// Predicate type of a CycloneDX BOM (cosign `--type cyclonedx`).
pub const CYCLONEDX_PREDICATE_TYPE: &str = "https://cyclonedx.org/bom";
/// Predicate type of an OpenVEX document: the namespace without its
/// version, which cosign's `--type openvex` selects (the document's
/// `@context` names the version, [`OPENVEX_CONTEXT`]).
pub const OPENVEX_PREDICATE_TYPE: &str = "https://openvex.dev/ns";
/// The `@context` of the OpenVEX documents envelope writes.
pub const OPENVEX_CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

/// Which SBOM format a predicate carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomFormat {
    Spdx,
    CycloneDx,
}

impl SbomFormat {
    /// The predicate type.
    pub fn predicate_type(self) -> &'static str {
        match self {
            SbomFormat::Spdx => SPDX_PREDICATE_TYPE,
            SbomFormat::CycloneDx => CYCLONEDX_PREDICATE_TYPE,
        }
    }

    /// The document's media type.
    pub fn media_type(self) -> &'static str {
        match self {
            SbomFormat::Spdx => "application/spdx+json",
            SbomFormat::CycloneDx => "application/vnd.cyclonedx+json",
        }
    }
}

/// A predicate and its type, ready for [`crate::Statement::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct Predicate {
    pub predicate_type: &'static str,
    pub predicate: serde_json::Value,
    /// The document's bytes as envelope writes it (pretty JSON), which the
    /// provenance's byproduct digest names.
    pub document: Vec<u8>,
}

fn json_error(what: &'static str) -> impl Fn(serde_json::Error) -> Error {
    move |e| Error::Json {
        what,
        detail: e.to_string(),
    }
}

/// The SBOM of `input` in `format` as a predicate.
pub fn sbom_predicate(input: &SbomInput, format: SbomFormat) -> Result<Predicate, Error> {
    let document = match format {
        SbomFormat::Spdx => envelope_sbom::spdx_json(input),
        SbomFormat::CycloneDx => envelope_sbom::cyclonedx_json(input),
    }
    .map_err(json_error("SBOM"))?;
    let predicate = serde_json::from_slice(&document).map_err(json_error("SBOM"))?;
    Ok(Predicate {
        predicate_type: format.predicate_type(),
        predicate,
        document,
    })
}

/// The provenance's byproduct naming an SBOM document by digest.
pub fn sbom_byproduct(document: &[u8], format: SbomFormat) -> ResourceDescriptor {
    let digest = Digest::sha256(document);
    ResourceDescriptor {
        name: Some(match format {
            SbomFormat::Spdx => "sbom.spdx.json".to_string(),
            SbomFormat::CycloneDx => "sbom.cdx.json".to_string(),
        }),
        uri: None,
        digest: [(digest.algorithm().to_string(), digest.hex().to_string())].into(),
        media_type: Some(format.media_type().to_string()),
        annotations: Default::default(),
    }
}

/// The OpenVEX document of a scan as a predicate (see [`crate::vex`]).
pub fn vex_predicate(
    binaries: &[crate::vex::VexBinary<'_>],
    timestamp: &str,
    tool_version: &str,
) -> Predicate {
    Predicate {
        predicate_type: OPENVEX_PREDICATE_TYPE,
        predicate: crate::vex::openvex(binaries, timestamp, tool_version),
        document: crate::vex::openvex_json(binaries, timestamp, tool_version),
    }
}
