//! How `verify` prints what the verified attestations prove
//! (envelope_attest::verified).

use std::io::Write;

use envelope_attest::verified::Proved;

/// One line per provenance (and each mismatch), SBOM and VEX.
pub fn human(proved: &Proved, out: &mut dyn Write) -> std::io::Result<()> {
    for p in &proved.provenance {
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
    for kind in &proved.sbom {
        writeln!(out, "  sbom: {kind}")?;
    }
    if let Some(v) = &proved.vex {
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
