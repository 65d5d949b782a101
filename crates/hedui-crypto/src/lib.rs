//! 国密 cryptography for hedui, behind a key-provider trait.
//!
//! * Identifiers and other personal fields are stored only as SM4-GCM
//!   ciphertext (the RFC 8998 construction: GCM over SM4, 12-byte nonces),
//!   bound by associated data to their [`Place`]: the table, the column and
//!   the row they belong to. A ciphertext copied to another row, or another
//!   column, fails to open, and the error names the row. The block cipher is
//!   [`Sm4T`], a table-driven SM4 checked against the `sm4` crate.
//! * Each table, column and period (a month) has its own SM4 key, derived from
//!   the master secret with HMAC-SM3, so that no key seals more values than
//!   random 96-bit nonces allow (see ARCHITECTURE.md: at most 2³² per key).
//! * Lookups by ID number use a blind index: HMAC-SM3 of the normalized value
//!   under a separate key, so the database never needs the raw number.
//! * [`KeyProvider`] hides where keys live. [`SoftKeys`] derives them from a
//!   master secret for development and tests; a certified hardware module
//!   (GM/T 0018 SDF) can implement the same trait in production.

use std::sync::Arc;

use aes_gcm::aead::{Aead, AeadInOut, KeyInit, Payload};
use aes_gcm::{AesGcm, Nonce};
use hmac::{Hmac, Mac};
use sm3::{Digest, Sm3};
use sm4::cipher::consts::U12;

mod cache;
pub mod otp;
pub mod ring;
pub mod sdf;
pub mod shares;
mod sm4t;
pub(crate) use cache::{KeyCache, Nonces};
pub use sm4t::Sm4T;

type Sm4Gcm = AesGcm<Sm4T, U12>;
type HmacSm3 = Hmac<Sm3>;

/// Format of the first release: one key for everything, a constant label as associated data.
/// Only [`KeyProvider::open_legacy`] reads it, to re-seal old values in place.
const SEALED_V1: u8 = 1;
/// The current format: `2, key id, period (4 bytes), nonce, ciphertext, tag`, bound to its place.
const SEALED_V2: u8 = 2;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const V2_HEAD: usize = 2 + 4 + NONCE_LEN;

/// Where a sealed value lives. Its bytes are the associated data of the seal, so a ciphertext
/// opens only in the table, column and row it was sealed for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub table: &'static str,
    pub column: &'static str,
    /// The row's identity as the application names it: `job=42/version=1`,
    /// `household=H000001/member=2` …
    pub row: String,
}

impl Place {
    pub fn new(table: &'static str, column: &'static str, row: impl Into<String>) -> Place {
        Place { table, column, row: row.into() }
    }

    fn aad(&self, key_id: u8, period: u32) -> Vec<u8> {
        let mut a = Vec::with_capacity(24 + self.table.len() + self.column.len() + self.row.len());
        a.extend_from_slice(b"hedui/sealed/v2\0");
        a.push(key_id);
        a.extend_from_slice(&period.to_be_bytes());
        a.extend_from_slice(self.table.as_bytes());
        a.push(b'.');
        a.extend_from_slice(self.column.as_bytes());
        a.push(0);
        a.extend_from_slice(self.row.as_bytes());
        a
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}（{}）", self.table, self.column, self.row)
    }
}

/// Failures of the cryptographic layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("密文格式错误或版本不支持")]
    Format,
    /// A value sealed in the first release's format, not yet re-sealed to its row.
    #[error("{0} 仍是旧格式的密文：请先运行 hedui migrate")]
    Legacy(String),
    #[error("{place} 的密文无法打开：它不是为这一行加密的（被移到了别的行，或被篡改）")]
    Misplaced { place: String },
    #[error("密文校验失败：数据被篡改，或密钥不匹配")]
    Authentication,
    #[error("密钥编号 {0} 不可用")]
    UnknownKey(u8),
    #[error("系统随机数不可用，拒绝加密（加密从不以时钟代替随机数）")]
    Random,
    #[error("主密钥格式错误：应为 64 位十六进制字符")]
    MasterKey,
    /// A key file that is not one key or lines of `epoch key`.
    #[error("主密钥文件格式错误：{0}")]
    KeyFile(String),
    /// The cryptographic module failed or lacks a key.
    #[error("密码模块：{0}")]
    Device(String),
}

