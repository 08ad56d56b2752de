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

/// What a lookup gives for one image reference.
pub type Looked = Arc<Result<ImageFacts, ImageMissing>>;

/// Finds the image a container names. Implementations look each
/// reference up once and share the answer between files and threads.
pub trait ImageLookup: Send + Sync {
    fn look(&self, reference: &str) -> Looked;
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
    /// found, with its reference and why.
    pub fn each_missing(
        &self,
        mut f: impl FnMut(&Workload<'a>, &Container<'a>, &str, &ImageMissing),
    ) {
        self.each_looked(|w, c, image, looked| {
            if let Err(missing) = looked.as_ref() {
                f(w, c, image, missing);
            }
        });
    }

    /// Calls `f` for each container whose image was looked up, with its
    /// reference and what the lookup said.
    fn each_looked(&self, mut f: impl FnMut(&Workload<'a>, &Container<'a>, &str, &Looked)) {
        for w in &self.workloads {
            for c in &w.containers {
                if let Some((image, looked)) = self.looked(c) {
                    f(w, c, image, &looked);
                }
            }
        }
    }

    /// The reference `c` names and what the lookup said of it, when images
    /// are looked up and the container names one.
    fn looked<'c>(&self, c: &Container<'c>) -> Option<(&'c str, Looked)> {
        let lookup = self.images?;
        let image = c.get(&["image"])?.as_str()?.trim();
        // `envelope://` names a build `envelope resolve` has yet to
        // replace with a digest: there is no image to look at yet.
        if image.is_empty() || image.starts_with("envelope://") {
            return None;
        }
        Some((image, lookup.look(image)))
    }
}

impl ImageFacts {
    /// `config.Env`'s `PATH`, else the default.
    pub fn path_env(&self) -> String {
        self.env()
            .into_iter()
            .find_map(|(k, v)| (k == "PATH").then_some(v))
            .unwrap_or_else(|| DEFAULT_PATH.to_string())
    }

    /// The file `program` runs in this image: an absolute path as it is
    /// (symlinks followed), a bare name searched in the image's `PATH`, a
    /// relative path from `workdir`. None when the image has no such file.
    pub fn find_program(&self, program: &str) -> Option<(String, envelope_layer::fs::Node)> {
        let found = |p: &str| {
            self.fs
                .resolve(p)
                .filter(|(_, n)| n.kind == NodeKind::File || n.kind == NodeKind::Hardlink)
        };
        if program.starts_with('/') {
            return found(program);
        }
        if program.contains('/') {
            let dir = self
                .runtime()
                .and_then(|c| c.get("WorkingDir"))
                .and_then(|w| w.as_str())
                .filter(|w| !w.is_empty())
                .unwrap_or("/");
            return found(&format!("{}/{program}", dir.trim_end_matches('/')));
        }
        self.path_env()
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
