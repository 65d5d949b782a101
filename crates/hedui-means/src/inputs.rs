//! Facts become the rules' inputs: one input per fact kind, each with the evidence behind it.

use std::collections::{BTreeMap, BTreeSet};

use hedui_core::catalog::known::codes as cat;
use hedui_core::codes::{assistance, business, disability, property, status, tax, vehicle};
use hedui_core::date::Month;
use hedui_core::fact::Fact;
use hedui_core::ids::PersonId;
use hedui_core::money::Fen;
use hedui_rules::inputs::{self, DeclaredInput, FAILED, InputEvidence, Measure, UNKNOWN};
use hedui_rules::{Entity, Inputs};

use crate::assessment::Evidence;
use crate::case::{CaseInput, OnMissing, SourcePolicy, SourceState, depends_on};

fn months_overlap(a: (Month, Month), b: (Month, Month)) -> i64 {
    let from = a.0.max(b.0);
    let to = a.1.min(b.1);
    if to < from { 0 } else { i64::from(from.months_until(to)) + 1 }
}

pub(crate) fn evidence(f: &Fact, seq: Option<u32>, amount: Option<Fen>) -> Evidence {
    Evidence {
        member_seq: seq,
        source: f.source.clone(),
        as_of: f.as_of,
        label: f.label.clone(),
        amount,
        record: Some(f.record),
    }
}

/// The rules' number for a disability kind (1 视力 … 7 多重); a code the list lacks counts as 多重.
fn disability_kind(code: &str) -> i64 {
    disability::KINDS.iter().position(|k| *k == code).map_or(7, |i| i as i64 + 1)
}

/// Balances: deposits, third-party custody and securities cash accounts.
pub fn is_deposit(code: &str) -> bool {
    matches!(code, cat::DEPOSIT | cat::CUSTODY | cat::SECURITIES_CASH)
}

/// Holdings valued on the query date.
pub fn is_holding(code: &str) -> bool {
    matches!(
        code,
        cat::WEALTH_MANAGEMENT
            | cat::FUND
            | cat::BOND
            | cat::STOCK
            | cat::INSURANCE
            | cat::TRUST
            | cat::INTERNET_FINANCE
    )
}

fn ev(f: &Fact, label: String, amount: Option<Fen>) -> InputEvidence {
    InputEvidence { source: f.source.clone(), as_of: f.as_of, label, amount, record: Some(f.record), member_seq: None }
}

