//! `bench-rotate`: what a master-key rotation costs on a generated city. Imports the city's
//! department snapshots, files every household's application and runs some of the jobs (reports,
//! bank answers) on a fresh SQLite store under epoch 1, then opens the node with a second epoch and
//! times the path `hedui key rotate` runs: `rotation_run` (every row re-sealed and re-indexed,
//! chunk by chunk), `rotation_finish` (a sweep of every table) and `sealed_census` (the path of
//! `hedui key check`, every value opened). Prints sealed values per second beside the floor the
//! anchors in `shared/engineering/performance.md` give one value: an SM4-GCM open and seal
//! (0.79 µs each) and a row written by a bare prepared SQLite statement (1.02 M rows/s).

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use hedui_app::{App, Caller, SystemClock};
use hedui_crypto::ring::KeyRing;
use hedui_store::Store;

const K1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const K2: &str = "2222222222222222222222222222222222222222222222222222222222222222";
/// Microseconds per value the anchors allow: open + seal of a record-sized value, one row written.
const FLOOR_US: f64 = 0.79 + 0.79 + 1.0 / 1.02;

pub struct Options {
    households: u64,
    jobs: usize,
}

impl Options {
    pub fn parse(args: impl Iterator<Item = String>) -> Result<Options> {
        let mut o = Options { households: 20_000, jobs: 500 };
        let mut args = args;
        while let Some(a) = args.next() {
            match a.as_str() {
                "--households" => o.households = args.next().unwrap_or_default().parse()?,
                "--jobs" => o.jobs = args.next().unwrap_or_default().parse()?,
                other => anyhow::bail!("unknown option {other}"),
            }
        }
        Ok(o)
    }
}

fn app(store: &Arc<dyn Store>, keys: &[(u8, &str)], city: Option<&std::path::Path>) -> Result<App> {
    let ring = Arc::new(KeyRing::parse(&KeyRing::file_text(keys))?);
    let banks = match city {
        Some(c) => hedui::city::banks(c)?,
        None => Vec::new(),
    };
    hedui::build_app(store.clone(), ring, banks, Arc::new(SystemClock), None)
}

pub fn run(o: &Options) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("hedui-bench-rotate-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let city = dir.join("city");
    let t = Instant::now();
    let regions = hedui_app::data::regions(None)?;
    let as_of = hedui_core::Date::parse("2026-11-27")?;
    let g = hedui::city::generate(&regions, &city, 7, o.households, as_of)?;
    let store = hedui::open_store(&dir.join("hedui.db").display().to_string())?;
    let before = app(&store, &[(1, K1)], Some(&city))?;
    let actor = Caller::system("bench-rotate");
    hedui::city::import_mirrors(&before, &actor, &city)?;
    let apps = hedui::city::applications(&city)?;
    let filed = hedui::city::file_applications(&before, &actor, &apps, as_of, &|_| true)?;
    for f in filed.iter().take(o.jobs) {
        before.run_job(&actor, f.job)?;
    }
    drop(before);
    println!(
        "prepared {} households, {} persons, {} jobs ({} run) in {:.1} s",
        g.households,
        g.persons,
        filed.len(),
        o.jobs.min(filed.len()),
        t.elapsed().as_secs_f64()
    );

    let both = app(&store, &[(1, K1), (2, K2)], None)?;
    let t = Instant::now();
    let run = both.rotation_run(&actor, store.as_ref(), &mut |_, _| {})?;
    let run_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let swept = both.rotation_finish(&actor, store.as_ref())?;
    let finish_s = t.elapsed().as_secs_f64();
    drop(both);
    let after = app(&store, &[(2, K2)], None)?;
    let keys = KeyRing::parse(&KeyRing::file_text(&[(2, K2)]))?;
    let t = Instant::now();
    let census = after.sealed_census(&keys)?;
    let census_s = t.elapsed().as_secs_f64();
    let values: usize = census.opened.values().sum();
    anyhow::ensure!(census.failed_count == 0 && census.opened.keys().eq([2u8].iter()), "census: {census:?}");
    anyhow::ensure!(swept.total() == 0, "the sweep found rows left: {swept:?}");

    println!("rows re-sealed by table: {:?}", run.resealed);
    let per_value_us = run_s * 1e6 / values as f64;
    println!(
        "rotation_run:    {} rows, {values} sealed values in {run_s:.2} s: {:.0} values/s, {per_value_us:.2} µs a value",
        run.total(),
        values as f64 / run_s
    );
    println!(
        "  against the anchors' floor of {FLOOR_US:.2} µs a value (open + seal 0.79 µs each, a bare SQLite row 0.98 µs): {:.2}×",
        per_value_us / FLOOR_US
    );
    println!("rotation_finish: sweep of every table in {finish_s:.2} s");
    println!(
        "sealed_census (hedui key check): {values} values opened in {census_s:.2} s: {:.0} values/s",
        values as f64 / census_s
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
