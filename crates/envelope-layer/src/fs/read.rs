//! Reading one layer: its blob decompressed and verified, then the tar
//! stream walked header by header (PAX and GNU extensions applied, limits
//! checked), each entry handed to the index.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read};

use super::error::{FsError, LayerId};
use super::index::{Index, LayerState};
use super::input::{
    check_blob, read_full, skip, Counted, Format, LayerInput, Meter, PlainTar, SkipRead,
};
use super::tar::{
    check_checksum, cstr, header_name, header_only, lossy_string, padding, parse_numeric,
    parse_pax, Pax, TarError, BLOCK,
};
use super::LayerSummary;

pub(super) enum Fail {
    Io(io::Error, u64),
    Fs(FsError),
}

impl From<FsError> for Fail {
    fn from(e: FsError) -> Fail {
        Fail::Fs(e)
    }
}

/// One tar entry, with its PAX and GNU overrides applied.
pub(super) struct Entry {
    pub(super) name: Vec<u8>,
    pub(super) link: Vec<u8>,
    pub(super) typeflag: u8,
    /// The size field (what dive counts).
    pub(super) size: u64,
    /// Bytes of data that follow in the stream.
    pub(super) data_len: u64,
    pub(super) mode: u32,
    pub(super) uid: u32,
    pub(super) gid: u32,
    pub(super) sparse: bool,
    pub(super) offset: u64,
}

