//! `envelope audit` and `envelope inspect`: open the image from any
//! transport, stream its layers into the filesystem index (the audit's
//! collector reads the account files, secrets and every ELF binary on the
//! way), run the checks, and report findings, sizes and savings.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use envelope_cli::{AuditArgs, InspectArgs, ListFormat};
use envelope_diagnostics::{human_bytes, render, Format, Report};
use envelope_layer::fs::{ImageFs, NoContent};
use envelope_lint::all_infos;
use envelope_lint::audit::{audit, binary_facts, ImageFacts};

use crate::images;
use crate::printer::{hinted, Printer, BOLD, DIM};

fn facts(args: &AuditArgs) -> Result<ImageFacts> {
    let path = Path::new(&args.image);
    if images::is_binary_path(&args.image)? {
        if !images::is_elf_file(path) {
            return Err(hinted(
                format!("{} is a file but not an ELF binary", path.display()),
                "audit an image (oci:DIR, docker-archive:FILE, ...) or a Linux binary",
            ));
        }
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let binary = binary_facts(&args.image, bytes.len() as u64, &bytes);
        if let Err(e) = &binary.facts {
            return Err(hinted(
                format!("{} is not a readable ELF binary: {e}", path.display()),
                "is the file complete?",
            ));
        }
        return Ok(ImageFacts {
            reference: args.image.clone(),
            is_image: false,
            binaries: vec![binary],
            ..ImageFacts::default()
        });
    }
    let platform = images::platform(args.platform.as_deref())?;
    let (_, facts) =
        images::audit_facts(&args.image, platform.as_ref(), &args.registry, args.verify)?;
    Ok(facts)
}

