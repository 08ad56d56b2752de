//! Dockerfile rules. `DF` codes are general hardening and hygiene; `GO` codes
//! are about how Go programs are built and shipped.

pub mod df000;
pub mod df001;
pub mod df002;
pub mod df003;
pub mod df004;
pub mod df005;
pub mod df006;
pub mod df007;
pub mod df008;
pub mod df009;
pub mod df010;
pub mod df011;
pub mod df012;
pub mod df013;
pub mod go001;
pub mod go002;
pub mod go003;
pub mod go004;
pub mod go005;
pub mod go006;
pub mod go007;
