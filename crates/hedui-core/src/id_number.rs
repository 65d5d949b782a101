//! 公民身份号码 (GB 11643-1999) and the other 18-character identity documents
//! that share its layout.
//!
//! One type, [`IdNumber`], holds every accepted number in its normalized form:
//! 18 ASCII characters, a final `X` in upper case, 15-digit numbers upgraded.
//! The same layout (6-digit address code, 8-digit birth date, 3-digit
//! sequence, MOD 11-2 check character) is used by the residence permits for
//! Hong Kong, Macao and Taiwan residents and by the 2023 foreigner's permanent
//! residence card, so "18 characters" never implies a citizen: see [`IdKind`].
//!
//! The address code is the place of *first* registration and often belongs
//! to a retired division code, so parsing never rejects a number for its
//! address code; [`IdNumber::parse_with`] only attaches an [`IdNote`].
// tidy: allow(long-file): GB 11643 parsing with its tests inline; the production code is under 500 lines.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::date::Date;
use crate::region::{RegionCode, RegionStatus, RegionTable, is_province_number};

/// Weights of the ISO 7064 MOD 11-2 check over the first 17 digits.
pub const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The check character (`b'0'..=b'9'` or `b'X'`) for the first 17 characters,
/// or `None` if they are not 17 ASCII digits.
pub fn check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    Some(b"10X98765432"[(sum % 11) as usize])
}

/// Birth years before this are treated as typing errors: nobody alive or
/// applying for assistance was born earlier, and it keeps `0991` from passing.
const MIN_BIRTH_YEAR: u16 = 1800;

/// Which document an 18-character number belongs to, read from its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// 居民身份证 (citizen identity card).
    Citizen,
    /// 港澳居民居住证: prefix `810000` (Hong Kong) or `820000` (Macao).
    HkMacaoResidence,
    /// 台湾居民居住证: prefix `830000`.
    TaiwanResidence,
    /// 外国人永久居留身份证 (2023 card): leading `9`, then the province of
    /// the issuing office and a 3-digit nationality code.
    ForeignPermanent,
}

impl IdKind {
    /// The document name used on forms.
    pub fn label_zh(self) -> &'static str {
        match self {
            IdKind::Citizen => "居民身份证",
            IdKind::HkMacaoResidence => "港澳居民居住证",
            IdKind::TaiwanResidence => "台湾居民居住证",
            IdKind::ForeignPermanent => "外国人永久居留身份证",
        }
    }
}

/// Sex as encoded by the sequence number (odd = male).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn label_zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// Why a text is not a valid ID number. Positions count from 1, as a clerk
/// reads them off the card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("身份号码为空")]
    Empty,
    #[error("身份号码应为 18 位（旧号码为 15 位），实为 {0} 位")]
    BadLength(usize),
    #[error("身份号码第 {0} 位“{1}”无效：只能是数字，仅第 18 位可以是 X")]
    BadCharacter(usize, char),
    #[error("校验码错误：应为 {expected}，实为 {found}。请核对号码是否抄错")]
    BadCheckChar { expected: char, found: char },
    #[error("出生日期“{0}”不存在或不合理，请核对号码中的出生日期部分")]
    BadBirthDate(String),
}

/// Something worth recording about an accepted number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdNote {
    /// Full-width characters or a lower-case `x` were folded.
    Normalized,
    /// A 15-digit number was upgraded to 18 digits.
    UpgradedFrom15,
    /// The address code is well-formed but not in the region data (retired
    /// or too new); the number is still valid.
    UnknownAddressCode(String),
    /// The address code's province part is not a GB/T 2260 province; the
    /// number is still accepted because the check character matches.
    ImplausibleAddressCode(String),
}

impl fmt::Display for IdNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdNote::Normalized => f.write_str("号码含全角字符或小写 x，已规范化"),
            IdNote::UpgradedFrom15 => f.write_str("15 位旧号码已升级为 18 位"),
            IdNote::UnknownAddressCode(c) => {
                write!(f, "地址码 {c} 不在现行区划代码中（可能已撤销），号码仍有效")
            }
            IdNote::ImplausibleAddressCode(c) => {
                write!(f, "地址码 {c} 的省级部分不是有效的省级代码，请留意核实")
            }
        }
    }
}

