//! Columnar evaluation: the same bytecode run over a batch of households at once.
//!
//! Each instruction is applied to a whole column (one value per household, or per member), so
//! the cost of interpreting it is paid once per batch instead of once per household. The
//! meaning is exactly the scalar evaluator's ([`super::vm`]):
//!
//! - both branches of `if`, `and` and `or` are computed and the right one is selected per lane,
//!   so a lane never sees a value its scalar evaluation would not have used;
//! - whatever would have been an error in the scalar evaluator (overflow, division by zero,
//!   reading a fact whose source failed, two rules applying, no rule applying) marks the lane
//!   *poisoned*; a poisoned lane is discarded when its branch is not taken, and a household
//!   still poisoned at the end is evaluated again by the scalar evaluator, which gives the
//!   exact error (or, where the poison came from an untaken path, the same value).
//!
//! Results are therefore identical to [`Program::eval`] household by household; a test checks
//! it on random households.
// tidy: allow(long-file): the columnar evaluator mirrors vm.rs op by op, and its differential test against vm.rs sits beside it.

use super::bytecode::{AggKind, Op, Program, Rounding, Step};
#[cfg(test)]
use super::inputs::FAILED;
use super::inputs::{Entity, HOUSEHOLD_INPUTS, Inputs, MEMBER_INPUTS, UNKNOWN};
use super::vm::Verdict;
use super::{RulesError, TestOutcome};

/// A lane whose scalar evaluation would have failed.
const POISON: i64 = i64::MIN + 2;
/// Values at or below this are markers, not numbers.
const MARK: i64 = POISON;

/// A batch of households in columns.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    households: usize,
    /// The household of each member.
    owner: Vec<u32>,
    /// Household inputs: one column per input, one value per household.
    h: Vec<Vec<i64>>,
    /// Member inputs: one column per input, one value per member.
    m: Vec<Vec<i64>>,
    /// Each household's first member (and, last, the number of members).
    start: Vec<u32>,
    /// The input columns filled (all when empty): a program reads only some.
    used_h: Vec<usize>,
    used_m: Vec<usize>,
}

impl Batch {
    pub fn new() -> Batch {
        Batch {
            h: vec![Vec::new(); HOUSEHOLD_INPUTS.len()],
            m: vec![Vec::new(); MEMBER_INPUTS.len()],
            ..Batch::default()
        }
    }

    /// A batch that keeps only the inputs `program` reads (the others stay empty), with a column
    /// for each input it declares after the built-in ones.
    pub fn for_program(program: &Program) -> Batch {
        let (used_h, used_m) = program.inputs_used();
        let mut b = Batch { used_h, used_m, ..Batch::new() };
        b.h.resize(HOUSEHOLD_INPUTS.len() + program.declared.len(), Vec::new());
        b
    }

    /// A batch for several programmes at once (a policy and its changed copy): the inputs any
    /// of them reads.
    pub fn for_programs(programs: &[&Program]) -> Batch {
        let (mut used_h, mut used_m) = (Vec::new(), Vec::new());
        for p in programs {
            let (h, m) = p.inputs_used();
            used_h.extend(h);
            used_m.extend(m);
        }
        for v in [&mut used_h, &mut used_m] {
            v.sort_unstable();
            v.dedup();
        }
        let declared = programs.iter().map(|p| p.declared.len()).max().unwrap_or(0);
        let mut b = Batch { used_h, used_m, ..Batch::new() };
        b.h.resize(HOUSEHOLD_INPUTS.len() + declared, Vec::new());
        b
    }

    pub fn len(&self) -> usize {
        self.households
    }

    pub fn is_empty(&self) -> bool {
        self.households == 0
    }

    pub fn clear(&mut self) {
        self.households = 0;
        self.owner.clear();
        self.h.iter_mut().for_each(Vec::clear);
        self.m.iter_mut().for_each(Vec::clear);
        self.start.clear();
    }

