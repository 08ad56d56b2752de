//! The Go functions a binary holds, including those the compiler inlined
//! into their callers. A small function — `golang.org/x/text/language.Parse`,
//! `strings.HasPrefix` — is usually inlined everywhere and then has no entry
//! of its own in the pclntab function table; what remains of it is an entry
//! in the inline tree (`FUNCDATA_InlTree`) of every function it was inlined
//! into, naming it. A vulnerability scanner that looked at the function
//! table alone would miss it.
//!
//! The inline trees are `go:func.*` data: since Go 1.18 a function's
//! funcdata are offsets from `runtime.moduledata.gofunc`, which is found by
//! locating the module data itself — the first word of
//! `runtime.firstmoduledata` is the address of the pclntab header, and the
//! slices after it point into the pclntab at the offsets its header gives.
//! That needs no symbol table, so it works on `-s -w` binaries too, of any
//! format (ELF, Mach-O, PE). Go 1.16 and 1.17 store absolute addresses and
//! need no module data. A tree's length is not recorded anywhere: it is one
//! more than the largest value of the function's `PCDATA_InlTreeIndex`
//! table, the way the runtime and `golang.org/x/vuln` count it.
//!
//! The readers are bounded like the rest of the crate: candidate and work
//! budgets keep a hostile file to time and memory linear in its size.
//!
//! Known limits: an inlined call whose code the compiler optimized away
//! entirely (a constant-folded body) leaves no inline tree entry; and the
//! module data is found by the link-time addresses stored in the file, so
//! an image whose data words hold something else until the loader fixes
//! them up would have none (no Go output tested is like that: internal and
//! external linking, PIE, Mach-O, PE all store them) —
//! [`SymbolTable::inline_trees_read`] then says so.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::addrspace::AddressSpace;
use crate::pclntab::{self, c_string, Header, Reader, Version};
use crate::Error;

/// The function names of a Go binary: those with an entry in the pclntab
/// function table and those only found in inline trees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SymbolTable {
    functions: BTreeSet<String>,
    inlined: BTreeSet<String>,
    inline_trees: bool,
}

impl SymbolTable {
    /// Reads the function table and the inline trees of an ELF, Mach-O or
    /// PE executable (stripped or not).
    pub fn read(data: &[u8]) -> Result<SymbolTable, Error> {
        SymbolTable::from_space(&AddressSpace::parse(data)?)
    }

    /// [`SymbolTable::read`] on an already parsed image.
    pub fn from_space(space: &AddressSpace<'_>) -> Result<SymbolTable, Error> {
        let (tab, names) = pclntab::locate_in_space(space).ok_or(Error::NoPclntab)?;
        let functions = names.into_iter().collect();
        let inlined = inlined_names(space, tab);
        Ok(SymbolTable {
            functions,
            inline_trees: inlined.is_some(),
            inlined: inlined.unwrap_or_default(),
        })
    }

    /// The names of the function table, sorted.
    pub fn functions(&self) -> impl Iterator<Item = &str> {
        self.functions.iter().map(String::as_str)
    }

    /// Every name found in an inline tree, sorted — also those that have a
    /// function table entry of their own (inlined at some calls, called at
    /// others).
    pub fn inlined(&self) -> impl Iterator<Item = &str> {
        self.inlined.iter().map(String::as_str)
    }

    /// Whether the inline trees could be read: `false` when the module data
    /// (Go 1.18+) was not found, in which case [`SymbolTable::inlined`] is
    /// empty and a name's absence says nothing about inlined code.
    pub fn inline_trees_read(&self) -> bool {
        self.inline_trees
    }

    /// The function has an entry in the function table.
    pub fn is_function(&self, name: &str) -> bool {
        self.functions.contains(name)
    }

    /// The function was inlined somewhere.
    pub fn is_inlined(&self, name: &str) -> bool {
        self.inlined.contains(name)
    }

    /// The function's code is in the binary: as a function or inlined.
    pub fn contains(&self, name: &str) -> bool {
        self.is_function(name) || self.is_inlined(name)
    }

    /// The function is only present inlined: no function table entry.
    pub fn is_inlined_only(&self, name: &str) -> bool {
        self.is_inlined(name) && !self.is_function(name)
    }

    /// How many distinct names there are in all.
    pub fn len(&self) -> usize {
        self.functions.len() + self.inlined.difference(&self.functions).count()
    }

    pub fn is_empty(&self) -> bool {
        self.functions.is_empty() && self.inlined.is_empty()
    }

    /// Every name (function table and inline trees) as the Go vulnerability
    /// database writes it: `(package path, symbol)`, see [`split_symbol`].
    /// Compiler-generated names are left out.
    pub fn vuln_symbols(&self) -> BTreeSet<(String, String)> {
        self.functions
            .iter()
            .chain(&self.inlined)
            .filter_map(|n| split_symbol(n))
            .collect()
    }
}

/// Most module data candidates (words equal to the pclntab's address) tried.
const MAX_MODULEDATA_CANDIDATES: usize = 256;

/// The moduledata words read: up to and including `gofunc` in every
/// layout.
const MODULEDATA_WORDS: usize = 44;

/// Where runtime.moduledata keeps `gofunc`, as word indexes, for a pclntab
/// version — several for one version when the struct changed while the
/// pclntab did not. Counting the words: pcHeader (0); funcnametab, cutab,
/// filetab, pctab, pclntable and ftab, three words each (1–18);
/// findfunctab, minpc, maxpc (19–21); text, etext, noptrdata, enoptrdata,
/// data, edata, bss, ebss, noptrbss, enoptrbss (22–31); Go 1.20 added
/// covctrs, ecovctrs (32, 33); then end, gcdata, gcbss, types, etypes,
/// rodata and gofunc: 38 in Go 1.18–1.19, 40 in Go 1.20–1.26 (1.26 added
/// `epclntab` after it). Go 1.27 put `typedesclen` after `types` and
/// `itaboffset`, `itabsize` after `etypes`, moving `gofunc` to 43. Which
/// one a binary uses is settled by reading its trees
/// ([`Trees::read`] refuses a layout whose trees name nothing).
fn gofunc_indexes(version: Version) -> &'static [usize] {
    match version {
        Version::Go116 => &[],
        Version::Go118 => &[38],
        Version::Go120 => &[40, 43],
    }
}

