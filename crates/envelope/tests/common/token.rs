//! A token server for the registry's Bearer flow, written for the tests:
//! checks Basic credentials (GET) or an identity token (POST,
//! grant_type=refresh_token), grants what the scope asks, and signs an RS256
//! JWT with a key made by openssl, whose certificate the registry trusts.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

pub struct TokenServer {
    pub realm: String,
    pub cert: PathBuf,
    pub issued: Arc<AtomicU32>,
    _dir: tempfile::TempDir,
}

pub const SERVICE: &str = "envelope-test-registry";
pub const ISSUER: &str = "envelope-test-token-server";

fn b64url(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=c.len() {
            out.push(char::from(A[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    out
}

fn b64(data: &[u8]) -> String {
    let s = b64url(data).replace('-', "+").replace('_', "/");
    let pad = (4 - s.len() % 4) % 4;
    format!("{s}{}", "=".repeat(pad))
}

fn sign(key: &Path, input: &str) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("openssl dgst");
    assert!(out.status.success());
    out.stdout
}

fn unescape(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads one request: the head, then as much body as Content-Length says.
fn read_request(conn: &mut std::net::TcpStream) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        let n = conn.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data);
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if data.len() >= end + 4 + len {
                break;
            }
        }
        if data.len() > 1 << 20 {
            break;
        }
    }
    String::from_utf8_lossy(&data).into_owned()
}

impl TokenServer {
    /// The identity (refresh) token this server accepts for `password`.
    pub fn identity_token(password: &str) -> String {
        format!("refresh-{password}")
    }

    /// Grants tokens to `user`:`password`, or to the identity token for it.
    pub fn start(user: &str, password: &str) -> TokenServer {
        let refresh = Self::identity_token(password);
        super::require("openssl");
        let dir = super::tempdir();
        let (key, cert) = (dir.path().join("token.key"), dir.path().join("token.crt"));
        super::ok(
            Command::new("openssl")
                .args([
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=envelope test token issuer",
                ])
                .arg("-keyout")
                .arg(&key)
                .arg("-out")
                .arg(&cert),
        );
        let der = super::ok_bytes(
            Command::new("openssl")
                .args(["x509", "-outform", "DER", "-in"])
                .arg(&cert),
        );
        let x5c = b64(&der);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let realm = format!("http://{}/token", listener.local_addr().expect("addr"));
        let expected = format!("Basic {}", b64(format!("{user}:{password}").as_bytes()));
        let issued = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&issued);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { break };
                let req = read_request(&mut conn);
                let (head, body) = req.split_once("\r\n\r\n").unwrap_or((&req, ""));
                let basic_ok = head.lines().any(|l| {
                    l.split_once(':').is_some_and(|(k, v)| {
                        k.eq_ignore_ascii_case("authorization") && v.trim() == expected
                    })
                });
                let post = head.starts_with("POST ");
                let form: Vec<(String, String)> = body
                    .split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_string(), unescape(v)))
                    .collect();
                let field = |name: &str| {
                    form.iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.as_str())
                };
                let refresh_ok = post
                    && field("grant_type") == Some("refresh_token")
                    && field("refresh_token") == Some(refresh.as_str());
                let authorized = basic_ok || refresh_ok;
                let path = head.split(' ').nth(1).unwrap_or_default().to_string();
                let query = if post {
                    body.to_string()
                } else {
                    path.split_once('?')
                        .map(|(_, q)| q.to_string())
                        .unwrap_or_default()
                };
                let mut access = Vec::new();
                for (k, v) in query.split('&').filter_map(|kv| kv.split_once('=')) {
                    if k != "scope" {
                        continue;
                    }
                    let scope = unescape(v);
                    let parts: Vec<&str> = scope.splitn(3, ':').collect();
                    if let [kind, name, actions] = parts.as_slice() {
                        let actions: Vec<&str> = actions.split(',').collect();
                        access.push(format!(
                            r#"{{"type":"{kind}","name":"{name}","actions":{}}}"#,
                            serde_json::to_string(&actions).unwrap_or_default()
                        ));
                    }
                }
                let response = if authorized {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or(0);
                    let header = format!(r#"{{"typ":"JWT","alg":"RS256","x5c":["{x5c}"]}}"#);
                    let claims = format!(
                        r#"{{"iss":"{ISSUER}","sub":"alice","aud":"{SERVICE}","exp":{},"nbf":{},"iat":{now},"jti":"{now}-{}","access":[{}]}}"#,
                        now + 300,
                        now - 10,
                        counter.load(Ordering::SeqCst),
                        access.join(",")
                    );
                    let input = format!(
                        "{}.{}",
                        b64url(header.as_bytes()),
                        b64url(claims.as_bytes())
                    );
                    let jwt = format!("{input}.{}", b64url(&sign(&key, &input)));
                    let body = format!(r#"{{"access_token":"{jwt}","expires_in":300}}"#);
                    format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
                } else {
                    "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_string()
                };
                let _ = conn.write_all(response.as_bytes());
            }
        });
        TokenServer {
            realm,
            cert,
            issued,
            _dir: dir,
        }
    }

    /// The registry configuration that trusts this server.
    pub fn registry_config(&self) -> String {
        format!(
            "auth:\n  token:\n    realm: {}\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
            self.realm,
            self.cert.display()
        )
    }
}
