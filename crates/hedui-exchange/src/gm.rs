//! The 国密 operations of the exchange, under a source's [`GmProfile`].
//!
//! * Signatures: SM2 with SM3 over Z_A, whose distinguishing identifier (user ID) comes from
//!   the profile; written as DER or as r ‖ s.
//! * Message keys: 32 random bytes per message, SM2-encrypted to the receiver in C1C3C2 or
//!   C1C2C3 order.
//! * Bodies: SM4-GCM (the first 16 key bytes, the message id as associated data) or SM4-CBC
//!   with PKCS#7 padding and an HMAC-SM3 over associated data, IV and ciphertext
//!   (encrypt-then-MAC, with the last 16 key bytes).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{AesGcm, Nonce};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hmac::{Hmac, Mac};
use sm2::dsa::signature::{Signer, Verifier};
use sm2::pke::{DecryptingKey, EncryptingKey, Mode};
use sm3::{Digest, Sm3};
use sm4::cipher::consts::U12;

use hedui_core::catalog::{CipherOrder, GmProfile, NodeKeys, SignatureEncoding, Sm4Mode};
use hedui_crypto::{Sm4T, decode_hex, encode_hex};

use crate::ExchangeError;

type Gcm = AesGcm<Sm4T, U12>;
type HmacSm3 = Hmac<Sm3>;

/// Bytes of key material per message: an SM4 key and, for CBC, an HMAC key.
pub const MESSAGE_KEY_LEN: usize = 32;
const GCM_NONCE_LEN: usize = 12;
const CBC_IV_LEN: usize = 16;

/// A node's private keys: one for signing, one for decrypting message keys.
#[derive(Clone)]
pub struct NodeSecret {
    pub key_id: String,
    sign: [u8; 32],
    enc: [u8; 32],
}

impl std::fmt::Debug for NodeSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeSecret").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

/// A valid SM2 private scalar drawn deterministically from `seed` and `label`.
fn derive_scalar(seed: &[u8], label: &str) -> [u8; 32] {
    let mut counter = 0u32;
    loop {
        let mut h = Sm3::new();
        h.update(b"hedui-node-key\0");
        h.update(seed);
        h.update([0]);
        h.update(label.as_bytes());
        h.update(counter.to_be_bytes());
        let out: [u8; 32] = h.finalize().into();
        // Below the group order and not zero, which is all a private key needs.
        if sm2::SecretKey::from_slice(&out).is_ok() {
            return out;
        }
        counter += 1;
    }
}

impl NodeSecret {
    /// Keys derived from a seed: the simulator's institutions and the demo node. A real node
    /// generates its keys at random (or keeps them in a hardware module) and publishes only the
    /// public halves.
    pub fn derive(seed: &[u8], node_id: &str) -> NodeSecret {
        NodeSecret {
            key_id: format!("{node_id}#1"),
            sign: derive_scalar(seed, &format!("{node_id}/sign")),
            enc: derive_scalar(seed, &format!("{node_id}/encrypt")),
        }
    }

    /// Fresh random keys.
    pub fn generate(node_id: &str) -> Result<NodeSecret, ExchangeError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|_| ExchangeError::Crypto("随机数生成失败".into()))?;
        Ok(NodeSecret::derive(&seed, node_id))
    }

    /// The keys to publish.
    pub fn public(&self) -> NodeKeys {
        let point = |s: &[u8; 32]| {
            sm2::SecretKey::from_slice(s).map(|k| encode_hex(&k.public_key().to_sec1_bytes())).unwrap_or_default()
        };
        NodeKeys { key_id: self.key_id.clone(), sign: point(&self.sign), encrypt: point(&self.enc) }
    }

    /// Signs `msg` under `profile`.
    pub fn sign(&self, profile: &GmProfile, msg: &[u8]) -> Result<Vec<u8>, ExchangeError> {
        let key = sm2::dsa::SigningKey::from_slice(&profile.user_id, &self.sign)
            .map_err(|_| ExchangeError::Crypto("签名私钥无效".into()))?;
        let sig: sm2::dsa::Signature = key.sign(msg);
        Ok(match profile.signature {
            SignatureEncoding::Der => sig.to_der().to_vec(),
            SignatureEncoding::Raw => sig.to_bytes().to_vec(),
        })
    }

    /// Decrypts a message key sealed to this node.
    pub fn open_key(&self, profile: &GmProfile, sealed: &[u8]) -> Result<Vec<u8>, ExchangeError> {
        let sk = sm2::SecretKey::from_slice(&self.enc).map_err(|_| ExchangeError::Crypto("解密私钥无效".into()))?;
        let key = DecryptingKey::new_with_mode(sk.to_nonzero_scalar(), mode(profile.cipher_order));
        let plain = key.decrypt(sealed).map_err(|_| ExchangeError::Decrypt("报文密钥无法解开".into()))?;
        if plain.len() != MESSAGE_KEY_LEN {
            return Err(ExchangeError::Decrypt("报文密钥长度错误".into()));
        }
        Ok(plain)
    }
}

