//! A Go module proxy on disk (`GOPROXY=file://...`), so tests can build Go
//! programs with real dependencies, and real `dep` lines with h1: sums in
//! their build info, without a network.
//!
//! For module M at version V the proxy holds `M/@v/list`, `M/@v/V.info`,
//! `M/@v/V.mod` and `M/@v/V.zip`, with M and V in Go's case escaping
//! (`!x` for an upper-case `X`). The zip holds the module's files under
//! `M@V/` and no directory entries: Go's h1: hash of a zip counts every
//! entry, its hash of the unpacked module only files, and the two must agree.
//!
//! [`deps_app`] builds on it: the committed program
//! `tests/fixtures/depsapp` (module `example.com/depsapp`), whose
//! dependencies the proxy serves.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{go_dir, gocache, ok, repo_root, tempdir};

/// CRC-32 (IEEE 802.3, reflected, as zip uses it).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// A zip archive of `files` (name, content), stored uncompressed, in the
/// given order, with a fixed time (1980-01-01 00:00) and no directory
/// entries.
pub fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    const DOS_TIME: u16 = 0;
    const DOS_DATE: u16 = (1 << 5) | 1; // 1980-01-01
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        assert!(!name.ends_with('/'), "no directory entries: {name}");
        let offset = u32::try_from(out.len()).expect("zip under 4 GiB");
        let size = u32::try_from(data.len()).expect("file under 4 GiB");
        let name_len = u16::try_from(name.len()).expect("short name");
        let crc = crc32(data);
        // Local file header.
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&0u16.to_le_bytes()); // flags
        out.extend_from_slice(&0u16.to_le_bytes()); // method: stored
        out.extend_from_slice(&DOS_TIME.to_le_bytes());
        out.extend_from_slice(&DOS_DATE.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes()); // compressed
        out.extend_from_slice(&size.to_le_bytes()); // uncompressed
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra length
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        // Central directory entry.
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        central.extend_from_slice(&20u16.to_le_bytes()); // version needed
        central.extend_from_slice(&0u16.to_le_bytes()); // flags
        central.extend_from_slice(&0u16.to_le_bytes()); // method
        central.extend_from_slice(&DOS_TIME.to_le_bytes());
        central.extend_from_slice(&DOS_DATE.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes()); // extra length
        central.extend_from_slice(&0u16.to_le_bytes()); // comment length
        central.extend_from_slice(&0u16.to_le_bytes()); // disk number
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let count = u16::try_from(files.len()).expect("under 65536 files");
    let cd_offset = u32::try_from(out.len()).expect("zip under 4 GiB");
    let cd_size = u32::try_from(central.len()).expect("zip under 4 GiB");
    out.extend_from_slice(&central);
    // End of central directory.
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // this disk
    out.extend_from_slice(&0u16.to_le_bytes()); // disk with the directory
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out
}

/// Go's case escaping of a module path or version for the proxy protocol
/// and the module cache: each upper-case letter becomes `!` and its
/// lower-case form (`example.com/Shout` is `example.com/!shout`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A file GOPROXY in a temporary directory, with its own module cache.
pub struct GoProxy {
    /// The proxy's root: `GOPROXY=file://<dir>`.
    pub dir: PathBuf,
    /// The module cache (`GOMODCACHE`) builds through this proxy use.
    pub modcache: PathBuf,
    tmp: tempfile::TempDir,
}

impl Default for GoProxy {
    fn default() -> Self {
        Self::new()
    }
}

impl GoProxy {
    /// An empty proxy.
    pub fn new() -> GoProxy {
        let tmp = tempdir();
        let dir = tmp.path().join("proxy");
        let modcache = tmp.path().join("modcache");
        std::fs::create_dir_all(&dir).expect("proxy dir");
        GoProxy { dir, modcache, tmp }
    }

