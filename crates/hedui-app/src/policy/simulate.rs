//! Policy simulation: the current caseload under a changed policy.
//!
//! Every household's latest report keeps the inputs its decision was made on, and the caseload
//! keeps them again in compact form, sealed, beside the report. A simulation reads only the
//! caseload and evaluates each household twice, with the columnar evaluator, under the policy in force and under the same policy with some
//! parameters changed (the standard +5 %, the asset multiple 24 → 36 months …), and reports who
//! would pass or fail differently and how the monthly cost changes, by county and programme.
//! Nothing is written except one audit row: a simulation decides nothing.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde::Serialize;

use hedui_core::programme::Programme;
use hedui_core::{Date, Fen, HouseholdId};
use hedui_identity::place;
use hedui_rules::batch::{Batch, BatchFrame};
use hedui_rules::compact::{self, Compact};
use hedui_rules::{ParamValue, PolicySet, Program, RulesError, TestOutcome, Verdict, compile};
use hedui_store::{AuditOutcome, CaseloadRow};

use crate::{App, AppError, AppResult, Caller};

/// One parameter change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Change {
    pub key: String,
    pub op: ChangeOp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SimHousehold {
    pub household: String,
    pub region: String,
    pub programme: String,
    pub before: TestOutcome,
    pub after: TestOutcome,
    pub benefit_before: Fen,
    pub benefit_after: Fen,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Simulation {
    pub as_of: Date,
    pub changes: Vec<String>,
    pub rows: Vec<SimRow>,
    pub total: SimRow,
    pub changed: Vec<SimHousehold>,
    /// Households that could not be evaluated, and why.
    pub errors: Vec<String>,
    /// Where the time went (for benchmarks and the log; not part of the result).
    #[serde(skip)]
    pub timings: SimTimings,
}

/// Time spent per stage of a simulation, summed over its pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimTimings {
    /// Reading the caseload's rows from the store.
    pub reading: Duration,
    /// Opening (SM4) and decoding each household's compact inputs into columns.
    pub opening: Duration,
    /// Evaluating under the policy in force, and under the changed one.
    pub before: Duration,
    pub after: Duration,
    /// Adding up per county and programme.
    pub aggregating: Duration,
    pub households: usize,
}

/// Households per page read from the store: memory stays bounded whatever the caseload's size.
const PAGE: i64 = 65_536;

/// A programme compiled as in force and as changed, or why it could not be.
type Pair = Result<(Program, Program), String>;

/// The households of one region and programme in the current page, as columns.
struct Group {
    programs: Pair,
    batch: Batch,
    /// Indices into the page of the households in `batch`, in order.
    rows: Vec<usize>,
    before: Vec<Result<Verdict, RulesError>>,
    after: Vec<Result<Verdict, RulesError>>,
}

/// Compiles a programme for a region as in force, and with `changes` applied.
fn compile_pair(
    set: &PolicySet,
    region: &str,
    p: Programme,
    as_of: Date,
    changes: &[Change],
) -> Result<(Program, Program), String> {
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
    Ok((compile(&res, p).map_err(|e| e.to_string())?, compile(&changed, p).map_err(|e| e.to_string())?))
}

/// The running result.
#[derive(Default)]
struct Tally {
    rows: BTreeMap<(String, Programme), SimRow>,
    changed: Vec<SimHousehold>,
    errors: Vec<String>,
}

impl Tally {
    fn add(&mut self, app: &App, row: &CaseloadRow, programme: Programme, b: Verdict, a: Verdict) {
        // Rows by county: a household registered in a township counts in its county.
        let county: String = row.entry.region.chars().take(6).collect();
        let sim = self.rows.entry((county.clone(), programme)).or_insert_with(|| SimRow {
            region_name: app.region_name(&county),
            region: county,
            programme: programme.code().into(),
            programme_name: programme.name_zh().into(),
            ..SimRow::default()
        });
        let pays = |v: Verdict| if v.outcome == TestOutcome::Pass { v.benefit.unwrap_or(0) } else { 0 };
        let (cb, ca) = (pays(b), pays(a));
        let (pb, pa) = (b.outcome == TestOutcome::Pass, a.outcome == TestOutcome::Pass);
        sim.households += 1;
        sim.eligible_before += i64::from(pb);
        sim.eligible_after += i64::from(pa);
        sim.newly_eligible += i64::from(!pb && pa);
        sim.newly_ineligible += i64::from(pb && !pa);
        sim.cost_before += Fen(cb);
        sim.cost_after += Fen(ca);
        sim.cost_change = sim.cost_after - sim.cost_before;
        if b.outcome != a.outcome || cb != ca {
            self.changed.push(SimHousehold {
                household: row.entry.household_number.clone(),
                region: row.entry.region.clone(),
                programme: programme.code().into(),
                before: b.outcome,
                after: a.outcome,
                benefit_before: Fen(cb),
                benefit_after: Fen(ca),
            });
        }
    }
}

/// The sum of every county's row.
fn total_of(rows: &[SimRow]) -> SimRow {
    let mut total = SimRow { region: String::new(), region_name: "合计".into(), ..SimRow::default() };
    for r in rows {
        total.households += r.households;
        total.eligible_before += r.eligible_before;
        total.eligible_after += r.eligible_after;
        total.newly_eligible += r.newly_eligible;
        total.newly_ineligible += r.newly_ineligible;
        total.cost_before += r.cost_before;
        total.cost_after += r.cost_after;
    }
    total.cost_change = total.cost_after - total.cost_before;
    total
}

