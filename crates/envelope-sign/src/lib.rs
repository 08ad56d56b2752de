//! Signing keys as cosign writes and reads them: ECDSA P-256 key pairs,
//! the private key PEM-armoured as `ENCRYPTED SIGSTORE PRIVATE KEY` (a JSON
//! document: scrypt derives a key from the password, a NaCl secretbox seals
//! the PKCS#8 DER key with it) and the public key as a PKIX `PUBLIC KEY`.
//! Unencrypted PKCS#8 `PRIVATE KEY` and SEC1 `EC PRIVATE KEY` files are read
//! too. All the cryptography is RustCrypto's; this crate only arranges it.
//!
//! Key files are untrusted input: reading one never panics, and the scrypt
//! cost a file asks for is bounded before any memory is taken for it.
//! Nothing here prints; secrets print as `<redacted>` in Debug output.

mod encrypted;
mod error;
mod keys;

pub use encrypted::{EncryptedKey, ScryptParams, MAX_SCRYPT_WORK};
pub use error::KeyError;
pub use keys::{fingerprint, Password, PrivateKeyFile, PublicKey, SigningKey};