impl IdNote {
    /// A stable code that holds nothing of the number (no digit of it, no address code).
    pub fn code(&self) -> &'static str {
        match self {
            IdNote::Normalized => "normalized",
            IdNote::UpgradedFrom15 => "upgraded_legacy_number",
            IdNote::UnknownAddressCode(_) => "unknown_address_code",
            IdNote::ImplausibleAddressCode(_) => "implausible_address_code",
        }
    }
}

impl IdError {
    /// A stable code that holds nothing of the number.
    pub fn code(&self) -> &'static str {
        match self {
            IdError::Empty => "empty",
            IdError::BadLength(_) => "bad_length",
            IdError::BadCharacter(..) => "bad_character",
            IdError::BadCheckChar { .. } => "bad_check_char",
            IdError::BadBirthDate(_) => "bad_birth_date",
        }
    }
}

/// What is stored about a member's ID number (`member.id_note`): codes only, never digits of the
/// number. `invalid:<code>` for a number that did not parse, else the notes' codes joined by `;`.
pub fn note_codes(parsed: &Result<Parsed, IdError>) -> String {
    match parsed {
        Ok(p) => p.notes.iter().map(IdNote::code).collect::<Vec<_>>().join(";"),
        Err(e) => format!("invalid:{}", e.code()),
    }
}

/// A clerk's reading of stored note codes, in Chinese, with no digit of the number in it.
pub fn describe_note_codes(codes: &str) -> String {
    let one = |c: &str| -> &'static str {
        match c {
            "normalized" => "号码含全角字符或小写 x，已规范化",
            "upgraded_legacy_number" => "15 位旧号码已升级为 18 位",
            "unknown_address_code" => "地址码不在现行区划代码中（可能已撤销），号码仍有效",
            "implausible_address_code" => "地址码的省级部分不是有效的省级代码，请留意核实",
            "invalid:empty" => "身份证号无效：号码为空",
            "invalid:bad_length" => "身份证号无效：位数不对（应为 18 位，旧号码为 15 位）",
            "invalid:bad_character" => "身份证号无效：含有数字以外的字符（仅第 18 位可以是 X）",
            "invalid:bad_check_char" => "身份证号无效：校验码错误，请核对号码是否抄错",
            "invalid:bad_birth_date" => "身份证号无效：出生日期部分不存在或不合理",
            _ => "身份证号有待核实的情况",
        }
    };
    codes.split(';').filter(|c| !c.is_empty()).map(one).collect::<Vec<_>>().join("；")
}

/// The result of parsing: the number plus what was noticed on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub id: IdNumber,
    pub upgraded_from_15: bool,
    pub notes: Vec<IdNote>,
}

/// A valid, normalized 18-character ID number.
///
/// `Debug` prints the masked form so that numbers do not leak into logs by
/// accident; `Display` and serialization give the full number.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdNumber {
    text: String,
    // Kept beside the text so that the accessor cannot fail; it is derived
    // from the text, so the derived comparisons stay consistent.
    birth: Date,
}

/// Parses without region data; see [`IdNumber::parse`].
pub fn parse(s: &str) -> Result<Parsed, IdError> {
    IdNumber::parse(s)
}

/// The normalized 18-character form of `s` if it is a valid number, so that
/// 15- and 18-digit, full-width and lower-case spellings of one number give
/// one blind-index value.
pub fn normalize_for_index(s: &str) -> Option<String> {
    IdNumber::parse(s).ok().map(|p| p.id.text)
}

/// ISO 7064 MOD 11-2 over 17 bytes already known to be ASCII digits.
fn check_of_digits(first17: &[u8]) -> u8 {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d.wrapping_sub(b'0')) * w).sum();
    b"10X98765432"[(sum % 11) as usize]
}

/// Folds the full-width forms a clerk's input method may produce.
fn fold(c: char) -> char {
    match c {
        '０'..='９' => char::from(b'0' + (u32::from(c) - u32::from('０')) as u8),
        'x' | 'Ｘ' | 'ｘ' => 'X',
        _ => c,
    }
}

fn number(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |acc, d| acc * 10 + u32::from(d.wrapping_sub(b'0')))
}

