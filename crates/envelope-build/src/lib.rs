//! Image building: the Go toolchain driver, the generated base (users, CA
//! certificates, time zones), image assembly, the per-platform build
//! pipeline and the layer cache. It never prints; the binary crate reports
//! what it returns and what the pipeline tells its [`Reporter`].

pub mod base;
pub mod cache;
pub mod gobuild;
pub mod image;
pub mod pipeline;

use std::path::PathBuf;

pub use base::base_files_size;
pub use cache::Cache;
pub use gobuild::{go_build, list_packages, GoBuild, GoTool, ListedPackage};
pub use image::{
    assemble, platform_image, rfc3339, BaseImage, FileEntry, ImageOptions, Include, PlatformBinary,
    PlatformImage, PlatformReport,
};
pub use pipeline::{build_binaries, build_images, BuildPlan, BuiltImage, Reporter};

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot find the Go toolchain: {detail}")]
    GoNotFound { detail: String },

    #[error("go build failed for {package} ({platform}){}", status.map(|c| format!(", exit status {c}")).unwrap_or_default())]
    GoBuildFailed {
        package: String,
        platform: String,
        status: Option<i32>,
        hint: Option<String>,
    },

    #[error("go list {pattern} failed: {detail}")]
    GoListFailed {
        pattern: String,
        detail: String,
        hint: Option<String>,
    },

    #[error("{package} is not a main package{}: only commands (package main with func main) can become images", name.as_ref().map(|n| format!(" (it is package {n})")).unwrap_or_default())]
    NotMainPackage {
        package: String,
        name: Option<String>,
    },

    #[error("reading the binary go built at {}", path.display())]
    BuiltBinary {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("bad platform {platform:?}: {detail}")]
    Platform { platform: String, detail: String },

    #[error("{source_name} is not a usable Go binary: {detail}")]
    NotAGoBinary { source_name: String, detail: String },

    #[error("{source_name} is dynamically linked ({needs}) and the scratch base has no C library")]
    DynamicBinary { source_name: String, needs: String },

    #[error("bad value {value:?} for {option}: {detail}")]
    Option {
        option: &'static str,
        value: String,
        detail: String,
    },

    #[error("{what} {}: {detail}", path.display())]
    Input {
        what: &'static str,
        path: PathBuf,
        detail: String,
    },

    #[error("cache {}: {detail}", path.display())]
    Cache { path: PathBuf, detail: String },

    #[error(transparent)]
    Layer(#[from] envelope_layer::Error),

    #[error(transparent)]
    Oci(#[from] envelope_oci::Error),
}

impl BuildError {
    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<String> {
        match self {
            BuildError::GoNotFound { .. } => Some(
                "install Go 1.21 or newer and put `go` on PATH, or set ENVELOPE_GO=/path/to/go".into(),
            ),
            BuildError::GoBuildFailed { hint, .. } | BuildError::GoListFailed { hint, .. } => {
                hint.clone()
            }
            BuildError::NotMainPackage { .. } => {
                Some("point envelope at the directory of a command, e.g. `envelope build ./cmd/server`".into())
            }
            BuildError::Platform { .. } => {
                Some("platforms look like linux/amd64, linux/arm64 or linux/arm/v7".into())
            }
            BuildError::DynamicBinary { .. } => Some(
                "build with CGO_ENABLED=0 for a static binary, or pass --allow-dynamic if you know it works"
                    .into(),
            ),
            BuildError::NotAGoBinary { .. } => {
                Some("`envelope package` takes a Linux executable built by `go build`".into())
            }
            _ => None,
        }
    }
}
