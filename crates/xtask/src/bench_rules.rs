//! `bench-rules`: hedui's rules engine against OpenFisca on the same households.
//!
//! Generates households (deterministic), writes them as `persons.csv` for OpenFisca's script
//! (`crates/xtask/openfisca/dibao_bench.py`, run in a virtualenv with `openfisca-core` from PyPI),
//! and runs the shipped 常州 低保 programme (`data/policy`) on the same people. Both sides'
//! results are compared household by household; the rates are printed side by side with
//! their ratio. hedui runs its whole 低保 programme (about fifty variables: imputed income,
//! deductions, exemptions, top-ups, floors, tapering) where OpenFisca runs the ten variables
//! of the equivalent test; on these households both give the same answers.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use hedui_app::policy::Policies;
use hedui_core::Date;
use hedui_core::programme::Programme;
use hedui_rules::batch::{Batch, BatchFrame};
use hedui_rules::{Frame, Inputs, TestOutcome};

pub struct Options {
    pub households: usize,
    pub dir: PathBuf,
    pub openfisca: bool,
    /// Only the columnar evaluator (for profiling).
    pub batch_only: bool,
}

impl Options {
    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Options> {
        let mut o = Options {
            households: 1_000_000,
            dir: PathBuf::from("target/bench-rules"),
            openfisca: true,
            batch_only: false,
        };
        while let Some(a) = args.next() {
            match a.as_str() {
                "--households" => o.households = args.next().context("--households N")?.parse()?,
                "--dir" => o.dir = PathBuf::from(args.next().context("--dir DIR")?),
                "--no-openfisca" => o.openfisca = false,
                "--batch-only" => o.batch_only = true,
                other => bail!("unknown option {other}"),
            }
        }
        Ok(o)
    }
}

pub(crate) struct Person {
    household: u32,
    counted: bool,
    income: i64,
    assets: i64,
    cars: i64,
    homes: i64,
    businesses: i64,
}

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const STANDARD: i64 = 118_000;
const MONTHS: i64 = 12;
const ASSET_MONTHS: i64 = 24;

/// Households of 1–5 persons around the thresholds: about half pass.
pub(crate) fn generate(households: usize) -> Vec<Person> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::with_capacity(households * 3);
    for h in 0..households as u32 {
        let size = 1 + rng.below(5) as i64;
        for _ in 0..size {
            let counted = rng.below(20) != 0;
            // Monthly income 0–2,400 元 a person, summed over the period.
            let income = if rng.below(4) == 0 { 0 } else { rng.below(240_000) as i64 * MONTHS };
            let assets = rng.below((STANDARD * ASSET_MONTHS * 2) as u64) as i64;
            let cars = i64::from(rng.below(25) == 0);
            let homes = if rng.below(30) == 0 { 2 } else { i64::from(rng.below(2) == 0) };
            let businesses = i64::from(rng.below(40) == 0);
            out.push(Person { household: h, counted, income, assets, cars, homes, businesses });
        }
    }
    out
}

pub(crate) fn households_of(persons: &[Person]) -> Vec<&[Person]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=persons.len() {
        if i == persons.len() || persons[i].household != persons[start].household {
            out.push(&persons[start..i]);
            start = i;
        }
    }
    out
}

