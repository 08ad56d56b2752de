//! The selection of rules and the report format that `lint` and `audit`
//! share: envelope.toml's `[lint]`/`[audit]` table with the command line on
//! top, and `--format`.

use anyhow::{Context, Result};
use envelope_cli::{FindingsFormat, SelectionArgs, SeverityArg};
use envelope_diagnostics::{Format, Severity};
use envelope_lint::Settings;

use crate::printer::hinted;

/// The renderer for a `--format`.
pub fn format_of(f: FindingsFormat) -> Format {
    match f {
        FindingsFormat::Human => Format::Human,
        FindingsFormat::Concise => Format::Concise,
        FindingsFormat::Json => Format::Json,
        FindingsFormat::Sarif => Format::Sarif,
        FindingsFormat::Github => Format::Github,
    }
}

/// Settings from envelope.toml's `[lint]` or `[audit]` table (unless
/// `--isolated`), with the command line on top.
pub fn settings(args: &SelectionArgs, table: &str) -> Result<Settings> {
    let cwd = std::env::current_dir().context("the current directory")?;
    let mut s = if args.isolated {
        Settings::default()
    } else {
        let file = match &args.config {
            Some(p) => Some(p.clone()),
            None => Settings::discover(&cwd),
        };
        match file {
            Some(p) => Settings::from_file_table(&p, table).map_err(|e| {
                hinted(
                    e.to_string(),
                    format!(
                        "see `envelope {table} --help` and `envelope rules` for the keys and codes"
                    ),
                )
            })?,
            None => Settings::default(),
        }
    };
    if !args.select.is_empty() {
        s.select = Some(args.select.clone());
    }
    s.extend_select.extend(args.extend_select.iter().cloned());
    s.ignore.extend(args.ignore.iter().cloned());
    if let Some(f) = args.fail_on {
        s.fail_on = match f {
            SeverityArg::Error => Severity::Error,
            SeverityArg::Warning => Severity::Warning,
            SeverityArg::Info => Severity::Info,
        };
    }
    s.validate()
        .map_err(|e| hinted(e.to_string(), "`envelope rules` lists the codes"))?;
    Ok(s)
}
