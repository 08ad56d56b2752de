//! envelope.toml's `[build]` table and its per-image tables: the settings
//! of each image, where each value came from, and the ldflags templates.
//!
//! ```toml
//! [build]                      # defaults for every image
//! package = "./..."            # what `envelope build` builds when given nothing
//! base = "cgr.dev/chainguard/static@sha256:..."
//! platforms = ["linux/amd64", "linux/arm64"]
//! ldflags = "-X main.commit={{.Git.FullCommit}}"
//! labels = { "org.opencontainers.image.vendor" = "Example" }
//!
//! [build.images.api]           # the image named api
//! package = "./cmd/api"        # default: the main package whose binary is named api
//! ports = ["8080/tcp"]
//! env = { LOG_LEVEL = "info" }
//! files = [{ src = "static/", dst = "/srv/static", mode = "0644", owner = "0:0" }]
//! ```
//!
//! Precedence: the command line, then the image's table, then `[build]`,
//! then the defaults. Scalars and lists are replaced whole; `env` and
//! `labels` merge key by key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use envelope_build::FileEntry;
use serde::Deserialize;
use toml::Spanned;

pub mod ko;
pub mod template;

pub use template::{GitInfo, TemplateData, TemplateError};

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// envelope's own default.
    Default,
    /// A table of a file: `envelope.toml:12:9 [build.images.api]`.
    File {
        file: String,
        line: usize,
        column: usize,
        table: String,
    },
    /// A command-line flag, e.g. `--port`.
    Flag(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File {
                file,
                line,
                column,
                table,
            } => write!(f, "{file}:{line}:{column} [{table}]"),
            Source::Flag(flag) => f.write_str(flag),
        }
    }
}

impl Source {
    /// `file:line:column` for error messages (the flag for a flag).
    pub fn location(&self) -> String {
        match self {
            Source::Default => "default".to_string(),
            Source::File {
                file, line, column, ..
            } => format!("{file}:{line}:{column}"),
            Source::Flag(flag) => flag.clone(),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

/// `--file SRC:DST`, relative to `cwd`.
pub fn parse_file_flag(given: &str, cwd: &Path) -> Result<FileEntry, String> {
    let (src, dst) = given
        .rsplit_once(':')
        .filter(|(s, d)| !s.is_empty() && !d.is_empty())
        .ok_or_else(|| format!("bad --file {given:?}: expected SRC:DST"))?;
    check_dst(dst).map_err(|e| format!("bad --file {given:?}: {e}"))?;
    Ok(FileEntry {
        src: cwd.join(src),
        dst: dst.to_string(),
        mode: None,
        uid: None,
        gid: None,
    })
}

/// One layer of settings: the command line, an image's table or `[build]`.
/// Unset fields are left to the layers below.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layer {
    pub package: Option<Setting<String>>,
    pub base: Option<Setting<String>>,
    pub platforms: Option<Setting<Vec<String>>>,
    pub ldflags: Option<Setting<String>>,
    pub gcflags: Option<Setting<String>>,
    pub tags: Option<Setting<String>>,
    /// Go's settings for `go build` (GOEXPERIMENT, ...), templated.
    pub go_env: BTreeMap<String, Setting<String>>,
    pub labels: BTreeMap<String, Setting<String>>,
    /// Manifest annotations.
    pub annotations: BTreeMap<String, Setting<String>>,
    pub env: BTreeMap<String, Setting<String>>,
    pub ports: Option<Setting<Vec<String>>>,
    pub args: Option<Setting<Vec<String>>>,
    pub user: Option<Setting<String>>,
    pub workdir: Option<Setting<String>>,
    pub entrypoint: Option<Setting<Vec<String>>>,
    pub ca_certs: Option<Setting<String>>,
    pub tzdata: Option<Setting<String>>,
    pub compression: Option<Setting<String>>,
    pub sbom: Option<Setting<String>>,
    pub files: Option<Setting<Vec<FileEntry>>>,
}

/// One line of `--explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    /// The key as written in envelope.toml (`env.LOG_LEVEL` for a map entry).
    pub key: String,
    pub value: String,
    pub source: Source,
}

impl Layer {
    /// This layer over `lower`: each field set here wins; `env` and
    /// `labels` merge by key.
    pub fn over(&self, lower: &Layer) -> Layer {
        fn pick<T: Clone>(a: &Option<Setting<T>>, b: &Option<Setting<T>>) -> Option<Setting<T>> {
            a.clone().or_else(|| b.clone())
        }
        let merge = |a: &BTreeMap<String, Setting<String>>,
                     b: &BTreeMap<String, Setting<String>>| {
            let mut m = b.clone();
            m.extend(a.iter().map(|(k, v)| (k.clone(), v.clone())));
            m
        };
        Layer {
            package: pick(&self.package, &lower.package),
            base: pick(&self.base, &lower.base),
            platforms: pick(&self.platforms, &lower.platforms),
            ldflags: pick(&self.ldflags, &lower.ldflags),
            gcflags: pick(&self.gcflags, &lower.gcflags),
            tags: pick(&self.tags, &lower.tags),
            go_env: merge(&self.go_env, &lower.go_env),
            labels: merge(&self.labels, &lower.labels),
            annotations: merge(&self.annotations, &lower.annotations),
            env: merge(&self.env, &lower.env),
            ports: pick(&self.ports, &lower.ports),
            args: pick(&self.args, &lower.args),
            user: pick(&self.user, &lower.user),
            workdir: pick(&self.workdir, &lower.workdir),
            entrypoint: pick(&self.entrypoint, &lower.entrypoint),
            ca_certs: pick(&self.ca_certs, &lower.ca_certs),
            tzdata: pick(&self.tzdata, &lower.tzdata),
            compression: pick(&self.compression, &lower.compression),
            sbom: pick(&self.sbom, &lower.sbom),
            files: pick(&self.files, &lower.files),
        }
    }

