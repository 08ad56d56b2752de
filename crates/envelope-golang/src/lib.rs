//! Facts about Go binaries, read from the bytes alone: ELF linkage and
//! stripping, the build info the Go linker embeds (modules and build
//! settings), and the function names of the pclntab, which survive
//! `-ldflags="-s -w"`. Every reader treats its input as hostile: bounded,
//! checked, never panicking.

pub mod buildinfo;
pub mod elf;
mod error;
pub mod needs;
pub mod pclntab;

pub use buildinfo::{BuildInfo, Module};
pub use elf::{inspect, BinaryFacts};
pub use error::Error;
pub use needs::{runtime_needs, RuntimeNeeds};
pub use pclntab::FuncTable;

/// Runs every reader on `data`, ignoring results: the entry point for fuzzing.
pub fn fuzz_all(data: &[u8]) {
    let _ = elf::inspect(data);
    let _ = buildinfo::read(data);
    if let Ok(t) = pclntab::FuncTable::read(data) {
        let _ = needs::runtime_needs(&t);
    }
}
