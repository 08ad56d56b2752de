//! What every command that reads or pushes images shares: the registry
//! client made from the flags, opening an image from any transport (through
//! `envelope_registry::open`, the one opening path), indexing its layers,
//! collecting its Go binaries and package databases, telling a binary's
//! path from an image reference, pushing, the bases of a build, and
//! SOURCE_DATE_EPOCH. Commands use this module, never each other.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};
use envelope_cli::RegistryArgs;
use envelope_http::Timeouts;
use envelope_layer::fs::{index_layers, ContentVisitor, ImageFs, LayerInput, Limits};
use envelope_oci::{ImageRef, ImageSource, Platform};
use envelope_registry::{BlobCache, Client, ClientOptions, CredentialStore, RegistryRef};
use envelope_sbom::collect::{BinaryCollector, BinaryReader};

use envelope_oci::ImageBlobs;
use envelope_registry::{PushEvent, PushSession};

use crate::printer::{hinted, human_size, Printer};

/// The network timeouts of this run: `--timeout` (or `ENVELOPE_TIMEOUT`)
/// scales them, set once before the command runs.
static TIMEOUTS: std::sync::OnceLock<Timeouts> = std::sync::OnceLock::new();

/// Sets the network timeouts from `--timeout` (the defaults without it).
pub fn set_timeout(timeout: Option<std::time::Duration>) {
    let _ = TIMEOUTS.set(timeout.map_or_else(Timeouts::default, Timeouts::scaled));
}

/// The network timeouts of registry and vulnerability database requests.
pub fn timeouts() -> Timeouts {
    TIMEOUTS.get().copied().unwrap_or_default()
}

