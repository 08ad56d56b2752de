//! The one streaming tar reader, for image layers and image archives alike.
//!
//! Headers are read block by block from any [`Read`], and file data is
//! passed over by seeking when the source can ([`Skip`]). It reads ustar
//! and old V7 headers, numeric fields in octal or GNU base-256, the header
//! checksum (the unsigned sum POSIX specifies or the signed one some old
//! writers used), names with the ustar prefix, PAX local and global
//! records (`path`, `linkpath`, `size`, `uid`, `gid`), GNU long names and
//! links, PAX sparse files (GNU sparse 0.0, 0.1 and 1.0, whose data it
//! expands), and skips old GNU sparse maps. It knows nothing of layers or
//! archives: it gives [`Entry`]s with their overrides applied, and a
//! malformed or truncated stream is a [`TarError`] naming the byte offset,
//! never a panic. Extended headers are bounded by the caller's limit.

use std::io::{self, Read, Seek};

use super::write::padding;

const BLOCK: u64 = 512;

/// Chunks of data a sparse file's map may list.
pub const MAX_SPARSE_CHUNKS: usize = 1 << 16;

/// Why a tar stream could not be read. Offsets are bytes from the start
/// of the stream the [`Reader`] was given.
#[derive(Debug, thiserror::Error)]
pub enum TarError {
    /// The source failed (`offset`: bytes read before it did).
    #[error("reading the tar stream failed at byte {offset}: {error}")]
    Io { offset: u64, error: io::Error },
    /// The stream ends inside `what`.
    #[error("truncated tar: {what} at byte {offset} ends early{}", of_path(.path))]
    Truncated {
        offset: u64,
        what: &'static str,
        path: Option<String>,
    },
    /// The checksum field matches neither the unsigned nor the signed sum.
    #[error("bad tar header checksum at byte {offset} (recorded {recorded}, computed {computed})")]
    Checksum {
        offset: u64,
        recorded: String,
        computed: u64,
    },
    #[error("invalid tar header at byte {offset}{}: {problem}", of_path(.path))]
    Malformed {
        offset: u64,
        path: Option<String>,
        problem: Malformed,
    },
    #[error("{kind} header of {size} bytes at byte {offset} exceeds the limit of {limit} bytes")]
    HeaderTooLarge {
        offset: u64,
        kind: &'static str,
        size: u64,
        limit: u64,
    },
    #[error("more than {limit} entries (at byte {offset})")]
    TooManyEntries { offset: u64, limit: usize },
    #[error("the member at byte {offset} is {size} bytes, more than the {limit} read whole")]
    MemberTooLarge { offset: u64, size: u64, limit: u64 },
}

fn of_path(path: &Option<String>) -> String {
    match path {
        Some(p) => format!(" (entry {p:?})"),
        None => String::new(),
    }
}

/// What is wrong with a header or its extended records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("the size field is not a number")]
    SizeField,
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
    #[error("a GNU sparse record or map holds something other than a number")]
    SparseNumber,
    #[error("the GNU sparse map lists more than {limit} chunks")]
    SparseTooManyChunks { limit: usize },
    #[error("the GNU sparse map has an offset without a size")]
    SparseOddMap,
    #[error("the GNU sparse chunks overlap or are out of order")]
    SparseOrder,
    #[error("a GNU sparse chunk ends beyond the file's real size of {size} bytes")]
    SparseBeyondSize { size: u64 },
    #[error("the GNU sparse file has no real size")]
    SparseNoSize,
    #[error("the GNU sparse chunks hold {mapped} bytes but the entry stores {stored}")]
    SparseDataSize { mapped: u64, stored: u64 },
}

/// A byte source that may pass over bytes without reading them.
pub trait Skip: Read {
    /// Moves `n` bytes ahead without reading them, when the source can;
    /// `None` when it cannot (the bytes are then read and dropped).
    fn skip_ahead(&mut self, _n: u64) -> Option<io::Result<()>> {
        None
    }
}

impl<S: Skip + ?Sized> Skip for &mut S {
    fn skip_ahead(&mut self, n: u64) -> Option<io::Result<()>> {
        (**self).skip_ahead(n)
    }
}

impl<S: Skip + ?Sized> Skip for Box<S> {
    fn skip_ahead(&mut self, n: u64) -> Option<io::Result<()>> {
        (**self).skip_ahead(n)
    }
}

/// Bytes in memory are read through.
impl Skip for &[u8] {}

/// A source that passes over bytes by seeking forward, and never past its
/// end (which would hide a truncated stream).
pub struct Seekable<R> {
    inner: R,
    /// The stream's length, learned on the first skip.
    end: Option<u64>,
}

impl<R> Seekable<R> {
    pub fn new(inner: R) -> Seekable<R> {
        Seekable { inner, end: None }
    }
}

impl<R: Read> Read for Seekable<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: Read + Seek> Skip for Seekable<R> {
    fn skip_ahead(&mut self, n: u64) -> Option<io::Result<()>> {
        let d = i64::try_from(n).ok()?;
        let r = (|| {
            let here = self.inner.stream_position()?;
            let end = match self.end {
                Some(e) => e,
                None => {
                    let e = self.inner.seek(io::SeekFrom::End(0))?;
                    self.inner.seek(io::SeekFrom::Start(here))?;
                    self.end = Some(e);
                    e
                }
            };
            if here.checked_add(n).is_none_or(|t| t > end) {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the tar is truncated: it ends {} bytes into the {n} of a file's data and padding",
                        end.saturating_sub(here)
                    ),
                ));
            }
            self.inner.seek(io::SeekFrom::Current(d)).map(|_| ())
        })();
        Some(r)
    }
}

