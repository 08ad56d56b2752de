//! The format-neutral package graph both writers render.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use crate::{props, purl, time, Ecosystem, Module, SbomInput};

pub(crate) const EPOCH: &str = "1970-01-01T00:00:00Z";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Subject,
    GoMain,
    GoModule,
    GoStdlib,
    Os(Ecosystem),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Edge {
    Contains,
    DependsOn,
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Stable, unique id (`go-module-<hash16>`); SPDXID suffix and bom-ref.
    pub id: String,
    pub kind: Kind,
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
    /// Lowercase hex SHA-256 of the artifact (subject, binary).
    pub sha256: Option<String>,
    /// Binary path for main modules.
    pub file_name: Option<String>,
    /// Human-readable note on a `replace`.
    pub source_info: Option<String>,
    pub properties: Vec<(String, String)>,
}

/// What the subject is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubjectKind {
    /// A container image (the default).
    Image,
    /// One of the Go binaries itself: its digest is that binary's SHA-256.
    Binary,
}

pub(crate) struct Graph {
    pub subject: Node,
    pub subject_kind: SubjectKind,
    /// All non-subject nodes, sorted by (kind, name, version, id).
    pub nodes: Vec<Node>,
    /// (from id, edge, to id), sorted and unique.
    pub edges: BTreeSet<(String, Edge, String)>,
    /// [`SbomInput::identity_hash`] of the input.
    pub identity_hash: [u8; 32],
    /// `YYYY-MM-DDThh:mm:ssZ`: the subject's creation time in UTC, or the epoch.
    pub timestamp: String,
    pub tool_name: String,
    pub tool_version: String,
}

fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    hex::encode(&h.finalize()[..8])
}

