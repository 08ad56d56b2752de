//! `envelope sbom`: the SBOM of an image or a Go binary, from each
//! binary's own build info and the image's package databases; and the SBOMs
//! `envelope build` attaches to what it writes (OCI referrers).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use envelope_cli::{SbomArgs, SbomFormat};
use envelope_oci::{media_types, Descriptor, ImageIndex, ImageRef};
use envelope_sbom::collect::go_binary;
use envelope_sbom::{SbomInput, Subject};

use crate::images::{collect_image, epoch_time, is_binary_path, read_go_binary};
use crate::printer::{hinted, Printer};
use crate::sboms::{media_type_of, render, tool_input, CYCLONEDX_MEDIA_TYPE, SPDX_MEDIA_TYPE};

/// The SBOM model of a binary file on disk.
fn binary_input(path: &Path, shown: &str) -> Result<SbomInput> {
    let name = path
        .file_name()
        .map_or_else(|| shown.to_string(), |n| n.to_string_lossy().into_owned());
    let bin = read_go_binary(path, shown, &name, go_binary)?;
    let subject = Subject {
        name,
        digest: bin.sha256.as_ref().map(|h| format!("sha256:{h}")),
        created: epoch_time()?,
    };
    Ok(tool_input(subject, vec![bin], Vec::new()))
}

/// The SBOM model of an image's final filesystem.
fn image_input(args: &SbomArgs, printer: &Printer) -> Result<SbomInput> {
    let (opened, collector) = collect_image(
        &args.image,
        args.platform.as_deref(),
        &args.registry,
        args.verify,
        go_binary,
    )?;
    let config: serde_json::Value =
        serde_json::from_slice(&opened.source.config_bytes).unwrap_or_default();
    let created = match epoch_time()? {
        Some(t) => Some(t),
        None => config["created"].as_str().map(str::to_string),
    };
    let subject = Subject {
        name: args.image.clone(),
        digest: Some(opened.source.manifest_digest.to_string()),
        created,
    };
    let os = collector.os_packages();
    for w in &collector.warnings {
        printer.warn(format!("{w} (the SBOM does not list it)"));
    }
    Ok(tool_input(
        subject,
        collector.binaries.into_values().collect(),
        os,
    ))
}

