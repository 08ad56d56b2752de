//! An OCI distribution client: credentials (Docker and Podman config files,
//! credential helpers), the WWW-Authenticate flows (anonymous, Basic,
//! Bearer), verified pulls, and pushes with retries. Its references are
//! envelope-oci's `RegistryRef`, re-exported.
//! Secrets never reach Debug, Display or error messages.

// Errors carry the expected and actual digests and the URL by design; they
// are the cold path, so their size does not matter.
#![allow(clippy::result_large_err)]

mod auth;
mod base;
pub mod carry;
mod client;
mod error;
mod open;
pub mod referrers;
mod secret;
pub mod signatures;
mod transfer;

pub use auth::{
    default_docker_config, remove_docker_login, write_docker_login, CredentialStore, Credentials,
};
#[doc(hidden)]
pub use auth::{parse_challenge, read_config, Challenge, ConfigEntry};
pub use base::{blob_cache_dir, pull_base, resolve_root, BlobCache, PulledBase};
pub use client::{Client, ClientOptions, Stats};
pub use envelope_oci::RegistryRef;
pub use error::Error;
pub use open::{open, Opened};
pub use secret::Secret;
pub use transfer::{push_image, PushEvent, PushSession, Pushed};
