//! `envelope build`: envelope-build's pipeline builds each package for
//! each platform (`go build` with the hardened flags, the checks, the
//! images); this command parses the arguments, draws its progress, writes
//! the images and prints the reports.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{bail, Context, Result};
use envelope_build::{
    build_binaries, build_images, gobuild, list_packages, pipeline, BuildError, BuildPlan, Cache,
    GoBuild, GoTool, ListedPackage, Reporter,
};
use envelope_cli::{BuildArgs, ImageArgs, ReportFormat};
use envelope_oci::Platform;
use envelope_project::ko::KoExtras;
use envelope_project::{ImageTable, Layer, Project, Setting, Source, TemplateData};
use indicatif::ProgressBar;

use crate::outputs::{self as image, ImageReport};
use crate::printer::{hinted, Printer};

pub fn run(args: BuildArgs, printer: &Printer) -> Result<ExitCode> {
    let format = args.image.format;
    if let Some(name) = &args.explain {
        let go = GoTool::find()?;
        let planned = plan(&args, &go, printer)?;
        explain(&planned, name, format, printer)?;
        return Ok(ExitCode::SUCCESS);
    }
    let reports = build(&args, printer)?;
    image::print_reports(printer, format, &reports)?;
    Ok(ExitCode::SUCCESS)
}

/// The image each package of the arguments would make, by package (as
/// the build names it: the import path when several are built), with the
/// settings envelope.toml or .ko.yaml give; nothing is built.
pub fn image_names(args: &BuildArgs, printer: &Printer) -> Result<Vec<(String, String)>> {
    let go = GoTool::find()?;
    Ok(plan(args, &go, printer)?
        .into_iter()
        .map(|p| (p.package, p.shown))
        .collect())
}

/// The flags the command line gave (by argument id), so that a flag given
/// with its default value still wins over envelope.toml.
pub fn given_flags(matches: &clap::ArgMatches) -> Vec<String> {
    matches
        .ids()
        .filter(|id| {
            matches.value_source(id.as_str()) == Some(clap::parser::ValueSource::CommandLine)
        })
        .map(|id| id.to_string())
        .collect()
}

/// One image to build and its settings, merged from the command line,
/// its table in envelope.toml and `[build]`.
struct Planned {
    package: String,
    /// Matched by a pattern: a main package, by import path.
    listed: bool,
    /// The image's name when a table or --name gives it.
    name: Option<String>,
    /// The image's name as it will be: `name`, else the binary's.
    shown: String,
    settings: Layer,
    /// The effective image flags.
    image: ImageArgs,
    platforms: Vec<Platform>,
    /// With its templates expanded.
    ldflags: Option<String>,
    gcflags: Option<String>,
    tags: Option<String>,
    /// Go's settings, with their templates expanded.
    go_env: Vec<(String, String)>,
    files: Vec<envelope_build::FileEntry>,
}