pub fn run(args: SbomArgs, printer: &Printer) -> Result<ExitCode> {
    let doc = if args.attached {
        attached(&args, printer)?
    } else {
        let input = if is_binary_path(&args.image)? {
            binary_input(Path::new(&args.image), &args.image)?
        } else {
            image_input(&args, printer)?
        };
        if input.binaries.is_empty() {
            printer.warn(format!(
                "{}: no Go binaries found (the SBOM lists only OS packages)",
                args.image
            ));
        }
        render(&input, args.format.unwrap_or(SbomFormat::SpdxJson))?
    };
    match &args.output {
        Some(path) => write_file(path, &doc)?,
        None => {
            let mut out = printer.stdout();
            out.write_all(&doc)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `data` to `path` atomically (envelope-oci's temporary file
/// beside it, renamed): whole or not at all.
fn write_file(path: &Path, data: &[u8]) -> Result<()> {
    envelope_oci::write_atomic(path, data).map_err(|e| {
        hinted(
            format!("cannot write {}: {e}", path.display()),
            "does the directory exist, and may you write there?",
        )
    })
}

fn pick(found: &[Descriptor], format: Option<SbomFormat>, shown: &str) -> Result<Descriptor> {
    let wanted: Vec<&str> = match format {
        Some(f) => vec![media_type_of(f)?],
        None => vec![SPDX_MEDIA_TYPE, CYCLONEDX_MEDIA_TYPE],
    };
    for w in &wanted {
        if let Some(d) = found.iter().find(|d| d.artifact_type.as_deref() == Some(w)) {
            return Ok(d.clone());
        }
    }
    let kinds: Vec<String> = found
        .iter()
        .filter_map(|d| d.artifact_type.clone())
        .collect();
    Err(hinted(
        if kinds.is_empty() {
            format!("{shown} has no attached SBOM")
        } else {
            format!(
                "{shown} has no attached {} SBOM (attached: {})",
                wanted.join(" or "),
                kinds.join(", ")
            )
        },
        "envelope build attaches one (--sbom spdx|cyclonedx); or make one now: envelope sbom IMAGE",
    ))
}

/// The attached SBOM of the image `args.image` names.
fn attached(args: &SbomArgs, printer: &Printer) -> Result<Vec<u8>> {
    let r: ImageRef = args.image.parse().map_err(|e: envelope_oci::Error| {
        hinted(
            format!("bad image reference {:?}: {e}", args.image),
            "use oci:DIR[:TAG], docker://REF or a bare registry REF",
        )
    })?;
    let platform = crate::images::platform(args.platform.as_deref())?;
    match r {
        ImageRef::Oci { dir, tag } => {
            let source = envelope_oci::open_oci_layout(&dir, tag.as_deref(), platform.as_ref())?;
            let layout = envelope_oci::OciLayout::open(&dir)?;
            let found = layout.referrers(&source.manifest_digest)?;
            let descs: Vec<Descriptor> = found.iter().map(|(d, _)| d.clone()).collect();
            let d = pick(&descs, args.format, &args.image)?;
            let (_, m) = found
                .into_iter()
                .find(|(x, _)| x.digest == d.digest)
                .context("the referrer just found is gone")?;
            let layer = m
                .layers
                .first()
                .with_context(|| format!("artifact {} has no layers", d.digest))?;
            if layer.size > 256 << 20 {
                bail!(
                    "artifact {} holds a {} byte document; 256 MiB is the limit",
                    d.digest,
                    layer.size
                );
            }
            printer.detail(format!("attached SBOM {} ({})", d.digest, layer.digest));
            Ok(layout.read_blob(&layer.digest)?)
        }
        ImageRef::Docker { reference } => {
            let client = crate::images::client(&args.registry)?;
            let rr = crate::images::parse_registry_ref(&reference)?;
            let subject = registry_manifest(&client, &rr, platform.as_ref())?;
            let found = envelope_registry::referrers::list_referrers(&client, &rr, &subject, None)
                .map_err(crate::images::tls_hint)?;
            let d = pick(&found, args.format, &args.image)?;
            let (_, doc) = envelope_registry::referrers::fetch_referrer(&client, &rr, &d, &subject)
                .map_err(crate::images::tls_hint)?;
            printer.detail(format!("attached SBOM {}", d.digest));
            Ok(doc)
        }
        other => Err(hinted(
            format!("{other}: archives carry no attached SBOM"),
            "attached SBOMs live in oci: layouts and registries; make one now with envelope sbom IMAGE",
        )),
    }
}

/// The digest of the image manifest `r` names, for `platform` (or the only
/// one, else linux/amd64) when it names an index.
fn registry_manifest(
    client: &envelope_registry::Client,
    r: &envelope_registry::RegistryRef,
    platform: Option<&envelope_oci::Platform>,
) -> Result<envelope_oci::Digest> {
    let (bytes, mt, digest) = client
        .get_manifest(r)
        .map_err(crate::images::tls_hint)
        .with_context(|| format!("reading {r}"))?;
    if !media_types::is_index(&mt) {
        return Ok(digest);
    }
    let index: ImageIndex = serde_json::from_slice(&bytes).context("reading the image index")?;
    let images: Vec<&Descriptor> = index
        .manifests
        .iter()
        .filter(|d| {
            d.artifact_type.is_none() && d.platform.as_ref().is_some_and(|p| p.os != "unknown")
        })
        .collect();
    let find = |want: &envelope_oci::Platform| {
        images
            .iter()
            .find(|d| d.platform.as_ref().is_some_and(|p| want.matches(p)))
    };
    let chosen = match platform {
        Some(want) => find(want),
        None if images.len() == 1 => images.first(),
        None => find(&"linux/amd64".parse()?),
    };
    let names: Vec<String> = images
        .iter()
        .filter_map(|d| d.platform.as_ref().map(ToString::to_string))
        .collect();
    chosen.map(|d| d.digest.clone()).ok_or_else(|| {
        hinted(
            format!("{r} has no such platform; it has {}", names.join(", ")),
            "choose one with --platform OS/ARCH",
        )
    })
}
