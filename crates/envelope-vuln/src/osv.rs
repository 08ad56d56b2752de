//! The OSV records the Go vulnerability database serves (schema 1.x as at
//! <https://ossf.github.io/osv-schema/>, with the Go database's
//! `ecosystem_specific.imports`). Unknown fields are ignored and `null`
//! reads as empty, so newer records still load.
//!
//! The standard library is the module `stdlib` and the `go` command is
//! `toolchain`; their versions are Go releases as semver (`1.21.0-rc.2`).

use std::cmp::Ordering;

use serde::{Deserialize, Deserializer, Serialize};

use crate::semver;

/// The module name the database gives the Go standard library.
pub const STDLIB: &str = "stdlib";
/// The module name the database gives the `go` command.
pub const TOOLCHAIN: &str = "toolchain";

/// `null` and a missing field both read as the type's default.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// One vulnerability record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    #[serde(default, deserialize_with = "nullable")]
    pub schema_version: String,
    pub id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub modified: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Set when the record was withdrawn; [`crate::Database::matches`]
    /// leaves withdrawn records out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub aliases: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub related: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub summary: String,
    #[serde(default, deserialize_with = "nullable")]
    pub details: String,
    #[serde(default, deserialize_with = "nullable")]
    pub affected: Vec<Affected>,
    #[serde(default, deserialize_with = "nullable")]
    pub references: Vec<Reference>,
    #[serde(default, deserialize_with = "nullable")]
    pub credits: Vec<Credit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<DatabaseSpecific>,
}

/// The versions of one module a record affects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    #[serde(default)]
    pub package: Package,
    #[serde(default, deserialize_with = "nullable")]
    pub ranges: Vec<Range>,
    #[serde(default, deserialize_with = "nullable")]
    pub ecosystem_specific: EcosystemSpecific,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// The module path (`golang.org/x/text`, `stdlib`, `toolchain`).
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// `Go` in this database.
    #[serde(default, deserialize_with = "nullable")]
    pub ecosystem: String,
}

/// A range of affected versions: the events in version order switch
/// between affected (`introduced`) and not affected (`fixed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: RangeType,
    #[serde(default, deserialize_with = "nullable")]
    pub events: Vec<Event>,
}

/// `SEMVER` is the only kind the Go database uses; the others are kept
/// (and ignored when matching).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum RangeType {
    Semver,
    Ecosystem,
    Git,
    Other(String),
}

impl From<String> for RangeType {
    fn from(s: String) -> Self {
        match s.as_str() {
            "SEMVER" => RangeType::Semver,
            "ECOSYSTEM" => RangeType::Ecosystem,
            "GIT" => RangeType::Git,
            _ => RangeType::Other(s),
        }
    }
}

impl From<RangeType> for String {
    fn from(t: RangeType) -> Self {
        match t {
            RangeType::Semver => "SEMVER".into(),
            RangeType::Ecosystem => "ECOSYSTEM".into(),
            RangeType::Git => "GIT".into(),
            RangeType::Other(s) => s,
        }
    }
}

/// One event; exactly one field is set in a well-formed record. Versions
/// are without the `v` (`"0.3.8"`); `introduced: "0"` is the beginning.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcosystemSpecific {
    /// The vulnerable packages and symbols; empty means the whole module.
    #[serde(default, deserialize_with = "nullable")]
    pub imports: Vec<Import>,
}

/// A vulnerable package of the module, optionally limited to platforms
/// and symbols.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    #[serde(default, deserialize_with = "nullable")]
    pub path: String,
    /// Empty means every GOOS.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub goos: Vec<String>,
    /// Empty means every GOARCH.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub goarch: Vec<String>,
    /// Empty means the whole package.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub symbols: Vec<String>,
}

