//! The evaluator: a small stack machine over integer slots, with three-valued logic.
//!
//! Values are `i64`; booleans are 0 and 1. [`UNKNOWN`] is a value no source supplied: arithmetic
//! and comparisons with it give unknown, `and` with a false side is false and `or` with a true
//! side is true, as in SQL. Reading a [`FAILED`] input is an error. Overflow and division by
//! zero are errors, never wrapped or saturated.

use super::bytecode::{AggKind, Op, Program, Rounding, STACK, Step};
use super::inputs::{Entity, FAILED, Inputs, MEMBER_INPUTS, UNKNOWN};
use super::{RulesError, TestOutcome};

/// What went wrong, before it is given names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Missing(Entity, u16, usize),
    DivZero,
    Overflow,
}

/// Reusable evaluation state: allocate once, evaluate many households.
#[derive(Clone, Debug, Default)]
pub struct Frame {
    pub(crate) hv: Vec<i64>,
    pub(crate) mv: Vec<i64>,
    /// The rule chosen for each household variable, and per member for member variables.
    pub(crate) chosen_h: Vec<u32>,
    pub(crate) chosen_m: Vec<u32>,
}

/// The result of one evaluation without trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub outcome: TestOutcome,
    /// The benefit in fen, when the programme pays one and it is known.
    pub benefit: Option<i64>,
}

const NO_RULE: u32 = u32::MAX;

#[inline]
fn arith(a: i64, b: i64, f: impl Fn(i64, i64) -> Option<i64>) -> Result<i64, Fault> {
    if a == UNKNOWN || b == UNKNOWN {
        return Ok(UNKNOWN);
    }
    match f(a, b) {
        Some(v) if v != UNKNOWN && v != FAILED => Ok(v),
        _ => Err(Fault::Overflow),
    }
}

#[inline]
fn cmp(a: i64, b: i64, f: impl Fn(i64, i64) -> bool) -> i64 {
    if a == UNKNOWN || b == UNKNOWN { UNKNOWN } else { i64::from(f(a, b)) }
}

fn div(a: i64, b: i64, r: Rounding) -> Result<i64, Fault> {
    if a == UNKNOWN || b == UNKNOWN {
        return Ok(UNKNOWN);
    }
    if b == 0 {
        return Err(Fault::DivZero);
    }
    let q = a.checked_div(b).ok_or(Fault::Overflow)?;
    let rem = a % b;
    if rem == 0 {
        return Ok(q);
    }
    let negative = (rem < 0) != (b < 0);
    Ok(match r {
        Rounding::Floor => {
            if negative {
                q - 1
            } else {
                q
            }
        }
        Rounding::Ceil => {
            if negative {
                q
            } else {
                q + 1
            }
        }
        Rounding::HalfUp => {
            // Half away from zero.
            if 2 * (rem as i128).abs() >= (b as i128).abs() { if negative { q - 1 } else { q + 1 } } else { q }
        }
    })
}

