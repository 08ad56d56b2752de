//! Reading one layer: its blob decompressed and verified, then the tar
//! stream walked header by header (PAX and GNU extensions applied, limits
//! checked), each entry handed to the index.

use std::io::{self, Read};

use envelope_oci::tar::read::{lossy_name, End, Entry as TarEntry, Reader, TarError};
use envelope_oci::DigestHasher;

use super::error::{FsError, LayerId};
use super::index::{Index, LayerState};
use super::input::{check_blob, Counted, Format, LayerInput, Meter, PlainTar, SkipRead};
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

/// One tar entry, and the numeric fields the index keeps (an unreadable
/// or too large one is 0, with a warning).
pub(super) struct Entry {
    pub(super) tar: TarEntry,
    pub(super) mode: u32,
    pub(super) uid: u32,
    pub(super) gid: u32,
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
            diff_id,
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
        let mut head = Vec::with_capacity(4);
        (&mut meter)
            .take(4)
            .read_to_end(&mut head)
            .map_err(|e| FsError::Read {
                layer: id.clone(),
                offset: meter.count,
                source: e,
            })?;
        let format = Format::detect(&head);
        let got = head.len();
        let mut magic = [0u8; 4];
        magic[..got].copy_from_slice(&head);
        let mut ls = LayerState {
            id: id.clone(),
            recs: Vec::new(),
            extra_dirs: Vec::new(),
            opaque: Vec::new(),
            summary: LayerSummary {
                index,
                digest: id.digest.clone(),
                ..LayerSummary::default()
            },
        };
        let limit = self.limits.max_layer_bytes;
        let (outcome, tar_size, over, tar_hash) = {
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
                Err(e) => (Err(Fail::Io(e, 0)), 0, false, None),
                Ok(inner) => {
                    let mut src = Counted {
                        inner,
                        pos: 0,
                        limit,
                        over: false,
                        hasher: diff_id.as_ref().map(DigestHasher::for_digest),
                    };
                    let mut r = self.read_tar(&mut ls, &mut src);
                    if r.is_ok() {
                        // Trailing blocks after the end-of-archive marker.
                        r = io::copy(&mut src, &mut io::sink())
                            .map(|_| ())
                            .map_err(|e| Fail::Io(e, src.pos));
                    }
                    let hash = src.hasher.as_mut().map(DigestHasher::finish);
                    (r, src.pos, src.over, hash)
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
        if let (Some(expected), Some(actual)) = (diff_id, tar_hash) {
            if expected.to_string() != actual {
                return Err(FsError::DiffIdMismatch {
                    layer: id,
                    expected: expected.to_string(),
                    actual,
                });
            }
        }
        ls.summary.compressed_size = meter.count;
        ls.summary.tar_size = tar_size;
        Ok(self.finish_layer(ls))
    }

    fn read_tar(&mut self, ls: &mut LayerState, src: &mut Counted<'_>) -> Result<(), Fail> {
        let limit = self.limits.max_layer_bytes;
        let mut tar = Reader::new(src, self.limits.max_header_bytes);
        // The zeros sparse files expand to count against the layer's limit
        // as if they were in the stream: a visitor may read them all.
        let mut holes = 0u64;
        while let Some(t) = tar.next_entry().map_err(|e| tar_error(&ls.id, e))? {
            if t.expanded {
                holes = holes.saturating_add(t.size.saturating_sub(t.data_len));
                if tar.offset().saturating_add(holes) > limit {
                    return Err(FsError::LayerTooLarge {
                        layer: ls.id.clone(),
                        limit,
                    }
                    .into());
                }
            }
            self.entries += 1;
            if self.entries > self.limits.max_entries {
                return Err(FsError::TooManyEntries {
                    layer: ls.id.clone(),
                    offset: t.offset,
                    limit: self.limits.max_entries,
                }
                .into());
            }
            let lenient = |v: Option<u64>, field: &str, this: &mut Self| -> u32 {
                match v.map(u32::try_from) {
                    Some(Ok(v)) => v,
                    _ => {
                        this.warn(
                            ls.id.index,
                            &lossy_name(&t.name).0,
                            format!("the {field} field is unreadable or too large; 0 is used"),
                        );
                        0
                    }
                }
            };
            let mode = lenient(t.mode, "mode", self);
            let uid = lenient(t.uid, "uid", self);
            let gid = lenient(t.gid, "gid", self);
            let entry = Entry {
                tar: t,
                mode,
                uid,
                gid,
            };
            let path = self.entry(ls, &mut tar, &entry)?;
            tar.skip_data().map_err(|e| match e {
                // Named by the path the index knows it by.
                TarError::Truncated { offset, what, .. } => FsError::Truncated {
                    layer: ls.id.clone(),
                    offset,
                    what,
                    path: Some(path),
                }
                .into(),
                e => tar_error(&ls.id, e),
            })?;
        }
        if tar.end() == Some(End::Eof) {
            let message = if tar.offset() == 0 {
                "the layer is empty (not even an end-of-archive marker)"
            } else {
                "the tar ends without an end-of-archive marker"
            };
            self.warn(ls.index(), "", message.to_string());
        }
        Ok(())
    }
}

/// The layer's error for a tar stream that could not be read.
fn tar_error(layer: &LayerId, e: TarError) -> Fail {
    let layer = layer.clone();
    Fail::Fs(match e {
        TarError::Io { offset, error } => return Fail::Io(error, offset),
        TarError::Truncated { offset, what, path } => FsError::Truncated {
            layer,
            offset,
            what,
            path,
        },
        TarError::Checksum {
            offset,
            recorded,
            computed,
        } => FsError::BadChecksum {
            layer,
            offset,
            recorded,
            computed,
        },
        TarError::Malformed {
            offset,
            path,
            problem,
        } => FsError::BadHeader {
            layer,
            offset,
            path,
            detail: problem.to_string(),
        },
        TarError::HeaderTooLarge {
            offset,
            kind,
            size,
            limit,
        } => FsError::HeaderTooLarge {
            layer,
            offset,
            kind,
            size,
            limit,
        },
        e @ (TarError::TooManyEntries { .. } | TarError::MemberTooLarge { .. }) => {
            FsError::BadHeader {
                layer,
                offset: 0,
                path: None,
                detail: e.to_string(),
            }
        }
    })
}
