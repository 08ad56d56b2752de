//! What an SBOM (and a vulnerability scan) reads from an image: while the
//! layers stream through envelope-layer's indexer, [`BinaryCollector`]
//! keeps every executable of the final filesystem that a reader makes
//! something of (a Go binary), and the package databases and os-release
//! files [`crate::os`] parses. Opening the image is the caller's business.
//!
//! Both have limits: executables over 512 MiB and package databases over
//! 64 MiB (256 MiB in all) are not read; they are listed in
//! [`BinaryCollector::warnings`] instead.

use std::collections::BTreeMap;
use std::io::Read;

use envelope_layer::fs::{ContentVisitor, Node};
use sha2::{Digest as _, Sha256};

use crate::{GoBinary, Module, OsPackage};

/// Go binaries larger than this are not read (none comes near it).
const MAX_BINARY: u64 = 512 << 20;
/// Package databases larger than this are not read.
const MAX_DB: u64 = 64 << 20;
/// Nor more than this of them in all (distroless keeps one file per package).
const MAX_DB_TOTAL: u64 = 256 << 20;

const DPKG_STATUS: &str = "/var/lib/dpkg/status";
const DPKG_STATUS_D: &str = "/var/lib/dpkg/status.d/";
const APK_INSTALLED: &str = "/lib/apk/db/installed";
const OS_RELEASE: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];

/// Reads one executable's bytes into what a command needs of it; None
/// when it is not a Go binary.
pub type BinaryReader<T> = fn(&str, &[u8]) -> Result<Option<T>, envelope_golang::Error>;

/// Collects, while the layers stream by, what `read` makes of every Go
/// binary of the final filesystem, and the package databases.
pub struct BinaryCollector<T> {
    /// What `read` made of each Go binary, by path.
    pub binaries: BTreeMap<String, T>,
    /// Package database files and os-release, by path.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Files that could not be read as a binary, with why.
    pub warnings: Vec<String>,
    read: BinaryReader<T>,
}

impl<T> BinaryCollector<T> {
    /// A collector that reads each executable with `read`.
    pub fn new(read: BinaryReader<T>) -> Self {
        BinaryCollector {
            binaries: BTreeMap::new(),
            files: BTreeMap::new(),
            warnings: Vec::new(),
            read,
        }
    }
}

/// The SBOM's collector: build info and SHA-256 of each Go binary.
pub type SbomCollector = BinaryCollector<GoBinary>;

fn is_db_path(path: &str) -> bool {
    path == DPKG_STATUS
        || path == APK_INSTALLED
        || OS_RELEASE.contains(&path)
        || path.strip_prefix(DPKG_STATUS_D).is_some_and(|rest| {
            !rest.is_empty() && !rest.contains('/') && !rest.ends_with(".md5sums")
        })
}

/// ELF, PE (MZ) or Mach-O (either byte order, 32 or 64 bit).
fn is_executable_magic(m: &[u8; 4]) -> bool {
    m == b"\x7fELF"
        || m[..2] == *b"MZ"
        || matches!(
            u32::from_le_bytes(*m),
            0xfeed_face | 0xfeed_facf | 0xcefa_edfe | 0xcffa_edfe
        )
}

impl<T> ContentVisitor for BinaryCollector<T> {
    fn wants(&mut self, path: &str, node: &Node) -> bool {
        (is_db_path(path) && node.size <= MAX_DB) || node.size >= 64
    }

    fn superseded(&mut self, path: &str) {
        self.binaries.remove(path);
        self.files.remove(path);
    }

    fn visit(&mut self, path: &str, node: &Node, data: &mut dyn Read) -> std::io::Result<()> {
        if is_db_path(path) {
            let kept: u64 = self.files.values().map(|b| b.len() as u64).sum();
            if node.size > MAX_DB || kept.saturating_add(node.size) > MAX_DB_TOTAL {
                self.warnings.push(format!(
                    "{path}: a {} byte package database, more than envelope reads ({MAX_DB} bytes per file, {MAX_DB_TOTAL} in all): its packages are not listed",
                    node.size
                ));
                return Ok(());
            }
            let mut bytes = Vec::new();
            data.take(MAX_DB).read_to_end(&mut bytes)?;
            self.files.insert(path.to_string(), bytes);
            return Ok(());
        }
        let mut magic = [0u8; 4];
        data.read_exact(&mut magic)?;
        if !self.is_binary(path, node, &magic) {
            return Ok(());
        }
        let mut bytes = Vec::with_capacity(usize::try_from(node.size).unwrap_or(0));
        bytes.extend_from_slice(&magic);
        data.take(node.size).read_to_end(&mut bytes)?;
        self.read_binary(path, &bytes);
        Ok(())
    }

