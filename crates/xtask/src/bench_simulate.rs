//! `bench-simulate`: `policy simulate` end to end over a stored caseload of a million households,
//! beside OpenFisca's build + calculate of the same households in the same run.
//!
//! The caseload is written through the store as hedui writes it when it completes reports: each
//! household's inputs in compact form, sealed (SM4) for its report, in a fresh SQLite database.
//! Households are the ones `bench-rules` generates (1–5 persons around the 常州 低保 thresholds),
//! spread over five counties whose policy is the city's. The timed part is `App::simulate`, the
//! path `hedui policy simulate` and the web page run: reading the caseload, opening it into
//! columns, evaluating every household under the policy in force and under the change with the
//! columnar evaluator, and adding up per county. Its figures are printed per stage; the run's
//! totals under the policy in force are compared with OpenFisca's results on the same people.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use hedui_app::policy::simulate::Change;
use hedui_app::{Caller, SystemClock};
use hedui_core::{Date, HouseholdId, JobId};
use hedui_crypto::SoftKeys;
use hedui_identity::{period, place};
use hedui_store::{AuditEntry, AuditOutcome, CaseloadEntry, CaseloadRow};

use crate::bench_import::{mib, peak_kib, reset_peak};
use crate::bench_rules::{generate, households_of, inputs, openfisca};

/// The goal: the whole simulation of a million households under ten seconds on a CI-class machine.
const GOAL_S: f64 = 10.0;
/// Counties of 常州 whose 低保 is the city's (武进 has its own floor and top-ups).
const COUNTIES: [&str; 5] = ["320402", "320404", "320411", "320413", "320481"];

pub struct Options {
    pub households: usize,
    pub dir: PathBuf,
    pub openfisca: bool,
}

impl Options {
    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Options> {
        let mut o = Options { households: 1_000_000, dir: PathBuf::from("target/bench-simulate"), openfisca: true };
        while let Some(a) = args.next() {
            match a.as_str() {
                "--households" => o.households = args.next().context("--households N")?.parse()?,
                "--dir" => o.dir = PathBuf::from(args.next().context("--dir DIR")?),
                "--no-openfisca" => o.openfisca = false,
                other => bail!("unknown option {other}"),
            }
        }
        Ok(o)
    }
}

fn secs(t: std::time::Duration) -> f64 {
    t.as_secs_f64()
}

