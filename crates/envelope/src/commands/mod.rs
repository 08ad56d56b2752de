//! One module per command; `image` holds what `build` and `package` share:
//! turning flags into image options, writing outputs, and the report;
//! `inputs` what `audit`, `sbom` and `scan` share: reading a binary or an
//! image's Go binaries and package databases.

pub mod audit;
pub mod build;
pub mod image;
pub mod init;
pub mod inputs;
pub mod lint;
pub mod package;
pub mod pin;
pub mod registry;
pub mod sbom;
pub mod scan;
pub mod scan_report;
