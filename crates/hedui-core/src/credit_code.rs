//! 统一社会信用代码 (unified social credit code, GB 32100-2015) of companies,
//! sole traders, cooperatives and social organizations.
//!
//! Layout: registration authority (1) + organization category (1) + region
//! code of the registering office (6) + subject code, the former organization
//! code (9) + check character (1), all from a 31-character alphabet.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::region::RegionCode;

/// The code alphabet: digits and upper-case letters without I, O, S, V, Z,
/// which are too easily confused with 1, 0, 5, U and 2.
pub const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of the MOD 31 check over the first 17 characters (3^i mod 31).
pub const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters, or `None` if they are
/// not 17 characters of [`ALPHABET`].
pub fn check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (&c, w) in first17.iter().zip(WEIGHTS) {
        sum += value_of(c)? * w;
    }
    Some(ALPHABET[((31 - sum % 31) % 31) as usize])
}

/// Why a text is not a valid credit code. Positions count from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("统一社会信用代码为空")]
    Empty,
    #[error("统一社会信用代码应为 18 位，实为 {0} 位")]
    BadLength(usize),
    #[error("统一社会信用代码第 {0} 位“{1}”无效：只能是数字或大写字母（不含 I、O、S、V、Z）")]
    BadCharacter(usize, char),
    #[error("统一社会信用代码校验码错误：应为 {expected}，实为 {found}。请核对代码是否抄错")]
    BadCheckChar { expected: char, found: char },
}

/// A valid 18-character unified social credit code, in upper case.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct CreditCode(String);

