//! Planning one platform's image: check the binary, decide whether CA
//! certificates and time zones go in (and why), and lay out the layers
//! (base, CA certificates, time zones, files, app); then write each layer through
//! the cache, with its history entry and report.

use std::sync::Arc;

use envelope_golang::{FuncTable, RuntimeNeeds};
use envelope_layer::{Compression, FileData, Layer, LayerBuilder};
use envelope_oci::History;

use super::{
    BaseImage, CheckedBinary, Decision, ImageOptions, Include, LayerReport, PlatformBinary,
};
use crate::base::{self, CA_BUNDLE_PATH, ZONEINFO_DIR};
use crate::{BuildError, Cache};

/// One layer to write: its name, contents, what it holds and why.
pub(super) struct LayerPlan {
    pub name: &'static str,
    pub builder: LayerBuilder,
    pub contents: Vec<String>,
    pub reason: String,
}

/// What goes into one platform's image.
pub(super) struct Plan {
    pub checked: CheckedBinary,
    pub ca: Decision,
    pub tz: Decision,
    /// Where the binary goes: the entrypoint.
    pub bin_path: String,
    pub layers: Vec<LayerPlan>,
}

/// The layers as written, with their history entries and reports.
pub(super) struct Written {
    pub layers: Vec<Layer>,
    /// Each layer's uncompressed tar, in the order of `layers`.
    pub tars: Vec<Arc<Vec<u8>>>,
    pub reports: Vec<LayerReport>,
    pub history: Vec<History>,
}

/// The checks every binary passes before it goes into an image.
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
            temp_files: None,
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

/// Checks the binary and plans the image's layers.
pub(super) fn plan(
    opts: &ImageOptions,
    bin: &PlatformBinary,
    base: Option<&BaseImage>,
) -> Result<Plan, BuildError> {
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

    let mut layers = Vec::new();
    if base.is_none() {
        layers.push(LayerPlan {
            name: "base",
            builder: base::base_layer(opts.epoch)?,
            contents: base::BASE_CONTENTS.iter().map(|s| s.to_string()).collect(),
            reason: "every image: users, groups, /tmp, a home for nonroot".to_string(),
        });
    }
    if ca.included {
        let (pem, what) = base::ca_bundle(opts.ca_file.as_deref())?;
        layers.push(LayerPlan {
            name: "ca-certificates",
            builder: base::ca_layer(opts.epoch, pem)?,
            contents: vec![format!("{CA_BUNDLE_PATH} ({what})")],
            reason: ca.reason.clone(),
        });
    }
    if tz.included {
        let (layer, what) = base::tzdata_layer(opts.epoch, opts.tzdata_dir.as_deref())?;
        layers.push(LayerPlan {
            name: "tzdata",
            builder: layer,
            contents: vec![format!("{ZONEINFO_DIR} ({what})")],
            reason: tz.reason.clone(),
        });
    }
    let bin_path = format!("/usr/local/bin/{}", opts.name);
    if !opts.files.is_empty() {
        let (builder, contents) =
            super::files::files_layer(&opts.files, opts.epoch, &bin_path[1..])?;
        layers.push(LayerPlan {
            name: "files",
            builder,
            contents,
            reason: "the files entries of the image's settings".to_string(),
        });
    }
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
    layers.push(LayerPlan {
        name: "app",
        builder: app,
        contents: vec![bin_path.clone()],
        reason: format!("the binary ({})", bin.source),
    });
    Ok(Plan {
        checked,
        ca,
        tz,
        bin_path,
        layers,
    })
}

/// Writes each planned layer through the cache (compressed once, reused
/// when unchanged).
pub(super) fn write_layers(
    plans: Vec<LayerPlan>,
    opts: &ImageOptions,
    created: &str,
    cache: &Cache,
) -> Result<Written, BuildError> {
    let mut out = Written {
        layers: Vec::new(),
        tars: Vec::new(),
        reports: Vec::new(),
        history: Vec::new(),
    };
    for LayerPlan {
        name,
        builder,
        contents,
        reason,
    } in plans
    {
        let mut tar = Vec::new();
        builder.write_tar(&mut tar)?;
        let (layer, cached) = cache.layer(&tar, opts.compression)?;
        out.tars.push(Arc::new(tar));
        out.history.push(History {
            created: Some(created.to_string()),
            created_by: Some(format!(
                "{} ({name}: {})",
                opts.created_by,
                contents.join(", ")
            )),
            author: None,
            comment: Some(format!("envelope {}", env!("CARGO_PKG_VERSION"))),
            empty_layer: None,
        });
        out.reports.push(LayerReport {
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
        out.layers.push(layer);
    }
    Ok(out)
}
