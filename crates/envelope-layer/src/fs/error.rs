//! Why a layer could not be indexed: [`FsError`], naming the layer
//! ([`LayerId`]), the offset and the entry.

use std::fmt;
use std::io;

/// Which layer an error is about: its index (0 = bottom) and, when a
/// descriptor was given, its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerId {
    pub index: usize,
    pub digest: Option<String>,
}

impl fmt::Display for LayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "layer {}", self.index)?;
        if let Some(d) = &self.digest {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

fn of_path(path: &Option<String>) -> String {
    match path {
        Some(p) => format!(" (entry {p:?})"),
        None => String::new(),
    }
}

/// Why a layer could not be indexed. Each message names the layer (index
/// and digest when known), where in it (byte offset, entry path) and what
/// to do about it.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("{layer}: reading the blob failed after {offset} bytes: {source}; check that the blob file or the connection is intact and retry")]
    Read {
        layer: LayerId,
        offset: u64,
        #[source]
        source: io::Error,
    },
    #[error("{layer}: the {format} stream is corrupt at compressed byte {offset}: {detail}; the blob is damaged or truncated, fetch it again")]
    Decompress {
        layer: LayerId,
        format: &'static str,
        offset: u64,
        detail: String,
    },
    #[error("{layer}: the blob does not match its descriptor: expected {expected} ({expected_size} bytes), got {actual} ({actual_size} bytes){also}; the blob is corrupt or belongs to another image, fetch it again")]
    DigestMismatch {
        layer: LayerId,
        expected: String,
        actual: String,
        expected_size: u64,
        actual_size: u64,
        /// What else went wrong while reading it, if anything.
        also: String,
    },
    #[error("{layer}: truncated tar: {what} at byte {offset} of the uncompressed stream ends early{}; the layer is incomplete, fetch it again", of_path(.path))]
    Truncated {
        layer: LayerId,
        offset: u64,
        what: &'static str,
        path: Option<String>,
    },
    #[error("{layer}: bad tar header checksum at byte {offset} of the uncompressed stream (recorded {recorded}, computed {computed}); the layer is corrupt or not a tar archive")]
    BadChecksum {
        layer: LayerId,
        offset: u64,
        recorded: String,
        computed: u64,
    },
    #[error("{layer}: invalid tar header at byte {offset} of the uncompressed stream{}: {detail}; the layer is corrupt or not a tar archive", of_path(.path))]
    BadHeader {
        layer: LayerId,
        offset: u64,
        path: Option<String>,
        detail: String,
    },
    #[error("{layer}: {kind} header of {size} bytes at byte {offset} of the uncompressed stream exceeds the limit of {limit} bytes; no real image needs one that large: the layer is hostile or corrupt")]
    HeaderTooLarge {
        layer: LayerId,
        offset: u64,
        kind: &'static str,
        size: u64,
        limit: u64,
    },
    #[error("{layer}: more than {limit} tar entries over all layers (at byte {offset} of this layer's uncompressed stream); no real image has that many: it is hostile or corrupt")]
    TooManyEntries {
        layer: LayerId,
        offset: u64,
        limit: usize,
    },
    #[error("{layer}: the uncompressed layer (sparse files counted at their full size) is larger than the limit of {limit} bytes: a decompression bomb, or an image far larger than any real one")]
    LayerTooLarge { layer: LayerId, limit: u64 },
    #[error("{layer}: the uncompressed tar hashes to {actual}, but the image config's rootfs.diff_ids[{}] is {expected}; the config does not describe this layer: the image was altered or assembled wrongly", .layer.index)]
    DiffIdMismatch {
        layer: LayerId,
        expected: String,
        actual: String,
    },
    #[error("{layer}: more distinct paths than can be indexed{}; the layer is hostile or far larger than any image", of_path(.path))]
    TooManyPaths {
        layer: LayerId,
        path: Option<String>,
    },
    #[error("{layer}: the content visitor failed on {path:?} (file data at byte {offset} of the uncompressed stream): {source}; the error comes from the caller's visitor, not from the layer")]
    Visitor {
        layer: LayerId,
        path: String,
        offset: u64,
        #[source]
        source: io::Error,
    },
}
