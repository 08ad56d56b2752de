//! Function and source file names from the Go pclntab (Go 1.16, 1.18–1.19
//! and 1.20+ layouts). The linker's `-s -w` removes the ELF symbol table
//! and DWARF but keeps the pclntab, because the runtime needs it for stack
//! traces — so this works on stripped binaries.

use crate::addrspace::AddressSpace;
use crate::elf::Elf;
use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    Go116,
    Go118,
    Go120,
}

#[derive(Debug, Clone, Default)]
pub struct FuncTable {
    names: Vec<String>,
}

pub(crate) struct Reader<'a> {
    pub data: &'a [u8],
    pub big: bool,
    pub ptr: usize,
}

impl Reader<'_> {
    pub fn uint(&self, off: usize, size: usize) -> Option<u64> {
        let b = self.data.get(off..off.checked_add(size)?)?;
        let mut v = 0u64;
        for i in 0..size {
            v = (v << 8) | u64::from(if self.big { b[i] } else { b[size - 1 - i] });
        }
        Some(v)
    }
    pub fn u32(&self, off: usize) -> Option<u64> {
        self.uint(off, 4)
    }
    fn word(&self, n: usize) -> Option<usize> {
        usize::try_from(self.uint(8 + n * self.ptr, self.ptr)?).ok()
    }
}

/// The pclntab header fields the readers use (runtime.pcHeader).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    pub version: Version,
    pub ptr: usize,
    pub nfunc: usize,
    pub nfiles: usize,
    /// The text start address (Go 1.18+; 0 before).
    pub text_start: u64,
    pub funcname_off: usize,
    pub cu_off: usize,
    pub filetab_off: usize,
    pub pctab_off: usize,
    pub pcln_off: usize,
}

/// The pclntab magic numbers of the layouts this module reads.
const MAGIC_120: u32 = 0xffff_fff1;
const MAGIC_118: u32 = 0xffff_fff0;
const MAGIC_116: u32 = 0xffff_fffa;

pub(crate) fn header(data: &[u8], big: bool) -> Option<Header> {
    let magic = if big {
        u32::from_be_bytes(data.get(..4)?.try_into().ok()?)
    } else {
        u32::from_le_bytes(data.get(..4)?.try_into().ok()?)
    };
    let version = match magic {
        MAGIC_116 => Version::Go116,
        MAGIC_118 => Version::Go118,
        MAGIC_120 => Version::Go120,
        _ => return None,
    };
    let (pad1, pad2, min_lc, ptr) = (*data.get(4)?, *data.get(5)?, *data.get(6)?, *data.get(7)?);
    if pad1 != 0 || pad2 != 0 || !matches!(min_lc, 1 | 2 | 4) || !matches!(ptr, 4 | 8) {
        return None;
    }
    let ptr = usize::from(ptr);
    let r = Reader { data, big, ptr };
    // After the 8 fixed bytes come pointer-sized words: nfunc, nfiles,
    // (textStart since 1.18), then the offsets of funcnametab, cutab,
    // filetab, pctab and the function table, all from the header's start.
    let base = match version {
        Version::Go116 => 2,
        Version::Go118 | Version::Go120 => 3,
    };
    Some(Header {
        version,
        ptr,
        nfunc: r.word(0)?,
        nfiles: r.word(1)?,
        text_start: match version {
            Version::Go116 => 0,
            Version::Go118 | Version::Go120 => r.uint(8 + 2 * ptr, ptr)?,
        },
        funcname_off: r.word(base)?,
        cu_off: r.word(base + 1)?,
        filetab_off: r.word(base + 2)?,
        pctab_off: r.word(base + 3)?,
        pcln_off: r.word(base + 4)?,
    })
}

pub(crate) fn names_from(data: &[u8], big: bool) -> Option<Vec<String>> {
    let h = header(data, big)?;
    let (version, ptr, nfunc) = (h.version, h.ptr, h.nfunc);
    let funcnames = data.get(h.funcname_off..)?;
    let functab = data.get(h.pcln_off..)?;
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
    let mut names = Vec::with_capacity(nfunc.min(INITIAL_CAPACITY));
    // Each real name is stored once in funcnametab, so the names cannot add
    // up to more than it holds; entries of a hostile table that all point
    // at one long name could, and would cost memory quadratic in the input.
    let mut budget = funcnames.len().saturating_mul(2).saturating_add(1 << 16);
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
        let name = c_string(rest);
        budget = budget.checked_sub(name.len() + 1)?;
        names.push(name);
    }
    Some(names)
}

/// Most entries a reader reserves room for up front; real tables grow past
/// it as they are read, hostile counts do not turn into allocations.
pub(crate) const INITIAL_CAPACITY: usize = 1 << 14;

