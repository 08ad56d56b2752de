//! Tar, both ways: the deterministic ustar writer every layer and archive
//! envelope writes goes through ([`write_header`], [`write_end`]), and the
//! one streaming reader ([`read`]) that image layers and image archives
//! are read with. On top of the reader, [`list_members`] indexes an
//! archive's regular files by name for random access.

pub mod read;
mod write;

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};

pub use read::TarError;
pub use write::{padding, write_end, write_header, EntryType, Header};

use read::{lossy_name, Reader, Seekable};

/// Extended (PAX or GNU long name) headers of an archive larger than this
/// are refused: no image archive needs one.
const MAX_HEADER_BYTES: u64 = 1 << 20;

/// A regular file inside a tar archive: where its bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub offset: u64,
    pub size: u64,
}

/// Lists the regular files of a tar archive (ustar, PAX and GNU long
/// names), by normalized path: `./` prefixes are dropped. Reads only
/// headers, seeking over data; a malformed or truncated archive (one
/// without its end-of-archive marker included) is an error, never a panic.
pub fn list_members<R: Read + Seek>(
    r: &mut R,
    limit_entries: usize,
) -> Result<BTreeMap<String, Member>, TarError> {
    let mut tar = Reader::new(Seekable::new(r), MAX_HEADER_BYTES);
    let mut out = BTreeMap::new();
    let mut count = 0usize;
    while let Some(e) = tar.next_entry()? {
        count += 1;
        if count > limit_entries {
            return Err(TarError::TooManyEntries {
                offset: e.offset,
                limit: limit_entries,
            });
        }
        // A sparse file's stored bytes are not its contents.
        if matches!(e.typeflag, b'0' | 0) && !e.sparse && !e.expanded {
            let name = lossy_name(&e.name).0;
            out.insert(
                name.trim_start_matches("./").to_string(),
                Member {
                    offset: e.data_offset,
                    size: e.size,
                },
            );
        }
    }
    if tar.end() == Some(read::End::Eof) {
        return Err(TarError::Truncated {
            offset: tar.offset(),
            what: "the end-of-archive marker",
            path: None,
        });
    }
    Ok(out)
}

/// Reads one member's bytes, refused above `limit`.
pub fn read_member<R: Read + Seek>(r: &mut R, m: &Member, limit: u64) -> Result<Vec<u8>, TarError> {
    if m.size > limit {
        return Err(TarError::MemberTooLarge {
            offset: m.offset,
            size: m.size,
            limit,
        });
    }
    let io = |error| TarError::Io {
        offset: m.offset,
        error,
    };
    r.seek(SeekFrom::Start(m.offset)).map_err(io)?;
    let mut buf = Vec::new();
    r.by_ref().take(m.size).read_to_end(&mut buf).map_err(io)?;
    if (buf.len() as u64) < m.size {
        return Err(TarError::Truncated {
            offset: m.offset,
            what: "a member's data",
            path: None,
        });
    }
    Ok(buf)
}