impl Program {
    // tidy: allow(long-fn): the interpreter's one match over opcodes; a split costs a call per step.
    fn run(&self, code: &[Op], inp: &Inputs, hv: &[i64], mv: &[i64], member: usize) -> Result<i64, Fault> {
        // A fixed stack: the compiler bounds every expression's depth by STACK.
        let mut st = [0i64; STACK];
        let mut sp = 0usize;
        macro_rules! push {
            ($v:expr) => {{
                let v = $v;
                if sp >= STACK {
                    return Err(Fault::Overflow);
                }
                st[sp] = v;
                sp += 1;
            }};
        }
        macro_rules! pop {
            () => {{
                if sp == 0 {
                    UNKNOWN
                } else {
                    sp -= 1;
                    st[sp]
                }
            }};
        }
        let mut pc = 0usize;
        let mi = member.wrapping_mul(MEMBER_INPUTS.len());
        let mvb = member.wrapping_mul(self.mv_count);
        while let Some(&op) = code.get(pc) {
            pc += 1;
            match op {
                Op::Const(v) => push!(v),
                Op::HI(s) => {
                    // A declared input the household's inputs lack (kept under another policy) is unknown.
                    let v = inp.h.get(s as usize).copied().unwrap_or(UNKNOWN);
                    if v == FAILED {
                        return Err(Fault::Missing(Entity::Household, s, member));
                    }
                    push!(v)
                }
                Op::MI(s) => {
                    let v = inp.m[mi + s as usize];
                    if v == FAILED {
                        return Err(Fault::Missing(Entity::Member, s, member));
                    }
                    push!(v)
                }
                Op::HV(s) => push!(hv[s as usize]),
                Op::MV(s) => push!(mv[mvb + s as usize]),
                Op::Neg | Op::Abs | Op::Not | Op::Known => {
                    if sp == 0 {
                        return Err(Fault::Overflow);
                    }
                    let a = &mut st[sp - 1];
                    *a = match op {
                        Op::Known => i64::from(*a != UNKNOWN),
                        _ if *a == UNKNOWN => UNKNOWN,
                        Op::Neg => a.checked_neg().ok_or(Fault::Overflow)?,
                        Op::Abs => a.checked_abs().ok_or(Fault::Overflow)?,
                        _ => i64::from(*a == 0),
                    };
                }
                Op::JumpIfFalseKeep(t) => {
                    if sp > 0 && st[sp - 1] == 0 {
                        pc = t as usize;
                    }
                }
                Op::JumpIfTrueKeep(t) => {
                    if sp > 0 && st[sp - 1] == 1 {
                        pc = t as usize;
                    }
                }
                Op::Cond(else_at, end) => {
                    let c = pop!();
                    if c == UNKNOWN {
                        push!(UNKNOWN);
                        pc = end as usize;
                    } else if c == 0 {
                        pc = else_at as usize;
                    }
                }
                Op::Jump(t) => pc = t as usize,
                Op::Agg(kind, sub) => {
                    let code = &self.subs[sub as usize];
                    let mut acc: i64 = match kind {
                        AggKind::All => 1,
                        AggKind::Max => i64::MIN + 2,
                        AggKind::Min => i64::MAX,
                        _ => 0,
                    };
                    let mut unknown = false;
                    for k in 0..inp.members {
                        let v = self.run(code, inp, hv, mv, k)?;
                        if v == UNKNOWN {
                            unknown = true;
                            continue;
                        }
                        acc = match kind {
                            AggKind::Sum => acc.checked_add(v).ok_or(Fault::Overflow)?,
                            AggKind::Count => acc + v,
                            AggKind::Any => acc | v,
                            AggKind::All => acc & v,
                            AggKind::Max => acc.max(v),
                            AggKind::Min => acc.min(v),
                        };
                    }
                    let v = match kind {
                        // A known true member decides `any`, a known false one decides `all`.
                        AggKind::Any if acc == 1 => 1,
                        AggKind::All if acc == 0 => 0,
                        _ if unknown => UNKNOWN,
                        AggKind::Max | AggKind::Min if inp.members == 0 => 0,
                        _ => acc,
                    };
                    push!(v);
                }
                _ => {
                    let b = pop!();
                    let a = pop!();
                    let v = match op {
                        Op::Add => arith(a, b, i64::checked_add)?,
                        Op::Sub => arith(a, b, i64::checked_sub)?,
                        // Anything times zero is zero, known or not.
                        Op::Mul if a == 0 || b == 0 => 0,
                        Op::Mul => arith(a, b, i64::checked_mul)?,
                        Op::Min => arith(a, b, |x, y| Some(x.min(y)))?,
                        Op::Max => arith(a, b, |x, y| Some(x.max(y)))?,
                        Op::Div(r) => div(a, b, r)?,
                        Op::Lt => cmp(a, b, |x, y| x < y),
                        Op::Le => cmp(a, b, |x, y| x <= y),
                        Op::Gt => cmp(a, b, |x, y| x > y),
                        Op::Ge => cmp(a, b, |x, y| x >= y),
                        Op::Eq => cmp(a, b, |x, y| x == y),
                        Op::Ne => cmp(a, b, |x, y| x != y),
                        // `a` was not decisive (the jump did not fire): true and b = b; unknown and b.
                        Op::And => {
                            if b == 0 {
                                0
                            } else if a == UNKNOWN || b == UNKNOWN {
                                UNKNOWN
                            } else {
                                1
                            }
                        }
                        Op::Or => {
                            if b == 1 {
                                1
                            } else if a == UNKNOWN || b == UNKNOWN {
                                UNKNOWN
                            } else {
                                0
                            }
                        }
                        _ => return Err(Fault::Overflow),
                    };
                    push!(v);
                }
            }
        }
        Ok(pop!())
    }