/// The packages to build and each one's settings.
fn plan(args: &BuildArgs, go: &GoTool, printer: &Printer) -> Result<Vec<Planned>> {
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let (project, ko) = load_project(args, &cwd, printer)?;
    let cli = cli_layer(args, &cwd)?;
    let empty = Project::default();
    let project_ref = project.as_ref().unwrap_or(&empty);
    let defaults = cli.over(&project_ref.defaults);
    // The packages are listed for the default platforms' first (for
    // `all`, the base's platforms are read per image below).
    let default_platforms = parse_platforms(
        defaults
            .platforms
            .as_ref()
            .filter(|s| !is_all(&s.value))
            .map_or(&[][..], |s| s.value.as_slice()),
    )?;
    // Each table names a main package of the module: by `package`, or by
    // the binary's name.
    let mut tables: Vec<(String, &ImageTable)> = Vec::new();
    if !project_ref.images.is_empty() {
        let mains: Vec<String> =
            list_packages(go, &project_ref.dir, "./...", &default_platforms[0])?
                .into_iter()
                .filter(|p| p.name == "main")
                .map(|p| p.import_path)
                .collect();
        for table in &project_ref.images {
            let import = match &table.layer.package {
                Some(p) => {
                    let arg = package_arg(&p.value, &p.source, project_ref);
                    let listed = list_packages(go, &cwd, &arg, &default_platforms[0])
                        .with_context(|| format!("{}: package {:?}", p.source.location(), p.value))?;
                    match listed.as_slice() {
                        [one] if one.name == "main" => one.import_path.clone(),
                        _ => {
                            return Err(hinted(
                                format!(
                                    "{}: package {:?} of [{}] is not one main package",
                                    p.source.location(),
                                    p.value,
                                    table_label(table)
                                ),
                                "a table's package is the command its image holds, e.g. ./cmd/api",
                            ))
                        }
                    }
                }
                None => match mains.iter().find(|m| pipeline::exec_name(m) == table.name) {
                    Some(m) => m.clone(),
                    None => {
                        return Err(hinted(
                            format!(
                                "{}: [{}] names an image no package builds: no main package of {} is named {}",
                                table.source.location(),
                                table_label(table),
                                project_ref.dir.display(),
                                table.name
                            ),
                            "set `package` in the table to the command it is for, e.g. package = \"./cmd/api\"",
                        ))
                    }
                },
            };
            tables.push((import, table));
        }
    }
    // Without packages on the command line: [build]'s package, else the
    // commands the image tables are for, else the current directory.
    let given = if !args.packages.is_empty() {
        args.packages.clone()
    } else if let Some(p) = &defaults.package {
        vec![package_arg(&p.value, &p.source, project_ref)]
    } else if !tables.is_empty() {
        tables.iter().map(|(import, _)| import.clone()).collect()
    } else {
        vec![".".to_string()]
    };
    let targets = expand_patterns(go, &cwd, &given, &default_platforms[0], printer)?;
    let epoch_set = std::env::var_os("SOURCE_DATE_EPOCH").is_some_and(|v| !v.is_empty());
    let epoch = crate::images::source_date_epoch()?;
    let template_dir = project.as_ref().map_or(cwd.as_path(), |p| p.dir.as_path());
    let data = TemplateData::new(template_dir, epoch_set.then_some(epoch));
    let mut planned = Vec::new();
    for Target { package, listed } in targets {
        let import = if tables.is_empty() && args.explain.is_none() && ko.is_none() {
            None
        } else if listed {
            Some(package.clone())
        } else {
            list_packages(go, &cwd, &package, &default_platforms[0])?
                .into_iter()
                .next()
                .map(|p| p.import_path)
        };
        let table = tables
            .iter()
            .find(|(i, _)| Some(i) == import.as_ref())
            .map(|(_, t)| *t);
        let mut settings = match table {
            Some(t) => cli.over(&t.layer.over(&project_ref.defaults)),
            None => defaults.clone(),
        };
        // ko's kodata/ beside the main package, at /var/run/ko.
        if let Some(kodata) = ko
            .as_ref()
            .zip(import.as_deref())
            .and_then(|(ko, import)| ko.kodata(import))
        {
            let files = settings.files.get_or_insert_with(|| Setting {
                value: Vec::new(),
                source: Source::Flag(".ko.yaml (kodata/)".to_string()),
            });
            files.value.push(kodata);
        }
        let name = args
            .image
            .name
            .clone()
            .or_else(|| table.map(|t| t.name.clone()));
        let shown = name.clone().unwrap_or_else(|| {
            pipeline::exec_name(import.as_deref().unwrap_or(&package)).to_string()
        });
        let image = effective_image_args(&args.image, &settings)?;
        let platforms = match &settings.platforms {
            Some(p) if is_all(&p.value) => base_platforms(&image, printer)
                .with_context(|| format!("platforms \"all\" from {}", p.source))?,
            Some(p) => {
                parse_platforms(&p.value).with_context(|| format!("platforms from {}", p.source))?
            }
            None => default_platforms.clone(),
        };
        let expand = |key: &str, s: &Setting<String>| {
            data.expand(&s.value).map_err(|e| {
                hinted(
                    format!("{}: {key} of {shown}: {e}", s.source.location()),
                    "templates name fields such as {{.Git.FullCommit}}, {{.Date}} or {{.Env.NAME}}",
                )
            })
        };
        let ldflags = match &settings.ldflags {
            Some(l) => Some(expand("ldflags", l)?),
            None => None,
        };
        let gcflags = match &settings.gcflags {
            Some(g) => Some(expand("gcflags", g)?),
            None => None,
        };
        let mut go_env = Vec::new();
        for (k, v) in &settings.go_env {
            go_env.push((k.clone(), expand(&format!("go-env {k}"), v)?));
        }
        planned.push(Planned {
            tags: settings.tags.as_ref().map(|t| t.value.clone()),
            files: settings
                .files
                .as_ref()
                .map(|f| f.value.clone())
                .unwrap_or_default(),
            package,
            listed,
            name,
            shown,
            settings,
            image,
            platforms,
            ldflags,
            gcflags,
            go_env,
        });
    }
    Ok(planned)
}

