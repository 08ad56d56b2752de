//! What `envelope scan` found, and its four renderings: human (grouped by
//! binary and module), JSON, SARIF 2.1.0 and OpenVEX 0.2.0.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use envelope_vuln::semver::shown;
use serde::Serialize;
use serde_json::json;

use crate::printer::{BOLD, DIM, GREEN, RED, YELLOW};

pub use envelope_vuln::scan::{Finding, Reach};

#[derive(Debug, Clone, Serialize)]
pub struct BinaryReport {
    /// Path in the image, or the file given.
    pub path: String,
    pub go_version: String,
    /// None when the build info names no main module.
    pub main_module: Option<String>,
    /// `module@version` of every module matched against the database.
    pub modules_checked: usize,
    /// Whether the inline trees could be read (else inlined symbols are
    /// not seen, and some `called` findings may show as `imported`).
    pub inline_trees: bool,
    /// Whether the function table could be read (else every vulnerable
    /// symbol is taken to be present).
    pub symbols_known: bool,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DbReport {
    pub source: String,
    pub modified: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetched: Option<String>,
    pub from_cache: bool,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub called: usize,
    pub imported: usize,
    pub module: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub target: String,
    pub database: DbReport,
    pub binaries: Vec<BinaryReport>,
    pub summary: Summary,
}

impl ScanReport {
    pub fn summarize(&mut self) {
        let mut s = Summary::default();
        for f in self.binaries.iter().flat_map(|b| &b.findings) {
            match f.reachability {
                Reach::Called => s.called += 1,
                Reach::Imported => s.imported += 1,
                Reach::Module => s.module += 1,
            }
        }
        self.summary = s;
    }

    pub fn worst(&self) -> Option<Reach> {
        self.binaries
            .iter()
            .flat_map(|b| &b.findings)
            .map(|f| f.reachability)
            .max()
    }
}

pub fn json(report: &ScanReport, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)?;
    Ok(())
}

pub fn human(report: &ScanReport, verbose: bool, out: &mut dyn Write) -> Result<()> {
    if report.binaries.is_empty() {
        writeln!(out, "{}: no Go binaries", report.target)?;
    }
    for b in &report.binaries {
        match &b.main_module {
            Some(m) => writeln!(out, "{BOLD}{}{BOLD:#} ({m}, {})", b.path, b.go_version)?,
            None => writeln!(out, "{BOLD}{}{BOLD:#} ({})", b.path, b.go_version)?,
        }
        if b.findings.is_empty() {
            writeln!(
                out,
                "  {GREEN}no known vulnerabilities{GREEN:#} in {} modules",
                b.modules_checked
            )?;
            continue;
        }
        let mut by_module: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
        for f in &b.findings {
            by_module
                .entry((f.module.as_str(), f.version.as_str()))
                .or_default()
                .push(f);
        }
        for ((module, version), mut fs) in by_module {
            fs.sort_by(|a, b| b.reachability.cmp(&a.reachability).then(a.id.cmp(&b.id)));
            let fix = fs
                .iter()
                .filter_map(|f| f.fixed.as_deref())
                .max_by(|a, b| envelope_vuln::semver::compare(a, b));
            let v = shown(module, version);
            match fix {
                Some(fix) => {
                    let unfixed = fs.iter().filter(|f| f.fixed.is_none()).count();
                    let note = if unfixed > 0 {
                        format!(" ({unfixed} of {} not fixed yet)", fs.len())
                    } else {
                        String::new()
                    };
                    writeln!(
                        out,
                        "  {BOLD}{module}{BOLD:#} {v} ⇒ {}{note}",
                        shown(module, fix)
                    )?
                }
                None => writeln!(out, "  {BOLD}{module}{BOLD:#} {v} (no fixed version)")?,
            }
            for f in fs {
                let (style, tag) = match f.reachability {
                    Reach::Called => (RED, "called  "),
                    Reach::Imported => (YELLOW, "imported"),
                    Reach::Module => (DIM, "module  "),
                };
                let aliases = if f.aliases.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", f.aliases.join(", "))
                };
                writeln!(
                    out,
                    "    {style}{tag}{style:#} {BOLD}{}{BOLD:#}{aliases}",
                    f.id
                )?;
                writeln!(out, "             {}", f.summary)?;
                let fixed = f.fixed.as_deref().map_or("no fix yet".to_string(), |v| {
                    format!("fixed in {}", shown(&f.module, v))
                });
                let what = match f.reachability {
                    Reach::Called if f.symbols.is_empty() && f.packages.is_empty() => {
                        "the whole module is vulnerable, and its code is linked".to_string()
                    }
                    Reach::Called if f.symbols.is_empty() => format!(
                        "links {} (every symbol of it is vulnerable)",
                        f.packages.join(", ")
                    ),
                    Reach::Called => format!("calls {}", f.symbols.join(", ")),
                    Reach::Imported => format!(
                        "links {} but none of its vulnerable symbols",
                        f.packages.join(", ")
                    ),
                    Reach::Module => "the vulnerable code is not in the binary".to_string(),
                };
                writeln!(out, "             {DIM}{fixed}; {what}{DIM:#}")?;
                if verbose {
                    writeln!(out, "             {DIM}{}{DIM:#}", f.url)?;
                }
            }
        }
        if !b.symbols_known {
            writeln!(
                out,
                "  {YELLOW}note{YELLOW:#}: the function table could not be read; every vulnerable symbol is taken to be present"
            )?;
        } else if !b.inline_trees {
            writeln!(
                out,
                "  {YELLOW}note{YELLOW:#}: inlined functions could not be read; an inlined vulnerable call shows as imported"
            )?;
        }
    }
    let s = &report.summary;
    writeln!(
        out,
        "{} called, {} imported, {} module only in {} binar{}; database {} (modified {}{})",
        s.called,
        s.imported,
        s.module,
        report.binaries.len(),
        if report.binaries.len() == 1 {
            "y"
        } else {
            "ies"
        },
        report.database.source,
        report.database.modified,
        if report.database.from_cache {
            ", from cache"
        } else {
            ""
        }
    )?;
    for w in &report.database.warnings {
        writeln!(out, "{YELLOW}warning{YELLOW:#}: {w}")?;
    }
    Ok(())
}

