//! Helpers shared by the integration tests: the fixture database's
//! location, a loopback HTTP server, and a small zip writer.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The committed Go vulnerability database the tests read:
/// `tests/fixtures/govulndb` at the workspace root, part of the records of
/// a pinned `golang.org/x/vulndb` module (its NOTICE says which and how to
/// rebuild it with `scripts/vulndb`).
pub fn fixture() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/govulndb");
    assert!(
        path.join("index/modules.json").is_file(),
        "the Go vulnerability database fixture is missing: expected {} \
         (with index/db.json, index/modules.json, ID/*.json); see its NOTICE, \
         or rebuild it with scripts/vulndb",
        path.display()
    );
    path
}

/// `index/db.json`'s `modified` in the fixture: the pinned module's commit
/// time (its records carry zero times).
pub const FIXTURE_MODIFIED: &str = "2026-11-05T23:49:57Z";

/// The modules the fixture holds, as `scripts/vulndb --modules` chose them.
pub const FIXTURE_MODULES: &[&str] = &[
    "github.com/submariner-io/submariner-operator",
    "go.etcd.io/bbolt",
    "go.mongodb.org/mongo-driver",
    "golang.org/x/text",
    "stdlib",
];

/// The fixture's `index/modules.json` as written: module path to the IDs
/// listed for it, in order, repeats included (one per `affected` block).
pub fn fixture_index() -> BTreeMap<String, Vec<String>> {
    let all: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture().join("index/modules.json")).unwrap())
            .unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let ids = m["vulns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["id"].as_str().unwrap().to_string())
                .collect();
            (m["path"].as_str().unwrap().to_string(), ids)
        })
        .collect()
}

/// A record of the fixture, parsed.
pub fn fixture_record(id: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(fixture().join(format!("ID/{id}.json"))).unwrap())
        .unwrap()
}

/// A copy of the fixture's index in a temp dir, with `db.json` saying
/// `modified`; records stay in the fixture.
pub fn index_copy(modified: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("index")).unwrap();
    std::fs::copy(
        fixture().join("index/modules.json"),
        dir.path().join("index/modules.json"),
    )
    .unwrap();
    set_modified(dir.path(), modified);
    dir
}

pub fn set_modified(index_root: &Path, modified: &str) {
    std::fs::write(
        index_root.join("index/db.json"),
        format!("{{\"modified\": \"{modified}\"}}"),
    )
    .unwrap();
}

/// A database in a temp dir from an index and records given here.
pub fn small_db(modules_json: &str, records: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("index")).unwrap();
    std::fs::create_dir_all(dir.path().join("ID")).unwrap();
    set_modified(dir.path(), "2024-01-01T00:00:00Z");
    std::fs::write(dir.path().join("index/modules.json"), modules_json).unwrap();
    for (id, body) in records {
        std::fs::write(dir.path().join(format!("ID/{id}.json")), body).unwrap();
    }
    dir
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Behavior {
    Serve,
    Status(u16),
    /// Close the connection without answering.
    Close,
    /// Wait this long, then serve.
    Delay(Duration),
}

struct State {
    /// Where `/index/...` comes from.
    index_root: PathBuf,
    /// Where everything else (`/ID/...`) comes from.
    records_root: PathBuf,
    default: Behavior,
    by_path: HashMap<String, Behavior>,
    counts: HashMap<String, usize>,
    gzip: bool,
}

