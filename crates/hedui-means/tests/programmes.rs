//! Case tables for every programme, run on the policy files hedui ships (data/policy).
//!
//! For each threshold: equal to it, one fen under and one fen over, with the expected outcome
//! and benefit to the fen. Worked numbers from domain.md §3 use a test county that overrides
//! the city's standard.

use hedui_core::Date;
use hedui_core::programme::Programme;
use hedui_rules::inputs::{FAILED, UNKNOWN};
use hedui_rules::{Inputs, PolicyDoc, PolicySet, Program, RulesError, TestOutcome, compile};

fn day(s: &str) -> Date {
    Date::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn shipped() -> PolicySet {
    let mut set = PolicySet::new();
    for (name, text) in [
        ("32.json", include_str!("../../../data/policy/32.json")),
        ("3204.json", include_str!("../../../data/policy/3204.json")),
        ("320412.json", include_str!("../../../data/policy/320412.json")),
    ] {
        set.add_json(name, text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    set
}

/// The shipped set plus a test city `3299` with 常州's numbers and the province's defaults
/// (常州's demo file switches off imputed income, employment costs and the second-home allowance
/// to match the synthetic city's model).
fn shipped_with_test_city() -> PolicySet {
    let mut set = shipped();
    let mut city: PolicyDoc =
        serde_json::from_str(include_str!("../../../data/policy/3204.json")).unwrap_or_else(|e| panic!("{e}"));
    city.region = "3299".into();
    city.parameters.retain(|p| !p.doc.contains("DEMO-3204-2021-06"));
    set.add("3299", city).unwrap_or_else(|e| panic!("{e}"));
    set
}

/// The shipped set plus a test county `320499` whose standard is `standard` fen.
fn with_standard(standard: i64) -> PolicySet {
    let mut set = shipped();
    let doc: PolicyDoc = serde_json::from_value(serde_json::json!({
        "region": "320499", "name": "测试县",
        "parameters": [{"key": "dibao.standard", "value": standard, "from": "2025-01-01", "doc": "测试"}]
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    set.add("test", doc).unwrap_or_else(|e| panic!("{e}"));
    set
}

const AS_OF: &str = "2025-08-01";

fn program_in(set: &PolicySet, region: &str, p: Programme, as_of: &str) -> Program {
    let res = set.resolve(region, day(as_of)).unwrap_or_else(|e| panic!("{e}"));
    compile(&res, p).unwrap_or_else(|e| panic!("{}: {e}", p.code()))
}

fn program(p: Programme) -> Program {
    program_in(&shipped_with_test_city(), "3299", p, AS_OF)
}

/// `n` members aged 65 (no imputed income, no top-up), men, counted, nothing else.
fn household(n: usize) -> Inputs {
    let mut i = Inputs::new(n);
    for k in 0..n {
        i.set_m(k, "age", 65);
        i.set_m(k, "sex", 1);
    }
    i
}

/// (outcome, benefit in fen) of a programme for a household.
fn run(p: &Program, i: &Inputs) -> (TestOutcome, Option<i64>) {
    let d = p.decide(i, true).unwrap_or_else(|e| panic!("{e}"));
    lines_agree(p, &d);
    (d.outcome, d.benefit.and_then(|b| b.value))
}

/// Every item line a report would print for this decision agrees with its verdict: the
/// comparison it states holds exactly when the verdict is 未超出, or it states none and names the
/// rule the verdict follows from.
fn lines_agree(p: &Program, d: &hedui_rules::Decision) {
    use hedui_means::{item_line, relation_holds};
    for t in &d.tests {
        let line = item_line(p, t);
        let Some(found) = t.found.as_ref().and_then(|f| f.value) else { continue };
        let limit = t.limit.as_ref().and_then(|l| l.value);
        let bound = if t.rule.as_deref() == Some("=") { Some(limit.unwrap_or(0)) } else { limit };
        let passed = match t.outcome {
            Pass => true,
            Fail => false,
            Unknown => continue,
        };
        match &line.basis {
            None => {
                if let Some(holds) = relation_holds(found, &line.rule, bound) {
                    assert_eq!(
                        holds,
                        passed,
                        "{} {}: {found} {} {bound:?} reads against its verdict",
                        p.programme.code(),
                        t.code,
                        line.rule
                    );
                }
            }
            Some(b) => assert!(line.rule.is_empty() && !b.is_empty(), "{} {}: {line:?}", p.programme.code(), t.code),
        }
        LINES_CHECKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

static LINES_CHECKED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn test_outcome(p: &Program, i: &Inputs, code: &str) -> TestOutcome {
    let d = p.decide(i, false).unwrap_or_else(|e| panic!("{e}"));
    lines_agree(p, &d);
    d.tests.iter().find(|t| t.code == code).map(|t| t.outcome).unwrap_or_else(|| panic!("no test {code}"))
}

use TestOutcome::{Fail, Pass, Unknown};

// 常州 2025-07-01 standard 1,180 元; 12 months; 3 persons.
const LIMIT3: i64 = 118_000 * 3 * 12;

#[test]
fn dibao_income_is_strictly_below_the_standard_on_household_totals() {
    let p = program(Programme::Dibao);
    for (income, outcome, benefit) in [
        (LIMIT3, Fail, Some(0)),
        (LIMIT3 - 1, Pass, Some(100)),
        (LIMIT3 + 1, Fail, Some(0)),
        (0, Pass, Some(354_000)),
        // 1 fen a month under the standard still pays a whole yuan (rounded up).
        (LIMIT3 - 12, Pass, Some(100)),
        (LIMIT3 - 1_200, Pass, Some(100)),
        (LIMIT3 - 1_201, Pass, Some(200)),
    ] {
        let mut h = household(3);
        h.set_m(0, "pension_income", income);
        assert_eq!(run(&p, &h), (outcome, benefit), "income {income}");
    }
}

#[test]
fn worked_examples_round_the_household_total_not_the_per_capita_figure() {
    // 600 × 3 − 1000 = 800.
    let p = program_in(&with_standard(60_000), "320499", Programme::Dibao, AS_OF);
    let mut h = household(3);
    h.set_m(0, "pension_income", 100_000 * 12);
    assert_eq!(run(&p, &h), (Pass, Some(80_000)));
    // 632 × 3 − 1894 = 2 (the per-capita route would give 3).
    let p = program_in(&with_standard(63_200), "320499", Programme::Dibao, AS_OF);
    let mut h = household(3);
    h.set_m(0, "pension_income", 189_400 * 12);
    h.set_m(1, "pension_income", 0);
    assert_eq!(run(&p, &h), (Pass, Some(200)));
    // The income spread over members does not change the household figure.
    let mut h = household(3);
    for k in 0..3 {
        h.set_m(k, "pension_income", 189_400 * 4);
    }
    assert_eq!(run(&p, &h), (Pass, Some(200)));
}

#[test]
fn dibao_financial_assets_are_inclusive() {
    let p = program(Programme::Dibao);
    let limit = 118_000 * 3 * 24;
    for (assets, outcome) in [(limit, Pass), (limit - 1, Pass), (limit + 1, Fail)] {
        let mut h = household(3);
        h.set_m(0, "deposits", assets - 500);
        h.set_m(2, "investments", 500);
        assert_eq!(test_outcome(&p, &h, "financial_assets"), outcome, "assets {assets}");
        let expect_benefit = if outcome == Pass { Some(354_000) } else { Some(0) };
        assert_eq!(run(&p, &h).1, expect_benefit);
    }
    // An uncounted member's money is not the household's.
    let mut h = household(3);
    h.set_m(1, "counted", 0);
    h.set_m(1, "deposits", limit * 10);
    assert_eq!(run(&p, &h).0, Pass);
    // A major illness exempts up to 5万.
    let limit2 = 118_000 * 2 * 24;
    let mut h = household(2);
    h.set_m(0, "major_illness", 1);
    h.set_m(0, "deposits", limit2 + 5_000_000);
    assert_eq!(test_outcome(&p, &h, "financial_assets"), Pass);
    h.set_m(0, "deposits", limit2 + 5_000_001);
    assert_eq!(test_outcome(&p, &h, "financial_assets"), Fail);
}

#[test]
fn county_overrides_take_effect_from_their_date() {
    // 武进区 (shipped) sets a 50 元 per-person floor and a 15 % top-up for the elderly from 2025-07-01.
    let p = program_in(&shipped(), "320412", Programme::Dibao, AS_OF);
    let mut h = household(3);
    h.set_m(0, "pension_income", LIMIT3 - 1);
    // Benefit 1 元 lifted to the floor of 50 元 × 3.
    assert_eq!(run(&p, &h), (Pass, Some(15_000)));
    let mut old = household(1);
    old.set_m(0, "age", 80);
    // 1,180 + 15 % of 1,180 = 1,357 元.
    assert_eq!(run(&p, &old), (Pass, Some(135_700)));
    // The neighbouring district follows the city: no floor, 10 %.
    let q = program_in(&shipped(), "320402", Programme::Dibao, AS_OF);
    assert_eq!(run(&q, &h), (Pass, Some(100)));
    assert_eq!(run(&q, &old), (Pass, Some(129_800)));
    // Before the county's date, the county follows the city (and the city's earlier standard).
    let p = program_in(&shipped(), "320412", Programme::Dibao, "2025-06-30");
    assert_eq!(run(&p, &old), (Pass, Some(112_000 + 11_200)));
    // A county may change a limit: 30 months of assets instead of 24.
    let mut set = shipped();
    let doc: PolicyDoc = serde_json::from_value(serde_json::json!({
        "region": "320413", "name": "测试区",
        "parameters": [{"key": "assets.financial_months", "value": 30, "unit": "months", "from": "2025-07-01", "doc": "测试"}]
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    set.add("t", doc).unwrap_or_else(|e| panic!("{e}"));
    let p = program_in(&set, "320413", Programme::Dibao, AS_OF);
    let limit = 118_000 * 3 * 30;
    let mut h = household(3);
    h.set_m(0, "deposits", limit);
    assert_eq!(run(&p, &h).0, Pass);
    h.set_m(0, "deposits", limit + 1);
    assert_eq!(run(&p, &h).0, Fail);
    assert_eq!(run(&q, &h).0, Fail);
}

#[test]
fn property_tests_with_their_exemptions() {
    let p = program(Programme::Dibao);
    // (household inputs, outcome) for a household of three.
    let cases: [(&[(&str, i64)], _); 11] = [
        (&[("vehicles", 1)], Fail),
        (&[("vehicles", 1), ("vehicles_disability", 1)], Pass),
        (&[("vehicles", 1), ("vehicles_commercial", 1)], Pass),
        (&[("vehicles", 2), ("vehicles_commercial", 2)], Fail),
        (&[("homes", 1)], Pass),
        // A second home only while floor area per person is below 40 m² (3 persons: 120 m²).
        (&[("homes", 2), ("home_area", 11_999)], Pass),
        (&[("homes", 2), ("home_area", 12_000)], Fail),
        (&[("homes", 2), ("home_area", 12_001)], Fail),
        (&[("homes", 3), ("home_area", 100)], Fail),
        (&[("non_residential", 1)], Fail),
        (&[("businesses", 1)], Fail),
    ];
    for (inputs, outcome) in cases {
        let mut h = household(3);
        for (name, v) in inputs {
            h.set_h(name, *v);
        }
        assert_eq!(run(&p, &h).0, outcome, "{inputs:?}");
    }
}

#[test]
fn income_counts_four_kinds_excludes_listed_items_and_deducts_costs() {
    let p = program(Programme::Dibao);
    let income = |f: &dyn Fn(&mut Inputs)| {
        let mut h = household(1);
        f(&mut h);
        let d = p.decide(&h, false).unwrap_or_else(|e| panic!("{e}"));
        d.tests[0].found.as_ref().and_then(|f| f.value).unwrap_or(-1)
    };
    assert_eq!(
        income(&|h| {
            h.set_m(0, "employed", 1);
            h.set_m(0, "wage_income", 100_000)
        }),
        90_000
    );
    assert_eq!(income(&|h| h.set_m(0, "business_income", 100_000)), 90_000);
    assert_eq!(income(&|h| h.set_m(0, "property_income", 100_000)), 100_000);
    assert_eq!(income(&|h| h.set_m(0, "unemployment_income", 100_000)), 100_000);
    assert_eq!(income(&|h| h.set_m(0, "support_received", 100_000)), 100_000);
    // Transfers out are deducted.
    assert_eq!(
        income(&|h| {
            h.set_m(0, "pension_income", 100_000);
            h.set_m(0, "social_insurance_paid", 30_000)
        }),
        70_000
    );
    // Excluded: 优抚金 and the like, and the residents' basic pension.
    assert_eq!(income(&|h| h.set_m(0, "excluded_income", 100_000)), 0);
    assert_eq!(income(&|h| h.set_m(0, "basic_pension_income", 100_000)), 0);
    // Rigid medical costs of a seriously ill member are deducted.
    assert_eq!(
        income(&|h| {
            h.set_m(0, "pension_income", 100_000);
            h.set_m(0, "major_illness", 1);
            h.set_m(0, "medical_expense", 40_000)
        }),
        60_000
    );
    assert_eq!(
        income(&|h| {
            h.set_m(0, "pension_income", 100_000);
            h.set_m(0, "medical_expense", 40_000)
        }),
        100_000
    );
}

#[test]
fn imputed_income_for_able_bodied_members_without_work_by_age_band() {
    let p = program(Programme::Dibao);
    // 最低工资 2,280 元 until 2025-09-30; 12 months.
    let full = 228_000 * 12;
    let imputed = |age: i64, sex: i64, f: &dyn Fn(&mut Inputs)| {
        let mut h = Inputs::new(1);
        h.set_m(0, "age", age);
        h.set_m(0, "sex", sex);
        f(&mut h);
        let d = p.decide(&h, false).unwrap_or_else(|e| panic!("{e}"));
        d.tests[0].found.as_ref().and_then(|f| f.value).unwrap_or(-1)
    };
    let none = |_: &mut Inputs| {};
    assert_eq!(imputed(17, 1, &none), 0);
    assert_eq!(imputed(18, 1, &none), full);
    assert_eq!(imputed(50, 1, &none), full);
    assert_eq!(imputed(51, 1, &none), full / 2);
    assert_eq!(imputed(59, 1, &none), full / 2);
    assert_eq!(imputed(60, 1, &none), 0);
    assert_eq!(imputed(45, 2, &none), full);
    assert_eq!(imputed(46, 2, &none), full / 2);
    assert_eq!(imputed(55, 2, &none), full / 2);
    assert_eq!(imputed(56, 2, &none), 0);
    // Not imputed: working, students, new graduates, the severely disabled, the seriously ill.
    assert_eq!(imputed(30, 1, &|h| h.set_m(0, "employed", 1)), 0);
    assert_eq!(imputed(30, 1, &|h| h.set_m(0, "student", 1)), 0);
    assert_eq!(imputed(30, 1, &|h| h.set_m(0, "new_graduate", 1)), 0);
    assert_eq!(
        imputed(30, 1, &|h| {
            h.set_m(0, "disability_grade", 2);
            h.set_m(0, "disability_kind", 4)
        }),
        0
    );
    assert_eq!(
        imputed(30, 1, &|h| {
            h.set_m(0, "disability_grade", 3);
            h.set_m(0, "disability_kind", 5)
        }),
        0
    );
    assert_eq!(
        imputed(30, 1, &|h| {
            h.set_m(0, "disability_grade", 3);
            h.set_m(0, "disability_kind", 4)
        }),
        full
    );
    assert_eq!(imputed(30, 1, &|h| h.set_m(0, "major_illness", 1)), 0);
}

#[test]
fn classified_top_ups_taper_and_refusals() {
    let p = program(Programme::Dibao);
    // A 70-year-old: +10 % of the standard (118 元); a severely disabled member +20 % (236 元).
    let mut h = household(2);
    h.set_m(0, "age", 70);
    h.set_m(1, "disability_grade", 1);
    h.set_m(1, "disability_kind", 4);
    assert_eq!(run(&p, &h), (Pass, Some(236_000 + 11_800 + 23_600)));
    // The highest applicable rate only, never both.
    let mut h = household(1);
    h.set_m(0, "age", 75);
    h.set_m(0, "major_illness", 1);
    assert_eq!(run(&p, &h), (Pass, Some(118_000 + 23_600)));
    // 渐退期: income over the standard through work, still within six months.
    let mut h = household(2);
    h.set_m(0, "age", 40);
    h.set_m(0, "employed", 1);
    h.set_m(0, "wage_income", 5_000_000);
    h.set_h("on_dibao", 1);
    h.set_h("current_benefit", 50_000);
    h.set_h("tapering_months", 5);
    let d = p.decide(&h, false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.outcome, Fail);
    let taper = |d: &hedui_rules::Decision| d.show.iter().find(|s| s.var == "dibao.taper_amount").and_then(|s| s.value);
    assert_eq!(taper(&d), Some(50_000));
    h.set_h("tapering_months", 6);
    assert_eq!(taper(&p.decide(&h, false).unwrap_or_else(|e| panic!("{e}"))), Some(0));
    // Three refusals of suitable work stop that member's share: 3 persons, one refuses.
    let mut h = household(3);
    h.set_m(2, "work_refusals", 3);
    assert_eq!(run(&p, &h), (Pass, Some(354_000 * 2 / 3)));
    h.set_m(2, "work_refusals", 2);
    assert_eq!(run(&p, &h), (Pass, Some(354_000)));
}

#[test]
fn single_person_household_for_severe_disability() {
    let p = program(Programme::Dibao);
    let mut h = household(3);
    h.set_h("single_person", 1);
    h.set_m(0, "applicant", 1);
    h.set_m(0, "disability_grade", 1);
    h.set_m(0, "disability_kind", 5);
    // The family must be 低保边缘: income under 1.5 × standard × 3.
    let edge = 118_000 * 150 * 3 * 12 / 100;
    h.set_m(1, "pension_income", edge - 1);
    // Benefit: the standard for one person, plus the 20 % disability top-up.
    assert_eq!(run(&p, &h), (Pass, Some(118_000 + 23_600)));
    h.set_m(1, "pension_income", edge);
    assert_eq!(run(&p, &h).0, Fail);
    // Without a severe disability or illness the single-person route does not apply.
    h.set_m(1, "pension_income", 0);
    h.set_m(0, "disability_grade", 0);
    assert_eq!(run(&p, &h).0, Fail);
}

#[test]
fn bianyuan_band_between_the_standard_and_one_and_a_half_times() {
    let p = program(Programme::Bianyuan);
    let edge = 118_000 * 150 * 3 * 12 / 100;
    for (income, outcome) in [(edge, Fail), (edge - 1, Pass), (edge + 1, Fail), (LIMIT3, Pass), (LIMIT3 - 1, Fail)] {
        let mut h = household(3);
        h.set_m(0, "pension_income", income);
        assert_eq!(run(&p, &h).0, outcome, "income {income}");
    }
}

#[test]
fn bianyuan_multiple_is_configurable_up_to_twice() {
    let mut set = shipped();
    let doc = |v: i64| -> PolicyDoc {
        serde_json::from_value(serde_json::json!({
            "region": "320499", "name": "测试县",
            "parameters": [{"key": "bianyuan.multiple", "value": v, "unit": "percent", "from": "2025-01-01", "doc": "测试"}]
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    };
    set.add("t", doc(200)).unwrap_or_else(|e| panic!("{e}"));
    let p = program_in(&set, "320499", Programme::Bianyuan, AS_OF);
    let mut h = household(1);
    h.set_m(0, "pension_income", 118_000 * 2 * 12 - 1);
    assert_eq!(run(&p, &h).0, Pass);
    let mut set = shipped();
    set.add("t", doc(201)).unwrap_or_else(|e| panic!("{e}"));
    let err = set.resolve("320499", day(AS_OF)).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("bianyuan.multiple") && err.contains("100 到 200"), "{err}");
}

fn tekun_applicant(age: i64) -> Inputs {
    let mut h = Inputs::new(1);
    h.set_m(0, "age", age);
    h.set_m(0, "sex", 2);
    h.set_m(0, "applicant", 1);
    h.set_m(0, "employed", 1);
    h
}

#[test]
fn tekun_three_conditions_and_care_grades() {
    let p = program(Programme::Tekun);
    // Basic standard 1.3 × 1,180 = 1,534 元, plus care for a self-caring person (120 元).
    for (age, outcome) in [(60, Pass), (59, Fail), (61, Pass), (15, Pass), (16, Fail)] {
        let expect = if outcome == Pass { Some(153_400 + 12_000) } else { Some(0) };
        assert_eq!(run(&p, &tekun_applicant(age)), (outcome, expect), "age {age}");
    }
    let disabled = |kind: i64, grade: i64| {
        let mut h = tekun_applicant(40);
        h.set_m(0, "disability_kind", kind);
        h.set_m(0, "disability_grade", grade);
        test_outcome(&p, &h, "unable_to_work")
    };
    assert_eq!(disabled(5, 3), Pass);
    assert_eq!(disabled(6, 1), Pass);
    assert_eq!(disabled(5, 4), Fail);
    assert_eq!(disabled(4, 2), Pass);
    assert_eq!(disabled(4, 3), Fail);
    assert_eq!(disabled(1, 1), Pass);
    assert_eq!(disabled(1, 2), Fail);
    // Income under the standard: 1,180 元 × 12 for one person.
    let limit = 118_000 * 12;
    for (income, outcome) in [(limit, Fail), (limit - 1, Pass), (limit + 1, Fail)] {
        let mut h = tekun_applicant(70);
        h.set_m(0, "pension_income", income);
        assert_eq!(test_outcome(&p, &h, "income"), outcome, "income {income}");
    }
    // Care grades from the six activities of daily living.
    for (unable, care) in [(0, 12_000), (1, 60_000), (3, 60_000), (4, 150_000), (6, 150_000)] {
        let mut h = tekun_applicant(80);
        h.set_m(0, "adl_unable", unable);
        assert_eq!(run(&p, &h), (Pass, Some(153_400 + care)), "adl {unable}");
    }
    // Choosing the orphan guarantee excludes 特困.
    let mut h = tekun_applicant(10);
    h.set_m(0, "orphan_chosen", 1);
    assert_eq!(run(&p, &h).0, Fail);
}

#[test]
fn tekun_obligors_capacity_tests() {
    let p = program(Programme::Tekun);
    let with_obligor = |f: &dyn Fn(&mut Inputs)| {
        let mut h = Inputs::new(2);
        h.set_m(0, "age", 75);
        h.set_m(0, "applicant", 1);
        h.set_m(1, "is_supporter", 1);
        h.set_m(1, "age", 45);
        h.set_m(1, "employed", 1);
        f(&mut h);
        test_outcome(&p, &h, "no_obligor")
    };
    // A working-age obligor can support.
    assert_eq!(with_obligor(&|_| {}), Fail);
    // One who is 特困, or on 低保 at 60+, cannot.
    assert_eq!(with_obligor(&|h| h.set_m(1, "on_tekun", 1)), Pass);
    assert_eq!(
        with_obligor(&|h| {
            h.set_m(1, "member_on_dibao", 1);
            h.set_m(1, "age", 60)
        }),
        Pass
    );
    assert_eq!(
        with_obligor(&|h| {
            h.set_m(1, "member_on_dibao", 1);
            h.set_m(1, "age", 59)
        }),
        Fail
    );
    // 70+ with income under last year's disposable income (6.8万 a year) and modest assets.
    let year = 6_800_000;
    for (income, outcome) in [(year, Fail), (year - 1, Pass), (year + 1, Fail)] {
        let r = with_obligor(&|h| {
            h.set_m(1, "age", 70);
            h.set_m(1, "pension_income", income)
        });
        assert_eq!(r, outcome, "obligor income {income}");
    }
    for (deposits, outcome) in [(10_000_001, Fail), (10_000_000, Pass), (9_999_999, Pass)] {
        let r = with_obligor(&|h| {
            h.set_m(1, "age", 70);
            h.set_m(1, "deposits", deposits)
        });
        assert_eq!(r, outcome, "obligor deposits {deposits}");
    }
    // Severely disabled with low income; or in prison with modest assets.
    assert_eq!(
        with_obligor(&|h| {
            h.set_m(1, "disability_grade", 2);
            h.set_m(1, "disability_kind", 4)
        }),
        Pass
    );
    assert_eq!(with_obligor(&|h| h.set_m(1, "unable_status", 1)), Pass);
    // The obligor's income is not the applicant's: the applicant's income test is unaffected.
    let mut h = Inputs::new(2);
    h.set_m(0, "age", 75);
    h.set_m(0, "applicant", 1);
    h.set_m(1, "is_supporter", 1);
    h.set_m(1, "age", 80);
    h.set_m(1, "pension_income", 10_000_000);
    assert_eq!(test_outcome(&p, &h, "income"), Pass);
}

#[test]
fn gangxing_rigid_expenditure_ratio_from_2025() {
    let p = program(Programme::Gangxing);
    // 3 persons, income 10万 over the year (above the 边缘 band), living costs 1,180 × 3 × 12.
    let income = 10_000_000;
    let living = LIMIT3;
    // Rigid spending must exceed 60 % of income: 6,000,000.
    let medical_at = 6_000_000 - living;
    for (medical, outcome) in [(medical_at, Fail), (medical_at - 1, Fail), (medical_at + 1, Pass)] {
        let mut h = household(3);
        h.set_m(0, "pension_income", income);
        h.set_m(1, "medical_expense", medical);
        assert_eq!(run(&p, &h).0, outcome, "medical {medical}");
    }
    // Per-capita income under last year's disposable income (6.8万): 3 persons → 20.4万.
    for (inc, outcome) in [(20_400_000, Fail), (20_399_999, Pass), (20_400_001, Fail)] {
        let mut h = household(3);
        h.set_m(0, "pension_income", inc);
        h.set_m(1, "medical_expense", 20_000_000);
        assert_eq!(test_outcome(&p, &h, "income"), outcome, "income {inc}");
    }
    // A 低保 family is not a 刚性支出 family.
    let mut h = household(3);
    h.set_m(1, "medical_expense", 20_000_000);
    assert_eq!(test_outcome(&p, &h, "not_on_other"), Fail);
    // The national rule took effect on 2025-01-01.
    let res = shipped().resolve("3204", day("2024-12-31")).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(compile(&res, Programme::Gangxing), Err(RulesError::NoProgramme { .. })));
}

#[test]
fn expenditure_type_assistance_nets_rigid_spending_off_income() {
    let p = program(Programme::Zhichu);
    for (medical, outcome, benefit) in [
        (752_000, Fail, Some(0)),
        (751_999, Fail, Some(0)),
        (752_001, Pass, Some(100)),
        (800_000, Pass, Some(4_000)),
        (800_001, Pass, Some(4_100)),
    ] {
        let mut h = household(3);
        h.set_m(0, "pension_income", 5_000_000);
        h.set_m(1, "medical_expense", medical);
        assert_eq!(run(&p, &h), (outcome, benefit), "medical {medical}");
    }
    // Under the plain 低保 test the same family exceeds.
    let mut h = household(3);
    h.set_m(0, "pension_income", 5_000_000);
    h.set_m(1, "medical_expense", 800_000);
    assert_eq!(run(&program(Programme::Dibao), &h).0, Fail);
}

#[test]
fn temporary_disaster_employment_low_income_and_special_assistance() {
    // 临时救助: the expense, capped at 6 months of the standard for the household.
    let p = program(Programme::Linshi);
    let cap = 118_000 * 3 * 6;
    for (expense, benefit) in [(300_000, 300_000), (cap, cap), (cap + 1, cap), (cap - 100, cap - 100), (0, 0)] {
        let mut h = household(3);
        h.set_h("emergency_expense", expense);
        assert_eq!(run(&p, &h).1, Some(benefit), "expense {expense}");
    }
    // 受灾: 30 % of the loss, at most 2万.
    let p = program(Programme::Disaster);
    // 30 % rounded up to the yuan: 6,666,666 gives 2,000,000 (the cap itself); a fen more stays at
    // the cap; 6,666,000 gives 1,999,800, under it.
    for (loss, benefit) in
        [(1_000_000, 300_000), (6_666_666, 2_000_000), (6_666_667, 2_000_000), (6_666_000, 1_999_800), (0, 0)]
    {
        let mut h = household(2);
        h.set_h("disaster_loss", loss);
        assert_eq!(run(&p, &h).1, Some(benefit), "loss {loss}");
    }
    // 就业救助: a 低保 family with an able-bodied member out of work.
    let p = program(Programme::Employment);
    let mut h = household(2);
    h.set_h("on_dibao", 1);
    assert_eq!(run(&p, &h).0, Fail);
    h.set_m(1, "age", 35);
    assert_eq!(run(&p, &h).0, Pass);
    // 城市低收入家庭: under 2 × the standard.
    let p = program(Programme::LowIncome);
    let limit = 118_000 * 2 * 3 * 12;
    for (income, outcome) in [(limit, Fail), (limit - 1, Pass), (limit + 1, Fail)] {
        let mut h = household(3);
        h.set_m(0, "pension_income", income);
        assert_eq!(run(&p, &h).0, outcome, "income {income}");
    }
    // Housing: floor area per person under 15 m².
    let p = program(Programme::Housing);
    for (area, outcome) in [(4_500, Fail), (4_499, Pass), (4_501, Fail)] {
        let mut h = household(3);
        h.set_h("homes", 1);
        h.set_h("home_area", area);
        assert_eq!(run(&p, &h).0, outcome, "area {area}");
    }
    // Education: a student in a family under 1.5 ×.
    let p = program(Programme::Education);
    let mut h = household(3);
    assert_eq!(run(&p, &h).0, Fail);
    h.set_m(2, "student", 1);
    assert_eq!(run(&p, &h).0, Pass);
    let edge = 118_000 * 150 * 3 * 12 / 100;
    for (income, outcome) in [(edge, Fail), (edge - 1, Pass), (edge + 1, Fail)] {
        h.set_m(0, "pension_income", income);
        assert_eq!(run(&p, &h).0, outcome, "education income {income}");
    }
    // Medical: income after medical costs under 1.5 ×.
    let p = program(Programme::Medical);
    let edge = 118_000 * 150 * 3 * 12 / 100;
    let mut h = household(3);
    h.set_m(0, "pension_income", edge + 100_000);
    assert_eq!(run(&p, &h).0, Fail);
    for (medical, outcome) in [(100_000, Fail), (99_999, Fail), (100_001, Pass)] {
        h.set_m(0, "medical_expense", medical);
        assert_eq!(run(&p, &h).0, outcome, "medical {medical}");
    }
}

#[test]
fn unknown_facts_leave_tests_open_and_failed_sources_are_errors() {
    let p = program(Programme::Dibao);
    let mut h = household(3);
    h.set_m(1, "deposits", UNKNOWN);
    let d = p.decide(&h, true).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.outcome, Unknown);
    assert_eq!(d.benefit.as_ref().and_then(|b| b.value), None);
    assert_eq!(test_outcome(&p, &h, "income"), Pass);
    // A known failure still decides: income over the limit fails whatever the bank says.
    h.set_m(0, "pension_income", LIMIT3);
    assert_eq!(run(&p, &h), (Fail, Some(0)));
    // A source whose failure policy is `fail` stops the evaluation, naming rule and fact.
    let mut h = household(3);
    h.set_m(1, "deposits", FAILED);
    h.notes.push((Some(1), hedui_rules::Entity::Member, 24, "B03 未反馈，失败策略 fail".into()));
    let err = p.decide(&h, false).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("assets.financial") && err.contains("存款余额") && err.contains("B03"), "{err}");
}

/// The second home allowed below the average area: two homes, a limit of one, and 未超出. The
/// line must not read "2 ≤ 1 未超出": it states no comparison and names the rule that allows it.
#[test]
fn an_item_line_never_reads_against_its_verdict() {
    use hedui_means::item_line;
    let p = program(Programme::Dibao);
    let mut i = household(3);
    i.set_h("homes", 2);
    i.set_h("home_area", 1);
    let d = p.decide(&i, false).unwrap_or_else(|e| panic!("{e}"));
    let t = d.tests.iter().find(|t| t.code == "homes").unwrap_or_else(|| panic!("no homes test"));
    assert_eq!(t.outcome, Pass, "the second-home allowance applies in the test city");
    let line = item_line(&p, t);
    assert_eq!(line.rule, "");
    assert!(line.basis.as_deref().is_some_and(|b| b.contains("assets.homes_ok")), "{line:?}");
    lines_agree(&p, &d);
    // And the plain case keeps the policy's own comparison.
    i.set_h("homes", 1);
    let d = p.decide(&i, false).unwrap_or_else(|e| panic!("{e}"));
    let t = d.tests.iter().find(|t| t.code == "homes").unwrap_or_else(|| panic!("no homes test"));
    assert_eq!(item_line(&p, t), hedui_means::ItemLine { rule: "≤".into(), basis: None });
    assert!(LINES_CHECKED.load(std::sync::atomic::Ordering::Relaxed) > 0);
}
