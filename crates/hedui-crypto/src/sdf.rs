//! A key provider over a cryptographic module with the GM/T 0018 (SDF) interface, so that a
//! deployment with a certified module keeps its root keys in hardware. The module holds two
//! 32-byte keys at the indices a deployment configures: the sealing root and the master key (for
//! the blind-index, legacy and fingerprint keys). hedui asks the module for HMAC-SM3 under those
//! keys (the 2023 edition's `SDF_HMACInit/Update/Final` with an internal key) and for random bytes
//! (`SDF_GenerateRandom`); the roots never leave it. The working keys derived from them (one per
//! table, column and month, as with [`SoftKeys`](crate::SoftKeys)) are computed by the module and cached in memory.
//!
//! Loaded with `seal root = HMAC-SM3(master, "hedui/sm4-gcm/v2")` and the master itself, a module
//! gives exactly what [`SoftKeys`](crate::SoftKeys) gives for that master: a node moves its keys into a module
//! without re-sealing anything. A vendor's module is reached through its own library by an
//! implementation of [`SdfDevice`]; [`SoftSdf`] is the reference implementation, in memory, for
//! tests and for trying the interface.

use std::collections::HashMap;
use std::sync::Arc;

use hmac::{KeyInit, Mac};

use crate::{
    CryptoError, HmacSm3, KeyCache, KeyProvider, Nonces, Place, Sm4Gcm, derive, encode_hex, gcm, index_with, key_label,
    open_legacy_with, open_with, seal_with,
};

/// A module's failure (its SDF error code), or an index that holds no key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdfError {
    #[error("密码模块返回错误 0x{0:08x}")]
    Device(u32),
    #[error("密码模块的第 {0} 号密钥不存在")]
    NoKey(u32),
}

/// The part of GM/T 0018 hedui uses. Implementations must be safe to share between threads.
pub trait SdfDevice: Send + Sync {
    /// `SDF_GenerateRandom`: fills `out` from the module's random number generator.
    fn generate_random(&self, out: &mut [u8]) -> Result<(), SdfError>;
    /// HMAC-SM3 of `data` under the module's internal key `index`; the key never leaves the module.
    fn hmac_sm3(&self, index: u32, data: &[u8]) -> Result<[u8; 32], SdfError>;
}

/// Where the module holds hedui's two keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyIndices {
    /// The sealing root: every table's, column's and month's key is derived under it.
    pub seal_root: u32,
    /// The master key: the blind-index, legacy and fingerprint keys are derived under it.
    pub master: u32,
}

/// [`KeyProvider`] over a module.
pub struct SdfKeys<D: SdfDevice> {
    device: D,
    indices: KeyIndices,
    key_id: u8,
    index_mac: HmacSm3,
    legacy: Sm4Gcm,
    fingerprint: String,
    derived: KeyCache,
    nonces: Nonces,
}

impl<D: SdfDevice> std::fmt::Debug for SdfKeys<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SdfKeys").field("fingerprint", &self.fingerprint).finish_non_exhaustive()
    }
}

impl<D: SdfDevice> SdfKeys<D> {
    /// Opens the provider over `device`, whose keys are at `indices`: fails when the module does
    /// not answer or holds no key there.
    pub fn open(device: D, indices: KeyIndices) -> Result<SdfKeys<D>, CryptoError> {
        let mut idx = device.hmac_sm3(indices.master, b"hedui/blind-index/v1").map_err(device_err)?;
        let fp = device.hmac_sm3(indices.master, b"hedui/key-fingerprint/v1").map_err(device_err)?;
        let mut legacy = device.hmac_sm3(indices.master, b"hedui/sm4-gcm/v1").map_err(device_err)?;
        let mut seed = [0u8; 12];
        device.generate_random(&mut seed).map_err(device_err)?;
        let keys = SdfKeys {
            device,
            indices,
            key_id: 1,
            index_mac: <HmacSm3 as KeyInit>::new_from_slice(&idx).map_err(|_| CryptoError::Format)?,
            legacy: gcm(&legacy),
            fingerprint: encode_hex(&fp[..8]),
            derived: KeyCache::default(),
            nonces: Nonces::new(seed),
        };
        zeroize::Zeroize::zeroize(&mut idx);
        zeroize::Zeroize::zeroize(&mut legacy);
        Ok(keys)
    }

    /// The key of one table, column and period, computed by the module once and kept.
    fn key_for(&self, place: &Place, period: u32) -> Result<Arc<Sm4Gcm>, CryptoError> {
        self.derived.get_or(place, period, || {
            self.device.hmac_sm3(self.indices.seal_root, &key_label(place, period)).map_err(device_err)
        })
    }
}