/// Longest name the readers take from a string table; longer ones are cut.
/// Bounding the NUL search keeps a table without NULs from costing
/// quadratic time.
const MAX_NAME: usize = 4096;

/// The NUL-terminated string at the start of `b` (at most [`MAX_NAME`] bytes).
pub(crate) fn c_string(b: &[u8]) -> String {
    let b = &b[..b.len().min(MAX_NAME)];
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// The source file names of the file table (runtime.filetab): `nfiles`
/// NUL-terminated strings, back to back, between the filetab and pctab
/// offsets of the header.
fn files_from(data: &[u8], big: bool) -> Option<Vec<String>> {
    let h = header(data, big)?;
    // The linker lays out funcnametab, cutab, filetab, pctab in that order;
    // when the pctab offset is not past the filetab, read to the end.
    let end = if h.pctab_off > h.filetab_off {
        h.pctab_off.min(data.len())
    } else {
        data.len()
    };
    let mut rest = data.get(h.filetab_off..end)?;
    // Every name takes at least its NUL, so the region bounds the count
    // whatever the header claims.
    let mut files = Vec::with_capacity(h.nfiles.min(rest.len()).min(INITIAL_CAPACITY));
    for _ in 0..h.nfiles {
        if rest.is_empty() {
            break;
        }
        let nul = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
        let name = &rest[..nul];
        files.push(String::from_utf8_lossy(&name[..name.len().min(MAX_NAME)]).into_owned());
        rest = rest.get(nul + 1..).unwrap_or(&[]);
    }
    Some(files)
}

/// Candidate headers tried when scanning segments, so that a segment full
/// of magic numbers costs linear time, not quadratic.
const MAX_CANDIDATES: usize = 64;

/// The names of the pclntab section: ELF, ELF position-independent
/// executables (where the table sits in the RELRO data), Mach-O.
const SECTION_NAMES: [&str; 3] = [".gopclntab", ".data.rel.ro.gopclntab", "__gopclntab"];

/// Runs `parse` on the pclntab of `elf`: the `.gopclntab` section (in a
/// position-independent executable `.data.rel.ro.gopclntab`), or, without
/// section headers (or when that section does not parse), the first
/// 4-aligned header in a read-only segment, then (a stripped PIE, whose
/// table is in the RELRO segment) a writable one, that gives a non-empty
/// result.
fn locate<'a, T>(
    elf: &Elf<'a>,
    parse: impl Fn(&'a [u8], bool) -> Option<Vec<T>>,
) -> Option<Vec<T>> {
    let big = elf.big_endian;
    for name in SECTION_NAMES {
        if let Some(s) = elf.section(name) {
            if let Some(found) = parse(s.data, big) {
                return Some(found);
            }
        }
    }
    let segments = elf.segments.iter().filter(|s| !s.writable);
    let writable = elf.segments.iter().filter(|s| s.writable);
    scan(segments.chain(writable).map(|s| s.data), big, parse).map(|(_, found)| found)
}

/// The first 4-aligned pclntab header in `segments` on which `parse`
/// gives a non-empty result: the table (from its header to the end of the
/// segment) and the result. At most [`MAX_CANDIDATES`] headers are tried.
fn scan<'a, T>(
    segments: impl Iterator<Item = &'a [u8]>,
    big: bool,
    parse: impl Fn(&'a [u8], bool) -> Option<Vec<T>>,
) -> Option<(&'a [u8], Vec<T>)> {
    let magics = [MAGIC_120, MAGIC_118, MAGIC_116];
    let mut tried = 0;
    for data in segments {
        // Headers are 4-aligned: test the magic at every fourth offset.
        let mut at = 0usize;
        while at + 8 <= data.len() && tried < MAX_CANDIDATES {
            let w = &data[at..at + 8];
            let word = [w[0], w[1], w[2], w[3]];
            let magic = if big {
                u32::from_be_bytes(word)
            } else {
                u32::from_le_bytes(word)
            };
            if magics.contains(&magic) && w[4] == 0 && w[5] == 0 {
                tried += 1;
                if let Some(found) = parse(&data[at..], big).filter(|v| !v.is_empty()) {
                    return Some((&data[at..], found));
                }
            }
            at += 4;
        }
    }
    None
}

/// The pclntab of an executable of any format, from its header to the end
/// of its section or segment, and the function names in it: the section
/// (see [`SECTION_NAMES`]) when there is one that reads, else the first
/// header found in a read-only segment (a stripped ELF file; PE files,
/// which keep it in `.rdata`), then in a writable one (a stripped PIE).
pub(crate) fn locate_in_space<'a>(space: &AddressSpace<'a>) -> Option<(&'a [u8], Vec<String>)> {
    let big = space.big_endian;
    for name in SECTION_NAMES {
        if let Some(s) = space.section(name) {
            if let Some(found) = names_from(s.data, big).filter(|v| !v.is_empty()) {
                return Some((s.data, found));
            }
        }
    }
    let segments = space.segments.iter().filter(|s| !s.writable);
    let writable = space.segments.iter().filter(|s| s.writable);
    scan(segments.chain(writable).map(|s| s.data), big, names_from)
}

