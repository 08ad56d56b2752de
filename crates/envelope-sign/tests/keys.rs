//! Key files from cosign and openssl read as they should, and bad ones are
//! refused with the error naming the fault. The fixtures are throwaway keys:
//! `cosign.key`/`cosign.pub` from `cosign generate-key-pair` (password
//! `pw`), the others from `openssl ecparam`/`pkcs8`/`genpkey`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use envelope_sign::{
    fingerprint, EncryptedKey, KeyError, Password, PrivateKeyFile, PublicKey, ScryptParams,
    SigningKey,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn pw(s: &str) -> Password {
    Password::new(s)
}

/// An encrypted key document with these parts, PEM-armoured.
fn encrypted_pem(json: &str) -> String {
    pem_armour("ENCRYPTED SIGSTORE PRIVATE KEY", json.as_bytes())
}

fn pem_armour(label: &str, bytes: &[u8]) -> String {
    let b64 = STANDARD.encode(bytes);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn doc(n: u64, r: u64, p: u64, nonce_len: usize) -> String {
    format!(
        r#"{{"kdf":{{"name":"scrypt","params":{{"N":{n},"r":{r},"p":{p}}},"salt":"{}"}},"cipher":{{"name":"nacl/secretbox","nonce":"{}"}},"ciphertext":"{}"}}"#,
        STANDARD.encode([1u8; 32]),
        STANDARD.encode(vec![2u8; nonce_len]),
        STANDARD.encode([3u8; 48]),
    )
}

#[test]
fn cosign_key_opens_with_its_password_and_matches_its_public_key() {
    let key = SigningKey::from_pem(&fixture("cosign.key"), Some(&pw("pw"))).expect("cosign key");
    let public = PublicKey::from_pem(&fixture("cosign.pub")).expect("cosign pub");
    assert_eq!(key.public_key(), public);
    assert_eq!(
        public.to_pem().expect("pem"),
        String::from_utf8(fixture("cosign.pub")).expect("utf-8")
    );
}

#[test]
fn cosign_key_with_the_wrong_password_is_refused() {
    let err =
        SigningKey::from_pem(&fixture("cosign.key"), Some(&pw("not it"))).expect_err("refused");
    assert!(matches!(err, KeyError::WrongPassword), "{err}");
    assert!(err.to_string().contains("wrong password"), "{err}");
    let err = SigningKey::from_pem(&fixture("cosign.key"), None).expect_err("refused");
    assert!(matches!(err, KeyError::PasswordNeeded), "{err}");
}

#[test]
fn parsing_reads_cosigns_parameters_without_running_the_kdf() {
    let file = PrivateKeyFile::parse(&fixture("cosign.key")).expect("parse");
    assert!(file.is_encrypted());
    let PrivateKeyFile::Encrypted(sealed) = file else {
        panic!("not encrypted")
    };
    assert_eq!(sealed.params, ScryptParams::COSIGN);
}

#[test]
fn generated_key_round_trips_through_cosigns_format() {
    let key = SigningKey::generate();
    let pem = key.to_encrypted_pem(&pw("secret")).expect("encrypt");
    assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
    assert!(pem.lines().all(|l| l.len() <= 64));
    let back = SigningKey::from_pem(pem.as_bytes(), Some(&pw("secret"))).expect("decrypt");
    assert_eq!(back.public_key(), key.public_key());
    let err = SigningKey::from_pem(pem.as_bytes(), Some(&pw("secreT"))).expect_err("refused");
    assert!(matches!(err, KeyError::WrongPassword), "{err}");
    // An empty password is allowed, as cosign allows it.
    let pem = key.to_encrypted_pem(&Password::default()).expect("encrypt");
    let back = SigningKey::from_pem(pem.as_bytes(), Some(&Password::default())).expect("empty");
    assert_eq!(back.public_key(), key.public_key());
}

#[test]
fn unencrypted_pkcs8_and_sec1_keys_read() {
    let pkcs8 = SigningKey::from_pem(&fixture("p256.key"), None).expect("pkcs8");
    let sec1 = SigningKey::from_pem(&fixture("p256-sec1.key"), None).expect("sec1");
    let public = PublicKey::from_pem(&fixture("p256.pub")).expect("pub");
    assert_eq!(pkcs8.public_key(), public);
    assert_eq!(sec1.public_key(), public);
    // Windows line endings and trailing blank lines are read too.
    let crlf = String::from_utf8(fixture("p256.key"))
        .expect("utf-8")
        .replace('\n', "\r\n")
        + "\r\n\r\n";
    let key = SigningKey::from_pem(crlf.as_bytes(), None).expect("crlf");
    assert_eq!(key.public_key(), public);
}

#[test]
fn other_curves_and_key_types_are_refused_by_name() {
    for name in ["p384.key", "p384-sec1.key"] {
        let err = SigningKey::from_pem(&fixture(name), None).expect_err("refused");
        assert!(matches!(err, KeyError::Curve { .. }), "{name}: {err}");
        assert!(err.to_string().contains("P-384"), "{name}: {err}");
    }
    let err = PublicKey::from_pem(&fixture("p384.pub")).expect_err("refused");
    assert!(err.to_string().contains("P-384"), "{err}");
    let err = SigningKey::from_pem(&fixture("ed25519.key"), None).expect_err("refused");
    assert!(matches!(err, KeyError::KeyType { .. }), "{err}");
    assert!(err.to_string().contains("Ed25519"), "{err}");
}

#[test]
fn the_wrong_kind_of_pem_is_refused() {
    let err = PublicKey::from_pem(&fixture("p256.key")).expect_err("refused");
    assert!(matches!(err, KeyError::Label { .. }), "{err}");
    let err = SigningKey::from_pem(&fixture("p256.pub"), None).expect_err("refused");
    assert!(err.to_string().contains("`PUBLIC KEY`"), "{err}");
}

#[test]
fn garbage_is_refused_without_panicking() {
    let cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"not a key".to_vec(),
        b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n".to_vec(),
        pem_armour("PRIVATE KEY", b"\x30\x03\x02\x01\x00").into_bytes(),
        pem_armour("EC PRIVATE KEY", b"\x30\x00").into_bytes(),
        pem_armour("PUBLIC KEY", b"\x30\x00").into_bytes(),
        encrypted_pem("{").into_bytes(),
        encrypted_pem("[]").into_bytes(),
        encrypted_pem(r#"{"kdf":{}}"#).into_bytes(),
        vec![0xff; 70 * 1024],
    ];
    for case in cases {
        assert!(SigningKey::from_pem(&case, Some(&pw("pw"))).is_err());
        assert!(PublicKey::from_pem(&case).is_err());
    }
    let err = SigningKey::from_pem(encrypted_pem("{").as_bytes(), None).expect_err("refused");
    assert!(matches!(err, KeyError::Json { .. }), "{err}");
}

#[test]
fn absurd_scrypt_parameters_are_refused_before_the_kdf_runs() {
    for (n, r, p) in [
        (1u64 << 40, 8u64, 1u64),
        (1 << 20, 8, 1),
        (65536, 8, 1000),
        (65536, 1 << 40, 1 << 40),
        (u64::MAX, u64::MAX, u64::MAX),
        (65535, 8, 1),
        (0, 8, 1),
        (1, 8, 1),
        (1024, 0, 1),
        (1024, 8, 0),
    ] {
        let err = EncryptedKey::parse(doc(n, r, p, 24).as_bytes()).expect_err("refused");
        assert!(
            matches!(err, KeyError::Scrypt { .. }),
            "N={n} r={r} p={p}: {err}"
        );
    }
    // Four times cosign's cost is the most accepted.
    assert!(EncryptedKey::parse(doc(1 << 18, 8, 1, 24).as_bytes()).is_ok());
}

#[test]
fn malformed_encrypted_documents_name_the_field() {
    let err = EncryptedKey::parse(doc(1024, 8, 1, 12).as_bytes()).expect_err("refused");
    assert!(matches!(err, KeyError::Nonce { len: 12 }), "{err}");
    let other_kdf = doc(1024, 8, 1, 24).replace("\"scrypt\"", "\"pbkdf2\"");
    let err = EncryptedKey::parse(other_kdf.as_bytes()).expect_err("refused");
    assert!(matches!(err, KeyError::Kdf { .. }), "{err}");
    let other_cipher = doc(1024, 8, 1, 24).replace("nacl/secretbox", "aes-gcm");
    let err = EncryptedKey::parse(other_cipher.as_bytes()).expect_err("refused");
    assert!(matches!(err, KeyError::Cipher { .. }), "{err}");
    let bad_salt = doc(1024, 8, 1, 24).replace(&STANDARD.encode([1u8; 32]), "%%%");
    let err = EncryptedKey::parse(bad_salt.as_bytes()).expect_err("refused");
    assert!(matches!(err, KeyError::Base64 { field: "salt" }), "{err}");
    // A well-formed box that does not open (tiny N, so the test is quick).
    let sealed = EncryptedKey::parse(doc(1024, 8, 1, 24).as_bytes()).expect("parse");
    assert!(matches!(
        sealed.decrypt(b"pw"),
        Err(KeyError::WrongPassword)
    ));
}

#[test]
fn secrets_do_not_show_in_debug_output() {
    assert_eq!(format!("{:?}", pw("hunter2")), "<redacted>");
    let key = SigningKey::generate();
    assert!(!format!("{key:?}").contains("SecretKey"));
    assert_eq!(format!("{key:?}"), "SigningKey(<redacted>)");
}

#[test]
fn fingerprint_is_the_sha256_of_the_der() {
    let public = PublicKey::from_pem(&fixture("cosign.pub")).expect("pub");
    let text = String::from_utf8(fixture("cosign.pub")).expect("utf-8");
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = STANDARD.decode(b64).expect("base64");
    assert_eq!(public.to_der().expect("der"), der);
    let print = public.fingerprint().expect("fingerprint");
    assert_eq!(print, fingerprint(&der));
    assert_eq!(print.len(), 64);
    assert!(print
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
}
