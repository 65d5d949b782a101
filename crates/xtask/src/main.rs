//! `xtask`: hedui's automation, run as `cargo run --release -p xtask -- <task>`.
//!
//! Tasks are benchmarks and chores that would otherwise be shell scripts. They
//! print figures and ratios against the anchors in
//! `shared/engineering/performance.md`; they are never assertions inside tests.

mod bench_audit;
mod bench_crypto;
mod bench_exchange;
mod bench_http;
mod bench_import;
mod bench_login;
mod bench_rotate;
mod bench_rules;
mod bench_simulate;

use anyhow::{Result, bail};

const USAGE: &str = "\
usage: cargo run --release -p xtask -- <task> [options]

tasks:
  bench-import [--persons 1000000] [--dir target/bench-city] [--seed 7]
      Generates a synthetic city, imports its mirrors into a fresh SQLite store, imports them
      again (idempotence), inserts the same rows bare into SQLite, and reads them with DuckDB
      for information. Prints rows/s per phase and the ratios.
  bench-crypto
      Times hedui's SM4 against the sm4 crate, sealing and indexing a record-sized value, and SM3.
  bench-audit [--rows 200000]
      Appends audit rows unchained and chained (HMAC-SM3, linked) through the store, and checks the
      chained trail with `verify`; prints rows/s of each and the ratio.
  bench-rotate [--households 20000] [--jobs 500]
      Rotates the master key of a generated city's database (mirrors, applications, reports):
      prints sealed values re-sealed per second against the anchors' floor per value, the sweep,
      and `hedui key check`'s values opened per second.
  bench-login
      Times failed logins of an existing user and of logins that do not exist, through the app's
      login; prints both medians and their ratio (an unknown login must not fail faster).
  bench-exchange [--households 10000] [--dir target/bench-exchange] [--latency-ms 50] [--error-rate 0.01]
      Verifies the households against 40 online sources served by the simulator in a separate
      process. Prints the time, requests/s, median and p99 latency and peak memory.
  bench-rules [--households 1000000] [--dir target/bench-rules] [--no-openfisca]
      Runs the shipped 低保 programme on generated households, one core and two, and one traced
      decision; runs the equivalent test in OpenFisca (openfisca-core from PyPI, in a virtualenv
      under --dir) on the same households; compares every result and prints both rates and the ratio.
  bench-simulate [--households 1000000] [--dir target/bench-simulate] [--no-openfisca]
      Stores a caseload of generated households as completed reports store it, runs
      `policy simulate dibao.standard=+5%` over it and prints each stage (reading, opening,
      evaluating before and after, aggregating) beside OpenFisca's build + calculate of the same
      households, with the totals of both compared.
  bench-http [--households 10000] [--users 1000] [--rps 500] [--secs 60] [--each 2000] [--inflight 256]
      Serves a node of verified households with the release `hedui serve` (build it first) and
      prints each page's server CPU per request (from /proc, apart from the load) and latency,
      then an open-loop load's p50, p99, errors and CPU per request.";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("bench-import") => bench_import::run(&bench_import::Options::parse(args)?),
        Some("bench-crypto") => bench_crypto::run(),
        Some("bench-login") => bench_login::run(),
        Some("bench-rotate") => bench_rotate::run(&bench_rotate::Options::parse(args)?),
        Some("bench-audit") => bench_audit::run(&bench_audit::Options::parse(args)?),
        Some("bench-exchange") => bench_exchange::run(&bench_exchange::Options::parse(args)?),
        Some("bench-rules") => bench_rules::run(&bench_rules::Options::parse(args)?),
        Some("bench-simulate") => bench_simulate::run(&bench_simulate::Options::parse(args)?),
        Some("bench-http") => bench_http::run(&bench_http::Options::parse(args)?),
        Some("sim-serve") => bench_exchange::sim_serve(args),
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown task {other:?}\n\n{USAGE}"),
    }
}
