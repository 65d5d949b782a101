//! Decisions and their explanations.
//!
//! Every figure in a decision carries its trace: the rule that produced it (with its document
//! and region), the parameters it used (value, dates, 文号, region) and the input facts (source,
//! record, as-of date). The trace is data (serialised as JSON) and text a clerk reads in Chinese.

use serde::{Deserialize, Serialize};

use hedui_core::Date;
use hedui_core::programme::Programme;

use super::bytecode::Program;
use super::inputs::{Entity, InputEvidence, Inputs, MEMBER_INPUTS, UNKNOWN};
use super::vm::Frame;
use super::{ParamValue, RulesError, Unit};

/// The outcome of a test or of a programme's tests together.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TestOutcome {
    /// Every test holds (未超出 / 符合).
    Pass,
    /// At least one test fails (超出 / 不符合).
    Fail,
    /// No test fails, but one depends on a value no source supplied (待核实).
    Unknown,
}

impl TestOutcome {
    /// The word for it under the configured wording: `exceeds` (超出/未超出, the default) or
    /// `eligibility` (符合/不符合).
    pub fn word(self, wording: Option<&str>) -> &'static str {
        match (self, wording) {
            (TestOutcome::Pass, Some("eligibility")) => "符合",
            (TestOutcome::Fail, Some("eligibility")) => "不符合",
            (TestOutcome::Pass, _) => "未超出",
            (TestOutcome::Fail, _) => "超出",
            (TestOutcome::Unknown, _) => "待核实",
        }
    }
}

/// A value shown in a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Shown {
    pub var: String,
    pub title: String,
    pub unit: Unit,
    /// `None` when unknown.
    pub value: Option<i64>,
    pub text: String,
}

/// One test's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TestResult {
    pub code: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub outcome: TestOutcome,
    pub word: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<Shown>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<Shown>,
}

/// The rule behind a traced value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TraceRule {
    pub id: String,
    pub expr: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    pub priority: i32,
    pub doc: String,
    pub region: String,
    pub from: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
}

/// A parameter used by a traced value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TraceParam {
    pub key: String,
    pub title: String,
    pub value: ParamValue,
    pub text: String,
    pub from: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
    pub doc: String,
    pub region: String,
}

/// An input used by a traced value, with the facts behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TraceInput {
    pub name: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_seq: Option<u32>,
    pub value: Option<i64>,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<InputEvidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One traced value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TraceStep {
    pub var: String,
    pub title: String,
    pub entity: Entity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_seq: Option<u32>,
    pub value: Option<i64>,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<TraceRule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<TraceParam>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<TraceInput>,
    /// Other traced values this one used (variable names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uses: Vec<String>,
}

/// The whole explanation, in evaluation order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Trace {
    pub steps: Vec<TraceStep>,
}

/// A programme's decision for one household.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Decision {
    pub programme: Programme,
    pub programme_name: String,
    pub region: String,
    pub as_of: Date,
    /// The policy documents applied, province first: (region, name).
    pub chain: Vec<(String, String)>,
    pub doc: String,
    pub outcome: TestOutcome,
    pub word: String,
    /// The configured wording (`report.wording`): `exceeds` (超出/未超出) or `eligibility` (符合/不符合).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wording: Option<String>,
    pub tests: Vec<TestResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benefit: Option<Shown>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub show: Vec<Shown>,
    /// Built by the rules engine, or kept as JSON when read from a stored report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Trace>)]
    pub trace: Option<super::LazyTrace>,
}

fn known(v: i64) -> Option<i64> {
    (v != UNKNOWN && v != super::inputs::FAILED).then_some(v)
}

impl Program {
    fn shown(&self, fr: &Frame, var: usize) -> Shown {
        let v = &self.vars[var];
        let x = self.value(fr, var);
        Shown { var: v.name.clone(), title: v.title.clone(), unit: v.unit, value: known(x), text: v.unit.show(x) }
    }

    /// Evaluates one household and explains the result; `trace` adds the full trace.
    pub fn decide(&self, inp: &Inputs, trace: bool) -> Result<Decision, RulesError> {
        let mut fr = Frame::default();
        self.eval_into(inp, &mut fr)?;
        let wording = self.wording.as_deref();
        let tests = self
            .tests
            .iter()
            .map(|t| {
                let outcome = match self.value(&fr, t.pass) {
                    0 => TestOutcome::Fail,
                    1 => TestOutcome::Pass,
                    _ => TestOutcome::Unknown,
                };
                TestResult {
                    code: t.def.code.clone(),
                    title: t.def.title.clone(),
                    rule: t.def.rule.clone(),
                    outcome,
                    word: outcome.word(wording).into(),
                    found: t.found.map(|v| self.shown(&fr, v)),
                    limit: t.limit.map(|v| self.shown(&fr, v)),
                }
            })
            .collect();
        let outcome = self.outcome(&fr);
        Ok(Decision {
            programme: self.programme,
            programme_name: self.programme.name_zh().into(),
            region: self.region.clone(),
            as_of: self.as_of,
            chain: self.chain.clone(),
            doc: self.doc.clone(),
            outcome,
            word: outcome.word(wording).into(),
            wording: self.wording.clone(),
            tests,
            benefit: self.benefit.map(|b| self.shown(&fr, b)),
            show: self.show.iter().map(|&v| self.shown(&fr, v)).collect(),
            trace: trace.then(|| self.trace(inp, &fr).into()),
        })
    }