impl IdNumber {
    /// Parses and validates a number without looking at the address code.
    ///
    /// Surrounding whitespace is trimmed, full-width digits and `Ｘ`/`ｘ`/`x`
    /// are folded, and a 15-digit number is upgraded by inserting `19` after
    /// the address code and appending the check character.
    pub fn parse(s: &str) -> Result<Parsed, IdError> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(IdError::Empty);
        }
        let folded: String = trimmed.chars().map(fold).collect();
        let len = folded.chars().count();
        if len != 15 && len != 18 {
            return Err(IdError::BadLength(len));
        }
        for (i, (c, raw)) in folded.chars().zip(trimmed.chars()).enumerate() {
            if !(c.is_ascii_digit() || (len == 18 && i == 17 && c == 'X')) {
                return Err(IdError::BadCharacter(i + 1, raw));
            }
        }
        let mut notes = Vec::new();
        if folded != trimmed {
            notes.push(IdNote::Normalized);
        }

        // From here on the text is ASCII, so byte offsets are character offsets.
        let upgraded_from_15 = len == 15;
        let text = if upgraded_from_15 {
            notes.push(IdNote::UpgradedFrom15);
            let mut body = format!("{}19{}", &folded[..6], &folded[6..]);
            body.push(char::from(check_of_digits(body.as_bytes())));
            body
        } else {
            folded
        };

        let b = text.as_bytes();
        let (year, month, day) = (number(&b[6..10]), number(&b[10..12]), number(&b[12..14]));
        let birth = match Date::new(year as u16, month as u8, day as u8) {
            Ok(d) if d.year() >= MIN_BIRTH_YEAR => d,
            _ => return Err(IdError::BadBirthDate(text[6..14].to_string())),
        };

        let expected = check_of_digits(&b[..17]);
        if b[17] != expected {
            return Err(IdError::BadCheckChar { expected: char::from(expected), found: char::from(b[17]) });
        }

        Ok(Parsed { id: IdNumber { text, birth }, upgraded_from_15, notes })
    }

    /// Parses like [`IdNumber::parse`] and notes an address code that
    /// `lookup` does not know, or whose province part is impossible.
    ///
    /// The number is never rejected for its address code: the code belongs
    /// to the first registration and may have been retired long ago.
    pub fn parse_with(s: &str, lookup: &dyn Fn(&str) -> RegionStatus) -> Result<Parsed, IdError> {
        let mut parsed = IdNumber::parse(s)?;
        let id = &parsed.id;
        let code = id.address_code();
        let note = match id.kind() {
            IdKind::Citizen => match RegionCode::parse(code) {
                Err(_) => Some(IdNote::ImplausibleAddressCode(code.to_string())),
                Ok(_) if !lookup(code).is_known() => Some(IdNote::UnknownAddressCode(code.to_string())),
                Ok(_) => None,
            },
            // The card carries the province of the issuing office in
            // characters 2–3; the rest is a nationality code, not a place.
            IdKind::ForeignPermanent if !is_province_number(&code[1..3]) => {
                Some(IdNote::ImplausibleAddressCode(code.to_string()))
            }
            // Residence permits use a fixed prefix that no region table holds.
            _ => None,
        };
        parsed.notes.extend(note);
        Ok(parsed)
    }

    /// [`IdNumber::parse_with`] against a loaded [`RegionTable`].
    pub fn parse_with_table(s: &str, table: &RegionTable) -> Result<Parsed, IdError> {
        IdNumber::parse_with(s, &|code| table.lookup_str(code))
    }

    /// The normalized 18 characters.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The document type, from the prefix.
    pub fn kind(&self) -> IdKind {
        let t = self.text.as_str();
        if t.starts_with("810000") || t.starts_with("820000") {
            IdKind::HkMacaoResidence
        } else if t.starts_with("830000") {
            IdKind::TaiwanResidence
        } else if t.starts_with('9') {
            IdKind::ForeignPermanent
        } else {
            IdKind::Citizen
        }
    }

    /// The first six characters: for a citizen, the county code of first
    /// registration (possibly retired).
    pub fn address_code(&self) -> &str {
        &self.text[..6]
    }

    pub fn birth_date(&self) -> Date {
        self.birth
    }

    /// Odd sequence number (17th digit) = male, even = female.
    pub fn sex(&self) -> Sex {
        if self.text.as_bytes()[16] % 2 == 1 { Sex::Male } else { Sex::Female }
    }

    /// Whole years of age on `on` (negative if `on` is before the birth).
    pub fn age_on(&self, on: Date) -> i32 {
        self.birth.age_on(on)
    }

    /// The number with characters 5–14 hidden, e.g. `3204**********123X`:
    /// the first four (province and prefecture) and the last four (sequence
    /// and check) stay visible, which is enough for a clerk to tell family
    /// members apart on a screen without showing the birth date.
    pub fn mask(&self) -> String {
        format!("{}**********{}", &self.text[..4], &self.text[14..])
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.mask())
    }
}

