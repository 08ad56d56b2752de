//! The policy `verify` holds the verified attestations to: from flags and
//! a TOML file with the same keys (flags win). Each rule names what it
//! found when it fails; a rule without the attestation it needs fails.

use std::path::Path;

use anyhow::{bail, Context, Result};
use envelope_cli::VerifyArgs;
use envelope_golang::goversion::{go_support, GoVersion, Support};
use serde::{Deserialize, Serialize};

use super::proved::Proved;
use crate::printer::hinted;

/// The rules; none set is no policy.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Policy {
    /// The provenance's source repository matches this pattern (`*` any
    /// run of characters, `?` one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Every base is recorded by digest (or the image is on scratch).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pinned_base: bool,
    /// The oldest Go toolchain accepted (`1.26`, `go1.26.2`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_go: Option<String>,
    /// The Go toolchain is one of the two newest minor releases envelope
    /// knows (the ones the Go project still fixes).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub supported_go: bool,
    /// No VEX statement says `affected` (a vulnerable function is called).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_called_vulnerabilities: bool,
}

impl Policy {
    /// The file's rules (when given) overridden by the flags.
    pub fn from_args(args: &VerifyArgs) -> Result<Policy> {
        let mut p = match &args.policy {
            Some(path) => read(path)?,
            None => Policy::default(),
        };
        if let Some(s) = &args.require_source {
            p.source = Some(s.clone());
        }
        p.pinned_base |= args.require_pinned_base;
        if let Some(v) = &args.min_go {
            p.min_go = Some(v.clone());
        }
        p.supported_go |= args.require_supported_go;
        p.no_called_vulnerabilities |= args.deny_called;
        if let Some(v) = &p.min_go {
            parse_go(v)?;
        }
        Ok(p)
    }

    pub fn is_empty(&self) -> bool {
        *self == Policy::default()
    }

    /// Each rule `proved` breaks, as a sentence.
    pub fn failures(&self, proved: &Proved) -> Vec<String> {
        let mut out = Vec::new();
        let provenance: Vec<_> = proved
            .provenance
            .iter()
            .filter(|p| p.unreadable.is_none())
            .collect();
        let needs_provenance =
            self.source.is_some() || self.pinned_base || self.min_go.is_some() || self.supported_go;
        if needs_provenance && provenance.is_empty() {
            out.push(
                "no verified provenance: the policy's source, base and Go rules need one".into(),
            );
        }
        if let Some(pattern) = &self.source {
            for p in &provenance {
                match &p.source_repository {
                    Some(repo) if glob(pattern, repo) => {}
                    Some(repo) => {
                        out.push(format!("source repository {repo} does not match {pattern}"))
                    }
                    None => out.push(format!(
                        "the provenance names no source repository (required: {pattern})"
                    )),
                }
            }
        }
        if self.pinned_base {
            for p in &provenance {
                if !p.base_pinned {
                    out.push("the base image is not recorded by digest".into());
                }
            }
        }
        let versions: Vec<&String> = provenance.iter().flat_map(|p| &p.go_versions).collect();
        if (self.min_go.is_some() || self.supported_go)
            && !provenance.is_empty()
            && versions.is_empty()
        {
            out.push("the provenance records no Go version".into());
        }
        if let Some(min) = self.min_go.as_deref().and_then(|m| parse_go(m).ok()) {
            for v in &versions {
                match GoVersion::parse(v) {
                    Some(found) if found >= min => {}
                    _ => out.push(format!("Go {v} is older than the minimum {min}")),
                }
            }
        }
        if self.supported_go {
            for v in &versions {
                match GoVersion::parse(v).map(go_support) {
                    Some(Support::Supported | Support::Newer { .. }) => {}
                    Some(Support::OutOfSupport { newest }) => out.push(format!(
                        "Go {v} is out of support (the newest release envelope knows is {newest}; the two newest minors are supported)"
                    )),
                    _ => out.push(format!("Go {v} is not a Go release")),
                }
            }
        }
        if self.no_called_vulnerabilities {
            match &proved.vex {
                None => {
                    out.push("no verified VEX: the policy forbids called vulnerabilities".into())
                }
                Some(v) if !v.affected.is_empty() => out.push(format!(
                    "called vulnerabilities (VEX affected): {}",
                    v.affected.join(", ")
                )),
                Some(_) => {}
            }
        }
        out
    }
}

fn parse_go(v: &str) -> Result<GoVersion> {
    let spelled = if v.starts_with("go") {
        v.to_string()
    } else {
        format!("go{v}")
    };
    match GoVersion::parse(&spelled) {
        Some(g) => Ok(g),
        None => bail!(hinted(
            format!("--min-go {v:?} is not a Go version"),
            "give a release such as 1.26 or go1.26.2",
        )),
    }
}

/// Reads a policy file; an unknown key or a wrong type is an error naming
/// its line and column.
fn read(path: &Path) -> Result<Policy> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the policy {}", path.display()))?;
    toml::from_str(&text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let before = &text[..s.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                format!(":{line}:{column}")
            })
            .unwrap_or_default();
        hinted(
            format!("{}{at}: {}", path.display(), e.message()),
            "the keys are source, pinned-base, min-go, supported-go and no-called-vulnerabilities (see docs/signing.md)",
        )
    })
}

/// `*` any run of characters (slashes too), `?` one; the rest literal.
fn glob(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    // Iterative, with one backtrack point: linear in practice, no recursion.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < s.len() {
        if i < p.len() && (p[i] == '?' || p[i] == s[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(st) = star {
            i = st + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob(
            "https://github.com/example/*",
            "https://github.com/example/app"
        ));
        assert!(glob("*", ""));
        assert!(glob("a?c", "abc"));
        assert!(!glob(
            "https://github.com/example/*",
            "https://github.com/other/app"
        ));
        assert!(!glob("a", "ab"));
        assert!(glob("*/app", "x/y/app"));
    }

    #[test]
    fn unknown_keys_are_refused_with_their_place() {
        let dir = tempfile::tempdir().expect("tmp");
        let f = dir.path().join("policy.toml");
        std::fs::write(&f, "source = \"x\"\nmin-go = \"1.26\"\nmax-age = 3\n").expect("write");
        let e = format!("{:#}", read(&f).expect_err("unknown key"));
        assert!(
            e.contains("policy.toml:3:1") && e.contains("max-age"),
            "{e}"
        );
        std::fs::write(&f, "pinned-base = true\nno-called-vulnerabilities = true\n")
            .expect("write");
        let p = read(&f).expect("reads");
        assert!(p.pinned_base && p.no_called_vulnerabilities);
    }
}