/// One tar entry, with its PAX and GNU overrides applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The GNU long name, else the PAX `path` (local, then global), else
    /// the ustar prefix and name, as recorded.
    pub name: Vec<u8>,
    /// The link target, overridden the same way.
    pub link: Vec<u8>,
    /// The entry type; an old V7 file entry whose name ends with '/' is a
    /// directory (`b'5'`), as Go's archive/tar reads it.
    pub typeflag: u8,
    /// The size field, or the PAX `size` (what dive counts).
    pub size: u64,
    /// Bytes of data that follow in the stream: none for links, devices,
    /// directories and fifos whatever their size field says (as Go's
    /// archive/tar, and so dive, read them).
    pub data_len: u64,
    /// The numeric fields; `None` when unreadable.
    pub mode: Option<u64>,
    pub uid: Option<u64>,
    pub gid: Option<u64>,
    /// A GNU sparse file this reader does not expand (the old format, or
    /// PAX `GNU.sparse.*` records of an unknown version): its data in the
    /// stream is not the file's bytes.
    pub sparse: bool,
    /// A PAX sparse file (GNU sparse 0.0, 0.1 or 1.0) that [`Reader::data`]
    /// expands: `name` and `size` are the real file's, and its data reads
    /// as the whole file with zeros in the holes; `data_offset` and
    /// `data_len` are of the stored bytes (a 1.0 map, then the chunks).
    pub expanded: bool,
    /// Where the entry's own header starts (after its extended headers).
    pub offset: u64,
    /// Where its data starts.
    pub data_offset: u64,
}

/// How the stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// At the end-of-archive marker (a zero block).
    Marker,
    /// At the end of the source, on a block boundary, with no marker.
    Eof,
}

/// Reads a tar stream entry by entry: [`Reader::next_entry`] gives each entry,
/// [`Reader::data`] its bytes; what of them is not read is passed over by
/// the next call to [`Reader::next_entry`] (or [`Reader::skip_data`]).
pub struct Reader<S> {
    src: S,
    pos: u64,
    max_header: u64,
    global: Pax,
    data_left: u64,
    pad_left: u64,
    /// The current entry's name, for errors about its data.
    name: Vec<u8>,
    /// The current entry's sparse map, when its data is expanded.
    expand: Option<Expand>,
    end: Option<End>,
    scratch: Vec<u8>,
}

/// Where a sparse file's data chunks lie, and how far it has been read.
struct Expand {
    /// (offset, size) in the real file, in order, not overlapping.
    chunks: Vec<(u64, u64)>,
    next: usize,
    pos: u64,
    size: u64,
}

impl<S: Skip> Reader<S> {
    /// A reader of `src`, refusing PAX, GNU long-name and sparse-map
    /// headers larger than `max_header_bytes`.
    pub fn new(src: S, max_header_bytes: u64) -> Reader<S> {
        Reader {
            src,
            pos: 0,
            max_header: max_header_bytes,
            global: Pax::default(),
            data_left: 0,
            pad_left: 0,
            name: Vec::new(),
            expand: None,
            end: None,
            scratch: Vec::new(),
        }
    }

    /// Bytes of the stream consumed so far.
    pub fn offset(&self) -> u64 {
        self.pos
    }

    /// How the stream ended, once [`Reader::next_entry`] gave `None`.
    pub fn end(&self) -> Option<End> {
        self.end
    }

