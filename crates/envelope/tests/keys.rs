//! `envelope keygen` and the keys it reads: what it writes, where the
//! password comes from, and (with external tools) that cosign and envelope
//! each read the other's keys and openssl's.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const PASSWORD: &str = "correct horse battery staple";

/// The envelope binary in `dir`, no password variable set.
fn keygen(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_envelope"));
    cmd.current_dir(dir)
        .arg("keygen")
        .env("NO_COLOR", "1")
        .env_remove("ENVELOPE_PASSWORD")
        .env_remove("COSIGN_PASSWORD");
    cmd
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_reads_and_never_prints_it() {
    let tmp = tempdir();
    let out = run(keygen(tmp.path())
        .args(["--verbose", "--output-key-prefix", "release"])
        .env("ENVELOPE_PASSWORD", PASSWORD));
    assert!(out.status.success(), "{out:?}");
    let key = read(&tmp.path().join("release.key"));
    let public = read(&tmp.path().join("release.pub"));
    assert!(key.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    #[cfg(unix)]
    assert_eq!(mode(&tmp.path().join("release.key")), 0o600);

    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(printed.contains("release.key"), "{printed}");
    assert!(!printed.contains(PASSWORD), "{printed}");
    for line in key.lines().chain(public.lines()) {
        if !line.starts_with("-----") {
            assert!(!printed.contains(line), "key material printed: {printed}");
        }
    }

    // The key opens with the password and holds the public key written.
    let opened = envelope_sign::SigningKey::from_pem(
        key.as_bytes(),
        Some(&envelope_sign::Password::new(PASSWORD)),
    )
    .expect("open the key");
    assert_eq!(opened.public_key().to_pem().expect("pem"), public);
}

#[test]
fn keygen_keeps_existing_keys_unless_forced() {
    let tmp = tempdir();
    ok(keygen(tmp.path()).env("COSIGN_PASSWORD", PASSWORD));
    let before = read(&tmp.path().join("cosign.pub"));
    let stderr = fails(keygen(tmp.path()).env("COSIGN_PASSWORD", PASSWORD));
    assert!(stderr.contains("cosign.key already exists"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(read(&tmp.path().join("cosign.pub")), before);

    ok(keygen(tmp.path())
        .arg("--force")
        .env("COSIGN_PASSWORD", PASSWORD));
    assert_ne!(read(&tmp.path().join("cosign.pub")), before);
}

#[test]
fn keygen_without_a_password_or_a_terminal_fails_with_a_hint() {
    let tmp = tempdir();
    let stderr = fails(keygen(tmp.path()).stdin(std::process::Stdio::null()));
    assert!(stderr.contains("no password"), "{stderr}");
    assert!(stderr.contains("hint: set ENVELOPE_PASSWORD"), "{stderr}");
    assert!(!tmp.path().join("cosign.key").exists());
    assert!(!tmp.path().join("cosign.pub").exists());
}

#[test]
fn envelope_password_comes_before_cosign_password() {
    let tmp = tempdir();
    ok(keygen(tmp.path())
        .env("ENVELOPE_PASSWORD", "first")
        .env("COSIGN_PASSWORD", "second"));
    let key = read(&tmp.path().join("cosign.key"));
    let open = |pw: &str| {
        envelope_sign::SigningKey::from_pem(key.as_bytes(), Some(&envelope_sign::Password::new(pw)))
    };
    assert!(open("first").is_ok());
    assert!(matches!(
        open("second"),
        Err(envelope_sign::KeyError::WrongPassword)
    ));
}

/// With cosign and openssl: keys made by either tool work in the other.
#[cfg(feature = "external-tools")]
mod interop {
    use super::*;

    fn cosign(dir: &Path) -> Command {
        let mut cmd = Command::new(peer("cosign"));
        cmd.current_dir(dir).env_remove("ENVELOPE_PASSWORD");
        cmd
    }

    fn openssl(dir: &Path, args: &[&str]) {
        require("openssl");
        ok(Command::new("openssl").current_dir(dir).args(args));
    }

    #[test]
    fn envelope_reads_a_key_cosign_generated() {
        let tmp = tempdir();
        ok(cosign(tmp.path())
            .arg("generate-key-pair")
            .env("COSIGN_PASSWORD", PASSWORD));
        let key = std::fs::read(tmp.path().join("cosign.key")).expect("cosign.key");
        let public = read(&tmp.path().join("cosign.pub"));
        let opened = envelope_sign::SigningKey::from_pem(
            &key,
            Some(&envelope_sign::Password::new(PASSWORD)),
        )
        .expect("envelope opens cosign's key");
        assert_eq!(opened.public_key().to_pem().expect("pem"), public);
        let parsed = envelope_sign::PublicKey::from_pem(public.as_bytes()).expect("cosign.pub");
        assert_eq!(parsed, opened.public_key());

        let err =
            envelope_sign::SigningKey::from_pem(&key, Some(&envelope_sign::Password::new("wrong")))
                .expect_err("the wrong password");
        assert!(err.to_string().contains("wrong password"), "{err}");
    }

    #[test]
    fn cosign_reads_a_key_envelope_generated() {
        let tmp = tempdir();
        ok(keygen(tmp.path())
            .args(["--output-key-prefix", "envelope"])
            .env("ENVELOPE_PASSWORD", PASSWORD));
        let printed = ok(cosign(tmp.path())
            .args(["public-key", "--key", "envelope.key"])
            .env("COSIGN_PASSWORD", PASSWORD));
        assert_eq!(printed, read(&tmp.path().join("envelope.pub")));

        let out = run(cosign(tmp.path())
            .args(["public-key", "--key", "envelope.key"])
            .env("COSIGN_PASSWORD", "wrong"));
        assert!(!out.status.success(), "cosign took the wrong password");
    }

    #[test]
    fn an_empty_password_from_the_variable_works_in_both_tools() {
        let tmp = tempdir();
        ok(keygen(tmp.path()).env("ENVELOPE_PASSWORD", ""));
        let printed = ok(cosign(tmp.path())
            .args(["public-key", "--key", "cosign.key"])
            .env("COSIGN_PASSWORD", ""));
        assert_eq!(printed, read(&tmp.path().join("cosign.pub")));
    }

    #[test]
    fn openssl_keys_read_and_other_curves_are_refused_by_name() {
        let tmp = tempdir();
        let dir = tmp.path();
        openssl(
            dir,
            &[
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
                "sec1.key",
            ],
        );
        openssl(
            dir,
            &[
                "pkcs8", "-topk8", "-nocrypt", "-in", "sec1.key", "-out", "p256.key",
            ],
        );
        openssl(
            dir,
            &["pkey", "-in", "p256.key", "-pubout", "-out", "p256.pub"],
        );
        let public = read(&dir.join("p256.pub"));
        for name in ["p256.key", "sec1.key"] {
            let key = envelope_sign::SigningKey::from_pem(read(&dir.join(name)).as_bytes(), None)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(key.public_key().to_pem().expect("pem"), public, "{name}");
        }

        openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
                "-out",
                "p384.key",
            ],
        );
        let err = envelope_sign::SigningKey::from_pem(read(&dir.join("p384.key")).as_bytes(), None)
            .expect_err("a P-384 key");
        assert!(err.to_string().contains("P-384"), "{err}");
    }
}
