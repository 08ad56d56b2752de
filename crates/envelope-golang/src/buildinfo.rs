//! The Go build info reader: the `\xff Go buildinf:` header the linker
//! writes (in `.go.buildinfo`, or found by scanning the first writable data
//! segment), in both the Go ≥ 1.18 inline-string form and the older
//! pointer form, and the modinfo text inside it (path, mod, dep, `=>`
//! replacements, build settings). `go version -m` reads the same data.

use serde::Serialize;

use crate::addrspace::AddressSpace;
use crate::elf::Elf;
use crate::Error;

const MAGIC: &[u8] = b"\xff Go buildinf:";
/// Bounds for hostile input: no Go version or modinfo comes near these.
const MAX_VERSION: u64 = 1024;
const MAX_MODINFO: u64 = 16 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Module {
    pub path: String,
    pub version: String,
    pub sum: Option<String>,
    pub replace: Option<Box<Module>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildInfo {
    pub go_version: String,
    pub path: String,
    pub main: Option<Module>,
    pub deps: Vec<Module>,
    pub settings: Vec<(String, String)>,
}

impl BuildInfo {
    /// The value of a build setting (the last one, if repeated).
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the binary records build settings at all (Go 1.18+ always
    /// writes some: `-compiler`, `GOOS`, `GOARCH`, ...). Flags that `go
    /// build` records only when set are then known to be off when absent.
    pub fn has_settings(&self) -> bool {
        !self.settings.is_empty()
    }

    /// A boolean flag recorded only when on (`-race=true`,
    /// `-trimpath=true`): `None` without settings, `false` when absent.
    fn flag(&self, key: &str) -> Option<bool> {
        if !self.has_settings() {
            return None;
        }
        match self.setting(key) {
            None => Some(false),
            Some(v) => parse_bool(v),
        }
    }

    /// `CGO_ENABLED` (`1` or `0`, always recorded by Go 1.18+).
    pub fn cgo_enabled(&self) -> Option<bool> {
        self.setting("CGO_ENABLED").and_then(parse_bool)
    }

    /// Built with `-trimpath`. `None` when the binary records no settings.
    pub fn trimpath(&self) -> Option<bool> {
        self.flag("-trimpath")
    }

    /// Built with `-race` (the race detector, which needs cgo and slows
    /// the program down several times). `None` when the binary records no
    /// settings.
    pub fn race(&self) -> Option<bool> {
        self.flag("-race")
    }

    /// Built with compiler optimizations (`-N`) or inlining (`-l`) off, as
    /// debuggers want: a `-gcflags` setting such as `-N -l` or `all=-N -l`.
    /// `None` when the binary records no settings. `go build` records only
    /// the last `-gcflags` flag, so earlier ones are not seen.
    pub fn debug_gcflags(&self) -> Option<bool> {
        if !self.has_settings() {
            return None;
        }
        Some(
            self.setting("-gcflags")
                .is_some_and(gcflags_disable_optimizations),
        )
    }

    /// `vcs.modified`: the working tree had uncommitted changes. `None`
    /// when the build stamped no VCS information (`-buildvcs=false`, no
    /// repository, or a pre-1.18 toolchain).
    pub fn vcs_modified(&self) -> Option<bool> {
        self.setting("vcs.modified").and_then(parse_bool)
    }

    /// The `-ldflags` setting, unquoted (`-s -w -X main.version=1.2`).
    /// `go build` leaves it out of binaries built with `-trimpath`, since
    /// linker flags can hold paths of the build machine.
    pub fn ldflags(&self) -> Option<&str> {
        self.setting("-ldflags")
    }
}

/// Go's strconv.ParseBool.
fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Whether a `-gcflags` value (`[pattern=]flags`) turns on `-N` or `-l`:
/// as whole flags (`-N`, `--l`, `-N=true`, `-l=1`), not `-live` or
/// `-d=checkptr`.
fn gcflags_disable_optimizations(value: &str) -> bool {
    // A leading package pattern ends at the first '=' before any flag.
    let flags = match value.split_once('=') {
        Some((pattern, rest)) if !pattern.starts_with('-') && !pattern.contains(' ') => rest,
        _ => value,
    };
    flags.split_whitespace().any(|token| {
        let token = token.trim_matches(|c| c == '\'' || c == '"');
        let Some(flag) = token.strip_prefix("--").or_else(|| token.strip_prefix('-')) else {
            return false;
        };
        let (name, arg) = match flag.split_once('=') {
            Some((n, a)) => (n, Some(a)),
            None => (flag, None),
        };
        match (name, arg) {
            ("N", None) => true,
            ("N", Some(a)) => parse_bool(a) == Some(true),
            // -l is a count flag: -l=0 leaves inlining on.
            ("l", None) => true,
            ("l", Some(a)) => a.parse::<i64>().is_ok_and(|n| n != 0) || parse_bool(a) == Some(true),
            _ => false,
        }
    })
}

/// The build info of an ELF, Mach-O or PE binary; `Ok(None)` when it has
/// none (not a Go binary, or one without a build info header).
pub fn read(data: &[u8]) -> Result<Option<BuildInfo>, Error> {
    read_space(&AddressSpace::parse(data)?)
}

pub(crate) fn read_elf(elf: &Elf<'_>) -> Result<Option<BuildInfo>, Error> {
    read_space(&AddressSpace::from_elf(elf))
}

/// The build info in an already parsed executable image.
pub fn read_space(space: &AddressSpace<'_>) -> Result<Option<BuildInfo>, Error> {
    let Some(blob) = find_header(space) else {
        return Ok(None);
    };
    let (version, modinfo) = decode_header(space, blob)?;
    if version.is_empty() {
        return Ok(None);
    }
    let mut info = parse_modinfo(&strip_framing(&modinfo))?;
    info.go_version = version;
    Ok(Some(info))
}

/// The build info header: in the format's named section (`.go.buildinfo`,
/// `__go_buildinfo`, PE `.data`), or failing that in the first writable,
/// non-executable segment, at 16-byte alignment as Go's own reader wants.
fn find_header<'a>(space: &AddressSpace<'a>) -> Option<&'a [u8]> {
    if let Some(found) = space.buildinfo_hint.and_then(scan_aligned) {
        return Some(found);
    }
    scan_aligned(space.first_data_segment()?.data)
}

