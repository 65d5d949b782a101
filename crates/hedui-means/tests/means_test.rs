//! Case tables for the simple 低保 means test: every threshold at, one fen under and one fen over.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use hedui_core::catalog::{Catalog, Category, known};
use hedui_core::fact::{Fact, Observation};
use hedui_core::programme::Programme;
use hedui_core::{Date, Fen, Month, PersonId};
use hedui_means::{
    AnomalyKind, Assessment, CaseInput, ExceedReason, MemberCase, Outcome, SourceState, SourceStatus, assess,
};
use hedui_rules::{PolicySet, Program, Resolved, compile};

/// The shipped policy, with a test county that deducts no employment costs (so wages count in
/// full) and allows a second home below 40 m² a person.
fn program() -> (Program, Resolved) {
    let mut set = PolicySet::new();
    for (name, text) in [
        ("32.json", include_str!("../../../data/policy/32.json")),
        ("3204.json", include_str!("../../../data/policy/3204.json")),
    ] {
        set.add_json(name, text).unwrap();
    }
    set.add_json(
        "320499.json",
        r#"{"region":"320499","name":"t","parameters":[
          {"key":"income.employment_cost_pct","value":0,"from":"2020-01-01","doc":"T"},
          {"key":"assets.avg_area_per_person","value":4000,"from":"2020-01-01","doc":"T"}]}"#,
    )
    .unwrap();
    let res = set.resolve("320499", d(AS_OF)).unwrap();
    (compile(&res, Programme::Dibao).unwrap(), res)
}

fn run(c: &CaseInput) -> Assessment {
    let (p, res) = program();
    assess(c, &p, &res, &catalog()).unwrap()
}

#[test]
fn obligors_without_their_own_authorization_leave_tekun_open() {
    let (_, res) = program();
    let tekun = compile(&res, Programme::Tekun).unwrap();
    let mut c = case(vec![]);
    c.members.truncate(1);
    c.members[0].birth = Some(d("1940-05-01"));
    let alone = assess(&c, &tekun, &res, &catalog()).unwrap();
    assert_eq!(alone.outcome, Outcome::NotExceeded, "{}", alone.conclusion);
    // A son of 45 with a duty of support, whose finances were not checked.
    c.members.push(MemberCase {
        seq: 101,
        name: "儿子".into(),
        counted: false,
        declared_income: Fen::ZERO,
        person: None,
        unresolved_reason: None,
        birth: Some(d("1981-03-01")),
        sex: 1,
        supporter: true,
        authorized: None,
    });
    let a = assess(&c, &tekun, &res, &catalog()).unwrap();
    assert_eq!(a.outcome, Outcome::Open, "{}", a.conclusion);
    let t = a.decision.as_ref().unwrap().tests.iter().find(|t| t.code == "no_obligor").unwrap();
    assert_eq!(t.outcome, hedui_rules::TestOutcome::Unknown);
    let trace = a.decision.as_ref().unwrap().trace.as_ref().unwrap().to_text();
    assert!(trace.contains("义务人 儿子") && trace.contains("须经其本人授权后核对"), "{trace}");
    // He is not a member: the household size and the missing list do not count him.
    assert_eq!(a.counted_size, 1);
    assert!(a.missing.is_empty(), "{:?}", a.missing);

    // A father of 86 who signed a letter of his own: with every category, his finances are
    // checked (nothing found: he cannot support); without the financial ones, his assets stay
    // unknown, and so does whether he can.
    let every: Vec<String> = catalog().categories.iter().map(|c| c.code.to_string()).collect();
    let son = c.members[1].clone();
    let father = |authorized: Vec<String>| MemberCase {
        seq: 102,
        name: "父亲".into(),
        person: Some(PersonId(77)),
        birth: Some(d("1940-03-01")),
        authorized: Some(authorized),
        ..son.clone()
    };
    c.members.truncate(1);
    c.members.push(father(every.clone()));
    let a = assess(&c, &tekun, &res, &catalog()).unwrap();
    assert_eq!(a.outcome, Outcome::NotExceeded, "{}", a.conclusion);
    let not_financial: Vec<String> =
        catalog().categories.iter().filter(|c| !c.financial).map(|c| c.code.to_string()).collect();
    c.members[1] = father(not_financial);
    let a = assess(&c, &tekun, &res, &catalog()).unwrap();
    assert_eq!(a.outcome, Outcome::Open, "{}", a.conclusion);
    let trace = a.decision.as_ref().unwrap().trace.as_ref().unwrap().to_text();
    assert!(trace.contains("义务人 父亲 本人的授权书未涵盖存款余额"), "{trace}");
}

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}
fn m(s: &str) -> Month {
    Month::parse(s).unwrap()
}