/// `platforms = ["all"]` (ko's `defaultPlatforms: all`).
fn is_all(platforms: &[String]) -> bool {
    matches!(platforms, [one] if one == "all")
}

/// The platforms of the base, for `platforms = ["all"]`: an index's Linux
/// platforms, or the one of a single image.
fn base_platforms(args: &ImageArgs, printer: &Printer) -> Result<Vec<Platform>> {
    if args.base == "scratch" {
        return Err(hinted(
            "platforms \"all\" means the base's platforms, and the base is scratch",
            "name the platforms, e.g. linux/amd64,linux/arm64",
        ));
    }
    let r = crate::images::parse_registry_ref(&args.base)?;
    let client = crate::images::client(&args.registry)?;
    let cache = envelope_registry::BlobCache::new(envelope_registry::blob_cache_dir(
        Cache::from_env().root(),
    ));
    let (_, bytes) = envelope_registry::resolve_root(&client, &cache, &r)
        .map_err(crate::images::tls_hint)
        .with_context(|| format!("reading the base {r}"))?;
    let mut found: Vec<String> = Vec::new();
    let is_index = serde_json::from_slice::<serde_json::Value>(&bytes)
        .is_ok_and(|v| v.get("manifests").is_some());
    if is_index {
        let index: envelope_oci::ImageIndex =
            serde_json::from_slice(&bytes).with_context(|| format!("the index of the base {r}"))?;
        for p in index.manifests.iter().filter_map(|d| d.platform.as_ref()) {
            if p.os == "linux" && gobuild::go_env(p).is_ok() {
                found.push(p.to_string());
            }
        }
    } else {
        let manifest: envelope_oci::ImageManifest = serde_json::from_slice(&bytes)
            .with_context(|| format!("the base {r} is neither an index nor an image"))?;
        let config = client
            .get_blob(&r, &manifest.config)
            .map_err(crate::images::tls_hint)?;
        let config: envelope_oci::ImageConfiguration = serde_json::from_slice(&config)
            .with_context(|| format!("the config of the base {r}"))?;
        let mut p = Platform::new(&config.os, &config.architecture);
        p.variant = config.variant;
        found.push(p.to_string());
    }
    found.sort();
    found.dedup();
    if found.is_empty() {
        bail!("the base {r} has no Linux platform envelope can build for");
    }
    printer.detail(format!(
        "the base {r} has the platforms {}",
        found.join(", ")
    ));
    parse_platforms(&found)
}

/// `[build.images.api]`, as the file spells it.
fn table_label(table: &ImageTable) -> String {
    match &table.source {
        Source::File { table, .. } => table.clone(),
        _ => format!("build.images.{}", table.name),
    }
}

