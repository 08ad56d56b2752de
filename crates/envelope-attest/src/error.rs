//! The crate's errors: what could not be parsed or read, and where.

/// Why a statement or predicate could not be parsed, or an image read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The document is larger than envelope reads.
    #[error("{what}: {size} bytes, more than the {limit} bytes envelope reads")]
    TooLarge {
        what: &'static str,
        size: usize,
        limit: usize,
    },
    /// Not JSON, or not of the expected shape.
    #[error("{what} is not valid JSON of the expected shape: {detail}")]
    Json { what: &'static str, detail: String },
    /// A field with a value the format does not allow.
    #[error("{what}: {field}: expected {expected}, found {found}")]
    Field {
        what: &'static str,
        field: String,
        expected: String,
        found: String,
    },
    /// An in-toto statement (or other signed document) that does not parse.
    #[error(transparent)]
    Format(#[from] envelope_sign::FormatError),
    /// The image could not be opened or its blobs read.
    #[error(transparent)]
    Oci(#[from] envelope_oci::Error),
    /// The image's layers could not be read.
    #[error("reading the layers: {0}")]
    Layers(#[from] envelope_layer::fs::FsError),
}

impl Error {
    pub(crate) fn field(
        what: &'static str,
        field: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Error {
        Error::Field {
            what,
            field: field.into(),
            expected: expected.into(),
            found: found.into(),
        }
    }
}

/// Refuses documents over `limit` bytes, then parses them as `T`.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
    limit: usize,
) -> Result<T, Error> {
    if bytes.len() > limit {
        return Err(Error::TooLarge {
            what,
            size: bytes.len(),
            limit,
        });
    }
    // serde_json refuses nesting deeper than 128: no stack exhaustion.
    serde_json::from_slice(bytes).map_err(|e| Error::Json {
        what,
        detail: e.to_string(),
    })
}
