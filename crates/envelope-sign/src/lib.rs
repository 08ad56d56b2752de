//! Signing keys, signatures and their formats as cosign writes and reads
//! them. Keys: ECDSA P-256 key pairs, the private key PEM-armoured as
//! `ENCRYPTED SIGSTORE PRIVATE KEY` (a JSON document: scrypt derives a key
//! from the password, a NaCl secretbox seals the PKCS#8 DER key with it)
//! and the public key as a PKIX `PUBLIC KEY`; unencrypted PKCS#8 `PRIVATE
//! KEY` and SEC1 `EC PRIVATE KEY` files are read too. Formats: DSSE
//! envelopes, cosign's simple-signing payload, in-toto statements (their
//! subjects) and Sigstore bundles v0.3; [`verify`] checks them against a
//! key and a manifest digest. All the cryptography is RustCrypto's; this
//! crate only arranges it.
//!
//! Key files, signatures and bundles are untrusted input: reading one
//! never panics, sizes are bounded, and the scrypt cost a key file asks
//! for is bounded before any memory is taken for it. Nothing here prints
//! or does I/O; secrets print as `<redacted>` in Debug output.

pub mod bundle;
pub mod dsse;
mod encrypted;
mod error;
mod keys;
pub mod simple_signing;
pub mod statement;
pub mod verify;

pub use bundle::Bundle;
pub use dsse::Envelope;
pub use encrypted::{EncryptedKey, ScryptParams, MAX_SCRYPT_WORK};
pub use error::{FormatError, KeyError};
pub use keys::{fingerprint, Password, PrivateKeyFile, PublicKey, SigningKey};
pub use simple_signing::SimpleSigning;
pub use statement::Statement;
