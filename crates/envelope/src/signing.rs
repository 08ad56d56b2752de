//! What `sign`, `verify` and the builds that sign what they write share:
//! the image to sign (where its signatures live, its manifests), signing
//! it, and reading keys (a private key's password asked only when it is
//! encrypted, once per run). Storing and finding signatures is
//! envelope_registry::signatures.

use std::io::IsTerminal;

use anyhow::{bail, Context, Result};
use envelope_oci::{media_types, Descriptor, ImageIndex, ImageRef, OciLayout, REF_NAME};
use envelope_registry::signatures::{attach_signature, Stored, Target};
use envelope_sign::{Password, PublicKey, SigningKey};

use crate::images;
use crate::printer::hinted;

/// The image to sign or verify: where its signatures live, its root
/// manifest, the platform manifests of an index, and the repository name
/// a simple-signing payload names.
pub struct Signable<'c> {
    pub target: Target<'c>,
    pub root: Descriptor,
    pub children: Vec<Descriptor>,
    /// The repository, or the tag in a layout (empty: untagged).
    pub docker_reference: String,
    /// An oci-archive unpacked to be read as a layout, removed when this
    /// is dropped.
    _unpacked: Option<tempfile::TempDir>,
}

/// The image to verify: as [`signable`], and an `oci-archive:` too (what
/// `envelope copy` carried into it is read from a temporary unpacked
/// copy; nothing is written to the archive).
pub fn verifiable<'c>(image: &str, client: &'c envelope_registry::Client) -> Result<Signable<'c>> {
    let ImageRef::OciArchive { file, tag } = images::image_ref(image)? else {
        return signable(image, client);
    };
    let (staging, _) = images::unpack_archive(&file)?;
    let layout = match &tag {
        Some(tag) => format!("oci:{}:{tag}", staging.path().display()),
        None => format!("oci:{}", staging.path().display()),
    };
    let mut s = signable(&layout, client).with_context(|| format!("reading {image}"))?;
    s._unpacked = Some(staging);
    Ok(s)
}

pub fn signable<'c>(image: &str, client: &'c envelope_registry::Client) -> Result<Signable<'c>> {
    let r = images::image_ref(image)?;
    if !matches!(r, ImageRef::Oci { .. } | ImageRef::Docker { .. }) {
        bail!(hinted(
            format!(
                "{image}: signatures are stored in registries and OCI layouts, not in archives"
            ),
            "sign the image in a registry (docker://REF) or an OCI layout (oci:DIR:TAG)",
        ));
    }
    let opened = images::open_store(image, client)?;
    let root = opened.store.root().clone();
    let children = if media_types::is_index(&root.media_type) {
        let bytes = opened
            .store
            .root_bytes()
            .with_context(|| format!("reading {image}"))?;
        serde_json::from_slice::<ImageIndex>(&bytes)
            .with_context(|| format!("reading the index of {image}"))?
            .manifests
            .into_iter()
            .filter(|d| media_types::is_manifest(&d.media_type))
            .collect()
    } else {
        Vec::new()
    };
    let (target, docker_reference) = match (&r, opened.registry) {
        (_, Some(repository)) => {
            let name = repository.name();
            (Target::Registry { client, repository }, name)
        }
        (ImageRef::Oci { dir, .. }, None) => {
            // Verifying needs no tag; signing does (see sign_image).
            let tag = root
                .annotations
                .as_ref()
                .and_then(|a| a.get(REF_NAME))
                .cloned()
                .unwrap_or_default();
            let layout = OciLayout::open(dir).with_context(|| format!("opening {image}"))?;
            (Target::Layout(layout), tag)
        }
        _ => bail!("{image}: not a registry image or an OCI layout"),
    };
    Ok(Signable {
        target,
        root,
        children,
        docker_reference,
        _unpacked: None,
    })
}

/// `org.opencontainers.image.created` of the bundle referrers: from
/// SOURCE_DATE_EPOCH when set, else none (never the clock).
pub fn created() -> Result<Option<String>> {
    Ok(match std::env::var_os("SOURCE_DATE_EPOCH") {
        Some(_) => Some(envelope_build::image::rfc3339(images::source_date_epoch()?)),
        None => None,
    })
}

/// Refuses an untagged image in a layout: what is stored beside it needs
/// the tag.
pub fn check_tagged(s: &Signable<'_>) -> Result<()> {
    if matches!(s.target, Target::Layout(_)) && s.docker_reference.is_empty() {
        bail!(hinted(
            format!("{}: the image has no tag in the layout", s.target.name()),
            "tag it (write it to oci:DIR:TAG): signatures are stored beside it in index.json, and skopeo and podman refuse a layout with several untagged entries",
        ));
    }
    Ok(())
}

/// Signs `s`'s root manifest (and with `recursive` each platform
/// manifest of an index) with `key` in both formats; the digests signed
/// and what was stored for each.
pub fn sign_image(
    s: &Signable<'_>,
    key: &SigningKey,
    recursive: bool,
) -> Result<Vec<(String, Stored)>> {
    check_tagged(s)?;
    let created = created()?;
    let mut subjects = vec![s.root.clone()];
    if recursive {
        subjects.extend(s.children.iter().cloned());
    }
    let mut signed = Vec::new();
    for subject in &subjects {
        let stored = attach_signature(
            &s.target,
            subject,
            &s.docker_reference,
            key,
            created.as_deref(),
        )
        .with_context(|| {
            format!(
                "storing the signature of {} in {}",
                subject.digest,
                s.target.name()
            )
        })?;
        signed.push((subject.digest.to_string(), stored));
    }
    Ok(signed)
}

/// The key of `--sign-key`, read (and its password asked) once per run
/// however many images are written.
pub fn build_key(path: &std::path::Path) -> Result<&'static SigningKey> {
    static KEY: std::sync::OnceLock<SigningKey> = std::sync::OnceLock::new();
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _held = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(k) = KEY.get() {
        return Ok(k);
    }
    let key = load_signing_key(path)?;
    Ok(KEY.get_or_init(|| key))
}

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
