//! Writing a file whole or not at all: the bytes go to a temporary file in
//! the target's directory, which is synced, renamed over the target, and
//! the directory synced, so a reader (or a crash) sees the old file or the
//! new one, never half of one. A symlinked target is written through: the
//! link's final target is replaced and the link stays a link. An existing
//! file keeps its permission mode; a new one gets [`Options::mode`].
//!
//! This is the one place envelope replaces files: layouts, archives, caches,
//! edited Dockerfiles and YAML, SBOMs.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::Error;

/// Symlinks followed before giving up, as Linux's `MAXSYMLINKS`.
const MAX_LINKS: usize = 40;

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
    dir: PathBuf,
    /// The final target (symlinks resolved), None when named at commit.
    target: Option<PathBuf>,
    /// The path the caller named, for messages.
    shown: PathBuf,
    mode: u32,
    durable: bool,
}

impl std::fmt::Debug for AtomicFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicFile")
            .field("path", &self.shown)
            .finish_non_exhaustive()
    }
}

impl AtomicFile {
    /// Starts replacing `path` (or the file its symlinks lead to).
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
        Self::start(dir, Some(target), path, mode, options.durable)
    }

    /// Starts a file in `dir` whose name is known only once it is written
    /// (a blob named by its digest); finish it with [`commit_as`].
    ///
    /// [`commit_as`]: AtomicFile::commit_as
    pub fn create_in(dir: &Path, options: Options) -> Result<AtomicFile, Error> {
        Self::start(dir.to_path_buf(), None, dir, options.mode, options.durable)
    }

    fn start(
        dir: PathBuf,
        target: Option<PathBuf>,
        shown: &Path,
        mode: u32,
        durable: bool,
    ) -> Result<AtomicFile, Error> {
        let tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(shown, e))?;
        Ok(AtomicFile {
            out: BufWriter::new(tmp),
            dir,
            target,
            shown: shown.to_path_buf(),
            mode,
            durable,
        })
    }

    /// Renames the written file over the target named at creation.
    pub fn commit(self) -> Result<(), Error> {
        let Some(target) = self.target.clone() else {
            return Err(Error::Layout {
                path: self.shown,
                detail: "a file started in a directory needs a name to be committed".into(),
            });
        };
        self.finish(&target)
    }

    /// Renames the written file to `name` in its directory (a symlink
    /// there is written through, as by [`AtomicFile::create`]).
    pub fn commit_as(self, name: &OsStr) -> Result<(), Error> {
        let named = self.dir.join(name);
        let target = resolve(&named)?;
        if parent(&target) != self.dir {
            return Err(Error::Layout {
                path: named,
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
            sync_dir(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
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
        let mut f = AtomicFile::create_in(tmp.path(), Options::new()).expect("create");
        f.write_all(b"new").expect("write");
        let e = f.commit_as(OsStr::new("d")).expect_err("a directory");
        assert!(
            e.to_string().contains(&tmp.path().display().to_string()),
            "{e}"
        );
        assert_eq!(entries(tmp.path()), ["d", "f"]);
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
    fn a_file_named_at_commit_lands_in_its_directory() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut f = AtomicFile::create_in(tmp.path(), Options::new()).expect("create");
        f.write_all(b"blob").expect("write");
        f.commit_as(OsStr::new("abc")).expect("commit");
        assert_eq!(
            std::fs::read(tmp.path().join("abc")).expect("read"),
            b"blob"
        );
        assert_eq!(mode_of(&tmp.path().join("abc")), 0o644);
        let f = AtomicFile::create_in(tmp.path(), Options::new()).expect("create");
        assert!(f.commit().is_err(), "no name");
        assert_eq!(entries(tmp.path()), ["abc"]);
    }
}
