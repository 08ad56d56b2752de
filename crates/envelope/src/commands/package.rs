//! `envelope package BINARY`: the image `build` makes, for a binary built
//! elsewhere (goreleaser, Bazel, make).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use envelope_build::{BuildError, Cache, PlatformBinary};
use envelope_cli::PackageArgs;
use envelope_oci::Platform;

use crate::outputs as image;
use crate::printer::Printer;

pub fn run(args: PackageArgs, printer: &Printer) -> Result<ExitCode> {
    let started = Instant::now();
    let epoch = crate::images::source_date_epoch()?;
    let outputs = image::parse_outputs(&args.image.outputs, &args.image.push_tags)?;
    if let Some(key) = &args.image.sign_key {
        crate::signing::build_key(key)?;
    }
    let path = &args.binary;
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if !meta.is_file() {
        anyhow::bail!("{} is not a file", path.display());
    }
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let source = path.display().to_string();
    let facts = envelope_golang::inspect(&data).map_err(|e| BuildError::NotAGoBinary {
        source_name: source.clone(),
        detail: e.to_string(),
    })?;
    let detected = Platform {
        architecture: facts.goarch.clone(),
        os: facts.goos.clone(),
        os_version: None,
        os_features: None,
        variant: None,
    };
    let platform = match &args.platform {
        None => detected,
        Some(p) => {
            let given: Platform = p.parse().map_err(|e| BuildError::Platform {
                platform: p.clone(),
                detail: format!("{e}"),
            })?;
            if given.architecture != detected.architecture || given.os != detected.os {
                return Err(BuildError::Platform {
                    platform: p.clone(),
                    detail: format!(
                        "{source} is a {}/{} binary",
                        detected.os, detected.architecture
                    ),
                }
                .into());
            }
            given
        }
    };
    let name = match &args.image.name {
        Some(n) => n.clone(),
        None => path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| "app".into()),
    };
    let created_by = format!(
        "envelope package {}",
        path.file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    let opts = image::image_options(&args.image, &name, epoch, created_by)?;
    let cache = Cache::from_env();
    let bin = PlatformBinary {
        platform,
        data: Arc::new(data),
        source,
    };
    let bases = crate::images::resolve_bases(
        &args.image,
        std::slice::from_ref(&bin.platform),
        cache.root(),
        printer,
    )?;
    let base = bases.as_ref().and_then(|b| b.first());
    let images = vec![envelope_build::platform_image(&opts, &bin, base, &cache)?];
    let built = envelope_build::assemble(&images, false);
    let outs = if outputs.is_empty() {
        vec![image::default_output(&name)]
    } else {
        outputs
    };
    let session = image::WriteSession::new(&args.image.registry);
    let written =
        image::write_outputs(&session, &built, &outs, &name, false, &args.image, printer)?;
    let report = image::report_of(
        &name,
        None,
        &built,
        &images,
        written,
        started.elapsed().as_secs_f64(),
    );
    image::print_reports(printer, args.image.format, &[report])?;
    Ok(ExitCode::SUCCESS)
}
