//! The store contract suite on PostgreSQL.
//!
//! Runs when a test database answers (`HEDUI_TEST_PG_URL`, or the one `.ci/run` sets up).
//! Without it the test says loudly that it was skipped, and passes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::sync::atomic::{AtomicU32, Ordering};

use hedui_store::Store;

#[test]
fn postgres_passes_the_store_contract() {
    let Some(url) = hedui_store_postgres::test_url() else {
        hedui_store_postgres::skip_notice("the store contract suite");
        return;
    };
    static N: AtomicU32 = AtomicU32::new(0);
    hedui_store::contract::run_all(&|| {
        let schema = format!("contract_{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
        let s = hedui_store_postgres::open_fresh_schema(&url, &schema).map_err(|e| e.to_string())?;
        s.migrate().map_err(|e| e.to_string())?;
        Ok(Box::new(s) as Box<dyn Store>)
    });
}
