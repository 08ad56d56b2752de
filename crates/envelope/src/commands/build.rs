//! `envelope build`: envelope-build's pipeline builds each package for
//! each platform (`go build` with the hardened flags, the checks, the
//! images); this command parses the arguments, draws its progress, writes
//! the images and prints the reports.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use envelope_build::{
    build_images, gobuild, BuildError, BuildPlan, Cache, GoBuild, GoTool, Reporter,
};
use envelope_cli::BuildArgs;
use envelope_oci::Platform;
use indicatif::ProgressBar;

use crate::outputs::{self as image, ImageReport};
use crate::printer::Printer;

pub fn run(args: BuildArgs, printer: &Printer) -> Result<ExitCode> {
    let epoch = crate::images::source_date_epoch()?;
    let platforms = parse_platforms(&args.platform)?;
    let outputs = image::parse_outputs(&args.image.outputs, &args.image.push_tags)?;
    let packages = if args.packages.is_empty() {
        vec![".".to_string()]
    } else {
        args.packages.clone()
    };
    image::check_outputs_for_many(&outputs, packages.len())?;
    if args.image.name.is_some() && packages.len() > 1 {
        anyhow::bail!(
            "--name names one image, and {} packages were given",
            packages.len()
        );
    }
    let go = GoTool::find()?;
    printer.detail(format!("go: {}", go.path.display()));
    let cache = Cache::from_env();
    let cwd = std::env::current_dir().context("reading the current directory")?;

    let bases = crate::images::resolve_bases(&args.image, &platforms, cache.root(), printer)?;
    let mut reports: Vec<ImageReport> = Vec::new();
    for package in &packages {
        let started = Instant::now();
        let plan = BuildPlan {
            go: &go,
            cache: &cache,
            workdir: &cwd,
            package,
            platforms: &platforms,
            ldflags: args.ldflags.as_deref(),
            tags: args.tags.as_deref(),
            bases: bases.as_deref(),
            name: args.image.name.as_deref(),
        };
        let mut progress = Progress {
            printer,
            spinner: None,
        };
        let built = build_images(
            &plan,
            |name| {
                let created_by = format!("envelope build {package}");
                image::image_options(&args.image, name, epoch, created_by)
            },
            &mut progress,
        )?;
        let outs = if outputs.is_empty() {
            vec![image::default_output(&built.name)]
        } else {
            outputs.clone()
        };
        let written = image::write_outputs(
            &built.image,
            &outs,
            &built.name,
            packages.len() > 1,
            &args.image,
            printer,
        )?;
        reports.push(image::report_of(
            &built.name,
            Some(package),
            &built.image,
            &built.platforms,
            written,
            started.elapsed().as_secs_f64(),
        ));
    }
    image::print_reports(printer, args.image.format, &reports)?;
    Ok(ExitCode::SUCCESS)
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
        self.spinner = Some(
            self.printer
                .spinner(format!("go build {} ({})", build.package, build.platform)),
        );
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