/// A registry client from the flags.
pub fn client(args: &RegistryArgs) -> Result<Client> {
    let options = ClientOptions {
        insecure: args.insecure.clone(),
        ca_file: args.registry_ca_file.clone(),
        backoff: std::env::var("ENVELOPE_RETRY_BACKOFF_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(std::time::Duration::from_millis),
        // Tests make uploads chunked with small images.
        chunk_size: std::env::var("ENVELOPE_UPLOAD_CHUNK")
            .ok()
            .and_then(|v| v.parse().ok()),
        timeouts: timeouts(),
    };
    Ok(Client::new(CredentialStore::from_env(), options)?)
}

pub fn parse_registry_ref(s: &str) -> Result<RegistryRef> {
    Ok(s.parse::<RegistryRef>()?)
}

/// A certificate error gets a hint on how to trust the registry's CA.
pub fn tls_hint(e: envelope_registry::Error) -> anyhow::Error {
    let text = e.to_string();
    if text.to_ascii_lowercase().contains("certificate") {
        hinted(
            text,
            "trust the registry's CA with --registry-ca-file FILE or SSL_CERT_FILE=FILE",
        )
    } else {
        e.into()
    }
}

/// envelope's blob cache of pulled images.
pub fn blob_cache() -> BlobCache {
    let cache_root = envelope_build::Cache::from_env().root().to_path_buf();
    BlobCache::new(envelope_registry::blob_cache_dir(&cache_root))
}

/// `--platform`, parsed.
pub fn platform(arg: Option<&str>) -> Result<Option<Platform>> {
    arg.map(|p| {
        p.parse::<Platform>().map_err(|e| {
            hinted(
                e.to_string(),
                "write it as OS/ARCH[/VARIANT], e.g. linux/amd64",
            )
        })
    })
    .transpose()
}

/// An image reference as the user wrote it, parsed.
pub fn image_ref(image: &str) -> Result<ImageRef> {
    image.parse().map_err(|e: envelope_oci::Error| {
        hinted(
            format!("bad image reference {image:?}: {e}"),
            "use oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REF], docker://REF or a path to a binary",
        )
    })
}

/// Where an image is written (`-o`, `copy`'s destination), refused before
/// anything is built or read when it is not clearly one: a registry
/// reference must name its registry (`server:v1`, `myuser/server` and a
/// misspelt transport such as `oci-dir:out` would otherwise push to Docker
/// Hub), and its tag and repository must be valid.
pub fn output_ref(output: &str, what: &str) -> Result<ImageRef> {
    let r: ImageRef = output.parse().map_err(|e: envelope_oci::Error| {
        hinted(format!("bad {what} {output:?}: {e}"), OUTPUT_FORMS)
    })?;
    if let ImageRef::Docker { reference } = &r {
        parse_registry_ref(reference).with_context(|| format!("bad {what} {output:?}"))?;
        if envelope_oci::ReferenceParts::split(reference)
            .host
            .is_none()
        {
            let hint = match reference.split_once(':') {
                Some((word, rest)) if !rest.contains('/') && looks_like_a_transport(word) => {
                    format!("did you mean oci:{rest}? ({OUTPUT_FORMS})")
                }
                _ if !reference.contains(['/', ':', '@']) => {
                    format!("did you mean oci:{reference}? To push, name the registry: docker.io/{reference} for Docker Hub")
                }
                _ => format!(
                    "name the registry: docker.io/{} for Docker Hub, or registry.example.com/{}; an OCI layout is oci:DIR[:TAG]",
                    reference.trim_start_matches("docker.io/"),
                    reference.trim_start_matches("docker.io/")
                ),
            };
            return Err(hinted(
                format!("{what} {output:?} names no registry, so it would be pushed to Docker Hub"),
                hint,
            ));
        }
    }
    Ok(r)
}

const OUTPUT_FORMS: &str =
    "write oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REF] or REGISTRY/REPOSITORY[:TAG]";

/// A word that reads as an attempt at a transport (`oci-dir`, `ocidir`,
/// `docker-dir`, `archive`), not an image name.
fn looks_like_a_transport(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    w.starts_with("oci") || w.starts_with("docker") || w.contains("archive") || w == "dir"
}

/// `--tag` values, checked before anything is built or uploaded.
pub fn check_tags(tags: &[String]) -> Result<()> {
    for t in tags {
        if !envelope_oci::valid_tag(t) {
            return Err(hinted(
                format!("bad --tag {t:?}"),
                "a tag is 1 to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'",
            ));
        }
    }
    Ok(())
}

/// Opens `image` from any transport; the caller narrows it to a platform
/// or reads it whole.
/// An oci-archive unpacked into a temporary layout (removed when the
/// directory is dropped): for reading what an archive holds beside the
/// image (signatures, attestations, SBOMs) as a layout holds it.
pub fn unpack_archive(file: &Path) -> Result<(tempfile::TempDir, envelope_oci::OciLayout)> {
    let staging = tempfile::Builder::new()
        .prefix("envelope-unpacked-")
        .tempdir()
        .context("making a directory to unpack the archive in")?;
    let layout = envelope_oci::unpack_oci_archive(file, staging.path())
        .with_context(|| format!("reading oci-archive:{}", file.display()))?;
    Ok((staging, layout))
}

pub fn open_store<'c>(image: &str, client: &'c Client) -> Result<envelope_registry::Opened<'c>> {
    let r = image_ref(image)?;
    envelope_registry::open(&r, client, &blob_cache())
        .map_err(tls_hint)
        .with_context(|| format!("opening {image}"))
}

/// An opened image of one platform and how the user named it.
pub struct Opened {
    pub source: ImageSource,
    pub shown: String,
    pub mutable_tag: Option<String>,
    /// The root manifest or index `image` names (what a reference by
    /// digest names).
    pub root: envelope_oci::Descriptor,
    /// The registry reference, for `docker://` images.
    pub registry: Option<RegistryRef>,
}

/// Opens the image of `platform` (the default choice without one) that
/// `image` names, from any transport.
pub fn open(image: &str, platform: Option<&Platform>, registry: &RegistryArgs) -> Result<Opened> {
    let client = client(registry)?;
    let opened = open_store(image, &client)?;
    let what = match (&opened.registry, platform) {
        (Some(r), Some(p)) => format!("pulling {r} for {p}"),
        (Some(r), None) => format!("pulling {r}"),
        (None, _) => format!("opening {image}"),
    };
    let source = opened
        .store
        .image(platform)
        .map_err(|e| tls_hint(e.into()))
        .context(what)?;
    Ok(Opened {
        source,
        shown: image.to_string(),
        mutable_tag: opened.mutable_tag,
        root: opened.store.root().clone(),
        registry: opened.registry,
    })
}

