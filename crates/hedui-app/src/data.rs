//! Reference data the binary carries: region names, the demo policy, the working-day calendar.
//!
//! The files under `data/` are embedded at build time so that a fresh clone
//! and an installed binary need nothing else; a directory with newer
//! editions of the same files replaces them without a code change.

use std::path::Path;

use hedui_core::calendar::WorkCalendar;
use hedui_core::region::RegionTable;

use crate::{AppError, AppResult};

const PROVINCES: &str = include_str!("../../../data/regions/provinces.csv");
const CITIES: &str = include_str!("../../../data/regions/cities.csv");
const AREAS: &str = include_str!("../../../data/regions/areas.csv");
const STREETS: &str = include_str!("../../../data/regions/streets.csv");
const CALENDAR: &str = include_str!("../../../data/calendar/cn-2025-2026.txt");
/// The demo city's source catalog.
pub const CATALOG_3204: &str = include_str!("../../../data/sources/3204.json");

fn read(dir: &Path, name: &str) -> AppResult<String> {
    std::fs::read_to_string(dir.join(name))
        .map_err(|e| AppError::Invalid(format!("无法读取区划数据 {}: {e}", dir.join(name).display())))
}

/// The region table: embedded, or from `dir` (same four CSV files) when given.
pub fn regions(dir: Option<&Path>) -> AppResult<RegionTable> {
    let t = match dir {
        None => RegionTable::from_csv(PROVINCES, CITIES, AREAS, STREETS),
        Some(d) => RegionTable::from_csv(
            &read(d, "provinces.csv")?,
            &read(d, "cities.csv")?,
            &read(d, "areas.csv")?,
            &read(d, "streets.csv")?,
        ),
    };
    t.map_err(|e| AppError::Invalid(format!("区划数据格式错误: {e}")))
}

/// The working-day calendar.
pub fn calendar() -> AppResult<WorkCalendar> {
    WorkCalendar::from_text(CALENDAR).map_err(|e| AppError::Invalid(format!("工作日历格式错误: {e}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn embedded_data_loads() {
        let t = super::regions(None).map_err(|e| e.to_string());
        assert!(t.as_ref().is_ok_and(|t| t.len() > 40_000), "{:?}", t.as_ref().err());
        assert!(crate::policy::Policies::embedded().is_ok());
        assert!(super::calendar().is_ok());
    }
}
