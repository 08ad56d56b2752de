//! Writing a file whole or not at all: the bytes go to a temporary file,
//! which is synced, renamed over the target, and the directory synced, so
//! a reader (or a crash) sees the old file or the new one, never half of
//! one. A symlinked target is written through: the link's final target is
//! replaced and the link stays a link. An existing file keeps its
//! permission mode; a new one gets [`Options::mode`].
//!
//! Temporaries live in one place per target and say whose they are:
//! - a single file (an archive, a Dockerfile, an SBOM) is written beside
//!   itself, as `.<name>.envelope-<pid>-<random>.tmp`;
//! - a blob store (an OCI layout, the blob cache) stages its files in the
//!   `.tmp/` directory at its root ([`STAGING_DIR`]), as
//!   `.tmp-envelope-<pid>-<random>`, and renames them into `blobs/`, so a
//!   partial blob never appears among the blobs.
//!
//! A writer holds an advisory lock on its temporary while it writes it.
//! A later run removes a temporary (a regular file, never a link) that
//! nobody holds when the process its name gives has ended, or when it has
//! been left alone for [`STALE_TEMPORARY`] (its pid may have been reused);
//! writing a file sweeps that file's temporaries, opening a blob store
//! sweeps its `.tmp/`. The temporaries of the running process are listed
//! here, so that [`remove_temporaries`] can delete them when a signal ends
//! the process.
//!
//! This is the one place envelope replaces files: layouts, archives, caches,
//! edited Dockerfiles and YAML, SBOMs.

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use crate::Error;

/// Symlinks followed before giving up, as Linux's `MAXSYMLINKS`.
const MAX_LINKS: usize = 40;

/// The directory at the root of a blob store where its files are written
/// before they are renamed into place.
pub const STAGING_DIR: &str = ".tmp";

/// How long a temporary must have been left alone before a later run
/// removes it even though the pid in its name belongs to a running
/// process (another one may have been given that pid).
pub const STALE_TEMPORARY: Duration = Duration::from_secs(15 * 60);

/// The prefix of a blob store's staged files.
const STAGED_PREFIX: &str = ".tmp-envelope-";
/// Between a file's name and the writer's pid in a temporary beside it.
const BESIDE_MARK: &str = ".envelope-";
const BESIDE_SUFFIX: &str = ".tmp";

/// How a file is written.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    mode: u32,
    force_mode: bool,
    durable: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mode: 0o644,
            force_mode: false,
            durable: true,
        }
    }
}

impl Options {
    /// 0644 for new files, existing files keep their mode, synced to disk.
    pub fn new() -> Options {
        Options::default()
    }

    /// The permission mode of a new file (an existing one keeps its own).
    #[must_use]
    pub fn mode(mut self, mode: u32) -> Options {
        self.mode = mode & 0o7777;
        self
    }

    /// 0600 whether the file exists or not: for secrets, whose old mode
    /// may have been too open.
    #[must_use]
    pub fn private(mut self) -> Options {
        self.mode = 0o600;
        self.force_mode = true;
        self
    }

    /// Whether the file and its directory are synced before returning
    /// (default). Caches whose entries are verified when read can skip it.
    #[must_use]
    pub fn durable(mut self, durable: bool) -> Options {
        self.durable = durable;
        self
    }
}

/// Writes `data` to `path` atomically with the default [`Options`].
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), Error> {
    write_atomic_with(path, Options::new(), data)
}

/// Writes `data` to `path` atomically.
pub fn write_atomic_with(path: &Path, options: Options, data: &[u8]) -> Result<(), Error> {
    let mut f = AtomicFile::create(path, options)?;
    f.write_all(data).map_err(|e| Error::io(path, e))?;
    f.commit()
}

