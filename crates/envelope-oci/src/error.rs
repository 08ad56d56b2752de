//! Errors of the image model and its storage, with the paths and digests
//! involved.

use std::path::PathBuf;

use crate::Digest;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid digest {value:?}: {detail}")]
    InvalidDigest { value: String, detail: &'static str },

    #[error(
        "invalid platform {value:?}: expected OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm/v7"
    )]
    InvalidPlatform { value: String },

    #[error("invalid image reference {value:?}: {detail}")]
    InvalidReference { value: String, detail: String },

    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: Digest,
        actual: Digest,
    },

    #[error("size mismatch for {digest}: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        digest: Digest,
        expected: u64,
        actual: u64,
    },

    #[error("blob {digest} is missing")]
    MissingBlob { digest: Digest },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{}: {detail}", path.display())]
    Layout { path: PathBuf, detail: String },

    #[error("malformed {what}: {detail}")]
    Json { what: String, detail: String },

    #[error("fetching {digest}: {source}")]
    Fetch {
        digest: Digest,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    #[error("cannot decompress layer {digest} ({media_type}): {detail}")]
    Decompress {
        digest: Digest,
        media_type: String,
        detail: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
