//! 行政区划代码: GB/T 2260 county codes, GB/T 10114 township codes, the NBS
//! 12-digit statistical codes, and a name table loaded from CSV text.
//!
//! A [`RegionCode`] is checked for *structure* only (digits, length, a
//! province number that exists in GB/T 2260). Whether a place with that code
//! exists today is a question for the [`RegionTable`], and "the table does not
//! know it" is an answer ([`RegionStatus::Unknown`]), not an error: codes are
//! retired every year, and ID numbers keep the code of the first registration.
//!
//! The table is built from CSV text handed in by the caller, so the core never
//! touches a file and a newer edition of the data needs no code change.
// tidy: allow(long-file): GB/T 2260 and GB/T 10114 codes with their tests inline; the production code is under 500 lines.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// True for the two-digit province numbers that GB/T 2260 assigns.
///
/// 71 is Taiwan, 81 Hong Kong and 82 Macao. 83 is not a province in GB/T 2260
/// but is the prefix of residence permits for Taiwan residents, so an ID
/// address code `830000` must still be well-formed.
pub fn is_province_number(two_digits: &str) -> bool {
    let b = two_digits.as_bytes();
    if b.len() != 2 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let n = (b[0] - b'0') * 10 + (b[1] - b'0');
    matches!(
        n,
        11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81 | 82 | 83
    )
}

/// The level a code denotes, read from its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegionLevel {
    /// `PP0000`: province, autonomous region or municipality.
    Province,
    /// `PPCC00`: prefecture-level city, league or autonomous prefecture.
    Prefecture,
    /// `PPCCXX`: county, district or county-level city.
    County,
    /// 9 digits: 街道, 镇, 乡 or a similar township-level unit.
    Township,
    /// 12 digits: 居委会 or 村委会.
    Village,
}

/// Kind of a township-level unit, from the first digit of its three-digit
/// part (GB/T 10114-2003).
///
/// The ranges used are the ones in the standard: 000–099 街道, 100–199 镇,
/// 200–399 乡 (the standard gives 乡 both hundreds; the 2023 data has a few
/// dozen 3xx 乡), 400–599 政企合一 units treated like townships (农场, 开发区,
/// 园区 …). 600–999 are not assigned a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TownshipKind {
    /// 街道 (000–099).
    Subdistrict,
    /// 镇 (100–199).
    Town,
    /// 乡 (200–399).
    Township,
    /// 类似乡级单位 (400–599): farms, development zones, parks.
    QuasiTownship,
}

impl TownshipKind {
    /// The Chinese label used on forms.
    pub fn label_zh(self) -> &'static str {
        match self {
            TownshipKind::Subdistrict => "街道",
            TownshipKind::Town => "镇",
            TownshipKind::Township => "乡",
            TownshipKind::QuasiTownship => "类似乡级单位",
        }
    }
}

/// Why a text is not a well-formed region code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("行政区划代码为空")]
    Empty,
    #[error("行政区划代码应为 6、9 或 12 位数字，实为 {0} 位")]
    BadLength(usize),
    #[error("行政区划代码第 {0} 位“{1}”不是数字")]
    BadCharacter(usize, char),
    #[error("行政区划代码的省级部分“{0}”不是有效的省级代码")]
    UnknownProvince(String),
}

/// A well-formed administrative division code of 6, 9 or 12 digits.
///
/// The stored form is canonical: NBS 12-digit codes padded with zeros are
/// shortened (`320402000000` → `320402`, `320402001000` → `320402001`),
/// because `000` is never a township or village number and one place must
/// have one key.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct RegionCode(String);

