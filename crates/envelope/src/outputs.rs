//! What `build` and `package` share: flags to image options, the outputs
//! (oci:, docker-archive:, oci-archive:), and the report in human or JSON
//! form.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use envelope_build::{ImageOptions, Include, PlatformImage, PlatformReport};
use envelope_cli::{CompressionArg, ImageArgs, ReportFormat};
use envelope_layer::Compression;
use envelope_oci::{Digest, ImageBlobs, ImageRef};
use serde::Serialize;

use crate::printer::{hinted, human_size, Printer, BOLD, DIM, GREEN, YELLOW};

/// The outputs asked for, checked before anything is built.
pub fn parse_outputs(outputs: &[String], tags: &[String]) -> Result<Vec<ImageRef>> {
    crate::images::check_tags(tags)?;
    outputs
        .iter()
        .map(|o| crate::images::output_ref(o, "--output"))
        .collect()
}

/// The checked image options shared by `build` and `package`.
pub fn image_options(
    args: &ImageArgs,
    name: &str,
    epoch: u64,
    created_by: String,
) -> Result<ImageOptions> {
    if args.base != "scratch" {
        crate::images::parse_registry_ref(&args.base)
            .with_context(|| format!("bad --base {:?}", args.base))?;
    }
    validate_name(name)?;
    let include = |i: envelope_cli::Include| match i {
        envelope_cli::Include::Auto => Include::Auto,
        envelope_cli::Include::Always => Include::Always,
        envelope_cli::Include::Never => Include::Never,
    };
    let mut ports = Vec::new();
    for p in &args.ports {
        ports.push(normalize_port(p, "--port")?);
    }
    for e in &args.env {
        match e.split_once('=') {
            Some((k, _)) if !k.is_empty() && !k.contains(char::is_whitespace) => {}
            _ => bail!("bad --env {e:?}: expected KEY=VALUE"),
        }
    }
    for l in &args.labels {
        if l.split_once('=').is_none_or(|(k, _)| k.is_empty()) {
            bail!("bad --label {l:?}: expected KEY=VALUE");
        }
    }
    let mut annotations = std::collections::BTreeMap::new();
    for a in &args.annotations {
        match a.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                annotations.insert(k.to_string(), v.to_string());
            }
            _ => bail!("bad --annotation {a:?}: expected KEY=VALUE"),
        }
    }
    if let Some(w) = &args.workdir {
        if !w.starts_with('/') {
            bail!("bad --workdir {w:?}: expected an absolute path");
        }
    }
    if let Some(u) = &args.user {
        validate_user(u, "--user")?;
    }
    if let Some(f) = &args.ca_file {
        if args.ca_certs == envelope_cli::Include::Never {
            bail!("--ca-file {} conflicts with --ca-certs never", f.display());
        }
    }
    Ok(ImageOptions {
        name: name.to_string(),
        user: args.user.clone(),
        args: args.args.clone(),
        env: args.env.clone(),
        ports,
        labels: args.labels.clone(),
        ca_certs: include(args.ca_certs),
        tzdata: include(args.tzdata),
        ca_file: args.ca_file.clone(),
        tzdata_dir: args.tzdata_dir.clone(),
        compression: match args.compression {
            CompressionArg::Gzip => Compression::Gzip,
            CompressionArg::Zstd => Compression::Zstd,
        },
        epoch,
        allow_dynamic: args.allow_dynamic,
        created_by,
        files: Vec::new(),
        workdir: args.workdir.clone(),
        entrypoint: (!args.entrypoint.is_empty()).then(|| args.entrypoint.clone()),
        annotations,
    })
}

fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !ok {
        bail!(
            "bad image name {name:?}: use letters, digits, '.', '_' and '-' (set it with --name)"
        );
    }
    Ok(())
}