    /// The current entry's data not yet read, as a reader.
    pub fn data(&mut self) -> Data<'_, S> {
        Data { tar: self }
    }

    /// Passes over what is left of the current entry's data and padding.
    pub fn skip_data(&mut self) -> Result<(), TarError> {
        let rest = self.data_left.saturating_add(self.pad_left);
        self.data_left = 0;
        self.pad_left = 0;
        self.expand = None;
        if rest == 0 {
            return Ok(());
        }
        let skipped = match self.src.skip_ahead(rest) {
            Some(r) => {
                r.map_err(|error| TarError::Io {
                    offset: self.pos,
                    error,
                })?;
                self.pos += rest;
                rest
            }
            None => self.discard(rest)?,
        };
        if skipped < rest {
            return Err(TarError::Truncated {
                offset: self.pos,
                what: "file data",
                path: Some(lossy_name(&self.name).0),
            });
        }
        Ok(())
    }

    /// The next entry, after passing over the rest of the current one;
    /// `None` at the end of the archive (see [`Reader::end`]).
    pub fn next_entry(&mut self) -> Result<Option<Entry>, TarError> {
        self.skip_data()?;
        if self.end.is_some() {
            return Ok(None);
        }
        let mut local = Pax::default();
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        let mut block = [0u8; 512];
        loop {
            let at = self.pos;
            let n = self.read_into(&mut block)?;
            if n == 0 {
                self.end = Some(End::Eof);
                return Ok(None);
            }
            if n < block.len() {
                return Err(TarError::Truncated {
                    offset: at,
                    what: "a header",
                    path: None,
                });
            }
            if block.iter().all(|&b| b == 0) {
                self.end = Some(End::Marker);
                return Ok(None);
            }
            check_checksum(&block, at)?;
            let raw_name = header_name(&block);
            let hdr_size = parse_numeric(&block[124..136]).ok_or_else(|| TarError::Malformed {
                offset: at,
                path: Some(lossy_name(&raw_name).0),
                problem: Malformed::SizeField,
            })?;
            let typeflag = block[156];
            if let Some(kind) = extended_kind(typeflag) {
                if hdr_size > self.max_header {
                    return Err(TarError::HeaderTooLarge {
                        offset: at,
                        kind,
                        size: hdr_size,
                        limit: self.max_header,
                    });
                }
                let mut data = Vec::new();
                let got = self.read_up_to(hdr_size, &mut data)?;
                let pad = padding(hdr_size) as u64;
                let padded = self.discard(pad)?;
                if got < hdr_size || padded < pad {
                    return Err(TarError::Truncated {
                        offset: at,
                        what: "an extended header",
                        path: None,
                    });
                }
                let malformed = |problem| TarError::Malformed {
                    offset: at,
                    path: None,
                    problem,
                };
                match typeflag {
                    b'x' => parse_pax(&data, &mut local).map_err(malformed)?,
                    b'g' => parse_pax(&data, &mut self.global).map_err(malformed)?,
                    b'L' => long_name = Some(cstr(&data).to_vec()),
                    _ => long_link = Some(cstr(&data).to_vec()),
                }
                continue;
            }

            // GNU long names win over PAX, as in Go's archive/tar; the
            // real name of a PAX sparse file wins over both.
            let name = local
                .sparse_name
                .take()
                .or_else(|| long_name.take())
                .or_else(|| local.path.take())
                .or_else(|| self.global.path.clone())
                .unwrap_or(raw_name);
            let link = long_link
                .take()
                .or_else(|| local.linkpath.take())
                .or_else(|| self.global.linkpath.clone())
                .unwrap_or_else(|| cstr(&block[157..257]).to_vec());
            let size = local.size.or(self.global.size).unwrap_or(hdr_size);
            let uid = local
                .uid
                .or(self.global.uid)
                .or_else(|| parse_numeric(&block[108..116]));
            let gid = local
                .gid
                .or(self.global.gid)
                .or_else(|| parse_numeric(&block[116..124]));
            let mut sparse = local.sparse || self.global.sparse || typeflag == b'S';
            if typeflag == b'S' && block[482] != 0 {
                self.skip_sparse_map(at, &name)?;
            }
            let dir_by_name = typeflag == 0 && name.last() == Some(&b'/');
            let data_len = if header_only(typeflag) || dir_by_name {
                0
            } else {
                size
            };
            self.data_left = data_len;
            self.pad_left = padding(data_len) as u64;
            self.name.clone_from(&name);
            let data_offset = self.pos;
            let regular = matches!(typeflag, b'0' | 0 | b'7') && !dir_by_name;
            let expanded = regular && local.sparse && self.start_expand(at, &name, &mut local)?;
            let size = match &self.expand {
                Some(x) if expanded => x.size,
                _ => size,
            };
            sparse &= !expanded;
            return Ok(Some(Entry {
                name,
                link,
                typeflag: if dir_by_name { b'5' } else { typeflag },
                size,
                data_len,
                mode: parse_numeric(&block[100..108]),
                uid,
                gid,
                sparse,
                expanded,
                offset: at,
                data_offset,
            }));
        }
    }

    /// Reads the sparse map of a PAX sparse file of a known version (from
    /// its records, or for 1.0 from the start of its data) and sets up its
    /// expansion; `false` for a version it does not know.
    fn start_expand(&mut self, at: u64, name: &[u8], pax: &mut Pax) -> Result<bool, TarError> {
        let malformed = |problem| TarError::Malformed {
            offset: at,
            path: Some(lossy_name(name).0),
            problem,
        };
        let numbers = match (pax.sparse_major, pax.sparse_minor) {
            (Some(1), Some(0)) => self.read_sparse_map(at, name)?,
            (Some(1), _) | (Some(2..), _) => return Ok(false),
            _ => match pax.sparse_map.take() {
                Some(m) => m,
                None if !pax.sparse_pairs.is_empty() => std::mem::take(&mut pax.sparse_pairs),
                None => return Ok(false),
            },
        };
        let size = pax
            .sparse_size
            .ok_or_else(|| malformed(Malformed::SparseNoSize))?;
        let chunks = sparse_chunks(&numbers, size, self.data_left).map_err(malformed)?;
        self.expand = Some(Expand {
            chunks,
            next: 0,
            pos: 0,
            size,
        });
        Ok(true)
    }

    /// GNU sparse 1.0: the map opens the entry's data, as decimal lines
    /// (the number of chunks, then each one's offset and size) padded to
    /// a block; gives the offsets and sizes.
    fn read_sparse_map(&mut self, at: u64, name: &[u8]) -> Result<Vec<u64>, TarError> {
        let malformed = |problem| TarError::Malformed {
            offset: at,
            path: Some(lossy_name(name).0),
            problem,
        };
        let mut buf: Vec<u8> = Vec::new();
        let mut parsed = 0usize;
        let mut count: Option<usize> = None;
        let mut numbers = Vec::new();
        let mut block = [0u8; 512];
        loop {
            while let Some(nl) = buf[parsed..].iter().position(|&b| b == b'\n') {
                let n = decimal(&buf[parsed..parsed + nl])
                    .ok_or_else(|| malformed(Malformed::SparseNumber))?;
                parsed += nl + 1;
                match count {
                    None => {
                        let c = usize::try_from(n)
                            .ok()
                            .filter(|&c| c <= MAX_SPARSE_CHUNKS)
                            .ok_or_else(|| {
                                malformed(Malformed::SparseTooManyChunks {
                                    limit: MAX_SPARSE_CHUNKS,
                                })
                            })?;
                        count = Some(c);
                    }
                    Some(_) => numbers.push(n),
                }
                if count.is_some_and(|c| numbers.len() == 2 * c) {
                    return Ok(numbers);
                }
            }
            let total = buf.len() as u64 + BLOCK;
            let room = self.data_left >= BLOCK;
            self.sparse_map_block(at, name, total, room, &mut block)?;
            self.data_left -= BLOCK;
            buf.extend_from_slice(&block);
        }
    }

    /// Old GNU sparse: extension blocks of the sparse map follow the
    /// header until one says no more follow.
    fn skip_sparse_map(&mut self, at: u64, name: &[u8]) -> Result<(), TarError> {
        let mut ext = [0u8; 512];
        let mut total = 0u64;
        loop {
            total += BLOCK;
            self.sparse_map_block(at, name, total, true, &mut ext)?;
            if ext[504] == 0 {
                return Ok(());
            }
        }
    }

    /// Reads the next block of a sparse map, `total` bytes long with it:
    /// refused over the header limit, truncated when the stream (or with
    /// no `room`, the entry) ends first.
    fn sparse_map_block(
        &mut self,
        at: u64,
        name: &[u8],
        total: u64,
        room: bool,
        block: &mut [u8; 512],
    ) -> Result<(), TarError> {
        if total > self.max_header {
            return Err(TarError::HeaderTooLarge {
                offset: at,
                kind: "GNU sparse map",
                size: total,
                limit: self.max_header,
            });
        }
        if !room || self.read_into(block)? < block.len() {
            return Err(TarError::Truncated {
                offset: self.pos,
                what: "a GNU sparse map",
                path: Some(lossy_name(name).0),
            });
        }
        Ok(())
    }

    /// Reads until `buf` is full or the end; gives the bytes read.
    fn read_into(&mut self, buf: &mut [u8]) -> Result<usize, TarError> {
        let mut n = 0;
        while n < buf.len() {
            match self.src.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => {
                    let k = k.min(buf.len() - n);
                    n += k;
                    self.pos += k as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    return Err(TarError::Io {
                        offset: self.pos,
                        error,
                    })
                }
            }
        }
        Ok(n)
    }

    /// Appends up to `n` bytes to `out` (growing it as they come, so a
    /// header that lies about its size costs nothing); gives how many.
    fn read_up_to(&mut self, n: u64, out: &mut Vec<u8>) -> Result<u64, TarError> {
        let mut chunk = [0u8; 8192];
        let mut left = n;
        while left > 0 {
            let want = usize::try_from(left).map_or(chunk.len(), |l| l.min(chunk.len()));
            let k = self.read_into(&mut chunk[..want])?;
            out.extend_from_slice(&chunk[..k]);
            left -= k as u64;
            if k < want {
                break;
            }
        }
        Ok(n - left)
    }

    /// Reads and drops up to `n` bytes; gives how many there were.
    fn discard(&mut self, n: u64) -> Result<u64, TarError> {
        if self.scratch.is_empty() {
            self.scratch = vec![0u8; 64 << 10];
        }
        let mut left = n;
        while left > 0 {
            let want =
                usize::try_from(left).map_or(self.scratch.len(), |l| l.min(self.scratch.len()));
            match self.src.read(&mut self.scratch[..want]) {
                Ok(0) => break,
                Ok(k) => {
                    let k = (k as u64).min(left);
                    left -= k;
                    self.pos += k;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    return Err(TarError::Io {
                        offset: self.pos,
                        error,
                    })
                }
            }
        }
        Ok(n - left)
    }
}

