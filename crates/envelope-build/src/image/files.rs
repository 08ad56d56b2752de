//! The files layer: the user's `files` entries (a file, or a directory
//! taken recursively) copied from the build machine into one layer of
//! their own, between the generated base and the binary, so a code change
//! keeps this layer's digest.
//!
//! Nothing of the build machine leaks in but the bytes and whether a file
//! is executable: every mtime is the build's epoch, owners default to root
//! (0:0) and modes to 0644 (0755 for executables and directories), so the
//! image's user can read the files but not change them. Symlinks are kept
//! only when they point inside the tree they were found in; fifos, devices
//! and sockets are refused.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use envelope_layer::{FileData, LayerBuilder};

use super::FileEntry;
use crate::BuildError;

/// What one path of the layer is, for telling entries that collide apart
/// from directories they share.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Written {
    Dir,
    Other,
}

/// Adds every entry's files to a new layer; returns it with one line per
/// entry for the report. Errors name the entry (its `src`).
pub(super) fn files_layer(
    files: &[FileEntry],
    mtime: u64,
    reserved: &str,
) -> Result<(LayerBuilder, Vec<String>), BuildError> {
    let mut layer = LayerBuilder::new(mtime);
    let mut owners: BTreeMap<String, (usize, Written)> = BTreeMap::new();
    let mut contents = Vec::new();
    for (i, entry) in files.iter().enumerate() {
        let dst = check_dst(entry)?;
        let mut adder = Adder {
            entry,
            index: i,
            files,
            reserved,
            layer: &mut layer,
            owners: &mut owners,
            count: 0,
        };
        adder.add_root(&dst)?;
        let count = adder.count;
        contents.push(format!(
            "{} ({} from {})",
            entry.dst,
            plural(count, "file"),
            entry.src.display()
        ));
    }
    Ok((layer, contents))
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn entry_error(entry: &FileEntry, detail: String) -> BuildError {
    BuildError::Input {
        what: "files entry",
        path: entry.src.clone(),
        detail,
    }
}

/// `dst` as a layer path (no leading slash); "" for the root.
fn check_dst(entry: &FileEntry) -> Result<String, BuildError> {
    let dst = entry.dst.as_str();
    if !dst.starts_with('/') {
        return Err(entry_error(
            entry,
            format!("dst {dst:?} is not an absolute path in the image"),
        ));
    }
    let mut parts = Vec::new();
    for part in dst.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(entry_error(
                    entry,
                    format!("dst {dst:?} has '..': name the place in the image directly"),
                ))
            }
            p if p.contains('\0') => {
                return Err(entry_error(entry, format!("dst {dst:?} contains NUL")))
            }
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// Is `path` `dir` itself or inside it? ("" is the root, holding all.)
fn is_under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

struct Adder<'a> {
    entry: &'a FileEntry,
    index: usize,
    files: &'a [FileEntry],
    /// The binary's path, which no entry may replace.
    reserved: &'a str,
    layer: &'a mut LayerBuilder,
    owners: &'a mut BTreeMap<String, (usize, Written)>,
    count: usize,
}