/// `what`: the flag, or where in envelope.toml the port was written.
pub fn normalize_port(p: &str, what: &str) -> Result<String> {
    let (num, proto) = p.split_once('/').unwrap_or((p, "tcp"));
    let proto = proto.to_ascii_lowercase();
    match num.parse::<u16>() {
        Ok(n) if n > 0 && matches!(proto.as_str(), "tcp" | "udp" | "sctp") => {
            Ok(format!("{n}/{proto}"))
        }
        _ => bail!("bad {what} {p:?}: expected PORT[/tcp|/udp] with PORT from 1 to 65535"),
    }
}

/// `what`: the flag, or where in envelope.toml the user was written.
pub fn validate_user(u: &str, what: &str) -> Result<()> {
    let known = |s: &str| {
        s.parse::<u32>().is_ok()
            || envelope_build::base::KNOWN_USERS
                .iter()
                .any(|(n, _)| *n == s)
    };
    let (user, group) = u.split_once(':').map_or((u, None), |(a, b)| (a, Some(b)));
    if !known(user) || group.is_some_and(|g| !known(g)) {
        bail!("bad {what} {u:?}: expected UID[:GID] (numbers) or one of root, nobody, nonroot");
    }
    Ok(())
}

/// The output with its tag or reference filled in where it names none:
/// an archive gets NAME:latest, a layout shared by several images gets NAME.
fn resolve_output(r: &ImageRef, name: &str, many: bool) -> ImageRef {
    match r {
        ImageRef::Oci { dir, tag } => ImageRef::Oci {
            dir: dir.clone(),
            tag: tag.clone().or_else(|| many.then(|| name.to_string())),
        },
        ImageRef::OciArchive { file, tag } => ImageRef::OciArchive {
            file: file.clone(),
            tag: tag.clone().or_else(|| many.then(|| name.to_string())),
        },
        ImageRef::DockerArchive { file, reference } => ImageRef::DockerArchive {
            file: file.clone(),
            reference: Some(
                reference
                    .clone()
                    .unwrap_or_else(|| format!("{name}:latest")),
            ),
        },
        ImageRef::Docker { .. } => r.clone(),
    }
}

/// The base's repository, which can lend its blobs to a push to the same
/// registry (a cross-repository mount).
fn base_repos(args: &ImageArgs) -> Vec<envelope_registry::RegistryRef> {
    if args.base == "scratch" {
        return Vec::new();
    }
    crate::images::parse_registry_ref(&args.base)
        .into_iter()
        .collect()
}

/// Several images cannot share one archive file or one layout tag.
pub fn check_outputs_for_many(outputs: &[ImageRef], images: usize) -> Result<()> {
    if images < 2 {
        return Ok(());
    }
    for o in outputs {
        let fixed = match o {
            ImageRef::Oci { tag, .. } => tag.is_some(),
            _ => true,
        };
        if fixed {
            return Err(hinted(
                format!("--output {o} can hold one image, and {images} packages were given"),
                "build one package per command, or use oci:DIR (each image is tagged with its name)",
            ));
        }
    }
    Ok(())
}

/// An SBOM attached to an image in one output.
#[derive(Debug, Clone, Serialize)]
pub struct AttachedSbom {
    /// Where: the output it went to.
    pub output: String,
    /// The artifact manifest's digest.
    pub digest: Digest,
    pub media_type: String,
    /// The image manifest it describes.
    pub subject: Digest,
    /// `referrers-api`, `tag-schema` (registries) or `index.json` (layouts).
    pub via: String,
}

/// What the writes of one run share: one registry client (its tokens),
/// made when the first image is pushed, and one push session, so a blob
/// several images hold is uploaded once per registry.
pub struct WriteSession<'a> {
    registry: &'a envelope_cli::RegistryArgs,
    client: std::sync::OnceLock<envelope_registry::Client>,
    push: envelope_registry::PushSession,
}

impl WriteSession<'_> {
    pub fn new(registry: &envelope_cli::RegistryArgs) -> WriteSession<'_> {
        WriteSession {
            registry,
            client: std::sync::OnceLock::new(),
            push: envelope_registry::PushSession::new(),
        }
    }

    fn client(&self) -> Result<&envelope_registry::Client> {
        if let Some(c) = self.client.get() {
            return Ok(c);
        }
        let made = crate::images::client(self.registry)?;
        Ok(self.client.get_or_init(|| made))
    }
}