/// The current entry's data: reads give at most what is left of it, and
/// `Ok(0)` early when the stream ends inside it (see [`Data::remaining`]).
pub struct Data<'a, S> {
    tar: &'a mut Reader<S>,
}

impl<S> Data<'_, S> {
    /// Bytes of the entry's data not read yet (of the expanded file, for
    /// a sparse one).
    pub fn remaining(&self) -> u64 {
        match &self.tar.expand {
            Some(x) => x.size - x.pos,
            None => self.tar.data_left,
        }
    }
}

impl<S: Read> Read for Data<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let tar = &mut *self.tar;
        if let Some(x) = &mut tar.expand {
            return expand_read(x, &mut tar.src, &mut tar.data_left, &mut tar.pos, buf);
        }
        if tar.data_left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = usize::try_from(tar.data_left).map_or(buf.len(), |l| l.min(buf.len()));
        let k = tar.src.read(&mut buf[..want])?.min(want);
        tar.data_left -= k as u64;
        tar.pos += k as u64;
        Ok(k)
    }
}

/// Reads a sparse file's expanded bytes: zeros in the holes, the stored
/// chunks from `src` (`Ok(0)` early when the stream ends inside one).
fn expand_read<S: Read>(
    x: &mut Expand,
    src: &mut S,
    data_left: &mut u64,
    pos: &mut u64,
    buf: &mut [u8],
) -> io::Result<usize> {
    while let Some(&(off, len)) = x.chunks.get(x.next) {
        if x.pos < off.saturating_add(len) {
            break;
        }
        x.next += 1;
    }
    if x.pos >= x.size || buf.is_empty() {
        return Ok(0);
    }
    let (upto, stored) = match x.chunks.get(x.next) {
        Some(&(off, _)) if x.pos < off => (off, false),
        Some(&(off, len)) => (off + len, true),
        None => (x.size, false),
    };
    let want = usize::try_from(upto - x.pos).map_or(buf.len(), |l| l.min(buf.len()));
    let k = if stored {
        let want = usize::try_from(*data_left).map_or(want, |l| l.min(want));
        if want == 0 {
            return Ok(0);
        }
        let k = src.read(&mut buf[..want])?.min(want);
        *data_left -= k as u64;
        *pos += k as u64;
        k
    } else {
        buf[..want].fill(0);
        want
    };
    x.pos += k as u64;
    Ok(k)
}

/// A sparse map's chunks from its numbers (offset, size, ...), checked:
/// bounded in number, in order, within the real `size`, and holding
/// exactly the `stored` bytes.
fn sparse_chunks(numbers: &[u64], size: u64, stored: u64) -> Result<Vec<(u64, u64)>, Malformed> {
    if !numbers.len().is_multiple_of(2) {
        return Err(Malformed::SparseOddMap);
    }
    if numbers.len() / 2 > MAX_SPARSE_CHUNKS {
        return Err(Malformed::SparseTooManyChunks {
            limit: MAX_SPARSE_CHUNKS,
        });
    }
    let mut chunks = Vec::with_capacity(numbers.len() / 2);
    let mut end = 0u64;
    let mut mapped = 0u64;
    for pair in numbers.chunks_exact(2) {
        let (off, len) = (pair[0], pair[1]);
        if off < end {
            return Err(Malformed::SparseOrder);
        }
        end = off
            .checked_add(len)
            .filter(|&e| e <= size)
            .ok_or(Malformed::SparseBeyondSize { size })?;
        mapped += len;
        chunks.push((off, len));
    }
    if mapped != stored {
        return Err(Malformed::SparseDataSize { mapped, stored });
    }
    Ok(chunks)
}

/// A name or link target as a string; `true` when it had to be converted
/// lossily (not UTF-8, or a NUL inside).
pub fn lossy_name(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.contains('\0') => (s.to_string(), false),
        _ => (
            String::from_utf8_lossy(bytes).replace('\0', "\u{fffd}"),
            true,
        ),
    }
}

// ---------------------------------------------------------------------------
// Header fields.

/// The kind of an extended header (one that modifies the next entry).
fn extended_kind(typeflag: u8) -> Option<&'static str> {
    match typeflag {
        b'x' => Some("PAX extended"),
        b'g' => Some("PAX global"),
        b'L' => Some("GNU long name"),
        b'K' => Some("GNU long link"),
        _ => None,
    }
}

