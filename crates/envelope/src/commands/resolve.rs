//! `envelope resolve` and `envelope apply`: the `envelope://PKG` and
//! `ko://PKG` scalars of Kubernetes YAML (or JSON) name Go main packages;
//! each package is built once by `build` and pushed to the default
//! repository, and each reference is replaced by the pushed `REPO@sha256:`
//! reference. envelope-yaml finds the scalars and splices the new values
//! in, so no other byte of a file changes. Every file is read and every
//! image built before anything is written; `apply` hands the result to
//! `kubectl apply -f -`.

use std::collections::BTreeMap;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};

use anyhow::{bail, Context, Result};
use envelope_build::{list_packages, GoTool};
use envelope_cli::{ApplyArgs, BuildArgs, ImageArgs, ResolveArgs, ResolveInput};
use envelope_oci::{ImageRef, Platform};

use crate::outputs::{self, RepoNaming};
use crate::printer::{hinted, Printer};

const SCHEMES: [&str; 2] = ["envelope://", "ko://"];

fn is_reference(value: &str) -> bool {
    SCHEMES.iter().any(|s| value.starts_with(s))
}

/// A file (or standard input) to resolve, as read.
struct Source {
    /// How messages name it: its path as given, or `-`.
    name: String,
    /// None for standard input.
    path: Option<PathBuf>,
    text: String,
}

/// One `envelope://` or `ko://` scalar that can be rewritten.
struct Reference {
    source: usize,
    range: Range<usize>,
    line: usize,
    /// As written, scheme included.
    value: String,
}

impl Reference {
    /// The package, as written after the scheme.
    fn package(&self) -> &str {
        SCHEMES
            .iter()
            .find_map(|s| self.value.strip_prefix(s))
            .unwrap_or(&self.value)
    }
}

