//! A format-independent view of an executable's memory image: its loadable
//! segments (virtual address, file bytes, permissions) and named sections,
//! read from ELF, Mach-O or PE files. The build info reader needs only
//! this: where the `\xff Go buildinf:` header is and how virtual addresses
//! map to file bytes.
//!
//! The headers are read with `object`, as ELF is, which checks every
//! header and table against the file; load command and section counts are
//! capped on top so hostile headers cannot make us allocate much.

use object::read::macho::{MachHeader, Section as _, Segment as _};
use object::read::pe::{ImageNtHeaders, ImageOptionalHeader as _};
use object::{macho, pe, Endianness, LittleEndian};

use crate::elf::Elf;
use crate::Error;

/// The container format of an executable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Elf,
    MachO,
    Pe,
}

impl Format {
    /// Recognizes the format from the first bytes of a file.
    pub fn detect(data: &[u8]) -> Option<Format> {
        if data.starts_with(&object::elf::ELFMAG) {
            return Some(Format::Elf);
        }
        if data.starts_with(&pe::IMAGE_DOS_SIGNATURE.to_le_bytes()) {
            return Some(Format::Pe);
        }
        let magic = u32::from_be_bytes(data.get(..4)?.try_into().ok()?);
        match magic {
            macho::MH_MAGIC | macho::MH_CIGAM | macho::MH_MAGIC_64 | macho::MH_CIGAM_64 => {
                Some(Format::MachO)
            }
            _ => None,
        }
    }
}

/// A piece of the memory image backed by file bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment<'a> {
    /// The name (Mach-O segment or PE section name; empty for ELF).
    pub name: String,
    /// The virtual address of the first byte.
    pub vaddr: u64,
    /// The bytes in the file (may be shorter than the memory size).
    pub data: &'a [u8],
    pub writable: bool,
    pub executable: bool,
}

/// A named section (ELF section, Mach-O section, PE section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section<'a> {
    pub name: String,
    pub vaddr: u64,
    pub data: &'a [u8],
}

/// What an executable's headers say of the platform it was built for, in
/// Go's names: the machine gives GOARCH; the format narrows GOOS (ELF is
/// never windows or darwin) without always settling it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderPlatform {
    /// Every GOOS the headers allow; empty when nothing is known.
    pub goos: Vec<&'static str>,
    /// None for a machine Go has no name for.
    pub goarch: Option<&'static str>,
}

/// The memory image of an executable, independent of its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressSpace<'a> {
    pub format: Format,
    pub big_endian: bool,
    pub is_64: bool,
    pub segments: Vec<Segment<'a>>,
    pub sections: Vec<Section<'a>>,
    /// Where the build info should be: `.go.buildinfo` (ELF),
    /// `__go_buildinfo` (Mach-O), or the first writable initialized data
    /// section (PE, normally `.data`). `None` when there is no such
    /// section; the reader then scans [`AddressSpace::first_data_segment`].
    pub buildinfo_hint: Option<&'a [u8]>,
    /// The platform the headers say the file is for.
    pub platform: HeaderPlatform,
}

/// Caps on header counts: real binaries have a few dozen of each.
const MAX_LOAD_COMMANDS: u32 = 4096;
const MAX_SECTIONS: u32 = 4096;

