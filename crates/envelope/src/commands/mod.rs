//! One module per command; `image` holds what `build` and `package` share:
//! turning flags into image options, writing outputs, and the report.

pub mod audit;
pub mod build;
pub mod image;
pub mod init;
pub mod lint;
pub mod package;
pub mod pin;
pub mod registry;
pub mod sbom;
pub mod scan;
pub mod scan_report;
