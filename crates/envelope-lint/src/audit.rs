//! Image audits: what the checks under `rules/image/` read, and how the
//! facts are gathered while the layers stream by.
//!
//! [`Collector`] is the content visitor given to the filesystem indexer: it
//! keeps the account files, notes secret files by name and by content, and
//! reads every ELF file it meets into [`Binary`] facts, one at a time.
//! [`audit`] then runs the checks over the [`ImageFacts`].

use std::collections::BTreeMap;
use std::io::Read;

use envelope_diagnostics::Diagnostic;
use envelope_golang::{BinaryFacts, RuntimeNeeds};
use envelope_layer::fs::{ContentVisitor, ImageFs, Node, NodeKind};

use crate::{RuleMeta, Settings};

/// An image check: reads the [`ImageContext`], pushes findings.
pub trait ImageRule: RuleMeta + Send + Sync {
    fn check(&self, cx: &ImageContext, out: &mut Vec<Diagnostic>);
}

/// An ELF file of the image.
#[derive(Debug, Clone)]
pub struct Binary {
    pub path: String,
    pub size: u64,
    /// Its facts, or why they could not be read.
    pub facts: Result<BinaryFacts, String>,
    /// For Go binaries (those with a Go function table): what they need
    /// from the image at run time.
    pub needs: Option<RuntimeNeeds>,
}

impl Binary {
    /// A Go binary: one with build info.
    pub fn go(&self) -> Option<&envelope_golang::BuildInfo> {
        self.facts.as_ref().ok()?.build_info.as_ref()
    }
}

/// Everything the checks know about an image (or a lone binary).
#[derive(Debug, Clone, Default)]
pub struct ImageFacts {
    /// How the user named it; findings are reported against it.
    pub reference: String,
    /// False for a bare binary: only the binary checks run.
    pub is_image: bool,
    /// A registry reference by tag, not by digest.
    pub mutable_tag: Option<String>,
    /// The image config JSON (`config`, `history`, ...).
    pub config: serde_json::Value,
    pub fs: ImageFs,
    /// Small files kept whole: the account files.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Files that hold secrets: (path, what they hold).
    pub secret_files: Vec<(String, String)>,
    pub binaries: Vec<Binary>,
}

/// The files kept whole for the checks.
pub const KEPT_FILES: [&str; 3] = ["/etc/passwd", "/etc/group", "/etc/shadow"];
const KEPT_MAX: u64 = 1 << 20;

/// Gathers [`ImageFacts`] content while the indexer streams the layers.
#[derive(Debug, Default)]
pub struct Collector {
    pub files: BTreeMap<String, Vec<u8>>,
    pub secret_files: Vec<(String, String)>,
    pub binaries: Vec<Binary>,
    /// ELF files larger than this are listed without facts (each is read
    /// whole into memory).
    pub max_binary: u64,
    /// The next `visit` is of a hidden file of this layer.
    hidden_layer: Option<usize>,
}

/// What a file holding a secret holds, judged by its name.
fn secret_by_name(path: &str) -> Option<String> {
    if let Some(what) = crate::rules::dockerfile::df004::secret_file(path) {
        return Some(what.to_string());
    }
    let base = path.rsplit('/').next().unwrap_or(path);
    if base == "application_default_credentials.json"
        || path.ends_with("/.config/gcloud/credentials.db")
    {
        return Some("Google Cloud credentials".to_string());
    }
    if path.contains("/.ssh/") && !path.ends_with(".pub") && !path.ends_with("/known_hosts") {
        return Some("an SSH key or configuration".to_string());
    }
    None
}

/// What a small file holds by its content: a PEM private key, or a cloud
/// service-account key in JSON.
fn secret_by_content(head: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(head);
    if text.starts_with("-----BEGIN") && text.contains("PRIVATE KEY-----") {
        return Some("a private key");
    }
    let t = text.trim_start();
    if t.starts_with('{')
        && text.contains("\"private_key\"")
        && text.contains("\"service_account\"")
    {
        return Some("a cloud service-account key");
    }
    None
}