/// The bytes from the first 16-byte-aligned magic in `data` on.
fn scan_aligned(data: &[u8]) -> Option<&[u8]> {
    let mut off = 0usize;
    while off + 32 <= data.len() {
        let rest = data.get(off..)?;
        let i = memchr_magic(rest)?;
        let at = off + i;
        if at.is_multiple_of(16) {
            return data.get(at..);
        }
        off = at + 1;
    }
    None
}

fn memchr_magic(hay: &[u8]) -> Option<usize> {
    hay.windows(MAGIC.len()).position(|w| w == MAGIC)
}

fn decode_header(space: &AddressSpace<'_>, blob: &[u8]) -> Result<(String, Vec<u8>), Error> {
    let trunc = |offset| Error::Truncated {
        what: "build info header",
        offset,
    };
    if blob.len() < 32 {
        return Err(trunc(blob.len() as u64));
    }
    let ptr_size = blob[14];
    let flags = blob[15];
    if flags & 2 != 0 {
        let mut rest = blob.get(32..).ok_or_else(|| trunc(32))?;
        let version = read_varint_string(&mut rest, MAX_VERSION)?;
        let modinfo = read_varint_string(&mut rest, MAX_MODINFO)?;
        return Ok((String::from_utf8_lossy(&version).into_owned(), modinfo));
    }
    if ptr_size != 4 && ptr_size != 8 {
        return Err(Error::Malformed {
            what: "build info header",
            detail: format!("pointer size {ptr_size}"),
        });
    }
    let big = flags & 1 != 0;
    let ps = usize::from(ptr_size);
    let read_ptr = |b: &[u8]| -> Option<u64> {
        let b = b.get(..ps)?;
        let mut v = 0u64;
        for i in 0..ps {
            let byte = u64::from(if big { b[i] } else { b[ps - 1 - i] });
            v = (v << 8) | byte;
        }
        Some(v)
    };
    let go_string = |addr: u64, max: u64| -> Result<Vec<u8>, Error> {
        let hdr = space.at_vaddr(addr).ok_or_else(|| trunc(addr))?;
        let data_ptr = read_ptr(hdr).ok_or_else(|| trunc(addr))?;
        let len = read_ptr(hdr.get(ps..).unwrap_or(&[])).ok_or_else(|| trunc(addr))?;
        if len > max {
            return Err(Error::Malformed {
                what: "build info string",
                detail: format!("length {len}"),
            });
        }
        if len == 0 {
            return Ok(Vec::new());
        }
        let bytes = space.at_vaddr(data_ptr).ok_or_else(|| trunc(data_ptr))?;
        let n = usize::try_from(len).map_err(|_| trunc(data_ptr))?;
        Ok(bytes.get(..n).ok_or_else(|| trunc(data_ptr))?.to_vec())
    };
    let vptr = read_ptr(&blob[16..]).ok_or_else(|| trunc(16))?;
    let mptr = read_ptr(blob.get(16 + ps..).unwrap_or(&[])).ok_or_else(|| trunc(16))?;
    let version = go_string(vptr, MAX_VERSION)?;
    let modinfo = go_string(mptr, MAX_MODINFO).unwrap_or_default();
    Ok((String::from_utf8_lossy(&version).into_owned(), modinfo))
}

