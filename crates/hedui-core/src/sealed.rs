//! What the store keeps in place of personal data: sealed values (ciphertext bound to their row)
//! and blind indexes (keyed digests to find equal values). Neither can be made from a plain value
//! by accident: a sealed value comes only from the key provider's ciphertext or from the store
//! reading one back, so the compiler, not a reviewer, keeps a raw ID number out of a sealed
//! column. Their `Debug` shows sizes and digests, never content.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A value sealed (SM4) for its place; opened only by the key provider.
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sealed(Vec<u8>);

impl Sealed {
    /// Ciphertext the key provider produced, or the store read back from a sealed column.
    pub fn from_ciphertext(bytes: Vec<u8>) -> Sealed {
        Sealed(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Reading the ciphertext is harmless (storing it, digesting it); making one is what is guarded.
impl std::ops::Deref for Sealed {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq<Vec<u8>> for Sealed {
    fn eq(&self, other: &Vec<u8>) -> bool {
        &self.0 == other
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed({} bytes)", self.0.len())
    }
}

/// A blind index: a keyed HMAC-SM3 of a normalized value (an ID number, a name), 32 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct BlindIndex([u8; 32]);

impl BlindIndex {
    /// An index the key provider computed.
    pub fn from_digest(digest: [u8; 32]) -> BlindIndex {
        BlindIndex(digest)
    }

    /// An index read back from the store; `None` unless it is 32 bytes.
    pub fn from_stored(bytes: &[u8]) -> Option<BlindIndex> {
        bytes.try_into().ok().map(BlindIndex)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl std::ops::Deref for BlindIndex {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq<Vec<u8>> for BlindIndex {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.0.as_slice() == other.as_slice()
    }
}

impl fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlindIndex({:02x}{:02x}{:02x}{:02x}…)", self.0[0], self.0[1], self.0[2], self.0[3])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_content() {
        let s = Sealed::from_ciphertext(b"320402199001011234".to_vec());
        assert_eq!(format!("{s:?}"), "Sealed(18 bytes)");
        let b = BlindIndex::from_digest([0xab; 32]);
        assert_eq!(format!("{b:?}"), "BlindIndex(abababab…)");
        assert_eq!(BlindIndex::from_stored(&[0xab; 32]), Some(b));
        assert_eq!(BlindIndex::from_stored(&[0xab; 31]), None);
    }
}
