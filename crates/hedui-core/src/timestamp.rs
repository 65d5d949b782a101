//! An instant to the second, in UTC: when something was stored, sent, issued or is due. Kept and
//! shown as `YYYY-MM-DDTHH:MM:SSZ`, so that text order is time order in every database.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::date::Date;

/// Seconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp(i64);

/// A text that is not `YYYY-MM-DDTHH:MM:SSZ`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("时间“{0}”无效：应为 YYYY-MM-DDTHH:MM:SSZ")]
pub struct TimestampError(pub String);

impl Timestamp {
    pub const fn from_unix(secs: i64) -> Timestamp {
        Timestamp(secs)
    }

    pub const fn unix(self) -> i64 {
        self.0
    }

    /// The instant `secs` seconds later (earlier when negative).
    pub const fn plus_seconds(self, secs: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(secs))
    }

    /// The calendar date in UTC.
    pub fn utc_date(self) -> Date {
        Date::from_days(self.0.div_euclid(86_400)).unwrap_or(Date::MIN)
    }

    /// The calendar date in China Standard Time (UTC+8).
    pub fn china_date(self) -> Date {
        Date::from_days((self.0 + 8 * 3600).div_euclid(86_400)).unwrap_or(Date::MIN)
    }

    /// The instant as people in China read it: `YYYY-MM-DD HH:MM:SS`, Beijing time (UTC+8).
    pub fn beijing(self) -> String {
        let local = self.0 + 8 * 3600;
        let rem = local.rem_euclid(86_400);
        format!("{} {:02}:{:02}:{:02}", self.china_date(), rem / 3600, rem % 3600 / 60, rem % 60)
    }

    pub fn parse(s: &str) -> Result<Timestamp, TimestampError> {
        let bad = || TimestampError(s.chars().take(40).collect());
        let b = s.as_bytes();
        if b.len() != 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
            return Err(bad());
        }
        let date = Date::parse(&s[..10]).map_err(|_| bad())?;
        let num = |r: std::ops::Range<usize>, max: i64| -> Result<i64, TimestampError> {
            let part = &s[r];
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse::<i64>().ok().filter(|v| *v <= max).ok_or_else(bad)
        };
        let (h, m, sec) = (num(11..13, 23)?, num(14..16, 59)?, num(17..19, 59)?);
        Ok(Timestamp(date.to_days() * 86_400 + h * 3600 + m * 60 + sec))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rem = self.0.rem_euclid(86_400);
        write!(f, "{}T{:02}:{:02}:{:02}Z", self.utc_date(), rem / 3600, rem % 3600 / 60, rem % 60)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = Cow::<str>::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl PartialSchema for Timestamp {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("UTC 时间 YYYY-MM-DDTHH:MM:SSZ"))
            .into()
    }
}

impl ToSchema for Timestamp {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Timestamp")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_sorts_as_time() {
        let t = Timestamp::parse("2026-12-07T06:40:43Z").unwrap();
        assert_eq!(t.to_string(), "2026-12-07T06:40:43Z");
        assert_eq!(Timestamp::from_unix(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(t.plus_seconds(3600 * 18).to_string(), "2026-12-08T00:40:43Z");
        assert_eq!(Timestamp::parse("2026-12-07T23:30:00Z").unwrap().china_date().to_string(), "2026-12-08");
        let (a, b) = (Timestamp::from_unix(86_399), Timestamp::from_unix(86_400));
        assert!(a < b && a.to_string() < b.to_string());
        for bad in
            ["", "t1", "2026-12-07 06:40:43Z", "2026-12-07T24:00:00Z", "2026-13-07T06:40:43Z", "2026-12-07T06:4a:43Z"]
        {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2026-12-07T06:40:43Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
    }
}
