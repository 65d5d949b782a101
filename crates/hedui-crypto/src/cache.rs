//! The working keys a provider derives, kept once derived, and the nonces it seals with.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::{KeySlot, NONCE_LEN, Place, Sm4Gcm, gcm};

/// The working keys of a provider, one per table, column and period, derived once and kept.
#[derive(Default)]
pub(crate) struct KeyCache(RwLock<HashMap<KeySlot, Arc<Sm4Gcm>>>);

impl KeyCache {
    /// The cached cipher for `place` and `period`, or the one `derive`'s key gives (then kept).
    pub(crate) fn get_or<E>(
        &self,
        place: &Place,
        period: u32,
        derive: impl FnOnce() -> Result<[u8; 32], E>,
    ) -> Result<Arc<Sm4Gcm>, E> {
        let k = (place.table, place.column, period);
        if let Some(c) = self.0.read().ok().and_then(|m| m.get(&k).cloned()) {
            return Ok(c);
        }
        let mut key = derive()?;
        let c = Arc::new(gcm(&key));
        zeroize::Zeroize::zeroize(&mut key);
        if let Ok(mut m) = self.0.write() {
            m.insert(k, c.clone());
        }
        Ok(c)
    }
}

/// Nonces are a random 32-bit prefix and a 64-bit counter that starts at a random value, both
/// drawn from randomness when the keys are loaded (never from the clock): unique within a process,
/// and two processes under the same key collide only if both random draws coincide. It saves a
/// system call per sealed value.
pub(crate) struct Nonces {
    prefix: [u8; 4],
    counter: AtomicU64,
}

impl Nonces {
    pub(crate) fn new(seed: [u8; 12]) -> Nonces {
        let mut start = [0u8; 8];
        start.copy_from_slice(&seed[4..]);
        Nonces { prefix: [seed[0], seed[1], seed[2], seed[3]], counter: AtomicU64::new(u64::from_le_bytes(start)) }
    }

    pub(crate) fn next(&self) -> [u8; NONCE_LEN] {
        let mut nonce = [0u8; NONCE_LEN];
        nonce[..4].copy_from_slice(&self.prefix);
        nonce[4..].copy_from_slice(&self.counter.fetch_add(1, Ordering::Relaxed).to_be_bytes());
        nonce
    }
}
