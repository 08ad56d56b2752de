//! Assembles images: from a checked Go binary and the user's options to
//! layers, an image config, a manifest per platform and, for several
//! platforms, an index. Also produces the report of what went in and why.
//!
//! Layer order is base, CA certificates, time zones, app: the shared,
//! rarely-changing layers first, so registries and runtimes store them once.

use std::collections::BTreeMap;
use std::sync::Arc;

use envelope_golang::{BinaryFacts, FuncTable, RuntimeNeeds};
use envelope_layer::{Compression, FileData, Layer, LayerBuilder};
use envelope_oci::{
    media_types, BlobData, Config, Descriptor, Digest, EmptyObject, History, ImageBlobs,
    ImageConfiguration, ImageIndex, ImageManifest, Platform, RootFs,
};
use serde::Serialize;

use crate::base::{self, CA_BUNDLE_PATH, ZONEINFO_DIR};
use crate::{BuildError, Cache};

const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const WORKDIR: &str = "/home/nonroot";
const DEFAULT_USER: &str = "65532:65532";

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

/// The checks every binary passes before it goes into an image.
#[derive(Debug)]
pub struct CheckedBinary {
    pub facts: BinaryFacts,
    pub needs: RuntimeNeeds,
    pub warnings: Vec<String>,
}

pub fn check_binary(
    bin: &PlatformBinary,
    allow_dynamic: bool,
) -> Result<CheckedBinary, BuildError> {
    let facts = envelope_golang::inspect(&bin.data).map_err(|e| BuildError::NotAGoBinary {
        source_name: bin.source.clone(),
        detail: e.to_string(),
    })?;
    if facts.goos != "linux" {
        return Err(BuildError::NotAGoBinary {
            source_name: bin.source.clone(),
            detail: format!("built for {}, images run linux binaries", facts.goos),
        });
    }
    if facts.goarch != bin.platform.architecture {
        return Err(BuildError::Platform {
            platform: bin.platform.to_string(),
            detail: format!("{} is a {} binary", bin.source, facts.goarch),
        });
    }
    let mut warnings = Vec::new();
    if !facts.is_static {
        let what = facts
            .interpreter
            .clone()
            .map(|i| format!("loader {i}"))
            .into_iter()
            .chain(facts.needed.iter().map(|n| format!("library {n}")))
            .collect::<Vec<_>>()
            .join(", ");
        if !allow_dynamic {
            return Err(BuildError::DynamicBinary {
                source_name: bin.source.clone(),
                needs: what,
            });
        }
        warnings.push(format!(
            "dynamically linked ({what}); the scratch base has no C library"
        ));
    }
    if facts.build_info.is_none() {
        warnings.push("no Go build info: not a Go binary, or built without module support".into());
    }
    if !facts.stripped {
        warnings.push(format!(
            "not stripped: -ldflags=\"-s -w\" would remove {} bytes of symbols and debug info",
            facts.symtab_bytes + facts.debug_bytes
        ));
    }
    let funcs = FuncTable::read(&bin.data).ok();
    let needs = funcs
        .as_ref()
        .map(envelope_golang::runtime_needs)
        .unwrap_or(RuntimeNeeds {
            ca_certs: false,
            ca_reason: None,
            tzdata: false,
            tz_reason: None,
            embedded_tzdata: false,
            fallback_roots: false,
        });
    if funcs.is_none() {
        warnings.push("no Go function table found: CA certificates and tzdata cannot be detected (use --ca-certs/--tzdata always)".into());
    }
    Ok(CheckedBinary {
        facts,
        needs,
        warnings,
    })
}

fn leave_to_base(d: Decision, include: Include, base: &str) -> Decision {
    match include {
        Include::Auto if d.included => Decision {
            included: false,
            reason: format!("left to the base image {base}, though {}", d.reason),
        },
        Include::Auto => Decision {
            included: false,
            reason: format!("left to the base image {base}; {}", d.reason),
        },
        _ => d,
    }
}