/// Where hedui's keys live. Implementations must be safe to share between threads.
pub trait KeyProvider: Send + Sync {
    /// Encrypts `plaintext` for `place` under the key of its table, column and `period` (a month
    /// as `YYYYMM`, or a snapshot's month).
    fn seal(&self, place: &Place, period: u32, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError>;
    /// Decrypts a value sealed for `place`; a value sealed for any other place fails with an
    /// error that names `place`.
    fn open(&self, place: &Place, sealed: &[u8]) -> Result<Vec<u8>, CryptoError>;
    /// Decrypts a value of the first release's format, sealed under `label`; only the migration
    /// that re-seals such values calls it.
    fn open_legacy(&self, label: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError>;
    /// Keyed, deterministic index of `value` within `domain` (HMAC-SM3, 32 bytes).
    fn blind_index(&self, domain: &[u8], value: &[u8]) -> [u8; 32];
    /// A public name of the master key (16 hex characters) that reveals nothing of it: the
    /// database records it, and refuses any other key.
    fn fingerprint(&self) -> String;

    /// The key epoch new values are sealed and indexed under (the key id in a sealed value).
    fn epoch(&self) -> u8 {
        1
    }
    /// The blind index of `value` under the index key of `epoch`, if this provider still holds
    /// that epoch's index key (the audit chain's MACs and password verifiers of an earlier epoch).
    fn blind_index_in(&self, epoch: u8, domain: &[u8], value: &[u8]) -> Option<[u8; 32]> {
        (epoch == self.epoch()).then(|| self.blind_index(domain, value))
    }
    /// The epochs whose blind indexes may still be stored for lookups: the current epoch, and
    /// while a rotation re-derives them, the epoch it moves from.
    fn index_epochs(&self) -> Vec<u8> {
        vec![self.epoch()]
    }
    /// A keyed digest that outlives rotations: item keys and row digests, which identify rows
    /// across snapshots, stay under the index key of the first epoch.
    fn stable_index(&self, domain: &[u8], value: &[u8]) -> [u8; 32] {
        self.blind_index(domain, value)
    }
    /// The index key of `epoch`, for a rotation to keep (sealed under the next master key) when
    /// that epoch's master key is retired. A hardware module never gives it out.
    fn index_key(&self, epoch: u8) -> Option<zeroize::Zeroizing<[u8; 32]>> {
        let _ = epoch;
        None
    }
    /// The fingerprint of the master key of `epoch`, if this provider holds it.
    fn fingerprint_in(&self, epoch: u8) -> Option<String> {
        (epoch == self.epoch()).then(|| self.fingerprint())
    }
    /// Keeps the index key of a retired epoch, opened from the database; `false` where the
    /// provider cannot keep one.
    fn retain_index_key(&self, epoch: u8, key: &[u8; 32]) -> bool {
        let _ = (epoch, key);
        false
    }
}

/// The key period (month) a stored value was sealed under, if it is in the current format.
pub fn sealed_period(sealed: &[u8]) -> Option<u32> {
    sealed_epoch(sealed).map(|_| u32::from_be_bytes([sealed[2], sealed[3], sealed[4], sealed[5]]))
}

/// The key epoch a stored value was sealed under (its key id), if it is in the current format.
pub fn sealed_epoch(sealed: &[u8]) -> Option<u8> {
    (sealed.len() >= V2_HEAD + TAG_LEN && sealed[0] == SEALED_V2).then(|| sealed[1])
}

/// Whether a stored value is in the first release's format (to be re-sealed by the migration).
pub fn is_legacy(sealed: &[u8]) -> bool {
    sealed.first() == Some(&SEALED_V1)
}

/// One derived key's table, column and period.
type KeySlot = (&'static str, &'static str, u32);

/// Software keys derived from one 32-byte master secret.
pub struct SoftKeys {
    key_id: u8,
    /// The index key, kept for a rotation to retain it.
    idx: zeroize::Zeroizing<[u8; 32]>,
    /// Root of the per-place encryption keys.
    enc_root: [u8; 32],
    /// The first release's single encryption key, for reading old values only.
    legacy: Sm4Gcm,
    index_mac: HmacSm3,
    fingerprint: String,
    /// Derived keys by (table, column, period).
    derived: KeyCache,
    nonces: Nonces,
}

impl std::fmt::Debug for SoftKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("SoftKeys").field("fingerprint", &self.fingerprint).finish_non_exhaustive()
    }
}

