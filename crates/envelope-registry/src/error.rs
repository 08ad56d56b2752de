//! Registry errors: what was asked (URL without credentials), what came
//! back (status, registry's error codes), and the digests involved.

use envelope_oci::Digest;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{method} {url}: HTTP {status}{}", if detail.is_empty() { String::new() } else { format!(": {detail}") })]
    Status {
        method: &'static str,
        url: String,
        status: u16,
        detail: String,
    },

    #[error("{method} {url}: authentication failed (HTTP {status}){}", if detail.is_empty() { String::new() } else { format!(": {detail}") })]
    Unauthorized {
        method: &'static str,
        url: String,
        status: u16,
        detail: String,
    },

    /// A timeout fired: the source says which, and its limit.
    #[error("{method} {url}: timed out")]
    TimedOut {
        method: &'static str,
        url: String,
        #[source]
        source: envelope_http::TimedOut,
    },

    #[error("{method} {url}: {detail}")]
    Transport {
        method: &'static str,
        url: String,
        detail: String,
    },

    #[error("{what} from {url}: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        url: String,
        expected: Digest,
        actual: Digest,
    },

    #[error("{what} from {url}: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        what: String,
        url: String,
        expected: u64,
        actual: u64,
    },

    #[error("unsupported media type {media_type:?} for {what}")]
    MediaType { what: String, media_type: String },

    #[error(
        "no manifest for platform {platform} in the index of {reference}; it has: {available}"
    )]
    NoPlatform {
        reference: String,
        platform: String,
        available: String,
    },

    #[error("credentials: {0}")]
    Credentials(String),

    #[error("{0}")]
    Malformed(String),

    #[error(transparent)]
    Oci(#[from] envelope_oci::Error),

    #[error(transparent)]
    Http(#[from] envelope_http::Error),

    #[error(transparent)]
    Key(#[from] envelope_sign::KeyError),
}
