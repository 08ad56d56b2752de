//! The workload model: which objects of a manifest run pods, where their
//! pod spec is, and each container in it, every part with its YAML path.
//! Rules read this instead of walking the tree themselves, so the kinds
//! that embed a pod spec (and where) are known in one place.

use envelope_yaml::{Node, Tree};

/// Where a pod spec sits in each kind that has one.
const POD_SPEC_PATHS: &[(&str, &[&str])] = &[
    ("Pod", &["spec"]),
    ("Deployment", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("ReplicaSet", &["spec", "template", "spec"]),
    ("ReplicationController", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    (
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
];

/// Does this kind run pods (and so get linted)?
pub fn is_workload_kind(kind: &str) -> bool {
    POD_SPEC_PATHS.iter().any(|(k, _)| *k == kind)
}

/// Kinds that run for good and are sent traffic: probes matter for them,
/// not for the pods of a Job.
pub fn is_long_running(kind: &str) -> bool {
    matches!(
        kind,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController"
    )
}

/// A node and its dotted YAML path from the document's root.
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    pub node: &'a Node,
    /// The key it is the value of (none for sequence items and the root).
    pub key: Option<&'a Node>,
}

/// One Kubernetes object: a document's root, or an item of a `List`.
#[derive(Debug, Clone)]
pub struct Object<'a> {
    /// The document (1-based).
    pub document: usize,
    /// The object's own path: empty for a document's root, `items[2]` in a
    /// List.
    pub path: String,
    pub node: &'a Node,
    pub api_version: &'a str,
    pub kind: &'a str,
    pub name: Option<&'a str>,
}

impl<'a> Object<'a> {
    /// A node that is a Kubernetes object: a mapping with `apiVersion`
    /// and `kind` strings.
    pub fn read(document: usize, path: String, node: &'a Node) -> Option<Object<'a>> {
        let api_version = node.get("apiVersion")?.as_str()?;
        let kind = node.get("kind")?.as_str()?;
        let name = node
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Node::as_str);
        Some(Object {
            document,
            path,
            node,
            api_version,
            kind,
            name,
        })
    }

    /// `path` joined below this object's path.
    pub fn join(&self, rest: &str) -> String {
        join(&self.path, rest)
    }

    /// `Deployment api` (or `Deployment` when it has no name).
    pub fn describe(&self) -> String {
        match self.name {
            Some(n) => format!("{} {n}", self.kind),
            None => self.kind.to_string(),
        }
    }
}

/// `a.b` + `c` → `a.b.c`; `a` + `[0]` → `a[0]`.
pub fn join(base: &str, rest: &str) -> String {
    if base.is_empty() {
        rest.to_string()
    } else if rest.is_empty() || rest.starts_with('[') {
        format!("{base}{rest}")
    } else {
        format!("{base}.{rest}")
    }
}

/// Which list of a pod spec a container is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    Container,
    Init,
    Ephemeral,
}

impl ContainerKind {
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Container => "containers",
            ContainerKind::Init => "initContainers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            ContainerKind::Container => "container",
            ContainerKind::Init => "init container",
            ContainerKind::Ephemeral => "ephemeral container",
        }
    }
}

/// A container of a pod spec.
#[derive(Debug, Clone)]
pub struct Container<'a> {
    pub node: &'a Node,
    /// `spec.template.spec.containers[0]`.
    pub path: String,
    pub kind: ContainerKind,
    pub name: &'a str,
    /// Written as an alias (`- *app`): its bytes are another node's.
    pub aliased: bool,
}

impl<'a> Container<'a> {
    /// `container "app"`, `init container "migrate"`.
    pub fn describe(&self) -> String {
        format!("{} \"{}\"", self.kind.noun(), self.name)
    }

    /// The value at `keys` below the container.
    pub fn get(&self, keys: &[&str]) -> Option<&'a Node> {
        get(self.node, keys)
    }
}

/// An object that runs pods, its pod spec and containers.
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    pub object: Object<'a>,
    /// The pod spec (a mapping).
    pub pod: &'a Node,
    /// `spec.template.spec`.
    pub pod_path: String,
    /// The pod's metadata (the template's, or a Pod's own), for the
    /// annotations that configure it, and its path.
    pub pod_metadata: Option<&'a Node>,
    pub pod_metadata_path: String,
    pub containers: Vec<Container<'a>>,
}