/// A package named in envelope.toml, relative to its folder.
fn package_arg(value: &str, source: &Source, project: &Project) -> String {
    let relative = value == "." || value.starts_with("./") || value.starts_with("../");
    if relative && matches!(source, Source::File { .. }) {
        project.dir.join(value).display().to_string()
    } else {
        value.to_string()
    }
}

/// envelope.toml's build tables: --config, else the nearest one (as `lint`
/// finds it), else ko's `.ko.yaml` ($KO_CONFIG_PATH, else in the current
/// directory, as ko looks), unless --isolated.
fn load_project(
    args: &BuildArgs,
    cwd: &Path,
    printer: &Printer,
) -> Result<(Option<Project>, Option<KoExtras>)> {
    if args.isolated {
        return Ok((None, None));
    }
    let file = match &args.config {
        Some(p) => Some(p.clone()),
        None => envelope_lint::Settings::discover(cwd),
    };
    if file.is_none() {
        let ko_file = match std::env::var_os("KO_CONFIG_PATH") {
            Some(p) if Path::new(&p).is_dir() => Path::new(&p).join(".ko.yaml"),
            Some(p) => PathBuf::from(p),
            None => cwd.join(".ko.yaml"),
        };
        if ko_file.is_file() {
            let (project, extras) = envelope_project::ko::load(&ko_file).map_err(|e| {
                hinted(
                    e.to_string(),
                    "see docs/config.md for what envelope reads of .ko.yaml",
                )
            })?;
            for w in &extras.warnings {
                printer.warn(w);
            }
            printer.status(format!(
                "building with {}; envelope differs from ko on purpose: {}",
                ko_file.display(),
                envelope_project::ko::DIFFERENCES.join("; ")
            ));
            return Ok((Some(project), Some(extras)));
        }
    }
    let project = match file {
        Some(p) => Project::load(&p).map(Some).map_err(|e| {
            hinted(
                e.to_string(),
                "see docs/config.md for the keys of [build] and [build.images.NAME]",
            )
        }),
        None => Ok(None),
    }?;
    Ok((project, None))
}

/// The settings the command line gives.
fn cli_layer(args: &BuildArgs, cwd: &Path) -> Result<Layer> {
    let given = |id: &str| args.given.iter().any(|g| g == id);
    fn set<T>(value: T, flag: &str) -> Option<Setting<T>> {
        Some(Setting {
            value,
            source: Source::Flag(flag.to_string()),
        })
    }
    fn list(v: &[String], flag: &str) -> Option<Setting<Vec<String>>> {
        if v.is_empty() {
            None
        } else {
            set(v.to_vec(), flag)
        }
    }
    fn pairs(v: &[String], flag: &str) -> Result<BTreeMap<String, Setting<String>>> {
        let mut map = BTreeMap::new();
        for kv in v {
            match kv.split_once('=') {
                Some((k, val)) if !k.is_empty() && !k.contains(char::is_whitespace) => {
                    map.insert(
                        k.to_string(),
                        Setting {
                            value: val.to_string(),
                            source: Source::Flag(flag.to_string()),
                        },
                    );
                }
                _ => bail!("bad {flag} {kv:?}: expected KEY=VALUE"),
            }
        }
        Ok(map)
    }
    fn go_env(map: BTreeMap<String, Setting<String>>) -> Result<BTreeMap<String, Setting<String>>> {
        for k in map.keys() {
            envelope_project::check_go_env(k).map_err(|e| anyhow::anyhow!("bad --go-env: {e}"))?;
        }
        Ok(map)
    }
    fn named(v: impl clap::ValueEnum) -> String {
        v.to_possible_value()
            .map(|p| p.get_name().to_string())
            .unwrap_or_default()
    }
    let i = &args.image;
    let mut files = Vec::new();
    for f in &args.files {
        files.push(envelope_project::parse_file_flag(f, cwd).map_err(anyhow::Error::msg)?);
    }
    Ok(Layer {
        package: None,
        base: given("base")
            .then(|| set(i.base.clone(), "--base"))
            .flatten(),
        platforms: list(&args.platform, "--platform"),
        ldflags: args.ldflags.clone().and_then(|l| set(l, "--ldflags")),
        gcflags: args.gcflags.clone().and_then(|g| set(g, "--gcflags")),
        tags: args.tags.clone().and_then(|t| set(t, "--tags")),
        go_env: go_env(pairs(&args.go_env, "--go-env")?)?,
        labels: pairs(&i.labels, "--label")?,
        annotations: pairs(&i.annotations, "--annotation")?,
        env: pairs(&i.env, "--env")?,
        ports: list(&i.ports, "--port"),
        args: list(&i.args, "--arg"),
        user: i.user.clone().and_then(|u| set(u, "--user")),
        workdir: i.workdir.clone().and_then(|w| set(w, "--workdir")),
        entrypoint: list(&i.entrypoint, "--entrypoint"),
        ca_certs: given("ca_certs")
            .then(|| set(named(i.ca_certs), "--ca-certs"))
            .flatten(),
        tzdata: given("tzdata")
            .then(|| set(named(i.tzdata), "--tzdata"))
            .flatten(),
        compression: given("compression")
            .then(|| set(named(i.compression), "--compression"))
            .flatten(),
        sbom: given("sbom")
            .then(|| set(named(i.sbom), "--sbom"))
            .flatten(),
        files: if files.is_empty() {
            None
        } else {
            set(files, "--file")
        },
    })
}

