//! Opening an image from any transport, the one way every command reads
//! images: `oci:`, `oci-archive:` and `docker-archive:` from disk, and
//! `docker://` (or a bare reference) pulled through envelope's blob cache,
//! every blob verified before it is kept. The result is an
//! [`ImageStore`]: narrowed to one platform with [`ImageStore::image`]
//! (audit, inspect, sbom, scan) or read whole with [`ImageStore::blobs`]
//! (copy), so the platform is chosen the same way whatever the transport.

use std::sync::Arc;

use envelope_oci::{media_types, Descriptor, Fetch, ImageRef, ImageStore};

use crate::{BlobCache, Client, Error, RegistryRef};

/// An opened image reference.
#[derive(Debug)]
pub struct Opened<'c> {
    pub store: ImageStore<'c>,
    /// The tag a registry reference named instead of a digest (`latest`
    /// when it named neither): what may change under the same name.
    pub mutable_tag: Option<String>,
    /// The registry reference, for `docker://` images.
    pub registry: Option<RegistryRef>,
}

/// Opens `image`. Local transports read only their index; a registry
/// image's root manifest is resolved now (from the cache when named by
/// digest) and the rest is fetched into `cache` as the image is read.
pub fn open<'c>(
    image: &ImageRef,
    client: &'c Client,
    cache: &BlobCache,
) -> Result<Opened<'c>, Error> {
    let local = |store| Opened {
        store,
        mutable_tag: None,
        registry: None,
    };
    Ok(match image {
        ImageRef::Oci { dir, tag } => local(ImageStore::oci_layout(dir, tag.as_deref())?),
        ImageRef::OciArchive { file, tag } => local(ImageStore::oci_archive(file, tag.as_deref())?),
        ImageRef::DockerArchive { file, reference } => {
            local(ImageStore::docker_archive(file, reference.as_deref())?)
        }
        ImageRef::Docker { reference } => {
            let r: RegistryRef = reference.parse()?;
            let (digest, bytes) = crate::resolve_root(client, cache, &r)?;
            let root = Descriptor {
                media_type: media_type_of(&bytes),
                digest,
                size: bytes.len() as u64,
                urls: None,
                annotations: None,
                platform: None,
                artifact_type: None,
            };
            let fetch: Arc<dyn Fetch + 'c> = Arc::new(Pull {
                client,
                reference: r.clone(),
                cache: cache.clone(),
            });
            let store = ImageStore::blob_dir(cache.root(), root, "docker", Some(fetch))
                .named(r.to_string());
            let mutable_tag = match &r.digest {
                Some(_) => None,
                None => Some(r.tag.clone().unwrap_or_else(|| "latest".into())),
            };
            Opened {
                store,
                mutable_tag,
                registry: Some(r),
            }
        }
    })
}

/// A manifest's media type from its bytes (registries may send none).
pub(crate) fn media_type_of(bytes: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    match v["mediaType"].as_str() {
        Some(m) => m.to_string(),
        None if v.get("manifests").is_some() => media_types::OCI_INDEX.to_string(),
        None => media_types::OCI_MANIFEST.to_string(),
    }
}

/// Fetches what the blob cache lacks from the registry, verified.
struct Pull<'c> {
    client: &'c Client,
    reference: RegistryRef,
    cache: BlobCache,
}

impl Fetch for Pull<'_> {
    fn fetch(
        &self,
        d: &Descriptor,
        manifest: bool,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if d.media_type == media_types::DOCKER_FOREIGN_LAYER {
            return Err(Box::new(Error::MediaType {
                what: format!("layer {} of {}", d.digest, self.reference),
                media_type: d.media_type.clone(),
            }));
        }
        let bytes = if manifest {
            let child = self.reference.with_digest(d.digest.clone());
            self.client.get_manifest(&child)?.0
        } else {
            self.client.get_blob(&self.reference, d)?
        };
        self.cache.store(&d.digest, &bytes)?;
        Ok(())
    }
}
