//! The check a signature cannot make: does a provenance describe the image
//! it is attached to? The Go modules (path, version, go.sum hash) and the
//! toolchain it lists must be those the build info inside the image's
//! binaries records, and the base image it names must be the one the
//! image starts with (its digest annotation and its first layers). The
//! result is a list of [`Mismatch`]es, each naming what differs, expected
//! (the provenance) against found (the image); nothing is printed.

use std::collections::{BTreeMap, BTreeSet};

use envelope_oci::Digest;
use serde::Serialize;

use crate::image::ImageFacts;
use crate::provenance::{
    binary_modules, Provenance, ResourceDescriptor, ANN_GO_VERSION, ANN_LAYERS, ANN_PLATFORM,
    DEP_BASE, DEP_GO,
};

/// One way the provenance and the image disagree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mismatch {
    /// The image has no Go binary to compare with.
    NoGoBinary,
    /// A binary links a module the provenance does not list.
    ModuleNotInProvenance {
        binary: String,
        path: String,
        version: String,
    },
    /// The provenance lists a module no binary links.
    ModuleNotInImage { path: String, version: String },
    /// The provenance lists the module at other versions.
    ModuleVersion {
        binary: String,
        path: String,
        expected: Vec<String>,
        found: String,
    },
    /// Same module and version, another go.sum hash.
    ModuleHash {
        binary: String,
        path: String,
        version: String,
        expected: Option<String>,
        found: Option<String>,
    },
    /// A binary was built with a toolchain the provenance does not list.
    GoVersion {
        binary: String,
        expected: Vec<String>,
        found: String,
    },
    /// The base image's digest differs from the manifest's annotation.
    BaseDigest {
        expected: Option<String>,
        found: Option<String>,
    },
    /// The image does not start with the base's layers.
    BaseLayer {
        index: usize,
        expected: String,
        found: Option<String>,
    },
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "none".to_string());
        match self {
            Mismatch::NoGoBinary => write!(f, "the image holds no Go binary to compare with"),
            Mismatch::ModuleNotInProvenance {
                binary,
                path,
                version,
            } => write!(
                f,
                "{binary} links {path} {version}, which the provenance does not list"
            ),
            Mismatch::ModuleNotInImage { path, version } => {
                write!(
                    f,
                    "the provenance lists {path} {version}, which no binary links"
                )
            }
            Mismatch::ModuleVersion {
                binary,
                path,
                expected,
                found,
            } => write!(
                f,
                "{path}: the provenance says {}, {binary} links {found}",
                expected.join(", ")
            ),
            Mismatch::ModuleHash {
                binary,
                path,
                version,
                expected,
                found,
            } => write!(
                f,
                "{path} {version}: the provenance's go.sum hash is {}, {binary} records {}",
                opt(expected),
                opt(found)
            ),
            Mismatch::GoVersion {
                binary,
                expected,
                found,
            } => write!(
                f,
                "Go toolchain: the provenance says {}, {binary} was built with {found}",
                if expected.is_empty() {
                    "none".to_string()
                } else {
                    expected.join(", ")
                }
            ),
            Mismatch::BaseDigest { expected, found } => write!(
                f,
                "base image: the provenance says {}, the image names {}",
                opt(expected),
                opt(found)
            ),
            Mismatch::BaseLayer {
                index,
                expected,
                found,
            } => write!(
                f,
                "layer {index}: the provenance's base has {expected}, the image {}",
                opt(found)
            ),
        }
    }
}

/// What the check compared and what differed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CheckReport {
    /// Go binaries compared.
    pub binaries: usize,
    /// Modules the provenance lists.
    pub modules: usize,
    /// Base layers compared.
    pub base_layers: usize,
    pub mismatches: Vec<Mismatch>,
}

