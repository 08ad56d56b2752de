//! `envelope manifest`: hardened Kubernetes manifests for an image
//! (`manifests` reads the image into what envelope-kube renders).

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use envelope_cli::ManifestArgs;

use crate::printer::Printer;

pub fn run(args: ManifestArgs, printer: &Printer) -> Result<ExitCode> {
    let yaml = crate::manifests::render(&args, printer)?;
    match &args.output {
        Some(path) => {
            envelope_oci::write_atomic(path, yaml.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            printer.status(format!("wrote {}", path.display()));
        }
        None => printer.stdout().write_all(yaml.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}
