//! `hedui id check`: one line out per line in, tab-separated, same order.
//!
//! `input <TAB> valid|invalid <TAB> normalized 18-character form <TAB> reason or note`.
//! A clerk uses it to clean a list before import; the address code is
//! checked against the region data only as a note, never a rejection.

use std::io::{BufRead, Write};

use hedui_core::id_number::{IdKind, IdNote, IdNumber};
use hedui_core::region::RegionTable;

/// Checks one identifier.
pub fn check_line(line: &str, regions: &RegionTable) -> String {
    let input = line.trim_end_matches(['\r', '\n']);
    let clean = |s: &str| s.replace('\t', " ");
    match IdNumber::parse_with_table(input, regions) {
        Ok(p) => {
            let mut notes: Vec<String> = Vec::new();
            if p.id.kind() != IdKind::Citizen {
                notes.push(p.id.kind().label_zh().to_string());
            }
            for n in &p.notes {
                if !matches!(n, IdNote::Normalized) || p.notes.len() == 1 {
                    notes.push(n.to_string());
                }
            }
            format!("{}\tvalid\t{}\t{}", clean(input), p.id.as_str(), notes.join("；"))
        }
        Err(e) => format!("{}\tinvalid\t\t{}", clean(input), e),
    }
}

/// Reads identifiers line by line and writes one result line each.
pub fn run(input: impl BufRead, mut out: impl Write, regions: &RegionTable) -> std::io::Result<(u64, u64)> {
    let (mut valid, mut invalid) = (0, 0);
    for line in input.lines() {
        let line = line?;
        let r = check_line(&line, regions);
        if r.split('\t').nth(1) == Some("valid") {
            valid += 1;
        } else {
            invalid += 1;
        }
        writeln!(out, "{r}")?;
    }
    Ok((valid, invalid))
}
