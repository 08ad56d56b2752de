//! The database's index files: `index/db.json` and `index/modules.json`.

use std::collections::HashMap;

use serde::Deserialize;

use crate::time::{parse_rfc3339, unix_seconds};

/// `index/db.json`: when the database last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbMeta {
    /// As the database wrote it (RFC 3339).
    pub modified: String,
    pub(crate) at: jiff::Timestamp,
}

impl DbMeta {
    /// Seconds since the Unix epoch of `modified` (negative before 1970).
    pub fn modified_unix(&self) -> i64 {
        unix_seconds(self.at)
    }
}

/// Parses `index/db.json`; the error says what is wrong.
pub fn parse_db_json(bytes: &[u8]) -> Result<DbMeta, String> {
    #[derive(Deserialize)]
    struct Raw {
        modified: String,
    }
    let raw: Raw = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let at = parse_rfc3339(&raw.modified)
        .ok_or_else(|| format!("`modified` is not an RFC 3339 time: {:?}", raw.modified))?;
    Ok(DbMeta {
        modified: raw.modified,
        at,
    })
}

/// One vulnerability of a module in `index/modules.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IndexVuln {
    pub id: String,
    #[serde(default)]
    pub modified: String,
    /// The highest fixed version, without the `v`, when there is one.
    #[serde(default)]
    pub fixed: Option<String>,
}

/// `index/modules.json`, by module path.
#[derive(Debug, Clone, Default)]
pub struct ModulesIndex {
    modules: HashMap<String, Vec<IndexVuln>>,
}

impl ModulesIndex {
    /// The vulnerabilities listed for a module (empty when none), as
    /// listed: a record with several `affected` blocks for the module is
    /// there once per block, each with that block's `fixed`.
    pub fn get(&self, module_path: &str) -> &[IndexVuln] {
        self.modules
            .get(module_path)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The modules with at least one vulnerability, in no set order.
    pub fn modules(&self) -> impl Iterator<Item = &str> {
        self.modules.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.modules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// How many (module, vulnerability) pairs the index lists, each
    /// counted once however many blocks list it.
    pub fn entry_count(&self) -> usize {
        self.modules
            .values()
            .map(|vulns| {
                let mut ids: Vec<&str> = vulns.iter().map(|v| v.id.as_str()).collect();
                ids.sort_unstable();
                ids.dedup();
                ids.len()
            })
            .sum()
    }
}

/// Whether an ID is safe to use as a file name and in a URL.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Parses `index/modules.json`; the error says what is wrong. IDs that
/// could escape the `ID/` folder are refused.
pub fn parse_modules_json(bytes: &[u8]) -> Result<ModulesIndex, String> {
    #[derive(Deserialize)]
    struct Raw {
        path: String,
        #[serde(default)]
        vulns: Option<Vec<IndexVuln>>,
    }
    let raw: Vec<Raw> = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let mut modules: HashMap<String, Vec<IndexVuln>> = HashMap::with_capacity(raw.len());
    for m in raw {
        let vulns = m.vulns.unwrap_or_default();
        if let Some(bad) = vulns.iter().find(|v| !valid_id(&v.id)) {
            return Err(format!(
                "module {:?} lists an invalid vulnerability ID {:?}",
                m.path, bad.id
            ));
        }
        modules.entry(m.path).or_default().extend(vulns);
    }
    Ok(ModulesIndex { modules })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_indexes() {
        let meta = parse_db_json(br#"{"modified":"2026-08-21T13:38:00-07:00"}"#).expect("db");
        assert_eq!(meta.modified, "2026-08-21T13:38:00-07:00");
        assert!(parse_db_json(br#"{"modified":"yesterday"}"#).is_err());
        assert!(parse_db_json(b"{}").is_err());
        let idx = parse_modules_json(
            br#"[{"path":"a","vulns":[{"id":"GO-1","modified":"x","fixed":"1.0.0"}]},
                {"path":"b","vulns":null},{"path":"a","vulns":[{"id":"GO-2"}]}]"#,
        )
        .expect("modules");
        assert_eq!(idx.get("a").len(), 2);
        assert_eq!(idx.get("a")[0].fixed.as_deref(), Some("1.0.0"));
        assert_eq!(idx.entry_count(), 2);
        // A record listed once per `affected` block is one pair.
        let twice = parse_modules_json(
            br#"[{"path":"a","vulns":[{"id":"GO-1","fixed":"1.0.0"},{"id":"GO-1","fixed":"2.0.0"},{"id":"GO-2"}]}]"#,
        )
        .expect("modules");
        assert_eq!(twice.get("a").len(), 3);
        assert_eq!(twice.entry_count(), 2);
        assert!(idx.get("b").is_empty() && idx.get("zzz").is_empty());
        assert!(parse_modules_json(br#"[{"path":"a","vulns":[{"id":"../../etc"}]}]"#).is_err());
        assert!(parse_modules_json(br#"{"path":"a"}"#).is_err());
    }
}
