//! Identifier codes the city needs: 公民身份号码 (unique, valid, sometimes 15-digit or
//! deliberately mistyped), 统一社会信用代码 (GB 32100), bank account numbers, plates and
//! certificate numbers.

use std::collections::HashSet;

use hedui_core::Date;
use hedui_core::id_number::check_char;

use crate::rng::Rng;

/// Appends the GB 11643 check character to 17 digits.
pub(crate) fn complete_id(first17: &str) -> Option<String> {
    let c = check_char(first17.as_bytes())?;
    let mut id = String::with_capacity(18);
    id.push_str(first17);
    id.push(char::from(c));
    Some(id)
}

/// True for an 18-character ID whose check character matches its first 17 digits.
pub(crate) fn is_valid_id18(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 18 && check_char(&b[..17]) == Some(b[17])
}

/// The 15-digit (pre-1999) form of an ID, only for people born in 1900–1999, whose
/// 18-digit form is recovered by inserting "19".
pub(crate) fn to15(id18: &str) -> Option<String> {
    if id18.len() == 18 && id18.is_ascii() && &id18[6..8] == "19" {
        Some(format!("{}{}", &id18[..6], &id18[8..17]))
    } else {
        None
    }
}

/// A typing error: one character changed, or two adjacent different characters swapped.
/// The result always fails the check character, so it can never collide with a real ID.
pub(crate) fn mistype(id: &str, rng: &mut Rng) -> String {
    let original = id.as_bytes();
    if original.len() == 18 {
        for _ in 0..64 {
            let mut b = original.to_vec();
            if rng.chance(600) {
                let p = rng.below(18) as usize;
                let alphabet: &[u8] = if p == 17 { b"0123456789X" } else { b"0123456789" };
                let c = rng.pick(alphabet);
                if c == b[p] {
                    continue;
                }
                b[p] = c;
            } else {
                let p = rng.below(17) as usize;
                if b[p] == b[p + 1] {
                    continue;
                }
                b.swap(p, p + 1);
            }
            let s: String = b.iter().map(|&c| char::from(c)).collect();
            if !is_valid_id18(&s) {
                return s;
            }
        }
    }
    // A single substitution of the check character always invalidates the number; this path
    // is reached only if every random attempt above happened to be rejected.
    let mut s: String = id.chars().take(17).collect();
    let last = id.chars().nth(17);
    s.push(if last == Some('0') { '1' } else { '0' });
    if is_valid_id18(&s) {
        s.pop();
        s.push('2');
    }
    s
}

/// Hands out 公民身份号码 that are unique across the whole city.
///
/// Random sequence numbers collide (a million people share a few hundred thousand
/// address-and-birthday combinations), so used numbers are remembered as integers: about
/// 20 MB for a million persons, far less than the city itself.
#[derive(Default)]
pub(crate) struct IdRegistry {
    used: HashSet<u64>,
}

impl IdRegistry {
    /// A fresh valid ID for `addr` (6 digits), `birth` and sex (odd sequence = male).
    pub(crate) fn allocate(&mut self, addr: &str, birth: Date, male: bool, rng: &mut Rng) -> Option<String> {
        for _ in 0..4000 {
            let seq = rng.below(499) * 2 + if male { 1 } else { 2 };
            let first17 = format!("{addr}{}{seq:03}", birth.compact());
            let key: u64 = first17.parse().ok()?;
            if self.used.insert(key) {
                return complete_id(&first17);
            }
        }
        None
    }
}

/// The 31 characters of GB 32100 (no I, O, S, V, Z).
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// The GB 32100 check character for the first 17 characters, or `None` if one is outside the alphabet.
pub(crate) fn uscc_check(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in first17.iter().zip(USCC_WEIGHTS) {
        let v = USCC_ALPHABET.iter().position(|a| a == c)? as u32;
        sum += v * w;
    }
    Some(USCC_ALPHABET[((31 - sum % 31) % 31) as usize])
}

/// A valid 统一社会信用代码: `prefix` (`91` company, `92` 个体工商户, `93` 合作社), the 6-digit
/// registering region, a 9-character organization code (8 digits plus its GB 11714 check)
/// and the GB 32100 check character. The same `key` always yields the same code.
pub(crate) fn credit_code(prefix: &str, region6: &str, key: u64) -> String {
    let digits = format!("{:08}", key % 100_000_000);
    const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = digits.bytes().zip(ORG_WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    let org_check = match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from(b'0' + d as u8),
    };
    let first17 = format!("{prefix}{region6}{digits}{org_check}");
    // Every character above is a digit or 'X', all inside the GB 32100 alphabet, so the check exists.
    let check = uscc_check(first17.as_bytes()).map_or('0', char::from);
    format!("{first17}{check}")
}

