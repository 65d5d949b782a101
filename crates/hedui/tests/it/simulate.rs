//! Policy simulation on a verified caseload: the changes per county are checked to the fen
//! against a separate computation of the 低保 rules from each report's own inputs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use std::collections::BTreeMap;

use hedui_app::policy::simulate::Change;
use hedui_rules::inputs::InputsSnapshot;

const UNKNOWN: i64 = i64::MIN;

/// The 常州 demo 低保 test and benefit, written out by hand: (passes, monthly benefit in fen).
/// 武进区 (320412) adds a 50 元 floor per person and pays the elderly 15 % instead of 10 %.
fn oracle(region: &str, inp: &InputsSnapshot, standard: i64, asset_months: i64) -> (bool, i64) {
    let get = |m: &BTreeMap<String, Option<i64>>, k: &str| m.get(k).copied().unwrap_or(Some(0)).unwrap_or(UNKNOWN);
    let counted: Vec<&BTreeMap<String, Option<i64>>> = inp.members.iter().filter(|m| get(m, "counted") == 1).collect();
    let n = counted.len() as i64;
    let sum = |keys: &[&str]| -> Option<i64> {
        let mut t = 0;
        for m in &counted {
            for k in keys {
                let v = get(m, k);
                if v == UNKNOWN {
                    return None;
                }
                t += v;
            }
        }
        Some(t)
    };
    let h = |k: &str| get(&inp.household, k);
    let (Some(income), Some(assets)) = (
        sum(&["wage_income", "business_income", "pension_income", "unemployment_income"]),
        sum(&["deposits", "investments"]),
    ) else {
        return (false, 0);
    };
    let property = [h("vehicles"), h("homes"), h("non_residential"), h("businesses")];
    if property.contains(&UNKNOWN) {
        return (false, 0);
    }
    let cars = h("vehicles") - h("vehicles_disability") - i64::from(h("vehicles_commercial") == 1);
    let passes = income < standard * n * 12
        && assets <= standard * n * asset_months
        && cars <= 0
        && h("homes") <= 1
        && h("non_residential") == 0
        && h("businesses") == 0;
    if !passes {
        return (false, 0);
    }
    let wujin = region.starts_with("320412");
    let base = ((standard * n * 12 - income) as u64).div_ceil(1200) as i64 * 100;
    let floor = if wujin { 5_000 * n } else { 0 };
    let elderly = if wujin { 15 } else { 10 };
    let pct: i64 = counted
        .iter()
        .map(|m| {
            let (age, grade, kind) = (get(m, "age"), get(m, "disability_grade"), get(m, "disability_kind"));
            let severe = (1..=2).contains(&grade) || (grade == 3 && (kind == 5 || kind == 6));
            [
                if age >= 70 { elderly } else { 0 },
                if age < 18 { 10 } else { 0 },
                if severe { 20 } else { 0 },
                if get(m, "major_illness") == 1 { 20 } else { 0 },
            ]
            .into_iter()
            .max()
            .unwrap()
        })
        .sum();
    let topup = ((standard * pct) as u64).div_ceil(10_000) as i64 * 100;
    (true, base.max(floor) + topup)
}

#[test]
fn simulation_gives_exact_cost_changes_per_county() {
    let dir = common::city(400, 53);
    let store = common::stores("simulate").remove(0);
    let app = common::app(store, Some(&dir));
    let actor = common::clerk();
    hedui::city::import_mirrors(&app, &actor, &dir).unwrap();
    let apps = hedui::city::applications(&dir).unwrap();
    let filed = hedui::city::file_applications(&app, &actor, &apps, common::as_of(), &|_| true).unwrap();
    let mut reports = Vec::new();
    for f in &filed {
        if let Ok(r) = app.run_job(&actor, f.job) {
            reports.push(r);
        }
    }
    assert!(reports.len() > 300);

    for (changes, standard, months) in [
        (vec!["dibao.standard=+5%"], 123_900, 24),
        (vec!["assets.financial_months=36"], 118_000, 36),
        (vec!["dibao.standard=-3%", "assets.financial_months=12"], 114_460, 12),
    ] {
        let parsed: Vec<Change> = changes.iter().map(|c| Change::parse(c).unwrap()).collect();
        let sim = app.simulate(&actor, &parsed, common::as_of()).unwrap();
        assert!(sim.errors.is_empty(), "{:?}", sim.errors);

        // The same numbers, computed by hand from each 低保 report's inputs (the city's 支出型
        // applications are simulated too, under their own programme).
        let mut want: BTreeMap<String, (i64, i64, i64, i64, i64, i64)> = BTreeMap::new();
        for r in reports.iter().filter(|r| r.commission.programme == "dibao") {
            let inp = r.assessment.inputs.as_ref().unwrap();
            let region = r.household.region.clone();
            let (b, cb) = oracle(&region, inp, 118_000, 24);
            let (a, ca) = oracle(&region, inp, standard, months);
            let e = want.entry(region[..6].to_string()).or_default();
            e.0 += 1;
            e.1 += i64::from(b);
            e.2 += i64::from(a);
            e.3 += i64::from(!b && a);
            e.4 += cb;
            e.5 += ca;
        }
        assert!(sim.rows.iter().any(|r| r.programme == "zhichu"), "the 支出型 applications are in the caseload");
        let got: BTreeMap<String, (i64, i64, i64, i64, i64, i64)> = sim
            .rows
            .iter()
            .filter(|r| r.programme == "dibao")
            .map(|r| {
                (
                    r.region.clone(),
                    (
                        r.households,
                        r.eligible_before,
                        r.eligible_after,
                        r.newly_eligible,
                        r.cost_before.0,
                        r.cost_after.0,
                    ),
                )
            })
            .collect();
        assert_eq!(got, want, "{changes:?}");
        assert!(want.len() >= 4, "several counties");
        for r in &sim.rows {
            assert_eq!(r.cost_change.0, r.cost_after.0 - r.cost_before.0);
        }
        let total: i64 = want.values().map(|v| v.5 - v.4).sum();
        let dibao: i64 = sim.rows.iter().filter(|r| r.programme == "dibao").map(|r| r.cost_change.0).sum();
        assert_eq!(dibao, total);
        assert_eq!(sim.total.cost_change.0, sim.rows.iter().map(|r| r.cost_change.0).sum::<i64>());
        println!(
            "{changes:?}: 月支出变化 {} 元，新增符合 {} 户，不再符合 {} 户",
            sim.total.cost_change, sim.total.newly_eligible, sim.total.newly_ineligible
        );
    }
    // A raise pays more to the same families; a cut to the asset multiple removes some.
    let raise = app.simulate(&actor, &[Change::parse("dibao.standard=+5%").unwrap()], common::as_of()).unwrap();
    assert!(raise.total.cost_change.0 > 0 && raise.total.newly_ineligible == 0);
    let cut = app.simulate(&actor, &[Change::parse("assets.financial_months=12").unwrap()], common::as_of()).unwrap();
    assert!(cut.total.newly_ineligible > 0 && cut.total.cost_change.0 < 0);
    // Unknown parameters and empty change lists are refused with a reason.
    let e = app.simulate(&actor, &[Change::parse("dibao.nope=1").unwrap()], common::as_of()).unwrap();
    assert!(e.errors.iter().all(|x| x.contains("没有参数 dibao.nope")) && !e.errors.is_empty());
    assert!(app.simulate(&actor, &[], common::as_of()).is_err());
}
