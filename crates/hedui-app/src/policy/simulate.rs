//! Policy simulation: the current caseload under a changed policy.
//!
//! Every household's latest report keeps the inputs its decision was made on. A simulation
//! evaluates each of them twice, under the policy in force and under the same policy with some
//! parameters changed (the standard +5 %, the asset multiple 24 → 36 months …), and reports who
//! would pass or fail differently and how the monthly cost changes, by county and programme.
//! Nothing is written except one audit row: a simulation decides nothing.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use hedui_core::programme::Programme;
use hedui_core::{Date, Fen, HouseholdId};
use hedui_rules::{Frame, ParamValue, Program, TestOutcome, compile};
use hedui_store::{AuditOutcome, JobFilter};

use crate::reports::Report;

use crate::{App, AppError, AppResult, Caller};

/// One parameter change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub key: String,
    pub op: ChangeOp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "op", content = "value", rename_all = "snake_case")]
pub enum ChangeOp {
    /// A new value, in the parameter's unit (fen, months, percent …).
    Set(i64),
    /// A relative change in hundredths of a percent: +5 % is 500.
    Percent(i64),
}

impl Change {
    /// `dibao.standard=+5%`, `assets.financial_months=36`, `dibao.standard=-2.5%`.
    pub fn parse(s: &str) -> AppResult<Change> {
        let bad = || AppError::Invalid(format!("无法识别的政策变更“{s}”：应写成 参数=新值 或 参数=+5%"));
        let (key, value) = s.split_once('=').ok_or_else(bad)?;
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || value.is_empty() {
            return Err(bad());
        }
        let op = if let Some(p) = value.strip_suffix('%') {
            let p = p.trim();
            let (neg, digits) = match p.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, p.strip_prefix('+').unwrap_or(p)),
            };
            let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
            if frac.len() > 2 || whole.is_empty() || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let bp: i64 = format!("{whole}{frac:0<2}").parse().map_err(|_| bad())?;
            ChangeOp::Percent(if neg { -bp } else { bp })
        } else {
            ChangeOp::Set(value.parse().map_err(|_| bad())?)
        };
        Ok(Change { key: key.to_string(), op })
    }

    /// The new value of `v` (percent changes round half away from zero to a whole unit).
    pub fn apply(&self, v: i64) -> i64 {
        match self.op {
            ChangeOp::Set(x) => x,
            ChangeOp::Percent(bp) => {
                let num = i128::from(v) * (10_000 + i128::from(bp));
                let q = num / 10_000;
                let r = num % 10_000;
                let q = if 2 * r.abs() >= 10_000 { q + num.signum() } else { q };
                q.clamp(i128::from(i64::MIN + 2), i128::from(i64::MAX)) as i64
            }
        }
    }

    pub fn describe(&self) -> String {
        match self.op {
            ChangeOp::Set(x) => format!("{} = {}", self.key, x),
            ChangeOp::Percent(bp) => format!("{} {:+}.{:02}%", self.key, bp / 100, (bp % 100).abs()),
        }
    }
}

/// One county and programme.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SimRow {
    pub region: String,
    pub region_name: String,
    pub programme: String,
    pub programme_name: String,
    pub households: i64,
    pub eligible_before: i64,
    pub eligible_after: i64,
    pub newly_eligible: i64,
    pub newly_ineligible: i64,
    /// Monthly cost (sum of benefits) under the policy in force and under the change.
    pub cost_before: Fen,
    pub cost_after: Fen,
    pub cost_change: Fen,
}

/// A household whose result changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SimHousehold {
    pub household: String,
    pub region: String,
    pub programme: String,
    pub before: TestOutcome,
    pub after: TestOutcome,
    pub benefit_before: Fen,
    pub benefit_after: Fen,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Simulation {
    pub as_of: Date,
    pub changes: Vec<String>,
    pub rows: Vec<SimRow>,
    pub total: SimRow,
    pub changed: Vec<SimHousehold>,
    /// Households that could not be evaluated, and why.
    pub errors: Vec<String>,
}

impl App {
    /// The latest report of every household (the current caseload), read without a per-report
    /// audit row: the simulation writes one row for all.
    fn caseload(&self, actor: &Caller) -> AppResult<Vec<Report>> {
        let jobs = self.store.jobs(&JobFilter { limit: i64::MAX, ..JobFilter::default() })?;
        let mut latest: HashMap<HouseholdId, (Date, i64)> = HashMap::new();
        for j in jobs.iter().filter(|j| j.outcome.is_some()) {
            let e = latest.entry(j.household).or_insert((j.as_of, j.id.0));
            if (j.as_of, j.id.0) > *e {
                *e = (j.as_of, j.id.0);
            }
        }
        let mut out = Vec::new();
        let mut ids: Vec<i64> = latest.values().map(|v| v.1).collect();
        ids.sort_unstable();
        for id in ids {
            let Some(row) = self.store.reports(hedui_core::JobId(id))?.into_iter().last() else { continue };
            out.push(self.open_report(actor, &row)?);
        }
        Ok(out)
    }

