//! `bench-import`: how fast a generated city's department snapshots get into hedui, against
//! the anchor of a bare SQLite insert of the same rows, measured side by side in one run.
//!
//! Phases, each timed on its own:
//! 1. generate: `hedui::city::generate`, the synthetic city the demo uses, at the asked size;
//! 2. import (hedui): every mirror file through `hedui_import::import` into a fresh SQLite
//!    store, exactly as `hedui::city::import_mirrors` does it but timed per source; then
//!    `import_mirrors` again, which must change nothing;
//! 3. bare insert: the same CSV files into plain TEXT tables with one prepared statement,
//!    no indexes, no validation, no identity resolution, no encryption;
//! 4. DuckDB `read_csv` of the same files, for information only.
//!
//! The machines we run on are shared and noisy, so the figures that matter are the ratios
//! printed at the end, not the absolute rows/s.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use rusqlite::types::{ToSqlOutput, ValueRef};

use hedui::city::Manifest;
use hedui_app::{Caller, SystemClock};
use hedui_core::Date;
use hedui_crypto::SoftKeys;
use hedui_import::ImportSummary;

/// The generator averages about this many persons per household.
const PERSONS_PER_HOUSEHOLD: f64 = 2.6;
/// A fixed snapshot date, so that the same seed always produces the same files.
const AS_OF: &str = "2026-11-27";
/// The acceptance target: hedui's import at least this fraction of a bare insert's rows/s.
const TARGET_RATIO: f64 = 0.5;
/// The generator must stay under this peak resident memory.
const GENERATE_PEAK_LIMIT_KIB: u64 = 2 * 1024 * 1024;

/// The command line of `bench-import`.
#[derive(Debug)]
pub struct Options {
    persons: u64,
    dir: PathBuf,
    seed: u64,
}

impl Options {
    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Options> {
        let mut o = Options { persons: 1_000_000, dir: PathBuf::from("target/bench-city"), seed: 7 };
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f.to_string(), Some(v.to_string())),
                None => (arg, None),
            };
            let value = match inline {
                Some(v) => v,
                None => args.next().ok_or_else(|| anyhow!("{flag} needs a value"))?,
            };
            match flag.as_str() {
                "--persons" => {
                    o.persons = value.replace('_', "").parse().with_context(|| format!("--persons {value}"))?
                }
                "--dir" => o.dir = PathBuf::from(value),
                "--seed" => o.seed = value.parse().with_context(|| format!("--seed {value}"))?,
                _ => bail!("unknown option {flag:?} (expected --persons, --dir, --seed)"),
            }
        }
        if o.persons == 0 {
            bail!("--persons must be at least 1");
        }
        Ok(o)
    }
}

/// One timed phase, for the summary.
#[derive(Debug, Clone)]
struct Timed {
    rows: u64,
    secs: f64,
}

impl Timed {
    fn rate(&self) -> f64 {
        if self.secs > 0.0 { self.rows as f64 / self.secs } else { f64::INFINITY }
    }
}

/// DuckDB's figures, when it ran.
#[derive(Debug)]
struct Duck {
    timed: Timed,
    version: String,
    threads: String,
    peak_kib: u64,
}

