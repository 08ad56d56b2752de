//! Assembles images: from a checked Go binary and the user's options to
//! layers, an image config, a manifest per platform and, for several
//! platforms, an index. Also produces the report of what went in and why.
//!
//! Layer order is base, CA certificates, time zones, files, app: the
//! shared, rarely-changing layers first, so registries and runtimes store
//! them once, and a code change leaves all but the app layer as they were.
//!
//! [`platform_image`] runs the steps, one file each: `plan` (check the
//! binary, decide what goes in, write the layers), `config`, `manifest` and
//! `report`.

use std::collections::BTreeMap;
use std::sync::Arc;

use envelope_golang::{BinaryFacts, RuntimeNeeds};
use envelope_layer::{Compression, Layer};
use envelope_oci::{
    media_types, BlobData, Descriptor, Digest, ImageBlobs, ImageConfiguration, ImageIndex, Platform,
};
use serde::Serialize;

use crate::{BuildError, Cache};

mod config;
mod files;
mod manifest;
mod plan;
mod report;

pub use plan::check_binary;

/// Whether to include an optional part of the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include {
    Auto,
    Always,
    Never,
}

/// Everything about the image that is not the binary.
#[derive(Debug, Clone)]
pub struct ImageOptions {
    pub name: String,
    pub user: Option<String>,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub ports: Vec<String>,
    pub labels: Vec<String>,
    pub ca_certs: Include,
    pub tzdata: Include,
    pub ca_file: Option<std::path::PathBuf>,
    pub tzdata_dir: Option<std::path::PathBuf>,
    pub compression: Compression,
    /// SOURCE_DATE_EPOCH: every mtime and the created time.
    pub epoch: u64,
    pub allow_dynamic: bool,
    /// What envelope ran to make the binary, for the image history.
    pub created_by: String,
    /// Files from the source tree copied into the image, in a layer of
    /// their own.
    pub files: Vec<FileEntry>,
    /// The config's WorkingDir; None: the base's, else /home/nonroot.
    pub workdir: Option<String>,
    /// The config's Entrypoint; None: the binary.
    pub entrypoint: Option<Vec<String>>,
    /// Annotations of each platform's manifest (OCI manifests only: Docker's
    /// format has none).
    pub annotations: std::collections::BTreeMap<String, String>,
}

/// `{ src = "static/", dst = "/srv/static" }`: a file or a directory
/// (recursive) of the source tree, copied to `dst` in the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// On the build machine (relative paths are taken from where the
    /// settings were read).
    pub src: std::path::PathBuf,
    /// Absolute path in the image.
    pub dst: String,
    /// Permission bits for files (directories get the matching search
    /// bits); default: 0644, or 0755 for executables.
    pub mode: Option<u32>,
    /// Default 0 (root), so the image's user cannot change them.
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

impl ImageOptions {
    /// The options of a build without flags: the generated base, CA
    /// certificates and time zones when the binary needs them, gzip
    /// layers, the Unix epoch.
    pub fn new(name: &str, created_by: &str) -> ImageOptions {
        ImageOptions {
            name: name.to_string(),
            user: None,
            args: Vec::new(),
            env: Vec::new(),
            ports: Vec::new(),
            labels: Vec::new(),
            ca_certs: Include::Auto,
            tzdata: Include::Auto,
            ca_file: None,
            tzdata_dir: None,
            compression: Compression::Gzip,
            epoch: 0,
            allow_dynamic: false,
            created_by: created_by.to_string(),
            files: Vec::new(),
            workdir: None,
            entrypoint: None,
            annotations: std::collections::BTreeMap::new(),
        }
    }
}

/// A base image for one platform, its blobs already verified (pulled by the
/// caller). The new image stacks its layers on the base's.
#[derive(Debug, Clone)]
pub struct BaseImage {
    /// As the user named it, for the base.name annotation and messages.
    pub name: String,
    /// The digest the user pinned or the tag resolved to.
    pub digest: Digest,
    /// The base manifest's media type: Docker's schema2 makes the new
    /// image use Docker's media types too.
    pub manifest_media_type: String,
    pub config: ImageConfiguration,
    pub layers: Vec<(Descriptor, BlobData)>,
}

impl BaseImage {
    fn is_docker(&self) -> bool {
        self.manifest_media_type == media_types::DOCKER_MANIFEST_V2
    }
}

/// A binary for one platform, read into memory.
#[derive(Debug, Clone)]
pub struct PlatformBinary {
    pub platform: Platform,
    pub data: Arc<Vec<u8>>,
    /// Where it came from, for messages.
    pub source: String,
}