// tidy: allow(long-fn): a benchmark's script, phase after phase with its printout.
pub fn run(o: &Options) -> Result<()> {
    std::fs::create_dir_all(&o.dir)?;
    let persons = generate(o.households);
    let hh = households_of(&persons);
    println!("bench-simulate: {} households, {} persons (常州 低保, dibao.standard +5 %)", hh.len(), persons.len());

    // The stored caseload, written as completed reports write it.
    let db = o.dir.join("caseload.db");
    for f in ["caseload.db", "caseload.db-wal", "caseload.db-shm"] {
        let _ = std::fs::remove_file(o.dir.join(f));
    }
    let store = hedui::open_store(&db.display().to_string())?;
    let keys = Arc::new(SoftKeys::from_master(&[9; 32])?);
    let app = hedui::build_app(store.clone(), keys, Vec::new(), Arc::new(SystemClock), None)?;
    let as_of = Date::parse("2026-11-27")?;
    let t = Instant::now();
    let mut chunk = Vec::with_capacity(10_000);
    for (i, h) in hh.iter().enumerate() {
        let (job, version) = (JobId(i as i64 + 1), 1);
        let compact = hedui_rules::compact::encode(&inputs(h));
        let sealed = app.identity.seal(&place::caseload_inputs(job, version), period(as_of), &compact)?;
        chunk.push(CaseloadRow {
            household: HouseholdId(i as i64 + 1),
            job,
            version,
            entry: CaseloadEntry {
                household_number: format!("H{:07}", i + 1),
                region: format!("{}{:03}", COUNTIES[i % COUNTIES.len()], 1 + (i / COUNTIES.len()) % 9),
                programme: "dibao".into(),
                as_of,
                inputs_enc: sealed,
            },
        });
        if chunk.len() == chunk.capacity() || i + 1 == hh.len() {
            let audit = AuditEntry {
                at: app.now(),
                actor: "bench-simulate".into(),
                action: "caseload.put".into(),
                object: "caseload".into(),
                outcome: AuditOutcome::Ok,
                detail: format!("{} 户", chunk.len()),
                request_id: "bench-simulate".into(),
                client: String::new(),
                basis: String::new(),
                ..Default::default()
            };
            store.put_caseload(&chunk, &audit)?;
            chunk.clear();
        }
    }
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    println!(
        "caseload stored in {:.1} s: {:.0} MiB on disk, {:.0} bytes per household",
        t.elapsed().as_secs_f64(),
        size as f64 / 1048576.0,
        size as f64 / hh.len() as f64
    );

    // The simulation, as `hedui policy simulate dibao.standard=+5%` runs it.
    reset_peak();
    let actor = Caller::system("bench-simulate");
    let change = Change::parse("dibao.standard=+5%").map_err(|e| anyhow::anyhow!("{e}"))?;
    let t = Instant::now();
    let sim = app.simulate(&actor, &[change], as_of).map_err(|e| anyhow::anyhow!("{e}"))?;
    let total = t.elapsed().as_secs_f64();
    let peak = peak_kib();
    let s = &sim.timings;
    println!("hedui policy simulate (columnar evaluator, 1 core):");
    println!("  reading the caseload         {:>8.3} s", secs(s.reading));
    println!("  opening (SM4) into columns   {:>8.3} s", secs(s.opening));
    println!("  evaluating, policy in force  {:>8.3} s", secs(s.before));
    println!("  evaluating, changed policy   {:>8.3} s", secs(s.after));
    println!("  aggregating                  {:>8.3} s", secs(s.aggregating));
    println!(
        "  in all                       {total:>8.3} s   {:>10.0} households/s   goal < {GOAL_S} s: {} (margin {:+.1} s)",
        s.households as f64 / total,
        if total < GOAL_S { "met" } else { "NOT met" },
        GOAL_S - total
    );
    println!("  peak RSS during the simulation: {}", mib(peak));
    println!(
        "  {} households; eligible {} → {}; monthly cost {} → {} 元 ({:+} 元); {} change; {} errors",
        sim.total.households,
        sim.total.eligible_before,
        sim.total.eligible_after,
        sim.total.cost_before,
        sim.total.cost_after,
        sim.total.cost_change,
        sim.changed.len(),
        sim.errors.len()
    );
    if sim.total.households as usize != hh.len() {
        bail!("the simulation saw {} households of {}", sim.total.households, hh.len());
    }

    if o.openfisca {
        let of = openfisca(&o.dir, &persons)?;
        let of_s = of.build_s + of.calc_s;
        let eligible = of.results.iter().filter(|r| r.0).count() as i64;
        let cost: i64 = of.results.iter().filter(|r| r.0).map(|r| r.1).sum();
        println!(
            "OpenFisca (openfisca-core {}, vectorised NumPy, 10 variables, 1 core), the same households once:",
            of.version
        );
        println!("  build simulation             {:>8.3} s", of.build_s);
        println!("  calculate                    {:>8.3} s", of.calc_s);
        println!("  build + calculate            {of_s:>8.3} s   {:>10.0} households/s", hh.len() as f64 / of_s);
        println!(
            "hedui's whole simulation (read, open, two evaluations, aggregate) against OpenFisca's one build + calculate: {:.2}×",
            of_s / total
        );
        let agree = eligible == sim.total.eligible_before && cost == sim.total.cost_before.0;
        println!(
            "under the policy in force: eligible {} (OpenFisca {eligible}), monthly cost {} fen (OpenFisca {cost}): {}",
            sim.total.eligible_before,
            sim.total.cost_before.0,
            if agree { "the same" } else { "DIFFERENT" }
        );
        if !agree {
            bail!("hedui and OpenFisca disagree on the same households");
        }
    }
    Ok(())
}