/// What [`write_outputs`] wrote: each output as a reference, the SBOMs
/// attached, and whether any output did not already hold the image.
#[derive(Debug)]
pub struct Written {
    pub outputs: Vec<String>,
    pub sboms: Vec<AttachedSbom>,
    pub changed: bool,
}

/// Does the layout already hold `image` under `tag`? Archives are written
/// anew each time, so they never do.
fn layout_holds(dir: &Path, tag: Option<&str>, image: &ImageBlobs) -> bool {
    envelope_oci::OciLayout::open(dir)
        .and_then(|l| l.resolve(tag))
        .is_ok_and(|d| d.digest == image.root.digest)
}

fn via_name(how: envelope_registry::referrers::Attached) -> &'static str {
    match how {
        envelope_registry::referrers::Attached::ReferrersApi => "referrers-api",
        envelope_registry::referrers::Attached::FallbackTag => "tag-schema",
    }
}

/// The manifests an SBOM describes: the image's, or each of its index's.
fn sbom_subjects(image: &ImageBlobs) -> Result<Vec<Digest>> {
    if !envelope_oci::media_types::is_index(&image.root.media_type) {
        return Ok(vec![image.root.digest.clone()]);
    }
    let index: envelope_oci::ImageIndex = serde_json::from_slice(&image.read(&image.root.digest)?)?;
    Ok(index.manifests.into_iter().map(|d| d.digest).collect())
}

/// The SBOMs (one per subject, of `media_type`) an output already holds
/// for an image it held before: a rebuild that changed nothing neither
/// makes nor sends them again. None when one is missing or cannot be
/// looked up.
fn sboms_held(
    output: &str,
    subjects: &[Digest],
    media_type: &str,
    find: impl Fn(&Digest) -> Option<(&'static str, Digest)>,
) -> Option<Vec<AttachedSbom>> {
    subjects
        .iter()
        .map(|subject| {
            let (via, digest) = find(subject)?;
            Some(AttachedSbom {
                output: output.to_string(),
                digest,
                media_type: media_type.to_string(),
                subject: subject.clone(),
                via: via.to_string(),
            })
        })
        .collect()
}

/// The vulnerability database of `build --attest vex`: ENVELOPE_VULNDB,
/// else vuln.go.dev (as `scan` without --db).
fn build_vulndb() -> envelope_cli::VulnDbArgs {
    envelope_cli::VulnDbArgs {
        db: std::env::var("ENVELOPE_VULNDB")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "https://vuln.go.dev".to_string()),
        offline: false,
    }
}

/// What only the build knows, added to the provenance read back from the
/// image: this envelope's version and the GOFLAGS it built with.
fn fill_provenance(input: &mut envelope_attest::ProvenanceInput) {
    input.envelope_version = Some(env!("CARGO_PKG_VERSION").to_string());
    input.goflags = std::env::var("GOFLAGS").ok().filter(|v| !v.is_empty());
}

