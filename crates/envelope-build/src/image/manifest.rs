//! The manifest of one platform's image: the configuration blob, the
//! base's layers and ours, in the base's media types (Docker's schema2
//! when the base uses it, OCI otherwise), and the base's name and digest
//! as annotations where the format has them.

use std::collections::BTreeMap;

use envelope_layer::Layer;
use envelope_oci::{
    media_types, BlobData, Descriptor, ImageConfiguration, ImageManifest, Platform,
};

use super::{descriptor, BaseImage};

/// The manifest and configuration, serialized, with their descriptors.
pub(super) struct Manifested {
    pub manifest: Descriptor,
    pub manifest_json: Vec<u8>,
    pub config: Descriptor,
    pub config_json: Vec<u8>,
    pub base_layers: Vec<(Descriptor, BlobData)>,
}

pub(super) fn manifest(
    config: &ImageConfiguration,
    layers: &[Layer],
    base: Option<&BaseImage>,
    platform: &Platform,
    extra: &BTreeMap<String, String>,
) -> Manifested {
    let docker = base.is_some_and(BaseImage::is_docker);
    let (manifest_type, config_type) = if docker {
        (media_types::DOCKER_MANIFEST_V2, media_types::DOCKER_CONFIG)
    } else {
        (media_types::OCI_MANIFEST, media_types::OCI_CONFIG)
    };
    let config_json = envelope_oci::to_json(config);
    let config_desc = descriptor(config_type, &config_json);
    let own_layers = layers.iter().map(|l| {
        let mut d = l.descriptor();
        if docker {
            d.media_type = media_types::DOCKER_LAYER_TAR_GZIP.to_string();
        }
        d
    });
    let base_layers: Vec<(Descriptor, BlobData)> =
        base.map(|b| b.layers.clone()).unwrap_or_default();
    // Docker's schema2 has no annotations; OCI manifests name their base.
    let mut annotations = base.filter(|_| !docker).map(|b| {
        BTreeMap::from([
            (
                "org.opencontainers.image.base.digest".to_string(),
                b.digest.to_string(),
            ),
            (
                "org.opencontainers.image.base.name".to_string(),
                b.name.clone(),
            ),
        ])
    });
    if !docker && !extra.is_empty() {
        annotations
            .get_or_insert_with(BTreeMap::new)
            .extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(manifest_type.to_string()),
        artifact_type: None,
        config: config_desc.clone(),
        layers: base_layers
            .iter()
            .map(|(d, _)| d.clone())
            .chain(own_layers)
            .collect(),
        subject: None,
        annotations,
    };
    let manifest_json = envelope_oci::to_json(&manifest);
    let mut manifest_desc = descriptor(manifest_type, &manifest_json);
    manifest_desc.platform = Some(platform.clone());
    Manifested {
        manifest: manifest_desc,
        manifest_json,
        config: config_desc,
        config_json,
        base_layers,
    }
}