    /// Every setting with its value and source, in a fixed order; unset
    /// ones show envelope's default.
    pub fn explain(&self) -> Vec<Explained> {
        let mut out = Vec::new();
        let mut one = |key: &str, s: Option<(String, Source)>, default: &str| {
            let (value, source) = s.unwrap_or_else(|| (default.to_string(), Source::Default));
            out.push(Explained {
                key: key.to_string(),
                value,
                source,
            });
        };
        let text =
            |s: &Option<Setting<String>>| s.as_ref().map(|s| (s.value.clone(), s.source.clone()));
        let list = |s: &Option<Setting<Vec<String>>>| {
            s.as_ref().map(|s| (s.value.join(" "), s.source.clone()))
        };
        one("package", text(&self.package), ".");
        one("base", text(&self.base), "scratch");
        one(
            "platforms",
            list(&self.platforms),
            "linux/(this machine's architecture)",
        );
        one("ldflags", text(&self.ldflags), "");
        one("gcflags", text(&self.gcflags), "");
        one("tags", text(&self.tags), "");
        one("ports", list(&self.ports), "");
        one("args", list(&self.args), "");
        one("user", text(&self.user), "65532:65532");
        one("workdir", text(&self.workdir), "/home/nonroot");
        one("entrypoint", list(&self.entrypoint), "/usr/local/bin/NAME");
        one("ca-certs", text(&self.ca_certs), "auto");
        one("tzdata", text(&self.tzdata), "auto");
        one("compression", text(&self.compression), "gzip");
        one("sbom", text(&self.sbom), "spdx");
        let files = self.files.as_ref().map(|s| {
            let shown = s
                .value
                .iter()
                .map(|f| format!("{}:{}", f.src.display(), f.dst))
                .collect::<Vec<_>>()
                .join(" ");
            (shown, s.source.clone())
        });
        one("files", files, "");
        for (map, entries) in [
            ("go-env", &self.go_env),
            ("env", &self.env),
            ("labels", &self.labels),
            ("annotations", &self.annotations),
        ] {
            for (k, v) in entries {
                out.push(Explained {
                    key: format!("{map}.{k}"),
                    value: v.value.clone(),
                    source: v.source.clone(),
                });
            }
        }
        out
    }
}

/// A `[build.images.NAME]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageTable {
    /// The image's name: the table's key.
    pub name: String,
    /// Where the table starts.
    pub source: Source,
    pub layer: Layer,
}

/// envelope.toml's build settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Project {
    /// The file read.
    pub path: PathBuf,
    /// Its folder: relative paths in it are taken from here.
    pub dir: PathBuf,
    /// `[build]`.
    pub defaults: Layer,
    /// `[build.images.*]`, in the file's order of keys (sorted).
    pub images: Vec<ImageTable>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `envelope.toml:3:5: unknown field ...`
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },
}

