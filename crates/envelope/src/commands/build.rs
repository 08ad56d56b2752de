//! `envelope build`: `go build` each package for each platform with the
//! hardened flags, then assemble and write the images.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use envelope_build::{gobuild, BuildError, Cache, GoBuild, GoTool, PlatformBinary};
use envelope_cli::BuildArgs;
use envelope_oci::Platform;

use super::image::{self, ImageReport};
use crate::printer::Printer;

pub fn run(args: BuildArgs, printer: &Printer) -> Result<ExitCode> {
    let epoch = image::source_date_epoch()?;
    let platforms = parse_platforms(&args.platform)?;
    let outputs = image::parse_outputs(&args.image.outputs)?;
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
        let key = format!("{}\0{package}", cwd.display());
        let bin_dir = cache.binary_dir(&key)?;
        let mut binaries = Vec::new();
        for platform in &platforms {
            let out = bin_dir.join(platform.to_string().replace('/', "-"));
            let build = GoBuild {
                package,
                platform,
                ldflags: args.ldflags.as_deref(),
                tags: args.tags.as_deref(),
                output: &out,
            };
            printer.detail(format!(
                "CGO_ENABLED=0 {} go {}",
                gobuild::go_env(platform)?
                    .iter()
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
            let spinner = printer.spinner(format!("go build {package} ({platform})"));
            let result = envelope_build::go_build(&go, &build, &mut |line| {
                if spinner.is_hidden() {
                    eprintln!("{line}");
                } else {
                    spinner.println(line);
                }
            });
            spinner.finish_and_clear();
            result?;
            let data = std::fs::read(&out)
                .with_context(|| format!("reading the binary go built at {}", out.display()))?;
            if !data.starts_with(b"\x7fELF") {
                return Err(BuildError::NotMainPackage {
                    package: package.clone(),
                    name: gobuild::package_name(&go, package, platform),
                }
                .into());
            }
            binaries.push(PlatformBinary {
                platform: platform.clone(),
                data: Arc::new(data),
                source: format!("{package} ({platform})"),
            });
        }
        let name = match &args.image.name {
            Some(n) => n.clone(),
            None => name_from_binary(&binaries[0].data, package),
        };
        let created_by = format!("envelope build {package}");
        let opts = image::image_options(&args.image, &name, epoch, created_by)?;
        let mut images = Vec::new();
        for (i, bin) in binaries.iter().enumerate() {
            let base = bases.as_ref().and_then(|b| b.get(i));
            images.push(envelope_build::platform_image(&opts, bin, base, &cache)?);
        }
        let built = envelope_build::assemble(&images, false);
        let outs = if outputs.is_empty() {
            vec![image::default_output(&name)]
        } else {
            outputs.clone()
        };
        let written = image::write_outputs(
            &built,
            &outs,
            &name,
            packages.len() > 1,
            &args.image,
            printer,
        )?;
        reports.push(image::report_of(
            &name,
            Some(package),
            &built,
            &images,
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

/// The binary's name as `go build` would choose it: the main package path's
/// last element, skipping a major-version suffix (example.com/x/v2 → x).
pub fn name_from_binary(data: &[u8], package: &str) -> String {
    let path = envelope_golang::buildinfo::read(data)
        .ok()
        .flatten()
        .map(|b| b.path)
        .filter(|p| !p.is_empty() && p != "command-line-arguments");
    let path = path.unwrap_or_else(|| {
        let p = package.trim_end_matches('/');
        let p = p.strip_suffix(".go").unwrap_or(p);
        p.to_string()
    });
    let mut parts: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if parts.len() > 1 {
        if let Some(last) = parts.last() {
            let major = last
                .strip_prefix('v')
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
            if major {
                parts.pop();
            }
        }
    }
    let name = parts.last().copied().unwrap_or("app");
    let name: String = name
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
