//! A small, bounded zip reader: enough for the database's `vulndb.zip`.
//!
//! It reads the central directory once (zip64 included), then reads single
//! entries by name, stored or deflated, checking sizes and CRC-32. Every
//! size and offset is checked against the file before use, encrypted
//! entries and other methods are refused, and nothing it reads can make it
//! panic or allocate more than the limits allow.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};

/// Central directories larger than this are refused.
pub const MAX_CENTRAL_DIR: u64 = 64 << 20;
/// Archives with more entries than this are refused.
pub const MAX_ENTRIES: u64 = 1_000_000;

const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD64_SIG: u32 = 0x0606_4b50;
const EOCD64_LOCATOR_SIG: u32 = 0x0706_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const LOCAL_SIG: u32 = 0x0403_4b50;
const EOCD_LEN: u64 = 22;
/// The end record plus the longest comment it can have.
const EOCD_SEARCH: u64 = EOCD_LEN + 0xffff;

/// Why an archive or an entry could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a zip archive or truncated: {0}")]
    Malformed(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("entry {name:?} is {size} bytes, over the {limit}-byte limit")]
    TooLarge { name: String, size: u64, limit: u64 },
    #[error("entry {name:?} is corrupt: {reason}")]
    CorruptEntry { name: String, reason: String },
}

fn malformed(msg: impl Into<String>) -> ZipError {
    ZipError::Malformed(msg.into())
}

#[derive(Debug, Clone, Copy)]
struct EntryInfo {
    method: u16,
    flags: u16,
    crc: u32,
    compressed: u64,
    size: u64,
    local_offset: u64,
}

/// An open archive: its central directory, read once, and the reader.
pub struct ZipArchive<R> {
    reader: R,
    len: u64,
    entries: HashMap<String, EntryInfo>,
}

impl<R> std::fmt::Debug for ZipArchive<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZipArchive")
            .field("len", &self.len)
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn read_exact_at<R: Read + Seek>(r: &mut R, at: u64, len: u64) -> Result<Vec<u8>, ZipError> {
    let len_usize = usize::try_from(len).map_err(|_| malformed("length overflows"))?;
    r.seek(SeekFrom::Start(at))?;
    let mut buf = Vec::new();
    buf.try_reserve_exact(len_usize)
        .map_err(|_| malformed("cannot allocate"))?;
    r.by_ref().take(len).read_to_end(&mut buf)?;
    if buf.len() != len_usize {
        return Err(malformed(format!(
            "wanted {len} bytes at offset {at}, file ends first"
        )));
    }
    Ok(buf)
}