/// A file being written: write to it (it is buffered), then [`commit`]
/// it. Dropped without committing, it leaves nothing behind and the
/// target untouched.
///
/// [`commit`]: AtomicFile::commit
pub struct AtomicFile {
    out: BufWriter<tempfile::NamedTempFile>,
    /// The final target (symlinks resolved), None when named at commit.
    target: Option<PathBuf>,
    /// The path the caller named, for messages.
    shown: PathBuf,
    mode: u32,
    durable: bool,
    /// Listed among the process's temporaries until dropped (after the
    /// file above is renamed or removed).
    _live: Live,
}

impl std::fmt::Debug for AtomicFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicFile")
            .field("path", &self.shown)
            .finish_non_exhaustive()
    }
}

impl AtomicFile {
    /// Starts replacing `path` (or the file its symlinks lead to), with a
    /// temporary beside it; stale temporaries of the same file go first.
    pub fn create(path: &Path, options: Options) -> Result<AtomicFile, Error> {
        let target = resolve(path)?;
        let dir = parent(&target);
        let mode = match std::fs::metadata(&target) {
            Ok(m) if m.is_dir() => {
                return Err(Error::Layout {
                    path: path.to_path_buf(),
                    detail: "is a directory".into(),
                })
            }
            Ok(m) if !options.force_mode => m.permissions().mode() & 0o7777,
            Ok(_) => options.mode,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => options.mode,
            Err(e) => return Err(Error::io(path, e)),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}{BESIDE_MARK}");
        sweep_beside(&dir, &prefix);
        let tmp = start(
            &dir,
            &format!("{prefix}{}-", std::process::id()),
            BESIDE_SUFFIX,
        )
        .map_err(|e| Error::io(path, e))?;
        Ok(Self::wrap(tmp, Some(target), path, mode, options))
    }

    /// Starts a file in the staging directory of the blob store at `root`
    /// (`root/.tmp`, made when missing), to be renamed into the store with
    /// [`commit_to`] once its name is known (a blob named by its digest).
    ///
    /// [`commit_to`]: AtomicFile::commit_to
    pub fn staged(root: &Path, options: Options) -> Result<AtomicFile, Error> {
        let dir = root.join(STAGING_DIR);
        let prefix = format!("{STAGED_PREFIX}{}-", std::process::id());
        // Another writer may remove the staging directory when it finds
        // it empty: make it again.
        let mut attempt = 0;
        let tmp = loop {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            match start(&dir, &prefix, "") {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempt < 3 => attempt += 1,
                r => break r.map_err(|e| Error::io(&dir, e))?,
            }
        };
        Ok(Self::wrap(tmp, None, root, options.mode, options))
    }

    fn wrap(
        tmp: (tempfile::NamedTempFile, Live),
        target: Option<PathBuf>,
        shown: &Path,
        mode: u32,
        options: Options,
    ) -> AtomicFile {
        AtomicFile {
            out: BufWriter::new(tmp.0),
            target,
            shown: shown.to_path_buf(),
            mode,
            durable: options.durable,
            _live: tmp.1,
        }
    }

    /// Renames the written file over the target named at creation.
    pub fn commit(self) -> Result<(), Error> {
        let Some(target) = self.target.clone() else {
            return Err(Error::Layout {
                path: self.shown,
                detail: "a staged file needs a name to be committed".into(),
            });
        };
        self.finish(&target)
    }

    /// Renames the written file to `path` (a symlink there is written
    /// through, as by [`AtomicFile::create`], when it stays in its
    /// directory).
    pub fn commit_to(self, path: &Path) -> Result<(), Error> {
        let target = resolve(path)?;
        if parent(&target) != parent(path) {
            return Err(Error::Layout {
                path: path.to_path_buf(),
                detail: "is a symlink out of its directory; cannot replace it atomically".into(),
            });
        }
        self.finish(&target)
    }