/// Turns a case's facts into the rules' inputs: income over the averaging window, balances on
/// the query date, vehicles, homes and businesses counted once, and the failure policy of every
/// source that did not answer. Also returns the inputs on the facts at hand (what did not
/// answer counted as nothing found), for display and for monotone tests.
// tidy: allow(long-fn): one input per fact kind, in the order the policy documents name them.
pub fn build_inputs(
    case: &CaseInput,
    months: i64,
    sources: &dyn SourcePolicy,
    declared: &[DeclaredInput],
) -> (Inputs, Inputs) {
    let as_of = case.as_of;
    let this_month = Month::of(as_of);
    let window = (this_month.plus(-(months as i32)), this_month.plus(-1));
    let in_window = |d: hedui_core::Date| (window.0..=window.1).contains(&Month::of(d));
    let n = case.members.len();
    let mut inp = Inputs::new(n);
    inp.seqs = case.members.iter().map(|m| m.seq).collect();
    let index: BTreeMap<PersonId, usize> =
        case.members.iter().enumerate().filter_map(|(k, m)| m.person.map(|p| (p, k))).collect();
    let slot = |name: &str| inputs::member_slot(name).unwrap_or(0);
    let hslot = |name: &str| inputs::household_slot(name).unwrap_or(0);
    let push_ev = |inp: &mut Inputs, k: usize, name: &str, e: InputEvidence| {
        inp.evidence.push((Some(k), Entity::Member, slot(name), e));
    };

    for (k, m) in case.members.iter().enumerate() {
        inp.set_m(k, "counted", i64::from(m.counted && !m.supporter));
        inp.set_m(k, "is_supporter", i64::from(m.supporter));
        inp.set_m(k, "declared_income", m.declared_income.0);
        inp.set_m(k, "applicant", i64::from(m.seq == 1));
        match m.birth {
            Some(b) => inp.set_m(k, "age", i64::from(b.age_on(as_of))),
            None => inp.set_m(k, "age", UNKNOWN),
        }
        inp.set_m(k, "sex", i64::from(m.sex));
    }

    // Per member: income in the window, balances, disability, rolls.
    let mut latest_asset: BTreeMap<(String, String), &Fact> = BTreeMap::new();
    let mut vehicles: BTreeMap<String, &Fact> = BTreeMap::new();
    let mut titles: BTreeMap<String, &Fact> = BTreeMap::new();
    let mut firms: BTreeMap<String, &Fact> = BTreeMap::new();
    // Headcounts by business (the credit code's key is shared by 市场监管's annual report and
    // 人社's insured units).
    let mut staff: BTreeMap<&str, Vec<&Fact>> = BTreeMap::new();
    for f in &case.facts {
        let Some(&k) = index.get(&f.person) else { continue };
        match (f.category.code(), f.period) {
            (cat::TAX_INCOME, Some(per)) if months_overlap(per, window) > 0 => {
                let name = if f.code == tax::BUSINESS { "business_income" } else { "wage_income" };
                inp.add_m(k, name, f.amount.0);
                inp.set_m(k, "employed", 1);
                push_ev(&mut inp, k, name, ev(f, format!("{} {}", f.label, per.0), Some(f.amount)));
            }
            (cat::PENSION | cat::UNEMPLOYMENT_BENEFIT, Some(per)) => {
                let mo = months_overlap(per, window);
                if mo > 0 {
                    let name = if f.category.code() == cat::PENSION { "pension_income" } else { "unemployment_income" };
                    let amount = f.amount.times(mo);
                    inp.add_m(k, name, amount.0);
                    push_ev(
                        &mut inp,
                        k,
                        name,
                        ev(f, format!("{} 每月 {} 元 × {} 个月", f.label, f.amount, mo), Some(amount)),
                    );
                }
            }
            (code, _) if is_deposit(code) || is_holding(code) => {
                let key = (f.source.clone(), f.key.clone());
                match latest_asset.get(&key) {
                    Some(prev) if prev.as_of >= f.as_of => {}
                    _ => {
                        latest_asset.insert(key, f);
                    }
                }
            }
            (cat::VEHICLE, _) if f.status != status::CANCELLED => {
                vehicles.entry(f.key.clone()).or_insert(f);
            }
            (cat::REAL_ESTATE, _) if f.status != status::CANCELLED => {
                titles.entry(f.key.clone()).or_insert(f);
            }
            (cat::BUSINESS_ENTITY, _) => {
                firms.entry(f.key.clone()).or_insert(f);
            }
            (cat::BUSINESS_EMPLOYEES, _) => staff.entry(f.key.as_str()).or_default().push(f),
            // Rigid spending: 医保's out-of-pocket bills and 教育's fees in the window; an enrolment
            // in the window makes the member a student.
            (cat::MEDICAL_EXPENSE, _) if f.on.is_some_and(&in_window) => {
                inp.add_m(k, "medical_expense", f.amount.0);
                push_ev(&mut inp, k, "medical_expense", ev(f, f.label.clone(), Some(f.amount)));
            }
            (cat::ENROLLMENT, _) if f.on.is_some_and(|d| Month::of(d) >= window.0) => {
                inp.set_m(k, "student", 1);
                push_ev(&mut inp, k, "student", ev(f, f.label.clone(), None));
                if f.on.is_some_and(&in_window) {
                    inp.add_m(k, "education_expense", f.amount.0);
                    push_ev(&mut inp, k, "education_expense", ev(f, f.label.clone(), Some(f.amount)));
                }
            }
            (cat::DISABILITY, _) => {
                inp.set_m(k, "disability_grade", f.quantity);
                inp.set_m(k, "disability_kind", disability_kind(&f.code));
                push_ev(&mut inp, k, "disability_grade", ev(f, f.label.clone(), None));
            }
            (cat::ASSISTANCE_ROLL, per) => {
                let current = per.is_none_or(|(a, b)| a <= this_month && this_month <= b);
                if current && f.code == assistance::TEKUN {
                    inp.set_m(k, "on_tekun", 1);
                } else if current && f.code == assistance::DIBAO {
                    inp.set_m(k, "member_on_dibao", 1);
                    inp.set_h("on_dibao", 1);
                    let cur = inp.h[hslot("current_benefit")];
                    inp.set_h("current_benefit", cur.max(f.amount.0));
                    inp.evidence.push((
                        None,
                        Entity::Household,
                        hslot("on_dibao"),
                        ev(f, f.label.clone(), Some(f.amount)),
                    ));
                }
            }
            _ => {}
        }
    }
    for f in latest_asset.values() {
        let Some(&k) = index.get(&f.person) else { continue };
        let name = if is_deposit(f.category.code()) { "deposits" } else { "investments" };
        inp.add_m(k, name, f.amount.0);
        push_ev(&mut inp, k, name, ev(f, f.label.clone(), Some(f.amount)));
    }
    let seq_of_person: BTreeMap<PersonId, u32> =
        case.members.iter().filter_map(|m| m.person.map(|p| (p, m.seq))).collect();
    let hev = |inp: &mut Inputs, name: &str, f: &Fact| {
        let e = InputEvidence { member_seq: seq_of_person.get(&f.person).copied(), ..ev(f, f.label.clone(), None) };
        inp.evidence.push((None, Entity::Household, hslot(name), e));
    };
    // Only facts about counted members make the household's property.
    let counted: BTreeSet<PersonId> = case.members.iter().filter(|m| m.counted).filter_map(|m| m.person).collect();
    let mut h = [0i64; 9];
    for f in vehicles.values().filter(|f| counted.contains(&f.person)) {
        h[0] += 1;
        h[1] += i64::from(f.code == vehicle::DISABILITY);
        h[2] += i64::from(f.code == vehicle::COMMERCIAL);
        hev(&mut inp, "vehicles", f);
    }
    for f in titles.values().filter(|f| counted.contains(&f.person)) {
        if f.code == property::RESIDENTIAL {
            h[3] += 1;
            h[4] += f.quantity;
            hev(&mut inp, "homes", f);
        } else {
            h[5] += 1;
            hev(&mut inp, "non_residential", f);
        }
    }
    let mut without_employees = 0i64;
    let mut employees_unknown: Vec<&Fact> = Vec::new();
    for f in firms.values().filter(|f| counted.contains(&f.person)) {
        if f.status == status::ACTIVE && business::OWNING_ROLES.contains(&f.code.as_str()) {
            h[6] += 1;
            hev(&mut inp, "businesses", f);
            if f.form == business::INDIVIDUAL {
                h[7] += 1;
                // No employees only where the data shows none; without data it is unknown.
                match staff.get(f.key.as_str()) {
                    Some(counts) if counts.iter().any(|c| c.quantity > 0) => {
                        counts.iter().for_each(|c| hev(&mut inp, "businesses_individual_without_employees", c));
                    }
                    Some(counts) => {
                        without_employees += 1;
                        counts.iter().for_each(|c| hev(&mut inp, "businesses_individual_without_employees", c));
                    }
                    None => employees_unknown.push(f),
                }
            }
        }
    }
    if employees_unknown.is_empty() {
        inp.set_h("businesses_individual_without_employees", without_employees);
    } else {
        inp.set_h("businesses_individual_without_employees", UNKNOWN);
        for f in employees_unknown {
            let why = format!("个体工商户“{}”没有年度报告或参保单位的从业人员数据，是否雇工未知", f.label);
            inp.notes.push((None, Entity::Household, hslot("businesses_individual_without_employees"), why));
        }
    }
    for (name, v) in [
        ("vehicles", h[0]),
        ("vehicles_disability", h[1]),
        ("vehicles_commercial", h[2]),
        ("homes", h[3]),
        ("home_area", h[4]),
        ("non_residential", h[5]),
        ("businesses", h[6]),
        ("businesses_individual", h[7]),
    ] {
        inp.set_h(name, v);
    }
    declared_inputs(&mut inp, case, declared, &counted, &seq_of_person);

    // Obligors' own finances are checked only with their own authorization and only for the
    // data categories it covers: what other sources would say of them is unknown, and the trace
    // says why.
    for (k, m) in case.members.iter().enumerate().filter(|(_, m)| m.supporter) {
        let covered = m.authorized.as_deref().unwrap_or_default();
        for (i, d) in inputs::MEMBER_INPUTS.iter().enumerate().filter(|(_, d)| !d.categories.is_empty()) {
            let why = match (m.person, m.unresolved_reason.as_deref()) {
                (None, Some(reason)) => {
                    format!("义务人 {} 的身份证号未能识别（{reason}），其{}未核对", m.name, d.title)
                }
                (None, None) => format!("义务人 {} 的{}须经其本人授权后核对，本次未核对", m.name, d.title),
                (Some(_), _) if d.categories.iter().all(|c| covered.iter().any(|x| x == c)) => continue,
                (Some(_), _) => format!("义务人 {} 本人的授权书未涵盖{}所需的数据，此项未核对", m.name, d.title),
            };
            inp.m[k * inputs::MEMBER_INPUTS.len() + i] = UNKNOWN;
            inp.notes.push((Some(k), Entity::Member, i, why));
        }
    }
    // What only the application can say: as declared in the commission; where a programme needs
    // it and the commission does not say, unknown, not zero, so the test stays open.
    let said = |label: &str| InputEvidence {
        source: "申请材料".into(),
        as_of,
        label: label.into(),
        amount: None,
        record: None,
        member_seq: None,
    };
    for name in ["emergency_expense", "disaster_loss"] {
        match case.declared.household.get(name) {
            Some(v) => inp.set_h(name, *v),
            None => {
                inp.set_h(name, UNKNOWN);
                let why = "申请材料中未载明（委托未填写此项），请补充后重新核对".to_string();
                inp.notes.push((None, Entity::Household, hslot(name), why));
            }
        }
    }
    for (name, v) in &case.declared.household {
        inp.set_h(name, *v);
        inp.evidence.push((None, Entity::Household, hslot(name), said("委托中申报")));
    }
    for (k, m) in case.members.iter().enumerate() {
        let mine = case.declared.members.get(&m.seq);
        if mine.is_none_or(|d| !d.contains_key("adl_unable")) {
            inp.set_m(k, "adl_unable", UNKNOWN);
            inp.notes.push((
                Some(k),
                Entity::Member,
                slot("adl_unable"),
                "未作生活自理能力评估（委托未填写此项）".into(),
            ));
        }
        for (name, v) in mine.into_iter().flatten() {
            inp.set_m(k, name, *v);
            inp.evidence.push((Some(k), Entity::Member, slot(name), said("委托中申报")));
        }
    }
    let at_hand = inp.clone();
    // Members whose ID did not resolve: nothing is known of them.
    for (k, m) in case.members.iter().enumerate().filter(|(_, m)| m.person.is_none() && !m.supporter) {
        for d in inputs::MEMBER_INPUTS.iter().filter(|d| !d.categories.is_empty()) {
            inp.set_m(k, d.name, UNKNOWN);
        }
        let why = format!("第 {} 号成员身份证号未能识别，其数据未核对", m.seq);
        inp.notes.push((Some(k), Entity::Member, slot("wage_income"), why));
    }

    // Sources that did not answer: their inputs follow the source's failure policy.
    for s in &case.sources {
        let SourceState::NotAnswered { reason } = &s.state else { continue };
        let policy = sources.on_missing(&s.source);
        let supplied = sources.supplies(&s.source);
        let hit = |d: &&inputs::InputDef| depends_on(d.categories, supplied);
        let has_facts = case.facts.iter().any(|f| f.source == s.source);
        let (value, note) = match policy {
            OnMissing::LastKnown if has_facts => {
                // The facts last received stand; the trace says so beside every value they fill.
                let note = format!("{}（{}）未反馈：{}；按其失败策略沿用上次反馈的数据", s.name, s.source, reason);
                for (i, _) in inputs::MEMBER_INPUTS.iter().enumerate().filter(|(_, d)| hit(d)) {
                    for k in 0..n {
                        inp.notes.push((Some(k), Entity::Member, i, note.clone()));
                    }
                }
                for (i, _) in inputs::HOUSEHOLD_INPUTS.iter().enumerate().filter(|(_, d)| hit(d)) {
                    inp.notes.push((None, Entity::Household, i, note.clone()));
                }
                continue;
            }
            OnMissing::Fail => (FAILED, format!("{}（{}）未反馈：{}；失败策略为“失败”", s.name, s.source, reason)),
            _ => (UNKNOWN, format!("{}（{}）未反馈：{}", s.name, s.source, reason)),
        };
        for (i, d) in inputs::MEMBER_INPUTS.iter().enumerate().filter(|(_, d)| hit(d)) {
            for k in 0..n {
                inp.m[k * inputs::MEMBER_INPUTS.len() + i] = value;
                inp.notes.push((Some(k), Entity::Member, i, note.clone()));
            }
            let _ = d;
        }
        for (i, _) in inputs::HOUSEHOLD_INPUTS.iter().enumerate().filter(|(_, d)| hit(d)) {
            inp.h[i] = value;
            inp.notes.push((None, Entity::Household, i, note.clone()));
        }
    }
    let fixed = inputs::HOUSEHOLD_INPUTS.len();
    for s in &case.sources {
        let SourceState::NotAnswered { reason } = &s.state else { continue };
        let supplied = sources.supplies(&s.source);
        for (i, _) in declared.iter().enumerate().filter(|(_, d)| depends_on(&[d.category.as_str()], supplied)) {
            let (value, note) = match sources.on_missing(&s.source) {
                OnMissing::LastKnown if case.facts.iter().any(|f| f.source == s.source) => {
                    let note = format!("{}（{}）未反馈：{}；按其失败策略沿用上次反馈的数据", s.name, s.source, reason);
                    inp.notes.push((None, Entity::Household, fixed + i, note));
                    continue;
                }
                OnMissing::Fail => (FAILED, format!("{}（{}）未反馈：{}；失败策略为“失败”", s.name, s.source, reason)),
                _ => (UNKNOWN, format!("{}（{}）未反馈：{}", s.name, s.source, reason)),
            };
            inp.h[fixed + i] = value;
            inp.notes.push((None, Entity::Household, fixed + i, note));
        }
    }
    (inp, at_hand)
}