    /// Adds one household from the values it has (household slots, then member slots per
    /// member); every other input is 0, except `counted`, which is 1 unless given.
    pub fn push_sparse<'a>(&mut self, h: &[(usize, i64)], members: impl IntoIterator<Item = &'a [(usize, i64)]>) {
        let all_h: Vec<usize>;
        let all_m: Vec<usize>;
        let (used_h, used_m) = if self.used_h.is_empty() && self.used_m.is_empty() {
            all_h = (0..self.h.len()).collect();
            all_m = (0..MEMBER_INPUTS.len()).collect();
            (&all_h[..], &all_m[..])
        } else {
            (&self.used_h[..], &self.used_m[..])
        };
        self.start.push(self.owner.len() as u32);
        for &s in used_h {
            self.h[s].push(0);
        }
        for &(s, v) in h {
            if let Some(x) = self.h[s].last_mut() {
                *x = v;
            }
        }
        for m in members {
            self.owner.push(self.households as u32);
            for &s in used_m {
                self.m[s].push(i64::from(s == 0));
            }
            for &(s, v) in m {
                if let Some(x) = self.m[s].last_mut() {
                    *x = v;
                }
            }
        }
        self.households += 1;
    }

    /// Replaces the batch with whole columns: `owner[m]` is member m's household (ascending),
    /// `h` and `m` the columns given by slot; every other input is 0 (`counted` 1).
    pub fn load_columns(&mut self, households: usize, owner: &[u32], h: &[(usize, &[i64])], m: &[(usize, &[i64])]) {
        self.clear();
        self.households = households;
        self.owner.extend_from_slice(owner);
        let mut j = 0;
        for hh in 0..households as u32 {
            while j < owner.len() && owner[j] < hh {
                j += 1;
            }
            self.start.push(j as u32);
        }
        let every = self.used_h.is_empty() && self.used_m.is_empty();
        for s in 0..self.h.len() {
            if every || self.used_h.contains(&s) {
                match h.iter().find(|(k, _)| *k == s) {
                    Some((_, col)) => self.h[s].extend_from_slice(col),
                    None => self.h[s].resize(households, 0),
                }
            }
        }
        for s in 0..MEMBER_INPUTS.len() {
            if every || self.used_m.contains(&s) {
                match m.iter().find(|(k, _)| *k == s) {
                    Some((_, col)) => self.m[s].extend_from_slice(col),
                    None => self.m[s].resize(owner.len(), i64::from(s == 0)),
                }
            }
        }
    }

    /// Household `i` again, for the scalar path.
    fn row(&self, i: usize) -> Inputs {
        let (from, to) = (self.start[i] as usize, self.start.get(i + 1).map_or(self.owner.len(), |x| *x as usize));
        let mut inp = Inputs::new(to - from);
        inp.h.resize(self.h.len(), UNKNOWN);
        for (s, col) in self.h.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
            inp.h[s] = col[i];
        }
        for k in 0..to - from {
            for (s, col) in self.m.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
                inp.m[k * MEMBER_INPUTS.len() + s] = col[from + k];
            }
        }
        inp
    }

    /// Adds one household.
    pub fn push(&mut self, inp: &Inputs) {
        let n = MEMBER_INPUTS.len();
        self.start.push(self.owner.len() as u32);
        if self.used_h.is_empty() && self.used_m.is_empty() {
            // A declared input the household's inputs lack is unknown.
            for (s, col) in self.h.iter_mut().enumerate() {
                col.push(inp.h.get(s).copied().unwrap_or(UNKNOWN));
            }
            for k in 0..inp.members {
                self.owner.push(self.households as u32);
                for (s, col) in self.m.iter_mut().enumerate() {
                    col.push(inp.m[k * n + s]);
                }
            }
        } else {
            for &s in &self.used_h {
                self.h[s].push(inp.h.get(s).copied().unwrap_or(UNKNOWN));
            }
            for k in 0..inp.members {
                self.owner.push(self.households as u32);
                for &s in &self.used_m {
                    self.m[s].push(inp.m[k * n + s]);
                }
            }
        }
        self.households += 1;
    }
}

/// Reusable column buffers.
#[derive(Debug, Default)]
pub struct BatchFrame {
    hv: Vec<Vec<i64>>,
    mv: Vec<Vec<i64>>,
    pool: Vec<Vec<i64>>,
    poisoned: Vec<bool>,
}

fn take(pool: &mut Vec<Vec<i64>>, len: usize) -> Vec<i64> {
    let mut v = pool.pop().unwrap_or_default();
    v.clear();
    v.resize(len, 0);
    v
}

