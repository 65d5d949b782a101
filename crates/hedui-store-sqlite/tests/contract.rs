//! The store contract suite on SQLite (always runs).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use hedui_store::Store;

#[test]
fn sqlite_passes_the_store_contract() {
    hedui_store::contract::run_all(&|| {
        let s = hedui_store_sqlite::open_in_memory().map_err(|e| e.to_string())?;
        s.migrate().map_err(|e| e.to_string())?;
        Ok(Box::new(s) as Box<dyn Store>)
    });
}
