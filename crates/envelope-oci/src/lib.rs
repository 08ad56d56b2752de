//! The OCI image model and its storage: digests, descriptors, manifests,
//! indexes and image configs (with Docker's schema2 media types for
//! reading), image references (registry references and skopeo-style
//! transports, one parser), and writers for image layouts and archives. It
//! depends on nothing else of envelope's.

mod archive;
pub mod artifact;
pub mod atomic;
pub mod cosign;
mod digest;
mod error;
mod image;
mod layout;
pub mod media_types;
mod model;
mod platform;
mod reference;
mod source;
pub mod tar;

pub use archive::{write_docker_archive, write_layout_archive, write_oci_archive, MAX_LAYER_BYTES};
pub use artifact::{artifact, Artifact};
pub use atomic::{write_atomic, write_atomic_with, AtomicFile};
pub use digest::{Digest, DigestHasher, Sha256Writer};
pub use error::Error;
pub use image::{BlobData, ImageBlobs, SharedBytes};
pub use layout::{write_oci_layout, OciLayout, REF_NAME};
pub use model::{
    to_json, Config, Descriptor, EmptyObject, History, ImageConfiguration, ImageIndex,
    ImageManifest, RootFs,
};
pub use platform::{default_variant, Platform};
pub use reference::{normalize_docker_reference, valid_tag, ImageRef, ReferenceParts, RegistryRef};
pub use source::{
    open_blob_dir, open_docker_archive, open_oci_archive, open_oci_layout, unpack_oci_archive,
    BlobRegion, Fetch, ImageSource, ImageStore, VerifyingReader, JSON_LIMIT,
};