fn mode(order: CipherOrder) -> Mode {
    match order {
        CipherOrder::C1c3c2 => Mode::C1C3C2,
        CipherOrder::C1c2c3 => Mode::C1C2C3,
    }
}

fn public_point(hex: &str, what: &str) -> Result<Vec<u8>, ExchangeError> {
    decode_hex(hex).ok_or_else(|| ExchangeError::Crypto(format!("{what}不是十六进制")))
}

/// Verifies `sig` over `msg` with a node's published signing key.
pub fn verify(profile: &GmProfile, keys: &NodeKeys, msg: &[u8], sig: &[u8]) -> Result<(), ExchangeError> {
    let point = public_point(&keys.sign, "签名公钥")?;
    let vk = sm2::dsa::VerifyingKey::from_sec1_bytes(&profile.user_id, &point)
        .map_err(|_| ExchangeError::Crypto("签名公钥无效".into()))?;
    let sig = match profile.signature {
        SignatureEncoding::Der => sm2::dsa::DerSignature::try_from(sig).and_then(sm2::dsa::Signature::try_from),
        SignatureEncoding::Raw => sm2::dsa::Signature::try_from(sig),
    }
    .map_err(|_| ExchangeError::Signature("签名格式错误".into()))?;
    vk.verify(msg, &sig).map_err(|_| ExchangeError::Signature("签名验证失败".into()))
}

/// Verifies a user's SM2 signature (user id `1234567812345678`, SM3; DER or the raw 64 bytes) over
/// `msg` with the user's public key (SEC1, hex), as a UKey makes one for a login challenge.
pub fn verify_user(public_hex: &str, msg: &[u8], sig: &[u8]) -> Result<(), ExchangeError> {
    let point = public_point(public_hex, "用户公钥")?;
    let vk = sm2::dsa::VerifyingKey::from_sec1_bytes("1234567812345678", &point)
        .map_err(|_| ExchangeError::Crypto("用户公钥无效".into()))?;
    let sig = match sig.len() {
        64 => sm2::dsa::Signature::try_from(sig),
        _ => sm2::dsa::DerSignature::try_from(sig).and_then(sm2::dsa::Signature::try_from),
    }
    .map_err(|_| ExchangeError::Signature("签名格式错误".into()))?;
    vk.verify(msg, &sig).map_err(|_| ExchangeError::Signature("签名验证失败".into()))
}

/// A software UKey for demos and tests: a fresh SM2 private key (32 bytes). A real 审核员's key
/// is made inside their UKey and never leaves it.
pub fn soft_ukey() -> Result<[u8; 32], ExchangeError> {
    loop {
        let mut k = [0u8; 32];
        getrandom::fill(&mut k).map_err(|_| ExchangeError::Crypto("随机数生成失败".into()))?;
        if sm2::SecretKey::from_slice(&k).is_ok() {
            return Ok(k);
        }
    }
}

/// The public half (SEC1, hex) of a software UKey's key.
pub fn soft_ukey_public(secret: &[u8]) -> Result<String, ExchangeError> {
    let k = sm2::SecretKey::from_slice(secret).map_err(|_| ExchangeError::Crypto("UKey 私钥无效".into()))?;
    Ok(encode_hex(&k.public_key().to_sec1_bytes()))
}

/// Signs `msg` as a UKey does (user id `1234567812345678`, SM3, DER): what [`verify_user`] checks.
pub fn soft_ukey_sign(secret: &[u8], msg: &[u8]) -> Result<Vec<u8>, ExchangeError> {
    let key = sm2::dsa::SigningKey::from_slice("1234567812345678", secret)
        .map_err(|_| ExchangeError::Crypto("UKey 私钥无效".into()))?;
    let sig: sm2::dsa::Signature = key.sign(msg);
    Ok(sig.to_der().to_vec())
}

/// Whether `public_hex` is an SM2 public key (SEC1, hex).
pub fn valid_user_key(public_hex: &str) -> bool {
    decode_hex(public_hex).is_some_and(|p| sm2::dsa::VerifyingKey::from_sec1_bytes("1234567812345678", &p).is_ok())
}

