//! The report of one platform's image: what went in and why, its digests
//! and sizes, and the hardening the binary and configuration show.

use super::plan::Plan;
use super::{BinaryReport, Hardening, LayerReport, PlatformBinary, PlatformReport};
use envelope_oci::Digest;

/// What the report is made from besides the plan.
pub(super) struct ReportInput<'a> {
    pub bin: &'a PlatformBinary,
    pub user: &'a str,
    pub manifest: Digest,
    pub config: Digest,
    pub layers: Vec<LayerReport>,
}

pub(super) fn report(plan: Plan, input: ReportInput<'_>) -> PlatformReport {
    let ReportInput {
        bin,
        user,
        manifest,
        config,
        layers,
    } = input;
    let bi = plan.checked.facts.build_info.as_ref();
    let setting = |k: &str| bi.and_then(|b| b.setting(k)).map(str::to_string);
    let facts = &plan.checked.facts;
    let trimpath = setting("-trimpath").as_deref() == Some("true");
    let cgo_disabled = setting("CGO_ENABLED").as_deref() != Some("1");
    let non_root = !matches!(user.split(':').next(), Some("0" | "root"));
    PlatformReport {
        platform: bin.platform.to_string(),
        manifest,
        config,
        binary: BinaryReport {
            path: plan.bin_path,
            size: bin.data.len() as u64,
            go_version: bi.map(|b| b.go_version.clone()),
            main_module: bi.and_then(|b| b.main.as_ref()).map(|m| m.path.clone()),
            vcs_revision: setting("vcs.revision"),
            ca_certs: plan.ca,
            tzdata: plan.tz,
        },
        compressed_size: layers.iter().map(|r| r.size).sum(),
        uncompressed_size: layers.iter().map(|r| r.uncompressed_size).sum(),
        layers,
        hardening: Hardening {
            static_binary: facts.is_static,
            stripped: facts.stripped,
            trimpath,
            cgo_disabled,
            non_root,
            no_shell: true,
        },
        warnings: plan.checked.warnings,
    }
}