impl Adder<'_> {
    fn err(&self, detail: String) -> BuildError {
        entry_error(self.entry, detail)
    }

    fn io_err(&self, path: &Path, e: &std::io::Error) -> BuildError {
        self.err(format!("{}: {e}", path.display()))
    }

    fn uid_gid(&self) -> (u32, u32) {
        (self.entry.uid.unwrap_or(0), self.entry.gid.unwrap_or(0))
    }

    /// The mode of a file: the entry's, or 0755 for an executable and 0644
    /// for the rest.
    fn file_mode(&self, host_mode: u32) -> u32 {
        match self.entry.mode {
            Some(m) => m & 0o7777,
            None if host_mode & 0o111 != 0 => 0o755,
            None => 0o644,
        }
    }

    /// The mode of a directory: the entry's with a search bit for each
    /// read bit, or 0755.
    fn dir_mode(&self) -> u32 {
        match self.entry.mode {
            Some(m) => {
                let m = m & 0o7777;
                m | ((m & 0o444) >> 2)
            }
            None => 0o755,
        }
    }

    /// Records that this entry writes `path`; two entries writing the same
    /// path (other than a directory both fill) is an error naming both.
    fn claim(&mut self, path: &str, kind: Written) -> Result<(), BuildError> {
        if path == self.reserved || (kind == Written::Other && is_under(self.reserved, path)) {
            return Err(self.err(format!(
                "/{path} would hide the binary at /{}",
                self.reserved
            )));
        }
        match self.owners.get(path) {
            Some(&(other, was)) if other != self.index && !(was == Written::Dir && kind == was) => {
                let theirs = self
                    .files
                    .get(other)
                    .map_or_else(String::new, |o| format!("{} → {}", o.src.display(), o.dst));
                Err(self.err(format!(
                    "/{path} is also written by the files entry {theirs}"
                )))
            }
            _ => {
                self.owners.insert(path.to_string(), (self.index, kind));
                Ok(())
            }
        }
    }

    fn add_root(&mut self, dst: &str) -> Result<(), BuildError> {
        let src = self.entry.src.clone();
        // The entry's own src is followed when it is a symlink: the user
        // named it.
        let meta = std::fs::metadata(&src).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                self.err("src does not exist".to_string())
            } else {
                self.io_err(&src, &e)
            }
        })?;
        if meta.is_dir() {
            if !dst.is_empty() {
                self.add_dir(dst)?;
            }
            self.walk(&src, &src, dst)
        } else if dst.is_empty() {
            Err(self.err(format!(
                "dst {:?} is the root, which a file cannot be",
                self.entry.dst
            )))
        } else {
            self.add_file(&src, &meta, dst)
        }
    }

    fn add_dir(&mut self, path: &str) -> Result<(), BuildError> {
        self.claim(path, Written::Dir)?;
        let (uid, gid) = self.uid_gid();
        let mode = self.dir_mode();
        let added = self.layer.dir(path, mode, uid, gid);
        added.map_err(|e| self.err(e.to_string()))
    }

    fn add_file(
        &mut self,
        src: &Path,
        meta: &std::fs::Metadata,
        path: &str,
    ) -> Result<(), BuildError> {
        let kind = meta.file_type();
        if !kind.is_file() {
            return Err(self.err(format!(
                "{} is {}: only regular files, directories and symlinks inside the tree can go into an image",
                src.display(),
                special_kind(&kind)
            )));
        }
        self.claim(path, Written::Other)?;
        let (uid, gid) = self.uid_gid();
        let mode = self.file_mode(meta.permissions().mode());
        let added = self.layer.file(
            path,
            FileData::Path(src.to_path_buf(), meta.len()),
            mode,
            uid,
            gid,
        );
        added.map_err(|e| self.err(e.to_string()))?;
        self.count += 1;
        Ok(())
    }

    /// Adds the contents of `dir` (inside the tree `root`) under `dst`, in
    /// name order.
    fn walk(&mut self, root: &Path, dir: &Path, dst: &str) -> Result<(), BuildError> {
        let mut children: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| self.io_err(dir, &e))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(|e| self.io_err(dir, &e))?;
        children.sort();
        for child in children {
            let Some(name) = child.file_name().and_then(|n| n.to_str()) else {
                return Err(self.err(format!(
                    "{}: the name is not UTF-8, which image paths must be",
                    child.display()
                )));
            };
            let path = if dst.is_empty() {
                name.to_string()
            } else {
                format!("{dst}/{name}")
            };
            let meta = std::fs::symlink_metadata(&child).map_err(|e| self.io_err(&child, &e))?;
            let kind = meta.file_type();
            if kind.is_symlink() {
                self.add_symlink(root, &child, &path)?;
            } else if kind.is_dir() {
                self.add_dir(&path)?;
                self.walk(root, &child, &path)?;
            } else {
                self.add_file(&child, &meta, &path)?;
            }
        }
        Ok(())
    }

    /// A symlink, kept as it is when its target stays inside `root`.
    fn add_symlink(&mut self, root: &Path, link: &Path, path: &str) -> Result<(), BuildError> {
        let target = std::fs::read_link(link).map_err(|e| self.io_err(link, &e))?;
        let Some(text) = target.to_str() else {
            return Err(self.err(format!(
                "the symlink {} points to a name that is not UTF-8",
                link.display()
            )));
        };
        let rel_dir = link
            .parent()
            .and_then(|p| p.strip_prefix(root).ok())
            .unwrap_or(Path::new(""));
        if !stays_inside(rel_dir, &target) {
            return Err(self.err(format!(
                "the symlink {} points to {text}, outside {}: copy the file instead, or list its target as a files entry",
                link.display(),
                root.display()
            )));
        }
        self.claim(path, Written::Other)?;
        let (uid, gid) = self.uid_gid();
        let added = self.layer.symlink(path, text, uid, gid);
        added.map_err(|e| self.err(e.to_string()))?;
        self.count += 1;
        Ok(())
    }
}

