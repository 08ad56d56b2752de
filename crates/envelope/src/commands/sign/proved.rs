//! What the verified attestations of an image say: the provenance's
//! source, toolchain and base, the SBOM's kind, the VEX's statuses, and
//! the check of a provenance of envelope's against the image itself.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use anyhow::Result;
use envelope_attest::predicates::{
    CYCLONEDX_PREDICATE_TYPE, OPENVEX_PREDICATE_TYPE, SPDX_PREDICATE_TYPE,
};
use envelope_attest::provenance::{ANN_GO_VERSION, DEP_BASE, DEP_GO};
use envelope_attest::{
    check_images, ImageFacts, Mismatch, Provenance, Statement, BUILD_TYPE,
    PROVENANCE_PREDICATE_TYPE,
};
use serde::Serialize;

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
    /// Reads what `statements` (verified, about the image) say;
    /// `facts` reads the image back when a provenance of envelope's needs
    /// checking.
    pub fn of(
        statements: &[Statement],
        facts: &dyn Fn() -> Result<Vec<ImageFacts>>,
    ) -> Result<Proved> {
        let mut proved = Proved::default();
        let mut seen = BTreeSet::new();
        let mut image: Option<Vec<ImageFacts>> = None;
        for s in statements {
            // The same statement is often stored twice (a layer, a bundle).
            if !seen.insert(s.to_json()) {
                continue;
            }
            match s.predicate_type.as_str() {
                PROVENANCE_PREDICATE_TYPE => {
                    let mut p = match Provenance::from_value(s.predicate.clone()) {
                        Ok(p) => summarize(&p),
                        Err(e) => ProvenanceProved {
                            unreadable: Some(e.to_string()),
                            ..ProvenanceProved::default()
                        },
                    };
                    if p.build_type == BUILD_TYPE {
                        if let Ok(provenance) = Provenance::from_value(s.predicate.clone()) {
                            if image.is_none() {
                                image = Some(facts()?);
                            }
                            let report =
                                check_images(image.as_deref().unwrap_or_default(), &provenance);
                            p.checked = true;
                            p.mismatches = report.mismatches;
                        }
                    }
                    proved.provenance.push(p);
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
        Ok(proved)
    }

    /// No provenance of envelope's disagrees with the image.
    pub fn passed(&self) -> bool {
        self.provenance
            .iter()
            .all(|p| p.mismatches.is_empty() && p.unreadable.is_none())
    }

    pub fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for p in &self.provenance {
            if let Some(e) = &p.unreadable {
                writeln!(out, "  provenance: FAILED: {e}")?;
                continue;
            }
            writeln!(
                out,
                "  provenance: source {} at {}, Go {}, base {}",
                p.source_repository.as_deref().unwrap_or("(not recorded)"),
                p.source_revision.as_deref().unwrap_or("(no revision)"),
                if p.go_versions.is_empty() {
                    "(not recorded)".to_string()
                } else {
                    p.go_versions.join(", ")
                },
                if p.base_digests.is_empty() {
                    "scratch".to_string()
                } else {
                    p.base_digests.join(", ")
                },
            )?;
            if p.checked {
                if p.mismatches.is_empty() {
                    writeln!(
                        out,
                        "  provenance: ok, the image's binaries and base match it"
                    )?;
                }
                for m in &p.mismatches {
                    writeln!(out, "  provenance: FAILED: {m}")?;
                }
            }
        }
        for kind in &self.sbom {
            writeln!(out, "  sbom: {kind}")?;
        }
        if let Some(v) = &self.vex {
            let counts: Vec<String> = v.statuses.iter().map(|(s, n)| format!("{n} {s}")).collect();
            writeln!(
                out,
                "  vex: {}{}",
                if counts.is_empty() {
                    "no statements".to_string()
                } else {
                    counts.join(", ")
                },
                if v.affected.is_empty() {
                    String::new()
                } else {
                    format!(" (affected, called: {})", v.affected.join(", "))
                }
            )?;
        }
        Ok(())
    }
}

fn summarize(p: &Provenance) -> ProvenanceProved {
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
    ProvenanceProved {
        build_type: p.build_definition.build_type.clone(),
        builder: p.run_details.builder.id.clone(),
        source_repository: source.as_ref().map(|s| s.repository.clone()),
        source_revision: source.and_then(|s| s.revision),
        go_versions: go_versions.into_iter().collect(),
        base_pinned: (base_named > 0 && base_digests.len() == base_named)
            || (base_named == 0 && (base.is_empty() || base == "scratch")),
        base_digests: base_digests.into_iter().collect(),
        finished_on: p
            .run_details
            .metadata
            .as_ref()
            .and_then(|m| m.finished_on.clone()),
        checked: false,
        mismatches: Vec::new(),
        unreadable: None,
    }
}
