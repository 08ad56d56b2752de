//! The one error type of the readers. Variants carry what was being read
//! and where, because the inputs are arbitrary files and a bare "invalid
//! data" would leave the user guessing which part of the binary is wrong.

/// Why a binary could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input does not start with the ELF magic.
    #[error(
        "not an ELF file (it does not start with \\x7fELF); envelope reads Linux ELF binaries"
    )]
    NotElf,
    /// The ELF headers themselves are unusable.
    #[error("malformed ELF file: {0}")]
    Elf(String),
    /// A structure runs past the end of the data it lives in.
    #[error("truncated {what} at offset {offset:#x}")]
    Truncated { what: &'static str, offset: u64 },
    /// A structure is present but its contents make no sense.
    #[error("malformed {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    /// Neither a `.gopclntab` section nor a plausible pclntab header exists.
    #[error("no Go function table (pclntab) found")]
    NoPclntab,
}

impl Error {
    pub(crate) fn malformed(what: &'static str, detail: impl Into<String>) -> Error {
        Error::Malformed {
            what,
            detail: detail.into(),
        }
    }
}
