//! Signing keys for `sign`, `verify` and the builds that sign what they
//! write: reading a private key (asking for its password only when it is
//! encrypted) and a public key. Storing and finding signatures is
//! envelope_registry::signatures.

use std::io::IsTerminal;

use anyhow::{bail, Context, Result};
use envelope_sign::{Password, PublicKey, SigningKey};

use crate::printer::hinted;

/// Reads a private key file, asking for its password (ENVELOPE_PASSWORD,
/// COSIGN_PASSWORD, the terminal) only when it is encrypted.
pub fn load_signing_key(path: &std::path::Path) -> Result<SigningKey> {
    let text = read_key(path)?;
    let file = envelope_sign::PrivateKeyFile::parse(&text)
        .with_context(|| format!("reading the private key {}", path.display()))?;
    let password = if file.is_encrypted() {
        Some(password(false)?)
    } else {
        None
    };
    SigningKey::from_pem(&text, password.as_ref())
        .with_context(|| format!("opening the private key {}", path.display()))
}

/// Reads a public key file.
pub fn load_public_key(path: &std::path::Path) -> Result<PublicKey> {
    let text = read_key(path)?;
    PublicKey::from_pem(&text).map_err(|e| {
        hinted(
            format!("reading the public key {}: {e}", path.display()),
            "pass the PUBLIC KEY PEM file (cosign.pub, as envelope keygen or cosign generate-key-pair write it)",
        )
    })
}

fn read_key(path: &std::path::Path) -> Result<Vec<u8>> {
    // Key files are small; refuse to read a huge file named by mistake.
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.len() > 64 * 1024 {
        bail!(
            "{} is {} bytes, too large for a key file",
            path.display(),
            meta.len()
        );
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Where the password comes from, first found first: cosign's variable
/// second, so a cosign setup works unchanged.
const PASSWORD_VARIABLES: [&str; 2] = ["ENVELOPE_PASSWORD", "COSIGN_PASSWORD"];

/// The password for a private key: from the first variable set (an empty
/// value is a deliberate empty password, as cosign takes it), else asked on
/// the terminal, twice when `confirm` (a new key), and then never empty.
pub fn password(confirm: bool) -> Result<Password> {
    for name in PASSWORD_VARIABLES {
        if let Some(value) = std::env::var_os(name) {
            return Ok(Password::new(value.into_encoded_bytes()));
        }
    }
    if !std::io::stdin().is_terminal() {
        bail!(hinted(
            "no password for the private key: ENVELOPE_PASSWORD and COSIGN_PASSWORD are unset and there is no terminal to ask on",
            "set ENVELOPE_PASSWORD (an empty value means no password)",
        ));
    }
    let first = prompt("Enter password for private key: ")?;
    if first.is_empty() {
        bail!(hinted(
            "an empty password was entered",
            "to really use no password, set ENVELOPE_PASSWORD to an empty value",
        ));
    }
    if confirm {
        let again = prompt("Enter password for private key again: ")?;
        if again.as_bytes() != first.as_bytes() {
            bail!("the passwords entered do not match");
        }
    }
    Ok(first)
}

fn prompt(text: &str) -> Result<Password> {
    rpassword::prompt_password(text)
        .map(Password::new)
        .context("reading the password from the terminal")
}