/// The image flags with the merged settings in place of the command
/// line's.
fn effective_image_args(cli: &ImageArgs, s: &Layer) -> Result<ImageArgs> {
    fn parse<T: clap::ValueEnum>(s: &Option<Setting<String>>, or: T) -> Result<T> {
        match s {
            None => Ok(or),
            Some(v) => T::from_str(&v.value, true)
                .map_err(|e| anyhow::anyhow!("{}: {e}", v.source.location())),
        }
    }
    let list =
        |v: &Option<Setting<Vec<String>>>| v.as_ref().map(|s| s.value.clone()).unwrap_or_default();
    let pairs = |m: &BTreeMap<String, Setting<String>>| {
        m.iter()
            .map(|(k, v)| format!("{k}={}", v.value))
            .collect::<Vec<_>>()
    };
    // What envelope.toml gave is checked here, so its errors name where it
    // was written; the flags are checked with the image options.
    let written = |source: &Source| match source {
        Source::File { .. } => Some(source.location()),
        _ => None,
    };
    if let Some(ports) = &s.ports {
        if let Some(at) = written(&ports.source) {
            for p in &ports.value {
                image::normalize_port(p, &format!("port at {at}:"))?;
            }
        }
    }
    if let Some(user) = &s.user {
        if let Some(at) = written(&user.source) {
            image::validate_user(&user.value, &format!("user at {at}:"))?;
        }
    }
    if let Some(base) = &s.base {
        if let Some(at) = written(&base.source) {
            if base.value != "scratch" {
                crate::images::parse_registry_ref(&base.value)
                    .with_context(|| format!("{at}: bad base {:?}", base.value))?;
            }
        }
    }
    let mut a = cli.clone();
    if let Some(b) = &s.base {
        a.base = b.value.clone();
    }
    a.ports = list(&s.ports);
    a.args = list(&s.args);
    a.env = pairs(&s.env);
    a.labels = pairs(&s.labels);
    a.user = s.user.as_ref().map(|u| u.value.clone());
    a.annotations = pairs(&s.annotations);
    a.workdir = s.workdir.as_ref().map(|w| w.value.clone());
    a.entrypoint = list(&s.entrypoint);
    a.ca_certs = parse(&s.ca_certs, cli.ca_certs)?;
    a.tzdata = parse(&s.tzdata, cli.tzdata)?;
    a.compression = parse(&s.compression, cli.compression)?;
    a.sbom = parse(&s.sbom, cli.sbom)?;
    Ok(a)
}

/// Distinct bases, each resolved for the platforms that use it.
type Bases = Vec<(
    String,
    Vec<Platform>,
    Option<Vec<envelope_build::BaseImage>>,
)>;

