//! `envelope lint`, `envelope rules`, `envelope rule`: find the files
//! (Dockerfiles and Kubernetes manifests), lint them in parallel, apply or
//! show fixes, render the report, and map it to the exit status (0 clean,
//! 1 a finding at or above --fail-on, 2 errors).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use envelope_cli::{ImagesFrom, LintArgs, ListFormat, RuleArgs, RulesArgs};
use envelope_diagnostics::{render, Format, Report};
use envelope_lint::{
    all_infos, is_dockerfile_name, is_skipped_dir, kubernetes, lint_infos, rule_by_code,
    BuildContext, FileResult, Settings,
};

use crate::printer::{hinted, Printer, BOLD, DIM};

/// A file to lint: where to read it and how to name it.
struct Input {
    /// `None` for standard input.
    path: Option<PathBuf>,
    shown: String,
    build: Option<BuildContext>,
    what: What,
}

/// What a file is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    Dockerfile,
    /// A Kubernetes manifest named on the command line.
    Manifest,
    /// A `.yaml`, `.yml` or `.json` file found by walking a directory:
    /// linted if it holds Kubernetes objects, else passed over silently.
    MaybeManifest,
    /// Standard input: decided by its content.
    Either,
}

/// Walked manifests larger than this are passed over (lock files,
/// generated schemas and data are not manifests).
const MAX_WALKED_MANIFEST: u64 = 16 << 20;

/// Is this file name one a directory walk reads as a possible manifest?
fn is_manifest_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".yaml", ".yml", ".json"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

struct Outcome {
    result: FileResult,
    /// Kubernetes objects of kinds without rules, by kind.
    skipped: BTreeMap<String, usize>,
    /// A walked file that holds no Kubernetes object: not reported.
    passed_over: bool,
    /// The fixed text, when fixing or diffing changed something.
    fixed: Option<(String, usize)>,
    /// With `--diff` and the unsafe fixes held back: the text with them
    /// applied too, when they change something, and how many there were.
    unsafe_fixed: Option<(String, usize)>,
    original: String,
}

/// `--build-arg` and `--platform` into the settings.
fn build_settings(args: &LintArgs, settings: &mut Settings) -> Result<()> {
    for a in &args.build_arg {
        let (name, value) = match a.split_once('=') {
            Some((n, v)) => (n.to_string(), v.to_string()),
            // As docker does: `NAME` alone is the environment's, if set.
            None => match std::env::var(a) {
                Ok(v) => (a.clone(), v),
                Err(_) => continue,
            },
        };
        if name.is_empty() {
            bail!(hinted(
                format!("--build-arg `{a}` has no name"),
                "write --build-arg NAME=value",
            ));
        }
        settings.build_args.insert(name, value);
    }
    for p in &args.platform {
        let platform: envelope_oci::Platform = p.parse().map_err(|e| {
            hinted(
                format!("--platform `{p}`: {e}"),
                "write OS/ARCH[/VARIANT], e.g. linux/arm64",
            )
        })?;
        settings.platforms.push(platform.to_string());
    }
    Ok(())
}

