//! `envelope scan`: read the Go binaries of an image (or one binary) and
//! the Go vulnerability database, let envelope-vuln's scan module decide
//! which records apply and whether their code is called, imported or only
//! required, and print the report.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use envelope_cli::{FailOn, ScanArgs, ScanFormat};
use envelope_vuln::scan::{self, Binary};
use envelope_vuln::Database;

mod report;

use crate::images::{collect_image, epoch_time, is_binary_path, read_go_binary};
use crate::printer::Printer;
use report::{BinaryReport, DbReport, Reach, ScanReport};

fn binaries(args: &ScanArgs, image: &str, printer: &Printer) -> Result<Vec<Binary>> {
    if is_binary_path(image)? {
        let b = read_go_binary(Path::new(image), image, image, Binary::read)?;
        return Ok(vec![b]);
    }
    let (_, collector) = collect_image(
        image,
        args.platform.as_deref(),
        &args.registry,
        args.verify,
        Binary::read,
    )?;
    for w in &collector.warnings {
        printer.warn(format!("{w} (not scanned)"));
    }
    Ok(collector.binaries.into_values().collect())
}

/// SOURCE_DATE_EPOCH when set, else the database's modified time.
fn timestamp(db_modified: &str) -> Result<String> {
    Ok(epoch_time()?.unwrap_or_else(|| db_modified.to_string()))
}

pub fn run(args: ScanArgs, printer: &Printer) -> Result<ExitCode> {
    // The database loads (with the standard library's records, which every
    // Go binary needs) while the image's layers are read.
    let (db, bins) = std::thread::scope(|s| {
        let db = s.spawn(|| -> Result<Database> {
            let db = crate::vulndb::open(&args.vulndb, args.update_db, &args.registry)?;
            if args.update_db {
                // Every record, so that later --offline scans have them.
                let modules: Vec<String> = db.modules().map(str::to_string).collect();
                db.prefetch(modules.iter().map(String::as_str))
                    .context("downloading the vulnerability records")?;
            } else {
                db.prefetch(["stdlib"])
                    .context("reading the vulnerability database")?;
            }
            Ok(db)
        });
        let bins = args
            .image
            .as_deref()
            .map(|image| binaries(&args, image, printer));
        let db = db
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the database reader stopped unexpectedly")));
        (db, bins)
    });
    let db = db?;
    let info = db.info().clone();
    let Some(image) = args.image.clone() else {
        printer.status(format!(
            "vulnerability database {}: modified {}, {} modules, {} entries{}",
            info.source,
            info.modified,
            info.modules,
            info.entries,
            info.cache_dir
                .as_ref()
                .map(|d| format!(", cached in {}", d.display()))
                .unwrap_or_default()
        ));
        return Ok(ExitCode::SUCCESS);
    };
    let bins = bins.unwrap_or_else(|| Ok(Vec::new()))?;
    db.prefetch(
        bins.iter()
            .flat_map(|b| b.modules.iter().map(|m| m.path.as_str())),
    )
    .context("reading the vulnerability database")?;
    let mut report = ScanReport {
        target: image.clone(),
        database: DbReport {
            source: info.source.to_string(),
            modified: info.modified.clone(),
            fetched: info.fetched_at.map(|t| {
                envelope_build::rfc3339(
                    t.duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or(0),
                )
            }),
            from_cache: info.from_cache,
            warnings: info.warnings.clone(),
        },
        binaries: Vec::new(),
        summary: Default::default(),
    };
    for b in &bins {
        report.binaries.push(BinaryReport {
            path: b.path.clone(),
            go_version: b.go_version.clone(),
            main_module: b.main_module.clone(),
            modules_checked: b.modules.len(),
            inline_trees: b.inline_trees,
            symbols_known: b.symbols_known,
            findings: scan::findings(&db, b)?,
        });
    }
    report.summarize();
    if bins.is_empty() {
        printer.warn(format!("{image}: no Go binaries found"));
    }
    let mut out = printer.stdout();
    match args.format {
        ScanFormat::Human => {
            if !(printer.quiet && report.worst().is_none()) {
                report::human(&report, printer.verbose, &mut out)?;
            }
        }
        ScanFormat::Json => report::json(&report, &mut out)?,
        ScanFormat::Sarif => report::sarif(&report, &mut out)?,
        ScanFormat::Openvex => report::openvex(&report, &timestamp(&info.modified)?, &mut out)?,
    }
    out.flush()?;
    let threshold = match args.fail_on {
        FailOn::None => None,
        FailOn::Module => Some(Reach::Module),
        FailOn::Imported => Some(Reach::Imported),
        FailOn::Called => Some(Reach::Called),
    };
    let failed = matches!((threshold, report.worst()), (Some(t), Some(w)) if w >= t);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