const AS_OF: &str = "2026-11-27";
/// Standard 1180 yuan × 2 counted members × 12 months.
const INCOME_LIMIT: i64 = 118_000 * 2 * 12;
/// Standard 1180 yuan × 2 counted members × 24 months.
const ASSET_LIMIT: i64 = 118_000 * 2 * 24;

/// The demo city's catalog: which sources supply which categories.
fn catalog() -> Catalog {
    Catalog::parse(include_str!("../../../data/sources/3204.json")).unwrap()
}

fn fact(person: i64, kind: Category, amount: i64) -> Fact {
    Fact {
        source: "test".into(),
        obs: Observation { amount: Fen(amount), key: format!("k{person}{amount}"), ..Observation::of(kind) },
        person: PersonId(person),
        as_of: d(AS_OF),
        label: String::new(),
        record: hedui_core::RecordId(0),
    }
}

/// `f` with its observation changed.
fn with(mut f: Fact, change: impl FnOnce(&mut Observation)) -> Fact {
    change(&mut f.obs);
    f
}

fn wage(person: i64, month: &str, amount: i64) -> Fact {
    with(fact(person, known::TAX_INCOME, amount), |o| {
        o.period = Some((m(month), m(month)));
        o.code = "wage".into();
    })
}

/// Two counted members (persons 1 and 2) and one excluded member (person 3).
fn case(facts: Vec<Fact>) -> CaseInput {
    let member = |seq: u32, counted: bool| MemberCase {
        seq,
        name: format!("成员{seq}"),
        counted,
        declared_income: Fen(300_000),
        person: Some(PersonId(i64::from(seq))),
        unresolved_reason: None,
        birth: Some(d("1960-01-01")),
        sex: 1,
        supporter: false,
        authorized: None,
    };
    CaseInput {
        as_of: d(AS_OF),
        members: vec![member(1, true), member(2, true), member(3, false)],
        facts,
        sources: vec![SourceStatus {
            source: "test".into(),
            name: "测试".into(),
            as_of: Some(d(AS_OF)),
            state: SourceState::Answered,
        }],
        mistyped: vec![],
        declared: Default::default(),
    }
}

fn check(facts: Vec<Fact>) -> (Outcome, Vec<ExceedReason>, Vec<AnomalyKind>) {
    let a = run(&case(facts));
    (a.outcome, a.reasons, a.anomalies.iter().map(|x| x.code).collect())
}

/// Twelve months of income in the window 2025-11..2026-10 summing to `total`.
fn income(total: i64) -> Vec<Fact> {
    let mut out: Vec<Fact> =
        (0..11).map(|i| wage(1, &Month::parse("2025-11").unwrap().plus(i).to_string(), total / 12)).collect();
    out.push(wage(2, "2026-10", total - total / 12 * 11));
    out
}

#[test]
fn income_is_compared_strictly_on_the_household_total() {
    let cases = [
        (INCOME_LIMIT - 1, Outcome::NotExceeded),
        (INCOME_LIMIT, Outcome::Exceeds),
        (INCOME_LIMIT + 1, Outcome::Exceeds),
    ];
    for (total, want) in cases {
        let (got, reasons, _) = check(income(total));
        assert_eq!(got, want, "income total {total}");
        assert_eq!(reasons.contains(&ExceedReason::Income), want == Outcome::Exceeds, "{total}");
    }
}

#[test]
fn income_outside_the_window_or_of_excluded_members_does_not_count() {
    let mut f = income(INCOME_LIMIT - 1);
    f.push(wage(1, "2025-10", 999_999)); // the month before the window
    f.push(wage(1, "2026-11", 999_999)); // the month of the check
    f.push(wage(3, "2026-05", 999_999)); // an excluded member
    assert_eq!(check(f).0, Outcome::NotExceeded);
}

#[test]
fn monthly_benefits_count_for_the_overlapping_months_only() {
    // A pension of exactly limit/12 per month... started 2026-05: 6 of 12 months fall in the window.
    let pension = |from: &str| {
        with(fact(1, known::PENSION, INCOME_LIMIT / 6), |o| {
            o.period = Some((m(from), m("9999-12")));
        })
    };
    assert_eq!(check(vec![pension("2026-05")]).0, Outcome::Exceeds, "6 months × limit/6 = limit");
    assert_eq!(check(vec![pension("2026-06")]).0, Outcome::NotExceeded, "5 months × limit/6 < limit");
    // Assistance money and contribution bases are never income.
    let rolls = with(fact(1, known::ASSISTANCE_ROLL, INCOME_LIMIT), |o| {
        o.period = Some((m("2020-01"), m("9999-12")));
    });
    assert_eq!(check(vec![rolls]).0, Outcome::NotExceeded);
}