/// The virtual address of the first byte of `slice`, a piece of one of the
/// segments of `space` (the segments and sections of an image are all
/// slices of the one file).
fn vaddr_of(space: &AddressSpace<'_>, slice: &[u8]) -> Option<u64> {
    let p = slice.as_ptr() as usize;
    space.segments.iter().find_map(|s| {
        let start = s.data.as_ptr() as usize;
        let off = p.checked_sub(start)?;
        if off >= s.data.len() {
            return None;
        }
        s.vaddr.checked_add(u64::try_from(off).ok()?)
    })
}

/// Finds runtime.moduledata for the pclntab at `tab_vaddr`: a
/// pointer-aligned word in a writable data segment equal to that address,
/// followed by the funcnametab, cutab, filetab, pctab and pclntable slices
/// pointing at the header's offsets (each with len <= cap), and (Go 1.18+)
/// the `text` word equal to the header's textStart — or, since Go 1.26
/// leaves textStart 0, a `text` word not after `etext`. Returns its first
/// [`MODULEDATA_WORDS`] words (fewer when the segment ends first).
fn moduledata(space: &AddressSpace<'_>, h: &Header, tab_vaddr: u64) -> Option<Vec<u64>> {
    let ptr = h.ptr;
    let ptr64 = ptr as u64;
    let at = |off: usize| tab_vaddr.checked_add(u64::try_from(off).ok()?);
    // (word index of the slice's data pointer, the address it must hold)
    let expect = [
        (1, at(h.funcname_off)?),
        (4, at(h.cu_off)?),
        (7, at(h.filetab_off)?),
        (10, at(h.pctab_off)?),
        (13, at(h.pcln_off)?),
    ];
    let mut tried = 0;
    for seg in space
        .segments
        .iter()
        .filter(|s| s.writable && !s.executable)
    {
        let r = Reader {
            data: seg.data,
            big: space.big_endian,
            ptr,
        };
        let mut off = usize::try_from((ptr64 - seg.vaddr % ptr64) % ptr64).ok()?;
        while off + ptr <= seg.data.len() {
            if r.uint(off, ptr) == Some(tab_vaddr) {
                tried += 1;
                if tried > MAX_MODULEDATA_CANDIDATES {
                    return None;
                }
                let words: Vec<u64> = (0..MODULEDATA_WORDS)
                    .map_while(|i| r.uint(off + i * ptr, ptr))
                    .collect();
                let w = |i: usize| words.get(i).copied();
                let valid = expect.iter().all(|&(i, addr)| {
                    w(i) == Some(addr)
                        && matches!((w(i + 1), w(i + 2)), (Some(l), Some(c)) if l <= c)
                });
                // Go 1.18 to 1.25 repeat the text word in the header's
                // textStart; Go 1.26 writes 0 there.
                let text_ok = match (h.version, h.text_start) {
                    (Version::Go116, _) => true,
                    (_, 0) => matches!((w(22), w(23)), (Some(t), Some(e)) if t != 0 && t <= e),
                    (_, start) => w(22) == Some(start),
                };
                if valid && text_ok {
                    return Some(words);
                }
            }
            off += ptr;
        }
    }
    None
}

