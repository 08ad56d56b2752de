//! A format-independent view of an executable's memory image: its loadable
//! segments (virtual address, file bytes, permissions) and named sections,
//! read from ELF, Mach-O or PE files. The build info reader needs only
//! this: where the `\xff Go buildinf:` header is and how virtual addresses
//! map to file bytes.
//!
//! The Mach-O and PE readers are small and bounds-checked; every length and
//! count in the headers is checked against the file before use, and counts
//! are capped so hostile headers cannot make us allocate much.

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
        if data.starts_with(b"\x7fELF") {
            return Some(Format::Elf);
        }
        if data.starts_with(b"MZ") {
            return Some(Format::Pe);
        }
        match data.get(..4) {
            Some([0xfe, 0xed, 0xfa, 0xce | 0xcf]) | Some([0xce | 0xcf, 0xfa, 0xed, 0xfe]) => {
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
            Some(Format::MachO) => parse_macho(data),
            Some(Format::Pe) => parse_pe(data),
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

/// Bounds-checked fixed-width reads in one byte order.
#[derive(Clone, Copy)]
struct Reader<'a> {
    data: &'a [u8],
    big: bool,
}

impl<'a> Reader<'a> {
    fn bytes(&self, off: u64, n: u64) -> Option<&'a [u8]> {
        let start = usize::try_from(off).ok()?;
        let end = start.checked_add(usize::try_from(n).ok()?)?;
        self.data.get(start..end)
    }

    fn uint(&self, off: u64, n: u64) -> Option<u64> {
        let b = self.bytes(off, n)?;
        let mut v = 0u64;
        for i in 0..b.len() {
            let byte = if self.big { b[i] } else { b[b.len() - 1 - i] };
            v = (v << 8) | u64::from(byte);
        }
        Some(v)
    }

    fn u16(&self, off: u64) -> Option<u64> {
        self.uint(off, 2)
    }

    fn u32(&self, off: u64) -> Option<u64> {
        self.uint(off, 4)
    }

    fn u64(&self, off: u64) -> Option<u64> {
        self.uint(off, 8)
    }

    fn name(&self, off: u64, n: u64) -> Option<String> {
        let b = self.bytes(off, n)?;
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        Some(String::from_utf8_lossy(&b[..end]).into_owned())
    }

    /// File bytes `[off, off+size)`, clamped to the end of the file.
    fn clamped(&self, off: u64, size: u64) -> &'a [u8] {
        let Ok(start) = usize::try_from(off) else {
            return &[];
        };
        let Some(rest) = self.data.get(start..) else {
            return &[];
        };
        let n = usize::try_from(size).unwrap_or(usize::MAX).min(rest.len());
        &rest[..n]
    }
}

fn macho_err(detail: &str) -> Error {
    Error::Malformed {
        what: "Mach-O",
        detail: detail.to_string(),
    }
}

