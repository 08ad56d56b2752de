//! Where signatures and attestations live, for a registry repository or
//! an image layout (one [`Target`]), in both of cosign's formats: the tag
//! schema (`sha256-<hex>.sig` / `.att` signature images beside the signed
//! manifest, appended to read-modify-write; see envelope_oci::cosign) and
//! Sigstore bundles attached as OCI 1.1 referrers (crate::referrers, with
//! the referrers tag schema as fallback). [`attach_signature`] and
//! [`attach_attestation`] store, [`find`] and [`check`] read back. The
//! documents themselves are envelope-sign's.

use std::collections::BTreeMap;

use envelope_oci::artifact::{self, Artifact, CREATED};
use envelope_oci::cosign::{
    append_layer, parse_signature_manifest, Attachment, SignatureLayer, MAX_LAYER,
};
use envelope_oci::{media_types, Descriptor, Digest, ImageManifest, OciLayout};
use envelope_sign::bundle::{
    Bundle, BUNDLE_MEDIA_TYPE, CONTENT_ANNOTATION, PREDICATE_TYPE_ANNOTATION,
};
use envelope_sign::dsse::{Envelope, DSSE_MEDIA_TYPE, INTOTO_PAYLOAD_TYPE};
use envelope_sign::simple_signing::{SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE};
use envelope_sign::statement::COSIGN_SIGN_PREDICATE;
use envelope_sign::verify::{self, Check, Expected, Format, Outcome};
use envelope_sign::{PublicKey, SigningKey, SimpleSigning, Statement};

use crate::{Client, Error, RegistryRef};

/// The signature image of `subject` under its tag, if there is one.
fn existing(
    client: &Client,
    target: &RegistryRef,
    subject: &Digest,
    which: Attachment,
) -> Result<Option<ImageManifest>, Error> {
    let tag = which.tag(subject);
    let tagged = target.with_tag(&tag);
    // A full HEAD: an existing manifest must never be taken for a missing
    // one, or its signatures would be replaced.
    if client.head_manifest(&tagged)?.is_none() {
        return Ok(None);
    }
    let (bytes, mt, _) = client.get_manifest(&tagged)?;
    if !media_types::is_manifest(&mt) {
        return Err(Error::Malformed(format!(
            "the signature tag {tag} holds a {mt}, not an image manifest"
        )));
    }
    parse_signature_manifest(&bytes)
        .map(Some)
        .map_err(|e| Error::Malformed(format!("{tag}: {e}")))
}

/// Appends `layer` to the `which` signature image of `subject` in
/// `target`'s repository; false when an identical layer was there.
pub fn push_signature(
    client: &Client,
    target: &RegistryRef,
    subject: &Digest,
    which: Attachment,
    layer: &SignatureLayer,
) -> Result<bool, Error> {
    let current = existing(client, target, subject, which)?;
    let Some(image) = append_layer(current.as_ref(), layer) else {
        return Ok(false);
    };
    for (digest, data) in [
        (&image.config.0.digest, &image.config.1),
        (&Digest::sha256(&layer.data), &layer.data),
    ] {
        if !client.blob_exists(target, digest)? {
            client.upload_blob(target, digest, data, &|_| {})?;
        }
    }
    let tag = which.tag(subject);
    client.put_manifest(
        &target.with_tag(&tag),
        &tag,
        media_types::OCI_MANIFEST,
        &image.manifest,
    )?;
    Ok(true)
}

/// The layers of the `which` signature image of `subject`, each with its
/// bytes (verified against its digest); empty when there is none.
pub fn signature_layers(
    client: &Client,
    target: &RegistryRef,
    subject: &Digest,
    which: Attachment,
) -> Result<Vec<(Descriptor, Vec<u8>)>, Error> {
    let Some(m) = existing(client, target, subject, which)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for d in m.layers {
        if d.size > MAX_LAYER {
            return Err(Error::Malformed(format!(
                "signature layer {} is {} bytes; {MAX_LAYER} is the most read",
                d.digest, d.size
            )));
        }
        let data = client.get_blob(target, &d)?;
        out.push((d, data));
    }
    Ok(out)
}

/// The `.att` layer annotation naming the statement's predicate type.
const PREDICATE_TYPE: &str = "predicateType";

