//! Tar headers, read block by block: numeric fields (octal and GNU
//! base-256), the header checksum (unsigned and signed), names with the
//! ustar prefix, PAX records, and which entry types carry data. Nothing
//! here knows about layers or the index: a bad header is a [`TarError`].

// Tar headers.

/// Why a tar header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum TarError {
    /// The checksum field matches neither the unsigned nor the signed sum.
    #[error("bad header checksum (recorded {recorded}, computed {computed})")]
    Checksum { recorded: String, computed: u64 },
    #[error("a PAX record does not start with its length")]
    PaxNoLength,
    #[error("a PAX record length is not a number")]
    PaxLength,
    #[error("a PAX record claims {len} bytes, which do not fit")]
    PaxOverrun { len: usize },
    #[error("a PAX record has no '='")]
    PaxNoEquals,
    #[error("the PAX size is not a number")]
    PaxSize,
}

pub(super) const BLOCK: u64 = 512;

pub(super) fn padding(size: u64) -> u64 {
    (BLOCK - size % BLOCK) % BLOCK
}

/// A numeric field: octal (NUL/space padded) or GNU base-256.
pub(super) fn parse_numeric(field: &[u8]) -> Option<u64> {
    let first = *field.first()?;
    if first & 0x80 != 0 {
        if first & 0x40 != 0 {
            return None; // negative
        }
        let mut v = u64::from(first & 0x3f);
        for &b in &field[1..] {
            if v >> 56 != 0 {
                return None;
            }
            v = (v << 8) | u64::from(b);
        }
        return Some(v);
    }
    let s = field
        .iter()
        .position(|&b| b != 0 && b != b' ')
        .map_or(&field[..0], |start| {
            let end = field
                .iter()
                .rposition(|&b| b != 0 && b != b' ')
                .map_or(start, |e| e + 1);
            &field[start..end]
        });
    if s.is_empty() {
        return Some(0);
    }
    let mut v: u64 = 0;
    for &b in s {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

pub(super) fn cstr(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    &field[..end]
}

/// Checks the header checksum (the unsigned sum POSIX specifies, or the
/// signed one some old writers used).
pub(super) fn check_checksum(b: &[u8; 512]) -> Result<(), TarError> {
    let mut unsigned: i64 = 0;
    let mut signed: i64 = 0;
    for (i, &x) in b.iter().enumerate() {
        if (148..156).contains(&i) {
            unsigned += 32;
            signed += 32;
        } else {
            unsigned += i64::from(x);
            signed += i64::from(x as i8);
        }
    }
    let computed = u64::try_from(unsigned).unwrap_or(0);
    match parse_numeric(&b[148..156]) {
        Some(r) if i64::try_from(r).is_ok_and(|r| r == unsigned || r == signed) => Ok(()),
        Some(r) => Err(TarError::Checksum {
            recorded: r.to_string(),
            computed,
        }),
        None => Err(TarError::Checksum {
            recorded: format!("unreadable {:?}", String::from_utf8_lossy(&b[148..156])),
            computed,
        }),
    }
}

pub(super) fn header_name(b: &[u8; 512]) -> Vec<u8> {
    let name = cstr(&b[0..100]);
    // The prefix field exists in POSIX ustar only; GNU's "ustar  " format
    // keeps other things there.
    if &b[257..263] == b"ustar\0" {
        let prefix = cstr(&b[345..500]);
        if !prefix.is_empty() {
            let mut v = prefix.to_vec();
            v.push(b'/');
            v.extend_from_slice(name);
            return v;
        }
    }
    name.to_vec()
}

/// Entry types with no data in the stream whatever their size field says
/// (as Go's archive/tar, and so dive, read them).
pub(super) fn header_only(typeflag: u8) -> bool {
    matches!(typeflag, b'1'..=b'6')
}

/// Overrides from PAX headers.
#[derive(Debug, Clone, Default)]
pub(super) struct Pax {
    pub(super) path: Option<Vec<u8>>,
    pub(super) linkpath: Option<Vec<u8>>,
    pub(super) size: Option<u64>,
    pub(super) uid: Option<u64>,
    pub(super) gid: Option<u64>,
    pub(super) sparse: bool,
}

fn decimal(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 20 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// Parses PAX records (`LEN key=value\n`) into `into`; an empty value
/// removes the key.
pub(super) fn parse_pax(mut data: &[u8], into: &mut Pax) -> Result<(), TarError> {
    while !data.is_empty() {
        if data.iter().all(|&b| b == 0) {
            break; // NUL padding some writers leave
        }
        let sp = data
            .iter()
            .take(21)
            .position(|&b| b == b' ')
            .ok_or(TarError::PaxNoLength)?;
        let len = decimal(&data[..sp])
            .and_then(|l| usize::try_from(l).ok())
            .ok_or(TarError::PaxLength)?;
        if len <= sp + 1 || len > data.len() || data[len - 1] != b'\n' {
            return Err(TarError::PaxOverrun { len });
        }
        let rec = &data[sp + 1..len - 1];
        data = &data[len..];
        let eq = rec
            .iter()
            .position(|&b| b == b'=')
            .ok_or(TarError::PaxNoEquals)?;
        let (key, value) = (&rec[..eq], &rec[eq + 1..]);
        let bytes = (!value.is_empty()).then(|| value.to_vec());
        match key {
            b"path" => into.path = bytes,
            b"linkpath" => into.linkpath = bytes,
            b"size" => {
                into.size = match bytes {
                    None => None,
                    Some(v) => Some(decimal(&v).ok_or(TarError::PaxSize)?),
                }
            }
            b"uid" => into.uid = bytes.and_then(|v| decimal(&v)),
            b"gid" => into.gid = bytes.and_then(|v| decimal(&v)),
            k if k.starts_with(b"GNU.sparse.") => into.sparse = true,
            _ => {}
        }
    }
    Ok(())
}

/// A name as a string; `true` when it had to be converted lossily (not
/// UTF-8, or a NUL inside).
pub(super) fn lossy_string(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.contains('\0') => (s.to_string(), false),
        _ => (
            String::from_utf8_lossy(bytes).replace('\0', "\u{fffd}"),
            true,
        ),
    }
}
