//! Kubernetes manifests: reading a file of YAML (or JSON) documents into
//! the objects it holds, the workloads among them, and linting those with
//! the rules under `rules/kubernetes/`.
//!
//! A file is read with envelope-yaml's tree reader, so every value knows
//! its line, column and bytes. Objects are documents (or `List` items)
//! with `apiVersion` and `kind`; those whose kind runs pods become
//! [`Workload`]s, the others are counted as skipped. A file that is a
//! template (`{{ }}` outside string values) or not YAML at all gets one
//! finding of `K8S000` and nothing else is guessed from it.

mod images;
mod model;
mod suppression;

use std::collections::BTreeMap;

use envelope_diagnostics::{Diagnostic, Edit, Fix, RuleInfo, Source};
use envelope_yaml::{Editor, Node, Tree, Want};

pub use images::{
    is_shell, words, ContainerPath, ImageLookup, ImageMissing, Looked, RunsIn, Unseen, DEFAULT_PATH,
};
pub use model::{
    as_bool, as_int, entries, get, is_long_running, is_workload_kind, items, join, nearest, At,
    Container, ContainerKind, Object, Setting, Workload,
};

use crate::{FileResult, LintError, RuleMeta, Settings};

/// A Kubernetes rule: reads the [`KubeContext`], pushes findings.
pub trait KubeRule: RuleMeta + Send + Sync {
    fn check(&self, cx: &KubeContext, out: &mut Vec<Diagnostic>);
}

/// A file read as YAML documents.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Every document, in order (document `n` is `documents[n - 1]`).
    pub documents: Vec<Node>,
    /// The syntax error that ended the reading; the documents before it
    /// are kept.
    pub error: Option<envelope_yaml::Error>,
    /// The byte offset of a template marker (`{{`) outside string values:
    /// the file must be rendered before it can be read.
    pub template: Option<usize>,
}

impl Manifest {
    pub fn read(text: &str) -> Manifest {
        let (documents, error) = envelope_yaml::parse_documents(text);
        let template = template_marker(text, &documents, error.is_some());
        Manifest {
            documents,
            error,
            template,
        }
    }

    /// The Kubernetes objects: each document with `apiVersion` and `kind`,
    /// and the items of a `List` (as `kubectl get -o yaml` writes).
    pub fn objects(&self) -> Vec<Object<'_>> {
        let mut out = Vec::new();
        for (i, doc) in self.documents.iter().enumerate() {
            let Some(obj) = Object::read(i + 1, String::new(), doc) else {
                continue;
            };
            let list = obj.kind.ends_with("List")
                && matches!(doc.get("items").map(|n| &n.value), Some(Tree::Sequence(_)));
            if list {
                for (j, item) in items(doc.get("items")).iter().enumerate() {
                    if let Some(o) = Object::read(i + 1, format!("items[{j}]"), item) {
                        out.push(o);
                    }
                }
            } else {
                out.push(obj);
            }
        }
        out
    }
}

/// Where the first template action is: a `{{` where a value or a line
/// starts, outside quoted and block strings, or any `{{` in text that does
/// not parse. Rendered manifests carry Go templates as data (ConfigMap
/// strings, alerting rules' descriptions); a Helm template has them where
/// they break or change the YAML.
fn template_marker(text: &str, documents: &[Node], broken: bool) -> Option<usize> {
    let first = text.find("{{")?;
    if broken {
        return Some(first);
    }
    let mut strings = Vec::new();
    for d in documents {
        quoted_ranges(text, d, &mut strings);
    }
    text.match_indices("{{").map(|(i, _)| i).find(|&i| {
        if strings.iter().any(|&(s, e)| s <= i && i < e) {
            return false;
        }
        // Where a value starts (a line, `key: `, `- `): a template's
        // action. Inside plain text (`failed for {{ $labels.pod }}`, as
        // in alerting rules) it is data.
        let line = text[..i].rsplit(['\n', '\r']).next().unwrap_or_default();
        let before = line.trim_end();
        let spaced = before.len() < line.len();
        before.is_empty()
            || before.ends_with(['[', '{'])
            || (spaced && before.ends_with([':', '-', ',']))
    })
}

/// The byte ranges of quoted and block scalars under `node`.
fn quoted_ranges(text: &str, node: &Node, out: &mut Vec<(usize, usize)>) {
    match &node.value {
        Tree::Scalar(_) => {
            let quoted = text
                .get(node.start..)
                .is_some_and(|t| t.starts_with(['"', '\'', '|', '>']));
            // A block scalar's value starts after its `|` or `>` line.
            let block = text.get(..node.start).is_some_and(|before| {
                before
                    .trim_end()
                    .trim_end_matches(|c: char| c == '-' || c == '+' || c.is_ascii_digit())
                    .ends_with(['|', '>'])
            });
            if quoted || block {
                out.push((node.start, node.end));
            }
        }
        Tree::Sequence(items) => items.iter().for_each(|n| quoted_ranges(text, n, out)),
        Tree::Mapping(entries) => entries.iter().for_each(|(k, v)| {
            quoted_ranges(text, k, out);
            quoted_ranges(text, v, out);
        }),
        Tree::Null => {}
    }
}