impl CheckReport {
    /// No mismatch.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// Compares `provenance` with the image `facts` describe (a single-platform
/// build; [`check_images`] for every platform of a multi-platform one).
/// The binaries compared are those the build made
/// ([`ImageFacts::built_binaries`]): a base image's own programs are not in
/// the provenance.
pub fn check(facts: &ImageFacts, provenance: &Provenance) -> CheckReport {
    check_images(std::slice::from_ref(facts), provenance)
}

/// [`check`] of a multi-platform build: each platform's image (the
/// binaries of every one, each image's base against the provenance's base
/// for its platform); a module the provenance lists must be linked in at
/// least one of them.
pub fn check_images(images: &[ImageFacts], provenance: &Provenance) -> CheckReport {
    let mut out = CheckReport::default();
    check_go(images, provenance, &mut out);
    for facts in images {
        check_base(facts, images.len() > 1, provenance, &mut out);
    }
    out.mismatches.sort();
    out.mismatches.dedup();
    out
}

fn check_go(images: &[ImageFacts], provenance: &Provenance, out: &mut CheckReport) {
    // path → version → go.sum hash, as the provenance lists them.
    let mut listed: BTreeMap<String, BTreeMap<String, Option<String>>> = BTreeMap::new();
    for m in provenance.go_modules() {
        listed.entry(m.path).or_default().insert(m.version, m.sum);
    }
    out.modules = listed.values().map(BTreeMap::len).sum();
    let toolchains: Vec<String> = provenance
        .dependencies(DEP_GO)
        .filter_map(|d| d.annotation(ANN_GO_VERSION).map(str::to_string))
        .collect();
    let built: Vec<_> = images.iter().flat_map(ImageFacts::built_binaries).collect();
    out.binaries = built.len();
    if built.is_empty() {
        out.mismatches.push(Mismatch::NoGoBinary);
        return;
    }
    let mut linked: BTreeSet<(String, String)> = BTreeSet::new();
    for b in built {
        let binary = &b.binary.path;
        if !toolchains.contains(&b.binary.go_version) {
            out.mismatches.push(Mismatch::GoVersion {
                binary: binary.clone(),
                expected: toolchains.clone(),
                found: b.binary.go_version.clone(),
            });
        }
        for m in binary_modules(&b.binary) {
            linked.insert((m.path.clone(), m.version.clone()));
            let Some(versions) = listed.get(&m.path) else {
                out.mismatches.push(Mismatch::ModuleNotInProvenance {
                    binary: binary.clone(),
                    path: m.path,
                    version: m.version,
                });
                continue;
            };
            match versions.get(&m.version) {
                None => out.mismatches.push(Mismatch::ModuleVersion {
                    binary: binary.clone(),
                    path: m.path,
                    expected: versions.keys().cloned().collect(),
                    found: m.version,
                }),
                Some(sum) if *sum != m.sum => out.mismatches.push(Mismatch::ModuleHash {
                    binary: binary.clone(),
                    path: m.path,
                    version: m.version,
                    expected: sum.clone(),
                    found: m.sum,
                }),
                Some(_) => {}
            }
        }
    }
    let linked_paths: BTreeSet<&String> = linked.iter().map(|(p, _)| p).collect();
    for (path, versions) in &listed {
        for version in versions.keys() {
            // A module whose path is linked at another version is already
            // a version mismatch.
            if !linked.contains(&(path.clone(), version.clone())) && !linked_paths.contains(path) {
                out.mismatches.push(Mismatch::ModuleNotInImage {
                    path: path.clone(),
                    version: version.clone(),
                });
            }
        }
    }
}

/// The provenance's base for `facts`' platform: the entry naming that
/// platform, else one naming none.
fn base_for<'a>(facts: &ImageFacts, provenance: &'a Provenance) -> Option<&'a ResourceDescriptor> {
    let platform = facts.platform.as_ref().map(ToString::to_string);
    let bases: Vec<&ResourceDescriptor> = provenance.dependencies(DEP_BASE).collect();
    bases
        .iter()
        .find(|b| platform.is_some() && b.annotation(ANN_PLATFORM) == platform.as_deref())
        .or_else(|| bases.iter().find(|b| b.annotation(ANN_PLATFORM).is_none()))
        .copied()
}

fn check_base(facts: &ImageFacts, several: bool, provenance: &Provenance, out: &mut CheckReport) {
    let found = facts.base_digest().map(|d| d.to_string());
    let base = if several {
        base_for(facts, provenance)
    } else {
        base_for(facts, provenance).or_else(|| provenance.dependencies(DEP_BASE).next())
    };
    let Some(base) = base else {
        if found.is_some() {
            out.mismatches.push(Mismatch::BaseDigest {
                expected: None,
                found,
            });
        }
        return;
    };
    let expected = base.sha256().map(|d| d.to_string());
    // A Docker-format image has no annotations: its layers still count.
    if expected.is_none() || (!facts.docker_manifest && expected != found) {
        out.mismatches
            .push(Mismatch::BaseDigest { expected, found });
    }
    let layers: Vec<String> = base
        .annotations
        .get(ANN_LAYERS)
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    out.base_layers += layers.len();
    for (index, want) in layers.into_iter().enumerate() {
        let have = facts.layers.get(index).map(|d| d.digest.to_string());
        let same = have.as_deref() == Some(want.as_str()) && want.parse::<Digest>().is_ok();
        if !same {
            out.mismatches.push(Mismatch::BaseLayer {
                index,
                expected: want,
                found: have,
            });
        }
    }
}
