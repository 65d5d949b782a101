//! Escrow of the master secret in k-of-n shares (Shamir's secret sharing over GF(2⁸), the field
//! of AES with the polynomial x⁸ + x⁴ + x³ + x + 1): any `k` shares give the secret back, fewer
//! give nothing about it. Each share is a line of text naming its threshold, its number and the
//! fingerprint of the key it belongs to, with a check of its own, so that a mistyped or foreign
//! share is refused before it is used.

use crate::{CryptoError, decode_hex, encode_hex, sm3};

const PREFIX: &str = "HEDUI-SHARE-1";

/// One share, as custodians keep it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share {
    /// How many shares give the secret back.
    pub threshold: u8,
    /// The share's number (its x coordinate, 1..=255).
    pub x: u8,
    /// The fingerprint of the key the shares were cut from.
    pub fingerprint: String,
    pub y: Vec<u8>,
}

/// Why shares cannot give a secret back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    #[error("份额格式错误（第 {0} 份）：应为 HEDUI-SHARE-1:门限:编号:指纹:数据:校验")]
    Format(usize),
    #[error("份额校验失败（第 {0} 份）：抄写有误")]
    Check(usize),
    #[error("份额来自不同的主密钥或不同的拆分")]
    Mixed,
    #[error("同一编号的份额给了两次")]
    Duplicate,
    #[error("份额不足：需要 {need} 份，只给了 {have} 份")]
    TooFew { need: u8, have: usize },
    #[error("门限与份数无效：1 < 门限 ≤ 份数 ≤ 255")]
    Parameters,
    #[error("恢复出的主密钥指纹与份额记载的不符")]
    Fingerprint,
    #[error("{0}")]
    Crypto(#[from] CryptoError),
}

/// Multiplication in GF(2⁸), without branches on the values.
fn mul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    for _ in 0..8 {
        p ^= a & 0u8.wrapping_sub(b & 1);
        let carry = 0u8.wrapping_sub(a >> 7);
        a = (a << 1) ^ (0x1b & carry);
        b >>= 1;
    }
    p
}

/// The inverse in GF(2⁸) (a²⁵⁴); 0 has none and gives 0.
fn inv(a: u8) -> u8 {
    let mut r = 1u8;
    let mut base = a;
    let mut e = 254u8;
    while e > 0 {
        if e & 1 == 1 {
            r = mul(r, base);
        }
        base = mul(base, base);
        e >>= 1;
    }
    r
}

/// Cuts `secret` into `n` shares, any `k` of which give it back.
pub fn split(secret: &[u8], k: u8, n: u8, fingerprint: &str) -> Result<Vec<Share>, ShareError> {
    if k < 2 || k > n {
        return Err(ShareError::Parameters);
    }
    let mut coefficients = vec![0u8; secret.len() * usize::from(k - 1)];
    getrandom::fill(&mut coefficients).map_err(|_| CryptoError::Random)?;
    let shares = (1..=n)
        .map(|x| {
            let y = secret
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    // Horner's rule over the byte's polynomial, highest coefficient first.
                    let c = &coefficients[i * usize::from(k - 1)..(i + 1) * usize::from(k - 1)];
                    let high = c.iter().rev().fold(0u8, |acc, ci| mul(acc, x) ^ ci);
                    mul(high, x) ^ s
                })
                .collect();
            Share { threshold: k, x, fingerprint: fingerprint.into(), y }
        })
        .collect();
    zeroize::Zeroize::zeroize(&mut coefficients);
    Ok(shares)
}

/// The secret from at least `threshold` shares of one split (Lagrange interpolation at 0).
pub fn combine(shares: &[Share]) -> Result<Vec<u8>, ShareError> {
    let first = shares.first().ok_or(ShareError::TooFew { need: 2, have: 0 })?;
    if shares
        .iter()
        .any(|s| s.threshold != first.threshold || s.fingerprint != first.fingerprint || s.y.len() != first.y.len())
    {
        return Err(ShareError::Mixed);
    }
    let used = &shares[..shares.len().min(usize::from(first.threshold))];
    if used.len() < usize::from(first.threshold) {
        return Err(ShareError::TooFew { need: first.threshold, have: shares.len() });
    }
    for (i, a) in used.iter().enumerate() {
        if a.x == 0 || used[i + 1..].iter().any(|b| b.x == a.x) {
            return Err(ShareError::Duplicate);
        }
    }
    let weights: Vec<u8> = used
        .iter()
        .map(|a| used.iter().filter(|b| b.x != a.x).fold(1u8, |w, b| mul(w, mul(b.x, inv(b.x ^ a.x)))))
        .collect();
    Ok((0..first.y.len()).map(|i| used.iter().zip(&weights).fold(0u8, |acc, (s, w)| acc ^ mul(s.y[i], *w))).collect())
}

