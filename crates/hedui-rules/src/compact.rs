//! The compact form of a household's inputs, kept beside each report so that a policy
//! simulation reads a few dozen bytes per household instead of opening the report's body.
//!
//! Layout (format 1): the format byte; the member count and each member's sequence number; the
//! household inputs that are not zero, as (slot, value) pairs; then per member its inputs that are
//! not zero, and always `counted`. Counts and slots are LEB128 varints, values zigzag varints
//! ([`UNKNOWN`](crate::inputs::UNKNOWN) and [`FAILED`](crate::inputs::FAILED) included). Slots
//! are positions in [`HOUSEHOLD_INPUTS`] and [`MEMBER_INPUTS`], which only ever grow at the end:
//! a slot this version does not know is skipped, so newer data stays readable.
//!
//! Format 2 is format 1 followed by the inputs a policy declared (which have no fixed slot): their
//! count, then each one's name (its byte length and UTF-8 bytes) and value. It is written only for
//! households that have such inputs, so every other household stays in format 1.

use crate::inputs::{HOUSEHOLD_INPUTS, Inputs, MEMBER_INPUTS};

/// The format this version writes for households without declared inputs.
pub const FORMAT: u8 = 1;
/// The format of a household with declared inputs.
pub const FORMAT_DECLARED: u8 = 2;

/// A household's inputs as sparse (slot, value) lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compact {
    pub seqs: Vec<u32>,
    pub household: Vec<(usize, i64)>,
    pub members: Vec<Vec<(usize, i64)>>,
    /// Declared inputs by name.
    pub declared: Vec<(String, i64)>,
}

/// Why compact inputs could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CompactError {
    #[error("测算输入格式 {0} 无法识别")]
    Format(u8),
    #[error("测算输入不完整")]
    Truncated,
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_i64(out: &mut Vec<u8>, v: i64) {
    put(out, ((v << 1) ^ (v >> 63)) as u64);
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn u64(&mut self) -> Result<u64, CompactError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self.0.split_first().ok_or(CompactError::Truncated)?;
            self.0 = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(CompactError::Truncated)
    }
    fn usize(&mut self) -> Result<usize, CompactError> {
        usize::try_from(self.u64()?).map_err(|_| CompactError::Truncated)
    }
    fn i64(&mut self) -> Result<i64, CompactError> {
        let z = self.u64()?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }
    fn pairs(&mut self, known: usize) -> Result<Vec<(usize, i64)>, CompactError> {
        let n = self.usize()?;
        // Each pair takes two bytes at least: a count beyond that is a broken value.
        if n > self.0.len() / 2 {
            return Err(CompactError::Truncated);
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let (slot, value) = (self.usize()?, self.i64()?);
            if slot < known {
                out.push((slot, value));
            }
        }
        Ok(out)
    }
}

fn pairs(out: &mut Vec<u8>, values: &[i64], always: Option<usize>) {
    let nz: Vec<(usize, i64)> =
        values.iter().copied().enumerate().filter(|&(s, v)| v != 0 || Some(s) == always).collect();
    put(out, nz.len() as u64);
    for (s, v) in nz {
        put(out, s as u64);
        put_i64(out, v);
    }
}

/// The compact form of `inp`.
pub fn encode(inp: &Inputs) -> Vec<u8> {
    let n = MEMBER_INPUTS.len();
    let mut out = Vec::with_capacity(16 + 8 * inp.members);
    let fixed = HOUSEHOLD_INPUTS.len().min(inp.h.len());
    out.push(if inp.declared.is_empty() { FORMAT } else { FORMAT_DECLARED });
    put(&mut out, inp.members as u64);
    for k in 0..inp.members {
        put(&mut out, u64::from(inp.seqs.get(k).copied().unwrap_or(k as u32 + 1)));
    }
    pairs(&mut out, &inp.h[..fixed], None);
    for k in 0..inp.members {
        // `counted` is slot 0 and written even when 0, so no reader depends on a default.
        pairs(&mut out, &inp.m[k * n..(k + 1) * n], Some(0));
    }
    if !inp.declared.is_empty() {
        put(&mut out, inp.declared.len() as u64);
        for (name, v) in inp.declared.iter().zip(inp.h.iter().skip(fixed)) {
            put(&mut out, name.len() as u64);
            out.extend_from_slice(name.as_bytes());
            put_i64(&mut out, *v);
        }
    }
    out
}

