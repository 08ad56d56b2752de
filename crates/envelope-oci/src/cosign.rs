//! cosign's tag schema for signatures and attestations: an image manifest
//! tagged `sha256-<hex>.sig` (or `.att`) next to the signed manifest, one
//! layer per signature (a simple-signing payload, or a DSSE envelope for
//! attestations) with the signature and predicate type in the layer's
//! annotations. New signatures are appended to the manifest already there
//! (read-modify-write); an identical layer is not added twice.
//!
//! In an image layout, cosign's `--local-image` reads index.json entries
//! annotated `kind`: `dev.cosignproject.cosign/image` (or `imageIndex`) for
//! the signed image and `dev.cosignproject.cosign/sigs` / `atts` for the
//! signature images; envelope also tags those `sha256-<hex>.sig`/`.att` so
//! a layout holding several images keeps each one's apart. This module
//! knows the formats' containers, not their contents (envelope-sign's).

use std::collections::BTreeMap;

use crate::artifact::fallback_tag;
use crate::layout::{OciLayout, REF_NAME};
use crate::{media_types, to_json, Descriptor, Digest, Error, ImageManifest};

/// The index.json annotation cosign's layouts mark entries with.
pub const KIND: &str = "kind";
pub const KIND_IMAGE: &str = "dev.cosignproject.cosign/image";
pub const KIND_IMAGE_INDEX: &str = "dev.cosignproject.cosign/imageIndex";

/// More layers than this in a signature manifest is not one to read
/// (cosign refuses above 1000 too).
pub const MAX_LAYERS: usize = 1000;

/// A signature layer may be this large at most (an attestation with an
/// SBOM predicate is the largest).
pub const MAX_LAYER: u64 = 64 << 20;

/// Which of cosign's two signature images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attachment {
    /// `sha256-<hex>.sig`: simple-signing payloads.
    Signatures,
    /// `sha256-<hex>.att`: DSSE envelopes of in-toto statements.
    Attestations,
    /// `sha256-<hex>.sbom`: SBOM documents, as `cosign attach sbom` stores
    /// them (one layer each, no signature).
    Sboms,
}

impl Attachment {
    /// All three, in the order they are read and written.
    pub const ALL: [Attachment; 3] = [
        Attachment::Signatures,
        Attachment::Attestations,
        Attachment::Sboms,
    ];

    /// The tag the signature image of `subject` lives under.
    pub fn tag(self, subject: &Digest) -> String {
        format!("{}.{}", fallback_tag(subject), self.suffix())
    }

    fn suffix(self) -> &'static str {
        match self {
            Attachment::Signatures => "sig",
            Attachment::Attestations => "att",
            Attachment::Sboms => "sbom",
        }
    }

    /// The `kind` annotation of its index.json entry in a layout.
    pub fn kind(self) -> &'static str {
        match self {
            Attachment::Signatures => "dev.cosignproject.cosign/sigs",
            Attachment::Attestations => "dev.cosignproject.cosign/atts",
            Attachment::Sboms => "dev.cosignproject.cosign/sboms",
        }
    }
}

/// One signature (or attestation) to store as a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureLayer {
    pub media_type: String,
    pub data: Vec<u8>,
    pub annotations: BTreeMap<String, String>,
}

impl SignatureLayer {
    pub fn descriptor(&self) -> Descriptor {
        Descriptor {
            media_type: self.media_type.clone(),
            digest: Digest::sha256(&self.data),
            size: self.data.len() as u64,
            urls: None,
            annotations: (!self.annotations.is_empty()).then(|| self.annotations.clone()),
            platform: None,
            artifact_type: None,
        }
    }
}

/// A signature image ready to store: its manifest and config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureImage {
    pub manifest: Vec<u8>,
    pub descriptor: Descriptor,
    pub config: (Descriptor, Vec<u8>),
}

/// The signature image `existing` (None: none yet) with `layer` appended;
/// None when an identical layer (same bytes, same annotations) is already
/// there. The config is the one cosign writes (go-containerregistry's
/// empty image with the layers as its rootfs), so the result does not
/// depend on the time.
pub fn append_layer(
    existing: Option<&ImageManifest>,
    layer: &SignatureLayer,
) -> Option<SignatureImage> {
    let new = layer.descriptor();
    let mut layers = existing.map(|m| m.layers.clone()).unwrap_or_default();
    if layers
        .iter()
        .any(|d| d.digest == new.digest && d.annotations == new.annotations)
    {
        return None;
    }
    layers.push(new);
    Some(signature_image(layers))
}