/// A 19-digit card number: 6-digit bank prefix, 12-digit serial and a Luhn check digit.
pub(crate) fn account_number(bin: &str, serial: u64) -> String {
    // Multiplying by a number coprime with 10¹² permutes the serials, so numbers stay unique
    // but no longer look like a counter.
    const MODULUS: u64 = 1_000_000_000_000;
    let scrambled = (u128::from(serial % MODULUS) * 7_654_321_013 + 318_804_522_117) % u128::from(MODULUS);
    let body = format!("{bin}{scrambled:012}");
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    let check = (10 - sum % 10) % 10;
    format!("{body}{check}")
}

/// Plate characters of GA 36-2018: letters without I and O, then digits.
const PLATE_CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";

/// A Jiangsu plate for the city's issuing letter; new-energy plates have six characters.
pub(crate) fn plate(rng: &mut Rng, letter: char, new_energy: bool) -> String {
    let mut p = format!("苏{letter}");
    if new_energy {
        p.push(if rng.chance(700) { 'D' } else { 'F' });
        p.push(char::from(rng.pick(&PLATE_CHARS[..24])));
        for _ in 0..4 {
            p.push(char::from(b'0' + rng.below(10) as u8));
        }
    } else {
        p.push(char::from(rng.pick(PLATE_CHARS)));
        for _ in 0..4 {
            let c = if rng.chance(150) { rng.pick(&PLATE_CHARS[..24]) } else { b'0' + rng.below(10) as u8 };
            p.push(char::from(c));
        }
    }
    p
}

#[cfg(test)]
// A failed expectation in a test is the failure report itself.
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn check_characters_match_the_published_vectors() {
        assert_eq!(complete_id("36042619910101007").as_deref(), Some("360426199101010071"));
        assert_eq!(complete_id("34052419800101001").as_deref(), Some("34052419800101001X"));
        assert!(is_valid_id18("120103198806018241"));
        assert_eq!(uscc_check(b"91350100M000100Y4"), Some(b'3'));
        assert_eq!(uscc_check(b"91350100I000100Y4"), None);
        assert_eq!(to15("370802199402210029").as_deref(), Some("370802940221002"));
        assert_eq!(to15("110101202311012176"), None);
    }

    #[test]
    fn mistyped_ids_are_always_invalid_and_one_edit_away() {
        let mut rng = Rng::new(3);
        for id in ["360426199101010071", "34052419800101001X", "110101202311012176", "320402200001011111"] {
            for _ in 0..2_000 {
                let m = mistype(id, &mut rng);
                assert!(!is_valid_id18(&m), "{m} from {id}");
                assert_eq!(m.len(), 18);
                let diff: Vec<usize> = (0..18).filter(|&i| m.as_bytes()[i] != id.as_bytes()[i]).collect();
                let swapped = diff.len() == 2
                    && diff[1] == diff[0] + 1
                    && m.as_bytes()[diff[0]] == id.as_bytes()[diff[1]]
                    && m.as_bytes()[diff[1]] == id.as_bytes()[diff[0]];
                assert!(diff.len() == 1 || swapped, "{m} from {id}");
            }
        }
    }

    #[test]
    fn credit_codes_validate_and_are_stable() {
        for key in [0u64, 1, 42, 99_999_999, 123_456_789_012] {
            let c = credit_code("91", "320402", key);
            assert_eq!(c.len(), 18);
            assert_eq!(uscc_check(&c.as_bytes()[..17]), Some(c.as_bytes()[17]));
            assert_eq!(c, credit_code("91", "320402", key));
        }
    }

    #[test]
    fn registry_never_repeats_an_id() {
        let mut reg = IdRegistry::default();
        let mut rng = Rng::new(9);
        let birth = Date::new(1980, 5, 6).expect("valid date");
        let mut seen = HashSet::new();
        for i in 0..900 {
            let id = reg.allocate("320402", birth, i % 2 == 0, &mut rng).expect("space left");
            assert!(is_valid_id18(&id));
            assert_eq!((id.as_bytes()[16] - b'0') % 2 == 1, i % 2 == 0, "sex digit of {id}");
            assert!(seen.insert(id));
        }
    }

    /// Luhn validation written independently of the generator: double every second digit from the right.
    fn luhn_ok(n: &str) -> bool {
        let sum: u32 = n
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 1 { (d * 2) / 10 + (d * 2) % 10 } else { d }
            })
            .sum();
        sum.is_multiple_of(10)
    }

    #[test]
    fn account_numbers_pass_luhn() {
        assert!(luhn_ok("79927398713"));
        for serial in [0, 1, 123, 999_999_999_999] {
            let n = account_number("622202", serial);
            assert_eq!(n.len(), 19);
            assert!(luhn_ok(&n), "{n}");
        }
    }
}
