//! Artifacts that refer to an image (its SBOM), pushed and found the OCI
//! 1.1 way: the manifest's `subject` for registries with the referrers
//! API, and the `sha256-<hex>` tag schema for those without it (an image
//! index under that tag listing the referrers, updated read-modify-write).

use envelope_oci::artifact::{add_referrer, fallback_tag, Artifact};
use envelope_oci::{media_types, to_json, Descriptor, Digest, ImageIndex, ImageManifest};

use crate::{Client, Error, RegistryRef};

/// How a referrer reached the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attached {
    /// The registry indexed the subject itself (referrers API).
    ReferrersApi,
    /// Listed in the index tagged `sha256-<hex>` (tag schema).
    FallbackTag,
}

/// Pushes `a` next to its subject in `target`'s repository.
pub fn push_referrer(
    client: &Client,
    target: &RegistryRef,
    a: &Artifact,
) -> Result<Attached, Error> {
    // Pushed before (the same image and SBOM pushed again): nothing is
    // sent, and only whether it is listed is checked below.
    let digest = &a.descriptor.digest;
    let present = client
        .head_manifest_quick(&target.with_digest(digest.clone()))?
        .as_ref()
        == Some(digest);
    let mut subject_seen = false;
    if !present {
        for (d, data) in [&a.config, &a.document] {
            if !client.blob_exists(target, &d.digest)? {
                client.upload_blob(target, &d.digest, data, &|_| {})?;
            }
        }
        subject_seen = client
            .put_manifest_subject(
                target,
                &digest.to_string(),
                media_types::OCI_MANIFEST,
                &a.manifest,
            )?
            .1;
    }
    if subject_seen {
        return Ok(Attached::ReferrersApi);
    }
    // A registry may offer the API without sending OCI-Subject: ask it.
    let subject = subject_of(a)?;
    if let Some(index) = client.get_referrers(target, &subject)? {
        if index
            .manifests
            .iter()
            .any(|d| d.digest == a.descriptor.digest)
        {
            return Ok(Attached::ReferrersApi);
        }
    }
    let tag = fallback_tag(&subject);
    let tagged = target.with_tag(&tag);
    // A full HEAD (a GET when the registry sends no digest header): an
    // existing index must never be taken for a missing one.
    let mut index = match client.head_manifest(&tagged)? {
        Some(_) => {
            let (bytes, mt, _) = client.get_manifest(&tagged)?;
            if !media_types::is_index(&mt) {
                return Err(Error::Malformed(format!(
                    "the referrers tag {tag} holds a {mt}, not an image index (another tool uses that tag)"
                )));
            }
            serde_json::from_slice::<ImageIndex>(&bytes)
                .map_err(|e| Error::Malformed(format!("referrers index {tag}: {e}")))?
        }
        None => ImageIndex::empty(),
    };
    if add_referrer(&mut index, a) {
        client.put_manifest(&tagged, &tag, media_types::OCI_INDEX, &to_json(&index))?;
    }
    Ok(Attached::FallbackTag)
}

fn subject_of(a: &Artifact) -> Result<Digest, Error> {
    let m: ImageManifest = serde_json::from_slice(&a.manifest)
        .map_err(|e| Error::Malformed(format!("artifact manifest: {e}")))?;
    m.subject
        .map(|s| s.digest)
        .ok_or_else(|| Error::Malformed("artifact manifest has no subject".into()))
}

/// The referrers of `subject` in `target`'s repository (API first, then
/// the tag schema), optionally only those of `artifact_type`.
pub fn list_referrers(
    client: &Client,
    target: &RegistryRef,
    subject: &Digest,
    artifact_type: Option<&str>,
) -> Result<Vec<Descriptor>, Error> {
    find_referrers(client, target, subject, artifact_type).map(|(_, found)| found)
}

/// [`list_referrers`], and whether they came from the referrers API or
/// the tag schema.
pub fn find_referrers(
    client: &Client,
    target: &RegistryRef,
    subject: &Digest,
    artifact_type: Option<&str>,
) -> Result<(Attached, Vec<Descriptor>), Error> {
    let (via, index) = match client.get_referrers(target, subject)? {
        Some(i) => (Attached::ReferrersApi, i),
        None => (Attached::FallbackTag, {
            let tagged = target.with_tag(&fallback_tag(subject));
            match client.head_manifest(&tagged)? {
                None => ImageIndex::empty(),
                Some(_) => {
                    let (bytes, _, _) = client.get_manifest(&tagged)?;
                    serde_json::from_slice(&bytes).map_err(|e| {
                        Error::Malformed(format!("referrers index {}: {e}", fallback_tag(subject)))
                    })?
                }
            }
        }),
    };
    let found = index
        .manifests
        .into_iter()
        .filter(|d| artifact_type.is_none_or(|t| d.artifact_type.as_deref() == Some(t)))
        .collect();
    Ok((via, found))
}

/// Fetches a referrer's manifest and its first layer (the document), each
/// verified against its digest; checks the manifest names `subject`.
pub fn fetch_referrer(
    client: &Client,
    target: &RegistryRef,
    referrer: &Descriptor,
    subject: &Digest,
) -> Result<(ImageManifest, Vec<u8>), Error> {
    let (_, m, layer) = referrer_manifest(client, target, referrer, subject)?;
    let doc = client.get_blob(target, &layer)?;
    Ok((m, doc))
}

/// The referrer as an [`Artifact`] to store elsewhere unchanged: its
/// manifest's bytes, config and document, each verified against its
/// digest. None when it is not a one-layer artifact (nothing envelope or
/// cosign attaches).
pub fn fetch_artifact(
    client: &Client,
    target: &RegistryRef,
    referrer: &Descriptor,
    subject: &Digest,
) -> Result<Option<Artifact>, Error> {
    let (bytes, m, layer) = referrer_manifest(client, target, referrer, subject)?;
    if m.layers.len() != 1 || m.config.size > envelope_oci::JSON_LIMIT {
        return Ok(None);
    }
    let config = client.get_blob(target, &m.config)?;
    let doc = client.get_blob(target, &layer)?;
    Ok(Artifact::stored(referrer, bytes, &m, config, doc))
}

/// A referrer's manifest (bytes and parsed) and its first layer, checked
/// to name `subject` and to hold a document of a readable size.
fn referrer_manifest(
    client: &Client,
    target: &RegistryRef,
    referrer: &Descriptor,
    subject: &Digest,
) -> Result<(Vec<u8>, ImageManifest, Descriptor), Error> {
    let (bytes, _, _) = client.get_manifest(&target.with_digest(referrer.digest.clone()))?;
    let m: ImageManifest = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Malformed(format!("artifact manifest {}: {e}", referrer.digest)))?;
    if m.subject.as_ref().map(|s| &s.digest) != Some(subject) {
        return Err(Error::Malformed(format!(
            "artifact {} does not name {subject} as its subject",
            referrer.digest
        )));
    }
    let layer =
        m.layers.first().cloned().ok_or_else(|| {
            Error::Malformed(format!("artifact {} has no layers", referrer.digest))
        })?;
    if layer.size > 256 << 20 {
        return Err(Error::Malformed(format!(
            "artifact {} holds a {} byte document; 256 MiB is the limit",
            referrer.digest, layer.size
        )));
    }
    Ok((bytes, m, layer))
}
