//! The means test: facts become inputs, the compiled policy decides each test with its trace,
//! and the 疑点 checks run beside it.

use std::collections::{BTreeMap, BTreeSet};

use hedui_core::catalog::known;
use hedui_core::codes::status;
use hedui_core::date::Month;
use hedui_core::fact::Fact;
use hedui_core::ids::PersonId;
use hedui_core::money::Fen;
use hedui_core::policy::Applied;
use hedui_rules::inputs::{self, UNKNOWN};
use hedui_rules::{Program, Resolved, RulesError, TestOutcome};

use crate::assessment::{
    Anomaly, AnomalyKind, Assessment, Evidence, ExceedReason, Item, ItemResult, Outcome, div_round, item_line,
};
use crate::case::{CaseInput, MemberCase, SourcePolicy, SourceState};
use crate::inputs::build_inputs;
use crate::inputs::evidence;

/// The parameters the anomaly checks use, as resolved for the case.

#[derive(Clone, Debug)]
pub struct AnomalyParams {
    pub large_outflow: Applied,
    pub outflow_window_months: Applied,
    pub income_months: Applied,
}

fn applied(p: &hedui_rules::ResolvedParam) -> Applied {
    Applied {
        key: p.key.clone(),
        value: p.int().unwrap_or(0),
        from: p.from,
        to: p.to,
        doc: p.doc.clone(),
        title: p.title.clone(),
        text: p.int().map(|v| p.unit.show(v)).unwrap_or_default(),
    }
}

impl AnomalyParams {
    pub fn from_resolved(res: &Resolved) -> Result<AnomalyParams, RulesError> {
        let get = |k: &str| res.int(k, "疑点检查").map(|(_, p)| applied(p));
        Ok(AnomalyParams {
            large_outflow: get("anomaly.large_outflow_fen")?,
            outflow_window_months: get("anomaly.outflow_window_months")?,
            income_months: get("income.months")?,
        })
    }
}

fn exceed_reason(code: &str) -> Option<ExceedReason> {
    Some(match code {
        "income" | "net_income" => ExceedReason::Income,
        "financial_assets" | "assets" => ExceedReason::Deposit,
        "vehicles" => ExceedReason::Car,
        "homes" => ExceedReason::SecondHome,
        "non_residential" => ExceedReason::NonResidential,
        "business" => ExceedReason::Business,
        _ => return None,
    })
}