impl App {
    /// Runs the caseload (every household's latest report's inputs) under the policy in force on
    /// `as_of` and under `changes`. Pages of households are read from the caseload, opened into
    /// columns per region and programme, and evaluated by the columnar evaluator, whose results
    /// equal the scalar evaluator's household by household.
    pub fn simulate(&self, actor: &Caller, changes: &[Change], as_of: Date) -> AppResult<Simulation> {
        if changes.is_empty() {
            return Err(AppError::Invalid("请至少给出一项政策变更，例如 dibao.standard=+5%".into()));
        }
        self.authorize(actor, crate::Action::PolicySimulate, &crate::Object::None)?;
        let set = self.policies.current();
        let mut groups: HashMap<(String, Programme), Group> = HashMap::new();
        let mut tally = Tally::default();
        let mut t = SimTimings::default();
        let mut after = HouseholdId(0);
        let mut frame = BatchFrame::default();
        loop {
            let clock = Instant::now();
            let page = self.store.caseload_page(after, PAGE)?;
            t.reading += clock.elapsed();
            let Some(last) = page.last() else { break };
            after = last.household;
            // A user simulates the households of their own region.
            let mut page = page;
            page.retain(|r| crate::access::in_scope(&actor.region, &r.entry.region));
            t.households += page.len();
            let clock = Instant::now();
            self.open_page(&page, &mut groups, &mut tally, &|region, p| compile_pair(&set, region, p, as_of, changes));
            t.opening += clock.elapsed();
            for (stage, time) in [(0, &mut t.before), (1, &mut t.after)] {
                let clock = Instant::now();
                for g in groups.values_mut().filter(|g| !g.batch.is_empty()) {
                    if let Ok((b, a)) = &g.programs {
                        let (p, out) = if stage == 0 { (b, &mut g.before) } else { (a, &mut g.after) };
                        p.eval_batch(&g.batch, &mut frame, out);
                    }
                }
                *time += clock.elapsed();
            }
            let clock = Instant::now();
            self.tally_page(&page, &mut groups, &mut tally);
            t.aggregating += clock.elapsed();
        }
        let clock = Instant::now();
        let rows: Vec<SimRow> = tally.rows.into_values().collect();
        let total = total_of(&rows);
        t.aggregating += clock.elapsed();
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
        Ok(Simulation {
            as_of,
            changes: described,
            rows,
            total,
            changed: tally.changed,
            errors: tally.errors,
            timings: t,
        })
    }

    /// Opens the page's households into their groups' columns (compiling each region and
    /// programme's pair of programmes the first time it is seen).
    fn open_page(
        &self,
        page: &[CaseloadRow],
        groups: &mut HashMap<(String, Programme), Group>,
        tally: &mut Tally,
        build: &dyn Fn(&str, Programme) -> Pair,
    ) {
        for (i, row) in page.iter().enumerate() {
            let Some(programme) = Programme::from_code(&row.entry.programme) else { continue };
            let key = (row.entry.region.clone(), programme);
            let g = groups.entry(key).or_insert_with(|| {
                let programs = build(&row.entry.region, programme);
                let batch = match &programs {
                    Ok((b, a)) => Batch::for_programs(&[b, a]),
                    Err(_) => Batch::new(),
                };
                Group { programs, batch, rows: Vec::new(), before: Vec::new(), after: Vec::new() }
            });
            if let Err(e) = &g.programs {
                tally.errors.push(format!("户 {}：{e}", row.entry.household_number));
                continue;
            }
            match self.open_caseload(row) {
                Ok(c) => {
                    g.batch.push_sparse(&c.household, c.members.iter().map(Vec::as_slice));
                    g.rows.push(i);
                }
                Err(e) => tally.errors.push(format!("户 {}：{e}", row.entry.household_number)),
            }
        }
    }

    /// Adds the page's evaluated households to the tally and empties the groups for the next page.
    fn tally_page(&self, page: &[CaseloadRow], groups: &mut HashMap<(String, Programme), Group>, tally: &mut Tally) {
        for ((_, programme), g) in groups.iter_mut().filter(|(_, g)| !g.batch.is_empty()) {
            for (k, &i) in g.rows.iter().enumerate() {
                let row = &page[i];
                match (&g.before[k], &g.after[k]) {
                    (Ok(b), Ok(a)) => tally.add(self, row, *programme, *b, *a),
                    (Err(e), _) | (_, Err(e)) => {
                        tally.errors.push(format!("户 {}：{e}", row.entry.household_number));
                    }
                }
            }
            g.batch.clear();
            g.rows.clear();
        }
    }

    /// One household's compact inputs, opened for the report they came from.
    fn open_caseload(&self, row: &CaseloadRow) -> AppResult<Compact> {
        if row.entry.inputs_enc.is_empty() {
            return Err(AppError::Invalid(format!(
                "核对任务 {} 第 {} 版报告未保存测算输入（早期版本），请重新核对",
                row.job, row.version
            )));
        }
        let sealed = self.identity.open(&place::caseload_inputs(row.job, row.version), &row.entry.inputs_enc)?;
        compact::decode(&sealed).map_err(|e| {
            AppError::Tampered(format!("核对任务 {} 第 {} 版报告的测算输入无法读取：{e}", row.job, row.version))
        })
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