/// SARIF 2.1.0: a rule per vulnerability, a result per finding located at
/// the binary, level error (called), warning (imported) or note (module).
pub fn sarif(report: &ScanReport, out: &mut dyn Write) -> Result<()> {
    use envelope_diagnostics::sarif;

    let mut rules: BTreeMap<&str, &Finding> = BTreeMap::new();
    for f in report.binaries.iter().flat_map(|b| &b.findings) {
        rules.entry(f.id.as_str()).or_insert(f);
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, k)| (*k, i)).collect();
    let rules = rules
        .values()
        .map(|f| sarif::Rule {
            default_configuration: None,
            full_description: sarif::Message::text(if f.aliases.is_empty() {
                f.summary.clone()
            } else {
                format!("{} ({})", f.summary, f.aliases.join(", "))
            }),
            help: sarif::Message::text(format!("{}: see {}", f.id, f.url)),
            help_uri: Some(f.url.clone()),
            id: f.id.clone(),
            name: None,
            properties: sarif::Properties::from([("aliases".into(), json!(f.aliases))]),
            short_description: sarif::Message::text(f.summary.clone()),
        })
        .collect();
    let mut results = Vec::new();
    for b in &report.binaries {
        for f in &b.findings {
            let level = match f.reachability {
                Reach::Called => sarif::Level::Error,
                Reach::Imported => sarif::Level::Warning,
                Reach::Module => sarif::Level::Note,
            };
            let fixed = f
                .fixed
                .as_deref()
                .map_or("no fixed version".to_string(), |v| format!("fixed in {v}"));
            results.push(sarif::SarifResult {
                fixes: Vec::new(),
                level,
                // Relative to the image root.
                locations: vec![sarif::Location::file(b.path.trim_start_matches('/'), None)],
                message: sarif::Message::text(format!(
                    "{} {} in {} ({}): {}; {}",
                    f.module,
                    f.version,
                    b.path,
                    f.reachability.label(),
                    f.summary,
                    fixed
                )),
                properties: sarif::Properties::from([
                    ("reachability".into(), json!(f.reachability)),
                    ("module".into(), json!(f.module)),
                    ("version".into(), json!(f.version)),
                    ("fixed".into(), json!(f.fixed)),
                    ("symbols".into(), json!(f.symbols)),
                ]),
                rule_id: f.id.clone(),
                rule_index: Some(index.get(f.id.as_str()).copied().unwrap_or(0)),
            });
        }
    }
    let log = sarif::Log::new(vec![sarif::Run {
        results,
        tool: sarif::Tool {
            driver: sarif::Driver::envelope(env!("CARGO_PKG_VERSION"), rules),
        },
    }]);
    sarif::write(&log, out)?;
    Ok(())
}

/// OpenVEX 0.2.0, written by envelope-attest (the VEX attestation's
/// writer too).
pub fn openvex(report: &ScanReport, timestamp: &str, out: &mut dyn Write) -> Result<()> {
    let binaries: Vec<envelope_attest::vex::VexBinary<'_>> = report
        .binaries
        .iter()
        .map(|b| envelope_attest::vex::VexBinary {
            path: &b.path,
            main_module: b.main_module.as_deref(),
            inline_trees: b.inline_trees,
            symbols_known: b.symbols_known,
            findings: &b.findings,
        })
        .collect();
    out.write_all(&envelope_attest::vex::openvex_json(
        &binaries,
        timestamp,
        env!("CARGO_PKG_VERSION"),
    ))?;
    Ok(())
}