/// Does this text look like Kubernetes YAML or JSON (`apiVersion` and
/// `kind` keys at the start of a line in YAML, anywhere in JSON)? Cheap,
/// for choosing files in a directory walk before reading them.
pub fn mentions_object(text: &str) -> bool {
    let key = |name: &str| {
        // A top-level key of a YAML document starts its line: a script in
        // a CI workflow that writes a manifest (indented, in a string) is
        // not one.
        let block = text.lines().any(|l| {
            l.strip_prefix(name)
                .is_some_and(|r| r.trim_start().starts_with(':'))
        });
        let quoted = format!("\"{name}\"");
        block
            || text
                .match_indices(&quoted)
                .any(|(i, _)| text[i + quoted.len()..].trim_start().starts_with(':'))
    };
    key("apiVersion") && key("kind")
}

/// Is standard input a manifest rather than a Dockerfile? Its first line
/// that is not blank or a comment decides: a document marker, a JSON or
/// flow collection, or a `key:` (a Dockerfile instruction is a word and a
/// space).
pub fn is_manifest_text(text: &str) -> bool {
    let Some(first) = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
    else {
        return false;
    };
    if first.starts_with("---") || first.starts_with(['{', '[']) {
        return true;
    }
    let word_end = first
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .unwrap_or(first.len());
    word_end > 0 && first[word_end..].starts_with(':')
}

/// What rules read: the file, its workloads, the settings.
///
/// The image-aware rules (K8S023 and on) read the images the containers
/// run through `images`; without a lookup they find nothing.
pub struct KubeContext<'a> {
    pub path: &'a str,
    pub source: &'a Source,
    pub settings: &'a Settings,
    pub workloads: Vec<Workload<'a>>,
    /// Every object of the file, workloads included (a rule may look for
    /// the ServiceAccount a pod names).
    pub objects: Vec<Object<'a>>,
    /// Where the containers' images are looked up, when they are.
    pub images: Option<&'a dyn ImageLookup>,
    /// The file's text prepared for fixes (none when it cannot be edited).
    pub editor: Option<Editor<'a>>,
}

impl KubeContext<'_> {
    /// A finding for `rule` about the value at `keys` below `base` (whose
    /// path is `base_path`), in `document`: at the value with its key when
    /// it is there, else at the nearest part of the way that is.
    pub fn diag_at(
        &self,
        rule: &RuleInfo,
        document: usize,
        base: &Node,
        base_path: &str,
        keys: &[&str],
        message: impl Into<String>,
    ) -> Diagnostic {
        let (at, _) = nearest(base, keys);
        let path = join(base_path, &keys.join("."));
        self.diag_node(rule, document, at, path, message)
    }

    /// A finding at `at`, naming `path`.
    pub fn diag_node(
        &self,
        rule: &RuleInfo,
        document: usize,
        at: At<'_>,
        path: String,
        message: impl Into<String>,
    ) -> Diagnostic {
        let mut d = Diagnostic::new(rule.code, rule.severity, message);
        d.span = Some(self.span(at));
        d.path = self.path.to_string();
        d.with_object_path(document, path)
    }

    /// A finding at a setting found by [`Workload::effective`].
    pub fn diag_setting(
        &self,
        rule: &RuleInfo,
        document: usize,
        setting: &Setting<'_>,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.diag_at(
            rule,
            document,
            setting.base,
            &setting.base_path,
            &setting.keys,
            message,
        )
    }

    /// A finding at a list item (a volume, a capability), named by `path`.
    pub fn diag_item(
        &self,
        rule: &RuleInfo,
        document: usize,
        node: &Node,
        path: String,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.diag_node(rule, document, At { node, key: None }, path, message)
    }

    /// `d` with an unsafe fix that makes the value at `keys` below `base`
    /// what `want` says, when the text can be edited there alone (not
    /// through an alias, a merge key or an anchor: see
    /// [`Editor::set`]). Every Kubernetes fix is unsafe: a
    /// tightened security context can stop a program that relied on what
    /// it took away, so `--fix` applies them only with `--unsafe-fixes`.
    pub fn fix(&self, d: Diagnostic, base: &Node, keys: &[&str], want: Want<'_>) -> Diagnostic {
        let Some((range, content)) = self.editor.and_then(|e| e.set(base, keys, want)) else {
            return d;
        };
        let value = match want {
            Want::Bool(b) => b.to_string(),
            Want::Word(w) => w.to_string(),
            Want::Item(w) => format!("[{w}]"),
        };
        let message = format!("set `{}: {value}`", keys.join("."));
        d.with_fix(Fix::unsafe_edits(
            message,
            vec![Edit::replace(range.start, range.end, content)],
        ))
    }

    /// `d` with the fix for a container's `securityContext.<keys>`, unless
    /// the container is an alias of another (its bytes are that one's).
    pub fn fix_container(
        &self,
        d: Diagnostic,
        c: &Container<'_>,
        keys: &[&str],
        want: Want<'_>,
    ) -> Diagnostic {
        if c.aliased {
            return d;
        }
        let mut path = vec!["securityContext"];
        path.extend_from_slice(keys);
        self.fix(d, c.node, &path, want)
    }

    /// `d` with the fix that makes a found setting what `want` says.
    pub fn fix_setting(&self, d: Diagnostic, s: &Setting<'_>, want: Want<'_>) -> Diagnostic {
        let aliased = self
            .workloads
            .iter()
            .flat_map(|w| &w.containers)
            .any(|c| c.aliased && std::ptr::eq(c.node, s.base));
        if aliased {
            return d;
        }
        self.fix(d, s.base, &s.keys, want)
    }

    /// The bytes a finding underlines: `key: value` for a scalar, the key
    /// alone for a collection, the first line of a list item.
    fn span(&self, at: At<'_>) -> (usize, usize) {
        let text = &self.source.text;
        let node = at.node;
        let scalar = matches!(node.value, Tree::Scalar(_) | Tree::Null);
        match at.key {
            Some(k) if scalar && node.start >= k.start => (k.start, node.end.max(k.end)),
            Some(k) => (k.start, k.end),
            None => {
                let line_end = text
                    .get(node.start..)
                    .and_then(|t| t.find('\n'))
                    .map_or(text.len(), |i| node.start + i);
                (node.start, node.end.min(line_end).max(node.start))
            }
        }
    }
}