/// Runs a programme's tests on a case: facts become inputs, the compiled policy decides each
/// test with its trace, and the 疑点 checks run beside it.
// tidy: allow(long-fn): the means test's one reading of a decision into items and reasons.
pub fn assess(
    case: &CaseInput,
    prog: &Program,
    res: &Resolved,
    sources: &dyn SourcePolicy,
) -> Result<Assessment, RulesError> {
    let as_of = case.as_of;
    let anomaly_params = AnomalyParams::from_resolved(res)?;
    let months = anomaly_params.income_months.value;
    let (inp, zero) = build_inputs(case, months, sources, &prog.declared);
    let decision = prog.decide(&inp, true)?;
    // On the facts at hand (missing ones as nothing found): a monotone test that already fails
    // stands, since the missing facts could only add to it.
    let any_unknown = decision.tests.iter().any(|t| t.outcome == TestOutcome::Unknown);
    let at_hand = if any_unknown { Some(prog.decide(&zero, false)?) } else { None };
    // Totals for display: on the facts at hand.
    let mut frame = hedui_rules::Frame::default();
    prog.eval_into(&zero, &mut frame)?;
    let total = |name: &str| prog.var(name).map(|v| prog.value(&frame, v)).filter(|v| *v != UNKNOWN).unwrap_or(0);
    let income_total = Fen(total("income.total"));
    let assets_total = Fen(total("assets.financial"));
    let mut decision = decision;
    if let Some(z) = &at_hand {
        for ((t, zt), ct) in decision.tests.iter_mut().zip(&z.tests).zip(&prog.tests) {
            if ct.def.monotone && t.outcome == TestOutcome::Unknown && zt.outcome == TestOutcome::Fail {
                t.outcome = TestOutcome::Fail;
                t.word = TestOutcome::Fail.word(prog.wording.as_deref()).into();
                t.found = zt.found.clone();
            } else if t.outcome == TestOutcome::Unknown {
                // Say what the facts at hand add up to, and that it is not the whole picture.
                if let (Some(f), Some(z)) = (t.found.as_mut(), zt.found.as_ref())
                    && f.value.is_none()
                {
                    f.text = format!("未知（已核对部分 {}）", z.text);
                }
            }
        }
        if decision.tests.iter().any(|t| t.outcome == TestOutcome::Fail) {
            decision.outcome = TestOutcome::Fail;
            decision.word = TestOutcome::Fail.word(prog.wording.as_deref()).into();
        }
    }
    let this_month = Month::of(as_of);
    let window = (this_month.plus(-(months as i32)), this_month.plus(-1));

    let mut missing: Vec<String> = Vec::new();
    for m in case.members.iter().filter(|m| m.person.is_none() && !m.supporter) {
        missing.push(format!(
            "第 {} 号成员 {} 身份证号未能识别（{}），其数据未核对",
            m.seq,
            m.name,
            m.unresolved_reason.as_deref().unwrap_or("无效")
        ));
    }
    for s in &case.sources {
        if let SourceState::NotAnswered { reason } = &s.state {
            missing.push(format!("{}（{}）未反馈：{}", s.name, s.source, reason));
        }
    }
    let incomplete = !missing.is_empty();

    let trace = decision.trace.clone().unwrap_or_default();
    let mut items = Vec::new();
    let mut reasons = Vec::new();
    for (t, ct) in decision.tests.iter().zip(&prog.tests) {
        // Everything the test's value rests on: its rule, and the rules those used, down to facts.
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut todo: Vec<String> =
            [Some(ct.def.pass.clone()), ct.def.found.clone(), ct.def.limit.clone()].into_iter().flatten().collect();
        let mut params: Vec<Applied> = Vec::new();
        let mut evidence: Vec<Evidence> = Vec::new();
        while let Some(v) = todo.pop() {
            if !seen.insert(v.clone()) {
                continue;
            }
            for st in trace.steps.iter().filter(|s| s.var == v) {
                todo.extend(st.uses.iter().cloned());
                for p in &st.params {
                    if let hedui_rules::ParamValue::Int(value) = p.value
                        && !params.iter().any(|q| q.key == p.key)
                    {
                        {
                            params.push(Applied {
                                key: p.key.clone(),
                                value,
                                from: p.from,
                                to: p.to,
                                doc: p.doc.clone(),
                                title: p.title.clone(),
                                text: p.text.clone(),
                            });
                        }
                    }
                }
                for i in &st.inputs {
                    for e in &i.evidence {
                        let e = Evidence {
                            member_seq: i.member_seq.or(e.member_seq),
                            source: e.source.clone(),
                            as_of: e.as_of,
                            label: e.label.clone(),
                            amount: e.amount,
                            record: e.record,
                        };
                        if !evidence.contains(&e) {
                            evidence.push(e);
                        }
                    }
                }
            }
        }
        let result = match t.outcome {
            TestOutcome::Fail => ItemResult::Exceeds,
            TestOutcome::Unknown => ItemResult::Incomplete,
            TestOutcome::Pass if incomplete => ItemResult::Incomplete,
            TestOutcome::Pass => ItemResult::Within,
        };
        if t.outcome == TestOutcome::Fail
            && let Some(r) = exceed_reason(&t.code)
        {
            reasons.push(r);
        }
        let line = item_line(prog, t);
        items.push(Item {
            code: t.code.clone(),
            title: if t.code.contains("income") {
                format!("{}（{} 至 {}，共 {} 个月）", t.title, window.0, window.1, months)
            } else {
                t.title.clone()
            },
            found: t.found.as_ref().map(|f| format!("{}：{}", f.title, f.text)).unwrap_or_else(|| t.word.clone()),
            found_fen: t.found.as_ref().filter(|f| f.unit == hedui_rules::Unit::Fen).and_then(|f| f.value).map(Fen),
            threshold: t.limit.as_ref().map(|l| format!("{}：{}", l.title, l.text)).unwrap_or_default(),
            threshold_fen: t.limit.as_ref().filter(|l| l.unit == hedui_rules::Unit::Fen).and_then(|l| l.value).map(Fen),
            rule: line.rule,
            basis: line.basis,
            result,
            params,
            evidence,
        });
    }

    let seq_of: BTreeMap<PersonId, &MemberCase> =
        case.members.iter().filter_map(|m| m.person.map(|pid| (pid, m))).collect();
    let anomalies = anomalies(case, &anomaly_params, &seq_of);
    let outcome = match decision.outcome {
        TestOutcome::Fail => Outcome::Exceeds,
        _ if incomplete || !anomalies.is_empty() || decision.outcome == TestOutcome::Unknown => Outcome::Open,
        _ => Outcome::NotExceeded,
    };
    let wording = prog.wording.as_deref();
    let word = |o: TestOutcome| o.word(wording);
    let programme = prog.programme.name_zh();
    let conclusion = match outcome {
        Outcome::Exceeds => {
            let what: Vec<&str> =
                decision.tests.iter().filter(|t| t.outcome == TestOutcome::Fail).map(|t| t.title.as_str()).collect();
            let mut s = format!(
                "{}：{}{}当地{}政策规定。",
                word(TestOutcome::Fail),
                what.join("、"),
                if wording == Some("eligibility") { "不符合" } else { "超出" },
                programme
            );
            if incomplete {
                s.push_str("另有数据未完整核对，见“未核对事项”。");
            }
            s
        }
        Outcome::NotExceeded => format!(
            "{}：家庭收入与财产状况{}当地{}政策规定。",
            word(TestOutcome::Pass),
            if wording == Some("eligibility") { "符合" } else { "均未超出" },
            programme
        ),
        Outcome::Open => {
            let mut parts = Vec::new();
            if incomplete {
                parts.push(format!("{} 项数据未完整核对", missing.len()));
            }
            if decision.outcome == TestOutcome::Unknown && !incomplete {
                parts.push("部分核对项依赖的数据未知".to_string());
            }
            if !anomalies.is_empty() {
                parts.push(format!("发现 {} 个疑点", anomalies.len()));
            }
            format!(
                "待核实：按已核对数据未发现{}项，但{}，暂不能作出“{}”的结论。",
                if wording == Some("eligibility") { "不符合" } else { "超出" },
                parts.join("，"),
                word(TestOutcome::Pass)
            )
        }
    };
    let n = case.members.iter().filter(|m| m.counted).count() as i64;
    let n_div = n.max(1);
    Ok(Assessment {
        as_of,
        counted_size: n,
        income_window: window,
        income_total,
        income_monthly: div_round(income_total, months),
        income_per_capita: div_round(income_total, months * n_div),
        assets_total,
        assets_per_capita: div_round(assets_total, n_div),
        items,
        anomalies,
        missing,
        reasons,
        outcome,
        conclusion,
        decision: Some(decision),
        inputs: Some(inputs::InputsSnapshot::of(&inp)),
    })
}

