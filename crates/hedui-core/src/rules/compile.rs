//! Compiling a programme: name resolution, types, cycles and bytecode.
//!
//! Only what a programme's tests, benefit and shown variables need is compiled, in dependency
//! order. Parameters are folded into constants, so evaluation never looks a name up.
// tidy: allow(long-file): the compiler passes share one Compiler; they split into passes with the rules crate in issue 10.

use std::collections::BTreeMap;

use crate::date::Date;
use crate::programme::Programme;

use super::expr::{Ast, BinOp, parse};
use super::inputs::{self, Entity, InputDef};
use super::vm::{AggKind, Op, Rounding};
use super::{ParamGap, ParamValue, Resolved, ResolvedParam, RulesError, TestDef, Unit};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Ty {
    Int,
    Bool,
    Word,
}

/// A compiled variable.
#[derive(Clone, Debug)]
pub struct VarInfo {
    pub name: String,
    pub title: String,
    pub unit: Unit,
    pub entity: Entity,
    pub(crate) slot: u16,
    /// Indices into `Program::rules`.
    pub rules: Vec<usize>,
    /// The value, when one unconditional rule defines it from parameters alone.
    pub constant: Option<i64>,
}

/// A compiled rule: where it comes from and what it reads.
#[derive(Clone, Debug)]
pub struct RuleInfo {
    pub id: String,
    pub var: usize,
    pub doc: String,
    pub region: String,
    pub expr: String,
    pub when: Option<String>,
    pub priority: i32,
    pub from: Date,
    pub to: Option<Date>,
    /// Indices into `Program::params`.
    pub params: Vec<usize>,
    pub inputs: Vec<(Entity, usize)>,
    /// Indices into `Program::vars`.
    pub vars: Vec<usize>,
}

#[derive(Clone, Debug)]
pub(crate) struct Alt {
    pub rule: usize,
    pub when: Option<Vec<Op>>,
    pub expr: Vec<Op>,
}

#[derive(Clone, Debug)]
pub(crate) struct Step {
    pub var: usize,
    /// Alternatives grouped by priority, highest first.
    pub groups: Vec<Vec<Alt>>,
    /// Needed for the tests and the benefit (the fast path skips the rest).
    pub needed: bool,
}

/// A compiled test.
#[derive(Clone, Debug)]
pub struct CTest {
    pub def: TestDef,
    pub pass: usize,
    pub found: Option<usize>,
    pub limit: Option<usize>,
}

/// A programme compiled for one region and date.
#[derive(Clone, Debug)]
pub struct Program {
    pub programme: Programme,
    pub region: String,
    pub as_of: Date,
    /// The documents applied, province first.
    pub chain: Vec<(String, String)>,
    /// The programme entry's document and region.
    pub doc: String,
    pub doc_region: String,
    pub vars: Vec<VarInfo>,
    pub rules: Vec<RuleInfo>,
    pub params: Vec<ResolvedParam>,
    pub tests: Vec<CTest>,
    pub benefit: Option<usize>,
    pub show: Vec<usize>,
    pub(crate) steps: Vec<Step>,
    pub(crate) subs: Vec<Vec<Op>>,
    pub(crate) hv_count: usize,
    pub(crate) mv_count: usize,
    /// A copy of every word parameter the rules compare (for the trace).
    pub wording: Option<String>,
}

impl Program {
    pub fn var(&self, name: &str) -> Option<usize> {
        self.vars.iter().position(|v| v.name == name)
    }
}

enum State {
    Visiting,
    Done(usize, Ty),
}

struct Compiler<'a> {
    res: &'a Resolved,
    vars: Vec<VarInfo>,
    var_ty: Vec<Ty>,
    rules: Vec<RuleInfo>,
    params: Vec<ResolvedParam>,
    steps: Vec<Step>,
    subs: Vec<Vec<Op>>,
    state: BTreeMap<String, State>,
    path: Vec<String>,
    hv: usize,
    mv: usize,
}