    /// The temporary directory holding the proxy and the module cache;
    /// other scratch files may go here too.
    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// Publishes module `path` at `version` with `files` (path in the
    /// module, content), which should include its `go.mod` (without one,
    /// the `.mod` file is `module <path>`). Writes `.info`, `.mod` and
    /// `.zip`, and adds the version to `list`.
    pub fn module(&self, path: &str, version: &str, files: &[(&str, &str)]) {
        let at_v = self.dir.join(escape(path)).join("@v");
        std::fs::create_dir_all(&at_v).expect("@v dir");
        let base = escape(version);
        let info = format!(r#"{{"Version":"{version}","Time":"2024-01-01T00:00:00Z"}}"#);
        std::fs::write(at_v.join(format!("{base}.info")), info).expect("write .info");
        let go_mod = files
            .iter()
            .find(|(name, _)| *name == "go.mod")
            .map_or_else(|| format!("module {path}\n"), |(_, c)| c.to_string());
        std::fs::write(at_v.join(format!("{base}.mod")), go_mod).expect("write .mod");
        let names: Vec<String> = files
            .iter()
            .map(|(name, _)| format!("{path}@{version}/{name}"))
            .collect();
        let entries: Vec<(&str, &[u8])> = names
            .iter()
            .zip(files)
            .map(|(name, (_, content))| (name.as_str(), content.as_bytes()))
            .collect();
        std::fs::write(at_v.join(format!("{base}.zip")), zip(&entries)).expect("write .zip");
        let list = at_v.join("list");
        let mut versions = std::fs::read_to_string(&list).unwrap_or_default();
        if !versions.lines().any(|v| v == version) {
            versions.push_str(version);
            versions.push('\n');
            std::fs::write(&list, versions).expect("write list");
        }
    }

    /// The environment for `go` to use this proxy and nothing else: no
    /// checksum database, no private or direct paths, no workspace, the
    /// local toolchain, and this proxy's module cache (writable, so the
    /// temporary directory can be removed).
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("GOPROXY", format!("file://{}", self.dir.display())),
            ("GOSUMDB", "off".into()),
            ("GONOSUMDB", String::new()),
            ("GONOSUMCHECK", String::new()),
            ("GOPRIVATE", String::new()),
            ("GONOPROXY", String::new()),
            ("GOINSECURE", String::new()),
            ("GOFLAGS", "-mod=mod -modcacherw".into()),
            ("GOTOOLCHAIN", "local".into()),
            ("GOWORK", "off".into()),
            ("GOMODCACHE", self.modcache.display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// `go <args>` in `cwd` with this proxy's environment and the tests'
    /// shared build cache.
    pub fn go(&self, cwd: &Path) -> Command {
        let mut cmd = Command::new(go_dir().join("go"));
        cmd.current_dir(cwd).env("GOCACHE", gocache());
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        cmd
    }
}

/// A module to publish: path, version and files (path in the module, content).
pub type Module = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The modules `tests/fixtures/depsapp` depends on, as (path, version,
/// files). `example.com/oldlog v1.0.0` is replaced by
/// `example.com/newlog v1.1.0`, whose go.mod declares `example.com/newlog`.
pub const DEPS_MODULES: &[Module] = &[
    (
        "example.com/greet",
        "v1.2.3",
        &[
            ("go.mod", "module example.com/greet\n\ngo 1.21\n"),
            (
                "greet.go",
                "// Package greet says hello.\npackage greet\n\n\
                 const Version = \"greet v1.2.3\"\n\n\
                 func Hello(name string) string { return \"Hello, \" + name + \"!\" }\n",
            ),
            ("LICENSE", "Public domain.\n"),
        ],
    ),
    (
        "example.com/color",
        "v0.4.0",
        &[
            (
                "go.mod",
                "module example.com/color\n\ngo 1.21\n\nrequire example.com/ansi v0.1.0\n",
            ),
            (
                "color.go",
                "// Package color paints text.\npackage color\n\n\
                 import \"example.com/ansi\"\n\n\
                 const Version = \"color v0.4.0\"\n\n\
                 func Red(s string) string { return ansi.Wrap(31, s) }\n",
            ),
        ],
    ),
    (
        "example.com/ansi",
        "v0.1.0",
        &[
            ("go.mod", "module example.com/ansi\n\ngo 1.21\n"),
            (
                "ansi.go",
                "// Package ansi writes terminal escape sequences.\npackage ansi\n\n\
                 import \"strconv\"\n\n\
                 func Wrap(code int, s string) string {\n\
                 \treturn \"\\x1b[\" + strconv.Itoa(code) + \"m\" + s + \"\\x1b[0m\"\n}\n",
            ),
        ],
    ),
    (
        "example.com/Shout",
        "v0.2.0",
        &[
            ("go.mod", "module example.com/Shout\n\ngo 1.21\n"),
            (
                "shout.go",
                "// Package shout raises its voice.\npackage shout\n\n\
                 import \"strings\"\n\n\
                 const Version = \"Shout v0.2.0\"\n\n\
                 func Loud(s string) string { return strings.ToUpper(s) }\n",
            ),
        ],
    ),
    (
        "example.com/oldlog",
        "v1.0.0",
        &[
            ("go.mod", "module example.com/oldlog\n\ngo 1.21\n"),
            (
                "log.go",
                "// Package oldlog prints lines.\npackage oldlog\n\n\
                 import \"fmt\"\n\n\
                 const Version = \"oldlog v1.0.0\"\n\n\
                 func Print(s string) { fmt.Println(\"oldlog: \" + s) }\n",
            ),
        ],
    ),
    (
        "example.com/newlog",
        "v1.1.0",
        &[
            ("go.mod", "module example.com/newlog\n\ngo 1.21\n"),
            (
                "log.go",
                "// Package oldlog prints lines (example.com/newlog, which\n\
                 // replaces example.com/oldlog).\npackage oldlog\n\n\
                 import \"fmt\"\n\n\
                 const Version = \"newlog v1.1.0\"\n\n\
                 func Print(s string) { fmt.Println(\"newlog: \" + s) }\n",
            ),
        ],
    ),
];

/// The committed main module of [`deps_app`].
pub fn deps_app_fixture() -> PathBuf {
    repo_root().join("crates/envelope/tests/fixtures/depsapp")
}

/// A copy of `tests/fixtures/depsapp` with a proxy serving its
/// dependencies, and its go.sum filled in (`go mod tidy`), ready to build.
pub struct DepsApp {
    pub proxy: GoProxy,
    /// The main module's directory (go.mod, go.sum, main.go).
    pub src: PathBuf,
}

/// Sets up [`DepsApp`]: publishes [`DEPS_MODULES`], copies the fixture
/// into the proxy's temporary directory and runs `go mod tidy` there, which
/// downloads the modules and writes go.sum. Each call has its own proxy and
/// module cache; the build cache is the tests' shared one.
pub fn deps_app() -> DepsApp {
    let proxy = GoProxy::new();
    for (path, version, files) in DEPS_MODULES {
        proxy.module(path, version, files);
    }
    let src = proxy.root().join("depsapp");
    std::fs::create_dir_all(&src).expect("depsapp dir");
    for name in ["go.mod", "main.go"] {
        std::fs::copy(deps_app_fixture().join(name), src.join(name))
            .unwrap_or_else(|e| panic!("copy {name}: {e}"));
    }
    ok(proxy.go(&src).args(["mod", "tidy"]));
    DepsApp { proxy, src }
}

impl DepsApp {
    /// `envelope` run in the program's directory with the proxy's
    /// environment and a cache of its own.
    #[allow(dead_code)]
    pub fn envelope(&self) -> Command {
        let mut cmd = super::envelope(&self.src, &self.proxy.root().join("cache"));
        cmd.envs(self.proxy.env());
        cmd
    }

    /// `go build` of the program into `out` for `goos`/`goarch`, with extra
    /// environment `env` (e.g. `CGO_ENABLED=0`) and flags `flags` (e.g.
    /// `-trimpath`, `-ldflags=-s -w`). Panics if the build fails.
    pub fn build(
        &self,
        out: &Path,
        goos: &str,
        goarch: &str,
        env: &[(&str, &str)],
        flags: &[&str],
    ) {
        let mut cmd = self.proxy.go(&self.src);
        cmd.env("GOOS", goos).env("GOARCH", goarch);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.arg("build").args(flags).arg("-o").arg(out).arg(".");
        ok(&mut cmd);
    }
}

/// `go version -m <bin>`: the binary's build info as Go prints it.
pub fn go_version_m(bin: &Path) -> String {
    ok(Command::new(go_dir().join("go"))
        .env("GOTOOLCHAIN", "local")
        .args(["version", "-m"])
        .arg(bin))
}
