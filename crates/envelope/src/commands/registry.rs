//! The binary's side of registries: a client from the flags, pushes with one
//! status line per blob, and `copy`, `digest`, `login`, `logout`.

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use envelope_cli::{CopyArgs, DigestArgs, LoginArgs, LogoutArgs, RegistryArgs};
use envelope_oci::{Digest, ImageBlobs, ImageRef, OciLayout};
use envelope_registry::{Client, ClientOptions, CredentialStore, PushEvent, RegistryRef, Secret};

use crate::printer::{hinted, human_size, Printer};

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
    };
    Ok(Client::new(CredentialStore::from_env(), options)?)
}

pub fn parse_registry_ref(s: &str) -> Result<RegistryRef> {
    Ok(s.parse::<RegistryRef>()?)
}

/// Pushes and returns `REF@DIGEST`.
pub fn push(
    client: &Client,
    image: &ImageBlobs,
    reference: &str,
    tags: &[String],
    mount_from: &[RegistryRef],
    printer: &Printer,
) -> Result<String> {
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
    let digest =
        envelope_registry::push_image(client, image, &target, &all_tags, mount_from, &on_event)
            .map_err(tls_hint)
            .with_context(|| format!("pushing to {target}"))?;
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
    Ok(match tag {
        Some(t) => format!("{name}:{t}@{digest}"),
        None => format!("{name}@{digest}"),
    })
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

/// Pulls a registry image for `platform` (linux/amd64 when not given) into
/// envelope's blob cache, every blob verified, and opens it from there for
/// streaming.
pub fn open_registry_image(
    client: &Client,
    r: &RegistryRef,
    platform: Option<&envelope_oci::Platform>,
) -> Result<envelope_oci::ImageSource> {
    let cache_root = envelope_build::Cache::from_env().root().to_path_buf();
    let cache = envelope_registry::BlobCache::new(envelope_registry::blob_cache_dir(&cache_root));
    let root = envelope_registry::resolve_root(client, &cache, r)
        .map_err(tls_hint)
        .with_context(|| format!("pulling {r}"))?;
    let p = match platform {
        Some(p) => p.clone(),
        None => "linux/amd64".parse::<envelope_oci::Platform>()?,
    };
    envelope_registry::pull_base(client, &cache, r, &root, &p)
        .map_err(tls_hint)
        .with_context(|| format!("pulling {r} for {p}"))?;
    let v: serde_json::Value = serde_json::from_slice(&root.1).unwrap_or_default();
    let media_type = match v["mediaType"].as_str() {
        Some(m) => m.to_string(),
        None if v.get("manifests").is_some() => envelope_oci::media_types::OCI_INDEX.to_string(),
        None => envelope_oci::media_types::OCI_MANIFEST.to_string(),
    };
    let desc = envelope_oci::Descriptor {
        media_type,
        digest: root.0.clone(),
        size: root.1.len() as u64,
        urls: None,
        annotations: None,
        platform: None,
        artifact_type: None,
    };
    envelope_oci::open_blob_dir(&cache_root, desc, Some(&p), "docker")
        .with_context(|| format!("opening {r} from the blob cache"))
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

/// Reads an image from any transport envelope reads.
fn read_image(
    src: &str,
    client: &Client,
    platform: Option<&envelope_oci::Platform>,
) -> Result<ImageBlobs> {
    let r: ImageRef = src.parse().with_context(|| format!("bad source {src:?}"))?;
    match r {
        ImageRef::Oci { dir, tag } => Ok(envelope_oci::read_oci_layout(&dir, tag.as_deref())?),
        ImageRef::Docker { reference } => {
            let rr = parse_registry_ref(&reference)?;
            Ok(envelope_registry::pull_image(client, &rr, platform)?)
        }
        ImageRef::OciArchive { file, tag } => {
            Ok(envelope_oci::read_oci_archive(&file, tag.as_deref())?)
        }
        ImageRef::DockerArchive { file, reference } => Ok(envelope_oci::read_docker_archive(
            &file,
            reference.as_deref(),
        )?),
    }
}

pub fn copy(args: CopyArgs, printer: &Printer) -> Result<ExitCode> {
    let client = client(&args.registry)?;
    let dst: ImageRef = args
        .destination
        .parse()
        .with_context(|| format!("bad destination {:?}", args.destination))?;
    let platform = args
        .platform
        .as_deref()
        .map(str::parse::<envelope_oci::Platform>)
        .transpose()?;
    let image = read_image(&args.source, &client, platform.as_ref())?;
    let written = match &dst {
        ImageRef::Docker { reference } => {
            let sources: Vec<RegistryRef> = match args.source.parse::<ImageRef>() {
                Ok(ImageRef::Docker { reference: src }) => {
                    parse_registry_ref(&src).into_iter().collect()
                }
                _ => Vec::new(),
            };
            push(&client, &image, reference, &[], &sources, printer)?
        }
        ImageRef::Oci { dir, tag } => {
            envelope_oci::write_oci_layout(dir, &image, tag.as_deref())?;
            format!("{dst}@{}", image.root.digest)
        }
        ImageRef::OciArchive { file, tag } => {
            envelope_oci::write_oci_archive(file, &image, tag.as_deref())?;
            format!("{dst}@{}", image.root.digest)
        }
        ImageRef::DockerArchive { file, reference } => {
            envelope_oci::write_docker_archive(file, &image, reference.as_deref())?;
            format!("{dst}")
        }
    };
    let mut out = printer.stdout();
    writeln!(out, "{written}")?;
    Ok(ExitCode::SUCCESS)
}

pub fn digest(args: DigestArgs, printer: &Printer) -> Result<ExitCode> {
    let r: ImageRef = args
        .reference
        .parse()
        .with_context(|| format!("bad reference {:?}", args.reference))?;
    let digest: Digest = match r {
        ImageRef::Oci { dir, tag } => OciLayout::open(&dir)?.resolve(tag.as_deref())?.digest,
        ImageRef::Docker { reference } => {
            let rr = parse_registry_ref(&reference)?;
            let client = client(&args.registry)?;
            match client.head_manifest(&rr).map_err(tls_hint)? {
                Some((d, _, _)) => d,
                None => bail!("{rr} does not exist in the registry"),
            }
        }
        ImageRef::OciArchive { file, tag } => {
            envelope_oci::read_oci_archive(&file, tag.as_deref())?
                .root
                .digest
        }
        ImageRef::DockerArchive { file, reference } => {
            envelope_oci::read_docker_archive(&file, reference.as_deref())?
                .root
                .digest
        }
    };
    writeln!(printer.stdout(), "{digest}")?;
    Ok(ExitCode::SUCCESS)
}

pub fn login(args: LoginArgs, printer: &Printer) -> Result<ExitCode> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("reading the password from standard input")?;
    let password = Secret::new(password.trim_end_matches(['\n', '\r']));
    if password.expose().is_empty() {
        bail!("no password on standard input");
    }
    let config = envelope_registry::default_docker_config()
        .context("no home directory: set DOCKER_CONFIG")?;
    // Check the credentials before storing them: ping with them in a
    // temporary store.
    let dir = tempfile::tempdir()?;
    let tmp = dir.path().join("config.json");
    envelope_registry::write_docker_login(&tmp, &args.registry, &args.username, &password)?;
    let options = ClientOptions {
        insecure: args.registry_args.insecure.clone(),
        ca_file: args.registry_args.registry_ca_file.clone(),
        ..ClientOptions::default()
    };
    let probe = Client::new(CredentialStore { files: vec![tmp] }, options)?;
    let r = parse_registry_ref(&format!("{}/envelope-login-check", args.registry))?;
    probe
        .ping(&r)
        .with_context(|| format!("logging in to {}", args.registry))?;
    envelope_registry::write_docker_login(&config, &args.registry, &args.username, &password)?;
    printer.status(format!(
        "Login succeeded: credentials for {} saved in {}",
        args.registry,
        config.display()
    ));
    Ok(ExitCode::SUCCESS)
}

pub fn logout(args: LogoutArgs, printer: &Printer) -> Result<ExitCode> {
    let config = envelope_registry::default_docker_config()
        .context("no home directory: set DOCKER_CONFIG")?;
    if envelope_registry::remove_docker_login(&config, &args.registry)? {
        printer.status(format!(
            "Removed credentials for {} from {}",
            args.registry,
            config.display()
        ));
    } else {
        printer.status(format!(
            "No credentials for {} in {}",
            args.registry,
            config.display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