pub fn run(args: LintArgs, printer: &Printer) -> Result<ExitCode> {
    let mut settings = crate::findings::settings(&args.selection, "lint")?;
    build_settings(&args, &mut settings)?;
    settings.unsafe_fixes |= args.unsafe_fixes;
    let inputs = inputs(&args, settings.context.as_deref(), printer)?;
    let want_fixes = args.fix || args.diff;
    // `--diff` shows the unsafe fixes too, apart and marked.
    let show_unsafe = args.diff && !settings.unsafe_fixes;

    // Standard input is read up front; files are read by the workers.
    let mut stdin_text: Option<Vec<u8>> = None;
    if inputs.iter().any(|i| i.path.is_none()) {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("reading standard input")?;
        stdin_text = Some(buf);
    }

    // Images are looked up only when asked: lint stays fast and offline.
    let registry = (args.images == Some(ImagesFrom::Registry)).then(|| args.registry.clone());
    let lookup = if args.image_dir.is_empty() && registry.is_none() {
        None
    } else {
        Some(crate::image_lookup::Lookup::new(&args.image_dir, registry)?)
    };
    let images = lookup.as_ref().map(|l| l as &dyn kubernetes::ImageLookup);

    let workers = crate::parallel::workers(usize::MAX, inputs.len());
    let results = crate::parallel::map(&inputs, workers, false, |input| {
        lint_one(
            input,
            stdin_text.as_deref(),
            &settings,
            images,
            want_fixes,
            show_unsafe,
        )
    });

    let mut report = Report {
        rules: lint_infos().into_iter().copied().collect(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        ..Report::default()
    };
    let mut failed = false;
    let mut fixed_total = 0;
    let mut fixed_files = 0;
    let mut held_back = 0;
    let mut diffs = String::new();
    let mut unsafe_diffs = String::new();
    for (input, outcome) in inputs.iter().zip(results) {
        let outcome = match outcome {
            Some(Ok(o)) => o,
            Some(Err(e)) => {
                printer.error(&e);
                failed = true;
                continue;
            }
            None => continue,
        };
        if outcome.passed_over {
            continue;
        }
        for (kind, n) in &outcome.skipped {
            *report.skipped.entry(kind.clone()).or_insert(0) += n;
        }
        if let Some((more, _)) = &outcome.unsafe_fixed {
            let base = outcome.fixed.as_ref().map_or(&outcome.original, |(t, _)| t);
            unsafe_diffs.push_str(&unified_diff(&input.shown, base, more));
        }
        if let Some((text, n)) = &outcome.fixed {
            if args.diff {
                diffs.push_str(&unified_diff(&input.shown, &outcome.original, text));
            } else if let Some(path) = &input.path {
                envelope_oci::write_atomic(path, text.as_bytes())
                    .with_context(|| format!("writing the fixes to {}", path.display()))?;
            } else {
                // Fixing standard input: the fixed text is the output.
                print!("{text}");
            }
            fixed_total += n;
            fixed_files += 1;
        }
        if want_fixes && !settings.unsafe_fixes {
            held_back += outcome
                .result
                .diagnostics
                .iter()
                .filter(|d| d.fix.as_ref().is_some_and(|f| !f.is_safe()))
                .count();
        }
        report.files_checked += 1;
        report.diagnostics.extend(outcome.result.diagnostics);
        report.sources.push(outcome.result.source);
    }

    // Every file the walk offered was YAML or JSON that is not a manifest.
    if report.files_checked == 0
        && !failed
        && !inputs.is_empty()
        && inputs.iter().all(|i| i.what == What::MaybeManifest)
    {
        printer.warn(
            "no Dockerfile and no Kubernetes manifest found: the YAML and JSON files hold no object with apiVersion and kind",
        );
    }
    if args.diff {
        let mut out = printer.stdout();
        out.write_all(diffs.as_bytes())?;
        if !unsafe_diffs.is_empty() {
            // Marked apart: on top of the safe fixes, applied only with
            // --unsafe-fixes.
            writeln!(
                out,
                "# unsafe fixes: they may change what runs; only --fix --unsafe-fixes applies them"
            )?;
            if !diffs.is_empty() {
                writeln!(out, "# (each on top of the safe fixes above)")?;
            }
            out.write_all(unsafe_diffs.as_bytes())?;
        }
        printer.status(format!(
            "{fixed_total} fix{} would be applied to {fixed_files} file{}",
            if fixed_total == 1 { "" } else { "es" },
            if fixed_files == 1 { "" } else { "s" }
        ));
        if held_back > 0 {
            printer.status(format!(
                "{held_back} unsafe fix{} shown apart, marked (may change what runs): apply with --fix --unsafe-fixes",
                if held_back == 1 { "" } else { "es" }
            ));
        }
        return Ok(if failed {
            ExitCode::from(2)
        } else if fixed_total > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    if args.fix && fixed_total > 0 {
        printer.status(format!(
            "fixed {fixed_total} finding{} in {fixed_files} file{}",
            if fixed_total == 1 { "" } else { "s" },
            if fixed_files == 1 { "" } else { "s" }
        ));
    }
    if args.fix {
        held_back_note(held_back, "applied", printer);
    }
    let fixing_stdin = args.fix && inputs.iter().any(|i| i.path.is_none());
    if !fixing_stdin {
        let format = crate::findings::format_of(args.format);
        let quiet_clean = printer.quiet && report.diagnostics.is_empty();
        if !(quiet_clean && format == Format::Human) {
            if format == Format::Human {
                let mut out = printer.stdout();
                render(&report, format, true, &mut out)?;
                out.flush()?;
            } else {
                let mut out = printer.data();
                render(&report, format, false, &mut out)?;
                out.flush()?;
            }
        }
    }
    let threshold = settings.fail_on;
    let hit = report.diagnostics.iter().any(|d| d.severity >= threshold);
    Ok(if failed {
        ExitCode::from(2)
    } else if hit {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Says how many unsafe fixes were left out (not `done`) and how to have them.
fn held_back_note(held_back: usize, done: &str, printer: &Printer) {
    if held_back > 0 {
        let (fixes, them) = if held_back == 1 {
            ("fix", "it")
        } else {
            ("fixes", "them")
        };
        printer.status(format!(
            "{held_back} unsafe {fixes} not {done} (may change what runs): review {them} with --diff --unsafe-fixes, apply {them} with --fix --unsafe-fixes"
        ));
    }
}

fn lint_one(
    input: &Input,
    stdin: Option<&[u8]>,
    settings: &Settings,
    images: Option<&dyn kubernetes::ImageLookup>,
    want_fixes: bool,
    show_unsafe: bool,
) -> Result<Outcome> {
    if input.what == What::MaybeManifest {
        if let Some(p) = &input.path {
            let size = std::fs::metadata(p).map_or(0, |m| m.len());
            if size > MAX_WALKED_MANIFEST {
                return Ok(Outcome::passed_over());
            }
        }
    }
    let bytes = match &input.path {
        Some(p) => std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
        None => stdin.unwrap_or_default().to_vec(),
    };
    let manifest = match input.what {
        What::Dockerfile => false,
        What::Manifest => true,
        What::MaybeManifest => {
            if !kubernetes::mentions_object(&String::from_utf8_lossy(&bytes)) {
                return Ok(Outcome::passed_over());
            }
            true
        }
        What::Either => kubernetes::is_manifest_text(&String::from_utf8_lossy(&bytes)),
    };
    let map_err = |e: envelope_lint::LintError| {
        let hint = e.hint();
        hinted(e.to_string(), hint)
    };
    let ctx = input.build.as_ref();
    // A manifest's findings, with the kinds skipped and whether a walked
    // file turned out not to be a manifest.
    let kept = |r: kubernetes::KubeResult| {
        let passed_over = input.what == What::MaybeManifest && !r.is_kubernetes();
        (r.file, (r.skipped, passed_over))
    };
    if !want_fixes {
        let (result, (skipped, passed_over)) = if manifest {
            kept(
                kubernetes::lint_with_images(&input.shown, &bytes, settings, images)
                    .map_err(map_err)?,
            )
        } else {
            let result =
                envelope_lint::lint(&input.shown, &bytes, ctx, settings).map_err(map_err)?;
            (result, (BTreeMap::new(), false))
        };
        return Ok(Outcome {
            result,
            skipped,
            passed_over,
            fixed: None,
            unsafe_fixed: None,
            original: String::new(),
        });
    }
    // Fixing: a Dockerfile or a manifest, the same way.
    let fix = |bytes: &[u8], settings: &Settings| -> Result<(String, FileResult, usize, Kept)> {
        if manifest {
            let (text, result, n) =
                kubernetes::fix_with_images(&input.shown, bytes, settings, images)
                    .map_err(map_err)?;
            let (file, kept) = kept(result);
            Ok((text, file, n, kept))
        } else {
            let (text, result, n) =
                envelope_lint::fix(&input.shown, bytes, ctx, settings).map_err(map_err)?;
            Ok((text, result, n, (BTreeMap::new(), false)))
        }
    };
    let original = String::from_utf8_lossy(&bytes).into_owned();
    let (text, result, n, (skipped, passed_over)) = fix(&bytes, settings)?;
    // What the held-back unsafe fixes would change on top, for --diff.
    let held_back = result
        .diagnostics
        .iter()
        .any(|d| d.fix.as_ref().is_some_and(|f| !f.is_safe()));
    let unsafe_fixed = if show_unsafe && held_back {
        let all = Settings {
            unsafe_fixes: true,
            ..settings.clone()
        };
        let (more, _, m, _) = fix(text.as_bytes(), &all)?;
        (m > 0 && more != text).then_some((more, m))
    } else {
        None
    };
    let fixed = (n > 0 && text != original).then_some((text, n));
    Ok(Outcome {
        result,
        skipped,
        passed_over,
        fixed,
        unsafe_fixed,
        original,
    })
}

/// What a fix run keeps beside the findings: the kinds skipped, and
/// whether a walked file turned out not to be a manifest.
type Kept = (BTreeMap<String, usize>, bool);

impl Outcome {
    fn passed_over() -> Outcome {
        Outcome {
            result: FileResult {
                source: envelope_lint::Source::default(),
                diagnostics: Vec::new(),
            },
            skipped: BTreeMap::new(),
            passed_over: true,
            fixed: None,
            unsafe_fixed: None,
            original: String::new(),
        }
    }
}

fn inputs(args: &LintArgs, configured: Option<&Path>, printer: &Printer) -> Result<Vec<Input>> {
    let context = match args.context.as_deref().or(configured) {
        Some(dir) if dir.is_dir() => Some(dir.to_path_buf()),
        Some(dir) => bail!(hinted(
            format!("the build context {} is not a directory", dir.display()),
            "give --context (or `context` in envelope.toml) the directory `docker build` is run on"
        )),
        None => None,
    };
    // The given context, else the Dockerfile's folder.
    let build = |dockerfile_dir: PathBuf| {
        Some(match &context {
            Some(c) => BuildContext::new(c).with_dockerfile_dir(dockerfile_dir),
            None => BuildContext::new(dockerfile_dir),
        })
    };
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            let shown = args
                .stdin_filename
                .as_ref()
                .map_or("-".to_string(), |f| f.display().to_string());
            let build = match (&args.stdin_filename, &context) {
                (Some(f), _) => build(parent_dir(f)),
                (None, Some(c)) => Some(BuildContext::new(c)),
                (None, None) => None,
            };
            let what = match &args.stdin_filename {
                Some(f) if is_manifest_name(&f.to_string_lossy()) => What::Manifest,
                Some(f)
                    if is_dockerfile_name(&f.file_name().unwrap_or_default().to_string_lossy()) =>
                {
                    What::Dockerfile
                }
                _ => What::Either,
            };
            out.push(Input {
                path: None,
                shown,
                build,
                what,
            });
            continue;
        }
        let meta = std::fs::metadata(&p).map_err(|e| {
            hinted(
                format!("cannot read {}: {e}", p.display()),
                "give Dockerfiles, Kubernetes manifests or directories holding them",
            )
        })?;
        if meta.is_file() {
            let what = if is_manifest_name(&p.to_string_lossy()) {
                What::Manifest
            } else {
                What::Dockerfile
            };
            out.push(Input {
                shown: shown(&p),
                build: build(parent_dir(&p)),
                path: Some(p),
                what,
            });
            continue;
        }
        let mut found: Vec<(PathBuf, What)> = Vec::new();
        let walker = ignore::WalkBuilder::new(&p)
            .hidden(false)
            .require_git(false)
            .filter_entry(|e| {
                e.depth() == 0
                    || !(e.file_type().is_some_and(|t| t.is_dir())
                        && is_skipped_dir(&e.file_name().to_string_lossy()))
            })
            .build();
        for entry in walker {
            let entry = entry.with_context(|| format!("walking {}", p.display()))?;
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let name = entry.file_name().to_string_lossy();
            if is_dockerfile_name(&name) {
                found.push((entry.into_path(), What::Dockerfile));
            } else if is_manifest_name(&name) {
                found.push((entry.into_path(), What::MaybeManifest));
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        if found.is_empty() {
            printer.warn(format!(
                "no Dockerfile, Containerfile, *.Dockerfile, Dockerfile.*, Dockerfile-* or Kubernetes manifest (*.yaml, *.yml, *.json) under {}",
                p.display()
            ));
        }
        for (f, what) in found {
            out.push(Input {
                shown: shown(&f),
                build: build(parent_dir(&f)),
                path: Some(f),
                what,
            });
        }
    }
    Ok(out)
}

fn parent_dir(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A path as the user would write it: relative, without a leading `./`.
fn shown(p: &Path) -> String {
    let s = p.display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

fn prefixed(side: &str, name: &str) -> String {
    if name.starts_with('/') {
        name.to_string()
    } else {
        format!("{side}/{name}")
    }
}

fn unified_diff(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        // `a/Dockerfile` as git writes it; an absolute path is kept as is.
        .header(&prefixed("a", name), &prefixed("b", name))
        .to_string()
}

pub fn rules(args: RulesArgs, printer: &Printer) -> Result<ExitCode> {
    let mut out = printer.stdout();
    match args.format {
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = all_infos()
                .into_iter()
                .map(|i| {
                    serde_json::json!({
                        "code": i.code,
                        "name": i.name,
                        "severity": i.severity.as_str(),
                        "fixable": i.fixable,
                        "enabled_by_default": i.enabled_by_default,
                        "summary": i.summary(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        ListFormat::Human => {
            for i in all_infos() {
                let mut flags = Vec::new();
                if i.fixable {
                    flags.push("fix");
                }
                if !i.enabled_by_default {
                    flags.push("off");
                }
                writeln!(
                    out,
                    "{BOLD}{}{BOLD:#}  {:<28} {:<7} {:<7}  {DIM}{}{DIM:#}",
                    i.code,
                    i.name,
                    i.severity.as_str(),
                    flags.join(","),
                    i.summary()
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn rule(args: RuleArgs, printer: &Printer) -> Result<ExitCode> {
    let Some(info) = rule_by_code(args.code.trim()) else {
        let codes: Vec<&str> = all_infos().iter().map(|i| i.code).collect();
        bail!(hinted(
            format!("no rule `{}`", args.code),
            format!("the codes are {}", codes.join(", "))
        ));
    };
    let mut out = printer.stdout();
    write!(out, "{}", info.markdown())?;
    Ok(ExitCode::SUCCESS)
}