impl FuncTable {
    pub fn read(data: &[u8]) -> Result<FuncTable, Error> {
        FuncTable::from_elf(&Elf::parse(data)?)
    }

    pub(crate) fn from_elf(elf: &Elf<'_>) -> Result<FuncTable, Error> {
        let mut names = locate(elf, names_from).ok_or(Error::NoPclntab)?;
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

/// Most build paths [`FileTable::build_paths`] keeps as examples.
pub const MAX_BUILD_PATH_EXAMPLES: usize = 20;

/// The source file names of a Go binary, from the pclntab file table (Go
/// 1.16+ layouts). Like the function names they survive `-s -w`. With
/// `-trimpath` they are module-relative (`example.com/m/main.go`,
/// `runtime/proc.go`); without it they are the absolute paths of the build
/// machine (`/home/ci/src/app/main.go`, `/usr/local/go/src/runtime/proc.go`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileTable {
    names: Vec<String>,
}

/// Absolute file paths of the build machine found in a binary.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BuildPaths {
    /// At most [`MAX_BUILD_PATH_EXAMPLES`] of them, sorted, those outside
    /// the Go installation (the project and the module cache, the ones that
    /// say most about the build machine) first.
    pub examples: Vec<String>,
    /// How many distinct absolute file names the binary holds.
    pub total: usize,
}

impl FileTable {
    pub fn read(data: &[u8]) -> Result<FileTable, Error> {
        FileTable::from_elf(&Elf::parse(data)?)
    }

    pub(crate) fn from_elf(elf: &Elf<'_>) -> Result<FileTable, Error> {
        let mut names = locate(elf, files_from).ok_or(Error::NoPclntab)?;
        names.sort_unstable();
        names.dedup();
        Ok(FileTable { names })
    }

    /// The file names, sorted and deduplicated.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.names
            .binary_search_by(|n| n.as_str().cmp(name))
            .is_ok()
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The Go installation the binary was built with, when its paths are
    /// absolute: the directory above `src/runtime/` of the runtime's files.
    pub fn goroot(&self) -> Option<&str> {
        self.names
            .iter()
            .filter(|n| n.starts_with('/'))
            .find_map(|n| n.find("/src/runtime/").map(|i| &n[..i]))
    }