/// The build plan of one image.
fn plan_for<'a>(
    p: &'a Planned,
    go: &'a GoTool,
    cache: &'a Cache,
    cwd: &'a Path,
    bases: &'a Bases,
) -> BuildPlan<'a> {
    BuildPlan {
        go,
        cache,
        workdir: cwd,
        package: &p.package,
        platforms: &p.platforms,
        ldflags: p.ldflags.as_deref(),
        gcflags: p.gcflags.as_deref(),
        tags: p.tags.as_deref(),
        go_env: &p.go_env,
        bases: bases
            .iter()
            .find(|(b, ps, _)| *b == p.image.base && *ps == p.platforms)
            .and_then(|(_, _, r)| r.as_deref()),
        name: p.name.as_deref(),
        prebuilt: None,
    }
}

/// `--explain NAME`: each setting of the image, its value and its source.
fn explain(planned: &[Planned], name: &str, format: ReportFormat, printer: &Printer) -> Result<()> {
    let Some(p) = planned.iter().find(|p| p.shown == name) else {
        let known: Vec<&str> = planned.iter().map(|p| p.shown.as_str()).collect();
        return Err(hinted(
            format!("--explain {name}: no image of this build is named {name}"),
            format!("the images are: {}", known.join(", ")),
        ));
    };
    let mut lines = p.settings.explain();
    if p.settings.platforms.is_none() {
        if let Some(l) = lines.iter_mut().find(|l| l.key == "platforms") {
            l.value = p
                .platforms
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(" ");
        }
    }
    if let Some(l) = lines.iter_mut().find(|l| l.key == "package") {
        l.value = p.package.clone();
    }
    let mut out = printer.stdout();
    match format {
        ReportFormat::Json => {
            let settings: serde_json::Map<String, serde_json::Value> = lines
                .iter()
                .map(|l| {
                    (
                        l.key.clone(),
                        serde_json::json!({ "value": l.value, "source": l.source.to_string() }),
                    )
                })
                .collect();
            let doc =
                serde_json::json!({ "name": p.shown, "package": p.package, "settings": settings });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        ReportFormat::Human => {
            writeln!(out, "{} ({})", p.shown, p.package)?;
            let width = lines.iter().map(|l| l.key.len()).max().unwrap_or(0);
            let vwidth = lines
                .iter()
                .map(|l| l.value.len())
                .max()
                .unwrap_or(0)
                .min(48);
            for l in &lines {
                writeln!(out, "  {:width$}  {:vwidth$}  {}", l.key, l.value, l.source)?;
            }
        }
    }
    Ok(())
}

/// Builds every package the arguments name and writes (or pushes) each
/// image; `--image-refs` is written too. The reports, one per image, in the
/// order of the packages.
pub fn build(args: &BuildArgs, printer: &Printer) -> Result<Vec<ImageReport>> {
    let epoch = crate::images::source_date_epoch()?;
    let outputs = image::parse_outputs(&args.image.outputs, &args.image.push_tags)?;
    // A wrong password stops the build before anything is built.
    if let Some(key) = &args.image.sign_key {
        crate::signing::build_key(key)?;
    }
    let go = GoTool::find()?;
    printer.detail(format!("go: {}", go.path.display()));
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let packages = plan(args, &go, printer)?;
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

    // Each distinct base is pulled once for the platforms that use it.
    let mut bases: Vec<(
        String,
        Vec<Platform>,
        Option<Vec<envelope_build::BaseImage>>,
    )> = Vec::new();
    for p in &packages {
        if !bases
            .iter()
            .any(|(b, ps, _)| *b == p.image.base && *ps == p.platforms)
        {
            let resolved =
                crate::images::resolve_bases(&p.image, &p.platforms, cache.root(), printer)?;
            bases.push((p.image.base.clone(), p.platforms.clone(), resolved));
        }
    }
    let plan_of = |p| plan_for(p, &go, &cache, &cwd, &bases);
    // The commands a pattern matched share one `go build` per platform
    // when go can write them side by side (their names differ) and their
    // go build settings are the same.
    let mut prebuilt: Vec<(&str, Vec<PathBuf>)> = Vec::new();
    let mut groups: Vec<Vec<&Planned>> = Vec::new();
    for p in packages.iter().filter(|p| p.listed) {
        match groups.iter_mut().find(|g| {
            g[0].platforms == p.platforms
                && g[0].ldflags == p.ldflags
                && g[0].gcflags == p.gcflags
                && g[0].tags == p.tags
                && g[0].go_env == p.go_env
        }) {
            Some(g) => g.push(p),
            None => groups.push(vec![p]),
        }
    }
    for group in groups {
        let listed: Vec<&str> = group.iter().map(|p| p.package.as_str()).collect();
        let mut exec_names: Vec<&str> = listed.iter().map(|p| pipeline::exec_name(p)).collect();
        exec_names.sort_unstable();
        exec_names.dedup();
        if listed.len() > 1 && exec_names.len() == listed.len() {
            let mut progress = Progress {
                printer,
                spinner: None,
            };
            let binaries = build_binaries(&plan_of(group[0]), &listed, &mut progress)?;
            prebuilt.extend(listed.into_iter().zip(binaries));
        }
    }
    // Every image is built before any is written, so a package that fails
    // leaves nothing half-written or half-pushed. The images of the
    // packages are made side by side (their binaries are built by now).
    let workers = if prebuilt.len() == packages.len() {
        crate::parallel::workers(usize::MAX, packages.len())
    } else {
        1
    };
    let built = crate::parallel::try_map(&packages, workers, |p| -> Result<_> {
        let package = &p.package;
        let started = Instant::now();
        let plan = BuildPlan {
            prebuilt: prebuilt
                .iter()
                .find(|(q, _)| q == package)
                .map(|(_, b)| b.as_slice()),
            ..plan_of(p)
        };
        let mut progress = Progress {
            printer,
            spinner: None,
        };
        let image = build_images(
            &plan,
            |name| {
                let created_by = format!("envelope build {package}");
                let mut options = image::image_options(&p.image, name, epoch, created_by)
                    .with_context(|| format!("the settings of {name}"))?;
                options.files = p.files.clone();
                Ok::<_, anyhow::Error>(options)
            },
            &mut progress,
        )
        .map_err(
            |e| match (&p.settings.files, e.downcast_ref::<BuildError>()) {
                // A files entry that cannot be read: where it was set.
                (Some(files), Some(BuildError::Input { what, .. })) if *what == "files entry" => {
                    e.context(format!("{}: files of {}", files.source.location(), p.shown))
                }
                _ => e,
            },
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
        Ok((p, image, destination, started.elapsed().as_secs_f64()))
    })?;
    check_unique_names(
        built
            .iter()
            .map(|(p, image, dest, _)| (p.package.as_str(), dest_key(&image.name, dest))),
    )?;
    let to_write: Vec<image::ToWrite<'_>> = built
        .iter()
        .map(|(p, built, destination, seconds)| image::ToWrite {
            package: &p.package,
            args: &p.image,
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
/// error naming what it matched. With several arguments, a command named
/// directly is replaced by its import path too.
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
            // Several commands named one by one share a `go build` too
            // (by import path, as a pattern lists them); anything else is
            // left for the build to explain.
            if given.len() > 1 {
                if let Ok(listed) = list_packages(go, workdir, arg, platform) {
                    if let [one] = listed.as_slice() {
                        if one.name == "main" {
                            if !packages.iter().any(|t| t.package == one.import_path) {
                                packages.push(Target {
                                    package: one.import_path.clone(),
                                    listed: true,
                                });
                            }
                            continue;
                        }
                    }
                }
            }
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
                .map(|(k, v)| (*k, v))
                .chain(build.env.iter().map(|(k, v)| (k.as_str(), v)))
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
