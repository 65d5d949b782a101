//! SM4 (GB/T 32907-2016) with the S-box and the linear transform L merged into one lookup
//! table, encrypting four blocks at a time so that their rounds overlap.
//!
//! hedui seals millions of values during a mirror import; the byte-wise reference
//! implementation spent most of its time on L's rotations. The round function here is four
//! table lookups, three rotations and XORs. Table lookups depend on secret data, so this is
//! the classic table implementation's cache-timing trade-off (that of GmSSL and OpenSSL's
//! portable SM4): acceptable for a server's storage encryption, where an attacker would
//! first need code running on the same cores; a hardware module replaces it through
//! [`crate::KeyProvider`]. Only encryption is provided: GCM never decrypts blocks.
//!
//! Tests check the standard's examples and compare every output with the `sm4` crate.

use sm4::cipher::consts::{U4, U16};
use sm4::cipher::{
    AlgorithmName, Block, BlockCipherEncBackend, BlockCipherEncClosure, BlockCipherEncrypt, BlockSizeUser, InOut, Key,
    KeyInit, KeySizeUser, ParBlocks, ParBlocksSizeUser,
};

/// The S-box, GB/T 32907-2016 table 1.
const SBOX: [u8; 256] = [
    0xd6, 0x90, 0xe9, 0xfe, 0xcc, 0xe1, 0x3d, 0xb7, 0x16, 0xb6, 0x14, 0xc2, 0x28, 0xfb, 0x2c, 0x05, 0x2b, 0x67, 0x9a,
    0x76, 0x2a, 0xbe, 0x04, 0xc3, 0xaa, 0x44, 0x13, 0x26, 0x49, 0x86, 0x06, 0x99, 0x9c, 0x42, 0x50, 0xf4, 0x91, 0xef,
    0x98, 0x7a, 0x33, 0x54, 0x0b, 0x43, 0xed, 0xcf, 0xac, 0x62, 0xe4, 0xb3, 0x1c, 0xa9, 0xc9, 0x08, 0xe8, 0x95, 0x80,
    0xdf, 0x94, 0xfa, 0x75, 0x8f, 0x3f, 0xa6, 0x47, 0x07, 0xa7, 0xfc, 0xf3, 0x73, 0x17, 0xba, 0x83, 0x59, 0x3c, 0x19,
    0xe6, 0x85, 0x4f, 0xa8, 0x68, 0x6b, 0x81, 0xb2, 0x71, 0x64, 0xda, 0x8b, 0xf8, 0xeb, 0x0f, 0x4b, 0x70, 0x56, 0x9d,
    0x35, 0x1e, 0x24, 0x0e, 0x5e, 0x63, 0x58, 0xd1, 0xa2, 0x25, 0x22, 0x7c, 0x3b, 0x01, 0x21, 0x78, 0x87, 0xd4, 0x00,
    0x46, 0x57, 0x9f, 0xd3, 0x27, 0x52, 0x4c, 0x36, 0x02, 0xe7, 0xa0, 0xc4, 0xc8, 0x9e, 0xea, 0xbf, 0x8a, 0xd2, 0x40,
    0xc7, 0x38, 0xb5, 0xa3, 0xf7, 0xf2, 0xce, 0xf9, 0x61, 0x15, 0xa1, 0xe0, 0xae, 0x5d, 0xa4, 0x9b, 0x34, 0x1a, 0x55,
    0xad, 0x93, 0x32, 0x30, 0xf5, 0x8c, 0xb1, 0xe3, 0x1d, 0xf6, 0xe2, 0x2e, 0x82, 0x66, 0xca, 0x60, 0xc0, 0x29, 0x23,
    0xab, 0x0d, 0x53, 0x4e, 0x6f, 0xd5, 0xdb, 0x37, 0x45, 0xde, 0xfd, 0x8e, 0x2f, 0x03, 0xff, 0x6a, 0x72, 0x6d, 0x6c,
    0x5b, 0x51, 0x8d, 0x1b, 0xaf, 0x92, 0xbb, 0xdd, 0xbc, 0x7f, 0x11, 0xd9, 0x5c, 0x41, 0x1f, 0x10, 0x5a, 0xd8, 0x0a,
    0xc1, 0x31, 0x88, 0xa5, 0xcd, 0x7b, 0xbd, 0x2d, 0x74, 0xd0, 0x12, 0xb8, 0xe5, 0xb4, 0xb0, 0x89, 0x69, 0x97, 0x4a,
    0x0c, 0x96, 0x77, 0x7e, 0x65, 0xb9, 0xf1, 0x09, 0xc5, 0x6e, 0xc6, 0x84, 0x18, 0xf0, 0x7d, 0xec, 0x3a, 0xdc, 0x4d,
    0x20, 0x79, 0xee, 0x5f, 0x3e, 0xd7, 0xcb, 0x39, 0x48,
];

