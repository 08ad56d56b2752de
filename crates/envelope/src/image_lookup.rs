//! The images `envelope lint` looks up for the image-aware Kubernetes
//! rules: from OCI layouts under `--image-dir`, else (with `--images
//! registry`) from the registry, each through the one image-opening path
//! (`images::audit_facts`), each reference once per run, shared between
//! the files linted in parallel.
//!
//! How a reference finds its layout (every directory holding an
//! `oci-layout` file at or below `--image-dir`, four levels deep):
//! - by digest (`…@sha256:…`): the layout whose index.json lists that
//!   digest; nothing else is tried, and no layout holding it means the
//!   image does not exist.
//! - by tag: the index.json entry whose `org.opencontainers.image.ref.name`
//!   is the whole reference, or is the tag (`latest` when none is written)
//!   in a layout whose directory is named like the repository's last part
//!   (`example.com/team/api:1.2` → `…/api/` tagged `1.2`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use envelope_cli::RegistryArgs;
use envelope_lint::image::ImageName;
use envelope_lint::kubernetes::{ImageLookup, ImageMissing, Looked};
use envelope_oci::{OciLayout, REF_NAME};

/// How deep below `--image-dir` layouts are looked for.
const MAX_DEPTH: usize = 4;

/// An entry of a layout's index.json: its digest and its ref name.
type Entry = (String, Option<String>);

/// Looks images up in layouts and, when allowed, the registry.
pub struct Lookup {
    /// Each layout: its directory and its index entries.
    layouts: Vec<(PathBuf, Vec<Entry>)>,
    /// The layouts that could not be read, and why: named when an image
    /// is not found (it may be in one of them).
    broken: Vec<String>,
    registry: Option<RegistryArgs>,
    cache: Mutex<BTreeMap<String, Arc<OnceLock<Looked>>>>,
}

impl Lookup {
    /// The layouts under `dirs`, and the registry when `registry` is given.
    pub fn new(dirs: &[PathBuf], registry: Option<RegistryArgs>) -> anyhow::Result<Lookup> {
        let mut found = Vec::new();
        for d in dirs {
            if !d.is_dir() {
                anyhow::bail!(crate::printer::hinted(
                    format!("--image-dir {}: not a directory", d.display()),
                    "give a directory holding OCI layouts (envelope build -o oci:DIR/NAME:TAG writes one)",
                ));
            }
            layouts_under(d, 0, &mut found);
        }
        found.sort();
        let mut layouts = Vec::new();
        let mut broken = Vec::new();
        for dir in found {
            let index = OciLayout::open(&dir).and_then(|l| l.index());
            match index {
                Ok(index) => {
                    let entries = index
                        .manifests
                        .iter()
                        .filter(|d| !envelope_oci::artifact::is_referrer(d))
                        .map(|d| {
                            let name = d
                                .annotations
                                .as_ref()
                                .and_then(|a| a.get(REF_NAME))
                                .cloned();
                            (d.digest.to_string(), name)
                        })
                        .collect();
                    layouts.push((dir, entries));
                }
                Err(e) => broken.push(format!("{}: {e}", dir.display())),
            }
        }
        Ok(Lookup {
            layouts,
            broken,
            registry,
            cache: Mutex::new(BTreeMap::new()),
        })
    }

    /// The `oci:` reference of the layout image `reference` names, or why
    /// there is none (`not_found` when the answer is that it does not
    /// exist).
    fn in_layouts(&self, reference: &str) -> Result<String, ImageMissing> {
        let name = ImageName::parse(reference);
        let open =
            |dir: &Path, entries: &[(String, Option<String>)], entry: &(String, Option<String>)| {
                match &entry.1 {
                    Some(tag) => Ok(format!("oci:{}:{tag}", dir.display())),
                    None if entries.len() == 1 => Ok(format!("oci:{}", dir.display())),
                    None => Err(ImageMissing {
                        not_found: false,
                        reason: format!(
                        "the layout {} holds it untagged among {} images, so it cannot be named",
                        dir.display(),
                        entries.len()
                    ),
                    }),
                }
            };
        if let Some(digest) = &name.digest {
            for (dir, entries) in &self.layouts {
                if let Some(e) = entries.iter().find(|(d, _)| d == digest) {
                    return open(dir, entries, e);
                }
            }
            return Err(ImageMissing {
                not_found: self.registry.is_none() && self.broken.is_empty(),
                reason: format!(
                    "no layout under --image-dir holds {digest}{}",
                    self.unread()
                ),
            });
        }
        let tag = name.tag.as_deref().unwrap_or("latest");
        let last = name.repository.rsplit('/').next().unwrap_or_default();
        for (dir, entries) in &self.layouts {
            let named_like = dir.file_name().and_then(|n| n.to_str()) == Some(last);
            let hit = entries.iter().find(|(_, n)| {
                n.as_deref() == Some(reference) || (named_like && n.as_deref() == Some(tag))
            });
            if let Some(e) = hit {
                return open(dir, entries, e);
            }
        }
        Err(ImageMissing {
            not_found: false,
            reason: format!(
                "no layout under --image-dir is tagged `{reference}`, nor `{tag}` in a directory named `{last}`{}",
                self.unread()
            ),
        })
    }

    /// ` (N layouts could not be read: ...)`, or nothing.
    fn unread(&self) -> String {
        if self.broken.is_empty() {
            return String::new();
        }
        format!(
            " ({} could not be read: {})",
            match self.broken.len() {
                1 => "1 layout".to_string(),
                n => format!("{n} layouts"),
            },
            self.broken.join("; ")
        )
    }

    fn open(
        &self,
        reference: &str,
        platform: Option<&str>,
    ) -> Result<envelope_lint::audit::ImageFacts, ImageMissing> {
        let platform = match platform
            .map(str::parse::<envelope_oci::Platform>)
            .transpose()
        {
            Ok(p) => p,
            Err(e) => {
                return Err(ImageMissing {
                    not_found: false,
                    reason: format!("the pod's platform: {e}"),
                })
            }
        };
        let source = match self.in_layouts(reference) {
            Ok(oci) => oci,
            Err(missing) => match &self.registry {
                Some(_) => format!("docker://{reference}"),
                None => return Err(missing),
            },
        };
        let registry = self.registry.clone().unwrap_or(RegistryArgs {
            insecure: Vec::new(),
            registry_ca_file: None,
        });
        match crate::images::audit_facts(&source, platform.as_ref(), &registry, false) {
            Ok((_, mut facts)) => {
                facts.reference = reference.to_string();
                Ok(facts)
            }
            Err(e) => {
                let not_found = e.chain().any(|c| {
                    matches!(
                        c.downcast_ref::<envelope_registry::Error>(),
                        Some(envelope_registry::Error::Status { status: 404, .. })
                    )
                });
                Err(ImageMissing {
                    not_found,
                    reason: format!("{e:#}"),
                })
            }
        }
    }
}

impl ImageLookup for Lookup {
    fn look(&self, reference: &str, platform: Option<&str>) -> Looked {
        let cell = {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            let key = format!("{reference} {}", platform.unwrap_or_default());
            cache.entry(key).or_default().clone()
        };
        cell.get_or_init(|| Arc::new(self.open(reference, platform)))
            .clone()
    }
}

/// The directories at or below `dir` (to [`MAX_DEPTH`]) holding an
/// `oci-layout` file. A layout's own directories are not searched.
fn layouts_under(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if dir.join("oci-layout").is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    if depth >= MAX_DEPTH {
        return;
    }
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    for e in read.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            layouts_under(&e.path(), depth + 1, out);
        }
    }
}
