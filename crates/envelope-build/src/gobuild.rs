//! Drives the Go toolchain: finds `go`, runs `go build` with the hardened
//! flags for one platform, and turns its failures into errors a user can act
//! on. Go's own messages are handed line by line to the caller, who decides
//! how to show them (above a spinner, or not at all).

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use envelope_oci::Platform;

use crate::BuildError;

/// The architectures Go can build for Linux (`go tool dist list`).
const LINUX_ARCHES: &[&str] = &[
    "386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le", "mipsle", "ppc64",
    "ppc64le", "riscv64", "s390x",
];

/// A `go` command found on this machine.
#[derive(Debug, Clone)]
pub struct GoTool {
    pub path: PathBuf,
}

impl GoTool {
    /// `$ENVELOPE_GO`, else `go` on `PATH`.
    pub fn find() -> Result<GoTool, BuildError> {
        if let Some(p) = std::env::var_os("ENVELOPE_GO").filter(|p| !p.is_empty()) {
            let path = PathBuf::from(p);
            if is_executable(&path) {
                return Ok(GoTool { path });
            }
            return Err(BuildError::GoNotFound {
                detail: format!("ENVELOPE_GO={} is not an executable file", path.display()),
            });
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join("go");
            if is_executable(&candidate) {
                return Ok(GoTool { path: candidate });
            }
        }
        Err(BuildError::GoNotFound {
            detail: "no `go` command on PATH".to_string(),
        })
    }

    /// `go env GOVERSION`, e.g. "go1.23.5".
    pub fn version(&self) -> Result<String, BuildError> {
        let out = Command::new(&self.path)
            .args(["env", "GOVERSION"])
            .output()
            .map_err(|e| BuildError::GoNotFound {
                detail: format!("cannot run {}: {e}", self.path.display()),
            })?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The Go environment for a platform: GOOS, GOARCH and the variant's knob.
pub fn go_env(platform: &Platform) -> Result<Vec<(&'static str, String)>, BuildError> {
    if platform.os != "linux" {
        return Err(BuildError::Platform {
            platform: platform.to_string(),
            detail: "container images built by envelope run on linux; use linux/ARCH".into(),
        });
    }
    let arch = platform.architecture.as_str();
    if !LINUX_ARCHES.contains(&arch) {
        return Err(BuildError::Platform {
            platform: platform.to_string(),
            detail: format!(
                "Go cannot build for architecture {arch:?}; known: {}",
                LINUX_ARCHES.join(", ")
            ),
        });
    }
    let mut env = vec![("GOOS", "linux".to_string()), ("GOARCH", arch.to_string())];
    match (arch, platform.variant.as_deref()) {
        (_, None) | ("arm64", Some("v8")) => {}
        ("arm", Some(v @ ("v5" | "v6" | "v7"))) => env.push(("GOARM", v[1..].to_string())),
        ("amd64", Some(v @ ("v1" | "v2" | "v3" | "v4"))) => env.push(("GOAMD64", v.to_string())),
        (_, Some(v)) => {
            return Err(BuildError::Platform {
                platform: platform.to_string(),
                detail: format!("variant {v:?} is not known for {arch}"),
            })
        }
    }
    Ok(env)
}

/// One `go build` invocation: one package into the file `output`, or
/// several main packages into the directory `output`, each named as go
/// names it.
#[derive(Debug)]
pub struct GoBuild<'a> {
    pub packages: &'a [&'a str],
    pub platform: &'a Platform,
    pub ldflags: Option<&'a str>,
    /// `-gcflags`, as go takes it (`all=-N -l` for every package).
    pub gcflags: Option<&'a str>,
    pub tags: Option<&'a str>,
    /// Go's own settings (GOEXPERIMENT, GOAMD64, ...), set after the
    /// platform's.
    pub env: &'a [(String, String)],
    pub output: &'a Path,
}

