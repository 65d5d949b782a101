//! `bench-crypto`: the per-value cost of hedui's 国密 primitives, which bound how fast a mirror
//! import can seal and index rows. Prints SM4 block throughput against the `sm4` crate's
//! reference implementation measured in the same run, the cost of sealing and indexing a value
//! of a typical record's size, and SM3 throughput.

use std::hint::black_box;
use std::time::Instant;

use aes_gcm::KeyInit;
use anyhow::Result;
use hedui_crypto::{KeyProvider, Sm4T, SoftKeys, sm3};
use sm4::cipher::{Array, BlockCipherEncrypt};

/// A mirror record's sealed values are about this long (the generated city's average).
const RECORD_BYTES: usize = 130;

fn per_sec(units: f64, f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    units / t.elapsed().as_secs_f64()
}

fn blocks_mb_s(c: &impl BlockCipherEncrypt<BlockSize = sm4::cipher::consts::U16>) -> f64 {
    let mut blocks = vec![Array::from([0u8; 16]); 4096];
    let rounds = 200;
    per_sec((blocks.len() * 16 * rounds) as f64 / 1e6, || {
        for _ in 0..rounds {
            c.encrypt_blocks(&mut blocks);
        }
        black_box(&blocks);
    })
}

pub fn run() -> Result<()> {
    let key = Array::from([1u8; 16]);
    let ours = blocks_mb_s(&Sm4T::new(&key));
    let reference = blocks_mb_s(&sm4::Sm4::new(&key));
    println!("SM4 blocks, hedui Sm4T          {ours:>10.1} MB/s");
    println!("SM4 blocks, sm4 crate reference {reference:>10.1} MB/s");
    println!("Sm4T / reference                {:>10.2}x", ours / reference);

    let keys = SoftKeys::from_master(&[7u8; 32])?;
    let value = [b'x'; RECORD_BYTES];
    let n = 200_000;
    // As an import seals a row: its place named per row, its table's key for the month.
    let seal = per_sec(n as f64, || {
        for i in 0..n {
            let at =
                hedui_crypto::Place::new("record", "detail_enc", format!("tax_src/batch=1/line={i}/wage/2026-11-27"));
            black_box(keys.seal(&at, 202611, black_box(&value)).ok());
        }
    });
    let index = per_sec(n as f64, || {
        for _ in 0..n {
            black_box(keys.blind_index(b"row", black_box(&value)));
        }
    });
    // What every report pays when it is completed and issued: two SM2 signatures and one
    // verification of the first (`hedui_app::reports::issue`).
    let signer = hedui_app::reports::sign::ReportSigner::derive(&keys, "hedui-bench");
    let statement = b"hedui-report-completed\nreport=HD-20261127-000001-V1\nversion=1\n".to_vec();
    let m = 300;
    let sign = per_sec(m as f64, || {
        for _ in 0..m {
            black_box(signer.sign_statement(black_box(&statement)).ok());
        }
    });
    let sig = signer.sign_statement(&statement).unwrap_or_default();
    let verify = per_sec(m as f64, || {
        for _ in 0..m {
            black_box(signer.verify_statement(black_box(&statement), &sig));
        }
    });
    println!("SM2 sign of a report statement          {:>10.3} ms", 1e3 / sign);
    println!("SM2 verify of a report statement        {:>10.3} ms", 1e3 / verify);
    println!("SM4-GCM seal of {RECORD_BYTES} bytes          {:>10.2} us ({:.0}/s)", 1e6 / seal, seal);
    println!("HMAC-SM3 of {RECORD_BYTES} bytes              {:>10.2} us ({:.0}/s)", 1e6 / index, index);
    let big = vec![7u8; 64 << 20];
    let sm3_mb = per_sec(big.len() as f64 / 1e6, || {
        black_box(sm3(black_box(&big)));
    });
    println!("SM3                             {sm3_mb:>10.1} MB/s");
    println!("one mirror row needs one seal and one row digest: {:.2} us of cryptography", 1e6 / seal + 1e6 / index);
    Ok(())
}
