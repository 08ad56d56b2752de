//! `envelope build`: envelope-build's pipeline builds each package for
//! each platform (`go build` with the hardened flags, the checks, the
//! images); this command parses the arguments, draws its progress, writes
//! the images and prints the reports.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use envelope_build::{
    build_binaries, build_images, gobuild, list_packages, pipeline, BuildError, BuildPlan, Cache,
    GoBuild, GoTool, ListedPackage, Reporter,
};
use envelope_cli::BuildArgs;
use envelope_oci::Platform;
use indicatif::ProgressBar;

use crate::outputs::{self as image, ImageReport};
use crate::printer::{hinted, Printer};

pub fn run(args: BuildArgs, printer: &Printer) -> Result<ExitCode> {
    let format = args.image.format;
    let reports = build(&args, printer)?;
    image::print_reports(printer, format, &reports)?;
    Ok(ExitCode::SUCCESS)
}

/// Builds every package the arguments name and writes (or pushes) each
/// image; `--image-refs` is written too. The reports, one per image, in the
/// order of the packages.
pub fn build(args: &BuildArgs, printer: &Printer) -> Result<Vec<ImageReport>> {
    let epoch = crate::images::source_date_epoch()?;
    let platforms = parse_platforms(&args.platform)?;
    let outputs = image::parse_outputs(&args.image.outputs, &args.image.push_tags)?;
    let given = if args.packages.is_empty() {
        vec![".".to_string()]
    } else {
        args.packages.clone()
    };
    let go = GoTool::find()?;
    printer.detail(format!("go: {}", go.path.display()));
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let packages = expand_patterns(&go, &cwd, &given, &platforms[0], printer)?;
    let repo = if outputs.is_empty() {
        image::default_repo()
    } else {
        None
    };
    if repo.is_none() && (args.bare || args.preserve_import_paths) {
        let flag = if args.bare {
            "--bare"
        } else {
            "--preserve-import-paths"
        };
        return Err(hinted(
            format!("{flag} names images in the default repository, and there is none"),
            "set ENVELOPE_REPO (or KO_DOCKER_REPO) to REGISTRY/REPOSITORY, without --output",
        ));
    }
    if args.bare && packages.len() > 1 {
        return Err(hinted(
            format!(
                "--bare pushes one image to the repository itself, and {} packages were given",
                packages.len()
            ),
            "build one package, or drop --bare to push each to REPO/NAME",
        ));
    }
    image::check_outputs_for_many(&outputs, packages.len())?;
    if args.image.name.is_some() && packages.len() > 1 {
        anyhow::bail!(
            "--name names one image, and {} packages were given",
            packages.len()
        );
    }
    let cache = Cache::from_env();

    let bases = crate::images::resolve_bases(&args.image, &platforms, cache.root(), printer)?;
    let settings = BuildPlan {
        go: &go,
        cache: &cache,
        workdir: &cwd,
        package: ".",
        platforms: &platforms,
        ldflags: args.ldflags.as_deref(),
        tags: args.tags.as_deref(),
        bases: bases.as_deref(),
        name: args.image.name.as_deref(),
        prebuilt: None,
    };
    // The commands a pattern matched share one `go build` per platform
    // when go can write them side by side (their names differ).
    let mut prebuilt: Vec<(&str, Vec<PathBuf>)> = Vec::new();
    let listed: Vec<&str> = packages
        .iter()
        .filter(|t| t.listed)
        .map(|t| t.package.as_str())
        .collect();
    let mut exec_names: Vec<&str> = listed.iter().map(|p| pipeline::exec_name(p)).collect();
    exec_names.sort_unstable();
    exec_names.dedup();
    if listed.len() > 1 && exec_names.len() == listed.len() {
        let mut progress = Progress {
            printer,
            spinner: None,
        };
        let binaries = build_binaries(&settings, &listed, &mut progress)?;
        prebuilt = listed.into_iter().zip(binaries).collect();
    }
    // Every image is built before any is written, so a package that fails
    // leaves nothing half-written or half-pushed.
    let mut built = Vec::new();
    for Target { package, .. } in &packages {
        let started = Instant::now();
        let plan = BuildPlan {
            package,
            prebuilt: prebuilt
                .iter()
                .find(|(p, _)| p == package)
                .map(|(_, b)| b.as_slice()),
            ..settings
        };
        let mut progress = Progress {
            printer,
            spinner: None,
        };
        let image = build_images(
            &plan,
            |name| {
                let created_by = format!("envelope build {package}");
                image::image_options(&args.image, name, epoch, created_by)
            },
            &mut progress,
        )?;
        let destination = match &repo {
            Some(repo) => Some(image::repo_output(
                repo,
                &image.name,
                image.import_path.as_deref().unwrap_or(package),
                image::RepoNaming {
                    preserve_import_paths: args.preserve_import_paths,
                    bare: args.bare,
                },
                &args.image.push_tags,
            )?),
            None => None,
        };
        built.push((package, image, destination, started.elapsed().as_secs_f64()));
    }
    check_unique_names(
        built
            .iter()
            .map(|(package, image, dest, _)| (package.as_str(), dest_key(&image.name, dest))),
    )?;
    let to_write: Vec<image::ToWrite<'_>> = built
        .iter()
        .map(|(package, built, destination, seconds)| image::ToWrite {
            package,
            args: &args.image,
            built,
            destination: destination.clone(),
            seconds: *seconds,
        })
        .collect();
    let reports = image::write_images(&to_write, &outputs, &args.image.registry, printer)?;
    if let Some(file) = &args.image_refs {
        image::write_image_refs(file, args.image.format, &reports)?;
    }
    Ok(reports)
}

