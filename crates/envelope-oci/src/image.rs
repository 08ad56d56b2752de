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

/// An in-memory blob, shared, read without copying it
/// (`std::io::Cursor::new(SharedBytes(..))`).
#[derive(Debug, Clone)]
pub struct SharedBytes(pub Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

#[derive(Debug, Clone)]
pub struct ImageBlobs {
    pub root: Descriptor,
    pub blobs: BTreeMap<Digest, BlobData>,
    /// The uncompressed tar of each layer this process made, by the
    /// layer's digest: what reads the image just built (its SBOM, its
    /// provenance) takes instead of decompressing the layer again.
    pub tars: BTreeMap<Digest, Arc<Vec<u8>>>,
}

impl ImageBlobs {
    pub fn new(root: Descriptor) -> Self {
        ImageBlobs {
            root,
            blobs: BTreeMap::new(),
            tars: BTreeMap::new(),
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