/// The key schedule's system parameter FK.
const FK: [u32; 4] = [0xa3b1bac6, 0x56aa3350, 0x677d9197, 0xb27022dc];

/// The linear transform L of the round function.
const fn l(b: u32) -> u32 {
    b ^ b.rotate_left(2) ^ b.rotate_left(10) ^ b.rotate_left(18) ^ b.rotate_left(24)
}

/// `T0[x] = L(S(x) << 24)`. L commutes with rotation, so the other three byte positions use
/// the same table rotated right by 8, 16 and 24 bits.
const T0: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = l((SBOX[i] as u32) << 24);
        i += 1;
    }
    t
};

#[inline(always)]
fn t(x: u32) -> u32 {
    let [a, b, c, d] = x.to_be_bytes();
    T0[a as usize] ^ T0[b as usize].rotate_right(8) ^ T0[c as usize].rotate_right(16) ^ T0[d as usize].rotate_right(24)
}

/// The key schedule's byte-wise τ followed by L'.
fn t_key(x: u32) -> u32 {
    let b = x.to_be_bytes().map(|v| SBOX[v as usize]);
    let s = u32::from_be_bytes(b);
    s ^ s.rotate_left(13) ^ s.rotate_left(23)
}

/// The constant CK: byte j of CK_i is (4i + j) * 7 mod 256.
fn ck(i: usize) -> u32 {
    let b = |j: usize| (((4 * i + j) * 7) % 256) as u8;
    u32::from_be_bytes([b(0), b(1), b(2), b(3)])
}

/// SM4 with a 16-byte key; encryption only.
#[derive(Clone)]
pub struct Sm4T {
    rk: [u32; 32],
}

impl std::fmt::Debug for Sm4T {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sm4T { .. }")
    }
}

impl KeySizeUser for Sm4T {
    type KeySize = U16;
}

impl KeyInit for Sm4T {
    fn new(key: &Key<Self>) -> Self {
        let mut k = [0u32; 4];
        for (i, w) in k.iter_mut().enumerate() {
            *w = u32::from_be_bytes([key[4 * i], key[4 * i + 1], key[4 * i + 2], key[4 * i + 3]]) ^ FK[i];
        }
        let mut rk = [0u32; 32];
        for (i, r) in rk.iter_mut().enumerate() {
            let next = k[0] ^ t_key(k[1] ^ k[2] ^ k[3] ^ ck(i));
            k = [k[1], k[2], k[3], next];
            *r = next;
        }
        Sm4T { rk }
    }
}

impl BlockSizeUser for Sm4T {
    type BlockSize = U16;
}

impl ParBlocksSizeUser for Sm4T {
    type ParBlocksSize = U4;
}

impl AlgorithmName for Sm4T {
    fn write_alg_name(f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sm4")
    }
}

impl BlockCipherEncrypt for Sm4T {
    #[inline]
    fn encrypt_with_backend(&self, f: impl BlockCipherEncClosure<BlockSize = Self::BlockSize>) {
        f.call(self)
    }
}

