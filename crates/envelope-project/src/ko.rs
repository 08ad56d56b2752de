//! `.ko.yaml` read as build settings, so a repository set up for ko builds
//! with envelope unchanged: `defaultBaseImage`, `baseImageOverrides`,
//! `defaultPlatforms`, `defaultEnv`, `defaultFlags`, `defaultLdflags` and
//! `builds[]` (`id`, `dir`, `main`, `env`, `flags`, `ldflags`). Each main
//! package's `kodata/` goes to `/var/run/ko`, with `KO_DATA_PATH` set, as
//! ko does. Fields envelope does not support are named in warnings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use envelope_build::FileEntry;
use envelope_yaml::{parse_tree, Node, Tree};

use crate::{check_go_env, ImageTable, Layer, Project, ProjectError, Setting, Source};

/// Where ko puts a package's `kodata/`, and the variable that names it.
pub const KO_DATA_PATH: &str = "/var/run/ko";

/// What envelope does differently from ko on purpose, for the report.
pub const DIFFERENCES: &[&str] = &[
    "envelope adds -s -w to the ldflags (ko does not strip)",
    "without defaultBaseImage envelope builds on its own scratch base (ko's default is cgr.dev/chainguard/static)",
    "the binary is at /usr/local/bin/NAME (ko: /ko-app/NAME)",
    "{{.Date}} and {{.Timestamp}} come from SOURCE_DATE_EPOCH or the commit (ko: the clock)",
];

/// What `.ko.yaml` adds to the settings besides its tables.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KoExtras {
    /// The module the file's folder is in: its path and folder, to find a
    /// main package's `kodata/`.
    pub module: Option<(String, PathBuf)>,
    /// Fields envelope does not support, with their position.
    pub warnings: Vec<String>,
}

impl KoExtras {
    /// The `kodata/` of a main package, by import path, when it has one.
    pub fn kodata(&self, import_path: &str) -> Option<FileEntry> {
        let (module, dir) = self.module.as_ref()?;
        let rel = if import_path == module {
            ""
        } else {
            import_path
                .strip_prefix(module.as_str())?
                .strip_prefix('/')?
        };
        let src = dir.join(rel).join("kodata");
        src.is_dir().then(|| FileEntry {
            src,
            dst: KO_DATA_PATH.to_string(),
            mode: None,
            uid: None,
            gid: None,
        })
    }
}

struct Reader<'a> {
    path: &'a Path,
    shown: String,
    warnings: Vec<String>,
}