    fn visit_bytes(&mut self, path: &str, node: &Node, bytes: &[u8]) -> std::io::Result<()> {
        if is_db_path(path) {
            return self.visit(path, node, &mut &bytes[..]);
        }
        match bytes.first_chunk::<4>() {
            Some(magic) if self.is_binary(path, node, magic) => self.read_binary(path, bytes),
            Some(_) => {}
            // As `visit`'s read_exact: a file shorter than its magic.
            None => return Err(std::io::ErrorKind::UnexpectedEof.into()),
        }
        Ok(())
    }
}

impl<T> BinaryCollector<T> {
    /// Whether a file starting with `magic` is an executable to read; one
    /// too large for that is named in the warnings.
    fn is_binary(&mut self, path: &str, node: &Node, magic: &[u8; 4]) -> bool {
        if !is_executable_magic(magic) {
            return false;
        }
        if node.size > MAX_BINARY {
            self.warnings.push(format!(
                "{path}: {} bytes, larger than a binary envelope reads",
                node.size
            ));
            return false;
        }
        true
    }

    fn read_binary(&mut self, path: &str, bytes: &[u8]) {
        match (self.read)(path, bytes) {
            Ok(Some(b)) => {
                self.binaries.insert(path.to_string(), b);
            }
            Ok(None) => {}
            Err(e) => self.warnings.push(format!("{path}: {e}")),
        }
    }
}

impl<T> BinaryCollector<T> {
    /// The OS packages of the collected databases.
    pub fn os_packages(&self) -> Vec<OsPackage> {
        let text = |p: &str| self.files.get(p).map(|b| String::from_utf8_lossy(b));
        let distro = OS_RELEASE
            .iter()
            .find_map(|p| text(p))
            .and_then(|t| crate::os::distro_id(&t));
        let mut out = Vec::new();
        if let Some(t) = text(DPKG_STATUS) {
            out.extend(crate::os::parse_dpkg_status(&t, distro.as_deref()));
        }
        for (p, b) in &self.files {
            if p.starts_with(DPKG_STATUS_D) {
                out.extend(crate::os::parse_dpkg_status_d(
                    &String::from_utf8_lossy(b),
                    distro.as_deref(),
                ));
            }
        }
        if let Some(t) = text(APK_INSTALLED) {
            out.extend(crate::os::parse_apk_installed(&t, distro.as_deref()));
        }
        out
    }
}

fn module(m: &envelope_golang::Module) -> Module {
    Module {
        path: m.path.clone(),
        version: m.version.clone(),
        sum: m.sum.clone(),
        replace: m.replace.as_deref().map(|r| Box::new(module(r))),
    }
}

/// The SBOM view of one binary: None when it has no Go build info.
pub fn go_binary(path: &str, data: &[u8]) -> Result<Option<GoBinary>, envelope_golang::Error> {
    Ok(envelope_golang::buildinfo::read(data)?.map(|info| go_binary_of(path, data, &info)))
}

