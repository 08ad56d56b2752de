//! ELF facts about a binary: its architecture in Go's names, whether it is
//! static (no PT_INTERP, no DT_NEEDED), whether it is stripped, and how many
//! bytes `-ldflags="-s -w"` would save. It also holds the parsed view that
//! the build-info and pclntab readers share, so they agree on sections,
//! segments and address mapping.

use object::elf;
use object::read::elf::{Dyn, FileHeader, ProgramHeader, SectionHeader};
use object::Endianness;

use crate::buildinfo::{self, BuildInfo};
use crate::Error;

/// What envelope needs to know about a binary before putting it in an image.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BinaryFacts {
    /// `linux` for ELF files (`freebsd` when the header says so, so callers
    /// can refuse it).
    pub goos: String,
    /// The architecture in GOARCH spelling: `amd64`, `arm64`, `arm`, ...
    pub goarch: String,
    /// No program interpreter and no needed shared libraries.
    pub is_static: bool,
    /// The PT_INTERP path, e.g. `/lib64/ld-linux-x86-64.so.2`.
    pub interpreter: Option<String>,
    /// The DT_NEEDED libraries, in file order.
    pub needed: Vec<String>,
    /// No `.symtab` and no `.debug_*`/`.zdebug_*` sections.
    pub stripped: bool,
    /// Size of `.symtab` plus `.strtab`.
    pub symtab_bytes: u64,
    /// Total size of the `.debug_*` and `.zdebug_*` sections.
    pub debug_bytes: u64,
    /// The Go build info, when the binary has one.
    pub build_info: Option<BuildInfo>,
}

#[derive(Debug, Clone)]
pub(crate) struct Section<'a> {
    pub name: String,
    /// Empty for SHT_NOBITS and for sections whose bytes lie outside the file.
    pub data: &'a [u8],
    pub size: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Segment<'a> {
    pub vaddr: u64,
    /// The file bytes only (p_filesz); the zero-filled tail is not needed by
    /// any reader.
    pub data: &'a [u8],
    pub writable: bool,
    pub executable: bool,
}

/// An ELF file parsed once for all readers.
#[derive(Debug, Clone)]
pub(crate) struct Elf<'a> {
    pub big_endian: bool,
    pub is_64: bool,
    pub machine: u16,
    pub os_abi: u8,
    pub sections: Vec<Section<'a>>,
    pub segments: Vec<Segment<'a>>,
    pub interpreter: Option<String>,
    pub needed: Vec<String>,
}

impl<'a> Elf<'a> {
    pub fn parse(data: &'a [u8]) -> Result<Elf<'a>, Error> {
        if !data.starts_with(b"\x7fELF") {
            return Err(Error::NotElf);
        }
        // e_ident[EI_CLASS], at offset 4, picks the header layout.
        match data.get(4) {
            Some(&elf::ELFCLASS32) => parse_as::<elf::FileHeader32<Endianness>>(data, false),
            Some(&elf::ELFCLASS64) => parse_as::<elf::FileHeader64<Endianness>>(data, true),
            Some(c) => Err(Error::Elf(format!("unknown ELF class {c}"))),
            None => Err(Error::Truncated {
                what: "ELF identification",
                offset: data.len() as u64,
            }),
        }
    }

    pub fn section(&self, name: &str) -> Option<&Section<'a>> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The file bytes from virtual address `addr` to the end of the
    /// segment's file image.
    pub fn at_vaddr(&self, addr: u64) -> Option<&'a [u8]> {
        self.segments.iter().find_map(|s| {
            let off = usize::try_from(addr.checked_sub(s.vaddr)?).ok()?;
            // An address just past the file image is not "in" the segment.
            if off >= s.data.len() {
                return None;
            }
            s.data.get(off..)
        })
    }
}