impl Reader<'_> {
    fn source(&self, node: &Node, table: &str) -> Source {
        Source::File {
            file: self.shown.clone(),
            line: node.line,
            column: node.column,
            table: table.to_string(),
        }
    }

    fn error(&self, node: &Node, message: impl Into<String>) -> ProjectError {
        ProjectError::Invalid {
            location: format!("{}:{}:{}", self.path.display(), node.line, node.column),
            message: message.into(),
        }
    }

    fn warn(&mut self, node: &Node, message: impl Into<String>) {
        self.warnings.push(format!(
            "{}:{}:{}: {}",
            self.shown,
            node.line,
            node.column,
            message.into()
        ));
    }

    fn string(&self, node: &Node, key: &str) -> Result<String, ProjectError> {
        node.as_str().map(str::to_string).ok_or_else(|| {
            self.error(
                node,
                format!("{key}: expected a string, found {}", node.kind()),
            )
        })
    }

    fn strings(&self, node: &Node, key: &str) -> Result<Vec<String>, ProjectError> {
        match &node.value {
            Tree::Null => Ok(Vec::new()),
            Tree::Scalar(s) => Ok(vec![s.clone()]),
            Tree::Sequence(items) => items.iter().map(|i| self.string(i, key)).collect(),
            Tree::Mapping(_) => Err(self.error(
                node,
                format!("{key}: expected a list of strings, found a mapping"),
            )),
        }
    }

    fn entries<'n>(&self, node: &'n Node, key: &str) -> Result<&'n [(Node, Node)], ProjectError> {
        match &node.value {
            Tree::Mapping(entries) => Ok(entries),
            Tree::Null => Ok(&[]),
            _ => Err(self.error(
                node,
                format!("{key}: expected a mapping, found {}", node.kind()),
            )),
        }
    }

    /// `env`, `flags` and `ldflags` of the defaults or of one build, into
    /// `layer`.
    fn go_settings(
        &mut self,
        env: Option<&Node>,
        flags: Option<&Node>,
        ldflags: Option<&Node>,
        names: [&str; 3],
        table: &str,
        layer: &mut Layer,
    ) -> Result<(), ProjectError> {
        let mut ld: Vec<String> = Vec::new();
        if let Some(node) = ldflags {
            ld.extend(self.strings(node, names[2])?);
        }
        if let Some(node) = env {
            for kv in self.strings(node, names[0])? {
                let Some((k, v)) = kv.split_once('=') else {
                    return Err(self.error(node, format!("{}: {kv:?} is not KEY=VALUE", names[0])));
                };
                if k == "CGO_ENABLED" {
                    if v != "0" {
                        self.warn(
                            node,
                            format!(
                                "{}: {kv} is ignored: envelope builds with CGO_ENABLED=0",
                                names[0]
                            ),
                        );
                    }
                    continue;
                }
                match check_go_env(k) {
                    Ok(()) => {
                        layer.go_env.insert(
                            k.to_string(),
                            Setting {
                                value: v.to_string(),
                                source: self.source(node, table),
                            },
                        );
                    }
                    Err(e) => self.warn(node, format!("{}: {kv} is ignored: {e}", names[0])),
                }
            }
        }
        if let Some(node) = flags {
            let given = self.strings(node, names[1])?;
            let mut flags = given.iter();
            while let Some(flag) = flags.next() {
                let bare = flag.trim_start_matches('-');
                let (name, value) = match bare.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (bare, None),
                };
                let takes_value = matches!(name, "tags" | "gcflags" | "ldflags");
                let value = match value {
                    Some(v) => Some(v),
                    None if takes_value => flags.next().cloned(),
                    None => None,
                };
                let set = |value: String| Setting {
                    value,
                    source: self.source(node, table),
                };
                match (name, value) {
                    ("trimpath", None) => {}
                    ("tags", Some(v)) => layer.tags = Some(set(v)),
                    ("gcflags", Some(v)) => layer.gcflags = Some(set(v)),
                    ("ldflags", Some(v)) => ld.push(v),
                    _ => self.warn(
                        node,
                        format!("{}: {flag} is not supported and is ignored", names[1]),
                    ),
                }
            }
        }
        if let (false, Some(at)) = (ld.is_empty(), ldflags.or(flags)) {
            layer.ldflags = Some(Setting {
                value: ld.join(" "),
                source: self.source(at, table),
            });
        }
        Ok(())
    }
}

/// The module path in `dir/go.mod`, looked for at or above `dir`.
fn module_of(dir: &Path) -> Option<(String, PathBuf)> {
    dir.ancestors().find_map(|d| {
        let text = std::fs::read_to_string(d.join("go.mod")).ok()?;
        let module = text.lines().find_map(|l| {
            let rest = l.trim().strip_prefix("module")?;
            let m = rest.trim().trim_matches('"');
            (!m.is_empty() && rest.starts_with(char::is_whitespace)).then(|| m.to_string())
        })?;
        Some((module, d.to_path_buf()))
    })
}