impl<'a> Workload<'a> {
    /// The workload in `object`, if its kind runs pods and its pod spec is
    /// a mapping.
    pub fn read(object: Object<'a>) -> Option<Workload<'a>> {
        let (_, keys) = POD_SPEC_PATHS.iter().find(|(k, _)| *k == object.kind)?;
        let pod = get(object.node, keys)?;
        if !matches!(pod.value, Tree::Mapping(_)) {
            return None;
        }
        let pod_path = object.join(&keys.join("."));
        let metadata_keys = &keys[..keys.len() - 1];
        let mut metadata_path = metadata_keys.to_vec();
        metadata_path.push("metadata");
        let pod_metadata_path = object.join(&metadata_path.join("."));
        let pod_metadata = if metadata_keys.is_empty() {
            object.node.get("metadata")
        } else {
            get(object.node, metadata_keys).and_then(|t| t.get("metadata"))
        };
        let mut containers = Vec::new();
        for kind in [
            ContainerKind::Init,
            ContainerKind::Container,
            ContainerKind::Ephemeral,
        ] {
            let Some(Tree::Sequence(items)) = pod.get(kind.field()).map(|n| &n.value) else {
                continue;
            };
            // An alias's bytes are its anchor's, written before it: before
            // the list, or before the end of an item already read.
            let mut written = pod.get(kind.field()).map_or(0, |n| n.start);
            for (i, node) in items.iter().enumerate() {
                let aliased = node.start < written;
                written = written.max(node.end);
                if !matches!(node.value, Tree::Mapping(_)) {
                    continue;
                }
                containers.push(Container {
                    node,
                    path: join(&pod_path, &format!("{}[{i}]", kind.field())),
                    kind,
                    name: node.get("name").and_then(Node::as_str).unwrap_or("?"),
                    aliased,
                });
            }
        }
        Some(Workload {
            object,
            pod,
            pod_path,
            pod_metadata,
            pod_metadata_path,
            containers,
        })
    }

    /// The value at `keys` below the pod spec.
    pub fn pod_get(&self, keys: &[&str]) -> Option<&'a Node> {
        get(self.pod, keys)
    }

    /// The pod spec's path joined with `rest`.
    pub fn pod_join(&self, rest: &str) -> String {
        join(&self.pod_path, rest)
    }

    /// The pod's annotations: each name, where it is, and its path.
    pub fn annotations(&self) -> Vec<(&'a str, At<'a>, String)> {
        entries(self.pod_metadata.and_then(|m| m.get("annotations")))
            .iter()
            .filter_map(|(k, v)| {
                let name = k.as_str()?;
                let path = format!("{}.annotations[{name}]", self.pod_metadata_path);
                Some((
                    name,
                    At {
                        node: v,
                        key: Some(k),
                    },
                    path,
                ))
            })
            .collect()
    }

