//! `bench-audit`: what the audit chain costs and how fast a trail is checked. Appends audit rows
//! through the store's one write path on a fresh SQLite store, first with no MAC (rows the chain
//! does not protect, as before the chain) and then chained under the node's key, and prints rows/s
//! of each and their ratio; then checks the chained trail with `App::verify_audit` (the path
//! `hedui audit verify` runs) and prints rows/s. No anchor is named by the issue: the figures say
//! what a 3-year trail costs to check.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use hedui_app::{Caller, SystemClock};
use hedui_store::{AuditEntry, AuditOutcome, Store};

pub struct Options {
    rows: usize,
}

impl Options {
    pub fn parse(args: impl Iterator<Item = String>) -> Result<Options> {
        let mut o = Options { rows: 200_000 };
        let mut args = args;
        while let Some(a) = args.next() {
            match a.as_str() {
                "--rows" => o.rows = args.next().unwrap_or_default().parse()?,
                other => anyhow::bail!("unknown option {other}"),
            }
        }
        Ok(o)
    }
}

fn entry(i: usize) -> AuditEntry {
    AuditEntry {
        at: hedui_core::Timestamp::from_unix(1_796_000_000 + i as i64),
        actor: "clerk".into(),
        action: if i.is_multiple_of(10) { "login".into() } else { "report.read".into() },
        object: format!("job:{}", i % 5000),
        outcome: AuditOutcome::Ok,
        detail: format!("报告 HD-{i:08} 第 1 版"),
        request_id: format!("req-{i}"),
        client: "10.1.2.3".into(),
        basis: "委托 WT-320412-20261127-H000001-1；授权书 SQ-1".into(),
        ..Default::default()
    }
}

fn append(store: &dyn Store, from: usize, rows: usize) -> Result<f64> {
    let t = Instant::now();
    for i in from..from + rows {
        store.audit(&entry(i))?;
    }
    Ok(rows as f64 / t.elapsed().as_secs_f64())
}

pub fn run(o: &Options) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("hedui-bench-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    // Unchained: a store no app has given its key.
    let bare = hedui::open_store(&dir.join("bare.db").display().to_string())?;
    let bare_rate = append(bare.as_ref(), 0, o.rows)?;
    // Chained: the store under an app (the MAC set as `build_app` sets it).
    let store = hedui::open_store(&dir.join("chained.db").display().to_string())?;
    let keys = Arc::new(hedui_crypto::SoftKeys::from_master(&[9; 32])?);
    let app = hedui::build_app(store.clone(), keys, Vec::new(), Arc::new(SystemClock), None)?;
    let chained_rate = append(store.as_ref(), 0, o.rows)?;
    let t = Instant::now();
    let v = app.verify_audit(&Caller::system("bench"), &app.checkpoint("manual")?)?;
    let verify_rate = (v.chains.iter().map(|c| c.rows).sum::<i64>()) as f64 / t.elapsed().as_secs_f64();
    anyhow::ensure!(v.intact(), "the trail does not verify: {:?}", v.findings().next());
    println!("append, unchained              {bare_rate:>10.0} rows/s   ({} rows)", o.rows);
    println!("append, chained (HMAC-SM3)     {chained_rate:>10.0} rows/s   ({} rows)", o.rows);
    println!("chained / unchained            {:>10.2}x", chained_rate / bare_rate);
    println!("verify (both chains)           {verify_rate:>10.0} rows/s");
    println!("a trail of 10 million rows     {:>10.0} s to verify", 10_000_000.0 / verify_rate);
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
