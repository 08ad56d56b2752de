//! Content digests (`sha256:<hex>`) and a writer that hashes what passes
//! through it, so blobs are verified while they are written, not after.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use sha2::{Digest as _, Sha256, Sha512};

use crate::Error;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: String,
    hex: String,
}

impl Digest {
    pub fn sha256(bytes: &[u8]) -> Digest {
        Digest {
            algorithm: "sha256".into(),
            hex: hex::encode(Sha256::digest(bytes)),
        }
    }

    pub fn from_sha256_hex(hex: &str) -> Result<Digest, Error> {
        format!("sha256:{hex}").parse()
    }

    pub fn algorithm(&self) -> &str {
        &self.algorithm
    }

    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The same algorithm applied to `bytes` gives this digest.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        match self.algorithm.as_str() {
            "sha256" => hex::encode(Sha256::digest(bytes)) == self.hex,
            "sha512" => hex::encode(Sha512::digest(bytes)) == self.hex,
            _ => false,
        }
    }
}

/// Hashes bytes with a digest's algorithm (sha256 or sha512, the two
/// [`Digest`] parses), for readers that verify a blob as it streams.
pub enum DigestHasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl DigestHasher {
    pub fn for_digest(d: &Digest) -> DigestHasher {
        if d.algorithm() == "sha512" {
            DigestHasher::Sha512(Sha512::new())
        } else {
            DigestHasher::Sha256(Sha256::new())
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            DigestHasher::Sha256(h) => h.update(bytes),
            DigestHasher::Sha512(h) => h.update(bytes),
        }
    }

    /// `ALGORITHM:HEX` of what was hashed so far; resets the hasher.
    pub fn finish(&mut self) -> String {
        match self {
            DigestHasher::Sha256(h) => format!("sha256:{}", hex::encode(h.finalize_reset())),
            DigestHasher::Sha512(h) => format!("sha512:{}", hex::encode(h.finalize_reset())),
        }
    }
}

impl FromStr for Digest {
    type Err = Error;

    fn from_str(s: &str) -> Result<Digest, Error> {
        let err = |detail| Error::InvalidDigest {
            value: s.chars().take(200).collect(),
            detail,
        };
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| err("expected ALGORITHM:HEX"))?;
        let len = match alg {
            "sha256" => 64,
            "sha512" => 128,
            _ => return Err(err("unsupported algorithm (sha256 and sha512 are)")),
        };
        if hex.len() != len
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(err(
                "the hex part must be lower-case hexadecimal of the algorithm's length",
            ));
        }
        Ok(Digest {
            algorithm: alg.into(),
            hex: hex.into(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Hashes (sha256) and counts the bytes written through it.
pub struct Sha256Writer<W: Write> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> Sha256Writer<W> {
    pub fn new(inner: W) -> Self {
        Sha256Writer {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    pub fn finish(self) -> (W, Digest, u64) {
        let digest = Digest {
            algorithm: "sha256".into(),
            hex: hex::encode(self.hasher.finalize()),
        };
        (self.inner, digest, self.count)
    }
}

impl<W: Write> Write for Sha256Writer<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_format() {
        let d = Digest::sha256(b"");
        assert_eq!(
            d.to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(d.to_string().parse::<Digest>().expect("parses"), d);
        for bad in [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "sha256:abc",
            "md5:d41d8cd98f00b204e9800998ecf8427e",
            "sha256:../../../../etc/passwd0000000000000000000000000000000000000000",
        ] {
            assert!(bad.parse::<Digest>().is_err(), "{bad}");
        }
    }

    #[test]
    fn writer_hashes_what_it_writes() {
        let mut w = Sha256Writer::new(Vec::new());
        w.write_all(b"hello ").expect("write");
        w.write_all(b"world").expect("write");
        let (buf, d, n) = w.finish();
        assert_eq!(buf, b"hello world");
        assert_eq!(n, 11);
        assert_eq!(d, Digest::sha256(b"hello world"));
        assert!(d.matches(b"hello world"));
    }
}