impl GoBuild<'_> {
    /// The arguments after `go`, for display and for running.
    pub fn args(&self) -> Vec<OsString> {
        let mut ldflags = String::from("-s -w");
        if let Some(extra) = self.ldflags.filter(|s| !s.trim().is_empty()) {
            ldflags.push(' ');
            ldflags.push_str(extra.trim());
        }
        let mut args: Vec<OsString> = vec![
            "build".into(),
            "-trimpath".into(),
            format!("-ldflags={ldflags}").into(),
        ];
        if let Some(gcflags) = self.gcflags.filter(|s| !s.trim().is_empty()) {
            args.push(format!("-gcflags={}", gcflags.trim()).into());
        }
        if let Some(tags) = self.tags.filter(|s| !s.is_empty()) {
            args.push(format!("-tags={tags}").into());
        }
        args.push("-o".into());
        let mut output = self.output.as_os_str().to_owned();
        if self.packages.len() > 1 {
            // A directory: go writes each command into it.
            output.push("/");
        }
        args.push(output);
        args.extend(self.packages.iter().map(OsString::from));
        args
    }

    /// The packages, as a person reads them.
    pub fn shown(&self) -> String {
        self.packages.join(" ")
    }
}

/// Runs `go build`; every line go writes to stderr goes to `on_line` as it
/// comes, so compile errors show up live.
pub fn go_build(
    go: &GoTool,
    build: &GoBuild<'_>,
    on_line: &mut dyn FnMut(&str),
) -> Result<(), BuildError> {
    let env = go_env(build.platform)?;
    let mut cmd = Command::new(&go.path);
    cmd.args(build.args())
        .env("CGO_ENABLED", "0")
        .env_remove("GOARM")
        .env_remove("GOAMD64")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    for (k, v) in build.env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|e| BuildError::GoNotFound {
        detail: format!("cannot run {}: {e}", go.path.display()),
    })?;
    let mut captured = String::new();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            on_line(&line);
            if captured.len() < 64 * 1024 {
                captured.push_str(&line);
                captured.push('\n');
            }
        }
    }
    let status = child.wait().map_err(|e| BuildError::GoNotFound {
        detail: format!("waiting for go: {e}"),
    })?;
    if status.success() {
        return Ok(());
    }
    Err(BuildError::GoBuildFailed {
        package: build.shown(),
        platform: build.platform.to_string(),
        status: status.code(),
        hint: hint_for(&captured),
    })
}

/// A hint for the failures users meet most.
fn hint_for(stderr: &str) -> Option<String> {
    if stderr.contains("go.mod file not found") {
        Some("run envelope inside a Go module (where go.mod is, or below it), or create one with `go mod init MODULE`".into())
    } else if stderr.contains("is not in std")
        || stderr.contains("cannot find package")
        || stderr.contains("no required module provides")
    {
        Some("check the package path; it is resolved like `go build PACKAGE` from the current directory".into())
    } else if stderr.contains("build constraints exclude all Go files") {
        Some("the package has no files for this platform; check --platform and --tags".into())
    } else if stderr.contains("go: downloading") || stderr.contains("dial tcp") {
        Some("dependencies could not be downloaded; run `go mod download` first or set GOPROXY/GOFLAGS=-mod=vendor".into())
    } else {
        None
    }
}

