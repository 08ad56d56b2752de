//! `[lint]` in envelope.toml, and the same settings from the command line.
//!
//! ```toml
//! [lint]
//! select = ["ALL"]            # codes or prefixes; default: the rules on by default
//! extend-select = ["DF012"]   # add to the selection
//! ignore = ["DF009"]
//! fail-on = "warning"         # lowest severity that makes the exit code 1
//! trusted-registries = ["gcr.io", "docker.io"]
//! context = ".."              # the build context, relative to this file
//! build-args = { VERSION = "1.2.3" }   # as `--build-arg`
//! unsafe-fixes = true         # --fix and --diff also apply the unsafe fixes
//!
//! [lint.severity]
//! GO006 = "warning"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use envelope_diagnostics::{RuleInfo, Severity};
use serde::Deserialize;

/// Lint settings after validation.
#[derive(Debug, Clone)]
pub struct Settings {
    pub select: Option<Vec<String>>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
    pub fail_on: Severity,
    pub trusted_registries: Vec<String>,
    /// The build context every Dockerfile is built from (`context` in
    /// `[lint]`, resolved against the folder of the envelope.toml);
    /// `None`: each Dockerfile's own folder.
    pub context: Option<PathBuf>,
    /// `--build-arg NAME=value`: values of declared ARGs, over their defaults.
    pub build_args: BTreeMap<String, String>,
    /// The platforms (`os/arch[/variant]`) the file is built for, over which
    /// `$TARGETARCH` and the other platform arguments are expanded; empty:
    /// linux/amd64 and linux/arm64.
    pub platforms: Vec<String>,
    /// Fixing applies the fixes that may change what the image does too
    /// (`unsafe-fixes` in `[lint]`, `--unsafe-fixes`).
    pub unsafe_fixes: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            select: None,
            extend_select: Vec::new(),
            ignore: Vec::new(),
            severity: BTreeMap::new(),
            fail_on: Severity::Warning,
            trusted_registries: Vec::new(),
            context: None,
            build_args: BTreeMap::new(),
            platforms: Vec::new(),
            unsafe_fixes: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("unknown rule code or prefix `{0}`")]
    UnknownCode(String),
    #[error("unknown severity `{0}` (expected error, warning or info)")]
    UnknownSeverity(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    lint: Option<LintTable>,
    audit: Option<LintTable>,
    // Other tables belong to other commands.
    #[serde(flatten)]
    _other: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct LintTable {
    select: Option<Vec<String>>,
    extend_select: Option<Vec<String>>,
    ignore: Option<Vec<String>>,
    fail_on: Option<String>,
    trusted_registries: Option<Vec<String>>,
    severity: Option<BTreeMap<String, String>>,
    context: Option<PathBuf>,
    build_args: Option<BTreeMap<String, String>>,
    unsafe_fixes: Option<bool>,
}

impl Settings {
    /// Reads `[lint]` from an envelope.toml.
    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        Settings::from_file_table(path, "lint")
    }

    /// Reads `[lint]` or `[audit]` (same keys) from an envelope.toml.
    pub fn from_file_table(path: &Path, table: &str) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let file: File = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string().trim().to_string(),
        })?;
        let is_audit = table == "audit";
        let table = if is_audit { file.audit } else { file.lint }.unwrap_or_default();
        if is_audit && table.context.is_some() {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                message: "`context` belongs in [lint]: an image has no build context".into(),
            });
        }
        if is_audit && table.unsafe_fixes.is_some() {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                message: "`unsafe-fixes` belongs in [lint]: audit findings have no fixes".into(),
            });
        }
        let context = table.context.map(|c| match path.parent() {
            Some(dir) => dir.join(c),
            None => c,
        });
        let mut s = Settings {
            select: table.select,
            extend_select: table.extend_select.unwrap_or_default(),
            ignore: table.ignore.unwrap_or_default(),
            trusted_registries: table.trusted_registries.unwrap_or_default(),
            context,
            build_args: table.build_args.unwrap_or_default(),
            unsafe_fixes: table.unsafe_fixes.unwrap_or(false),
            ..Settings::default()
        };
        if let Some(f) = table.fail_on {
            s.fail_on = parse_severity(&f)?;
        }
        for (code, sev) in table.severity.unwrap_or_default() {
            s.severity
                .insert(code.to_ascii_uppercase(), parse_severity(&sev)?);
        }
        s.validate().map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(s)
    }

    /// The nearest envelope.toml at or above `dir`.
    pub fn discover(dir: &Path) -> Option<PathBuf> {
        dir.ancestors()
            .map(|d| d.join("envelope.toml"))
            .find(|p| p.is_file())
    }

    /// Every code and prefix must name at least one rule.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let all = self
            .select
            .iter()
            .flatten()
            .chain(&self.extend_select)
            .chain(&self.ignore)
            .chain(self.severity.keys());
        for code in all {
            if !crate::all_infos().iter().any(|r| matches(code, r)) {
                return Err(ConfigError::UnknownCode(code.clone()));
            }
        }
        Ok(())
    }

    pub fn is_enabled(&self, rule: &RuleInfo) -> bool {
        let selected = match &self.select {
            Some(sel) => sel.iter().any(|c| selects(c, rule)),
            None => rule.enabled_by_default,
        } || self.extend_select.iter().any(|c| selects(c, rule));
        selected && !self.ignore.iter().any(|c| matches(c, rule))
    }

    pub fn severity_of(&self, rule: &RuleInfo) -> Severity {
        self.severity
            .get(rule.code)
            .copied()
            .unwrap_or(rule.severity)
    }
}

pub fn parse_severity(s: &str) -> Result<Severity, ConfigError> {
    Severity::parse(s).ok_or_else(|| ConfigError::UnknownSeverity(s.to_string()))
}

/// `ALL`, an exact code, or a prefix of codes.
fn matches(code: &str, rule: &RuleInfo) -> bool {
    let c = code.to_ascii_uppercase();
    c == "ALL" || rule.code.starts_with(&c)
}

/// Off-by-default rules are selected only by their exact code or `ALL`.
fn selects(code: &str, rule: &RuleInfo) -> bool {
    let c = code.to_ascii_uppercase();
    if rule.enabled_by_default {
        matches(code, rule)
    } else {
        c == "ALL" || c == rule.code
    }
}
