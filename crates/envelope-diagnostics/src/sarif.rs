//! SARIF 2.1.0, the one writer: the subset of the object model envelope
//! emits (log, run, tool, driver, rules, results, locations, fixes) as serde
//! structs. Lint and audit findings reach it through [`crate::render`];
//! `envelope scan` builds its values directly.
//!
//! Output is deterministic: every struct declares its fields in the order
//! of their JSON names, so objects come out with sorted keys whatever
//! serde_json's features, and property bags are `BTreeMap`s.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::Severity;

/// The schema every log names.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// A property bag: free-form facts about a rule or result.
pub type Properties = BTreeMap<String, serde_json::Value>;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Log {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub runs: Vec<Run>,
    pub version: &'static str,
}

impl Log {
    /// A SARIF 2.1.0 log of `runs`.
    pub fn new(runs: Vec<Run>) -> Log {
        Log {
            schema: SCHEMA,
            runs,
            version: "2.1.0",
        }
    }
}

/// Writes `log` as pretty JSON and a final newline.
pub fn write(log: &Log, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, log)?;
    writeln!(out)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    pub results: Vec<SarifResult>,
    pub tool: Tool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tool {
    pub driver: Driver,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub information_uri: &'static str,
    pub name: &'static str,
    pub rules: Vec<Rule>,
    pub version: String,
}

impl Driver {
    /// envelope at `version`, with its rules.
    pub fn envelope(version: impl Into<String>, rules: Vec<Rule>) -> Driver {
        Driver {
            information_uri: "https://github.com/envelope-dev/envelope",
            name: "envelope",
            rules,
            version: version.into(),
        }
    }
}

/// A `reportingDescriptor`: what a rule (or a vulnerability) is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_configuration: Option<Configuration>,
    pub full_description: Message,
    pub help: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Properties::is_empty")]
    pub properties: Properties,
    pub short_description: Message,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Configuration {
    pub enabled: bool,
    pub level: Level,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Note,
}

impl From<Severity> for Level {
    fn from(s: Severity) -> Level {
        match s {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Info => Level::Note,
        }
    }
}

/// A message: plain text, and Markdown where there is some.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
    pub text: String,
}

impl Message {
    pub fn text(text: impl Into<String>) -> Message {
        Message {
            markdown: None,
            text: text.into(),
        }
    }
}

/// A `result` (named so that it does not shadow `std::result::Result`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
    pub level: Level,
    pub locations: Vec<Location>,
    pub message: Message,
    #[serde(skip_serializing_if = "Properties::is_empty")]
    pub properties: Properties,
    pub rule_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_index: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// Where in a structured document: the dotted path of the node.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logical_locations: Vec<LogicalLocation>,
    pub physical_location: PhysicalLocation,
}

/// A `logicalLocation`: a place named rather than a region of text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogicalLocation {
    pub fully_qualified_name: String,
    pub kind: String,
}