/// Writes the image to every output, with its SBOM (--sbom) where an
/// output can hold one, pushing in `session`. The SBOMs are made only
/// when an output lacks them.
pub fn write_outputs(
    session: &WriteSession<'_>,
    image: &ImageBlobs,
    outputs: &[ImageRef],
    name: &str,
    many: bool,
    args: &ImageArgs,
    printer: &Printer,
) -> Result<Written> {
    let epoch = crate::images::source_date_epoch()?;
    let media_type = match args.sbom {
        envelope_cli::SbomKind::None => None,
        envelope_cli::SbomKind::Spdx => Some(crate::sboms::SPDX_MEDIA_TYPE),
        envelope_cli::SbomKind::Cyclonedx => Some(crate::sboms::CYCLONEDX_MEDIA_TYPE),
    };
    let wanted = media_type.is_some();
    let subjects = sbom_subjects(image)?;
    let mut made: Option<Vec<envelope_oci::Artifact>> = None;
    let make =
        |made: &mut Option<Vec<envelope_oci::Artifact>>| -> Result<Vec<envelope_oci::Artifact>> {
            if made.is_none() {
                *made = Some(crate::sboms::artifacts_for(
                    image, name, args.sbom, epoch, printer,
                )?);
            }
            Ok(made.clone().unwrap_or_default())
        };
    let mut written = Vec::new();
    let mut signable = Vec::new();
    let mut attached = Vec::new();
    let mut changed = false;
    let note =
        |attached: &mut Vec<AttachedSbom>, output: &str, a: &envelope_oci::Artifact, via: &str| {
            let subject = serde_json::from_slice::<envelope_oci::ImageManifest>(&a.manifest)
                .ok()
                .and_then(|m| m.subject)
                .map(|s| s.digest);
            if let Some(subject) = subject {
                attached.push(AttachedSbom {
                    output: output.to_string(),
                    digest: a.descriptor.digest.clone(),
                    media_type: a.document.0.media_type.clone(),
                    subject,
                    via: via.to_string(),
                });
            }
        };
    for resolved in outputs.iter().map(|o| resolve_output(o, name, many)) {
        if let ImageRef::Docker { reference } = &resolved {
            let client = session.client()?;
            let (pushed, sent) = crate::images::push(
                client,
                &session.push,
                image,
                reference,
                &args.push_tags,
                &base_repos(args),
                printer,
            )?;
            changed |= sent;
            let target = crate::images::parse_registry_ref(reference)?;
            signable.push(pushed.clone());
            let Some(media_type) = media_type else {
                written.push(pushed);
                continue;
            };
            let held = (!sent)
                .then(|| {
                    sboms_held(&pushed, &subjects, media_type, |subject| {
                        let (how, found) = envelope_registry::referrers::find_referrers(
                            client,
                            &target,
                            subject,
                            Some(media_type),
                        )
                        .ok()?;
                        Some((via_name(how), found.first()?.digest.clone()))
                    })
                })
                .flatten();
            if let Some(held) = held {
                attached.extend(held);
                written.push(pushed);
                continue;
            }
            for a in &make(&mut made)? {
                // The image is pushed: a registry that refuses the SBOM
                // artifact does not undo that, nor stop the other outputs.
                match envelope_registry::referrers::push_referrer(client, &target, a) {
                    Ok(how) => note(&mut attached, &pushed, a, via_name(how)),
                    Err(e) => printer.warn(format!(
                        "{pushed} is pushed, but its SBOM could not be attached: {e} (--sbom none skips it)"
                    )),
                }
            }
            written.push(pushed);
            continue;
        }
        let shown = resolved.to_string();
        match &resolved {
            ImageRef::Oci { dir, tag } => {
                if tag.is_some() {
                    signable.push(shown.clone());
                } else if args.sign_key.is_some() {
                    printer.warn(format!(
                        "{resolved}: not signed, as the image has no tag there (signatures are stored beside it in index.json); write to oci:DIR:TAG to sign it"
                    ));
                }
                let held = layout_holds(dir, tag.as_deref(), image);
                changed |= !held;
                let sboms_there = match (tag, media_type) {
                    (Some(_), Some(media_type)) if held => {
                        envelope_oci::OciLayout::open(dir).ok().and_then(|layout| {
                            sboms_held(&shown, &subjects, media_type, |subject| {
                                let refs = layout.referrers(subject).ok()?;
                                let (d, _) = refs.iter().find(|(d, _)| {
                                    d.artifact_type.as_deref() == Some(media_type)
                                })?;
                                Some(("index.json", d.digest.clone()))
                            })
                        })
                    }
                    _ => None,
                };
                // A layout holding the image is not written again, which
                // would move its entry to the end of index.json.
                if !held {
                    envelope_oci::write_oci_layout(dir, image, tag.as_deref())
                        .with_context(|| format!("writing {resolved}"))?;
                }
                if let Some(there) = sboms_there {
                    attached.extend(there);
                } else if tag.is_some() && wanted {
                    let layout = envelope_oci::OciLayout::open(dir)
                        .with_context(|| format!("writing {resolved}"))?;
                    for a in &make(&mut made)? {
                        layout
                            .attach(a)
                            .with_context(|| format!("writing {resolved}"))?;
                        note(&mut attached, &shown, a, "index.json");
                    }
                } else if wanted {
                    // An untagged layout must keep one untagged entry:
                    // skopeo and podman refuse to choose among several.
                    printer.warn(format!(
                        "{resolved}: no SBOM attached, as the image has no tag there (skopeo and podman could no longer pick the image out of index.json); write to oci:DIR:TAG to get one"
                    ));
                }
            }
            ImageRef::OciArchive { file, tag } => {
                changed = true;
                ensure_parent(file)?;
                envelope_oci::write_oci_archive(file, image, tag.as_deref())
                    .with_context(|| format!("writing {resolved}"))?;
            }
            ImageRef::DockerArchive { file, reference } => {
                changed = true;
                ensure_parent(file)?;
                envelope_oci::write_docker_archive(file, image, reference.as_deref())
                    .with_context(|| format!("writing {resolved}"))?;
            }
            ImageRef::Docker { .. } => unreachable!("pushed above"),
        }
        if wanted && !matches!(resolved, ImageRef::Oci { .. }) {
            printer.detail(format!(
                "{resolved}: archives hold no SBOM beside the image; write to oci:DIR or a registry for that"
            ));
        }
        written.push(shown);
    }
    if let Some(path) = &args.sign_key {
        let key = crate::signing::build_key(path)?;
        for output in &signable {
            let client = session.client()?;
            let s = crate::signing::signable(output, client)?;
            for (digest, stored) in crate::signing::sign_image(&s, key, true)? {
                printer.status(format!(
                    "  signed {digest} in {}: {} and bundle {}",
                    s.target.name(),
                    stored.tag,
                    stored.bundle
                ));
            }
            if !args.attest.is_empty() {
                let vulndb = build_vulndb();
                let attested = crate::attesting::attest_image(
                    output,
                    &s,
                    client,
                    key,
                    &crate::attesting::AttestOptions {
                        types: &args.attest,
                        vex: crate::attesting::VexSource {
                            db: &vulndb,
                            registry: session.registry,
                        },
                        fill: &fill_provenance,
                        // A layout this build just wrote is not verified
                        // again (as audit reads by default), and the layers
                        // it made are read from their tars; a registry's
                        // answer is verified.
                        verify: if matches!(crate::images::image_ref(output)?, ImageRef::Oci { .. })
                        {
                            envelope_attest::Verify::WrittenHere(&image.tars)
                        } else {
                            envelope_attest::Verify::Blobs
                        },
                    },
                )?;
                for a in attested {
                    printer.status(format!(
                        "  attested {} of {} in {}: {} and bundle {}",
                        a.predicate_type,
                        s.root.digest,
                        s.target.name(),
                        a.stored.tag,
                        a.stored.bundle
                    ));
                }
            }
        }
        if signable.len() < written.len() {
            printer.detail(
                "archives hold no signature beside the image; write to oci:DIR:TAG or a registry for that",
            );
        }
    }
    Ok(Written {
        outputs: written,
        sboms: attached,
        changed,
    })
}

