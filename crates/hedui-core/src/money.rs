//! Money as integer fen (分). No floating point touches money anywhere in hedui.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use serde::{Deserialize, Serialize};

/// An amount of renminbi in fen (1 yuan = 100 fen). May be negative (outflows, net income).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Fen(pub i64);

/// Why a text amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("金额格式错误: {0:?}（应为元，最多两位小数，如 1234.56）")]
    Format(String),
    #[error("金额超出范围: {0:?}")]
    Overflow(String),
}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// Whole yuan.
    pub const fn yuan(y: i64) -> Fen {
        Fen(y * 100)
    }

    /// Parses a yuan amount written in decimal (`1234`, `1234.5`, `-12.34`, `1,234.00`).
    /// More than two decimals is an error rather than a silent rounding.
    pub fn parse_yuan(s: &str) -> Result<Fen, MoneyError> {
        let t: String = s.trim().chars().filter(|c| *c != ',' && *c != '，').collect();
        let err = || MoneyError::Format(s.to_string());
        let (neg, body) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(&t)),
        };
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(err());
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        if frac.len() > 2 {
            return Err(err());
        }
        let over = || MoneyError::Overflow(s.to_string());
        let mut fen: i64 = 0;
        for b in int.bytes() {
            fen = fen.checked_mul(10).and_then(|v| v.checked_add(i64::from(b - b'0'))).ok_or_else(over)?;
        }
        let mut cents = 0i64;
        for (i, b) in frac.bytes().enumerate() {
            cents += i64::from(b - b'0') * if i == 0 { 10 } else { 1 };
        }
        fen = fen.checked_mul(100).and_then(|v| v.checked_add(cents)).ok_or_else(over)?;
        Ok(Fen(if neg { -fen } else { fen }))
    }

    /// Parses an integer amount of fen.
    pub fn parse_fen(s: &str) -> Result<Fen, MoneyError> {
        s.trim().parse::<i64>().map(Fen).map_err(|_| MoneyError::Format(s.to_string()))
    }

    /// `self × n`, saturating (amounts are far below the limits in practice).
    pub fn times(self, n: i64) -> Fen {
        Fen(self.0.saturating_mul(n))
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for Fen {
    /// Yuan with two decimals and thousands separators: `12,345.67`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let int = (abs / 100).to_string();
        let mut grouped = String::with_capacity(int.len() + int.len() / 3);
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}{grouped}.{:02}", abs % 100)
    }
}

impl fmt::Debug for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fen({})", self.0)
    }
}

impl Add for Fen {
    type Output = Fen;
    fn add(self, o: Fen) -> Fen {
        Fen(self.0.saturating_add(o.0))
    }
}
impl Sub for Fen {
    type Output = Fen;
    fn sub(self, o: Fen) -> Fen {
        Fen(self.0.saturating_sub(o.0))
    }
}
impl AddAssign for Fen {
    fn add_assign(&mut self, o: Fen) {
        *self = *self + o;
    }
}
impl SubAssign for Fen {
    fn sub_assign(&mut self, o: Fen) {
        *self = *self - o;
    }
}
impl Neg for Fen {
    type Output = Fen;
    fn neg(self) -> Fen {
        Fen(self.0.saturating_neg())
    }
}
impl Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, Add::add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yuan_exactly() {
        let ok = |s: &str| Fen::parse_yuan(s).map(|f| f.0);
        assert_eq!(ok("1234"), Ok(123_400));
        assert_eq!(ok("1234.5"), Ok(123_450));
        assert_eq!(ok("0.01"), Ok(1));
        assert_eq!(ok("-12.34"), Ok(-1234));
        assert_eq!(ok("1,234.00"), Ok(123_400));
        assert_eq!(ok(".5"), Ok(50));
        assert!(Fen::parse_yuan("12.345").is_err());
        assert!(Fen::parse_yuan("abc").is_err());
        assert!(Fen::parse_yuan("").is_err());
        assert!(Fen::parse_yuan("1e5").is_err());
        assert!(Fen::parse_yuan("99999999999999999999").is_err());
    }

    #[test]
    fn displays_grouped_yuan() {
        assert_eq!(Fen(123_456_789).to_string(), "1,234,567.89");
        assert_eq!(Fen(-5).to_string(), "-0.05");
        assert_eq!(Fen(0).to_string(), "0.00");
        assert_eq!(Fen(100_000).to_string(), "1,000.00");
    }
}