    fn fault(&self, rule: usize, f: Fault, inp: &Inputs) -> RulesError {
        let id = self.rules.get(rule).map(|r| r.id.clone()).unwrap_or_default();
        match f {
            Fault::Missing(e, s, member) => {
                let def = self.input_info(e, s as usize);
                let who = (e == Entity::Member).then_some(member);
                let note = inp
                    .notes
                    .iter()
                    .find(|(m, en, sl, _)| *en == e && *sl == s as usize && (who.is_none() || *m == who))
                    .map(|n| n.3.clone())
                    .unwrap_or_else(|| format!("提供“{}”的数据源未反馈", def.categories.join("、")));
                RulesError::MissingFact { rule: id, input: def.title.into(), note }
            }
            Fault::DivZero => RulesError::Arithmetic { rule: id, message: "除数为零".into() },
            Fault::Overflow => RulesError::Arithmetic { rule: id, message: "数值超出范围".into() },
        }
    }

    /// Evaluates one variable for one member (or the household): picks the rule that applies.
    fn step(&self, st: &Step, inp: &Inputs, fr: &mut Frame, member: usize) -> Result<(i64, u32), RulesError> {
        // One unconditional rule: the common case.
        if let [group] = st.groups.as_slice()
            && let [alt] = group.as_slice()
            && alt.when.is_none()
        {
            let v = self.run(&alt.expr, inp, &fr.hv, &fr.mv, member).map_err(|f| self.fault(alt.rule, f, inp))?;
            return Ok((v, alt.rule as u32));
        }
        for group in &st.groups {
            let mut chosen: Option<usize> = None;
            let mut maybe = false;
            for (i, alt) in group.iter().enumerate() {
                let applies = match &alt.when {
                    None => 1,
                    Some(w) => self.run(w, inp, &fr.hv, &fr.mv, member).map_err(|f| self.fault(alt.rule, f, inp))?,
                };
                if applies == UNKNOWN {
                    maybe = true;
                } else if applies != 0 {
                    if let Some(prev) = chosen {
                        return Err(RulesError::Conflict {
                            var: self.vars[st.var].name.clone(),
                            a: self.rules[group[prev].rule].id.clone(),
                            b: self.rules[alt.rule].id.clone(),
                            priority: self.rules[alt.rule].priority,
                        });
                    }
                    chosen = Some(i);
                }
            }
            match chosen {
                // Another rule of the same priority might also apply: the answer is not known.
                Some(i) if maybe => return Ok((UNKNOWN, group[i].rule as u32)),
                Some(i) => {
                    let alt = &group[i];
                    let v =
                        self.run(&alt.expr, inp, &fr.hv, &fr.mv, member).map_err(|f| self.fault(alt.rule, f, inp))?;
                    return Ok((v, alt.rule as u32));
                }
                None if maybe => return Ok((UNKNOWN, NO_RULE)),
                None => {}
            }
        }
        let rules: Vec<String> = st.groups.iter().flatten().map(|a| self.rules[a.rule].id.clone()).collect();
        Err(RulesError::NoneApplies { var: self.vars[st.var].name.clone(), rules: rules.join("、") })
    }

    /// Evaluates every variable for one household into `fr`.
    pub fn eval_into(&self, inp: &Inputs, fr: &mut Frame) -> Result<(), RulesError> {
        self.eval_steps(inp, fr, false)
    }

