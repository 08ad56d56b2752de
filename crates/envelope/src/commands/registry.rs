//! `copy`, `digest`, `login` and `logout`.

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use envelope_cli::{CopyArgs, DigestArgs, LoginArgs, LogoutArgs};
use envelope_oci::{Digest, ImageRef};
use envelope_registry::{Client, ClientOptions, CredentialStore, RegistryRef, Secret};

use crate::images;
use crate::printer::Printer;

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
    let written = match &dst {
        ImageRef::Docker { reference } => {
            let sources: Vec<RegistryRef> = opened.registry.iter().cloned().collect();
            let session = envelope_registry::PushSession::new();
            images::push(&client, &session, &image, reference, &[], &sources, printer)?.0
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
