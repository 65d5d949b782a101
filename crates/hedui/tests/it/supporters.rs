//! A 特困 applicant's supporter (赡养义务人) on the full path: the supporter signs a letter of
//! their own; under it they are queried like a member, within the categories it covers, and what
//! is found enters the supporter test. Without a letter, or for what it leaves out, the
//! supporter's finances stay unknown (待核实).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use std::io::Write;
use std::sync::Arc;

use hedui_app::cases::supporters::{SUPPORTER_SEQ_BASE, SupporterAuthorizationInput};
use hedui_app::cases::{AuthorizationInput, HouseholdInput, MemberInput, SupporterInput};
use hedui_core::authorization::{Scope, Signature};
use hedui_core::household::{Capacity, Relation};
use hedui_core::programme::Programme;
use hedui_core::{Fen, HouseholdId};
use hedui_means::Outcome;
use hedui_rules::TestOutcome;
use hedui_store::Store;

/// A valid 18-character ID number in 武进区 for a birth date and a sequence.
fn id(birth: &str, n: u32) -> String {
    let first = format!("320412{birth}{n:03}");
    let check = hedui_core::id_number::check_char(first.as_bytes()).unwrap();
    format!("{first}{}", check as char)
}

fn run(store: Arc<dyn Store>) {
    let city = common::city(20, 97);
    // The son's account: 900,000 yuan at the city's first bank, far above what an obligor may
    // keep and still be unable to support.
    let son = ("赵义务", id("19470315", 11));
    let bank = std::fs::read_dir(city.join("banks")).unwrap().flatten().map(|e| e.path()).min().unwrap();
    let mut accounts = std::fs::OpenOptions::new().append(true).open(bank.join("accounts.csv")).unwrap();
    writeln!(accounts, "{},{},6222990000000001,活期,2015-03-01,900000.00", son.1, son.0).unwrap();
    drop(accounts);

    let app = common::app(store, Some(&city));
    let actor = common::clerk();
    hedui::city::import_mirrors(&app, &actor, &city).unwrap();

    // A 特困 applicant of 86 living alone, whose son of 79 has a duty of support.
    let household = |number: &str, n: u32| {
        let h = HouseholdInput {
            number: number.into(),
            region: "320412100".into(),
            address: "测试村 1 号".into(),
            programme: Programme::Tekun,
            applied_on: common::as_of(),
            declared_income: Fen::ZERO,
            declared_assets: Fen::ZERO,
            members: vec![MemberInput {
                seq: 1,
                name: format!("赵老人{n}"),
                id_number: id("19400301", n),
                relation: Relation::Applicant,
                excluded: None,
                capacity: Capacity::Full,
                guardian_seq: None,
                declared_income: Fen::ZERO,
            }],
            supporters: vec![SupporterInput { name: son.0.into(), id_number: son.1.clone(), duty: "赡养".into() }],
        };
        let id = app.create_household(&actor, &h).unwrap();
        let letter = AuthorizationInput {
            number: format!("SQ-{number}"),
            signed_on: common::as_of(),
            scopes: None,
            signatures: vec![Signature { member_seq: 1, guardian_seq: None, signed_on: common::as_of() }],
        };
        app.record_authorization(&actor, id, &letter).unwrap();
        id
    };
    let check = |h: HouseholdId| {
        let job = common::commission(&app, h, Programme::Tekun, common::as_of());
        let r = app.run_job(&actor, job).unwrap();
        let d = r.assessment.decision.as_ref().unwrap();
        let t = d.tests.iter().find(|t| t.code == "no_obligor").unwrap().outcome;
        let asked = app.store.job_queries(job).unwrap().iter().filter(|q| q.member_seq > SUPPORTER_SEQ_BASE).count();
        (r.assessment.outcome, t, d.trace.as_ref().unwrap().to_text(), asked)
    };
    let own = |h: HouseholdId, number: &str, scopes: Option<Vec<Scope>>| {
        let input = SupporterAuthorizationInput { number: number.into(), signed_on: common::as_of(), scopes };
        app.record_supporter_authorization(&actor, h, 1, &input).unwrap();
    };

    // No letter of his own: nothing is asked about him, and whether he can support is unknown.
    let none = household("T-NONE", 1);
    let (outcome, test, trace, asked) = check(none);
    assert_eq!((outcome, test, asked), (Outcome::Open, TestOutcome::Unknown, 0), "{trace}");
    assert!(trace.contains("须经其本人授权后核对"), "{trace}");

    // Every category: he is asked about like a member, and his account shows he can support.
    let all = household("T-ALL", 2);
    own(all, "SQ-Y-ALL", None);
    let (outcome, test, trace, asked) = check(all);
    assert!(asked > 0, "the institutions were asked about him");
    assert_eq!((outcome, test), (Outcome::Exceeds, TestOutcome::Fail), "{trace}");
    assert!(trace.contains("900,000.00"), "his balance is the evidence: {trace}");

    // Every category but the financial ones: no bank is asked about him, and with his assets
    // unknown so is his capacity.
    let some = household("T-SOME", 3);
    own(some, "SQ-Y-SOME", Some(Scope::ALL.into_iter().filter(|s| *s != Scope::Financial).collect()));
    let (outcome, test, trace, _) = check(some);
    assert_eq!((outcome, test), (Outcome::Open, TestOutcome::Unknown), "{trace}");
    assert!(trace.contains("本人的授权书未涵盖"), "{trace}");
    assert!(!trace.contains("900,000.00"), "nothing outside his letter is read: {trace}");
    // A supporter letter of another household's form is refused for a supporter who is not there.
    let missing = SupporterAuthorizationInput { number: "SQ-Y-X".into(), signed_on: common::as_of(), scopes: None };
    assert!(app.record_supporter_authorization(&actor, some, 9, &missing).is_err());
}

#[test]
fn a_supporters_own_letter_decides_what_of_him_is_checked() {
    for store in common::stores("supporters") {
        run(store);
    }
}