fn parse_macho(data: &[u8]) -> Result<AddressSpace<'_>, Error> {
    let magic = data.get(..4).ok_or_else(|| macho_err("short header"))?;
    // The magic is 0xfeedface/0xfeedfacf in the file's byte order.
    let big = magic[0] == 0xfe;
    let is_64 = if big {
        magic[3] == 0xcf
    } else {
        magic[0] == 0xcf
    };
    let r = Reader { data, big };
    let trunc = |offset| Error::Truncated {
        what: "Mach-O load commands",
        offset,
    };
    let ncmds = r.u32(16).ok_or_else(|| trunc(16))?;
    if ncmds > u64::from(MAX_LOAD_COMMANDS) {
        return Err(macho_err("too many load commands"));
    }
    let mut off: u64 = if is_64 { 32 } else { 28 };
    let mut segments = Vec::new();
    let mut sections = Vec::new();
    let mut hint = None;
    for _ in 0..ncmds {
        let cmd = r.u32(off).ok_or_else(|| trunc(off))?;
        let size = r.u32(off + 4).ok_or_else(|| trunc(off + 4))?;
        if size < 8 || r.bytes(off, size).is_none() {
            return Err(trunc(off));
        }
        // LC_SEGMENT (32-bit) and LC_SEGMENT_64.
        let seg64 = match cmd {
            0x1 => Some(false),
            0x19 => Some(true),
            _ => None,
        };
        if let Some(w) = seg64 {
            // Field widths: addresses and sizes are 4 or 8 bytes.
            let (ws, hdr, sect_size) = if w { (8, 72, 80) } else { (4, 56, 68) };
            if size < hdr {
                return Err(trunc(off));
            }
            let segname = r.name(off + 8, 16).ok_or_else(|| trunc(off))?;
            let f = |i: u64| r.uint(off + 24 + i * ws, ws).ok_or_else(|| trunc(off));
            let (vmaddr, fileoff, filesize) = (f(0)?, f(2)?, f(3)?);
            let p = off + 24 + 4 * ws;
            let initprot = r.u32(p + 4).ok_or_else(|| trunc(p))?;
            let nsects = r.u32(p + 8).ok_or_else(|| trunc(p))?;
            if nsects > u64::from(MAX_SECTIONS)
                || hdr.saturating_add(nsects.saturating_mul(sect_size)) > size
            {
                return Err(macho_err("sections past the load command"));
            }
            segments.push(Segment {
                name: segname.clone(),
                vaddr: vmaddr,
                data: r.clamped(fileoff, filesize),
                // VM_PROT_WRITE and VM_PROT_EXECUTE.
                writable: initprot & 2 != 0,
                executable: initprot & 4 != 0,
            });
            for i in 0..nsects {
                let s = off + hdr + i * sect_size;
                let sectname = r.name(s, 16).ok_or_else(|| trunc(s))?;
                let addr = r.uint(s + 32, ws).ok_or_else(|| trunc(s))?;
                let ssize = r.uint(s + 32 + ws, ws).ok_or_else(|| trunc(s))?;
                let soff = r.u32(s + 32 + 2 * ws).ok_or_else(|| trunc(s))?;
                let flags = r.u32(s + 32 + 2 * ws + 16).ok_or_else(|| trunc(s))?;
                // S_ZEROFILL and friends have no file bytes.
                let zerofill = matches!(flags & 0xff, 0x1 | 0xc | 0x12);
                let sdata = if zerofill || soff == 0 {
                    &[][..]
                } else {
                    r.clamped(soff, ssize)
                };
                if sectname == "__go_buildinfo" && hint.is_none() {
                    hint = Some(sdata);
                }
                sections.push(Section {
                    name: sectname,
                    vaddr: addr,
                    data: sdata,
                });
            }
        }
        off += size;
    }
    // cputype: CPU_TYPE_X86 (7), CPU_TYPE_ARM (12), with CPU_ARCH_ABI64.
    let goarch = match r.u32(4) {
        Some(0x7) => Some("386"),
        Some(0x0100_0007) => Some("amd64"),
        Some(0xc) => Some("arm"),
        Some(0x0100_000c) => Some("arm64"),
        _ => None,
    };
    Ok(AddressSpace {
        format: Format::MachO,
        big_endian: big,
        is_64,
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

fn parse_pe(data: &[u8]) -> Result<AddressSpace<'_>, Error> {
    let r = Reader { data, big: false };
    let trunc = |offset| Error::Truncated {
        what: "PE headers",
        offset,
    };
    let pe = r.u32(0x3c).ok_or_else(|| trunc(0x3c))?;
    if r.bytes(pe, 4) != Some(b"PE\0\0") {
        return Err(pe_err("no PE signature"));
    }
    let coff = pe + 4;
    let nsections = r.u16(coff + 2).ok_or_else(|| trunc(coff))?;
    let opt_size = r.u16(coff + 16).ok_or_else(|| trunc(coff))?;
    let opt = coff + 20;
    let (is_64, image_base) = match r.u16(opt).ok_or_else(|| trunc(opt))? {
        0x10b => (false, r.u32(opt + 28).ok_or_else(|| trunc(opt))?),
        0x20b => (true, r.u64(opt + 24).ok_or_else(|| trunc(opt))?),
        m => return Err(pe_err(&format!("optional header magic {m:#x}"))),
    };
    let table = opt + opt_size;
    let mut segments = Vec::new();
    let mut sections = Vec::new();
    let mut hint = None;
    for i in 0..nsections {
        let s = table + i * 40;
        let name = r.name(s, 8).ok_or_else(|| trunc(s))?;
        let f = |o: u64| r.u32(s + o).ok_or_else(|| trunc(s));
        let (vsize, vaddr, raw_size, raw_ptr, chars) = (f(8)?, f(12)?, f(16)?, f(20)?, f(36)?);
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
            r.clamped(raw_ptr, size)
        };
        let addr = image_base.wrapping_add(vaddr);
        const CNT_INITIALIZED_DATA: u64 = 0x40;
        const MEM_EXECUTE: u64 = 0x2000_0000;
        const MEM_READ: u64 = 0x4000_0000;
        const MEM_WRITE: u64 = 0x8000_0000;
        const ALIGN_MASK: u64 = 0x00f0_0000;
        // Go's reader: the first section that is exactly initialized,
        // readable, writable data (any alignment).
        if hint.is_none()
            && vaddr != 0
            && !sdata.is_empty()
            && chars & !ALIGN_MASK == CNT_INITIALIZED_DATA | MEM_READ | MEM_WRITE
        {
            hint = Some(sdata);
        }
        segments.push(Segment {
            name: name.clone(),
            vaddr: addr,
            data: sdata,
            writable: chars & MEM_WRITE != 0,
            executable: chars & MEM_EXECUTE != 0,
        });
        sections.push(Section {
            name,
            vaddr: addr,
            data: sdata,
        });
    }
    let goarch = match r.u16(coff) {
        Some(0x8664) => Some("amd64"),
        Some(0x14c) => Some("386"),
        Some(0xaa64) => Some("arm64"),
        Some(0x1c4) => Some("arm"),
        _ => None,
    };
    Ok(AddressSpace {
        format: Format::Pe,
        big_endian: false,
        is_64,
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
