//! What the commands that read an image or a Go binary (`audit`, `sbom`,
//! `scan`) share, so that sbom and scan do not reach into each other:
//! telling a binary's path from an image reference, reading a Go binary on
//! disk, collecting an image's Go binaries and package databases, and the
//! SOURCE_DATE_EPOCH time their documents carry. Images are opened with
//! audit's `open` and `index`, the opener every image-reading command uses.

use std::path::Path;

use anyhow::{Context, Result};
use envelope_sbom::collect::{BinaryCollector, BinaryReader};

use crate::printer::hinted;

/// Does `image` name a file on disk rather than an image? Errors for a
/// directory (an OCI layout is named oci:DIR) and a missing path.
pub(crate) fn is_binary_path(image: &str) -> Result<bool> {
    let path = Path::new(image);
    let transport = ["oci:", "oci-archive:", "docker-archive:", "docker://"]
        .iter()
        .any(|t| image.starts_with(t));
    if transport {
        return Ok(false);
    }
    if path.is_dir() {
        return Err(hinted(
            format!("{} is a directory", path.display()),
            format!("an OCI layout is named oci:{}", path.display()),
        ));
    }
    let looks_like_path = image.starts_with(['.', '/', '~']);
    if looks_like_path && !path.exists() {
        return Err(hinted(
            format!("{}: no such file", path.display()),
            "give a binary's path, or an image as oci:DIR, docker-archive:FILE, docker://REF",
        ));
    }
    Ok(path.is_file())
}

/// The executable at `path` (shown as `shown`) read with `read` under the
/// name `name`: an error saying what to do when it is not a complete
/// executable or carries no Go build info.
pub(crate) fn read_go_binary<T>(
    path: &Path,
    shown: &str,
    name: &str,
    read: BinaryReader<T>,
) -> Result<T> {
    let data = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    read(name, &data)
        .map_err(|e| hinted(format!("{shown}: {e}"), "is the file a complete executable?"))?
        .ok_or_else(|| {
            hinted(
                format!("{shown}: no Go build info (not a Go binary, or one built without module support)"),
                "envelope reads the build info the Go linker writes (Go 1.13 and later, built as a module)",
            )
        })
}

/// The Go binaries (as `read` makes them) and package databases of the
/// final filesystem of the image `image` names, streamed from any
/// transport.
pub(crate) fn collect_image<T>(
    image: &str,
    platform: Option<&str>,
    registry: &envelope_cli::RegistryArgs,
    verify: bool,
    read: BinaryReader<T>,
) -> Result<(super::audit::Opened, BinaryCollector<T>)> {
    let platform = super::audit::platform(platform)?;
    let opened = super::audit::open(image, platform.as_ref(), registry)?;
    let mut collector = BinaryCollector::new(read);
    super::audit::index(&opened, &mut collector, verify)?;
    Ok((opened, collector))
}

/// SOURCE_DATE_EPOCH as RFC 3339, when set.
pub(crate) fn epoch_time() -> Result<Option<String>> {
    if std::env::var_os("SOURCE_DATE_EPOCH").is_none() {
        return Ok(None);
    }
    let e = super::image::source_date_epoch()?;
    Ok(Some(envelope_build::rfc3339(e)))
}