pub fn run(args: AuditArgs, printer: &Printer) -> Result<ExitCode> {
    let settings = crate::findings::settings(&args.selection, "audit")?;
    let facts = facts(&args)?;
    let diagnostics = audit(&facts, &settings);
    let report = Report {
        diagnostics,
        rules: all_infos().into_iter().copied().collect(),
        files_checked: 1,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        ..Report::default()
    };
    let format = crate::findings::format_of(args.format);
    let mut out = printer.stdout();
    if format == Format::Json {
        let mut v = envelope_diagnostics::json_report(&report);
        if let Some(map) = v.as_object_mut() {
            map.insert("image".into(), summary_json(&facts));
        }
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else if !(printer.quiet && report.diagnostics.is_empty() && format == Format::Human) {
        render(&report, format, format == Format::Human, &mut out)?;
        if format == Format::Human && !printer.quiet {
            savings_table(&facts, &report, &mut out)?;
        }
    }
    out.flush()?;
    let hit = report
        .diagnostics
        .iter()
        .any(|d| d.severity >= settings.fail_on);
    Ok(if hit {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The bytes a minimal envelope image adds to a binary: passwd, group,
/// /tmp, the CA bundle and tzdata when the binary needs them.
fn minimal_base_bytes(facts: &ImageFacts) -> u64 {
    let needs_ca = facts
        .binaries
        .iter()
        .any(|b| b.needs.as_ref().is_some_and(|n| n.ca_certs));
    let needs_tz = facts.binaries.iter().any(|b| {
        b.needs
            .as_ref()
            .is_some_and(|n| n.tzdata && !n.embedded_tzdata)
    });
    envelope_build::base_files_size(needs_ca, needs_tz)
}

/// The image's size, the savings of each finding, and what the same Go
/// binaries would weigh built the envelope way.
fn summary_json(facts: &ImageFacts) -> serde_json::Value {
    let binaries: Vec<serde_json::Value> = facts
        .binaries
        .iter()
        .filter(|b| b.go().is_some())
        .map(|b| {
            let saves = strip_savings(b);
            serde_json::json!({
                "path": b.path,
                "size": b.size,
                "stripped_size": b.size.saturating_sub(saves),
            })
        })
        .collect();
    let projected = projected_size(facts);
    serde_json::json!({
        "reference": facts.reference,
        "size": facts.fs.total_size(),
        "layers": facts.fs.layers.len(),
        "compressed_size": compressed_size(&facts.fs),
        "uncompressed_size": facts.fs.layers.iter().map(|l| l.tar_size).fold(0, u64::saturating_add),
        "wasted_bytes": facts.fs.efficiency.wasted_bytes,
        "efficiency": facts.fs.efficiency.score,
        "go_binaries": binaries,
        "projected_size": projected,
    })
}

/// The bytes of the layer blobs.
fn compressed_size(fs: &ImageFs) -> u64 {
    fs.layers
        .iter()
        .map(|l| l.compressed_size)
        .fold(0, u64::saturating_add)
}

/// The bytes stripping would take off a binary: the file bytes of its
/// symbol and debug sections, never more than the file.
fn strip_savings(b: &envelope_lint::audit::Binary) -> u64 {
    b.facts.as_ref().map_or(0, |f| {
        if f.stripped {
            0
        } else {
            f.strip_savings.min(b.size)
        }
    })
}

/// The size of an envelope image of the same Go binaries (stripped) on the
/// minimal base; `None` when the image has no Go binary.
fn projected_size(facts: &ImageFacts) -> Option<u64> {
    let go: Vec<_> = facts.binaries.iter().filter(|b| b.go().is_some()).collect();
    if go.is_empty() {
        return None;
    }
    let bins: u64 = go
        .iter()
        .map(|b| {
            let saves = strip_savings(b);
            b.size.saturating_sub(saves)
        })
        .fold(0u64, u64::saturating_add);
    Some(bins.saturating_add(minimal_base_bytes(facts)))
}

fn savings_table(facts: &ImageFacts, report: &Report, out: &mut dyn Write) -> Result<()> {
    if !facts.is_image {
        return Ok(());
    }
    let total = facts.fs.total_size();
    let rows: Vec<(&str, &str, u64)> = report
        .diagnostics
        .iter()
        .filter_map(|d| {
            d.savings
                .filter(|b| *b > 0)
                .map(|b| (d.code, d.message.as_str(), b))
        })
        .collect();
    writeln!(
        out,
        "{BOLD}size{BOLD:#}: {} of files in the final filesystem; {} layers, {} compressed",
        human_bytes(total),
        facts.fs.layers.len(),
        human_bytes(compressed_size(&facts.fs))
    )?;
    let eff = &facts.fs.efficiency;
    if eff.wasted_bytes > 0 {
        writeln!(
            out,
            "{BOLD}wasted{BOLD:#}: {} on files later layers overwrite or delete (efficiency {:.1} %)",
            human_bytes(eff.wasted_bytes),
            eff.score * 100.0
        )?;
    }
    if !rows.is_empty() {
        writeln!(out, "{BOLD}savings{BOLD:#}:")?;
        let max = rows.iter().map(|r| r.2).max().unwrap_or(1).max(1);
        for (code, message, bytes) in &rows {
            let width = ((*bytes as f64 / max as f64) * 20.0).ceil() as usize;
            let short: String = message.chars().take(60).collect();
            writeln!(
                out,
                "  {code}  {:>9}  {:<20}  {DIM}{short}{DIM:#}",
                human_bytes(*bytes),
                "█".repeat(width.max(1)),
            )?;
        }
    }
    if let Some(projected) = projected_size(facts) {
        writeln!(
            out,
            "{BOLD}built the envelope way{BOLD:#}: {} (the Go binaries stripped, on a minimal base): {} smaller",
            human_bytes(projected),
            human_bytes(total.saturating_sub(projected))
        )?;
    }
    Ok(())
}

pub fn inspect(args: InspectArgs, printer: &Printer) -> Result<ExitCode> {
    let platform = images::platform(args.platform.as_deref())?;
    let opened = images::open(&args.image, platform.as_ref(), &args.registry)?;
    let fs = images::index(&opened, &mut NoContent, args.verify)?;
    let config: serde_json::Value =
        serde_json::from_slice(&opened.source.config_bytes).unwrap_or_default();
    // History entries that made a layer, in order.
    let created: Vec<String> = config["history"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|h| !h["empty_layer"].as_bool().unwrap_or(false))
        .map(|h| envelope_lint::audit::redact_secrets(h["created_by"].as_str().unwrap_or_default()))
        .collect();
    let mut out = printer.stdout();
    match args.format {
        ListFormat::Json => {
            let layers: Vec<serde_json::Value> = fs
                .layers
                .iter()
                .map(|l| {
                    serde_json::json!({
                        "index": l.index,
                        "digest": opened.source.layers().get(l.index).map(|d| d.digest.to_string()),
                        "compressed_size": l.compressed_size,
                        "size": l.tar_size,
                        "files_size": l.files_size,
                        "entries": l.entries,
                        "created_by": created.get(l.index),
                        "largest": l.largest.iter().take(args.top).map(|(p, s)| serde_json::json!({"path": p, "size": s})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let v = serde_json::json!({
                "reference": opened.shown,
                "manifest_digest": opened.source.manifest_digest.to_string(),
                "size": fs.total_size(),
                "compressed_size": compressed_size(&fs),
                "uncompressed_size": fs.layers.iter().map(|l| l.tar_size).fold(0, u64::saturating_add),
                "layers": layers,
                "efficiency": fs.efficiency.score,
                "wasted_bytes": fs.efficiency.wasted_bytes,
                "user_size": fs.efficiency.user_size,
                "inefficiencies": fs.efficiency.inefficiencies.iter().take(50).collect::<Vec<_>>(),
                "warnings": fs.warnings,
            });
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        ListFormat::Human => {
            writeln!(
                out,
                "{BOLD}{}{BOLD:#}  {}",
                opened.shown, opened.source.manifest_digest
            )?;
            let max = fs
                .layers
                .iter()
                .map(|l| l.files_size)
                .max()
                .unwrap_or(1)
                .max(1);
            for l in &fs.layers {
                let width = ((l.files_size as f64 / max as f64) * 24.0).ceil() as usize;
                let cmd: String = created
                    .get(l.index)
                    .map(|c| c.chars().take(70).collect())
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{:>3}  {:>9} tar {:>9} compressed  {:<24}  {DIM}{cmd}{DIM:#}",
                    l.index,
                    human_bytes(l.tar_size),
                    human_bytes(l.compressed_size),
                    "█".repeat(width),
                )?;
                for (p, s) in l.largest.iter().take(args.top) {
                    writeln!(out, "       {:>9}  {p}", human_bytes(*s))?;
                }
            }
            writeln!(
                out,
                "{BOLD}layers{BOLD:#}: {} tar, {} compressed · {BOLD}final filesystem{BOLD:#}: {} · wasted {} · efficiency {:.2} %",
                human_bytes(fs.layers.iter().map(|l| l.tar_size).fold(0, u64::saturating_add)),
                human_bytes(fs.layers.iter().map(|l| l.compressed_size).fold(0, u64::saturating_add)),
                human_bytes(fs.total_size()),
                human_bytes(fs.efficiency.wasted_bytes),
                fs.efficiency.score * 100.0
            )?;
            if !fs.warnings.is_empty() {
                writeln!(
                    out,
                    "{} odd layer entries (paths leaving the root, devices, ...): `envelope audit` lists them (IM014)",
                    fs.warnings.len()
                )?;
            }
            for i in fs.efficiency.inefficiencies.iter().take(10) {
                writeln!(
                    out,
                    "  {:>9}  ×{}  {}",
                    human_bytes(i.cumulative_size),
                    i.count,
                    i.path
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