impl Location {
    /// A file, and a region of it when there is one.
    pub fn file(path: &str, region: Option<Region>) -> Location {
        Location {
            logical_locations: Vec::new(),
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation::path(path),
                region,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArtifactLocation {
    pub uri: String,
}

impl ArtifactLocation {
    /// A path as a URI reference: backslashes made slashes, and the
    /// characters a URI gives meaning to escaped.
    pub fn path(path: &str) -> ArtifactLocation {
        let mut uri = String::with_capacity(path.len());
        for c in path.chars() {
            match c {
                ' ' => uri.push_str("%20"),
                '%' => uri.push_str("%25"),
                '#' => uri.push_str("%23"),
                '?' => uri.push_str("%3F"),
                '\\' => uri.push('/'),
                _ => uri.push(c),
            }
        }
        ArtifactLocation { uri }
    }
}

/// 1-based lines and columns; columns end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_column: Option<usize>,
    pub start_line: usize,
}

impl Region {
    /// A whole line.
    pub fn line(line: usize) -> Region {
        Region {
            end_column: None,
            end_line: None,
            start_column: None,
            start_line: line,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fix {
    pub artifact_changes: Vec<ArtifactChange>,
    pub description: Message,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactChange {
    pub artifact_location: ArtifactLocation,
    pub replacements: Vec<Replacement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Replacement {
    pub deleted_region: Region,
    pub inserted_content: ArtifactContent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArtifactContent {
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Log {
        let rule = Rule {
            default_configuration: Some(Configuration {
                enabled: true,
                level: Severity::Info.into(),
            }),
            full_description: Message::text("full"),
            help: Message {
                markdown: Some("**help**".into()),
                text: "help".into(),
            },
            help_uri: Some("https://example.com/R1".into()),
            id: "R1".into(),
            name: Some("rule-one".into()),
            properties: Properties::from([("fixable".into(), serde_json::json!(true))]),
            short_description: Message::text("short"),
        };
        let region = Region {
            end_column: Some(4),
            end_line: Some(2),
            start_column: Some(1),
            start_line: 2,
        };
        let result = SarifResult {
            fixes: vec![Fix {
                artifact_changes: vec![ArtifactChange {
                    artifact_location: ArtifactLocation::path("a b/c"),
                    replacements: vec![Replacement {
                        deleted_region: region,
                        inserted_content: ArtifactContent { text: "new".into() },
                    }],
                }],
                description: Message::text("fix it"),
            }],
            level: Level::Note,
            locations: vec![
                Location::file("/usr/bin/x#1?%", Some(region)),
                Location::file("dir\\file", None),
            ],
            message: Message::text("found"),
            properties: Properties::from([
                ("z".into(), serde_json::Value::Null),
                ("a".into(), serde_json::json!(["x"])),
            ]),
            rule_id: "R1".into(),
            rule_index: Some(0),
        };
        Log::new(vec![Run {
            results: vec![result],
            tool: Tool {
                driver: Driver::envelope("9.9.9", vec![rule]),
            },
        }])
    }

    #[test]
    fn writes_the_sarif_object_model() {
        let mut out = Vec::new();
        write(&sample(), &mut out).expect("writes");
        let text = String::from_utf8(out).expect("UTF-8");
        assert!(text.ends_with("}\n"), "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(v["$schema"], SCHEMA);
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "envelope");
        assert_eq!(driver["version"], "9.9.9");
        assert_eq!(driver["rules"][0]["defaultConfiguration"]["level"], "note");
        assert_eq!(driver["rules"][0]["help"]["markdown"], "**help**");
        let result = &run["results"][0];
        assert_eq!(result["ruleIndex"], 0);
        let locations = result["locations"].as_array().expect("locations");
        assert_eq!(
            locations[0]["physicalLocation"]["artifactLocation"]["uri"],
            "/usr/bin/x%231%3F%25"
        );
        assert_eq!(locations[0]["physicalLocation"]["region"]["endColumn"], 4);
        assert_eq!(
            locations[1]["physicalLocation"],
            serde_json::json!({"artifactLocation": {"uri": "dir/file"}})
        );
        let change = &result["fixes"][0]["artifactChanges"][0];
        assert_eq!(change["artifactLocation"]["uri"], "a%20b/c");
        assert_eq!(change["replacements"][0]["insertedContent"]["text"], "new");
    }

    #[test]
    fn keys_come_out_sorted_and_empty_parts_are_left_out() {
        let mut out = Vec::new();
        write(&sample(), &mut out).expect("writes");
        let text = String::from_utf8(out).expect("UTF-8");
        // serde_json's Map without preserve_order sorts keys: a round trip
        // through it changes nothing only if the writer sorted them too.
        let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let mut again = serde_json::to_string_pretty(&v).expect("JSON");
        again.push('\n');
        assert_eq!(text, again);

        let bare = Log::new(vec![Run {
            results: vec![SarifResult {
                fixes: vec![],
                level: Level::Error,
                locations: vec![Location::file("f", Some(Region::line(1)))],
                message: Message::text("m"),
                properties: Properties::new(),
                rule_id: "R".into(),
                rule_index: None,
            }],
            tool: Tool {
                driver: Driver::envelope("1", vec![]),
            },
        }]);
        let v = serde_json::to_value(&bare).expect("JSON");
        assert_eq!(
            v["runs"][0]["results"][0],
            serde_json::json!({
                "level": "error",
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": "f"},
                    "region": {"startLine": 1},
                }}],
                "message": {"text": "m"},
                "ruleId": "R",
            })
        );
    }
}
