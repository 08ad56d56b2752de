//! What a provenance is derived from and checked against: the facts of one
//! platform's image, read back through the one image model. The caller
//! opens the image (any transport) into an [`ImageSource`]; [`read_image`]
//! streams its layers once, verified, through envelope-layer's indexer and
//! keeps the build info of every Go binary, the CA bundle's digest and
//! where the time zones are.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

use envelope_layer::fs::{index_layers, ContentVisitor, LayerInput, Limits, Node};
use envelope_oci::{Descriptor, Digest, ImageSource, Platform, SharedBytes};
use envelope_sbom::collect::BinaryCollector;
use envelope_sbom::{GoBinary, OsPackage};
use sha2::{Digest as _, Sha256};

use crate::Error;

/// Where envelope puts the CA bundle (and Debian-like bases keep theirs).
pub const CA_BUNDLE_PATH: &str = "/etc/ssl/certs/ca-certificates.crt";
/// Where envelope puts the time zone database.
pub const ZONEINFO_DIR: &str = "/usr/share/zoneinfo/";
/// The annotation naming the digest of the base image.
pub const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";
/// The annotation naming the base image as the user gave it.
pub const BASE_NAME: &str = "org.opencontainers.image.base.name";
/// Label (or annotation) with the source repository's URL.
pub const SOURCE: &str = "org.opencontainers.image.source";
/// Label (or annotation) with the source revision.
pub const REVISION: &str = "org.opencontainers.image.revision";
/// The comment envelope writes into the history of each layer it makes.
const ENVELOPE_COMMENT: &str = "envelope ";
/// The CA bundle is hashed only up to this size.
const MAX_CA_BUNDLE: u64 = 16 << 20;

/// A Go binary of the image, as its build info describes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImageBinary {
    /// The main package (`example.com/app/cmd/app`): the build info's
    /// `path` line.
    pub package: String,
    /// Path, SHA-256, Go version, main module, modules and build settings.
    pub binary: GoBinary,
    /// The layer the binary comes from (0 = bottom).
    pub layer: usize,
}

/// What envelope reads from one platform's image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    pub manifest_digest: Digest,
    pub platform: Option<Platform>,
    /// The layers, base first.
    pub layers: Vec<Descriptor>,
    /// Docker's schema2 manifest, which has no annotations (so no base
    /// digest annotation either).
    pub docker_manifest: bool,
    /// The manifest's annotations.
    pub annotations: BTreeMap<String, String>,
    /// The config's labels.
    pub labels: BTreeMap<String, String>,
    /// The config's `created` time (RFC 3339), when it has one.
    pub created: Option<String>,
    /// The envelope version that made the image (from its history), when
    /// envelope made it.
    pub envelope_version: Option<String>,
    /// How many of the first layers come from the base image: the layers
    /// before the first one envelope's history marks as its own. None when
    /// the history does not say (no history, or not one entry per layer).
    pub base_layer_count: Option<usize>,
    /// The Go binaries of the final filesystem, by path.
    pub binaries: Vec<ImageBinary>,
    /// SHA-256 of the CA bundle and the layer it comes from.
    pub ca_bundle: Option<(Digest, usize)>,
    /// The layer holding the time zone database.
    pub tzdata_layer: Option<usize>,
    /// The distribution packages of the final filesystem (dpkg, apk).
    pub os_packages: Vec<OsPackage>,
    /// Files that could not be read as binaries, with why.
    pub warnings: Vec<String>,
}

impl ImageFacts {
    /// The label, else the annotation, `key`.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .get(key)
            .or_else(|| self.annotations.get(key))
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The base image's digest, as the manifest's annotation names it.
    pub fn base_digest(&self) -> Option<Digest> {
        self.annotations.get(BASE_DIGEST)?.parse().ok()
    }

    /// The Go binaries the build made: those above the base's layers (all
    /// of them when the base's layers are not known). A base's own
    /// programs are the base's business, not this build's.
    pub fn built_binaries(&self) -> impl Iterator<Item = &ImageBinary> {
        let base = self.base_layer_count.unwrap_or(0);
        self.binaries.iter().filter(move |b| b.layer >= base)
    }