fn anomalies(case: &CaseInput, p: &AnomalyParams, seq_of: &BTreeMap<PersonId, &MemberCase>) -> Vec<Anomaly> {
    let as_of = case.as_of;
    let seq = |f: &Fact| seq_of.get(&f.person).map(|m| m.seq);
    let mut out = Vec::new();

    let threshold = Fen(p.large_outflow.value);
    let since = as_of.add_months(-(p.outflow_window_months.value as i32));
    for f in case.facts.iter().filter(|f| f.category == known::MOVEMENT) {
        let in_window = f.on.is_some_and(|d| d > since && d <= as_of);
        if in_window && -f.amount >= threshold {
            out.push(Anomaly {
                code: AnomalyKind::LargeTransfer,
                title: "大额资金转出".into(),
                detail: format!(
                    "{} 一次转出 {} 元，不低于 {} 元（近 {} 个月，参数依据 {}）",
                    f.on.map(|d| d.to_string()).unwrap_or_default(),
                    -f.amount,
                    threshold,
                    p.outflow_window_months.value,
                    p.large_outflow.doc
                ),
                member_seq: seq(f),
                evidence: vec![evidence(f, seq(f), Some(f.amount))],
            });
        }
    }

    let window_start = Month::of(as_of).plus(-(p.income_months.value as i32));
    for f in case.facts.iter().filter(|f| f.category == known::SOCIAL_INSURANCE) {
        let Some(m) = seq_of.get(&f.person) else { continue };
        let current = f.period.is_some_and(|(_, to)| to >= window_start);
        if current && f.amount > m.declared_income {
            out.push(Anomaly {
                code: AnomalyKind::ContributionBase,
                title: "社保缴费基数高于申报收入".into(),
                detail: format!(
                    "第 {} 号成员 {} 的社保缴费基数 {} 元高于其申报月收入 {} 元（缴费基数不等于工资，仅作疑点）",
                    m.seq, m.name, f.amount, m.declared_income
                ),
                member_seq: Some(m.seq),
                evidence: vec![evidence(f, Some(m.seq), Some(f.amount))],
            });
        }
    }

    for h in &case.mistyped {
        let name = case.members.iter().find(|m| m.seq == h.member_seq).map(|m| m.name.as_str()).unwrap_or("");
        out.push(Anomaly {
            code: AnomalyKind::MistypedId,
            title: "部门数据中身份证号疑似录入错误".into(),
            detail: format!(
                "{} 的一条记录姓名与第 {} 号成员 {} 相同，身份证号 {} 无效且与该成员号码仅差一处，请核实该记录是否属于本人",
                h.source, h.member_seq, name, h.masked_id
            ),
            member_seq: Some(h.member_seq),
            evidence: vec![],
        });
    }

    for m in case.members.iter().filter(|m| m.person.is_none() && !m.supporter) {
        out.push(Anomaly {
            code: AnomalyKind::UnresolvedMember,
            title: "成员身份证号无法识别".into(),
            detail: format!(
                "第 {} 号成员 {} 的身份证号无效（{}），请补正后重新核对",
                m.seq,
                m.name,
                m.unresolved_reason.as_deref().unwrap_or("无效")
            ),
            member_seq: Some(m.seq),
            evidence: vec![],
        });
    }

    let mut dead = BTreeSet::new();
    for f in case.facts.iter() {
        let died = [known::DEATH_RECORD, known::CREMATION, known::MEDICAL_DEATH].contains(&f.category)
            || (f.category == known::HOUSEHOLD_REGISTER && f.status == status::DECEASED);
        if died && dead.insert(f.person) {
            out.push(Anomaly {
                code: AnomalyKind::MemberDeceased,
                title: "成员已死亡注销".into(),
                detail: format!("{} 显示该成员已死亡注销，请核实家庭人口", f.source),
                member_seq: seq(f),
                evidence: vec![evidence(f, seq(f), None)],
            });
        }
    }
    out
}
