//! One package's build, platform by platform: `go build` with the hardened
//! flags into the cache, the checks on what it made, then the image of each
//! platform and the image (a manifest, or an index of them) of them all.
//!
//! It never prints: what happens is told to a [`Reporter`], which the
//! binary turns into progress output. Writing the image is the caller's.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use envelope_oci::{ImageBlobs, Platform};

use crate::gobuild::{self, GoBuild, GoTool};
use crate::image::{
    assemble, platform_image, BaseImage, ImageOptions, PlatformBinary, PlatformImage,
};
use crate::{BuildError, Cache};

/// What a build tells as it goes. Every method does nothing by default.
pub trait Reporter {
    /// `go build` is about to run for `build`, with `env` set besides
    /// `CGO_ENABLED=0`.
    fn go_build_started(&mut self, _build: &GoBuild<'_>, _env: &[(&'static str, String)]) {}
    /// A line `go build` wrote to its stderr, as it comes.
    fn go_output(&mut self, _line: &str) {}
    /// `go build` for `platform` ended, well or not.
    fn go_build_finished(&mut self, _package: &str, _platform: &Platform) {}
    /// One platform's image is assembled (not yet written anywhere).
    fn platform_image_built(&mut self, _image: &PlatformImage) {}
}

/// What to build: one package, for every platform.
pub struct BuildPlan<'a> {
    pub go: &'a GoTool,
    pub cache: &'a Cache,
    /// The directory `go build` runs in (its binaries are cached per
    /// directory and package).
    pub workdir: &'a Path,
    pub package: &'a str,
    pub platforms: &'a [Platform],
    pub ldflags: Option<&'a str>,
    pub gcflags: Option<&'a str>,
    pub tags: Option<&'a str>,
    /// Go's own settings for `go build` (GOEXPERIMENT, ...).
    pub go_env: &'a [(String, String)],
    /// The base image of each platform, in the order of `platforms`; None
    /// for the generated scratch base.
    pub bases: Option<&'a [BaseImage]>,
    /// The image's name; None to name it after the binary, as `go build`
    /// would.
    pub name: Option<&'a str>,
    /// The package's binaries already built by [`build_binaries`], one per
    /// platform in the order of `platforms`; None to run `go build` here.
    pub prebuilt: Option<&'a [PathBuf]>,
}

/// One package's image, ready to be written.
pub struct BuiltImage {
    pub name: String,
    /// The main package's import path, from the binary's build info.
    pub import_path: Option<String>,
    pub platforms: Vec<PlatformImage>,
    pub image: ImageBlobs,
}

/// Builds `plan.package` for every platform and assembles its image.
/// `options` turns the image's name into the image options once the
/// binaries are built (its errors are the caller's, so they pass through
/// as they are).
pub fn build_images<E: From<BuildError>>(
    plan: &BuildPlan<'_>,
    options: impl FnOnce(&str) -> Result<ImageOptions, E>,
    reporter: &mut dyn Reporter,
) -> Result<BuiltImage, E> {
    let package = plan.package;
    let mut binaries = Vec::new();
    for (i, platform) in plan.platforms.iter().enumerate() {
        let out = match plan.prebuilt.and_then(|p| p.get(i)) {
            Some(built) => built.clone(),
            None => {
                let key = format!("{}\0{package}", plan.workdir.display());
                let out = plan
                    .cache
                    .binary_dir(&key)?
                    .join(platform.to_string().replace('/', "-"));
                let build = GoBuild {
                    packages: &[package],
                    platform,
                    ldflags: plan.ldflags,
                    gcflags: plan.gcflags,
                    tags: plan.tags,
                    env: plan.go_env,
                    output: &out,
                };
                run_go_build(plan.go, &build, reporter)?;
                out
            }
        };
        let data = std::fs::read(&out).map_err(|source| BuildError::BuiltBinary {
            path: out.clone(),
            source,
        })?;
        if !data.starts_with(b"\x7fELF") {
            return Err(BuildError::NotMainPackage {
                package: package.to_string(),
                name: gobuild::package_name(plan.go, package, platform),
            }
            .into());
        }
        binaries.push(PlatformBinary {
            platform: platform.clone(),
            data: Arc::new(data),
            source: format!("{package} ({platform})"),
        });
    }
    let name = match (plan.name, binaries.first()) {
        (Some(n), _) => n.to_string(),
        (None, Some(b)) => name_from_binary(&b.data, package),
        (None, None) => name_from_binary(&[], package),
    };
    let import_path = binaries.first().and_then(|b| main_path(&b.data));
    let opts = options(&name)?;
    let mut platforms = Vec::new();
    for (i, bin) in binaries.iter().enumerate() {
        let base = plan.bases.and_then(|b| b.get(i));
        let image = platform_image(&opts, bin, base, plan.cache)?;
        reporter.platform_image_built(&image);
        platforms.push(image);
    }
    let image = assemble(&platforms, false);
    Ok(BuiltImage {
        name,
        import_path,
        platforms,
        image,
    })
}

