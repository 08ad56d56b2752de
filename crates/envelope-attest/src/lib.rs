//! What envelope's attestations say, not how they are signed or stored:
//! in-toto Statement v1 ([`statement`]), the SLSA provenance v1 predicate
//! with envelope's build type ([`provenance`]), the SBOM and OpenVEX
//! predicates ([`predicates`], [`vex`]), and the check no signature can
//! make: that a provenance's Go modules, toolchain and base image are
//! those of the image it describes ([`check`]).
//!
//! Images are read through the one image model ([`envelope_oci::ImageSource`],
//! opened by the caller) into [`image::ImageFacts`]; everything here is
//! deterministic (sorted lists, `BTreeMap`s, no clock) and prints nothing.
//! Statements and provenance are parsed as untrusted input: with a size
//! limit, never panicking, with errors that name the field.

#![forbid(unsafe_code)]

pub mod check;
mod error;
pub mod image;
pub mod predicates;
pub mod provenance;
pub mod statement;
pub mod vex;

pub use check::{check, check_images, CheckReport, Mismatch};
pub use error::Error;
pub use image::{read_image, ImageFacts};
pub use provenance::{Provenance, ProvenanceInput, BUILD_TYPE, PROVENANCE_PREDICATE_TYPE};
pub use statement::{Statement, Subject, STATEMENT_TYPE};
