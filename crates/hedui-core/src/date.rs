//! Calendar dates without a clock: parsing, arithmetic and weekdays.
//!
//! The core never reads the time of day; every entry point passes an `as_of`
//! [`Date`] in. Dates are proleptic Gregorian and are stored as ISO text
//! (`YYYY-MM-DD`) so that they sort correctly in every backend.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar date (year 1 to 9999).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Packed so that ordering of the struct equals ordering of the dates.
    year: u16,
    month: u8,
    day: u8,
}

/// Why a date could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("日期格式错误，应为 YYYY-MM-DD 或 YYYYMMDD: {0:?}")]
    Format(String),
    #[error("日期不存在: {year:04}-{month:02}-{day:02}")]
    NoSuchDay { year: u16, month: u8, day: u8 },
}

/// Day of the week, Monday first as in China.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    /// Saturday and Sunday.
    pub fn is_weekend(self) -> bool {
        matches!(self, Weekday::Sat | Weekday::Sun)
    }
}

/// True for Gregorian leap years.
pub fn is_leap_year(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// Number of days in a month, or 0 for a month outside 1..=12.
pub fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// Builds a date, checking that the day exists (leap years included).
    pub fn new(year: u16, month: u8, day: u8) -> Result<Date, DateError> {
        if year == 0 || year > 9999 || day == 0 || day > days_in_month(year, month) {
            return Err(DateError::NoSuchDay { year, month, day });
        }
        Ok(Date { year, month, day })
    }

    pub fn year(self) -> u16 {
        self.year
    }
    pub fn month(self) -> u8 {
        self.month
    }
    pub fn day(self) -> u8 {
        self.day
    }

    /// Parses `YYYY-MM-DD` or the compact `YYYYMMDD`.
    pub fn parse(s: &str) -> Result<Date, DateError> {
        let s = s.trim();
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = b.get(r)?;
            if part.iter().all(u8::is_ascii_digit) {
                Some(part.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0')))
            } else {
                None
            }
        };
        let parts = match b.len() {
            10 if b[4] == b'-' && b[7] == b'-' => (digits(0..4), digits(5..7), digits(8..10)),
            8 => (digits(0..4), digits(4..6), digits(6..8)),
            _ => (None, None, None),
        };
        match parts {
            (Some(y), Some(m), Some(d)) => Date::new(y as u16, m as u8, d as u8),
            _ => Err(DateError::Format(s.to_string())),
        }
    }

    /// Days since 1970-01-01 (negative before).
    pub fn to_days(self) -> i64 {
        // Howard Hinnant's days-from-civil algorithm.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let m = i64::from(self.month);
        let d = i64::from(self.day);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Inverse of [`Date::to_days`]; `None` outside years 1..=9999.
    pub fn from_days(days: i64) -> Option<Date> {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        if !(1..=9999).contains(&y) {
            return None;
        }
        Date::new(y as u16, m as u8, d as u8).ok()
    }

    /// The date `n` days later (or earlier for negative `n`), saturating at the range ends.
    pub fn add_days(self, n: i64) -> Date {
        Date::from_days(self.to_days() + n).unwrap_or(if n < 0 { Date::MIN } else { Date::MAX })
    }

    /// The same day `n` months later (or earlier), clamped to the month's last day.
    pub fn add_months(self, n: i32) -> Date {
        let total = i32::from(self.year) * 12 + i32::from(self.month) - 1 + n;
        let year = total.div_euclid(12).clamp(1, 9999) as u16;
        let month = (total.rem_euclid(12) + 1) as u8;
        let day = self.day.min(days_in_month(year, month));
        Date { year, month, day }
    }

    /// First day of this date's month.
    pub fn first_of_month(self) -> Date {
        Date { day: 1, ..self }
    }

    /// Day of the week.
    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday.
        match (self.to_days() + 3).rem_euclid(7) {
            0 => Weekday::Mon,
            1 => Weekday::Tue,
            2 => Weekday::Wed,
            3 => Weekday::Thu,
            4 => Weekday::Fri,
            5 => Weekday::Sat,
            _ => Weekday::Sun,
        }
    }

    /// Whole years of age reached on `on` by someone born on `self`.
    pub fn age_on(self, on: Date) -> i32 {
        let mut age = i32::from(on.year) - i32::from(self.year);
        if (on.month, on.day) < (self.month, self.day) {
            age -= 1;
        }
        age
    }

    /// Compact `YYYYMMDD` form, as used inside ID numbers.
    pub fn compact(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    pub const MIN: Date = Date { year: 1, month: 1, day: 1 };
    pub const MAX: Date = Date { year: 9999, month: 12, day: 31 };
}

/// A date or month written as ISO 8601 text on the stack: bulk writers format millions of them.
#[derive(Clone, Copy)]
pub struct Iso<const N: usize>([u8; N]);

impl<const N: usize> Iso<N> {
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and '-' are ever written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

fn put_digits(out: &mut [u8], mut v: u16) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

impl Date {
    /// `YYYY-MM-DD`.
    pub fn iso(self) -> Iso<10> {
        let mut b = *b"0000-00-00";
        put_digits(&mut b[0..4], self.year);
        put_digits(&mut b[5..7], self.month.into());
        put_digits(&mut b[8..10], self.day.into());
        Iso(b)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.iso().as_str())
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Date, DateError> {
        Date::parse(s)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A calendar month, used for income periods (`YYYY-MM`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Month {
    pub year: u16,
    pub month: u8,
}

impl Month {
    pub fn of(d: Date) -> Month {
        Month { year: d.year, month: d.month }
    }
    /// Parses `YYYY-MM` or `YYYYMM`.
    pub fn parse(s: &str) -> Result<Month, DateError> {
        let s = s.trim();
        let full = match s.len() {
            7 => format!("{s}-01"),
            6 => format!("{s}01"),
            _ => return Err(DateError::Format(s.to_string())),
        };
        Date::parse(&full).map(Month::of)
    }
    pub fn first_day(self) -> Date {
        Date { year: self.year, month: self.month, day: 1 }
    }
    pub fn plus(self, n: i32) -> Month {
        Month::of(self.first_day().add_months(n))
    }
    /// Months from `self` to `other` (positive when `other` is later).
    pub fn months_until(self, other: Month) -> i32 {
        (i32::from(other.year) * 12 + i32::from(other.month)) - (i32::from(self.year) * 12 + i32::from(self.month))
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Month, D::Error> {
        let s = String::deserialize(d)?;
        Month::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Month {
    /// `YYYY-MM`.
    pub fn iso(self) -> Iso<7> {
        let mut b = *b"0000-00";
        put_digits(&mut b[0..4], self.year);
        put_digits(&mut b[5..7], self.month.into());
        Iso(b)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.iso().as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms_and_rejects_impossible_days() {
        assert_eq!(Date::parse("2024-02-29").map(|d| d.to_string()), Ok("2024-02-29".into()));
        assert_eq!(Date::parse("20000229").map(|d| d.compact()), Ok("20000229".into()));
        assert!(Date::parse("2023-02-29").is_err());
        assert!(Date::parse("1900-02-29").is_err());
        assert!(Date::parse("2023-13-01").is_err());
        assert!(Date::parse("2023-1-01").is_err());
        assert!(Date::parse("20230230").is_err());
    }

    #[test]
    fn iso_text_pads_every_field_and_parses_back() {
        for n in (-719_162..2_932_896).step_by(997) {
            let d = Date::from_days(n).expect("in range");
            assert_eq!(Date::parse(d.iso().as_str()), Ok(d), "{d:?}");
        }
        assert_eq!(Date::new(7, 3, 9).map(|d| d.to_string()), Ok("0007-03-09".into()));
        assert_eq!(Month { year: 99, month: 1 }.to_string(), "0099-01");
        assert_eq!(Month { year: 9999, month: 12 }.iso().as_str(), "9999-12");
    }

    #[test]
    fn day_numbers_round_trip_and_weekdays_are_right() {
        assert_eq!(Date::new(1970, 1, 1).map(Date::to_days), Ok(0));
        for n in [-700_000, -1, 0, 1, 19_000, 20_000, 2_900_000] {
            let d = Date::from_days(n).expect("in range");
            assert_eq!(d.to_days(), n);
        }
        // 2026-11-28 is a Saturday; 2024-10-01 a Tuesday.
        assert_eq!(Date::new(2026, 11, 28).map(Date::weekday), Ok(Weekday::Sat));
        assert_eq!(Date::new(2024, 10, 1).map(Date::weekday), Ok(Weekday::Tue));
    }

    #[test]
    fn month_arithmetic_clamps_to_month_end() {
        let d = Date::new(2024, 1, 31).expect("valid");
        assert_eq!(d.add_months(1).to_string(), "2024-02-29");
        assert_eq!(d.add_months(-2).to_string(), "2023-11-30");
        assert_eq!(d.add_months(12).to_string(), "2025-01-31");
        let m = Month::parse("2026-01").expect("valid");
        assert_eq!(m.plus(-1).to_string(), "2025-12");
        assert_eq!(m.months_until(Month::parse("2026-11").expect("valid")), 10);
    }

    #[test]
    fn age_counts_birthdays() {
        let born = Date::new(1966, 11, 29).expect("valid");
        assert_eq!(born.age_on(Date::new(2026, 11, 28).expect("valid")), 59);
        assert_eq!(born.age_on(Date::new(2026, 11, 29).expect("valid")), 60);
    }
}
