//! Compiling a programme: name resolution, types, cycles and bytecode.
//!
//! Only what a programme's tests, benefit and shown variables need is compiled, in dependency
//! order. Parameters are folded into constants, so evaluation never looks a name up.

use std::collections::BTreeMap;

use hedui_core::programme::Programme;

use super::bytecode::{Alt, CTest, Op, Program, RuleInfo, STACK, Step, VarInfo};
use super::expr::{Ast, parse};
use super::inputs::Entity;
use super::{ParamGap, ParamValue, Resolved, ResolvedParam, RulesError, Unit};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Ty {
    Int,
    Bool,
    Word,
}

pub(crate) enum State {
    Visiting,
    Done(usize, Ty),
}

pub(crate) struct Compiler<'a> {
    pub(crate) res: &'a Resolved,
    pub(crate) vars: Vec<VarInfo>,
    pub(crate) var_ty: Vec<Ty>,
    pub(crate) rules: Vec<RuleInfo>,
    pub(crate) params: Vec<ResolvedParam>,
    pub(crate) steps: Vec<Step>,
    pub(crate) subs: Vec<Vec<Op>>,
    pub(crate) state: BTreeMap<String, State>,
    pub(crate) path: Vec<String>,
    pub(crate) hv: usize,
    pub(crate) mv: usize,
}

/// What an expression is being compiled for.
pub(crate) struct Ctx<'r> {
    pub(crate) rule: &'r str,
    pub(crate) entity: Entity,
    pub(crate) params: Vec<usize>,
    pub(crate) inputs: Vec<(Entity, usize)>,
    pub(crate) vars: Vec<usize>,
}

impl Ctx<'static> {
    /// For emitting an already checked (folded) expression: records nothing new.
    pub(crate) fn quiet(entity: Entity) -> Ctx<'static> {
        Ctx { rule: "", entity, params: vec![], inputs: vec![], vars: vec![] }
    }
}

pub(crate) fn type_err<T>(rule: &str, message: impl Into<String>) -> Result<T, RulesError> {
    Err(RulesError::Type { rule: rule.into(), message: message.into() })
}

pub(crate) fn ty_name(t: Ty) -> &'static str {
    match t {
        Ty::Int => "数值",
        Ty::Bool => "是/否",
        Ty::Word => "文字",
    }
}

impl<'a> Compiler<'a> {
    pub(crate) fn param(&mut self, name: &str, ctx: &mut Ctx) -> Result<Option<(usize, &ResolvedParam)>, RulesError> {
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
    pub(crate) fn var(&mut self, name: &str, needed_by: &str) -> Result<(usize, Ty), RulesError> {
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
            if depth_bound(&code) >= STACK || self.subs.iter().any(|s| depth_bound(s) >= STACK) {
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

pub(crate) fn input_ty(unit: Unit) -> Ty {
    if unit == Unit::Bool { Ty::Bool } else { Ty::Int }
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
        declared: res.inputs.clone(),
    })
}