/// An empty buffer (to be extended), from the pool.
fn empty(pool: &mut Vec<Vec<i64>>, len: usize) -> Vec<i64> {
    let mut v = pool.pop().unwrap_or_default();
    v.clear();
    v.reserve(len);
    v
}

/// A value a scalar evaluation would have failed on (a failed source's fact, an overflow …).
#[inline(always)]
fn poisonous(v: i64) -> bool {
    v <= MARK && v != UNKNOWN
}

#[inline(always)]
fn marks(a: i64, b: i64) -> i64 {
    if poisonous(a) || poisonous(b) { POISON } else { UNKNOWN }
}

#[inline(always)]
fn arith(a: i64, b: i64, f: impl Fn(i64, i64) -> Option<i64>) -> i64 {
    if a <= MARK || b <= MARK {
        return marks(a, b);
    }
    match f(a, b) {
        Some(v) if v > MARK => v,
        _ => POISON,
    }
}

#[inline(always)]
fn cmp(a: i64, b: i64, f: impl Fn(i64, i64) -> bool) -> i64 {
    if a <= MARK || b <= MARK {
        return marks(a, b);
    }
    i64::from(f(a, b))
}

fn div(a: i64, b: i64, r: Rounding) -> i64 {
    if a <= MARK || b <= MARK {
        return marks(a, b);
    }
    if b == 0 {
        return POISON;
    }
    let Some(q) = a.checked_div(b) else { return POISON };
    let rem = a % b;
    if rem == 0 {
        return q;
    }
    let negative = (rem < 0) != (b < 0);
    match r {
        Rounding::Floor => q - i64::from(negative),
        Rounding::Ceil => q + i64::from(!negative),
        Rounding::HalfUp => {
            if 2 * i128::from(rem).abs() >= i128::from(b).abs() {
                if negative { q - 1 } else { q + 1 }
            } else {
                q
            }
        }
    }
}

#[inline(always)]
fn and(a: i64, b: i64) -> i64 {
    // As the scalar short-circuit: a false left side decides without the right.
    if a == 0 {
        0
    } else if poisonous(a) || poisonous(b) {
        POISON
    } else if b == 0 {
        0
    } else if a == UNKNOWN || b == UNKNOWN {
        UNKNOWN
    } else {
        1
    }
}

#[inline(always)]
fn or(a: i64, b: i64) -> i64 {
    if a == 1 {
        1
    } else if poisonous(a) || poisonous(b) {
        POISON
    } else if b == 1 {
        1
    } else if a == UNKNOWN || b == UNKNOWN {
        UNKNOWN
    } else {
        0
    }
}

#[inline(always)]
fn mul(a: i64, b: i64) -> i64 {
    if poisonous(a) || poisonous(b) {
        POISON
    } else if a == 0 || b == 0 {
        0
    } else {
        arith(a, b, i64::checked_mul)
    }
}

/// A column on the evaluation stack: a constant, a borrowed column, or an owned one.
enum Col<'a> {
    K(i64),
    S(&'a [i64]),
    V(Vec<i64>),
}

impl<'a> Col<'a> {
    fn into_vec(self, n: usize, pool: &mut Vec<Vec<i64>>) -> Vec<i64> {
        match self {
            Col::V(v) => v,
            Col::K(k) => {
                let mut v = empty(pool, n);
                v.resize(n, k);
                v
            }
            Col::S(s) => {
                let mut v = empty(pool, n);
                v.extend_from_slice(s);
                v
            }
        }
    }

    fn give(self, pool: &mut Vec<Vec<i64>>) {
        if let Col::V(v) = self {
            pool.push(v);
        }
    }

    fn at(&self, i: usize) -> i64 {
        match self {
            Col::K(k) => *k,
            Col::S(s) => s[i],
            Col::V(v) => v[i],
        }
    }

    /// `f` applied lane by lane, in place when the column is owned.
    #[inline(always)]
    fn map(self, n: usize, pool: &mut Vec<Vec<i64>>, f: impl Fn(i64) -> i64) -> Col<'a> {
        match self {
            Col::K(k) => Col::K(f(k)),
            Col::V(mut v) => {
                v.iter_mut().for_each(|x| *x = f(*x));
                Col::V(v)
            }
            Col::S(s) => {
                let mut v = empty(pool, n);
                v.extend(s.iter().map(|x| f(*x)));
                Col::V(v)
            }
        }
    }
}

