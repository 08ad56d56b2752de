//! The database client: a directory, a `vulndb.zip`, or an HTTP(S) server
//! in the Go vulnerability database's v1 layout
//! (`index/db.json`, `index/modules.json`, `ID/<id>.json`).
//!
//! Opening reads the two index files; records are read only when asked
//! for, by module, and kept parsed. HTTP sources can keep an on-disk cache
//! (see [`OpenOptions::cache_dir`]): the index is downloaded again only
//! when `db.json` says the database changed, records are downloaded once
//! and re-used while the index lists the same `modified` time for them,
//! and every write goes to a temporary file renamed into place, so an
//! interrupted refresh leaves the previous cache whole.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::http::Http;
use crate::index::{parse_db_json, parse_modules_json, DbMeta, IndexVuln, ModulesIndex};
use crate::osv::{Affected, Entry, Import, STDLIB, TOOLCHAIN};
use crate::semver;
use crate::time::{format_unix, human_duration, parse_rfc3339};
use crate::zip::{ZipArchive, ZipError};

/// The public Go vulnerability database.
pub const DEFAULT_URL: &str = "https://vuln.go.dev";
/// Size limit of `index/db.json`.
pub const DB_JSON_LIMIT: u64 = 64 << 10;
/// Size limit of `index/modules.json`.
pub const MODULES_JSON_LIMIT: u64 = 64 << 20;
/// Size limit of one `ID/<id>.json` record.
pub const RECORD_LIMIT: u64 = 4 << 20;
/// At most this many downloads at once in [`Database::prefetch`].
const FETCH_WORKERS: usize = 8;

/// Where the database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A folder in the v1 layout.
    Dir(PathBuf),
    /// A `vulndb.zip` holding the v1 layout (at its root or under one folder).
    Zip(PathBuf),
    /// An `http://` or `https://` base URL, without the trailing `/`.
    Url(String),
}

impl Source {
    /// `http://…` and `https://…` are URLs; anything else is a path
    /// (`file://` dropped), a zip file if it ends in `.zip`, otherwise a
    /// directory.
    pub fn parse(s: &str) -> Source {
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Source::Url(s.trim_end_matches('/').to_string());
        }
        let path = s.strip_prefix("file://").unwrap_or(s);
        if path.to_ascii_lowercase().ends_with(".zip") {
            Source::Zip(PathBuf::from(path))
        } else {
            Source::Dir(PathBuf::from(path))
        }
    }
}

impl Default for Source {
    fn default() -> Self {
        Source::Url(DEFAULT_URL.to_string())
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Dir(p) | Source::Zip(p) => write!(f, "{}", p.display()),
            Source::Url(u) => f.write_str(u),
        }
    }
}

/// When an HTTP source's cached index is downloaded again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RefreshPolicy {
    /// When the server's `index/db.json` has a newer `modified` time.
    #[default]
    IfChanged,
    /// Always; cached records are dropped too.
    Force,
}

/// How to open a database. `OpenOptions::default()` suits most callers.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Cache for HTTP sources; the database of URL `u` is kept in
    /// `<cache_dir>/vulndb/<hash of u>/`. Without one nothing is kept.
    pub cache_dir: Option<PathBuf>,
    /// HTTP sources: use the cache only, never the network.
    pub offline: bool,
    pub refresh: RefreshPolicy,
    /// Connect, first-byte, idle and rate timeouts, the total of one
    /// request (each file here is a small response) and the deadline of a
    /// request with its retries (`Timeouts::default()`, documented there).
    pub timeouts: envelope_http::Timeouts,
    /// Retries of a request that failed with a busy status (408, 429,
    /// 500, 502, 503, 504) or a broken connection (default 2).
    pub retries: u32,
    /// PEM roots to trust instead of the bundled ones; `SSL_CERT_FILE` is
    /// used when this is unset.
    pub ca_file: Option<PathBuf>,
    /// Warn when the database was last modified longer ago than this
    /// (default 14 days); `None` never warns.
    pub stale_after: Option<Duration>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            cache_dir: None,
            offline: false,
            refresh: RefreshPolicy::IfChanged,
            timeouts: envelope_http::Timeouts::default(),
            retries: 2,
            ca_file: None,
            stale_after: Some(Duration::from_secs(14 * 86_400)),
        }
    }
}

