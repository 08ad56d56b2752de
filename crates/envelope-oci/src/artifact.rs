//! OCI 1.1 artifacts that refer to an image: a manifest with an
//! `artifactType`, the empty config, one layer holding the document, and a
//! `subject` naming the image manifest. Used for the SBOMs envelope
//! attaches; the same manifest goes into an image layout's index.json or to
//! a registry (referrers API, or the `sha256-<hex>` tag fallback).

use std::collections::BTreeMap;

use crate::layout::OciLayout;
use crate::{media_types, to_json, Descriptor, Digest, Error, ImageIndex, ImageManifest};

/// The empty JSON object `{}` every artifact without a config points to.
pub const EMPTY_JSON: &[u8] = b"{}";

/// `org.opencontainers.image.created`, set from the image's creation time.
pub const CREATED: &str = "org.opencontainers.image.created";

/// An artifact ready to store: its manifest and the two blobs it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub manifest: Vec<u8>,
    pub descriptor: Descriptor,
    /// The document (the only layer) with its descriptor.
    pub document: (Descriptor, Vec<u8>),
    /// The empty config blob `{}` with its descriptor.
    pub config: (Descriptor, Vec<u8>),
}

fn plain(media_type: &str, data: &[u8]) -> Descriptor {
    Descriptor {
        media_type: media_type.to_string(),
        digest: Digest::sha256(data),
        size: data.len() as u64,
        urls: None,
        annotations: None,
        platform: None,
        artifact_type: None,
    }
}

/// The artifact for `document` (of media type `artifact_type`) about
/// `subject`. Byte-for-byte the same for the same inputs.
pub fn artifact(
    subject: &Descriptor,
    artifact_type: &str,
    document: Vec<u8>,
    annotations: BTreeMap<String, String>,
) -> Artifact {
    let doc = plain(artifact_type, &document);
    let config = plain(media_types::OCI_EMPTY_JSON, EMPTY_JSON);
    let annotations = (!annotations.is_empty()).then_some(annotations);
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(media_types::OCI_MANIFEST.to_string()),
        artifact_type: Some(artifact_type.to_string()),
        config: config.clone(),
        layers: vec![doc.clone()],
        subject: Some(Descriptor {
            annotations: None,
            platform: None,
            urls: None,
            ..subject.clone()
        }),
        annotations: annotations.clone(),
    };
    let bytes = to_json(&manifest);
    let descriptor = Descriptor {
        artifact_type: Some(artifact_type.to_string()),
        annotations,
        ..plain(media_types::OCI_MANIFEST, &bytes)
    };
    Artifact {
        manifest: bytes,
        descriptor,
        document: (doc, document),
        config: (config, EMPTY_JSON.to_vec()),
    }
}

impl Artifact {
    /// An artifact as it was found stored: its manifest's bytes (kept, so
    /// its digest does not change), the config's and the only layer's
    /// bytes. `listed` is how an index named it (artifactType and
    /// annotations are taken from the manifest when the index has none).
    /// None when the manifest is not a one-layer artifact about a subject.
    pub fn stored(
        listed: &Descriptor,
        manifest: Vec<u8>,
        parsed: &ImageManifest,
        config: Vec<u8>,
        document: Vec<u8>,
    ) -> Option<Artifact> {
        let [layer] = parsed.layers.as_slice() else {
            return None;
        };
        parsed.subject.as_ref()?;
        let artifact_type = listed
            .artifact_type
            .clone()
            .or_else(|| parsed.artifact_type.clone())
            .unwrap_or_else(|| parsed.config.media_type.clone());
        let descriptor = Descriptor {
            artifact_type: Some(artifact_type),
            annotations: listed
                .annotations
                .clone()
                .or_else(|| parsed.annotations.clone()),
            ..plain(
                parsed
                    .media_type
                    .as_deref()
                    .unwrap_or(media_types::OCI_MANIFEST),
                &manifest,
            )
        };
        Some(Artifact {
            manifest,
            descriptor,
            document: (layer.clone(), document),
            config: (parsed.config.clone(), config),
        })
    }
}

/// The tag a registry without the referrers API keeps the referrers of
/// `subject` under: `sha256-<hex>` (truncated to 128 characters).
pub fn fallback_tag(subject: &Digest) -> String {
    let s = subject.to_string();
    let (alg, hex) = s.split_once(':').unwrap_or(("sha256", s.as_str()));
    format!("{alg}-{}", &hex[..hex.len().min(64)])
}