/// `f(x, y)` lane by lane, reusing an owned operand's storage.
#[inline(always)]
fn zip<'a>(x: Col<'a>, y: Col<'a>, n: usize, pool: &mut Vec<Vec<i64>>, f: impl Fn(i64, i64) -> i64) -> Col<'a> {
    match (x, y) {
        (Col::K(a), Col::K(b)) => Col::K(f(a, b)),
        (x, Col::K(b)) => x.map(n, pool, |a| f(a, b)),
        (Col::K(a), y) => y.map(n, pool, |b| f(a, b)),
        (Col::V(mut xs), y) => {
            match &y {
                Col::V(ys) => xs.iter_mut().zip(ys).for_each(|(a, b)| *a = f(*a, *b)),
                Col::S(ys) => xs.iter_mut().zip(ys.iter()).for_each(|(a, b)| *a = f(*a, *b)),
                Col::K(_) => {}
            }
            y.give(pool);
            Col::V(xs)
        }
        (Col::S(xs), Col::V(mut ys)) => {
            ys.iter_mut().zip(xs).for_each(|(b, a)| *b = f(*a, *b));
            Col::V(ys)
        }
        (Col::S(xs), Col::S(ys)) => {
            let mut v = empty(pool, n);
            v.extend(xs.iter().zip(ys).map(|(a, b)| f(*a, *b)));
            Col::V(v)
        }
    }
}

/// Which lanes an expression runs over.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lanes {
    Households,
    Members,
}

/// What an expression reads: the batch and the variables computed so far.
struct Env<'a> {
    b: &'a Batch,
    hv: &'a [Vec<i64>],
    mv: &'a [Vec<i64>],
}

impl Env<'_> {
    fn lanes(&self, l: Lanes) -> usize {
        match l {
            Lanes::Households => self.b.households,
            Lanes::Members => self.b.owner.len(),
        }
    }
}

impl Program {
    /// The household and member input slots any compiled rule reads.
    pub fn inputs_used(&self) -> (Vec<usize>, Vec<usize>) {
        let mut h = std::collections::BTreeSet::new();
        let mut m = std::collections::BTreeSet::new();
        for r in &self.rules {
            for (e, s) in &r.inputs {
                match e {
                    Entity::Household => h.insert(*s),
                    Entity::Member => m.insert(*s),
                };
            }
        }
        (h.into_iter().collect(), m.into_iter().collect())
    }

