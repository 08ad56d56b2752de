//! P-256 key pairs: generated, written in cosign's formats, and read from
//! any PEM file cosign or openssl writes for one. A key of another curve or
//! type is refused naming what it is.

use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use pkcs8::der::asn1::ObjectIdentifier;
use pkcs8::der::Decode;
use rand_core::OsRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{EncryptedKey, KeyError};

/// The PEM label cosign writes encrypted keys under; older cosign releases
/// wrote the second.
const ENCRYPTED_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
const ENCRYPTED_COSIGN_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";
const PKCS8_LABEL: &str = "PRIVATE KEY";
const SEC1_LABEL: &str = "EC PRIVATE KEY";
const PUBLIC_LABEL: &str = "PUBLIC KEY";

const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// A key file's text may be this long at most: a P-256 key takes well under
/// 1 KiB in any of its formats.
const MAX_PEM: usize = 64 * 1024;

/// A DER ECDSA P-256 signature is at most 72 bytes.
pub(crate) const MAX_SIGNATURE: usize = 80;

/// A password, zeroed when dropped, `<redacted>` when printed.
#[derive(Clone, Default)]
pub struct Password(Zeroizing<Vec<u8>>);

impl Password {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Password {
        Password(Zeroizing::new(bytes.into()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An ECDSA P-256 private key.
#[derive(Clone)]
pub struct SigningKey(p256::SecretKey);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

impl SigningKey {
    /// A new key from the system's random source.
    pub fn generate() -> SigningKey {
        SigningKey(p256::SecretKey::random(&mut OsRng))
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.public_key())
    }

    /// The key as p256 holds it, for signing.
    pub fn secret(&self) -> &p256::SecretKey {
        &self.0
    }

    /// ECDSA P-256 over SHA-256 of `message`, ASN.1 DER encoded as cosign
    /// writes signatures. The nonce is derived from the key and the message
    /// (RFC 6979), so the same message signed twice gives the same bytes.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer;
        let key = p256::ecdsa::SigningKey::from(&self.0);
        let sig: p256::ecdsa::Signature = key.sign(message);
        sig.to_der().as_bytes().to_vec()
    }

    /// The key as cosign writes it: `ENCRYPTED SIGSTORE PRIVATE KEY` PEM,
    /// its PKCS#8 DER sealed with a key scrypt derives from `password`.
    pub fn to_encrypted_pem(&self, password: &Password) -> Result<Zeroizing<String>, KeyError> {
        let der = self.0.to_pkcs8_der().map_err(der_error("private key"))?;
        let json = EncryptedKey::encrypt(der.as_bytes(), password.as_bytes())?;
        pem_rfc7468::encode_string(ENCRYPTED_LABEL, LineEnding::LF, &json)
            .map(Zeroizing::new)
            .map_err(|e| KeyError::Pem {
                reason: e.to_string(),
            })
    }

    /// Reads a private key file with its password (needed only when the
    /// key is encrypted).
    pub fn from_pem(text: &[u8], password: Option<&Password>) -> Result<SigningKey, KeyError> {
        match PrivateKeyFile::parse(text)? {
            PrivateKeyFile::Plain(key) => Ok(key),
            PrivateKeyFile::Encrypted(sealed) => {
                let password = password.ok_or(KeyError::PasswordNeeded)?;
                let der = sealed.decrypt(password.as_bytes())?;
                from_pkcs8(&der)
            }
        }
    }
}

/// A private key file read up to its password: the key itself, or the
/// sealed box still to open. Parsing runs no KDF.
#[derive(Debug)]
pub enum PrivateKeyFile {
    Plain(SigningKey),
    Encrypted(EncryptedKey),
}

impl PrivateKeyFile {
    pub fn parse(text: &[u8]) -> Result<PrivateKeyFile, KeyError> {
        let (label, der) = pem(text)?;
        match label.as_str() {
            ENCRYPTED_LABEL | ENCRYPTED_COSIGN_LABEL => {
                EncryptedKey::parse(&der).map(PrivateKeyFile::Encrypted)
            }
            PKCS8_LABEL => from_pkcs8(&der).map(PrivateKeyFile::Plain),
            SEC1_LABEL => from_sec1(&der).map(PrivateKeyFile::Plain),
            _ => Err(KeyError::Label {
                label,
                expected: "ENCRYPTED SIGSTORE PRIVATE KEY, PRIVATE KEY or EC PRIVATE KEY",
            }),
        }
    }

    /// Whether opening the key needs a password.
    pub fn is_encrypted(&self) -> bool {
        matches!(self, PrivateKeyFile::Encrypted(_))
    }
}

/// An ECDSA P-256 public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey(p256::PublicKey);

impl PublicKey {
    /// Reads a PKIX `PUBLIC KEY` PEM.
    pub fn from_pem(text: &[u8]) -> Result<PublicKey, KeyError> {
        let (label, der) = pem(text)?;
        if label != PUBLIC_LABEL {
            return Err(KeyError::Label {
                label,
                expected: "PUBLIC KEY",
            });
        }
        let info = pkcs8::spki::SubjectPublicKeyInfoRef::from_der(&der)
            .map_err(der_error("public key"))?;
        check_identifier(&info.algorithm)?;
        p256::PublicKey::try_from(info)
            .map(PublicKey)
            .map_err(der_error("public key"))
    }

    /// The key as cosign writes it: PKIX DER in a `PUBLIC KEY` PEM.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.0
            .to_public_key_pem(LineEnding::LF)
            .map_err(der_error("public key"))
    }