fn parse_as<'a, H: FileHeader<Endian = Endianness>>(
    data: &'a [u8],
    is_64: bool,
) -> Result<Elf<'a>, Error> {
    let to_err = |err: object::read::Error| Error::Elf(err.to_string());
    let header = H::parse(data).map_err(to_err)?;
    let endian = header.endian().map_err(to_err)?;

    let mut segments = Vec::new();
    let mut interpreter = None;
    for ph in header.program_headers(endian, data).map_err(to_err)? {
        // A segment whose bytes lie outside the file is skipped, not fatal:
        // the other facts are still worth reporting.
        let Ok(bytes) = ph.data(endian, data) else {
            continue;
        };
        match ph.p_type(endian) {
            elf::PT_INTERP => {
                let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
                let path = bytes.get(..end).unwrap_or_default();
                interpreter = Some(String::from_utf8_lossy(path).into_owned());
            }
            elf::PT_LOAD => {
                let flags = ph.p_flags(endian);
                segments.push(Segment {
                    vaddr: ph.p_vaddr(endian).into(),
                    data: bytes,
                    writable: flags & elf::PF_W != 0,
                    executable: flags & elf::PF_X != 0,
                });
            }
            _ => {}
        }
    }

    let mut sections = Vec::new();
    let mut needed = Vec::new();
    // Section headers are optional at run time (and stripped by some
    // packers), so their absence or damage leaves the lists empty.
    if let Ok(table) = header.sections(endian, data) {
        for s in table.iter() {
            let name = table
                .section_name(endian, s)
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_default();
            let bytes = if s.sh_type(endian) == elf::SHT_NOBITS {
                &[][..]
            } else {
                s.data(endian, data).unwrap_or_default()
            };
            sections.push(Section {
                name,
                data: bytes,
                size: s.sh_size(endian).into(),
            });
        }
        if let Ok(Some((dyns, link))) = table.dynamic(endian, data) {
            if let Ok(strings) = table.strings(endian, data, link) {
                for d in dyns {
                    if d.d_tag(endian).into() == u64::from(elf::DT_NULL) {
                        break;
                    }
                    if d.d_tag(endian).into() == u64::from(elf::DT_NEEDED) {
                        if let Ok(name) = d.string(endian, strings) {
                            needed.push(String::from_utf8_lossy(name).into_owned());
                        }
                    }
                }
            }
        }
    }

    Ok(Elf {
        big_endian: endian == Endianness::Big,
        is_64,
        machine: header.e_machine(endian),
        os_abi: header.e_ident().os_abi,
        sections,
        segments,
        interpreter,
        needed,
    })
}

/// GOARCH for an ELF machine, class and byte order.
fn goarch(e: &Elf<'_>) -> String {
    let name = match (e.machine, e.is_64, e.big_endian) {
        (elf::EM_X86_64, true, false) => "amd64",
        (elf::EM_386, false, false) => "386",
        (elf::EM_AARCH64, true, false) => "arm64",
        (elf::EM_ARM, false, false) => "arm",
        (elf::EM_PPC64, true, false) => "ppc64le",
        (elf::EM_PPC64, true, true) => "ppc64",
        (elf::EM_S390, true, true) => "s390x",
        (elf::EM_RISCV, true, false) => "riscv64",
        (elf::EM_LOONGARCH, true, false) => "loong64",
        (elf::EM_MIPS, true, false) => "mips64le",
        (elf::EM_MIPS, true, true) => "mips64",
        (elf::EM_MIPS, false, false) => "mipsle",
        (elf::EM_MIPS, false, true) => "mips",
        (elf::EM_SPARCV9, true, true) => "sparc64",
        (m, is_64, big) => {
            return format!(
                "unknown(e_machine={m},{}-bit,{})",
                if is_64 { 64 } else { 32 },
                if big { "big-endian" } else { "little-endian" }
            )
        }
    };
    name.to_string()
}

fn is_debug_section(name: &str) -> bool {
    name.starts_with(".debug_") || name.starts_with(".zdebug_")
}

/// Reads the ELF facts and Go build info of a binary.
pub fn inspect(data: &[u8]) -> Result<BinaryFacts, Error> {
    let e = Elf::parse(data)?;
    let size_of = |pred: &dyn Fn(&str) -> bool| -> u64 {
        e.sections
            .iter()
            .filter(|s| pred(&s.name))
            .fold(0u64, |acc, s| acc.saturating_add(s.size))
    };
    let symtab_bytes = size_of(&|n| n == ".symtab" || n == ".strtab");
    let debug_bytes = size_of(&is_debug_section);
    let stripped = !e
        .sections
        .iter()
        .any(|s| s.name == ".symtab" || is_debug_section(&s.name));
    // Damaged build info should not hide the ELF facts, which are what
    // decides whether the binary can run in the image at all.
    let build_info = buildinfo::read_elf(&e).ok().flatten();
    let goos = if e.os_abi == elf::ELFOSABI_FREEBSD {
        "freebsd"
    } else {
        "linux"
    };
    Ok(BinaryFacts {
        goos: goos.to_string(),
        goarch: goarch(&e),
        is_static: e.interpreter.is_none() && e.needed.is_empty(),
        interpreter: e.interpreter.clone(),
        needed: e.needed.clone(),
        stripped,
        symtab_bytes,
        debug_bytes,
        build_info,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_elf_and_tiny_inputs() {
        assert_eq!(inspect(b"").expect_err("fails"), Error::NotElf);
        assert_eq!(inspect(b"MZ\x90\x00").expect_err("fails"), Error::NotElf);
        assert!(matches!(
            inspect(b"\x7fELF").expect_err("fails"),
            Error::Truncated { .. }
        ));
        assert!(matches!(
            inspect(b"\x7fELF\x07").expect_err("fails"),
            Error::Elf(_)
        ));
        assert!(matches!(
            inspect(b"\x7fELF\x02\x01\x01\x00").expect_err("fails"),
            Error::Elf(_)
        ));
    }
}
