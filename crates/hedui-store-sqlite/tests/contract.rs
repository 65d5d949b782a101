//! The store contract suite on SQLite (always runs): one test per check, each on a fresh
//! in-memory database.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use hedui_store::Store;

fn fresh() -> Result<Box<dyn Store>, String> {
    let s = hedui_store_sqlite::open_in_memory().map_err(|e| e.to_string())?;
    s.migrate().map_err(|e| e.to_string())?;
    Ok(Box::new(s))
}

hedui_store::contract_tests!(Some(fresh));