/// What an expression is being compiled for.
struct Ctx<'r> {
    rule: &'r str,
    entity: Entity,
    params: Vec<usize>,
    inputs: Vec<(Entity, usize)>,
    vars: Vec<usize>,
}

impl Ctx<'static> {
    /// For emitting an already checked (folded) expression: records nothing new.
    fn quiet(entity: Entity) -> Ctx<'static> {
        Ctx { rule: "", entity, params: vec![], inputs: vec![], vars: vec![] }
    }
}

fn type_err<T>(rule: &str, message: impl Into<String>) -> Result<T, RulesError> {
    Err(RulesError::Type { rule: rule.into(), message: message.into() })
}

fn ty_name(t: Ty) -> &'static str {
    match t {
        Ty::Int => "数值",
        Ty::Bool => "是/否",
        Ty::Word => "文字",
    }
}

impl<'a> Compiler<'a> {
    fn param(&mut self, name: &str, ctx: &mut Ctx) -> Result<Option<(usize, &ResolvedParam)>, RulesError> {
        if let Some(p) = self.res.params.get(name) {
            let i = match self.params.iter().position(|q| q.key == name) {
                Some(i) => i,
                None => {
                    self.params.push(p.clone());
                    self.params.len() - 1
                }
            };
            if !ctx.params.contains(&i) {
                ctx.params.push(i);
            }
            return Ok(Some((i, p)));
        }
        match self.res.gaps.get(name) {
            Some(ParamGap::OutOfValidity { periods }) => Err(RulesError::OutOfValidity {
                key: name.into(),
                as_of: self.res.as_of,
                periods: periods.clone(),
                rule: ctx.rule.into(),
            }),
            Some(ParamGap::Overlap { a, b }) => {
                Err(RulesError::ParamOverlap { key: name.into(), as_of: self.res.as_of, a: a.clone(), b: b.clone() })
            }
            None => Ok(None),
        }
    }