impl Import {
    /// Whether the import applies to a binary built for `goos`/`goarch`.
    pub fn matches_platform(&self, goos: &str, goarch: &str) -> bool {
        (self.goos.is_empty() || self.goos.iter().any(|g| g == goos))
            && (self.goarch.is_empty() || self.goarch.iter().any(|a| a == goarch))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    pub kind: String,
    #[serde(default, deserialize_with = "nullable")]
    pub url: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseSpecific {
    /// The record's page (`https://pkg.go.dev/vuln/GO-...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_status: Option<String>,
}

impl Entry {
    /// Parses one record.
    pub fn from_json(bytes: &[u8]) -> Result<Entry, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The affected blocks for `module_path` whose ranges include
    /// `version` (a module version with the `v`, e.g. `v0.3.7`; for
    /// `stdlib`/`toolchain` the Go release as semver, `v1.23.5`). A
    /// version that is not valid semver affects nothing.
    pub fn affects(&self, module_path: &str, version: &str) -> Vec<&Affected> {
        if !semver::is_valid(version) {
            return Vec::new();
        }
        self.affected
            .iter()
            .filter(|a| a.package.name == module_path && a.contains(version))
            .collect()
    }

    /// The version (with the `v`) that fixes `version` of `module_path`:
    /// the lowest `fixed` event above `version`, in any `SEMVER` range of
    /// the record's blocks for the module, that none of those blocks
    /// affects. A record may list a module in several blocks (one per
    /// release line or package), and one block's fix can be a version
    /// another block calls vulnerable; then the fix is a later one
    /// (govulncheck's rule). `None` when no fix is known.
    pub fn fixed_after(&self, module_path: &str, version: &str) -> Option<String> {
        let blocks: Vec<&Affected> = self
            .affected
            .iter()
            .filter(|a| a.package.name == module_path)
            .collect();
        blocks
            .iter()
            .flat_map(|a| &a.ranges)
            .filter(|r| r.kind == RangeType::Semver)
            .flat_map(|r| &r.events)
            .filter_map(|e| e.fixed.as_deref())
            .map(semver::canonical_osv)
            .filter(|f| {
                semver::is_valid(f)
                    && semver::compare(version, f) == Ordering::Less
                    && !blocks.iter().any(|a| a.contains(f))
            })
            .min_by(|a, b| semver::compare(a, b))
    }

    /// The record's web page, when the record names one.
    pub fn url(&self) -> Option<&str> {
        self.database_specific.as_ref()?.url.as_deref()
    }

    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.is_some()
    }
}

impl Affected {
    /// Whether `version` (with the `v`) is in the affected ranges. As in
    /// govulncheck: ranges other than `SEMVER` are ignored, and a block
    /// with no `SEMVER` range at all (or no range) affects every version.
    pub fn contains(&self, version: &str) -> bool {
        let mut any_semver = false;
        for r in &self.ranges {
            if r.kind == RangeType::Semver {
                any_semver = true;
                if r.contains(version) {
                    return true;
                }
            }
        }
        !any_semver && semver::is_valid(version)
    }

    /// The lowest `fixed` version (with the `v`) above `version` in the
    /// `SEMVER` range that includes it; `None` when no fix is known. This
    /// block's view only: [`Entry::fixed_after`] also weighs the record's
    /// other blocks for the module.
    pub fn fixed_after(&self, version: &str) -> Option<String> {
        self.ranges
            .iter()
            .filter(|r| r.kind == RangeType::Semver)
            .filter_map(|r| r.fixed_after(version))
            .min_by(|a, b| semver::compare(a, b))
    }
}

/// Orders events by version, `introduced: "0"` first; events without a
/// version (`limit` only or empty) last.
fn event_version(e: &Event) -> Option<(String, bool)> {
    if let Some(v) = &e.introduced {
        return Some((semver::canonical_osv(v), v == "0"));
    }
    if let Some(v) = e.fixed.as_ref().or(e.last_affected.as_ref()) {
        return Some((semver::canonical_osv(v), false));
    }
    None
}

impl Range {
    /// The events with their versions (with the `v`), sorted.
    fn sorted(&self) -> Vec<(&Event, String, bool)> {
        let mut evs: Vec<(&Event, String, bool)> = self
            .events
            .iter()
            .filter_map(|e| event_version(e).map(|(v, zero)| (e, v, zero)))
            .collect();
        evs.sort_by(|a, b| match (a.2, b.2) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => semver::compare(&a.1, &b.1),
        });
        evs
    }