/// Reads a compact form.
pub fn decode(bytes: &[u8]) -> Result<Compact, CompactError> {
    let (&format, rest) = bytes.split_first().ok_or(CompactError::Truncated)?;
    if format != FORMAT && format != FORMAT_DECLARED {
        return Err(CompactError::Format(format));
    }
    let mut r = Reader(rest);
    let members = r.usize()?;
    if members > r.0.len() {
        return Err(CompactError::Truncated);
    }
    let mut seqs = Vec::with_capacity(members);
    for _ in 0..members {
        seqs.push(u32::try_from(r.u64()?).map_err(|_| CompactError::Truncated)?);
    }
    let household = r.pairs(HOUSEHOLD_INPUTS.len())?;
    let mut m = Vec::with_capacity(members);
    for _ in 0..members {
        m.push(r.pairs(MEMBER_INPUTS.len())?);
    }
    let mut declared = Vec::new();
    if format == FORMAT_DECLARED {
        let n = r.usize()?;
        if n > r.0.len() / 2 {
            return Err(CompactError::Truncated);
        }
        for _ in 0..n {
            let len = r.usize()?;
            if len > r.0.len() {
                return Err(CompactError::Truncated);
            }
            let (name, rest) = r.0.split_at(len);
            r.0 = rest;
            let name = std::str::from_utf8(name).map_err(|_| CompactError::Truncated)?.to_string();
            declared.push((name, r.i64()?));
        }
    }
    Ok(Compact { seqs, household, members: m, declared })
}

impl Compact {
    /// The inputs again, for the scalar evaluator.
    pub fn inputs(&self) -> Inputs {
        let n = MEMBER_INPUTS.len();
        let mut inp = Inputs::new(self.members.len());
        inp.seqs = self.seqs.clone();
        for &(s, v) in &self.household {
            inp.h[s] = v;
        }
        for (k, m) in self.members.iter().enumerate() {
            inp.m[k * n] = 0;
            for &(s, v) in m {
                inp.m[k * n + s] = v;
            }
        }
        if !self.declared.is_empty() {
            let names: Vec<String> = self.declared.iter().map(|(k, _)| k.clone()).collect();
            inp.declare(&names);
            for (k, v) in &self.declared {
                inp.set_h(k, *v);
            }
        }
        inp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{FAILED, UNKNOWN};

    fn sample() -> Inputs {
        let mut i = Inputs::new(3);
        i.seqs = vec![1, 2, 5];
        i.set_h("vehicles", 1);
        i.set_h("homes", UNKNOWN);
        i.set_m(0, "wage_income", 1_234_567);
        i.set_m(0, "deposits", FAILED);
        i.set_m(1, "counted", 0);
        i.set_m(1, "age", 71);
        i.set_m(2, "support_paid", -40);
        i
    }

    #[test]
    fn inputs_survive_the_compact_form() {
        let i = sample();
        let bytes = encode(&i);
        let back = decode(&bytes).unwrap().inputs();
        assert_eq!((back.members, &back.seqs, &back.h, &back.m), (i.members, &i.seqs, &i.h, &i.m));
        assert!(bytes.len() < 80, "compact: {} bytes", bytes.len());
    }

    /// Bytes written by format 1 read the same in every later version: slots only grow at the
    /// end, so this frozen value keeps its meaning.
    #[test]
    fn format_one_stays_readable() {
        // `encode(&sample())` as format 1 wrote it.
        const FROZEN: &[u8] = &[
            1, 3, 1, 2, 5, 2, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1, 3, 2, 3, 0, 2, 10, 142, 218, 150, 1,
            24, 253, 255, 255, 255, 255, 255, 255, 255, 255, 1, 2, 0, 0, 1, 142, 1, 2, 0, 2, 20, 79,
        ];
        assert_eq!(encode(&sample()), FROZEN, "format 1 is what this version writes");
        let c = decode(FROZEN).unwrap();
        let name_h = |s: usize| HOUSEHOLD_INPUTS[s].name;
        let name_m = |s: usize| MEMBER_INPUTS[s].name;
        let h: Vec<(&str, i64)> = c.household.iter().map(|&(s, v)| (name_h(s), v)).collect();
        assert!(h.contains(&("vehicles", 1)) && h.contains(&("homes", UNKNOWN)));
        let m1: Vec<(&str, i64)> = c.members[1].iter().map(|&(s, v)| (name_m(s), v)).collect();
        assert_eq!(m1, [("counted", 0), ("age", 71)]);
        // A slot this version does not know (a later input) is skipped, not an error.
        let mut later = vec![FORMAT, 1, 1, 1];
        put(&mut later, HOUSEHOLD_INPUTS.len() as u64 + 3);
        put_i64(&mut later, 9);
        later.extend([1, 0, 2]);
        let c = decode(&later).unwrap();
        assert_eq!((c.household.len(), c.members[0].clone()), (0, vec![(0, 1)]));
    }

    #[test]
    fn declared_inputs_are_kept_by_name() {
        let mut i = sample();
        i.declare(&["forest_rights".to_string(), "boats".to_string()]);
        i.set_h("forest_rights", 2);
        i.set_h("boats", UNKNOWN);
        let bytes = encode(&i);
        assert_eq!(bytes[0], FORMAT_DECLARED);
        let back = decode(&bytes).unwrap().inputs();
        assert_eq!((&back.declared, &back.h, &back.m), (&i.declared, &i.h, &i.m));
        assert_eq!(back.declared_value("forest_rights"), Some(2));
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn broken_bytes_are_an_error_never_a_panic() {
        let good = encode(&sample());
        for cut in 0..good.len() {
            assert!(decode(&good[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(decode(&[9, 0, 0]), Err(CompactError::Format(9)));
        assert!(decode(&[FORMAT, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
    }
}
