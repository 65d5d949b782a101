//! Key epochs: the master keys a node holds at once, and what it keeps of retired ones.
//!
//! A key file holds one master key a line, each with its epoch (`2 <64 hex>`); a file of the
//! first release holds one bare key, which is epoch 1. The newest epoch in the file is current:
//! new values are sealed and indexed under it. An older epoch is in the file only while a
//! rotation re-seals the database; values sealed under it still open, and lookups also try its
//! blind indexes. Once a rotation is done the old master key leaves the file, and the node keeps
//! only that epoch's index key, sealed in the database under the current key: it checks the
//! audit chain's MACs and the password verifiers made under that epoch, and the digests that
//! identify rows across snapshots ([`KeyProvider::stable_index`]). It opens no sealed value.

use std::collections::BTreeMap;
use std::sync::RwLock;

use hmac::digest::KeyInit;

use crate::{CryptoError, HmacSm3, KeyProvider, Place, SoftKeys, decode_hex, index_with, sealed_epoch};

/// The master keys of a node by epoch, and the index keys of retired epochs.
pub struct KeyRing {
    /// Every epoch in the key file; the last is current.
    held: BTreeMap<u8, SoftKeys>,
    /// Index keys of retired epochs, loaded from the database.
    retained: RwLock<BTreeMap<u8, HmacSm3>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").field("epochs", &self.epochs()).finish_non_exhaustive()
    }
}

impl KeyRing {
    /// A ring of one key.
    pub fn single(keys: SoftKeys) -> KeyRing {
        KeyRing { held: BTreeMap::from([(keys.epoch(), keys)]), retained: RwLock::default() }
    }

    /// Parses a key file: one bare key (epoch 1), or lines `<epoch> <64 hex>`; blank lines and
    /// lines starting with `#` are skipped.
    pub fn parse(text: &str) -> Result<KeyRing, CryptoError> {
        let mut held = BTreeMap::new();
        for (epoch, hex) in file_keys(text)? {
            held.insert(epoch, SoftKeys::from_hex_epoch(&hex, epoch)?);
        }
        Ok(KeyRing { held, retained: RwLock::default() })
    }

    /// The text of a key file holding `keys` (epoch, hex), oldest first.
    pub fn file_text(keys: &[(u8, &str)]) -> String {
        let mut s = String::from("# hedui 主密钥：每行一个纪元，最新的一行是当前密钥。轮换完成前不要删除旧的一行。\n");
        for (epoch, hex) in keys {
            s.push_str(&format!("{epoch} {}\n", hex.trim()));
        }
        s
    }

    /// The epochs in the key file, oldest first.
    pub fn epochs(&self) -> Vec<u8> {
        self.held.keys().copied().collect()
    }

    fn current(&self) -> &SoftKeys {
        // parse and single never build an empty ring.
        self.held.values().next_back().unwrap_or_else(|| unreachable!("a key ring holds a key"))
    }

    /// The keys of one epoch in the file.
    pub fn held(&self, epoch: u8) -> Option<&SoftKeys> {
        self.held.get(&epoch)
    }

    /// Keeps the index key of a retired epoch (opened from the database).
    pub fn retain(&self, epoch: u8, index_key: &[u8; 32]) {
        let mac = <HmacSm3 as KeyInit>::new_from_slice(index_key).unwrap_or_else(|_| unreachable!("HMAC key"));
        if let Ok(mut r) = self.retained.write() {
            r.insert(epoch, mac);
        }
    }

    /// The retired epochs whose index keys are kept.
    pub fn retained_epochs(&self) -> Vec<u8> {
        self.retained.read().map(|r| r.keys().copied().collect()).unwrap_or_default()
    }
}

impl KeyProvider for KeyRing {
    fn seal(&self, place: &Place, period: u32, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.current().seal(place, period, plaintext)
    }

    fn open(&self, place: &Place, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match sealed_epoch(sealed) {
            Some(e) => self.held.get(&e).ok_or(CryptoError::UnknownKey(e))?.open(place, sealed),
            None => self.current().open(place, sealed),
        }
    }

    fn open_legacy(&self, label: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.held.get(&1).unwrap_or(self.current()).open_legacy(label, sealed)
    }

    fn blind_index(&self, domain: &[u8], value: &[u8]) -> [u8; 32] {
        self.current().blind_index(domain, value)
    }

    fn fingerprint(&self) -> String {
        self.current().fingerprint()
    }

    fn epoch(&self) -> u8 {
        self.current().epoch()
    }

    fn blind_index_in(&self, epoch: u8, domain: &[u8], value: &[u8]) -> Option<[u8; 32]> {
        if let Some(k) = self.held.get(&epoch) {
            return Some(k.blind_index(domain, value));
        }
        let r = self.retained.read().ok()?;
        r.get(&epoch).map(|mac| index_with(mac, domain, value))
    }

    fn index_epochs(&self) -> Vec<u8> {
        self.held.keys().rev().copied().collect()
    }

    fn stable_index(&self, domain: &[u8], value: &[u8]) -> [u8; 32] {
        let oldest_retained = self.retained.read().ok().and_then(|r| r.keys().next().copied());
        let oldest_held = self.held.keys().next().copied();
        let origin = match (oldest_retained, oldest_held) {
            (Some(r), Some(h)) => r.min(h),
            (r, h) => r.or(h).unwrap_or(1),
        };
        self.blind_index_in(origin, domain, value).unwrap_or_else(|| self.blind_index(domain, value))
    }