/// What the image checks know of `image` (of `platform`): its config, its
/// file system, the account files, its binaries and what they need.
pub fn audit_facts(
    image: &str,
    platform: Option<&Platform>,
    registry: &RegistryArgs,
    verify: bool,
) -> Result<(Opened, envelope_lint::audit::ImageFacts)> {
    let opened = open(image, platform, registry)?;
    let mut collector = envelope_lint::audit::Collector::new();
    let fs = index(&opened, &mut collector, verify)?;
    collector.keep_final(&fs);
    let config: serde_json::Value =
        serde_json::from_slice(&opened.source.config_bytes).unwrap_or_default();
    let facts = envelope_lint::audit::ImageFacts {
        reference: opened.shown.clone(),
        is_image: true,
        mutable_tag: opened.mutable_tag.clone(),
        config,
        fs,
        files: collector.files,
        secret_files: collector.secret_files,
        binaries: collector.binaries,
    };
    Ok((opened, facts))
}

/// Streams the layers of `opened` into the index, `visitor` seeing the
/// final files.
/// With `verify`, every blob is checked against its descriptor and every
/// uncompressed tar against the config's rootfs.diff_ids, while indexing.
/// Without it, layers are read as seekable file regions: the indexer
/// passes over the file data no check needs instead of reading it.
pub fn index(opened: &Opened, visitor: &mut dyn ContentVisitor, verify: bool) -> Result<ImageFs> {
    let diff_ids = &opened.source.config.rootfs.diff_ids;
    let count = opened.source.layers().len();
    if verify && diff_ids.len() != count {
        bail!(
            "{}: the config's rootfs.diff_ids lists {} digests for {count} layers; the config does not describe this image",
            opened.shown,
            diff_ids.len()
        );
    }
    let mut layers = Vec::new();
    for (i, d) in opened.source.layers().iter().enumerate() {
        layers.push(if verify {
            let input = LayerInput::new(opened.source.open_blob(d)?, Some(d.clone()));
            match diff_ids.get(i) {
                Some(want) => input.with_diff_id(want.clone()),
                None => input,
            }
        } else {
            LayerInput::seekable(opened.source.open_blob_unverified(d)?)
        });
    }
    index_layers(layers, visitor, &Limits::default())
        .with_context(|| format!("reading the layers of {}", opened.shown))
}

/// Is `path` an ELF file on disk?
pub fn is_elf_file(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == b"\x7fELF"
}