    /// The base image's layers: the first [`ImageFacts::base_layer_count`].
    pub fn base_layers(&self) -> Option<&[Descriptor]> {
        self.layers.get(..self.base_layer_count?)
    }
}

fn read_binary(path: &str, data: &[u8]) -> Result<Option<ImageBinary>, envelope_golang::Error> {
    let Some(info) = envelope_golang::buildinfo::read(data)? else {
        return Ok(None);
    };
    // The layer is filled in once the indexer has said where the file is.
    Ok(Some(ImageBinary {
        binary: envelope_sbom::collect::go_binary_of(path, data, &info),
        package: info.path,
        layer: 0,
    }))
}

/// The Go binaries (through the SBOM's collector), the CA bundle's hash
/// and the time zones' layer.
struct Visitor {
    binaries: BinaryCollector<ImageBinary>,
    ca_bundle: Option<(Digest, usize)>,
    tzdata_layer: Option<usize>,
    /// The layer of each executable visited, by path.
    layers: BTreeMap<String, usize>,
}

impl ContentVisitor for Visitor {
    fn wants(&mut self, path: &str, node: &Node) -> bool {
        if path.starts_with(ZONEINFO_DIR) && self.tzdata_layer.is_none() {
            self.tzdata_layer = Some(node.layer);
        }
        if path == CA_BUNDLE_PATH {
            return node.size <= MAX_CA_BUNDLE;
        }
        self.binaries.wants(path, node)
    }

    fn superseded(&mut self, path: &str) {
        if path == CA_BUNDLE_PATH {
            self.ca_bundle = None;
        }
        self.binaries.superseded(path);
    }

    fn visit(&mut self, path: &str, node: &Node, data: &mut dyn Read) -> std::io::Result<()> {
        if path == CA_BUNDLE_PATH {
            let mut hasher = Sha256::new();
            let mut buf = [0u8; 16 << 10];
            let mut limited = data.take(MAX_CA_BUNDLE);
            loop {
                let n = limited.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
            let hex = hex::encode(hasher.finalize());
            if let Ok(d) = Digest::from_sha256_hex(&hex) {
                self.ca_bundle = Some((d, node.layer));
            }
            return Ok(());
        }
        self.layers.insert(path.to_string(), node.layer);
        self.binaries.visit(path, node, data)
    }

    fn visit_bytes(&mut self, path: &str, node: &Node, bytes: &[u8]) -> std::io::Result<()> {
        if path == CA_BUNDLE_PATH {
            return self.visit(path, node, &mut &bytes[..]);
        }
        self.layers.insert(path.to_string(), node.layer);
        self.binaries.visit_bytes(path, node, bytes)
    }
}

/// The layers envelope adds on a base, in the order it adds them; an image
/// on `scratch` also starts with envelope's own `base` layer.
const OWN_LAYERS: [&str; 4] = ["ca-certificates", "tzdata", "files", "app"];

/// The name envelope's history gives a layer it made (`… (app: …)`).
fn own_layer(h: &envelope_oci::History) -> Option<&'static str> {
    h.comment.as_deref()?.strip_prefix(ENVELOPE_COMMENT)?;
    let by = h.created_by.as_deref()?;
    OWN_LAYERS
        .into_iter()
        .chain(["base"])
        .find(|name| by.contains(&format!(" ({name}: ")))
}

/// How many layers come from the base, and the envelope version that made
/// the image: envelope's layers are the last ones, in [`OWN_LAYERS`]'
/// order, ending with `app` (a base envelope built also ends with envelope
/// layers, so only the trailing run counts). None when the history does
/// not have one entry per layer or the image does not end with envelope's.
fn base_layer_count(source: &ImageSource) -> Option<(usize, Option<String>)> {
    let history = source.config.history.as_ref()?;
    let layered: Vec<_> = history
        .iter()
        .filter(|h| h.empty_layer != Some(true))
        .collect();
    if layered.len() != source.layers().len() {
        return None;
    }
    let last = layered.last()?;
    if own_layer(last) != Some("app") {
        return None;
    }
    let version = last
        .comment
        .as_deref()
        .and_then(|c| c.strip_prefix(ENVELOPE_COMMENT))
        .map(str::to_string);
    // Walk down from `app` while each layer is one that comes earlier in
    // envelope's order.
    let mut rank = OWN_LAYERS.len() - 1;
    let mut first = layered.len() - 1;
    while first > 0 {
        let below = own_layer(layered[first - 1]);
        match below.and_then(|n| OWN_LAYERS.iter().position(|o| *o == n)) {
            Some(r) if r < rank => {
                rank = r;
                first -= 1;
            }
            _ => break,
        }
    }
    if first == 1 && own_layer(layered[0]) == Some("base") {
        first = 0;
    }
    Some((first, version))
}

