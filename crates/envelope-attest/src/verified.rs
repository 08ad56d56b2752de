//! What the verified attestations of an image say, for `envelope verify`
//! to print and a [`crate::policy::Policy`] to judge: the provenance's
//! source, toolchain and base, the SBOM's kind, the VEX's statuses, and —
//! for a provenance of envelope's build type — the check against the
//! image ([`Proved::check`]). The statements are assumed verified (key and
//! subject): nothing here checks a signature.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::predicates::{CYCLONEDX_PREDICATE_TYPE, OPENVEX_PREDICATE_TYPE, SPDX_PREDICATE_TYPE};
use crate::provenance::{ANN_GO_VERSION, DEP_BASE, DEP_GO};
use crate::{
    check_images, ImageFacts, Mismatch, Provenance, Statement, BUILD_TYPE,
    PROVENANCE_PREDICATE_TYPE,
};

/// One verified provenance.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProvenanceProved {
    pub build_type: String,
    pub builder: String,
    pub source_repository: Option<String>,
    pub source_revision: Option<String>,
    pub go_versions: Vec<String>,
    /// The base images' digests; empty: built on scratch (or not recorded).
    pub base_digests: Vec<String>,
    /// Whether the base is recorded: `scratch` or pinned by digest.
    pub base_pinned: bool,
    /// The build finished (RFC 3339), when recorded.
    pub finished_on: Option<String>,
    /// For envelope's build type: was the image compared with it.
    pub checked: bool,
    pub mismatches: Vec<Mismatch>,
    /// Why the predicate could not be read as SLSA provenance v1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
    /// The provenance, kept for the check against the image.
    #[serde(skip)]
    pub parsed: Option<Provenance>,
}

/// The VEX statements' statuses.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VexProved {
    pub statuses: BTreeMap<String, usize>,
    /// The vulnerabilities stated `affected` (their code is called).
    pub affected: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Proved {
    pub provenance: Vec<ProvenanceProved>,
    /// `spdx` or `cyclonedx`, per verified SBOM attestation.
    pub sbom: Vec<String>,
    pub vex: Option<VexProved>,
}

impl Proved {
    /// Reads what `statements` (verified, about the image) say. The same
    /// statement stored twice (a layer and a bundle) counts once.
    pub fn of(statements: &[Statement]) -> Proved {
        let mut proved = Proved::default();
        let mut seen = BTreeSet::new();
        for s in statements {
            if !seen.insert(s.to_json()) {
                continue;
            }
            match s.predicate_type.as_str() {
                PROVENANCE_PREDICATE_TYPE => {
                    proved
                        .provenance
                        .push(match Provenance::from_value(s.predicate.clone()) {
                            Ok(p) => summarize(p),
                            Err(e) => ProvenanceProved {
                                unreadable: Some(e.to_string()),
                                ..ProvenanceProved::default()
                            },
                        });
                }
                SPDX_PREDICATE_TYPE => proved.sbom.push("spdx".into()),
                CYCLONEDX_PREDICATE_TYPE => proved.sbom.push("cyclonedx".into()),
                t if t.starts_with(OPENVEX_PREDICATE_TYPE) => {
                    let vex = proved.vex.get_or_insert_with(VexProved::default);
                    for st in s.predicate["statements"].as_array().into_iter().flatten() {
                        let status = st["status"].as_str().unwrap_or("unknown").to_string();
                        if status == "affected" {
                            let name = st["vulnerability"]["name"]
                                .as_str()
                                .or_else(|| st["vulnerability"]["@id"].as_str())
                                .unwrap_or("unnamed");
                            vex.affected.push(name.to_string());
                        }
                        *vex.statuses.entry(status).or_default() += 1;
                    }
                    vex.affected.sort();
                    vex.affected.dedup();
                }
                _ => {}
            }
        }
        proved
    }

    /// Is there a provenance of envelope's build type to check against
    /// the image?
    pub fn needs_image(&self) -> bool {
        self.provenance
            .iter()
            .any(|p| p.build_type == BUILD_TYPE && p.parsed.is_some())
    }

    /// Checks each provenance of envelope's build type against `images`
    /// (every platform's image read back).
    pub fn check(&mut self, images: &[ImageFacts]) {
        for p in &mut self.provenance {
            if p.build_type != BUILD_TYPE {
                continue;
            }
            if let Some(provenance) = &p.parsed {
                p.mismatches = check_images(images, provenance).mismatches;
                p.checked = true;
            }
        }
    }

    /// No provenance is unreadable or disagrees with the image.
    pub fn passed(&self) -> bool {
        self.provenance
            .iter()
            .all(|p| p.mismatches.is_empty() && p.unreadable.is_none())
    }
}

fn summarize(p: Provenance) -> ProvenanceProved {
    let source = p.external().ok().and_then(|e| e.source);
    let mut go_versions: BTreeSet<String> = p
        .dependencies(DEP_GO)
        .filter_map(|d| d.annotation(ANN_GO_VERSION).map(str::to_string))
        .collect();
    if let Some(v) = p.build_definition.internal_parameters["goVersion"].as_str() {
        go_versions.insert(v.to_string());
    }
    let base_digests: BTreeSet<String> = p
        .dependencies(DEP_BASE)
        .filter_map(|d| d.sha256().map(|d| d.to_string()))
        .collect();
    let base_named = p.dependencies(DEP_BASE).count();
    let base = p.external().ok().map(|e| e.base).unwrap_or_default();
    let finished_on = p
        .run_details
        .metadata
        .as_ref()
        .and_then(|m| m.finished_on.clone());
    ProvenanceProved {
        build_type: p.build_definition.build_type.clone(),
        builder: p.run_details.builder.id.clone(),
        source_repository: source.as_ref().map(|s| s.repository.clone()),
        source_revision: source.and_then(|s| s.revision),
        go_versions: go_versions.into_iter().collect(),
        base_pinned: (base_named > 0 && base_digests.len() == base_named)
            || (base_named == 0 && (base.is_empty() || base == "scratch")),
        base_digests: base_digests.into_iter().collect(),
        finished_on,
        checked: false,
        mismatches: Vec::new(),
        unreadable: None,
        parsed: Some(p),
    }
}