impl<'a> AddressSpace<'a> {
    /// Parses an ELF, Mach-O or PE executable.
    pub fn parse(data: &'a [u8]) -> Result<AddressSpace<'a>, Error> {
        match Format::detect(data) {
            Some(Format::Elf) => Ok(Self::from_elf(&Elf::parse(data)?)),
            Some(Format::MachO) => {
                let magic = data.get(..4).and_then(|m| m.try_into().ok());
                if matches!(
                    magic.map(u32::from_be_bytes),
                    Some(macho::MH_MAGIC_64 | macho::MH_CIGAM_64)
                ) {
                    parse_macho::<macho::MachHeader64<Endianness>>(data)
                } else {
                    parse_macho::<macho::MachHeader32<Endianness>>(data)
                }
            }
            Some(Format::Pe) => match object::read::pe::optional_header_magic(data) {
                Ok(pe::IMAGE_NT_OPTIONAL_HDR64_MAGIC) => parse_pe::<pe::ImageNtHeaders64>(data),
                Ok(_) => parse_pe::<pe::ImageNtHeaders32>(data),
                Err(e) => Err(pe_err(&e.to_string())),
            },
            None => Err(Error::UnknownFormat),
        }
    }

    pub(crate) fn from_elf(elf: &Elf<'a>) -> AddressSpace<'a> {
        AddressSpace {
            format: Format::Elf,
            big_endian: elf.big_endian,
            is_64: elf.is_64,
            segments: elf
                .segments
                .iter()
                .map(|s| Segment {
                    name: String::new(),
                    vaddr: s.vaddr,
                    data: s.data,
                    writable: s.writable,
                    executable: s.executable,
                })
                .collect(),
            // ELF section addresses are not kept by the ELF reader; the
            // build info reader needs only names and bytes of sections.
            sections: elf
                .sections
                .iter()
                .map(|s| Section {
                    name: s.name.clone(),
                    vaddr: 0,
                    data: s.data,
                })
                .collect(),
            buildinfo_hint: elf.section(".go.buildinfo").map(|s| s.data),
            platform: HeaderPlatform {
                goos: crate::elf::elf_goos(elf).to_vec(),
                goarch: crate::elf::elf_goarch(elf),
            },
        }
    }

    /// The section with this name, if any.
    pub fn section(&self, name: &str) -> Option<&Section<'a>> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The file bytes at a virtual address, up to the end of its segment.
    pub fn at_vaddr(&self, addr: u64) -> Option<&'a [u8]> {
        self.segments.iter().find_map(|s| {
            let off = addr.checked_sub(s.vaddr)?;
            let off = usize::try_from(off).ok()?;
            if off >= s.data.len() {
                return None;
            }
            s.data.get(off..)
        })
    }

    /// The first writable, non-executable segment with file bytes: where
    /// the Go linker puts its data, and where Go's own reader looks for the
    /// build info when the named section is missing. In Mach-O files the
    /// `__DATA` segment, since `__DATA_CONST` before it is writable too
    /// (until dyld has applied the relocations).
    pub fn first_data_segment(&self) -> Option<&Segment<'a>> {
        let data = |s: &&Segment<'a>| s.writable && !s.executable && !s.data.is_empty();
        if self.format == Format::MachO {
            if let Some(seg) = self
                .segments
                .iter()
                .filter(data)
                .find(|s| s.name == "__DATA")
            {
                return Some(seg);
            }
        }
        self.segments.iter().find(data)
    }
}

/// File bytes `[off, off+size)`, clamped to the end of the file: a
/// segment or section that runs past it keeps the bytes there are.
fn clamped(data: &[u8], off: u64, size: u64) -> &[u8] {
    let Some(rest) = usize::try_from(off)
        .ok()
        .and_then(|start| data.get(start..))
    else {
        return &[];
    };
    let n = usize::try_from(size).unwrap_or(usize::MAX).min(rest.len());
    &rest[..n]
}

/// A fixed-size header name up to its first NUL.
fn name(raw: &[u8]) -> String {
    let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
    String::from_utf8_lossy(&raw[..end]).into_owned()
}

fn macho_err(detail: &str) -> Error {
    Error::Malformed {
        what: "Mach-O",
        detail: detail.to_string(),
    }
}

fn parse_macho<'a, Mach>(data: &'a [u8]) -> Result<AddressSpace<'a>, Error>
where
    Mach: MachHeader<Endian = Endianness>,
{
    let e = |err: object::read::Error| macho_err(&err.to_string());
    let header = Mach::parse(data, 0).map_err(e)?;
    let endian = header.endian().map_err(e)?;
    if header.ncmds(endian) > MAX_LOAD_COMMANDS {
        return Err(macho_err("too many load commands"));
    }
    let mut commands = header.load_commands(endian, data, 0).map_err(e)?;
    let mut segments = Vec::new();
    let mut sections = Vec::new();
    let mut hint = None;
    while let Some(command) = commands.next().map_err(e)? {
        // LC_SEGMENT or LC_SEGMENT_64, whichever this file's width uses.
        let Some((segment, section_data)) = Mach::Segment::from_command(command).map_err(e)? else {
            continue;
        };
        if segment.nsects(endian) > MAX_SECTIONS {
            return Err(macho_err("sections past the load command"));
        }
        let table = segment
            .sections(endian, section_data)
            .map_err(|_| macho_err("sections past the load command"))?;
        let initprot = segment.initprot(endian);
        let (fileoff, filesize) = segment.file_range(endian);
        segments.push(Segment {
            name: name(segment.name()),
            vaddr: segment.vmaddr(endian).into(),
            data: clamped(data, fileoff, filesize),
            writable: initprot & macho::VM_PROT_WRITE != 0,
            executable: initprot & macho::VM_PROT_EXECUTE != 0,
        });
        for section in table {
            let sectname = name(section.name());
            let offset = section.offset(endian);
            // S_ZEROFILL and friends have no file bytes.
            let zerofill = matches!(
                section.flags(endian) & macho::SECTION_TYPE,
                macho::S_ZEROFILL | macho::S_GB_ZEROFILL | macho::S_THREAD_LOCAL_ZEROFILL
            );
            let sdata = if zerofill || offset == 0 {
                &[][..]
            } else {
                clamped(data, offset.into(), section.size(endian).into())
            };
            if sectname == "__go_buildinfo" && hint.is_none() {
                hint = Some(sdata);
            }
            sections.push(Section {
                name: sectname,
                vaddr: section.addr(endian).into(),
                data: sdata,
            });
        }
    }
    let goarch = match header.cputype(endian) {
        macho::CPU_TYPE_X86 => Some("386"),
        macho::CPU_TYPE_X86_64 => Some("amd64"),
        macho::CPU_TYPE_ARM => Some("arm"),
        macho::CPU_TYPE_ARM64 => Some("arm64"),
        _ => None,
    };
    Ok(AddressSpace {
        format: Format::MachO,
        big_endian: header.is_big_endian(),
        is_64: header.is_type_64(),
        segments,
        sections,
        buildinfo_hint: hint,
        platform: HeaderPlatform {
            goos: vec!["darwin", "ios"],
            goarch,
        },
    })
}