impl Collector {
    pub fn new() -> Collector {
        Collector {
            max_binary: 256 << 20,
            ..Collector::default()
        }
    }

    /// Drops what was gathered about files the final filesystem does not
    /// have after all (replaced within a layer, or under a path that became
    /// a file).
    pub fn keep_final(&mut self, fs: &ImageFs) {
        self.binaries
            .retain(|b| fs.get(&b.path).is_some_and(|n| n.kind == NodeKind::File));
        self.secret_files.retain(|(p, what)| {
            what.contains("deleted or replaced by a later layer") || fs.get(p).is_some()
        });
        self.files
            .retain(|p, _| fs.get(p).is_some_and(|n| n.kind == NodeKind::File));
    }

    /// Reads a whole ELF file that was opened by the indexer, or one on disk.
    pub fn binary_from(
        &mut self,
        path: &str,
        size: u64,
        data: &mut dyn Read,
    ) -> std::io::Result<()> {
        if size > self.max_binary {
            self.binaries.push(Binary {
                path: path.to_string(),
                size,
                facts: Err(format!("larger than {} bytes: not read", self.max_binary)),
                needs: None,
            });
            return Ok(());
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size.min(1 << 28)).unwrap_or(0));
        data.take(size).read_to_end(&mut bytes)?;
        self.binaries.push(binary_facts(path, size, &bytes));
        Ok(())
    }
}

/// The facts of one ELF file's bytes.
pub fn binary_facts(path: &str, size: u64, bytes: &[u8]) -> Binary {
    let facts = envelope_golang::inspect(bytes).map_err(|e| e.to_string());
    // Any binary with a Go function table (build info or not).
    let needs = match &facts {
        Ok(_) => envelope_golang::FuncTable::read(bytes)
            .ok()
            .map(|t| envelope_golang::runtime_needs(&t)),
        Err(_) => None,
    };
    Binary {
        path: path.to_string(),
        size,
        facts,
        needs,
    }
}

impl ContentVisitor for Collector {
    fn wants(&mut self, path: &str, node: &Node) -> bool {
        if let Some(what) = secret_by_name(path) {
            self.secret_files.push((path.to_string(), what));
        }
        node.size >= 4
    }

    fn superseded(&mut self, path: &str) {
        self.binaries.retain(|b| b.path != path);
        self.secret_files
            .retain(|(p, what)| p != path || what.contains("deleted or replaced"));
        self.files.remove(path);
    }

    fn hidden(&mut self, path: &str, node: &Node) -> bool {
        let note = format!(
            " (in layer {}, deleted or replaced by a later layer: still in the image)",
            node.layer
        );
        if let Some(what) = secret_by_name(path) {
            self.secret_files
                .push((path.to_string(), format!("{what}{note}")));
            return false;
        }
        // Small files only: a key, not a database.
        if node.size >= 4 && node.size <= 64 << 10 {
            self.hidden_layer = Some(node.layer);
            return true;
        }
        false
    }

    fn visit(&mut self, path: &str, node: &Node, data: &mut dyn Read) -> std::io::Result<()> {
        if let Some(layer) = self.hidden_layer.take() {
            let mut head = Vec::new();
            data.take(64 << 10).read_to_end(&mut head)?;
            if let Some(what) = secret_by_content(&head) {
                self.secret_files.push((
                    path.to_string(),
                    format!("{what} (in layer {layer}, deleted or replaced by a later layer: still in the image)"),
                ));
            }
            return Ok(());
        }
        if KEPT_FILES.contains(&path) && node.size <= KEPT_MAX {
            let mut bytes = Vec::new();
            data.take(KEPT_MAX).read_to_end(&mut bytes)?;
            self.files.insert(path.to_string(), bytes);
            return Ok(());
        }
        let mut magic = [0u8; 4];
        data.read_exact(&mut magic)?;
        if &magic == b"\x7fELF" {
            let mut rest = std::io::Cursor::new(magic).chain(data);
            return self.binary_from(path, node.size, &mut rest);
        }
        // A private key or a cloud key: a small text file saying so.
        if (&magic == b"----" || magic[0] == b'{') && node.size <= 64 << 10 {
            let mut head = magic.to_vec();
            data.take(64 << 10).read_to_end(&mut head)?;
            if let Some(what) = secret_by_content(&head) {
                if !self.secret_files.iter().any(|(p, _)| p == path) {
                    self.secret_files.push((path.to_string(), what.to_string()));
                }
            }
        }
        Ok(())
    }
}