impl Index<'_> {
    pub(super) fn read_layer(
        &mut self,
        index: usize,
        input: LayerInput,
    ) -> Result<LayerSummary, FsError> {
        let LayerInput {
            mut reader,
            descriptor,
        } = input;
        let id = LayerId {
            index,
            digest: descriptor.as_ref().map(|d| d.digest.to_string()),
        };
        let mut meter = Meter {
            inner: &mut *reader,
            hasher: descriptor
                .as_ref()
                .map(|d| envelope_oci::DigestHasher::for_digest(&d.digest)),
            count: 0,
            failed: false,
        };
        let mut magic = [0u8; 4];
        let got = read_full(&mut meter, &mut magic).map_err(|e| FsError::Read {
            layer: id.clone(),
            offset: meter.count,
            source: e,
        })?;
        let format = Format::detect(&magic[..got]);
        let mut ls = LayerState {
            id: id.clone(),
            recs: HashMap::new(),
            extra_dirs: Vec::new(),
            opaque: Vec::new(),
            seen: HashMap::new(),
            visited: HashSet::new(),
            global: Pax::default(),
            summary: LayerSummary {
                index,
                digest: id.digest.clone(),
                ..LayerSummary::default()
            },
        };
        let limit = self.limits.max_layer_bytes;
        let (outcome, tar_size, over) = {
            let head = io::Cursor::new(magic).take(got as u64);
            let decoder: io::Result<Box<dyn SkipRead + '_>> = match format {
                Format::Tar => Ok(Box::new(PlainTar {
                    head,
                    meter: &mut meter,
                })),
                Format::Gzip => Ok(Box::new(flate2::read::MultiGzDecoder::new(
                    head.chain(&mut meter),
                ))),
                Format::Zstd => zstd::stream::read::Decoder::new(head.chain(&mut meter))
                    .map(|d| Box::new(d) as Box<dyn SkipRead + '_>),
            };
            match decoder {
                Err(e) => (Err(Fail::Io(e, 0)), 0, false),
                Ok(inner) => {
                    let mut src = Counted {
                        inner,
                        pos: 0,
                        limit,
                        over: false,
                    };
                    let mut r = self.read_tar(&mut ls, &mut src);
                    if r.is_ok() {
                        // Trailing blocks after the end-of-archive marker.
                        let mut scratch = vec![0u8; 64 << 10];
                        r = skip(&mut src, u64::MAX, &mut scratch)
                            .map(|_| ())
                            .map_err(|e| Fail::Io(e, src.pos));
                    }
                    (r, src.pos, src.over)
                }
            }
        };
        let failure = match outcome {
            Ok(()) => None,
            Err(Fail::Fs(e)) => Some(e),
            Err(Fail::Io(e, offset)) => Some(if over {
                FsError::LayerTooLarge {
                    layer: id.clone(),
                    limit,
                }
            } else if meter.failed || format == Format::Tar {
                FsError::Read {
                    layer: id.clone(),
                    offset: meter.count,
                    source: e,
                }
            } else {
                let detail = if e.kind() == io::ErrorKind::UnexpectedEof {
                    format!("the stream ends early (truncated) after {offset} uncompressed bytes")
                } else {
                    format!("{e} (after {offset} uncompressed bytes)")
                };
                FsError::Decompress {
                    layer: id.clone(),
                    format: format.name(),
                    offset: meter.count,
                    detail,
                }
            }),
        };
        if let Some(err) = failure {
            if matches!(err, FsError::Read { .. } | FsError::Visitor { .. }) {
                return Err(err);
            }
            // A blob that is not what its descriptor says explains the
            // failure better than the failure itself.
            if let Some(d) = &descriptor {
                if io::copy(&mut meter, &mut io::sink()).is_ok() {
                    if let Some(mismatch) = check_blob(
                        &id,
                        d,
                        &mut meter,
                        format!("; reading it also failed: {err}"),
                    ) {
                        return Err(mismatch);
                    }
                }
            }
            return Err(err);
        }
        io::copy(&mut meter, &mut io::sink()).map_err(|e| FsError::Read {
            layer: id.clone(),
            offset: meter.count,
            source: e,
        })?;
        if let Some(d) = &descriptor {
            if let Some(mismatch) = check_blob(&id, d, &mut meter, String::new()) {
                return Err(mismatch);
            }
        }
        ls.summary.compressed_size = meter.count;
        ls.summary.tar_size = tar_size;
        Ok(self.finish_layer(ls))
    }

    fn read_tar(&mut self, ls: &mut LayerState, src: &mut Counted<'_>) -> Result<(), Fail> {
        let mut local = Pax::default();
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        let mut block = [0u8; 512];
        let mut scratch = vec![0u8; 64 << 10];
        let max_header = self.limits.max_header_bytes;
        loop {
            let at = src.pos;
            let n = read_full(src, &mut block).map_err(|e| Fail::Io(e, src.pos))?;
            if n == 0 {
                let message = if at == 0 {
                    "the layer is empty (not even an end-of-archive marker)"
                } else {
                    "the tar ends without an end-of-archive marker"
                };
                self.warn(ls.index(), "", message.to_string());
                return Ok(());
            }
            if n < block.len() {
                return Err(FsError::Truncated {
                    layer: ls.id.clone(),
                    offset: at,
                    what: "a header",
                    path: None,
                }
                .into());
            }
            if block.iter().all(|&b| b == 0) {
                return Ok(());
            }
            check_checksum(&block).map_err(|e| header_error(&ls.id, at, e))?;
            let bad_header = |detail: &str, path: Option<String>| FsError::BadHeader {
                layer: ls.id.clone(),
                offset: at,
                path,
                detail: detail.to_string(),
            };
            let raw_name = header_name(&block);
            let hdr_size = parse_numeric(&block[124..136]).ok_or_else(|| {
                bad_header(
                    "the size field is not a number",
                    Some(lossy_string(&raw_name).0),
                )
            })?;
            let typeflag = block[156];
            if matches!(typeflag, b'x' | b'g' | b'L' | b'K') {
                let kind = match typeflag {
                    b'x' => "PAX extended",
                    b'g' => "PAX global",
                    b'L' => "GNU long name",
                    _ => "GNU long link",
                };
                if hdr_size > max_header {
                    return Err(FsError::HeaderTooLarge {
                        layer: ls.id.clone(),
                        offset: at,
                        kind,
                        size: hdr_size,
                        limit: max_header,
                    }
                    .into());
                }
                let mut data = Vec::new();
                let got = (&mut *src)
                    .take(hdr_size)
                    .read_to_end(&mut data)
                    .map_err(|e| Fail::Io(e, src.pos))?;
                let pad = padding(hdr_size);
                let padded = skip(src, pad, &mut scratch).map_err(|e| Fail::Io(e, src.pos))?;
                if (got as u64) < hdr_size || padded < pad {
                    return Err(FsError::Truncated {
                        layer: ls.id.clone(),
                        offset: at,
                        what: "an extended header",
                        path: None,
                    }
                    .into());
                }
                match typeflag {
                    b'x' => parse_pax(&data, &mut local),
                    b'g' => parse_pax(&data, &mut ls.global),
                    b'L' => {
                        long_name = Some(cstr(&data).to_vec());
                        Ok(())
                    }
                    _ => {
                        long_link = Some(cstr(&data).to_vec());
                        Ok(())
                    }
                }
                .map_err(|e| header_error(&ls.id, at, e))?;
                continue;
            }

            self.entries += 1;
            if self.entries > self.limits.max_entries {
                return Err(FsError::TooManyEntries {
                    layer: ls.id.clone(),
                    offset: at,
                    limit: self.limits.max_entries,
                }
                .into());
            }
            // GNU long names win over PAX, as in Go's archive/tar.
            let name = long_name
                .take()
                .or_else(|| local.path.take())
                .or_else(|| ls.global.path.clone())
                .unwrap_or(raw_name);
            let link = long_link
                .take()
                .or_else(|| local.linkpath.take())
                .or_else(|| ls.global.linkpath.clone())
                .unwrap_or_else(|| cstr(&block[157..257]).to_vec());
            let size = local.size.or(ls.global.size).unwrap_or(hdr_size);
            let lenient = |v: Option<u64>, field: &str, this: &mut Self| -> u32 {
                match v.map(u32::try_from) {
                    Some(Ok(v)) => v,
                    _ => {
                        this.warn(
                            ls.id.index,
                            &lossy_string(&name).0,
                            format!("the {field} field is unreadable or too large; 0 is used"),
                        );
                        0
                    }
                }
            };
            let mode = lenient(parse_numeric(&block[100..108]), "mode", self);
            let uid = lenient(
                local
                    .uid
                    .or(ls.global.uid)
                    .or_else(|| parse_numeric(&block[108..116])),
                "uid",
                self,
            );
            let gid = lenient(
                local
                    .gid
                    .or(ls.global.gid)
                    .or_else(|| parse_numeric(&block[116..124])),
                "gid",
                self,
            );
            let sparse = local.sparse || ls.global.sparse || typeflag == b'S';
            local = Pax::default();
            if typeflag == b'S' && block[482] != 0 {
                // Old GNU sparse: extension blocks of the sparse map.
                let mut ext = [0u8; 512];
                let mut total = 0u64;
                loop {
                    total += BLOCK;
                    if total > max_header {
                        return Err(FsError::HeaderTooLarge {
                            layer: ls.id.clone(),
                            offset: at,
                            kind: "GNU sparse map",
                            size: total,
                            limit: max_header,
                        }
                        .into());
                    }
                    let n = read_full(src, &mut ext).map_err(|e| Fail::Io(e, src.pos))?;
                    if n < ext.len() {
                        return Err(FsError::Truncated {
                            layer: ls.id.clone(),
                            offset: src.pos,
                            what: "a GNU sparse map",
                            path: Some(lossy_string(&name).0),
                        }
                        .into());
                    }
                    if ext[504] == 0 {
                        break;
                    }
                }
            }
            let dir_by_name = typeflag == 0 && name.last() == Some(&b'/');
            let data_len = if header_only(typeflag) || dir_by_name {
                0
            } else {
                size
            };
            let entry = Entry {
                name,
                link,
                typeflag: if dir_by_name { b'5' } else { typeflag },
                size,
                data_len,
                mode,
                uid,
                gid,
                sparse,
                offset: at,
            };
            let (consumed, path) = self.entry(ls, src, &entry)?;
            let rest = (data_len - consumed.min(data_len)).saturating_add(padding(data_len));
            let skipped = match src.skip_ahead(rest) {
                Some(r) => r.map(|()| rest).map_err(|e| Fail::Io(e, src.pos))?,
                None => skip(src, rest, &mut scratch).map_err(|e| Fail::Io(e, src.pos))?,
            };
            if skipped < rest {
                return Err(FsError::Truncated {
                    layer: ls.id.clone(),
                    offset: src.pos,
                    what: "file data",
                    path: Some(path),
                }
                .into());
            }
        }
    }
}

/// The layer's error for a tar header that could not be read at `offset`.
fn header_error(layer: &LayerId, offset: u64, e: TarError) -> FsError {
    match e {
        TarError::Checksum { recorded, computed } => FsError::BadChecksum {
            layer: layer.clone(),
            offset,
            recorded,
            computed,
        },
        e => FsError::BadHeader {
            layer: layer.clone(),
            offset,
            path: None,
            detail: e.to_string(),
        },
    }
}
