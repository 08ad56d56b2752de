//! Bounds for hostile input: the ones a caller may set ([`Limits`]) and
//! the fixed ones.

/// Bounds for hostile input.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Entries over all layers.
    pub max_entries: usize,
    /// Uncompressed bytes of one layer (a gzip bomb stops here).
    pub max_layer_bytes: u64,
    /// A PAX or GNU long-name header.
    pub max_header_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 5_000_000,
            max_layer_bytes: envelope_oci::MAX_LAYER_BYTES,
            max_header_bytes: 1 << 20,
        }
    }
}

/// Longest normalized path indexed; longer entries are skipped with a
/// warning (no Linux system call takes a longer path).
pub(super) const MAX_PATH_BYTES: usize = 4096;
/// Symbolic links followed while resolving one path (Linux's MAXSYMLINKS).
pub(super) const MAX_SYMLINK_HOPS: usize = 40;
/// Warnings kept; beyond that they are counted.
pub(super) const MAX_WARNINGS: usize = 10_000;
/// Files listed in [`LayerSummary::largest`](super::LayerSummary::largest).
pub(super) const LARGEST: usize = 10;