impl Share {
    /// The share as a line of text, with its check.
    pub fn to_text(&self) -> String {
        let body = format!("{PREFIX}:{}:{}:{}:{}", self.threshold, self.x, self.fingerprint, encode_hex(&self.y));
        let check = encode_hex(&sm3(body.as_bytes())[..3]);
        format!("{body}:{check}")
    }

    /// Reads a share; `n` numbers it in errors.
    pub fn parse(text: &str, n: usize) -> Result<Share, ShareError> {
        let text = text.trim();
        let (body, check) = text.rsplit_once(':').ok_or(ShareError::Format(n))?;
        let parts: Vec<&str> = body.split(':').collect();
        let [prefix, k, x, fingerprint, y] = parts[..] else { return Err(ShareError::Format(n)) };
        if prefix != PREFIX {
            return Err(ShareError::Format(n));
        }
        if encode_hex(&sm3(body.as_bytes())[..3]) != check.to_ascii_lowercase() {
            return Err(ShareError::Check(n));
        }
        Ok(Share {
            threshold: k.parse().map_err(|_| ShareError::Format(n))?,
            x: x.parse().map_err(|_| ShareError::Format(n))?,
            fingerprint: fingerprint.into(),
            y: decode_hex(y).ok_or(ShareError::Format(n))?,
        })
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_is_the_aes_field() {
        // FIPS-197 §4.2: {57} • {83} = {c1}; {57} • {13} = {fe}.
        assert_eq!(mul(0x57, 0x83), 0xc1);
        assert_eq!(mul(0x57, 0x13), 0xfe);
        for a in 1..=255u8 {
            assert_eq!(mul(a, inv(a)), 1, "{a}");
        }
    }

    #[test]
    fn any_three_of_five_give_the_secret_and_two_do_not() {
        let secret: Vec<u8> = (0..32).map(|i| i * 7 + 3).collect();
        let shares = split(&secret, 3, 5, "0123456789abcdef").unwrap();
        for a in 0..5 {
            for b in a + 1..5 {
                for c in b + 1..5 {
                    let set = [shares[a].clone(), shares[b].clone(), shares[c].clone()];
                    assert_eq!(combine(&set).unwrap(), secret, "{a}{b}{c}");
                }
            }
        }
        assert_eq!(combine(&shares).unwrap(), secret, "more than enough");
        let two = [shares[0].clone(), shares[1].clone()];
        assert_eq!(combine(&two), Err(ShareError::TooFew { need: 3, have: 2 }));
        // Two shares with a forged third of zeros give something else.
        let mut forged = shares[2].clone();
        forged.y = vec![0; 32];
        forged.x = 9;
        assert_ne!(combine(&[shares[0].clone(), shares[1].clone(), forged]).unwrap(), secret);
        assert_eq!(combine(&[shares[0].clone(), shares[0].clone(), shares[1].clone()]), Err(ShareError::Duplicate));
        assert_eq!(split(&secret, 1, 5, "x"), Err(ShareError::Parameters));
        assert_eq!(split(&secret, 6, 5, "x"), Err(ShareError::Parameters));
    }

    #[test]
    fn shares_as_text_refuse_typos_and_mixtures() {
        let shares = split(b"0123456789abcdef0123456789abcdef", 2, 3, "fp01").unwrap();
        let text = shares[1].to_text();
        assert!(text.starts_with("HEDUI-SHARE-1:2:2:fp01:"));
        assert_eq!(Share::parse(&text, 1).unwrap(), shares[1]);
        let typo = text.replacen("HEDUI-SHARE-1:2:2:fp01:", "HEDUI-SHARE-1:2:3:fp01:", 1);
        assert_eq!(Share::parse(&typo, 2), Err(ShareError::Check(2)));
        assert_eq!(Share::parse("nonsense", 3), Err(ShareError::Format(3)));
        let other = split(b"0123456789abcdef0123456789abcdef", 2, 3, "fp02").unwrap();
        assert_eq!(combine(&[shares[0].clone(), other[1].clone()]), Err(ShareError::Mixed));
    }
}