#[test]
fn financial_assets_are_compared_inclusively() {
    let deposits =
        |total: i64| vec![fact(1, known::DEPOSIT, total / 2), fact(2, known::WEALTH_MANAGEMENT, total - total / 2)];
    for (total, want) in [
        (ASSET_LIMIT - 1, Outcome::NotExceeded),
        (ASSET_LIMIT, Outcome::NotExceeded),
        (ASSET_LIMIT + 1, Outcome::Exceeds),
    ] {
        let (got, reasons, _) = check(deposits(total));
        assert_eq!(got, want, "assets {total}");
        assert_eq!(reasons == vec![ExceedReason::Deposit], want == Outcome::Exceeds);
    }
    // An excluded member's money is not the household's.
    assert_eq!(check(vec![fact(3, known::DEPOSIT, ASSET_LIMIT * 10)]).0, Outcome::NotExceeded);
    // The same account answered twice counts once, at its latest balance.
    let mut older = fact(1, known::DEPOSIT, ASSET_LIMIT);
    older.as_of = d("2026-10-01");
    older.obs.key = "acct".into();
    let mut newer = fact(1, known::DEPOSIT, 1);
    newer.obs.key = "acct".into();
    assert_eq!(check(vec![older, newer.clone()]).0, Outcome::NotExceeded);
}

#[test]
fn vehicles_homes_and_businesses() {
    let vehicle = |cat: &str, status: &str, key: &str| {
        with(fact(1, known::VEHICLE, 0), |o| {
            o.code = cat.into();
            o.status = status.into();
            o.key = key.into();
        })
    };
    let table = [
        (vec![vehicle("private", "active", "a")], Some(ExceedReason::Car)),
        (vec![vehicle("private", "cancelled", "a")], None),
        (vec![vehicle("disability", "active", "a")], None),
        (vec![vehicle("commercial", "active", "a")], None),
        (vec![vehicle("commercial", "active", "a"), vehicle("commercial", "active", "b")], Some(ExceedReason::Car)),
    ];
    for (facts, want) in table {
        let (_, reasons, _) = check(facts.clone());
        assert_eq!(reasons.first().copied(), want, "{facts:?}");
    }
    let home = |person: i64, key: &str, cat: &str| {
        with(fact(person, known::REAL_ESTATE, 0), |o| {
            o.code = cat.into();
            o.key = key.into();
            o.quantity = 6_000;
        })
    };
    // Spouses co-owning one title own one home.
    assert_eq!(check(vec![home(1, "t1", "residential"), home(2, "t1", "residential")]).1, vec![]);
    // Two homes of 120 m² for two persons: not below 40 m² a person.
    assert_eq!(
        check(vec![home(1, "t1", "residential"), home(2, "t2", "residential")]).1,
        vec![ExceedReason::SecondHome]
    );
    // Two small homes (2 × 30 m² for two persons) stay under the local average.
    let small = |k: &str| {
        with(home(1, k, "residential"), |o| {
            o.quantity = 3_000;
        })
    };
    assert_eq!(check(vec![small("t1"), small("t2")]).1, vec![]);
    assert_eq!(check(vec![home(1, "t1", "commercial")]).1, vec![ExceedReason::NonResidential]);
    let firm = |status: &str, role: &str| {
        with(fact(2, known::BUSINESS_ENTITY, 0), |o| {
            o.status = status.into();
            o.code = role.into();
        })
    };
    assert_eq!(check(vec![firm("active", "legal_rep")]).1, vec![ExceedReason::Business]);
    assert_eq!(check(vec![firm("cancelled", "legal_rep")]).1, vec![]);
}

#[test]
fn anomalies_keep_the_case_open() {
    let outflow = |amount: i64, on: &str| {
        with(fact(1, known::MOVEMENT, amount), |o| {
            o.on = Some(d(on));
        })
    };
    assert_eq!(check(vec![outflow(-5_000_000, "2026-10-01")]).2, vec![AnomalyKind::LargeTransfer]);
    assert_eq!(check(vec![outflow(-5_000_000, "2026-10-01")]).0, Outcome::Open);
    assert_eq!(check(vec![outflow(-4_999_999, "2026-10-01")]).0, Outcome::NotExceeded, "one fen under the threshold");
    assert_eq!(check(vec![outflow(-5_000_000, "2026-05-27")]).0, Outcome::NotExceeded, "outside the six months");
    assert_eq!(check(vec![outflow(5_000_000, "2026-10-01")]).0, Outcome::NotExceeded, "an inflow");
    let base = |amount: i64| {
        with(fact(1, known::SOCIAL_INSURANCE, amount), |o| {
            o.period = Some((m("2025-01"), m("9999-12")));
        })
    };
    assert_eq!(check(vec![base(300_001)]).2, vec![AnomalyKind::ContributionBase]);
    assert_eq!(check(vec![base(300_000)]).0, Outcome::NotExceeded, "equal to the declared income");
}