impl<R: Read + Seek> ZipArchive<R> {
    /// Reads the central directory.
    pub fn new(mut reader: R) -> Result<Self, ZipError> {
        let len = reader.seek(SeekFrom::End(0))?;
        if len < EOCD_LEN {
            return Err(malformed(format!("{len} bytes is too short")));
        }
        let tail_len = len.min(EOCD_SEARCH);
        let tail = read_exact_at(&mut reader, len - tail_len, tail_len)?;
        // The last end record whose comment length reaches the end exactly;
        // failing that, the last one at all (some writers pad).
        let mut found = None;
        for i in (0..=tail.len() - EOCD_LEN as usize).rev() {
            if u32_at(&tail, i) == Some(EOCD_SIG) {
                let comment = u16_at(&tail, i + 20).unwrap_or(0) as usize;
                if i + EOCD_LEN as usize + comment == tail.len() {
                    found = Some(i);
                    break;
                }
                found.get_or_insert(i);
            }
        }
        let eocd_pos = found.ok_or_else(|| malformed("no end of central directory record"))?;
        let eocd = &tail[eocd_pos..];
        let eocd_abs = len - tail_len + eocd_pos as u64;
        let field = |v: Option<u32>| v.ok_or_else(|| malformed("short end record"));
        let mut count = u64::from(field(u16_at(eocd, 10).map(u32::from))?);
        let mut cd_size = u64::from(field(u32_at(eocd, 12))?);
        let mut cd_offset = u64::from(field(u32_at(eocd, 16))?);
        if count == 0xffff || cd_size == 0xffff_ffff || cd_offset == 0xffff_ffff {
            if eocd_abs < 20 {
                return Err(malformed("zip64 locator missing"));
            }
            let loc = read_exact_at(&mut reader, eocd_abs - 20, 20)?;
            if u32_at(&loc, 0) != Some(EOCD64_LOCATOR_SIG) {
                return Err(malformed("zip64 locator missing"));
            }
            let rec_off = u64_at(&loc, 8).ok_or_else(|| malformed("short zip64 locator"))?;
            if rec_off.checked_add(56).is_none_or(|end| end > eocd_abs) {
                return Err(malformed("zip64 end record out of bounds"));
            }
            let rec = read_exact_at(&mut reader, rec_off, 56)?;
            if u32_at(&rec, 0) != Some(EOCD64_SIG) {
                return Err(malformed("bad zip64 end record signature"));
            }
            let get = |at| u64_at(&rec, at).ok_or_else(|| malformed("short zip64 end record"));
            count = get(32)?;
            cd_size = get(40)?;
            cd_offset = get(48)?;
        }
        if count > MAX_ENTRIES {
            return Err(ZipError::Unsupported(format!(
                "{count} entries is more than the {MAX_ENTRIES} allowed"
            )));
        }
        if cd_size > MAX_CENTRAL_DIR {
            return Err(ZipError::Unsupported(format!(
                "a {cd_size}-byte central directory is over the {MAX_CENTRAL_DIR}-byte limit"
            )));
        }
        if cd_offset
            .checked_add(cd_size)
            .is_none_or(|end| end > eocd_abs)
        {
            return Err(malformed("central directory out of bounds"));
        }
        let cd = read_exact_at(&mut reader, cd_offset, cd_size)?;
        let mut entries = HashMap::with_capacity(count.min(65_536) as usize);
        let mut at = 0usize;
        for n in 0..count {
            let bad = || malformed(format!("central directory entry {n} is truncated"));
            if u32_at(&cd, at) != Some(CENTRAL_SIG) {
                return Err(malformed(format!(
                    "central directory entry {n}: bad signature"
                )));
            }
            let flags = u16_at(&cd, at + 8).ok_or_else(bad)?;
            let method = u16_at(&cd, at + 10).ok_or_else(bad)?;
            let crc = u32_at(&cd, at + 16).ok_or_else(bad)?;
            let mut compressed = u64::from(u32_at(&cd, at + 20).ok_or_else(bad)?);
            let mut size = u64::from(u32_at(&cd, at + 24).ok_or_else(bad)?);
            let name_len = usize::from(u16_at(&cd, at + 28).ok_or_else(bad)?);
            let extra_len = usize::from(u16_at(&cd, at + 30).ok_or_else(bad)?);
            let comment_len = usize::from(u16_at(&cd, at + 32).ok_or_else(bad)?);
            let mut local_offset = u64::from(u32_at(&cd, at + 42).ok_or_else(bad)?);
            let name_start = at + 46;
            let extra_start = name_start + name_len;
            let next = extra_start + extra_len + comment_len;
            let name = cd.get(name_start..extra_start).ok_or_else(bad)?;
            let extra = cd
                .get(extra_start..extra_start + extra_len)
                .ok_or_else(bad)?;
            if next > cd.len() {
                return Err(bad());
            }
            // Zip64 extended information: the fields that are all ones in
            // the fixed part follow, in order.
            let mut x = 0usize;
            while x + 4 <= extra.len() {
                let id = u16_at(extra, x).unwrap_or(0);
                let sz = usize::from(u16_at(extra, x + 2).unwrap_or(0));
                let body = extra.get(x + 4..x + 4 + sz).ok_or_else(bad)?;
                if id == 0x0001 {
                    let mut p = 0usize;
                    let mut take = |v: &mut u64| -> Result<(), ZipError> {
                        if *v == 0xffff_ffff {
                            *v = u64_at(body, p).ok_or_else(bad)?;
                            p += 8;
                        }
                        Ok(())
                    };
                    take(&mut size)?;
                    take(&mut compressed)?;
                    take(&mut local_offset)?;
                }
                x += 4 + sz;
            }
            let name = String::from_utf8_lossy(name).into_owned();
            entries.insert(
                name,
                EntryInfo {
                    method,
                    flags,
                    crc,
                    compressed,
                    size,
                    local_offset,
                },
            );
            at = next;
        }
        Ok(ZipArchive {
            reader,
            len,
            entries,
        })
    }