    /// Compiles the variable `name` (and, first, everything it needs); returns its index.
    // tidy: allow(long-fn): one match over every input and derived name; splitting it scatters the name table.
    fn var(&mut self, name: &str, needed_by: &str) -> Result<(usize, Ty), RulesError> {
        match self.state.get(name) {
            Some(State::Done(i, t)) => return Ok((*i, *t)),
            Some(State::Visiting) => {
                let start = self.path.iter().position(|p| p == name).unwrap_or(0);
                let mut path: Vec<String> = self.path[start..].to_vec();
                path.push(name.to_string());
                return Err(RulesError::Cycle { path });
            }
            None => {}
        }
        let Some(defs) = self.res.rules.get(name) else {
            if self.res.lapsed.contains_key(name) {
                return Err(RulesError::NoRule {
                    var: name.into(),
                    as_of: self.res.as_of,
                    needed_by: needed_by.into(),
                });
            }
            return Err(RulesError::UnknownName { rule: needed_by.into(), name: name.into() });
        };
        let defs = defs.clone();
        self.state.insert(name.to_string(), State::Visiting);
        self.path.push(name.to_string());

        let entity = defs[0].def.entity;
        if let Some(other) = defs.iter().find(|r| r.def.entity != entity) {
            return type_err(&other.def.id, format!("{} 的各条规则实体不一致（家庭/成员）", name));
        }
        let mut alts: Vec<(i32, Alt)> = Vec::new();
        let mut ty: Option<Ty> = None;
        let mut constant: Option<i64> = None;
        let mut rule_ids = Vec::new();
        let first_rule = self.rules.len();
        for r in &defs {
            let d = &r.def;
            let mut ctx = Ctx { rule: &d.id, entity, params: vec![], inputs: vec![], vars: vec![] };
            let syntax = |field: &'static str, e: super::expr::SyntaxError| RulesError::Syntax {
                rule: d.id.clone(),
                field,
                message: e.to_string(),
            };
            let ast = parse(&d.expr).map_err(|e| syntax("表达式", e))?;
            // Checked and traced as written; run as folded.
            let t = self.expr(&ast, &mut ctx, &mut Vec::new())?;
            let folded = self.fold(&ast);
            let mut code = Vec::new();
            self.expr(&folded, &mut Ctx::quiet(entity), &mut code)?;
            if depth_bound(&code) >= super::vm::STACK || self.subs.iter().any(|s| depth_bound(s) >= super::vm::STACK) {
                return type_err(&d.id, "表达式嵌套过深，请拆分为几条规则");
            }
            if defs.len() == 1 && d.when.is_none() {
                constant = match folded {
                    Ast::Int(v) => Some(v),
                    Ast::Bool(b) => Some(i64::from(b)),
                    _ => None,
                };
            }
            if t == Ty::Word {
                return type_err(&d.id, "规则的结果不能是文字");
            }
            if ty.is_some_and(|prev| prev != t) {
                return type_err(&d.id, format!("{} 的各条规则结果类型不一致", name));
            }
            ty = Some(t);
            let when = match &d.when {
                Some(w) => {
                    let ast = parse(w).map_err(|e| syntax("适用条件", e))?;
                    if self.expr(&ast, &mut ctx, &mut Vec::new())? != Ty::Bool {
                        return type_err(&d.id, "适用条件必须是是/否");
                    }
                    let mut c = Vec::new();
                    self.expr(&self.fold(&ast), &mut Ctx::quiet(entity), &mut c)?;
                    Some(c)
                }
                None => None,
            };
            self.rules.push(RuleInfo {
                id: d.id.clone(),
                var: usize::MAX,
                doc: d.doc.clone(),
                region: r.region.clone(),
                expr: d.expr.clone(),
                when: d.when.clone(),
                priority: d.priority,
                from: d.from,
                to: d.to,
                params: ctx.params,
                inputs: ctx.inputs,
                vars: ctx.vars,
            });
            let rule = self.rules.len() - 1;
            rule_ids.push(rule);
            alts.push((d.priority, Alt { rule, when, expr: code }));
        }
        // Two rules without a condition at the same priority always conflict: refuse now.
        for (i, (pa, a)) in alts.iter().enumerate() {
            for (pb, b) in alts.iter().skip(i + 1) {
                if pa == pb && a.when.is_none() && b.when.is_none() {
                    return Err(RulesError::Conflict {
                        var: name.into(),
                        a: self.rules[a.rule].id.clone(),
                        b: self.rules[b.rule].id.clone(),
                        priority: *pa,
                    });
                }
            }
        }
        alts.sort_by_key(|a| std::cmp::Reverse(a.0));
        let mut groups: Vec<Vec<Alt>> = Vec::new();
        let mut last = None;
        for (p, alt) in alts {
            if last != Some(p) {
                groups.push(Vec::new());
                last = Some(p);
            }
            if let Some(g) = groups.last_mut() {
                g.push(alt);
            }
        }
        let title = defs.iter().find_map(|r| r.def.title.clone()).unwrap_or_else(|| name.to_string());
        let ty = ty.unwrap_or(Ty::Int);
        let unit =
            defs.iter().find_map(|r| r.def.unit).unwrap_or(if ty == Ty::Bool { Unit::Bool } else { Unit::Count });
        let slot = match entity {
            Entity::Household => {
                self.hv += 1;
                self.hv - 1
            }
            Entity::Member => {
                self.mv += 1;
                self.mv - 1
            }
        };
        let idx = self.vars.len();
        self.vars.push(VarInfo {
            name: name.to_string(),
            title,
            unit,
            entity,
            slot: slot as u16,
            rules: rule_ids,
            constant,
        });
        self.var_ty.push(ty);
        for r in &mut self.rules[first_rule..] {
            if r.var == usize::MAX {
                r.var = idx;
            }
        }
        self.steps.push(Step { var: idx, groups, needed: false });
        self.path.pop();
        self.state.insert(name.to_string(), State::Done(idx, ty));
        Ok((idx, ty))
    }

    fn expr(&mut self, ast: &Ast, ctx: &mut Ctx, code: &mut Vec<Op>) -> Result<Ty, RulesError> {
        match ast {
            Ast::Int(v) => {
                code.push(Op::Const(*v));
                Ok(Ty::Int)
            }
            Ast::Bool(b) => {
                code.push(Op::Const(i64::from(*b)));
                Ok(Ty::Bool)
            }
            Ast::Str(_) => type_err(ctx.rule, "文字只能与文字参数比较，或作为 round 的取整方式"),
            Ast::Name(n) => self.name(n, ctx, code),
            Ast::Neg(a) => {
                self.int(a, ctx, code)?;
                code.push(Op::Neg);
                Ok(Ty::Int)
            }
            Ast::Not(a) => {
                self.boolean(a, ctx, code)?;
                code.push(Op::Not);
                Ok(Ty::Bool)
            }
            Ast::Bin(op, a, b) => self.bin(*op, a, b, ctx, code),
            Ast::Call(f, args) => self.call(f, args, ctx, code),
        }
    }

    fn word_of(&mut self, ast: &Ast, ctx: &mut Ctx) -> Result<Option<String>, RulesError> {
        Ok(match ast {
            Ast::Str(s) => Some(s.clone()),
            Ast::Name(n) => match self.param(n, ctx)? {
                Some((_, p)) => match &p.value {
                    ParamValue::Word(w) => Some(w.clone()),
                    ParamValue::Int(_) => None,
                },
                None => None,
            },
            _ => None,
        })
    }

    fn int(&mut self, a: &Ast, ctx: &mut Ctx, code: &mut Vec<Op>) -> Result<(), RulesError> {
        let t = self.expr(a, ctx, code)?;
        if t != Ty::Int {
            return type_err(ctx.rule, format!("此处需要数值，得到的是{}", ty_name(t)));
        }
        Ok(())
    }

    fn boolean(&mut self, a: &Ast, ctx: &mut Ctx, code: &mut Vec<Op>) -> Result<(), RulesError> {
        let t = self.expr(a, ctx, code)?;
        if t != Ty::Bool {
            return type_err(ctx.rule, format!("此处需要是/否，得到的是{}", ty_name(t)));
        }
        Ok(())
    }

    fn name(&mut self, n: &str, ctx: &mut Ctx, code: &mut Vec<Op>) -> Result<Ty, RulesError> {
        let is_param = self.res.params.contains_key(n) || self.res.gaps.contains_key(n);
        let input = inputs::input(n);
        let is_var = self.res.rules.contains_key(n) || self.res.lapsed.contains_key(n);
        let kinds: Vec<&'static str> = [(is_param, "参数"), (input.is_some(), "输入"), (is_var, "规则变量")]
            .into_iter()
            .filter(|(b, _)| *b)
            .map(|(_, k)| k)
            .collect();
        if kinds.len() > 1 {
            return Err(RulesError::Ambiguous { name: n.into(), a: kinds[0], b: kinds[1] });
        }
        if is_param {
            let Some((_, p)) = self.param(n, ctx)? else {
                return Err(RulesError::UnknownName { rule: ctx.rule.into(), name: n.into() });
            };
            return match p.value {
                ParamValue::Int(v) => {
                    code.push(Op::Const(v));
                    Ok(Ty::Int)
                }
                ParamValue::Word(_) => type_err(ctx.rule, format!("文字参数 {} 只能与文字比较", n)),
            };
        }
        if let Some((entity, slot, def)) = input {
            self.entity_ok(entity, n, ctx)?;
            if !ctx.inputs.contains(&(entity, slot)) {
                ctx.inputs.push((entity, slot));
            }
            code.push(match entity {
                Entity::Household => Op::HI(slot as u16),
                Entity::Member => Op::MI(slot as u16),
            });
            return Ok(input_ty(def));
        }
        let rule = ctx.rule.to_string();
        let (idx, ty) = self.var(n, &rule)?;
        let v = &self.vars[idx];
        self.entity_ok(v.entity, n, ctx)?;
        if !ctx.vars.contains(&idx) {
            ctx.vars.push(idx);
        }
        if let Some(c) = v.constant {
            code.push(Op::Const(c));
            return Ok(ty);
        }
        code.push(match v.entity {
            Entity::Household => Op::HV(v.slot),
            Entity::Member => Op::MV(v.slot),
        });
        Ok(ty)
    }

    fn entity_ok(&self, e: Entity, n: &str, ctx: &Ctx) -> Result<(), RulesError> {
        if e == Entity::Member && ctx.entity == Entity::Household {
            return type_err(
                ctx.rule,
                format!("{} 是成员层面的值，家庭层面的规则须用 sum、count、any、all、max_member 或 min_member 汇总", n),
            );
        }
        Ok(())
    }

    fn bin(&mut self, op: BinOp, a: &Ast, b: &Ast, ctx: &mut Ctx, code: &mut Vec<Op>) -> Result<Ty, RulesError> {
        match op {
            BinOp::And | BinOp::Or => {
                self.boolean(a, ctx, code)?;
                let jump = code.len();
                code.push(if op == BinOp::And { Op::JumpIfFalseKeep(0) } else { Op::JumpIfTrueKeep(0) });
                self.boolean(b, ctx, code)?;
                code.push(if op == BinOp::And { Op::And } else { Op::Or });
                let end = code.len() as u32;
                code[jump] = if op == BinOp::And { Op::JumpIfFalseKeep(end) } else { Op::JumpIfTrueKeep(end) };
                Ok(Ty::Bool)
            }
            BinOp::Eq | BinOp::Ne => {
                // Words are compared when the policy is compiled.
                let (wa, wb) = (self.word_of(a, ctx)?, self.word_of(b, ctx)?);
                match (wa, wb) {
                    (Some(x), Some(y)) => {
                        code.push(Op::Const(i64::from((x == y) == (op == BinOp::Eq))));
                        return Ok(Ty::Bool);
                    }
                    (Some(_), None) | (None, Some(_)) => {
                        return type_err(ctx.rule, "文字只能与文字比较");
                    }
                    (None, None) => {}
                }
                let ta = self.expr(a, ctx, code)?;
                let tb = self.expr(b, ctx, code)?;
                if ta != tb {
                    return type_err(ctx.rule, format!("不能比较{}与{}", ty_name(ta), ty_name(tb)));
                }
                code.push(if op == BinOp::Eq { Op::Eq } else { Op::Ne });
                Ok(Ty::Bool)
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                self.int(a, ctx, code)?;
                self.int(b, ctx, code)?;
                code.push(match op {
                    BinOp::Lt => Op::Lt,
                    BinOp::Le => Op::Le,
                    BinOp::Gt => Op::Gt,
                    _ => Op::Ge,
                });
                Ok(Ty::Bool)
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul => {
                self.int(a, ctx, code)?;
                self.int(b, ctx, code)?;
                code.push(match op {
                    BinOp::Add => Op::Add,
                    BinOp::Sub => Op::Sub,
                    _ => Op::Mul,
                });
                Ok(Ty::Int)
            }
        }
    }

    // tidy: allow(long-fn): one match over the rules language's functions, each arm its type rule and code.
    fn call(&mut self, f: &str, args: &[Ast], ctx: &mut Ctx, code: &mut Vec<Op>) -> Result<Ty, RulesError> {
        let arity = |n: usize| -> Result<(), RulesError> {
            if args.len() != n {
                return type_err(ctx.rule, format!("函数 {} 需要 {} 个参数，写了 {} 个", f, n, args.len()));
            }
            Ok(())
        };
        match f {
            "if" => {
                arity(3)?;
                self.boolean(&args[0], ctx, code)?;
                let cond = code.len();
                code.push(Op::Cond(0, 0));
                let ta = self.expr(&args[1], ctx, code)?;
                let jump = code.len();
                code.push(Op::Jump(0));
                let else_at = code.len() as u32;
                let tb = self.expr(&args[2], ctx, code)?;
                if ta != tb || ta == Ty::Word {
                    return type_err(ctx.rule, "if 的两个分支类型必须相同");
                }
                let end = code.len() as u32;
                code[cond] = Op::Cond(else_at, end);
                code[jump] = Op::Jump(end);
                Ok(ta)
            }
            "min" | "max" => {
                if args.len() < 2 {
                    return type_err(ctx.rule, format!("函数 {} 至少需要 2 个参数", f));
                }
                self.int(&args[0], ctx, code)?;
                for a in &args[1..] {
                    self.int(a, ctx, code)?;
                    code.push(if f == "min" { Op::Min } else { Op::Max });
                }
                Ok(Ty::Int)
            }
            "abs" => {
                arity(1)?;
                self.int(&args[0], ctx, code)?;
                code.push(Op::Abs);
                Ok(Ty::Int)
            }
            "div_floor" | "div_ceil" | "div_round" => {
                arity(2)?;
                self.int(&args[0], ctx, code)?;
                self.int(&args[1], ctx, code)?;
                code.push(Op::Div(match f {
                    "div_floor" => Rounding::Floor,
                    "div_ceil" => Rounding::Ceil,
                    _ => Rounding::HalfUp,
                }));
                Ok(Ty::Int)
            }
            "round" => {
                arity(3)?;
                let Some(mode) = self.word_of(&args[2], ctx)? else {
                    return type_err(
                        ctx.rule,
                        "round 的第三个参数应为取整方式（文字参数或 \"ceil\"、\"floor\"、\"half_up\"）",
                    );
                };
                let r = match mode.as_str() {
                    "ceil" => Rounding::Ceil,
                    "floor" => Rounding::Floor,
                    "half_up" => Rounding::HalfUp,
                    other => {
                        return type_err(
                            ctx.rule,
                            format!("取整方式“{}”无效，应为 ceil（进位）、floor（舍去）或 half_up（四舍五入）", other),
                        );
                    }
                };
                self.int(&args[0], ctx, code)?;
                self.int(&args[1], ctx, code)?;
                code.push(Op::Div(r));
                Ok(Ty::Int)
            }
            "known" => {
                arity(1)?;
                let t = self.expr(&args[0], ctx, code)?;
                if t == Ty::Word {
                    return type_err(ctx.rule, "known 的参数不能是文字");
                }
                code.push(Op::Known);
                Ok(Ty::Bool)
            }
            "sum" | "count" | "any" | "all" | "max_member" | "min_member" => {
                arity(1)?;
                if ctx.entity == Entity::Member {
                    return type_err(ctx.rule, format!("{} 汇总全体成员，只能用于家庭层面的规则", f));
                }
                let (kind, want) = match f {
                    "sum" => (AggKind::Sum, Ty::Int),
                    "count" => (AggKind::Count, Ty::Bool),
                    "any" => (AggKind::Any, Ty::Bool),
                    "all" => (AggKind::All, Ty::Bool),
                    "max_member" => (AggKind::Max, Ty::Int),
                    _ => (AggKind::Min, Ty::Int),
                };
                let mut sub = Vec::new();
                ctx.entity = Entity::Member;
                let t = self.expr(&args[0], ctx, &mut sub);
                ctx.entity = Entity::Household;
                let t = t?;
                if t != want {
                    return type_err(ctx.rule, format!("{} 的参数应为{}", f, ty_name(want)));
                }
                self.subs.push(sub);
                code.push(Op::Agg(kind, (self.subs.len() - 1) as u32));
                Ok(if matches!(kind, AggKind::Any | AggKind::All) { Ty::Bool } else { Ty::Int })
            }
            other => type_err(
                ctx.rule,
                format!(
                    "未知函数 {}（可用：if、min、max、abs、div_floor、div_ceil、div_round、round、known、sum、count、any、all、max_member、min_member）",
                    other
                ),
            ),
        }
    }
}