/// One built image to write, with its package's settings.
pub struct ToWrite<'a> {
    pub package: &'a str,
    pub args: &'a ImageArgs,
    pub built: &'a envelope_build::BuiltImage,
    /// In the default repository; None for the outputs given.
    pub destination: Option<ImageRef>,
    /// How long building it took.
    pub seconds: f64,
}

/// Writes (or pushes) the built images, each to its destination or else
/// to `outputs` (the default layout when none), in one session with the
/// registry settings `registry`; when every output is a registry, several
/// images at a time (as many as the machine has cores). The reports come
/// in the order of `images`. After a failure no other image is started,
/// and the first failure in that order is the error, naming its package.
pub fn write_images(
    images: &[ToWrite<'_>],
    outputs: &[ImageRef],
    registry: &envelope_cli::RegistryArgs,
    printer: &Printer,
) -> Result<Vec<ImageReport>> {
    let session = WriteSession::new(registry);
    let many = images.len() > 1;
    let destinations: Vec<Vec<ImageRef>> = images
        .iter()
        .map(|w| match &w.destination {
            Some(d) => vec![d.clone()],
            None if outputs.is_empty() => vec![default_output(&w.built.name)],
            None => outputs.to_vec(),
        })
        .collect();
    // Images pushed to registries go in parallel; files on this machine
    // are written one image after the other, so a layout's index.json
    // lists them in package order every time.
    let all_pushed = destinations
        .iter()
        .flatten()
        .all(|o| matches!(o, ImageRef::Docker { .. }));
    let workers = if all_pushed {
        crate::parallel::workers(usize::MAX, images.len())
    } else {
        1
    };
    let indexes: Vec<usize> = (0..images.len()).collect();
    crate::parallel::try_map(&indexes, workers, |&i| {
        let started = std::time::Instant::now();
        let (Some(w), Some(outs)) = (images.get(i), destinations.get(i)) else {
            bail!("no image {i}");
        };
        let (package, built) = (w.package, w.built);
        let written = write_outputs(
            &session,
            &built.image,
            outs,
            &built.name,
            many,
            w.args,
            printer,
        )
        .with_context(|| format!("writing the image of {package}"))?;
        Ok(report_of(
            &built.name,
            Some(package),
            &built.image,
            &built.platforms,
            written,
            w.seconds + started.elapsed().as_secs_f64(),
        ))
    })
}

fn ensure_parent(file: &Path) -> Result<()> {
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    Ok(())
}

/// The default output: a layout under .envelope in the current directory.
pub fn default_output(name: &str) -> ImageRef {
    ImageRef::Oci {
        dir: PathBuf::from(".envelope/oci"),
        tag: Some(name.to_string()),
    }
}

/// The default repository of images built with no --output:
/// `ENVELOPE_REPO`, else `KO_DOCKER_REPO`, with the variable's name.
pub fn default_repo() -> Option<(&'static str, String)> {
    ["ENVELOPE_REPO", "KO_DOCKER_REPO"]
        .into_iter()
        .find_map(|var| {
            std::env::var(var)
                .ok()
                .map(|v| v.trim().trim_end_matches('/').to_string())
                .filter(|v| !v.is_empty())
                .map(|v| (var, v))
        })
}

/// How an image is named in the default repository.
#[derive(Debug, Clone, Copy)]
pub struct RepoNaming {
    /// REPO/<import path> rather than REPO/NAME.
    pub preserve_import_paths: bool,
    /// REPO itself.
    pub bare: bool,
}

/// Where an image goes in the default repository: REPO/NAME (or what
/// `naming` says), tagged `latest` unless --tag gives the tags.
pub fn repo_output(
    (var, repo): &(&'static str, String),
    name: &str,
    import_path: &str,
    naming: RepoNaming,
    tags: &[String],
) -> Result<ImageRef> {
    let repository = if naming.bare {
        repo.clone()
    } else if naming.preserve_import_paths {
        format!("{repo}/{}", import_path.to_ascii_lowercase())
    } else {
        format!("{repo}/{}", name.to_ascii_lowercase())
    };
    let reference = if tags.is_empty() {
        format!("{repository}:latest")
    } else {
        repository
    };
    crate::images::output_ref(&reference, &format!("{var}={repo} gives"))
}

/// One line of --image-refs.
#[derive(Debug, Serialize)]
struct ImageRefEntry<'a> {
    reference: String,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    package: Option<&'a str>,
    digest: &'a Digest,
}

/// Writes --image-refs: each image's first output as `REF@sha256:...`,
/// sorted, one a line (a JSON array with --format json), atomically.
pub fn write_image_refs(file: &Path, format: ReportFormat, reports: &[ImageReport]) -> Result<()> {
    let mut entries: Vec<ImageRefEntry<'_>> = reports
        .iter()
        .map(|r| {
            let first = r.outputs.first().cloned().unwrap_or_default();
            let reference = if first.contains('@') {
                first
            } else {
                format!("{first}@{}", r.digest)
            };
            ImageRefEntry {
                reference,
                name: &r.name,
                package: r.package.as_deref(),
                digest: &r.digest,
            }
        })
        .collect();
    entries.sort_by(|a, b| a.reference.cmp(&b.reference));
    let mut data = match format {
        ReportFormat::Json => serde_json::to_vec_pretty(&entries)?,
        ReportFormat::Human => entries
            .iter()
            .map(|e| e.reference.as_str())
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes(),
    };
    data.push(b'\n');
    ensure_parent(file)?;
    envelope_oci::write_atomic(file, &data)
        .with_context(|| format!("writing --image-refs {}", file.display()))
}

#[derive(Debug, Serialize)]
pub struct ImageReport {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    pub digest: Digest,
    pub media_type: String,
    pub platforms: Vec<PlatformReport>,
    pub outputs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sboms: Vec<AttachedSbom>,
    /// Whether some output did not already hold this image (a registry
    /// tag or layout tag pointing elsewhere, or an archive, which is
    /// always written anew).
    pub changed: bool,
    pub seconds: f64,
}

pub fn report_of(
    name: &str,
    package: Option<&str>,
    image: &ImageBlobs,
    platforms: &[PlatformImage],
    written: Written,
    seconds: f64,
) -> ImageReport {
    ImageReport {
        name: name.to_string(),
        package: package.map(str::to_string),
        digest: image.root.digest.clone(),
        media_type: image.root.media_type.clone(),
        platforms: platforms.iter().map(|p| p.report.clone()).collect(),
        outputs: written.outputs,
        sboms: written.sboms,
        changed: written.changed,
        seconds,
    }
}

pub fn print_reports(
    printer: &Printer,
    format: ReportFormat,
    reports: &[ImageReport],
) -> Result<()> {
    let mut out = printer.stdout();
    match format {
        ReportFormat::Json => {
            let doc = serde_json::json!({ "images": reports });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        // The essential result: what a script uses next. A pushed image by
        // its full reference (`REF:TAG@sha256:...`, usable as it is),
        // otherwise the digest.
        ReportFormat::Human if printer.quiet => {
            for r in reports {
                let pushed: Vec<&String> =
                    r.outputs.iter().filter(|o| !is_local_output(o)).collect();
                if pushed.is_empty() {
                    writeln!(out, "{}", r.digest)?;
                }
                for o in pushed {
                    writeln!(out, "{o}")?;
                }
            }
        }
        ReportFormat::Human => {
            for r in reports {
                print_human(&mut out, r, printer.verbose)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// An output written to disk rather than pushed.
fn is_local_output(o: &str) -> bool {
    ["oci:", "oci-archive:", "docker-archive:"]
        .iter()
        .any(|t| o.starts_with(t))
}

fn yes_no(ok: bool, what: &str) -> String {
    if ok {
        format!("{GREEN}✓{GREEN:#} {what}")
    } else {
        format!("{YELLOW}✗{YELLOW:#} {what}")
    }
}

fn print_human(out: &mut impl Write, r: &ImageReport, verbose: bool) -> Result<()> {
    let plats: Vec<&str> = r.platforms.iter().map(|p| p.platform.as_str()).collect();
    writeln!(
        out,
        "{BOLD}{}{BOLD:#} {} ({}) in {:.1}s{}",
        r.name,
        r.digest,
        plats.join(", "),
        r.seconds,
        if r.changed {
            String::new()
        } else {
            format!(", {DIM}unchanged{DIM:#}")
        }
    )?;
    for p in &r.platforms {
        if r.platforms.len() > 1 {
            writeln!(out, "  {BOLD}{}{BOLD:#} {}", p.platform, p.manifest)?;
        }
        writeln!(
            out,
            "  {DIM}{:<16} {:>10} {:>10}  contents{DIM:#}",
            "layer", "compressed", "tar"
        )?;
        for l in &p.layers {
            writeln!(
                out,
                "  {:<16} {:>10} {:>10}  {}{}",
                l.name,
                human_size(l.size),
                human_size(l.uncompressed_size),
                l.contents.join(", "),
                if l.cached {
                    format!(" {DIM}(cached){DIM:#}")
                } else {
                    String::new()
                }
            )?;
            if verbose {
                writeln!(
                    out,
                    "  {:<16} {DIM}{}  why: {}{DIM:#}",
                    "", l.digest, l.reason
                )?;
            }
        }
        writeln!(
            out,
            "  {:<16} {:>10} {:>10}",
            "total",
            human_size(p.compressed_size),
            human_size(p.uncompressed_size)
        )?;
        let b = &p.binary;
        writeln!(
            out,
            "  ca-certificates: {} ({})",
            if b.ca_certs.included {
                "included"
            } else {
                "not included"
            },
            b.ca_certs.reason
        )?;
        writeln!(
            out,
            "  tzdata:          {} ({})",
            if b.tzdata.included {
                "included"
            } else {
                "not included"
            },
            b.tzdata.reason
        )?;
        let h = &p.hardening;
        writeln!(
            out,
            "  hardening: {}  {}  {}  {}  {}",
            yes_no(h.static_binary, "static"),
            yes_no(h.stripped, "stripped"),
            yes_no(h.trimpath, "trimpath"),
            yes_no(h.non_root, "non-root"),
            yes_no(h.no_shell, "no shell"),
        )?;
        for w in &p.warnings {
            writeln!(out, "  {YELLOW}warning{YELLOW:#}: {w}")?;
        }
    }
    for o in &r.outputs {
        writeln!(out, "  wrote {o}")?;
        for s in r.sboms.iter().filter(|s| &s.output == o) {
            let kind = if s.media_type.contains("spdx") {
                "SPDX"
            } else {
                "CycloneDX"
            };
            writeln!(
                out,
                "    {DIM}+ {kind} SBOM {} for {} ({}){DIM:#}",
                s.digest, s.subject, s.via
            )?;
        }
    }
    for line in run_hints(&r.name, r.outputs.first().map(String::as_str)) {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}

/// How to run what was written, in commands that work for this path.
fn run_hints(name: &str, first: Option<&str>) -> Vec<String> {
    let Some(first) = first else {
        return Vec::new();
    };
    if let Some(rest) = first.strip_prefix("docker-archive:") {
        let file = rest.split(':').next().unwrap_or(rest);
        return vec![format!(
            "run it:  docker load -i {file}   (or podman load -i {file})"
        )];
    }
    if !first.starts_with("oci:") {
        return Vec::new();
    }
    // podman names an oci: image after its absolute path, which must be a
    // valid image name; a component such as ".envelope" is not.
    let dir = first["oci:".len()..]
        .rsplit_once(':')
        .map_or(&first[4..], |(d, _)| d);
    let abs = std::path::absolute(dir).unwrap_or_else(|_| PathBuf::from(dir));
    let podman_can_name =
        envelope_oci::normalize_docker_reference(&format!("localhost{}", abs.display())).is_ok();
    let podman = if podman_can_name {
        format!("podman run --rm {first}")
    } else {
        format!("skopeo copy {first} containers-storage:localhost/{name}:latest && podman run --rm localhost/{name}:latest")
    };
    vec![
        format!("run it:  {podman}"),
        format!("         skopeo copy {first} docker-daemon:{name}:latest && docker run --rm {name}:latest"),
    ]
}
