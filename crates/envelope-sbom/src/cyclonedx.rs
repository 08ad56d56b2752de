//! CycloneDX 1.6 JSON.
//!
//! - `serialNumber` = `urn:uuid:` + the first 16 bytes of
//!   [`SbomInput::identity_hash`] (the canonical input without its time),
//!   formatted as a UUID with version 5 and RFC 4122 variant bits.
//! - `metadata.timestamp` = subject creation time or the Unix epoch.
//! - `bom-ref` values are the content-derived ids `<kind>-<hash16>`.
//! - `metadata.component` is the subject (type `container` for an image,
//!   `application` for a binary); `dependencies` has an entry for it and for
//!   every component: the subject depends on what it contains (main modules,
//!   OS packages), a main module on its dependency modules and `stdlib`.
//! - The go.sum `h1:` hash (`hashes` only takes hex digests), replacements
//!   and build settings are `properties` named `envelope:go:*`.

use serde::Serialize;

use std::collections::BTreeMap;

use crate::graph::{self, Kind, Node, SubjectKind};
use crate::SbomInput;

/// A CycloneDX 1.6 BOM (the subset of fields this crate writes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bom {
    /// Always `CycloneDX`.
    pub bom_format: String,
    /// Always `1.6`.
    pub spec_version: String,
    /// `urn:uuid:...` derived from [`SbomInput::identity_hash`].
    pub serial_number: String,
    /// Always 1.
    pub version: u32,
    /// Timestamp, tool and subject.
    pub metadata: Metadata,
    /// Every package but the subject, in canonical order.
    pub components: Vec<Component>,
    /// One entry per component (and the subject), sorted by `ref`.
    pub dependencies: Vec<Dependency>,
}

/// CycloneDX `metadata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// The subject's creation time (UTC, whole seconds) or the Unix epoch.
    pub timestamp: String,
    /// The tool that wrote the BOM.
    pub tools: Tools,
    /// The subject.
    pub component: Component,
}

/// CycloneDX 1.5+ `metadata.tools` (object form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tools {
    /// The tool, as an `application` component.
    pub components: Vec<Component>,
}

/// A CycloneDX component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// `container`, `application` or `library`.
    #[serde(rename = "type")]
    pub component_type: String,
    /// The content-derived id `<kind>-<hash16>`.
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<String>,
    /// Component name.
    pub name: String,
    /// Component version, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// SHA-256 of the subject or binary, when known.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hash>,
    /// The component's PURL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// `envelope:*` key/value data.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
}

/// A CycloneDX hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hash {
    /// Always `SHA-256`.
    pub alg: String,
    /// Lowercase hex digest.
    pub content: String,
}

/// A CycloneDX property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Property {
    /// `envelope:...` key.
    pub name: String,
    /// Value.
    pub value: String,
}

/// A CycloneDX `dependencies` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    /// The `bom-ref` of the depending component.
    #[serde(rename = "ref")]
    pub dependency_ref: String,
    /// The `bom-ref`s it depends on (or contains), sorted; may be empty.
    pub depends_on: Vec<String>,
}

/// `urn:uuid:` from the first 16 bytes of `hash`, version 5, RFC 4122 variant.
pub fn serial_number(hash: &[u8; 32]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&hash[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn component(node: &Node, subject_kind: SubjectKind) -> Component {
    let component_type = match node.kind {
        Kind::Subject if subject_kind == SubjectKind::Image => "container",
        Kind::Subject | Kind::GoMain => "application",
        Kind::GoModule | Kind::GoStdlib | Kind::Os(_) => "library",
    };
    Component {
        component_type: component_type.to_string(),
        bom_ref: Some(node.id.clone()),
        name: node.name.clone(),
        version: node.version.clone(),
        hashes: node
            .sha256
            .iter()
            .map(|h| Hash {
                alg: "SHA-256".to_string(),
                content: h.clone(),
            })
            .collect(),
        purl: node.purl.clone(),
        properties: node
            .properties
            .iter()
            .map(|(k, v)| Property {
                name: k.clone(),
                value: v.clone(),
            })
            .collect(),
    }
}

/// Builds the CycloneDX 1.6 BOM for `input`.
pub fn document(input: &SbomInput) -> Bom {
    let g = graph::build(input);

    let mut out_edges: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (from, _, to) in &g.edges {
        out_edges.entry(from).or_default().push(to.clone());
    }
    let mut dependencies: Vec<Dependency> = std::iter::once(&g.subject)
        .chain(g.nodes.iter())
        .map(|n| {
            let mut depends_on = out_edges.remove(n.id.as_str()).unwrap_or_default();
            depends_on.sort();
            depends_on.dedup();
            Dependency {
                dependency_ref: n.id.clone(),
                depends_on,
            }
        })
        .collect();
    dependencies.sort_by(|a, b| a.dependency_ref.cmp(&b.dependency_ref));

    Bom {
        bom_format: "CycloneDX".to_string(),
        spec_version: "1.6".to_string(),
        serial_number: serial_number(&g.identity_hash),
        version: 1,
        metadata: Metadata {
            timestamp: g.timestamp.clone(),
            tools: Tools {
                components: vec![Component {
                    component_type: "application".to_string(),
                    bom_ref: None,
                    name: g.tool_name.clone(),
                    version: Some(g.tool_version.clone()).filter(|v| !v.is_empty()),
                    hashes: Vec::new(),
                    purl: None,
                    properties: Vec::new(),
                }],
            },
            component: component(&g.subject, g.subject_kind),
        },
        components: g
            .nodes
            .iter()
            .map(|n| component(n, g.subject_kind))
            .collect(),
        dependencies,
    }
}