/// A tiny HTTP/1.1 server on 127.0.0.1 serving files, one thread per
/// connection, `Connection: close`.
pub struct Server {
    pub url: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl Server {
    pub fn start(index_root: &Path, records_root: &Path) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            index_root: index_root.to_path_buf(),
            records_root: records_root.to_path_buf(),
            default: Behavior::Serve,
            by_path: HashMap::new(),
            counts: HashMap::new(),
            gzip: false,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (Arc::clone(&state), Arc::clone(&stop));
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = Arc::clone(&st);
                std::thread::spawn(move || handle(conn, &st));
            }
        });
        Server {
            url: format!("http://{addr}"),
            state,
            stop,
            addr,
        }
    }

    /// Serves the fixture as it is.
    pub fn fixture() -> Server {
        let f = fixture();
        Server::start(&f, &f)
    }

    pub fn set_default(&self, b: Behavior) {
        self.state.lock().unwrap().default = b;
    }

    pub fn set_path(&self, path: &str, b: Behavior) {
        self.state
            .lock()
            .unwrap()
            .by_path
            .insert(path.to_string(), b);
    }

    pub fn set_index_root(&self, root: &Path) {
        self.state.lock().unwrap().index_root = root.to_path_buf();
    }

    pub fn set_gzip(&self, on: bool) {
        self.state.lock().unwrap().gzip = on;
    }

    pub fn count(&self, path: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .counts
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn total(&self) -> usize {
        self.state.lock().unwrap().counts.values().sum()
    }

    /// Requests for records (`/ID/...`).
    pub fn record_requests(&self) -> usize {
        self.state
            .lock()
            .unwrap()
            .counts
            .iter()
            .filter(|(p, _)| p.starts_with("/ID/"))
            .map(|(_, n)| n)
            .sum()
    }

    pub fn reset_counts(&self) {
        self.state.lock().unwrap().counts.clear();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

fn handle(conn: TcpStream, state: &Mutex<State>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(&conn);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut accepts_gzip = false;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {
                let lower = line.to_ascii_lowercase();
                if lower.starts_with("accept-encoding:") && lower.contains("gzip") {
                    accepts_gzip = true;
                }
            }
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .split('?')
        .next()
        .unwrap_or("/")
        .to_string();
    let (behavior, file, gzip) = {
        let mut st = state.lock().unwrap();
        *st.counts.entry(path.clone()).or_default() += 1;
        let behavior = st
            .by_path
            .get(&path)
            .cloned()
            .unwrap_or_else(|| st.default.clone());
        let root = if path.starts_with("/index/") {
            &st.index_root
        } else {
            &st.records_root
        };
        let file = if path.contains("..") {
            None
        } else {
            Some(root.join(path.trim_start_matches('/')))
        };
        (behavior, file, st.gzip && accepts_gzip)
    };
    let mut conn = &conn;
    match behavior {
        Behavior::Close => return,
        Behavior::Status(code) => {
            let _ = write!(
                conn,
                "HTTP/1.1 {code} Oops\r\nContent-Length: 5\r\nConnection: close\r\n\r\noops!"
            );
            return;
        }
        Behavior::Delay(d) => std::thread::sleep(d),
        Behavior::Serve => {}
    }
    match file.and_then(|f| std::fs::read(f).ok()) {
        Some(body) => {
            let (body, enc) = if gzip {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                enc.write_all(&body).unwrap();
                (enc.finish().unwrap(), "Content-Encoding: gzip\r\n")
            } else {
                (body, "")
            };
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{enc}Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(&body);
        }
        None => {
            let _ = write!(
                conn,
                "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found"
            );
        }
    }
    let _ = conn.flush();
}

/// Builds a zip archive: each entry stored (`false`) or deflated (`true`).
pub fn write_zip(entries: &[(String, Vec<u8>, bool)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, deflate) in entries {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let (method, body): (u16, Vec<u8>) = if *deflate {
            let mut enc =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(data).unwrap();
            (8, enc.finish().unwrap())
        } else {
            (0, data.clone())
        };
        let offset = out.len() as u32;
        let fixed = |buf: &mut Vec<u8>| {
            buf.extend_from_slice(&20u16.to_le_bytes()); // version needed
            buf.extend_from_slice(&0u16.to_le_bytes()); // flags
            buf.extend_from_slice(&method.to_le_bytes());
            buf.extend_from_slice(&0u16.to_le_bytes()); // time
            buf.extend_from_slice(&0x21u16.to_le_bytes()); // date
            buf.extend_from_slice(&crc.sum().to_le_bytes());
            buf.extend_from_slice(&(body.len() as u32).to_le_bytes());
            buf.extend_from_slice(&(data.len() as u32).to_le_bytes());
            buf.extend_from_slice(&(name.len() as u16).to_le_bytes());
            buf.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        fixed(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&body);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        fixed(&mut central);
        central.extend_from_slice(&0u16.to_le_bytes()); // comment
        central.extend_from_slice(&0u16.to_le_bytes()); // disk
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attrs
        central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// The fixture's entries for some modules, as zip entries (under
/// `prefix`): db.json, a modules.json cut down to those modules, and
/// their records. Records alternate between stored and deflated.
pub fn subset_entries(modules: &[&str], prefix: &str) -> Vec<(String, Vec<u8>, bool)> {
    let root = fixture();
    let all: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("index/modules.json")).unwrap()).unwrap();
    let kept: Vec<serde_json::Value> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| modules.contains(&m["path"].as_str().unwrap()))
        .cloned()
        .collect();
    let mut entries = vec![
        (
            format!("{prefix}index/db.json"),
            std::fs::read(root.join("index/db.json")).unwrap(),
            false,
        ),
        (
            format!("{prefix}index/modules.json"),
            serde_json::to_vec(&kept).unwrap(),
            true,
        ),
    ];
    let mut n = 0;
    for m in &kept {
        for v in m["vulns"].as_array().unwrap() {
            let id = v["id"].as_str().unwrap();
            let name = format!("{prefix}ID/{id}.json");
            if entries.iter().any(|(e, _, _)| *e == name) {
                continue;
            }
            n += 1;
            let data = std::fs::read(root.join(format!("ID/{id}.json"))).unwrap();
            entries.push((name, data, n % 2 == 0));
        }
    }
    entries
}