    fn finish(mut self, target: &Path) -> Result<(), Error> {
        let shown = self.shown.clone();
        let io = |e| Error::io(&shown, e);
        self.out.flush().map_err(io)?;
        let tmp = self.out.into_inner().map_err(|e| io(e.into_error()))?;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(self.mode))
            .map_err(io)?;
        if self.durable {
            tmp.as_file().sync_all().map_err(io)?;
        }
        tmp.persist(target).map_err(|e| io(e.error))?;
        if self.durable {
            let dir = parent(target);
            sync_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The temporaries this process is writing, and whether it is exiting.
struct Registry {
    closing: bool,
    paths: BTreeSet<PathBuf>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    closing: false,
    paths: BTreeSet::new(),
});

fn registry() -> MutexGuard<'static, Registry> {
    // A panic elsewhere while holding it leaves a set that is still whole.
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// A temporary's entry in the registry, removed when dropped.
struct Live(PathBuf);

impl Drop for Live {
    fn drop(&mut self) {
        registry().paths.remove(&self.0);
    }
}

/// Creates, locks and registers a temporary named `prefix`, random
/// letters and `suffix` in `dir`; refused once the process is exiting.
fn start(
    dir: &Path,
    prefix: &str,
    suffix: &str,
) -> std::io::Result<(tempfile::NamedTempFile, Live)> {
    let mut live = registry();
    if live.closing {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "interrupted: envelope is exiting",
        ));
    }
    let tmp = tempfile::Builder::new()
        .prefix(prefix)
        .suffix(suffix)
        .tempfile_in(dir)?;
    // Best effort: the lock tells a later run that the file is in use,
    // and the pid in its name tells it when the lock cannot.
    let _ = tmp.as_file().try_lock();
    let path = absolute(tmp.path());
    live.paths.insert(path.clone());
    Ok((tmp, Live(path)))
}

/// Removes every temporary this process is writing and refuses new ones:
/// for the thread that handles a terminating signal, just before the
/// process exits. Returns how many were removed.
pub fn remove_temporaries() -> usize {
    let mut live = registry();
    live.closing = true;
    let paths = std::mem::take(&mut live.paths);
    paths
        .iter()
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count()
}

/// Removes the stale temporaries in `dir` (see the module documentation):
/// a blob store's staging directory, or a directory where writers of an
/// older envelope left `.tmp-*` files. Best effort: what cannot be removed
/// stays. Returns how many were removed.
pub fn sweep(dir: &Path, stale: Duration) -> usize {
    sweep_where(dir, stale, |_| true).0
}

/// Sweeps the temporaries named `prefix…` in `dir`. A directory found
/// without any temporary is not read again by this process: writing many
/// files into one (a cache) costs one read of it, not one per file.
fn sweep_beside(dir: &Path, prefix: &str) {
    static CLEAN: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
    let clean = || CLEAN.lock().unwrap_or_else(|e| e.into_inner());
    let key = absolute(dir);
    if clean().contains(&key) {
        return;
    }
    let (_, left) = sweep_where(dir, STALE_TEMPORARY, |n| n.starts_with(prefix));
    if left == 0 {
        clean().insert(key);
    }
}

/// Removes the stale temporaries in `dir` whose names are `wanted`;
/// returns how many were removed and how many temporaries are left.
fn sweep_where(dir: &Path, stale: Duration, wanted: impl Fn(&str) -> bool) -> (usize, usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (0, 0);
    };
    let now = SystemTime::now();
    let (mut removed, mut left) = (0, 0);
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        let Some(pid) = temporary_pid(name) else {
            continue;
        };
        left += 1;
        if !wanted(name) {
            continue;
        }
        let path = e.path();
        // Only regular files: never follow a link out of the directory.
        let Ok(meta) = path.symlink_metadata() else {
            continue;
        };
        if !meta.is_file() || held(&path) {
            continue;
        }
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age >= stale);
        let ended = pid.is_some_and(|p| !running(p, &path));
        if (old || ended) && std::fs::remove_file(&path).is_ok() {
            removed += 1;
            left -= 1;
        }
    }
    (removed, left)
}

