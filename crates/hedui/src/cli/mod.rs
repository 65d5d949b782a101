//! The command line, one module per command group; `main.rs` parses, loads the configuration
//! and dispatches.

pub(crate) mod args;
pub(crate) mod args_keys;
pub(crate) mod audit;
pub(crate) mod backup;
pub(crate) mod data;
pub(crate) mod exchange;
pub(crate) mod node;
pub(crate) mod operator;
pub(crate) mod policy;
pub(crate) mod report;
pub(crate) mod rotate;
pub(crate) mod serve;
pub(crate) mod settings;
pub(crate) mod ukey;

use anyhow::Result;

use hedui_app::SystemClock;
use hedui_core::Date;

pub(crate) fn parse_date(s: &str) -> Result<Date> {
    Date::parse(s).map_err(|e| anyhow::anyhow!("{e}"))
}

pub(crate) fn today() -> Date {
    hedui_app::china_date(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0),
    )
}

pub(crate) trait Unix {
    fn unix(&self) -> i64;
}

impl Unix for SystemClock {
    fn unix(&self) -> i64 {
        hedui_app::Clock::unix_seconds(self)
    }
}
