//! What the image-aware rules know of the images containers run: an
//! [`ImageLookup`] given by the caller (the binary opens images from OCI
//! layouts or a registry; tests hand-make [`ImageFacts`]), and the helpers
//! those rules share (finding a file in the image, reading a command).

use std::sync::Arc;

use envelope_layer::fs::NodeKind;

use super::{items, Container, KubeContext, Workload};
use crate::audit::ImageFacts;

/// Why an image could not be looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageMissing {
    /// The place looked in answered that it does not hold the image (no
    /// layout holds that digest, the registry says "not found"), as
    /// opposed to a failure to look (a network error, a broken layout).
    pub not_found: bool,
    /// What happened, for the user.
    pub reason: String,
}

/// An image a container names that the lookup did not give.
#[derive(Debug, Clone)]
pub struct Unseen<'r> {
    /// The reference, with the platform the pod is pinned to, if any
    /// (`example.com/api:1 for linux/arm64`).
    pub shown: String,
    /// Named by digest and answered "not found": it does not exist
    /// (K8S029), rather than could not be looked at (K8S023).
    pub absent: bool,
    /// Why, for the user.
    pub reason: &'r str,
}

/// What a lookup gives for one image reference.
pub type Looked = Arc<Result<ImageFacts, ImageMissing>>;

/// Finds the image a container names. Implementations look each
/// reference (and platform) up once and share the answer between files
/// and threads.
pub trait ImageLookup: Send + Sync {
    /// The image `reference` names: of `platform` (`os/arch[/variant]`)
    /// when the pod is pinned to one ([`Workload::platform`]), else the
    /// one the image offers by default.
    fn look(&self, reference: &str, platform: Option<&str>) -> Looked;
}

/// The default `PATH` of a container whose image sets none (as container
/// runtimes use).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The shells a command may name to run a script.
const SHELLS: [&str; 6] = ["sh", "bash", "ash", "dash", "zsh", "ksh"];

/// Is `program` (a path or a bare name) a shell?
pub fn is_shell(program: &str) -> bool {
    let base = program.rsplit('/').next().unwrap_or(program);
    SHELLS.contains(&base)
}

impl<'a> KubeContext<'a> {
    /// Calls `f` for each container whose image was looked up and found,
    /// with that image.
    pub fn each_image(&self, mut f: impl FnMut(&Workload<'a>, &Container<'a>, &ImageFacts)) {
        self.each_looked(|w, c, _, looked| {
            if let Ok(facts) = looked.as_ref() {
                f(w, c, facts);
            }
        });
    }

    /// Calls `f` for each container whose image was looked up and not
    /// found, with what is known of it ([`Unseen`]).
    pub fn each_missing(&self, mut f: impl FnMut(&Workload<'a>, &Container<'a>, &Unseen<'_>)) {
        self.each_looked(|w, c, image, looked| {
            if let Err(missing) = looked.as_ref() {
                let unseen = Unseen {
                    shown: match w.platform() {
                        Some(p) => format!("{image} for {p}"),
                        None => image.to_string(),
                    },
                    absent: missing.not_found
                        && crate::image::ImageName::parse(image).digest.is_some(),
                    reason: &missing.reason,
                };
                f(w, c, &unseen);
            }
        });
    }

    /// Calls `f` for each container whose image was looked up, with its
    /// reference and what the lookup said.
    fn each_looked(&self, mut f: impl FnMut(&Workload<'a>, &Container<'a>, &str, &Looked)) {
        for w in &self.workloads {
            let platform = w.platform();
            for c in &w.containers {
                if let Some((image, looked)) = self.looked(c, platform.as_deref()) {
                    f(w, c, image, &looked);
                }
            }
        }
    }

    /// The reference `c` names and what the lookup said of it, when images
    /// are looked up and the container names one.
    fn looked<'c>(&self, c: &Container<'c>, platform: Option<&str>) -> Option<(&'c str, Looked)> {
        let lookup = self.images?;
        let image = c.get(&["image"])?.as_str()?.trim();
        // `envelope://` names a build `envelope resolve` has yet to
        // replace with a digest: there is no image to look at yet.
        if image.is_empty() || image.starts_with("envelope://") {
            return None;
        }
        Some((image, lookup.look(image, platform)))
    }
}

/// Where a container looks for its programs: its own `workingDir` and
/// `PATH` when it sets them, else the image's.
#[derive(Debug, Clone, Default)]
pub struct RunsIn<'a> {
    pub workdir: Option<&'a str>,
    pub path: ContainerPath,
}

/// The `PATH` a container runs with, as far as the manifest tells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ContainerPath {
    /// Not set by the container: the image's.
    #[default]
    Image,
    /// Set in its `env`, `$(VAR)` references expanded as the kubelet
    /// expands them.
    Set(String),
    /// Set from something the manifest does not hold (`valueFrom`,
    /// `envFrom`): bare program names cannot be checked.
    Unknown,
}

