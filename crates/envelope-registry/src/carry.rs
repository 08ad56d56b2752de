//! What refers to an image, carried along when the image is copied: the
//! cosign tag-schema images of each copied digest (`sha256-<hex>.sig`,
//! `.att`, `.sbom`) and its OCI 1.1 referrers (Sigstore bundles, SBOMs),
//! read from one [`Target`] and written to another in the form that
//! destination's readers expect, with the existing readers and writers
//! (crate::signatures, crate::referrers, envelope_oci::cosign and
//! envelope_oci::artifact). Nothing is re-signed: signature layers and
//! referrer manifests keep their bytes, so their digests and signatures
//! stay valid.

use envelope_oci::cosign::{Attachment, SignatureLayer};
use envelope_oci::{media_types, Artifact, Descriptor, Digest, ImageBlobs, ImageIndex};
use envelope_sign::bundle::BUNDLE_MEDIA_TYPE;

use crate::signatures::{push_signature, signature_layers, via_name, Target};
use crate::Error;

/// Everything found referring to one digest.
#[derive(Debug, Clone)]
pub struct Attached {
    /// The copied manifest (or index) they refer to.
    pub subject: Descriptor,
    /// The tag-schema images' layers, by kind (empty kinds left out).
    pub tags: Vec<(Attachment, Vec<SignatureLayer>)>,
    /// The referrers, as stored.
    pub referrers: Vec<Artifact>,
    /// Referrers left behind: not one-layer artifacts (digest and type).
    pub skipped: Vec<(Digest, String)>,
}

impl Attached {
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty() && self.referrers.is_empty()
    }
}

/// One thing carried (or, into a docker-archive, left behind).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Carried {
    /// The digest it refers to.
    pub subject: Digest,
    /// `signatures`, `attestations` or `sboms` (tag schema), `bundle`,
    /// `sbom` or `artifact` (referrers).
    pub kind: &'static str,
    /// The tag, or the referrer's manifest digest.
    pub name: String,
    /// Layers of a tag-schema image (1 for a referrer).
    pub count: usize,
    /// The artifact type of a referrer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// Whether the destination lacked it (false: it was there already).
    pub added: bool,
    /// How a referrer is listed at the destination: `referrers-api`,
    /// `fallback-tag` or `index.json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<&'static str>,
}

/// The digests an image's signatures may refer to: its root and, for an
/// index, each manifest it lists.
pub fn subjects(image: &ImageBlobs) -> Result<Vec<Descriptor>, Error> {
    let mut root = image.root.clone();
    root.annotations = None;
    root.platform = None;
    let mut out = vec![root];
    if media_types::is_index(&image.root.media_type) {
        let bytes = image.read(&image.root.digest)?;
        let index: ImageIndex = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Malformed(format!("image index {}: {e}", image.root.digest)))?;
        for mut m in index.manifests {
            if out.iter().any(|d| d.digest == m.digest) {
                continue;
            }
            m.annotations = None;
            m.platform = None;
            out.push(m);
        }
    }
    Ok(out)
}

fn layer_of(d: &Descriptor, data: Vec<u8>) -> SignatureLayer {
    SignatureLayer {
        media_type: d.media_type.clone(),
        data,
        annotations: d.annotations.clone().unwrap_or_default(),
    }
}

/// Everything `source` holds that refers to each of `subjects`, verified
/// against its digests as it is read.
pub fn collect(source: &Target<'_>, subjects: &[Descriptor]) -> Result<Vec<Attached>, Error> {
    let mut out = Vec::new();
    for subject in subjects {
        let mut found = Attached {
            subject: subject.clone(),
            tags: Vec::new(),
            referrers: Vec::new(),
            skipped: Vec::new(),
        };
        for which in Attachment::ALL {
            let layers = match source {
                Target::Registry { client, repository } => {
                    signature_layers(client, repository, &subject.digest, which)?
                }
                Target::Layout(l) => l.signature_layers(&subject.digest, which)?,
            };
            if !layers.is_empty() {
                let layers = layers.into_iter().map(|(d, b)| layer_of(&d, b)).collect();
                found.tags.push((which, layers));
            }
        }
        match source {
            Target::Registry { client, repository } => {
                let listed =
                    crate::referrers::list_referrers(client, repository, &subject.digest, None)?;
                for r in listed {
                    match crate::referrers::fetch_artifact(client, repository, &r, &subject.digest)?
                    {
                        Some(a) => found.referrers.push(a),
                        None => found.skipped.push(skipped(&r)),
                    }
                }
            }
            Target::Layout(l) => {
                for (d, m) in l.referrers(&subject.digest)? {
                    let [layer] = m.layers.as_slice() else {
                        found.skipped.push(skipped(&d));
                        continue;
                    };
                    let manifest = l.read_blob(&d.digest)?;
                    let config = l.read_blob(&m.config.digest)?;
                    let document = l.read_blob(&layer.digest)?;
                    match Artifact::stored(&d, manifest, &m, config, document) {
                        Some(a) => found.referrers.push(a),
                        None => found.skipped.push(skipped(&d)),
                    }
                }
            }
        }
        out.push(found);
    }
    Ok(out)
}

fn skipped(d: &Descriptor) -> (Digest, String) {
    (
        d.digest.clone(),
        d.artifact_type.clone().unwrap_or_default(),
    )
}

fn tag_kind(which: Attachment) -> &'static str {
    match which {
        Attachment::Signatures => "signatures",
        Attachment::Attestations => "attestations",
        Attachment::Sboms => "sboms",
    }
}