/// The inputs of one household, as the means test would fill them from facts.
pub(crate) fn inputs(h: &[Person]) -> Inputs {
    let mut i = Inputs::new(h.len());
    let (mut cars, mut homes, mut firms) = (0, 0, 0);
    for (k, p) in h.iter().enumerate() {
        i.set_m(k, "counted", i64::from(p.counted));
        i.set_m(k, "age", 65);
        i.set_m(k, "sex", 1);
        i.set_m(k, "pension_income", p.income);
        i.set_m(k, "deposits", p.assets);
        if p.counted {
            cars += p.cars;
            homes += p.homes;
            firms += p.businesses;
        }
    }
    i.set_h("vehicles", cars);
    i.set_h("homes", homes);
    i.set_h("businesses", firms);
    i
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

pub(crate) struct OpenFisca {
    pub(crate) version: String,
    pub(crate) build_s: f64,
    pub(crate) calc_s: f64,
    pub(crate) results: Vec<(bool, i64)>,
}

pub(crate) fn openfisca(dir: &std::path::Path, persons: &[Person]) -> Result<OpenFisca> {
    let csv = dir.join("persons.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&csv)?);
    use std::io::Write;
    writeln!(w, "household_id,counted,income_fen,assets_fen,cars,homes,businesses")?;
    for p in persons {
        writeln!(
            w,
            "{},{},{},{},{},{},{}",
            p.household,
            u8::from(p.counted),
            p.income,
            p.assets,
            p.cars,
            p.homes,
            p.businesses
        )?;
    }
    w.flush()?;
    drop(w);
    let params = dir.join("params.json");
    std::fs::write(
        &params,
        format!(
            r#"{{"standard_fen": {STANDARD}, "income_months": {MONTHS}, "asset_months": {ASSET_MONTHS}, "max_homes": 1}}"#
        ),
    )?;
    let venv = dir.join("venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        println!("installing openfisca-core from PyPI into {} …", venv.display());
        let ok = Command::new("python3").arg("-m").arg("venv").arg(&venv).status()?.success();
        if !ok {
            bail!("python3 -m venv failed");
        }
        let ok = Command::new(venv.join("bin/pip")).args(["install", "-q", "openfisca-core"]).status()?.success();
        if !ok {
            bail!("pip install openfisca-core failed");
        }
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openfisca/dibao_bench.py");
    let out_csv = dir.join("results.csv");
    let out = Command::new(&python)
        .arg(&script)
        .arg("--persons")
        .arg(&csv)
        .arg("--params")
        .arg(&params)
        .arg("--out")
        .arg(&out_csv)
        .output()?;
    if !out.status.success() {
        bail!("OpenFisca failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let j: serde_json::Value = serde_json::from_str(line.trim().lines().last().unwrap_or("{}"))?;
    let mut results = Vec::new();
    let mut rd = csv::Reader::from_path(&out_csv)?;
    for rec in rd.records() {
        let rec = rec?;
        let eligible = rec.get(4) == Some("1");
        let benefit: i64 = rec.get(5).unwrap_or("0").parse()?;
        results.push((eligible, benefit));
    }
    Ok(OpenFisca {
        version: j["openfisca_core"].as_str().unwrap_or("?").to_string(),
        build_s: j["build_seconds"].as_f64().unwrap_or(f64::NAN),
        calc_s: j["calc_seconds"].as_f64().unwrap_or(f64::NAN),
        results,
    })
}

// tidy: allow(long-fn): a benchmark's script, phase after phase with its printout.
pub fn run(o: &Options) -> Result<()> {
    std::fs::create_dir_all(&o.dir)?;
    let persons = generate(o.households);
    let hh = households_of(&persons);
    let n = hh.len();
    println!("bench-rules: {n} households, {} persons (常州 低保, 2026-11-27)", persons.len());

    let as_of = Date::parse("2026-11-27")?;
    let policies = Policies::embedded()?;
    let t = Instant::now();
    let compiled = policies.program("3204", as_of, Programme::Dibao)?;
    let program = &compiled.program;
    let compile_ms = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "compiled 低保 for 3204 in {compile_ms:.2} ms: {} variables, {} rules, {} parameters",
        program.vars.len(),
        program.rules.len(),
        program.params.len()
    );

    if std::env::var_os("HEDUI_BENCH_CODE").is_some() {
        for (name, e, rules, ops) in program.code_size() {
            println!("  {name:<32} {e:?} rules {rules} ops {ops}");
        }
    }
    // Inputs for every household (what OpenFisca's SimulationBuilder does).
    let t = Instant::now();
    let all: Vec<Inputs> = hh.iter().map(|h| inputs(h)).collect();
    let build_s = t.elapsed().as_secs_f64();

    // One core, columnar batches of 1,024 households, tracing off; built and evaluated chunk by chunk.
    let slot = |n: &str| hedui_rules::inputs::member_slot(n).unwrap_or(0);
    let hslot = |n: &str| hedui_rules::inputs::household_slot(n).unwrap_or(0);
    let (s_counted, s_age, s_sex, s_pension, s_deposits) =
        (slot("counted"), slot("age"), slot("sex"), slot("pension_income"), slot("deposits"));
    let (s_vehicles, s_homes, s_firms) = (hslot("vehicles"), hslot("homes"), hslot("businesses"));
    let run_batches = |part: &[&[Person]]| -> (f64, f64, Vec<(bool, i64)>) {
        let (mut build, mut eval) = (0.0, 0.0);
        let mut batch = Batch::for_program(program);
        let mut owner: Vec<u32> = Vec::new();
        let mut mcols: Vec<Vec<i64>> = vec![Vec::new(); 5];
        let mut hcols: Vec<Vec<i64>> = vec![Vec::new(); 3];
        let mut bf = BatchFrame::default();
        let mut out = Vec::new();
        let mut results = Vec::with_capacity(part.len());
        for chunk in part.chunks(1024) {
            let t = Instant::now();
            batch.clear();
            // From the people's values straight into columns, as OpenFisca's builder does from arrays.
            owner.clear();
            mcols.iter_mut().for_each(Vec::clear);
            hcols.iter_mut().for_each(Vec::clear);
            for (i, h) in chunk.iter().enumerate() {
                let (mut cars, mut homes, mut firms) = (0, 0, 0);
                for p in h.iter() {
                    owner.push(i as u32);
                    mcols[0].push(i64::from(p.counted));
                    mcols[1].push(65);
                    mcols[2].push(1);
                    mcols[3].push(p.income);
                    mcols[4].push(p.assets);
                    if p.counted {
                        cars += p.cars;
                        homes += p.homes;
                        firms += p.businesses;
                    }
                }
                hcols[0].push(cars);
                hcols[1].push(homes);
                hcols[2].push(firms);
            }
            let m: Vec<(usize, &[i64])> = [s_counted, s_age, s_sex, s_pension, s_deposits]
                .into_iter()
                .zip(mcols.iter().map(Vec::as_slice))
                .collect();
            let hv: Vec<(usize, &[i64])> =
                [s_vehicles, s_homes, s_firms].into_iter().zip(hcols.iter().map(Vec::as_slice)).collect();
            batch.load_columns(chunk.len(), &owner, &hv, &m);
            build += t.elapsed().as_secs_f64();
            let t = Instant::now();
            program.eval_batch(&batch, &mut bf, &mut out);
            eval += t.elapsed().as_secs_f64();
            for r in &out {
                let v =
                    r.as_ref().map(|v| (v.outcome == TestOutcome::Pass, v.benefit.unwrap_or(0))).unwrap_or((false, -1));
                results.push(v);
            }
        }
        (build, eval, results)
    };
    let (batch_build_s, batch_eval_s, batched) = run_batches(&hh);
    let t = Instant::now();
    let halves: Vec<(f64, f64, usize)> = std::thread::scope(|s| {
        let (a, b) = hh.split_at(hh.len() / 2);
        let hs: Vec<_> = [a, b]
            .into_iter()
            .map(|part| {
                let run = &run_batches;
                s.spawn(move || {
                    let (b, e, r) = run(part);
                    (b, e, r.iter().filter(|x| x.0).count())
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap_or((0.0, 0.0, 0))).collect()
    });
    let batch2_s = t.elapsed().as_secs_f64();
    if o.batch_only {
        println!(
            "columnar: build {batch_build_s:.3} s, evaluate {batch_eval_s:.3} s ({:.0}/s), 2 cores {batch2_s:.3} s, {} pass",
            n as f64 / batch_eval_s,
            batched.iter().filter(|r| r.0).count()
        );
        return Ok(());
    }

    // One core, one household at a time (the scalar evaluator), tracing off.
    let mut frame = Frame::default();
    let t = Instant::now();
    let mut ours = Vec::with_capacity(n);
    for i in &all {
        let v = program.eval(i, &mut frame)?;
        ours.push((v.outcome == TestOutcome::Pass, v.benefit.unwrap_or(0)));
    }
    let eval_s = t.elapsed().as_secs_f64();

    // Both cores.
    let t = Instant::now();
    let half = all.len() / 2;
    let counts: Vec<usize> = std::thread::scope(|s| {
        let hs: Vec<_> = [&all[..half], &all[half..]]
            .into_iter()
            .map(|part| {
                let program = &program;
                s.spawn(move || {
                    let mut f = Frame::default();
                    part.iter()
                        .filter(|i| program.eval(i, &mut f).is_ok_and(|v| v.outcome == TestOutcome::Pass))
                        .count()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    });
    let eval2_s = t.elapsed().as_secs_f64();
    let passing = ours.iter().filter(|r| r.0).count();
    if counts.iter().sum::<usize>() != passing || halves.iter().map(|h| h.2).sum::<usize>() != passing {
        bail!("two-thread run disagrees with the one-thread run");
    }
    if batched != ours {
        bail!("the batch evaluator disagrees with the scalar one");
    }

    // One fully traced decision (trace built, as a report needs it).
    let mut lat = Vec::new();
    for i in all.iter().step_by((n / 2000).max(1)) {
        let t = Instant::now();
        let d = program.decide(i, true)?;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(d);
    }
    let traced_ms = median(&mut lat);
    let traced_p99 = percentile(&mut lat, 0.99);

    let scalar_per_core = n as f64 / eval_s;
    let scalar_both = n as f64 / eval2_s;
    let per_core = n as f64 / batch_eval_s;
    let both = n as f64 / batch2_s;
    let end_to_end = n as f64 / (batch_build_s + batch_eval_s);
    println!("hedui: {passing} of {n} households pass ({:.1} %)", 100.0 * passing as f64 / n as f64);
    println!("  columnar, batches of 1,024 households:");
    println!("    build batches              {:>8.3} s", batch_build_s);
    println!(
        "    evaluate, 1 core, no trace {:>8.3} s   {:>10.0} households/s   (target >= 1,000,000/s per core: {})",
        batch_eval_s,
        per_core,
        mark(per_core >= 1e6)
    );
    println!(
        "    build + evaluate, 1 core   {:>8.3} s   {:>10.0} households/s",
        batch_build_s + batch_eval_s,
        end_to_end
    );
    println!("    build + evaluate, 2 cores  {:>8.3} s   {:>10.0} households/s", batch2_s, both);
    println!("  one household at a time (as a report is made):");
    println!("    build inputs               {:>8.3} s", build_s);
    println!("    evaluate, 1 core           {:>8.3} s   {:>10.0} households/s", eval_s, scalar_per_core);
    println!("    evaluate, 2 cores          {:>8.3} s   {:>10.0} households/s", eval2_s, scalar_both);
    println!(
        "  one traced decision          median {traced_ms:.3} ms, p99 {traced_p99:.3} ms   (target < 1 ms: {})",
        mark(traced_ms < 1.0)
    );

    if !o.openfisca {
        return Ok(());
    }
    let of = openfisca(&o.dir, &persons)?;
    let mismatches =
        of.results.iter().zip(&ours).filter(|(a, b)| a != b).count() + of.results.len().abs_diff(ours.len());
    let of_calc = n as f64 / of.calc_s;
    let of_all = n as f64 / (of.build_s + of.calc_s);
    println!("OpenFisca (openfisca-core {}, vectorised NumPy, 10 variables, 1 core):", of.version);
    println!("  build simulation             {:>8.3} s", of.build_s);
    println!("  calculate                    {:>8.3} s   {:>10.0} households/s", of.calc_s, of_calc);
    println!("  build + calculate            {:>8.3} s   {:>10.0} households/s", of.build_s + of.calc_s, of_all);
    println!("results compared household by household: {mismatches} differ");
    println!("hedui / OpenFisca:");
    println!(
        "  build + evaluate vs build + calculate, 1 core each   {:.2}×   (target >= 2×: {})",
        end_to_end / of_all,
        mark(end_to_end / of_all >= 2.0)
    );
    println!("  build + evaluate (2 cores) vs build + calculate       {:.2}×", both / of_all);
    println!("  evaluate vs calculate only, 1 core each              {:.2}×", per_core / of_calc);
    if mismatches > 0 {
        bail!("{mismatches} households differ between hedui and OpenFisca");
    }
    Ok(())
}

fn mark(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}