fn decide(include: Include, needed: bool, why: Option<&str>, none: &str, flag: &str) -> Decision {
    match include {
        Include::Always => Decision {
            included: true,
            reason: format!("{flag} always"),
        },
        Include::Never => Decision {
            included: false,
            reason: format!("{flag} never"),
        },
        Include::Auto if needed => Decision {
            included: true,
            reason: why.unwrap_or("the binary needs it").to_string(),
        },
        Include::Auto => Decision {
            included: false,
            reason: none.to_string(),
        },
    }
}

/// Builds one platform's image from a binary.
pub fn platform_image(
    opts: &ImageOptions,
    bin: &PlatformBinary,
    base: Option<&BaseImage>,
    cache: &Cache,
) -> Result<PlatformImage, BuildError> {
    // A real base may bring the C library a dynamic binary needs.
    let checked = check_binary(bin, opts.allow_dynamic || base.is_some())?;
    if let Some(b) = base {
        if b.is_docker() && opts.compression == Compression::Zstd {
            return Err(BuildError::Option {
                option: "--compression",
                value: "zstd".into(),
                detail: format!(
                    "the base {} uses Docker's media types, which have no zstd layers",
                    b.name
                ),
            });
        }
    }
    let facts = &checked.facts;
    let bi = facts.build_info.as_ref();
    let setting = |k: &str| bi.and_then(|b| b.setting(k)).map(str::to_string);

    let ca = decide(
        opts.ca_certs,
        checked.needs.ca_certs,
        checked.needs.ca_reason.as_deref(),
        "the binary does not load system root certificates",
        "--ca-certs",
    );
    let tz_why = checked.needs.tz_reason.clone();
    let tz = decide(
        opts.tzdata,
        checked.needs.tzdata && !checked.needs.embedded_tzdata,
        tz_why.as_deref(),
        if checked.needs.embedded_tzdata {
            "the binary embeds time/tzdata"
        } else {
            "the binary does not load time zones"
        },
        "--tzdata",
    );

    // On a real base, certificates and zones are the base's business
    // unless asked for explicitly.
    let (ca, tz) = match base {
        Some(b) => (
            leave_to_base(ca, opts.ca_certs, &b.name),
            leave_to_base(tz, opts.tzdata, &b.name),
        ),
        None => (ca, tz),
    };

    let mut plans: Vec<(&'static str, LayerBuilder, Vec<String>, String)> = Vec::new();
    if base.is_none() {
        plans.push((
            "base",
            base::base_layer(opts.epoch)?,
            base::BASE_CONTENTS.iter().map(|s| s.to_string()).collect(),
            "every image: users, groups, /tmp, a home for nonroot".to_string(),
        ));
    }
    let base_config = base
        .and_then(|b| b.config.config.clone())
        .unwrap_or_default();
    let mut env = base_config.env.clone().unwrap_or_default();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, DEFAULT_PATH.to_string());
    }
    if ca.included {
        let (pem, what) = base::ca_bundle(opts.ca_file.as_deref())?;
        plans.push((
            "ca-certificates",
            base::ca_layer(opts.epoch, pem)?,
            vec![format!("{CA_BUNDLE_PATH} ({what})")],
            ca.reason.clone(),
        ));
        env.push(format!("SSL_CERT_FILE={CA_BUNDLE_PATH}"));
    }
    if tz.included {
        let (layer, what) = base::tzdata_layer(opts.epoch, opts.tzdata_dir.as_deref())?;
        plans.push((
            "tzdata",
            layer,
            vec![format!("{ZONEINFO_DIR} ({what})")],
            tz.reason.clone(),
        ));
    }
    let bin_path = format!("/usr/local/bin/{}", opts.name);
    let mut app = LayerBuilder::new(opts.epoch);
    for d in ["usr", "usr/local", "usr/local/bin"] {
        app.dir(d, 0o755, 0, 0)?;
    }
    app.file(
        &bin_path[1..],
        FileData::Bytes(Arc::clone(&bin.data)),
        0o755,
        0,
        0,
    )?;
    plans.push((
        "app",
        app,
        vec![bin_path.clone()],
        format!("the binary ({})", bin.source),
    ));
    for e in &opts.env {
        let key = e.split('=').next().unwrap_or_default();
        env.retain(|x| x.split('=').next() != Some(key));
        env.push(e.clone());
    }

    let mut layers = Vec::new();
    let mut reports = Vec::new();
    let mut history = Vec::new();
    let created = rfc3339(opts.epoch);
    for (name, builder, contents, reason) in plans {
        let mut tar = Vec::new();
        builder.write_tar(&mut tar)?;
        let (layer, cached) = cache.layer(tar, opts.compression)?;
        history.push(History {
            created: Some(created.clone()),
            created_by: Some(format!(
                "{} ({name}: {})",
                opts.created_by,
                contents.join(", ")
            )),
            author: None,
            comment: Some(format!("envelope {}", env!("CARGO_PKG_VERSION"))),
            empty_layer: None,
        });
        reports.push(LayerReport {
            name,
            digest: layer.digest.clone(),
            diff_id: layer.diff_id.clone(),
            media_type: opts.compression.media_type().to_string(),
            size: layer.size,
            uncompressed_size: layer.uncompressed_size,
            contents,
            reason,
            cached,
        });
        layers.push(layer);
    }

    // The base's user when it names one (a hardened base does), else nonroot.
    let user = opts
        .user
        .clone()
        .or_else(|| base_config.user.clone().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| DEFAULT_USER.to_string());
    let mut labels = BTreeMap::new();
    labels.insert(
        "org.opencontainers.image.created".to_string(),
        created.clone(),
    );
    labels.insert(
        "org.opencontainers.image.title".to_string(),
        opts.name.clone(),
    );
    if let Some(rev) = setting("vcs.revision") {
        labels.insert("org.opencontainers.image.revision".to_string(), rev);
    }
    if let Some(m) = bi.and_then(|b| b.main.as_ref()) {
        if !m.version.is_empty() && m.version != "(devel)" {
            labels.insert(
                "org.opencontainers.image.version".to_string(),
                m.version.clone(),
            );
        }
        if let Some(src) = source_url(&m.path) {
            labels.insert("org.opencontainers.image.source".to_string(), src);
        }
    }
    for kv in &opts.labels {
        let (k, v) = kv.split_once('=').ok_or_else(|| BuildError::Option {
            option: "--label",
            value: kv.clone(),
            detail: "expected KEY=VALUE".into(),
        })?;
        labels.insert(k.to_string(), v.to_string());
    }
    let exposed: BTreeMap<String, EmptyObject> = opts
        .ports
        .iter()
        .map(|p| (p.clone(), EmptyObject {}))
        .collect();

    let config = ImageConfiguration {
        created: Some(created),
        author: None,
        architecture: bin.platform.architecture.clone(),
        os: bin.platform.os.clone(),
        os_version: None,
        os_features: None,
        variant: bin.platform.variant.clone(),
        config: Some(Config {
            user: Some(user.clone()),
            exposed_ports: (!exposed.is_empty()).then_some(exposed),
            env: Some(env),
            entrypoint: Some(vec![bin_path.clone()]),
            cmd: (!opts.args.is_empty()).then(|| opts.args.clone()),
            volumes: None,
            working_dir: Some(
                base_config
                    .working_dir
                    .clone()
                    .filter(|w| !w.is_empty())
                    .unwrap_or_else(|| WORKDIR.to_string()),
            ),
            labels: Some(labels),
            stop_signal: base_config.stop_signal.clone(),
        }),
        rootfs: RootFs {
            r#type: "layers".to_string(),
            diff_ids: base
                .map(|b| b.config.rootfs.diff_ids.clone())
                .unwrap_or_default()
                .into_iter()
                .chain(layers.iter().map(|l| l.diff_id.clone()))
                .collect(),
        },
        history: Some(
            base.and_then(|b| b.config.history.clone())
                .unwrap_or_default()
                .into_iter()
                .chain(history)
                .collect(),
        ),
    };
    let docker = base.is_some_and(BaseImage::is_docker);
    let (manifest_type, config_type) = if docker {
        (media_types::DOCKER_MANIFEST_V2, media_types::DOCKER_CONFIG)
    } else {
        (media_types::OCI_MANIFEST, media_types::OCI_CONFIG)
    };
    let config_json = envelope_oci::to_json(&config);
    let config_desc = descriptor(config_type, &config_json);
    let own_layers = layers.iter().map(|l| {
        let mut d = l.descriptor();
        if docker {
            d.media_type = media_types::DOCKER_LAYER_TAR_GZIP.to_string();
        }
        d
    });
    let base_layers: Vec<(Descriptor, BlobData)> =
        base.map(|b| b.layers.clone()).unwrap_or_default();
    // Docker's schema2 has no annotations; OCI manifests name their base.
    let annotations = base.filter(|_| !docker).map(|b| {
        BTreeMap::from([
            (
                "org.opencontainers.image.base.digest".to_string(),
                b.digest.to_string(),
            ),
            (
                "org.opencontainers.image.base.name".to_string(),
                b.name.clone(),
            ),
        ])
    });
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(manifest_type.to_string()),
        artifact_type: None,
        config: config_desc.clone(),
        layers: base_layers
            .iter()
            .map(|(d, _)| d.clone())
            .chain(own_layers)
            .collect(),
        subject: None,
        annotations,
    };
    let manifest_json = envelope_oci::to_json(&manifest);
    let mut manifest_desc = descriptor(manifest_type, &manifest_json);
    manifest_desc.platform = Some(bin.platform.clone());

    let trimpath = setting("-trimpath").as_deref() == Some("true");
    let cgo_disabled = setting("CGO_ENABLED").as_deref() != Some("1");
    let non_root = !matches!(user.split(':').next(), Some("0" | "root"));
    let report = PlatformReport {
        platform: bin.platform.to_string(),
        manifest: manifest_desc.digest.clone(),
        config: config_desc.digest.clone(),
        binary: BinaryReport {
            path: bin_path,
            size: bin.data.len() as u64,
            go_version: bi.map(|b| b.go_version.clone()),
            main_module: bi.and_then(|b| b.main.as_ref()).map(|m| m.path.clone()),
            vcs_revision: setting("vcs.revision"),
            ca_certs: ca,
            tzdata: tz,
        },
        compressed_size: reports.iter().map(|r| r.size).sum(),
        uncompressed_size: reports.iter().map(|r| r.uncompressed_size).sum(),
        layers: reports,
        hardening: Hardening {
            static_binary: facts.is_static,
            stripped: facts.stripped,
            trimpath,
            cgo_disabled,
            non_root,
            no_shell: true,
        },
        warnings: checked.warnings,
    };
    Ok(PlatformImage {
        platform: bin.platform.clone(),
        manifest: manifest_desc,
        manifest_json,
        config: config_desc,
        config_json,
        layers,
        base_layers,
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
    for p in platforms {
        blobs.insert(
            p.manifest.digest.clone(),
            BlobData::Bytes(Arc::new(p.manifest_json.clone())),
        );
        blobs.insert(
            p.config.digest.clone(),
            BlobData::Bytes(Arc::new(p.config_json.clone())),
        );
        for l in &p.layers {
            blobs.insert(l.digest.clone(), BlobData::Bytes(Arc::clone(&l.blob)));
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
    image
}

/// `https://host/owner/repo` for module paths on the well-known forges.
fn source_url(module: &str) -> Option<String> {
    let parts: Vec<&str> = module.split('/').collect();
    match parts.as_slice() {
        [host @ ("github.com" | "gitlab.com" | "bitbucket.org" | "codeberg.org"), owner, repo, ..] => {
            Some(format!("https://{host}/{owner}/{repo}"))
        }
        _ => None,
    }
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

    #[test]
    fn source_url_only_for_known_forges() {
        assert_eq!(
            source_url("github.com/acme/svc/v2").as_deref(),
            Some("https://github.com/acme/svc")
        );
        assert_eq!(source_url("example.com/svc"), None);
    }
}
