//! One-time passwords for the second factor: RFC 4226 HOTP and RFC 6238 TOTP over HMAC-SHA1, the
//! form common authenticator apps compute, with the base32 secret and `otpauth://` URI they enrol
//! from. HMAC-SHA1 is not a 国密 algorithm: a TOTP factor serves for convenience and does not, on
//! its own, meet the GB/T 39786 cryptographic requirement (the SM2 factor and the GM/T 0021
//! token do).
//!
//! GM/T 0021-2012 (GB/T 38556-2020) dynamic passwords are what 国密 hardware tokens compute: the
//! SM3 digest of the seed key and the factors, truncated by summing its eight words.

use hmac::{KeyInit, Mac};

type HmacSha1 = hmac::Hmac<sha1::Sha1>;

/// The HOTP value of `counter` (RFC 4226 §5.3: dynamic truncation, then `digits` decimal digits).
pub fn hotp_sha1(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let Ok(mut mac) = <HmacSha1 as KeyInit>::new_from_slice(secret) else { return 0 };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[h.len() - 1] & 0x0f);
    let code = u32::from_be_bytes([h[offset] & 0x7f, h[offset + 1], h[offset + 2], h[offset + 3]]);
    code % 10u32.pow(digits.min(9))
}

/// The TOTP value at `unix` seconds (RFC 6238: the HOTP of the number of `step`-second periods
/// since 1970).
pub fn totp_sha1(secret: &[u8], unix: i64, step: i64, digits: u32) -> u32 {
    hotp_sha1(secret, (unix.max(0) / step.max(1)) as u64, digits)
}

/// The time step a TOTP code of `unix` belongs to.
pub fn totp_step(unix: i64, step: i64) -> i64 {
    unix.max(0) / step.max(1)
}

/// The factors of a GM/T 0021 dynamic password; at least one is present.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sm3Factors<'a> {
    /// The time factor T: the number of change periods since 1970-01-01 00:00:00 UTC.
    pub time: Option<u64>,
    /// The event factor C: the token's event counter.
    pub counter: Option<u32>,
    /// The challenge factor Q (ASCII, at least four bytes).
    pub challenge: Option<&'a [u8]>,
}

/// The GM/T 0021-2012 §5 dynamic password over SM3: ID = T (8 bytes, big-endian) ‖ C (4 bytes)
/// ‖ Q, zero-filled to at least 128 bits; S = SM3(K ‖ ID); OD = the sum of S's eight big-endian
/// 32-bit words, modulo 2^32; P = OD mod 10^`digits` (the standard asks for six digits or more).
pub fn sm3_otp(key: &[u8], factors: &Sm3Factors<'_>, digits: u32) -> u32 {
    let mut input = zeroize::Zeroizing::new(Vec::with_capacity(key.len() + 16));
    input.extend_from_slice(key);
    if let Some(t) = factors.time {
        input.extend_from_slice(&t.to_be_bytes());
    }
    if let Some(c) = factors.counter {
        input.extend_from_slice(&c.to_be_bytes());
    }
    if let Some(q) = factors.challenge {
        input.extend_from_slice(q);
    }
    let id_len = input.len() - key.len();
    input.resize(key.len() + id_len.max(16), 0);
    let mut s = crate::sm3(&input);
    let od = s.chunks_exact(4).fold(0u32, |od, w| od.wrapping_add(u32::from_be_bytes([w[0], w[1], w[2], w[3]])));
    zeroize::Zeroize::zeroize(&mut s);
    od % 10u32.pow(digits.min(9))
}

/// The time-based GM/T 0021 password at `unix` seconds, with a `period`-second change period
/// (the standard allows up to 60) and the time factor alone, as time tokens compute it.
pub fn sm3_totp(key: &[u8], unix: i64, period: i64, digits: u32) -> u32 {
    let time = Some(totp_step(unix, period) as u64);
    sm3_otp(key, &Sm3Factors { time, ..Sm3Factors::default() }, digits)
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The bytes of an RFC 4648 base32 text (padding, spaces and case ignored); `None` if it has
/// another character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !matches!(c, b'=' | b' ')) {
        let v = BASE32.iter().position(|b| *b == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The enrolment URI of a TOTP secret (six digits, 30 seconds, SHA1), for an authenticator app or
/// a QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(account),
        base32(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_4226_hotp_vectors() {
        // RFC 4226 Appendix D.
        let expected = [755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489];
        for (counter, want) in expected.into_iter().enumerate() {
            assert_eq!(hotp_sha1(RFC_SECRET, counter as u64, 6), want, "count {counter}");
        }
    }

    #[test]
    fn rfc_6238_totp_vectors() {
        // RFC 6238 Appendix B, the SHA1 rows (8 digits, 30-second steps).
        let rows = [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ];
        for (t, want) in rows {
            assert_eq!(totp_sha1(RFC_SECRET, t, 30, 8), want, "T = {t}");
        }
    }

    /// GM/T 0021 vectors. The standard's own appendix examples are not public; these were
    /// computed by an independent implementation of §5 over OpenSSL's SM3 (Python's
    /// `hashlib.new("sm3")`), with the seed of the CnPack example, `1234567890abcdef…` (hex).
    #[test]
    fn gmt_0021_sm3_vectors() {
        let key = decode("1234567890abcdef1234567890abcdef");
        let f = |time, counter, challenge| Sm3Factors { time, counter, challenge };
        let rows: [(Sm3Factors<'_>, u32, u32); 7] = [
            (f(Some(1313998979 / 60), None, None), 6, 628729),
            (f(Some(1313998979 / 60), Some(1234), Some(b"5678")), 6, 20663),
            (f(None, Some(1234), None), 6, 411602),
            (f(None, None, Some(b"5678")), 6, 524832),
            (f(Some(0), None, None), 6, 607999),
            (f(Some(1 << 40), None, None), 8, 92735063),
            (f(Some(1767225600 / 60), Some(u32::MAX), Some(b"challenge-with-more-than-16-bytes")), 6, 469075),
        ];
        for (factors, digits, want) in rows {
            assert_eq!(sm3_otp(&key, &factors, digits), want, "{factors:?}");
        }
        assert_eq!(sm3_totp(&key, 1313998979, 60, 6), 628729, "the time token form");
        assert_eq!(sm3_totp(&key, 1313998979 - 1313998979 % 60, 60, 6), 628729, "same period");
        assert_ne!(sm3_totp(&key, 1313998979 + 60, 60, 6), 628729, "next period");
    }

    fn decode(hex: &str) -> Vec<u8> {
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn rfc_4648_base32_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(plain.as_bytes()), enc);
            assert_eq!(base32_decode(enc).unwrap(), plain.as_bytes());
        }
        assert_eq!(base32_decode("mzxw 6ytb oi======").unwrap(), b"foobar");
        assert!(base32_decode("MZ1").is_none());
        let uri = otpauth_uri("hedui 核对", "demo", b"12345678901234567890");
        assert!(
            uri.starts_with("otpauth://totp/hedui%20%E6%A0%B8%E5%AF%B9:demo?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&")
        );
    }
}
