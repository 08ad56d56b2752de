//! Registries that misbehave, written here as loopback servers. Bounded
//! time: one that accepts connections and never answers makes `digest`,
//! `copy`, `scan` and `build --base` fail within their timeouts, naming the
//! URL; one that trickles a manifest fails by its rate; one that sends a
//! blob slowly, but above the minimum rate, succeeds. Digests from all the
//! bytes: a manifest over the limit, sent without a digest header, is
//! refused by `digest` and `pin` (no digest of its first part is printed or
//! written).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

/// A registry on 127.0.0.1 that hands each request (method and path) and
/// its connection to `answer`, keeping the connection for the next
/// request as long as `answer` says so. TLS probes are hung up on, as a
/// plain-HTTP registry does. Its address.
fn registry(answer: impl Fn(&str, &str, &mut TcpStream) -> bool + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let answer = std::sync::Arc::new(answer);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let answer = answer.clone();
            std::thread::spawn(move || {
                let Ok(clone) = stream.try_clone() else {
                    return;
                };
                let mut reader = BufReader::new(clone);
                // A TLS ClientHello starts with 0x16.
                if reader.fill_buf().map_or(true, |b| b.first() == Some(&0x16)) {
                    return;
                }
                loop {
                    let mut request = String::new();
                    if reader.read_line(&mut request).map_or(true, |n| n == 0) {
                        return;
                    }
                    // The headers, up to the empty line.
                    loop {
                        let mut line = String::new();
                        match reader.read_line(&mut line) {
                            Ok(0) | Err(_) => return,
                            Ok(_) if line == "\r\n" => break,
                            Ok(_) => {}
                        }
                    }
                    let mut parts = request.split_whitespace();
                    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                    if !answer(method, path, &mut stream) {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// A registry that accepts and never answers.
fn silent() -> String {
    registry(|_, _, _| {
        std::thread::sleep(Duration::from_secs(120));
        false
    })
}

/// Runs envelope with `--timeout 2`, expecting exit 2 within 20 s and an
/// error naming `url` and the first-byte timeout; its stderr.
fn times_out(cwd: &Path, args: &[&str], url: &str) -> String {
    let tmp = tempdir();
    let start = Instant::now();
    let err = fails(
        envelope(cwd, &tmp.path().join("cache"))
            .args(args)
            .args(["--timeout", "2"]),
    );
    let took = start.elapsed();
    assert!(took < Duration::from_secs(20), "took {took:?}:\n{err}");
    assert!(err.contains(url), "the URL {url} is not named:\n{err}");
    assert!(
        err.contains("no response within 2s (first-byte timeout)"),
        "{err}"
    );
    assert!(err.contains("hint:") && err.contains("--timeout"), "{err}");
    err
}

#[test]
fn digest_of_a_silent_registry_times_out() {
    let addr = silent();
    times_out(
        &repo_root(),
        &["digest", &format!("docker://{addr}/team/app:1")],
        &format!("http://{addr}/v2/team/app/manifests/1"),
    );
}

#[test]
fn copy_from_a_silent_registry_times_out_and_writes_nothing() {
    let addr = silent();
    let out = tempdir();
    let layout = out.path().join("layout");
    times_out(
        &repo_root(),
        &[
            "copy",
            &format!("docker://{addr}/team/app:1"),
            &format!("oci:{}", layout.display()),
        ],
        &format!("http://{addr}/v2/team/app/manifests/1"),
    );
    assert!(!layout.join("index.json").exists());
}

#[test]
fn scan_of_an_image_on_a_silent_registry_times_out() {
    let addr = silent();
    let db = repo_root().join("tests/fixtures/govulndb");
    times_out(
        &repo_root(),
        &[
            "scan",
            "--db",
            &db.display().to_string(),
            &format!("docker://{addr}/team/app:1"),
        ],
        &format!("http://{addr}/v2/team/app/manifests/1"),
    );
}

#[cfg(feature = "external-tools")]
#[test]
fn build_on_a_base_from_a_silent_registry_times_out() {
    let addr = silent();
    let out = tempdir();
    times_out(
        &example("hello"),
        &[
            "build",
            "--base",
            &format!("docker://{addr}/team/base:1"),
            "-o",
            &format!("oci:{}", out.path().join("layout").display()),
        ],
        &format!("http://{addr}/v2/team/base/manifests/1"),
    );
}

#[test]
fn a_manifest_trickled_a_byte_a_second_fails_on_the_minimum_rate() {
    let addr = registry(|method, path, stream| {
        if !path.contains("/manifests/") {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            return true;
        }
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 500\r\n\r\n",
        );
        if method == "HEAD" {
            return true;
        }
        for _ in 0..500 {
            if stream.write_all(b" ").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
        false
    });
    let tmp = tempdir();
    let start = Instant::now();
    let err = fails(
        envelope(&repo_root(), &tmp.path().join("cache"))
            .args(["digest", &format!("docker://{addr}/team/app:1")])
            .args(["--timeout", "2"]),
    );
    let took = start.elapsed();
    assert!(took < Duration::from_secs(20), "took {took:?}:\n{err}");
    assert!(
        err.contains(&format!(
            "GET http://{addr}/v2/team/app/manifests/1: timed out"
        )) && err.contains("under the minimum of 1024 bytes/s (transfer-rate timeout)"),
        "{err}"
    );
}

fn sha256(data: &[u8]) -> String {
    envelope_oci::Digest::sha256(data).to_string()
}

/// The layer: an empty tar archive padded with zero blocks, 60 KiB.
const LAYER_SIZE: usize = 60 * 1024;

#[test]
fn a_blob_sent_slowly_above_the_minimum_rate_is_copied() {
    let layer = vec![0u8; LAYER_SIZE];
    let layer_digest = sha256(&layer);
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{layer_digest}"]}}}}"#
    )
    .into_bytes();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer_digest}","size":{LAYER_SIZE}}}]}}"#,
        sha256(&config),
        config.len()
    )
    .into_bytes();
    let manifest_digest = sha256(&manifest);
    let (config_digest, answer_digest) = (sha256(&config), manifest_digest.clone());
    let layer_path = layer_digest.replace(':', "/");
    let addr = registry(move |method, path, stream| {
        let (body, kind, slow): (&[u8], &str, bool) = if path.ends_with("/manifests/1") {
            (
                &manifest,
                "application/vnd.oci.image.manifest.v1+json",
                false,
            )
        } else if path.ends_with(&config_digest) {
            (&config, "application/octet-stream", false)
        } else if path.ends_with(&layer_digest) {
            (&layer, "application/octet-stream", true)
        } else {
            // No signatures, no referrers: what a registry answers for a
            // manifest it does not have.
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            return true;
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nDocker-Content-Digest: {answer_digest}\r\n\r\n",
            body.len()
        );
        if stream.write_all(head.as_bytes()).is_err() || method == "HEAD" {
            return true;
        }
        // 2 KiB every 100 ms: about 20 KiB/s, for 3 s in all, longer than
        // the first-byte and idle timeouts, the rate window and a small
        // response's cap of `--timeout 0.5`.
        let piece = if slow { 2048 } else { body.len().max(1) };
        for chunk in body.chunks(piece) {
            if stream.write_all(chunk).is_err() {
                return false;
            }
            if slow {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        true
    });
    let tmp = tempdir();
    let layout = tmp.path().join("layout");
    let start = Instant::now();
    let out = ok(envelope(&repo_root(), &tmp.path().join("cache"))
        .args(["copy", &format!("docker://{addr}/team/app:1")])
        .arg(format!("oci:{}", layout.display()))
        .args(["--timeout", "0.5"]));
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(2),
        "too quick to prove anything: {took:?}"
    );
    assert!(out.trim_end().ends_with(&manifest_digest), "{out}");
    let copied = std::fs::read(layout.join("blobs").join(layer_path)).expect("the layer");
    assert_eq!(copied.len(), LAYER_SIZE);
}

/// A registry serving, for every manifest, `size` bytes of JSON (an
/// image manifest padded with spaces) and no Docker-Content-Digest.
fn oversized_manifests(size: usize) -> String {
    let mut body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#.to_vec();
    body.resize(size, b' ');
    registry(move |method, path, stream| {
        if !path.contains("/manifests/") {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            return true;
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        if stream.write_all(head.as_bytes()).is_err() {
            return false;
        }
        method == "HEAD" || stream.write_all(&body).is_ok()
    })
}

/// Over 4 MiB: what `copy` refuses.
const OVERSIZED: usize = (4 << 20) + 1;

#[test]
fn digest_refuses_a_manifest_over_the_limit() {
    let addr = oversized_manifests(OVERSIZED);
    let tmp = tempdir();
    let out = run(envelope(&repo_root(), &tmp.path().join("cache"))
        .args(["digest", &format!("docker://{addr}/team/app:1")]));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        !stdout.contains("sha256:"),
        "a digest was printed: {stdout}"
    );
    assert!(
        stderr.contains(&format!("http://{addr}/v2/team/app/manifests/1")),
        "{stderr}"
    );
    assert!(stderr.contains("larger than the 4194304 bytes"), "{stderr}");

    // Just under the limit, the digest is that of every byte.
    let addr = oversized_manifests(4 << 20);
    let out = ok(envelope(&repo_root(), &tmp.path().join("cache2"))
        .args(["digest", &format!("docker://{addr}/team/app:1")]));
    let mut body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#.to_vec();
    body.resize(4 << 20, b' ');
    assert_eq!(out.trim(), sha256(&body));
}

#[test]
fn pin_refuses_a_manifest_over_the_limit_and_leaves_the_file_alone() {
    let addr = oversized_manifests(OVERSIZED);
    let tmp = tempdir();
    let dockerfile = tmp.path().join("Dockerfile");
    let before = format!("FROM {addr}/team/app:1\nUSER 65532\n");
    std::fs::write(&dockerfile, &before).expect("write");
    let err = fails(envelope(tmp.path(), &tmp.path().join("cache")).args(["pin", "Dockerfile"]));
    assert!(err.contains("larger than the 4194304 bytes"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&dockerfile).expect("read"),
        before,
        "the Dockerfile changed"
    );
}