/// Seals fresh message-key material to a node's published encryption key.
pub fn seal_key(profile: &GmProfile, keys: &NodeKeys, key: &[u8]) -> Result<Vec<u8>, ExchangeError> {
    let point = public_point(&keys.encrypt, "加密公钥")?;
    let pk = sm2::PublicKey::from_sec1_bytes(&point).map_err(|_| ExchangeError::Crypto("加密公钥无效".into()))?;
    let ek = EncryptingKey::new_with_mode(pk, mode(profile.cipher_order));
    ek.encrypt(&mut getrandom::SysRng, key).map_err(|_| ExchangeError::Crypto("报文密钥加密失败".into()))
}

/// Fresh message-key material.
pub fn message_key() -> Result<[u8; MESSAGE_KEY_LEN], ExchangeError> {
    let mut k = [0u8; MESSAGE_KEY_LEN];
    getrandom::fill(&mut k).map_err(|_| ExchangeError::Crypto("随机数生成失败".into()))?;
    Ok(k)
}

fn fresh<const N: usize>() -> Result<[u8; N], ExchangeError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|_| ExchangeError::Crypto("随机数生成失败".into()))?;
    Ok(b)
}

fn cbc_mac(mac_key: &[u8], aad: &[u8], iv: &[u8], ct: &[u8]) -> Result<[u8; 32], ExchangeError> {
    let mut mac = <HmacSm3 as hmac::digest::KeyInit>::new_from_slice(mac_key)
        .map_err(|_| ExchangeError::Crypto("HMAC 密钥无效".into()))?;
    mac.update(&(aad.len() as u64).to_be_bytes());
    mac.update(aad);
    mac.update(iv);
    mac.update(ct);
    Ok(mac.finalize().into_bytes().into())
}

/// Encrypts a body; returns (IV or nonce, ciphertext with its tag or MAC).
pub fn encrypt_body(mode: Sm4Mode, key: &[u8], aad: &[u8], plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), ExchangeError> {
    if key.len() != MESSAGE_KEY_LEN {
        return Err(ExchangeError::Crypto("报文密钥长度错误".into()));
    }
    match mode {
        Sm4Mode::Gcm => {
            let nonce = fresh::<GCM_NONCE_LEN>()?;
            let c = Gcm::new_from_slice(&key[..16]).map_err(|_| ExchangeError::Crypto("SM4 密钥无效".into()))?;
            let ct = c
                .encrypt(&Nonce::from(nonce), Payload { msg: plain, aad })
                .map_err(|_| ExchangeError::Crypto("SM4-GCM 加密失败".into()))?;
            Ok((nonce.to_vec(), ct))
        }
        Sm4Mode::Cbc => {
            let iv = fresh::<CBC_IV_LEN>()?;
            let enc = cbc::Encryptor::<sm4::Sm4>::new_from_slices(&key[..16], &iv)
                .map_err(|_| ExchangeError::Crypto("SM4 密钥无效".into()))?;
            let mut ct = enc.encrypt_padded_vec::<Pkcs7>(plain);
            let tag = cbc_mac(&key[16..], aad, &iv, &ct)?;
            ct.extend_from_slice(&tag);
            Ok((iv.to_vec(), ct))
        }
    }
}

