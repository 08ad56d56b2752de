//! `envelope scan`: match every Go binary's modules and standard library
//! against the Go vulnerability database, and tell from the binary's own
//! function names (function table and inline trees) whether the vulnerable
//! code is called, its package only imported, or only the module present.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use envelope_cli::{FailOn, ScanArgs, ScanFormat};
use envelope_golang::SymbolTable;
use envelope_vuln::{Database, Match, OpenOptions, RefreshPolicy, Source};

use super::sbom::{collect_image, read_go_binary};
use super::scan_report::{self, BinaryReport, DbReport, Finding, Reach, ScanReport};
use crate::printer::{hinted, Printer};

/// What a scan needs of one Go binary.
pub struct ScanBinary {
    pub path: String,
    pub go_version: String,
    /// The GOOS / GOARCH values the binary can be for: the build settings'
    /// when recorded, else what the file's headers allow (an ELF file is
    /// never windows). Empty matches every platform limit.
    pub goos: Vec<String>,
    pub goarch: Vec<String>,
    /// None when the build info names no main module (some build systems
    /// record none).
    pub main_module: Option<String>,
    /// (module path, version, import path) as compiled in: replacements
    /// applied (the import path stays the original module's, which is how
    /// the binary's function names spell its packages), local-directory
    /// replacements and `(devel)` left out.
    pub modules: Vec<(String, String, String)>,
    /// The function table could be read. Without it nothing is known of
    /// the code, and every vulnerable symbol is taken to be present.
    pub symbols_known: bool,
    /// (package path, symbol) of every function and inlined function.
    pub symbols: BTreeSet<(String, String)>,
    pub packages: BTreeSet<String>,
    pub inline_trees: bool,
}

/// The scan view of one executable; None when it has no Go build info.
pub fn scan_binary(path: &str, data: &[u8]) -> Result<Option<ScanBinary>, envelope_golang::Error> {
    let space = envelope_golang::AddressSpace::parse(data)?;
    let Some(info) = envelope_golang::buildinfo::read_space(&space)? else {
        return Ok(None);
    };
    // A Go binary always has a pclntab; without one, nothing is known of
    // its code and every finding is module-level.
    let (table, symbols_known) = match SymbolTable::from_space(&space) {
        Ok(t) => (t, true),
        Err(_) => (SymbolTable::default(), false),
    };
    let symbols = table.vuln_symbols();
    let packages = symbols.iter().map(|(p, _)| p.clone()).collect();
    let mut modules = Vec::new();
    let versioned = |v: &str| !v.is_empty() && v != "(devel)";
    // The main module too: Go 1.24+ stamps it with its VCS tag.
    if let Some(m) = info.main.as_ref().filter(|m| versioned(&m.version)) {
        modules.push((m.path.clone(), m.version.clone(), m.path.clone()));
    }
    for d in &info.deps {
        let m = d.replace.as_deref().unwrap_or(d);
        if versioned(&m.version) {
            modules.push((m.path.clone(), m.version.clone(), d.path.clone()));
        }
    }
    modules.push(("stdlib".to_string(), info.go_version.clone(), String::new()));
    let header = &space.platform;
    let goos = match info.setting("GOOS") {
        Some(os) => vec![os.to_string()],
        None => header.goos.iter().map(|s| s.to_string()).collect(),
    };
    let goarch = match (info.setting("GOARCH"), header.goarch) {
        (Some(arch), _) | (None, Some(arch)) => vec![arch.to_string()],
        (None, None) => Vec::new(),
    };
    let main_module = info
        .main
        .as_ref()
        .map(|m| m.path.as_str())
        .filter(|p| !p.is_empty())
        .or(Some(info.path.as_str()).filter(|p| !p.is_empty()))
        .map(str::to_string);
    Ok(Some(ScanBinary {
        path: path.to_string(),
        go_version: info.go_version.clone(),
        goos,
        goarch,
        main_module,
        modules,
        symbols,
        packages,
        symbols_known,
        inline_trees: table.inline_trees_read(),
    }))
}

/// Is one of the module's packages (spelled from `import_path`) in the
/// binary?
fn has_module_code(b: &ScanBinary, module: &str, import_path: &str) -> bool {
    if module == "stdlib" {
        return true;
    }
    b.packages.iter().any(|p| {
        p == import_path
            || p.strip_prefix(import_path)
                .is_some_and(|r| r.starts_with('/'))
    })
}

/// A package path of the database's module as the binary spells it: a
/// replacement's packages keep the original module's import path.
fn as_imported(path: &str, module: &str, import_path: &str) -> String {
    match path.strip_prefix(module) {
        Some(rest) if module != import_path && (rest.is_empty() || rest.starts_with('/')) => {
            format!("{import_path}{rest}")
        }
        _ => path.to_string(),
    }
}

fn platform_matches(b: &ScanBinary, i: &envelope_vuln::Import) -> bool {
    let ok = |limits: &[String], have: &[String]| {
        limits.is_empty() || have.is_empty() || have.iter().any(|h| limits.contains(h))
    };
    ok(&i.goos, &b.goos) && ok(&i.goarch, &b.goarch)
}

