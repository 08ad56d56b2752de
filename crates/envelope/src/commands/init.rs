//! `envelope init`: a hardened multi-stage Dockerfile and a .dockerignore
//! for the Go module in a directory. The Dockerfile is linted before it is
//! written; it must pass with no findings.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use envelope_cli::{BuildArgs, ImageArgs, InitArgs, InitBase, ManifestArgs};

use crate::printer::{hinted, Printer};

/// What go.mod says.
struct Module {
    path: String,
    /// `major.minor` of the `go` directive.
    go: String,
    has_sum: bool,
}

pub fn run(args: InitArgs, printer: &Printer) -> Result<ExitCode> {
    let dir = &args.dir;
    let module = read_module(dir)?;
    let mains = main_packages(dir)?;
    let pkg = choose_main(&module, &mains, args.main.as_deref())?;
    let name = binary_name(&module, &pkg);
    if args.kubernetes {
        return kubernetes(&args, &module, &pkg, &name, printer);
    }
    let dockerfile = dockerfile(&module, &pkg, &name, args.base);
    let ignore = dockerignore();

    let targets = [
        (dir.join("Dockerfile"), dockerfile.as_str()),
        (dir.join(".dockerignore"), ignore),
    ];
    let existing: Vec<String> = targets
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| p.display().to_string())
        .collect();
    if !existing.is_empty() && !args.force {
        bail!(hinted(
            format!(
                "{} already exist{}",
                existing.join(" and "),
                if existing.len() == 1 { "s" } else { "" }
            ),
            "nothing was written; use --force to replace them",
        ));
    }

    // The generated file must be one the linter passes.
    let settings = envelope_lint::Settings::default();
    let checked = envelope_lint::lint("Dockerfile", dockerfile.as_bytes(), None, &settings)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(d) = checked.diagnostics.first() {
        bail!(
            "the generated Dockerfile has a finding: {} {}",
            d.code,
            d.message
        );
    }

    for (path, text) in &targets {
        envelope_oci::write_atomic(path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    printer.status(format!(
        "wrote {} and {} for {} (main package {pkg}, Go {})",
        targets[0].0.display(),
        targets[1].0.display(),
        module.path,
        module.go
    ));
    if mains.len() > 1 {
        printer.status(format!(
            "other main packages: {} (choose with --main)",
            mains
                .iter()
                .filter(|m| **m != pkg)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    printer.status("next: `envelope pin Dockerfile` to pin the base images by digest");
    Ok(ExitCode::SUCCESS)
}

/// `--kubernetes`: builds `pkg` into a temporary layout, as `envelope
/// build` would, and writes the manifests `envelope manifest` makes of it
/// into deploy/NAME.yaml, the image named by its import path.
fn kubernetes(
    args: &InitArgs,
    module: &Module,
    pkg: &str,
    name: &str,
    printer: &Printer,
) -> Result<ExitCode> {
    let dir = std::path::absolute(&args.dir)
        .with_context(|| format!("finding {}", args.dir.display()))?;
    let target = dir.join("deploy").join(format!("{name}.yaml"));
    if target.exists() && !args.force {
        bail!(hinted(
            format!("{} already exists", target.display()),
            "nothing was written; use --force to replace it",
        ));
    }
    let import_path = match pkg.strip_prefix("./") {
        Some(rest) => format!("{}/{rest}", module.path),
        None => module.path.clone(),
    };
    let staging = tempfile::Builder::new()
        .prefix("envelope-init-")
        .tempdir()
        .context("making a directory to build the image in")?;
    let layout = format!("oci:{}:latest", staging.path().join("image").display());
    // The build reads the module (and its envelope.toml) where it is.
    std::env::set_current_dir(&dir).with_context(|| format!("entering {}", dir.display()))?;
    let build = BuildArgs::for_packages(
        vec![pkg.to_string()],
        ImageArgs {
            outputs: vec![layout.clone()],
            ports: args.ports.clone(),
            name: Some(name.to_string()),
            sbom: envelope_cli::SbomKind::None,
            ..ImageArgs::defaults()
        },
    );
    crate::commands::build::build(&build, printer)?;
    let manifest = ManifestArgs {
        image: layout,
        image_ref: Some(format!("envelope://{import_path}")),
        name: Some(name.to_string()),
        namespace: None,
        ports: Vec::new(),
        replicas: 2,
        health_path: args.health_path.clone(),
        user: None,
        pdb: true,
        network_policy: true,
        service_account: true,
        output: None,
        platform: None,
        registry: build.image.registry.clone(),
    };
    let yaml = crate::manifests::render(&manifest, printer)?;
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("making {}", parent.display()))?;
    }
    envelope_oci::write_atomic(&target, yaml.as_bytes())
        .with_context(|| format!("writing {}", target.display()))?;
    printer.status(format!(
        "wrote {} for {import_path}; next: `envelope apply -f {}` (with ENVELOPE_REPO set) builds, pushes and applies it",
        target.display(),
        target.display()
    ));
    Ok(ExitCode::SUCCESS)
}

fn read_module(dir: &Path) -> Result<Module> {
    let gomod = dir.join("go.mod");
    let text = std::fs::read_to_string(&gomod).map_err(|e| {
        hinted(
            format!("cannot read {}: {e}", gomod.display()),
            "run envelope init in a Go module (a directory with go.mod), or pass --dir",
        )
    })?;
    let mut path = None;
    let mut go = None;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or_default().trim();
        if let Some(p) = line.strip_prefix("module ") {
            path = Some(p.trim().trim_matches('"').to_string());
        } else if let Some(v) = line.strip_prefix("go ") {
            go = Some(v.trim().to_string());
        }
    }
    let Some(path) = path else {
        bail!(hinted(
            format!("{} has no module line", gomod.display()),
            "go mod init MODULE-PATH writes one"
        ));
    };
    let go = go.unwrap_or_else(|| "1.23".to_string());
    let mut parts = go.split('.');
    let major_minor = match (parts.next(), parts.next()) {
        (Some(a), Some(b)) if a.chars().all(|c| c.is_ascii_digit()) => {
            let b: String = b.chars().take_while(char::is_ascii_digit).collect();
            format!("{a}.{b}")
        }
        _ => bail!(hinted(
            format!("{}: cannot read the go version {go:?}", gomod.display()),
            "the go directive looks like `go 1.23` or `go 1.23.4`"
        )),
    };
    Ok(Module {
        path,
        go: major_minor,
        has_sum: dir.join("go.sum").is_file(),
    })
}

/// Directories (as `./a/b` or `.`) holding a non-test `package main`.
fn main_packages(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)
            .with_context(|| format!("reading {}", d.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        let mut is_main = false;
        for p in entries {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if p.is_dir() {
                // Go ignores these; a nested module is not part of this one.
                let skipped = name.starts_with('.')
                    || name.starts_with('_')
                    || matches!(name.as_str(), "vendor" | "testdata" | "node_modules");
                if !skipped && !p.join("go.mod").exists() {
                    stack.push(p);
                }
                continue;
            }
            if name.ends_with(".go") && !name.ends_with("_test.go") && !is_main {
                is_main = declares_main(&p);
            }
        }
        if is_main {
            let rel = d.strip_prefix(dir).unwrap_or(&d);
            let rel = rel.to_string_lossy().replace('\\', "/");
            out.push(if rel.is_empty() {
                ".".to_string()
            } else {
                format!("./{rel}")
            });
        }
    }
    out.sort();
    Ok(out)
}

fn declares_main(file: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(file) else {
        return false;
    };
    let mut in_block = false;
    for line in text.lines() {
        let t = line.trim();
        if in_block {
            if t.contains("*/") {
                in_block = false;
            }
            continue;
        }
        if t.starts_with("//go:build ignore") || t.starts_with("// +build ignore") {
            return false;
        }
        if t.is_empty() || t.starts_with("//") {
            continue;
        }
        if t.starts_with("/*") {
            in_block = !t.contains("*/");
            continue;
        }
        return t == "package main"
            || t.starts_with("package main ")
            || t.starts_with("package main//");
    }
    false
}

fn choose_main(module: &Module, mains: &[String], wanted: Option<&str>) -> Result<String> {
    if let Some(w) = wanted {
        let w = if w == "." || w.starts_with("./") {
            w.to_string()
        } else {
            format!("./{w}")
        };
        let w = w.trim_end_matches('/').to_string();
        if mains.contains(&w) {
            return Ok(w);
        }
        bail!(hinted(
            format!("{w} is not a main package of {}", module.path),
            format!(
                "main packages: {}",
                if mains.is_empty() {
                    "none".into()
                } else {
                    mains.join(", ")
                }
            )
        ));
    }
    match mains {
        [] => bail!(hinted(
            format!("{} has no main package", module.path),
            "envelope init writes a Dockerfile for a program: add a package main (e.g. cmd/NAME/main.go)"
        )),
        [one] => Ok(one.clone()),
        _ => {
            let last = module.path.rsplit('/').next().unwrap_or_default();
            if let Some(m) = mains.iter().find(|m| m.rsplit('/').next() == Some(last)) {
                return Ok(m.clone());
            }
            bail!(hinted(
                format!("{} has several main packages: {}", module.path, mains.join(", ")),
                "choose one with --main, e.g. --main ".to_string() + &mains[0]
            ))
        }
    }
}

fn binary_name(module: &Module, pkg: &str) -> String {
    let raw = if pkg == "." {
        module.path.rsplit('/').next().unwrap_or("app")
    } else {
        pkg.rsplit('/').next().unwrap_or("app")
    };
    // A major-version suffix (example.com/app/v2) is not a name.
    let raw =
        if raw.starts_with('v') && raw[1..].chars().all(|c| c.is_ascii_digit()) && raw.len() > 1 {
            module.path.rsplit('/').nth(1).unwrap_or("app")
        } else {
            raw
        };
    let name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if name.is_empty() {
        "app".into()
    } else {
        name
    }
}

fn dockerfile(module: &Module, pkg: &str, name: &str, base: InitBase) -> String {
    let copy_mod = if module.has_sum {
        "COPY go.mod go.sum ./"
    } else {
        "COPY go.mod ./"
    };
    let source = if module
        .path
        .split('/')
        .next()
        .is_some_and(|h| h.contains('.'))
    {
        format!("https://{}", module.path)
    } else {
        "unknown".to_string()
    };
    let (final_from, final_note) = match base {
        InitBase::Distroless => (
            "gcr.io/distroless/static-debian12:nonroot",
            "# No shell, no package manager, no libc: only CA certificates, tzdata,\n# /etc/passwd and /tmp.",
        ),
        InitBase::Scratch => (
            "scratch",
            "# Nothing but the binary: add CA certificates or tzdata yourself if it needs them.",
        ),
    };
    let pin_note =
        "# envelope: ignore=DF001 placeholder tag: `envelope pin Dockerfile` adds the digest";
    let final_pin = if base == InitBase::Scratch {
        String::new()
    } else {
        format!("{pin_note}\n")
    };
    format!(
        r#"# syntax=docker/dockerfile:1
# Written by `envelope init` for {module}. Check it with `envelope lint`.
#
# Before you ship, pin the base images by digest: `envelope pin Dockerfile`
# rewrites each FROM to name:tag@sha256:... .

{pin_note}
FROM --platform=$BUILDPLATFORM golang:{go} AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
# Dependencies first: this layer stays cached until go.mod or go.sum change.
{copy_mod}
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
# A static, stripped binary without build paths.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/{name} {pkg}

{final_note}
{final_pin}FROM {final_from}
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.source="{source}" \
      org.opencontainers.image.revision="${{REVISION}}" \
      org.opencontainers.image.version="${{VERSION}}"
COPY --from=build /out/{name} /usr/local/bin/{name}
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/{name}"]
"#,
        module = module.path,
        go = module.go,
    )
}

fn dockerignore() -> &'static str {
    "# Written by `envelope init`: keep the build context small and secrets out of it.\n\
     .git\n\
     .env\n\
     *.env\n\
     .envelope/\n\
     Dockerfile\n\
     .dockerignore\n\
     bin/\n\
     dist/\n"
}