/// The findings for a manifest file, and what it held.
#[derive(Debug, Clone)]
pub struct KubeResult {
    pub file: FileResult,
    /// Objects read: workloads and skipped ones.
    pub objects: usize,
    /// Objects of kinds with no rules, by kind.
    pub skipped: BTreeMap<String, usize>,
}

impl KubeResult {
    /// Did the file hold anything this linter reads or reports (an object,
    /// or a finding such as a syntax error)?
    pub fn is_kubernetes(&self) -> bool {
        self.objects > 0 || !self.file.diagnostics.is_empty()
    }
}

/// Lints `bytes` as the Kubernetes manifest file at `path`.
pub fn lint(path: &str, bytes: &[u8], settings: &Settings) -> Result<KubeResult, LintError> {
    lint_with_images(path, bytes, settings, None)
}

/// The rules whose findings need the image a container runs: they run
/// only with an [`ImageLookup`].
pub const IMAGE_AWARE: [&str; 7] = [
    "K8S023", "K8S024", "K8S025", "K8S026", "K8S027", "K8S028", "K8S029",
];

/// Lints `bytes` as the Kubernetes manifest file at `path`, the
/// image-aware rules reading the containers' images through `images`.
pub fn lint_with_images(
    path: &str,
    bytes: &[u8],
    settings: &Settings,
    images: Option<&dyn ImageLookup>,
) -> Result<KubeResult, LintError> {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let source = Source::new(path, text);
    let text = source.text.as_str();
    let unreadable = crate::rules::kubernetes::k8s000::Unreadable::INFO;
    let mut diagnostics = Vec::new();
    let mut objects = 0;
    let mut skipped = BTreeMap::new();
    let manifest = Manifest::read(text);
    let suppressions = suppression::read(path, &source, &manifest)?;
    if let Some(at) = manifest.template {
        let line = source.position(at).line;
        let mut d = Diagnostic::new(
            unreadable.code,
            unreadable.severity,
            format!("this is a template (`{{{{` on line {line}), not a manifest: render it first"),
        )
        .with_help(
            "helm template RELEASE CHART | envelope lint -   (or: kustomize build DIR | envelope lint -)",
        );
        d.span = Some((at, (at + 2).min(text.len())));
        diagnostics.push(d);
    } else {
        if let Some(envelope_yaml::Error::Syntax {
            line,
            column,
            message,
        }) = &manifest.error
        {
            let at = offset_of(&source, *line, *column);
            let mut d = Diagnostic::new(
                unreadable.code,
                unreadable.severity,
                format!("not valid YAML: {message}"),
            )
            .with_help("fix the YAML; the documents before this point were still checked");
            d.span = Some((at, at));
            d.document = Some(manifest.documents.len() + 1);
            diagnostics.push(d);
        }
        let all = manifest.objects();
        objects = all.len();
        let mut workloads = Vec::new();
        for o in &all {
            match Workload::read(o.clone()) {
                Some(w) => workloads.push(w),
                None => *skipped.entry(o.kind.to_string()).or_insert(0) += 1,
            }
        }
        let cx = KubeContext {
            path,
            source: &source,
            settings,
            workloads,
            objects: all,
            images,
            editor: Editor::new(text),
        };
        for rule in crate::registry::kube_rules() {
            if rule.info().code == unreadable.code {
                continue;
            }
            let mut found = Vec::new();
            if settings.is_enabled(rule.info()) {
                rule.check(&cx, &mut found);
            }
            diagnostics.extend(found);
        }
    }
    let mut kept = Vec::new();
    for mut d in diagnostics {
        let Some(info) = crate::registry::kube_rules()
            .iter()
            .map(|r| r.info())
            .find(|i| i.code == d.code)
        else {
            continue;
        };
        if !settings.is_enabled(info) || suppressions.silences(&d) {
            continue;
        }
        let lowered = info.severity.rank().saturating_sub(d.severity.rank());
        d.severity = settings.severity_of(info).lowered(lowered);
        d.path = path.to_string();
        source.locate(&mut d);
        kept.push(d);
    }
    kept.sort_by(|a, b| (a.start, a.code, &a.message).cmp(&(b.start, b.code, &b.message)));
    kept.dedup_by(|a, b| a.code == b.code && a.span == b.span && a.message == b.message);
    Ok(KubeResult {
        file: FileResult {
            source,
            diagnostics: kept,
        },
        objects,
        skipped,
    })
}