#[derive(Debug, Default, Deserialize)]
struct Document {
    // Other tables belong to other commands.
    build: Option<Table>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Port {
    Number(u16),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTable {
    src: Spanned<String>,
    dst: Spanned<String>,
    mode: Option<Spanned<String>>,
    owner: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Table {
    package: Option<Spanned<String>>,
    base: Option<Spanned<String>>,
    platforms: Option<Spanned<Vec<String>>>,
    ldflags: Option<Spanned<String>>,
    gcflags: Option<Spanned<String>>,
    tags: Option<Spanned<Vec<String>>>,
    go_env: Option<BTreeMap<String, Spanned<String>>>,
    labels: Option<BTreeMap<String, Spanned<String>>>,
    annotations: Option<BTreeMap<String, Spanned<String>>>,
    env: Option<BTreeMap<String, Spanned<String>>>,
    ports: Option<Spanned<Vec<Port>>>,
    args: Option<Spanned<Vec<String>>>,
    user: Option<Spanned<String>>,
    workdir: Option<Spanned<String>>,
    entrypoint: Option<Spanned<Vec<String>>>,
    ca_certs: Option<Spanned<String>>,
    tzdata: Option<Spanned<String>>,
    compression: Option<Spanned<String>>,
    sbom: Option<Spanned<String>>,
    files: Option<Spanned<Vec<FileTable>>>,
    images: Option<BTreeMap<String, Spanned<Table>>>,
}

/// Byte offsets to 1-based lines and columns (in characters), each in
/// time independent of the text's length: a file of many settings, each
/// placed, reads in linear time.
struct Positions<'a> {
    bytes: &'a [u8],
    /// Where each line starts.
    lines: Vec<usize>,
    /// The characters before each block of [`BLOCK`] bytes.
    blocks: Vec<usize>,
}

const BLOCK: usize = 256;

/// The characters that start in `bytes` (any slice: no boundary needed).
fn chars_in(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

impl<'a> Positions<'a> {
    fn new(text: &'a str) -> Positions<'a> {
        let bytes = text.as_bytes();
        let lines = std::iter::once(0)
            .chain(
                bytes
                    .iter()
                    .enumerate()
                    .filter(|&(_, &b)| b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        let mut blocks = vec![0];
        for chunk in bytes.chunks(BLOCK) {
            let last = blocks.last().copied().unwrap_or(0);
            blocks.push(last + chars_in(chunk));
        }
        Positions {
            bytes,
            lines,
            blocks,
        }
    }

    fn chars_before(&self, offset: usize) -> usize {
        let block = offset / BLOCK;
        self.blocks.get(block).copied().unwrap_or(0)
            + chars_in(self.bytes.get(block * BLOCK..offset).unwrap_or(&[]))
    }

    /// Byte offset to 1-based line and column (in characters).
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.bytes.len());
        let line = self.lines.partition_point(|&start| start <= offset);
        let start = self.lines.get(line.wrapping_sub(1)).copied().unwrap_or(0);
        let column = self.chars_before(offset) - self.chars_before(start) + 1;
        (line.max(1), column)
    }
}

struct Reader<'a> {
    positions: Positions<'a>,
    /// The path shown in sources (the file's name).
    shown: String,
    /// The path shown in errors.
    path: String,
    dir: PathBuf,
}

impl Reader<'_> {
    fn source(&self, span: std::ops::Range<usize>, table: &str) -> Source {
        let (line, column) = self.positions.line_col(span.start);
        Source::File {
            file: self.shown.clone(),
            line,
            column,
            table: table.to_string(),
        }
    }

    fn error(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> ProjectError {
        let (line, column) = self.positions.line_col(span.start);
        ProjectError::Invalid {
            location: format!("{}:{line}:{column}", self.path),
            message: message.into(),
        }
    }

    fn set<T>(&self, v: Spanned<T>, table: &str) -> Setting<T> {
        let source = self.source(v.span(), table);
        Setting {
            value: v.into_inner(),
            source,
        }
    }

    fn one_of(
        &self,
        v: Option<Spanned<String>>,
        key: &str,
        allowed: &[&str],
        table: &str,
    ) -> Result<Option<Setting<String>>, ProjectError> {
        let Some(v) = v else { return Ok(None) };
        if !allowed.contains(&v.get_ref().as_str()) {
            return Err(self.error(
                v.span(),
                format!(
                    "{key} = {:?}: expected one of {}",
                    v.get_ref(),
                    allowed.join(", ")
                ),
            ));
        }
        Ok(Some(self.set(v, table)))
    }

    fn layer(&self, t: Table, table: &str) -> Result<Layer, ProjectError> {
        let map = |m: Option<BTreeMap<String, Spanned<String>>>| {
            m.unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, self.set(v, table)))
                .collect::<BTreeMap<_, _>>()
        };
        for (k, v) in t.env.iter().flatten() {
            if k.is_empty() || k.contains('=') || k.contains(char::is_whitespace) {
                return Err(self.error(v.span(), format!("env key {k:?} is not a variable name")));
            }
        }
        for (k, v) in t.go_env.iter().flatten() {
            check_go_env(k).map_err(|e| self.error(v.span(), e))?;
        }
        if let Some(w) = &t.workdir {
            if !w.get_ref().starts_with('/') {
                return Err(self.error(
                    w.span(),
                    format!("workdir {:?} is not an absolute path", w.get_ref()),
                ));
            }
        }
        let ports = match t.ports {
            None => None,
            Some(p) => {
                let span = p.span();
                let value = p
                    .into_inner()
                    .into_iter()
                    .map(|p| match p {
                        Port::Number(n) => n.to_string(),
                        Port::Text(s) => s,
                    })
                    .collect();
                Some(self.set(Spanned::new(span, value), table))
            }
        };
        let files = match t.files {
            None => None,
            Some(f) => {
                let span = f.span();
                let mut specs = Vec::new();
                for entry in f.into_inner() {
                    specs.push(self.file(entry)?);
                }
                Some(self.set(Spanned::new(span, specs), table))
            }
        };
        Ok(Layer {
            package: t.package.map(|v| self.set(v, table)),
            base: t.base.map(|v| self.set(v, table)),
            platforms: t.platforms.map(|v| self.set(v, table)),
            ldflags: t.ldflags.map(|v| self.set(v, table)),
            gcflags: t.gcflags.map(|v| self.set(v, table)),
            go_env: map(t.go_env),
            annotations: map(t.annotations),
            workdir: t.workdir.map(|v| self.set(v, table)),
            entrypoint: t.entrypoint.map(|v| self.set(v, table)),
            tags: t.tags.map(|v| {
                let span = v.span();
                self.set(Spanned::new(span, v.into_inner().join(",")), table)
            }),
            labels: map(t.labels),
            env: map(t.env),
            ports,
            args: t.args.map(|v| self.set(v, table)),
            user: t.user.map(|v| self.set(v, table)),
            ca_certs: self.one_of(t.ca_certs, "ca-certs", &["auto", "always", "never"], table)?,
            tzdata: self.one_of(t.tzdata, "tzdata", &["auto", "always", "never"], table)?,
            compression: self.one_of(t.compression, "compression", &["gzip", "zstd"], table)?,
            sbom: self.one_of(t.sbom, "sbom", &["spdx", "cyclonedx", "none"], table)?,
            files,
        })
    }

    fn file(&self, f: FileTable) -> Result<FileEntry, ProjectError> {
        check_dst(f.dst.get_ref()).map_err(|e| self.error(f.dst.span(), e))?;
        if f.src.get_ref().is_empty() {
            return Err(self.error(f.src.span(), "src is empty"));
        }
        let mode = match &f.mode {
            None => None,
            Some(m) => Some(
                u32::from_str_radix(m.get_ref().trim_start_matches("0o"), 8)
                    .ok()
                    .filter(|m| *m <= 0o7777)
                    .ok_or_else(|| {
                        self.error(
                            m.span(),
                            format!(
                                "mode {:?}: expected octal, at most 7777, e.g. \"0644\"",
                                m.get_ref()
                            ),
                        )
                    })?,
            ),
        };
        let (uid, gid) = match &f.owner {
            None => (None, None),
            Some(o) => {
                let bad = || {
                    self.error(
                        o.span(),
                        format!("owner {:?}: expected UID[:GID], numbers", o.get_ref()),
                    )
                };
                let (u, g) = match o.get_ref().split_once(':') {
                    Some((u, g)) => (u, Some(g)),
                    None => (o.get_ref().as_str(), None),
                };
                let uid = u.parse::<u32>().map_err(|_| bad())?;
                let gid = match g {
                    Some(g) => g.parse::<u32>().map_err(|_| bad())?,
                    None => uid,
                };
                (Some(uid), Some(gid))
            }
        };
        Ok(FileEntry {
            src: self.dir.join(f.src.get_ref()),
            dst: f.dst.into_inner(),
            mode,
            uid,
            gid,
        })
    }
}

/// A Go setting envelope lets a build change: GO..., but not the platform's
/// (GOOS, GOARCH, GOARM) and not CGO_ENABLED (always 0).
pub fn check_go_env(key: &str) -> Result<(), String> {
    let go = key.starts_with("GO")
        && key.len() > 2
        && key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if key == "CGO_ENABLED" {
        return Err(
            "go-env CGO_ENABLED: envelope builds static binaries, always with CGO_ENABLED=0".into(),
        );
    }
    if !go {
        return Err(format!("go-env {key:?} is not a Go setting (GO...)"));
    }
    if matches!(key, "GOOS" | "GOARCH" | "GOARM") {
        return Err(format!("go-env {key}: the platform sets it; use platforms"));
    }
    Ok(())
}

/// A destination in the image: absolute, no `..`.
fn check_dst(dst: &str) -> Result<(), String> {
    if !dst.starts_with('/') {
        return Err(format!("dst {dst:?} is not an absolute path"));
    }
    if dst.split('/').any(|c| c == "..") {
        return Err(format!("dst {dst:?} leaves its folder with .."));
    }
    Ok(())
}

impl Project {
    /// Reads the build tables of an envelope.toml.
    pub fn load(path: &Path) -> Result<Project, ProjectError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProjectError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Project::parse(path, &text)
    }

