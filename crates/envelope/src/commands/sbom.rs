//! `envelope sbom`: the SBOM of an image or a Go binary, from each
//! binary's own build info and the image's package databases; and the SBOMs
//! `envelope build` attaches to what it writes (OCI referrers).

use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use envelope_cli::{SbomArgs, SbomFormat, SbomKind};
use envelope_layer::fs::{index_layers, LayerInput, Limits};
use envelope_oci::artifact::{self, Artifact};
use envelope_oci::{
    media_types, BlobData, Descriptor, ImageBlobs, ImageIndex, ImageManifest, ImageRef,
};
use envelope_sbom::collect::{go_binary, SbomCollector};
use envelope_sbom::{GoBinary, OsPackage, SbomInput, Subject};

use super::inputs::{collect_image, epoch_time, is_binary_path, read_go_binary};
use crate::printer::{hinted, Printer};

pub const SPDX_MEDIA_TYPE: &str = "application/spdx+json";
pub const CYCLONEDX_MEDIA_TYPE: &str = "application/vnd.cyclonedx+json";

fn tool_input(subject: Subject, binaries: Vec<GoBinary>, os_packages: Vec<OsPackage>) -> SbomInput {
    SbomInput {
        subject,
        binaries,
        os_packages,
        tool_name: "envelope".to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// Renders `input` in `format`.
pub fn render(input: &SbomInput, format: SbomFormat) -> Result<Vec<u8>> {
    Ok(match format {
        SbomFormat::SpdxJson => envelope_sbom::spdx_json(input)?,
        SbomFormat::CyclonedxJson => envelope_sbom::cyclonedx_json(input)?,
        SbomFormat::Json => {
            let mut v = serde_json::to_vec_pretty(&input.normalized())?;
            v.push(b'\n');
            v
        }
    })
}

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

fn media_type_of(format: SbomFormat) -> Result<&'static str> {
    match format {
        SbomFormat::SpdxJson => Ok(SPDX_MEDIA_TYPE),
        SbomFormat::CyclonedxJson => Ok(CYCLONEDX_MEDIA_TYPE),
        SbomFormat::Json => Err(hinted(
            "attached SBOMs are SPDX or CycloneDX documents, not envelope's json model",
            "use --format spdx-json or --format cyclonedx-json",
        )),
    }
}

/// Picks the referrer to print: of the asked format, else SPDX, else
/// CycloneDX.
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
    let platform = super::audit::platform(args.platform.as_deref())?;
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
            let client = super::registry::client(&args.registry)?;
            let rr = super::registry::parse_registry_ref(&reference)?;
            let subject = registry_manifest(&client, &rr, platform.as_ref())?;
            let found = envelope_registry::referrers::list_referrers(&client, &rr, &subject, None)
                .map_err(super::registry::tls_hint)?;
            let d = pick(&found, args.format, &args.image)?;
            let (_, doc) = envelope_registry::referrers::fetch_referrer(&client, &rr, &d, &subject)
                .map_err(super::registry::tls_hint)?;
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
        .map_err(super::registry::tls_hint)
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

/// An in-memory blob read without copying it.
struct SharedBytes(std::sync::Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// The SBOM artifacts for an image envelope just made: one per platform
/// manifest, each describing that manifest's final filesystem.
pub fn artifacts_for(
    image: &ImageBlobs,
    name: &str,
    kind: SbomKind,
    epoch: u64,
    printer: &Printer,
) -> Result<Vec<Artifact>> {
    let format = match kind {
        SbomKind::None => return Ok(Vec::new()),
        SbomKind::Spdx => SbomFormat::SpdxJson,
        SbomKind::Cyclonedx => SbomFormat::CyclonedxJson,
    };
    let media_type = media_type_of(format)?;
    let created = envelope_build::rfc3339(epoch);
    let subjects: Vec<Descriptor> = if media_types::is_index(&image.root.media_type) {
        let index: ImageIndex = serde_json::from_slice(&image.read(&image.root.digest)?)?;
        index.manifests
    } else {
        vec![image.root.clone()]
    };
    let mut out = Vec::new();
    for subject in subjects {
        let manifest: ImageManifest = serde_json::from_slice(&image.read(&subject.digest)?)?;
        let mut layers = Vec::new();
        for l in &manifest.layers {
            let reader: Box<dyn Read + Send> = match image.blobs.get(&l.digest) {
                Some(BlobData::Bytes(b)) => Box::new(std::io::Cursor::new(SharedBytes(b.clone()))),
                Some(BlobData::File(p)) => Box::new(
                    std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?,
                ),
                None => bail!("layer {} of the image just built is missing", l.digest),
            };
            layers.push(LayerInput::new(reader, Some(l.clone())));
        }
        let mut collector = SbomCollector::new(go_binary);
        index_layers(layers, &mut collector, &Limits::default())
            .context("reading the layers of the image just built")?;
        for w in &collector.warnings {
            printer.warn(format!("{w} (the attached SBOM does not list it)"));
        }
        let os = collector.os_packages();
        let input = tool_input(
            Subject {
                name: name.to_string(),
                digest: Some(subject.digest.to_string()),
                created: Some(created.clone()),
            },
            collector.binaries.into_values().collect(),
            os,
        );
        let doc = render(&input, format)?;
        let annotations = [(artifact::CREATED.to_string(), created.clone())]
            .into_iter()
            .collect();
        out.push(artifact::artifact(&subject, media_type, doc, annotations));
    }
    Ok(out)
}
