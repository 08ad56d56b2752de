//! `envelope pin`: image references in Dockerfiles (`FROM`) and Kubernetes
//! or Compose YAML (`image:`) get their digest, `image:tag@sha256:...`.
//! The rewrite replaces the exact bytes of each reference: comments,
//! quotes, spacing and line endings stay as they were. YAML is read by
//! envelope-yaml's parser; a value it cannot rewrite exactly (an anchor, an
//! alias, a block scalar) is reported with its line and left alone.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use envelope_cli::PinArgs;

use envelope_yaml::Skipped;

use crate::images::{client, parse_registry_ref, tls_hint};
use crate::printer::Printer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dockerfile,
    Yaml,
}

fn kind_of(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        Some(Kind::Yaml)
    } else if name == "dockerfile"
        || name == "containerfile"
        || name.starts_with("dockerfile.")
        || name.ends_with(".dockerfile")
    {
        Some(Kind::Dockerfile)
    } else {
        None
    }
}

/// One image reference found in a file: its line (0-based) and its byte
/// range in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub line: usize,
    pub start: usize,
    pub end: usize,
    pub image: String,
}

/// A reference found, and why it is left alone (None: pin it).
type Candidate = (Found, Option<&'static str>);

/// Why a reference is left alone, or None when it should be pinned.
fn skip_reason(image: &str, stages: &[String]) -> Option<&'static str> {
    if image.contains('@') {
        Some("pinned")
    } else if image.contains('$') {
        Some("uses a variable")
    } else if image.eq_ignore_ascii_case("scratch") {
        Some("scratch")
    } else if stages.iter().any(|s| s.eq_ignore_ascii_case(image)) {
        Some("a build stage")
    } else {
        None
    }
}

/// `FROM [--flag=...]... IMAGE [AS NAME]` lines. Stage names are collected
/// so `FROM builder` is not taken for an image.
pub fn find_dockerfile(text: &str) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut stages: Vec<String> = Vec::new();
    let mut line_start = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let at_line = line_start;
        line_start += line.len();
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let Some(first) = trimmed.split_whitespace().next() else {
            continue;
        };
        if !first.eq_ignore_ascii_case("FROM") {
            continue;
        }
        // Words with their byte offsets on the line.
        let mut words = Vec::new();
        let mut offset = indent + first.len();
        for w in line[offset..].split_whitespace() {
            let at = line[offset..].find(w).map_or(offset, |i| offset + i);
            offset = at + w.len();
            words.push((at, w));
        }
        let Some(i) = words.iter().position(|(_, w)| !w.starts_with("--")) else {
            continue;
        };
        let (start, word) = words[i];
        let reason = skip_reason(word, &stages);
        out.push((
            Found {
                line: n,
                start: at_line + start,
                end: at_line + start + word.len(),
                image: word.to_string(),
            },
            reason,
        ));
        if let (Some((_, as_kw)), Some((_, name))) = (words.get(i + 1), words.get(i + 2)) {
            if as_kw.eq_ignore_ascii_case("AS") {
                stages.push((*name).to_string());
            }
        }
    }
    out
}

/// `image:` values in YAML (every document, block and flow mappings), with
/// the values that cannot be rewritten exactly, which are left alone.
pub fn find_yaml(text: &str) -> Result<(Vec<Candidate>, Vec<Skipped>)> {
    let found = envelope_yaml::find_values(text, "image")?;
    let refs = found
        .values
        .into_iter()
        .map(|v| {
            let reason = skip_reason(&v.value, &[]);
            let found = Found {
                line: v.line.saturating_sub(1),
                start: v.range.start,
                end: v.range.end,
                image: v.value,
            };
            (found, reason)
        })
        .collect();
    Ok((refs, found.skipped))
}

/// Rewrites the found references with their digests; every other byte
/// stays.
pub fn rewrite(text: &str, pins: &[(Found, String)]) -> Result<String> {
    let edits: Vec<(std::ops::Range<usize>, String)> = pins
        .iter()
        .map(|(f, digest)| (f.start..f.end, format!("{}@{digest}", f.image)))
        .collect();
    Ok(envelope_yaml::splice(text, &edits)?)
}