/// Does a link in `dir` (relative to the tree's root) pointing to `target`
/// resolve, lexically, inside the tree? Absolute targets never do: in the
/// image they would name the image's own files.
fn stays_inside(dir: &Path, target: &Path) -> bool {
    if target.is_absolute() || target.as_os_str().is_empty() {
        return false;
    }
    let mut depth: usize = dir
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .count();
    for c in target.components() {
        match c {
            std::path::Component::Normal(_) => depth += 1,
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            std::path::Component::RootDir | std::path::Component::Prefix(_) => return false,
        }
    }
    true
}

fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a fifo"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_char_device() {
        "a character device"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn entry(src: &Path, dst: &str) -> FileEntry {
        FileEntry {
            src: src.to_path_buf(),
            dst: dst.to_string(),
            mode: None,
            uid: None,
            gid: None,
        }
    }

    fn digest(files: &[FileEntry]) -> envelope_oci::Digest {
        let (layer, _) = files_layer(files, 0, "usr/local/bin/app").expect("layer");
        envelope_layer::tar_digest(&layer).expect("digest").0
    }

    /// (path, mode, uid, gid, type byte, link target) of each tar entry.
    fn listing(files: &[FileEntry]) -> Vec<(String, u32, u32, u32, u8, String)> {
        let (layer, _) = files_layer(files, 0, "usr/local/bin/app").expect("layer");
        let mut tar = Vec::new();
        layer.write_tar(&mut tar).expect("tar");
        let mut out = Vec::new();
        let mut at = 0;
        while at + 512 <= tar.len() && tar[at] != 0 {
            let h = &tar[at..at + 512];
            let field = |a: usize, b: usize| {
                String::from_utf8_lossy(&h[a..b])
                    .trim_end_matches(['\0', ' '])
                    .to_string()
            };
            let octal =
                |a: usize, b: usize| u32::from_str_radix(field(a, b).trim(), 8).expect("octal");
            let size = u64::from_str_radix(field(124, 136).trim(), 8).expect("size");
            let prefix = field(345, 500);
            let name = field(0, 100);
            let name = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            out.push((
                name,
                octal(100, 108),
                octal(108, 116),
                octal(116, 124),
                h[156],
                field(157, 257),
            ));
            at += 512 + usize::try_from(size.div_ceil(512) * 512).expect("size");
        }
        out
    }

    /// A small tree with nested directories, an executable, and a symlink
    /// that stays inside, made with `perm` as the host's permission bits.
    fn make_tree(root: &Path, seed: u64, perm: u32) {
        let mut x = seed;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..12 {
            let depth = next() % 3;
            let mut dir = root.to_path_buf();
            for d in 0..depth {
                dir.push(format!("d{}", (next() % 3) + d));
            }
            std::fs::create_dir_all(&dir).expect("mkdir");
            let file = dir.join(format!("f{i}.txt"));
            let len = usize::try_from(next() % 5000).expect("len");
            std::fs::write(&file, vec![b'a' + u8::try_from(i).expect("i"); len]).expect("write");
            let mode = if next() % 4 == 0 { 0o755 } else { perm };
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).expect("chmod");
        }
        std::fs::create_dir_all(root.join("links")).expect("mkdir");
        std::fs::write(root.join("links/target.txt"), "t").expect("write");
        symlink("target.txt", root.join("links/same-dir")).expect("symlink");
        symlink("../links/target.txt", root.join("links/up-and-back")).expect("symlink");
    }

    #[test]
    fn the_same_tree_in_two_places_gives_the_same_layer() {
        for seed in [1u64, 7, 42, 1234, 99_999] {
            let a = tempfile::tempdir().expect("tmp");
            let b = tempfile::tempdir().expect("tmp");
            // Different host permissions for non-executables and different
            // mtimes: neither may show in the layer.
            make_tree(a.path(), seed, 0o600);
            std::thread::sleep(std::time::Duration::from_millis(5));
            make_tree(b.path(), seed, 0o664);
            let da = digest(&[entry(a.path(), "/srv/static")]);
            let db = digest(&[entry(b.path(), "/srv/static")]);
            assert_eq!(da, db, "seed {seed}");
            // And the content matters: one byte more changes the digest.
            std::fs::write(b.path().join("links/target.txt"), "tt").expect("write");
            assert_ne!(da, digest(&[entry(b.path(), "/srv/static")]), "seed {seed}");
        }
    }

    #[test]
    fn owners_and_modes_default_to_root_and_read_only_and_can_be_set() {
        let tmp = tempfile::tempdir().expect("tmp");
        let root = tmp.path();
        std::fs::create_dir_all(root.join("sub")).expect("mkdir");
        std::fs::write(root.join("sub/page.html"), "<p>hi</p>").expect("write");
        std::fs::set_permissions(
            root.join("sub/page.html"),
            std::fs::Permissions::from_mode(0o666),
        )
        .expect("chmod");
        std::fs::write(root.join("run.sh"), "#!/bin/sh").expect("write");
        std::fs::set_permissions(root.join("run.sh"), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
        let got = listing(&[entry(root, "/srv/www")]);
        let want: Vec<(String, u32, u32, u32, u8, String)> = [
            ("srv/", 0o755, b'5'),
            ("srv/www/", 0o755, b'5'),
            ("srv/www/run.sh", 0o755, b'0'),
            ("srv/www/sub/", 0o755, b'5'),
            ("srv/www/sub/page.html", 0o644, b'0'),
        ]
        .iter()
        .map(|(p, m, t)| (p.to_string(), *m, 0, 0, *t, String::new()))
        .collect();
        assert_eq!(got, want);

        let mut e = entry(root, "/data");
        e.mode = Some(0o640);
        e.uid = Some(1000);
        e.gid = Some(2000);
        let got = listing(&[e]);
        let modes: Vec<(&str, u32, u32, u32)> = got
            .iter()
            .map(|(p, m, u, g, _, _)| (p.as_str(), *m, *u, *g))
            .collect();
        assert_eq!(
            modes,
            [
                ("data/", 0o750, 1000, 2000),
                ("data/run.sh", 0o640, 1000, 2000),
                ("data/sub/", 0o750, 1000, 2000),
                ("data/sub/page.html", 0o640, 1000, 2000),
            ]
        );

        // A single file, its parents made.
        let got = listing(&[entry(&root.join("run.sh"), "/opt/tools/run")]);
        let paths: Vec<&str> = got.iter().map(|l| l.0.as_str()).collect();
        assert_eq!(paths, ["opt/", "opt/tools/", "opt/tools/run"]);
    }

    #[test]
    fn symlinks_inside_the_tree_are_kept_and_others_refused() {
        let tmp = tempfile::tempdir().expect("tmp");
        let root = tmp.path().join("tree");
        make_tree(&root, 3, 0o644);
        let got = listing(&[entry(&root, "/t")]);
        let link = got
            .iter()
            .find(|l| l.0 == "t/links/up-and-back")
            .expect("link kept");
        assert_eq!((link.4, link.5.as_str()), (b'2', "../links/target.txt"));

        for (name, target) in [
            ("abs", "/etc/passwd"),
            ("escape", "../../outside"),
            ("sneaky", "a/../../../x"),
        ] {
            let dir = tempfile::tempdir().expect("tmp");
            std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
            symlink(target, dir.path().join("sub").join(name)).expect("symlink");
            let err = files_layer(&[entry(dir.path(), "/x")], 0, "usr/local/bin/app")
                .expect_err("refused");
            let text = err.to_string();
            assert!(
                text.contains(name) && text.contains(target) && text.contains("outside"),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_entries_are_errors_naming_the_entry() {
        let tmp = tempfile::tempdir().expect("tmp");
        let root = tmp.path();
        std::fs::write(root.join("a.txt"), "a").expect("write");
        std::fs::create_dir(root.join("dir")).expect("mkdir");
        std::fs::write(root.join("dir/a.txt"), "other").expect("write");
        let fifo = root.join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());

        let cases: Vec<(Vec<FileEntry>, &str)> = vec![
            (vec![entry(&root.join("missing"), "/m")], "does not exist"),
            (
                vec![entry(&root.join("a.txt"), "srv/a")],
                "not an absolute path",
            ),
            (vec![entry(&root.join("a.txt"), "/srv/../a")], "'..'"),
            (vec![entry(&fifo, "/p")], "a fifo"),
            (
                vec![
                    entry(&root.join("a.txt"), "/srv/a.txt"),
                    entry(&root.join("dir"), "/srv"),
                ],
                "also written by the files entry",
            ),
            (
                vec![entry(&root.join("a.txt"), "/usr/local/bin/app")],
                "hide the binary",
            ),
            (
                vec![entry(&root.join("a.txt"), "/usr/local")],
                "hide the binary",
            ),
            (
                vec![
                    entry(&root.join("a.txt"), "/srv/f"),
                    entry(&root.join("a.txt"), "/srv/f/g"),
                ],
                "files entry",
            ),
            (vec![entry(&root.join("a.txt"), "/")], "root"),
        ];
        for (files, want) in cases {
            let err = files_layer(&files, 0, "usr/local/bin/app")
                .err()
                .unwrap_or_else(|| panic!("{files:?} accepted"));
            let text = err.to_string();
            let last = files.last().expect("entry");
            assert!(text.contains(want), "{text}");
            assert!(
                text.starts_with(&format!("files entry {}", last.src.display())),
                "{text}"
            );
        }
        // The fifo inside a directory is refused too.
        let err = files_layer(&[entry(root, "/all")], 0, "usr/local/bin/app").expect_err("refused");
        assert!(err.to_string().contains("pipe is a fifo"), "{err}");
    }

    #[test]
    fn a_directory_at_the_root_adds_its_contents() {
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::create_dir(tmp.path().join("etc")).expect("mkdir");
        std::fs::write(tmp.path().join("etc/app.conf"), "x=1").expect("write");
        let got = listing(&[entry(tmp.path(), "/")]);
        let paths: Vec<&str> = got.iter().map(|l| l.0.as_str()).collect();
        assert_eq!(paths, ["etc/", "etc/app.conf"]);
    }

    #[test]
    fn link_targets_are_judged_lexically() {
        assert!(stays_inside(Path::new(""), Path::new("a/b")));
        assert!(stays_inside(Path::new("a"), Path::new("../b")));
        assert!(!stays_inside(Path::new("a"), Path::new("../../b")));
        assert!(!stays_inside(Path::new(""), Path::new("/abs")));
        assert!(!stays_inside(Path::new(""), Path::new("")));
        assert!(stays_inside(Path::new("a/b"), Path::new("./../c/../d")));
    }
}