/// Whether `name` is a temporary, and the pid of its writer when it
/// names one (`.tmp-*` files of older versions name none).
fn temporary_pid(name: &str) -> Option<Option<u32>> {
    let rest = if let Some(rest) = name.strip_prefix(STAGED_PREFIX) {
        rest
    } else if name.starts_with('.') && name.ends_with(BESIDE_SUFFIX) {
        let inner = name.strip_suffix(BESIDE_SUFFIX)?;
        let (_, rest) = inner.rsplit_once(BESIDE_MARK)?;
        rest
    } else if name.starts_with(".tmp-") {
        return Some(None);
    } else {
        return None;
    };
    let (pid, random) = rest.split_once('-')?;
    let pid_ok = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    if !pid_ok || random.is_empty() || !random.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some(pid.parse().ok())
}

/// Whether a live writer holds the lock on `path` (in this process or
/// another: flock(2) locks belong to an open file).
fn held(path: &Path) -> bool {
    File::open(path).is_ok_and(|f| match f.try_lock() {
        Ok(()) => false,
        Err(std::fs::TryLockError::WouldBlock) => true,
        // A file system without locks: the pid and the age decide.
        Err(std::fs::TryLockError::Error(_)) => false,
    })
}

/// Whether the writer `pid` of temporary `path` may still be running.
fn running(pid: u32, path: &Path) -> bool {
    if pid == std::process::id() {
        // This process: its own temporaries are registered; any other
        // was left by an earlier process given the same pid.
        return registry().paths.contains(&absolute(path));
    }
    // Without /proc nothing can be told: only the age decides.
    !Path::new("/proc/self").exists() || Path::new("/proc").join(pid.to_string()).exists()
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The directory of `path`, `.` for a bare file name.
fn parent(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// Follows `path`'s symlinks to the file they end at (which may not
/// exist yet: a dangling link creates its target).
fn resolve(path: &Path) -> Result<PathBuf, Error> {
    let mut current = path.to_path_buf();
    let mut seen = HashSet::new();
    loop {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                if !seen.insert(current.clone()) || seen.len() > MAX_LINKS {
                    return Err(Error::Layout {
                        path: path.to_path_buf(),
                        detail: "is a symlink loop (its links never reach a file)".into(),
                    });
                }
                let link = std::fs::read_link(&current).map_err(|e| Error::io(&current, e))?;
                current = if link.is_absolute() {
                    link
                } else {
                    parent(&current).join(link)
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(Error::io(&current, e)),
        }
    }
}

/// Makes the rename durable. File systems that cannot sync a directory
/// say so with EINVAL; the rename is as durable as they allow.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    match File::open(dir).and_then(|d| d.sync_all()) {
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => Ok(()),
        r => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode_of(p: &Path) -> u32 {
        std::fs::metadata(p).expect("stat").permissions().mode() & 0o7777
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_new_file_gets_the_default_mode_and_an_old_one_keeps_its_own() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let p = tmp.path().join("f");
        write_atomic(&p, b"one").expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"one");
        assert_eq!(mode_of(&p), 0o644);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o750)).expect("chmod");
        write_atomic(&p, b"two").expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"two");
        assert_eq!(mode_of(&p), 0o750);
        write_atomic_with(&p, Options::new().private(), b"secret").expect("write");
        assert_eq!(mode_of(&p), 0o600);
        let q = tmp.path().join("g");
        write_atomic_with(&q, Options::new().mode(0o640).durable(false), b"x").expect("write");
        assert_eq!(mode_of(&q), 0o640);
        assert_eq!(entries(tmp.path()), ["f", "g"]);
    }

    #[test]
    fn a_symlink_stays_a_link_and_its_target_changes() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let real_dir = tmp.path().join("real");
        std::fs::create_dir(&real_dir).expect("mkdir");
        let target = real_dir.join("Dockerfile");
        std::fs::write(&target, "old").expect("write");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        // A chain: link -> hop (relative) -> real/Dockerfile.
        let hop = tmp.path().join("hop");
        std::os::unix::fs::symlink("real/Dockerfile", &hop).expect("symlink");
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&hop, &link).expect("symlink");
        write_atomic(&link, b"new").expect("write");
        for l in [&link, &hop] {
            assert!(
                std::fs::symlink_metadata(l)
                    .expect("lstat")
                    .file_type()
                    .is_symlink(),
                "{} was replaced by a file",
                l.display()
            );
        }
        assert_eq!(std::fs::read(&target).expect("read"), b"new");
        assert_eq!(mode_of(&target), 0o600);
        // The temporary file lived beside the target, and is gone.
        assert_eq!(entries(&real_dir), ["Dockerfile"]);
        assert_eq!(entries(tmp.path()), ["hop", "link", "real"]);
    }

    #[test]
    fn a_dangling_link_creates_its_target() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink("made", &link).expect("symlink");
        write_atomic(&link, b"x").expect("write");
        assert_eq!(std::fs::read(tmp.path().join("made")).expect("read"), b"x");
        assert!(std::fs::symlink_metadata(&link)
            .expect("lstat")
            .file_type()
            .is_symlink());
    }

    #[test]
    fn a_symlink_loop_is_refused_naming_the_path() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let a = tmp.path().join("a");
        let b = tmp.path().join("b");
        std::os::unix::fs::symlink(&b, &a).expect("symlink");
        std::os::unix::fs::symlink(&a, &b).expect("symlink");
        let e = write_atomic(&a, b"x").expect_err("a loop");
        let msg = e.to_string();
        assert!(
            msg.contains("symlink loop") && msg.contains(&a.display().to_string()),
            "{msg}"
        );
        assert_eq!(entries(tmp.path()), ["a", "b"]);
    }

    #[test]
    fn a_failure_leaves_the_old_content_and_no_temporary_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let p = tmp.path().join("f");
        std::fs::write(&p, "old").expect("write");
        // Dropped before commit: nothing changes.
        {
            let mut f = AtomicFile::create(&p, Options::new()).expect("create");
            f.write_all(b"half").expect("write");
        }
        assert_eq!(std::fs::read(&p).expect("read"), b"old");
        assert_eq!(entries(tmp.path()), ["f"]);
        // The rename fails (a directory is in the way): the error names
        // the path and the temporary file is removed.
        let d = tmp.path().join("d");
        std::fs::create_dir(&d).expect("mkdir");
        std::fs::write(d.join("inside"), "x").expect("write");
        let mut f = AtomicFile::staged(tmp.path(), Options::new()).expect("create");
        f.write_all(b"new").expect("write");
        let e = f.commit_to(&d).expect_err("a directory");
        assert!(
            e.to_string().contains(&tmp.path().display().to_string()),
            "{e}"
        );
        assert_eq!(entries(tmp.path()), [".tmp", "d", "f"]);
        assert!(entries(&tmp.path().join(STAGING_DIR)).is_empty());
        // A directory as the target is refused up front.
        let e = write_atomic(&d, b"x").expect_err("a directory");
        assert!(e.to_string().contains("is a directory"), "{e}");
        // A missing directory names the path.
        let missing = tmp.path().join("no/such/file");
        let e = write_atomic(&missing, b"x").expect_err("no directory");
        assert!(e.to_string().contains("no/such/file"), "{e}");
        assert_eq!(std::fs::read(&p).expect("read"), b"old");
    }

    #[test]
    fn a_staged_file_lands_where_it_is_named_and_only_there() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let blobs = tmp.path().join("blobs");
        std::fs::create_dir(&blobs).expect("mkdir");
        let mut f = AtomicFile::staged(tmp.path(), Options::new()).expect("create");
        f.write_all(b"blob").expect("write");
        // While written, the file is in the staging directory, named for
        // this process, and nothing is among the blobs.
        let staged = entries(&tmp.path().join(STAGING_DIR));
        assert_eq!(staged.len(), 1, "{staged:?}");
        let prefix = format!(".tmp-envelope-{}-", std::process::id());
        assert!(staged[0].starts_with(&prefix), "{staged:?}");
        assert!(entries(&blobs).is_empty());
        f.commit_to(&blobs.join("abc")).expect("commit");
        assert_eq!(std::fs::read(blobs.join("abc")).expect("read"), b"blob");
        assert_eq!(mode_of(&blobs.join("abc")), 0o644);
        assert!(entries(&tmp.path().join(STAGING_DIR)).is_empty());
        let f = AtomicFile::staged(tmp.path(), Options::new()).expect("create");
        assert!(f.commit().is_err(), "no name");
        assert_eq!(entries(&blobs), ["abc"]);
        // A link out of the directory is not written through.
        let outside = tmp.path().join("outside");
        std::os::unix::fs::symlink(&outside, blobs.join("def")).expect("link");
        let f = AtomicFile::staged(tmp.path(), Options::new()).expect("create");
        let e = f.commit_to(&blobs.join("def")).expect_err("a link out");
        assert!(
            e.to_string().contains("symlink out of its directory"),
            "{e}"
        );
        assert!(!outside.exists());
    }

    #[test]
    fn a_temporary_beside_its_file_names_the_file_and_the_writer() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let p = tmp.path().join("image.tar");
        let mut f = AtomicFile::create(&p, Options::new()).expect("create");
        f.write_all(b"half").expect("write");
        let names = entries(tmp.path());
        assert_eq!(names.len(), 1, "{names:?}");
        let prefix = format!(".image.tar.envelope-{}-", std::process::id());
        assert!(
            names[0].starts_with(&prefix) && names[0].ends_with(".tmp"),
            "{names:?}"
        );
        assert_eq!(temporary_pid(&names[0]), Some(Some(std::process::id())));
        // A writer of the same file does not take a live temporary away.
        write_atomic(&p, b"other").expect("write");
        assert_eq!(entries(tmp.path()).len(), 2);
        f.commit().expect("commit");
        assert_eq!(entries(tmp.path()), ["image.tar"]);
        assert_eq!(std::fs::read(&p).expect("read"), b"half");
    }

    /// A pid no process has: above the kernel's largest.
    const GONE: u32 = 4_194_305;

    fn make(p: &Path, age: Option<Duration>) {
        std::fs::write(p, b"partial").expect("write");
        if let Some(age) = age {
            std::fs::File::options()
                .write(true)
                .open(p)
                .and_then(|f| f.set_modified(SystemTime::now() - age))
                .expect("mtime");
        }
    }

    #[test]
    fn temporaries_of_ended_writers_are_swept_and_live_ones_kept() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        let hour = Some(Duration::from_secs(3600));
        let me = std::process::id();
        let parent_pid = std::os::unix::process::parent_id();
        // Ended writers, whatever the age.
        let dead_staged = dir.join(format!(".tmp-envelope-{GONE}-abc123"));
        let dead_beside = dir.join(format!(".f.tar.envelope-{GONE}-Xy9.tmp"));
        // This pid but not this process's (a pid reused in a container).
        let reused = dir.join(format!(".tmp-envelope-{me}-zzz"));
        // A running process (the test's parent), recent: kept; old: its
        // pid may have been reused, removed.
        let running_new = dir.join(format!(".tmp-envelope-{parent_pid}-new"));
        let running_old = dir.join(format!(".tmp-envelope-{parent_pid}-old"));
        // An older version's temporary, by age only.
        let legacy_new = dir.join(".tmp-AbCd12");
        let legacy_old = dir.join(".tmp-EfGh34");
        // Not temporaries.
        let blob = dir.join("0123abcd");
        let almost = dir.join(".f.tar.envelope-12-a.b.tmp");
        make(&dead_staged, None);
        make(&dead_beside, None);
        make(&reused, None);
        make(&running_new, None);
        make(&running_old, hour);
        make(&legacy_new, None);
        make(&legacy_old, hour);
        make(&blob, hour);
        make(&almost, hour);
        // A dead writer's name on a link or a directory: left alone.
        let outside = tmp.path().join("outside");
        let other = tempfile::tempdir().expect("tempdir");
        make(&other.path().join("x"), hour);
        std::os::unix::fs::symlink(
            other.path().join("x"),
            dir.join(format!(".tmp-envelope-{GONE}-lnk")),
        )
        .expect("link");
        std::fs::create_dir(dir.join(format!(".tmp-envelope-{GONE}-dir"))).expect("mkdir");
        // A file whose writer holds its lock is in use, even when old.
        let locked = dir.join(format!(".tmp-envelope-{GONE}-held"));
        make(&locked, hour);
        let holder = File::open(&locked).expect("open");
        holder.lock().expect("lock");
        let removed = sweep(dir, STALE_TEMPORARY);
        let left = entries(dir);
        assert_eq!(removed, 5, "{left:?}");
        for gone in [
            &dead_staged,
            &dead_beside,
            &reused,
            &running_old,
            &legacy_old,
        ] {
            assert!(!gone.exists(), "{} kept: {left:?}", gone.display());
        }
        for kept in [&running_new, &legacy_new, &blob, &almost, &locked] {
            assert!(kept.exists(), "{} removed: {left:?}", kept.display());
        }
        assert!(!outside.exists());
        assert!(other.path().join("x").exists());
        assert!(dir
            .join(format!(".tmp-envelope-{GONE}-lnk"))
            .symlink_metadata()
            .is_ok());
        assert!(dir.join(format!(".tmp-envelope-{GONE}-dir")).is_dir());
        drop(holder);
        assert_eq!(sweep(dir, STALE_TEMPORARY), 1);
        assert!(!locked.exists());
    }

    #[test]
    fn writing_a_file_sweeps_that_files_temporaries_only() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        let mine = dir.join(format!(".out.tar.envelope-{GONE}-abc.tmp"));
        let other = dir.join(format!(".other.tar.envelope-{GONE}-abc.tmp"));
        make(&mine, None);
        make(&other, None);
        write_atomic(&dir.join("out.tar"), b"x").expect("write");
        assert_eq!(
            entries(dir),
            [
                format!(".other.tar.envelope-{GONE}-abc.tmp"),
                "out.tar".into()
            ]
        );
    }

    #[test]
    fn a_directory_found_clean_is_not_read_again() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        write_atomic(&dir.join("a"), b"x").expect("write");
        // Left after the directory was found clean: the next run sweeps it.
        let late = dir.join(format!(".b.envelope-{GONE}-abc.tmp"));
        make(&late, None);
        write_atomic(&dir.join("b"), b"x").expect("write");
        assert!(late.exists());
        // A directory with a temporary in it is read at every write.
        let other = tempfile::tempdir().expect("tempdir");
        let kept = other.path().join(format!(".{}.envelope-1-live.tmp", "x"));
        make(&kept, None);
        write_atomic(&other.path().join("a"), b"x").expect("write");
        let dead = other.path().join(format!(".b.envelope-{GONE}-abc.tmp"));
        make(&dead, None);
        write_atomic(&other.path().join("b"), b"x").expect("write");
        assert!(!dead.exists());
        assert!(kept.exists(), "pid 1 runs");
    }

    #[test]
    fn names_of_temporaries() {
        assert_eq!(temporary_pid(".tmp-envelope-42-aB3"), Some(Some(42)));
        assert_eq!(temporary_pid(".x.y.envelope-7-q.tmp"), Some(Some(7)));
        assert_eq!(temporary_pid(".tmp-Qw12"), Some(None));
        for not in [
            "sha256",
            ".tmp-envelope--a",
            ".tmp-envelope-42-",
            ".tmp-envelope-4x-a",
            ".x.envelope-7-q.r.tmp",
            "x.envelope-7-q.tmp",
            ".x.envelope-99999999999-q.tmp",
        ] {
            assert_eq!(temporary_pid(not).flatten(), None, "{not} names no writer");
        }
    }
}