fn signature_image(layers: Vec<Descriptor>) -> SignatureImage {
    let epoch = "0001-01-01T00:00:00Z";
    let config = serde_json::json!({
        "architecture": "",
        "created": epoch,
        "history": layers.iter().map(|_| serde_json::json!({"created": epoch})).collect::<Vec<_>>(),
        "os": "",
        "rootfs": {
            "type": "layers",
            "diff_ids": layers.iter().map(|d| d.digest.to_string()).collect::<Vec<_>>(),
        },
        "config": {},
    });
    let config = to_json(&config);
    let config_descriptor = Descriptor {
        media_type: media_types::OCI_CONFIG.to_string(),
        digest: Digest::sha256(&config),
        size: config.len() as u64,
        urls: None,
        annotations: None,
        platform: None,
        artifact_type: None,
    };
    let manifest = to_json(&ImageManifest {
        schema_version: 2,
        media_type: Some(media_types::OCI_MANIFEST.to_string()),
        artifact_type: None,
        config: config_descriptor.clone(),
        layers,
        subject: None,
        annotations: None,
    });
    let descriptor = Descriptor {
        media_type: media_types::OCI_MANIFEST.to_string(),
        digest: Digest::sha256(&manifest),
        size: manifest.len() as u64,
        urls: None,
        annotations: None,
        platform: None,
        artifact_type: None,
    };
    SignatureImage {
        manifest,
        descriptor,
        config: (config_descriptor, config),
    }
}

/// Parses a signature manifest, refusing absurd ones.
pub fn parse_signature_manifest(bytes: &[u8]) -> Result<ImageManifest, Error> {
    let m: ImageManifest = serde_json::from_slice(bytes).map_err(|e| Error::Json {
        what: "signature manifest".into(),
        detail: e.to_string(),
    })?;
    if m.layers.len() > MAX_LAYERS {
        return Err(Error::Json {
            what: "signature manifest".into(),
            detail: format!("{} layers; {MAX_LAYERS} is the most read", m.layers.len()),
        });
    }
    Ok(m)
}

impl OciLayout {
    /// Appends `layer` to the `which` signature image of `subject` (an
    /// entry of this layout's index.json), writing the blobs and the
    /// index.json entries cosign's `--local-image` reads. Returns whether
    /// anything changed.
    pub fn attach_signature(
        &self,
        subject: &Descriptor,
        which: Attachment,
        layer: &SignatureLayer,
    ) -> Result<bool, Error> {
        let _lock = self.lock()?;
        let mut index = self.index()?;
        let tag = which.tag(&subject.digest);
        let existing = match index
            .manifests
            .iter()
            .find(|d| annotation(d, REF_NAME) == Some(tag.as_str()))
        {
            Some(d) => Some(parse_signature_manifest(&self.read_blob(&d.digest)?)?),
            None => None,
        };
        let mut changed = mark_image(&mut index, subject);
        if let Some(image) = append_layer(existing.as_ref(), layer) {
            for data in [&layer.data, &image.config.1, &image.manifest] {
                if !self.has_blob(&Digest::sha256(data)) {
                    self.write_blob(data)?;
                }
            }
            index
                .manifests
                .retain(|d| d.annotations.as_ref().and_then(|a| a.get(REF_NAME)) != Some(&tag));
            index.manifests.push(Descriptor {
                annotations: Some(
                    [
                        (KIND.to_string(), which.kind().to_string()),
                        (REF_NAME.to_string(), tag),
                    ]
                    .into_iter()
                    .collect(),
                ),
                // As cosign writes it; it also keeps envelope and other
                // readers from taking the entry for an image.
                artifact_type: Some(media_types::OCI_CONFIG.to_string()),
                ..image.descriptor
            });
            changed = true;
        }
        if changed {
            if index.media_type.is_none() {
                index.media_type = Some(media_types::OCI_INDEX.to_string());
            }
            self.write_index(&index)?;
        }
        Ok(changed)
    }

    /// Marks `subject`'s index.json entry as the image cosign's
    /// `--local-image` verifies (see [`mark_image`]); true when it changed.
    pub fn mark_signed_image(&self, subject: &Descriptor) -> Result<bool, Error> {
        let _lock = self.lock()?;
        let mut index = self.index()?;
        let changed = mark_image(&mut index, subject);
        if changed {
            self.write_index(&index)?;
        }
        Ok(changed)
    }

    /// The layers of the `which` signature image of `subject`, each with
    /// its bytes (checked against its digest): under its tag, or, in a
    /// layout `cosign save` wrote, the entry its `kind` names when the
    /// layout's image is `subject`. Empty when there is none.
    pub fn signature_layers(
        &self,
        subject: &Digest,
        which: Attachment,
    ) -> Result<Vec<(Descriptor, Vec<u8>)>, Error> {
        let index = self.index()?;
        let tag = which.tag(subject);
        let by_tag = index
            .manifests
            .iter()
            .find(|d| annotation(d, REF_NAME) == Some(tag.as_str()));
        let by_kind = || {
            let image = index.manifests.iter().find(|d| is_cosign_image(d))?;
            if &image.digest != subject {
                return None;
            }
            index.manifests.iter().find(|d| {
                annotation(d, KIND) == Some(which.kind()) && annotation(d, REF_NAME).is_none()
            })
        };
        let Some(entry) = by_tag.or_else(by_kind) else {
            return Ok(Vec::new());
        };
        let m = parse_signature_manifest(&self.read_blob(&entry.digest)?)?;
        let mut out = Vec::new();
        for d in m.layers {
            if d.size > MAX_LAYER {
                return Err(Error::Json {
                    what: format!("signature layer {}", d.digest),
                    detail: format!("{} bytes; {MAX_LAYER} is the most read", d.size),
                });
            }
            let data = self.read_blob(&d.digest)?;
            out.push((d, data));
        }
        Ok(out)
    }
}

