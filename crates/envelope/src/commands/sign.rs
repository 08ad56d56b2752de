//! `envelope sign` and `envelope verify`: signing an image's manifest in
//! cosign's formats, and checking every signature found against a public
//! key, offline. Storage and formats are in `signing` and envelope-sign.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use envelope_cli::{ReportFormat, SignArgs, VerifyArgs};
use envelope_oci::{media_types, Descriptor, ImageIndex, ImageRef, OciLayout, REF_NAME};
use envelope_sign::verify::{Expected, Outcome, Report, Verdict};

use crate::images;
use crate::printer::{hinted, Printer};
use crate::signing;
use envelope_registry::signatures::{self as stored, Target};

/// The image to sign or verify: where its signatures live, its root
/// manifest, the platform manifests of an index, and the repository name
/// a simple-signing payload names.
struct Signable<'c> {
    target: Target<'c>,
    root: Descriptor,
    children: Vec<Descriptor>,
    docker_reference: String,
}

fn signable<'c>(image: &str, client: &'c envelope_registry::Client) -> Result<Signable<'c>> {
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
            let Some(tag) = root
                .annotations
                .as_ref()
                .and_then(|a| a.get(REF_NAME))
                .cloned()
            else {
                bail!(hinted(
                    format!("{image}: the image has no tag in the layout"),
                    "tag it (write it to oci:DIR:TAG): signatures are stored beside it in index.json, and skopeo and podman refuse a layout with several untagged entries",
                ));
            };
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
    })
}

/// `org.opencontainers.image.created` of the bundle referrers: from
/// SOURCE_DATE_EPOCH when set, else none (never the clock).
fn created() -> Result<Option<String>> {
    Ok(match std::env::var_os("SOURCE_DATE_EPOCH") {
        Some(_) => Some(envelope_build::image::rfc3339(images::source_date_epoch()?)),
        None => None,
    })
}

pub fn run(args: SignArgs, printer: &Printer) -> Result<ExitCode> {
    let key = signing::load_signing_key(&args.key)?;
    let client = images::client(&args.registry)?;
    let s = signable(&args.image, &client)?;
    let fingerprint = key.public_key().fingerprint()?;
    let created = created()?;
    let mut subjects = vec![s.root.clone()];
    if args.recursive {
        subjects.extend(s.children.iter().cloned());
    } else if !s.children.is_empty() {
        printer.detail(format!(
            "{} is an index of {} manifests; --recursive signs each of them too",
            args.image,
            s.children.len()
        ));
    }
    let mut signed = Vec::new();
    for subject in &subjects {
        let stored = stored::attach_signature(
            &s.target,
            subject,
            &s.docker_reference,
            &key,
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
    let mut out = printer.stdout();
    match args.format {
        ReportFormat::Json => {
            let doc = serde_json::json!({
                "image": args.image,
                "digest": s.root.digest.to_string(),
                "key_fingerprint": format!("sha256:{fingerprint}"),
                "signed": signed.iter().map(|(d, st)| serde_json::json!({
                    "digest": d,
                    "tag": st.tag,
                    "tag_added": st.tag_added,
                    "bundle": st.bundle.to_string(),
                    "bundle_via": st.bundle_via,
                })).collect::<Vec<_>>(),
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        ReportFormat::Human => {
            for (digest, st) in &signed {
                let state = if st.tag_added {
                    "signed"
                } else {
                    "already signed"
                };
                writeln!(
                    out,
                    "{state} {digest} in {}: {} and bundle {} ({})",
                    s.target.name(),
                    st.tag,
                    st.bundle,
                    st.bundle_via
                )?;
            }
            printer.detail(format!("key sha256:{fingerprint}"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn verify(args: VerifyArgs, printer: &Printer) -> Result<ExitCode> {
    let key = signing::load_public_key(&args.key)?;
    let client = images::client(&args.registry)?;
    let s = signable(&args.image, &client)?;
    let digest = s.root.digest.to_string();
    let found = stored::find(&s.target, &s.root.digest)
        .with_context(|| format!("reading the signatures of {}", args.image))?;
    let checks = stored::check(
        &found,
        Expected {
            key: &key,
            digest: &digest,
        },
    );
    let report = Report {
        digest: digest.clone(),
        key_fingerprint: key.fingerprint()?,
        checks,
    };
    let verdict = report.verdict();
    let mut out = printer.stdout();
    match args.format {
        ReportFormat::Json => {
            let doc = serde_json::json!({
                "image": args.image,
                "digest": report.digest,
                "key_fingerprint": format!("sha256:{}", report.key_fingerprint),
                "verdict": verdict,
                "verified_signatures": report.verified_signatures(),
                "formats": report.verified_formats(),
                "checks": report.checks,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        ReportFormat::Human => {
            for c in &report.checks {
                let (mark, why) = match &c.outcome {
                    Outcome::Verified => ("ok", String::new()),
                    Outcome::Failed(f) => ("FAILED", format!(": {f}")),
                    Outcome::Error { detail } => ("ERROR", format!(": {detail}")),
                };
                let predicate = c
                    .predicate_type
                    .as_deref()
                    .map(|p| format!(" [{p}]"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  {mark} {} {}{predicate}{why}",
                    c.format.name(),
                    c.location
                )?;
            }
            let formats: Vec<&str> = report.verified_formats().iter().map(|f| f.name()).collect();
            match verdict {
                Verdict::Verified => writeln!(
                    out,
                    "verified {digest} with key sha256:{}: {} signature{} ({})",
                    report.key_fingerprint,
                    report.verified_signatures(),
                    if report.verified_signatures() == 1 {
                        ""
                    } else {
                        "s"
                    },
                    formats.join(", ")
                )?,
                Verdict::Failed if report.checks.is_empty() => writeln!(
                    out,
                    "not verified: no signature of {digest} in {}",
                    s.target.name()
                )?,
                Verdict::Failed => writeln!(
                    out,
                    "not verified: {digest} with key sha256:{}: a check failed",
                    report.key_fingerprint
                )?,
                Verdict::Error => writeln!(
                    out,
                    "not verified: a signature of {digest} could not be read"
                )?,
            }
        }
    }
    Ok(match verdict {
        Verdict::Verified => ExitCode::SUCCESS,
        Verdict::Failed => ExitCode::from(1),
        Verdict::Error => ExitCode::from(2),
    })
}