impl Compiler<'_> {
    /// A name's constant value: an integer parameter, or a constant variable.
    fn constant(&self, n: &str) -> Option<Ast> {
        if let Some(p) = self.res.params.get(n) {
            return match p.value {
                ParamValue::Int(v) => Some(Ast::Int(v)),
                ParamValue::Word(_) => None,
            };
        }
        let i = self.vars.iter().position(|v| v.name == n)?;
        let c = self.vars[i].constant?;
        Some(if self.var_ty[i] == Ty::Bool { Ast::Bool(c != 0) } else { Ast::Int(c) })
    }

    /// Folds parameters and constant variables into the expression and simplifies what that
    /// decides. Only identities that hold for every value, known or not, are used (x × 0 = 0,
    /// false and x = false …), so a folded expression means exactly what the written one does.
    fn fold(&self, a: &Ast) -> Ast {
        use Ast::*;
        match a {
            Name(n) => self.constant(n).unwrap_or_else(|| a.clone()),
            Int(_) | Bool(_) | Str(_) => a.clone(),
            Neg(x) => match self.fold(x) {
                Int(v) if v != i64::MIN => Int(-v),
                x => Neg(Box::new(x)),
            },
            Not(x) => match self.fold(x) {
                Bool(b) => Bool(!b),
                x => Not(Box::new(x)),
            },
            Bin(op, l, r) => {
                let (l, r) = (self.fold(l), self.fold(r));
                match (op, &l, &r) {
                    (BinOp::And, Bool(false), _) | (BinOp::And, _, Bool(false)) => Bool(false),
                    (BinOp::And, Bool(true), _) => r,
                    (BinOp::And, _, Bool(true)) => l,
                    (BinOp::Or, Bool(true), _) | (BinOp::Or, _, Bool(true)) => Bool(true),
                    (BinOp::Or, Bool(false), _) => r,
                    (BinOp::Or, _, Bool(false)) => l,
                    (BinOp::Mul, Int(0), _) | (BinOp::Mul, _, Int(0)) => Int(0),
                    (BinOp::Mul, Int(1), _) => r,
                    (BinOp::Mul, _, Int(1)) => l,
                    (BinOp::Add, Int(0), _) => r,
                    (BinOp::Add | BinOp::Sub, _, Int(0)) => l,
                    (_, Int(x), Int(y)) => {
                        let (x, y) = (*x, *y);
                        let v = match op {
                            BinOp::Add => x.checked_add(y).map(Int),
                            BinOp::Sub => x.checked_sub(y).map(Int),
                            BinOp::Mul => x.checked_mul(y).map(Int),
                            BinOp::Lt => Some(Bool(x < y)),
                            BinOp::Le => Some(Bool(x <= y)),
                            BinOp::Gt => Some(Bool(x > y)),
                            BinOp::Ge => Some(Bool(x >= y)),
                            BinOp::Eq => Some(Bool(x == y)),
                            BinOp::Ne => Some(Bool(x != y)),
                            BinOp::And | BinOp::Or => None,
                        };
                        // Overflow is left for the evaluation to report.
                        v.filter(|v| !matches!(v, Int(i) if *i == i64::MIN || *i == i64::MIN + 1))
                            .unwrap_or_else(|| Bin(*op, Box::new(l.clone()), Box::new(r.clone())))
                    }
                    (BinOp::Eq | BinOp::Ne, Bool(x), Bool(y)) => Bool((x == y) == (*op == BinOp::Eq)),
                    _ => Bin(*op, Box::new(l), Box::new(r)),
                }
            }
            Call(f, args) => {
                let args: Vec<Ast> = args.iter().map(|x| self.fold(x)).collect();
                match (f.as_str(), args.as_slice()) {
                    ("if", [Bool(c), x, y]) => {
                        if *c {
                            x.clone()
                        } else {
                            y.clone()
                        }
                    }
                    ("if", [_, x, y]) if x == y && matches!(x, Int(_) | Bool(_)) => x.clone(),
                    _ => Call(f.clone(), args),
                }
            }
        }
    }
}

