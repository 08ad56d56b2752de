//! `copy`, `digest`, `login` and `logout`.

use std::io::{Read, Write};
use std::process::ExitCode;

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use envelope_cli::{CopyArgs, DigestArgs, LoginArgs, LogoutArgs, ReportFormat};
use envelope_oci::{Digest, ImageRef, OciLayout};
use envelope_registry::carry;
use envelope_registry::signatures::Target;
use envelope_registry::{Client, ClientOptions, CredentialStore, RegistryRef, Secret};

use crate::images;
use crate::printer::{hinted, Printer};

pub fn copy(args: CopyArgs, printer: &Printer) -> Result<ExitCode> {
    let client = images::client(&args.registry)?;
    let dst = images::output_ref(&args.destination, "destination")?;
    let platform = images::platform(args.platform.as_deref())?;
    let opened = images::open_store(&args.source, &client)?;
    // With --platform the image of that platform alone, from any transport;
    // without, the whole image (every platform of an index).
    let image = opened
        .store
        .blobs(platform.as_ref())
        .map_err(|e| images::tls_hint(e.into()))
        .with_context(|| format!("reading {}", args.source))?;
    // What refers to the copied digests, read (and verified) before
    // anything is written.
    let found = match args.remove_signatures {
        true => Vec::new(),
        false => attachments(&args.source, &opened, &image, &client).map_err(|e| {
            hinted(
                format!("reading the signatures of {}: {e:#}", args.source),
                "--remove-signatures copies the image without its signatures, attestations and SBOMs",
            )
        })?,
    };
    for f in &found {
        for (digest, artifact_type) in &f.skipped {
            printer.warn(format!(
                "referrer {digest} ({artifact_type}) of {} is not a one-layer artifact: not copied",
                f.subject.digest
            ));
        }
    }
    let carrying = found.iter().any(|f| !f.is_empty());
    let mut carried = Vec::new();
    let mut left_behind = Vec::new();
    let written = match &dst {
        ImageRef::Docker { reference } => {
            let sources: Vec<RegistryRef> = opened.registry.iter().cloned().collect();
            let session = envelope_registry::PushSession::new();
            let written =
                images::push(&client, &session, &image, reference, &[], &sources, printer)?.0;
            if carrying {
                let target = Target::Registry {
                    client: &client,
                    repository: images::parse_registry_ref(reference)?,
                };
                carried = carry::store(&target, &found)
                    .map_err(images::tls_hint)
                    .with_context(|| format!("copying the signatures to {reference}"))?;
            }
            written
        }
        ImageRef::Oci { dir, tag } => {
            envelope_oci::write_oci_layout(dir, &image, tag.as_deref())?;
            if carrying {
                let target = Target::Layout(OciLayout::open(dir)?);
                carried = carry::store(&target, &found)
                    .with_context(|| format!("copying the signatures to {dst}"))?;
            }
            format!("{dst}@{}", image.root.digest)
        }
        ImageRef::OciArchive { file, tag } if carrying => {
            // Assembled as a layout beside the file, then archived whole.
            let parent = match file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => std::path::PathBuf::from("."),
            };
            let staging = tempfile::Builder::new()
                .prefix(".envelope-copy-")
                .tempdir_in(&parent)
                .with_context(|| format!("making a staging directory in {}", parent.display()))?;
            envelope_oci::write_oci_layout(staging.path(), &image, tag.as_deref())?;
            let layout = OciLayout::open(staging.path())?;
            let target = Target::Layout(layout);
            carried = carry::store(&target, &found)
                .with_context(|| format!("copying the signatures to {dst}"))?;
            let Target::Layout(layout) = &target else {
                unreachable!("a layout target")
            };
            envelope_oci::write_layout_archive(file, layout)?;
            format!("{dst}@{}", image.root.digest)
        }
        ImageRef::OciArchive { file, tag } => {
            envelope_oci::write_oci_archive(file, &image, tag.as_deref())?;
            format!("{dst}@{}", image.root.digest)
        }
        ImageRef::DockerArchive { file, reference } => {
            envelope_oci::write_docker_archive(file, &image, reference.as_deref())?;
            left_behind = carry::summary(&found);
            format!("{dst}")
        }
    };
    if !left_behind.is_empty() {
        printer.warn(format!(
            "a docker-archive cannot hold signatures, attestations or SBOMs: left behind {}",
            tally(&left_behind)
        ));
    }
    let mut out = printer.stdout();
    match args.format {
        ReportFormat::Json => {
            let report = serde_json::json!({
                "image": written,
                "digest": image.root.digest.to_string(),
                "carried": carried,
                "left_behind": left_behind,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        }
        ReportFormat::Human => {
            writeln!(out, "{written}")?;
            for c in &carried {
                let state = if c.added { "copied" } else { "already there" };
                printer.status(format!(
                    "{} {} for {}: {} ({state})",
                    c.count,
                    noun(c.kind, c.count),
                    c.subject,
                    c.name
                ));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the source keeps what refers to the image, and what it holds for
/// each copied digest (empty for a docker-archive, which holds none).
fn attachments(
    source: &str,
    opened: &envelope_registry::Opened<'_>,
    image: &envelope_oci::ImageBlobs,
    client: &Client,
) -> Result<Vec<carry::Attached>> {
    let subjects = carry::subjects(image)?;
    let mut _unpacked = None;
    let target = match images::image_ref(source)? {
        ImageRef::Docker { .. } => match &opened.registry {
            Some(r) => Target::Registry {
                client,
                repository: r.clone(),
            },
            None => return Ok(Vec::new()),
        },
        ImageRef::Oci { dir, .. } => Target::Layout(OciLayout::open(&dir)?),
        ImageRef::OciArchive { file, .. } => {
            let (staging, layout) = images::unpack_archive(&file)?;
            _unpacked = Some(staging);
            Target::Layout(layout)
        }
        ImageRef::DockerArchive { .. } => return Ok(Vec::new()),
    };
    carry::collect(&target, &subjects).map_err(images::tls_hint)
}

/// "2 signatures, 1 attestation, 1 SBOM referrer".
fn tally(items: &[carry::Carried]) -> String {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for c in items {
        *counts.entry(c.kind).or_default() += c.count;
    }
    counts
        .iter()
        .map(|(kind, n)| format!("{n} {}", noun(kind, *n)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn noun(kind: &str, n: usize) -> String {
    let one = match kind {
        "signatures" => "signature",
        "attestations" => "attestation",
        "sboms" => "SBOM (.sbom tag)",
        "bundle" => "Sigstore bundle",
        "sbom" => "SBOM referrer",
        _ => "other referrer",
    };
    match (n, kind) {
        (1, _) | (_, "sboms") => one.to_string(),
        _ => format!("{one}s"),
    }
}

pub fn digest(args: DigestArgs, printer: &Printer) -> Result<ExitCode> {
    let r = images::image_ref(&args.reference)?;
    let digest: Digest = match &r {
        ImageRef::Docker { reference } => {
            let rr = images::parse_registry_ref(reference)?;
            let client = images::client(&args.registry)?;
            match client.head_manifest(&rr).map_err(images::tls_hint)? {
                Some((d, _, _)) => d,
                None => bail!("{rr} does not exist in the registry"),
            }
        }
        _ => {
            let client = images::client(&args.registry)?;
            let opened = images::open_store(&args.reference, &client)?;
            // The root is read and verified, not only named by index.json.
            opened.store.root_bytes()?;
            opened.store.root().digest.clone()
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
        timeouts: images::timeouts(),
        ..ClientOptions::default()
    };
    let probe = Client::new(CredentialStore { files: vec![tmp] }, options)?;
    let r = images::parse_registry_ref(&format!("{}/envelope-login-check", args.registry))?;
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
