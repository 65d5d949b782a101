//! A small pseudo-random generator whose output never changes between releases.
//!
//! The city must be byte-identical for the same seed on every machine and every
//! future build, so the generator cannot depend on a crate whose algorithm may
//! change. splitmix64 expands seeds; xoshiro256** produces the stream.

/// The 64-bit golden-ratio increment used by splitmix64.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// One step of splitmix64: advances `state` and returns the next output.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(GOLDEN);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Mixes two words into one well-scrambled word, used to derive independent streams.
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    let mut s = a;
    let first = splitmix64(&mut s);
    let mut t = first ^ b.wrapping_mul(GOLDEN).rotate_left(23);
    splitmix64(&mut t)
}

/// A stable hash of text (FNV-1a), used where the same name must always map to the same code.
pub(crate) fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3))
}

/// xoshiro256** (Blackman and Vigna), seeded through splitmix64.
#[derive(Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// Seeds the four state words from splitmix64, as the authors recommend.
    pub(crate) fn new(seed: u64) -> Rng {
        let mut st = seed;
        let s = [splitmix64(&mut st), splitmix64(&mut st), splitmix64(&mut st), splitmix64(&mut st)];
        Rng::from_state(s)
    }

    /// Builds a generator from raw state; an all-zero state would be stuck at zero, so it is replaced.
    pub(crate) fn from_state(s: [u64; 4]) -> Rng {
        if s == [0; 4] { Rng::new(GOLDEN) } else { Rng { s } }
    }

    /// An independent stream for one household and one purpose, so that households can be
    /// generated in any order and a change to one aspect does not reshuffle the others.
    pub(crate) fn derive(seed: u64, household: u64, stream: u64) -> Rng {
        Rng::new(mix(mix(seed, household), stream))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A number in `0..n` (0 when `n` is 0), by multiply-and-shift; the bias is below 2⁻³² for
    /// the small ranges used here, which is irrelevant for synthetic data.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`; returns `lo` when the range is empty.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = hi.abs_diff(lo) + 1;
        lo.wrapping_add(self.below(span) as i64)
    }

    /// True with probability `per_mille` / 1000.
    pub(crate) fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// An index in `0..len` (0 when `len` is 0).
    pub(crate) fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// A uniformly chosen element; `items` must not be empty (all callers pass constant tables
    /// or lists they checked).
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.index(items.len())]
    }

    /// An element chosen with the given integer weights; `items` must not be empty.
    pub(crate) fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut r = self.below(total);
        for (item, w) in items {
            if r < u64::from(*w) {
                return *item;
            }
            r -= u64::from(*w);
        }
        items[items.len() - 1].0
    }
}

#[cfg(test)]
// A failed expectation in a test is the failure report itself.
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        let mut s = 0u64;
        assert_eq!(splitmix64(&mut s), 0xE220_A839_7B1D_CDAF);
        assert_eq!(splitmix64(&mut s), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(splitmix64(&mut s), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn xoshiro_matches_the_reference_sequence() {
        let mut r = Rng::from_state([1, 2, 3, 4]);
        assert_eq!(r.next_u64(), 11_520);
        assert_eq!(r.next_u64(), 0);
        assert_eq!(r.next_u64(), 1_509_978_240);
        assert_eq!(r.next_u64(), 1_215_971_899_390_074_240);
    }

    #[test]
    fn ranges_stay_inside_their_bounds() {
        let mut r = Rng::new(7);
        for _ in 0..10_000 {
            let v = r.range(-3, 5);
            assert!((-3..=5).contains(&v));
            assert!(r.below(10) < 10);
        }
        assert_eq!(r.range(4, 4), 4);
        assert_eq!(r.range(4, 1), 4);
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn derived_streams_differ() {
        let a = Rng::derive(42, 1, 0).next_u64();
        let b = Rng::derive(42, 2, 0).next_u64();
        let c = Rng::derive(42, 1, 1).next_u64();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, Rng::derive(42, 1, 0).next_u64());
    }
}
