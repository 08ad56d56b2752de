//! What `attest`, `verify` and the builds that attest what they write
//! share: reading an image back (one [`ImageFacts`] per platform, through
//! the one image model), the statements made about it (provenance, SBOM,
//! VEX), signing and storing them, and reading back the statements that
//! verified. The statements' content is envelope-attest's; storing them is
//! envelope_registry::signatures.

use anyhow::{Context, Result};
use envelope_attest::predicates::{sbom_byproduct, sbom_predicate, vex_predicate, SbomFormat};
use envelope_attest::{
    read_image, read_image_with, ImageFacts, ProvenanceInput, Statement, Subject,
};
use envelope_cli::{AttestType, RegistryArgs, VulnDbArgs};
use envelope_oci::{media_types, ImageIndex, ImageSource};
use envelope_registry::signatures::{attach_attestation, Found, Stored};
use envelope_sign::bundle::Content;
use envelope_sign::dsse::INTOTO_PAYLOAD_TYPE;
use envelope_sign::verify::Format;
use envelope_sign::{Bundle, Envelope, SigningKey};
use envelope_vuln::scan::Binary;

use crate::images;
use crate::signing::Signable;

/// The image of every platform `image` names: the one manifest, or each
/// platform manifest of an index (attestation manifests, `unknown/unknown`,
/// left out).
pub fn image_sources(image: &str, client: &envelope_registry::Client) -> Result<Vec<ImageSource>> {
    let opened = images::open_store(image, client)?;
    let store = &opened.store;
    if !media_types::is_index(&store.root().media_type) {
        return Ok(vec![store
            .image(None)
            .with_context(|| format!("opening {image}"))?]);
    }
    let bytes = store
        .root_bytes()
        .with_context(|| format!("reading {image}"))?;
    let index: ImageIndex =
        serde_json::from_slice(&bytes).with_context(|| format!("reading the index of {image}"))?;
    let mut out = Vec::new();
    for d in index.manifests {
        let Some(platform) = d.platform.filter(|p| p.os != "unknown") else {
            continue;
        };
        out.push(
            store
                .image(Some(&platform))
                .with_context(|| format!("opening {image} for {platform}"))?,
        );
    }
    Ok(out)
}

/// Each platform's image read back into the facts a provenance states.
pub fn read_facts(sources: &[ImageSource], image: &str) -> Result<Vec<ImageFacts>> {
    sources
        .iter()
        .map(|s| {
            read_image(s)
                .with_context(|| format!("reading the layers of {image} ({})", s.manifest_digest))
        })
        .collect()
}

/// SOURCE_DATE_EPOCH as RFC 3339, else the image's created time.
fn statement_time(facts: &[ImageFacts]) -> Result<Option<String>> {
    Ok(images::epoch_time()?.or_else(|| facts.iter().find_map(|f| f.created.clone())))
}

/// Where the vulnerability database comes from, for `vex`.
pub struct VexSource<'a> {
    pub db: &'a VulnDbArgs,
    pub registry: &'a RegistryArgs,
}

/// One statement signed and stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Attestation {
    pub predicate_type: String,
    /// The digest of the DSSE envelope's JSON (what the `.att` layer holds).
    pub envelope_digest: String,
    #[serde(flatten)]
    pub stored: Stored,
}

/// What to attest and how.
pub struct AttestOptions<'a> {
    pub types: &'a [AttestType],
    pub vex: VexSource<'a>,
    /// Completes the provenance with what only a build knows.
    pub fill: &'a dyn Fn(&mut ProvenanceInput),
    /// Whether the image's layers are checked against their digests as
    /// they are read back.
    pub verify: envelope_attest::Verify<'a>,
}

