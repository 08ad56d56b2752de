//! ELF facts: architecture in Go's names, static or dynamic (PT_INTERP,
//! DT_NEEDED), stripped or not (symbol table, DWARF), and the sizes that
//! `-s -w` would remove. Also the plumbing other readers share: sections by
//! name and loadable segments (see [`crate::addrspace`] for the
//! format-independent view with virtual address mapping).

use object::elf;
use object::read::elf::{Dyn, FileHeader, ProgramHeader, SectionHeader};
use object::Endianness;

use crate::buildinfo::{self, BuildInfo};
use crate::pclntab::FileTable;
use crate::Error;

/// What [`inspect`] reads from an ELF binary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BinaryFacts {
    /// Always `linux`: the readers only take ELF files.
    pub goos: String,
    /// Go's name for the architecture (`amd64`, `arm64`, ...).
    pub goarch: String,
    /// No program interpreter and no `DT_NEEDED` libraries.
    pub is_static: bool,
    /// The `PT_INTERP` loader of a dynamic binary.
    pub interpreter: Option<String>,
    /// The `DT_NEEDED` shared libraries.
    pub needed: Vec<String>,
    /// Neither a `.symtab` nor DWARF sections.
    pub stripped: bool,
    /// Bytes of `.symtab` and `.strtab` (section sizes).
    pub symtab_bytes: u64,
    /// Bytes of the `.debug_*` and `.zdebug_*` (DWARF) sections.
    pub debug_bytes: u64,
    /// Bytes of the file that `-ldflags="-s -w"` (or `strip`) would remove:
    /// the sum of the on-disk sizes of `.symtab`, `.strtab`, `.debug_*` and
    /// `.zdebug_*` (compressed DWARF counts compressed, as stored; `NOBITS`
    /// and out-of-file sections count zero). Section headers, their names
    /// in `.shstrtab` and alignment padding are left out: the Go linker
    /// puts the headers in the first page, so they rarely change the file
    /// size, and the rest is under a kilobyte. Against real Go binaries the
    /// estimate is within a fraction of a percent of the actual difference.
    pub strip_savings: u64,
    /// Absolute source paths of the build machine in the pclntab file
    /// table — the binary was built without `-trimpath`. At most
    /// [`crate::pclntab::MAX_BUILD_PATH_EXAMPLES`], those outside the Go
    /// installation first; empty with `-trimpath` or without a pclntab.
    /// Survives `-s -w`.
    pub build_paths: Vec<String>,
    /// How many distinct absolute source paths there are in all.
    pub build_paths_total: usize,
    /// The Go build info, when the binary has one.
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
    /// `EI_OSABI` of the identification bytes.
    pub osabi: u8,
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
        osabi: data.get(7).copied().unwrap_or(0),
        sections,
        segments,
        interpreter,
        needed,
    })
}

/// Go's name for the architecture of an ELF file.
fn goarch(elf: &Elf<'_>) -> String {
    elf_goarch(elf).map_or_else(|| format!("unknown-{}", elf.machine), str::to_string)
}

/// Go's name for the architecture of an ELF file, if Go has one.
pub(crate) fn elf_goarch(elf: &Elf<'_>) -> Option<&'static str> {
    Some(match (elf.machine, elf.is_64, elf.big_endian) {
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
        _ => return None,
    })
}

/// The GOOS values an ELF file can be for. Go's linker marks FreeBSD,
/// NetBSD and OpenBSD binaries in `EI_OSABI` (and with notes); the others
/// differ only in their dynamic loader, which a static binary lacks.
pub(crate) fn elf_goos(elf: &Elf<'_>) -> &'static [&'static str] {
    let has = |name: &str| elf.section(name).is_some();
    match elf.osabi {
        elf::ELFOSABI_FREEBSD => return &["freebsd"],
        elf::ELFOSABI_NETBSD => return &["netbsd"],
        elf::ELFOSABI_OPENBSD => return &["openbsd"],
        _ => {}
    }
    if has(".note.netbsd.ident") {
        return &["netbsd"];
    }
    if has(".note.openbsd.ident") {
        return &["openbsd"];
    }
    match elf.interpreter.as_deref() {
        Some(i) if i.starts_with("/system/bin/linker") => &["android"],
        Some(i) if i.contains("/ld-linux") || i.contains("/ld-musl") || i.contains("/ld64.so") => {
            &["linux"]
        }
        Some(i) if i.ends_with("/ld.so.1") => &["solaris", "illumos"],
        Some(i) if i.ends_with("/ld-elf.so.2") => &["dragonfly"],
        _ => &["linux", "android", "dragonfly", "solaris", "illumos"],
    }
}

/// Sum of section sizes, saturating: hostile headers can claim any size.
fn sizes(sections: impl Iterator<Item = u64>) -> u64 {
    sections.fold(0u64, u64::saturating_add)
}

fn is_symtab(name: &str) -> bool {
    name == ".symtab" || name == ".strtab"
}

fn is_debug(name: &str) -> bool {
    name.starts_with(".debug_") || name.starts_with(".zdebug_")
}

/// Reads the facts of an ELF binary.
pub fn inspect(data: &[u8]) -> Result<BinaryFacts, Error> {
    let elf = Elf::parse(data)?;
    let symtab_bytes = sizes(
        elf.sections
            .iter()
            .filter(|s| is_symtab(&s.name))
            .map(|s| s.size),
    );
    let debug_bytes = sizes(
        elf.sections
            .iter()
            .filter(|s| is_debug(&s.name))
            .map(|s| s.size),
    );
    // File bytes only: a section's data is empty when it is NOBITS or lies
    // outside the file.
    let strip_savings = sizes(
        elf.sections
            .iter()
            .filter(|s| is_symtab(&s.name) || is_debug(&s.name))
            .map(|s| s.data.len() as u64),
    );
    let has_symtab = elf.sections.iter().any(|s| s.name == ".symtab");
    let build_info = buildinfo::read_elf(&elf).ok().flatten();
    let paths = FileTable::from_elf(&elf)
        .map(|f| f.build_paths())
        .unwrap_or_default();
    Ok(BinaryFacts {
        goos: "linux".to_string(),
        goarch: goarch(&elf),
        is_static: elf.interpreter.is_none() && elf.needed.is_empty(),
        interpreter: elf.interpreter.clone(),
        needed: elf.needed.clone(),
        stripped: !has_symtab && debug_bytes == 0,
        symtab_bytes,
        debug_bytes,
        strip_savings,
        build_paths: paths.examples,
        build_paths_total: paths.total,
        build_info,
    })
}