    fn input_uses(&self, inp: &Inputs, e: Entity, slot: usize, member: Option<usize>) -> Vec<TraceInput> {
        let def = self.input_info(e, slot);
        let one = |k: Option<usize>| {
            let raw = match (e, k) {
                (Entity::Household, _) => inp.h.get(slot).copied().unwrap_or(UNKNOWN),
                (Entity::Member, Some(k)) => inp.m[k * MEMBER_INPUTS.len() + slot],
                (Entity::Member, None) => UNKNOWN,
            };
            let mine = |m: &Option<usize>, en: &Entity, s: &usize| {
                *en == e && *s == slot && (e == Entity::Household || *m == k)
            };
            TraceInput {
                name: def.name.into(),
                title: def.title.into(),
                member_seq: k.and_then(|k| inp.seqs.get(k).copied()),
                value: known(raw),
                text: def.unit.show(raw),
                evidence: inp.evidence.iter().filter(|(m, en, s, _)| mine(m, en, s)).map(|x| x.3.clone()).collect(),
                note: inp.notes.iter().find(|(m, en, s, _)| mine(m, en, s)).map(|x| x.3.clone()),
            }
        };
        match (e, member) {
            (Entity::Household, _) => vec![one(None)],
            (Entity::Member, Some(k)) => vec![one(Some(k))],
            (Entity::Member, None) => (0..inp.members).map(|k| one(Some(k))).collect(),
        }
    }

    fn trace(&self, inp: &Inputs, fr: &Frame) -> Trace {
        let mut steps = Vec::new();
        for st in &self.steps {
            let v = &self.vars[st.var];
            let members: Vec<Option<usize>> = match v.entity {
                Entity::Household => vec![None],
                Entity::Member => (0..inp.members).map(Some).collect(),
            };
            for k in members {
                let (x, chosen) = match k {
                    None => (fr.hv[v.slot as usize], fr.chosen_h[v.slot as usize]),
                    Some(k) => {
                        let i = k * self.mv_count + v.slot as usize;
                        (fr.mv[i], fr.chosen_m[i])
                    }
                };
                let rule = self.rules.get(chosen as usize);
                steps.push(TraceStep {
                    var: v.name.clone(),
                    title: v.title.clone(),
                    entity: v.entity,
                    member_seq: k.and_then(|k| inp.seqs.get(k).copied()),
                    value: known(x),
                    text: v.unit.show(x),
                    rule: rule.map(|r| TraceRule {
                        id: r.id.clone(),
                        expr: r.expr.clone(),
                        when: r.when.clone(),
                        priority: r.priority,
                        doc: r.doc.clone(),
                        region: r.region.clone(),
                        from: r.from,
                        to: r.to,
                    }),
                    params: rule
                        .map(|r| {
                            r.params
                                .iter()
                                .map(|&p| {
                                    let p = &self.params[p];
                                    TraceParam {
                                        key: p.key.clone(),
                                        title: p.title.clone(),
                                        value: p.value.clone(),
                                        text: match &p.value {
                                            ParamValue::Int(i) => p.unit.show(*i),
                                            ParamValue::Word(w) => w.clone(),
                                        },
                                        from: p.from,
                                        to: p.to,
                                        doc: p.doc.clone(),
                                        region: p.region.clone(),
                                    }
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    inputs: rule
                        .map(|r| r.inputs.iter().flat_map(|&(e, s)| self.input_uses(inp, e, s, k)).collect())
                        .unwrap_or_default(),
                    uses: rule.map(|r| r.vars.iter().map(|&u| self.vars[u].name.clone()).collect()).unwrap_or_default(),
                });
            }
        }
        Trace { steps }
    }
}

impl Trace {
    /// The trace as a clerk reads it, one block per value.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for s in &self.steps {
            let who = s.member_seq.map(|k| format!("第 {} 号成员 ", k)).unwrap_or_default();
            out.push_str(&format!("【{}{}】= {}\n", who, s.title, s.text));
            match &s.rule {
                Some(r) => {
                    out.push_str(&format!("  规则 {}（{}，地区 {}）：{}", r.id, r.doc, r.region, r.expr));
                    if let Some(w) = &r.when {
                        out.push_str(&format!("，适用条件：{}", w));
                    }
                    out.push('\n');
                }
                None => out.push_str("  无法确定适用的规则（适用条件依赖未知数据）\n"),
            }
            for p in &s.params {
                let period = match p.to {
                    Some(t) => format!("{} 至 {}", p.from, t),
                    None => format!("{} 起", p.from),
                };
                out.push_str(&format!("  参数 {} = {}（{}，{}，地区 {}）\n", p.title, p.text, period, p.doc, p.region));
            }
            for i in &s.inputs {
                let who = i.member_seq.map(|k| format!("第 {} 号成员 ", k)).unwrap_or_default();
                out.push_str(&format!("  事实 {}{} = {}", who, i.title, i.text));
                if let Some(n) = &i.note {
                    out.push_str(&format!("（{}）", n));
                }
                out.push('\n');
                for e in &i.evidence {
                    out.push_str(&format!("    来源 {} 截至 {}：{}", e.source, e.as_of, e.label));
                    if let Some(a) = e.amount {
                        out.push_str(&format!("，{} 元", a));
                    }
                    if let Some(r) = e.record {
                        out.push_str(&format!("（记录 #{}）", r));
                    }
                    out.push('\n');
                }
            }
        }
        out
    }
}
