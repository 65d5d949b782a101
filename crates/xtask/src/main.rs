//! `xtask`: hedui's automation, run as `cargo run --release -p xtask -- <task>`.
//!
//! Tasks are benchmarks and chores that would otherwise be shell scripts. They
//! print figures and ratios against the anchors in
//! `shared/engineering/performance.md`; they are never assertions inside tests.

mod bench_crypto;
mod bench_import;

use anyhow::{Result, bail};

const USAGE: &str = "\
usage: cargo run --release -p xtask -- <task> [options]

tasks:
  bench-import [--persons 1000000] [--dir target/bench-city] [--seed 7]
      Generates a synthetic city, imports its mirrors into a fresh SQLite store, imports them
      again (idempotence), inserts the same rows bare into SQLite, and reads them with DuckDB
      for information. Prints rows/s per phase and the ratios.
  bench-crypto
      Times hedui's SM4 against the sm4 crate, sealing and indexing a record-sized value, and SM3.";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("bench-import") => bench_import::run(&bench_import::Options::parse(args)?),
        Some("bench-crypto") => bench_crypto::run(),
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown task {other:?}\n\n{USAGE}"),
    }
}