/// What was opened, for reports.
#[derive(Debug, Clone)]
pub struct DbInfo {
    pub source: Source,
    /// `index/db.json`'s `modified`, as written (RFC 3339).
    pub modified: String,
    /// The same, in seconds since the Unix epoch.
    pub modified_unix: i64,
    /// HTTP sources: when the cached index was downloaded.
    pub fetched_at: Option<SystemTime>,
    /// HTTP sources: when the server last confirmed the index current
    /// (the download itself, or a later unchanged `db.json`).
    pub checked_at: Option<SystemTime>,
    /// The index came from the on-disk cache rather than the network.
    pub from_cache: bool,
    pub offline: bool,
    /// HTTP sources with a cache: its folder.
    pub cache_dir: Option<PathBuf>,
    /// Modules in the index, and (module, vulnerability) pairs.
    pub modules: usize,
    pub entries: usize,
    /// Things to tell the user: staleness, offline age, cache trouble.
    pub warnings: Vec<String>,
}

impl DbInfo {
    /// How long ago the database was modified (zero if in the future).
    pub fn age(&self) -> Duration {
        let now = unix_now();
        Duration::from_secs(u64::try_from(now - self.modified_unix).unwrap_or(0))
    }
}

/// A vulnerability that affects a module version.
#[derive(Debug, Clone)]
pub struct Match {
    pub entry: Arc<Entry>,
    pub module: String,
    /// The version that was matched, as semver with the `v` (a Go
    /// toolchain version given for `stdlib` is converted).
    pub version: String,
    /// The record's affected blocks for the module that include `version`
    /// (a record can list a module in several blocks; it is still one
    /// match).
    pub affected: Vec<Affected>,
    /// The lowest version (with the `v`) above `version` that fixes it:
    /// one that no block of the record for the module calls vulnerable
    /// (see [`Entry::fixed_after`]); `None` when no fix is known.
    pub fixed: Option<String>,
    /// The vulnerable packages and symbols of those blocks, merged: one
    /// item per package and platform limits, with the symbols of every
    /// block (none, the whole package, if a block lists none). Empty means
    /// the whole module.
    pub imports: Vec<Import>,
}