/// `text` (a history command) with secret values replaced by `***`: tokens
/// that look like secrets, and the values of `NAME=value` words whose name
/// says secret.
pub fn redact_secrets(text: &str) -> String {
    use crate::rules::dockerfile::df004 as s;
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let bare = word.trim_matches(['"', '\'', ';', '(', ')', ',']);
        if !bare.is_empty() && s::secret_value(bare).is_some() {
            out.push_str(&word.replace(bare, "***"));
            continue;
        }
        match word.split_once('=') {
            Some((k, v)) => {
                let name = k.trim_start_matches(['|', '-']);
                let v = v.trim_matches(['"', '\'']);
                if s::secret_name(name)
                    && !v.is_empty()
                    && !s::harmless_value(v)
                    && !s::auth_mode(name, v)
                {
                    out.push_str(k);
                    out.push_str("=***");
                } else {
                    out.push_str(word);
                }
            }
            None => out.push_str(word),
        }
    }
    out
}

impl ImageFacts {
    /// The image config's `config` object, if any.
    pub fn runtime(&self) -> Option<&serde_json::Value> {
        self.config
            .get("config")
            .or_else(|| self.config.get("container_config"))
    }

    /// `config.Env` as (name, value).
    pub fn env(&self) -> Vec<(String, String)> {
        self.runtime()
            .and_then(|c| c.get("Env"))
            .and_then(|e| e.as_array())
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (kv.to_string(), String::new()),
            })
            .collect()
    }

    /// The uid and gid the image runs as: `config.User` as numbers, or as
    /// names looked up in /etc/passwd and /etc/group; without a group, the
    /// user's group in /etc/passwd, else the uid. `Some((0, 0))` when no
    /// user is set; None when a name is in neither file.
    pub fn run_as(&self) -> Option<(u32, u32)> {
        let user = self
            .runtime()
            .and_then(|c| c.get("User"))
            .and_then(|u| u.as_str())
            .unwrap_or_default();
        if user.is_empty() {
            return Some((0, 0));
        }
        let (u, g) = match user.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (user, None),
        };
        let entry = |file: &str, name: &str| -> Option<Vec<String>> {
            let text = String::from_utf8_lossy(self.files.get(file)?).into_owned();
            text.lines()
                .map(|l| l.split(':').map(str::to_string).collect::<Vec<_>>())
                .find(|f| f.len() >= 3 && (f[0] == name || f[2] == name))
        };
        let uid: u32 = match u.parse() {
            Ok(n) => n,
            Err(_) => entry("/etc/passwd", u)?.get(2)?.parse().ok()?,
        };
        let gid: u32 = match g {
            Some(g) => match g.parse() {
                Ok(n) => n,
                Err(_) => entry("/etc/group", g)?.get(2)?.parse().ok()?,
            },
            None => entry("/etc/passwd", &uid.to_string())
                .and_then(|f| f.get(3)?.parse().ok())
                .unwrap_or(uid),
        };
        Some((uid, gid))
    }
}

/// What a check reads.
pub struct ImageContext<'a> {
    pub facts: &'a ImageFacts,
    pub settings: &'a Settings,
}

