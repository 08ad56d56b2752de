//! The JSON inside an `ENCRYPTED SIGSTORE PRIVATE KEY` block, as
//! go-securesystemslib's `encrypted` package writes it for cosign:
//!
//! ```json
//! {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"<base64>"},
//!  "cipher":{"name":"nacl/secretbox","nonce":"<base64>"},
//!  "ciphertext":"<base64>"}
//! ```
//!
//! Parsing checks everything but the password, so a hostile file is
//! refused before scrypt runs; only [`EncryptedKey::decrypt`] pays for the KDF.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::KeyError;

const KDF: &str = "scrypt";
const CIPHER: &str = "nacl/secretbox";
const NONCE_LEN: usize = 24;
const SALT_LEN: usize = 32;
const KEY_LEN: usize = 32;

/// The most scrypt work (N × r × p) a key file may ask for: four times what
/// cosign writes (N=65536, r=8, p=1). scrypt takes 128 × N × r bytes, so
/// this bounds the memory at 256 MiB.
pub const MAX_SCRYPT_WORK: u64 = 4 * 65536 * 8;

/// scrypt's cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScryptParams {
    #[serde(rename = "N")]
    pub n: u64,
    pub r: u64,
    pub p: u64,
}

impl ScryptParams {
    /// What cosign writes.
    pub const COSIGN: ScryptParams = ScryptParams {
        n: 65536,
        r: 8,
        p: 1,
    };

    /// The parameters as scrypt takes them, or why they are refused.
    fn checked(self) -> Result<scrypt::Params, KeyError> {
        let refuse = |reason| KeyError::Scrypt {
            n: self.n,
            r: self.r,
            p: self.p,
            reason,
        };
        if self.n < 2 || !self.n.is_power_of_two() {
            return Err(refuse("N must be a power of two above 1"));
        }
        if self.r == 0 || self.p == 0 {
            return Err(refuse("r and p must be at least 1"));
        }
        let work = self
            .n
            .checked_mul(self.r)
            .and_then(|w| w.checked_mul(self.p));
        if work.is_none_or(|w| w > MAX_SCRYPT_WORK) {
            return Err(refuse(
                "N × r × p is over 2097152, four times what cosign writes",
            ));
        }
        let log_n = u8::try_from(self.n.trailing_zeros()).map_err(|_| refuse("N is too large"))?;
        let r = u32::try_from(self.r).map_err(|_| refuse("r is too large"))?;
        let p = u32::try_from(self.p).map_err(|_| refuse("p is too large"))?;
        scrypt::Params::new(log_n, r, p, KEY_LEN).map_err(|_| refuse("scrypt rejects them"))
    }
}

#[derive(Serialize, Deserialize)]
struct Document {
    kdf: KdfDoc,
    cipher: CipherDoc,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct KdfDoc {
    name: String,
    params: ScryptParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct CipherDoc {
    name: String,
    nonce: String,
}

/// An encrypted private key, parsed and checked but not yet opened.
#[derive(Clone, Debug)]
pub struct EncryptedKey {
    pub params: ScryptParams,
    salt: Vec<u8>,
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

impl EncryptedKey {
    /// Reads the JSON document (the PEM block's contents).
    pub fn parse(json: &[u8]) -> Result<EncryptedKey, KeyError> {
        let doc: Document = serde_json::from_slice(json).map_err(|e| KeyError::Json {
            reason: e.to_string(),
        })?;
        if doc.kdf.name != KDF {
            return Err(KeyError::Kdf { name: doc.kdf.name });
        }
        if doc.cipher.name != CIPHER {
            return Err(KeyError::Cipher {
                name: doc.cipher.name,
            });
        }
        doc.kdf.params.checked()?;
        let decode = |field, text: &str| {
            STANDARD
                .decode(text)
                .map_err(|_| KeyError::Base64 { field })
        };
        let salt = decode("salt", &doc.kdf.salt)?;
        let nonce = decode("nonce", &doc.cipher.nonce)?;
        let nonce: [u8; NONCE_LEN] = nonce
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::Nonce { len: nonce.len() })?;
        let ciphertext = decode("ciphertext", &doc.ciphertext)?;
        Ok(EncryptedKey {
            params: doc.kdf.params,
            salt,
            nonce,
            ciphertext,
        })
    }

    /// Opens the box: the PKCS#8 DER inside, or [`KeyError::WrongPassword`].
    pub fn decrypt(&self, password: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let key = derive(password, &self.salt, self.params)?;
        XSalsa20Poly1305::new(Key::from_slice(key.as_slice()))
            .decrypt(Nonce::from_slice(&self.nonce), self.ciphertext.as_slice())
            .map(Zeroizing::new)
            .map_err(|_| KeyError::WrongPassword)
    }

    /// Seals `plaintext` with a key derived from `password` (fresh salt and
    /// nonce, cosign's scrypt parameters) and returns the JSON document.
    pub fn encrypt(plaintext: &[u8], password: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut salt = [0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        for buf in [&mut salt[..], &mut nonce[..]] {
            OsRng.try_fill_bytes(buf).map_err(|e| KeyError::Random {
                reason: e.to_string(),
            })?;
        }
        let params = ScryptParams::COSIGN;
        let key = derive(password, &salt, params)?;
        let ciphertext = XSalsa20Poly1305::new(Key::from_slice(key.as_slice()))
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .map_err(|_| KeyError::Random {
                reason: "the secretbox refused to seal the key".into(),
            })?;
        let doc = Document {
            kdf: KdfDoc {
                name: KDF.into(),
                params,
                salt: STANDARD.encode(salt),
            },
            cipher: CipherDoc {
                name: CIPHER.into(),
                nonce: STANDARD.encode(nonce),
            },
            ciphertext: STANDARD.encode(ciphertext),
        };
        serde_json::to_vec(&doc).map_err(|e| KeyError::Json {
            reason: e.to_string(),
        })
    }
}

fn derive(
    password: &[u8],
    salt: &[u8],
    params: ScryptParams,
) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
    let checked = params.checked()?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    scrypt::scrypt(password, salt, &checked, key.as_mut_slice()).map_err(|_| KeyError::Scrypt {
        n: params.n,
        r: params.r,
        p: params.p,
        reason: "scrypt rejects them",
    })?;
    Ok(key)
}