/// `go list -f {{.Name}}` for a package, to explain a build that made no
/// executable.
pub fn package_name(go: &GoTool, package: &str, platform: &Platform) -> Option<String> {
    let mut cmd = Command::new(&go.path);
    cmd.args(["list", "-f", "{{.Name}}", package])
        .env("CGO_ENABLED", "0")
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in go_env(platform).ok()? {
        cmd.env(k, v);
    }
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A package `go list` matched: its import path and package name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPackage {
    pub import_path: String,
    pub name: String,
}

/// Whether `go build` would take `arg` as a pattern of many packages
/// (`./...`, `./cmd/...`, `all`, `std`, `cmd`) rather than one package.
pub fn is_pattern(arg: &str) -> bool {
    arg.contains("...") || matches!(arg, "all" | "std" | "cmd" | "tool")
}

/// `go list` of the packages `pattern` matches in `workdir`, for
/// `platform` (its build constraints decide which files count), in go's
/// order. A pattern that matches nothing is an empty list.
pub fn list_packages(
    go: &GoTool,
    workdir: &Path,
    pattern: &str,
    platform: &Platform,
) -> Result<Vec<ListedPackage>, BuildError> {
    let mut cmd = Command::new(&go.path);
    cmd.args(["list", "-f", "{{.ImportPath}}\t{{.Name}}", "--", pattern])
        .current_dir(workdir)
        .env("CGO_ENABLED", "0")
        .env_remove("GOARM")
        .env_remove("GOAMD64")
        .stdin(Stdio::null());
    for (k, v) in go_env(platform)? {
        cmd.env(k, v);
    }
    let out = cmd.output().map_err(|e| BuildError::GoNotFound {
        detail: format!("cannot run {}: {e}", go.path.display()),
    })?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let detail = stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(5)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(BuildError::GoListFailed {
            pattern: pattern.to_string(),
            detail,
            hint: hint_for(&stderr),
        });
    }
    Ok(parse_list(&String::from_utf8_lossy(&out.stdout)))
}

fn parse_list(stdout: &str) -> Vec<ListedPackage> {
    stdout
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(path, name)| ListedPackage {
            import_path: path.trim().to_string(),
            name: name.trim().to_string(),
        })
        .filter(|p| !p.import_path.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        s.parse().expect("platform")
    }

    #[test]
    fn patterns_and_listings() {
        assert!(is_pattern("./..."));
        assert!(is_pattern("./cmd/..."));
        assert!(is_pattern("example.com/x/..."));
        assert!(!is_pattern("./cmd/api"));
        assert!(!is_pattern("."));
        assert_eq!(
            parse_list("example.com/m/cmd/api\tmain\nexample.com/m/lib\tlib\n\nnoise\n"),
            [
                ListedPackage {
                    import_path: "example.com/m/cmd/api".into(),
                    name: "main".into()
                },
                ListedPackage {
                    import_path: "example.com/m/lib".into(),
                    name: "lib".into()
                }
            ]
        );
    }

    #[test]
    fn env_for_platforms() {
        assert_eq!(
            go_env(&p("linux/arm/v7")).expect("ok"),
            [
                ("GOOS", "linux".into()),
                ("GOARCH", "arm".into()),
                ("GOARM", "7".into())
            ]
        );
        assert_eq!(go_env(&p("linux/arm64/v8")).expect("ok").len(), 2);
        assert!(go_env(&p("windows/amd64")).is_err());
        assert!(go_env(&p("linux/sparc")).is_err());
        assert!(go_env(&p("linux/arm64/v9")).is_err());
    }

    #[test]
    fn hardened_flags_come_first_and_user_flags_after() {
        let plat = p("linux/amd64");
        let b = GoBuild {
            packages: &["./cmd/x"],
            platform: &plat,
            ldflags: Some("-X main.version=1"),
            gcflags: None,
            tags: Some("netgo"),
            env: &[],
            output: Path::new("/o/x"),
        };
        let args: Vec<String> = b
            .args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "build",
                "-trimpath",
                "-ldflags=-s -w -X main.version=1",
                "-tags=netgo",
                "-o",
                "/o/x",
                "./cmd/x"
            ]
        );
        let many = GoBuild {
            packages: &["example.com/m/cmd/a", "example.com/m/cmd/b"],
            platform: &plat,
            ldflags: None,
            gcflags: None,
            tags: None,
            env: &[],
            output: Path::new("/o/bin"),
        };
        let args: Vec<String> = many
            .args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args[3..],
            [
                "-o",
                "/o/bin/",
                "example.com/m/cmd/a",
                "example.com/m/cmd/b"
            ]
        );
        assert_eq!(many.shown(), "example.com/m/cmd/a example.com/m/cmd/b");
    }
}