/// What the key of a table, column and period is derived for, under the sealing root.
fn key_label(place: &Place, period: u32) -> Vec<u8> {
    let mut label = Vec::with_capacity(8 + place.table.len() + place.column.len());
    label.extend_from_slice(place.table.as_bytes());
    label.push(b'.');
    label.extend_from_slice(place.column.as_bytes());
    label.push(0);
    label.extend_from_slice(&period.to_be_bytes());
    label
}

/// HMAC-SM3 of `label` under `key`: the key-derivation function of every hedui key.
fn derive(key: &[u8], label: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSm3 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable_hmac());
    mac.update(label);
    mac.finalize().into_bytes().into()
}

// HMAC accepts keys of any length, so construction cannot fail.
fn unreachable_hmac() -> HmacSm3 {
    unreachable!("HMAC takes keys of any length")
}

fn gcm(key: &[u8; 32]) -> Sm4Gcm {
    Sm4Gcm::new_from_slice(&key[..16]).unwrap_or_else(|_| unreachable!("16-byte SM4 key"))
}

impl Drop for SoftKeys {
    /// The root key leaves memory with the provider (the ciphers' schedules are the cipher
    /// crates' own).
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.enc_root);
    }
}

impl SoftKeys {
    /// Derives the encryption and index keys from a master secret. Fails only when the system's
    /// randomness (for nonces) is unavailable.
    pub fn from_master(master: &[u8; 32]) -> Result<SoftKeys, CryptoError> {
        SoftKeys::from_master_epoch(master, 1)
    }

    /// The keys of `master` as the keys of `epoch` (1 to 255): values sealed under them carry
    /// `epoch` as their key id.
    pub fn from_master_epoch(master: &[u8; 32], epoch: u8) -> Result<SoftKeys, CryptoError> {
        let mut seed = [0u8; 12];
        getrandom::fill(&mut seed).map_err(|_| CryptoError::Random)?;
        Ok(SoftKeys::with_nonce_seed(master, seed, epoch))
    }

    fn with_nonce_seed(master: &[u8; 32], seed: [u8; 12], epoch: u8) -> SoftKeys {
        let idx = zeroize::Zeroizing::new(derive(master, b"hedui/blind-index/v1"));
        let fp = derive(master, b"hedui/key-fingerprint/v1");
        let mut legacy_key = derive(master, b"hedui/sm4-gcm/v1");
        let keys = SoftKeys {
            key_id: epoch,
            index_mac: <HmacSm3 as KeyInit>::new_from_slice(idx.as_ref()).unwrap_or_else(|_| unreachable_hmac()),
            idx,
            enc_root: derive(master, b"hedui/sm4-gcm/v2"),
            legacy: gcm(&legacy_key),
            fingerprint: encode_hex(&fp[..8]),
            derived: KeyCache::default(),
            nonces: Nonces::new(seed),
        };
        zeroize::Zeroize::zeroize(&mut legacy_key);
        keys
    }

    /// Parses a master secret written as 64 hexadecimal characters.
    pub fn from_hex(hex: &str) -> Result<SoftKeys, CryptoError> {
        SoftKeys::from_hex_epoch(hex, 1)
    }