/// The SBOM view of one binary whose build info `info` was read already.
pub fn go_binary_of(path: &str, data: &[u8], info: &envelope_golang::BuildInfo) -> GoBinary {
    let main = match &info.main {
        Some(m) => module(m),
        // No `mod` line: a program built from a source tree that is not a
        // versioned module (the Go toolchain's own cmd/ tools, GOPATH
        // mode). Its package path names it; like a main module built from
        // a checkout, it has no version: (devel).
        None => Module {
            path: info.path.clone(),
            version: "(devel)".to_string(),
            sum: None,
            replace: None,
        },
    };
    GoBinary {
        path: path.to_string(),
        sha256: Some(hex::encode(Sha256::digest(data))),
        go_version: info.go_version.clone(),
        main,
        deps: info.deps.iter().map(module).collect(),
        settings: info.settings.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::sync::Arc;

    use envelope_layer::fs::{index_layers, LayerInput, Limits};
    use envelope_layer::{FileData, LayerBuilder};

    use super::*;
    use crate::Ecosystem;

    /// A stand-in for a binary reader: the file's length for an
    /// executable holding `go`, an error for one holding `broken`,
    /// nothing for the rest.
    fn read(_path: &str, data: &[u8]) -> Result<Option<usize>, envelope_golang::Error> {
        let has = |w: &[u8]| data.windows(w.len()).any(|x| x == w);
        if has(b"broken") {
            return Err(envelope_golang::Error::NoPclntab);
        }
        Ok(has(b"go").then_some(data.len()))
    }

    fn exe(magic: &[u8], tag: &[u8]) -> Vec<u8> {
        let mut v = magic.to_vec();
        v.extend_from_slice(tag);
        v.resize(200, 0);
        v
    }

    fn layer(files: &[(&str, Vec<u8>)]) -> LayerInput {
        let mut b = LayerBuilder::new(0);
        for (path, data) in files {
            b.file(path, FileData::Bytes(Arc::new(data.clone())), 0o755, 0, 0)
                .expect("add a file");
        }
        let mut tar = Vec::new();
        b.write_tar(&mut tar).expect("write the tar");
        LayerInput::new(Cursor::new(tar), None)
    }

    fn collect(layers: Vec<LayerInput>) -> BinaryCollector<usize> {
        let mut c = BinaryCollector::new(read);
        index_layers(layers, &mut c, &Limits::default()).expect("index the layers");
        c
    }

    const STATUS: &str =
        "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64\n";

    #[test]
    fn keeps_the_go_binaries_and_package_databases_of_the_final_filesystem() {
        let c = collect(vec![
            layer(&[
                ("bin/elf", exe(b"\x7fELF", b"go")),
                ("bin/replaced", exe(b"\x7fELF", b"go")),
                ("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n".to_vec()),
                ("var/lib/dpkg/status", STATUS.as_bytes().to_vec()),
            ]),
            layer(&[
                (
                    "bin/replaced",
                    b"#!/bin/sh\necho this is not a binary go go go".repeat(4),
                ),
                ("bin/pe", exe(b"MZ\x90\x00", b"go")),
                ("bin/macho", exe(&0xfeed_facf_u32.to_le_bytes(), b"go")),
                ("bin/c", exe(b"\x7fELF", b"plain C")),
                ("bin/tiny", b"\x7fELFgo".to_vec()),
                ("bin/bad", exe(b"\x7fELF", b"broken")),
                ("usr/share/doc/go.txt", b"go ".repeat(40)),
            ]),
        ]);
        let paths: Vec<&str> = c.binaries.keys().map(String::as_str).collect();
        assert_eq!(paths, ["/bin/elf", "/bin/macho", "/bin/pe"]);
        assert_eq!(c.binaries.get("/bin/elf"), Some(&200));
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].starts_with("/bin/bad: "), "{:?}", c.warnings);
        let files: Vec<&str> = c.files.keys().map(String::as_str).collect();
        assert_eq!(files, ["/etc/os-release", "/var/lib/dpkg/status"]);
        let os = c.os_packages();
        assert_eq!(os.len(), 1, "{os:?}");
        assert_eq!(os[0].name, "libc6");
        assert_eq!(os[0].ecosystem, Ecosystem::Deb);
        assert_eq!(os[0].distro.as_deref(), Some("debian-12"));
    }

    /// Two collectors fed by one read (each given the bytes in memory)
    /// keep what one collector alone keeps.
    #[test]
    fn two_collectors_fed_by_one_read_keep_what_one_keeps() {
        let layers = || {
            vec![
                layer(&[
                    ("bin/elf", exe(b"\x7fELF", b"go")),
                    ("bin/bad", exe(b"\x7fELF", b"broken")),
                    ("bin/c", exe(b"\x7fELF", b"plain C")),
                    ("var/lib/dpkg/status", STATUS.as_bytes().to_vec()),
                ]),
                layer(&[("bin/pe", exe(b"MZ\x90\x00", b"go"))]),
            ]
        };
        let alone = collect(layers());
        let (mut a, mut b) = (BinaryCollector::new(read), BinaryCollector::new(read));
        index_layers(
            layers(),
            &mut envelope_layer::Both::new(&mut a, &mut b),
            &Limits::default(),
        )
        .expect("index the layers");
        for c in [&a, &b] {
            assert_eq!(c.binaries, alone.binaries);
            assert_eq!(c.files, alone.files);
            assert_eq!(c.warnings, alone.warnings);
        }
        assert_eq!(alone.binaries.len(), 2, "{:?}", alone.binaries);
        assert_eq!(alone.files.len(), 1);
    }

    #[test]
    fn a_replaced_database_is_forgotten() {
        // A later layer that turns the status file into a directory.
        let c = collect(vec![
            layer(&[("var/lib/dpkg/status", STATUS.as_bytes().to_vec())]),
            layer(&[("var/lib/dpkg/status/x", b"not a database".to_vec())]),
        ]);
        assert!(c.files.is_empty(), "{:?}", c.files.keys());
        assert!(c.os_packages().is_empty());
    }

    #[test]
    fn database_paths() {
        assert!(is_db_path("/var/lib/dpkg/status"));
        assert!(is_db_path("/var/lib/dpkg/status.d/libc6"));
        assert!(!is_db_path("/var/lib/dpkg/status.d/libc6.md5sums"));
        assert!(!is_db_path("/var/lib/dpkg/status.d/"));
        assert!(!is_db_path("/var/lib/dpkg/status.d/a/b"));
        assert!(is_db_path("/lib/apk/db/installed"));
        assert!(is_db_path("/usr/lib/os-release"));
        assert!(!is_db_path("/etc/passwd"));
    }

    #[test]
    fn executable_magic() {
        assert!(is_executable_magic(b"\x7fELF"));
        assert!(is_executable_magic(b"MZ\0\0"));
        for m in [0xfeed_face_u32, 0xfeed_facf, 0xcefa_edfe, 0xcffa_edfe] {
            assert!(is_executable_magic(&m.to_le_bytes()), "{m:x}");
        }
        assert!(!is_executable_magic(b"#!/b"));
        assert!(!is_executable_magic(b"\0\0\0\0"));
    }
}