/// `sha256:<hex>` or `<hex>` → lowercase hex, if it is a 64-digit hex string.
pub(crate) fn sha256_hex(s: &str) -> Option<String> {
    let hex = s.strip_prefix("sha256:").unwrap_or(s);
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

fn is_local_path(p: &str) -> bool {
    p.starts_with('.') || p.starts_with('/')
}

/// A module as reported (after `replace`): what its package shows.
struct Effective {
    /// Module path (the replacement's, unless replaced by a directory).
    name: String,
    /// Module version; None for a directory replacement.
    version: Option<String>,
    /// Human-readable note on a `replace`.
    source_info: Option<String>,
    /// `envelope:go:*` properties (h1 hash, replacement).
    properties: Vec<(String, String)>,
}

impl Effective {
    /// Identity of the package: everything but the `h1:` hash, which the
    /// same module may carry in one binary and lack in another.
    fn identity(&self) -> Vec<&str> {
        let mut key = vec![self.name.as_str(), self.version.as_deref().unwrap_or("")];
        for (k, v) in &self.properties {
            if k != props::GO_H1 {
                key.extend([k.as_str(), v.as_str()]);
            }
        }
        key
    }
}

/// The module as reported (after `replace`), and its extra properties.
fn effective(m: &Module) -> Effective {
    let mut properties = Vec::new();
    let Some(r) = m.replace.as_deref() else {
        if let Some(sum) = m.sum.as_ref().filter(|s| !s.is_empty()) {
            properties.push((props::GO_H1.to_string(), sum.clone()));
        }
        return Effective {
            name: m.path.clone(),
            version: Some(m.version.clone()).filter(|v| !v.is_empty()),
            source_info: None,
            properties,
        };
    };
    let original = if m.version.is_empty() {
        m.path.clone()
    } else {
        format!("{}@{}", m.path, m.version)
    };
    properties.push((props::GO_REPLACED.to_string(), original.clone()));
    if let Some(sum) = r.sum.as_ref().filter(|s| !s.is_empty()) {
        properties.push((props::GO_H1.to_string(), sum.clone()));
    }
    if is_local_path(&r.path) || r.version.is_empty() {
        // Filesystem replacement: keep the original module path, no version.
        properties.push((props::GO_REPLACEMENT_DIR.to_string(), r.path.clone()));
        Effective {
            source_info: Some(format!(
                "module {original} replaced by local directory {}",
                r.path
            )),
            name: m.path.clone(),
            version: None,
            properties,
        }
    } else {
        Effective {
            source_info: Some(format!(
                "module {original} replaced by {}@{}",
                r.path, r.version
            )),
            name: r.path.clone(),
            version: Some(r.version.clone()),
            properties,
        }
    }
}

/// Whether the subject is one of the binaries itself (same SHA-256), not an
/// image that contains them.
fn subject_is_binary(input: &SbomInput) -> bool {
    let Some(digest) = input.subject.digest.as_deref().and_then(sha256_hex) else {
        return false;
    };
    input
        .binaries
        .iter()
        .any(|b| b.sha256.as_deref().and_then(sha256_hex).as_deref() == Some(digest.as_str()))
}

/// The last `/`-separated part of a path.
fn base_name(path: &str) -> &str {
    path.rsplit('/').find(|s| !s.is_empty()).unwrap_or(path)
}

pub(crate) fn build(input: &SbomInput) -> Graph {
    let input = input.normalized();
    let identity_hash = input.identity_hash();
    let timestamp = input
        .subject
        .created
        .as_deref()
        .and_then(time::normalize_rfc3339)
        .unwrap_or_else(|| EPOCH.to_string());

    let subject = Node {
        id: format!("subject-{}", short_hash(&["subject", &input.subject.name])),
        kind: Kind::Subject,
        name: input.subject.name.clone(),
        version: None,
        purl: None,
        sha256: input.subject.digest.as_deref().and_then(sha256_hex),
        file_name: None,
        source_info: None,
        properties: Vec::new(),
    };
    let subject_kind = if subject_is_binary(&input) {
        SubjectKind::Binary
    } else {
        SubjectKind::Image
    };

    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    let mut edges = BTreeSet::new();

    for b in &input.binaries {
        let main = effective(&b.main);
        let sha256 = b.sha256.as_deref().and_then(sha256_hex);
        let main_id = format!(
            "go-main-{}",
            short_hash(&[
                "main",
                &b.path,
                &main.name,
                main.version.as_deref().unwrap_or(""),
                sha256.as_deref().unwrap_or(""),
            ])
        );
        let mut main_props = vec![
            (props::GO_BINARY.to_string(), b.path.clone()),
            (props::GO_TOOLCHAIN.to_string(), b.go_version.clone()),
        ];
        main_props.extend(main.properties);
        for (k, v) in &b.settings {
            main_props.push((format!("{}{k}", props::GO_BUILD_PREFIX), v.clone()));
        }
        // A binary without a main module (built outside module mode) is
        // named after its file and gets no PURL.
        let (name, purl) = if main.name.is_empty() {
            (base_name(&b.path).to_string(), None)
        } else {
            let purl = purl::golang(&main.name, main.version.as_deref());
            (main.name, Some(purl))
        };
        nodes.entry(main_id.clone()).or_insert_with(|| Node {
            id: main_id.clone(),
            kind: Kind::GoMain,
            name,
            version: main.version,
            purl,
            sha256,
            file_name: Some(b.path.clone()),
            source_info: main.source_info,
            properties: main_props,
        });
        edges.insert((subject.id.clone(), Edge::Contains, main_id.clone()));

        if let (Some(stdlib_purl), Some(version)) = (
            purl::golang_stdlib(&b.go_version),
            purl::go_toolchain_version(&b.go_version),
        ) {
            let id = format!("go-stdlib-{}", short_hash(&["stdlib", &stdlib_purl]));
            nodes.entry(id.clone()).or_insert_with(|| Node {
                id: id.clone(),
                kind: Kind::GoStdlib,
                name: "stdlib".to_string(),
                version: Some(version),
                purl: Some(stdlib_purl),
                sha256: None,
                file_name: None,
                source_info: None,
                properties: Vec::new(),
            });
            edges.insert((main_id.clone(), Edge::DependsOn, id));
        }

        for d in &b.deps {
            let dep = effective(d);
            if dep.name.is_empty() {
                continue;
            }
            let id = format!("go-module-{}", short_hash(&dep.identity()));
            let node = nodes.entry(id.clone()).or_insert_with(|| Node {
                id: id.clone(),
                kind: Kind::GoModule,
                purl: Some(purl::golang(&dep.name, dep.version.as_deref())),
                name: dep.name.clone(),
                version: dep.version.clone(),
                sha256: None,
                file_name: None,
                source_info: dep.source_info.clone(),
                properties: Vec::new(),
            });
            // The same module in several binaries is one package; keep the
            // first h1 hash seen (binaries are in canonical order).
            for (k, v) in dep.properties {
                if !node.properties.iter().any(|(have, _)| *have == k) {
                    node.properties.push((k, v));
                }
            }
            edges.insert((main_id.clone(), Edge::DependsOn, id));
        }
    }

    for p in &input.os_packages {
        if p.name.is_empty() {
            continue;
        }
        let purl = purl::os_package(p);
        let prefix = match p.ecosystem {
            Ecosystem::Deb => "deb",
            Ecosystem::Apk => "apk",
        };
        let id = format!("{prefix}-{}", short_hash(&["os", &purl]));
        nodes.entry(id.clone()).or_insert_with(|| Node {
            id: id.clone(),
            kind: Kind::Os(p.ecosystem),
            name: p.name.clone(),
            version: Some(p.version.clone()).filter(|v| !v.is_empty()),
            purl: Some(purl),
            sha256: None,
            file_name: None,
            source_info: None,
            properties: Vec::new(),
        });
        edges.insert((subject.id.clone(), Edge::Contains, id));
    }

    let mut nodes: Vec<Node> = nodes.into_values().collect();
    for n in &mut nodes {
        n.properties.sort();
    }
    nodes.sort_by(|a, b| {
        (a.kind, &a.name, &a.version, &a.id).cmp(&(b.kind, &b.name, &b.version, &b.id))
    });

    Graph {
        subject,
        subject_kind,
        nodes,
        edges,
        identity_hash,
        timestamp,
        tool_name: input.tool_name.clone(),
        tool_version: input.tool_version.clone(),
    }
}
