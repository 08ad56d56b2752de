//! ELF facts: architecture in Go's names, static or dynamic (PT_INTERP,
//! DT_NEEDED), stripped or not (symbol table, DWARF), and the sizes that
//! `-s -w` would remove. Also the plumbing other readers share: sections by
//! name, loadable segments, and virtual address to file offset mapping.

use object::elf;
use object::read::elf::{Dyn, FileHeader, ProgramHeader, SectionHeader};
use object::Endianness;

use crate::buildinfo::{self, BuildInfo};
use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BinaryFacts {
    pub goos: String,
    pub goarch: String,
    pub is_static: bool,
    pub interpreter: Option<String>,
    pub needed: Vec<String>,
    pub stripped: bool,
    pub symtab_bytes: u64,
    pub debug_bytes: u64,
    pub build_info: Option<BuildInfo>,
}

#[derive(Debug, Clone)]
pub(crate) struct Section<'a> {
    pub name: String,
    pub data: &'a [u8],
    pub size: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Segment<'a> {
    pub vaddr: u64,
    pub data: &'a [u8],
    pub writable: bool,
    pub executable: bool,
}

/// What the other readers need from an ELF file, parsed once.
#[derive(Debug, Clone)]
pub(crate) struct Elf<'a> {
    pub big_endian: bool,
    pub is_64: bool,
    pub machine: u16,
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
        match data.get(4) {
            Some(1) => parse_generic::<elf::FileHeader32<Endianness>>(data, false),
            Some(2) => parse_generic::<elf::FileHeader64<Endianness>>(data, true),
            _ => Err(Error::Elf("unknown ELF class".into())),
        }
    }

    pub fn section(&self, name: &str) -> Option<&Section<'a>> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The file bytes at a virtual address, up to the end of its segment.
    pub fn at_vaddr(&self, addr: u64) -> Option<&'a [u8]> {
        self.segments.iter().find_map(|s| {
            let off = addr.checked_sub(s.vaddr)?;
            let off = usize::try_from(off).ok()?;
            s.data.get(off..)
        })
    }
}

fn parse_generic<'a, H: FileHeader<Endian = Endianness>>(
    data: &'a [u8],
    is_64: bool,
) -> Result<Elf<'a>, Error> {
    let e = |err: object::read::Error| Error::Elf(err.to_string());
    let header = H::parse(data).map_err(e)?;
    let endian = header.endian().map_err(e)?;
    let mut segments = Vec::new();
    let mut interpreter = None;
    for ph in header.program_headers(endian, data).map_err(e)? {
        let p_type = ph.p_type(endian);
        let seg_data = ph.data(endian, data).ok();
        if p_type == elf::PT_INTERP {
            if let Some(d) = seg_data {
                let end = d.iter().position(|&b| b == 0).unwrap_or(d.len());
                interpreter = Some(String::from_utf8_lossy(&d[..end]).into_owned());
            }
        }
        if p_type == elf::PT_LOAD {
            if let Some(d) = seg_data {
                let flags = ph.p_flags(endian);
                segments.push(Segment {
                    vaddr: ph.p_vaddr(endian).into(),
                    data: d,
                    writable: flags & elf::PF_W != 0,
                    executable: flags & elf::PF_X != 0,
                });
            }
        }
    }
    let mut sections = Vec::new();
    let mut needed = Vec::new();
    if let Ok(table) = header.sections(endian, data) {
        for s in table.iter() {
            let name = table
                .section_name(endian, s)
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_default();
            let size: u64 = s.sh_size(endian).into();
            let sdata = if s.sh_type(endian) == elf::SHT_NOBITS {
                &[][..]
            } else {
                s.data(endian, data).unwrap_or(&[])
            };
            sections.push(Section {
                name,
                data: sdata,
                size,
            });
        }
        if let Ok(Some((dyns, link))) = table.dynamic(endian, data) {
            if let Ok(strings) = table.strings(endian, data, link) {
                for d in dyns {
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
        sections,
        segments,
        interpreter,
        needed,
    })
}

/// Go's name for the architecture of an ELF file.
fn goarch(elf: &Elf<'_>) -> String {
    let name = match (elf.machine, elf.is_64, elf.big_endian) {
        (elf::EM_X86_64, true, _) => "amd64",
        (elf::EM_X86_64, false, _) => "amd64p32",
        (elf::EM_386, _, _) => "386",
        (elf::EM_AARCH64, _, false) => "arm64",
        (elf::EM_AARCH64, _, true) => "arm64be",
        (elf::EM_ARM, _, _) => "arm",
        (elf::EM_PPC64, _, false) => "ppc64le",
        (elf::EM_PPC64, _, true) => "ppc64",
        (elf::EM_S390, _, _) => "s390x",
        (elf::EM_RISCV, true, _) => "riscv64",
        (elf::EM_LOONGARCH, _, _) => "loong64",
        (elf::EM_MIPS, true, false) => "mips64le",
        (elf::EM_MIPS, true, true) => "mips64",
        (elf::EM_MIPS, false, false) => "mipsle",
        (elf::EM_MIPS, false, true) => "mips",
        (m, _, _) => return format!("unknown-{m}"),
    };
    name.to_string()
}

/// Reads the facts of an ELF binary.
pub fn inspect(data: &[u8]) -> Result<BinaryFacts, Error> {
    let elf = Elf::parse(data)?;
    let symtab_bytes: u64 = elf
        .sections
        .iter()
        .filter(|s| s.name == ".symtab" || s.name == ".strtab")
        .map(|s| s.size)
        .sum();
    let debug_bytes: u64 = elf
        .sections
        .iter()
        .filter(|s| s.name.starts_with(".debug_") || s.name.starts_with(".zdebug_"))
        .map(|s| s.size)
        .sum();
    let has_symtab = elf.sections.iter().any(|s| s.name == ".symtab");
    let build_info = buildinfo::read_elf(&elf).ok().flatten();
    Ok(BinaryFacts {
        goos: "linux".to_string(),
        goarch: goarch(&elf),
        is_static: elf.interpreter.is_none() && elf.needed.is_empty(),
        interpreter: elf.interpreter.clone(),
        needed: elf.needed.clone(),
        stripped: !has_symtab && debug_bytes == 0,
        symtab_bytes,
        debug_bytes,
        build_info,
    })
}