/// A numeric field: octal (NUL/space padded) or GNU base-256.
fn parse_numeric(field: &[u8]) -> Option<u64> {
    let (&first, rest) = field.split_first()?;
    if first & 0x80 != 0 {
        if first & 0x40 != 0 {
            return None; // negative
        }
        let mut v = u64::from(first & 0x3f);
        for &b in rest {
            if v >> 56 != 0 {
                return None;
            }
            v = (v << 8) | u64::from(b);
        }
        return Some(v);
    }
    let Some(start) = field.iter().position(|&b| b != 0 && b != b' ') else {
        return Some(0);
    };
    let end = field
        .iter()
        .rposition(|&b| b != 0 && b != b' ')
        .map_or(start, |e| e + 1);
    let mut v: u64 = 0;
    for &b in &field[start..end] {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

fn cstr(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    &field[..end]
}

/// Checks the header checksum (the unsigned sum POSIX specifies, or the
/// signed one some old writers used).
fn check_checksum(b: &[u8; 512], offset: u64) -> Result<(), TarError> {
    let mut unsigned: i64 = 0;
    let mut signed: i64 = 0;
    for (i, &x) in b.iter().enumerate() {
        if (148..156).contains(&i) {
            unsigned += 32;
            signed += 32;
        } else {
            unsigned += i64::from(x);
            signed += i64::from(x.cast_signed());
        }
    }
    let computed = u64::try_from(unsigned).unwrap_or(0);
    let recorded = match parse_numeric(&b[148..156]) {
        Some(r) if i64::try_from(r).is_ok_and(|r| r == unsigned || r == signed) => return Ok(()),
        Some(r) => r.to_string(),
        None => format!("unreadable {:?}", String::from_utf8_lossy(&b[148..156])),
    };
    Err(TarError::Checksum {
        offset,
        recorded,
        computed,
    })
}

fn header_name(b: &[u8; 512]) -> Vec<u8> {
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

/// Entry types with no data in the stream whatever their size field says.
fn header_only(typeflag: u8) -> bool {
    matches!(typeflag, b'1'..=b'6')
}

/// Overrides from PAX headers.
#[derive(Debug, Clone, Default)]
struct Pax {
    path: Option<Vec<u8>>,
    linkpath: Option<Vec<u8>>,
    size: Option<u64>,
    uid: Option<u64>,
    gid: Option<u64>,
    sparse: bool,
    /// GNU sparse records: the format version, the real name and size,
    /// the 0.1 map, and the 0.0 offset and size pairs.
    sparse_major: Option<u64>,
    sparse_minor: Option<u64>,
    sparse_name: Option<Vec<u8>>,
    sparse_size: Option<u64>,
    sparse_map: Option<Vec<u64>>,
    sparse_pairs: Vec<u64>,
}

fn decimal(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 20 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// Parses PAX records (`LEN key=value\n`) into `into`; an empty value
/// removes the key.
fn parse_pax(mut data: &[u8], into: &mut Pax) -> Result<(), Malformed> {
    while !data.is_empty() {
        if data.iter().all(|&b| b == 0) {
            break; // NUL padding some writers leave
        }
        let sp = data
            .iter()
            .take(21)
            .position(|&b| b == b' ')
            .ok_or(Malformed::PaxNoLength)?;
        let len = decimal(&data[..sp])
            .and_then(|l| usize::try_from(l).ok())
            .ok_or(Malformed::PaxLength)?;
        if len <= sp + 1 || len > data.len() || data[len - 1] != b'\n' {
            return Err(Malformed::PaxOverrun { len });
        }
        let rec = &data[sp + 1..len - 1];
        data = &data[len..];
        let eq = rec
            .iter()
            .position(|&b| b == b'=')
            .ok_or(Malformed::PaxNoEquals)?;
        let (key, value) = (&rec[..eq], &rec[eq + 1..]);
        let bytes = (!value.is_empty()).then(|| value.to_vec());
        match key {
            b"path" => into.path = bytes,
            b"linkpath" => into.linkpath = bytes,
            b"size" => {
                into.size = match bytes {
                    None => None,
                    Some(v) => Some(decimal(&v).ok_or(Malformed::PaxSize)?),
                }
            }
            b"uid" => into.uid = bytes.and_then(|v| decimal(&v)),
            b"gid" => into.gid = bytes.and_then(|v| decimal(&v)),
            k if k.starts_with(b"GNU.sparse.") => {
                into.sparse = true;
                let number = || decimal(value).ok_or(Malformed::SparseNumber);
                match &k[b"GNU.sparse.".len()..] {
                    b"major" => into.sparse_major = Some(number()?),
                    b"minor" => into.sparse_minor = Some(number()?),
                    b"name" => into.sparse_name = bytes,
                    b"size" | b"realsize" => into.sparse_size = Some(number()?),
                    b"map" => {
                        let mut map = Vec::new();
                        for n in value.split(|&b| b == b',') {
                            if map.len() >= 2 * MAX_SPARSE_CHUNKS {
                                return Err(Malformed::SparseTooManyChunks {
                                    limit: MAX_SPARSE_CHUNKS,
                                });
                            }
                            map.push(decimal(n).ok_or(Malformed::SparseNumber)?);
                        }
                        into.sparse_map = Some(map);
                    }
                    b"offset" | b"numbytes" => {
                        if into.sparse_pairs.len() >= 2 * MAX_SPARSE_CHUNKS {
                            return Err(Malformed::SparseTooManyChunks {
                                limit: MAX_SPARSE_CHUNKS,
                            });
                        }
                        into.sparse_pairs.push(number()?);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::super::{list_members, read_member, write_end, write_header, EntryType, Header};
    use super::*;

    /// A header block as the writer writes it, with another type and
    /// size field, and its checksum made right again.
    fn raw(path: &str, typeflag: u8, size: &[u8]) -> [u8; 512] {
        let mut b = [0u8; 512];
        let entry = EntryType::File { size: 0 };
        write_header(
            &mut &mut b[..],
            &Header {
                path,
                entry,
                ..FILE
            },
        )
        .expect("header");
        b[124..136].fill(0);
        b[124..124 + size.len()].copy_from_slice(size);
        b[156] = typeflag;
        b[148..156].fill(b' ');
        let sum: u32 = b.iter().map(|&x| u32::from(x)).sum();
        b[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        b
    }

    fn octal(size: u64) -> Vec<u8> {
        format!("{size:011o}\0").into_bytes()
    }

    /// `data` and its padding to the next block.
    fn padded(data: &[u8]) -> Vec<u8> {
        let mut v = data.to_vec();
        v.resize(data.len() + padding(data.len() as u64), 0);
        v
    }

    /// The owner, mode and time of every file [`archive`] writes.
    const FILE: Header<'static> = Header {
        path: "",
        entry: EntryType::Dir,
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: 0,
    };

    /// An archive of regular files, as the writer writes it.
    fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for &(path, data) in files {
            let size = data.len() as u64;
            let entry = EntryType::File { size };
            write_header(
                &mut out,
                &Header {
                    path,
                    entry,
                    ..FILE
                },
            )
            .expect("header");
            out.extend(padded(data));
        }
        write_end(&mut out).expect("end");
        out
    }

    fn entries(bytes: &[u8]) -> Result<Vec<(Entry, Vec<u8>)>, TarError> {
        let mut tar = Reader::new(bytes, 1 << 20);
        let mut out = Vec::new();
        while let Some(e) = tar.next_entry()? {
            let mut data = Vec::new();
            tar.data().read_to_end(&mut data).expect("data");
            out.push((e, data));
        }
        Ok(out)
    }

    #[test]
    fn pax_path_overrides_the_name() {
        let long = "p".repeat(300);
        let bytes = archive(&[(&long, b"hello"), ("next", b"x")]);
        // The writer needed a PAX header for it.
        assert_eq!(bytes[156], b'x');
        let got = entries(&bytes).expect("reads");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0.name, long.as_bytes());
        assert_eq!(got[0].0.size, 5);
        assert_eq!(got[0].1, b"hello");
        assert_eq!(got[1].0.name, b"next");
        assert_eq!(got[1].1, b"x");

        let members = list_members(&mut Cursor::new(&bytes), 10).expect("lists");
        let m = &members[&long];
        assert_eq!(m.offset, got[0].0.data_offset);
        assert_eq!(
            read_member(&mut Cursor::new(&bytes), m, 100).expect("member"),
            b"hello"
        );
        assert!(matches!(
            read_member(&mut Cursor::new(&bytes), m, 4),
            Err(TarError::MemberTooLarge {
                size: 5,
                limit: 4,
                ..
            })
        ));
    }

    #[test]
    fn gnu_long_name_and_link() {
        let name = format!("{}/file", "d".repeat(150));
        let target = "t".repeat(120);
        let mut bytes = Vec::new();
        for (flag, value) in [(b'L', &name), (b'K', &target)] {
            let mut v = value.as_bytes().to_vec();
            v.push(0);
            bytes.extend(raw("././@LongLink", flag, &octal(v.len() as u64)));
            bytes.extend(padded(&v));
        }
        bytes.extend(raw(&name[..100], b'2', &octal(0)));
        bytes.extend([0u8; 1024]);
        let got = entries(&bytes).expect("reads");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0.name, name.as_bytes());
        assert_eq!(got[0].0.link, target.as_bytes());
        assert_eq!(got[0].0.typeflag, b'2');
        assert_eq!(got[0].0.data_len, 0);
    }

    #[test]
    fn base_256_size() {
        let mut size = [0u8; 12];
        size[0] = 0x80;
        size[10..].copy_from_slice(&700u16.to_be_bytes());
        let mut bytes = raw("big", b'0', &size).to_vec();
        bytes.extend(padded(&[9u8; 700]));
        bytes.extend(raw("after", b'0', &octal(0)));
        bytes.extend([0u8; 1024]);
        let got = entries(&bytes).expect("reads");
        assert_eq!(got[0].0.size, 700);
        assert_eq!(got[0].1, vec![9u8; 700]);
        assert_eq!(got[1].0.name, b"after");
        assert_eq!(got[1].0.offset, 512 + 1024);

        // Values beyond what octal fields hold; negative and overflowing
        // ones are refused.
        let mut big = [0u8; 12];
        big[0] = 0x80;
        big[7] = 2;
        assert_eq!(parse_numeric(&big), Some(2 << 32));
        big[0] = 0xc0;
        assert_eq!(parse_numeric(&big), None);
        assert_eq!(parse_numeric(&[0xbf; 12]), None);
        assert_eq!(parse_numeric(b"0000644 \0"), Some(0o644));
        assert_eq!(parse_numeric(b"12345678"), None);
        assert_eq!(parse_numeric(b"\0\0\0"), Some(0));
    }

    #[test]
    fn bad_checksum_is_a_typed_error() {
        let mut bytes = archive(&[("a", b"1"), ("b", b"2")]);
        bytes[1024 + 10] ^= 0x20;
        match entries(&bytes) {
            Err(TarError::Checksum {
                offset, recorded, ..
            }) => {
                assert_eq!(offset, 1024);
                assert!(recorded.parse::<u64>().is_ok(), "{recorded}");
            }
            other => panic!("{other:?}"),
        }
        bytes[1024 + 148..1024 + 156].copy_from_slice(b"zzzzzzz\0");
        let e = entries(&bytes).expect_err("unreadable checksum");
        assert!(matches!(e, TarError::Checksum { offset: 1024, .. }), "{e}");
        assert!(e.to_string().contains("unreadable"), "{e}");
        let e = list_members(&mut Cursor::new(&bytes), 10).expect_err("refused");
        assert!(
            e.to_string()
                .contains("bad tar header checksum at byte 1024"),
            "{e}"
        );
    }

    #[test]
    fn truncated_headers_and_data() {
        let bytes = archive(&[("a", &[5u8; 600])]);
        let e = entries(&bytes[..300]).expect_err("cut header");
        assert!(
            matches!(
                e,
                TarError::Truncated {
                    offset: 0,
                    what: "a header",
                    ..
                }
            ),
            "{e}"
        );
        // Cut inside the data: read through, and skipped by seeking.
        let e = entries(&bytes[..900]).expect_err("cut data");
        assert!(e.to_string().contains("truncated"), "{e}");
        let mut tar = Reader::new(Seekable::new(Cursor::new(&bytes[..900])), 1 << 20);
        tar.next_entry().expect("header").expect("entry");
        let e = tar.next_entry().expect_err("cut data");
        match &e {
            TarError::Io { offset, error } => {
                assert_eq!(*offset, 512);
                assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains("truncated"), "{e}");
        // Skipping without reading: the name is known.
        let mut tar = Reader::new(&bytes[..900], 1 << 20);
        tar.next_entry().expect("header").expect("entry");
        match tar.skip_data() {
            Err(TarError::Truncated {
                offset: 900,
                what: "file data",
                path,
            }) => assert_eq!(path.as_deref(), Some("a")),
            other => panic!("{other:?}"),
        }
        // Ending on a block boundary without the marker.
        let end = 512 + 1024;
        let mut tar = Reader::new(&bytes[..end], 1 << 20);
        assert!(tar.next_entry().expect("entry").is_some());
        assert!(tar.next_entry().expect("end").is_none());
        assert_eq!(tar.end(), Some(End::Eof));
        assert_eq!(tar.offset(), end as u64);
        let e = list_members(&mut Cursor::new(&bytes[..end]), 10).expect_err("no marker");
        assert!(
            matches!(e, TarError::Truncated { offset, .. } if offset == end as u64),
            "{e}"
        );
        let mut tar = Reader::new(&bytes[..], 1 << 20);
        while tar.next_entry().expect("reads").is_some() {}
        assert_eq!(tar.end(), Some(End::Marker));
    }

    #[test]
    fn pax_records_local_and_global() {
        let mut bytes = Vec::new();
        let global = b"18 uid=4294967296\n12 gid=1000\n";
        bytes.extend(raw("pax_global_header", b'g', &octal(global.len() as u64)));
        bytes.extend(padded(global));
        let local = b"10 size=3\n22 GNU.sparse.major=1\n";
        bytes.extend(raw("PaxHeaders/a", b'x', &octal(local.len() as u64)));
        bytes.extend(padded(local));
        bytes.extend(raw("a", b'0', &octal(1)));
        bytes.extend(padded(b"abc"));
        bytes.extend(raw("b/", 0, &octal(0)));
        bytes.extend([0u8; 1024]);
        let got = entries(&bytes).expect("reads");
        assert_eq!(got[0].0.size, 3, "the PAX size wins");
        assert_eq!(got[0].1, b"abc");
        assert!(got[0].0.sparse);
        assert_eq!(got[0].0.uid, Some(1 << 32));
        assert_eq!(got[0].0.gid, Some(1000));
        // Local records end with their entry, global ones do not.
        assert!(!got[1].0.sparse);
        assert_eq!(got[1].0.size, 0);
        assert_eq!(got[1].0.gid, Some(1000));
        // An old V7 entry named with a slash is a directory.
        assert_eq!(got[1].0.typeflag, b'5');

        let bad = b"5 x\n";
        let mut bytes = raw("PaxHeaders/a", b'x', &octal(bad.len() as u64)).to_vec();
        bytes.extend(padded(bad));
        let e = entries(&bytes).expect_err("bad record");
        assert!(
            matches!(
                e,
                TarError::Malformed {
                    offset: 0,
                    problem: Malformed::PaxOverrun { len: 5 },
                    ..
                }
            ),
            "{e}"
        );
    }

    /// One PAX record, its length counting itself.
    fn record(key: &str, value: &str) -> String {
        let body = format!(" {key}={value}\n");
        let mut len = body.len() + 1;
        while format!("{len}").len() + body.len() > len {
            len += 1;
        }
        format!("{len}{body}")
    }

    /// A PAX sparse entry with `records`, its stored `data`, then a file
    /// "next" and the end.
    fn sparse_archive(records: &[(&str, &str)], data: &[u8]) -> Vec<u8> {
        let pax: String = records.iter().map(|(k, v)| record(k, v)).collect();
        let mut bytes = raw("PaxHeaders/s", b'x', &octal(pax.len() as u64)).to_vec();
        bytes.extend(padded(pax.as_bytes()));
        bytes.extend(raw("GNUSparseFile.1/s", b'0', &octal(data.len() as u64)));
        bytes.extend(padded(data));
        bytes.extend(raw("next", b'0', &octal(2)));
        bytes.extend(padded(b"nn"));
        bytes.extend([0u8; 1024]);
        bytes
    }

    /// A GNU sparse 1.0 map block followed by `chunks`.
    fn map_1_0(map: &str, chunks: &[u8]) -> Vec<u8> {
        let mut data = padded(map.as_bytes());
        data.extend_from_slice(chunks);
        data
    }

    const V1_0: [(&str, &str); 4] = [
        ("GNU.sparse.major", "1"),
        ("GNU.sparse.minor", "0"),
        ("GNU.sparse.name", "usr/bin/real"),
        ("GNU.sparse.realsize", "12"),
    ];

    /// The size of the `kind` header over `limit` that reading the first
    /// entry of `bytes` refuses.
    fn too_large(bytes: &[u8], limit: u64, kind: &str) -> u64 {
        match Reader::new(bytes, limit).next_entry() {
            Err(TarError::HeaderTooLarge {
                kind: k,
                limit: l,
                size,
                ..
            }) if k == kind && l == limit => size,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pax_sparse_files_are_expanded() {
        let expanded = b"\0\0abc\0\0\0z\0\0\0";
        let v0_1 = [
            ("GNU.sparse.name", "usr/bin/real"),
            ("GNU.sparse.size", "12"),
            ("GNU.sparse.numblocks", "2"),
            ("GNU.sparse.map", "2,3,8,1"),
        ];
        let v0_0 = [
            ("path", "usr/bin/real"),
            ("GNU.sparse.size", "12"),
            ("GNU.sparse.numblocks", "2"),
            ("GNU.sparse.offset", "2"),
            ("GNU.sparse.numbytes", "3"),
            ("GNU.sparse.offset", "8"),
            ("GNU.sparse.numbytes", "1"),
        ];
        let archives = [
            sparse_archive(&V1_0, &map_1_0("2\n2\n3\n8\n1\n", b"abcz")),
            sparse_archive(&v0_1, b"abcz"),
            sparse_archive(&v0_0, b"abcz"),
        ];
        for bytes in &archives {
            let got = entries(bytes).expect("reads");
            assert_eq!(got.len(), 2);
            let (e, data) = &got[0];
            assert_eq!(e.name, b"usr/bin/real");
            assert_eq!(e.size, 12);
            assert!(e.expanded && !e.sparse);
            assert_eq!(data, expanded);
            assert_eq!(got[1].0.name, b"next");
            assert_eq!(got[1].1, b"nn");
            // Read in small pieces, and skipped half read.
            let mut tar = Reader::new(&bytes[..], 1 << 20);
            tar.next_entry().expect("reads").expect("sparse");
            let mut piece = [0u8; 3];
            let mut data = tar.data();
            assert_eq!(data.remaining(), 12);
            let k = data.read(&mut piece).expect("read");
            assert_eq!(&piece[..k], &expanded[..k]);
            assert_eq!(data.remaining(), 12 - k as u64);
            let next = tar.next_entry().expect("reads").expect("next");
            assert_eq!(next.name, b"next");
            // Image archives do not list a sparse file's stored bytes.
            let members = list_members(&mut Cursor::new(bytes), 10).expect("lists");
            assert_eq!(members.keys().collect::<Vec<_>>(), ["next"]);
        }
        // A trailing hole, a zero-length last chunk, and no chunks at all.
        let trail = [("GNU.sparse.realsize", "6"), V1_0[0], V1_0[1]];
        let bytes = sparse_archive(&trail, &map_1_0("2\n0\n2\n6\n0\n", b"ab"));
        let got = entries(&bytes).expect("reads");
        assert_eq!(got[0].0.name, b"GNUSparseFile.1/s");
        assert_eq!(got[0].1, b"ab\0\0\0\0");
        let bytes = sparse_archive(&trail, &map_1_0("0\n", b""));
        assert_eq!(entries(&bytes).expect("reads")[0].1, [0u8; 6]);
        // An unknown version is left as it is stored.
        let v2 = [("GNU.sparse.major", "2"), ("GNU.sparse.minor", "0")];
        let got = entries(&sparse_archive(&v2, b"raw")).expect("reads");
        assert!(got[0].0.sparse && !got[0].0.expanded);
        assert_eq!(got[0].1, b"raw");
    }

    #[test]
    fn malformed_sparse_maps_are_typed_errors() {
        let problem = |bytes: &[u8]| match entries(bytes) {
            Err(TarError::Malformed { problem, path, .. }) => {
                assert!(path.is_some());
                problem
            }
            other => panic!("{other:?}"),
        };
        let v1 = |map: &str, chunks: &[u8]| sparse_archive(&V1_0, &map_1_0(map, chunks));
        assert_eq!(
            problem(&v1("2\n8\n1\n2\n3\n", b"abcz")),
            Malformed::SparseOrder
        );
        assert_eq!(
            problem(&v1("2\n2\n3\n3\n1\n", b"abcz")),
            Malformed::SparseOrder
        );
        assert_eq!(
            problem(&v1("1\n10\n3\n", b"abc")),
            Malformed::SparseBeyondSize { size: 12 }
        );
        assert_eq!(
            problem(&v1("1\n18446744073709551615\n3\n", b"abc")),
            Malformed::SparseBeyondSize { size: 12 }
        );
        assert_eq!(
            problem(&v1("1\n2\n3\n", b"abcz")),
            Malformed::SparseDataSize {
                mapped: 3,
                stored: 4
            }
        );
        assert_eq!(problem(&v1("1\n2x\n3\n", b"abc")), Malformed::SparseNumber);
        assert_eq!(
            problem(&v1("99999999\n", b"")),
            Malformed::SparseTooManyChunks {
                limit: MAX_SPARSE_CHUNKS
            }
        );
        let no_size = &V1_0[..3];
        assert_eq!(
            problem(&sparse_archive(no_size, &map_1_0("0\n", b""))),
            Malformed::SparseNoSize
        );
        let odd = [("GNU.sparse.size", "12"), ("GNU.sparse.map", "2,3,8")];
        assert_eq!(
            problem(&sparse_archive(&odd, b"abcz")),
            Malformed::SparseOddMap
        );
        // A map that never ends within the entry's data, or beyond the
        // header limit.
        let e = entries(&v1("2\n2\n", b"")).expect_err("cut map");
        assert!(
            matches!(
                e,
                TarError::Truncated {
                    what: "a GNU sparse map",
                    ..
                }
            ),
            "{e}"
        );
        let long = format!("3\n{}", "0".repeat(2000));
        let bytes = v1(&long, b"");
        assert!(too_large(&bytes, 1024, "GNU sparse map") > 1024);
        // Whatever the bytes, no panic.
        let bytes = v1("2\n2\n3\n8\n1\n", b"abcz");
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x5a;
            let _ = entries(&flipped);
            let _ = entries(&bytes[..i]);
        }
    }

    #[test]
    fn extended_headers_are_bounded() {
        let mut bytes = raw("PaxHeaders/x", b'x', &octal(1 << 32)).to_vec();
        bytes.extend([0u8; 1024]);
        assert_eq!(too_large(&bytes, 4096, "PAX extended"), 4_294_967_296);
        let bytes = raw("x", b'0', b"12345678901z");
        let e = entries(&bytes).expect_err("bad size");
        assert!(
            matches!(
                e,
                TarError::Malformed {
                    problem: Malformed::SizeField,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn data_left_unread_is_passed_over() {
        let bytes = archive(&[("a", &[1u8; 2000]), ("b", b"bb")]);
        for source in [true, false] {
            let mut tar: Reader<Box<dyn Skip>> = if source {
                Reader::new(Box::new(Seekable::new(Cursor::new(bytes.clone()))), 1 << 20)
            } else {
                Reader::new(Box::new(&bytes[..]), 1 << 20)
            };
            tar.next_entry().expect("a").expect("a");
            let mut some = [0u8; 100];
            let mut data = tar.data();
            data.read_exact(&mut some).expect("part");
            assert_eq!(data.remaining(), 1900);
            let b = tar.next_entry().expect("b").expect("b");
            assert_eq!(b.name, b"b");
            assert_eq!(b.offset, 512 + 2048);
            let mut rest = Vec::new();
            tar.data().read_to_end(&mut rest).expect("b data");
            assert_eq!(rest, b"bb");
        }
    }

    #[test]
    fn list_members_normalizes_and_limits() {
        let bytes = archive(&[("./a", b"1"), ("dir/b", b"2"), ("c", b"3")]);
        let m = list_members(&mut Cursor::new(&bytes), 10).expect("lists");
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "c", "dir/b"]);
        let e = list_members(&mut Cursor::new(&bytes), 2).expect_err("limit");
        assert!(
            matches!(e, TarError::TooManyEntries { limit: 2, .. }),
            "{e}"
        );
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        let long = "q".repeat(200);
        let bytes = archive(&[(&long, &[3u8; 700]), ("x", b"y")]);
        for n in 0..bytes.len() {
            let _ = entries(&bytes[..n]);
            let _ = list_members(&mut Cursor::new(&bytes[..n]), 100);
        }
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0xa5;
            let _ = entries(&flipped);
            let _ = list_members(&mut Cursor::new(&flipped), 100);
        }
    }
}
