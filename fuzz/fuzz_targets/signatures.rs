//! Any bytes as a Sigstore bundle, a DSSE envelope, a simple-signing
//! payload and an in-toto statement, and through the checks `verify` runs
//! on them. No panic; what parses writes back to JSON that parses to the
//! same value. The key is the one the seeds (made by cosign) were signed
//! with, so the checks reach their end.
#![no_main]

use envelope_sign::verify::{check_bundle, check_envelope, check_simple_signing, Expected};
use envelope_sign::{Bundle, Envelope, PublicKey, SimpleSigning, Statement};
use libfuzzer_sys::fuzz_target;

const KEY: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEAfSiMgQa9mN+bKwl2gMYmQtnKsRK
7hKO/V8++ehE6flZGmmbC2VYkWiC4suXy/8lktQeuFJzonco8lLmbi+jHg==
-----END PUBLIC KEY-----
";

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = Bundle::parse(data) {
        assert_eq!(Bundle::parse(&b.to_json()).ok(), Some(b));
    }
    if let Ok(e) = Envelope::parse(data) {
        assert_eq!(Envelope::parse(&e.to_json()).ok(), Some(e));
    }
    if let Ok(p) = SimpleSigning::parse(data) {
        assert_eq!(SimpleSigning::parse(&p.to_json()).ok(), Some(p));
    }
    if let Ok(s) = Statement::parse(data) {
        let _ = s.is_about(&envelope_oci::Digest::sha256(data));
        let _ = s.subject_digests();
    }
    if let Ok(key) = PublicKey::from_pem(KEY.as_bytes()) {
        let want = Expected {
            key: &key,
            digest: "sha256:0da0ea03c770cb48af3fcd77a38efcbf09ab5e5f45f39fec732e3c2963fe66bc",
        };
        let _ = check_bundle(data, want);
        let _ = check_envelope(data, want);
        let sig = String::from_utf8_lossy(&data[..data.len().min(100)]).into_owned();
        let _ = check_simple_signing(data, &sig, want);
    }
});