    /// `securityContext.<keys>` wherever it is set: the pod's, then each
    /// container's.
    pub fn all_settings(&self, keys: &[&'static str]) -> Vec<Setting<'a>> {
        let mut out: Vec<Setting<'a>> = self.pod_setting(keys).into_iter().collect();
        for c in &self.containers {
            out.extend(self.container_setting(c, keys));
        }
        out
    }

    /// The platform the pod is pinned to (`linux/arm64`): the
    /// architecture its `nodeSelector` names (`kubernetes.io/arch`), or
    /// the one value every term of its required node affinity allows; the
    /// OS likewise, else `linux`. None when no architecture is pinned.
    pub fn platform(&self) -> Option<String> {
        // A label pinned by the node selector and by the affinity must be
        // pinned to one value by both, else the pod is not pinned here
        // (no node could hold it, or the affinity leaves a choice).
        let selected = |key: &str| -> Result<Option<String>, ()> {
            let by_selector = [key.to_string(), format!("beta.{key}")]
                .iter()
                .find_map(|k| self.pod_get(&["nodeSelector", k]))
                .and_then(Node::as_str)
                .map(str::to_string);
            let by_affinity = self.required_affinity(key);
            match (by_selector, by_affinity) {
                (Some(a), Some(b)) if a != b => Err(()),
                (a, b) => Ok(a.or(b)),
            }
        };
        let arch = selected("kubernetes.io/arch").ok()??;
        let os = selected("kubernetes.io/os")
            .ok()?
            .or_else(|| {
                self.pod_get(&["os", "name"])
                    .and_then(Node::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "linux".to_string());
        Some(format!("{os}/{arch}"))
    }

    /// The one value of node label `key` that every term of the pod's
    /// required node affinity allows (`operator: In`, one value), if
    /// every term names one and they agree.
    fn required_affinity(&self, key: &str) -> Option<String> {
        let terms = items(self.pod_get(&[
            "affinity",
            "nodeAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms",
        ]));
        let mut value: Option<&str> = None;
        for term in terms {
            let beta = format!("beta.{key}");
            let only = items(term.get("matchExpressions")).iter().find_map(|e| {
                let label = e.get("key").and_then(Node::as_str);
                let named = (label == Some(key) || label == Some(beta.as_str()))
                    && e.get("operator").and_then(Node::as_str) == Some("In");
                match items(e.get("values")) {
                    [one] if named => one.as_str(),
                    _ => None,
                }
            })?;
            if value.is_some_and(|v| v != only) {
                return None;
            }
            value = Some(only);
        }
        value.map(str::to_string)
    }

    /// Pods for Windows nodes: some Linux-only checks do not apply.
    pub fn is_windows(&self) -> bool {
        self.pod_get(&["os", "name"]).and_then(Node::as_str) == Some("windows")
    }

    /// The containers in `containers` and `initContainers` (those the
    /// restricted profile's container checks apply to with the ephemeral
    /// ones), every one of them.
    pub fn all_containers(&self) -> impl Iterator<Item = &Container<'a>> {
        self.containers.iter()
    }

    /// A security-context field as the container runs with it: the
    /// container's own, else the pod's (Kubernetes lets the container's
    /// override the pod's for these fields).
    pub fn effective(&self, c: &Container<'a>, keys: &[&'static str]) -> Option<Setting<'a>> {
        self.container_setting(c, keys)
            .or_else(|| self.pod_setting(keys))
    }

    /// `securityContext.<keys>` of a container, when set.
    pub fn container_setting(
        &self,
        c: &Container<'a>,
        keys: &[&'static str],
    ) -> Option<Setting<'a>> {
        let mut own = vec!["securityContext"];
        own.extend_from_slice(keys);
        c.get(&own).map(|value| Setting {
            value,
            base: c.node,
            base_path: c.path.clone(),
            keys: own,
        })
    }

    /// `securityContext.<keys>` of the pod, when set.
    pub fn pod_setting(&self, keys: &[&'static str]) -> Option<Setting<'a>> {
        let mut own = vec!["securityContext"];
        own.extend_from_slice(keys);
        self.pod_get(&own).map(|value| Setting {
            value,
            base: self.pod,
            base_path: self.pod_path.clone(),
            keys: own,
        })
    }
}

/// A setting found under a container or the pod: its value, and where.
#[derive(Debug, Clone)]
pub struct Setting<'a> {
    pub value: &'a Node,
    /// The container or pod spec it is set in, and that one's path.
    pub base: &'a Node,
    pub base_path: String,
    /// The keys from `base` to the value.
    pub keys: Vec<&'static str>,
}

impl Setting<'_> {
    pub fn path(&self) -> String {
        join(&self.base_path, &self.keys.join("."))
    }
}

/// The value at `keys` below `node`.
pub fn get<'a>(node: &'a Node, keys: &[&str]) -> Option<&'a Node> {
    keys.iter().try_fold(node, |n, k| n.get(k))
}

/// The value at `keys` below `node` with the key that names it, or, when
/// it is missing, the deepest part of the way that exists.
pub fn nearest<'a>(node: &'a Node, keys: &[&str]) -> (At<'a>, bool) {
    let mut at = At { node, key: None };
    for k in keys {
        let Tree::Mapping(entries) = &at.node.value else {
            return (at, false);
        };
        match entries.iter().find(|(key, _)| key.as_str() == Some(k)) {
            Some((key, value)) => {
                at = At {
                    node: value,
                    key: Some(key),
                }
            }
            // Brought in by a merge key (`<<: *defaults`): written
            // elsewhere, so shown without its key.
            None => match at.node.get(k) {
                Some(value) => {
                    at = At {
                        node: value,
                        key: None,
                    }
                }
                None => return (at, false),
            },
        }
    }
    (at, true)
}

/// A YAML boolean as Kubernetes reads it: kubectl and the API server
/// read YAML with YAML 1.1's booleans, so `yes`, `on` and `y` are true
/// too (a check that knew only `true` could be passed by `privileged:
/// yes`).
pub fn as_bool(node: &Node) -> Option<bool> {
    match node.as_str()? {
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            Some(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            Some(false)
        }
        _ => None,
    }
}

/// A YAML integer as Kubernetes reads it (YAML 1.1: a sign, `0x` hex,
/// `0o` or leading-zero octal, `_` separators).
pub fn as_int(node: &Node) -> Option<i64> {
    let text = node.as_str()?.trim().replace('_', "");
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    let value = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(octal) = digits.strip_prefix("0o") {
        i64::from_str_radix(octal, 8).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse().ok()?
    };
    Some(if negative { -value } else { value })
}

/// A sequence's items (none for anything else).
pub fn items(node: Option<&Node>) -> &[Node] {
    match node.map(|n| &n.value) {
        Some(Tree::Sequence(items)) => items,
        _ => &[],
    }
}

/// A mapping's entries (none for anything else).
pub fn entries(node: Option<&Node>) -> &[(Node, Node)] {
    match node.map(|n| &n.value) {
        Some(Tree::Mapping(entries)) => entries,
        _ => &[],
    }
}
