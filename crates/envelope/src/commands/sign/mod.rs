//! `envelope sign`, `envelope attest` and `envelope verify`: signing an
//! image's manifest in cosign's formats, attesting it, and checking every
//! signature and attestation found against a public key, offline (and a
//! provenance of envelope's against the image itself). Storage and formats
//! are in `signing`, `attesting` and envelope-sign.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use envelope_attest::verified::Proved;
use envelope_cli::{AttestArgs, ReportFormat, SignArgs, VerifyArgs};
use envelope_registry::signatures as stored;
use envelope_sign::verify::{Expected, Outcome, Report, Verdict};

use crate::attesting;
use crate::images;
use crate::printer::Printer;
use crate::signing;

mod policy;
mod proved;

pub fn run(args: SignArgs, printer: &Printer) -> Result<ExitCode> {
    let key = signing::load_signing_key(&args.key)?;
    let client = images::client(&args.registry)?;
    let s = signing::signable(&args.image, &client)?;
    let fingerprint = key.public_key().fingerprint()?;
    if !args.recursive && !s.children.is_empty() {
        printer.detail(format!(
            "{} is an index of {} manifests; --recursive signs each of them too",
            args.image,
            s.children.len()
        ));
    }
    let signed = signing::sign_image(&s, &key, args.recursive)?;
    let head = Head {
        format: args.format,
        image: &args.image,
        s: &s,
        fingerprint: &fingerprint,
    };
    let items = signed.iter().map(|(d, st)| {
        serde_json::json!({
            "digest": d,
            "tag": st.tag,
            "tag_added": st.tag_added,
            "bundle": st.bundle.to_string(),
            "bundle_via": st.bundle_via,
        })
    });
    let lines = signed.iter().map(|(digest, st)| {
        let state = if st.tag_added {
            "signed"
        } else {
            "already signed"
        };
        format!(
            "{state} {digest} in {}: {} and bundle {} ({})",
            s.target.name(),
            st.tag,
            st.bundle,
            st.bundle_via
        )
    });
    head.print(printer, "signed", items.collect(), lines)?;
    Ok(ExitCode::SUCCESS)
}

/// What the reports of `sign` and `attest` start with.
struct Head<'a> {
    format: ReportFormat,
    image: &'a str,
    s: &'a signing::Signable<'a>,
    fingerprint: &'a str,
}

impl Head<'_> {
    /// The JSON report (the image, its digest, the key's fingerprint and
    /// `items` under `field`), or one human line each and the key with
    /// --verbose.
    fn print(
        &self,
        printer: &Printer,
        field: &str,
        items: serde_json::Value,
        lines: impl Iterator<Item = String>,
    ) -> Result<()> {
        let mut out = printer.stdout();
        match self.format {
            ReportFormat::Json => {
                let mut doc = serde_json::json!({
                    "image": self.image,
                    "digest": self.s.root.digest.to_string(),
                    "key_fingerprint": format!("sha256:{}", self.fingerprint),
                });
                doc[field] = items;
                serde_json::to_writer_pretty(&mut out, &doc)?;
                writeln!(out)?;
            }
            ReportFormat::Human => {
                for line in lines {
                    writeln!(out, "{line}")?;
                }
                printer.detail(format!("key sha256:{}", self.fingerprint));
            }
        }
        Ok(())
    }
}

pub fn attest(args: AttestArgs, printer: &Printer) -> Result<ExitCode> {
    let key = signing::load_signing_key(&args.key)?;
    let client = images::client(&args.registry)?;
    let s = signing::signable(&args.image, &client)?;
    let fingerprint = key.public_key().fingerprint()?;
    let done = attesting::attest_image(
        &args.image,
        &s,
        &client,
        &key,
        &attesting::AttestOptions {
            types: &args.types,
            vex: attesting::VexSource {
                db: &args.vulndb,
                registry: &args.registry,
            },
            fill: &|_| {},
            verify: envelope_attest::Verify::Blobs,
        },
    )?;
    let head = Head {
        format: args.format,
        image: &args.image,
        s: &s,
        fingerprint: &fingerprint,
    };
    let lines = done.iter().map(|a| {
        format!(
            "{} {} of {} in {}: {} and bundle {} ({})",
            if a.stored.tag_added {
                "attested"
            } else {
                "already attested"
            },
            a.predicate_type,
            s.root.digest,
            s.target.name(),
            a.stored.tag,
            a.stored.bundle,
            a.stored.bundle_via
        )
    });
    head.print(printer, "attestations", serde_json::to_value(&done)?, lines)?;
    Ok(ExitCode::SUCCESS)
}

pub fn verify(args: VerifyArgs, printer: &Printer) -> Result<ExitCode> {
    let key = signing::load_public_key(&args.key)?;
    let policy = policy::from_args(&args)?;
    let client = images::client(&args.registry)?;
    let s = signing::verifiable(&args.image, &client)?;
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
    let statements: Vec<_> = found
        .iter()
        .zip(&checks)
        .filter(|(_, c)| c.outcome == Outcome::Verified)
        .filter_map(|(f, _)| attesting::statement_of(f))
        .collect();
    let report = Report {
        digest: digest.clone(),
        key_fingerprint: key.fingerprint()?,
        checks,
    };
    let mut proved = Proved::of(&statements);
    if proved.needs_image() {
        let sources = attesting::image_sources(&args.image, &client)?;
        proved.check(&attesting::read_facts(&sources, &args.image)?);
    }
    let broken = policy.failures(&proved);
    let verdict = match report.verdict() {
        Verdict::Verified if !proved.passed() || !broken.is_empty() => Verdict::Failed,
        v => v,
    };
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
                "proved": proved,
                "policy": serde_json::json!({
                    "rules": policy,
                    "passed": broken.is_empty(),
                    "failures": broken,
                }),
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
            proved::human(&proved, &mut out)?;
            for f in &broken {
                writeln!(out, "  policy: FAILED: {f}")?;
            }
            if !policy.is_empty() && broken.is_empty() {
                writeln!(out, "  policy: ok")?;
            }
            match verdict {
                Verdict::Failed if report.verdict() == Verdict::Verified => writeln!(
                    out,
                    "not verified: {digest} with key sha256:{}: the signatures verify, but {}",
                    report.key_fingerprint,
                    if proved.passed() {
                        "the policy is not met"
                    } else {
                        "the provenance does not describe the image"
                    }
                )?,
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
