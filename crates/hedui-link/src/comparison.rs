//! The comparisons a model is built of. Each is a named function with named levels, strongest
//! agreement first; the last level is no agreement. A value missing (empty) on either side puts
//! the pair in no level at all ([`Level::NULL`]): it weighs nothing either way, as in
//! Fellegi–Sunter with missing data.

use serde::{Deserialize, Serialize};

use crate::{dates, idnum, names, regions, text};

/// A pair's level in a comparison: `0` for the strongest agreement, counting up; [`Level::NULL`]
/// when a value is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Level(pub u8);

impl Level {
    pub const NULL: Level = Level(u8::MAX);

    pub fn is_null(self) -> bool {
        self == Level::NULL
    }
}

/// One comparison, as a settings file names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "function", rename_all = "snake_case")]
pub enum Comparison {
    /// The same value, or not.
    Exact,
    /// Exact, then Jaro–Winkler similarity at or above each threshold (descending).
    JaroWinkler { thresholds: Vec<f64> },
    /// Exact, then within each Levenshtein distance (ascending).
    Levenshtein { distances: Vec<usize> },
    /// Dates: exact, day and month swapped, the year off by one, within `days`.
    Date { days: i64 },
    /// ID numbers under GB 11643 ([`idnum::compare`]).
    IdNumber,
    /// Chinese names ([`names::compare`]).
    ChineseName,
    /// Region codes: the same township, county or city ([`regions::compare`]); a free-text
    /// address is read into its code first ([`regions::RegionIndex`]).
    Region,
}

impl Comparison {
    /// The levels' names, strongest first; the last is no agreement.
    pub fn levels(&self) -> Vec<String> {
        let mut out = vec!["exact".to_string()];
        match self {
            Comparison::Exact => {}
            Comparison::JaroWinkler { thresholds } => {
                out.extend(thresholds.iter().map(|t| format!("jaro_winkler>={t}")));
            }
            Comparison::Levenshtein { distances } => {
                out.extend(distances.iter().map(|d| format!("levenshtein<={d}")));
            }
            Comparison::Date { days } => {
                out.extend(["day_month_swapped".into(), "year_off_by_one".into(), format!("within_{days}_days")]);
            }
            Comparison::IdNumber => {
                out.extend(["one_digit".into(), "adjacent_swapped".into()]);
            }
            Comparison::Region => out.extend(["county".into(), "city".into()]),
            Comparison::ChineseName => {
                out.extend(["simplified", "stand_in", "same_pinyin", "one_character", "surname"].map(String::from));
            }
        }
        out.push("else".into());
        out
    }

    /// The pair's level. A missing value gives [`Level::NULL`]; so does a value this comparison
    /// cannot read (a date or an ID number that is not one), which then weighs nothing.
    pub fn level(&self, a: &str, b: &str) -> Level {
        let (a, b) = (a.trim(), b.trim());
        if a.is_empty() || b.is_empty() {
            return Level::NULL;
        }
        let last = (self.levels().len() - 1) as u8;
        match self {
            Comparison::Exact => Level(if a == b { 0 } else { last }),
            Comparison::JaroWinkler { thresholds } => {
                if a == b {
                    return Level(0);
                }
                let s = text::jaro_winkler(a, b);
                let i = thresholds.iter().position(|t| s >= *t).map_or(last, |i| i as u8 + 1);
                Level(i)
            }
            Comparison::Levenshtein { distances } => {
                if a == b {
                    return Level(0);
                }
                let max = distances.iter().copied().max().unwrap_or(0);
                let d = text::levenshtein_within(a, b, max);
                let i = d.and_then(|d| distances.iter().position(|m| d <= *m)).map_or(last, |i| i as u8 + 1);
                Level(i)
            }
            Comparison::Date { days } => match (dates::parse_loose(a), dates::parse_loose(b)) {
                (Some(x), Some(y)) => Level(dates::compare(x, y, *days) as u8),
                _ => Level::NULL,
            },
            Comparison::IdNumber => match idnum::compare(a, b) {
                Some(agreement) => Level(agreement as u8),
                None => Level::NULL,
            },
            Comparison::ChineseName => Level(names::compare(a, b) as u8),
            Comparison::Region => match regions::compare(a, b) {
                Some(agreement) => Level(agreement as u8),
                None => Level::NULL,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_comparison_names_its_levels_and_puts_pairs_in_them() {
        let jw = Comparison::JaroWinkler { thresholds: vec![0.92, 0.8] };
        assert_eq!(jw.levels(), ["exact", "jaro_winkler>=0.92", "jaro_winkler>=0.8", "else"]);
        assert_eq!(jw.level("张伟", "张伟"), Level(0));
        assert_eq!(jw.level("MARTHA", "MARHTA"), Level(1));
        assert_eq!(jw.level("DWAYNE", "DUANE"), Level(2));
        assert_eq!(jw.level("张伟", "李娜"), Level(3));
        assert_eq!(jw.level("张伟", " "), Level::NULL);

        let lev = Comparison::Levenshtein { distances: vec![1, 2] };
        assert_eq!(lev.level("王小明", "王晓明"), Level(1));
        assert_eq!(lev.level("王小明", "汪晓明"), Level(2));
        assert_eq!(lev.level("王小明", "李大壮"), Level(3));

        let date = Comparison::Date { days: 30 };
        assert_eq!(date.levels().len(), 5);
        assert_eq!(date.level("1980-03-05", "1980/5/3"), Level(1));
        assert_eq!(date.level("1980-03-05", "19810305"), Level(2));
        assert_eq!(date.level("1980-03-05", "1980-03-25"), Level(3));
        assert_eq!(date.level("1980-03-05", "2001-03-25"), Level(4));
        assert_eq!(date.level("1980-03-05", "不详"), Level::NULL, "an unreadable date weighs nothing");

        let id = Comparison::IdNumber;
        assert_eq!(id.levels(), ["exact", "one_digit", "adjacent_swapped", "else"]);
        assert_eq!(id.level("320402800101123", "32040219800101123X"), Level(0), "15 and 18 digits");
        assert_eq!(id.level("320402800101123", "123"), Level::NULL);

        let name = Comparison::ChineseName;
        assert_eq!(name.levels().len(), 7);
        assert_eq!((name.level("張偉", "张伟"), name.level("王?明", "王喆明")), (Level(1), Level(2)));
        assert_eq!((name.level("王建国", "李丽"), name.level("", "李丽")), (Level(6), Level::NULL));

        let region = Comparison::Region;
        assert_eq!(region.levels(), ["exact", "county", "city", "else"]);
        assert_eq!((region.level("320411004", "320411001"), region.level("320411", "新北区")), (Level(1), Level::NULL));

        let exact = Comparison::Exact;
        assert_eq!((exact.level("男", "男"), exact.level("男", "女")), (Level(0), Level(1)));
    }

    #[test]
    fn a_settings_file_names_a_comparison_by_its_function() {
        let c: Comparison =
            serde_json::from_str(r#"{"function":"jaro_winkler","thresholds":[0.9]}"#).unwrap_or(Comparison::Exact);
        assert_eq!(c, Comparison::JaroWinkler { thresholds: vec![0.9] });
    }
}
