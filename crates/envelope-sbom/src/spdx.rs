//! SPDX 2.3 JSON.
//!
//! - Relationships: `SPDXRef-DOCUMENT DESCRIBES` the subject; the subject
//!   `CONTAINS` every main module and OS package; every main module
//!   `DEPENDS_ON` its dependency modules and `stdlib`.
//! - The subject's `primaryPackagePurpose` is `CONTAINER` for an image and
//!   `APPLICATION` for a binary (a subject whose digest is the SHA-256 of
//!   one of the binaries); its `checksums` hold the digest only when it is
//!   a SHA-256.
//! - `created` and annotation dates are UTC with whole seconds.
//! - `documentNamespace` = `https://envelope.dev/spdx/<hex of
//!   [`SbomInput::identity_hash`]>` (the canonical input without its time).
//! - SPDXIDs are `SPDXRef-Package-<kind>-<hash16>`, derived from content.
//! - The go.sum `h1:` hash, replacements and build settings are package
//!   `annotations` (type `OTHER`, comment `envelope:...=<value>`); a
//!   replacement is also described in `sourceInfo`. `h1:` is not a hex
//!   digest of the package, so it does not go into `checksums`; the binary's
//!   SHA-256 does (on the main-module package, whose `packageFileName` is
//!   the binary path).

use serde::Serialize;

use crate::graph::{self, Edge, Kind, Node, SubjectKind};
use crate::SbomInput;

/// An SPDX 2.3 document (the subset of fields this crate writes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    /// Always `SPDX-2.3`.
    pub spdx_version: String,
    /// Always `CC0-1.0`.
    pub data_license: String,
    /// Always `SPDXRef-DOCUMENT`.
    #[serde(rename = "SPDXID")]
    pub spdx_id: String,
    /// The subject's name.
    pub name: String,
    /// `https://envelope.dev/spdx/<hex of [`SbomInput::identity_hash`]>`.
    pub document_namespace: String,
    /// When and by what the document was made.
    pub creation_info: CreationInfo,
    /// The subject first, then every other package in canonical order.
    pub packages: Vec<Package>,
    /// All relationships, sorted.
    pub relationships: Vec<Relationship>,
}

/// SPDX `creationInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreationInfo {
    /// `YYYY-MM-DDThh:mm:ssZ`.
    pub created: String,
    /// `Tool: <name>-<version>`.
    pub creators: Vec<String>,
}

/// An SPDX package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    /// `SPDXRef-Package-<kind>-<hash16>`.
    #[serde(rename = "SPDXID")]
    pub spdx_id: String,
    /// Package name (module path, `stdlib`, OS package name, subject name).
    pub name: String,
    /// Package version, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_info: Option<String>,
    /// The binary path, for main modules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_file_name: Option<String>,
    /// Always `NOASSERTION`.
    pub download_location: String,
    /// Always false (no file-level analysis).
    pub files_analyzed: bool,
    /// SHA-256 of the subject or binary, when known.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checksums: Vec<Checksum>,
    /// Description of a module `replace`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_info: Option<String>,
    /// Always `NOASSERTION`.
    pub license_concluded: String,
    /// Always `NOASSERTION`.
    pub license_declared: String,
    /// Always `NOASSERTION`.
    pub copyright_text: String,
    /// `CONTAINER`, `APPLICATION` or `LIBRARY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_package_purpose: Option<String>,
    /// The package's PURL.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_refs: Vec<ExternalRef>,
    /// `envelope:*` key/value data, one annotation each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<Annotation>,
}

/// An SPDX checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Checksum {
    /// Always `SHA256`.
    pub algorithm: String,
    /// Lowercase hex digest.
    pub checksum_value: String,
}

/// An SPDX external reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalRef {
    /// Always `PACKAGE-MANAGER`.
    pub reference_category: String,
    /// Always `purl`.
    pub reference_type: String,
    /// The PURL.
    pub reference_locator: String,
}