/// Folds full-width letters and digits to ASCII and lower case to upper case.
fn fold(c: char) -> char {
    let c = match c {
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    c.to_ascii_uppercase()
}

impl CreditCode {
    /// Parses a code: trims, folds case and full-width forms, checks the
    /// alphabet and the check character.
    ///
    /// The region part is not checked against any table: a registering
    /// office's code may since have been retired.
    pub fn parse(s: &str) -> Result<CreditCode, CreditCodeError> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(CreditCodeError::Empty);
        }
        let folded: String = trimmed.chars().map(fold).collect();
        let len = folded.chars().count();
        if len != 18 {
            return Err(CreditCodeError::BadLength(len));
        }
        for (i, (c, raw)) in folded.chars().zip(trimmed.chars()).enumerate() {
            if !c.is_ascii() || value_of(c as u8).is_none() {
                return Err(CreditCodeError::BadCharacter(i + 1, raw));
            }
        }
        let b = folded.as_bytes();
        // The loop above proved all 18 characters are in the alphabet, so
        // there is always a check character; the fallback only keeps the
        // code free of panics.
        let expected = check_char(&b[..17]).unwrap_or(b'?');
        if b[17] != expected {
            return Err(CreditCodeError::BadCheckChar { expected: char::from(expected), found: char::from(b[17]) });
        }
        Ok(CreditCode(folded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 登记管理部门码 (character 1): `1` 机构编制, `5` 民政, `9` 工商 / 市场监管,
    /// and others.
    pub fn registration_authority(&self) -> char {
        char::from(self.0.as_bytes()[0])
    }

    /// 机构类别码 (character 2), meaningful together with the authority.
    pub fn organization_category(&self) -> char {
        char::from(self.0.as_bytes()[1])
    }

    /// 登记管理机关行政区划码 (characters 3–8), as written.
    pub fn region_code(&self) -> &str {
        &self.0[2..8]
    }

    /// The region part as a [`RegionCode`], if it is well-formed.
    pub fn region(&self) -> Option<RegionCode> {
        RegionCode::parse(self.region_code()).ok()
    }

    /// 主体标识码 (characters 9–17), the former organization code.
    pub fn subject_code(&self) -> &str {
        &self.0[8..17]
    }

    /// A short description of the kind of entity, for reports.
    pub fn category_name(&self) -> &'static str {
        match (self.registration_authority(), self.organization_category()) {
            ('9', '1') => "企业",
            ('9', '2') => "个体工商户",
            ('9', '3') => "农民专业合作社",
            ('9', _) => "市场监管部门登记的其他主体",
            ('5', _) => "社会组织",
            ('1', _) => "机关、事业单位等（机构编制部门登记）",
            _ => "其他组织",
        }
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CreditCode {
    type Err = CreditCodeError;
    fn from_str(s: &str) -> Result<CreditCode, CreditCodeError> {
        CreditCode::parse(s)
    }
}

impl Serialize for CreditCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CreditCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<CreditCode, D::Error> {
        let s = String::deserialize(d)?;
        CreditCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
// Tests may panic on a broken fixture; that is the point of a test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SAMPLE: &str = "91350100M000100Y43";

    fn with_check(first17: &str) -> String {
        let c = check_char(first17.as_bytes()).expect("17 alphabet characters");
        format!("{first17}{}", char::from(c))
    }

    #[test]
    fn sample_is_valid_and_accessors_split_it() {
        let c = CreditCode::parse(SAMPLE).expect("sample validates");
        assert_eq!(c.as_str(), SAMPLE);
        assert_eq!(c.registration_authority(), '9');
        assert_eq!(c.organization_category(), '1');
        assert_eq!(c.region_code(), "350100");
        assert_eq!(c.region().map(|r| r.to_string()), Some("350100".into()));
        assert_eq!(c.subject_code(), "M000100Y4");
        assert_eq!(c.category_name(), "企业");
        assert_eq!(check_char(&SAMPLE.as_bytes()[..17]), Some(b'3'));
    }

    #[test]
    fn input_is_normalized() {
        for input in [" 91350100m000100y43 ", "９１３５０１００Ｍ０００１００Ｙ４３"] {
            assert_eq!(CreditCode::parse(input).map(|c| c.0), Ok(SAMPLE.to_string()), "{input}");
        }
    }

    #[test]
    fn errors() {
        let cases = [
            ("", CreditCodeError::Empty),
            ("91350100M000100Y4", CreditCodeError::BadLength(17)),
            ("91350100M0001O0Y43", CreditCodeError::BadCharacter(14, 'O')),
            ("9135010 M000100Y43", CreditCodeError::BadCharacter(8, ' ')),
            ("91350100M000100Y44", CreditCodeError::BadCheckChar { expected: '3', found: '4' }),
        ];
        for (input, err) in cases {
            assert_eq!(CreditCode::parse(input), Err(err), "{input:?}");
        }
        assert_eq!(check_char(b"91350100M000100YI"), None);
    }

    #[test]
    fn category_names() {
        let cases = [
            ("92320402MA00000000", "个体工商户"),
            ("93320402MA00000000", "农民专业合作社"),
            ("51320400500000000", "社会组织"),
            ("12320400466000000", "机关、事业单位等（机构编制部门登记）"),
            ("Y1320400000000000", "其他组织"),
        ];
        for (first17, name) in cases {
            let first17 = &first17[..17];
            let c = CreditCode::parse(&with_check(first17)).expect("generated code is valid");
            assert_eq!(c.category_name(), name, "{first17}");
        }
    }

    #[test]
    fn serde_round_trip() {
        let c = CreditCode::parse(SAMPLE).expect("valid");
        let json = serde_json::to_string(&c).expect("serializes");
        assert_eq!(serde_json::from_str::<CreditCode>(&json).expect("deserializes"), c);
        assert!(serde_json::from_str::<CreditCode>("\"91350100M000100Y44\"").is_err());
    }

    fn first17() -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(ALPHABET.to_vec()), 17)
            .prop_map(|v| String::from_utf8(v).expect("ASCII"))
    }

    proptest! {
        #[test]
        fn generated_codes_validate(body in first17()) {
            let code = with_check(&body);
            prop_assert_eq!(CreditCode::parse(&code).map(|c| c.0), Ok(code.clone()));
        }

        #[test]
        fn every_single_substitution_is_detected(body in first17()) {
            let code = with_check(&body);
            for pos in 0..18 {
                for &alt in ALPHABET {
                    let mut changed = code.as_bytes().to_vec();
                    if changed[pos] == alt {
                        continue;
                    }
                    changed[pos] = alt;
                    let changed = String::from_utf8(changed).expect("ASCII");
                    prop_assert!(CreditCode::parse(&changed).is_err(), "{} accepted", changed);
                }
            }
        }

        #[test]
        fn every_adjacent_transposition_is_detected(body in first17()) {
            let code = with_check(&body);
            for pos in 0..17 {
                let mut swapped = code.as_bytes().to_vec();
                if swapped[pos] == swapped[pos + 1] {
                    continue;
                }
                swapped.swap(pos, pos + 1);
                let swapped = String::from_utf8(swapped).expect("ASCII");
                prop_assert!(CreditCode::parse(&swapped).is_err(), "{} accepted", swapped);
            }
        }
    }
}