    /// The entry names (folders included), in no set order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry's contents, or `Ok(None)` when there is no such entry.
    /// Entries over `limit` bytes (uncompressed) are refused.
    pub fn read(&mut self, name: &str, limit: u64) -> Result<Option<Vec<u8>>, ZipError> {
        let Some(info) = self.entries.get(name).copied() else {
            return Ok(None);
        };
        let corrupt = |reason: String| ZipError::CorruptEntry {
            name: name.to_string(),
            reason,
        };
        if info.flags & 1 != 0 {
            return Err(ZipError::Unsupported(format!(
                "entry {name:?} is encrypted"
            )));
        }
        if info.size > limit {
            return Err(ZipError::TooLarge {
                name: name.to_string(),
                size: info.size,
                limit,
            });
        }
        let header_end = info
            .local_offset
            .checked_add(30)
            .filter(|&e| e <= self.len)
            .ok_or_else(|| corrupt("local header out of bounds".into()))?;
        let header = read_exact_at(&mut self.reader, info.local_offset, 30)?;
        if u32_at(&header, 0) != Some(LOCAL_SIG) {
            return Err(corrupt("bad local header signature".into()));
        }
        let name_len = u64::from(u16_at(&header, 26).unwrap_or(0));
        let extra_len = u64::from(u16_at(&header, 28).unwrap_or(0));
        let data_start = header_end + name_len + extra_len;
        if data_start
            .checked_add(info.compressed)
            .is_none_or(|end| end > self.len)
        {
            return Err(corrupt(format!(
                "{} bytes of data run past the end of the archive",
                info.compressed
            )));
        }
        let data = match info.method {
            0 => {
                if info.compressed != info.size {
                    return Err(corrupt("stored entry with differing sizes".into()));
                }
                read_exact_at(&mut self.reader, data_start, info.size)?
            }
            8 => {
                // Deflate expands at most 1032 to 1: a larger size is not
                // an honest entry, and must not size the buffer below.
                if info.size > info.compressed.saturating_mul(1032).saturating_add(1024) {
                    return Err(corrupt(format!(
                        "{} bytes cannot inflate to the {} the directory says",
                        info.compressed, info.size
                    )));
                }
                // Deflate never grows data by more than a few bytes per
                // 16 KiB block; anything bigger is not an honest entry.
                let max_compressed = info.size + info.size / 1024 + 1024;
                if info.compressed > max_compressed {
                    return Err(corrupt("compressed size implausibly large".into()));
                }
                let raw = read_exact_at(&mut self.reader, data_start, info.compressed)?;
                let mut out = Vec::new();
                out.try_reserve_exact(usize::try_from(info.size).unwrap_or(0))
                    .map_err(|_| corrupt("cannot allocate".into()))?;
                flate2::read::DeflateDecoder::new(raw.as_slice())
                    .take(info.size + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| corrupt(format!("inflate: {e}")))?;
                if out.len() as u64 != info.size {
                    return Err(corrupt(format!(
                        "inflated to {} bytes, the directory says {}",
                        out.len(),
                        info.size
                    )));
                }
                out
            }
            m => {
                return Err(ZipError::Unsupported(format!(
                    "entry {name:?} uses compression method {m}; only stored and deflated entries are supported"
                )))
            }
        };
        let mut crc = flate2::Crc::new();
        crc.update(&data);
        if crc.sum() != info.crc {
            return Err(corrupt("CRC-32 mismatch".into()));
        }
        Ok(Some(data))
    }
}