    fn eval_steps(&self, inp: &Inputs, fr: &mut Frame, only_needed: bool) -> Result<(), RulesError> {
        fr.hv.clear();
        fr.hv.resize(self.hv_count, UNKNOWN);
        fr.mv.clear();
        fr.mv.resize(self.mv_count * inp.members, UNKNOWN);
        fr.chosen_h.clear();
        fr.chosen_h.resize(self.hv_count, NO_RULE);
        fr.chosen_m.clear();
        fr.chosen_m.resize(self.mv_count * inp.members, NO_RULE);
        for st in self.steps.iter().filter(|s| s.needed || !only_needed) {
            let v = &self.vars[st.var];
            let slot = v.slot as usize;
            match v.entity {
                Entity::Household => {
                    let (x, r) = self.step(st, inp, fr, usize::MAX)?;
                    fr.hv[slot] = x;
                    fr.chosen_h[slot] = r;
                }
                Entity::Member => {
                    for k in 0..inp.members {
                        let (x, r) = self.step(st, inp, fr, k)?;
                        fr.mv[k * self.mv_count + slot] = x;
                        fr.chosen_m[k * self.mv_count + slot] = r;
                    }
                }
            }
        }
        Ok(())
    }

    /// The value of a household variable after [`Program::eval_into`].
    pub fn value(&self, fr: &Frame, var: usize) -> i64 {
        let v = &self.vars[var];
        match v.entity {
            Entity::Household => fr.hv.get(v.slot as usize).copied().unwrap_or(UNKNOWN),
            Entity::Member => UNKNOWN,
        }
    }

    /// The value of a member variable for member `k`.
    pub fn member_value(&self, fr: &Frame, var: usize, k: usize) -> i64 {
        let v = &self.vars[var];
        fr.mv.get(k * self.mv_count + v.slot as usize).copied().unwrap_or(UNKNOWN)
    }

    /// The outcome of the tests after [`Program::eval_into`].
    pub fn outcome(&self, fr: &Frame) -> TestOutcome {
        let mut out = TestOutcome::Pass;
        for t in &self.tests {
            match self.value(fr, t.pass) {
                0 => return TestOutcome::Fail,
                1 => {}
                _ => out = TestOutcome::Unknown,
            }
        }
        out
    }

    /// Evaluates one household without a trace: the fast path for batches and simulations.
    pub fn eval(&self, inp: &Inputs, fr: &mut Frame) -> Result<Verdict, RulesError> {
        self.eval_steps(inp, fr, true)?;
        let outcome = self.outcome(fr);
        let benefit = self.benefit.map(|b| self.value(fr, b)).filter(|v| *v != UNKNOWN);
        Ok(Verdict { outcome, benefit })
    }
}

impl Program {
    /// Instructions per variable (for benchmarks and `hedui policy show`): name, entity, rules,
    /// and the instructions of its expressions and conditions.
    pub fn code_size(&self) -> Vec<(String, Entity, usize, usize)> {
        self.steps
            .iter()
            .map(|st| {
                let v = &self.vars[st.var];
                let n: usize =
                    st.groups.iter().flatten().map(|a| a.expr.len() + a.when.as_ref().map_or(0, Vec::len)).sum();
                (v.name.clone(), v.entity, st.groups.iter().flatten().count(), n)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_rounds_as_named() {
        let d = |a, b, r| div(a, b, r).unwrap_or(-999);
        assert_eq!(d(7, 2, Rounding::Floor), 3);
        assert_eq!(d(7, 2, Rounding::Ceil), 4);
        assert_eq!(d(7, 2, Rounding::HalfUp), 4);
        assert_eq!(d(-7, 2, Rounding::Floor), -4);
        assert_eq!(d(-7, 2, Rounding::Ceil), -3);
        assert_eq!(d(-7, 2, Rounding::HalfUp), -4);
        assert_eq!(d(5, 3, Rounding::HalfUp), 2);
        assert_eq!(d(4, 3, Rounding::HalfUp), 1);
        assert_eq!(d(6, 3, Rounding::Ceil), 2);
        assert_eq!(div(1, 0, Rounding::Floor), Err(Fault::DivZero));
        assert_eq!(d(UNKNOWN, 3, Rounding::Floor), UNKNOWN);
    }
}