    /// The build tables of `text`, read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Project, ProjectError> {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let reader = Reader {
            positions: Positions::new(text),
            shown: path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            path: path.display().to_string(),
            dir: dir.clone(),
        };
        let doc: Document = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            reader.error(span, e.message().trim().to_string())
        })?;
        let mut build = doc.build.unwrap_or_default();
        let images = build.images.take().unwrap_or_default();
        let defaults = reader.layer(build, "build")?;
        let mut tables = Vec::new();
        for (name, table) in images {
            let span = table.span();
            let mut table = table.into_inner();
            if table.images.is_some() {
                return Err(reader.error(
                    span,
                    format!("[build.images.{name}] cannot hold images; they belong in [build]"),
                ));
            }
            table.images = None;
            let label = if name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
            {
                format!("build.images.{name}")
            } else {
                format!("build.images.{name:?}")
            };
            let layer = reader.layer(table, &label)?;
            tables.push(ImageTable {
                name,
                source: reader.source(span, &label),
                layer,
            });
        }
        Ok(Project {
            path: path.to_path_buf(),
            dir,
            defaults,
            images: tables,
        })
    }

    /// The table of the image `name`, if any.
    pub fn image(&self, name: &str) -> Option<&ImageTable> {
        self.images.iter().find(|t| t.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"[lint]
select = ["ALL"]

[build]
base = "registry.example/base:1"
ports = [8080]
env = { A = "1", B = "2" }
ldflags = "-X main.commit={{.Git.FullCommit}}"

[build.images.api]
package = "./cmd/api"
ports = ["9090/udp"]
env = { B = "3" }
files = [{ src = "static", dst = "/srv/static", mode = "0640", owner = "10:20" }]
"#;

    fn parse(text: &str) -> Result<Project, ProjectError> {
        Project::parse(Path::new("/p/envelope.toml"), text)
    }

    #[test]
    fn tables_and_sources() {
        let p = parse(TEXT).expect("parses");
        assert_eq!(p.dir, Path::new("/p"));
        let api = p.image("api").expect("api");
        let merged = api.layer.over(&p.defaults);
        let ports = merged.ports.as_ref().expect("ports");
        assert_eq!(ports.value, ["9090/udp"]);
        assert_eq!(
            ports.source.to_string(),
            "envelope.toml:12:9 [build.images.api]"
        );
        assert_eq!(merged.env["A"].value, "1");
        assert_eq!(
            merged.env["A"].source.to_string(),
            "envelope.toml:7:13 [build]"
        );
        assert_eq!(merged.env["B"].value, "3");
        let base = merged.base.as_ref().expect("base");
        assert_eq!(base.source.location(), "envelope.toml:5:8");
        let files = &merged.files.as_ref().expect("files").value;
        assert_eq!(
            files,
            &[FileEntry {
                src: PathBuf::from("/p/static"),
                dst: "/srv/static".into(),
                mode: Some(0o640),
                uid: Some(10),
                gid: Some(20),
            }]
        );
        let cli = Layer {
            ports: Some(Setting {
                value: vec!["1/tcp".into()],
                source: Source::Flag("--port".into()),
            }),
            ..Layer::default()
        };
        let all = cli.over(&merged);
        let explained = all.explain();
        let port = explained.iter().find(|e| e.key == "ports").expect("ports");
        assert_eq!(
            (port.value.as_str(), port.source.to_string()),
            ("1/tcp", "--port".to_string())
        );
        let user = explained.iter().find(|e| e.key == "user").expect("user");
        assert_eq!(user.source, Source::Default);
        assert!(explained.iter().any(|e| e.key == "env.B" && e.value == "3"));
    }

    #[test]
    fn unknown_keys_and_types_have_positions() {
        let e = parse("[build]\nbase = \"x\"\nportz = [1]\n").expect_err("unknown");
        let s = e.to_string();
        assert!(s.starts_with("/p/envelope.toml:3:1: "), "{s}");
        assert!(s.contains("portz"), "{s}");
        let e = parse("[build.images.api]\nuser = 5\n").expect_err("type");
        assert!(e.to_string().starts_with("/p/envelope.toml:2:8: "), "{e}");
        let e = parse("[build]\nca-certs = \"sometimes\"\n").expect_err("enum");
        assert!(e.to_string().contains("2:12: ca-certs"), "{e}");
    }

    #[test]
    fn files_are_checked() {
        for (entry, want) in [
            ("{ src = \"a\", dst = \"rel\" }", "not an absolute path"),
            ("{ src = \"a\", dst = \"/x/../y\" }", "leaves its folder"),
            (
                "{ src = \"a\", dst = \"/x\", mode = \"0999\" }",
                "expected octal",
            ),
            (
                "{ src = \"a\", dst = \"/x\", mode = \"17777\" }",
                "expected octal",
            ),
            (
                "{ src = \"a\", dst = \"/x\", owner = \"root\" }",
                "UID[:GID]",
            ),
            ("{ src = \"a\", dst = \"/x\", size = 1 }", "size"),
        ] {
            let e = parse(&format!("[build]\nfiles = [{entry}]\n")).expect_err(entry);
            let s = e.to_string();
            assert!(
                s.contains(want) && s.contains("envelope.toml:2:"),
                "{entry}: {s}"
            );
        }
        let f = parse_file_flag("web/dist:/srv/www", Path::new("/w")).expect("flag");
        assert_eq!(
            (f.src, f.dst.as_str()),
            (PathBuf::from("/w/web/dist"), "/srv/www")
        );
        assert!(parse_file_flag("web", Path::new("/w")).is_err());
    }

    #[test]
    fn other_tables_are_left_alone() {
        let p = parse("[lint]\nwhatever = 1\n").expect("no build table");
        assert_eq!(p.defaults, Layer::default());
        assert!(p.images.is_empty());
    }

    #[test]
    fn line_columns_count_characters() {
        let line_col = |text, offset| Positions::new(text).line_col(offset);
        assert_eq!(line_col("ab\ncé\nx", 0), (1, 1));
        assert_eq!(line_col("ab\ncé\nx", 7), (3, 1));
        assert_eq!(line_col("ab\ncé\nx", 6), (2, 3));
        assert_eq!(line_col("ab\ncé\nx", 8), (3, 2));
        assert_eq!(line_col("ab\n", 3), (2, 1));
        assert_eq!(line_col("", 5), (1, 1));
        // Across blocks: a long line of two-byte characters.
        let long = format!("x\n{}", "é".repeat(1000));
        assert_eq!(line_col(&long, 2 + 2 * 700), (2, 701));
        assert_eq!(line_col(&long, long.len()), (2, 1001));
    }

    #[test]
    fn many_settings_read_in_linear_time() {
        // Each setting's position was counted from the start of the text:
        // a file of many settings took quadratic time.
        let n = 50_000;
        let mut text = String::from("[build]\nenv = {");
        for i in 0..n {
            text.push_str(&format!("A{i} = \"\", "));
        }
        text.push_str("B = \"é\" }\n");
        let p = parse(&text).expect("parses");
        assert_eq!(p.defaults.env.len(), n + 1);
        let b = &p.defaults.env["B"].source;
        assert_eq!(b.location(), format!("envelope.toml:2:{}", text.len() - 14));
    }
}
