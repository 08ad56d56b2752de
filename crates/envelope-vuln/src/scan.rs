//! Matching one Go binary against the database: which records apply to
//! the modules and standard library compiled in, and how much of the
//! vulnerable code is there — called (a vulnerable symbol is in the
//! function table or an inline tree), imported (a vulnerable package is
//! linked in) or only the module required.
//!
//! The input is [`Binary`], the facts a scan needs of an executable
//! ([`Binary::read`] gathers them with envelope-golang); the output is
//! typed [`Finding`]s. Rendering them is the caller's business.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::{Database, Error, Import, Match, Result};

/// How much of a vulnerable module's code is in the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reach {
    /// The module is there, none of its vulnerable packages are.
    Module,
    /// A vulnerable package is linked in, none of the listed symbols are.
    Imported,
    /// A vulnerable symbol is in the binary (as a function or inlined).
    Called,
}

impl Reach {
    pub fn label(self) -> &'static str {
        match self {
            Reach::Called => "called",
            Reach::Imported => "imported",
            Reach::Module => "module only",
        }
    }
}

/// One record that applies to one module of a binary.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: String,
    /// The module as compiled in (`stdlib` for the standard library).
    pub module: String,
    /// Its version in the binary (`v1.23.5` for the stdlib).
    pub version: String,
    /// The lowest fixed version above it, when the entry names one.
    pub fixed: Option<String>,
    pub reachability: Reach,
    /// Vulnerable symbols present, as `package.Symbol`.
    pub symbols: Vec<String>,
    /// Vulnerable packages present.
    pub packages: Vec<String>,
    pub url: String,
}

/// A module compiled into a binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledModule {
    /// The module path the database is asked about: a replacement's own
    /// path; `stdlib` for the standard library.
    pub path: String,
    /// Its version (`go1.23.5` for the standard library).
    pub version: String,
    /// How the binary's function names spell its packages: the original
    /// module's path for a replacement; empty for the standard library.
    pub import_path: String,
}

/// What a scan needs of one Go binary.
#[derive(Debug, Clone, Default)]
pub struct Binary {
    pub path: String,
    pub go_version: String,
    /// The GOOS / GOARCH values the binary can be for: the build settings'
    /// when recorded, else what the file's headers allow (an ELF file is
    /// never windows). Empty matches every platform limit.
    pub goos: Vec<String>,
    pub goarch: Vec<String>,
    /// None when the build info names no main module (some build systems
    /// record none).
    pub main_module: Option<String>,
    /// The modules as compiled in: replacements applied, local-directory
    /// replacements and `(devel)` left out, the standard library last.
    pub modules: Vec<CompiledModule>,
    /// The function table could be read. Without it nothing is known of
    /// the code, and every vulnerable symbol is taken to be present.
    pub symbols_known: bool,
    /// (package path, symbol) of every function and inlined function.
    pub symbols: BTreeSet<(String, String)>,
    pub packages: BTreeSet<String>,
    pub inline_trees: bool,
}

impl Binary {
    /// The scan view of one executable (ELF, Mach-O or PE); None when it
    /// has no Go build info.
    pub fn read(path: &str, data: &[u8]) -> Result<Option<Binary>, envelope_golang::Error> {
        let space = envelope_golang::AddressSpace::parse(data)?;
        let Some(info) = envelope_golang::buildinfo::read_space(&space)? else {
            return Ok(None);
        };
        // A Go binary always has a pclntab; without one, nothing is known
        // of its code and every finding is module-level.
        let (table, symbols_known) = match envelope_golang::SymbolTable::from_space(&space) {
            Ok(t) => (t, true),
            Err(_) => (envelope_golang::SymbolTable::default(), false),
        };
        let symbols = table.vuln_symbols();
        let packages = symbols.iter().map(|(p, _)| p.clone()).collect();
        let header = &space.platform;
        let goos = match info.setting("GOOS") {
            Some(os) => vec![os.to_string()],
            None => header.goos.iter().map(|s| s.to_string()).collect(),
        };
        let goarch = match (info.setting("GOARCH"), header.goarch) {
            (Some(arch), _) | (None, Some(arch)) => vec![arch.to_string()],
            (None, None) => Vec::new(),
        };
        let main_module = info
            .main
            .as_ref()
            .map(|m| m.path.as_str())
            .filter(|p| !p.is_empty())
            .or(Some(info.path.as_str()).filter(|p| !p.is_empty()))
            .map(str::to_string);
        Ok(Some(Binary {
            path: path.to_string(),
            go_version: info.go_version.clone(),
            goos,
            goarch,
            main_module,
            modules: compiled_modules(&info),
            symbols,
            packages,
            symbols_known,
            inline_trees: table.inline_trees_read(),
        }))
    }

