//! Expressions to bytecode: the type of every expression, the code that computes it, and the
//! folding of parameters and constant variables into constants.

use super::bytecode::{AggKind, Op, Rounding};
use super::compile::{Compiler, Ctx, Ty, input_ty, ty_name, type_err};
use super::expr::{Ast, BinOp};
use super::inputs::{self, Entity};
use super::{ParamValue, RulesError};

impl Compiler<'_> {
    pub(crate) fn expr(&mut self, ast: &Ast, ctx: &mut Ctx, code: &mut Vec<Op>) -> Result<Ty, RulesError> {
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

    pub(crate) fn word_of(&mut self, ast: &Ast, ctx: &mut Ctx) -> Result<Option<String>, RulesError> {
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

    pub(crate) fn int(&mut self, a: &Ast, ctx: &mut Ctx, code: &mut Vec<Op>) -> Result<(), RulesError> {
        let t = self.expr(a, ctx, code)?;
        if t != Ty::Int {
            return type_err(ctx.rule, format!("此处需要数值，得到的是{}", ty_name(t)));
        }
        Ok(())
    }

    pub(crate) fn boolean(&mut self, a: &Ast, ctx: &mut Ctx, code: &mut Vec<Op>) -> Result<(), RulesError> {
        let t = self.expr(a, ctx, code)?;
        if t != Ty::Bool {
            return type_err(ctx.rule, format!("此处需要是/否，得到的是{}", ty_name(t)));
        }
        Ok(())
    }

    pub(crate) fn name(&mut self, n: &str, ctx: &mut Ctx, code: &mut Vec<Op>) -> Result<Ty, RulesError> {
        let is_param = self.res.params.contains_key(n) || self.res.gaps.contains_key(n);
        let declared = self.res.inputs.iter().position(|d| d.name == n);
        let input = inputs::input(n).map(|(e, s, d)| (e, s, d.unit)).or_else(|| {
            declared.map(|i| (Entity::Household, inputs::HOUSEHOLD_INPUTS.len() + i, self.res.inputs[i].unit()))
        });
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
        if let Some((entity, slot, unit)) = input {
            self.entity_ok(entity, n, ctx)?;
            if !ctx.inputs.contains(&(entity, slot)) {
                ctx.inputs.push((entity, slot));
            }
            code.push(match entity {
                Entity::Household => Op::HI(slot as u16),
                Entity::Member => Op::MI(slot as u16),
            });
            return Ok(input_ty(unit));
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

    pub(crate) fn entity_ok(&self, e: Entity, n: &str, ctx: &Ctx) -> Result<(), RulesError> {
        if e == Entity::Member && ctx.entity == Entity::Household {
            return type_err(
                ctx.rule,
                format!("{} 是成员层面的值，家庭层面的规则须用 sum、count、any、all、max_member 或 min_member 汇总", n),
            );
        }
        Ok(())
    }

    pub(crate) fn bin(
        &mut self,
        op: BinOp,
        a: &Ast,
        b: &Ast,
        ctx: &mut Ctx,
        code: &mut Vec<Op>,
    ) -> Result<Ty, RulesError> {
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
    pub(crate) fn call(&mut self, f: &str, args: &[Ast], ctx: &mut Ctx, code: &mut Vec<Op>) -> Result<Ty, RulesError> {
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
    pub(crate) fn constant(&self, n: &str) -> Option<Ast> {
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
    pub(crate) fn fold(&self, a: &Ast) -> Ast {
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