fn referrer_kind(artifact_type: &str) -> &'static str {
    if artifact_type == BUNDLE_MEDIA_TYPE {
        "bundle"
    } else if artifact_type.contains("spdx") || artifact_type.contains("cyclonedx") {
        "sbom"
    } else {
        "artifact"
    }
}

/// What `found` holds, as [`Carried`] entries not (yet) added anywhere:
/// what a destination that holds none of it leaves behind.
pub fn summary(found: &[Attached]) -> Vec<Carried> {
    let mut out = Vec::new();
    for f in found {
        for (which, layers) in &f.tags {
            out.push(Carried {
                subject: f.subject.digest.clone(),
                kind: tag_kind(*which),
                name: which.tag(&f.subject.digest),
                count: layers.len(),
                artifact_type: None,
                added: false,
                via: None,
            });
        }
        for a in &f.referrers {
            let t = a.descriptor.artifact_type.clone().unwrap_or_default();
            out.push(Carried {
                subject: f.subject.digest.clone(),
                kind: referrer_kind(&t),
                name: a.descriptor.digest.to_string(),
                count: 1,
                artifact_type: Some(t),
                added: false,
                via: None,
            });
        }
    }
    out
}

/// Writes everything in `found` to `destination`: tag-schema layers
/// appended to the destination's images of the same tags (a layer already
/// there is not added twice), referrers stored unchanged (the referrers
/// API or the `sha256-<hex>` tag for a registry, index.json entries for a
/// layout, whose signed image is marked for cosign's `--local-image`).
pub fn store(destination: &Target<'_>, found: &[Attached]) -> Result<Vec<Carried>, Error> {
    let mut out = summary(found);
    let mut entry = out.iter_mut();
    for f in found {
        for (which, layers) in &f.tags {
            let mut added = false;
            for layer in layers {
                added |= match destination {
                    Target::Registry { client, repository } => {
                        push_signature(client, repository, &f.subject.digest, *which, layer)?
                    }
                    Target::Layout(l) => {
                        // attach_signature also reports re-marking the
                        // image for cosign: ask about the layer itself.
                        let there = l
                            .signature_layers(&f.subject.digest, *which)?
                            .iter()
                            .any(|(d, b)| layer_of(d, b.clone()) == *layer);
                        l.attach_signature(&f.subject, *which, layer)?;
                        !there
                    }
                };
            }
            if let Some(c) = entry.next() {
                c.added = added;
            }
        }
        for a in &f.referrers {
            let (added, via) = match destination {
                Target::Registry { client, repository } => {
                    let there = client
                        .head_manifest_quick(&repository.with_digest(a.descriptor.digest.clone()))?
                        .as_ref()
                        == Some(&a.descriptor.digest);
                    let via = crate::referrers::push_referrer(client, repository, a)?;
                    (!there, via_name(via))
                }
                Target::Layout(l) => {
                    let there = l
                        .index()?
                        .manifests
                        .iter()
                        .any(|d| d.digest == a.descriptor.digest);
                    l.attach(a)?;
                    // cosign --local-image finds bundles of the image so
                    // marked.
                    if a.descriptor.artifact_type.as_deref() == Some(BUNDLE_MEDIA_TYPE) {
                        l.mark_signed_image(&f.subject)?;
                    }
                    (!there, "index.json")
                }
            };
            if let Some(c) = entry.next() {
                c.added = added;
                c.via = Some(via);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use envelope_oci::OciLayout;

    fn subject(layout: &OciLayout) -> Descriptor {
        let bytes = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
        layout.write_blob(b"{}").expect("config");
        let digest = layout.write_blob(bytes).expect("manifest");
        let d = Descriptor {
            media_type: media_types::OCI_MANIFEST.into(),
            digest,
            size: bytes.len() as u64,
            urls: None,
            annotations: None,
            platform: None,
            artifact_type: None,
        };
        layout.set_root(d.clone(), Some("v1")).expect("root");
        d
    }

    #[test]
    fn layout_to_layout_carries_tags_and_referrers_once() {
        let tmp = tempfile::tempdir().expect("tmp");
        let src = OciLayout::open_or_create(&tmp.path().join("src")).expect("src");
        let s = subject(&src);
        let sig = SignatureLayer {
            media_type: "application/vnd.dev.cosign.simplesigning.v1+json".into(),
            data: b"payload".to_vec(),
            annotations: [("dev.cosignproject.cosign/signature".into(), "c2ln".into())]
                .into_iter()
                .collect(),
        };
        src.attach_signature(&s, Attachment::Signatures, &sig)
            .expect("sig");
        let sbom = envelope_oci::artifact(
            &s,
            "application/spdx+json",
            b"{\"spdxVersion\":\"SPDX-2.3\"}".to_vec(),
            Default::default(),
        );
        src.attach(&sbom).expect("sbom");

        let found = collect(&Target::Layout(src), std::slice::from_ref(&s)).expect("collect");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].tags.len(), 1);
        assert_eq!(found[0].referrers, vec![sbom.clone()]);

        let dst = OciLayout::open_or_create(&tmp.path().join("dst")).expect("dst");
        subject(&dst);
        let target = Target::Layout(dst);
        let carried = store(&target, &found).expect("store");
        let kinds: Vec<_> = carried.iter().map(|c| (c.kind, c.added)).collect();
        assert_eq!(kinds, vec![("signatures", true), ("sbom", true)]);
        let again = store(&target, &found).expect("again");
        assert!(again.iter().all(|c| !c.added), "{again:?}");
        let Target::Layout(dst) = target else {
            unreachable!()
        };
        let back = collect(&Target::Layout(dst), &[s]).expect("read back");
        assert_eq!(back[0].tags, found[0].tags);
        assert_eq!(back[0].referrers, found[0].referrers);
    }
}
