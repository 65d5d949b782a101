//! 国密 cryptography for hedui, behind a key-provider trait.
//!
//! * Identifiers and other personal fields are stored only as SM4-GCM
//!   ciphertext (the RFC 8998 construction: GCM over SM4, 12-byte nonces),
//!   bound by associated data to the column they belong to. The block cipher
//!   is [`Sm4T`], a table-driven SM4 checked against the `sm4` crate.
//! * Lookups by ID number use a blind index: HMAC-SM3 of the normalized value
//!   under a separate key, so the database never needs the raw number.
//! * [`KeyProvider`] hides where keys live. [`SoftKeys`] derives them from a
//!   master secret for development and tests; a certified hardware module
//!   (GM/T 0018 SDF) can implement the same trait in production.

use std::sync::atomic::{AtomicU64, Ordering};

use aes_gcm::aead::{Aead, AeadInOut, KeyInit, Payload};
use aes_gcm::{AesGcm, Nonce};
use hmac::{Hmac, Mac};
use sm3::{Digest, Sm3};
use sm4::cipher::consts::U12;

mod sm4t;
pub use sm4t::Sm4T;

type Sm4Gcm = AesGcm<Sm4T, U12>;
type HmacSm3 = Hmac<Sm3>;

/// Format version of sealed values; the first byte of every ciphertext.
const SEALED_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Failures of the cryptographic layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("密文格式错误或版本不支持")]
    Format,
    #[error("密文校验失败：数据被篡改，或密钥不匹配")]
    Authentication,
    #[error("密钥编号 {0} 不可用")]
    UnknownKey(u8),
    #[error("随机数生成失败")]
    Random,
    #[error("主密钥格式错误：应为 64 位十六进制字符")]
    MasterKey,
}

/// Where hedui's keys live. Implementations must be safe to share between threads.
pub trait KeyProvider: Send + Sync {
    /// Encrypts `plaintext`, binding it to `aad` (the column or purpose).
    fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError>;
    /// Decrypts a value sealed with the same `aad`.
    fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError>;
    /// Keyed, deterministic index of `value` within `domain` (HMAC-SM3, 32 bytes).
    fn blind_index(&self, domain: &[u8], value: &[u8]) -> [u8; 32];
}

/// Software keys derived from one 32-byte master secret.
pub struct SoftKeys {
    key_id: u8,
    cipher: Sm4Gcm,
    index_mac: HmacSm3,
    /// Nonces are a random 32-bit prefix and a 64-bit counter that starts at a random value, both
    /// drawn when the keys are loaded: unique within a process, and two processes under the same key
    /// collide only if both random draws coincide. It saves a system call per sealed value.
    nonce_prefix: [u8; 4],
    nonce_counter: AtomicU64,
}

impl std::fmt::Debug for SoftKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("SoftKeys").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

fn derive(master: &[u8], label: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSm3 as KeyInit>::new_from_slice(master).unwrap_or_else(|_| unreachable_hmac());
    mac.update(label);
    mac.finalize().into_bytes().into()
}

// HMAC accepts keys of any length, so construction cannot fail.
fn unreachable_hmac() -> HmacSm3 {
    unreachable!("HMAC takes keys of any length")
}

impl SoftKeys {
    /// Derives the encryption and index keys from a master secret.
    pub fn from_master(master: &[u8; 32]) -> SoftKeys {
        let enc = derive(master, b"hedui/sm4-gcm/v1");
        let idx = derive(master, b"hedui/blind-index/v1");
        let cipher = Sm4Gcm::new_from_slice(&enc[..16]).unwrap_or_else(|_| unreachable!("16-byte SM4 key"));
        let index_mac = <HmacSm3 as KeyInit>::new_from_slice(&idx).unwrap_or_else(|_| unreachable_hmac());
        let mut seed = [0u8; 12];
        if getrandom::fill(&mut seed).is_err() {
            // Without the system's randomness, fall back to the clock and the process: still distinct per run.
            let t =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
            seed[..8].copy_from_slice(&(t as u64).to_le_bytes());
            seed[8..].copy_from_slice(&std::process::id().to_le_bytes());
        }
        let mut start = [0u8; 8];
        start.copy_from_slice(&seed[4..]);
        SoftKeys {
            key_id: 1,
            cipher,
            index_mac,
            nonce_prefix: [seed[0], seed[1], seed[2], seed[3]],
            nonce_counter: AtomicU64::new(u64::from_le_bytes(start)),
        }
    }