/// Where an image's signatures are stored and found.
pub enum Target<'c> {
    Registry {
        client: &'c Client,
        repository: RegistryRef,
    },
    Layout(OciLayout),
}

impl Target<'_> {
    /// Where it is, for messages.
    pub fn name(&self) -> String {
        match self {
            Target::Registry { repository, .. } => repository.name(),
            Target::Layout(l) => format!("oci:{}", l.root().display()),
        }
    }
}

/// What one attach call stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stored {
    /// The tag-schema layer was added (false: an identical one was there).
    pub tag_added: bool,
    /// `sha256-<hex>.sig` or `.att`.
    pub tag: String,
    /// The bundle referrer's manifest digest.
    pub bundle: Digest,
    /// How the bundle is listed: `referrers-api`, `fallback-tag` or
    /// `index.json`.
    pub bundle_via: &'static str,
}

/// Signs the manifest `subject` with `key` in both of cosign's formats: a
/// simple-signing payload naming `docker_reference` under the `.sig` tag,
/// and a DSSE bundle of cosign's signing statement as a referrer.
/// Deterministic: the same subject and key store the same bytes, and
/// storing them again adds nothing.
pub fn attach_signature(
    target: &Target<'_>,
    subject: &Descriptor,
    docker_reference: &str,
    key: &SigningKey,
    created: Option<&str>,
) -> Result<Stored, Error> {
    let digest = subject.digest.to_string();
    let (payload, signature) = SimpleSigning::new(docker_reference, &digest).sign(key);
    let layer = SignatureLayer {
        media_type: SIMPLE_SIGNING_MEDIA_TYPE.to_string(),
        data: payload,
        annotations: [(SIGNATURE_ANNOTATION.to_string(), signature)]
            .into_iter()
            .collect(),
    };
    let statement = Statement::cosign_sign(&subject.digest).to_json();
    let envelope = Envelope::sign(INTOTO_PAYLOAD_TYPE, statement, key);
    let bundle = Bundle::dsse(envelope, &key.public_key())?;
    store(
        target,
        subject,
        Attachment::Signatures,
        &layer,
        &bundle,
        COSIGN_SIGN_PREDICATE,
        created,
    )
}

/// Stores a signed attestation (a DSSE envelope of an in-toto statement
/// about `subject`) in both formats: a layer of the `.att` tag annotated
/// with `predicate_type`, and a bundle referrer naming `key` (the key
/// that signed it) by its hint.
pub fn attach_attestation(
    target: &Target<'_>,
    subject: &Descriptor,
    envelope: &Envelope,
    predicate_type: &str,
    key: &PublicKey,
    created: Option<&str>,
) -> Result<Stored, Error> {
    let layer = SignatureLayer {
        media_type: DSSE_MEDIA_TYPE.to_string(),
        data: envelope.to_json(),
        annotations: [
            (SIGNATURE_ANNOTATION.to_string(), String::new()),
            (PREDICATE_TYPE.to_string(), predicate_type.to_string()),
        ]
        .into_iter()
        .collect(),
    };
    let bundle = Bundle::dsse(envelope.clone(), key)?;
    store(
        target,
        subject,
        Attachment::Attestations,
        &layer,
        &bundle,
        predicate_type,
        created,
    )
}

/// The referrer cosign attaches a bundle as: artifactType and layer of the
/// bundle media type, annotated with its content and predicate type.
pub fn bundle_artifact(
    subject: &Descriptor,
    bundle: &Bundle,
    predicate_type: &str,
    created: Option<&str>,
) -> Artifact {
    let mut annotations = BTreeMap::new();
    let content = match bundle.content {
        envelope_sign::bundle::Content::Dsse(_) => "dsse-envelope",
        envelope_sign::bundle::Content::Message { .. } => "message-signature",
    };
    annotations.insert(CONTENT_ANNOTATION.to_string(), content.to_string());
    annotations.insert(
        PREDICATE_TYPE_ANNOTATION.to_string(),
        predicate_type.to_string(),
    );
    if let Some(c) = created {
        annotations.insert(CREATED.to_string(), c.to_string());
    }
    artifact::artifact(subject, BUNDLE_MEDIA_TYPE, bundle.to_json(), annotations)
}

