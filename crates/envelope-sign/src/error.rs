//! What can go wrong with a key file. Messages name the part of the file
//! at fault and never include key material or the password.

/// An error reading, decrypting or writing a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The text is not one PEM block.
    #[error("the key file is not PEM: {reason}")]
    Pem { reason: String },

    /// A PEM block of a kind that holds no key envelope reads.
    #[error("a PEM block labelled `{label}` holds no key envelope reads (expected {expected})")]
    Label {
        label: String,
        expected: &'static str,
    },

    /// The encrypted key's JSON does not parse or lacks a field.
    #[error("the encrypted key's JSON does not parse: {reason}")]
    Json { reason: String },

    /// A base64 field of the encrypted key does not decode.
    #[error("the encrypted key's `{field}` is not base64")]
    Base64 { field: &'static str },

    /// A key derivation function other than scrypt.
    #[error("the encrypted key uses the KDF `{name}`; only scrypt is supported")]
    Kdf { name: String },

    /// A cipher other than NaCl secretbox.
    #[error("the encrypted key uses the cipher `{name}`; only nacl/secretbox is supported")]
    Cipher { name: String },

    /// scrypt parameters that are invalid or would cost too much.
    #[error("the encrypted key's scrypt parameters N={n} r={r} p={p} are refused: {reason}")]
    Scrypt {
        n: u64,
        r: u64,
        p: u64,
        reason: &'static str,
    },

    /// A secretbox nonce that is not 24 bytes.
    #[error("the encrypted key's nonce is {len} bytes; a secretbox nonce is 24")]
    Nonce { len: usize },

    /// The secretbox did not open: the password is wrong or the file was altered.
    #[error("wrong password for the encrypted key (or the key file was altered)")]
    WrongPassword,

    /// An encrypted key read without a password.
    #[error("the private key is encrypted and no password was given")]
    PasswordNeeded,

    /// DER that does not parse as the structure expected.
    #[error("the {what} does not parse: {reason}")]
    Der { what: &'static str, reason: String },

    /// An EC key on a curve other than P-256.
    #[error("the key is on the curve {curve}; envelope signs with ECDSA P-256 keys only")]
    Curve { curve: String },

    /// A key that is not an EC key.
    #[error("the key is {kind}, not an ECDSA key; envelope signs with ECDSA P-256 keys only")]
    KeyType { kind: String },

    /// The system's random source failed.
    #[error("no randomness from the system: {reason}")]
    Random { reason: String },
}

/// An error reading a signature, a DSSE envelope, a bundle or a payload.
/// These are untrusted documents: the message names what is wrong with
/// them and never echoes more than a short excerpt.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The document is larger than any this format needs.
    #[error("the {what} is {len} bytes; {limit} is the most envelope reads")]
    TooLarge {
        what: &'static str,
        len: usize,
        limit: usize,
    },

    /// The JSON does not parse or lacks a field.
    #[error("the {what} does not parse: {reason}")]
    Json { what: &'static str, reason: String },

    /// A base64 field that does not decode.
    #[error("the {what}'s `{field}` is not base64")]
    Base64 {
        what: &'static str,
        field: &'static str,
    },

    /// A field holding a value this format does not allow.
    #[error("the {what}'s `{field}` is {found:?}, expected {expected}")]
    Field {
        what: &'static str,
        field: String,
        found: String,
        expected: String,
    },

    /// A signature that is not an ASN.1 DER ECDSA signature.
    #[error("the signature is not an ASN.1 DER ECDSA P-256 signature")]
    Signature,
}

/// Parses untrusted JSON of at most `limit` bytes as `T`.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
    limit: usize,
) -> Result<T, FormatError> {
    if bytes.len() > limit {
        return Err(FormatError::TooLarge {
            what,
            len: bytes.len(),
            limit,
        });
    }
    serde_json::from_slice(bytes).map_err(|e| FormatError::Json {
        what,
        reason: e.to_string(),
    })
}