impl FromStr for IdNumber {
    type Err = IdError;
    fn from_str(s: &str) -> Result<IdNumber, IdError> {
        IdNumber::parse(s).map(|p| p.id)
    }
}

impl Serialize for IdNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for IdNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<IdNumber, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
// Tests may panic on a broken fixture; that is the point of a test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::date::days_in_month;
    use proptest::prelude::*;

    fn id(s: &str) -> IdNumber {
        s.parse().expect("valid ID number")
    }

    fn date(s: &str) -> Date {
        Date::parse(s).expect("valid date")
    }

    #[test]
    fn verified_vectors_are_valid() {
        let cases = [
            ("360426199101010071", "1991-01-01", Sex::Male),
            ("120103198806018241", "1988-06-01", Sex::Female),
            ("34052419800101001X", "1980-01-01", Sex::Male),
            ("110101202311012176", "2023-11-01", Sex::Male),
        ];
        for (text, birth, sex) in cases {
            let p = IdNumber::parse(text).expect(text);
            assert_eq!(p.id.as_str(), text);
            assert!(!p.upgraded_from_15 && p.notes.is_empty(), "{text}");
            assert_eq!(p.id.birth_date(), date(birth), "{text}");
            assert_eq!(p.id.sex(), sex, "{text}");
            assert_eq!(p.id.kind(), IdKind::Citizen, "{text}");
        }
        assert_eq!(check_char(b"34052419800101001"), Some(b'X'));
        assert_eq!(check_char(b"3405241980010100"), None);
    }

    #[test]
    fn fifteen_digits_upgrade() {
        let p = IdNumber::parse("370802940221002").expect("valid 15-digit number");
        assert_eq!(p.id.as_str(), "370802199402210029");
        assert!(p.upgraded_from_15);
        assert_eq!(p.notes, [IdNote::UpgradedFrom15]);
        assert_eq!(p.id.birth_date(), date("1994-02-21"));
        assert_eq!(p.id.sex(), Sex::Female);
        assert_eq!(normalize_for_index("370802940221002").as_deref(), Some("370802199402210029"));
        assert_eq!(IdNumber::parse("37080294022100X"), Err(IdError::BadCharacter(15, 'X')));
    }

    #[test]
    fn spelling_variants_are_normalized() {
        let expected = "34052419800101001X";
        for input in [
            " 34052419800101001x ",
            "３４０５２４１９８００１０１００１Ｘ",
            "34052419800101001ｘ",
            "\u{3000}34052419800101001X\t",
        ] {
            let p = IdNumber::parse(input).expect(input);
            assert_eq!(p.id.as_str(), expected, "{input:?}");
            assert_eq!(normalize_for_index(input).as_deref(), Some(expected));
        }
        assert_eq!(IdNumber::parse("34052419800101001x").map(|p| p.notes), Ok(vec![IdNote::Normalized]));
        assert_eq!(IdNumber::parse(" 34052419800101001X").map(|p| p.notes), Ok(vec![]));
    }

    #[test]
    fn errors_tell_the_clerk_what_is_wrong() {
        let cases: [(&str, IdError); 8] = [
            ("", IdError::Empty),
            ("   ", IdError::Empty),
            ("3604261991010100", IdError::BadLength(16)),
            ("36042619910101007１2", IdError::BadLength(19)),
            ("36042619910101A071", IdError::BadCharacter(15, 'A')),
            ("X60426199101010071", IdError::BadCharacter(1, 'X')),
            ("360426199101010075", IdError::BadCheckChar { expected: '1', found: '5' }),
            ("360426199113010071", IdError::BadBirthDate("19911301".into())),
        ];
        for (input, err) in cases {
            assert_eq!(IdNumber::parse(input), Err(err), "{input:?}");
        }
        assert_eq!(
            IdError::BadCheckChar { expected: 'X', found: '5' }.to_string(),
            "校验码错误：应为 X，实为 5。请核对号码是否抄错"
        );
        assert!(normalize_for_index("360426199101010075").is_none());
    }

    /// Builds a number with a correct check character for `body17`.
    fn with_check(body17: &str) -> String {
        let c = check_char(body17.as_bytes()).expect("17 digits");
        format!("{body17}{}", char::from(c))
    }

    #[test]
    fn leap_days() {
        let cases = [
            ("19920229", true),
            ("20000229", true),
            ("20240229", true),
            ("19930229", false),
            ("19000229", false),
            ("21000229", false),
            ("19920230", false),
            ("19920431", false),
            ("19920100", false),
            ("00000101", false),
            ("17991231", false),
            ("18000101", true),
        ];
        for (birth, valid) in cases {
            let text = with_check(&format!("320402{birth}123"));
            let result = IdNumber::parse(&text);
            if valid {
                assert_eq!(result.map(|p| p.id.birth_date().compact()), Ok(birth.to_string()));
            } else {
                assert_eq!(result, Err(IdError::BadBirthDate(birth.into())), "{birth}");
            }
        }
        // A 15-digit number is always in the 1900s, where 1900 is not a leap year.
        assert_eq!(IdNumber::parse("320402000229123"), Err(IdError::BadBirthDate("19000229".into())));
        assert!(IdNumber::parse("320402960229123").is_ok());
    }

    #[test]
    fn kinds_and_accessors() {
        let cases = [
            ("810000", IdKind::HkMacaoResidence),
            ("820000", IdKind::HkMacaoResidence),
            ("830000", IdKind::TaiwanResidence),
            ("932156", IdKind::ForeignPermanent),
            ("320402", IdKind::Citizen),
            ("810100", IdKind::Citizen),
        ];
        for (prefix, kind) in cases {
            let n = id(&with_check(&format!("{prefix}19850615004")));
            assert_eq!(n.kind(), kind, "{prefix}");
            assert_eq!(n.address_code(), prefix);
            assert_eq!(n.sex(), Sex::Female);
        }
        let n = id("34052419800101001X");
        assert_eq!(n.mask(), "3405**********001X");
        assert_eq!(format!("{n:?}"), "IdNumber(3405**********001X)");
        assert_eq!(n.to_string(), "34052419800101001X");
        assert_eq!(n.age_on(date("2025-12-31")), 45);
        assert_eq!(n.age_on(date("2020-01-01")), 40);
        assert_eq!(n.age_on(date("2019-12-31")), 39);
        assert_eq!(IdKind::ForeignPermanent.label_zh(), "外国人永久居留身份证");
    }

    #[test]
    fn serde_uses_the_string() {
        let n = id("34052419800101001X");
        let json = serde_json::to_string(&n).expect("serializes");
        assert_eq!(json, "\"34052419800101001X\"");
        assert_eq!(serde_json::from_str::<IdNumber>(&json).expect("deserializes"), n);
        assert!(serde_json::from_str::<IdNumber>("\"34052419800101001Y\"").is_err());
    }

    #[test]
    fn address_codes_produce_notes_never_errors() {
        let table = RegionTable::from_csv(
            "code,name\n32,江苏省\n",
            "code,name\n3204,常州市\n",
            "code,name\n320402,天宁区\n",
            "code,name\n",
        )
        .expect("small table loads");
        let notes = |s: &str| IdNumber::parse_with_table(s, &table).map(|p| p.notes);

        assert_eq!(notes(&with_check("32040219850615004")), Ok(vec![]));
        // 320499 is well-formed but not in the data; 510201 stands for an old
        // 四川 code that Chongqing numbers from before 1997 still carry.
        assert_eq!(notes(&with_check("32049919850615004")), Ok(vec![IdNote::UnknownAddressCode("320499".into())]));
        assert_eq!(notes(&with_check("51020119850615004")), Ok(vec![IdNote::UnknownAddressCode("510201".into())]));
        assert_eq!(notes(&with_check("99040219850615004")), Ok(vec![IdNote::ImplausibleAddressCode("990402".into())]));
        assert_eq!(notes(&with_check("00040219850615004")), Ok(vec![IdNote::ImplausibleAddressCode("000402".into())]));
        assert_eq!(notes(&with_check("93215619850615004")), Ok(vec![]));
        assert_eq!(notes(&with_check("81000019850615004")), Ok(vec![]));
        assert_eq!(
            notes("320499850615004"),
            Ok(vec![IdNote::UpgradedFrom15, IdNote::UnknownAddressCode("320499".into())])
        );
        // Plain parsing never looks at the address code.
        assert_eq!(IdNumber::parse(&with_check("00040219850615004")).map(|p| p.notes), Ok(vec![]));
        assert!(notes("320499850615005x").is_err());
    }

    /// Address code, a valid birth date from 1900 to 2099 and a sequence
    /// number, as 17 digits.
    fn body17() -> impl Strategy<Value = String> {
        ("[1-8][0-9]{5}", 1900u16..2100, 1u8..=12, 1u8..=31, 0u16..1000).prop_map(|(addr, y, m, d, seq)| {
            let d = d.min(days_in_month(y, m));
            format!("{addr}{y:04}{m:02}{d:02}{seq:03}")
        })
    }

    proptest! {
        #[test]
        fn generated_numbers_round_trip(body in body17()) {
            let text = with_check(&body);
            let p = IdNumber::parse(&text).expect("generated numbers are valid");
            prop_assert_eq!(p.id.as_str(), text.as_str());
            prop_assert_eq!(p.id.birth_date().compact(), &body[6..14]);
            let again: IdNumber = p.id.to_string().parse().expect("display parses");
            prop_assert_eq!(again, p.id);
        }

        #[test]
        fn every_single_substitution_is_detected(body in body17()) {
            let text = with_check(&body);
            let bytes = text.as_bytes();
            for pos in 0..18 {
                let alternatives: &[u8] = if pos == 17 { b"0123456789X" } else { b"0123456789" };
                for &alt in alternatives {
                    if alt == bytes[pos] {
                        continue;
                    }
                    let mut changed = bytes.to_vec();
                    changed[pos] = alt;
                    let changed = String::from_utf8(changed).expect("ASCII");
                    prop_assert!(IdNumber::parse(&changed).is_err(), "{} accepted", changed);
                }
            }
        }

        #[test]
        fn every_adjacent_transposition_is_detected(body in body17()) {
            let text = with_check(&body);
            for pos in 0..17 {
                let mut swapped = text.as_bytes().to_vec();
                if swapped[pos] == swapped[pos + 1] {
                    continue;
                }
                swapped.swap(pos, pos + 1);
                let swapped = String::from_utf8(swapped).expect("ASCII");
                prop_assert!(IdNumber::parse(&swapped).is_err(), "{} accepted", swapped);
            }
        }

        #[test]
        fn fifteen_digit_numbers_upgrade_consistently(
            addr in "[1-6][0-9]{5}",
            yy in 0u16..100,
            m in 1u8..=12,
            d in 1u8..=31,
            seq in 0u16..1000,
        ) {
            let d = d.min(days_in_month(1900 + yy, m));
            let old = format!("{addr}{yy:02}{m:02}{d:02}{seq:03}");
            let p = IdNumber::parse(&old).expect("valid 15-digit number");
            prop_assert!(p.upgraded_from_15);
            prop_assert_eq!(p.id.as_str().len(), 18);
            let again = IdNumber::parse(p.id.as_str()).expect("the upgrade validates");
            prop_assert!(!again.upgraded_from_15);
            prop_assert_eq!(again.id.birth_date(), p.id.birth_date());
            prop_assert_eq!(again.id.birth_date(), Date::new(1900 + yy, m, d).expect("valid"));
            prop_assert_eq!(again.id.sex(), p.id.sex());
            prop_assert_eq!(again.id.sex() == Sex::Male, seq % 2 == 1);
        }
    }
}