    /// Parses a master secret written as 64 hexadecimal characters.
    pub fn from_hex(hex: &str) -> Result<SoftKeys, CryptoError> {
        let bytes = decode_hex(hex.trim()).ok_or(CryptoError::MasterKey)?;
        let master: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::MasterKey)?;
        Ok(SoftKeys::from_master(&master))
    }

    /// A fresh random master secret, as hex, for a new installation.
    pub fn generate_master_hex() -> Result<String, CryptoError> {
        let mut m = [0u8; 32];
        getrandom::fill(&mut m).map_err(|_| CryptoError::Random)?;
        Ok(encode_hex(&m))
    }
}

impl KeyProvider for SoftKeys {
    fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        nonce[..4].copy_from_slice(&self.nonce_prefix);
        nonce[4..].copy_from_slice(&self.nonce_counter.fetch_add(1, Ordering::Relaxed).to_be_bytes());
        // Version, key, nonce, then the plaintext encrypted where it lies, then the tag.
        let head = 2 + NONCE_LEN;
        let mut out = Vec::with_capacity(head + plaintext.len() + TAG_LEN);
        out.push(SEALED_V1);
        out.push(self.key_id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let tag = self
            .cipher
            .encrypt_inout_detached(&Nonce::from(nonce), aad, (&mut out[head..]).into())
            .map_err(|_| CryptoError::Format)?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < 2 + NONCE_LEN + TAG_LEN || sealed[0] != SEALED_V1 {
            return Err(CryptoError::Format);
        }
        if sealed[1] != self.key_id {
            return Err(CryptoError::UnknownKey(sealed[1]));
        }
        let nonce: [u8; NONCE_LEN] = sealed[2..2 + NONCE_LEN].try_into().map_err(|_| CryptoError::Format)?;
        self.cipher
            .decrypt(&Nonce::from(nonce), Payload { msg: &sealed[2 + NONCE_LEN..], aad })
            .map_err(|_| CryptoError::Authentication)
    }

    fn blind_index(&self, domain: &[u8], value: &[u8]) -> [u8; 32] {
        let mut mac = self.index_mac.clone();
        mac.update(domain);
        mac.update(&[0]);
        mac.update(value);
        mac.finalize().into_bytes().into()
    }
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

    #[test]
    fn sealed_values_carry_version_key_nonce_and_tag() {
        let k = keys();
        let sealed = k.seal(b"a", b"hello").unwrap();
        assert_eq!(sealed.len(), 2 + NONCE_LEN + 5 + TAG_LEN);
        assert_eq!(sealed[0], SEALED_V1);
        assert_ne!(&sealed[2 + NONCE_LEN..2 + NONCE_LEN + 5], b"hello");
        assert_eq!(k.open(b"a", &sealed).unwrap(), b"hello");
    }

    fn keys() -> SoftKeys {
        SoftKeys::from_master(&[7u8; 32])
    }

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_column() {
        let k = keys();
        let sealed = k.seal(b"person.id", "320402199001011234".as_bytes()).unwrap_or_default();
        assert_eq!(k.open(b"person.id", &sealed).as_deref(), Ok("320402199001011234".as_bytes()));
        assert_eq!(k.open(b"record.detail", &sealed), Err(CryptoError::Authentication));
        let other = SoftKeys::from_master(&[8u8; 32]);
        assert_eq!(other.open(b"person.id", &sealed), Err(CryptoError::Authentication));
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 0x01;
            assert!(k.open(b"person.id", &t).is_err(), "flip at byte {i} accepted");
        }
        assert_eq!(k.open(b"person.id", &sealed[..10]), Err(CryptoError::Format));
        // Two encryptions of the same value differ (fresh nonce), so ciphertexts leak no equality.
        assert_ne!(k.seal(b"person.id", b"x").ok(), k.seal(b"person.id", b"x").ok());
    }

    #[test]
    fn blind_indexes_are_keyed_deterministic_and_domain_separated() {
        let k = keys();
        let a = k.blind_index(b"id", b"320402199001011234");
        assert_eq!(a, k.blind_index(b"id", b"320402199001011234"));
        assert_ne!(a, k.blind_index(b"name", b"320402199001011234"));
        assert_ne!(a, SoftKeys::from_master(&[8u8; 32]).blind_index(b"id", b"320402199001011234"));
        assert_ne!(a, sm3(b"320402199001011234"));
    }

    #[test]
    fn master_keys_parse_from_hex() {
        let hex = SoftKeys::generate_master_hex().unwrap_or_default();
        assert_eq!(hex.len(), 64);
        assert!(SoftKeys::from_hex(&hex).is_ok());
        assert!(SoftKeys::from_hex("abc").is_err());
    }
}