    /// Is one of the module's packages (spelled from `import_path`) in the
    /// binary?
    fn has_module_code(&self, module: &str, import_path: &str) -> bool {
        if module == "stdlib" {
            return true;
        }
        self.packages.iter().any(|p| {
            p == import_path
                || p.strip_prefix(import_path)
                    .is_some_and(|r| r.starts_with('/'))
        })
    }

    fn platform_matches(&self, i: &Import) -> bool {
        let ok = |limits: &[String], have: &[String]| {
            limits.is_empty() || have.is_empty() || have.iter().any(|h| limits.contains(h))
        };
        ok(&i.goos, &self.goos) && ok(&i.goarch, &self.goarch)
    }
}

/// The versioned modules of the build info, the standard library last.
fn compiled_modules(info: &envelope_golang::BuildInfo) -> Vec<CompiledModule> {
    let mut modules = Vec::new();
    let versioned = |v: &str| !v.is_empty() && v != "(devel)";
    // The main module too: Go 1.24+ stamps it with its VCS tag.
    if let Some(m) = info.main.as_ref().filter(|m| versioned(&m.version)) {
        modules.push(CompiledModule {
            path: m.path.clone(),
            version: m.version.clone(),
            import_path: m.path.clone(),
        });
    }
    for d in &info.deps {
        let m = d.replace.as_deref().unwrap_or(d);
        if versioned(&m.version) {
            modules.push(CompiledModule {
                path: m.path.clone(),
                version: m.version.clone(),
                import_path: d.path.clone(),
            });
        }
    }
    modules.push(CompiledModule {
        path: "stdlib".to_string(),
        version: info.go_version.clone(),
        import_path: String::new(),
    });
    modules
}

/// A package path of the database's module as the binary spells it: a
/// replacement's packages keep the original module's import path.
fn as_imported(path: &str, module: &str, import_path: &str) -> String {
    match path.strip_prefix(module) {
        Some(rest) if module != import_path && (rest.is_empty() || rest.starts_with('/')) => {
            format!("{import_path}{rest}")
        }
        _ => path.to_string(),
    }
}

/// How reachable one match is, with the symbols and packages that say so.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reachability {
    reach: Reach,
    symbols: Vec<String>,
    packages: Vec<String>,
}

/// How reachable `m` is in `b`; None when the entry does not apply to the
/// binary's platform.
fn reachability(b: &Binary, m: &Match, import_path: &str) -> Option<Reachability> {
    if m.imports.is_empty() {
        // The whole module is vulnerable: its code in the binary is enough.
        let reach = if !b.symbols_known || b.has_module_code(&m.module, import_path) {
            Reach::Called
        } else {
            Reach::Module
        };
        return Some(Reachability {
            reach,
            symbols: Vec::new(),
            packages: Vec::new(),
        });
    }
    let imports: Vec<&Import> = m.imports.iter().filter(|i| b.platform_matches(i)).collect();
    if imports.is_empty() {
        return None;
    }
    let mut symbols = BTreeSet::new();
    let mut packages = BTreeSet::new();
    let mut whole_package = false;
    for i in imports {
        let path = as_imported(&i.path, &m.module, import_path);
        if !b.symbols_known {
            // Nothing is known of the code: assume the worst.
            packages.insert(path.clone());
            symbols.extend(i.symbols.iter().map(|s| format!("{path}.{s}")));
            whole_package |= i.symbols.is_empty();
            continue;
        }
        if !b.packages.contains(&path) {
            continue;
        }
        packages.insert(path.clone());
        if i.symbols.is_empty() {
            // No symbol list: every function of the package counts.
            whole_package = true;
            continue;
        }
        for s in &i.symbols {
            if b.symbols.contains(&(path.clone(), s.clone())) {
                symbols.insert(format!("{path}.{s}"));
            }
        }
    }
    let reach = if !symbols.is_empty() || whole_package {
        Reach::Called
    } else if !packages.is_empty() {
        Reach::Imported
    } else {
        Reach::Module
    };
    Some(Reachability {
        reach,
        symbols: symbols.into_iter().collect(),
        packages: packages.into_iter().collect(),
    })
}