    /// Runs `code[from..to]` over all lanes.
    // tidy: allow(long-fn): the columnar interpreter's one match over opcodes, kept whole so it stays the scalar vm's mirror image.
    fn run_cols<'a>(
        &self,
        code: &[Op],
        from: usize,
        to: usize,
        env: &Env<'a>,
        pool: &mut Vec<Vec<i64>>,
        l: Lanes,
    ) -> Col<'a> {
        let n = env.lanes(l);
        let gather = |src: &[i64], pool: &mut Vec<Vec<i64>>| {
            let mut c = empty(pool, n);
            c.extend(env.b.owner.iter().map(|o| src[*o as usize]));
            Col::V(c)
        };
        let mut stack: Vec<Col<'a>> = Vec::with_capacity(8);
        let mut pc = from;
        while pc < to {
            let op = code[pc];
            pc += 1;
            match op {
                Op::Const(v) => stack.push(Col::K(v)),
                Op::HI(s) => stack.push(match l {
                    Lanes::Households => Col::S(&env.b.h[s as usize]),
                    Lanes::Members => gather(&env.b.h[s as usize], pool),
                }),
                Op::MI(s) => stack.push(Col::S(&env.b.m[s as usize])),
                Op::HV(s) => stack.push(match l {
                    Lanes::Households => Col::S(&env.hv[s as usize]),
                    Lanes::Members => gather(&env.hv[s as usize], pool),
                }),
                Op::MV(s) => stack.push(Col::S(&env.mv[s as usize])),
                Op::Neg | Op::Abs | Op::Not | Op::Known => {
                    let Some(c) = stack.pop() else { break };
                    let f = move |x: i64| match op {
                        _ if poisonous(x) => POISON,
                        Op::Known => i64::from(x != UNKNOWN),
                        _ if x == UNKNOWN => UNKNOWN,
                        Op::Neg => x.checked_neg().filter(|v| *v > MARK).unwrap_or(POISON),
                        Op::Abs => x.checked_abs().unwrap_or(POISON),
                        _ => i64::from(x == 0),
                    };
                    stack.push(c.map(n, pool, f));
                }
                // Both sides are always computed; `And`/`Or` choose per lane.
                Op::JumpIfFalseKeep(_) | Op::JumpIfTrueKeep(_) => {}
                Op::Cond(else_at, end) => {
                    let Some(c) = stack.pop() else { break };
                    let (else_at, end) = (else_at as usize, end as usize);
                    // The then-branch ends with the Jump to `end`.
                    let x = self.run_cols(code, pc, else_at - 1, env, pool, l);
                    let y = self.run_cols(code, else_at, end, env, pool, l);
                    let out = match c {
                        Col::K(k) if !poisonous(k) && k != UNKNOWN => {
                            if k != 0 {
                                y.give(pool);
                                x
                            } else {
                                x.give(pool);
                                y
                            }
                        }
                        c => {
                            let (c, x, y) = (c.into_vec(n, pool), x.into_vec(n, pool), y.into_vec(n, pool));
                            let mut out = empty(pool, n);
                            out.extend(c.iter().zip(x.iter().zip(&y)).map(|(c, (x, y))| match *c {
                                v if poisonous(v) => POISON,
                                UNKNOWN => UNKNOWN,
                                0 => *y,
                                _ => *x,
                            }));
                            let (c, x, y) = (Col::V(c), Col::V(x), Col::V(y));
                            c.give(pool);
                            x.give(pool);
                            y.give(pool);
                            Col::V(out)
                        }
                    };
                    stack.push(out);
                    pc = end;
                }
                Op::Jump(t) => pc = t as usize,
                Op::Agg(kind, sub) => {
                    let sub = &self.subs[sub as usize];
                    let vals = self.run_cols(sub, 0, sub.len(), env, pool, Lanes::Members);
                    let mut out = take(pool, n);
                    out.fill(match kind {
                        AggKind::All => 1,
                        AggKind::Max => i64::MIN + 3,
                        AggKind::Min => i64::MAX,
                        _ => 0,
                    });
                    // Per household: 1 an unknown member, 2 poisoned, 4 any member at all.
                    let mut flags = take(pool, n);
                    for (i, o) in env.b.owner.iter().enumerate() {
                        let o = *o as usize;
                        flags[o] |= 4;
                        match vals.at(i) {
                            v if poisonous(v) => flags[o] |= 2,
                            UNKNOWN => flags[o] |= 1,
                            v => {
                                let acc = &mut out[o];
                                *acc = match kind {
                                    AggKind::Sum => acc.checked_add(v).filter(|x| *x > MARK).unwrap_or_else(|| {
                                        flags[o] |= 2;
                                        0
                                    }),
                                    AggKind::Count => *acc + v,
                                    AggKind::Any => *acc | v,
                                    AggKind::All => *acc & v,
                                    AggKind::Max => (*acc).max(v),
                                    AggKind::Min => (*acc).min(v),
                                };
                            }
                        }
                    }
                    for (acc, f) in out.iter_mut().zip(&flags) {
                        *acc = match kind {
                            _ if f & 2 != 0 => POISON,
                            AggKind::Any if *acc == 1 => 1,
                            AggKind::All if *acc == 0 => 0,
                            _ if f & 1 != 0 => UNKNOWN,
                            AggKind::Max | AggKind::Min if f & 4 == 0 => 0,
                            _ => *acc,
                        };
                    }
                    vals.give(pool);
                    pool.push(flags);
                    stack.push(Col::V(out));
                }
                _ => {
                    let (Some(y), Some(x)) = (stack.pop(), stack.pop()) else { break };
                    let r = match op {
                        Op::Add => zip(x, y, n, pool, |a, b| arith(a, b, i64::checked_add)),
                        Op::Sub => zip(x, y, n, pool, |a, b| arith(a, b, i64::checked_sub)),
                        Op::Mul => zip(x, y, n, pool, mul),
                        Op::Min => zip(x, y, n, pool, |a, b| arith(a, b, |p, q| Some(p.min(q)))),
                        Op::Max => zip(x, y, n, pool, |a, b| arith(a, b, |p, q| Some(p.max(q)))),
                        Op::Div(r) => zip(x, y, n, pool, move |a, b| div(a, b, r)),
                        Op::Lt => zip(x, y, n, pool, |a, b| cmp(a, b, |p, q| p < q)),
                        Op::Le => zip(x, y, n, pool, |a, b| cmp(a, b, |p, q| p <= q)),
                        Op::Gt => zip(x, y, n, pool, |a, b| cmp(a, b, |p, q| p > q)),
                        Op::Ge => zip(x, y, n, pool, |a, b| cmp(a, b, |p, q| p >= q)),
                        Op::Eq => zip(x, y, n, pool, |a, b| cmp(a, b, |p, q| p == q)),
                        Op::Ne => zip(x, y, n, pool, |a, b| cmp(a, b, |p, q| p != q)),
                        Op::And => zip(x, y, n, pool, and),
                        Op::Or => zip(x, y, n, pool, or),
                        _ => {
                            x.give(pool);
                            y.give(pool);
                            Col::K(POISON)
                        }
                    };
                    stack.push(r);
                }
            }
        }
        let out = stack.pop().unwrap_or(Col::K(POISON));
        for c in stack {
            c.give(pool);
        }
        out
    }

    /// One step over all lanes: the rule that applies, per lane.
    fn step_cols(&self, st: &Step, env: &Env<'_>, pool: &mut Vec<Vec<i64>>, l: Lanes) -> Vec<i64> {
        let n = env.lanes(l);
        if let [group] = st.groups.as_slice()
            && let [alt] = group.as_slice()
            && alt.when.is_none()
        {
            return self.run_cols(&alt.expr, 0, alt.expr.len(), env, pool, l).into_vec(n, pool);
        }
        let mut out = take(pool, n);
        let mut done = vec![false; n];
        let mut any_done = false;
        for group in &st.groups {
            // One unconditional rule with nothing decided yet: it decides every lane.
            if let [alt] = group.as_slice()
                && alt.when.is_none()
                && !any_done
            {
                pool.push(out);
                return self.run_cols(&alt.expr, 0, alt.expr.len(), env, pool, l).into_vec(n, pool);
            }
            let whens: Vec<Vec<i64>> = group
                .iter()
                .map(|a| match &a.when {
                    Some(w) => self.run_cols(w, 0, w.len(), env, pool, l).into_vec(n, pool),
                    None => vec![1; n],
                })
                .collect();
            // Per lane: the alternative chosen, or why none is.
            let mut pick: Vec<i32> = vec![-1; n];
            for i in 0..n {
                if done[i] {
                    continue;
                }
                let mut chosen: i32 = -1;
                let mut maybe = false;
                let mut bad = false;
                for (k, w) in whens.iter().enumerate() {
                    match w[i] {
                        v if poisonous(v) => bad = true,
                        UNKNOWN => maybe = true,
                        0 => {}
                        _ if chosen >= 0 => bad = true, // two rules apply: the scalar path reports it
                        _ => chosen = k as i32,
                    }
                }
                if bad {
                    out[i] = POISON;
                    done[i] = true;
                } else if maybe {
                    out[i] = UNKNOWN;
                    done[i] = true;
                } else if chosen >= 0 {
                    pick[i] = chosen;
                }
            }
            any_done |= done.iter().any(|d| *d) || pick.iter().any(|p| *p >= 0);
            for (k, alt) in group.iter().enumerate() {
                let k = k as i32;
                if !pick.contains(&k) {
                    continue;
                }
                let v = self.run_cols(&alt.expr, 0, alt.expr.len(), env, pool, l).into_vec(n, pool);
                for (i, ((o, d), p)) in out.iter_mut().zip(done.iter_mut()).zip(&pick).enumerate() {
                    if *p == k {
                        *o = v[i];
                        *d = true;
                    }
                }
                pool.push(v);
            }
            pool.extend(whens);
            if done.iter().all(|d| *d) {
                break;
            }
        }
        // No rule applies: the scalar path reports it.
        for i in 0..n {
            if !done[i] {
                out[i] = POISON;
            }
        }
        out
    }

    /// Evaluates every household of `b`; the result for household `i` is at `out[i]` and equals
    /// [`Program::eval`] on it.
    pub fn eval_batch(&self, b: &Batch, fr: &mut BatchFrame, out: &mut Vec<Result<Verdict, RulesError>>) {
        out.clear();
        let (nh, nm) = (b.households, b.owner.len());
        if b.h.len() < HOUSEHOLD_INPUTS.len() + self.declared.len() {
            // A batch made without this program has no column for the inputs it declares: each
            // household is evaluated alone, those inputs unknown.
            let mut scalar = super::vm::Frame::default();
            out.extend((0..nh).map(|i| self.eval(&b.row(i), &mut scalar)));
            return;
        }
        fr.hv.resize_with(self.hv_count, Vec::new);
        fr.mv.resize_with(self.mv_count, Vec::new);
        fr.poisoned.clear();
        fr.poisoned.resize(nh, false);
        for st in self.steps.iter().filter(|s| s.needed) {
            let v = &self.vars[st.var];
            let l = match v.entity {
                Entity::Household => Lanes::Households,
                Entity::Member => Lanes::Members,
            };
            let col = {
                let BatchFrame { hv, mv, pool, .. } = &mut *fr;
                let env = Env { b, hv: hv.as_slice(), mv: mv.as_slice() };
                self.step_cols(st, &env, pool, l)
            };
            debug_assert_eq!(col.len(), if l == Lanes::Households { nh } else { nm });
            for (i, x) in col.iter().enumerate() {
                if poisonous(*x) {
                    let h = match l {
                        Lanes::Households => i,
                        Lanes::Members => b.owner[i] as usize,
                    };
                    fr.poisoned[h] = true;
                }
            }
            let slot = v.slot as usize;
            let old = match v.entity {
                Entity::Household => std::mem::replace(&mut fr.hv[slot], col),
                Entity::Member => std::mem::replace(&mut fr.mv[slot], col),
            };
            fr.pool.push(old);
        }
        let mut scalar = super::vm::Frame::default();
        for i in 0..nh {
            if fr.poisoned[i] {
                out.push(self.eval(&b.row(i), &mut scalar));
                continue;
            }
            let mut outcome = TestOutcome::Pass;
            for t in &self.tests {
                match fr.hv[self.vars[t.pass].slot as usize][i] {
                    0 => {
                        outcome = TestOutcome::Fail;
                        break;
                    }
                    1 => {}
                    _ => outcome = TestOutcome::Unknown,
                }
            }
            let benefit = self.benefit.map(|v| fr.hv[self.vars[v].slot as usize][i]).filter(|v| *v > MARK);
            out.push(Ok(Verdict { outcome, benefit }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PolicySet, compile};

    /// The batch evaluator agrees with the scalar one on random households, unknown and failed
    /// facts, overflowing amounts and every programme of the shipped policy included.
    #[test]
    // tidy: allow(long-fn): one differential table of cases, read top to bottom.
    fn batches_agree_with_the_scalar_evaluator() {
        let mut set = PolicySet::new();
        for (n, t) in [
            ("32", include_str!("../../../data/policy/32.json")),
            ("3204", include_str!("../../../data/policy/3204.json")),
            ("320412", include_str!("../../../data/policy/320412.json")),
        ] {
            set.add_json(n, t).unwrap_or_else(|e| panic!("{e}"));
        }
        let mut seed = 0x1234_5678_9abc_def1_u64;
        let mut rnd = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n.max(1)
        };
        for region in ["3204", "320412", "32"] {
            // "32" alone lacks the city's parameters: compiling fails, which is not this test's matter.
            let Ok(res) = set.resolve(region, hedui_core::Date::parse("2025-08-01").unwrap_or(hedui_core::Date::MIN))
            else {
                continue;
            };
            for p in hedui_core::programme::Programme::ALL {
                let Ok(prog) = compile(&res, p) else { continue };
                let mut batch = if rnd(2) == 0 { Batch::new() } else { Batch::for_program(&prog) };
                let mut rows = Vec::new();
                for _ in 0..400 {
                    let members = rnd(5) as usize;
                    let mut inp = Inputs::new(members);
                    let pick = |r: u64, rnd: &mut dyn FnMut(u64) -> u64| -> i64 {
                        match rnd(400) {
                            0..=9 => UNKNOWN,
                            10 => FAILED,
                            11 => i64::MAX / 3,
                            12..=250 => 0,
                            _ => rnd(r) as i64,
                        }
                    };
                    for (s, d) in HOUSEHOLD_INPUTS.iter().enumerate() {
                        inp.h[s] = if d.unit == crate::Unit::Bool { i64::from(rnd(6) == 0) } else { pick(3, &mut rnd) };
                    }
                    for k in 0..members {
                        for (s, d) in MEMBER_INPUTS.iter().enumerate() {
                            let v = match d.name {
                                "age" => rnd(95) as i64,
                                "sex" => 1 + rnd(2) as i64,
                                "disability_grade" => rnd(5) as i64,
                                "disability_kind" => rnd(8) as i64,
                                "adl_unable" => rnd(7) as i64,
                                "counted" => i64::from(rnd(10) != 0),
                                _ if d.unit == crate::Unit::Bool => i64::from(rnd(6) == 0),
                                _ if d.unit == crate::Unit::Fen => pick(1_500_000, &mut rnd),
                                _ => rnd(4) as i64,
                            };
                            inp.m[k * MEMBER_INPUTS.len() + s] = v;
                        }
                    }
                    if rnd(2) == 0 {
                        batch.push(&inp);
                    } else {
                        let w = MEMBER_INPUTS.len();
                        let h: Vec<(usize, i64)> = inp.h.iter().copied().enumerate().filter(|(_, v)| *v != 0).collect();
                        let ms: Vec<Vec<(usize, i64)>> = (0..members)
                            .map(|k| {
                                inp.m[k * w..(k + 1) * w]
                                    .iter()
                                    .copied()
                                    .enumerate()
                                    .filter(|(s, v)| *v != 0 || *s == 0)
                                    .collect()
                            })
                            .collect();
                        batch.push_sparse(&h, ms.iter().map(Vec::as_slice));
                    }
                    rows.push(inp);
                }
                let mut fr = BatchFrame::default();
                let mut got = Vec::new();
                prog.eval_batch(&batch, &mut fr, &mut got);
                // The same households loaded as whole columns give the same results.
                let w = MEMBER_INPUTS.len();
                let owner: Vec<u32> =
                    rows.iter().enumerate().flat_map(|(i, r)| std::iter::repeat_n(i as u32, r.members)).collect();
                let hcols: Vec<Vec<i64>> =
                    (0..HOUSEHOLD_INPUTS.len()).map(|s| rows.iter().map(|r| r.h[s]).collect()).collect();
                let mcols: Vec<Vec<i64>> = (0..w)
                    .map(|s| rows.iter().flat_map(|r| (0..r.members).map(move |k| r.m[k * w + s])).collect())
                    .collect();
                let h: Vec<(usize, &[i64])> = hcols.iter().enumerate().map(|(s, c)| (s, c.as_slice())).collect();
                let m: Vec<(usize, &[i64])> = mcols.iter().enumerate().map(|(s, c)| (s, c.as_slice())).collect();
                let mut loaded = Batch::for_program(&prog);
                loaded.load_columns(rows.len(), &owner, &h, &m);
                let mut again = Vec::new();
                prog.eval_batch(&loaded, &mut BatchFrame::default(), &mut again);
                let same = |a: &Result<Verdict, RulesError>, b: &Result<Verdict, RulesError>| {
                    a.as_ref().map_err(ToString::to_string) == b.as_ref().map_err(ToString::to_string)
                };
                assert!(got.iter().zip(&again).all(|(a, b)| same(a, b)) && got.len() == again.len());
                let fallback = fr.poisoned.iter().filter(|p| **p).count();
                assert!(fallback < rows.len() / 2, "{region} {}: {fallback} of {} fell back", p.code(), rows.len());
                let unknown = got.iter().filter(|r| matches!(r, Ok(v) if v.outcome == TestOutcome::Unknown)).count();
                let passed = got.iter().filter(|r| matches!(r, Ok(v) if v.outcome == TestOutcome::Pass)).count();
                let errors = got.iter().filter(|r| r.is_err()).count();
                eprintln!(
                    "{region} {}: {passed} pass, {unknown} unknown, {errors} errors, {fallback} by the scalar path",
                    p.code()
                );
                let mut f = crate::vm::Frame::default();
                for (i, inp) in rows.iter().enumerate() {
                    let want = prog.eval(inp, &mut f).map_err(|e| e.to_string());
                    let have = got[i].clone().map_err(|e| e.to_string());
                    assert_eq!(have, want, "{region} {} household {i}", p.code());
                }
            }
        }
    }
}