/// One platform's image, ready to be written.
#[derive(Debug)]
pub struct PlatformImage {
    pub platform: Platform,
    pub manifest: Descriptor,
    pub manifest_json: Vec<u8>,
    pub config: Descriptor,
    pub config_json: Vec<u8>,
    pub layers: Vec<Layer>,
    /// Each of `layers`' uncompressed tar, in their order.
    pub layer_tars: Vec<Arc<Vec<u8>>>,
    /// The base image's layers, when there is a base.
    pub base_layers: Vec<(Descriptor, BlobData)>,
    pub report: PlatformReport,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlatformReport {
    pub platform: String,
    pub manifest: Digest,
    pub config: Digest,
    pub binary: BinaryReport,
    pub layers: Vec<LayerReport>,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    pub hardening: Hardening,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerReport {
    pub name: &'static str,
    pub digest: Digest,
    pub diff_id: Digest,
    pub media_type: String,
    pub size: u64,
    pub uncompressed_size: u64,
    pub contents: Vec<String>,
    pub reason: String,
    pub cached: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct BinaryReport {
    pub path: String,
    pub size: u64,
    pub go_version: Option<String>,
    pub main_module: Option<String>,
    pub vcs_revision: Option<String>,
    pub ca_certs: Decision,
    pub tzdata: Decision,
}

#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub included: bool,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Hardening {
    #[serde(rename = "static")]
    pub static_binary: bool,
    pub stripped: bool,
    pub trimpath: bool,
    pub cgo_disabled: bool,
    pub non_root: bool,
    pub no_shell: bool,
}

/// A binary that passed the checks ([`check_binary`]), with what it needs
/// at run time.
#[derive(Debug)]
pub struct CheckedBinary {
    pub facts: BinaryFacts,
    pub needs: RuntimeNeeds,
    pub warnings: Vec<String>,
}

/// Builds one platform's image from a binary: plan the layers and write
/// them, then the configuration, the manifest and the report.
pub fn platform_image(
    opts: &ImageOptions,
    bin: &PlatformBinary,
    base: Option<&BaseImage>,
    cache: &Cache,
) -> Result<PlatformImage, BuildError> {
    let mut plan = plan::plan(opts, bin, base)?;
    let created = rfc3339(opts.epoch);
    let written = plan::write_layers(std::mem::take(&mut plan.layers), opts, &created, cache)?;
    let (config, user) = config::config(
        opts,
        config::ConfigInput {
            bin,
            base,
            build_info: plan.checked.facts.build_info.as_ref(),
            ca_included: plan.ca.included,
            bin_path: &plan.bin_path,
            created: &created,
            layers: &written.layers,
            history: written.history,
        },
    )?;
    let m = manifest::manifest(
        &config,
        &written.layers,
        base,
        &bin.platform,
        &opts.annotations,
    );
    let report = report::report(
        plan,
        report::ReportInput {
            bin,
            user: &user,
            manifest: m.manifest.digest.clone(),
            config: m.config.digest.clone(),
            layers: written.reports,
        },
    );
    Ok(PlatformImage {
        platform: bin.platform.clone(),
        manifest: m.manifest,
        manifest_json: m.manifest_json,
        config: m.config,
        config_json: m.config_json,
        layers: written.layers,
        layer_tars: written.tars,
        base_layers: m.base_layers,
        report,
    })
}

fn descriptor(media_type: &str, bytes: &[u8]) -> Descriptor {
    Descriptor {
        media_type: media_type.to_string(),
        digest: Digest::sha256(bytes),
        size: bytes.len() as u64,
        urls: None,
        annotations: None,
        platform: None,
        artifact_type: None,
    }
}

/// The image (a manifest, or an index of manifests) and its blobs.
pub fn assemble(platforms: &[PlatformImage], force_index: bool) -> ImageBlobs {
    let mut blobs = BTreeMap::new();
    let mut tars = BTreeMap::new();
    for p in platforms {
        blobs.insert(
            p.manifest.digest.clone(),
            BlobData::Bytes(Arc::new(p.manifest_json.clone())),
        );
        blobs.insert(
            p.config.digest.clone(),
            BlobData::Bytes(Arc::new(p.config_json.clone())),
        );
        for (l, tar) in p.layers.iter().zip(&p.layer_tars) {
            blobs.insert(l.digest.clone(), BlobData::Bytes(Arc::clone(&l.blob)));
            tars.insert(l.digest.clone(), Arc::clone(tar));
        }
        for (d, b) in &p.base_layers {
            blobs.insert(d.digest.clone(), b.clone());
        }
    }
    let docker = platforms
        .iter()
        .any(|p| p.manifest.media_type == media_types::DOCKER_MANIFEST_V2);
    let index_type = if docker {
        media_types::DOCKER_MANIFEST_LIST
    } else {
        media_types::OCI_INDEX
    };
    let root = match platforms {
        // Its platform stays on the descriptor: a layout's index.json says
        // which platform each image is for (tools that pick one by platform,
        // as syft does, need it beside an attached SBOM).
        [one] if !force_index => one.manifest.clone(),
        _ => {
            let index = ImageIndex {
                schema_version: 2,
                media_type: Some(index_type.to_string()),
                artifact_type: None,
                manifests: platforms.iter().map(|p| p.manifest.clone()).collect(),
                subject: None,
                annotations: None,
            };
            let json = envelope_oci::to_json(&index);
            let d = descriptor(index_type, &json);
            blobs.insert(d.digest.clone(), BlobData::Bytes(Arc::new(json)));
            d
        }
    };
    let mut image = ImageBlobs::new(root);
    for (d, b) in blobs {
        image.insert(d, b);
    }
    image.tars = tars;
    image
}

/// Seconds since the Unix epoch as an RFC 3339 UTC timestamp at whole
/// seconds (`2023-11-14T22:13:20Z`). RFC 3339 has four-digit years: an
/// epoch past 9999 gives the last second it can write.
pub fn rfc3339(epoch: u64) -> String {
    let last = jiff::Timestamp::MAX.as_second();
    let secs = i64::try_from(epoch).unwrap_or(i64::MAX).min(last);
    jiff::Timestamp::from_second(secs)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
        assert_eq!(rfc3339(253_402_207_200), "9999-12-30T22:00:00Z");
        assert_eq!(rfc3339(u64::MAX), "9999-12-30T22:00:00Z");
    }
}
