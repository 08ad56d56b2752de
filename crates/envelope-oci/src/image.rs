//! An image ready to be written anywhere: its root descriptor (a manifest
//! or an index) and every blob it reaches, in memory or on disk.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::{Descriptor, Digest, Error};

#[derive(Debug, Clone)]
pub enum BlobData {
    Bytes(Arc<Vec<u8>>),
    /// A blob already on disk (a cache or a layout), read when written out.
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct ImageBlobs {
    pub root: Descriptor,
    pub blobs: BTreeMap<Digest, BlobData>,
}

impl ImageBlobs {
    pub fn new(root: Descriptor) -> Self {
        ImageBlobs {
            root,
            blobs: BTreeMap::new(),
        }
    }

    pub fn insert(&mut self, digest: Digest, data: BlobData) {
        self.blobs.insert(digest, data);
    }

    /// A reader of a blob's bytes as they are stored, not yet checked
    /// against its digest (the caller verifies, as [`ImageBlobs::read`]
    /// does).
    pub fn open_unverified(&self, d: &Digest) -> Result<Box<dyn std::io::Read + '_>, Error> {
        match self.blobs.get(d) {
            None => Err(Error::MissingBlob { digest: d.clone() }),
            Some(BlobData::Bytes(b)) => Ok(Box::new(b.as_slice())),
            Some(BlobData::File(p)) => Ok(Box::new(
                std::fs::File::open(p).map_err(|e| Error::io(p, e))?,
            )),
        }
    }

    /// A blob's bytes, checked against its digest.
    pub fn read(&self, d: &Digest) -> Result<Vec<u8>, Error> {
        let bytes = match self.blobs.get(d) {
            None => return Err(Error::MissingBlob { digest: d.clone() }),
            Some(BlobData::Bytes(b)) => b.as_ref().clone(),
            Some(BlobData::File(p)) => std::fs::read(p).map_err(|e| Error::io(p, e))?,
        };
        if !d.matches(&bytes) {
            return Err(Error::DigestMismatch {
                what: format!("blob {d}"),
                expected: d.clone(),
                actual: Digest::sha256(&bytes),
            });
        }
        Ok(bytes)
    }
}
