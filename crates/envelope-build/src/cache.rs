//! The on-disk cache under `$XDG_CACHE_HOME/envelope`: compressed layers keyed
//! by the digest of their uncompressed tar, and a stable place for each
//! package's binary so `go build` can see it is already up to date.
//!
//! Every entry is written to a temporary file and renamed, and a layer read
//! back is checked against its recorded digest, so a torn or tampered entry
//! is rebuilt rather than shipped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use envelope_layer::{Compression, Layer};
use envelope_oci::atomic::{self, Options};
use envelope_oci::{AtomicFile, Digest};

use crate::BuildError;

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// `$ENVELOPE_CACHE_DIR`, else `$XDG_CACHE_HOME/envelope`, else
    /// `~/.cache/envelope`, else a directory under the system temp dir.
    pub fn from_env() -> Cache {
        let root = std::env::var_os("ENVELOPE_CACHE_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("XDG_CACHE_HOME")
                    .filter(|v| !v.is_empty())
                    .map(|d| PathBuf::from(d).join("envelope"))
            })
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".cache").join("envelope"))
            })
            .unwrap_or_else(|| std::env::temp_dir().join("envelope-cache"));
        Cache { root }
    }

    pub fn at(root: impl Into<PathBuf>) -> Cache {
        Cache { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A directory for one package's binaries, stable across runs so that
    /// `go build -o` finds its previous output and skips relinking.
    pub fn binary_dir(&self, key: &str) -> Result<PathBuf, BuildError> {
        let dir = self
            .root
            .join("bin")
            .join(&Digest::sha256(key.as_bytes()).hex()[..32]);
        std::fs::create_dir_all(&dir).map_err(|e| self.error(&dir, e))?;
        Ok(dir)
    }

    /// The compressed form of `tar`, from the cache when this exact tar was
    /// compressed before with the same algorithm. Returns whether it was a hit.
    pub fn layer(&self, tar: &[u8], compression: Compression) -> Result<(Layer, bool), BuildError> {
        let diff_id = Digest::sha256(tar);
        let dir = self.root.join("layers");
        let stem = format!("{}.{}", diff_id.hex(), compression.cache_id());
        let blob_path = dir.join(&stem);
        let meta_path = dir.join(format!("{stem}.json"));
        if let Some(layer) = read_cached(
            &blob_path,
            &meta_path,
            &diff_id,
            tar.len() as u64,
            compression,
        ) {
            return Ok((layer, true));
        }
        let layer = envelope_layer::compress_tar(tar, compression)?;
        // A cache that cannot be written is not an error: the build goes on.
        if std::fs::create_dir_all(&dir).is_ok() {
            let meta = serde_json::json!({
                "digest": layer.digest.to_string(),
                "size": layer.size,
            });
            let _ = self
                .write(&blob_path, &layer.blob)
                .and_then(|()| self.write(&meta_path, meta.to_string().as_bytes()));
        }
        Ok((layer, false))
    }

    /// Writes an entry, staged in the cache's `.tmp/` (where killed
    /// writers' files are swept first) and renamed into place. Entries are
    /// verified when read, so they need not be synced.
    fn write(&self, path: &Path, data: &[u8]) -> Result<(), envelope_oci::Error> {
        atomic::sweep(
            &self.root.join(atomic::STAGING_DIR),
            atomic::STALE_TEMPORARY,
        );
        let mut f = AtomicFile::staged(&self.root, Options::new().durable(false))?;
        f.write_all(data).map_err(|e| envelope_oci::Error::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        f.commit_to(path)
    }

    fn error(&self, path: &Path, e: std::io::Error) -> BuildError {
        BuildError::Cache {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    }
}

fn read_cached(
    blob_path: &Path,
    meta_path: &Path,
    diff_id: &Digest,
    uncompressed_size: u64,
    compression: Compression,
) -> Option<Layer> {
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(meta_path).ok()?).ok()?;
    let digest: Digest = meta.get("digest")?.as_str()?.parse().ok()?;
    let size = meta.get("size")?.as_u64()?;
    let blob = std::fs::read(blob_path).ok()?;
    if blob.len() as u64 != size || Digest::sha256(&blob) != digest {
        return None;
    }
    Some(Layer {
        compression,
        blob: Arc::new(blob),
        digest,
        size,
        diff_id: diff_id.clone(),
        uncompressed_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lookup_hits_and_a_corrupt_entry_is_rebuilt() {
        let dir = tempfile::tempdir().expect("tmp");
        let cache = Cache::at(dir.path());
        let tar = vec![7u8; 10_000];
        let (a, hit) = cache.layer(&tar, Compression::Gzip).expect("layer");
        assert!(!hit);
        let (b, hit) = cache.layer(&tar, Compression::Gzip).expect("layer");
        assert!(hit);
        assert_eq!(a.digest, b.digest);
        assert_eq!(a.blob, b.blob);
        // Flip a byte in the cached blob: it must not be served.
        let blob_path = dir.path().join("layers").join(format!(
            "{}.{}",
            a.diff_id.hex(),
            Compression::Gzip.cache_id()
        ));
        let mut bytes = std::fs::read(&blob_path).expect("read");
        bytes[20] ^= 0xff;
        std::fs::write(&blob_path, bytes).expect("write");
        let (c, hit) = cache.layer(&tar, Compression::Gzip).expect("layer");
        assert!(!hit);
        assert_eq!(c.digest, a.digest);
        // Entries were staged in the cache's .tmp/, which nothing is left in.
        let staged = std::fs::read_dir(dir.path().join(".tmp")).map(|d| d.count());
        assert_eq!(staged.ok(), Some(0));
        let mut layers: Vec<_> = std::fs::read_dir(dir.path().join("layers"))
            .expect("layers")
            .map(|e| e.expect("entry").file_name())
            .collect();
        layers.sort();
        assert_eq!(layers.len(), 2, "{layers:?}");
    }
}