    /// The PKIX DER encoding.
    pub fn to_der(&self) -> Result<Vec<u8>, KeyError> {
        self.0
            .to_public_key_der()
            .map(|d| d.into_vec())
            .map_err(der_error("public key"))
    }

    /// The key as p256 holds it, for verifying.
    pub fn key(&self) -> &p256::PublicKey {
        &self.0
    }

    /// Whether `der` (an ASN.1 DER ECDSA signature) signs SHA-256 of
    /// `message` with this key. Anything that does not parse is false.
    pub fn verify(&self, message: &[u8], der: &[u8]) -> bool {
        use p256::ecdsa::signature::Verifier;
        self.verifier(der)
            .is_some_and(|(key, sig)| key.verify(message, &sig).is_ok())
    }

    /// Whether `der` signs a message whose SHA-256 is `sha256`.
    pub fn verify_prehash(&self, sha256: &[u8], der: &[u8]) -> bool {
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        sha256.len() == 32
            && self
                .verifier(der)
                .is_some_and(|(key, sig)| key.verify_prehash(sha256, &sig).is_ok())
    }

    /// The verifying key and the DER signature parsed, if it parses.
    fn verifier(&self, der: &[u8]) -> Option<(p256::ecdsa::VerifyingKey, p256::ecdsa::Signature)> {
        if der.len() > MAX_SIGNATURE {
            return None;
        }
        let sig = p256::ecdsa::Signature::from_der(der).ok()?;
        Some((p256::ecdsa::VerifyingKey::from(&self.0), sig))
    }

    /// The hint a Sigstore bundle names the key by: base64 of the SHA-256
    /// of its PKIX DER (the fingerprint's bytes).
    pub fn hint(&self) -> Result<String, KeyError> {
        use base64::Engine;
        let der = self.to_der()?;
        Ok(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(der)))
    }

    /// The key's fingerprint: see [`fingerprint`].
    pub fn fingerprint(&self) -> Result<String, KeyError> {
        self.to_der().map(|der| fingerprint(&der))
    }
}

/// A public key's fingerprint: the SHA-256 of its PKIX DER, in lower-case
/// hex (what `openssl pkey -pubin -outform DER | sha256sum` prints).
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// The one PEM block of `text`: its label and decoded contents.
fn pem(text: &[u8]) -> Result<(String, Zeroizing<Vec<u8>>), KeyError> {
    if text.len() > MAX_PEM {
        return Err(KeyError::Pem {
            reason: format!("{} bytes is too long for a key", text.len()),
        });
    }
    // Files written by hand or by other tools often end in blank lines or
    // carriage returns that the strict RFC 7468 reader refuses.
    let trimmed = text.trim_ascii();
    pem_rfc7468::decode_vec(trimmed)
        .map(|(label, der)| (label.to_string(), Zeroizing::new(der)))
        .map_err(|e| KeyError::Pem {
            reason: e.to_string(),
        })
}

fn from_pkcs8(der: &[u8]) -> Result<SigningKey, KeyError> {
    let info = pkcs8::PrivateKeyInfo::from_der(der).map_err(der_error("PKCS#8 private key"))?;
    check_identifier(&info.algorithm)?;
    p256::SecretKey::from_pkcs8_der(der)
        .map(SigningKey)
        .map_err(der_error("PKCS#8 private key"))
}

fn from_sec1(der: &[u8]) -> Result<SigningKey, KeyError> {
    let key = sec1::EcPrivateKey::from_der(der).map_err(der_error("SEC1 private key"))?;
    if let Some(curve) = key.parameters.and_then(|p| p.named_curve()) {
        check_algorithm(EC_PUBLIC_KEY, Some(curve))?;
    }
    p256::SecretKey::try_from(key)
        .map(SigningKey)
        .map_err(der_error("SEC1 private key"))
}

fn der_error<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> KeyError {
    move |e| KeyError::Der {
        what,
        reason: e.to_string(),
    }
}

/// [`check_algorithm`] on a PKCS#8 or PKIX algorithm identifier.
fn check_identifier(algorithm: &pkcs8::spki::AlgorithmIdentifierRef<'_>) -> Result<(), KeyError> {
    let curve = algorithm
        .parameters_oid()
        .ok()
        .filter(|_| algorithm.oid == EC_PUBLIC_KEY);
    check_algorithm(algorithm.oid, curve)
}

/// Refuses anything but an EC key on P-256, naming what it is instead.
fn check_algorithm(
    algorithm: ObjectIdentifier,
    curve: Option<ObjectIdentifier>,
) -> Result<(), KeyError> {
    if algorithm != EC_PUBLIC_KEY {
        return Err(KeyError::KeyType {
            kind: key_type_name(algorithm),
        });
    }
    match curve {
        Some(c) if c == P256 => Ok(()),
        Some(c) => Err(KeyError::Curve {
            curve: curve_name(c),
        }),
        None => Err(KeyError::Curve {
            curve: "(not named)".into(),
        }),
    }
}

fn key_type_name(oid: ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => "an RSA key".into(),
        "1.3.101.112" => "an Ed25519 key".into(),
        "1.3.101.113" => "an Ed448 key".into(),
        "1.2.840.10040.4.1" => "a DSA key".into(),
        other => format!("a key of algorithm {other}"),
    }
}

fn curve_name(oid: ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.3.132.0.34" => "P-384".into(),
        "1.3.132.0.35" => "P-521".into(),
        "1.3.132.0.10" => "secp256k1".into(),
        "1.2.840.10045.3.1.1" => "P-192".into(),
        "1.3.132.0.33" => "P-224".into(),
        other => other.into(),
    }
}