/// An SPDX annotation carrying one `envelope:*` key/value pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotation {
    /// The document's creation time.
    pub annotation_date: String,
    /// Always `OTHER`.
    pub annotation_type: String,
    /// `Tool: <name>-<version>`.
    pub annotator: String,
    /// `<key>=<value>`.
    pub comment: String,
}

/// An SPDX relationship.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Relationship {
    /// The SPDXID the relationship is from.
    pub spdx_element_id: String,
    /// `DESCRIBES`, `CONTAINS` or `DEPENDS_ON`.
    pub relationship_type: String,
    /// The SPDXID the relationship is to.
    pub related_spdx_element: String,
}

const NOASSERTION: &str = "NOASSERTION";
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";

fn spdx_id(id: &str) -> String {
    format!("SPDXRef-Package-{id}")
}

fn package(node: &Node, subject_kind: SubjectKind, annotator: &str, date: &str) -> Package {
    let purpose = match node.kind {
        Kind::Subject => Some(match subject_kind {
            SubjectKind::Image => "CONTAINER",
            SubjectKind::Binary => "APPLICATION",
        }),
        Kind::GoMain => Some("APPLICATION"),
        Kind::GoModule | Kind::GoStdlib | Kind::Os(_) => Some("LIBRARY"),
    };
    Package {
        spdx_id: spdx_id(&node.id),
        name: node.name.clone(),
        version_info: node.version.clone(),
        package_file_name: node.file_name.clone(),
        download_location: NOASSERTION.to_string(),
        files_analyzed: false,
        checksums: node
            .sha256
            .iter()
            .map(|h| Checksum {
                algorithm: "SHA256".to_string(),
                checksum_value: h.clone(),
            })
            .collect(),
        source_info: node.source_info.clone(),
        license_concluded: NOASSERTION.to_string(),
        license_declared: NOASSERTION.to_string(),
        copyright_text: NOASSERTION.to_string(),
        primary_package_purpose: purpose.map(str::to_string),
        external_refs: node
            .purl
            .iter()
            .map(|p| ExternalRef {
                reference_category: "PACKAGE-MANAGER".to_string(),
                reference_type: "purl".to_string(),
                reference_locator: p.clone(),
            })
            .collect(),
        annotations: node
            .properties
            .iter()
            .map(|(k, v)| Annotation {
                annotation_date: date.to_string(),
                annotation_type: "OTHER".to_string(),
                annotator: annotator.to_string(),
                comment: format!("{k}={v}"),
            })
            .collect(),
    }
}

/// Builds the SPDX 2.3 document for `input`.
pub fn document(input: &SbomInput) -> Document {
    let g = graph::build(input);
    let tool = if g.tool_version.is_empty() {
        format!("Tool: {}", g.tool_name)
    } else {
        format!("Tool: {}-{}", g.tool_name, g.tool_version)
    };
    let package = |n: &Node| package(n, g.subject_kind, &tool, &g.timestamp);

    let mut packages = vec![package(&g.subject)];
    packages.extend(g.nodes.iter().map(package));

    let mut relationships = vec![Relationship {
        spdx_element_id: DOCUMENT_ID.to_string(),
        relationship_type: "DESCRIBES".to_string(),
        related_spdx_element: spdx_id(&g.subject.id),
    }];
    relationships.extend(g.edges.iter().map(|(from, edge, to)| {
        Relationship {
            spdx_element_id: spdx_id(from),
            relationship_type: match edge {
                Edge::Contains => "CONTAINS",
                Edge::DependsOn => "DEPENDS_ON",
            }
            .to_string(),
            related_spdx_element: spdx_id(to),
        }
    }));
    relationships.sort();
    relationships.dedup();

    Document {
        spdx_version: "SPDX-2.3".to_string(),
        data_license: "CC0-1.0".to_string(),
        spdx_id: DOCUMENT_ID.to_string(),
        name: g.subject.name.clone(),
        document_namespace: format!("https://envelope.dev/spdx/{}", hex::encode(g.identity_hash)),
        creation_info: CreationInfo {
            created: g.timestamp.clone(),
            creators: vec![tool],
        },
        packages,
        relationships,
    }
}
