//! A static file server on 127.0.0.1 for the tests: GET PATH answers the
//! file under its root (404 when missing), one request per connection. It
//! counts requests per path, and can be told to fail every request.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub struct FilesHttp {
    pub url: String,
    pub root: Arc<Mutex<PathBuf>>,
    pub hits: Arc<Mutex<BTreeMap<String, usize>>>,
    pub fail: Arc<AtomicBool>,
}

impl FilesHttp {
    pub fn start(root: PathBuf) -> FilesHttp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let root = Arc::new(Mutex::new(root));
        let hits: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
        let fail = Arc::new(AtomicBool::new(false));
        let (r, h, f) = (root.clone(), hits.clone(), fail.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut line = String::new();
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                // Skip the headers.
                loop {
                    let mut header = String::new();
                    match reader.read_line(&mut header) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if header == "\r\n" || header == "\n" => break,
                        Ok(_) => {}
                    }
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                *h.lock().expect("hits").entry(path.clone()).or_default() += 1;
                let (status, body) = if f.load(Ordering::SeqCst) {
                    ("500 Internal Server Error", b"broken".to_vec())
                } else {
                    let file = r.lock().expect("root").join(path.trim_start_matches('/'));
                    match std::fs::read(&file) {
                        Ok(b) if !path.contains("..") => ("200 OK", b),
                        _ => ("404 Not Found", b"not found".to_vec()),
                    }
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        FilesHttp {
            url,
            root,
            hits,
            fail,
        }
    }

    /// Requests for `path` so far.
    pub fn hits(&self, path: &str) -> usize {
        self.hits
            .lock()
            .expect("hits")
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Every request so far.
    pub fn total(&self) -> usize {
        self.hits.lock().expect("hits").values().sum()
    }
}
