//! Errors of the binary readers, with the offsets involved.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not an ELF file (no \\x7fELF magic)")]
    NotElf,
    #[error("not an ELF, Mach-O or PE executable")]
    UnknownFormat,
    #[error("malformed ELF: {0}")]
    Elf(String),
    #[error("truncated {what} at offset {offset}")]
    Truncated { what: &'static str, offset: u64 },
    #[error("malformed {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("no Go function table (pclntab) found")]
    NoPclntab,
}