pub fn run(args: PinArgs, printer: &Printer) -> Result<ExitCode> {
    let files: Vec<PathBuf> = if args.files.is_empty() {
        vec![PathBuf::from("Dockerfile")]
    } else {
        args.files.clone()
    };
    let mut unpinned = 0usize;
    let mut client_cell = None;
    let mut stdout = printer.stdout();
    for file in &files {
        let kind = kind_of(file).with_context(|| {
            format!("{}: not a Dockerfile (Dockerfile, Containerfile, *.Dockerfile) or YAML (.yaml, .yml) by its name", file.display())
        })?;
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let found = match kind {
            Kind::Dockerfile => find_dockerfile(&text),
            Kind::Yaml => {
                let (found, skipped) = find_yaml(&text).with_context(|| {
                    format!("{}: not valid YAML; nothing was pinned", file.display())
                })?;
                for s in skipped {
                    let pinned = s.value.as_ref().is_some_and(|v| v.contains('@'));
                    if !pinned {
                        printer.warn(format!(
                            "{}:{}: the image: value {}; pin it by hand",
                            file.display(),
                            s.line,
                            s.reason
                        ));
                    }
                }
                found
            }
        };
        let mut pins = Vec::new();
        for (f, reason) in found {
            match reason {
                Some("pinned") | Some("scratch") | Some("a build stage") => continue,
                Some(why) => {
                    printer.warn(format!(
                        "{}:{}: {} {why}; pin it by hand",
                        file.display(),
                        f.line + 1,
                        f.image
                    ));
                    continue;
                }
                None => {}
            }
            if args.check {
                unpinned += 1;
                writeln!(
                    stdout,
                    "{}:{}: {} is not pinned by digest",
                    file.display(),
                    f.line + 1,
                    f.image
                )?;
                continue;
            }
            let r = parse_registry_ref(&f.image)
                .with_context(|| format!("{}:{}", file.display(), f.line + 1))?;
            if client_cell.is_none() {
                client_cell = Some(client(&args.registry)?);
            }
            let Some(c) = client_cell.as_ref() else {
                bail!("no registry client")
            };
            let digest = match c.head_manifest(&r).map_err(tls_hint).with_context(|| {
                format!("{}:{}: resolving {}", file.display(), f.line + 1, f.image)
            })? {
                Some((d, _, _)) => d,
                None => bail!(
                    "{}:{}: {} does not exist in its registry",
                    file.display(),
                    f.line + 1,
                    f.image
                ),
            };
            writeln!(
                stdout,
                "{}:{}: {} -> {}@{digest}",
                file.display(),
                f.line + 1,
                f.image,
                f.image
            )?;
            pins.push((f, digest.to_string()));
        }
        if !pins.is_empty() {
            let new = rewrite(&text, &pins)?;
            envelope_oci::write_atomic(file, new.as_bytes())
                .with_context(|| format!("writing {}", file.display()))?;
        }
    }
    if args.check && unpinned > 0 {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn dockerfile_references() {
        let text = "# syntax=docker/dockerfile:1\nARG GO=1.23\nFROM --platform=$BUILDPLATFORM golang:${GO} AS build\nFROM golang:1.23 as tools\nfrom build AS again\nFROM scratch\nFROM  gcr.io/distroless/static:nonroot   # final\nFROM alpine@sha256:abc\nRUN echo FROM nothing\n";
        let found = find_dockerfile(text);
        let summary: Vec<(usize, &str, Option<&str>)> = found
            .iter()
            .map(|(f, r)| (f.line, f.image.as_str(), *r))
            .collect();
        assert_eq!(
            summary,
            [
                (2, "golang:${GO}", Some("uses a variable")),
                (3, "golang:1.23", None),
                (4, "build", Some("a build stage")),
                (5, "scratch", Some("scratch")),
                (6, "gcr.io/distroless/static:nonroot", None),
                (7, "alpine@sha256:abc", Some("pinned")),
            ]
        );
        let pins: Vec<(Found, String)> = found
            .into_iter()
            .filter(|(_, r)| r.is_none())
            .map(|(f, _)| (f, D.to_string()))
            .collect();
        let out = rewrite(text, &pins).expect("rewrite");
        assert_eq!(
            out,
            text.replace("golang:1.23 as", &format!("golang:1.23@{D} as"))
                .replace("static:nonroot   #", &format!("static:nonroot@{D}   #"))
        );
    }

    #[test]
    fn yaml_references_keep_quotes_and_comments() {
        let text = "services:\n  web:\n    image: \"nginx:1.27\" # web\n  db:\n    image: postgres:16\r\nspec:\n  containers:\n    - image: 'ghcr.io/o/app:v1'\n      name: app\n    - name: x\n      image: busybox@sha256:1\n";
        let (found, skipped) = find_yaml(text).expect("valid YAML");
        assert!(skipped.is_empty(), "{skipped:?}");
        let images: Vec<&str> = found.iter().map(|(f, _)| f.image.as_str()).collect();
        assert_eq!(
            images,
            [
                "nginx:1.27",
                "postgres:16",
                "ghcr.io/o/app:v1",
                "busybox@sha256:1"
            ]
        );
        let pins: Vec<(Found, String)> = found
            .into_iter()
            .filter(|(_, r)| r.is_none())
            .map(|(f, _)| (f, D.to_string()))
            .collect();
        let out = rewrite(text, &pins).expect("rewrite");
        assert!(
            out.contains(&format!("image: \"nginx:1.27@{D}\" # web\n")),
            "{out}"
        );
        assert!(
            out.contains(&format!("image: postgres:16@{D}\r\n")),
            "{out}"
        );
        assert!(
            out.contains(&format!("- image: 'ghcr.io/o/app:v1@{D}'\n")),
            "{out}"
        );
        assert_eq!(out.replace(&format!("@{D}"), ""), text);
    }
}
