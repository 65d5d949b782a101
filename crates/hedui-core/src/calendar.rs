//! Working days for statutory deadlines, with public holidays and 调休
//! (make-up working weekends) supplied as data.
//!
//! The State Council publishes each year's arrangement in November, so the
//! calendar is text that operators replace, not code. The rule is: Monday to
//! Friday are working days unless listed as `holiday`; Saturday and Sunday are
//! rest days unless listed as `workday`.
//!
//! Text format, one date per line, `#` starts a comment:
//!
//! ```text
//! 2026-10-01 holiday 国庆节
//! 2026-10-10 workday 国庆调休
//! ```

use std::collections::BTreeMap;

use crate::date::Date;

/// What a listed date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayKind {
    /// 放假: a rest day even if it falls on a weekday.
    Holiday,
    /// 调休上班: a working Saturday or Sunday.
    Workday,
}

/// A listed date with its note (e.g. `国庆节`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDay {
    pub kind: DayKind,
    pub note: String,
}

/// Why calendar text was refused. Lines count from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("节假日数据第 {line} 行日期无效：{text:?}（应为 YYYY-MM-DD）")]
    BadDate { line: usize, text: String },
    #[error("节假日数据第 {line} 行缺少类型（holiday 或 workday）")]
    MissingKind { line: usize },
    #[error("节假日数据第 {line} 行类型无效：{text:?}（应为 holiday 或 workday）")]
    BadKind { line: usize, text: String },
    #[error("节假日数据第 {line} 行：{date} 不是周六或周日，不能标为调休上班日")]
    WorkdayNotWeekend { line: usize, date: Date },
    #[error("节假日数据第 {line} 行：{date} 重复出现")]
    Duplicate { line: usize, date: Date },
}

/// A working-day calendar. The default has no listed dates (plain Mon–Fri).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    days: BTreeMap<Date, CalendarDay>,
}

/// Number of Mondays to Fridays among the days numbered below `days`, counted
/// from a Monday far in the past; only differences of it are meaningful.
fn weekdays_before(days: i64) -> i64 {
    // Day −3 (1969-12-29) was a Monday.
    let k = days + 3;
    5 * k.div_euclid(7) + k.rem_euclid(7).min(5)
}

impl WorkCalendar {
    /// Parses calendar text (see the module documentation).
    ///
    /// A `workday` on a Monday to Friday is refused: it would change nothing,
    /// so it is almost certainly a mistyped date.
    pub fn from_text(text: &str) -> Result<WorkCalendar, CalendarError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut days = BTreeMap::new();
        for (idx, raw) in text.lines().enumerate() {
            let line = idx + 1;
            let content = raw.split_once('#').map_or(raw, |(before, _)| before);
            let mut words = content.split_whitespace();
            let Some(date_text) = words.next() else {
                continue;
            };
            let date =
                Date::parse(date_text).map_err(|_| CalendarError::BadDate { line, text: date_text.to_string() })?;
            let kind = match words.next() {
                None => return Err(CalendarError::MissingKind { line }),
                Some(k) if k.eq_ignore_ascii_case("holiday") => DayKind::Holiday,
                Some(k) if k.eq_ignore_ascii_case("workday") => DayKind::Workday,
                Some(k) => {
                    return Err(CalendarError::BadKind { line, text: k.to_string() });
                }
            };
            if kind == DayKind::Workday && !date.weekday().is_weekend() {
                return Err(CalendarError::WorkdayNotWeekend { line, date });
            }
            let note = words.collect::<Vec<_>>().join(" ");
            if days.insert(date, CalendarDay { kind, note }).is_some() {
                return Err(CalendarError::Duplicate { line, date });
            }
        }
        Ok(WorkCalendar { days })
    }

    /// The listed entry for a date, if any.
    pub fn day(&self, date: Date) -> Option<&CalendarDay> {
        self.days.get(&date)
    }

    /// True if at least one date of `year` is listed. Deadlines computed in
    /// a year the data does not cover fall back to plain Mon–Fri, which the
    /// caller may want to warn about.
    pub fn covers_year(&self, year: u16) -> bool {
        let (Ok(first), Ok(last)) = (Date::new(year, 1, 1), Date::new(year, 12, 31)) else {
            return false;
        };
        self.days.range(first..=last).next().is_some()
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        match self.days.get(&date) {
            Some(d) => d.kind == DayKind::Workday,
            None => !date.weekday().is_weekend(),
        }
    }

    /// The `n`-th working day after `date` (`date` itself for `n = 0`).
    ///
    /// "Within 3 working days of receipt" ends on `add_working_days(receipt, 3)`.
    /// Saturates at the last representable date.
    pub fn add_working_days(&self, date: Date, n: u32) -> Date {
        let mut current = date;
        let mut left = n;
        while left > 0 && current < Date::MAX {
            current = current.add_days(1);
            if self.is_working_day(current) {
                left -= 1;
            }
        }
        current
    }

    /// Working days in the half-open span after `a` up to and including `b`,
    /// negative when `b` is before `a`. Inverse of
    /// [`add_working_days`](Self::add_working_days): counting from `a` to
    /// `add_working_days(a, n)` gives `n`.
    pub fn working_days_between(&self, a: Date, b: Date) -> i64 {
        if b < a {
            return -self.working_days_between(b, a);
        }
        let plain = weekdays_before(b.to_days() + 1) - weekdays_before(a.to_days() + 1);
        let adjustment: i64 = self
            .days
            .range(a..=b)
            .filter(|(d, _)| **d != a)
            .map(|(d, day)| match (day.kind, d.weekday().is_weekend()) {
                (DayKind::Holiday, false) => -1,
                (DayKind::Workday, true) => 1,
                _ => 0,
            })
            .sum();
        plain + adjustment
    }
}