/// Reads unsigned LEB128-style varints of the pc-value tables (at most 32
/// bits, like the runtime's).
fn varint(p: &[u8]) -> Option<(u32, usize)> {
    let mut v = 0u32;
    for (i, &b) in p.iter().enumerate().take(5) {
        v |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// The largest value of the pc-value table at `off` of `pctab` (-1 for an
/// empty table), decoding at most `budget` bytes (reduced by what it used;
/// `None` once it is spent). A table that runs off the end of `pctab` ends
/// there.
fn max_pcvalue(pctab: &[u8], off: usize, budget: &mut usize) -> Option<i64> {
    let mut p = pctab.get(off..).unwrap_or(&[]);
    let mut val: i64 = -1;
    let mut max: i64 = -1;
    let mut pc: u64 = 0;
    while let Some((uv, n1)) = varint(p) {
        if uv == 0 && pc != 0 {
            break;
        }
        let Some((pcdelta, n2)) = varint(&p[n1..]) else {
            break;
        };
        *budget = budget.checked_sub(n1 + n2)?;
        p = &p[n1 + n2..];
        // Zig-zag: the low bit is the sign.
        let delta = if uv & 1 != 0 {
            -i64::from(uv >> 1) - 1
        } else {
            i64::from(uv >> 1)
        };
        // Values are int32 in the runtime; keep them in that range.
        val = (val + delta).clamp(i64::from(i32::MIN), i64::from(i32::MAX));
        max = max.max(val);
        pc = pc.saturating_add(u64::from(pcdelta).max(1));
    }
    Some(max)
}

/// The field offsets of a `_func` in one pclntab layout.
struct FuncLayout {
    npcdata: usize,
    nfuncdata: usize,
    /// Size of the fixed part: the pcdata offsets follow it.
    fixed: usize,
}

fn func_layout(version: Version, ptr: usize) -> FuncLayout {
    match version {
        // entryOff, nameOff, args, deferreturn, pcsp, pcfile, pcln,
        // npcdata, cuOffset, startLine (uint32/int32 each), funcID, flag,
        // pad, nfuncdata (bytes).
        Version::Go120 => FuncLayout {
            npcdata: 28,
            nfuncdata: 43,
            fixed: 44,
        },
        // The same without startLine.
        Version::Go118 => FuncLayout {
            npcdata: 28,
            nfuncdata: 39,
            fixed: 40,
        },
        // entry is a word; funcID, two pad/flag bytes, nfuncdata.
        Version::Go116 => FuncLayout {
            npcdata: ptr + 24,
            nfuncdata: ptr + 35,
            fixed: ptr + 36,
        },
    }
}

/// The runtime's table indexes (internal/abi/symtab.go, Go 1.16+).
const PCDATA_INL_TREE_INDEX: usize = 2;
const FUNCDATA_INL_TREE: usize = 3;

/// The names in the inline trees of the pclntab `tab` (a slice of one of
/// the segments of `space`); `None` when the trees cannot be found (no
/// module data, or no layout of it whose trees name functions) or a work
/// budget runs out.
fn inlined_names(space: &AddressSpace<'_>, tab: &[u8]) -> Option<BTreeSet<String>> {
    let h = pclntab::header(tab, space.big_endian)?;
    let tab_vaddr = vaddr_of(space, tab)?;
    if h.version == Version::Go116 {
        return match Trees::read(space, tab, &h, tab_vaddr, None) {
            Ok(t) => Some(t.names),
            Err(_) => None,
        };
    }
    let words = moduledata(space, &h, tab_vaddr)?;
    let mut tried = Vec::new();
    let mut empty = None;
    for &i in gofunc_indexes(h.version) {
        let Some(&gofunc) = words.get(i) else {
            continue;
        };
        if tried.contains(&gofunc) {
            continue;
        }
        tried.push(gofunc);
        match Trees::read(space, tab, &h, tab_vaddr, Some(gofunc)) {
            Ok(t) if t.entries > 0 => return Some(t.names),
            // No function has a tree: any layout reads the same nothing.
            Ok(t) => empty = Some(t.names),
            Err(Stop::Implausible) => {}
            Err(Stop::Exhausted) => return None,
        }
    }
    empty
}

/// Why reading the inline trees stopped.
enum Stop {
    /// A tree is not where the layout says, or names no function: the
    /// layout (the `gofunc` word) is not this binary's, or it is damaged.
    Implausible,
    /// A table ran past the pclntab, or a work budget ran out.
    Exhausted,
}

/// The inline trees of every function of one pclntab.
struct Trees {
    names: BTreeSet<String>,
    /// Tree entries read.
    entries: usize,
}

impl Trees {
    /// Reads every function's inline tree, found from `gofunc` (Go 1.18+:
    /// funcdata are offsets from it) or at the absolute addresses the
    /// funcdata hold (Go 1.16–1.17, `gofunc` None). Every entry must name
    /// a function: an offset into the name table at the start of a name.
    fn read(
        space: &AddressSpace<'_>,
        tab: &[u8],
        h: &Header,
        tab_vaddr: u64,
        gofunc: Option<u64>,
    ) -> Result<Trees, Stop> {
        let big = space.big_endian;
        let ptr = h.ptr;
        let functab = tab.get(h.pcln_off..).ok_or(Stop::Exhausted)?;
        let funcnames = tab.get(h.funcname_off..).ok_or(Stop::Exhausted)?;
        let pctab = tab.get(h.pctab_off..).ok_or(Stop::Exhausted)?;
        let ft = Reader {
            data: functab,
            big,
            ptr,
        };
        let layout = func_layout(h.version, ptr);
        let (entry_size, name_field) = match h.version {
            // funcID, 3 pad bytes, nameOff, parentPc, startLine.
            Version::Go120 => (16usize, 4usize),
            // parent int16, funcID, pad, file, line, func_ (the name), parentPc.
            Version::Go116 | Version::Go118 => (20, 12),
        };
        let functab_entry = if h.version == Version::Go116 {
            2 * ptr
        } else {
            8
        };
        if h.nfunc
            .checked_mul(functab_entry)
            .is_none_or(|n| n > functab.len())
        {
            return Err(Stop::Exhausted);
        }
        // Budgets linear in the input: pc-value bytes decoded (tables shared
        // by functions are decoded once) and tree entries read (trees shared
        // are read once).
        let mut pc_budget = pctab.len().saturating_mul(2).saturating_add(1 << 20);
        let mut entry_budget = space
            .segments
            .iter()
            .map(|s| s.data.len() / entry_size)
            .fold(0usize, usize::saturating_add)
            .saturating_add(1 << 16);
        let mut max_by_table: HashMap<usize, i64> = HashMap::new();
        let mut trees_seen: HashSet<u64> = HashSet::new();
        let mut names_seen: HashSet<u64> = HashSet::new();
        let mut out = Trees {
            names: BTreeSet::new(),
            entries: 0,
        };
        for i in 0..h.nfunc {
            let func_off = if h.version == Version::Go116 {
                ft.uint(i * functab_entry + ptr, ptr)
            } else {
                ft.u32(i * functab_entry + 4)
            };
            let Some(Ok(f)) = func_off.map(usize::try_from) else {
                return Err(Stop::Exhausted);
            };
            let field = |o: usize| f.checked_add(o);
            let Some(npcdata) = field(layout.npcdata).and_then(|o| ft.u32(o)) else {
                continue;
            };
            let Some(nfuncdata) = field(layout.nfuncdata).and_then(|o| functab.get(o)) else {
                continue;
            };
            if npcdata <= PCDATA_INL_TREE_INDEX as u64
                || usize::from(*nfuncdata) <= FUNCDATA_INL_TREE
            {
                continue;
            }
            let npcdata = usize::try_from(npcdata).map_err(|_| Stop::Exhausted)?;
            let Some(pcdata_at) = field(layout.fixed) else {
                continue;
            };
            let Some(table) = ft.u32(pcdata_at + 4 * PCDATA_INL_TREE_INDEX) else {
                continue;
            };
            // An offset 0 means no table.
            if table == 0 {
                continue;
            }
            let Some(funcdata_at) = npcdata
                .checked_mul(4)
                .and_then(|n| pcdata_at.checked_add(n))
            else {
                continue;
            };
            let tree = match gofunc {
                Some(gofunc) => {
                    // uint32 offsets from gofunc, ^0 for none.
                    let Some(off) = ft.u32(funcdata_at + 4 * FUNCDATA_INL_TREE) else {
                        continue;
                    };
                    if off == u64::from(u32::MAX) {
                        continue;
                    }
                    gofunc.checked_add(off).ok_or(Stop::Implausible)?
                }
                None => {
                    // Go 1.16/1.17: absolute addresses, pointer-aligned in
                    // memory.
                    let mut at = funcdata_at;
                    let addr = tab_vaddr
                        .checked_add(h.pcln_off as u64)
                        .and_then(|a| a.checked_add(at as u64))
                        .ok_or(Stop::Exhausted)?;
                    if ptr == 8 && addr & 7 != 0 {
                        at += 4;
                    }
                    let Some(addr) = ft.uint(at + ptr * FUNCDATA_INL_TREE, ptr) else {
                        continue;
                    };
                    if addr == 0 {
                        continue;
                    }
                    addr
                }
            };
            if !trees_seen.insert(tree) {
                continue;
            }
            let table = usize::try_from(table).map_err(|_| Stop::Exhausted)?;
            let max = match max_by_table.get(&table) {
                Some(&m) => m,
                None => {
                    let m = max_pcvalue(pctab, table, &mut pc_budget).ok_or(Stop::Exhausted)?;
                    max_by_table.insert(table, m);
                    m
                }
            };
            let Ok(count) = usize::try_from(max + 1) else {
                continue;
            };
            let bytes = space.at_vaddr(tree).ok_or(Stop::Implausible)?;
            let count = count.min(bytes.len() / entry_size);
            entry_budget = entry_budget.checked_sub(count).ok_or(Stop::Exhausted)?;
            let tr = Reader {
                data: bytes,
                big,
                ptr,
            };
            for j in 0..count {
                let Some(name_off) = tr.u32(j * entry_size + name_field) else {
                    break;
                };
                out.entries += 1;
                if !names_seen.insert(name_off) {
                    continue;
                }
                // nameOff is an int32 offset into funcnametab, at the start
                // of a NUL-terminated name.
                let at_name = usize::try_from(name_off)
                    .ok()
                    .filter(|&o| o <= i32::MAX as usize)
                    .filter(|&o| o == 0 || funcnames.get(o - 1) == Some(&0));
                let name = at_name
                    .and_then(|o| funcnames.get(o..))
                    .map(c_string)
                    .unwrap_or_default();
                if name.is_empty() {
                    return Err(Stop::Implausible);
                }
                out.names.insert(name);
            }
        }
        Ok(out)
    }
}

/// Splits a Go function name into the package path and the symbol as the
/// Go vulnerability database writes them:
///
/// - `golang.org/x/text/language.Parse` → (`golang.org/x/text/language`, `Parse`)
/// - `net/http.(*Client).Do` → (`net/http`, `Client.Do`): no pointer star
///   or parentheses
/// - `example.com/m/pkg.Type.Method` → (`example.com/m/pkg`, `Type.Method`)
/// - generic instantiations lose their type arguments: `pkg.Map[...]`,
///   `pkg.(*List[go.shape.int]).Push` → `Map`, `List.Push`
/// - closures, `go`/`defer` wrappers, range-over-func bodies and method
///   values belong to their function: `pkg.F.func1`, `pkg.F.func1.2`,
///   `pkg.F.gowrap1`, `pkg.F-range1`, `pkg.T.M-fm` → `F`, `F`, `F`, `F`, `T.M`
/// - the package path is everything up to the last `/` and up to the first
///   `.` after it, with the linker's escapes undone (`gopkg.in/yaml%2ev3` →
///   `gopkg.in/yaml.v3`); an unescaped gopkg.in-style `.vN` element
///   (`gopkg.in/yaml.v3.Unmarshal`) stays in the package.
///
/// `None` for compiler-generated names (`go:buildid`, `type:.eq.T`, and
/// before Go 1.20 `go.buildid`, `go.shape.int`, `type..eq.T`) and names
/// without a package. Packages whose path starts with `go.`
/// (`go.uber.org/zap.New`, `go.opentelemetry.io/otel.Tracer`) are
/// packages like any other.
pub fn split_symbol(name: &str) -> Option<(String, String)> {
    if name.starts_with("go:") || name.starts_with("type:") || is_old_generated(name) {
        return None;
    }
    let s = without_type_args(name);
    let path_end = s.rfind('/').map_or(0, |i| i + 1);
    let dot = path_end + s[path_end..].find('.')?;
    let mut pkg_end = dot;
    let mut rest = &s[dot + 1..];
    // gopkg.in/yaml.v3.Unmarshal: a version element is part of the path.
    if let Some((first, after)) = rest.split_once('.') {
        let is_version = first.len() > 1
            && first.starts_with('v')
            && first[1..].bytes().all(|b| b.is_ascii_digit());
        if is_version && !after.is_empty() {
            pkg_end = dot + 1 + first.len();
            rest = after;
        }
    }
    let pkg = unescape(&s[..pkg_end]);
    if pkg.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    for part in rest.split('.') {
        // Method values (-fm) and range-over-func bodies (-range1) belong
        // to the function named before the dash.
        // Closures and wrappers are named after the function they are in,
        // so the first element is never one (a function may be `func1`).
        let part = part.split('-').next().unwrap_or_default();
        let numbered = |p: &str| {
            part.strip_prefix(p)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        let closure = part.is_empty()
            || (!parts.is_empty()
                && (part.bytes().all(|b| b.is_ascii_digit())
                    || ["func", "gowrap", "deferwrap"].into_iter().any(numbered)));
        if closure {
            break;
        }
        let part = part.trim_start_matches('(').trim_start_matches('*');
        let part = part.trim_end_matches(')');
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    if parts.is_empty() {
        return None;
    }
    Some((pkg, parts.join(".")))
}

/// A name the compiler or linker made before Go 1.20 spelled them with a
/// `go:` or `type:` prefix: `go.buildid`, `go.shape.int`,
/// `go.itab.*example.com/m.T,io.Reader`, `type..eq.T`, `type.*T`. A
/// package path starting with `go.` or `type.` is a domain name: its first
/// element (before the first `/`) holds only the characters module paths
/// allow there, and its second label is not one of the linker's.
fn is_old_generated(name: &str) -> bool {
    const LINKER: &[&str] = &[
        "buildid",
        "builtin",
        "constinfo",
        "cuinfo",
        "func",
        "importpath",
        "info",
        "itab",
        "itablink",
        "link",
        "loc",
        "map",
        "range",
        "runtimeinfo",
        "shape",
        "string",
        "track",
        "typelink",
        "weak",
    ];
    let Some(rest) = name
        .strip_prefix("go.")
        .or_else(|| name.strip_prefix("type."))
    else {
        return false;
    };
    let Some((domain, _)) = rest.split_once('/') else {
        return true;
    };
    let label = domain.split('.').next().unwrap_or_default();
    let domain_chars = domain
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    !domain_chars
        || domain.is_empty()
        || domain.starts_with(['.', '-'])
        || domain.contains("..")
        || LINKER.contains(&label)
}

/// `name` without its bracketed type arguments (nested brackets included;
/// an unclosed bracket drops the rest).
fn without_type_args(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '[' => depth += 1,
            ']' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Undoes the linker's `%xx` escapes of package paths (`.` in the last
/// element, and bytes that are not printable ASCII); invalid escapes stay.
fn unescape(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addrspace::{Format, Segment};

    fn split(name: &str) -> Option<(&'static str, &'static str)> {
        split_symbol(name).map(|(p, s)| (&*p.leak(), &*s.leak()))
    }

    #[test]
    fn splits_names_the_way_the_vulndb_writes_them() {
        for (name, want) in [
            (
                "golang.org/x/text/language.Parse",
                Some(("golang.org/x/text/language", "Parse")),
            ),
            ("net/http.(*Client).Do", Some(("net/http", "Client.Do"))),
            ("net/http.Header.Get", Some(("net/http", "Header.Get"))),
            (
                "example.com/m/pkg.Type.Method",
                Some(("example.com/m/pkg", "Type.Method")),
            ),
            (
                "gopkg.in/yaml.v3.Unmarshal",
                Some(("gopkg.in/yaml.v3", "Unmarshal")),
            ),
            (
                "gopkg.in/yaml.v3.(*Decoder).Decode",
                Some(("gopkg.in/yaml.v3", "Decoder.Decode")),
            ),
            (
                "gopkg.in/yaml%2ev3.Unmarshal",
                Some(("gopkg.in/yaml.v3", "Unmarshal")),
            ),
            (
                "gopkg.in/yaml%2ev2.(*parser).parse",
                Some(("gopkg.in/yaml.v2", "parser.parse")),
            ),
            ("strings.HasPrefix", Some(("strings", "HasPrefix"))),
            ("main.main", Some(("main", "main"))),
            ("runtime.main.func1", Some(("runtime", "main"))),
            ("pkg.F.func1", Some(("pkg", "F"))),
            ("pkg.F.func1.2", Some(("pkg", "F"))),
            ("pkg.F.func12.gowrap3", Some(("pkg", "F"))),
            ("pkg.F.deferwrap1", Some(("pkg", "F"))),
            ("pkg.F-range1", Some(("pkg", "F"))),
            ("pkg.(*T).M.func2", Some(("pkg", "T.M"))),
            ("pkg.T.M-fm", Some(("pkg", "T.M"))),
            ("pkg.(*T).M-fm", Some(("pkg", "T.M"))),
            ("pkg.init.0", Some(("pkg", "init"))),
            ("pkg.init", Some(("pkg", "init"))),
            ("pkg.Map[...]", Some(("pkg", "Map"))),
            (
                "example.com/m/pkg.Map[go.shape.int,go.shape.string]",
                Some(("example.com/m/pkg", "Map")),
            ),
            (
                "example.com/m/pkg.Map[go.shape.*example.com/x/y.T]",
                Some(("example.com/m/pkg", "Map")),
            ),
            (
                "example.com/m/pkg.(*List[go.shape.struct { a []int }]).Push",
                Some(("example.com/m/pkg", "List.Push")),
            ),
            ("pkg.Map[...].func1", Some(("pkg", "Map"))),
            ("pkg.Set[...].Add", Some(("pkg", "Set.Add"))),
            (
                "sync/atomic.(*Pointer[...]).Load",
                Some(("sync/atomic", "Pointer.Load")),
            ),
            ("pkg.glob..func1", Some(("pkg", "glob"))),
            ("go:buildid", None),
            ("type:.eq.example.com/m.T", None),
            ("go.shape.int", None),
            ("go.buildid", None),
            ("go.itab.*example.com/m.T,io.Reader", None),
            ("go.itab.example.com/m.T,io.Reader", None),
            ("go.shape.struct { F example.com/x.T }", None),
            ("type..eq.example.com/m.T", None),
            ("type.*example.com/m.T", None),
            ("type..hash.[2]interface {}", None),
            ("go.uber.org/zap.New", Some(("go.uber.org/zap", "New"))),
            (
                "go.uber.org/zap/zapcore.(*CheckedEntry).Write",
                Some(("go.uber.org/zap/zapcore", "CheckedEntry.Write")),
            ),
            (
                "go.opentelemetry.io/otel/sdk/trace.(*tracer).Start",
                Some(("go.opentelemetry.io/otel/sdk/trace", "tracer.Start")),
            ),
            (
                "go.etcd.io/etcd/client/v3.New.func1",
                Some(("go.etcd.io/etcd/client/v3", "New")),
            ),
            (
                "go.mongodb.org/mongo-driver/bson.Unmarshal[...]",
                Some(("go.mongodb.org/mongo-driver/bson", "Unmarshal")),
            ),
            ("go.k6.io/k6/js.New", Some(("go.k6.io/k6/js", "New"))),
            ("type..eq.main.T", None),
            ("_rt0_amd64_linux", None),
            ("", None),
            (".F", None),
            ("a/b/", None),
            ("pkg.", None),
            ("pkg.func1", Some(("pkg", "func1"))),
            ("pkg.func1.func2", Some(("pkg", "func1"))),
        ] {
            assert_eq!(split(name), want, "{name}");
        }
    }

    #[test]
    fn unescapes_package_paths() {
        assert_eq!(unescape("a/b%2ec"), "a/b.c");
        assert_eq!(unescape("a%"), "a%");
        assert_eq!(unescape("a%2"), "a%2");
        assert_eq!(unescape("a%zz"), "a%zz");
        assert_eq!(unescape("%41%42"), "AB");
        assert_eq!(unescape("%ff"), "\u{fffd}");
    }

    #[test]
    fn pc_value_tables() {
        assert_eq!(varint(&[0x05]), Some((5, 1)));
        assert_eq!(varint(&[0x80, 0x01]), Some((128, 2)));
        assert_eq!(varint(&[0x80, 0x80]), None);
        assert_eq!(varint(&[0xff; 8]), None);
        let mut budget = 100;
        // -1 → 0 → -1 → 1, then the end.
        let t = [2, 4, 1, 2, 4, 3, 0];
        assert_eq!(max_pcvalue(&t, 0, &mut budget), Some(1));
        assert_eq!(budget, 94);
        // No table, and a table cut short.
        assert_eq!(max_pcvalue(&t, 7, &mut budget), Some(-1));
        assert_eq!(max_pcvalue(&[2, 4, 4], 0, &mut budget), Some(0));
        // Out of budget.
        let mut small = 3;
        assert_eq!(max_pcvalue(&t, 0, &mut small), None);
        // Huge deltas stay in int32.
        let huge = [
            0xfe, 0xff, 0xff, 0xff, 0x0f, 1, 0xfe, 0xff, 0xff, 0xff, 0x0f, 1, 0,
        ];
        let mut budget = 100;
        assert_eq!(
            max_pcvalue(&huge, 0, &mut budget),
            Some(i64::from(i32::MAX))
        );
    }

    /// Writes values in one byte order and word size.
    struct Out {
        b: Vec<u8>,
        big: bool,
        ptr: usize,
    }

    impl Out {
        fn uint(&mut self, v: u64, n: usize) {
            let bytes = if self.big {
                v.to_be_bytes()[8 - n..].to_vec()
            } else {
                v.to_le_bytes()[..n].to_vec()
            };
            self.b.extend(bytes);
        }
        fn u32(&mut self, v: u32) {
            self.uint(u64::from(v), 4);
        }
        fn word(&mut self, v: u64) {
            self.uint(v, self.ptr);
        }
        fn align(&mut self, n: usize) {
            let pad = (n - self.b.len() % n) % n;
            self.b.resize(self.b.len() + pad, 0);
        }
    }

    const RO: u64 = 0x10_000;
    const RW: u64 = 0x80_000;
    const TEXT: u64 = 0x1000;

    /// A synthetic image with a pclntab of the given layout: `main.main`
    /// with an inline tree of `pkg.Small` and `pkg.Tiny`, `pkg.Big` without
    /// one, and (when `moduledata`) the module data in the writable
    /// segment, after a decoy word. Returns (read-only, writable) bytes.
    fn image(version: Version, ptr: usize, big: bool, moduledata: bool) -> (Vec<u8>, Vec<u8>) {
        image_of(version, ptr, big, moduledata, Linker::Before126)
    }

    /// How the linker laid out the header and the module data of a Go 1.20+
    /// pclntab (the pclntab format itself did not change).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Linker {
        /// textStart in the header, gofunc at word 40 (38 for 1.18).
        Before126,
        /// textStart 0, gofunc at 40 followed by epclntab.
        Go126,
        /// textStart 0, typedesclen, itaboffset and itabsize added: gofunc
        /// at 43, small offsets at 38, 40 and 41.
        Go127,
    }

    fn image_of(
        version: Version,
        ptr: usize,
        big: bool,
        moduledata: bool,
        linker: Linker,
    ) -> (Vec<u8>, Vec<u8>) {
        let out = |b| Out { b, big, ptr };
        let mut ro = out(Vec::new());
        let magic = match version {
            Version::Go116 => 0xffff_fffa,
            Version::Go118 => 0xffff_fff0,
            Version::Go120 => 0xffff_fff1,
        };
        ro.u32(magic);
        ro.b.extend([0, 0, 1, ptr as u8]);
        let nwords = if version == Version::Go116 { 7 } else { 8 };
        let hdr = 8 + nwords * ptr;
        let names = b"main.main\0pkg.Small\0pkg.Tiny\0pkg.Big\0";
        let funcname_off = hdr;
        let cu_off = funcname_off + names.len();
        let filetab_off = cu_off + 4;
        let pctab_off = filetab_off + 8;
        // Offset 0 of pctab means "no table"; the inline index table
        // (-1, 0, -1, 1: two entries) starts at 1.
        let pctab: &[u8] = &[0, 2, 4, 1, 2, 4, 3, 0, 0, 0, 0];
        let pcln_off = pctab_off + pctab.len() + (8 - (pctab_off + pctab.len()) % 8) % 8;
        // nfunc, nfiles.
        let mut words = vec![2u64, 1];
        if version != Version::Go116 {
            words.push(if linker == Linker::Before126 { TEXT } else { 0 });
        }
        words.extend([funcname_off, cu_off, filetab_off, pctab_off, pcln_off].map(|o| o as u64));
        for w in words {
            ro.word(w);
        }
        ro.b.extend(names);
        ro.u32(0);
        ro.b.extend(b"a.go\0\0\0\0");
        ro.b.extend(pctab);
        ro.align(8);
        assert_eq!(ro.b.len(), pcln_off);
        // The function table: 2 entries and the end, then the _funcs.
        let entry = if version == Version::Go116 {
            2 * ptr
        } else {
            8
        };
        let funcs_at = 3 * entry;
        let func_size = match version {
            Version::Go120 => 44 + 3 * 4 + 4 * 4,
            Version::Go118 => 40 + 3 * 4 + 4 * 4,
            Version::Go116 => ptr + 36 + 3 * 4 + 4 + 4 * ptr,
        };
        let func_size = func_size + (8 - func_size % 8) % 8;
        let tree_off = 0x100u64; // from gofunc
        let gofunc = RO + 0x800;
        for i in 0..3u64 {
            let f = funcs_at as u64 + i.min(1) * func_size as u64;
            if version == Version::Go116 {
                ro.word(TEXT + i * 0x10);
                ro.word(f);
            } else {
                ro.u32(i as u32 * 0x10);
                ro.u32(f as u32);
            }
        }
        // main.main and pkg.Big.
        for (i, name) in [0u32, 29].into_iter().enumerate() {
            let with_tree = i == 0;
            let start = ro.b.len();
            if version == Version::Go116 {
                ro.word(TEXT + i as u64 * 0x10);
            } else {
                ro.u32(i as u32 * 0x10);
            }
            ro.u32(name);
            for _ in 0..5 {
                ro.u32(0); // args, deferreturn, pcsp, pcfile, pcln
            }
            ro.u32(if with_tree { 3 } else { 0 }); // npcdata
            ro.u32(0); // cuOffset
            if version == Version::Go120 {
                ro.u32(7); // startLine
            }
            let nfuncdata = if with_tree { 4 } else { 0 };
            ro.b.extend([0, 0, 0, nfuncdata]);
            if with_tree {
                for pc in [0u32, 0, 1] {
                    ro.u32(pc);
                }
                if version == Version::Go116 {
                    if ptr == 8 && (RO as usize + ro.b.len()) & 7 != 0 {
                        ro.u32(0);
                    }
                    for fd in [0, 0, 0, gofunc + tree_off] {
                        ro.word(fd);
                    }
                } else {
                    for fd in [u32::MAX, u32::MAX, u32::MAX, tree_off as u32] {
                        ro.u32(fd);
                    }
                }
            }
            ro.b.resize(start + func_size, 0);
        }
        // The inline tree, in go:func.* data.
        ro.b.resize((gofunc - RO + tree_off) as usize, 0);
        for name in [10u32, 20] {
            if version == Version::Go120 {
                ro.b.extend([0, 0, 0, 0]);
                ro.u32(name);
                ro.u32(4);
                ro.u32(9);
            } else {
                ro.uint(u64::MAX, 2); // parent -1
                ro.b.extend([0, 0]);
                ro.u32(0);
                ro.u32(3);
                ro.u32(name);
                ro.u32(4);
            }
        }
        ro.b.extend([0u8; 64]);
        let mut rw = out(Vec::new());
        // A decoy: the table's address followed by nothing like slices.
        rw.word(RO);
        rw.word(0);
        if moduledata {
            let tab = |o: usize| RO + o as u64;
            let mut md = vec![0u64; MODULEDATA_WORDS + 1];
            md[0] = RO;
            for (i, off, len) in [
                (1, funcname_off, names.len()),
                (4, cu_off, 1),
                (7, filetab_off, 8),
                (10, pctab_off, pctab.len()),
                (13, pcln_off, 0x200),
                (16, pcln_off, 4),
            ] {
                md[i] = tab(off);
                md[i + 1] = len as u64;
                md[i + 2] = len as u64;
            }
            md[22] = TEXT;
            md[23] = TEXT + 0x100;
            match linker {
                Linker::Before126 => {
                    if let Some(&i) = gofunc_indexes(version).first() {
                        md[i] = gofunc;
                    }
                }
                Linker::Go126 => {
                    md[40] = gofunc;
                    md[41] = RO + 0x400;
                }
                Linker::Go127 => {
                    md[37] = RO + 0x100;
                    md[38] = 0x20;
                    md[39] = RO + 0x120;
                    md[40] = 0x10;
                    md[41] = 0x8;
                    md[43] = gofunc;
                    md[44] = RO + 0x400;
                }
            }
            for w in md {
                rw.word(w);
            }
        }
        (ro.b, rw.b)
    }

    fn space<'a>(ro: &'a [u8], rw: &'a [u8], big: bool, ptr: usize) -> AddressSpace<'a> {
        let seg = |vaddr, data, writable| Segment {
            name: String::new(),
            vaddr,
            data,
            writable,
            executable: false,
        };
        AddressSpace {
            format: Format::Elf,
            big_endian: big,
            is_64: ptr == 8,
            segments: vec![seg(RO, ro, false), seg(RW, rw, true)],
            sections: Vec::new(),
            buildinfo_hint: None,
            platform: Default::default(),
        }
    }

    const LAYOUTS: [Version; 3] = [Version::Go116, Version::Go118, Version::Go120];

    #[test]
    fn reads_the_module_data_of_go_1_26_and_1_27_linkers() {
        for linker in [Linker::Go126, Linker::Go127] {
            for ptr in [4, 8] {
                for big in [false, true] {
                    let what = format!("{linker:?} ptr {ptr} big {big}");
                    let (ro, rw) = image_of(Version::Go120, ptr, big, true, linker);
                    let t = SymbolTable::from_space(&space(&ro, &rw, big, ptr)).expect(&what);
                    assert!(t.inline_trees_read(), "{what}");
                    assert_eq!(
                        t.inlined().collect::<Vec<_>>(),
                        ["pkg.Small", "pkg.Tiny"],
                        "{what}"
                    );
                }
            }
        }
        // A gofunc word that points at no tree, or at trees naming no
        // function, is not taken: the trees are then unknown, not empty.
        let (ro, mut rw) = image_of(Version::Go120, 8, false, true, Linker::Go127);
        let md = 16; // after the decoy
        rw[md + 43 * 8..md + 44 * 8].copy_from_slice(&(RO + 0x803).to_le_bytes());
        let t = SymbolTable::from_space(&space(&ro, &rw, false, 8)).expect("reads");
        assert!(!t.inline_trees_read());
        assert_eq!(t.inlined().count(), 0);
        assert_eq!(t.functions().count(), 2);
    }

    #[test]
    fn reads_inline_trees_of_every_layout() {
        for version in LAYOUTS {
            for ptr in [4, 8] {
                for big in [false, true] {
                    let what = format!("{version:?} ptr {ptr} big {big}");
                    let (ro, rw) = image(version, ptr, big, true);
                    let t = SymbolTable::from_space(&space(&ro, &rw, big, ptr)).expect(&what);
                    assert!(t.inline_trees_read(), "{what}");
                    assert_eq!(
                        t.functions().collect::<Vec<_>>(),
                        ["main.main", "pkg.Big"],
                        "{what}"
                    );
                    assert_eq!(
                        t.inlined().collect::<Vec<_>>(),
                        ["pkg.Small", "pkg.Tiny"],
                        "{what}"
                    );
                    assert!(t.is_inlined_only("pkg.Small") && t.contains("pkg.Tiny"));
                    assert!(!t.contains("pkg.Other") && t.len() == 4);
                    // Without module data, Go 1.18+ trees cannot be found
                    // (and 1.16 ones need none).
                    let (ro, rw) = image(version, ptr, big, false);
                    let t = SymbolTable::from_space(&space(&ro, &rw, big, ptr)).expect(&what);
                    assert_eq!(t.inline_trees_read(), version == Version::Go116, "{what}");
                    assert_eq!(t.functions().count(), 2);
                }
            }
        }
    }

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
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    #[test]
    fn damaged_images_never_panic() {
        let mut rng = Rng(0x1_2345);
        let mut read = 0;
        for round in 0..30_000 {
            let version = LAYOUTS[rng.below(3)];
            let ptr = [4, 8][rng.below(2)];
            let big = rng.below(2) == 0;
            let (mut ro, mut rw) = image(version, ptr, big, true);
            for _ in 0..1 + rng.below(6) {
                let v = match rng.below(4) {
                    0 => 0xff,
                    1 => 0,
                    _ => rng.next() as u8,
                };
                if rng.below(4) == 0 {
                    let at = rng.below(rw.len());
                    rw[at] = v;
                } else {
                    let at = rng.below(ro.len());
                    ro[at] = v;
                }
            }
            if round % 5 == 0 {
                ro.truncate(rng.below(ro.len() + 1));
            }
            if let Ok(t) = SymbolTable::from_space(&space(&ro, &rw, big, ptr)) {
                read += 1;
                // Names come from the 37-byte name table.
                assert!(t.len() <= 37, "{}", t.len());
                let _ = t.vuln_symbols();
            }
        }
        assert!(read > 10_000, "{read}");
    }

    #[test]
    fn many_functions_sharing_a_long_pc_table_are_bounded() {
        // 50,000 functions whose inline index tables all start at different
        // points of one long run (and whose trees differ): decoding each to
        // the end would take quadratic time; the budget stops it.
        let n = 50_000usize;
        let big = false;
        let ptr = 8;
        let mut ro = Out {
            b: Vec::new(),
            big,
            ptr,
        };
        let names = b"a.F\0";
        let pctab_len = 200_000;
        let hdr = 8 + 8 * ptr;
        let funcname_off = hdr;
        let pctab_off = funcname_off + names.len();
        let pcln_off = pctab_off + pctab_len;
        ro.u32(0xffff_fff1);
        ro.b.extend([0, 0, 1, 8]);
        for w in [
            n,
            0,
            0,
            funcname_off,
            funcname_off,
            funcname_off,
            pctab_off,
            pcln_off,
        ] {
            ro.word(w as u64);
        }
        ro.b.extend(names);
        // (+1, pc 1) pairs: each table runs to the end.
        for i in 0..pctab_len {
            ro.b.push(if i % 2 == 0 { 2 } else { 1 });
        }
        let funcs = (n + 1) * 8;
        for i in 0..=n {
            ro.u32(i as u32);
            ro.u32((funcs + i.min(n - 1) * 80) as u32);
        }
        for i in 0..n {
            let start = ro.b.len();
            ro.u32(0);
            ro.u32(0);
            for _ in 0..5 {
                ro.u32(0);
            }
            ro.u32(3);
            ro.u32(0);
            ro.u32(0);
            ro.b.extend([0, 0, 0, 4]);
            for pc in [0, 0, 2 + 2 * (i % (pctab_len / 2 - 2))] {
                ro.u32(pc as u32);
            }
            for fd in [0, 0, 0, i as u32 * 16] {
                ro.u32(fd);
            }
            ro.b.resize(start + 80, 0);
        }
        let gofunc = RO + ro.b.len() as u64;
        ro.b.extend(vec![0u8; 64]);
        let mut rw = Out {
            b: Vec::new(),
            big,
            ptr,
        };
        let mut md = vec![0u64; MODULEDATA_WORDS];
        md[0] = RO;
        for (i, off) in [(1, funcname_off), (4, funcname_off), (7, funcname_off)] {
            md[i] = RO + off as u64;
        }
        md[10] = RO + pctab_off as u64;
        md[13] = RO + pcln_off as u64;
        md[40] = gofunc;
        for w in md {
            rw.word(w);
        }
        let start = std::time::Instant::now();
        let t = SymbolTable::from_space(&space(&ro.b, &rw.b, big, ptr)).expect("reads");
        assert!(!t.inline_trees_read());
        assert_eq!(t.functions().collect::<Vec<_>>(), ["a.F"]);
        assert!(start.elapsed().as_secs() < 20);
    }
}
