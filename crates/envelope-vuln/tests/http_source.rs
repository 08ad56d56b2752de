//! The fixture database served over loopback HTTP, with and without a cache.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Behavior, Server, FIXTURE_MODIFIED};
use envelope_http::Timeouts;
use envelope_vuln::{Database, Error, OpenOptions, RefreshPolicy, Source};

/// A module of the fixture whose one record matches every version below
/// 0.16.4 (and from 0.17.0 on).
const SUBMARINER: &str = "github.com/submariner-io/submariner-operator";

fn opts(cache: &Path) -> OpenOptions {
    OpenOptions {
        cache_dir: Some(cache.to_path_buf()),
        retries: 0,
        timeouts: Timeouts::scaled(Duration::from_secs(10)),
        ..OpenOptions::default()
    }
}

fn open(server: &Server, o: &OpenOptions) -> Result<Database, Error> {
    Database::open(Source::parse(&server.url), o)
}

/// The cache's own folder (`<cache>/vulndb/<hash>`).
fn cache_folder(cache: &Path) -> PathBuf {
    let mut dirs: Vec<_> = std::fs::read_dir(cache.join("vulndb"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.pop().unwrap()
}

/// Every file under the cache with its contents, for before/after checks.
fn cache_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn x_text_hit(db: &Database) {
    let m = db.matches("golang.org/x/text", "v0.3.7").unwrap();
    let hit = m
        .iter()
        .find(|m| m.id() == "GO-2022-1059")
        .expect("GO-2022-1059");
    assert_eq!(hit.fixed.as_deref(), Some("v0.3.8"));
}

#[test]
fn first_open_downloads_then_cache_is_used() {
    let server = Server::fixture();
    let cache = tempfile::tempdir().unwrap();
    let o = opts(cache.path());

    let db = open(&server, &o).unwrap();
    assert_eq!(server.count("/index/db.json"), 1);
    assert_eq!(server.count("/index/modules.json"), 1);
    assert_eq!(server.total(), 2, "nothing else on open");
    assert!(!db.info().from_cache);
    assert_eq!(db.modified(), FIXTURE_MODIFIED);
    assert!(db.info().fetched_at.is_some());
    assert_eq!(
        db.info().cache_dir.as_deref(),
        Some(cache_folder(cache.path()).as_path())
    );
    x_text_hit(&db);
    let x_text_records = db.index().get("golang.org/x/text").len();
    assert_eq!(
        server.record_requests(),
        x_text_records,
        "only x/text's records"
    );
    assert_eq!(db.requests(), 2 + x_text_records as u64);
    let first_fetch = db.info().fetched_at;
    drop(db);

    server.reset_counts();
    let db = open(&server, &o).unwrap();
    assert_eq!(server.count("/index/db.json"), 1);
    assert_eq!(server.total(), 1, "only db.json when unchanged");
    assert!(db.info().from_cache);
    assert_eq!(
        db.info().fetched_at,
        first_fetch,
        "the index is the one fetched before"
    );
    assert!(db.info().checked_at >= first_fetch);
    x_text_hit(&db);
    assert_eq!(server.total(), 1, "records come from the cache");
    // A module not seen before is fetched, and only it.
    assert!(!db.matches(SUBMARINER, "v0.0.1").unwrap().is_empty());
    assert_eq!(server.record_requests(), db.index().get(SUBMARINER).len());
}

#[test]
fn changed_database_is_refreshed() {
    let index = common::index_copy(FIXTURE_MODIFIED);
    let server = Server::start(index.path(), &common::fixture());
    let cache = tempfile::tempdir().unwrap();
    let o = opts(cache.path());
    open(&server, &o).unwrap();
    let folder = cache_folder(cache.path());

    common::set_modified(index.path(), "2026-12-01T00:00:00Z");
    server.reset_counts();
    let db = open(&server, &o).unwrap();
    assert_eq!(server.count("/index/db.json"), 1);
    assert_eq!(server.count("/index/modules.json"), 1);
    assert!(!db.info().from_cache);
    assert_eq!(db.modified(), "2026-12-01T00:00:00Z");
    x_text_hit(&db);
    // One index file in the cache: the old one was removed.
    let indexes: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("modules-"))
        .collect();
    assert_eq!(indexes.len(), 1);

    // Records whose index entry kept its `modified` are still good.
    server.reset_counts();
    let db = open(&server, &o).unwrap();
    assert!(db.info().from_cache);
    x_text_hit(&db);
    assert_eq!(server.total(), 1);
}

#[test]
fn force_refresh_downloads_everything_again() {
    let server = Server::fixture();
    let cache = tempfile::tempdir().unwrap();
    let db = open(&server, &opts(cache.path())).unwrap();
    x_text_hit(&db);
    drop(db);
    server.reset_counts();
    let forced = OpenOptions {
        refresh: RefreshPolicy::Force,
        ..opts(cache.path())
    };
    let db = open(&server, &forced).unwrap();
    assert_eq!(server.count("/index/modules.json"), 1);
    assert!(!db.info().from_cache);
    x_text_hit(&db);
    assert!(
        server.record_requests() > 0,
        "records dropped and fetched again"
    );
}

#[test]
fn database_going_backwards_is_an_error_and_keeps_the_cache() {
    let index = common::index_copy(FIXTURE_MODIFIED);
    let server = Server::start(index.path(), &common::fixture());
    let cache = tempfile::tempdir().unwrap();
    let o = opts(cache.path());
    let db = open(&server, &o).unwrap();
    x_text_hit(&db);
    drop(db);
    let before = cache_files(cache.path());

    // Same instant, other time zone: not a change.
    common::set_modified(index.path(), "2026-11-05T15:49:57-08:00");
    assert!(open(&server, &o).unwrap().info().from_cache);

    common::set_modified(index.path(), "2026-11-04T00:00:00Z");
    let err = open(&server, &o).unwrap_err();
    assert!(matches!(err, Error::WentBackwards { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("2026-11-04T00:00:00Z") && msg.contains(FIXTURE_MODIFIED),
        "{msg}"
    );
    assert!(
        msg.contains(&cache_folder(cache.path()).display().to_string()),
        "{msg}"
    );
    // Even a forced refresh does not accept it.
    let forced = OpenOptions {
        refresh: RefreshPolicy::Force,
        ..opts(cache.path())
    };
    assert!(matches!(
        open(&server, &forced),
        Err(Error::WentBackwards { .. })
    ));

    let after = cache_files(cache.path());
    assert_eq!(before.len(), after.len());
    let content = |v: &[(PathBuf, Vec<u8>)]| -> Vec<Vec<u8>> {
        v.iter()
            .filter(|(p, _)| !p.ends_with("state.json"))
            .map(|(_, b)| b.clone())
            .collect()
    };
    assert_eq!(content(&before), content(&after), "cache untouched");
    // And offline still has the old database.
    let offline = OpenOptions {
        offline: true,
        ..opts(cache.path())
    };
    let db = open(&server, &offline).unwrap();
    assert_eq!(db.modified(), FIXTURE_MODIFIED);
}

#[test]
fn server_errors_are_clear() {
    let server = Server::fixture();
    let cache = tempfile::tempdir().unwrap();

    server.set_default(Behavior::Status(500));
    let err = open(&server, &opts(cache.path())).unwrap_err();
    assert!(matches!(err, Error::Http { status: 500, .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("{}/index/db.json", server.url)) && msg.contains("500"),
        "{msg}"
    );
    assert_eq!(server.total(), 1, "no retries with retries: 0");

    // Retries: 1 + 2 attempts.
    server.reset_counts();
    let retrying = OpenOptions {
        retries: 2,
        ..opts(cache.path())
    };
    assert!(open(&server, &retrying).is_err());
    assert_eq!(server.count("/index/db.json"), 3);

    server.set_default(Behavior::Status(403));
    let err = open(&server, &retrying).unwrap_err();
    assert!(matches!(err, Error::Http { status: 403, .. }), "{err}");

    server.set_default(Behavior::Close);
    let err = open(&server, &opts(cache.path())).unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(err.to_string().contains("/index/db.json"), "{err}");

    // A 404 for the index: not a database.
    server.set_default(Behavior::Serve);
    let err = Database::open(
        Source::parse(&format!("{}/nothing-here/", server.url)),
        &opts(cache.path()),
    )
    .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(
        err.to_string().contains("nothing-here/index/db.json"),
        "{err}"
    );

    // Nothing was cached by any of this.
    assert!(!cache.path().join("vulndb").exists() || cache_files(cache.path()).is_empty());
}

#[test]
fn timeouts() {
    let server = Server::fixture();
    let cache = tempfile::tempdir().unwrap();
    server.set_path(
        "/index/modules.json",
        Behavior::Delay(Duration::from_secs(5)),
    );
    let short = OpenOptions {
        timeouts: Timeouts::scaled(Duration::from_millis(300)),
        ..opts(cache.path())
    };
    let start = Instant::now();
    let err = open(&server, &short).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("/index/modules.json"), "{msg}");
    assert!(
        msg.to_lowercase().contains("timeout") || msg.to_lowercase().contains("timed out"),
        "{msg}"
    );

    // Nothing is reachable: connection refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let err = Database::open(Source::parse(&url), &short).unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
}

#[test]
fn offline_mode() {
    let server = Server::fixture();
    let cache = tempfile::tempdir().unwrap();
    let offline = OpenOptions {
        offline: true,
        ..opts(cache.path())
    };

    // No cache yet.
    let err = open(&server, &offline).unwrap_err();
    assert!(matches!(err, Error::NoCache { .. }), "{err}");
    assert!(err.to_string().contains(&server.url), "{err}");
    let no_dir = OpenOptions {
        cache_dir: None,
        ..offline.clone()
    };
    assert!(matches!(open(&server, &no_dir), Err(Error::NoCache { .. })));
    assert_eq!(server.total(), 0);

    let db = open(&server, &opts(cache.path())).unwrap();
    x_text_hit(&db);
    let fetched = db.info().fetched_at;
    drop(db);

    server.set_default(Behavior::Status(500));
    server.reset_counts();
    let db = open(&server, &offline).unwrap();
    assert_eq!(server.total(), 0, "offline makes no request");
    let info = db.info();
    assert!(info.offline && info.from_cache);
    assert_eq!(info.modified, FIXTURE_MODIFIED);
    assert_eq!(info.fetched_at, fetched);
    assert!(info.checked_at.is_some());
    assert!(
        info.warnings
            .iter()
            .any(|w| w.starts_with("offline:") && w.contains(FIXTURE_MODIFIED)),
        "{:?}",
        info.warnings
    );
    x_text_hit(&db);
    assert_eq!(db.requests(), 0);
    // A module whose records were never fetched.
    let err = db.matches(SUBMARINER, "v0.0.1").unwrap_err();
    assert!(matches!(err, Error::NotCached { .. }), "{err}");
    assert!(err.to_string().contains("offline"), "{err}");
}

#[test]
fn corrupt_index_leaves_the_cache_alone() {
    let index = common::index_copy(FIXTURE_MODIFIED);
    let server = Server::start(index.path(), &common::fixture());
    let cache = tempfile::tempdir().unwrap();
    let o = opts(cache.path());
    let db = open(&server, &o).unwrap();
    x_text_hit(&db);
    drop(db);
    let before = cache_files(cache.path());

    common::set_modified(index.path(), "2026-12-01T00:00:00Z");
    std::fs::write(
        index.path().join("index/modules.json"),
        b"[{\"path\": \"trunc",
    )
    .unwrap();
    let err = open(&server, &o).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("/index/modules.json"), "{err}");
    assert_eq!(cache_files(cache.path()), before, "cache unchanged");

    // A corrupt db.json too.
    std::fs::write(
        index.path().join("index/db.json"),
        b"{\"modified\": \"soon\"}",
    )
    .unwrap();
    let err = open(&server, &o).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert_eq!(cache_files(cache.path()), before, "cache unchanged");

    let offline = OpenOptions {
        offline: true,
        ..o.clone()
    };
    let db = open(&server, &offline).unwrap();
    assert_eq!(db.modified(), FIXTURE_MODIFIED);
    x_text_hit(&db);
}

#[test]
fn damaged_cache_is_refetched() {
    let server = Server::fixture();
    let cache = tempfile::tempdir().unwrap();
    let o = opts(cache.path());
    x_text_hit(&open(&server, &o).unwrap());
    let folder = cache_folder(cache.path());

    // A cached record cut short is fetched again.
    std::fs::write(folder.join("ID/GO-2022-1059.json"), b"{\"id\": \"GO-20").unwrap();
    server.reset_counts();
    x_text_hit(&open(&server, &o).unwrap());
    assert_eq!(server.count("/ID/GO-2022-1059.json"), 1);
    assert_eq!(server.record_requests(), 1);

    // An unreadable state file: the cache is ignored (with a warning) and
    // rebuilt.
    std::fs::write(folder.join("state.json"), b"garbage").unwrap();
    server.reset_counts();
    let db = open(&server, &o).unwrap();
    assert!(!db.info().from_cache);
    assert!(db
        .info()
        .warnings
        .iter()
        .any(|w| w.contains("ignoring the cached database")));
    assert_eq!(server.count("/index/modules.json"), 1);
    drop(db);
    assert!(open(&server, &o).unwrap().info().from_cache);

    // Offline with an unreadable state file is an error, not a panic.
    std::fs::write(folder.join("state.json"), b"{}").unwrap();
    let offline = OpenOptions { offline: true, ..o };
    let err = open(&server, &offline).unwrap_err();
    assert!(err.to_string().contains("state.json"), "{err}");
}

#[test]
fn listed_record_missing_on_the_server() {
    let index = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(index.path().join("index")).unwrap();
    common::set_modified(index.path(), FIXTURE_MODIFIED);
    std::fs::write(
        index.path().join("index/modules.json"),
        r#"[{"path":"example.com/m","vulns":[{"id":"GO-2099-0001"}]}]"#,
    )
    .unwrap();
    let server = Server::start(index.path(), &common::fixture());
    let db = open(
        &server,
        &OpenOptions {
            cache_dir: None,
            retries: 0,
            ..Default::default()
        },
    )
    .unwrap();
    let err = db.vulns_for("example.com/m").unwrap_err();
    assert!(matches!(err, Error::MissingRecord { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("{}/ID/GO-2099-0001.json", server.url)),
        "{err}"
    );
}

#[test]
fn limits_and_gzip() {
    let index = common::index_copy(FIXTURE_MODIFIED);
    let server = Server::start(index.path(), &common::fixture());
    server.set_gzip(true);
    let no_cache = OpenOptions {
        cache_dir: None,
        retries: 0,
        ..OpenOptions::default()
    };
    let db = open(&server, &no_cache).unwrap();
    assert_eq!(db.info().modules, common::FIXTURE_MODULES.len());
    x_text_hit(&db);
    assert_eq!(db.info().cache_dir, None);

    // A db.json over its 64 KiB limit.
    let huge = format!(
        "{{\"modified\": \"{FIXTURE_MODIFIED}\", \"pad\": \"{}\"}}",
        "x".repeat(100_000)
    );
    std::fs::write(index.path().join("index/db.json"), huge).unwrap();
    server.set_gzip(false);
    let err = open(&server, &no_cache).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    server.set_gzip(true);
    let err = open(&server, &no_cache).unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { .. }),
        "gzip bomb guarded too: {err}"
    );
}

#[test]
fn prefetch_fetches_in_parallel_once() {
    let server = Server::fixture();
    let cache = tempfile::tempdir().unwrap();
    let db = open(&server, &opts(cache.path())).unwrap();
    let modules = [
        "stdlib",
        SUBMARINER,
        "golang.org/x/text",
        "go.etcd.io/bbolt",
        "example.com/none",
    ];
    db.prefetch(modules).unwrap();
    let mut ids: Vec<&str> = modules
        .iter()
        .flat_map(|m| db.index().get(m).iter().map(|v| v.id.as_str()))
        .collect();
    // stdlib lists some records twice (once per `affected` block): each
    // is fetched once.
    let listed = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert!(listed > ids.len());
    assert_eq!(server.record_requests(), ids.len());
    for id in &ids {
        assert_eq!(server.count(&format!("/ID/{id}.json")), 1, "{id}");
    }
    let before = server.total();
    for m in modules {
        db.matches(m, "v0.0.1").unwrap();
    }
    assert_eq!(server.total(), before, "everything was loaded");

    // A failure in one download is reported.
    let server = Server::fixture();
    server.set_path("/ID/GO-2022-1059.json", Behavior::Status(502));
    let db = open(
        &server,
        &OpenOptions {
            cache_dir: None,
            retries: 0,
            ..Default::default()
        },
    )
    .unwrap();
    let err = db.prefetch(["golang.org/x/text", "stdlib"]).unwrap_err();
    assert!(err.to_string().contains("GO-2022-1059"), "{err}");
}

#[test]
fn unwritable_cache_is_a_warning() {
    let server = Server::fixture();
    let cache = tempfile::tempdir().unwrap();
    // "vulndb" is a file, so nothing can be created under it.
    std::fs::write(cache.path().join("vulndb"), b"in the way").unwrap();
    let db = open(&server, &opts(cache.path())).unwrap();
    assert!(!db.info().from_cache);
    assert!(
        db.info()
            .warnings
            .iter()
            .any(|w| w.contains("writing the vulnerability database cache")),
        "{:?}",
        db.info().warnings
    );
    x_text_hit(&db);
    let late = db.warnings();
    assert!(late.len() >= db.info().warnings.len());
    // Offline there is no cache to use.
    let offline = OpenOptions {
        offline: true,
        ..opts(cache.path())
    };
    assert!(open(&server, &offline).is_err());
}