#[cfg(test)]
// Tests may panic on a broken fixture; that is the point of a test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        Date::parse(s).expect("valid date")
    }

    fn shipped() -> WorkCalendar {
        WorkCalendar::from_text(include_str!("../../../data/calendar/cn-2025-2026.txt"))
            .expect("the shipped calendar parses")
    }

    #[test]
    fn adding_working_days_case_table() {
        let cal = shipped();
        // (start, n, expected, why)
        let cases = [
            ("2025-09-26", 0, "2025-09-26", "zero days is the start itself"),
            ("2025-09-26", 1, "2025-09-28", "Sunday 9/28 is a make-up working day"),
            ("2025-09-26", 3, "2025-09-30", "9/28 Sun, 9/29 Mon, 9/30 Tue"),
            ("2025-09-30", 1, "2025-10-09", "10/1–10/8 National Day and Mid-Autumn"),
            ("2025-09-30", 3, "2025-10-11", "Saturday 10/11 is a make-up working day"),
            ("2025-10-11", 1, "2025-10-13", "10/12 is an ordinary Sunday"),
            ("2025-01-24", 1, "2025-01-26", "Sunday 1/26 works before the Spring Festival"),
            ("2025-01-26", 1, "2025-01-27", "Monday before New Year's Eve"),
            ("2025-01-27", 1, "2025-02-05", "1/28–2/4 Spring Festival"),
            ("2025-02-07", 1, "2025-02-08", "Saturday 2/8 is a make-up working day"),
            ("2025-04-30", 1, "2025-05-06", "5/1–5/5 Labour Day"),
            ("2025-05-30", 1, "2025-06-03", "5/31–6/2 Dragon Boat"),
            ("2025-12-31", 1, "2026-01-04", "1/1–1/3 holiday, Sunday 1/4 works"),
            ("2025-12-31", 2, "2026-01-05", "then Monday"),
            ("2026-09-30", 1, "2026-10-08", "10/1–10/7 National Day 2026"),
            ("2026-09-24", 1, "2026-09-28", "9/25–9/27 Mid-Autumn 2026"),
            ("2026-02-13", 1, "2026-02-14", "Saturday 2/14 is a make-up working day"),
            ("2026-02-14", 1, "2026-02-24", "2/15–2/23 Spring Festival 2026"),
        ];
        for (start, n, expected, why) in cases {
            assert_eq!(cal.add_working_days(d(start), n), d(expected), "{start} + {n}: {why}");
        }
    }

    #[test]
    fn working_day_rules() {
        let cal = shipped();
        let cases = [
            ("2025-09-26", true),  // Friday
            ("2025-09-27", false), // Saturday
            ("2025-09-28", true),  // make-up Sunday
            ("2025-10-01", false), // holiday
            ("2025-10-08", false), // holiday (Wednesday)
            ("2025-10-11", true),  // make-up Saturday
            ("2024-10-01", true),  // not covered: plain Tuesday
            ("2026-05-09", true),  // make-up Saturday
            ("2026-09-20", true),  // make-up Sunday
            ("2026-01-02", false), // New Year holiday (Friday)
            ("2026-01-04", true),  // make-up Sunday
        ];
        for (date, working) in cases {
            assert_eq!(cal.is_working_day(d(date)), working, "{date}");
        }
        assert!(cal.covers_year(2025) && cal.covers_year(2026) && !cal.covers_year(2024));
        assert_eq!(cal.day(d("2025-10-01")).map(|x| x.kind), Some(DayKind::Holiday));
    }

    #[test]
    fn counting_between_dates() {
        let cal = shipped();
        let cases = [
            ("2025-09-26", "2025-09-30", 3),
            ("2025-09-30", "2025-09-26", -3),
            ("2025-09-26", "2025-09-26", 0),
            ("2025-09-30", "2025-10-09", 1),
            ("2025-01-01", "2025-12-31", 248),
        ];
        for (a, b, n) in cases {
            assert_eq!(cal.working_days_between(d(a), d(b)), n, "{a} → {b}");
        }
    }

    #[test]
    fn text_format_errors() {
        let cases = [
            ("2025-02-30 holiday", CalendarError::BadDate { line: 1, text: "2025-02-30".into() }),
            ("# c\n2025-10-01", CalendarError::MissingKind { line: 2 }),
            ("2025-10-01 rest", CalendarError::BadKind { line: 1, text: "rest".into() }),
            ("2025-10-10 workday", CalendarError::WorkdayNotWeekend { line: 1, date: d("2025-10-10") }),
            ("2025-10-01 holiday\n\n2025-10-01 holiday", CalendarError::Duplicate { line: 3, date: d("2025-10-01") }),
        ];
        for (text, err) in cases {
            assert_eq!(WorkCalendar::from_text(text), Err(err), "{text:?}");
        }
        let cal =
            WorkCalendar::from_text("\u{feff}2025-10-11 WORKDAY 国庆 调休 # comment\n   # only\n").expect("valid text");
        assert_eq!(cal.day(d("2025-10-11")), Some(&CalendarDay { kind: DayKind::Workday, note: "国庆 调休".into() }));
    }

    #[test]
    fn saturates_at_the_end_of_time() {
        let cal = WorkCalendar::default();
        assert_eq!(cal.add_working_days(d("9999-12-30"), 5), Date::MAX);
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (19_900i64..21_000).prop_map(|n| Date::from_days(n).unwrap_or(Date::MIN))
    }

    proptest! {
        #[test]
        fn counting_inverts_adding(start in any_date(), n in 0u32..60) {
            let cal = shipped();
            let end = cal.add_working_days(start, n);
            prop_assert!(end >= start);
            prop_assert!(n == 0 || cal.is_working_day(end));
            prop_assert_eq!(cal.working_days_between(start, end), i64::from(n));
        }

        #[test]
        fn counting_matches_a_day_by_day_walk(a in any_date(), b in any_date()) {
            let cal = shipped();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let walked = (1..=hi.to_days() - lo.to_days())
                .filter(|k| cal.is_working_day(lo.add_days(*k)))
                .count() as i64;
            let sign = if a <= b { 1 } else { -1 };
            prop_assert_eq!(cal.working_days_between(a, b), sign * walked);
        }
    }
}