/// How reachable `m` is in `b`, with the symbols and packages that say so;
/// None when the entry does not apply to the binary's platform.
fn reachability(
    b: &ScanBinary,
    m: &Match,
    import_path: &str,
) -> Option<(Reach, Vec<String>, Vec<String>)> {
    if m.imports.is_empty() {
        // The whole module is vulnerable: its code in the binary is enough.
        let reach = if !b.symbols_known || has_module_code(b, &m.module, import_path) {
            Reach::Called
        } else {
            Reach::Module
        };
        return Some((reach, Vec::new(), Vec::new()));
    }
    let imports: Vec<&envelope_vuln::Import> = m
        .imports
        .iter()
        .filter(|i| platform_matches(b, i))
        .collect();
    if imports.is_empty() {
        return None;
    }
    let mut symbols = BTreeSet::new();
    let mut packages = BTreeSet::new();
    let mut whole_package = false;
    for i in imports {
        let path = as_imported(&i.path, &m.module, import_path);
        if !b.symbols_known {
            // Nothing is known of the code: assume the worst.
            packages.insert(path.clone());
            symbols.extend(i.symbols.iter().map(|s| format!("{path}.{s}")));
            whole_package |= i.symbols.is_empty();
            continue;
        }
        if !b.packages.contains(&path) {
            continue;
        }
        packages.insert(path.clone());
        if i.symbols.is_empty() {
            // No symbol list: every function of the package counts.
            whole_package = true;
            continue;
        }
        for s in &i.symbols {
            if b.symbols.contains(&(path.clone(), s.clone())) {
                symbols.insert(format!("{path}.{s}"));
            }
        }
    }
    let reach = if !symbols.is_empty() || whole_package {
        Reach::Called
    } else if !packages.is_empty() {
        Reach::Imported
    } else {
        Reach::Module
    };
    Some((
        reach,
        symbols.into_iter().collect(),
        packages.into_iter().collect(),
    ))
}

fn findings(db: &Database, b: &ScanBinary) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    for (module, version, import_path) in &b.modules {
        for m in db
            .matches(module, version)
            .with_context(|| format!("looking up {module} {version}"))?
        {
            let Some((reach, symbols, packages)) = reachability(b, &m, import_path) else {
                continue;
            };
            out.push(Finding {
                id: m.entry.id.clone(),
                aliases: m.entry.aliases.clone(),
                summary: if m.entry.summary.is_empty() {
                    m.entry
                        .details
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_string()
                } else {
                    m.entry.summary.clone()
                },
                module: module.clone(),
                version: m.version.clone(),
                fixed: m.fixed.clone(),
                reachability: reach,
                symbols,
                packages,
                url: m.entry.url().map_or_else(
                    || format!("https://pkg.go.dev/vuln/{}", m.entry.id),
                    str::to_string,
                ),
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.module, std::cmp::Reverse(a.reachability), &a.id).cmp(&(
            &b.module,
            std::cmp::Reverse(b.reachability),
            &b.id,
        ))
    });
    Ok(out)
}

fn open_db(args: &ScanArgs) -> Result<Database> {
    let source = Source::parse(&args.db);
    let opts = OpenOptions {
        cache_dir: Some(envelope_build::Cache::from_env().root().to_path_buf()),
        offline: args.offline,
        refresh: if args.update_db {
            RefreshPolicy::Force
        } else {
            RefreshPolicy::IfChanged
        },
        ca_file: args.registry.registry_ca_file.clone(),
        ..OpenOptions::default()
    };
    Database::open(source.clone(), &opts).map_err(|e| {
        let hint = match &source {
            Source::Url(_) if args.offline => {
                "run `envelope scan --update-db` once with network access, or give --db DIR|ZIP"
            }
            Source::Url(_) => {
                "check the network, or use --offline (the cached database) or --db DIR|ZIP"
            }
            _ => "--db takes an https URL, a directory in the v1 layout (index/, ID/) or a vulndb.zip",
        };
        hinted(format!("vulnerability database {source}: {e}"), hint)
    })
}

fn binaries(args: &ScanArgs, image: &str, printer: &Printer) -> Result<Vec<ScanBinary>> {
    if crate::images::is_binary_path(image)? {
        let b = read_go_binary(Path::new(image), image, image, scan_binary)?;
        return Ok(vec![b]);
    }
    let (_, collector) = collect_image(
        image,
        args.platform.as_deref(),
        &args.registry,
        args.verify,
        scan_binary,
    )?;
    for w in &collector.warnings {
        printer.warn(format!("{w} (not scanned)"));
    }
    Ok(collector.binaries.into_values().collect())
}

/// SOURCE_DATE_EPOCH when set, else the database's modified time.
fn timestamp(db_modified: &str) -> Result<String> {
    Ok(super::sbom::epoch_time()?.unwrap_or_else(|| db_modified.to_string()))
}

pub fn run(args: ScanArgs, printer: &Printer) -> Result<ExitCode> {
    // The database loads (with the standard library's records, which every
    // Go binary needs) while the image's layers are read.
    let (db, bins) = std::thread::scope(|s| {
        let db = s.spawn(|| -> Result<Database> {
            let db = open_db(&args)?;
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
            .flat_map(|b| b.modules.iter().map(|(m, _, _)| m.as_str())),
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
            findings: findings(&db, b)?,
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
                scan_report::human(&report, printer.verbose, &mut out)?;
            }
        }
        ScanFormat::Json => scan_report::json(&report, &mut out)?,
        ScanFormat::Sarif => scan_report::sarif(&report, &mut out)?,
        ScanFormat::Openvex => {
            scan_report::openvex(&report, &timestamp(&info.modified)?, &mut out)?
        }
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