/// Does `image` name a file on disk rather than an image? Errors for a
/// directory (an OCI layout is named oci:DIR) and a missing path.
pub fn is_binary_path(image: &str) -> Result<bool> {
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

/// Pushes in `session` (which the pushes of one run share, so a blob
/// several images hold is uploaded once) and returns `REF@DIGEST` and
/// whether anything had to be sent.
pub fn push(
    client: &Client,
    session: &PushSession,
    image: &ImageBlobs,
    reference: &str,
    tags: &[String],
    mount_from: &[RegistryRef],
    printer: &Printer,
) -> Result<(String, bool)> {
    let target = parse_registry_ref(reference)?;
    let mut all_tags: Vec<String> = target.tag.iter().cloned().collect();
    all_tags.extend(tags.iter().cloned());
    let bars = printer.blob_bars();
    let on_event = |e: PushEvent| match e {
        PushEvent::Started { digest, size } => bars.start(&digest, size),
        PushEvent::Progress { digest, sent } => bars.set(&digest, sent),
        PushEvent::Exists { digest, size } => {
            let line = format!("  exists   {digest} ({})", human_size(size));
            bars.done(&digest, &line, false);
            printer.detail(line);
        }
        PushEvent::Mounted { digest, size, from } => {
            let line = format!("  mounted  {digest} ({}) from {from}", human_size(size));
            if !bars.done(&digest, &line, true) {
                printer.status(line);
            }
        }
        PushEvent::Uploaded { digest, size } => {
            let line = format!("  pushed   {digest} ({})", human_size(size));
            if !bars.done(&digest, &line, true) {
                printer.status(line);
            }
        }
        PushEvent::Manifest { digest, reference } => {
            printer.detail(format!("  manifest {digest} as {reference}"))
        }
    };
    let pushed = envelope_registry::push_image(
        client, session, image, &target, &all_tags, mount_from, &on_event,
    )
    .map_err(tls_hint)
    .with_context(|| format!("pushing to {target}"))?;
    let digest = pushed.digest;
    let st = &client.stats;
    let n = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
    printer.detail(format!(
        "requests: {} HEAD, {} GET, {} PUT, {} POST, {} retries; {} uploaded",
        n(&st.head),
        n(&st.get),
        n(&st.put),
        n(&st.post),
        n(&st.retries),
        human_size(n(&st.bytes_up))
    ));
    let name = target.name();
    let tag = target.tag.clone().or_else(|| tags.first().cloned());
    let shown = match tag {
        Some(t) => format!("{name}:{t}@{digest}"),
        None => format!("{name}@{digest}"),
    };
    Ok((shown, pushed.changed))
}

/// The base image for each platform, or None for scratch.
pub fn resolve_bases(
    args: &envelope_cli::ImageArgs,
    platforms: &[envelope_oci::Platform],
    cache_root: &std::path::Path,
    printer: &Printer,
) -> Result<Option<Vec<envelope_build::BaseImage>>> {
    if args.base == "scratch" {
        return Ok(None);
    }
    let r =
        parse_registry_ref(&args.base).with_context(|| format!("bad --base {:?}", args.base))?;
    if r.digest.is_none() && args.require_pinned {
        return Err(hinted(
            format!(
                "--base {} is not pinned by digest (--require-pinned)",
                args.base
            ),
            "name the base as REF@sha256:...; `envelope digest REF` prints the digest",
        ));
    }
    let client = client(&args.registry)?;
    let cache = envelope_registry::BlobCache::new(envelope_registry::blob_cache_dir(cache_root));
    let root = envelope_registry::resolve_root(&client, &cache, &r)
        .map_err(tls_hint)
        .with_context(|| format!("pulling the base {r}"))?;
    let name = match &r.tag {
        Some(t) => format!("{}:{t}", r.name()),
        None => r.name(),
    };
    if r.digest.is_none() {
        printer.warn(format!(
            "the base {name} is not pinned: it resolved to {}; pin it with --base {name}@{}",
            root.0, root.0
        ));
    }
    let mut bases = Vec::new();
    for p in platforms {
        let pulled = envelope_registry::pull_base(&client, &cache, &r, &root, p)
            .map_err(tls_hint)
            .with_context(|| format!("pulling the base {r} for {p}"))?;
        bases.push(envelope_build::BaseImage {
            name: name.clone(),
            digest: pulled.digest,
            manifest_media_type: pulled.manifest_media_type,
            config: pulled.config,
            layers: pulled.layers,
        });
    }
    Ok(Some(bases))
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
) -> Result<(Opened, BinaryCollector<T>)> {
    let platform = self::platform(platform)?;
    let opened = open(image, platform.as_ref(), registry)?;
    let mut collector = BinaryCollector::new(read);
    index(&opened, &mut collector, verify)?;
    Ok((opened, collector))
}

/// SOURCE_DATE_EPOCH as RFC 3339, when set.
pub(crate) fn epoch_time() -> Result<Option<String>> {
    if std::env::var_os("SOURCE_DATE_EPOCH").is_none() {
        return Ok(None);
    }
    let e = source_date_epoch()?;
    Ok(Some(envelope_build::rfc3339(e)))
}

const EPOCH_HINT: &str =
    "set SOURCE_DATE_EPOCH to whole seconds since 1970, e.g. $(git log -1 --format=%ct)";

/// SOURCE_DATE_EPOCH, or 0 when unset.
pub fn source_date_epoch() -> Result<u64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Err(std::env::VarError::NotPresent) => Ok(0),
        Err(std::env::VarError::NotUnicode(v)) => Err(hinted(
            format!("SOURCE_DATE_EPOCH={v:?} is not a number"),
            EPOCH_HINT,
        )),
        Ok(v) if v.trim().is_empty() => Ok(0),
        Ok(v) => v.trim().parse::<u64>().map_err(|_| {
            hinted(
                format!("SOURCE_DATE_EPOCH={v:?} is not a whole number of seconds since 1970"),
                EPOCH_HINT,
            )
        }),
    }
}