impl RegionCode {
    /// Parses a code, checking its structure only.
    pub fn parse(s: &str) -> Result<RegionCode, RegionCodeError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(RegionCodeError::Empty);
        }
        if let Some((i, c)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(RegionCodeError::BadCharacter(i + 1, c));
        }
        if !matches!(s.len(), 6 | 9 | 12) {
            return Err(RegionCodeError::BadLength(s.len()));
        }
        if !is_province_number(&s[..2]) {
            return Err(RegionCodeError::UnknownProvince(s[..2].to_string()));
        }
        let mut t = s;
        if t.len() == 12 && t.ends_with("000") {
            t = &t[..9];
        }
        if t.len() == 9 && t.ends_with("000") {
            t = &t[..6];
        }
        Ok(RegionCode(t.to_string()))
    }

    /// The canonical digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level, read from the shape of the code.
    pub fn level(&self) -> RegionLevel {
        let s = self.0.as_str();
        match s.len() {
            12 => RegionLevel::Village,
            9 => RegionLevel::Township,
            _ if &s[2..] == "0000" => RegionLevel::Province,
            _ if &s[4..] == "00" => RegionLevel::Prefecture,
            _ => RegionLevel::County,
        }
    }

    /// The two-digit province number.
    pub fn province_code(&self) -> &str {
        &self.0[..2]
    }

    /// The first four digits (province and prefecture).
    pub fn prefecture_code(&self) -> &str {
        &self.0[..4]
    }

    /// The six-digit county part, or `None` for a province- or
    /// prefecture-shaped six-digit code (which names no county).
    ///
    /// A township of a city without counties, such as 东莞 `441900003`,
    /// yields the prefecture-shaped `441900`, because that is the code the
    /// data uses for the county-level unit above it.
    pub fn county(&self) -> Option<RegionCode> {
        match self.level() {
            RegionLevel::Province | RegionLevel::Prefecture => None,
            _ => Some(RegionCode(self.0[..6].to_string())),
        }
    }

    /// The three-digit township part of a 9- or 12-digit code.
    pub fn township_part(&self) -> Option<&str> {
        self.0.get(6..9)
    }

    /// The GB/T 10114 kind of a township-level code (see [`TownshipKind`]).
    pub fn township_kind(&self) -> Option<TownshipKind> {
        let first = self.township_part()?.as_bytes()[0];
        match first {
            b'0' => Some(TownshipKind::Subdistrict),
            b'1' => Some(TownshipKind::Town),
            b'2' | b'3' => Some(TownshipKind::Township),
            b'4' | b'5' => Some(TownshipKind::QuasiTownship),
            _ => None,
        }
    }

    /// The code one level up, or `None` for a province.
    pub fn parent(&self) -> Option<RegionCode> {
        let s = self.0.as_str();
        let up = match self.level() {
            RegionLevel::Province => return None,
            RegionLevel::Village => s[..9].to_string(),
            RegionLevel::Township => s[..6].to_string(),
            // A county placed directly under a province (`PP00XX`) has no
            // prefecture to belong to.
            RegionLevel::County if &s[2..4] == "00" => format!("{}0000", &s[..2]),
            RegionLevel::County => format!("{}00", &s[..4]),
            RegionLevel::Prefecture => format!("{}0000", &s[..2]),
        };
        Some(RegionCode(up))
    }

    /// True if `self` is `other` or lies inside it.
    pub fn is_within(&self, other: &RegionCode) -> bool {
        self.0.starts_with(other.significant_prefix())
    }

    /// The digits that identify the area, without the zero padding of
    /// province- and prefecture-shaped codes.
    fn significant_prefix(&self) -> &str {
        match self.level() {
            RegionLevel::Province => &self.0[..2],
            RegionLevel::Prefecture => &self.0[..4],
            _ => &self.0,
        }
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RegionCode {
    type Err = RegionCodeError;
    fn from_str(s: &str) -> Result<RegionCode, RegionCodeError> {
        RegionCode::parse(s)
    }
}

impl Serialize for RegionCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RegionCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RegionCode, D::Error> {
        let s = String::deserialize(d)?;
        RegionCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What the table knows about a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionStatus {
    /// The code is in the data. `full_name` joins the names from the
    /// province down, e.g. `江苏省常州市天宁区`.
    Known { name: String, full_name: String },
    /// Well-formed but not in this edition of the data (retired, too new, or
    /// a level the data does not cover, such as villages).
    Unknown,
}

impl RegionStatus {
    pub fn is_known(&self) -> bool {
        matches!(self, RegionStatus::Known { .. })
    }
}

/// Why the region CSV data could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionDataError {
    #[error("区划数据 {file} 为空，缺少表头")]
    MissingHeader { file: &'static str },
    #[error("区划数据 {file} 的表头缺少列 {column}")]
    MissingColumn { file: &'static str, column: &'static str },
    #[error("区划数据 {file} 第 {line} 行格式错误：{reason}")]
    BadLine { file: &'static str, line: usize, reason: &'static str },
    #[error("区划数据 {file} 第 {line} 行代码无效：{code:?}")]
    BadCode { file: &'static str, line: usize, code: String },
    #[error("区划数据 {file} 第 {line} 行代码重复：{code}")]
    Duplicate { file: &'static str, line: usize, code: String },
}

/// Names of provinces, prefectures, counties and townships, keyed by code.
///
/// Keys are the significant digits (2, 4, 6 and 9 of them), as in the CSV
/// files; the hierarchy is read from the code prefixes, which GB/T 2260 makes
/// authoritative, so the redundant parent columns of the files are ignored.
#[derive(Debug, Clone, Default)]
pub struct RegionTable {
    provinces: BTreeMap<String, String>,
    prefectures: BTreeMap<String, String>,
    counties: BTreeMap<String, String>,
    townships: BTreeMap<String, String>,
}

impl RegionTable {
    /// Builds the table from the text of the four CSV files
    /// (`provinces.csv`, `cities.csv`, `areas.csv`, `streets.csv`).
    ///
    /// Each file needs a header with `code` and `name` columns; other
    /// columns are ignored. Codes may be given with their significant digits
    /// (`32`, `3204`) or zero-padded to 6, 9 or 12 digits.
    pub fn from_csv(provinces: &str, cities: &str, areas: &str, streets: &str) -> Result<RegionTable, RegionDataError> {
        Ok(RegionTable {
            provinces: load("provinces.csv", provinces, 2)?,
            prefectures: load("cities.csv", cities, 4)?,
            counties: load("areas.csv", areas, 6)?,
            townships: load("streets.csv", streets, 9)?,
        })
    }

    /// Number of codes in the table, all levels together.
    pub fn len(&self) -> usize {
        self.provinces.len() + self.prefectures.len() + self.counties.len() + self.townships.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name the data gives the code itself (which may be a placeholder
    /// such as `市辖区`), or `None` if the data does not know it.
    pub fn name(&self, code: &RegionCode) -> Option<&str> {
        let s = code.as_str();
        let found = match code.level() {
            RegionLevel::Province => self.provinces.get(&s[..2]),
            // Cities without counties (东莞 441900, 中山 442000, 儋州 460400)
            // appear as prefecture-shaped codes in the county file too.
            RegionLevel::Prefecture => self.prefectures.get(&s[..4]).or_else(|| self.counties.get(s)),
            RegionLevel::County => self.counties.get(s),
            RegionLevel::Township => self.townships.get(s),
            RegionLevel::Village => None,
        };
        found.map(String::as_str)
    }

    /// Looks a well-formed code up.
    pub fn lookup(&self, code: &RegionCode) -> RegionStatus {
        match self.name(code) {
            Some(name) => RegionStatus::Known { name: name.to_string(), full_name: self.full_name(code) },
            None => RegionStatus::Unknown,
        }
    }

    /// Looks up a code given as text; malformed text is `Unknown` too.
    pub fn lookup_str(&self, code: &str) -> RegionStatus {
        match RegionCode::parse(code) {
            Ok(c) => self.lookup(&c),
            Err(_) => RegionStatus::Unknown,
        }
    }

    /// County-level units whose code starts with `prefix` (e.g. `"3204"`
    /// for the districts of 常州, `"32"` for all of 江苏), in code order.
    pub fn counties_of(&self, prefix: &str) -> Vec<(RegionCode, &str)> {
        with_prefix(&self.counties, prefix)
    }

    /// Township-level units inside `code`: the townships of a county, or of
    /// every county of a prefecture or province.
    pub fn townships_of(&self, code: &RegionCode) -> Vec<(RegionCode, &str)> {
        with_prefix(&self.townships, code.significant_prefix())
    }

    /// Joins the names from the province down, leaving out placeholder
    /// names and a name that repeats its parent's (东莞市 under 东莞市).
    fn full_name(&self, code: &RegionCode) -> String {
        let mut chain = vec![code.clone()];
        while let Some(up) = chain.last().and_then(RegionCode::parent) {
            chain.push(up);
        }
        let mut parts: Vec<&str> = Vec::with_capacity(chain.len());
        for c in chain.iter().rev() {
            if let Some(name) = self.name(c)
                && !is_placeholder(name)
                && parts.last() != Some(&name)
            {
                parts.push(name);
            }
        }
        parts.concat()
    }
}

/// Names the data uses for grouping levels that are not places of their own:
/// the districts of a municipality (`市辖区`), its counties (`县`), and the
/// county-level cities governed directly by a province.
fn is_placeholder(name: &str) -> bool {
    name == "市辖区" || name == "县" || name.ends_with("直辖县级行政区划")
}

fn with_prefix<'a>(map: &'a BTreeMap<String, String>, prefix: &str) -> Vec<(RegionCode, &'a str)> {
    map.range(prefix.to_string()..)
        .take_while(|(k, _)| k.starts_with(prefix))
        .map(|(k, v)| (RegionCode(pad(k)), v.as_str()))
        .collect()
}

/// Pads a stored key (2, 4, 6 or 9 digits) to a canonical code.
fn pad(key: &str) -> String {
    match key.len() {
        2 => format!("{key}0000"),
        4 => format!("{key}00"),
        _ => key.to_string(),
    }
}

/// Reduces a code from a data file to its `significant` leading digits,
/// accepting zero padding to 6, 9 or 12 digits.
fn data_key(code: &str, significant: usize) -> Option<String> {
    let ok_len = code.len() == significant || matches!(code.len(), 6 | 9 | 12);
    if !ok_len || code.len() < significant || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !code[significant..].bytes().all(|b| b == b'0') || !is_province_number(&code[..2]) {
        return None;
    }
    Some(code[..significant].to_string())
}

fn load(file: &'static str, text: &str, significant: usize) -> Result<BTreeMap<String, String>, RegionDataError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((header_idx, header)) = rows.next() else {
        return Err(RegionDataError::MissingHeader { file });
    };
    let bad_line = |line: usize, reason| RegionDataError::BadLine { file, line, reason };
    let header = split_csv_line(header).map_err(|r| bad_line(header_idx + 1, r))?;
    let column = |name: &'static str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .ok_or(RegionDataError::MissingColumn { file, column: name })
    };
    let (code_col, name_col) = (column("code")?, column("name")?);

    let mut map = BTreeMap::new();
    for (idx, line) in rows {
        let line_no = idx + 1;
        let fields = split_csv_line(line).map_err(|r| bad_line(line_no, r))?;
        let (Some(code), Some(name)) = (fields.get(code_col), fields.get(name_col)) else {
            return Err(bad_line(line_no, "列数少于表头"));
        };
        let (code, name) = (code.trim(), name.trim());
        let Some(key) = data_key(code, significant) else {
            return Err(RegionDataError::BadCode { file, line: line_no, code: code.to_string() });
        };
        if name.is_empty() {
            return Err(bad_line(line_no, "名称为空"));
        }
        if map.insert(key.clone(), name.to_string()).is_some() {
            return Err(RegionDataError::Duplicate { file, line: line_no, code: key });
        }
    }
    Ok(map)
}

/// Splits one CSV record: comma-separated, fields optionally in double quotes
/// with `""` for a quote inside. Quoted line breaks are not supported, since
/// no region name contains one.
fn split_csv_line(line: &str) -> Result<Vec<String>, &'static str> {
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        AfterQuote,
    }
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut state = State::FieldStart;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match state {
            State::Quoted => {
                if c != '"' {
                    field.push(c);
                } else if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    state = State::AfterQuote;
                }
            }
            _ if c == ',' => {
                fields.push(std::mem::take(&mut field));
                state = State::FieldStart;
            }
            State::FieldStart if c == '"' => state = State::Quoted,
            State::AfterQuote => return Err("引号后有多余字符"),
            _ if c == '"' => return Err("字段中间出现引号"),
            _ => {
                field.push(c);
                state = State::Unquoted;
            }
        }
    }
    if state == State::Quoted {
        return Err("引号未闭合");
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
// Tests may panic on a broken fixture; that is the point of a test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).expect("well-formed code")
    }

    fn real_table() -> RegionTable {
        RegionTable::from_csv(
            include_str!("../../../data/regions/provinces.csv"),
            include_str!("../../../data/regions/cities.csv"),
            include_str!("../../../data/regions/areas.csv"),
            include_str!("../../../data/regions/streets.csv"),
        )
        .expect("the shipped region data loads")
    }

    #[test]
    fn structure_levels_and_canonical_form() {
        let cases = [
            ("320000", RegionLevel::Province, "320000"),
            ("320400", RegionLevel::Prefecture, "320400"),
            ("320402", RegionLevel::County, "320402"),
            ("320402001", RegionLevel::Township, "320402001"),
            ("321283001215", RegionLevel::Village, "321283001215"),
            ("320402001000", RegionLevel::Township, "320402001"),
            ("320402000000", RegionLevel::County, "320402"),
            (" 810000 ", RegionLevel::Province, "810000"),
            ("820000", RegionLevel::Province, "820000"),
            ("830000", RegionLevel::Province, "830000"),
            ("710000", RegionLevel::Province, "710000"),
        ];
        for (input, level, canonical) in cases {
            let c = code(input);
            assert_eq!(c.level(), level, "{input}");
            assert_eq!(c.as_str(), canonical, "{input}");
        }
    }

    #[test]
    fn malformed_codes_are_rejected() {
        assert_eq!(RegionCode::parse("3204x2"), Err(RegionCodeError::BadCharacter(5, 'x')));
        assert_eq!(RegionCode::parse(""), Err(RegionCodeError::Empty));
        assert_eq!(RegionCode::parse("32040"), Err(RegionCodeError::BadLength(5)));
        assert_eq!(RegionCode::parse("3204021"), Err(RegionCodeError::BadLength(7)));
        for bad in ["000000", "100000", "160000", "240000", "380000", "470000", "550000", "660000"] {
            assert!(matches!(RegionCode::parse(bad), Err(RegionCodeError::UnknownProvince(_))), "{bad}");
        }
    }

    #[test]
    fn hierarchy_accessors() {
        let t = code("320402001215");
        assert_eq!(t.province_code(), "32");
        assert_eq!(t.prefecture_code(), "3204");
        assert_eq!(t.county(), Some(code("320402")));
        assert_eq!(t.township_part(), Some("001"));
        let chain: Vec<String> = std::iter::successors(Some(t.clone()), RegionCode::parent).map(|c| c.0).collect();
        assert_eq!(chain, ["320402001215", "320402001", "320402", "320400", "320000"]);
        assert_eq!(code("320000").county(), None);
        assert_eq!(code("320400").county(), None);
        assert_eq!(code("419001").parent(), Some(code("419000")));
        assert_eq!(code("500101").parent(), Some(code("500100")));

        assert!(t.is_within(&code("320000")));
        assert!(t.is_within(&code("320400")));
        assert!(t.is_within(&code("320402")));
        assert!(t.is_within(&t));
        assert!(!t.is_within(&code("320404")));
        assert!(!code("320400").is_within(&code("320402")));
        assert!(!code("320000").is_within(&code("320400")));
        assert!(code("441900003").is_within(&code("441900")));
    }

    #[test]
    fn township_kinds_follow_gbt_10114() {
        let cases = [
            ("320402001", Some(TownshipKind::Subdistrict)),
            ("320402099", Some(TownshipKind::Subdistrict)),
            ("320412100", Some(TownshipKind::Town)),
            ("321003200", Some(TownshipKind::Township)),
            ("321003350", Some(TownshipKind::Township)),
            ("110115403", Some(TownshipKind::QuasiTownship)),
            ("120113501", Some(TownshipKind::QuasiTownship)),
            ("320402600", None),
            ("320402", None),
        ];
        for (c, kind) in cases {
            assert_eq!(code(c).township_kind(), kind, "{c}");
        }
        assert_eq!(TownshipKind::Subdistrict.label_zh(), "街道");
    }

    #[test]
    fn real_data_names_and_full_names() {
        let table = real_table();
        assert!(table.len() > 40_000);
        let expect_known = |c: &str, name: &str, full: &str| {
            assert_eq!(
                table.lookup(&code(c)),
                RegionStatus::Known { name: name.into(), full_name: full.into() },
                "{c}"
            );
        };
        expect_known("320402", "天宁区", "江苏省常州市天宁区");
        expect_known("320400", "常州市", "江苏省常州市");
        expect_known("320000", "江苏省", "江苏省");
        expect_known("320402001", "雕庄街道", "江苏省常州市天宁区雕庄街道");
        expect_known("110101", "东城区", "北京市东城区");
        expect_known("500101", "万州区", "重庆市万州区");
        expect_known("441900", "东莞市", "广东省东莞市");
        expect_known("441900003", "东城街道", "广东省东莞市东城街道");
        expect_known("419001", "济源市", "河南省济源市");
        assert_eq!(table.name(&code("110100")), Some("市辖区"));
    }

    #[test]
    fn real_data_lists_and_unknowns() {
        let table = real_table();
        let names: Vec<&str> = table.counties_of("3204").into_iter().map(|(_, n)| n).collect();
        assert_eq!(names, ["天宁区", "钟楼区", "新北区", "武进区", "金坛区", "溧阳市"]);
        let townships = table.townships_of(&code("320402"));
        assert!(townships.iter().any(|(c, n)| c.as_str() == "320402001" && *n == "雕庄街道"));
        assert!(townships.iter().all(|(c, _)| c.county() == Some(code("320402"))));
        assert!(table.townships_of(&code("320400")).len() > townships.len());

        assert_eq!(table.lookup(&code("320499")), RegionStatus::Unknown);
        assert_eq!(table.lookup(&code("810000")), RegionStatus::Unknown);
        assert_eq!(table.lookup(&code("320402001215")), RegionStatus::Unknown);
        assert_eq!(table.lookup_str("3204x2"), RegionStatus::Unknown);
        assert!(table.lookup_str("320402").is_known());
    }

    #[test]
    fn csv_loading_is_strict_about_structure() {
        let p = "code,name\n32,\"江苏省\"\n";
        let c = "code,name,provinceCode\n3204,\"常州市\",32\n";
        let a = "\u{feff}code,name,cityCode,provinceCode\r\n320402,\"天宁区\",3204,32\r\n\r\n";
        let s = "name,code\n\"雕庄\"\"街道\"\"\",320402001000\n";
        let t = RegionTable::from_csv(p, c, a, s).expect("small table loads");
        assert_eq!(t.name(&code("320402001")), Some("雕庄\"街道\""));
        assert_eq!(t.name(&code("320402")), Some("天宁区"));

        let err = |p: &str, c: &str| RegionTable::from_csv(p, c, a, s).err();
        assert_eq!(err("", c), Some(RegionDataError::MissingHeader { file: "provinces.csv" }));
        assert_eq!(
            err("id,name\n32,x\n", c),
            Some(RegionDataError::MissingColumn { file: "provinces.csv", column: "code" })
        );
        assert_eq!(
            err("code,name\n99,x\n", c),
            Some(RegionDataError::BadCode { file: "provinces.csv", line: 2, code: "99".into() })
        );
        assert_eq!(
            err(p, "code,name\n3204,a\n320400,b\n"),
            Some(RegionDataError::Duplicate { file: "cities.csv", line: 3, code: "3204".into() })
        );
        assert_eq!(
            err(p, "code,name\n3204,\"a\n"),
            Some(RegionDataError::BadLine { file: "cities.csv", line: 2, reason: "引号未闭合" })
        );
        assert_eq!(
            err(p, "code,name\n3204\n"),
            Some(RegionDataError::BadLine { file: "cities.csv", line: 2, reason: "列数少于表头" })
        );
    }

    #[test]
    fn csv_splitter_cases() {
        let ok = |l: &str| split_csv_line(l).expect("valid record");
        assert_eq!(ok("a,b,c"), ["a", "b", "c"]);
        assert_eq!(ok("\"a,b\",c"), ["a,b", "c"]);
        assert_eq!(ok("\"\"\"\",,"), ["\"", "", ""]);
        assert_eq!(ok(""), [""]);
        assert!(split_csv_line("\"a\"b,c").is_err());
        assert!(split_csv_line("a\"b").is_err());
    }

    #[test]
    fn serde_round_trip() {
        let c = code("320402001");
        let json = serde_json::to_string(&c).expect("serializes");
        assert_eq!(json, "\"320402001\"");
        assert_eq!(serde_json::from_str::<RegionCode>(&json).expect("deserializes"), c);
        assert!(serde_json::from_str::<RegionCode>("\"3204x2\"").is_err());
    }

    proptest! {
        #[test]
        fn parents_contain_their_children(code_text in "(3[2-7]|4[1-6])[0-9]{4}([0-9]{3}([0-9]{3})?)?") {
            let c = RegionCode::parse(&code_text).expect("generated codes are well-formed");
            let mut cur = c.clone();
            while let Some(up) = cur.parent() {
                prop_assert!(c.is_within(&up));
                prop_assert!(cur.is_within(&up));
                prop_assert!(up.as_str().len() <= cur.as_str().len());
                cur = up;
            }
            prop_assert_eq!(cur.level(), RegionLevel::Province);
            prop_assert_eq!(RegionCode::parse(c.as_str()), Ok(c.clone()));
        }
    }
}