#[inline(always)]
fn load(b: &[u8]) -> [u32; 4] {
    let w = |i: usize| u32::from_be_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
    [w(0), w(1), w(2), w(3)]
}

#[inline(always)]
fn store(x: &[u32; 4], out: &mut [u8]) {
    // The output is the last four words in reverse order (the transform R).
    for (i, w) in x.iter().rev().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&w.to_be_bytes());
    }
}

impl Sm4T {
    /// Runs the 32 rounds over N independent blocks, round by round, so that the CPU works on
    /// several lookups at once.
    #[inline(always)]
    fn rounds<const N: usize>(&self, x: &mut [[u32; 4]; N]) {
        for r in self.rk.chunks_exact(4) {
            for b in x.iter_mut() {
                b[0] ^= t(b[1] ^ b[2] ^ b[3] ^ r[0]);
                b[1] ^= t(b[2] ^ b[3] ^ b[0] ^ r[1]);
                b[2] ^= t(b[3] ^ b[0] ^ b[1] ^ r[2]);
                b[3] ^= t(b[0] ^ b[1] ^ b[2] ^ r[3]);
            }
        }
    }
}

impl BlockCipherEncBackend for Sm4T {
    #[inline]
    fn encrypt_block(&self, mut block: InOut<'_, '_, Block<Self>>) {
        let mut x = [load(block.get_in())];
        self.rounds(&mut x);
        store(&x[0], block.get_out());
    }

    #[inline]
    fn encrypt_par_blocks(&self, mut blocks: InOut<'_, '_, ParBlocks<Self>>) {
        let input = blocks.get_in();
        let mut x = [load(&input[0]), load(&input[1]), load(&input[2]), load(&input[3])];
        self.rounds(&mut x);
        let out = blocks.get_out();
        for (i, b) in x.iter().enumerate() {
            store(b, &mut out[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sm4::Sm4;

    fn hex16(s: &str) -> [u8; 16] {
        crate::decode_hex(s).and_then(|v| v.try_into().ok()).expect("16 bytes of hex")
    }

    fn encrypt(c: &impl BlockCipherEncrypt<BlockSize = U16>, b: [u8; 16]) -> [u8; 16] {
        let mut block = Block::<Sm4T>::from(b);
        c.encrypt_block(&mut block);
        block.into()
    }

    #[test]
    fn matches_the_standard_examples() {
        // GB/T 32907-2016 appendix A: key and plaintext 0123456789abcdeffedcba9876543210.
        let k = hex16("0123456789abcdeffedcba9876543210");
        let c = Sm4T::new(&Key::<Sm4T>::from(k));
        assert_eq!(encrypt(&c, k), hex16("681edf34d206965e86b3e94f536e4246"));
        // Example 2: the same plaintext encrypted 1,000,000 times.
        let mut b = k;
        for _ in 0..1_000_000 {
            b = encrypt(&c, b);
        }
        assert_eq!(b, hex16("595298c7c6fd271f0402f804c33d3f66"));
    }

    #[test]
    fn agrees_with_the_reference_implementation_one_block_and_four_at_a_time() {
        // A simple deterministic generator: the test must not depend on the system's randomness.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            let mut out = [0u8; 16];
            for chunk in out.chunks_mut(8) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                chunk.copy_from_slice(&state.to_le_bytes());
            }
            out
        };
        for _ in 0..200 {
            let key = next();
            let ours = Sm4T::new(&Key::<Sm4T>::from(key));
            let reference = Sm4::new(&Key::<Sm4>::from(key));
            let blocks = [next(), next(), next(), next(), next()];
            for b in blocks {
                assert_eq!(encrypt(&ours, b), encrypt(&reference, b));
            }
            let mut many: Vec<Block<Sm4T>> = blocks.iter().map(|b| Block::<Sm4T>::from(*b)).collect();
            ours.encrypt_blocks(&mut many);
            for (got, b) in many.iter().zip(blocks) {
                assert_eq!(<[u8; 16]>::from(*got), encrypt(&reference, b));
            }
        }
    }
}
