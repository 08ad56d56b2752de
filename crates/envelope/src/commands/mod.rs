//! One module per command. What several commands share lives beside this
//! folder, never in a command file: `images` (opening, pushing, clients),
//! `outputs` (what `build` and `package` write and report), `sboms`,
//! `signing`, `attesting`, `vulndb` and `manifests`.

pub mod audit;
pub mod build;
pub mod init;
pub mod keygen;
pub mod lint;
pub mod manifest;
pub mod package;
pub mod pin;
pub mod registry;
pub mod resolve;
pub mod sbom;
pub mod scan;
pub mod sign;
