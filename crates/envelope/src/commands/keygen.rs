//! `envelope keygen`: an ECDSA P-256 key pair in cosign's formats, the
//! private key encrypted with a password and readable only by its owner.
//! Neither the key nor the password is ever printed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use envelope_cli::KeygenArgs;
use envelope_oci::atomic::{write_atomic_with, Options};
use envelope_sign::SigningKey;

use crate::printer::{hinted, Printer};

pub fn run(args: KeygenArgs, printer: &Printer) -> Result<ExitCode> {
    let private = with_suffix(&args.output_key_prefix, "key");
    let public = with_suffix(&args.output_key_prefix, "pub");
    // Either file existing stops it: a private key must never be lost,
    // nor a public key left that no longer matches it.
    if let Some(existing) = [&private, &public]
        .into_iter()
        .find(|p| p.symlink_metadata().is_ok())
    {
        if !args.force {
            bail!(hinted(
                format!("{} already exists", existing.display()),
                "nothing was written; use --force to replace the key pair, or --output-key-prefix to write elsewhere",
            ));
        }
    }

    let password = crate::signing::password(true)?;
    let key = SigningKey::generate();
    let sealed = key.to_encrypted_pem(&password)?;
    let public_pem = key.public_key().to_pem()?;
    let fingerprint = key.public_key().fingerprint()?;

    write_atomic_with(&private, Options::new().private(), sealed.as_bytes())
        .with_context(|| format!("writing {}", private.display()))?;
    write_atomic_with(&public, Options::new(), public_pem.as_bytes())
        .with_context(|| format!("writing {}", public.display()))?;
    printer.status(format!("Private key written to {}", private.display()));
    printer.status(format!("Public key written to {}", public.display()));
    printer.detail(format!("public key fingerprint sha256:{fingerprint}"));
    Ok(ExitCode::SUCCESS)
}

/// PREFIX.EXT, keeping any dots already in the prefix.
fn with_suffix(prefix: &Path, ext: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_os_string();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}