/// A package to build, as given or as a pattern matched it.
struct Target {
    package: String,
    /// Matched by a pattern: a main package, by import path.
    listed: bool,
}

/// The arguments with each pattern (./..., ./cmd/...) replaced by the main
/// packages it matches, by import path; a pattern that matches none is an
/// error naming what it matched.
fn expand_patterns(
    go: &GoTool,
    workdir: &Path,
    given: &[String],
    platform: &Platform,
    printer: &Printer,
) -> Result<Vec<Target>> {
    let mut packages: Vec<Target> = Vec::new();
    for arg in given {
        if !gobuild::is_pattern(arg) {
            packages.push(Target {
                package: arg.clone(),
                listed: false,
            });
            continue;
        }
        let listed = list_packages(go, workdir, arg, platform)?;
        let (mains, others): (Vec<ListedPackage>, Vec<ListedPackage>) =
            listed.into_iter().partition(|p| p.name == "main");
        if mains.is_empty() {
            let matched = if others.is_empty() {
                "no package".to_string()
            } else {
                others
                    .iter()
                    .map(|p| format!("{} (package {})", p.import_path, p.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(hinted(
                format!("{arg} matches no main package; it matches {matched}"),
                "only commands (package main) become images; give a pattern that matches one, e.g. ./cmd/...",
            ));
        }
        for p in &others {
            printer.detail(format!(
                "skipping {} (package {}, not a command)",
                p.import_path, p.name
            ));
        }
        for p in mains {
            if !packages.iter().any(|t| t.package == p.import_path) {
                packages.push(Target {
                    package: p.import_path,
                    listed: true,
                });
            }
        }
    }
    Ok(packages)
}

/// What two images must not share: the repository they are pushed to, or
/// else their name (their tag in a shared layout).
fn dest_key(name: &str, destination: &Option<envelope_oci::ImageRef>) -> String {
    match destination {
        Some(d) => d.to_string(),
        None => name.to_string(),
    }
}

/// Two packages whose images would land in the same place.
fn check_unique_names<'a>(images: impl Iterator<Item = (&'a str, String)>) -> Result<()> {
    let mut seen: Vec<(&str, String)> = Vec::new();
    for (package, key) in images {
        if let Some((first, _)) = seen.iter().find(|(_, k)| *k == key) {
            return Err(hinted(
                format!("{first} and {package} both make the image {key}"),
                "build them separately with --name, or push with --preserve-import-paths to name each by its import path",
            ));
        }
        seen.push((package, key));
    }
    Ok(())
}

fn parse_platforms(given: &[String]) -> Result<Vec<Platform>> {
    if given.is_empty() {
        return Ok(vec![host_platform()]);
    }
    let mut out: Vec<Platform> = Vec::new();
    for p in given.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let plat: Platform = p.parse().map_err(|e| BuildError::Platform {
            platform: p.to_string(),
            detail: format!("{e}"),
        })?;
        gobuild::go_env(&plat)?;
        if out.contains(&plat) {
            anyhow::bail!("platform {p} is given twice");
        }
        out.push(plat);
    }
    if out.is_empty() {
        anyhow::bail!("--platform is empty; give OS/ARCH, e.g. linux/amd64");
    }
    Ok(out)
}

/// linux and this machine's architecture, in Go's names.
pub fn host_platform() -> Platform {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        "riscv64" => "riscv64",
        "s390x" => "s390x",
        "arm" => "arm",
        other => other,
    };
    Platform {
        architecture: arch.to_string(),
        os: "linux".to_string(),
        os_version: None,
        os_features: None,
        variant: None,
    }
}

/// The build's progress on stderr: the `go build` command line with
/// --verbose, a spinner while it runs, and its output as it comes.
struct Progress<'a> {
    printer: &'a Printer,
    spinner: Option<ProgressBar>,
}

impl Reporter for Progress<'_> {
    fn go_build_started(&mut self, build: &GoBuild<'_>, env: &[(&'static str, String)]) {
        self.printer.detail(format!(
            "CGO_ENABLED=0 {} go {}",
            env.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" "),
            build
                .args()
                .iter()
                .map(|a| shell_quote(&a.to_string_lossy()))
                .collect::<Vec<_>>()
                .join(" ")
        ));
        self.spinner = Some(self.printer.spinner(format!(
            "go build {} ({})",
            build.shown(),
            build.platform
        )));
    }

    fn go_output(&mut self, line: &str) {
        match &self.spinner {
            Some(spinner) if !spinner.is_hidden() => spinner.println(line),
            _ => eprintln!("{line}"),
        }
    }

    fn go_build_finished(&mut self, _package: &str, _platform: &Platform) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
    }
}

/// Quotes a word for a POSIX shell when it needs it, so --verbose lines can
/// be pasted.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("-trimpath"), "-trimpath");
        assert_eq!(shell_quote("-ldflags=-s -w"), "'-ldflags=-s -w'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