/// Reads `source`'s layers (every blob verified against its descriptor and
/// the config's diff_ids) into the facts a provenance needs.
pub fn read_image(source: &ImageSource) -> Result<ImageFacts, Error> {
    read_image_with(source, &mut envelope_layer::NoContent, Verify::Blobs)
}

/// Whether reading the layers checks them against their digests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify<'a> {
    /// Every blob against its descriptor and the config's diff_ids: for
    /// any image a statement will be made about.
    Blobs,
    /// Not again: the image was written by this process a moment ago
    /// (a build attesting the layout it just wrote). The layers it made
    /// are read from their uncompressed tars, by layer digest
    /// ([`envelope_oci::ImageBlobs::tars`]); the others from the image.
    WrittenHere(&'a BTreeMap<Digest, Arc<Vec<u8>>>),
}

/// As [`read_image`], feeding `also` from the same read of the layers (an
/// SBOM's or a scan's collector), so an image is read once for all of them.
pub fn read_image_with(
    source: &ImageSource,
    also: &mut dyn envelope_layer::ContentVisitor,
    verify: Verify,
) -> Result<ImageFacts, Error> {
    let diff_ids = &source.config.rootfs.diff_ids;
    let mut layers = Vec::new();
    for (i, d) in source.layers().iter().enumerate() {
        if let Verify::WrittenHere(tars) = verify {
            layers.push(match tars.get(&d.digest) {
                Some(tar) => LayerInput::seekable(std::io::Cursor::new(SharedBytes(tar.clone()))),
                None => LayerInput::seekable(source.open_blob_unverified(d)?),
            });
            continue;
        }
        let input = LayerInput::new(source.open_blob(d)?, Some(d.clone()));
        layers.push(match diff_ids.get(i) {
            Some(want) if diff_ids.len() == source.layers().len() => {
                input.with_diff_id(want.clone())
            }
            _ => input,
        });
    }
    let mut visitor = Visitor {
        binaries: BinaryCollector::new(read_binary),
        ca_bundle: None,
        tzdata_layer: None,
        layers: BTreeMap::new(),
    };
    index_layers(
        layers,
        &mut envelope_layer::Both::new(&mut visitor, also),
        &Limits::default(),
    )?;
    let (base_layer_count, envelope_version) = match base_layer_count(source) {
        Some((n, v)) => (Some(n), v),
        None => (None, None),
    };
    let os_packages = visitor.binaries.os_packages();
    Ok(ImageFacts {
        manifest_digest: source.manifest_digest.clone(),
        platform: source.platform.clone(),
        layers: source.layers().to_vec(),
        docker_manifest: source.manifest_descriptor.media_type
            == envelope_oci::media_types::DOCKER_MANIFEST_V2,
        annotations: source.manifest.annotations.clone().unwrap_or_default(),
        labels: source
            .config
            .config
            .as_ref()
            .and_then(|c| c.labels.clone())
            .unwrap_or_default(),
        created: source.config.created.clone(),
        envelope_version,
        base_layer_count,
        binaries: visitor
            .binaries
            .binaries
            .into_iter()
            .map(|(path, mut b)| {
                b.layer = visitor.layers.get(&path).copied().unwrap_or(0);
                b
            })
            .collect(),
        ca_bundle: visitor.ca_bundle,
        tzdata_layer: visitor.tzdata_layer,
        os_packages,
        warnings: visitor.binaries.warnings,
    })
}