#[test]
fn missing_data_never_reads_not_exceeded() {
    let mut c = case(vec![]);
    c.sources.push(SourceStatus {
        source: "B01".into(),
        name: "某银行".into(),
        as_of: None,
        state: SourceState::NotAnswered { reason: "超时".into() },
    });
    let a = run(&c);
    assert_eq!(a.outcome, Outcome::Open);
    assert!(a.conclusion.starts_with("待核实"), "{}", a.conclusion);
    assert!(a.missing[0].contains("未反馈"));

    let mut c = case(vec![]);
    c.members[1].person = None;
    c.members[1].unresolved_reason = Some("校验码错误".into());
    let a = run(&c);
    assert_eq!(a.outcome, Outcome::Open);

    // Missing data does not hide what already exceeds.
    let mut c = case(vec![fact(1, known::DEPOSIT, ASSET_LIMIT + 1)]);
    c.members[1].person = None;
    let a = run(&c);
    assert_eq!(a.outcome, Outcome::Exceeds);
    assert!(a.conclusion.contains("未完整核对"), "{}", a.conclusion);
}

#[test]
fn per_capita_figures_are_for_display_and_rounded_half_up() {
    let a = run(&case(income(100_003)));
    assert_eq!(a.income_total, Fen(100_003));
    assert_eq!(a.income_monthly, Fen(8_334)); // 8333.58 → 8334
    assert_eq!(a.income_per_capita, Fen(4_167)); // 4166.79 → 4167
}

#[test]
fn the_conclusion_follows_the_configured_wording() {
    let mut set = PolicySet::new();
    set.add_json("32.json", include_str!("../../../data/policy/32.json")).unwrap();
    set.add_json("3204.json", include_str!("../../../data/policy/3204.json")).unwrap();
    set.add_json(
        "320499.json",
        r#"{"region":"320499","name":"t","parameters":[
          {"key":"report.wording","value":"eligibility","from":"2020-01-01","doc":"T"}]}"#,
    )
    .unwrap();
    let res = set.resolve("320499", d(AS_OF)).unwrap();
    let p = compile(&res, Programme::Dibao).unwrap();
    let ok = assess(&case(vec![]), &p, &res, &catalog()).unwrap();
    assert!(ok.conclusion.starts_with("符合："), "{}", ok.conclusion);
    assert_eq!(ok.outcome.word(ok.decision.as_ref().unwrap().wording.as_deref()), "符合");
    let over = assess(&case(income(INCOME_LIMIT)), &p, &res, &catalog()).unwrap();
    assert!(over.conclusion.starts_with("不符合：家庭收入不符合"), "{}", over.conclusion);
    assert_eq!(over.items[0].result, hedui_means::ItemResult::Exceeds);
    // The default wording.
    let plain = run(&case(income(INCOME_LIMIT)));
    assert!(plain.conclusion.starts_with("超出：家庭收入超出"), "{}", plain.conclusion);
}

#[test]
fn a_silent_source_follows_its_failure_policy() {
    struct Policy(hedui_means::OnMissing, Catalog);
    impl hedui_means::SourcePolicy for Policy {
        fn on_missing(&self, _: &str) -> hedui_means::OnMissing {
            self.0
        }
        fn supplies(&self, s: &str) -> Option<&[Category]> {
            self.1.get(s).map(|s| s.categories.as_slice())
        }
    }
    use hedui_means::OnMissing;
    let (p, res) = program();
    // 税务 did not answer this time; what it sent before is in the case.
    let mut c = case(income(INCOME_LIMIT));
    for f in &mut c.facts {
        f.source = "shuiwu".into();
    }
    c.sources.push(SourceStatus {
        source: "shuiwu".into(),
        name: "个人所得税".into(),
        as_of: None,
        state: SourceState::NotAnswered { reason: "超时".into() },
    });
    // unknown: the income test stays open, whatever the old facts said.
    let a = assess(&c, &p, &res, &Policy(OnMissing::Unknown, catalog())).unwrap();
    assert_eq!(a.items[0].result, hedui_means::ItemResult::Incomplete);
    // last known: the facts stand and decide, and the trace says they are the last ones received.
    let a = assess(&c, &p, &res, &Policy(OnMissing::LastKnown, catalog())).unwrap();
    assert_eq!(a.outcome, Outcome::Exceeds);
    let trace = a.decision.as_ref().unwrap().trace.as_ref().unwrap().to_text();
    assert!(trace.contains("沿用上次反馈的数据"), "{trace}");
    // fail: the decision is an error naming the rule, the fact and the source.
    let e = assess(&c, &p, &res, &Policy(OnMissing::Fail, catalog())).err().unwrap().to_string();
    assert!(e.contains("需要的事实") && e.contains("个人所得税") && e.contains("失败"), "{e}");
}
