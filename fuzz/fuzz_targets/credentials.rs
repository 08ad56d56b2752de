//! Any bytes as a credentials file (Docker's config.json, Podman's
//! auth.json) for a few registry hosts, and any text as a
//! `WWW-Authenticate` challenge. No panic, no helper run, and a password
//! or token never shows in the credentials' Debug output.
#![no_main]

use std::path::Path;

use envelope_registry::{parse_challenge, read_config, ConfigEntry, Credentials};
use libfuzzer_sys::fuzz_target;

/// The secret, when it is long enough that finding it in the Debug output
/// means it leaked (not a piece of the rest of that output).
fn secret(c: &Credentials) -> (Option<&str>, String) {
    let (s, rest) = match c {
        Credentials::Basic { username, password } => (
            password.expose(),
            format!("Basic {{ username: {username:?}, password: <redacted> }}"),
        ),
        Credentials::IdentityToken(t) => (t.expose(), "IdentityToken(<redacted>)".to_string()),
    };
    ((s.len() >= 4 && !rest.contains(s)).then_some(s), rest)
}

fuzz_target!(|data: &[u8]| {
    for host in ["docker.io", "registry.example.com:5000", "ghcr.io"] {
        if let Ok(Some(ConfigEntry::Found(c))) = read_config(data, host, Path::new("config.json")) {
            let shown = format!("{c:?}");
            if let (Some(s), _) = secret(&c) {
                assert!(!shown.contains(s), "a secret in {shown}");
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(c) = parse_challenge(text) {
            assert_eq!(c.scheme, c.scheme.to_ascii_lowercase());
            for k in c.params.keys() {
                assert_eq!(*k, k.to_ascii_lowercase());
            }
        }
    }
});