    fn index_key(&self, epoch: u8) -> Option<zeroize::Zeroizing<[u8; 32]>> {
        self.held.get(&epoch)?.index_key(epoch)
    }

    fn fingerprint_in(&self, epoch: u8) -> Option<String> {
        self.held.get(&epoch).map(KeyProvider::fingerprint)
    }

    fn retain_index_key(&self, epoch: u8, key: &[u8; 32]) -> bool {
        self.retain(epoch, key);
        true
    }
}

/// A key file's master keys by epoch, oldest first, each checked (rotation rewrites the file).
pub fn file_keys(text: &str) -> Result<Vec<(u8, String)>, CryptoError> {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    if let [one] = lines.as_slice()
        && !one.contains(char::is_whitespace)
    {
        SoftKeys::from_hex(one)?;
        return Ok(vec![(1, one.to_string())]);
    }
    let mut keys: BTreeMap<u8, String> = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let bad = || CryptoError::KeyFile(format!("第 {} 行应为“纪元 主密钥”（如 2 和 64 位十六进制字符）", i + 1));
        let (epoch, hex) = line.split_once(char::is_whitespace).ok_or_else(bad)?;
        let epoch: u8 = epoch.parse().ok().filter(|e| *e > 0).ok_or_else(bad)?;
        let hex = hex.trim();
        if decode_hex(hex).is_none_or(|k| k.len() != 32) {
            return Err(bad());
        }
        if keys.insert(epoch, hex.to_string()).is_some() {
            return Err(CryptoError::KeyFile(format!("纪元 {epoch} 出现了两次")));
        }
    }
    if keys.is_empty() {
        return Err(CryptoError::KeyFile("没有主密钥".into()));
    }
    Ok(keys.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "0707070707070707070707070707070707070707070707070707070707070707";
    const K2: &str = "0808080808080808080808080808080808080808080808080808080808080808";

    fn place() -> Place {
        Place::new("person", "id_enc", "bidx=00")
    }

    #[test]
    fn a_bare_key_is_epoch_one_and_lines_carry_their_epochs() {
        let one = KeyRing::parse(K1).unwrap();
        assert_eq!((one.epochs(), one.epoch()), (vec![1], 1));
        let two = KeyRing::parse(&KeyRing::file_text(&[(1, K1), (2, K2)])).unwrap();
        assert_eq!((two.epochs(), two.epoch(), two.index_epochs()), (vec![1, 2], 2, vec![2, 1]));
        assert_eq!(two.fingerprint(), SoftKeys::from_hex(K2).unwrap().fingerprint());
        assert_eq!(file_keys(&KeyRing::file_text(&[(1, K1), (2, K2)])).unwrap(), vec![(1, K1.into()), (2, K2.into())]);
        for bad in ["1 abc".to_string(), format!("x {K1}"), format!("0 {K1}"), format!("1 {K1}\n1 {K2}"), String::new()]
        {
            assert!(matches!(KeyRing::parse(&bad), Err(CryptoError::KeyFile(_))), "{bad}");
        }
    }

    #[test]
    fn values_open_under_the_epoch_that_sealed_them() {
        let old = KeyRing::parse(K1).unwrap();
        let sealed_old = old.seal(&place(), 202612, b"110101").unwrap();
        let both = KeyRing::parse(&KeyRing::file_text(&[(1, K1), (2, K2)])).unwrap();
        let sealed_new = both.seal(&place(), 202612, b"110101").unwrap();
        assert_eq!((sealed_epoch(&sealed_old), sealed_epoch(&sealed_new)), (Some(1), Some(2)));
        assert_eq!(both.open(&place(), &sealed_old).unwrap(), b"110101");
        assert_eq!(both.open(&place(), &sealed_new).unwrap(), b"110101");
        let new_only = KeyRing::parse(&KeyRing::file_text(&[(2, K2)])).unwrap();
        assert_eq!(new_only.open(&place(), &sealed_old), Err(CryptoError::UnknownKey(1)));
        assert!(old.open(&place(), &sealed_new).is_err());
        // The same master key under another epoch number opens nothing of the first.
        let relabelled = KeyRing::parse(&format!("3 {K1}")).unwrap();
        assert!(relabelled.open(&place(), &sealed_old).is_err());
    }

    #[test]
    fn a_retired_epoch_keeps_only_its_index_key() {
        let old = KeyRing::parse(K1).unwrap();
        let idx = old.index_key(1).unwrap();
        assert!(old.index_key(2).is_none());
        let new_only = KeyRing::parse(&format!("2 {K2}")).unwrap();
        assert_eq!(new_only.blind_index_in(1, b"audit-chain", b"row"), None);
        new_only.retain(1, &idx);
        assert_eq!(new_only.retained_epochs(), vec![1]);
        assert_eq!(new_only.blind_index_in(1, b"audit-chain", b"row"), Some(old.blind_index(b"audit-chain", b"row")));
        // Row digests stay under the first epoch; blind indexes move to the current one.
        assert_eq!(new_only.stable_index(b"row", b"r"), old.blind_index(b"row", b"r"));
        assert_ne!(new_only.blind_index(b"id", b"1"), old.blind_index(b"id", b"1"));
        assert_eq!(new_only.index_epochs(), vec![2]);
    }
}