fn device_err(e: SdfError) -> CryptoError {
    CryptoError::Device(e.to_string())
}

impl<D: SdfDevice> KeyProvider for SdfKeys<D> {
    fn seal(&self, place: &Place, period: u32, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        seal_with(self.key_for(place, period)?.as_ref(), self.key_id, period, self.nonces.next(), place, plaintext)
    }

    fn open(&self, place: &Place, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        open_with(|period| self.key_for(place, period), self.key_id, place, sealed)
    }

    fn open_legacy(&self, label: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        open_legacy_with(&self.legacy, self.key_id, label, sealed)
    }

    fn blind_index(&self, domain: &[u8], value: &[u8]) -> [u8; 32] {
        index_with(&self.index_mac, domain, value)
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }
}

/// A module in memory: keys at indices, used only inside it (for tests and for trying the
/// interface; never a production key store).
pub struct SoftSdf {
    keys: HashMap<u32, [u8; 32]>,
}

impl SoftSdf {
    /// A module holding the keys a [`SoftKeys`](crate::SoftKeys) master gives, at `indices`: what importing a
    /// node's master into a module amounts to.
    pub fn from_master(master: &[u8; 32], indices: KeyIndices) -> SoftSdf {
        let keys = HashMap::from([(indices.seal_root, derive(master, b"hedui/sm4-gcm/v2")), (indices.master, *master)]);
        SoftSdf { keys }
    }
}

impl Drop for SoftSdf {
    fn drop(&mut self) {
        for k in self.keys.values_mut() {
            zeroize::Zeroize::zeroize(k);
        }
    }
}

impl SdfDevice for SoftSdf {
    fn generate_random(&self, out: &mut [u8]) -> Result<(), SdfError> {
        // SDR_RANDERR (0x01000017) when the system's randomness is unavailable.
        getrandom::fill(out).map_err(|_| SdfError::Device(0x0100_0017))
    }

    fn hmac_sm3(&self, index: u32, data: &[u8]) -> Result<[u8; 32], SdfError> {
        let key = self.keys.get(&index).ok_or(SdfError::NoKey(index))?;
        let mut mac = <HmacSm3 as KeyInit>::new_from_slice(key).map_err(|_| SdfError::Device(0x0100_0001))?;
        mac.update(data);
        Ok(mac.finalize().into_bytes().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SoftKeys;

    const AT: KeyIndices = KeyIndices { seal_root: 3, master: 4 };

    fn place(row: &str) -> Place {
        Place::new("person", "id_enc", row)
    }

    #[test]
    fn a_module_loaded_with_a_nodes_keys_reads_and_writes_what_the_software_keys_do() {
        let master = [7u8; 32];
        let soft = SoftKeys::from_master(&master).unwrap();
        let module = SdfKeys::open(SoftSdf::from_master(&master, AT), AT).unwrap();
        assert_eq!(module.fingerprint(), soft.fingerprint());
        assert_eq!(module.blind_index(b"id", b"320402199001011234"), soft.blind_index(b"id", b"320402199001011234"));
        let by_soft = soft.seal(&place("7"), 202612, b"320402199001011234").unwrap();
        assert_eq!(module.open(&place("7"), &by_soft).unwrap(), b"320402199001011234");
        let by_module = module.seal(&place("8"), 202612, b"secret").unwrap();
        assert_eq!(soft.open(&place("8"), &by_module).unwrap(), b"secret");
        // Bound to its row under the module too.
        assert!(matches!(module.open(&place("9"), &by_module), Err(CryptoError::Misplaced { .. })));
    }

    #[test]
    fn another_modules_keys_open_nothing_and_a_missing_key_is_refused() {
        let module = SdfKeys::open(SoftSdf::from_master(&[7u8; 32], AT), AT).unwrap();
        let other = SdfKeys::open(SoftSdf::from_master(&[8u8; 32], AT), AT).unwrap();
        let sealed = module.seal(&place("1"), 202612, b"x").unwrap();
        assert!(other.open(&place("1"), &sealed).is_err());
        assert_ne!(module.fingerprint(), other.fingerprint());
        let wrong = KeyIndices { seal_root: 3, master: 99 };
        let err = SdfKeys::open(SoftSdf::from_master(&[7u8; 32], AT), wrong).unwrap_err();
        assert_eq!(err, CryptoError::Device("密码模块的第 99 号密钥不存在".into()));
    }
}
