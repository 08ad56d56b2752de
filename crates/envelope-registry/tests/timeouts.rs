//! The registry client against loopback servers that misbehave in time:
//! one that accepts and never answers, one that trickles a manifest, and
//! one that sends a blob slowly but above the minimum rate.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use envelope_http::{TimedOut, Timeouts};
use envelope_oci::{Descriptor, Digest};
use envelope_registry::{Client, ClientOptions, CredentialStore, Error, RegistryRef};

/// A plain-HTTP server on 127.0.0.1 handing each request (its head) and
/// connection to `answer`, one request per connection; TLS probes are hung
/// up on. Its registry address.
fn serve(answer: fn(&str, TcpStream)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        listener.incoming().flatten().for_each(|mut stream| {
            std::thread::spawn(move || {
                // On loopback one read holds a request head whole; a TLS
                // ClientHello starts with 0x16.
                let mut head = [0u8; 8192];
                let n = stream.read(&mut head).unwrap_or(0);
                if n > 0 && head[0] != 0x16 {
                    answer(&String::from_utf8_lossy(&head[..n]), stream);
                }
            });
        });
    });
    addr
}

fn client(n: Duration) -> Client {
    Client::new(
        CredentialStore { files: vec![] },
        ClientOptions {
            backoff: Some(Duration::from_millis(10)),
            timeouts: Timeouts::scaled(n),
            ..ClientOptions::default()
        },
    )
    .expect("client")
}

fn reference(addr: &str) -> RegistryRef {
    format!("{addr}/team/app:1").parse().expect("reference")
}

/// `GET` of the manifest `team/app:1` with every timeout 500 ms: its
/// error, after under 4 s.
fn manifest_failure(addr: &str) -> Error {
    let start = Instant::now();
    let err = client(Duration::from_millis(500))
        .get_manifest(&reference(addr))
        .expect_err("a timeout");
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    err
}

#[test]
fn a_registry_that_never_answers_is_a_first_byte_timeout_naming_the_url() {
    let addr = serve(|_, stream| {
        std::thread::sleep(Duration::from_secs(60));
        drop(stream);
    });
    // One attempt, one retry of the timeout, and nothing more.
    let err = manifest_failure(&addr);
    assert_eq!(
        err.to_string(),
        format!("GET http://{addr}/v2/team/app/manifests/1: timed out")
    );
    let Error::TimedOut { source, .. } = &err else {
        panic!("not a timeout: {err:?}");
    };
    assert_eq!(source, &TimedOut::FirstByte(Duration::from_millis(500)));
}

#[test]
fn a_trickled_manifest_fails_on_the_minimum_rate() {
    let addr = serve(|_, mut stream| {
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 1000\r\n\r\n",
        );
        for _ in 0..1000 {
            if stream.write_all(b" ").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let err = manifest_failure(&addr);
    assert!(
        matches!(&err, Error::TimedOut { source: TimedOut::Rate { min: 1024, .. }, url, .. }
            if url.ends_with("/v2/team/app/manifests/1")),
        "{err:?}"
    );
}

/// 24 KiB in 2 KiB pieces every 100 ms: about 20 KiB/s, above the floor,
/// and longer in all than every timeout given to the client.
const SLOW_BLOB: usize = 24 * 1024;

#[test]
fn a_slow_blob_above_the_minimum_rate_is_read_whole() {
    let addr = serve(|request, mut stream| {
        if !request.starts_with("GET /v2/team/app/blobs/") {
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            return;
        }
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Length: {SLOW_BLOB}\r\n\r\n"
        );
        for _ in 0..SLOW_BLOB / 2048 {
            if stream.write_all(&[b'b'; 2048]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let data = vec![b'b'; SLOW_BLOB];
    let desc = Descriptor {
        media_type: "application/octet-stream".into(),
        digest: Digest::sha256(&data),
        size: SLOW_BLOB as u64,
        urls: None,
        annotations: None,
        platform: None,
        artifact_type: None,
    };
    let start = Instant::now();
    let got = client(Duration::from_millis(400))
        .get_blob(&reference(&addr), &desc)
        .expect("slow but steady");
    assert_eq!(got, data);
    assert!(
        start.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        start.elapsed()
    );
}