/// The findings of `b` against `db`, sorted by module, then most
/// reachable first, then ID. Every module's records must be readable
/// ([`Database::prefetch`] them first to read them in parallel).
pub fn findings(db: &Database, b: &Binary) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    for module in &b.modules {
        let matches = db
            .matches(&module.path, &module.version)
            .map_err(|e| Error::Lookup {
                module: module.path.clone(),
                version: module.version.clone(),
                source: Box::new(e),
            })?;
        for m in matches {
            let Some(r) = reachability(b, &m, &module.import_path) else {
                continue;
            };
            out.push(Finding {
                id: m.entry.id.clone(),
                aliases: m.entry.aliases.clone(),
                summary: if m.entry.summary.is_empty() {
                    m.entry
                        .details
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_string()
                } else {
                    m.entry.summary.clone()
                },
                module: module.path.clone(),
                version: m.version.clone(),
                fixed: m.fixed.clone(),
                reachability: r.reach,
                symbols: r.symbols,
                packages: r.packages,
                url: m.entry.url().map_or_else(
                    || format!("https://pkg.go.dev/vuln/{}", m.entry.id),
                    str::to_string,
                ),
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.module, std::cmp::Reverse(a.reachability), &a.id).cmp(&(
            &b.module,
            std::cmp::Reverse(b.reachability),
            &b.id,
        ))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{OpenOptions, Source};

    /// One record: `module` vulnerable from `introduced` until `fixed`
    /// (Go DB versions, no `v`), with these `imports`.
    fn record(
        id: &str,
        module: &str,
        fixed: &str,
        imports: serde_json::Value,
    ) -> serde_json::Value {
        json!({
            "schema_version": "1.3.1",
            "id": id,
            "modified": "2026-01-02T03:04:05Z",
            "aliases": [format!("CVE-{id}")],
            "summary": "",
            "details": format!("{id} first line\nmore"),
            "affected": [{
                "package": {"name": module, "ecosystem": "Go"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
                "ecosystem_specific": {"imports": imports},
            }],
        })
    }

    /// A database folder in the v1 layout holding `records`.
    fn database(records: &[serde_json::Value]) -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("index")).expect("index dir");
        std::fs::create_dir_all(dir.path().join("ID")).expect("ID dir");
        std::fs::write(
            dir.path().join("index/db.json"),
            r#"{"modified":"2026-01-02T03:04:05Z"}"#,
        )
        .expect("db.json");
        let mut modules: std::collections::BTreeMap<String, Vec<serde_json::Value>> =
            std::collections::BTreeMap::new();
        for r in records {
            let id = r["id"].as_str().expect("id");
            let module = r["affected"][0]["package"]["name"]
                .as_str()
                .expect("module");
            modules
                .entry(module.to_string())
                .or_default()
                .push(json!({"id": id, "modified": "2026-01-02T03:04:05Z"}));
            std::fs::write(
                dir.path().join(format!("ID/{id}.json")),
                serde_json::to_vec(r).expect("record"),
            )
            .expect("record file");
        }
        let index: Vec<serde_json::Value> = modules
            .into_iter()
            .map(|(path, vulns)| json!({"path": path, "vulns": vulns}))
            .collect();
        std::fs::write(
            dir.path().join("index/modules.json"),
            serde_json::to_vec(&index).expect("modules.json"),
        )
        .expect("modules.json");
        let db = Database::open(
            Source::Dir(dir.path().to_path_buf()),
            &OpenOptions::default(),
        )
        .expect("open the database");
        (dir, db)
    }

    /// A linux/amd64 binary built with go1.22.1, requiring `modules`
    /// (path, version, import path), whose function table holds
    /// `functions` and whose inline trees hold `inlined`, spelled as the
    /// Go linker spells them.
    fn binary(modules: &[(&str, &str, &str)], functions: &[&str], inlined: &[&str]) -> Binary {
        let symbols: BTreeSet<(String, String)> = functions
            .iter()
            .chain(inlined)
            .filter_map(|n| envelope_golang::split_symbol(n))
            .collect();
        let mut modules: Vec<CompiledModule> = modules
            .iter()
            .map(|(path, version, import_path)| CompiledModule {
                path: (*path).to_string(),
                version: (*version).to_string(),
                import_path: (*import_path).to_string(),
            })
            .collect();
        modules.push(CompiledModule {
            path: "stdlib".to_string(),
            version: "go1.22.1".to_string(),
            import_path: String::new(),
        });
        Binary {
            path: "/app".to_string(),
            go_version: "go1.22.1".to_string(),
            goos: vec!["linux".to_string()],
            goarch: vec!["amd64".to_string()],
            main_module: Some("example.com/app".to_string()),
            modules,
            symbols_known: true,
            packages: symbols.iter().map(|(p, _)| p.clone()).collect(),
            symbols,
            inline_trees: true,
        }
    }

    const LIB: &str = "example.com/lib";

    fn lib_db() -> (tempfile::TempDir, Database) {
        database(&[record(
            "GO-2026-0001",
            LIB,
            "1.2.0",
            json!([{"path": "example.com/lib/parse", "symbols": ["Parse", "Decoder.Read"]}]),
        )])
    }

    fn only(db: &Database, b: &Binary) -> Finding {
        let mut found = findings(db, b).expect("findings");
        assert_eq!(found.len(), 1, "one finding: {found:?}");
        found.remove(0)
    }

    #[test]
    fn called_directly() {
        let (_dir, db) = lib_db();
        let b = binary(
            &[(LIB, "v1.1.0", LIB)],
            &["main.main", "example.com/lib/parse.Parse"],
            &[],
        );
        let f = only(&db, &b);
        assert_eq!(f.reachability, Reach::Called);
        assert_eq!(f.symbols, ["example.com/lib/parse.Parse"]);
        assert_eq!(f.packages, ["example.com/lib/parse"]);
        assert_eq!(f.module, LIB);
        assert_eq!(f.version, "v1.1.0");
        assert_eq!(f.fixed.as_deref(), Some("v1.2.0"));
        assert_eq!(f.summary, "GO-2026-0001 first line", "details' first line");
        assert_eq!(f.url, "https://pkg.go.dev/vuln/GO-2026-0001");
    }

    #[test]
    fn called_through_inlining() {
        let (_dir, db) = lib_db();
        // The method exists only in an inline tree, as the linker spells
        // a pointer-receiver method.
        let b = binary(
            &[(LIB, "v1.1.0", LIB)],
            &["main.main", "example.com/lib/parse.helper"],
            &["example.com/lib/parse.(*Decoder).Read"],
        );
        let f = only(&db, &b);
        assert_eq!(f.reachability, Reach::Called);
        assert_eq!(f.symbols, ["example.com/lib/parse.Decoder.Read"]);
    }

    #[test]
    fn imported_only() {
        let (_dir, db) = lib_db();
        let b = binary(
            &[(LIB, "v1.1.0", LIB)],
            &["main.main", "example.com/lib/parse.helper"],
            &[],
        );
        let f = only(&db, &b);
        assert_eq!(f.reachability, Reach::Imported);
        assert!(f.symbols.is_empty(), "{:?}", f.symbols);
        assert_eq!(f.packages, ["example.com/lib/parse"]);
    }

    #[test]
    fn required_only() {
        let (_dir, db) = lib_db();
        let b = binary(
            &[(LIB, "v1.1.0", LIB)],
            &["main.main", "example.com/lib/other.Parse"],
            &[],
        );
        let f = only(&db, &b);
        assert_eq!(f.reachability, Reach::Module);
        assert!(f.packages.is_empty(), "{:?}", f.packages);
    }

    #[test]
    fn fixed_version_has_no_finding() {
        let (_dir, db) = lib_db();
        let b = binary(
            &[(LIB, "v1.2.0", LIB)],
            &["example.com/lib/parse.Parse"],
            &[],
        );
        assert!(findings(&db, &b).expect("findings").is_empty());
    }

    #[test]
    fn other_platforms_only_is_no_finding() {
        let (_dir, db) = database(&[record(
            "GO-2026-0002",
            LIB,
            "1.2.0",
            json!([{"path": "example.com/lib/parse", "goos": ["windows"], "symbols": ["Parse"]}]),
        )]);
        let mut b = binary(
            &[(LIB, "v1.1.0", LIB)],
            &["example.com/lib/parse.Parse"],
            &[],
        );
        assert!(findings(&db, &b).expect("findings").is_empty());
        // A binary whose platform is unknown is not excluded.
        b.goos.clear();
        assert_eq!(only(&db, &b).reachability, Reach::Called);
    }

    #[test]
    fn standard_library() {
        let (_dir, db) = database(&[record(
            "GO-2026-0003",
            "stdlib",
            "1.22.2",
            json!([{"path": "net/http", "symbols": ["Get"]}]),
        )]);
        let b = binary(&[], &["main.main", "net/http.Get"], &[]);
        let f = only(&db, &b);
        assert_eq!(f.module, "stdlib");
        assert_eq!(f.version, "v1.22.1");
        assert_eq!(f.fixed.as_deref(), Some("v1.22.2"));
        assert_eq!(f.reachability, Reach::Called);
        assert_eq!(f.symbols, ["net/http.Get"]);
    }

    #[test]
    fn replacement_keeps_the_original_import_path() {
        let (_dir, db) = database(&[record(
            "GO-2026-0004",
            "example.com/fork",
            "1.2.0",
            json!([{"path": "example.com/fork/parse", "symbols": ["Parse"]}]),
        )]);
        let b = binary(
            &[("example.com/fork", "v1.1.0", LIB)],
            &["example.com/lib/parse.Parse"],
            &[],
        );
        let f = only(&db, &b);
        assert_eq!(f.module, "example.com/fork");
        assert_eq!(f.reachability, Reach::Called);
        assert_eq!(f.symbols, ["example.com/lib/parse.Parse"]);
    }

    #[test]
    fn whole_module_and_unknown_code() {
        let (_dir, db) = database(&[record("GO-2026-0005", LIB, "1.2.0", json!([]))]);
        let mut b = binary(&[(LIB, "v1.1.0", LIB)], &["example.com/other.F"], &[]);
        assert_eq!(only(&db, &b).reachability, Reach::Module);
        b.symbols.insert(("example.com/lib/x".into(), "F".into()));
        b.packages.insert("example.com/lib/x".into());
        assert_eq!(only(&db, &b).reachability, Reach::Called);

        // Without a function table every vulnerable symbol counts.
        let (_dir, db) = lib_db();
        let mut b = binary(&[(LIB, "v1.1.0", LIB)], &[], &[]);
        b.symbols_known = false;
        let f = only(&db, &b);
        assert_eq!(f.reachability, Reach::Called);
        assert_eq!(
            f.symbols,
            [
                "example.com/lib/parse.Decoder.Read",
                "example.com/lib/parse.Parse"
            ]
        );
    }

    #[test]
    fn sorted_by_module_then_reach_then_id() {
        let (_dir, db) = database(&[
            record(
                "GO-2026-0010",
                LIB,
                "1.2.0",
                json!([{"path": "example.com/lib/a", "symbols": ["F"]}]),
            ),
            record(
                "GO-2026-0011",
                LIB,
                "1.2.0",
                json!([{"path": "example.com/lib/b", "symbols": ["F"]}]),
            ),
            record(
                "GO-2026-0012",
                "stdlib",
                "1.23.0",
                json!([{"path": "os", "symbols": ["Open"]}]),
            ),
        ]);
        let b = binary(
            &[(LIB, "v1.0.0", LIB)],
            &["example.com/lib/a.G", "example.com/lib/b.F"],
            &[],
        );
        let got: Vec<(String, Reach)> = findings(&db, &b)
            .expect("findings")
            .into_iter()
            .map(|f| (f.id, f.reachability))
            .collect();
        assert_eq!(
            got,
            [
                ("GO-2026-0011".to_string(), Reach::Called),
                ("GO-2026-0010".to_string(), Reach::Imported),
                ("GO-2026-0012".to_string(), Reach::Module),
            ]
        );
    }

    #[test]
    fn unreadable_record_names_the_module() {
        let (dir, db) = lib_db();
        std::fs::write(dir.path().join("ID/GO-2026-0001.json"), b"{").expect("corrupt");
        let b = binary(&[(LIB, "v1.1.0", LIB)], &[], &[]);
        let e = findings(&db, &b).expect_err("a corrupt record");
        assert!(
            e.to_string()
                .starts_with("looking up example.com/lib v1.1.0"),
            "{e}"
        );
    }
}
