//! Content hashes: 32-byte blake3 digests, printed as 64 lowercase hex digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The blake3 digest of some bytes; the name of a blob and of a stage key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContentHash([u8; 32]);

impl ContentHash {
    /// Hashes `bytes` (multi-threaded for large inputs; the digest does not depend on it).
    pub fn of(bytes: &[u8]) -> Self {
        let mut hasher = blake3::Hasher::new();
        if bytes.len() > 1 << 20 {
            hasher.update_rayon(bytes);
        } else {
            hasher.update(bytes);
        }
        Self(*hasher.finalize().as_bytes())
    }

    /// Wraps a finished blake3 digest.
    pub fn from_blake3(hash: blake3::Hash) -> Self {
        Self(*hash.as_bytes())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The full 64-digit hex form.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The first 12 hex digits, for humans.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..6])
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({})", self.short())
    }
}

/// A string that is not 64 hex digits.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a content hash (64 hex digits)")]
pub struct HashParseError(String);

impl FromStr for ContentHash {
    type Err = HashParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| HashParseError(s.to_owned()))?;
        Ok(Self(out))
    }
}

impl Serialize for ContentHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ContentHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let h = ContentHash::of(b"abc");
        assert_eq!(h.to_hex().parse::<ContentHash>().unwrap(), h);
        assert_eq!(h.short().len(), 12);
        assert!("xyz".parse::<ContentHash>().is_err());
    }

    #[test]
    fn large_and_small_inputs_hash_like_blake3() {
        let big = vec![7u8; 3 << 20];
        assert_eq!(ContentHash::of(&big).as_bytes(), blake3::hash(&big).as_bytes());
        assert_eq!(ContentHash::of(b"x").as_bytes(), blake3::hash(b"x").as_bytes());
    }
}
