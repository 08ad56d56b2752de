//! Deterministic SBOM writers for images of Go services: SPDX 2.3 JSON and
//! CycloneDX 1.6 JSON, each with its own serde structs.
//!
//! The input is a plain model ([`SbomInput`]); the writers depend on nothing
//! else of the workspace. [`collect`] gathers that model's Go binaries and
//! OS packages from an image's layers (with envelope-layer's indexer and
//! envelope-golang's build-info reader). Both writers render the same
//! package graph:
//!
//! - the subject (image or binary; a subject whose digest is the SHA-256 of
//!   one of its binaries is that binary),
//! - for every Go binary its main module (CONTAINS from the subject), every
//!   dependency module and the Go standard library (DEPENDS_ON from the main
//!   module). A module used by several binaries is one package with an edge
//!   from each main module. The standard library is the package `stdlib`,
//!   version as the binary reports it without experiments (`go1.23.4`),
//!   PURL `pkg:golang/stdlib@1.23.4` (syft's convention),
//! - OS packages (CONTAINS from the subject); [`os`] reads them from dpkg and
//!   apk databases.
//!
//! Output is byte-for-byte deterministic: the input is normalized (sorted,
//! deduplicated) first, identifiers are derived from content hashes, and the
//! only time used is [`Subject::created`] (in UTC with whole seconds, or the
//! Unix epoch when absent or not RFC 3339).
//!
//! Go-specific data that the formats have no field for is carried as
//! `envelope:*` key/value pairs: CycloneDX `properties`, SPDX package
//! `annotations` (type `OTHER`, comment `key=value`). See [`props`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod collect;
pub mod cyclonedx;
pub mod os;
pub mod purl;
pub mod spdx;

mod graph;
mod time;

use serde::Serialize;

/// Property / annotation keys used for data without a native field.
pub mod props {
    /// The `h1:` go.sum hash of a module (not a plain digest, so neither
    /// SPDX `checksums` nor CycloneDX `hashes` can hold it).
    pub const GO_H1: &str = "envelope:go:h1";
    /// `path@version` of the module a `replace` directive swapped out; the
    /// package itself is reported as the replacement.
    pub const GO_REPLACED: &str = "envelope:go:replaced";
    /// The local directory of a filesystem `replace` (no module version).
    pub const GO_REPLACEMENT_DIR: &str = "envelope:go:replacement-dir";
    /// Path of the binary (in the image) a main module was built into.
    pub const GO_BINARY: &str = "envelope:go:binary";
    /// Go toolchain version a binary was built with (`go1.23.4`).
    pub const GO_TOOLCHAIN: &str = "envelope:go:toolchain";
    /// Prefix for build settings: `envelope:go:build:<key>`.
    pub const GO_BUILD_PREFIX: &str = "envelope:go:build:";
}

/// What the SBOM describes: an image (by reference) or a single binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// Image reference or binary path.
    pub name: String,
    /// `sha256:<hex>` of the image manifest or of the binary.
    pub digest: Option<String>,
    /// RFC 3339 creation time (written in UTC with whole seconds);
    /// `1970-01-01T00:00:00Z` when absent or unparseable.
    pub created: Option<String>,
}

/// A Go module as recorded in a binary's build info.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Module {
    /// Module path, e.g. `github.com/spf13/cobra`; for a `replace` target
    /// also a local directory such as `../lib`.
    pub path: String,
    /// `v1.2.3`, or `(devel)` for a main module built from a checkout.
    pub version: String,
    /// go.sum hash, `h1:...`.
    pub sum: Option<String>,
    /// The module this one was replaced with.
    pub replace: Option<Box<Module>>,
}

/// A Go binary found in the subject.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct GoBinary {
    /// Path in the image, or file name.
    pub path: String,
    /// Hex (or `sha256:`-prefixed hex) SHA-256 of the binary.
    pub sha256: Option<String>,
    /// Toolchain version as the binary reports it, e.g. `go1.23.4` or
    /// `go1.22.1 X:boringcrypto`.
    pub go_version: String,
    /// The main module (the one the binary's `main` package is in).
    pub main: Module,
    /// The dependency modules linked into the binary.
    pub deps: Vec<Module>,
    /// Build settings (`-ldflags`, `GOOS`, `vcs.revision`, ...).
    pub settings: Vec<(String, String)>,
}