/// The inputs a policy declares: each measured over the facts of its category about the counted
/// members, each thing (by key) once, with its evidence.
fn declared_inputs(
    inp: &mut Inputs,
    case: &CaseInput,
    declared: &[DeclaredInput],
    counted: &BTreeSet<PersonId>,
    seq_of_person: &BTreeMap<PersonId, u32>,
) {
    let names: Vec<String> = declared.iter().map(|d| d.name.clone()).collect();
    inp.declare(&names);
    let fixed = inputs::HOUSEHOLD_INPUTS.len();
    for (i, d) in declared.iter().enumerate() {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut v = 0i64;
        let wanted = |f: &&Fact| {
            counted.contains(&f.person)
                && f.category.code() == d.category
                && (d.codes.is_empty() || d.codes.contains(&f.code))
                && (d.statuses.is_empty() || d.statuses.contains(&f.status))
        };
        for f in case.facts.iter().filter(wanted) {
            if !f.key.is_empty() && !seen.insert(f.key.as_str()) {
                continue;
            }
            v = v.saturating_add(match d.measure {
                Measure::Count => 1,
                Measure::Amount => f.amount.0,
                Measure::Quantity => f.quantity,
            });
            let amount = (d.measure == Measure::Amount).then_some(f.amount);
            let e =
                InputEvidence { member_seq: seq_of_person.get(&f.person).copied(), ..ev(f, f.label.clone(), amount) };
            inp.evidence.push((None, Entity::Household, fixed + i, e));
        }
        inp.h[fixed + i] = v;
    }
}
