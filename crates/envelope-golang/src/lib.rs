//! Facts about Go binaries, read from the bytes alone: ELF linkage and
//! stripping, the build info the Go linker embeds (modules and build
//! settings), the function and source file names of the pclntab, which
//! survive `-ldflags="-s -w"`, and the Go version and its support status.
//! Every reader treats its input as hostile: bounded, checked, never
//! panicking.

pub mod addrspace;
pub mod buildinfo;
pub mod elf;
mod error;
pub mod goversion;
pub mod inline;
pub mod needs;
pub mod pclntab;

pub use addrspace::{AddressSpace, Format, HeaderPlatform};
pub use buildinfo::{BuildInfo, Module};
pub use elf::{inspect, BinaryFacts};
pub use error::Error;
pub use goversion::{go_support, go_version, GoVersion, Prerelease, Support, KNOWN_GO_MINORS};
pub use inline::{split_symbol, SymbolTable};
pub use needs::{runtime_needs, RuntimeNeeds};
pub use pclntab::{BuildPaths, FileTable, FuncTable};

/// Runs every reader on `data`, ignoring results: the entry point for fuzzing.
pub fn fuzz_all(data: &[u8]) {
    let _ = elf::inspect(data);
    // The format-independent image (ELF, Mach-O, PE) and the build info
    // reader on it, including the vaddr mapping of every segment start.
    if let Ok(space) = addrspace::AddressSpace::parse(data) {
        let _ = space.first_data_segment();
        for s in &space.segments {
            let _ = space.at_vaddr(s.vaddr);
        }
        let _ = buildinfo::read_space(&space);
        // The function table and inline trees of any format, and the
        // vulnerability database form of every name found.
        if let Ok(t) = inline::SymbolTable::from_space(&space) {
            let _ = t.vuln_symbols();
        }
    }
    if let Ok(Some(bi)) = buildinfo::read(data) {
        let _ = (
            bi.cgo_enabled(),
            bi.trimpath(),
            bi.race(),
            bi.debug_gcflags(),
            bi.vcs_modified(),
            bi.ldflags(),
        );
        if let Some(v) = goversion::go_version(&bi) {
            let _ = goversion::go_support(v);
        }
    }
    if let Ok(t) = pclntab::FuncTable::read(data) {
        let _ = needs::runtime_needs(&t);
    }
    if let Ok(f) = pclntab::FileTable::read(data) {
        let _ = (f.goroot(), f.build_paths());
    }
    // The text readers on the raw bytes too (a prefix: they read short
    // strings, and a whole binary would only make fuzzing slow).
    let text = String::from_utf8_lossy(&data[..data.len().min(4096)]);
    let _ = goversion::GoVersion::parse(&text);
    if let Ok(bi) = buildinfo::parse_modinfo(&text) {
        let _ = (bi.debug_gcflags(), bi.trimpath(), bi.cgo_enabled());
    }
}