/// An unsigned LEB128 varint.
pub fn read_uvarint(b: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for i in 0..10 {
        let (&byte, rest) = b.split_first()?;
        *b = rest;
        if i == 9 && byte > 1 {
            return None;
        }
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn read_varint_string(b: &mut &[u8], max: u64) -> Result<Vec<u8>, Error> {
    let len = read_uvarint(b).ok_or(Error::Malformed {
        what: "build info",
        detail: "bad varint".into(),
    })?;
    if len > max || len > b.len() as u64 {
        return Err(Error::Truncated {
            what: "build info string",
            offset: len,
        });
    }
    let n = len as usize;
    let s = b[..n].to_vec();
    *b = &b[n..];
    Ok(s)
}

/// The linker frames modinfo with 16 bytes on each side.
fn strip_framing(m: &[u8]) -> String {
    // As Go's reader: without the framing, there is no usable modinfo.
    let s = if m.len() >= 33 && m[m.len() - 17] == b'\n' {
        &m[16..m.len() - 16]
    } else {
        &[][..]
    };
    String::from_utf8_lossy(s).into_owned()
}

/// Parses the modinfo text (the part of `go version -m` after the first line).
pub fn parse_modinfo(text: &str) -> Result<BuildInfo, Error> {
    let bad = |line: &str| Error::Malformed {
        what: "modinfo",
        detail: format!("line {:?}", line.chars().take(200).collect::<String>()),
    };
    let mut info = BuildInfo {
        go_version: String::new(),
        path: String::new(),
        main: None,
        deps: Vec::new(),
        settings: Vec::new(),
    };
    let mut last_is_main = false;
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        let (kind, rest) = line.split_once('\t').ok_or_else(|| bad(line))?;
        let module = |rest: &str| -> Option<Module> {
            let mut f = rest.split('\t');
            let path = f.next()?.to_string();
            let version = f.next().unwrap_or("").to_string();
            let sum = f.next().filter(|s| !s.is_empty()).map(str::to_string);
            Some(Module {
                path,
                version,
                sum,
                replace: None,
            })
        };
        match kind {
            "go" => info.go_version = rest.to_string(),
            "path" => info.path = rest.to_string(),
            "mod" => {
                info.main = Some(module(rest).ok_or_else(|| bad(line))?);
                last_is_main = true;
            }
            "dep" => {
                info.deps.push(module(rest).ok_or_else(|| bad(line))?);
                last_is_main = false;
            }
            "=>" => {
                let r = Box::new(module(rest).ok_or_else(|| bad(line))?);
                let target = if last_is_main {
                    info.main.as_mut()
                } else {
                    info.deps.last_mut()
                };
                target.ok_or_else(|| bad(line))?.replace = Some(r);
            }
            "build" => {
                let (k, v) = split_setting(rest).ok_or_else(|| bad(line))?;
                info.settings.push((k, v));
            }
            _ => {}
        }
    }
    Ok(info)
}

/// `key=value`, either side possibly Go-quoted.
fn split_setting(s: &str) -> Option<(String, String)> {
    let (key, rest) = if s.starts_with('"') || s.starts_with('`') {
        let (k, n) = unquote_prefix(s)?;
        (k, s.get(n..)?.strip_prefix('=')?)
    } else {
        let (k, v) = s.split_once('=')?;
        (k.to_string(), v)
    };
    let value = if rest.starts_with('"') || rest.starts_with('`') {
        let (v, n) = unquote_prefix(rest)?;
        if n != rest.len() {
            return None;
        }
        v
    } else {
        rest.to_string()
    };
    Some((key, value))
}

/// Unquotes a Go string literal at the start of `s`; returns it and the
/// number of bytes it took.
pub fn unquote_prefix(s: &str) -> Option<(String, usize)> {
    let mut chars = s.char_indices();
    let (_, q) = chars.next()?;
    if q == '`' {
        let end = s[1..].find('`')? + 1;
        return Some((s[1..end].to_string(), end + 1));
    }
    if q != '"' {
        return None;
    }
    let mut out = String::new();
    let mut bytes: Vec<u8> = Vec::new();
    let flush = |bytes: &mut Vec<u8>, out: &mut String| {
        if !bytes.is_empty() {
            out.push_str(&String::from_utf8_lossy(bytes));
            bytes.clear();
        }
    };
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                flush(&mut bytes, &mut out);
                return Some((out, i + 1));
            }
            '\\' => {
                let (_, e) = chars.next()?;
                let simple = match e {
                    'n' => Some('\n'),
                    't' => Some('\t'),
                    'r' => Some('\r'),
                    'a' => Some('\x07'),
                    'b' => Some('\x08'),
                    'f' => Some('\x0c'),
                    'v' => Some('\x0b'),
                    '\\' => Some('\\'),
                    '"' => Some('"'),
                    '\'' => Some('\''),
                    _ => None,
                };
                if let Some(c) = simple {
                    flush(&mut bytes, &mut out);
                    out.push(c);
                    continue;
                }
                let hex = |chars: &mut std::str::CharIndices<'_>, n: usize| -> Option<u32> {
                    let mut v = 0u32;
                    for _ in 0..n {
                        v = v * 16 + chars.next()?.1.to_digit(16)?;
                    }
                    Some(v)
                };
                match e {
                    'x' => bytes.push(u8::try_from(hex(&mut chars, 2)?).ok()?),
                    'u' | 'U' => {
                        flush(&mut bytes, &mut out);
                        out.push(char::from_u32(hex(
                            &mut chars,
                            if e == 'u' { 4 } else { 8 },
                        )?)?);
                    }
                    '0'..='7' => {
                        let mut v = e.to_digit(8)?;
                        for _ in 0..2 {
                            v = v * 8 + chars.next()?.1.to_digit(8)?;
                        }
                        bytes.push(u8::try_from(v).ok()?);
                    }
                    _ => return None,
                }
            }
            c => {
                flush(&mut bytes, &mut out);
                out.push(c);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addrspace::{AddressSpace, Format, Segment};

    /// A Go string header and its bytes at `addr` in the old pointer format.
    fn old_format_space(big: bool, ps: usize, modinfo: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let base = 0x1000u64;
        let put = |v: u64, out: &mut Vec<u8>| {
            let b = v.to_be_bytes();
            let b = &b[8 - ps..];
            if big {
                out.extend_from_slice(b);
            } else {
                out.extend(b.iter().rev());
            }
        };
        // Layout: header (32) | version hdr | modinfo hdr | version | modinfo.
        let version = b"go1.17.13";
        let mut data = MAGIC.to_vec();
        data.push(u8::try_from(ps).expect("ps"));
        data.push(u8::from(big));
        let vhdr = base + 32;
        let mhdr = vhdr + 2 * ps as u64;
        put(vhdr, &mut data);
        put(mhdr, &mut data);
        data.resize(32, 0);
        let vdata = mhdr + 2 * ps as u64;
        let mdata = vdata + version.len() as u64;
        put(vdata, &mut data);
        put(version.len() as u64, &mut data);
        put(mdata, &mut data);
        put(modinfo.len() as u64, &mut data);
        data.extend_from_slice(version);
        data.extend_from_slice(modinfo);
        // A read-only segment before it, so the data segment is not first.
        (vec![0u8; 64], data)
    }

    fn space<'a>(big: bool, is_64: bool, text: &'a [u8], data: &'a [u8]) -> AddressSpace<'a> {
        AddressSpace {
            format: Format::Elf,
            big_endian: big,
            is_64,
            segments: vec![
                Segment {
                    name: String::new(),
                    vaddr: 0x0,
                    data: text,
                    writable: false,
                    executable: true,
                },
                Segment {
                    name: String::new(),
                    vaddr: 0x1000,
                    data,
                    writable: true,
                    executable: false,
                },
            ],
            sections: Vec::new(),
            buildinfo_hint: None,
            platform: Default::default(),
        }
    }

    #[test]
    fn old_pointer_format_every_width_and_byte_order() {
        let mut framed = vec![0x30u8; 16];
        framed.extend_from_slice(b"path\texample.com/old\nmod\texample.com/old\t(devel)\t\n");
        framed.extend_from_slice(&[0xf9; 16]);
        for (big, ps) in [(false, 8), (true, 8), (false, 4), (true, 4)] {
            let (text, data) = old_format_space(big, ps, &framed);
            let sp = space(big, ps == 8, &text, &data);
            let info = read_space(&sp).expect("reads").expect("info");
            assert_eq!(info.go_version, "go1.17.13");
            assert_eq!(info.path, "example.com/old");
            assert_eq!(
                info.main.as_ref().map(|m| m.version.as_str()),
                Some("(devel)")
            );
            // Without module info: a version and nothing else.
            let (text, data) = old_format_space(big, ps, b"");
            let info = read_space(&space(big, ps == 8, &text, &data))
                .expect("reads")
                .expect("info");
            assert_eq!(
                (info.go_version.as_str(), info.path.as_str()),
                ("go1.17.13", "")
            );
            // Every truncation is an error or None, never a panic.
            let (text, data) = old_format_space(big, ps, &framed);
            for n in 0..data.len() {
                let _ = read_space(&space(big, ps == 8, &text, &data[..n]));
            }
        }
    }

    #[test]
    fn inline_format_and_bogus_lengths() {
        let mut data = MAGIC.to_vec();
        data.extend_from_slice(&[8, 2]);
        data.resize(32, 0);
        data.push(9);
        data.extend_from_slice(b"go1.23.5");
        data.push(b'x');
        let mut framed = vec![0u8; 16];
        framed.extend_from_slice(b"path\tx\n");
        framed.resize(framed.len() + 16, 0);
        // A 1-byte varint: framed is short.
        data.push(u8::try_from(framed.len()).expect("short"));
        data.extend_from_slice(&framed);
        let text = [0u8; 4];
        let info = read_space(&space(false, true, &text, &data))
            .expect("reads")
            .expect("info");
        assert_eq!(
            (info.go_version.as_str(), info.path.as_str()),
            ("go1.23.5x", "x")
        );
        // A length past the end, a huge length, a varint that never ends.
        for tail in [&[0x7f][..], &[0xff, 0xff, 0xff, 0xff, 0x0f], &[0x80; 12]] {
            let mut d = data[..32].to_vec();
            d.extend_from_slice(tail);
            d.resize(d.len().max(32), 0);
            assert!(
                read_space(&space(false, true, &text, &d)).is_err(),
                "{tail:?}"
            );
        }
        // Misaligned magic is not found.
        let mut d = vec![0u8; 8];
        d.extend_from_slice(&data);
        assert_eq!(
            read_space(&space(false, true, &text, &d)).expect("ok"),
            None
        );
    }

    #[test]
    fn varints() {
        for (bytes, want) in [
            (&[0u8][..], Some(0)),
            (&[0x7f], Some(127)),
            (&[0x80, 0x01], Some(128)),
            (&[0xac, 0x02], Some(300)),
            (&[0x80], None),
            (&[0xff; 11][..], None),
        ] {
            let mut b = bytes;
            assert_eq!(read_uvarint(&mut b), want, "{bytes:?}");
        }
    }

    #[test]
    fn go_quoting() {
        assert_eq!(unquote_prefix(r#""a b""#), Some(("a b".into(), 5)));
        assert_eq!(
            unquote_prefix(r#""-X main.v=1 \"q\"\t\x41\u00e9" rest"#).map(|x| x.0),
            Some("-X main.v=1 \"q\"\tAé".into())
        );
        assert_eq!(unquote_prefix("`raw \\n`"), Some(("raw \\n".into(), 8)));
        assert_eq!(unquote_prefix(r#""unterminated"#), None);
        assert_eq!(
            split_setting(r#"-ldflags="-s -w -X main.v=1""#),
            Some(("-ldflags".into(), "-s -w -X main.v=1".into()))
        );
        assert_eq!(
            split_setting(r#""we=ird"=v"#),
            Some(("we=ird".into(), "v".into()))
        );
        assert_eq!(
            split_setting("CGO_ENABLED=0"),
            Some(("CGO_ENABLED".into(), "0".into()))
        );
    }

    fn with_settings(settings: &[(&str, &str)]) -> BuildInfo {
        BuildInfo {
            go_version: "go1.23.5".into(),
            path: "example.com/m".into(),
            main: None,
            deps: Vec::new(),
            settings: settings
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn setting_accessors() {
        let none = with_settings(&[]);
        assert_eq!(
            (
                none.cgo_enabled(),
                none.trimpath(),
                none.race(),
                none.debug_gcflags(),
                none.vcs_modified(),
                none.ldflags()
            ),
            (None, None, None, None, None, None)
        );
        let plain = with_settings(&[("-compiler", "gc"), ("CGO_ENABLED", "0")]);
        assert_eq!(plain.cgo_enabled(), Some(false));
        assert_eq!(plain.trimpath(), Some(false));
        assert_eq!(plain.race(), Some(false));
        assert_eq!(plain.debug_gcflags(), Some(false));
        assert_eq!(plain.vcs_modified(), None);
        let all = with_settings(&[
            ("-gcflags", "all=-N -l"),
            ("-ldflags", "-s -w -X main.v=1"),
            ("-race", "true"),
            ("-trimpath", "true"),
            ("CGO_ENABLED", "1"),
            ("vcs.modified", "true"),
        ]);
        assert_eq!(all.cgo_enabled(), Some(true));
        assert_eq!(all.trimpath(), Some(true));
        assert_eq!(all.race(), Some(true));
        assert_eq!(all.debug_gcflags(), Some(true));
        assert_eq!(all.vcs_modified(), Some(true));
        assert_eq!(all.ldflags(), Some("-s -w -X main.v=1"));
        assert_eq!(
            with_settings(&[("vcs.modified", "false")]).vcs_modified(),
            Some(false)
        );
    }

    #[test]
    fn gcflags_that_disable_optimizations() {
        for (v, want) in [
            ("all=-N -l", true),
            ("-N -l", true),
            ("-N", true),
            ("-l", true),
            ("--N", true),
            ("example.com/m/...=-l", true),
            ("all='-N -l'", true),
            ("-N=true", true),
            ("-N=false", false),
            ("-l=0", false),
            ("-l=4", true),
            ("-m", false),
            ("all=-m -live", false),
            ("-d=checkptr", false),
            ("all=-B", false),
            ("", false),
            ("-lang=go1.21", false),
            ("-Nope", false),
        ] {
            assert_eq!(gcflags_disable_optimizations(v), want, "{v:?}");
        }
    }

    #[test]
    fn modinfo_with_replacements() {
        let text = "path\texample.com/app/cmd/x\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/text\tv0.14.0\th1:abc=\n=>\t../text\t(devel)\t\ndep\tgithub.com/a/b\tv1.0.0\th1:def=\nbuild\t-trimpath=true\nbuild\tCGO_ENABLED=0\n";
        let info = parse_modinfo(text).expect("parses");
        assert_eq!(info.path, "example.com/app/cmd/x");
        assert_eq!(
            info.main.as_ref().map(|m| m.version.as_str()),
            Some("(devel)")
        );
        assert_eq!(info.deps.len(), 2);
        assert_eq!(info.deps[0].sum.as_deref(), Some("h1:abc="));
        assert_eq!(
            info.deps[0].replace.as_ref().map(|r| r.path.as_str()),
            Some("../text")
        );
        assert!(info.deps[1].replace.is_none());
        assert_eq!(info.setting("-trimpath"), Some("true"));
        assert!(
            parse_modinfo("=>\tx\tv1\n").is_err(),
            "a replacement needs a module before it"
        );
    }
}