impl<'a> ImageContext<'a> {
    /// The image config's `config` object, if any.
    fn runtime(&self) -> Option<&'a serde_json::Value> {
        self.facts.runtime()
    }

    /// `config.User`, empty when unset.
    pub fn user(&self) -> String {
        self.runtime()
            .and_then(|c| c.get("User"))
            .and_then(|u| u.as_str())
            .unwrap_or_default()
            .to_string()
    }

    /// `config.Env` as (name, value).
    pub fn env(&self) -> Vec<(String, String)> {
        self.facts.env()
    }

    pub fn labels(&self) -> BTreeMap<String, String> {
        self.runtime()
            .and_then(|c| c.get("Labels"))
            .and_then(|l| l.as_object())
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect()
    }

    /// `config.Healthcheck.Test`, when set.
    pub fn healthcheck(&self) -> Option<Vec<String>> {
        let test = self
            .runtime()?
            .get("Healthcheck")?
            .get("Test")?
            .as_array()?;
        Some(
            test.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        )
    }

    /// `history[].created_by`, in order.
    pub fn history(&self) -> Vec<String> {
        self.facts
            .config
            .get("history")
            .and_then(|h| h.as_array())
            .into_iter()
            .flatten()
            .filter_map(|h| h.get("created_by").and_then(|c| c.as_str()))
            .map(str::to_string)
            .collect()
    }

    /// The node at `path`, symlinks followed inside the image.
    pub fn resolve(&self, path: &str) -> Option<(String, Node)> {
        self.facts.fs.resolve(path)
    }

    /// The files among `paths` that exist, symlinks followed, each real file
    /// once: (real path, size).
    pub fn present(&self, paths: &[&str]) -> Vec<(String, u64)> {
        let mut found: Vec<(String, u64)> = Vec::new();
        for p in paths {
            if let Some((real, node)) = self.resolve(p) {
                // A hard link's bytes are its target's.
                let (real, size) = match (&node.kind, &node.link) {
                    (NodeKind::Hardlink, Some(t)) => {
                        (t.clone(), self.facts.fs.get(t).map_or(0, |n| n.size))
                    }
                    _ => (real, node.size),
                };
                if !found.iter().any(|(r, _)| *r == real) {
                    found.push((real, size));
                }
            }
        }
        found
    }

    /// Does `path` exist (as anything, symlinks followed)?
    pub fn exists(&self, path: &str) -> bool {
        self.resolve(path).is_some()
    }

    /// Bytes of the regular files at or under `prefix`.
    pub fn bytes_under(&self, prefix: &str) -> u64 {
        self.facts
            .fs
            .subtree(prefix)
            .filter(|(_, n)| n.kind == NodeKind::File)
            .map(|(_, n)| n.size)
            .sum()
    }

    /// A finding against the image.
    pub fn diag(
        &self,
        rule: &envelope_diagnostics::RuleInfo,
        message: impl Into<String>,
    ) -> Diagnostic {
        let mut d = Diagnostic::new(rule.code, rule.severity, message);
        d.path = self.facts.reference.clone();
        d
    }

    /// The Go binaries (with build info) of the image.
    pub fn go_binaries(
        &self,
    ) -> impl Iterator<Item = (&'a Binary, &'a envelope_golang::BuildInfo)> {
        self.facts
            .binaries
            .iter()
            .filter_map(|b| b.go().map(|bi| (b, bi)))
    }
}

/// Runs the enabled image checks. A severity set in the configuration
/// replaces the one a check gives; otherwise a check may raise or lower its
/// default for one finding (a dynamic binary without its loader is an
/// error).
pub fn audit(facts: &ImageFacts, settings: &Settings) -> Vec<Diagnostic> {
    let cx = ImageContext { facts, settings };
    let mut out = Vec::new();
    for rule in crate::image_rules() {
        let info = rule.info();
        if !settings.is_enabled(info) {
            continue;
        }
        let is_binary_rule = info.code.starts_with("GB");
        if !facts.is_image && !is_binary_rule {
            continue;
        }
        let mut found = Vec::new();
        rule.check(&cx, &mut found);
        for mut d in found {
            if let Some(sev) = settings.severity.get(info.code) {
                d.severity = *sev;
            }
            d.path = facts.reference.clone();
            out.push(d);
        }
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.code.cmp(b.code))
            .then(a.message.cmp(&b.message))
    });
    out
}