// tidy: allow(long-fn): a benchmark's script, phase after phase with its printout.
pub fn run(o: &Options) -> Result<()> {
    let city = o.dir.join("city");
    let hedui_db = o.dir.join("hedui.db");
    let bare_db = o.dir.join("bare.db");
    clean(&city, &[&hedui_db, &bare_db])?;
    std::fs::create_dir_all(&o.dir).with_context(|| format!("creating {}", o.dir.display()))?;
    let as_of = Date::parse(AS_OF).map_err(|e| anyhow!("{AS_OF}: {e}"))?;
    let households = ((o.persons as f64 / PERSONS_PER_HOUSEHOLD).round() as u64).max(1);
    let mut run_peak = 0u64;

    println!("bench-import: --persons {} --dir {} --seed {}", group(o.persons), o.dir.display(), o.seed);
    println!("as_of {AS_OF}; {} households requested; release build: {}", group(households), !cfg!(debug_assertions));
    println!();

    // ---- 1. generate ----
    println!("== generate ==");
    reset_peak();
    let regions = hedui_app::data::regions(None)?;
    let t = Instant::now();
    let g = hedui::city::generate(&regions, &city, o.seed, households, as_of)?;
    let gen_secs = t.elapsed().as_secs_f64();
    let gen_peak = peak_kib();
    run_peak = run_peak.max(gen_peak);
    let gen_rows: u64 = g.files.iter().map(|f| f.1).sum();
    let generated = Timed { rows: gen_rows, secs: gen_secs };
    println!(
        "{} households, {} persons, {} rows in {} files: {:.2} s, {} persons/s, {} rows/s",
        group(g.households),
        group(g.persons),
        group(gen_rows),
        g.files.len(),
        gen_secs,
        group_f(g.persons as f64 / gen_secs),
        group_f(generated.rate())
    );
    println!(
        "peak RSS (VmHWM) during generate: {} (limit {}: {})",
        mib(gen_peak),
        mib(GENERATE_PEAK_LIMIT_KIB),
        if gen_peak < GENERATE_PEAK_LIMIT_KIB { "ok" } else { "OVER" }
    );
    let manifest = Manifest::read(&city)?;
    let files: Vec<(String, PathBuf)> =
        manifest.mirrors.iter().map(|m| (m.source.clone(), city.join(&m.file))).collect();
    let mirror_bytes: u64 = files.iter().map(|f| std::fs::metadata(&f.1).map_or(0, |m| m.len())).sum();
    println!("{} mirror files, {:.1} MiB", files.len(), mirror_bytes as f64 / 1048576.0);
    println!();

    // ---- 2. import (hedui) ----
    println!("== import (hedui): validated, identity-resolved, sealed, indexed, idempotent ==");
    settle();
    reset_peak();
    let store = hedui::open_store(&hedui_db.display().to_string())?;
    let keys = Arc::new(SoftKeys::from_master(&[7; 32])?);
    let app = hedui::build_app(store, keys, Vec::new(), Arc::new(SystemClock), None)?;
    let actor = Caller::system("xtask-bench-import");
    println!(
        "{:<22}{:>12}{:>12}{:>10}{:>10}{:>11}{:>10}{:>13}",
        "source", "rows", "accepted", "dup", "rejected", "unresolved", "secs", "rows/s"
    );
    let mut import = Timed { rows: 0, secs: 0.0 };
    let mut first: Vec<ImportSummary> = Vec::new();
    for m in &manifest.mirrors {
        // The same steps as `hedui::city::import_mirrors`, one source at a time so each gets its own time.
        let t = Instant::now();
        let path = city.join(&m.file);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let now = app.now();
        let input = hedui_import::ImportInput {
            source: &m.source,
            file_name: &m.file,
            as_of: m.as_of,
            bytes: &bytes,
            now,
            actor: actor.name(),
            request_id: &actor.request_id,
            mode: hedui_store::SnapshotMode::Full,
            confirm_shrink: None,
            min_share: hedui_import::DEFAULT_MIN_SHARE,
            progress: None,
        };
        let s = hedui_import::import(app.store.as_ref(), &app.identity, &input)?;
        let secs = t.elapsed().as_secs_f64();
        let st = &s.stats;
        let rows = u64::try_from(st.total).unwrap_or(0);
        println!(
            "{:<22}{:>12}{:>12}{:>10}{:>10}{:>11}{:>10.2}{:>13}",
            s.source,
            group(rows),
            group_i(st.accepted),
            group_i(st.duplicate),
            group_i(st.rejected),
            group_i(st.unresolved),
            secs,
            group_f(rows as f64 / secs)
        );
        if s.already_imported {
            bail!("{}: the fresh store reports the file as already imported", s.source);
        }
        import.rows += rows;
        import.secs += secs;
        first.push(s);
    }
    let accepted: i64 = first.iter().map(|s| s.stats.accepted).sum();
    let unresolved: i64 = first.iter().map(|s| s.stats.unresolved).sum();
    let rejected: i64 = first.iter().map(|s| s.stats.rejected).sum();
    let duplicate: i64 = first.iter().map(|s| s.stats.duplicate).sum();
    println!(
        "{:<22}{:>12}{:>12}{:>10}{:>10}{:>11}{:>10.2}{:>13}",
        "total",
        group(import.rows),
        group_i(accepted),
        group_i(duplicate),
        group_i(rejected),
        group_i(unresolved),
        import.secs,
        group_f(import.rate())
    );
    let records = app.store.count_records()?;
    let persons = app.store.count_persons()?;
    if records != accepted {
        bail!("the store holds {records} records but the imports accepted {accepted}");
    }
    println!("store: {} records, {} persons resolved by blind index", group_i(records), group_i(persons));

    let t = Instant::now();
    let again = hedui::city::import_mirrors(&app, &actor, &city)?;
    let again_secs = t.elapsed().as_secs_f64();
    let records_again = app.store.count_records()?;
    let persons_again = app.store.count_persons()?;
    let all_already = again.iter().all(|s| s.already_imported);
    println!(
        "again via hedui::city::import_mirrors: {:.2} s; {}/{} files already_imported; records {} -> {}, persons {} -> {}",
        again_secs,
        again.iter().filter(|s| s.already_imported).count(),
        again.len(),
        group_i(records),
        group_i(records_again),
        group_i(persons),
        group_i(persons_again)
    );
    if !all_already || records_again != records || persons_again != persons {
        bail!("the second import changed the store: it is not idempotent");
    }
    let import_peak = peak_kib();
    run_peak = run_peak.max(import_peak);
    let db_bytes = file_size_with_wal(&hedui_db);
    println!("peak RSS during import: {}; database {:.1} MiB", mib(import_peak), db_bytes as f64 / 1048576.0);
    drop(app);
    println!();

    // ---- 3. bare insert ----
    println!("== bare insert: plain TEXT tables, one prepared INSERT per table, one transaction per file ==");
    settle();
    reset_peak();
    let bare = bare_insert(&bare_db, &files)?;
    let bare_peak = peak_kib();
    run_peak = run_peak.max(bare_peak);
    if bare.rows != import.rows {
        bail!("the bare insert saw {} rows but the import {}", bare.rows, import.rows);
    }
    let ratio = import.rate() / bare.rate();
    println!(
        "total {} rows: {:.2} s, {} rows/s; peak RSS {}",
        group(bare.rows),
        bare.secs,
        group_f(bare.rate()),
        mib(bare_peak)
    );
    println!(
        "hedui import rows/s / bare insert rows/s = {:.3}x (target >= {TARGET_RATIO}x: {})",
        ratio,
        if ratio >= TARGET_RATIO { "met" } else { "NOT MET" }
    );
    println!();

    // ---- 4. DuckDB ----
    println!("== DuckDB read_csv (information) ==");
    settle();
    let duck = duckdb(&files)?;
    if let Some(d) = &duck {
        println!(
            "duckdb {} ({} threads): CREATE TABLE AS SELECT * FROM read_csv(..., all_varchar=true) per file, in memory",
            d.version, d.threads
        );
        println!(
            "total {} rows: {:.2} s, {} rows/s; python peak RSS {}",
            group(d.timed.rows),
            d.timed.secs,
            group_f(d.timed.rate()),
            mib(d.peak_kib)
        );
        println!("hedui import / duckdb read_csv = {:.3}x", import.rate() / d.timed.rate());
        if d.timed.rows != import.rows {
            println!("note: DuckDB read {} rows, hedui {}", group(d.timed.rows), group(import.rows));
        }
    }
    println!();

    // ---- summary ----
    println!("== summary (persons {}, seed {}) ==", group(g.persons), o.seed);
    let line = |name: &str, t: &Timed| {
        println!("{:<38}{:>13} rows {:>9.2} s {:>13} rows/s", name, group(t.rows), t.secs, group_f(t.rate()));
    };
    line("generate (all files)", &generated);
    println!("{:<38}{:>13} persons/s", "generate", group_f(g.persons as f64 / gen_secs));
    line("import (hedui)", &import);
    println!("{:<38}{:>18} {:>9.2} s", "import again (idempotent, no change)", "", again_secs);
    line("bare insert (SQLite)", &bare);
    if let Some(d) = &duck {
        line("duckdb read_csv (information)", &d.timed);
    } else {
        println!("{:<38}SKIPPED: duckdb not available", "duckdb read_csv (information)");
    }
    println!(
        "{:<38}{:.3}x (target >= {TARGET_RATIO}x: {})",
        "hedui import / bare insert",
        ratio,
        if ratio >= TARGET_RATIO { "met" } else { "NOT MET" }
    );
    if let Some(d) = &duck {
        println!("{:<38}{:.3}x", "hedui import / duckdb read_csv", import.rate() / d.timed.rate());
    }
    println!(
        "{:<38}generate {}, import {}, bare {}",
        "peak RSS per phase",
        mib(gen_peak),
        mib(import_peak),
        mib(bare_peak)
    );
    println!(
        "{:<38}{} (generator limit {}: {})",
        "peak RSS of the whole run",
        mib(run_peak),
        mib(GENERATE_PEAK_LIMIT_KIB),
        if gen_peak < GENERATE_PEAK_LIMIT_KIB { "ok" } else { "OVER" }
    );
    Ok(())
}