pub fn run(args: ResolveArgs, printer: &Printer) -> Result<ExitCode> {
    if args.in_place && args.input.files.iter().any(|f| f.as_os_str() == "-") {
        bail!("--in-place cannot write back to -, standard input");
    }
    let sources = read_sources(&args.input)?;
    if args.check {
        return check(&sources, printer);
    }
    let references = references(&sources)?;
    let Some(resolved) = resolve(args.input, &sources, &references, args.dry_run, printer)? else {
        return Ok(ExitCode::SUCCESS);
    };
    if args.in_place {
        for (source, text) in sources.iter().zip(&resolved) {
            let Some(path) = &source.path else { continue };
            if *text != source.text {
                envelope_oci::write_atomic(path, text.as_bytes())
                    .with_context(|| format!("writing {}", source.name))?;
                printer.status(format!("resolved {}", source.name));
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = printer.stdout();
    out.write_all(joined(&resolved).as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn apply(args: ApplyArgs, printer: &Printer) -> Result<ExitCode> {
    let Some(kubectl) = find_on_path("kubectl") else {
        return Err(hinted(
            "kubectl is not on PATH; envelope apply hands the resolved YAML to `kubectl apply -f -`",
            "install kubectl (https://kubernetes.io/docs/tasks/tools/), or run `envelope resolve` and pipe its output to your deployment tool",
        ));
    };
    let sources = read_sources(&args.input)?;
    let references = references(&sources)?;
    let Some(resolved) = resolve(args.input, &sources, &references, false, printer)? else {
        return Ok(ExitCode::SUCCESS);
    };
    let mut child = std::process::Command::new(&kubectl)
        .args(["apply", "-f", "-"])
        .args(&args.kubectl_args)
        .stdin(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", kubectl.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A kubectl that exits early closes the pipe; its status says why.
        let _ = stdin.write_all(joined(&resolved).as_bytes());
    }
    let status = child
        .wait()
        .with_context(|| format!("waiting for {}", kubectl.display()))?;
    if !status.success() {
        bail!("kubectl apply failed ({status}); the images are pushed");
    }
    Ok(ExitCode::SUCCESS)
}

/// The files the arguments name, in their order: a directory's `.yaml`,
/// `.yml` and `.json` files sorted by name (and its subdirectories' with
/// `-R`), `-` for standard input.
fn read_sources(input: &ResolveInput) -> Result<Vec<Source>> {
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut sources = Vec::new();
    for given in &input.files {
        if given.as_os_str() == "-" {
            if sources.iter().any(|s: &Source| s.path.is_none()) {
                bail!("-f - (standard input) is given twice");
            }
            let text = std::io::read_to_string(std::io::stdin())
                .context("reading standard input (UTF-8 YAML)")?;
            sources.push(Source {
                name: "-".into(),
                path: None,
                text,
            });
            continue;
        }
        let meta =
            std::fs::metadata(given).with_context(|| format!("reading {}", given.display()))?;
        paths.clear();
        if meta.is_dir() {
            collect_dir(given, input.recursive, &mut paths)?;
            if paths.is_empty() {
                bail!(
                    "{} holds no .yaml, .yml or .json file{}",
                    given.display(),
                    if input.recursive {
                        ""
                    } else {
                        " (-R reads its subdirectories)"
                    }
                );
            }
        } else {
            paths.push(given.clone());
        }
        for path in &paths {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {} (UTF-8 YAML)", path.display()))?;
            sources.push(Source {
                name: path.display().to_string(),
                path: Some(path.clone()),
                text,
            });
        }
    }
    Ok(sources)
}

fn collect_dir(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .collect::<std::io::Result<Vec<_>>>()
        .with_context(|| format!("reading {}", dir.display()))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        // A symbolic link to a directory is not followed: it could loop.
        let kind = entry
            .file_type()
            .with_context(|| format!("reading {}", path.display()))?;
        if kind.is_dir() {
            if recursive {
                collect_dir(&path, recursive, out)?;
            }
            continue;
        }
        let wanted = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| ["yaml", "yml", "json"].contains(&e.to_ascii_lowercase().as_str()));
        if wanted && path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// Parses a source, naming it and the position in a syntax error.
fn parse<T>(
    source: &Source,
    find: impl FnOnce(&str) -> Result<T, envelope_yaml::Error>,
) -> Result<T> {
    find(&source.text).map_err(|e| match e {
        envelope_yaml::Error::Syntax {
            line,
            column,
            message,
        } => hinted(
            format!("{}:{line}:{column}: not valid YAML: {message}", source.name),
            "nothing was built or written; fix the file and run again",
        ),
        other => anyhow::Error::new(other).context(source.name.clone()),
    })
}

/// Every reference in the sources, in their order. A reference that
/// cannot be rewritten byte for byte (a block scalar, escapes) is an
/// error, as leaving it would deploy `ko://...` as an image.
fn references(sources: &[Source]) -> Result<Vec<Reference>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        let found = parse(source, |t| envelope_yaml::find_scalars(t, is_reference))?;
        for s in found.skipped {
            problems.push(format!(
                "{}:{}: the reference {} {}",
                source.name,
                s.line,
                s.value.as_deref().unwrap_or_default().trim_end(),
                s.reason
            ));
        }
        out.extend(found.values.into_iter().map(|v| Reference {
            source: i,
            range: v.range,
            line: v.line,
            value: v.value,
        }));
    }
    if !problems.is_empty() {
        return Err(hinted(
            problems.join("\n"),
            "write each reference as a plain or quoted one-line value, e.g. image: ko://example.com/app/cmd/api",
        ));
    }
    Ok(out)
}

/// `--check`: lists what a deployment would pull by name rather than by
/// digest: references left unresolved, and `image:` values without one.
fn check(sources: &[Source], printer: &Printer) -> Result<ExitCode> {
    let mut lines: Vec<String> = Vec::new();
    for source in sources {
        let found = parse(source, |t| envelope_yaml::find_scalars(t, is_reference))?;
        let images = parse(source, |t| envelope_yaml::find_values(t, "image"))?;
        let mut here: Vec<(usize, String)> = Vec::new();
        let refs = found
            .values
            .iter()
            .map(|v| (v.line, v.value.as_str()))
            .chain(
                found
                    .skipped
                    .iter()
                    .map(|s| (s.line, s.value.as_deref().unwrap_or_default())),
            );
        for (line, value) in refs {
            here.push((line, format!("{} is not resolved", value.trim_end())));
        }
        let tagged = images
            .values
            .iter()
            .map(|v| (v.line, v.value.as_str()))
            .chain(
                images
                    .skipped
                    .iter()
                    .filter_map(|s| Some((s.line, s.value.as_deref()?))),
            );
        for (line, value) in tagged {
            if !is_reference(value) && !value.contains("@sha256:") {
                here.push((
                    line,
                    format!("image: {} is not pinned by digest", value.trim_end()),
                ));
            }
        }
        here.sort();
        lines.extend(
            here.into_iter()
                .map(|(line, what)| format!("{}:{line}: {what}", source.name)),
        );
    }
    if lines.is_empty() {
        printer.status(format!(
            "{} file{}: every image is referenced by digest",
            sources.len(),
            if sources.len() == 1 { "" } else { "s" }
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = printer.stdout();
    for line in &lines {
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(ExitCode::from(1))
}

/// A package the references name, checked by `go list`: its import path
/// and the references to it.
struct Package<'a> {
    import_path: String,
    references: Vec<&'a Reference>,
}

/// Builds each package once and returns each source with its references
/// replaced; with `dry_run`, lists what would be built and returns None.
fn resolve(
    input: ResolveInput,
    sources: &[Source],
    references: &[Reference],
    dry_run: bool,
    printer: &Printer,
) -> Result<Option<Vec<String>>> {
    let at = |r: &Reference| format!("{}:{}", sources[r.source].name, r.line);
    if references.is_empty() {
        printer.status("no envelope:// or ko:// reference; nothing to build");
        return Ok(if dry_run {
            None
        } else {
            Some(sources.iter().map(|s| s.text.clone()).collect())
        });
    }
    let Some(repo) = outputs::default_repo() else {
        return Err(hinted(
            "the images of envelope:// and ko:// references go to the default repository, and there is none",
            "set ENVELOPE_REPO (or KO_DOCKER_REPO) to REGISTRY/REPOSITORY; nothing was built",
        ));
    };
    let packages = check_packages(&input, references, &at, printer)?;
    let naming = RepoNaming {
        preserve_import_paths: input.preserve_import_paths,
        bare: input.bare,
    };
    // The nearest envelope.toml (or .ko.yaml) applies, as for build.
    let build_args = BuildArgs {
        preserve_import_paths: input.preserve_import_paths,
        bare: input.bare,
        platform: input.platform,
        ..BuildArgs::for_packages(
            packages.iter().map(|p| p.import_path.clone()).collect(),
            ImageArgs {
                push_tags: input.tags,
                registry: input.registry,
                ..ImageArgs::defaults()
            },
        )
    };
    if dry_run {
        let mut out = printer.stdout();
        // Named as the build will name them (envelope.toml's tables too).
        let names = crate::commands::build::image_names(&build_args, printer)?;
        for p in &packages {
            let name = names
                .iter()
                .find(|(package, _)| *package == p.import_path)
                .map_or_else(
                    || envelope_build::pipeline::name_from_binary(&[], &p.import_path),
                    |(_, name)| name.clone(),
                );
            let destination = outputs::repo_output(
                &repo,
                &name,
                &p.import_path,
                naming,
                &build_args.image.push_tags,
            )?;
            let shown = match &destination {
                ImageRef::Docker { reference } => reference.clone(),
                other => other.to_string(),
            };
            writeln!(out, "{} -> {shown}", p.import_path)?;
            for r in &p.references {
                writeln!(out, "  {}", at(r))?;
            }
        }
        out.flush()?;
        return Ok(None);
    }
    let reports = crate::commands::build::build(&build_args, printer)?;
    // The pushed reference by digest (REPO/NAME@sha256:...), by package.
    let mut pushed: BTreeMap<&str, String> = BTreeMap::new();
    for report in &reports {
        let Some(package) = report.package.as_deref() else {
            continue;
        };
        let Some(output) = report.outputs.first() else {
            bail!("{package} was built, and pushed nowhere");
        };
        let by_tag = output.split_once('@').map_or(output.as_str(), |(r, _)| r);
        let target = crate::images::parse_registry_ref(by_tag)?;
        let reference = format!("{}@{}", target.name(), report.digest);
        printer.status(format!("{package} -> {reference}"));
        pushed.insert(package, reference);
    }
    let mut edits: Vec<Vec<(Range<usize>, String)>> = vec![Vec::new(); sources.len()];
    for p in &packages {
        let Some(reference) = pushed.get(p.import_path.as_str()) else {
            bail!("{} was not built", p.import_path);
        };
        for r in &p.references {
            edits[r.source].push((r.range.clone(), reference.clone()));
        }
    }
    sources
        .iter()
        .zip(&edits)
        .map(|(s, e)| envelope_yaml::splice(&s.text, e).with_context(|| s.name.clone()))
        .collect::<Result<Vec<String>>>()
        .map(Some)
}

/// The distinct packages of the references, in the order they first
/// appear, each checked to be a main package (`go list` in the current
/// directory's module); two spellings of one package are one.
fn check_packages<'a>(
    input: &ResolveInput,
    references: &'a [Reference],
    at: &dyn Fn(&Reference) -> String,
    printer: &Printer,
) -> Result<Vec<Package<'a>>> {
    let go = GoTool::find()?;
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let platform: Platform = match input.platform.first() {
        Some(p) => p
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("bad --platform {p:?}: {e}"))?,
        None => crate::commands::build::host_platform(),
    };
    let mut listed: BTreeMap<&str, String> = BTreeMap::new();
    let mut packages: Vec<Package<'a>> = Vec::new();
    for r in references {
        let package = r.package();
        if !listed.contains_key(package) {
            if package.is_empty() || envelope_build::gobuild::is_pattern(package) {
                return Err(hinted(
                    format!("{}: {} names no single package", at(r), r.value),
                    "write ko://IMPORT/PATH or ko://./relative/dir, one main package each",
                ));
            }
            printer.detail(format!("go list {package}"));
            let found = list_packages(&go, &cwd, package, &platform)
                .with_context(|| format!("{}: {}", at(r), r.value))?;
            let main = match found.as_slice() {
                [one] if one.name == "main" => one.import_path.clone(),
                [one] => {
                    return Err(hinted(
                        format!(
                            "{}: {} is package {}, not a command",
                            at(r),
                            one.import_path,
                            one.name
                        ),
                        "a reference names a main package, the program the image runs",
                    ))
                }
                _ => bail!("{}: {} matches no single package", at(r), r.value),
            };
            listed.insert(package, main);
        }
        let Some(import_path) = listed.get(package) else {
            continue;
        };
        match packages.iter_mut().find(|p| p.import_path == *import_path) {
            Some(p) => p.references.push(r),
            None => packages.push(Package {
                import_path: import_path.clone(),
                references: vec![r],
            }),
        }
    }
    Ok(packages)
}

/// The resolved sources as one stream: `---` between files, each ending
/// its last line first.
fn joined(texts: &[String]) -> String {
    let mut out = String::with_capacity(texts.iter().map(|t| t.len() + 5).sum());
    for (i, text) in texts.iter().enumerate() {
        if i > 0 {
            if !out.is_empty() && !out.ends_with(['\n', '\r']) {
                out.push('\n');
            }
            out.push_str("---\n");
        }
        out.push_str(text);
    }
    out
}

fn find_on_path(command: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(command))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_joined_by_separators_on_their_own_line() {
        let texts = ["a: 1\n".to_string(), "b: 2".into(), "c: 3\r\n".into()];
        assert_eq!(joined(&texts), "a: 1\n---\nb: 2\n---\nc: 3\r\n");
        assert_eq!(joined(&["x".to_string()]), "x");
        assert_eq!(joined(&[String::new(), "y".into()]), "---\ny");
    }

    #[test]
    fn a_reference_names_its_package_after_the_scheme() {
        for (value, package) in [
            ("ko://example.com/a/cmd/x", "example.com/a/cmd/x"),
            ("envelope://./cmd/x", "./cmd/x"),
        ] {
            let r = Reference {
                source: 0,
                range: 0..0,
                line: 1,
                value: value.into(),
            };
            assert!(is_reference(value));
            assert_eq!(r.package(), package);
        }
        assert!(!is_reference("ko:/x") && !is_reference("nginx"));
    }
}