/// Makes the statements `types` about `s`'s root manifest from the image
/// read back, signs each with `key` and stores it in both formats.
pub fn attest_image(
    image: &str,
    s: &Signable<'_>,
    client: &envelope_registry::Client,
    key: &SigningKey,
    options: &AttestOptions<'_>,
) -> Result<Vec<Attestation>> {
    crate::signing::check_tagged(s)?;
    let AttestOptions {
        types,
        vex,
        fill,
        verify,
    } = options;
    let verify = *verify;
    let mut types = types.to_vec();
    types.sort();
    types.dedup();
    let sources = image_sources(image, client)?;
    // One read of each platform's layers for the provenance's facts, the
    // SBOM (made whenever the provenance is: it names it by digest; its
    // Go binaries and packages are the facts') and the scan behind the VEX.
    let want_sbom = types.contains(&AttestType::Sbom) || types.contains(&AttestType::Provenance);
    let want_vex = types.contains(&AttestType::Vex);
    let mut facts = Vec::new();
    let mut scanned: Vec<Binary> = Vec::new();
    for source in &sources {
        let mut vex_collector = envelope_sbom::collect::BinaryCollector::new(Binary::read);
        let mut none = envelope_layer::NoContent;
        let also: &mut dyn envelope_layer::ContentVisitor = if want_vex {
            &mut vex_collector
        } else {
            &mut none
        };
        facts.push(read_image_with(source, also, verify).with_context(|| {
            format!("reading the layers of {image} ({})", source.manifest_digest)
        })?);
        scanned.extend(vex_collector.binaries.into_values());
    }
    let sbom_binaries = facts
        .iter()
        .flat_map(|f| f.binaries.iter().map(|b| b.binary.clone()))
        .collect();
    let os = facts
        .iter()
        .flat_map(|f| f.os_packages.iter().cloned())
        .collect();
    let time = statement_time(&facts)?;
    let subject = Subject::new(s.docker_reference.clone(), &s.root.digest);
    let mut statements = Vec::new();
    let sbom = if want_sbom {
        Some(sbom_of(sbom_binaries, os, s, time.clone())?)
    } else {
        None
    };
    for t in &types {
        match t {
            AttestType::Provenance => {
                let mut input = ProvenanceInput::from_images(&facts, time.as_deref());
                if let Some(sbom) = &sbom {
                    input
                        .byproducts
                        .push(sbom_byproduct(&sbom.document, SbomFormat::Spdx));
                }
                fill(&mut input);
                statements.push((
                    envelope_attest::PROVENANCE_PREDICATE_TYPE.to_string(),
                    input.provenance().to_value(),
                ));
            }
            AttestType::Sbom => {
                if let Some(sbom) = &sbom {
                    statements.push((sbom.predicate_type.to_string(), sbom.predicate.clone()));
                }
            }
            AttestType::Vex => {
                let p = vex_of(&scanned, vex, time.as_deref().unwrap_or_default())?;
                statements.push((p.predicate_type.to_string(), p.predicate));
            }
        }
    }
    let public = key.public_key();
    let created = crate::signing::created()?;
    let mut out = Vec::new();
    for (predicate_type, predicate) in statements {
        let statement = Statement::new(vec![subject.clone()], predicate_type.clone(), predicate);
        let envelope = Envelope::sign(INTOTO_PAYLOAD_TYPE, statement.to_json(), key);
        let stored = attach_attestation(
            &s.target,
            &s.root,
            &envelope,
            &predicate_type,
            &public,
            created.as_deref(),
        )
        .with_context(|| {
            format!(
                "storing the {predicate_type} attestation of {} in {}",
                s.root.digest,
                s.target.name()
            )
        })?;
        out.push(Attestation {
            envelope_digest: envelope_oci::Digest::sha256(&envelope.to_json()).to_string(),
            predicate_type,
            stored,
        });
    }
    Ok(out)
}

/// The SPDX SBOM of every platform's image (its Go binaries and OS
/// packages), about the root manifest.
fn sbom_of(
    binaries: Vec<envelope_sbom::GoBinary>,
    os: Vec<envelope_sbom::OsPackage>,
    s: &Signable<'_>,
    time: Option<String>,
) -> Result<envelope_attest::predicates::Predicate> {
    let input = crate::sboms::tool_input(
        envelope_sbom::Subject {
            name: s.docker_reference.clone(),
            digest: Some(s.root.digest.to_string()),
            created: time,
        },
        binaries,
        os,
    );
    Ok(sbom_predicate(&input, SbomFormat::Spdx)?)
}

/// The OpenVEX document of a scan of every platform's Go binaries.
fn vex_of(
    bins: &[Binary],
    vex: &VexSource<'_>,
    time: &str,
) -> Result<envelope_attest::predicates::Predicate> {
    let db = crate::vulndb::open(vex.db, false, vex.registry)?;
    db.prefetch(
        std::iter::once("stdlib").chain(
            bins.iter()
                .flat_map(|b| b.modules.iter().map(|m| m.path.as_str())),
        ),
    )
    .context("reading the vulnerability database")?;
    let mut findings = Vec::new();
    for b in bins {
        findings.push(envelope_vuln::scan::findings(&db, b)?);
    }
    let binaries: Vec<envelope_attest::vex::VexBinary<'_>> = bins
        .iter()
        .zip(&findings)
        .map(|(b, f)| envelope_attest::vex::VexBinary {
            path: &b.path,
            main_module: b.main_module.as_deref(),
            inline_trees: b.inline_trees,
            symbols_known: b.symbols_known,
            findings: f,
        })
        .collect();
    Ok(vex_predicate(&binaries, time, env!("CARGO_PKG_VERSION")))
}

/// The statement a stored attestation carries (a `.att` layer's DSSE
/// envelope or a bundle's), once its check verified it.
pub fn statement_of(found: &Found) -> Option<Statement> {
    let envelope = match found.format {
        Format::Attestation => Envelope::parse(&found.data).ok()?,
        Format::Bundle => match Bundle::parse(&found.data).ok()?.content {
            Content::Dsse(e) => e,
            Content::Message { .. } => return None,
        },
        Format::SimpleSigning => return None,
    };
    Statement::parse(&envelope.payload).ok()
}