/// Adds `a` to `index` as a referrer (replacing one with the same digest);
/// true when the index changed.
pub fn add_referrer(index: &mut ImageIndex, a: &Artifact) -> bool {
    if index
        .manifests
        .iter()
        .any(|d| d.digest == a.descriptor.digest)
    {
        return false;
    }
    index.manifests.push(a.descriptor.clone());
    true
}

/// Is this index.json entry an artifact about another manifest (so not an
/// image to open)? `cosign save` sets an artifactType on every entry,
/// the image's included; its `kind` annotation says which is the image.
pub fn is_referrer(d: &Descriptor) -> bool {
    d.artifact_type.is_some() && !crate::cosign::is_cosign_image(d)
}

impl OciLayout {
    /// Stores `a` in the layout: its blobs, and an index.json entry (with
    /// its artifactType, no tag) unless one with the same digest is there.
    pub fn attach(&self, a: &Artifact) -> Result<(), Error> {
        for (d, data) in [&a.config, &a.document] {
            if !self.has_blob(&d.digest) {
                self.write_blob(data)?;
            }
        }
        if !self.has_blob(&a.descriptor.digest) {
            self.write_blob(&a.manifest)?;
        }
        let _lock = self.lock()?;
        let mut index = self.index()?;
        if add_referrer(&mut index, a) {
            if index.media_type.is_none() {
                index.media_type = Some(media_types::OCI_INDEX.to_string());
            }
            self.write_index(&index)?;
        }
        Ok(())
    }

    /// The artifacts in index.json whose manifest names `subject`, with
    /// their manifests.
    pub fn referrers(&self, subject: &Digest) -> Result<Vec<(Descriptor, ImageManifest)>, Error> {
        let mut out = Vec::new();
        for d in self.index()?.manifests {
            if !is_referrer(&d) || !media_types::is_manifest(&d.media_type) {
                continue;
            }
            if d.size > crate::JSON_LIMIT {
                continue;
            }
            // A missing or damaged artifact is not ours to judge: skip it.
            let Ok(bytes) = self.read_blob(&d.digest) else {
                continue;
            };
            let Ok(m) = serde_json::from_slice::<ImageManifest>(&bytes) else {
                continue;
            };
            if m.subject.as_ref().is_some_and(|s| &s.digest == subject) {
                out.push((d, m));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject() -> Descriptor {
        plain(media_types::OCI_MANIFEST, b"{\"schemaVersion\":2}")
    }

    #[test]
    fn artifact_manifest_shape() {
        let a = artifact(
            &subject(),
            "application/spdx+json",
            b"{\"spdxVersion\":\"SPDX-2.3\"}".to_vec(),
            [(CREATED.to_string(), "1970-01-01T00:00:00Z".to_string())]
                .into_iter()
                .collect(),
        );
        let v: serde_json::Value = serde_json::from_slice(&a.manifest).expect("json");
        assert_eq!(v["artifactType"], "application/spdx+json");
        assert_eq!(v["config"]["mediaType"], media_types::OCI_EMPTY_JSON);
        assert_eq!(
            v["config"]["digest"],
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_eq!(v["layers"][0]["mediaType"], "application/spdx+json");
        assert_eq!(v["subject"]["digest"], subject().digest.to_string());
        assert_eq!(a.descriptor.digest, Digest::sha256(&a.manifest));
        assert_eq!(
            a.descriptor.artifact_type.as_deref(),
            Some("application/spdx+json")
        );
    }

    #[test]
    fn fallback_tag_schema() {
        let d = subject().digest;
        let t = fallback_tag(&d);
        assert!(t.starts_with("sha256-"));
        assert_eq!(t.len(), 7 + 64);
        assert!(crate::valid_tag(&t));
    }

    #[test]
    fn layout_attach_is_idempotent() {
        let tmp = tempfile::tempdir().expect("tmp");
        let layout = OciLayout::open_or_create(tmp.path()).expect("layout");
        let s = subject();
        let a = artifact(
            &s,
            "application/spdx+json",
            b"{}x".to_vec(),
            BTreeMap::new(),
        );
        layout.attach(&a).expect("attach");
        layout.attach(&a).expect("again");
        assert_eq!(layout.index().expect("index").manifests.len(), 1);
        let found = layout.referrers(&s.digest).expect("referrers");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1.layers[0].digest, a.document.0.digest);
        let other = plain(media_types::OCI_MANIFEST, b"other");
        assert!(layout.referrers(&other.digest).expect("none").is_empty());
    }
}
