//! Dates compared as typed records get them wrong: day and month swapped, the year off by one,
//! a few days apart.

use hedui_core::Date;

/// How two dates agree, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DateAgreement {
    Same,
    /// Day and month swapped (only where both are 12 or less and they differ).
    DayMonthSwapped,
    /// The same day and month, the year one off.
    YearOffByOne,
    /// Within the comparison's number of days of each other.
    Within,
    Different,
}

/// How `a` and `b` agree, `within` days counting as near.
pub fn compare(a: Date, b: Date, within: i64) -> DateAgreement {
    if a == b {
        return DateAgreement::Same;
    }
    if a.year() == b.year() && a.month() == b.day() && a.day() == b.month() {
        return DateAgreement::DayMonthSwapped;
    }
    if a.month() == b.month() && a.day() == b.day() && a.year().abs_diff(b.year()) == 1 {
        return DateAgreement::YearOffByOne;
    }
    if (a.to_days() - b.to_days()).abs() <= within {
        return DateAgreement::Within;
    }
    DateAgreement::Different
}

/// A date as records write it: `2026-12-08`, `2026/12/8`, `2026.12.08` or `20261208`.
pub fn parse_loose(s: &str) -> Option<Date> {
    let s = s.trim();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Date::new(s[..4].parse().ok()?, s[4..6].parse().ok()?, s[6..].parse().ok()?).ok();
    }
    let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
    let [y, m, d] = parts[..] else { return None };
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::DateAgreement::*;
    use super::*;

    fn d(s: &str) -> Date {
        parse_loose(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn each_kind_of_slip_has_its_level() {
        assert_eq!(compare(d("1980-03-05"), d("1980-03-05"), 30), Same);
        assert_eq!(compare(d("1980-03-05"), d("1980-05-03"), 30), DayMonthSwapped);
        assert_eq!(compare(d("1980-03-05"), d("1981-03-05"), 30), YearOffByOne);
        assert_eq!(compare(d("1980-03-05"), d("1979-03-05"), 30), YearOffByOne);
        assert_eq!(compare(d("1980-03-05"), d("1980-03-20"), 30), Within);
        assert_eq!(compare(d("1980-03-05"), d("1980-03-20"), 7), Different);
        assert_eq!(compare(d("1980-03-05"), d("1982-03-05"), 30), Different);
        // Across a year's end, within days.
        assert_eq!(compare(d("1980-12-30"), d("1981-01-02"), 7), Within);
    }

    #[test]
    fn dates_are_read_as_records_write_them() {
        assert_eq!(d("2026/12/8"), d("2026-12-08"));
        assert_eq!(d("20261208"), d("2026.12.08"));
        assert_eq!(parse_loose("2026-02-30"), None);
        assert_eq!(parse_loose("八日"), None);
        assert_eq!(parse_loose(""), None);
    }
}