    /// Parses a master secret written as 64 hexadecimal characters, as the keys of `epoch`.
    pub fn from_hex_epoch(hex: &str, epoch: u8) -> Result<SoftKeys, CryptoError> {
        let mut bytes = decode_hex(hex.trim()).ok_or(CryptoError::MasterKey)?;
        let mut master = [0u8; 32];
        if bytes.len() != 32 {
            zeroize::Zeroize::zeroize(&mut bytes);
            return Err(CryptoError::MasterKey);
        }
        master.copy_from_slice(&bytes);
        zeroize::Zeroize::zeroize(&mut bytes);
        let keys = SoftKeys::from_master_epoch(&master, epoch);
        zeroize::Zeroize::zeroize(&mut master);
        keys
    }

    /// A fresh random master secret, as hex, for a new installation.
    pub fn generate_master_hex() -> Result<String, CryptoError> {
        let mut m = [0u8; 32];
        getrandom::fill(&mut m).map_err(|_| CryptoError::Random)?;
        Ok(encode_hex(&m))
    }

    /// The key of one table, column and period, derived once and kept.
    fn key_for(&self, place: &Place, period: u32) -> Arc<Sm4Gcm> {
        let derived = || Ok::<_, std::convert::Infallible>(derive(&self.enc_root, &key_label(place, period)));
        let Ok(c) = self.derived.get_or(place, period, derived);
        c
    }
}

impl KeyProvider for SoftKeys {
    fn seal(&self, place: &Place, period: u32, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        seal_with(&self.key_for(place, period), self.key_id, period, self.nonces.next(), place, plaintext)
    }