fn pe_err(detail: &str) -> Error {
    Error::Malformed {
        what: "PE",
        detail: detail.to_string(),
    }
}

fn parse_pe<'a, Pe: ImageNtHeaders>(data: &'a [u8]) -> Result<AddressSpace<'a>, Error> {
    let e = |err: object::read::Error| pe_err(&err.to_string());
    let dos = pe::ImageDosHeader::parse(data).map_err(e)?;
    let mut offset = dos.nt_headers_offset().into();
    let (nt, _) = Pe::parse(data, &mut offset).map_err(e)?;
    let image_base = nt.optional_header().image_base();
    let table = nt.sections(data, offset).map_err(e)?;
    let mut segments = Vec::new();
    let mut sections = Vec::new();
    let mut hint = None;
    for section in table.iter() {
        let name = name(section.raw_name());
        let vsize = u64::from(section.virtual_size.get(LittleEndian));
        let vaddr = u64::from(section.virtual_address.get(LittleEndian));
        let raw_size = u64::from(section.size_of_raw_data.get(LittleEndian));
        let raw_ptr = u64::from(section.pointer_to_raw_data.get(LittleEndian));
        let chars = section.characteristics.get(LittleEndian);
        // Raw data is padded to the file alignment; the virtual size is the
        // real one (0 in object files).
        let size = if vsize != 0 {
            raw_size.min(vsize)
        } else {
            raw_size
        };
        let sdata = if raw_ptr == 0 {
            &[][..]
        } else {
            clamped(data, raw_ptr, size)
        };
        let addr = image_base.wrapping_add(vaddr);
        // Go's reader: the first section that is exactly initialized,
        // readable, writable data (any alignment).
        if hint.is_none()
            && vaddr != 0
            && !sdata.is_empty()
            && chars & !pe::IMAGE_SCN_ALIGN_MASK
                == pe::IMAGE_SCN_CNT_INITIALIZED_DATA
                    | pe::IMAGE_SCN_MEM_READ
                    | pe::IMAGE_SCN_MEM_WRITE
        {
            hint = Some(sdata);
        }
        segments.push(Segment {
            name: name.clone(),
            vaddr: addr,
            data: sdata,
            writable: chars & pe::IMAGE_SCN_MEM_WRITE != 0,
            executable: chars & pe::IMAGE_SCN_MEM_EXECUTE != 0,
        });
        sections.push(Section {
            name,
            vaddr: addr,
            data: sdata,
        });
    }
    let goarch = match nt.file_header().machine.get(LittleEndian) {
        pe::IMAGE_FILE_MACHINE_AMD64 => Some("amd64"),
        pe::IMAGE_FILE_MACHINE_I386 => Some("386"),
        pe::IMAGE_FILE_MACHINE_ARM64 => Some("arm64"),
        pe::IMAGE_FILE_MACHINE_ARMNT => Some("arm"),
        _ => None,
    };
    Ok(AddressSpace {
        format: Format::Pe,
        big_endian: false,
        is_64: nt.is_type_64(),
        segments,
        sections,
        buildinfo_hint: hint,
        platform: HeaderPlatform {
            goos: vec!["windows"],
            goarch,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats() {
        assert_eq!(Format::detect(b"\x7fELF\x02"), Some(Format::Elf));
        assert_eq!(Format::detect(b"MZ\x90\0"), Some(Format::Pe));
        assert_eq!(Format::detect(b"\xcf\xfa\xed\xfe"), Some(Format::MachO));
        assert_eq!(Format::detect(b"\xfe\xed\xfa\xce"), Some(Format::MachO));
        assert_eq!(Format::detect(b"#!/bin/sh"), None);
        assert!(matches!(
            AddressSpace::parse(b"hello"),
            Err(Error::UnknownFormat)
        ));
    }

    #[test]
    fn hostile_headers_are_errors() {
        for d in [
            &b"MZ"[..],
            b"MZ\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\xff\xff\xff\xff",
            b"\xcf\xfa\xed\xfe",
            b"\xcf\xfa\xed\xfe\0\0\0\0\0\0\0\0\0\0\0\0\xff\xff\xff\xff",
            b"\xcf\xfa\xed\xfe\0\0\0\0\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x19\0\0\0\xff\xff\xff\xff",
        ] {
            assert!(AddressSpace::parse(d).is_err(), "{d:?}");
        }
    }
}
