//! What envelope's attestations say, not how they are signed or stored:
//! in-toto Statement v1 ([`statement`], from `envelope-sign`), the SLSA provenance v1 predicate
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
//!
//! Attesting an image and checking an attestation:
//!
//! ```no_run
//! use envelope_attest::predicates::{sbom_byproduct, sbom_predicate, SbomFormat};
//! use envelope_attest::{check_images, read_image, Provenance, ProvenanceInput, Statement, Subject};
//! use envelope_attest::PROVENANCE_PREDICATE_TYPE;
//! # fn sbom() -> envelope_sbom::SbomInput { unimplemented!() }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = envelope_oci::ImageStore::oci_layout("out".as_ref(), Some("v1"))?;
//! // One ImageFacts per platform of the image.
//! let facts = vec![read_image(&store.image(None)?)?];
//! // SOURCE_DATE_EPOCH as RFC 3339 when set; else the image's created time.
//! let mut input = ProvenanceInput::from_images(&facts, None);
//! let spdx = sbom_predicate(&sbom(), SbomFormat::Spdx)?;
//! input.byproducts.push(sbom_byproduct(&spdx.document, SbomFormat::Spdx));
//! let subject = Subject::new("registry.example/app:v1", &store.root().digest);
//! let payload = Statement::new(
//!     vec![subject],
//!     PROVENANCE_PREDICATE_TYPE,
//!     input.provenance().to_value(),
//! )
//! .to_json(); // the DSSE payload (application/vnd.in-toto+json)
//!
//! // Verifying, once the DSSE signature is checked:
//! let statement = Statement::parse(&payload)?;
//! assert!(statement.is_about(&store.root().digest));
//! let provenance = Provenance::from_value(statement.predicate)?;
//! let report = check_images(&facts, &provenance);
//! for mismatch in &report.mismatches {
//!     eprintln!("{mismatch}");
//! }
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

pub mod check;
mod error;
pub mod image;
pub mod policy;
pub mod predicates;
pub mod provenance;
pub mod verified;
pub mod vex;

pub use check::{check, check_images, CheckReport, Mismatch};
/// The one in-toto statement type, shared with signing and verifying.
pub use envelope_sign::statement::{self, Statement, Subject, STATEMENT_TYPE};
pub use error::Error;
pub use image::{read_image, read_image_with, ImageFacts, Verify};
pub use provenance::{Provenance, ProvenanceInput, BUILD_TYPE, PROVENANCE_PREDICATE_TYPE};