impl Match {
    pub fn id(&self) -> &str {
        &self.entry.id
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheState {
    url: String,
    modified: String,
    modules_file: String,
    fetched_at: i64,
    checked_at: i64,
}

enum Store {
    Dir(PathBuf),
    Zip {
        path: PathBuf,
        prefix: String,
        archive: Mutex<ZipArchive<BufReader<File>>>,
    },
    Http {
        base: String,
        /// `None` offline.
        http: Option<Http>,
        /// The cache's folder, when there is one.
        cache: Option<PathBuf>,
    },
}

/// An open database. It is `Send + Sync`; records load once and are
/// shared.
pub struct Database {
    info: DbInfo,
    index: ModulesIndex,
    store: Store,
    loaded: Mutex<HashMap<String, Arc<Entry>>>,
    /// Warnings raised after opening (cache writes that failed).
    late_warnings: Mutex<Vec<String>>,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn system_time(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

/// The file, at most `limit` bytes; `Ok(None)` when it does not exist.
fn read_limited(path: &Path, limit: u64) -> Result<Option<Vec<u8>>> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let hint = file.metadata().map(|m| m.len()).unwrap_or(0);
    if hint > limit {
        return Err(Error::TooLarge {
            location: path.display().to_string(),
            limit,
        });
    }
    let mut buf = Vec::with_capacity(usize::try_from(hint).unwrap_or(0) + 1);
    file.take(limit + 1).read_to_end(&mut buf).map_err(io)?;
    if buf.len() as u64 > limit {
        return Err(Error::TooLarge {
            location: path.display().to_string(),
            limit,
        });
    }
    Ok(Some(buf))
}

/// Writes `dir/name` atomically; `sync` makes it durable (the index and
/// state), records re-downloaded when damaged skip it.
fn write_atomic(dir: &Path, name: &str, bytes: &[u8], sync: bool) -> Result<()> {
    let path = dir.join(name);
    std::fs::create_dir_all(dir).map_err(|source| Error::CacheWrite {
        path: path.clone(),
        source,
    })?;
    let options = envelope_oci::atomic::Options::new().durable(sync);
    envelope_oci::write_atomic_with(&path, options, bytes).map_err(|e| Error::CacheWrite {
        path: path.clone(),
        source: match e {
            envelope_oci::Error::Io { source, .. } => source,
            other => std::io::Error::other(other),
        },
    })
}

fn corrupt(location: impl Into<String>, reason: impl fmt::Display) -> Error {
    Error::Corrupt {
        location: location.into(),
        reason: reason.to_string(),
    }
}

fn parse_record(bytes: &[u8], location: &str, want: &IndexVuln) -> Result<Entry> {
    let entry = Entry::from_json(bytes).map_err(|e| corrupt(location, e))?;
    if entry.id != want.id {
        return Err(corrupt(
            location,
            format!("holds {}, expected {}", entry.id, want.id),
        ));
    }
    Ok(entry)
}

fn zip_error(path: &Path, entry: &str, e: ZipError) -> Error {
    match e {
        ZipError::TooLarge { limit, .. } => Error::TooLarge {
            location: format!("{} (entry {entry})", path.display()),
            limit,
        },
        source => Error::Zip {
            path: path.to_path_buf(),
            source,
        },
    }
}

const LAYOUT_HINT: &str = "a Go vulnerability database in the v1 layout has index/db.json, \
                           index/modules.json and ID/<id>.json";

struct Opened {
    meta: DbMeta,
    index: ModulesIndex,
    store: Store,
    fetched_at: Option<i64>,
    checked_at: Option<i64>,
    from_cache: bool,
    cache_dir: Option<PathBuf>,
    warnings: Vec<String>,
}

impl Database {
    /// Opens a database: reads (or downloads, or takes from the cache) its
    /// index. Records are read later, per module.
    pub fn open(source: Source, opts: &OpenOptions) -> Result<Database> {
        let opened = match &source {
            Source::Dir(dir) => open_dir(dir)?,
            Source::Zip(path) => open_zip(path)?,
            Source::Url(url) => open_url(url.trim_end_matches('/'), opts)?,
        };
        let Opened {
            meta,
            index,
            store,
            fetched_at,
            checked_at,
            from_cache,
            cache_dir,
            mut warnings,
        } = opened;
        let now = unix_now();
        if opts.offline && matches!(source, Source::Url(_)) {
            let fetched = checked_at.unwrap_or(0);
            warnings.push(format!(
                "offline: using the copy of {source} cached {} ago ({}); the database was modified {}",
                human_duration(Duration::from_secs(
                    u64::try_from(now.saturating_sub(fetched)).unwrap_or(0),
                )),
                format_unix(fetched),
                meta.modified,
            ));
        }
        if let Some(limit) = opts.stale_after {
            let age = u64::try_from(now - meta.modified_unix()).unwrap_or(0);
            if age > limit.as_secs() {
                warnings.push(format!(
                    "the vulnerability database was last modified {} ({} ago); recent vulnerabilities may be missing",
                    meta.modified,
                    human_duration(Duration::from_secs(age)),
                ));
            }
        }
        let info = DbInfo {
            source,
            modified: meta.modified.clone(),
            modified_unix: meta.modified_unix(),
            fetched_at: fetched_at.map(system_time),
            checked_at: checked_at.map(system_time),
            from_cache,
            offline: opts.offline,
            cache_dir,
            modules: index.len(),
            entries: index.entry_count(),
            warnings,
        };
        Ok(Database {
            info,
            index,
            store,
            loaded: Mutex::new(HashMap::new()),
            late_warnings: Mutex::new(Vec::new()),
        })
    }

    /// `index/db.json`'s `modified` (RFC 3339).
    pub fn modified(&self) -> &str {
        &self.info.modified
    }

    pub fn info(&self) -> &DbInfo {
        &self.info
    }

    /// Everything to tell the user: [`DbInfo::warnings`] and any raised
    /// since (a record that could not be written to the cache).
    pub fn warnings(&self) -> Vec<String> {
        let mut all = self.info.warnings.clone();
        let late = lock(&self.late_warnings);
        for w in late.iter() {
            if !all.contains(w) {
                all.push(w.clone());
            }
        }
        all
    }

    /// The parsed `index/modules.json`.
    pub fn index(&self) -> &ModulesIndex {
        &self.index
    }

    /// The modules the index lists, in no set order.
    pub fn modules(&self) -> impl Iterator<Item = &str> {
        self.index.modules()
    }

    /// HTTP requests made so far (opening included).
    pub fn requests(&self) -> u64 {
        match &self.store {
            Store::Http { http: Some(h), .. } => h.requests.load(Ordering::Relaxed),
            _ => 0,
        }
    }

    /// The records the index lists for a module (none for a module it
    /// does not list), in index order, withdrawn ones included, each once
    /// (the index lists a record once per `affected` block for the
    /// module).
    pub fn vulns_for(&self, module_path: &str) -> Result<Vec<Arc<Entry>>> {
        let mut seen = HashSet::new();
        self.index
            .get(module_path)
            .iter()
            .filter(|iv| seen.insert(iv.id.as_str()))
            .map(|iv| self.load(module_path, iv))
            .collect()
    }

    /// Loads the records of several modules ahead of [`Self::vulns_for`]
    /// or [`Self::matches`]; from an HTTP source, several at once.
    pub fn prefetch<'a>(&self, modules: impl IntoIterator<Item = &'a str>) -> Result<()> {
        let mut seen = HashSet::new();
        let todo: Vec<(&str, &IndexVuln)> = {
            let loaded = lock(&self.loaded);
            modules
                .into_iter()
                .flat_map(|m| self.index.get(m).iter().map(move |iv| (m, iv)))
                .filter(|(_, iv)| !loaded.contains_key(&iv.id) && seen.insert(iv.id.as_str()))
                .collect()
        };
        let online = matches!(self.store, Store::Http { http: Some(_), .. });
        if !online || todo.len() < 2 {
            for (m, iv) in todo {
                self.load(m, iv)?;
            }
            return Ok(());
        }
        let next = AtomicUsize::new(0);
        let failed: Mutex<Option<Error>> = Mutex::new(None);
        std::thread::scope(|s| {
            for _ in 0..FETCH_WORKERS.min(todo.len()) {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((m, iv)) = todo.get(i) else { break };
                    if lock(&failed).is_some() {
                        break;
                    }
                    if let Err(e) = self.load(m, iv) {
                        lock(&failed).get_or_insert(e);
                        break;
                    }
                });
            }
        });
        match failed.into_inner().unwrap_or_else(PoisonError::into_inner) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The vulnerabilities that affect `version` of `module_path`, sorted
    /// by ID, one per record; withdrawn records are left out. Matching
    /// reads the records' ranges: the index's `fixed` versions are not
    /// used (one per block, they do not say which versions are safe). `version` is a module
    /// version with the `v`; for `stdlib` and `toolchain` a Go version
    /// (`go1.23.5`) is accepted too. A version that is not valid semver
    /// (`(devel)`, empty) matches nothing, as in govulncheck.
    pub fn matches(&self, module_path: &str, version: &str) -> Result<Vec<Match>> {
        let version =
            if (module_path == STDLIB || module_path == TOOLCHAIN) && version.starts_with("go") {
                match semver::go_toolchain_to_semver(version) {
                    Some(v) => v,
                    None => return Ok(Vec::new()),
                }
            } else {
                version.to_string()
            };
        if !semver::is_valid(&version) {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for entry in self.vulns_for(module_path)? {
            if entry.is_withdrawn() {
                continue;
            }
            let affected: Vec<Affected> = entry
                .affects(module_path, &version)
                .into_iter()
                .cloned()
                .collect();
            if affected.is_empty() {
                continue;
            }
            let fixed = entry.fixed_after(module_path, &version);
            let imports =
                merge_imports(affected.iter().flat_map(|a| &a.ecosystem_specific.imports));
            out.push(Match {
                entry,
                module: module_path.to_string(),
                version: version.clone(),
                affected,
                fixed,
                imports,
            });
        }
        out.sort_by(|a, b| a.entry.id.cmp(&b.entry.id));
        Ok(out)
    }

    fn load(&self, module: &str, iv: &IndexVuln) -> Result<Arc<Entry>> {
        if let Some(e) = lock(&self.loaded).get(&iv.id) {
            return Ok(Arc::clone(e));
        }
        let entry = Arc::new(self.read_record(module, iv)?);
        Ok(Arc::clone(
            lock(&self.loaded).entry(iv.id.clone()).or_insert(entry),
        ))
    }

    fn read_record(&self, module: &str, iv: &IndexVuln) -> Result<Entry> {
        let file = format!("{}.json", iv.id);
        let missing = |location: String| Error::MissingRecord {
            id: iv.id.clone(),
            module: module.to_string(),
            location,
        };
        match &self.store {
            Store::Dir(dir) => {
                let path = dir.join("ID").join(&file);
                let location = path.display().to_string();
                let bytes =
                    read_limited(&path, RECORD_LIMIT)?.ok_or_else(|| missing(location.clone()))?;
                parse_record(&bytes, &location, iv)
            }
            Store::Zip {
                path,
                prefix,
                archive,
            } => {
                let name = format!("{prefix}ID/{file}");
                let location = format!("{} (entry {name})", path.display());
                let bytes = lock(archive)
                    .read(&name, RECORD_LIMIT)
                    .map_err(|e| zip_error(path, &name, e))?
                    .ok_or_else(|| missing(location.clone()))?;
                parse_record(&bytes, &location, iv)
            }
            Store::Http { base, http, cache } => {
                let cached = cache.as_ref().map(|c| c.join("ID"));
                if let Some(dir) = &cached {
                    let path = dir.join(&file);
                    // A cached record that cannot be read is fetched again.
                    if let Ok(Some(bytes)) = read_limited(&path, RECORD_LIMIT) {
                        if let Ok(entry) = parse_record(&bytes, "", iv) {
                            if http.is_none() || entry.modified == iv.modified {
                                return Ok(entry);
                            }
                        }
                    }
                }
                let Some(http) = http else {
                    return Err(Error::NotCached {
                        id: iv.id.clone(),
                        module: module.to_string(),
                        path: cached.unwrap_or_default().join(&file),
                    });
                };
                let url = format!("{base}/ID/{file}");
                let bytes = http
                    .get(&url, RECORD_LIMIT)?
                    .ok_or_else(|| missing(url.clone()))?;
                let entry = parse_record(&bytes, &url, iv)?;
                if let Some(dir) = &cached {
                    if let Err(e) = write_atomic(dir, &file, &bytes, false) {
                        // The first failure says it all.
                        let mut late = lock(&self.late_warnings);
                        if late.is_empty() {
                            late.push(format!("{e}; continuing without it"));
                        }
                    }
                }
                Ok(entry)
            }
        }
    }
}

/// The imports of several blocks as one list: an item per (package,
/// GOOS list, GOARCH list), in first-seen order, with the symbols of every
/// block that names it; a block that names the package without symbols
/// (the whole package) makes it whole.
fn merge_imports<'a>(imports: impl IntoIterator<Item = &'a Import>) -> Vec<Import> {
    let mut out: Vec<Import> = Vec::new();
    for i in imports {
        let Some(seen) = out
            .iter_mut()
            .find(|o| o.path == i.path && o.goos == i.goos && o.goarch == i.goarch)
        else {
            out.push(i.clone());
            continue;
        };
        if seen.symbols.is_empty() {
            continue;
        }
        if i.symbols.is_empty() {
            seen.symbols.clear();
            continue;
        }
        for s in &i.symbols {
            if !seen.symbols.contains(s) {
                seen.symbols.push(s.clone());
            }
        }
    }
    out
}

/// `index/db.json` and `index/modules.json` through `read` (which gives
/// the bytes and where they came from, for errors), parsed.
fn read_indexes(
    mut read: impl FnMut(&str, u64) -> Result<(Vec<u8>, String)>,
) -> Result<(DbMeta, ModulesIndex)> {
    let (db, db_loc) = read("index/db.json", DB_JSON_LIMIT)?;
    let meta = parse_db_json(&db).map_err(|e| corrupt(db_loc, e))?;
    let (modules, mod_loc) = read("index/modules.json", MODULES_JSON_LIMIT)?;
    let index = parse_modules_json(&modules).map_err(|e| corrupt(mod_loc, e))?;
    Ok((meta, index))
}

impl Opened {
    /// A database read from a local directory or zip: no cache, no fetch.
    fn local(meta: DbMeta, index: ModulesIndex, store: Store) -> Opened {
        Opened {
            meta,
            index,
            store,
            fetched_at: None,
            checked_at: None,
            from_cache: false,
            cache_dir: None,
            warnings: Vec::new(),
        }
    }
}

fn open_dir(dir: &Path) -> Result<Opened> {
    if !dir.is_dir() {
        return Err(Error::NotFound {
            location: dir.display().to_string(),
            hint: format!("no such folder; {LAYOUT_HINT}"),
        });
    }
    let read = |rel: &str, limit| -> Result<(Vec<u8>, String)> {
        let path = dir.join(rel);
        let location = path.display().to_string();
        let bytes = read_limited(&path, limit)?.ok_or_else(|| Error::NotFound {
            location: location.clone(),
            hint: format!("not found; {LAYOUT_HINT}"),
        })?;
        Ok((bytes, location))
    };
    let (meta, index) = read_indexes(read)?;
    Ok(Opened::local(meta, index, Store::Dir(dir.to_path_buf())))
}

fn open_zip(path: &Path) -> Result<Opened> {
    let file = File::open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::NotFound {
                location: path.display().to_string(),
                hint: "no such file; give the path of a Go vulnerability database zip (vulndb.zip)"
                    .to_string(),
            }
        } else {
            Error::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    let mut archive = ZipArchive::new(BufReader::new(file)).map_err(|source| Error::Zip {
        path: path.to_path_buf(),
        source,
    })?;
    // The layout at the root, or under a single folder.
    let prefix = archive
        .names()
        .filter_map(|n| n.strip_suffix("index/db.json"))
        .filter(|p| p.is_empty() || p.ends_with('/'))
        .min_by_key(|p| p.len())
        .map(str::to_string)
        .ok_or_else(|| Error::NotFound {
            location: format!("{} (entry index/db.json)", path.display()),
            hint: format!("not found, so this is not a vulnerability database zip; {LAYOUT_HINT}"),
        })?;
    let read = |rel: &str, limit| -> Result<(Vec<u8>, String)> {
        let name = format!("{prefix}{rel}");
        let location = format!("{} (entry {name})", path.display());
        let bytes = archive
            .read(&name, limit)
            .map_err(|e| zip_error(path, &name, e))?
            .ok_or_else(|| Error::NotFound {
                location: location.clone(),
                hint: format!("not found; {LAYOUT_HINT}"),
            })?;
        Ok((bytes, location))
    };
    let (meta, index) = read_indexes(read)?;
    Ok(Opened::local(
        meta,
        index,
        Store::Zip {
            path: path.to_path_buf(),
            prefix,
            archive: Mutex::new(archive),
        },
    ))
}

/// The cache folder for a base URL.
fn cache_folder(cache_dir: &Path, base: &str) -> PathBuf {
    let digest = Sha256::digest(base.as_bytes());
    cache_dir.join("vulndb").join(hex::encode(&digest[..8]))
}

/// The cache's state and index, when both are there and readable.
fn read_cache(dir: &Path, base: &str) -> Result<(CacheState, DbMeta, ModulesIndex), String> {
    let state_path = dir.join("state.json");
    let bytes = match read_limited(&state_path, DB_JSON_LIMIT) {
        Ok(Some(b)) => b,
        Ok(None) => return Err(String::new()),
        Err(e) => return Err(e.to_string()),
    };
    let state: CacheState = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: unreadable ({e})", state_path.display()))?;
    if state.url != base {
        return Err(format!(
            "{}: is for {}, not {base}",
            state_path.display(),
            state.url
        ));
    }
    let at = parse_rfc3339(&state.modified)
        .ok_or_else(|| format!("{}: bad modified time", state_path.display()))?;
    let meta = DbMeta {
        modified: state.modified.clone(),
        at,
    };
    if !crate::index::valid_id(&state.modules_file) {
        return Err(format!("{}: bad modules file name", state_path.display()));
    }
    let modules_path = dir.join(&state.modules_file);
    let modules = match read_limited(&modules_path, MODULES_JSON_LIMIT) {
        Ok(Some(b)) => b,
        Ok(None) => return Err(format!("{}: missing", modules_path.display())),
        Err(e) => return Err(e.to_string()),
    };
    let index = parse_modules_json(&modules)
        .map_err(|e| format!("{}: unreadable ({e})", modules_path.display()))?;
    Ok((state, meta, index))
}

fn open_url(base: &str, opts: &OpenOptions) -> Result<Opened> {
    let cache = opts.cache_dir.as_deref().map(|c| cache_folder(c, base));
    let mut warnings = Vec::new();
    let cached = match &cache {
        Some(dir) => match read_cache(dir, base) {
            Ok(c) => Some(c),
            Err(why) => {
                if !why.is_empty() && !opts.offline {
                    warnings.push(format!("ignoring the cached database: {why}"));
                }
                if opts.offline {
                    return Err(if why.is_empty() {
                        Error::NoCache {
                            url: base.to_string(),
                            cache: cache.clone(),
                        }
                    } else {
                        Error::Corrupt {
                            location: why,
                            reason: "the offline cache cannot be used; run once without offline mode to fetch the database again".into(),
                        }
                    });
                }
                None
            }
        },
        None => None,
    };
    if opts.offline {
        let Some((state, meta, index)) = cached else {
            return Err(Error::NoCache {
                url: base.to_string(),
                cache,
            });
        };
        return Ok(Opened {
            meta,
            index,
            store: Store::Http {
                base: base.to_string(),
                http: None,
                cache: cache.clone(),
            },
            fetched_at: Some(state.fetched_at),
            checked_at: Some(state.checked_at),
            from_cache: true,
            cache_dir: cache,
            warnings,
        });
    }

    let http = Http::new(opts.timeouts, opts.retries, opts.ca_file.as_deref())?;
    let db_url = format!("{base}/index/db.json");
    let db = http
        .get(&db_url, DB_JSON_LIMIT)?
        .ok_or_else(|| Error::NotFound {
            location: db_url.clone(),
            hint: format!("not found (HTTP 404); is {base} a Go vulnerability database?"),
        })?;
    let meta = parse_db_json(&db).map_err(|e| corrupt(&db_url, e))?;
    let now = unix_now();

    if let (Some((state, cached_meta, index)), Some(dir)) = (cached, &cache) {
        if meta.at < cached_meta.at {
            return Err(Error::WentBackwards {
                url: db_url,
                remote: meta.modified,
                cached: cached_meta.modified,
                cache: dir.clone(),
            });
        }
        if meta.at == cached_meta.at && opts.refresh == RefreshPolicy::IfChanged {
            let fetched_at = state.fetched_at;
            if let Err(e) = write_state(
                dir,
                &CacheState {
                    checked_at: now,
                    ..state
                },
            ) {
                warnings.push(format!("{e}; continuing without it"));
            }
            return Ok(Opened {
                meta: cached_meta,
                index,
                store: Store::Http {
                    base: base.to_string(),
                    http: Some(http),
                    cache: cache.clone(),
                },
                fetched_at: Some(fetched_at),
                checked_at: Some(now),
                from_cache: true,
                cache_dir: cache,
                warnings,
            });
        }
    }

    let modules_url = format!("{base}/index/modules.json");
    let modules = http
        .get(&modules_url, MODULES_JSON_LIMIT)?
        .ok_or_else(|| Error::NotFound {
            location: modules_url.clone(),
            hint: format!("not found (HTTP 404); the database at {base} is incomplete"),
        })?;
    let index = parse_modules_json(&modules).map_err(|e| corrupt(&modules_url, e))?;

    if let Some(dir) = &cache {
        if let Err(e) = store_index(dir, base, &meta, &modules, opts.refresh, now) {
            warnings.push(format!("{e}; continuing without it"));
        }
    }
    Ok(Opened {
        meta,
        index,
        store: Store::Http {
            base: base.to_string(),
            http: Some(http),
            cache: cache.clone(),
        },
        fetched_at: Some(now),
        checked_at: Some(now),
        from_cache: false,
        cache_dir: cache,
        warnings,
    })
}

/// Puts a downloaded index in the cache: the index file first, the state
/// that names it last, so a reader sees the old cache or the new one.
fn store_index(
    dir: &Path,
    base: &str,
    meta: &DbMeta,
    modules: &[u8],
    refresh: RefreshPolicy,
    now: i64,
) -> Result<()> {
    let digest = Sha256::digest(meta.modified.as_bytes());
    let modules_file = format!("modules-{}.json", hex::encode(&digest[..8]));
    write_atomic(dir, &modules_file, modules, true)?;
    if refresh == RefreshPolicy::Force {
        clear_records(dir)?;
    }
    write_state(
        dir,
        &CacheState {
            url: base.to_string(),
            modified: meta.modified.clone(),
            modules_file: modules_file.clone(),
            fetched_at: now,
            checked_at: now,
        },
    )?;
    tidy(dir, &modules_file);
    Ok(())
}

fn write_state(dir: &Path, state: &CacheState) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(state).map_err(|e| Error::CacheWrite {
        path: dir.join("state.json"),
        source: std::io::Error::other(e),
    })?;
    write_atomic(dir, "state.json", &bytes, true)
}