    fn open(&self, place: &Place, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        open_with(|period| Ok(self.key_for(place, period)), self.key_id, place, sealed)
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

    fn epoch(&self) -> u8 {
        self.key_id
    }

    fn index_key(&self, epoch: u8) -> Option<zeroize::Zeroizing<[u8; 32]>> {
        (epoch == self.key_id).then(|| self.idx.clone())
    }
}

/// The current format's seal of `plaintext` for `place` under `cipher`: version, key id, period,
/// nonce, then the plaintext encrypted where it lies, then the tag.
fn seal_with(
    cipher: &Sm4Gcm,
    key_id: u8,
    period: u32,
    nonce: [u8; NONCE_LEN],
    place: &Place,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut out = Vec::with_capacity(V2_HEAD + plaintext.len() + TAG_LEN);
    out.push(SEALED_V2);
    out.push(key_id);
    out.extend_from_slice(&period.to_be_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let tag = cipher
        .encrypt_inout_detached(&Nonce::from(nonce), &place.aad(key_id, period), (&mut out[V2_HEAD..]).into())
        .map_err(|_| CryptoError::Format)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Opens a value of the current format sealed for `place`, with the cipher of its period.
fn open_with(
    cipher_for: impl Fn(u32) -> Result<Arc<Sm4Gcm>, CryptoError>,
    key_id: u8,
    place: &Place,
    sealed: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    if is_legacy(sealed) {
        return Err(CryptoError::Legacy(place.to_string()));
    }
    if sealed.len() < V2_HEAD + TAG_LEN || sealed[0] != SEALED_V2 {
        return Err(CryptoError::Format);
    }
    if sealed[1] != key_id {
        return Err(CryptoError::UnknownKey(sealed[1]));
    }
    let period = u32::from_be_bytes([sealed[2], sealed[3], sealed[4], sealed[5]]);
    let nonce: [u8; NONCE_LEN] = sealed[6..V2_HEAD].try_into().map_err(|_| CryptoError::Format)?;
    cipher_for(period)?
        .decrypt(&Nonce::from(nonce), Payload { msg: &sealed[V2_HEAD..], aad: &place.aad(key_id, period) })
        .map_err(|_| CryptoError::Misplaced { place: place.to_string() })
}

/// Opens a value of the first release's format.
fn open_legacy_with(legacy: &Sm4Gcm, key_id: u8, label: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < 2 + NONCE_LEN + TAG_LEN || sealed[0] != SEALED_V1 {
        return Err(CryptoError::Format);
    }
    if sealed[1] != key_id {
        return Err(CryptoError::UnknownKey(sealed[1]));
    }
    let nonce: [u8; NONCE_LEN] = sealed[2..2 + NONCE_LEN].try_into().map_err(|_| CryptoError::Format)?;
    legacy
        .decrypt(&Nonce::from(nonce), Payload { msg: &sealed[2 + NONCE_LEN..], aad: label })
        .map_err(|_| CryptoError::Authentication)
}

/// A blind index: HMAC-SM3 of the domain, a separator and the value.
pub(crate) fn index_with(mac: &HmacSm3, domain: &[u8], value: &[u8]) -> [u8; 32] {
    let mut mac = mac.clone();
    mac.update(domain);
    mac.update(&[0]);
    mac.update(value);
    mac.finalize().into_bytes().into()
}

/// SM3 digest (GB/T 32905).
pub fn sm3(data: &[u8]) -> [u8; 32] {
    Sm3::digest(data).into()
}

/// Lower-case hexadecimal.
pub fn encode_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

/// Parses hexadecimal (either case); `None` on odd length or a non-hex character.
pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let val = |c: u8| (c as char).to_digit(16).map(|v| v as u8);
    b.chunks(2).map(|p| Some(val(p[0])? << 4 | val(p[1])?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_matches_the_standard_vector() {
        assert_eq!(encode_hex(&sm3(b"abc")), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    }

    #[test]
    fn gcm_over_our_sm4_equals_gcm_over_the_reference_sm4() {
        let key = decode_hex("0123456789abcdeffedcba9876543210").unwrap_or_default();
        let ours = Sm4Gcm::new_from_slice(&key).unwrap_or_else(|_| panic!("16-byte key"));
        let reference = AesGcm::<sm4::Sm4, U12>::new_from_slice(&key).unwrap_or_else(|_| panic!("16-byte key"));
        let nonce = Nonce::from([3u8; NONCE_LEN]);
        // Every length from empty to several four-block groups plus a tail.
        let msg: Vec<u8> = (0..=150u8).collect();
        for n in 0..msg.len() {
            let p = || Payload { msg: &msg[..n], aad: b"record.detail" };
            assert_eq!(ours.encrypt(&nonce, p()).ok(), reference.encrypt(&nonce, p()).ok(), "length {n}");
        }
    }

    fn keys() -> SoftKeys {
        SoftKeys::from_master(&[7u8; 32]).unwrap()
    }

    fn place(row: &str) -> Place {
        Place::new("member", "id_enc", row)
    }

    #[test]
    fn sealed_values_carry_version_key_period_nonce_and_tag() {
        let k = keys();
        let sealed = k.seal(&place("a"), 202611, b"hello").unwrap();
        assert_eq!(sealed.len(), V2_HEAD + 5 + TAG_LEN);
        assert_eq!(sealed[0], SEALED_V2);
        assert_eq!(&sealed[2..6], &202611u32.to_be_bytes());
        assert_ne!(&sealed[V2_HEAD..V2_HEAD + 5], b"hello");
        assert_eq!(k.open(&place("a"), &sealed).unwrap(), b"hello");
    }

    #[test]
    fn sealed_values_open_only_in_their_own_row_column_and_key() {
        let k = keys();
        let here = place("household=H1/member=1");
        let sealed = k.seal(&here, 202611, "320402199001011234".as_bytes()).unwrap_or_default();
        assert_eq!(k.open(&here, &sealed).as_deref(), Ok("320402199001011234".as_bytes()));
        // Another row, another column, another table: each refused, naming where it was opened.
        for other in [
            place("household=H1/member=2"),
            place("household=H2/member=1"),
            Place::new("member", "name_enc", "household=H1/member=1"),
            Place::new("supporter", "id_enc", "household=H1/member=1"),
        ] {
            let err = k.open(&other, &sealed).unwrap_err();
            assert_eq!(err, CryptoError::Misplaced { place: other.to_string() });
            assert!(err.to_string().contains(&other.row), "{err}");
        }
        let other_key = SoftKeys::from_master(&[8u8; 32]).unwrap();
        assert!(other_key.open(&here, &sealed).is_err());
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 0x01;
            assert!(k.open(&here, &t).is_err(), "flip at byte {i} accepted");
        }
        assert_eq!(k.open(&here, &sealed[..10]), Err(CryptoError::Format));
    }

    #[test]
    fn periods_have_their_own_keys() {
        let k = keys();
        let p = place("r");
        let a = k.seal(&p, 202610, b"x").unwrap();
        let b = k.seal(&p, 202611, b"x").unwrap();
        assert_eq!(k.open(&p, &a).unwrap(), b"x");
        assert_eq!(k.open(&p, &b).unwrap(), b"x");
        // A period rewritten in the header selects another key: refused.
        let mut moved = a.clone();
        moved[2..6].copy_from_slice(&202611u32.to_be_bytes());
        assert!(k.open(&p, &moved).is_err());
        assert_ne!(
            k.key_for(&p, 202610).encrypt(&Nonce::from([0; 12]), b"z".as_ref()).ok(),
            k.key_for(&p, 202611).encrypt(&Nonce::from([0; 12]), b"z".as_ref()).ok()
        );
    }

    #[test]
    fn two_seals_of_one_value_use_different_nonces_whatever_the_clock() {
        // The nonce seed comes from the system's randomness only; within a process the counter
        // moves on every seal. The same seed (as two processes would need to collide) still
        // gives distinct nonces for successive seals.
        let k = SoftKeys::with_nonce_seed(&[7u8; 32], [1; 12], 1);
        let p = place("r");
        let mut nonces = std::collections::HashSet::new();
        for _ in 0..1000 {
            let s = k.seal(&p, 202611, b"same").unwrap();
            assert!(nonces.insert(s[6..V2_HEAD].to_vec()), "a nonce was used twice");
        }
        let a = keys().seal(&p, 202611, b"same").unwrap();
        let b = keys().seal(&p, 202611, b"same").unwrap();
        assert_ne!(a[6..V2_HEAD], b[6..V2_HEAD], "two loads of one key drew the same nonce seed");
    }

    #[test]
    fn legacy_values_open_only_through_the_migration_path() {
        let k = keys();
        // A value as the first release sealed it: version 1, key 1, nonce, ciphertext, tag.
        let nonce = [9u8; NONCE_LEN];
        let ct = k.legacy.encrypt(&Nonce::from(nonce), Payload { msg: b"old", aad: b"member.id" }).unwrap();
        let old = [&[SEALED_V1, 1][..], &nonce, &ct].concat();
        assert!(is_legacy(&old));
        assert_eq!(k.open_legacy(b"member.id", &old).unwrap(), b"old");
        assert_eq!(k.open_legacy(b"member.name", &old), Err(CryptoError::Authentication));
        assert!(matches!(k.open(&place("r"), &old), Err(CryptoError::Legacy(_))));
    }

    #[test]
    fn blind_indexes_are_keyed_deterministic_and_domain_separated() {
        let k = keys();
        let a = k.blind_index(b"id", b"320402199001011234");
        assert_eq!(a, k.blind_index(b"id", b"320402199001011234"));
        assert_ne!(a, k.blind_index(b"name", b"320402199001011234"));
        assert_ne!(a, SoftKeys::from_master(&[8u8; 32]).unwrap().blind_index(b"id", b"320402199001011234"));
        assert_ne!(a, sm3(b"320402199001011234"));
    }

    #[test]
    fn fingerprints_name_a_key_without_revealing_it() {
        let k = keys();
        assert_eq!(k.fingerprint().len(), 16);
        assert_eq!(k.fingerprint(), keys().fingerprint());
        assert_ne!(k.fingerprint(), SoftKeys::from_master(&[8u8; 32]).unwrap().fingerprint());
        assert!(!encode_hex(&[7u8; 32]).contains(&k.fingerprint()));
    }

    #[test]
    fn master_keys_parse_from_hex() {
        let hex = SoftKeys::generate_master_hex().unwrap_or_default();
        assert_eq!(hex.len(), 64);
        assert!(SoftKeys::from_hex(&hex).is_ok());
        assert!(SoftKeys::from_hex("abc").is_err());
    }
}