    /// Runs the caseload under the policy in force on `as_of` and under `changes`.
    // tidy: allow(long-fn): the scalar simulation, replaced by the columnar one in issue 10.
    pub fn simulate(&self, actor: &Caller, changes: &[Change], as_of: Date) -> AppResult<Simulation> {
        if changes.is_empty() {
            return Err(AppError::Invalid("请至少给出一项政策变更，例如 dibao.standard=+5%".into()));
        }
        let reports = self.caseload(actor)?;
        let set = self.policies.current();
        // Compiled programmes per (county, programme): in force, and changed.
        let mut programs: HashMap<(String, Programme), Result<(Program, Program), String>> = HashMap::new();
        let build = |region: &str, p: Programme| -> Result<(Program, Program), String> {
            let res = set.resolve(region, as_of).map_err(|e| e.to_string())?;
            let mut changed = res.clone();
            for c in changes {
                let Some(param) = changed.params.get_mut(&c.key) else {
                    return Err(format!("地区 {region} 在 {as_of} 没有参数 {}", c.key));
                };
                let ParamValue::Int(v) = param.value else {
                    return Err(format!("参数 {} 不是数值，不能模拟变更", c.key));
                };
                param.value = ParamValue::Int(c.apply(v));
                param.doc = format!("模拟：{}（原值 {}）", c.describe(), v);
            }
            let before = compile(&res, p).map_err(|e| e.to_string())?;
            let after = compile(&changed, p).map_err(|e| e.to_string())?;
            Ok((before, after))
        };
        let mut rows: BTreeMap<(String, Programme), SimRow> = BTreeMap::new();
        let mut changed_households = Vec::new();
        let mut errors = Vec::new();
        let mut frame = Frame::default();
        for r in &reports {
            let Some(programme) = Programme::from_code(&r.commission.programme) else { continue };
            let Some(snapshot) = &r.assessment.inputs else {
                errors.push(format!(
                    "户 {}：报告 {} 未保存测算输入（早期版本），请重新核对",
                    r.household.number, r.number
                ));
                continue;
            };
            let region = r.household.region.clone();
            let key = (region.clone(), programme);
            let progs = programs.entry(key.clone()).or_insert_with(|| build(&region, programme));
            let (before, after) = match progs {
                Ok(p) => p,
                Err(e) => {
                    errors.push(format!("户 {}：{}", r.household.number, e));
                    continue;
                }
            };
            let inp = snapshot.inputs();
            let (b, a) = match (before.eval(&inp, &mut frame), after.eval(&inp, &mut frame)) {
                (Ok(b), Ok(a)) => (b, a),
                (Err(e), _) | (_, Err(e)) => {
                    errors.push(format!("户 {}：{}", r.household.number, e));
                    continue;
                }
            };
            // Rows by county: a household registered in a township counts in its county.
            let county: String = region.chars().take(6).collect();
            let row = rows.entry((county.clone(), programme)).or_insert_with(|| SimRow {
                region: county.clone(),
                region_name: self.region_name(&county),
                programme: programme.code().into(),
                programme_name: programme.name_zh().into(),
                ..SimRow::default()
            });
            let pays =
                |o: TestOutcome, benefit: Option<i64>| if o == TestOutcome::Pass { benefit.unwrap_or(0) } else { 0 };
            let (cb, ca) = (pays(b.outcome, b.benefit), pays(a.outcome, a.benefit));
            row.households += 1;
            row.eligible_before += i64::from(b.outcome == TestOutcome::Pass);
            row.eligible_after += i64::from(a.outcome == TestOutcome::Pass);
            row.newly_eligible += i64::from(b.outcome != TestOutcome::Pass && a.outcome == TestOutcome::Pass);
            row.newly_ineligible += i64::from(b.outcome == TestOutcome::Pass && a.outcome != TestOutcome::Pass);
            row.cost_before += Fen(cb);
            row.cost_after += Fen(ca);
            row.cost_change = row.cost_after - row.cost_before;
            if b.outcome != a.outcome || cb != ca {
                changed_households.push(SimHousehold {
                    household: r.household.number.clone(),
                    region: region.clone(),
                    programme: programme.code().into(),
                    before: b.outcome,
                    after: a.outcome,
                    benefit_before: Fen(cb),
                    benefit_after: Fen(ca),
                });
            }
        }
        let rows: Vec<SimRow> = rows.into_values().collect();
        let mut total = SimRow { region: String::new(), region_name: "合计".into(), ..SimRow::default() };
        for r in &rows {
            total.households += r.households;
            total.eligible_before += r.eligible_before;
            total.eligible_after += r.eligible_after;
            total.newly_eligible += r.newly_eligible;
            total.newly_ineligible += r.newly_ineligible;
            total.cost_before += r.cost_before;
            total.cost_after += r.cost_after;
        }
        total.cost_change = total.cost_after - total.cost_before;
        let described: Vec<String> = changes.iter().map(Change::describe).collect();
        self.audit(
            actor,
            "policy.simulate",
            "policy",
            AuditOutcome::Ok,
            format!(
                "政策模拟（{}）：{} 户，月支出变化 {} 元",
                described.join("；"),
                total.households,
                total.cost_change
            ),
        )?;
        Ok(Simulation { as_of, changes: described, rows, total, changed: changed_households, errors })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_parse_and_apply() {
        let c = |s: &str| Change::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(c("dibao.standard=+5%").apply(118_000), 123_900);
        assert_eq!(c("dibao.standard=-2.5%").apply(118_000), 115_050);
        assert_eq!(c("dibao.standard=+0.01%").apply(118_000), 118_012); // 118,011.8 → 118,012
        assert_eq!(c(" assets.financial_months = 36 ").apply(24), 36);
        assert_eq!(c("x=+5%").describe(), "x +5.00%");
        for bad in ["dibao.standard", "=5", "x=abc", "x=+5.001%", "x=%"] {
            assert!(Change::parse(bad).is_err(), "{bad}");
        }
    }
}