    /// The absolute file names (a build without `-trimpath`).
    pub fn build_paths(&self) -> BuildPaths {
        let goroot_src = self.goroot().map(|g| format!("{g}/src/"));
        let in_goroot = |n: &str| goroot_src.as_deref().is_some_and(|g| n.starts_with(g));
        let absolute: Vec<&String> = self.names.iter().filter(|n| n.starts_with('/')).collect();
        let examples = absolute
            .iter()
            .filter(|n| !in_goroot(n))
            .chain(absolute.iter().filter(|n| in_goroot(n)))
            .take(MAX_BUILD_PATH_EXAMPLES)
            .map(|n| n.to_string())
            .collect();
        BuildPaths {
            examples,
            total: absolute.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
        /// Mostly small values, sometimes near the data, sometimes extreme.
        fn word(&mut self, len: usize) -> u64 {
            match self.below(6) {
                0 => self.below(64),
                1 | 2 => self.below(len as u64 + 16),
                3 => u64::from(u32::MAX) - self.below(4),
                4 => u64::MAX - self.below(4),
                _ => self.next(),
            }
        }
    }

    /// A header of a random layout, word size and byte order, then random
    /// bytes with NULs sprinkled in.
    fn table(rng: &mut Rng) -> (Vec<u8>, bool) {
        let big = rng.below(4) == 0;
        let ptr = if rng.below(3) == 0 { 4 } else { 8 };
        let magic = [MAGIC_116, MAGIC_118, MAGIC_120][rng.below(3) as usize];
        let len = rng.below(600) as usize + 8;
        let mut d = Vec::with_capacity(len + 8 * 8);
        d.extend(if big {
            magic.to_be_bytes()
        } else {
            magic.to_le_bytes()
        });
        d.extend([0, 0, 1, ptr as u8]);
        for _ in 0..8 {
            let w = rng.word(len);
            let bytes = if big {
                w.to_be_bytes()
            } else {
                w.to_le_bytes()
            };
            if ptr == 8 {
                d.extend(bytes);
            } else if big {
                d.extend(&bytes[4..]);
            } else {
                d.extend(&bytes[..4]);
            }
        }
        for _ in 0..len {
            let b = if rng.below(5) == 0 {
                0
            } else {
                rng.next() as u8
            };
            d.push(b);
        }
        (d, big)
    }

    #[test]
    fn random_tables_never_panic_and_stay_bounded() {
        let mut rng = Rng(0x5eed);
        let mut parsed = 0;
        for _ in 0..20_000 {
            let (d, big) = table(&mut rng);
            let cut = if rng.below(4) == 0 {
                rng.below(d.len() as u64 + 1) as usize
            } else {
                d.len()
            };
            let d = &d[..cut];
            if let Some(files) = files_from(d, big) {
                parsed += 1;
                // Each name takes at least its NUL (the last may lack it).
                assert!(
                    files.len() <= d.len(),
                    "{} files from {} bytes",
                    files.len(),
                    d.len()
                );
                assert!(files.iter().all(|f| f.len() <= 3 * MAX_NAME));
            }
            if let Some(names) = names_from(d, big) {
                assert!(names.len() <= d.len() / 8 + 1);
            }
        }
        assert!(
            parsed > 1000,
            "the generator should reach the readers: {parsed}"
        );
    }

    #[test]
    fn file_table_layouts() {
        // Each layout's header (8-byte words), two files, a pctab after them.
        for (magic, base) in [(MAGIC_120, 3), (MAGIC_118, 3), (MAGIC_116, 2)] {
            let mut d = Vec::new();
            d.extend(magic.to_le_bytes());
            d.extend([0, 0, 1, 8]);
            let hdr_len = 8 + 8 * (base + 5);
            let files = b"/src/a.go\0b/c.go\0";
            let filetab = hdr_len as u64;
            let pctab = filetab + files.len() as u64;
            let mut words = vec![0u64, 2];
            words.resize(base, 0);
            // funcnametab, cutab, filetab, pctab, functab
            words.extend([filetab, filetab, filetab, pctab, pctab]);
            for w in words {
                d.extend(w.to_le_bytes());
            }
            d.extend(files);
            d.extend(b"pctab bytes\0");
            assert_eq!(
                files_from(&d, false),
                Some(vec!["/src/a.go".to_string(), "b/c.go".to_string()]),
                "{magic:x}"
            );
            let t = FileTable {
                names: vec!["/src/a.go".into(), "b/c.go".into()],
            };
            assert_eq!(
                t.build_paths(),
                BuildPaths {
                    examples: vec!["/src/a.go".into()],
                    total: 1
                }
            );
        }
    }

    #[test]
    fn names_sharing_one_long_name_are_refused() {
        // A Go 1.20 table whose 100,000 functions all name one 4000-byte
        // string: linear input, quadratic output without the budget.
        let n: u32 = 100_000;
        let hdr_len = 8 + 8 * 8;
        let funcname_off = hdr_len;
        let pcln_off = funcname_off + 4001;
        let mut d = Vec::new();
        d.extend(MAGIC_120.to_le_bytes());
        d.extend([0, 0, 1, 8]);
        let words = [
            u64::from(n),
            0,
            0,
            funcname_off as u64,
            pcln_off as u64,
            pcln_off as u64,
            pcln_off as u64,
            pcln_off as u64,
        ];
        for w in words {
            d.extend(w.to_le_bytes());
        }
        d.extend([b'a'; 4000]);
        d.push(0);
        let func_off = n * 8;
        for i in 0..n {
            d.extend(i.to_le_bytes());
            d.extend(func_off.to_le_bytes());
        }
        // The one _func: entry, nameOff 0.
        d.extend([0u8; 8]);
        assert_eq!(names_from(&d, false), None);
        // Within the budget the same layout reads.
        let few = 3u32;
        d[8..16].copy_from_slice(&u64::from(few).to_le_bytes());
        let names = names_from(&d, false).expect("reads");
        assert_eq!(names.len(), 3);
        assert_eq!(names[0].len(), 4000);
    }

    #[test]
    fn build_path_examples_put_the_project_first() {
        let mut names: Vec<String> = (0..30)
            .map(|i| format!("/usr/local/go/src/runtime/f{i:02}.go"))
            .collect();
        names.push("/src/app/main.go".into());
        names.push("/root/go/pkg/mod/golang.org/x/text@v0.1.0/a.go".into());
        names.push("example.com/m/x.go".into());
        names.push("<autogenerated>".into());
        names.sort();
        let t = FileTable { names };
        assert_eq!(t.goroot(), Some("/usr/local/go"));
        let p = t.build_paths();
        assert_eq!(p.total, 32);
        assert_eq!(p.examples.len(), MAX_BUILD_PATH_EXAMPLES);
        assert_eq!(
            p.examples[..3],
            [
                "/root/go/pkg/mod/golang.org/x/text@v0.1.0/a.go",
                "/src/app/main.go",
                "/usr/local/go/src/runtime/f00.go"
            ]
        );
    }
}