/// Lints `bytes` as a manifest and applies the fixes (the unsafe ones
/// only with `settings.unsafe_fixes`), linting again after each round
/// until nothing more is fixed (at most 10 rounds: fixes that add keys to
/// the same mapping land one a round). A round whose text would read
/// back as fewer documents or with a new syntax error is not kept.
/// Returns the fixed text, the findings that remain, and how many fixes
/// were applied.
pub fn fix_with_images(
    path: &str,
    bytes: &[u8],
    settings: &Settings,
    images: Option<&dyn ImageLookup>,
) -> Result<(String, KubeResult, usize), LintError> {
    let mut result = lint_with_images(path, bytes, settings, images)?;
    if std::str::from_utf8(bytes).is_err() {
        // Writing back would replace the invalid bytes; leave the file alone.
        return Ok((result.file.source.text.clone(), result, 0));
    }
    let mut text = result.file.source.text.clone();
    let shape = |t: &str| {
        let (docs, error) = envelope_yaml::parse_documents(t);
        (docs.len(), error.is_none())
    };
    let before = shape(&text);
    // The findings whose fix this run applies.
    let wanted = |d: &&Diagnostic| {
        d.fix
            .as_ref()
            .is_some_and(|f| settings.unsafe_fixes || f.is_safe())
    };
    let fixable = |r: &KubeResult| r.file.diagnostics.iter().filter(wanted).count();
    let mut total = 0;
    for _ in 0..10 {
        let fixes: Vec<Diagnostic> = result
            .file
            .diagnostics
            .iter()
            .filter(wanted)
            .cloned()
            .collect();
        let (mut next, mut n) = crate::fix::apply_fixes(&text, &fixes, settings.unsafe_fixes);
        if n > 0 && shape(&next) != before {
            // One of them breaks the file: keep those that do not, one at
            // a time.
            (next, n) = (text.clone(), 0);
            for d in &fixes {
                let (one, m) = crate::fix::apply_fixes(&next, std::slice::from_ref(d), true);
                if m == 1 && shape(&one) == before {
                    next = one;
                    n += 1;
                }
                // Later fixes' offsets are for the text before: lint again.
                if n > 0 {
                    break;
                }
            }
        }
        if n == 0 || next == text {
            break;
        }
        let again = lint_with_images(path, next.as_bytes(), settings, images)?;
        // A round must leave fewer findings to fix: an edit that did not
        // fix what it was for is not kept (nor tried again).
        if fixable(&again) >= fixable(&result) {
            break;
        }
        total += n;
        text = next;
        result = again;
    }
    Ok((text, result, total))
}

/// The byte offset of a 1-based line and column (in characters).
fn offset_of(source: &Source, line: usize, column: usize) -> usize {
    let text = &source.text;
    let mut start = 0;
    for _ in 1..line {
        match text.get(start..).and_then(|t| t.find('\n')) {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    let rest = text.get(start..).unwrap_or_default();
    start
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}