/// Is this index.json entry the image (or index) of a layout cosign
/// wrote, by its `kind` annotation?
pub fn is_cosign_image(d: &Descriptor) -> bool {
    matches!(annotation(d, KIND), Some(KIND_IMAGE | KIND_IMAGE_INDEX))
}

fn annotation<'d>(d: &'d Descriptor, key: &str) -> Option<&'d str> {
    d.annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .map(String::as_str)
}

/// Marks the entry of `subject` with cosign's `kind` (image or image
/// index), unless another image already holds that mark (cosign reads one
/// image per layout: the first so marked). True when the index changed.
pub fn mark_image(index: &mut crate::ImageIndex, subject: &Descriptor) -> bool {
    if index.manifests.iter().any(is_cosign_image) {
        return false;
    }
    let kind = if media_types::is_index(&subject.media_type) {
        KIND_IMAGE_INDEX
    } else {
        KIND_IMAGE
    };
    let Some(entry) = index
        .manifests
        .iter_mut()
        .find(|d| d.digest == subject.digest && !crate::artifact::is_referrer(d))
    else {
        return false;
    };
    entry
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(KIND.to_string(), kind.to_string());
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(data: &[u8], sig: &str) -> SignatureLayer {
        SignatureLayer {
            media_type: "application/vnd.dev.cosign.simplesigning.v1+json".into(),
            data: data.to_vec(),
            annotations: [("dev.cosignproject.cosign/signature".into(), sig.into())]
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn tags_follow_cosigns_schema() {
        let d = Digest::sha256(b"x");
        let hex = d.to_string()[7..].to_string();
        assert_eq!(Attachment::Signatures.tag(&d), format!("sha256-{hex}.sig"));
        assert_eq!(
            Attachment::Attestations.tag(&d),
            format!("sha256-{hex}.att")
        );
    }

    #[test]
    fn appending_is_read_modify_write_without_duplicates() {
        let a = append_layer(None, &layer(b"p", "s1")).expect("new");
        let m: ImageManifest = serde_json::from_slice(&a.manifest).expect("json");
        assert_eq!(m.layers.len(), 1);
        assert!(append_layer(Some(&m), &layer(b"p", "s1")).is_none());
        let b = append_layer(Some(&m), &layer(b"p", "s2")).expect("another signature");
        let m2: ImageManifest = serde_json::from_slice(&b.manifest).expect("json");
        assert_eq!(m2.layers.len(), 2);
        let cfg: serde_json::Value = serde_json::from_slice(&b.config.1).expect("cfg");
        assert_eq!(cfg["rootfs"]["diff_ids"].as_array().map(Vec::len), Some(2));
        // The same inputs give the same bytes.
        assert_eq!(append_layer(None, &layer(b"p", "s1")), Some(a));
    }

    #[test]
    fn layout_entries_are_what_cosign_reads() {
        let tmp = tempfile::tempdir().expect("tmp");
        let layout = OciLayout::open_or_create(tmp.path()).expect("layout");
        let image = layout.write_blob(b"{\"schemaVersion\":2}").expect("blob");
        let subject = Descriptor {
            media_type: media_types::OCI_MANIFEST.into(),
            size: 19,
            digest: image.clone(),
            urls: None,
            annotations: None,
            platform: None,
            artifact_type: None,
        };
        layout.set_root(subject.clone(), Some("v1")).expect("root");
        let l = layer(b"payload", "sig");
        assert!(layout
            .attach_signature(&subject, Attachment::Signatures, &l)
            .expect("attach"));
        assert!(!layout
            .attach_signature(&subject, Attachment::Signatures, &l)
            .expect("again"));
        let index = layout.index().expect("index");
        assert_eq!(index.manifests.len(), 2);
        let kinds: Vec<_> = index
            .manifests
            .iter()
            .map(|d| d.annotations.as_ref().and_then(|a| a.get(KIND)).cloned())
            .collect();
        assert_eq!(
            kinds,
            vec![
                Some(KIND_IMAGE.to_string()),
                Some("dev.cosignproject.cosign/sigs".to_string())
            ]
        );
        // The image is still what the layout resolves to.
        assert_eq!(layout.resolve(Some("v1")).expect("v1").digest, image);
        assert_eq!(layout.resolve(None).expect("only image").digest, image);
        let found = layout
            .signature_layers(&image, Attachment::Signatures)
            .expect("read");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1, b"payload");
        assert!(layout
            .signature_layers(&image, Attachment::Attestations)
            .expect("none")
            .is_empty());
    }
}