    /// Walks the sorted events; returns whether `version` is affected and,
    /// if so, the `fixed` event that ends its interval.
    fn locate(&self, version: &str) -> (bool, Option<String>) {
        if self.kind != RangeType::Semver {
            return (false, None);
        }
        if self.events.is_empty() {
            return (semver::is_valid(version), None);
        }
        let mut affected = false;
        let mut fixed = None;
        for (e, v, zero) in self.sorted() {
            if !affected {
                if e.introduced.is_some() {
                    affected = zero || semver::compare(version, &v) != Ordering::Less;
                }
            } else if e.fixed.is_some() {
                if semver::compare(version, &v) == Ordering::Less {
                    fixed = Some(v);
                    break;
                }
                affected = false;
            } else if e.last_affected.is_some() && semver::compare(version, &v) == Ordering::Greater
            {
                affected = false;
            }
        }
        // A valid version is required for any range to match.
        (affected && semver::is_valid(version), fixed)
    }

    /// Whether `version` (with the `v`) is affected by this range; always
    /// false for a range that is not `SEMVER`.
    pub fn contains(&self, version: &str) -> bool {
        self.locate(version).0
    }

    /// The `fixed` version (with the `v`) that ends the affected interval
    /// holding `version`; `None` if not affected or not fixed.
    pub fn fixed_after(&self, version: &str) -> Option<String> {
        match self.locate(version) {
            (true, fixed) => fixed,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(events: &[(&str, &str)]) -> Range {
        Range {
            kind: RangeType::Semver,
            events: events
                .iter()
                .map(|(k, v)| {
                    let mut e = Event::default();
                    match *k {
                        "introduced" => e.introduced = Some(v.to_string()),
                        "fixed" => e.fixed = Some(v.to_string()),
                        "last_affected" => e.last_affected = Some(v.to_string()),
                        _ => e.limit = Some(v.to_string()),
                    }
                    e
                })
                .collect(),
        }
    }

    #[test]
    fn range_semantics() {
        // Deliberately unsorted.
        let r = range(&[
            ("fixed", "1.2.0"),
            ("introduced", "1.5.0"),
            ("introduced", "0"),
            ("fixed", "1.5.3"),
        ]);
        let cases = [
            ("v0.0.1", true, Some("v1.2.0")),
            ("v1.1.9", true, Some("v1.2.0")),
            ("v1.2.0-rc.1", true, Some("v1.2.0")),
            ("v1.2.0", false, None),
            ("v1.4.0", false, None),
            ("v1.5.0-pre", false, None),
            ("v1.5.0", true, Some("v1.5.3")),
            ("v1.5.3", false, None),
            ("v2.0.0", false, None),
            ("bad", false, None),
            ("", false, None),
        ];
        for (v, want, fixed) in cases {
            assert_eq!(r.contains(v), want, "{v}");
            assert_eq!(r.fixed_after(v).as_deref(), fixed, "{v}");
        }
        let open = range(&[("introduced", "1.0.0")]);
        assert!(!open.contains("v0.9.0"));
        assert!(open.contains("v1.0.0"));
        assert!(open.contains("v99.0.0"));
        assert_eq!(open.fixed_after("v99.0.0"), None);
        let last = range(&[("introduced", "0"), ("last_affected", "1.0.0")]);
        assert!(last.contains("v1.0.0"));
        assert!(!last.contains("v1.0.1"));
    }

    #[test]
    fn non_semver_ranges_ignored() {
        let mut eco = range(&[("introduced", "0"), ("fixed", "1.0.0")]);
        eco.kind = RangeType::Ecosystem;
        let a = Affected {
            package: Package {
                name: "m".into(),
                ecosystem: "Go".into(),
            },
            ranges: vec![eco.clone(), range(&[("introduced", "2.0.0")])],
            ecosystem_specific: EcosystemSpecific::default(),
        };
        assert!(!a.contains("v0.5.0"), "the ECOSYSTEM range is ignored");
        assert!(a.contains("v2.1.0"));
        let only_eco = Affected {
            ranges: vec![eco],
            ..a.clone()
        };
        assert!(only_eco.contains("v0.5.0") && only_eco.contains("v5.0.0"));
        assert!(!only_eco.contains("(devel)"));
    }

    #[test]
    fn fix_across_blocks() {
        let block = |name: &str, events: &[(&str, &str)]| Affected {
            package: Package {
                name: name.into(),
                ecosystem: "Go".into(),
            },
            ranges: vec![range(events)],
            ecosystem_specific: EcosystemSpecific::default(),
        };
        // As GO-2023-2185: the second block makes the first one's fixes
        // vulnerable again, up to the next patch release.
        let e = Entry {
            schema_version: String::new(),
            id: "GO-1".into(),
            modified: String::new(),
            published: None,
            withdrawn: None,
            aliases: Vec::new(),
            related: Vec::new(),
            summary: String::new(),
            details: String::new(),
            affected: vec![
                block(
                    "m",
                    &[
                        ("introduced", "0"),
                        ("fixed", "1.20.11"),
                        ("introduced", "1.21.0-0"),
                        ("fixed", "1.21.4"),
                    ],
                ),
                block("other", &[("introduced", "0"), ("fixed", "1.20.12")]),
                block(
                    "m",
                    &[
                        ("introduced", "1.20.11"),
                        ("fixed", "1.20.12"),
                        ("introduced", "1.21.4"),
                        ("fixed", "1.21.5"),
                    ],
                ),
            ],
            references: Vec::new(),
            credits: Vec::new(),
            database_specific: None,
        };
        let cases = [
            ("v1.20.10", Some("v1.20.12")),
            ("v1.20.11", Some("v1.20.12")),
            ("v1.21.0", Some("v1.21.5")),
            ("v1.21.4", Some("v1.21.5")),
            // Not affected: the next fix above that no block undoes.
            ("v1.21.5", None),
        ];
        for (v, want) in cases {
            assert_eq!(e.fixed_after("m", v).as_deref(), want, "{v}");
        }
        assert_eq!(
            e.affected[0].fixed_after("v1.20.10").as_deref(),
            Some("v1.20.11")
        );
        assert_eq!(
            e.fixed_after("other", "v1.0.0").as_deref(),
            Some("v1.20.12")
        );
        assert_eq!(e.fixed_after("absent", "v1.0.0"), None);
        // A block with no SEMVER range affects every version: no fix.
        let mut open = e.clone();
        open.affected.push(Affected {
            ranges: Vec::new(),
            ..e.affected[0].clone()
        });
        assert_eq!(open.fixed_after("m", "v1.20.10"), None);
    }

    #[test]
    fn tolerant_parse() {
        let e = Entry::from_json(
            br#"{"id":"GO-1","aliases":null,"future":{"x":1},
                "affected":[{"package":{"name":"m","ecosystem":"Go"},
                  "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]},
                            {"type":"WHATEVER","events":null}],
                  "ecosystem_specific":null}]}"#,
        )
        .expect("parse");
        assert_eq!(e.affects("m", "v0.9.0").len(), 1);
        assert!(e.affects("m", "v1.0.0").is_empty());
        assert!(e.affects("other", "v0.9.0").is_empty());
        assert_eq!(
            e.affected[0].ranges[1].kind,
            RangeType::Other("WHATEVER".into())
        );
        assert!(Entry::from_json(b"{}").is_err(), "id is required");
        assert!(Entry::from_json(b"[1,2").is_err());
    }
}