/// Drops the cached records: the folder is renamed away first, so no
/// half-emptied folder is ever in use.
fn clear_records(dir: &Path) -> Result<()> {
    let records = dir.join("ID");
    if !records.exists() {
        return Ok(());
    }
    let trash = dir.join(format!(".old-ID-{}-{}", std::process::id(), unix_now()));
    std::fs::rename(&records, &trash).map_err(|source| Error::CacheWrite {
        path: records.clone(),
        source,
    })?;
    let _ = std::fs::remove_dir_all(&trash);
    Ok(())
}

/// Removes index files other than `keep` and leftovers of interrupted
/// writes (older than an hour, so a concurrent writer is left alone).
/// Best effort.
fn tidy(dir: &Path, keep: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < hour_ago);
        let stale_index = name.starts_with("modules-") && name.ends_with(".json") && name != keep;
        if stale_index || (name.starts_with(".tmp-") && old) {
            let _ = std::fs::remove_file(e.path());
        } else if name.starts_with(".old-ID-") && old {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_parse() {
        assert_eq!(
            Source::parse("https://vuln.go.dev/"),
            Source::Url("https://vuln.go.dev".into())
        );
        assert_eq!(
            Source::parse("HTTP://127.0.0.1:8080"),
            Source::Url("HTTP://127.0.0.1:8080".into())
        );
        assert_eq!(
            Source::parse("/tmp/vulndb.zip"),
            Source::Zip("/tmp/vulndb.zip".into())
        );
        assert_eq!(
            Source::parse("file:///srv/vulndb"),
            Source::Dir("/srv/vulndb".into())
        );
        assert_eq!(Source::parse("db"), Source::Dir("db".into()));
        assert_eq!(Source::default().to_string(), DEFAULT_URL);
    }

    #[test]
    fn atomic_write_replaces() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_atomic(dir.path(), "f", b"one", true).expect("write");
        write_atomic(dir.path(), "f", b"two", false).expect("write");
        assert_eq!(std::fs::read(dir.path().join("f")).expect("read"), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    }
}