/// Decrypts a body sealed by [`encrypt_body`] under the same key and associated data.
pub fn decrypt_body(mode: Sm4Mode, key: &[u8], aad: &[u8], iv: &[u8], ct: &[u8]) -> Result<Vec<u8>, ExchangeError> {
    if key.len() != MESSAGE_KEY_LEN {
        return Err(ExchangeError::Decrypt("报文密钥长度错误".into()));
    }
    match mode {
        Sm4Mode::Gcm => {
            let nonce: [u8; GCM_NONCE_LEN] =
                iv.try_into().map_err(|_| ExchangeError::Decrypt("SM4-GCM 随机数长度错误".into()))?;
            let c = Gcm::new_from_slice(&key[..16]).map_err(|_| ExchangeError::Decrypt("SM4 密钥无效".into()))?;
            c.decrypt(&Nonce::from(nonce), Payload { msg: ct, aad })
                .map_err(|_| ExchangeError::Decrypt("报文密文校验失败（被篡改或密钥不符）".into()))
        }
        Sm4Mode::Cbc => {
            if iv.len() != CBC_IV_LEN || ct.len() < 32 + 16 {
                return Err(ExchangeError::Decrypt("SM4-CBC 报文长度错误".into()));
            }
            let (body, tag) = ct.split_at(ct.len() - 32);
            let expect = cbc_mac(&key[16..], aad, iv, body)?;
            // Constant-time comparison of the MAC.
            if expect.iter().zip(tag).fold(0u8, |acc, (a, b)| acc | (a ^ b)) != 0 {
                return Err(ExchangeError::Decrypt("报文密文校验失败（被篡改或密钥不符）".into()));
            }
            let dec = cbc::Decryptor::<sm4::Sm4>::new_from_slices(&key[..16], iv)
                .map_err(|_| ExchangeError::Decrypt("SM4 密钥无效".into()))?;
            dec.decrypt_padded_vec::<Pkcs7>(body).map_err(|_| ExchangeError::Decrypt("SM4-CBC 填充错误".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profiles() -> Vec<GmProfile> {
        let mut out = Vec::new();
        for signature in [SignatureEncoding::Der, SignatureEncoding::Raw] {
            for cipher_order in [CipherOrder::C1c3c2, CipherOrder::C1c2c3] {
                for sm4_mode in [Sm4Mode::Gcm, Sm4Mode::Cbc] {
                    out.push(GmProfile { user_id: "1234567812345678".into(), signature, cipher_order, sm4_mode });
                }
            }
        }
        out
    }

    #[test]
    fn derived_keys_are_stable_and_distinct_per_node() {
        let a = NodeSecret::derive(b"seed", "bank_icbc").public();
        assert_eq!(a, NodeSecret::derive(b"seed", "bank_icbc").public());
        assert_ne!(a.sign, NodeSecret::derive(b"seed", "bank_abc").public().sign);
        assert_ne!(a.sign, a.encrypt);
        assert_eq!(a.sign.len(), 130);
        assert!(a.sign.starts_with("04"));
    }

    #[test]
    fn every_profile_round_trips_and_profiles_do_not_mix() {
        let node = NodeSecret::derive(b"seed", "n");
        let keys = node.public();
        for p in profiles() {
            let sig = node.sign(&p, b"message").unwrap();
            verify(&p, &keys, b"message", &sig).unwrap();
            assert!(verify(&p, &keys, b"messagE", &sig).is_err(), "{p:?}");
            let key = message_key().unwrap();
            let sealed = seal_key(&p, &keys, &key).unwrap();
            assert_eq!(node.open_key(&p, &sealed).unwrap(), key);
            let (iv, ct) = encrypt_body(p.sm4_mode, &key, b"id-1", "报文 body".as_bytes()).unwrap();
            assert_eq!(decrypt_body(p.sm4_mode, &key, b"id-1", &iv, &ct).unwrap(), "报文 body".as_bytes());
            assert!(decrypt_body(p.sm4_mode, &key, b"id-2", &iv, &ct).is_err(), "associated data is bound");
            let mut bad = ct.clone();
            bad[0] ^= 1;
            assert!(decrypt_body(p.sm4_mode, &key, b"id-1", &iv, &bad).is_err());
        }
        // A DER signature is not accepted as r‖s and the other way round.
        let der = profiles().into_iter().find(|p| p.signature == SignatureEncoding::Der).unwrap();
        let raw = GmProfile { signature: SignatureEncoding::Raw, ..der.clone() };
        assert!(verify(&raw, &keys, b"m", &node.sign(&der, b"m").unwrap()).is_err());
        assert!(verify(&der, &keys, b"m", &node.sign(&raw, b"m").unwrap()).is_err());
        // A different user ID changes Z_A, so the signature does not verify.
        let other_id = GmProfile { user_id: "hedui@3204".into(), ..der.clone() };
        assert!(verify(&other_id, &keys, b"m", &node.sign(&der, b"m").unwrap()).is_err());
        // A key sealed in one order does not open in the other.
        let c2c3 = GmProfile { cipher_order: CipherOrder::C1c2c3, ..der.clone() };
        let key = message_key().unwrap();
        assert!(node.open_key(&c2c3, &seal_key(&der, &keys, &key).unwrap()).is_err());
    }

    #[test]
    fn a_raw_signature_is_64_bytes_and_der_starts_with_a_sequence() {
        let node = NodeSecret::derive(b"seed", "n");
        let p = GmProfile::default();
        let der = node.sign(&p, b"x").unwrap();
        assert_eq!(der[0], 0x30);
        let raw = node.sign(&GmProfile { signature: SignatureEncoding::Raw, ..p }, b"x").unwrap();
        assert_eq!(raw.len(), 64);
    }
}
