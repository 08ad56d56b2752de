//! A fault-injecting HTTP proxy between envelope and a registry: it answers
//! the first N requests with an error status, flips a byte in blob
//! downloads, or cuts a connection in the middle of an upload. One request
//! per connection (it forwards with `Connection: close`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

#[derive(Default)]
pub struct Faults {
    /// Answer this many requests with `error_status` before forwarding.
    pub fail_first: AtomicU32,
    pub error_status: AtomicU32,
    /// Flip one byte in every blob body sent back.
    pub flip_blobs: AtomicBool,
    /// Cut the next upload (PUT or PATCH with a body) halfway through.
    pub cut_next_upload: AtomicBool,
    /// Flip one byte in every manifest sent back (a registry that lies).
    pub flip_manifests: AtomicBool,
    /// Send only half of the next blob response, then hang up.
    pub cut_next_blob: AtomicBool,
    /// Wait this long before forwarding each request.
    pub delay_ms: AtomicU32,
    pub requests: AtomicU32,
    /// Every request forwarded or failed, as "METHOD PATH".
    pub log: std::sync::Mutex<Vec<String>>,
}

pub struct Proxy {
    pub addr: String,
    pub faults: Arc<Faults>,
}

impl Proxy {
    pub fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let faults = Arc::new(Faults::default());
        let (f, up) = (Arc::clone(&faults), upstream.to_string());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { break };
                let (f, up) = (Arc::clone(&f), up.clone());
                std::thread::spawn(move || {
                    let _ = handle(conn, &up, &f);
                });
            }
        });
        Proxy { addr, faults }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn handle(mut client: TcpStream, upstream: &str, f: &Faults) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    let head_end = loop {
        let n = client.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        // Not HTTP (a TLS ClientHello): hang up, as a plain server would fail.
        if !buf[0].is_ascii_uppercase() {
            return Ok(());
        }
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let method = request_line
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_string();
    let path = request_line
        .split(' ')
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let len: usize = lines
        .clone()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = client.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    f.requests.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut log) = f.log.lock() {
        log.push(format!("{method} {path}"));
    }
    let delay = f.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        std::thread::sleep(std::time::Duration::from_millis(u64::from(delay)));
    }

    if f.fail_first.load(Ordering::SeqCst) > 0 {
        f.fail_first.fetch_sub(1, Ordering::SeqCst);
        let status = f.error_status.load(Ordering::SeqCst);
        let msg =
            format!("HTTP/1.1 {status} Injected\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        client.write_all(msg.as_bytes())?;
        return Ok(());
    }
    if (method == "PUT" || method == "PATCH")
        && len > 1000
        && f.cut_next_upload.swap(false, Ordering::SeqCst)
    {
        // Forward half the upload, then drop both sides.
        let mut up = TcpStream::connect(upstream)?;
        up.write_all(&buf[..head_end + len / 2])?;
        return Ok(());
    }

    let mut out = Vec::new();
    for (i, line) in head.split("\r\n").enumerate() {
        if line.is_empty() {
            continue;
        }
        if i > 0 && line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(&buf[head_end..]);
    let mut up = TcpStream::connect(upstream)?;
    up.write_all(&out)?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp)?;
    let flip = (path.contains("/blobs/sha256:") && f.flip_blobs.load(Ordering::SeqCst))
        || (path.contains("/manifests/") && f.flip_manifests.load(Ordering::SeqCst));
    if method == "GET" && flip {
        if let Some(i) = find(&resp, b"\r\n\r\n") {
            if resp.len() > i + 10 && resp.starts_with(b"HTTP/1.1 200") {
                let at = i + 4 + (resp.len() - i - 4) / 2;
                resp[at] ^= 0x01;
            }
        }
    }
    if method == "GET"
        && path.contains("/blobs/sha256:")
        && resp.len() > 2000
        && f.cut_next_blob.swap(false, Ordering::SeqCst)
    {
        client.write_all(&resp[..resp.len() / 2])?;
        return Ok(());
    }
    client.write_all(&resp)?;
    Ok(())
}