impl<'a> RunsIn<'a> {
    /// What `c` sets of its working directory and `PATH`.
    pub fn of(c: &Container<'a>) -> RunsIn<'a> {
        let workdir = c
            .get(&["workingDir"])
            .and_then(|n| n.as_str())
            .filter(|w| w.starts_with('/'));
        RunsIn {
            workdir,
            path: container_path(c),
        }
    }

    /// Can a bare program name be looked up (is the `PATH` known)?
    pub fn path_known(&self) -> bool {
        self.path != ContainerPath::Unknown
    }
}

/// The container's `PATH`: the last `env` entry of that name, its
/// `$(NAME)` references expanded from the entries before it (`$$` is a
/// `$`; a name not defined is left as written, as the kubelet leaves it).
/// A value from `valueFrom`, or a name `envFrom` may define, is unknown.
fn container_path(c: &Container<'_>) -> ContainerPath {
    let from_sources = c.get(&["envFrom"]).is_some();
    let mut known: std::collections::HashMap<&str, Option<String>> =
        std::collections::HashMap::new();
    let mut path = None;
    for e in items(c.get(&["env"])) {
        let Some(name) = e.get("name").and_then(|n| n.as_str()) else {
            continue;
        };
        let value = match (e.get("valueFrom"), e.get("value")) {
            (Some(_), _) => None,
            (None, Some(v)) => v.as_str().and_then(|v| expand(v, &known, from_sources)),
            (None, None) => Some(String::new()),
        };
        if name == "PATH" {
            path = Some(value.clone());
        }
        known.insert(name, value);
    }
    match path {
        Some(Some(p)) => ContainerPath::Set(p),
        Some(None) => ContainerPath::Unknown,
        None if from_sources => ContainerPath::Unknown,
        None => ContainerPath::Image,
    }
}

/// `$(NAME)` in `value` replaced by the values in `known`; None when one
/// of them is unknown (or may come from `envFrom`).
fn expand(
    value: &str,
    known: &std::collections::HashMap<&str, Option<String>>,
    from_sources: bool,
) -> Option<String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(more) = after.strip_prefix('$') {
            out.push('$');
            rest = more;
            continue;
        }
        let reference = after
            .strip_prefix('(')
            .and_then(|r| r.find(')').map(|close| (&r[..close], &r[close + 1..])));
        match reference {
            Some((name, more)) => {
                match known.get(name) {
                    Some(Some(v)) => out.push_str(v),
                    Some(None) => return None,
                    None if from_sources => return None,
                    None => {
                        out.push_str("$(");
                        out.push_str(name);
                        out.push(')');
                    }
                }
                rest = more;
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

impl ImageFacts {
    /// `config.Env`'s `PATH`, else the default.
    pub fn path_env(&self) -> String {
        self.env()
            .into_iter()
            .find_map(|(k, v)| (k == "PATH").then_some(v))
            .unwrap_or_else(|| DEFAULT_PATH.to_string())
    }

    /// The `PATH` a container searches: its own, else the image's.
    pub fn path_for(&self, runs: &RunsIn<'_>) -> String {
        match &runs.path {
            ContainerPath::Set(p) => p.clone(),
            ContainerPath::Image | ContainerPath::Unknown => self.path_env(),
        }
    }

    /// The file `program` runs in this image: an absolute path as it is
    /// (symlinks followed), a bare name searched in the image's `PATH`, a
    /// relative path from its working directory. None when the image has
    /// no such file.
    pub fn find_program(&self, program: &str) -> Option<(String, envelope_layer::fs::Node)> {
        self.find_program_in(program, &RunsIn::default())
    }

    /// [`Self::find_program`] for a container that may set its own
    /// working directory and `PATH` ([`RunsIn`]).
    pub fn find_program_in(
        &self,
        program: &str,
        runs: &RunsIn<'_>,
    ) -> Option<(String, envelope_layer::fs::Node)> {
        let found = |p: &str| {
            self.fs
                .resolve(p)
                .filter(|(_, n)| n.kind == NodeKind::File || n.kind == NodeKind::Hardlink)
        };
        if program.starts_with('/') {
            return found(program);
        }
        if program.contains('/') {
            let dir = runs
                .workdir
                .or_else(|| {
                    self.runtime()
                        .and_then(|c| c.get("WorkingDir"))
                        .and_then(|w| w.as_str())
                        .filter(|w| !w.is_empty())
                })
                .unwrap_or("/");
            return found(&format!("{}/{program}", dir.trim_end_matches('/')));
        }
        if !runs.path_known() {
            return None;
        }
        self.path_for(runs)
            .split(':')
            .filter(|d| d.starts_with('/'))
            .find_map(|d| found(&format!("{}/{program}", d.trim_end_matches('/'))))
    }

    /// The program the image runs when nothing replaces it: the first
    /// word of `Entrypoint`, else of `Cmd`.
    pub fn entrypoint(&self) -> Option<String> {
        let first = |key: &str| {
            self.runtime()?
                .get(key)?
                .as_array()?
                .first()?
                .as_str()
                .map(str::to_string)
        };
        first("Entrypoint").or_else(|| first("Cmd"))
    }
}

/// A command list (`command`, an exec probe's or hook's `command`): its
/// words, when they are all strings.
pub fn words(node: Option<&envelope_yaml::Node>) -> Vec<&str> {
    items(node).iter().filter_map(|n| n.as_str()).collect()
}