fn run_go_build(
    go: &GoTool,
    build: &GoBuild<'_>,
    reporter: &mut dyn Reporter,
) -> Result<(), BuildError> {
    reporter.go_build_started(build, &gobuild::go_env(build.platform)?);
    let result = gobuild::go_build(go, build, &mut |line| reporter.go_output(line));
    reporter.go_build_finished(&build.shown(), build.platform);
    result
}

/// Builds several main packages for each platform with one `go build -o
/// DIR/` per platform (go shares the work among them), into the cache,
/// with the plan's toolchain, directory, platforms and flags (its package,
/// bases, name and prebuilt binaries are not used). Returns, for each
/// package in order, its binary per platform, for [`BuildPlan::prebuilt`].
/// The packages must be main packages given by import path whose binary
/// names ([`exec_name`]) differ.
pub fn build_binaries(
    plan: &BuildPlan<'_>,
    packages: &[&str],
    reporter: &mut dyn Reporter,
) -> Result<Vec<Vec<PathBuf>>, BuildError> {
    let key = format!("{}\0{}", plan.workdir.display(), packages.join("\0"));
    let bin_dir = plan.cache.binary_dir(&key)?;
    let mut binaries = vec![Vec::new(); packages.len()];
    for platform in plan.platforms {
        let dir = bin_dir.join(platform.to_string().replace('/', "-"));
        std::fs::create_dir_all(&dir).map_err(|e| BuildError::Cache {
            path: dir.clone(),
            detail: e.to_string(),
        })?;
        let build = GoBuild {
            packages,
            platform,
            ldflags: plan.ldflags,
            gcflags: plan.gcflags,
            tags: plan.tags,
            env: plan.go_env,
            output: &dir,
        };
        run_go_build(plan.go, &build, reporter)?;
        for (package, out) in packages.iter().zip(binaries.iter_mut()) {
            out.push(dir.join(exec_name(package)));
        }
    }
    Ok(binaries)
}

/// The file name `go build -o DIR/` gives a main package's binary: its
/// import path's last element, or the one before a major-version suffix.
pub fn exec_name(import_path: &str) -> &str {
    let mut parts = import_path.rsplit('/');
    let last = parts.next().unwrap_or(import_path);
    let major = last.strip_prefix('v').is_some_and(|n| {
        n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0') && !matches!(n, "" | "1")
    });
    match parts.next() {
        Some(parent) if major => parent,
        _ => last,
    }
}

/// The main package's import path in a Go binary's build info.
fn main_path(data: &[u8]) -> Option<String> {
    envelope_golang::buildinfo::read(data)
        .ok()
        .flatten()
        .map(|b| b.path)
        .filter(|p| !p.is_empty() && p != "command-line-arguments")
}

/// The binary's name as `go build` would choose it ([`exec_name`] of the
/// main package's path), made safe for an image name.
pub fn name_from_binary(data: &[u8], package: &str) -> String {
    let path = main_path(data).unwrap_or_else(|| {
        let p = package.trim_end_matches('/');
        let p = p.strip_suffix(".go").unwrap_or(p);
        p.to_string()
    });
    let parts: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let name: String = exec_name(&parts.join("/"))
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if name.is_empty() || name == ".." {
        "app".to_string()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::{exec_name, name_from_binary};

    #[test]
    fn binaries_are_named_as_go_names_them() {
        assert_eq!(exec_name("example.com/m/cmd/api"), "api");
        assert_eq!(exec_name("example.com/m/v2"), "m");
        assert_eq!(exec_name("example.com/m/cmd/v1"), "v1");
        assert_eq!(exec_name("tool"), "tool");
        assert_eq!(exec_name("example.com/m/v10"), "m");
        assert_eq!(exec_name("example.com/m/v+2"), "v+2");
    }

    #[test]
    fn names_without_build_info_come_from_the_package() {
        assert_eq!(name_from_binary(b"", "./cmd/server"), "server");
        assert_eq!(name_from_binary(b"", "example.com/svc/v2"), "svc");
        // As go names the binary: v1 is no major-version suffix.
        assert_eq!(name_from_binary(b"", "example.com/svc/cmd/v1"), "v1");
        assert_eq!(name_from_binary(b"", "./main.go"), "main");
        assert_eq!(name_from_binary(b"", "."), "app");
        assert_eq!(name_from_binary(b"", "example.com/a+b"), "a-b");
        assert_eq!(name_from_binary(b"not an executable", "v2"), "v2");
    }
}