/// Removes what an earlier run left: the city and the two databases (with their WAL files).
fn clean(city: &Path, dbs: &[&Path]) -> Result<()> {
    if city.exists() {
        std::fs::remove_dir_all(city).with_context(|| format!("removing {}", city.display()))?;
    }
    for db in dbs {
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", db.display()));
            if p.exists() {
                std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
            }
        }
    }
    Ok(())
}

fn file_size_with_wal(db: &Path) -> u64 {
    ["", "-wal"].iter().map(|s| std::fs::metadata(format!("{}{s}", db.display())).map_or(0, |m| m.len())).sum()
}

/// The anchor: every row of the same files into a table of TEXT columns named after the
/// header, with the pragmas the SQLite store uses. Reading the files is timed too, as it is
/// for the import.
fn bare_insert(db: &Path, files: &[(String, PathBuf)]) -> Result<Timed> {
    let conn = rusqlite::Connection::open(db).with_context(|| format!("opening {}", db.display()))?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
    let mut total = Timed { rows: 0, secs: 0.0 };
    for (source, path) in files {
        let t = Instant::now();
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .with_context(|| format!("reading {}", path.display()))?;
        let header = reader.byte_headers()?.clone();
        let columns: Vec<String> =
            header.iter().map(|h| format!("{} TEXT", quote_ident(&String::from_utf8_lossy(h)))).collect();
        conn.execute_batch(&format!("CREATE TABLE {} ({})", quote_ident(source), columns.join(", ")))?;
        let marks = vec!["?"; header.len()].join(", ");
        let tx = conn.unchecked_transaction()?;
        let mut rows = 0u64;
        {
            let mut stmt = tx.prepare(&format!("INSERT INTO {} VALUES ({marks})", quote_ident(source)))?;
            let mut rec = csv::ByteRecord::new();
            while reader.read_byte_record(&mut rec)? {
                // A short row binds NULL for its missing cells; extra cells are dropped.
                let params = (0..header.len()).map(|i| match rec.get(i) {
                    Some(f) => ToSqlOutput::Borrowed(ValueRef::Text(f)),
                    None => ToSqlOutput::Borrowed(ValueRef::Null),
                });
                stmt.execute(rusqlite::params_from_iter(params))?;
                rows += 1;
            }
        }
        tx.commit()?;
        let secs = t.elapsed().as_secs_f64();
        println!("{:<22}{:>12} rows {:>8.2} s {:>13} rows/s", source, group(rows), secs, group_f(rows as f64 / secs));
        total.rows += rows;
        total.secs += secs;
    }
    Ok(total)
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Times DuckDB reading every file into an in-memory table. Prints why and returns `None`
/// when DuckDB cannot be had.
fn duckdb(files: &[(String, PathBuf)]) -> Result<Option<Duck>> {
    let has_duckdb = || {
        Command::new("python3")
            .args(["-c", "import duckdb"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has_duckdb() {
        println!("duckdb is not importable; trying `python3 -m pip install duckdb` ...");
        let installed = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "duckdb"])
            .status()
            .is_ok_and(|s| s.success());
        if !installed || !has_duckdb() {
            println!("************************************************************");
            println!("*** SKIPPED: duckdb not available (pip install duckdb failed)");
            println!("************************************************************");
            return Ok(None);
        }
    }
    const SCRIPT: &str = r#"
import resource, sys, time
import duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
start = time.perf_counter()
for i, f in enumerate(sys.argv[1:]):
    path = f.replace("'", "''")
    con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv('{path}', header=true, all_varchar=true, null_padding=true)")
secs = time.perf_counter() - start
rows = sum(con.execute(f"SELECT count(*) FROM t{i}").fetchone()[0] for i in range(len(sys.argv) - 1))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(rows, secs, threads, peak, duckdb.__version__)
"#;
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(SCRIPT);
    for (_, path) in files {
        cmd.arg(std::fs::canonicalize(path).with_context(|| format!("resolving {}", path.display()))?);
    }
    let out = cmd.output().context("running python3")?;
    if !out.status.success() {
        println!("*** SKIPPED: the DuckDB script failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        return Ok(None);
    }
    // The figures are the script's last line; anything DuckDB printed before it is ignored.
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    let parsed = match last.split_whitespace().collect::<Vec<_>>().as_slice() {
        [rows, secs, threads, peak, version] => {
            rows.parse().ok().zip(secs.parse().ok()).zip(peak.parse().ok()).map(|((rows, secs), peak_kib)| Duck {
                timed: Timed { rows, secs },
                threads: threads.to_string(),
                peak_kib,
                version: version.to_string(),
            })
        }
        _ => None,
    };
    if parsed.is_none() {
        println!("*** SKIPPED: unexpected output from the DuckDB script: {last:?}");
    }
    Ok(parsed)
}

/// Flushes the previous phase's dirty pages to disk, so that the kernel's background writeback
/// of one phase's files is not charged to the next phase.
fn settle() {
    let _ = Command::new("sync").status();
}

/// Resets this process's peak resident set (VmHWM) to its current size, so that each phase
/// reports its own peak. Linux only; elsewhere the peak stays cumulative.
pub(crate) fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident set (VmHWM) in KiB since the last reset; 0 where /proc is missing.
pub(crate) fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

pub(crate) fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

/// `1234567` as `1,234,567`.
fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn group_i(n: i64) -> String {
    if n < 0 { format!("-{}", group(n.unsigned_abs())) } else { group(n.unsigned_abs()) }
}

fn group_f(x: f64) -> String {
    if x.is_finite() && x >= 0.0 { group(x.round() as u64) } else { "-".into() }
}
