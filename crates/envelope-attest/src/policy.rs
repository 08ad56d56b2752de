//! A policy for verified attestations: the rules `envelope verify` holds
//! them to, from a TOML document (`--policy FILE`) or flags with the same
//! names. Each rule names what it found when it fails; a rule without the
//! attestation it needs fails. Parsing takes untrusted text: at most
//! [`MAX_POLICY`] bytes, unknown keys refused, errors placed by line and
//! column.

use envelope_golang::goversion::{go_support, GoVersion, Support};
use serde::{Deserialize, Serialize};

use crate::verified::Proved;

/// The largest policy document read.
pub const MAX_POLICY: usize = 64 * 1024;

/// Why a policy could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The document is larger than [`MAX_POLICY`].
    #[error("the policy is {size} bytes, more than the {limit} envelope reads")]
    TooLarge { size: usize, limit: usize },
    /// Not TOML, an unknown key or a value of the wrong type, at
    /// `line`:`column` (1-based; 0 when the parser gave no place).
    #[error("{line}:{column}: {message}")]
    Toml {
        line: usize,
        column: usize,
        message: String,
    },
    /// A `min-go` that is not a Go release.
    #[error("min-go {found:?} is not a Go version (give a release such as 1.26 or go1.26.2)")]
    GoVersion { found: String },
}

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
    /// Reads a policy document.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        if text.len() > MAX_POLICY {
            return Err(PolicyError::TooLarge {
                size: text.len(),
                limit: MAX_POLICY,
            });
        }
        let p: Policy = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| {
                    let before = text.get(..s.start).unwrap_or(text);
                    (
                        before.matches('\n').count() + 1,
                        before.rsplit('\n').next().unwrap_or("").chars().count() + 1,
                    )
                })
                .unwrap_or((0, 0));
            PolicyError::Toml {
                line,
                column,
                message: e.message().to_string(),
            }
        })?;
        p.validate()?;
        Ok(p)
    }

    /// Checks the values no type can: `min-go` is a Go release.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if let Some(v) = &self.min_go {
            parse_go(v)?;
        }
        Ok(())
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

fn parse_go(v: &str) -> Result<GoVersion, PolicyError> {
    let spelled = if v.starts_with("go") {
        v.to_string()
    } else {
        format!("go{v}")
    };
    GoVersion::parse(&spelled).ok_or_else(|| PolicyError::GoVersion {
        found: v.chars().take(40).collect(),
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
        assert!(glob("a*b*c", "aXbYbc"));
    }

    #[test]
    fn documents_parse_and_unknown_keys_are_placed() {
        let e =
            Policy::parse("source = \"x\"\nmin-go = \"1.26\"\nmax-age = 3\n").expect_err("unknown");
        assert!(
            matches!(
                e,
                PolicyError::Toml {
                    line: 3,
                    column: 1,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("max-age"), "{e}");
        let p = Policy::parse("pinned-base = true\nno-called-vulnerabilities = true\n")
            .expect("parses");
        assert!(p.pinned_base && p.no_called_vulnerabilities && !p.is_empty());
        assert!(matches!(
            Policy::parse("min-go = \"one\"").expect_err("version"),
            PolicyError::GoVersion { .. }
        ));
        assert!(Policy::parse("pinned-base = \"yes\"").is_err());
        assert!(Policy::parse(&"#".repeat(MAX_POLICY + 1)).is_err());
        assert!(Policy::parse("").expect("empty").is_empty());
    }

    #[test]
    fn rules_fail_without_their_attestation_and_on_what_they_find() {
        let p = Policy::parse(
            "source = \"https://github.com/example/*\"\nno-called-vulnerabilities = true\n",
        )
        .expect("parses");
        let failures = p.failures(&Proved::default());
        assert_eq!(failures.len(), 2, "{failures:?}");
        let mut proved = Proved::default();
        proved.provenance.push(crate::verified::ProvenanceProved {
            source_repository: Some("https://github.com/other/app".into()),
            go_versions: vec!["go1.20.1".into()],
            ..Default::default()
        });
        proved.vex = Some(crate::verified::VexProved {
            affected: vec!["GO-2024-0001".into()],
            ..Default::default()
        });
        let failures = p.failures(&proved);
        assert_eq!(failures.len(), 2, "{failures:?}");
        assert!(failures[0].contains("does not match"));
        assert!(failures[1].contains("GO-2024-0001"));
        let old = Policy {
            min_go: Some("1.26".into()),
            supported_go: true,
            ..Default::default()
        };
        assert_eq!(old.failures(&proved).len(), 2);
    }
}
