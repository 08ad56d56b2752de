//! Any bytes as a key file: a private key (cosign's encrypted PEM,
//! PKCS#8, SEC1), a public key, and the encrypted key's JSON on its own.
//! Parsing runs no KDF; the box is opened (with the password `pw`) only when
//! the input asks for a tiny scrypt cost (N × r × p at most 4096), so every
//! input stays fast while the decryption and the DER behind it are reached.
//! No panic; what reads prints back to the same key; no secret in Debug.
#![no_main]

use envelope_sign::{EncryptedKey, Password, PrivateKeyFile, PublicKey, SigningKey};
use libfuzzer_sys::fuzz_target;

const TINY_WORK: u64 = 4096;

fn cheap(sealed: &EncryptedKey) -> bool {
    let p = sealed.params;
    p.n.saturating_mul(p.r).saturating_mul(p.p) <= TINY_WORK
}

fn check_private(key: &SigningKey) {
    assert_eq!(format!("{key:?}"), "SigningKey(<redacted>)");
    let public = key.public_key();
    let pem = public.to_pem().expect("a P-256 public key encodes");
    assert_eq!(PublicKey::from_pem(pem.as_bytes()).ok(), Some(public));
}

fuzz_target!(|data: &[u8]| {
    let password = Password::new("pw");
    match PrivateKeyFile::parse(data) {
        Ok(PrivateKeyFile::Plain(key)) => check_private(&key),
        Ok(PrivateKeyFile::Encrypted(sealed)) if cheap(&sealed) => {
            if let Ok(key) = SigningKey::from_pem(data, Some(&password)) {
                check_private(&key);
            }
        }
        Ok(PrivateKeyFile::Encrypted(_)) | Err(_) => {}
    }
    if let Ok(public) = PublicKey::from_pem(data) {
        let pem = public.to_pem().expect("a P-256 public key encodes");
        assert_eq!(
            PublicKey::from_pem(pem.as_bytes()).ok(),
            Some(public.clone())
        );
        assert_eq!(public.fingerprint().ok().map(|f| f.len()), Some(64));
    }
    if let Ok(sealed) = EncryptedKey::parse(data) {
        if cheap(&sealed) {
            let _ = sealed.decrypt(password.as_bytes());
        }
    }
});