/// An upper bound of the stack depth a code needs (jumps only skip work, so the straight-line
/// running depth bounds every path).
fn depth_bound(code: &[Op]) -> usize {
    let (mut d, mut max) = (0i64, 0i64);
    for op in code {
        d += match op {
            Op::Const(_) | Op::HI(_) | Op::HV(_) | Op::MI(_) | Op::MV(_) | Op::Agg(..) => 1,
            Op::Neg | Op::Abs | Op::Not | Op::Known | Op::Jump(_) | Op::JumpIfFalseKeep(_) | Op::JumpIfTrueKeep(_) => 0,
            Op::Cond(..) => 0,
            _ => -1,
        };
        max = max.max(d);
    }
    max as usize
}

fn input_ty(d: &InputDef) -> Ty {
    if d.unit == Unit::Bool { Ty::Bool } else { Ty::Int }
}

/// Compiles `programme` as resolved for one region and date.
pub fn compile(res: &Resolved, programme: Programme) -> Result<Program, RulesError> {
    let Some((def, doc_region)) = res.programmes.get(&programme) else {
        return Err(RulesError::NoProgramme {
            programme: programme.name_zh().into(),
            region: res.region.clone(),
            as_of: res.as_of,
        });
    };
    let mut c = Compiler {
        res,
        vars: vec![],
        var_ty: vec![],
        rules: vec![],
        params: vec![],
        steps: vec![],
        subs: vec![],
        state: BTreeMap::new(),
        path: vec![],
        hv: 0,
        mv: 0,
    };
    let who = format!("{}的核对项", programme.name_zh());
    let mut tests = Vec::new();
    for t in &def.tests {
        let (pass, ty) = c.var(&t.pass, &who)?;
        if ty != Ty::Bool || c.vars[pass].entity != Entity::Household {
            return type_err(&t.pass, format!("核对项“{}”须引用家庭层面的是/否变量", t.title));
        }
        let found = t.found.as_deref().map(|n| c.var(n, &who).map(|v| v.0)).transpose()?;
        let limit = t.limit.as_deref().map(|n| c.var(n, &who).map(|v| v.0)).transpose()?;
        for v in [found, limit].into_iter().flatten() {
            if c.vars[v].entity != Entity::Household {
                return type_err(&c.vars[v].name, "核对项显示的值须为家庭层面的变量");
            }
        }
        tests.push(CTest { def: t.clone(), pass, found, limit });
    }
    let benefit = match &def.benefit {
        Some(b) => {
            let (i, ty) = c.var(b, &who)?;
            if ty != Ty::Int || c.vars[i].entity != Entity::Household {
                return type_err(b, "保障金额须为家庭层面的数值变量");
            }
            Some(i)
        }
        None => None,
    };
    let mut show = Vec::new();
    for s in &def.show {
        let (i, _) = c.var(s, &who)?;
        if c.vars[i].entity != Entity::Household {
            return type_err(s, "显示的值须为家庭层面的变量");
        }
        show.push(i);
    }
    // What the verdict needs: the tests' variables and the benefit, and what they use.
    let mut todo: Vec<usize> = tests.iter().map(|t: &CTest| t.pass).chain(benefit).collect();
    let mut needed = vec![false; c.vars.len()];
    while let Some(v) = todo.pop() {
        if std::mem::replace(&mut needed[v], true) {
            continue;
        }
        for &r in &c.vars[v].rules {
            todo.extend(c.rules[r].vars.iter().copied());
        }
    }
    for st in &mut c.steps {
        st.needed = needed[st.var];
    }
    let wording = res.params.get("report.wording").and_then(|p| match &p.value {
        ParamValue::Word(w) => Some(w.clone()),
        ParamValue::Int(_) => None,
    });
    Ok(Program {
        programme,
        region: res.region.clone(),
        as_of: res.as_of,
        chain: res.chain.clone(),
        doc: def.doc.clone(),
        doc_region: doc_region.clone(),
        vars: c.vars,
        rules: c.rules,
        params: c.params,
        tests,
        benefit,
        show,
        steps: c.steps,
        subs: c.subs,
        hv_count: c.hv,
        mv_count: c.mv,
        wording,
    })
}
