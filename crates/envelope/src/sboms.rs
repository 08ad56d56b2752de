//! The SBOM documents envelope writes, shared by `sbom` and the builds that
//! attach one to each image: the model of what was found, rendered as
//! SPDX, CycloneDX or envelope's JSON, and the artifacts to attach.

use std::io::Read;

use anyhow::{bail, Context, Result};
use envelope_cli::{SbomFormat, SbomKind};
use envelope_layer::fs::{index_layers, LayerInput, Limits};
use envelope_oci::artifact::{self, Artifact};
use envelope_oci::{
    media_types, BlobData, Descriptor, ImageBlobs, ImageIndex, ImageManifest, SharedBytes,
};
use envelope_sbom::collect::{go_binary, SbomCollector};
use envelope_sbom::{GoBinary, OsPackage, SbomInput, Subject};

use crate::printer::{hinted, Printer};

pub const SPDX_MEDIA_TYPE: &str = "application/spdx+json";
pub const CYCLONEDX_MEDIA_TYPE: &str = "application/vnd.cyclonedx+json";

pub fn tool_input(
    subject: Subject,
    binaries: Vec<GoBinary>,
    os_packages: Vec<OsPackage>,
) -> SbomInput {
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

pub fn media_type_of(format: SbomFormat) -> Result<&'static str> {
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
            // A layer this build made is read from its tar, as it was
            // hashed a moment ago, rather than decompressed again.
            if let Some(tar) = image.tars.get(&l.digest) {
                layers.push(LayerInput::seekable(std::io::Cursor::new(SharedBytes(
                    tar.clone(),
                ))));
                continue;
            }
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