/// A package path as an import path: `./cmd/api` under the file's folder
/// becomes `MODULE/cmd/api`; an import path stays.
fn import_path(package: &str, dir: &Path, module: Option<&(String, PathBuf)>) -> String {
    let relative = package == "." || package.starts_with("./") || package.starts_with("../");
    match module {
        Some((path, root)) if relative => {
            let mut parts: Vec<String> = dir
                .strip_prefix(root)
                .map(|r| {
                    r.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            for c in package.split('/') {
                match c {
                    "" | "." => {}
                    ".." => {
                        parts.pop();
                    }
                    c => parts.push(c.to_string()),
                }
            }
            if parts.is_empty() {
                path.clone()
            } else {
                format!("{path}/{}", parts.join("/"))
            }
        }
        _ => package.to_string(),
    }
}

/// The tables by import path, in the order they first appear, found by
/// import path in log time (a file of many builds stays linear).
#[derive(Default)]
struct Tables {
    list: Vec<(String, ImageTable)>,
    by_import: BTreeMap<String, usize>,
}

impl Tables {
    /// The index of the table of `import`, made when there is none yet.
    fn index(&mut self, import: &str, at: &Node, r: &Reader<'_>) -> usize {
        if let Some(&i) = self.by_import.get(import) {
            return i;
        }
        let name = import.rsplit('/').next().unwrap_or(import).to_string();
        let label = format!("ko {import}");
        self.list.push((
            import.to_string(),
            ImageTable {
                name,
                source: r.source(at, &label),
                layer: Layer {
                    package: Some(Setting {
                        value: import.to_string(),
                        source: r.source(at, &label),
                    }),
                    ..Layer::default()
                },
            },
        ));
        let i = self.list.len() - 1;
        self.by_import.insert(import.to_string(), i);
        i
    }
}

/// Reads a `.ko.yaml`.
pub fn load(path: &Path) -> Result<(Project, KoExtras), ProjectError> {
    let text = std::fs::read_to_string(path).map_err(|source| ProjectError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// The settings `text`, read from `path`, gives.
pub fn parse(path: &Path, text: &str) -> Result<(Project, KoExtras), ProjectError> {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let module = module_of(&dir);
    let mut r = Reader {
        path,
        shown: path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        warnings: Vec::new(),
    };
    let doc = parse_tree(text).map_err(|e| ProjectError::Invalid {
        location: path.display().to_string(),
        message: e.to_string(),
    })?;
    let mut defaults = Layer::default();
    let mut tables = Tables::default();
    let Some(doc) = doc else {
        return Ok((
            Project {
                path: path.to_path_buf(),
                dir,
                ..Project::default()
            },
            KoExtras {
                module,
                warnings: r.warnings,
            },
        ));
    };
    let entries = r.entries(&doc, "the file")?.to_vec();
    let mut default_env = None;
    let mut default_flags = None;
    let mut default_ldflags = None;
    for (key, value) in &entries {
        let Some(k) = key.as_str() else {
            r.warn(key, "a key that is not a string is ignored");
            continue;
        };
        match k {
            "defaultBaseImage" => {
                defaults.base = Some(Setting {
                    value: r.string(value, k)?,
                    source: r.source(value, k),
                })
            }
            "defaultPlatforms" => {
                let platforms = r.strings(value, k)?;
                if platforms.len() > 1 && platforms.iter().any(|p| p == "all") {
                    return Err(r.error(value, "defaultPlatforms: all stands alone"));
                }
                if !platforms.is_empty() {
                    defaults.platforms = Some(Setting {
                        value: platforms,
                        source: r.source(value, k),
                    });
                }
            }
            "defaultEnv" => default_env = Some(value),
            "defaultFlags" => default_flags = Some(value),
            "defaultLdflags" => default_ldflags = Some(value),
            "baseImageOverrides" => {
                for (pkg, base) in r.entries(value, k)?.to_vec() {
                    let import = r.string(&pkg, k)?;
                    let base_ref = r.string(&base, k)?;
                    let i = tables.index(&import, &pkg, &r);
                    tables.list[i].1.layer.base = Some(Setting {
                        value: base_ref,
                        source: r.source(&base, &format!("baseImageOverrides {import}")),
                    });
                }
            }
            "builds" => {
                let Tree::Sequence(builds) = &value.value else {
                    return Err(r.error(
                        value,
                        format!("builds: expected a list, found {}", value.kind()),
                    ));
                };
                for build in builds {
                    let fields = r.entries(build, "a build")?.to_vec();
                    let mut build_dir = ".".to_string();
                    let mut main = ".".to_string();
                    let mut id = String::new();
                    for (bk, bv) in &fields {
                        match bk.as_str() {
                            Some("dir") => build_dir = r.string(bv, "dir")?,
                            Some("main") => main = r.string(bv, "main")?,
                            Some("id") => id = r.string(bv, "id")?,
                            Some("env" | "flags" | "ldflags") => {}
                            Some(other) => r.warn(
                                bk,
                                format!("builds: {other} is not supported and is ignored"),
                            ),
                            None => r.warn(bk, "a key that is not a string is ignored"),
                        }
                    }
                    let rel = format!(
                        "{}/{}",
                        build_dir.trim_end_matches('/'),
                        main.trim_start_matches("./")
                    );
                    let rel = if rel.starts_with("./")
                        || rel.starts_with("../")
                        || rel.starts_with('/')
                    {
                        rel
                    } else {
                        format!("./{rel}")
                    };
                    let import = import_path(&rel, &dir, module.as_ref());
                    let label = if id.is_empty() {
                        format!("builds {import}")
                    } else {
                        format!("builds {id}")
                    };
                    let i = tables.index(&import, build, &r);
                    let mut layer = std::mem::take(&mut tables.list[i].1.layer);
                    r.go_settings(
                        build.get("env"),
                        build.get("flags"),
                        build.get("ldflags"),
                        ["env", "flags", "ldflags"],
                        &label,
                        &mut layer,
                    )?;
                    tables.list[i].1.layer = layer;
                }
            }
            other => r.warn(key, format!("{other} is not supported and is ignored")),
        }
    }
    r.go_settings(
        default_env,
        default_flags,
        default_ldflags,
        ["defaultEnv", "defaultFlags", "defaultLdflags"],
        "ko defaults",
        &mut defaults,
    )?;
    // ko sets KO_DATA_PATH in every image.
    defaults.env.insert(
        "KO_DATA_PATH".to_string(),
        Setting {
            value: KO_DATA_PATH.to_string(),
            source: Source::Flag(format!("{} (ko's kodata)", r.shown)),
        },
    );
    let mut by_name: BTreeMap<&str, &str> = BTreeMap::new();
    for (import, t) in &tables.list {
        if let Some(other) = by_name.insert(&t.name, import) {
            return Err(ProjectError::Invalid {
                location: path.display().to_string(),
                message: format!("{other} and {import} both make the image {}", t.name),
            });
        }
    }
    Ok((
        Project {
            path: path.to_path_buf(),
            dir,
            defaults,
            images: tables.list.into_iter().map(|(_, t)| t).collect(),
        },
        KoExtras {
            module,
            warnings: r.warnings,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KO: &str = r#"# A real project's shape.
defaultBaseImage: registry.example/base:1
defaultPlatforms:
- linux/amd64
- linux/arm64
defaultEnv: [GOEXPERIMENT=loopvar, CGO_ENABLED=0]
defaultLdflags: ["-X main.version={{.Git.Tag}}"]
baseImageOverrides:
  example.com/app/cmd/worker: registry.example/debug:1
builds:
- id: api
  dir: .
  main: ./cmd/api
  env: [GOAMD64=v2, CGO_ENABLED=1]
  flags: [-trimpath, -tags, netgo, -v]
  ldflags:
  - -X main.commit={{.Git.FullCommit}}
  mod_timestamp: "{{ .CommitTimestamp }}"
verifyKeys: x
"#;

    #[test]
    fn translates_a_ko_file() {
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::write(
            tmp.path().join("go.mod"),
            "module example.com/app\n\ngo 1.22\n",
        )
        .expect("go.mod");
        std::fs::create_dir_all(tmp.path().join("cmd/api/kodata")).expect("kodata");
        let path = tmp.path().join(".ko.yaml");
        let (p, extras) = parse(&path, KO).expect("parses");
        assert_eq!(
            p.defaults.base.as_ref().map(|b| b.value.as_str()),
            Some("registry.example/base:1")
        );
        assert_eq!(
            p.defaults.platforms.as_ref().map(|s| s.value.clone()),
            Some(vec!["linux/amd64".to_string(), "linux/arm64".to_string()])
        );
        assert_eq!(p.defaults.go_env["GOEXPERIMENT"].value, "loopvar");
        assert_eq!(p.defaults.env["KO_DATA_PATH"].value, "/var/run/ko");
        assert_eq!(
            p.defaults.ldflags.as_ref().map(|l| l.source.to_string()),
            Some(".ko.yaml:7:17 [ko defaults]".to_string())
        );
        let worker = p.image("worker").expect("worker");
        assert_eq!(
            worker.layer.base.as_ref().map(|b| b.value.as_str()),
            Some("registry.example/debug:1")
        );
        let api = p.image("api").expect("api");
        assert_eq!(
            api.layer.package.as_ref().map(|s| s.value.as_str()),
            Some("example.com/app/cmd/api")
        );
        assert_eq!(api.layer.go_env["GOAMD64"].value, "v2");
        assert_eq!(
            api.layer.tags.as_ref().map(|t| t.value.as_str()),
            Some("netgo")
        );
        assert_eq!(
            api.layer.ldflags.as_ref().map(|t| t.value.as_str()),
            Some("-X main.commit={{.Git.FullCommit}}")
        );
        let warnings = extras.warnings.join("\n");
        for w in [
            "CGO_ENABLED=1 is ignored",
            "-v is not supported",
            "mod_timestamp is not supported",
            "verifyKeys is not supported",
        ] {
            assert!(warnings.contains(w), "{w}: {warnings}");
        }
        assert!(warnings.contains(".ko.yaml:19:1: verifyKeys"), "{warnings}");
        let kodata = extras.kodata("example.com/app/cmd/api").expect("kodata");
        assert_eq!(kodata.dst, "/var/run/ko");
        assert_eq!(kodata.src, tmp.path().join("cmd/api/kodata"));
        assert_eq!(extras.kodata("example.com/app/cmd/worker"), None);
        assert_eq!(extras.kodata("other.example/x"), None);
    }

    #[test]
    fn bad_files_are_errors_with_positions() {
        let path = Path::new("/nowhere/.ko.yaml");
        let e = parse(path, "builds: {a: 1}\n").expect_err("builds");
        assert!(
            e.to_string()
                .starts_with("/nowhere/.ko.yaml:1:9: builds: expected a list"),
            "{e}"
        );
        let e = parse(path, "defaultBaseImage: [a]\n").expect_err("base");
        assert!(
            e.to_string()
                .contains("1:19: defaultBaseImage: expected a string"),
            "{e}"
        );
        let e = parse(path, "builds: [\n").expect_err("syntax");
        assert!(e.to_string().contains("line 2"), "{e}");
        let (p, _) = parse(path, "").expect("empty");
        assert!(p.images.is_empty());
    }

    #[test]
    fn relative_packages_become_import_paths() {
        let m = ("example.com/m".to_string(), PathBuf::from("/r"));
        assert_eq!(
            import_path("./cmd/a", Path::new("/r"), Some(&m)),
            "example.com/m/cmd/a"
        );
        assert_eq!(
            import_path(".", Path::new("/r/x"), Some(&m)),
            "example.com/m/x"
        );
        assert_eq!(
            import_path("../y", Path::new("/r/x"), Some(&m)),
            "example.com/m/y"
        );
        assert_eq!(
            import_path("example.com/z", Path::new("/r"), Some(&m)),
            "example.com/z"
        );
    }

    #[test]
    fn many_builds_and_aliases_read_in_linear_time() {
        // Each build's table was looked up through every earlier one, and
        // each alias through every anchor: a file of many builds took
        // quadratic time.
        let n = 20_000;
        let mut text = String::from("builds:\n");
        for i in 0..n {
            text.push_str(&format!(
                "- main: ./cmd/a{i}\n  env: &e{i} [GOAMD64=v{i}]\n  ldflags: [\"-X m.v={i}\"]\n- main: ./cmd/a{i}\n  env: *e{i}\n"
            ));
        }
        let (p, _) = parse(Path::new("/nowhere/.ko.yaml"), &text).expect("parses");
        assert_eq!(p.images.len(), n);
        let last = p.images.last().expect("a table");
        assert_eq!(last.layer.go_env["GOAMD64"].value, format!("v{}", n - 1));
        assert_eq!(
            last.layer.ldflags.as_ref().map(|l| l.value.clone()),
            Some(format!("-X m.v={}", n - 1))
        );
    }
}