fn store(
    target: &Target<'_>,
    subject: &Descriptor,
    which: Attachment,
    layer: &SignatureLayer,
    bundle: &Bundle,
    predicate_type: &str,
    created: Option<&str>,
) -> Result<Stored, Error> {
    let tag = which.tag(&subject.digest);
    let a = bundle_artifact(subject, bundle, predicate_type, created);
    let (tag_added, bundle_via) = match target {
        Target::Registry { client, repository } => {
            let added = push_signature(client, repository, &subject.digest, which, layer)?;
            let via = crate::referrers::push_referrer(client, repository, &a)?;
            (added, via_name(via))
        }
        Target::Layout(layout) => {
            let added = layout.attach_signature(subject, which, layer)?;
            layout.attach(&a)?;
            layout.mark_signed_image(subject)?;
            (added, "index.json")
        }
    };
    Ok(Stored {
        tag_added,
        tag,
        bundle: a.descriptor.digest,
        bundle_via,
    })
}

pub fn via_name(v: crate::referrers::Attached) -> &'static str {
    match v {
        crate::referrers::Attached::ReferrersApi => "referrers-api",
        crate::referrers::Attached::FallbackTag => "fallback-tag",
    }
}

/// One stored signature or attestation, as found.
#[derive(Debug, Clone)]
pub struct Found {
    pub format: Format,
    /// Where: the tag and layer, or the referrer's digest.
    pub location: String,
    pub data: Vec<u8>,
    /// The simple-signing layer's signature annotation.
    pub signature: Option<String>,
}

/// Every signature and attestation stored for `subject`: the `.sig` and
/// `.att` tags' layers and the bundle referrers.
pub fn find(target: &Target<'_>, subject: &Digest) -> Result<Vec<Found>, Error> {
    let mut out = Vec::new();
    for (which, format) in [
        (Attachment::Signatures, Format::SimpleSigning),
        (Attachment::Attestations, Format::Attestation),
    ] {
        let tag = which.tag(subject);
        let layers = match target {
            Target::Registry { client, repository } => {
                signature_layers(client, repository, subject, which)?
            }
            Target::Layout(layout) => layout.signature_layers(subject, which)?,
        };
        for (d, data) in layers {
            out.push(Found {
                format,
                location: format!("{tag} layer {}", d.digest),
                signature: d
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(SIGNATURE_ANNOTATION))
                    .cloned(),
                data,
            });
        }
    }
    match target {
        Target::Registry { client, repository } => {
            let refs = crate::referrers::list_referrers(
                client,
                repository,
                subject,
                Some(BUNDLE_MEDIA_TYPE),
            )?;
            for r in refs {
                let (_, data) = crate::referrers::fetch_referrer(client, repository, &r, subject)?;
                out.push(Found {
                    format: Format::Bundle,
                    location: format!("referrer {}", r.digest),
                    data,
                    signature: None,
                });
            }
        }
        Target::Layout(layout) => {
            for (d, m) in layout.referrers(subject)? {
                if d.artifact_type.as_deref() != Some(BUNDLE_MEDIA_TYPE) {
                    continue;
                }
                let Some(layer) = m.layers.first() else {
                    continue;
                };
                if layer.size > envelope_sign::bundle::MAX_BUNDLE as u64 {
                    return Err(Error::Malformed(format!(
                        "bundle {} is {} bytes",
                        layer.digest, layer.size
                    )));
                }
                out.push(Found {
                    format: Format::Bundle,
                    location: format!("referrer {}", d.digest),
                    data: layout.read_blob(&layer.digest)?,
                    signature: None,
                });
            }
        }
    }
    Ok(out)
}

/// Checks what was found against `key` and the manifest `digest`.
pub fn check(found: &[Found], want: Expected<'_>) -> Vec<Check> {
    found
        .iter()
        .map(|f| {
            let (outcome, predicate_type) = match f.format {
                Format::SimpleSigning => match &f.signature {
                    Some(sig) => (verify::check_simple_signing(&f.data, sig, want), None),
                    None => (
                        Outcome::Error {
                            detail: format!("the layer has no {SIGNATURE_ANNOTATION} annotation"),
                        },
                        None,
                    ),
                },
                Format::Attestation => verify::check_envelope(&f.data, want),
                Format::Bundle => verify::check_bundle(&f.data, want),
            };
            Check {
                format: f.format,
                location: f.location.clone(),
                predicate_type,
                outcome,
            }
        })
        .collect()
}