/// Package manager of an OS package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Ecosystem {
    /// Debian packages (dpkg): `pkg:deb/...`.
    Deb,
    /// Alpine packages (apk-tools): `pkg:apk/...`.
    Apk,
}

/// A distribution package installed in the image.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct OsPackage {
    /// Binary package name, e.g. `libc6`.
    pub name: String,
    /// Full package version, e.g. `2.36-9+deb12u4` or `1.2.5-r0`.
    pub version: String,
    /// Package architecture, e.g. `amd64`, `all`, `x86_64`.
    pub arch: Option<String>,
    /// The package manager the package was found in.
    pub ecosystem: Ecosystem,
    /// Distribution id, e.g. `debian-12`, `alpine-3.20`.
    pub distro: Option<String>,
}

/// Everything an SBOM is made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SbomInput {
    /// What the SBOM describes.
    pub subject: Subject,
    /// The Go binaries in the subject (the subject itself for a binary).
    pub binaries: Vec<GoBinary>,
    /// The distribution packages installed in the image.
    pub os_packages: Vec<OsPackage>,
    /// Name of the tool writing the SBOM (`envelope`).
    pub tool_name: String,
    /// Version of the tool writing the SBOM.
    pub tool_version: String,
}

impl SbomInput {
    /// A copy with every list in canonical order (binaries by path, then
    /// every other field; deps by path/version; settings by key, then value;
    /// OS packages by ecosystem/name/version/arch/distro), exact duplicates
    /// removed. Every order is total, so the result does not depend on the
    /// order of the input lists.
    pub fn normalized(&self) -> SbomInput {
        let mut n = self.clone();
        for b in &mut n.binaries {
            b.deps.sort();
            b.deps.dedup();
            b.settings.sort();
            b.settings.dedup();
        }
        // Derived order: path first (field order), then the rest.
        n.binaries.sort();
        n.binaries.dedup();
        n.os_packages.sort_by(|a, b| {
            (a.ecosystem, &a.name, &a.version, &a.arch, &a.distro).cmp(&(
                b.ecosystem,
                &b.name,
                &b.version,
                &b.arch,
                &b.distro,
            ))
        });
        n.os_packages.dedup();
        n
    }

    /// SHA-256 of the canonical serialization: compact JSON of
    /// [`SbomInput::normalized`] (struct fields in declaration order).
    pub fn content_hash(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let canonical = serde_json::to_vec(&self.normalized())
            .expect("serializing plain structs with string keys cannot fail");
        Sha256::digest(&canonical).into()
    }

    /// What the documents are identified by (SPDX `documentNamespace`,
    /// CycloneDX `serialNumber`): [`SbomInput::content_hash`] of the input
    /// with [`Subject::created`] cleared. Any change of what is described,
    /// or of the tool, changes it; the same content described at another
    /// time (`SOURCE_DATE_EPOCH` or not) keeps it.
    pub fn identity_hash(&self) -> [u8; 32] {
        let mut timeless = self.clone();
        timeless.subject.created = None;
        timeless.content_hash()
    }
}

/// Serialization failure (not expected for these plain structs).
pub type Error = serde_json::Error;

/// The SPDX 2.3 JSON document, pretty-printed with a trailing newline.
pub fn spdx_json(input: &SbomInput) -> Result<Vec<u8>, Error> {
    to_pretty(&spdx::document(input))
}

/// The CycloneDX 1.6 JSON document, pretty-printed with a trailing newline.
pub fn cyclonedx_json(input: &SbomInput) -> Result<Vec<u8>, Error> {
    to_pretty(&cyclonedx::document(input))
}

fn to_pretty<T: Serialize>(doc: &T) -> Result<Vec<u8>, Error> {
    let mut out = serde_json::to_vec_pretty(doc)?;
    out.push(b'\n');
    Ok(out)
}
