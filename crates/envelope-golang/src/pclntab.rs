//! Function names from the Go pclntab (Go 1.16, 1.18–1.19 and 1.20+
//! layouts). The linker's `-s -w` removes the ELF symbol table and DWARF but
//! keeps the pclntab, because the runtime needs it for stack traces — so
//! this works on stripped binaries.

use crate::elf::Elf;
use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    Go116,
    Go118,
    Go120,
}

#[derive(Debug, Clone, Default)]
pub struct FuncTable {
    names: Vec<String>,
}

struct Reader<'a> {
    data: &'a [u8],
    big: bool,
    ptr: usize,
}

impl Reader<'_> {
    fn uint(&self, off: usize, size: usize) -> Option<u64> {
        let b = self.data.get(off..off.checked_add(size)?)?;
        let mut v = 0u64;
        for i in 0..size {
            v = (v << 8) | u64::from(if self.big { b[i] } else { b[size - 1 - i] });
        }
        Some(v)
    }
    fn u32(&self, off: usize) -> Option<u64> {
        self.uint(off, 4)
    }
    fn word(&self, n: usize) -> Option<usize> {
        usize::try_from(self.uint(8 + n * self.ptr, self.ptr)?).ok()
    }
}

fn header(data: &[u8], big: bool) -> Option<(Version, usize)> {
    let magic = if big {
        u32::from_be_bytes(data.get(..4)?.try_into().ok()?)
    } else {
        u32::from_le_bytes(data.get(..4)?.try_into().ok()?)
    };
    let version = match magic {
        0xffff_fffa => Version::Go116,
        0xffff_fff0 => Version::Go118,
        0xffff_fff1 => Version::Go120,
        _ => return None,
    };
    let (pad1, pad2, min_lc, ptr) = (*data.get(4)?, *data.get(5)?, *data.get(6)?, *data.get(7)?);
    if pad1 != 0 || pad2 != 0 || !matches!(min_lc, 1 | 2 | 4) || !matches!(ptr, 4 | 8) {
        return None;
    }
    Some((version, usize::from(ptr)))
}

fn names_from(data: &[u8], big: bool) -> Option<Vec<String>> {
    let (version, ptr) = header(data, big)?;
    let r = Reader { data, big, ptr };
    let nfunc = r.word(0)?;
    let (funcname_off, pcln_off) = match version {
        Version::Go116 => (r.word(2)?, r.word(6)?),
        Version::Go118 | Version::Go120 => (r.word(3)?, r.word(7)?),
    };
    let funcnames = data.get(funcname_off..)?;
    let functab = data.get(pcln_off..)?;
    // Each functab entry is (pc, funcoff): two uint32 since 1.18, two words before.
    let entry = if version == Version::Go116 {
        2 * ptr
    } else {
        8
    };
    if nfunc.checked_mul(entry)? > functab.len() {
        return None;
    }
    let ft = Reader {
        data: functab,
        big,
        ptr,
    };
    let mut names = Vec::with_capacity(nfunc);
    for i in 0..nfunc {
        let func_off = if version == Version::Go116 {
            ft.uint(i * entry + ptr, ptr)?
        } else {
            ft.u32(i * entry + 4)?
        };
        // The _func struct: entry (uint32 since 1.18, a word before), then nameOff int32.
        let name_field = usize::try_from(func_off)
            .ok()?
            .checked_add(if version == Version::Go116 { ptr } else { 4 })?;
        let name_off = usize::try_from(ft.u32(name_field)?).ok()?;
        let Some(rest) = funcnames.get(name_off..) else {
            continue;
        };
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(rest.len())
            .min(4096);
        names.push(String::from_utf8_lossy(&rest[..end]).into_owned());
    }
    Some(names)
}

impl FuncTable {
    pub fn read(data: &[u8]) -> Result<FuncTable, Error> {
        let elf = Elf::parse(data)?;
        let mut names = None;
        if let Some(s) = elf.section(".gopclntab") {
            names = names_from(s.data, elf.big_endian);
        }
        if names.is_none() {
            // Without section headers: look for a plausible header in the
            // read-only segments.
            for seg in elf.segments.iter().filter(|s| !s.writable) {
                let magics: [&[u8]; 3] = if elf.big_endian {
                    [
                        b"\xff\xff\xff\xf1\x00\x00",
                        b"\xff\xff\xff\xf0\x00\x00",
                        b"\xff\xff\xff\xfa\x00\x00",
                    ]
                } else {
                    [
                        b"\xf1\xff\xff\xff\x00\x00",
                        b"\xf0\xff\xff\xff\x00\x00",
                        b"\xfa\xff\xff\xff\x00\x00",
                    ]
                };
                let mut off = 0;
                while off + 8 < seg.data.len() && names.is_none() {
                    let Some(i) = seg.data[off..].windows(6).position(|w| magics.contains(&w))
                    else {
                        break;
                    };
                    let at = off + i;
                    if at.is_multiple_of(4) {
                        names =
                            names_from(&seg.data[at..], elf.big_endian).filter(|n| !n.is_empty());
                    }
                    off = at + 1;
                }
                if names.is_some() {
                    break;
                }
            }
        }
        let mut names = names.ok_or(Error::NoPclntab)?;
        names.sort_unstable();
        names.dedup();
        Ok(FuncTable { names })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.names
            .binary_search_by(|n| n.as_str().cmp(name))
            .is_ok()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}
