//! The store contract suite on PostgreSQL: one test per check, each in a fresh schema.
//!
//! Runs when a test database answers (`HEDUI_TEST_PG_URL`, or the one `.ci/run` sets up).
//! Without it each test says loudly that it was skipped, and passes (in CI, with
//! `HEDUI_REQUIRE_PG=1`, it fails instead).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::sync::atomic::{AtomicU32, Ordering};

use hedui_store::Store;

/// A factory of fresh schemas, or `None` (having said so) without a database.
fn backend() -> Option<impl Fn() -> Result<Box<dyn Store>, String>> {
    let Some(url) = hedui_store_postgres::test_url() else {
        hedui_store_postgres::skip_notice("the store contract suite");
        return None;
    };
    static N: AtomicU32 = AtomicU32::new(0);
    Some(move || {
        let schema = format!("contract_{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
        let s = hedui_store_postgres::open_scratch_schema(&url, &schema).map_err(|e| e.to_string())?;
        s.migrate().map_err(|e| e.to_string())?;
        Ok(Box::new(s) as Box<dyn Store>)
    })
}

hedui_store::contract_tests!(backend());
