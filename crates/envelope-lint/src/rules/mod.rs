//! Rule implementations, one file per rule.

pub mod dockerfile;
pub mod image;
pub mod kubernetes;
