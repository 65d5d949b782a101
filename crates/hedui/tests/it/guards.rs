//! Bad input and unauthorized work: each gets a clear error, an audit row, and loses nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use hedui_app::AppError;
use hedui_app::cases::HouseholdInput;
use hedui_core::authorization::{AuthorizationStatus, Scope};
use hedui_core::job::JobState;
use hedui_store::{AuditOutcome, JobFilter};

fn setup(households: u64) -> (std::path::PathBuf, hedui_app::App, Vec<HouseholdInput>) {
    let dir = common::city(households, 5);
    let store = hedui::open_store(&common::temp_dir("guards").join("h.db").display().to_string()).unwrap();
    let app = common::app(store, Some(&dir));
    hedui::city::import_mirrors(&app, &common::clerk(), &dir).unwrap();
    let apps = hedui::city::applications(&dir).unwrap();
    (dir, app, apps)
}

/// Files a 信访举报核查 commission with the complaint's text.
fn complaint(app: &hedui_app::App, household: hedui_core::HouseholdId, note: &str) -> hedui_core::JobId {
    app.commission(
        &common::clerk(),
        &hedui_app::cases::CommissionInput {
            number: None,
            kind: hedui_core::commission::CommissionKind::ComplaintCheck,
            programme: hedui_core::programme::Programme::Dibao,
            household,
            department: None,
            note: Some(note.into()),
            as_of: Some(common::as_of()),
            declared: Default::default(),
        },
    )
    .unwrap()
}

#[test]
fn a_job_without_an_active_authorization_is_refused_audited_and_queries_nothing() {
    let (_dir, app, apps) = setup(12);
    let actor = common::clerk();
    let filed = hedui::city::file_applications(&app, &actor, &apps[..3], common::as_of(), &|i| i == 1).unwrap();
    let records_before = app.store.count_records().unwrap();

    // No letter at all.
    let err = app.run_job(&actor, filed[0].job).unwrap_err();
    assert!(matches!(&err, AppError::AuthorizationRequired(m) if m.contains("没有有效的授权书")), "{err}");
    assert_eq!(err.code(), "authorization_required");
    assert_eq!(err.entry().status, 403);
    assert_eq!(app.job(filed[0].job).unwrap().state, JobState::Refused);
    let audit = app.store.audit_log(Some(&format!("job:{}", filed[0].job)), 10).unwrap();
    assert_eq!(audit[0].entry.outcome, AuditOutcome::Denied, "the refusal has its audit row");
    assert_eq!(app.store.count_records().unwrap(), records_before, "no bank was asked, no answer stored");
    // The refused job cannot be forced through afterwards.
    assert!(matches!(app.run_job(&actor, filed[0].job), Err(AppError::InvalidState(_))));

    // A letter that does not cover financial institutions.
    let h = &apps[2];
    let mut letter = hedui::city::full_authorization(h, common::as_of());
    letter.scopes = Some(vec![Scope::Tax, Scope::Police]);
    app.record_authorization(&actor, filed[2].household, &letter).unwrap();
    let err = app.run_job(&actor, filed[2].job).unwrap_err();
    assert!(err.to_string().contains("未授权查询"), "{err}");

    // A terminated letter no longer allows queries; a new commission is refused.
    let authz = app.store.authorizations(filed[1].household).unwrap();
    app.end_authorization(&actor, filed[1].household, authz[0].id, AuthorizationStatus::Terminated, "经审核不符合条件")
        .unwrap();
    let job = complaint(&app, filed[1].household, "实名举报：家中有车");
    assert!(matches!(app.run_job(&actor, job), Err(AppError::AuthorizationRequired(_))));

    // Nothing already accepted was lost.
    assert_eq!(app.store.count_households().unwrap(), 3);
    assert_eq!(app.store.count_jobs(&JobFilter::default()).unwrap(), 4);
}

#[test]
fn a_household_in_a_region_that_does_not_exist_is_refused_and_nothing_is_lost() {
    let (_dir, app, apps) = setup(6);
    let actor = common::clerk();
    app.create_household(&actor, &apps[0]).unwrap();
    let mut bad = apps[1].clone();
    bad.region = "320499001".into();
    let err = app.create_household(&actor, &bad).unwrap_err();
    assert_eq!(err.code(), "unknown_region");
    assert!(err.to_string().contains("320499001") && err.to_string().contains("不存在"), "{err}");
    bad.region = "32O4O2001".into();
    assert_eq!(app.create_household(&actor, &bad).unwrap_err().code(), "invalid_input");
    assert_eq!(app.store.count_households().unwrap(), 1, "the earlier household is intact, the bad one not stored");
    // Corrected, the same household is accepted.
    bad.region = apps[1].region.clone();
    app.create_household(&actor, &bad).unwrap();
    assert_eq!(app.store.count_households().unwrap(), 2);
}

#[test]
fn invalid_member_ids_are_kept_unresolved_and_block_a_plain_not_exceeded() {
    let (_dir, app, apps) = setup(6);
    let actor = common::clerk();
    let mut h = apps[0].clone();
    h.members[0].id_number = "360426199101010072".into();
    let filed = hedui::city::file_applications(&app, &actor, &[h], common::as_of(), &|_| true).unwrap();
    let view = app.household_view(&actor, filed[0].household).unwrap();
    assert!(!view.members[0].resolved);
    assert!(view.members[0].note.contains("校验码"), "{}", view.members[0].note);
    let r = app.run_job(&actor, filed[0].job).unwrap();
    assert_ne!(r.assessment.outcome, hedui_means::Outcome::NotExceeded);
    assert!(r.assessment.missing.iter().any(|m| m.contains("未能识别")), "{:?}", r.assessment.missing);
}

#[test]
fn viewers_cannot_change_cases_and_see_masked_names() {
    let (_dir, app, apps) = setup(6);
    let clerk = common::clerk();
    let filed = hedui::city::file_applications(&app, &clerk, &apps[..1], common::as_of(), &|_| true).unwrap();
    let r = app.run_job(&clerk, filed[0].job).unwrap();
    let viewer = hedui_app::Caller { role: hedui_app::Role::Viewer, ..common::clerk() };
    assert_eq!(app.create_household(&viewer, &apps[1]).unwrap_err().code(), "forbidden");
    let masked = app.report(&viewer, filed[0].job, None).unwrap();
    assert_ne!(masked.members[0].name, r.members[0].name);
    assert!(masked.members[0].name.contains('*'));
    assert!(!r.members[0].id_masked.contains(&apps[0].members[0].id_number), "ID numbers never appear in full");
}

#[test]
fn a_complaint_check_reports_its_feedback_and_keeps_the_complaint_sealed() {
    let (_dir, app, apps) = setup(6);
    let actor = common::clerk();
    let filed = hedui::city::file_applications(&app, &actor, &apps[..1], common::as_of(), &|_| true).unwrap();
    app.run_job(&actor, filed[0].job).unwrap();
    let job = complaint(&app, filed[0].household, "实名举报：该户有一辆小汽车");
    let r = app.run_job(&actor, job).unwrap();
    let special = r.special.expect("a complaint check has a feedback section");
    assert_eq!(special.title, "信访举报核查反馈");
    assert!(special.lines[0].contains("小汽车"), "{:?}", special.lines);
    assert!(special.lines[1].contains(&r.assessment.conclusion));
    assert_eq!(r.commission.department, "民政");
    // The complaint is stored sealed: no plain copy in the database.
    let raw = app.store.jobs(&JobFilter::default()).unwrap();
    assert!(raw.iter().any(|j| j.note_enc.as_ref().is_some_and(|n| !String::from_utf8_lossy(n).contains("小汽车"))));
}

#[test]
fn id_notes_hold_codes_never_digits_of_the_number_for_every_kind_of_problem() {
    let (_dir, app, apps) = setup(6);
    let actor = common::clerk();
    let with_check = |first17: &str| {
        let c = hedui_core::id_number::check_char(first17.as_bytes()).unwrap();
        format!("{first17}{}", c as char)
    };
    // Each kind of problem a clerk meets: a wrong check character, a bad length, a letter, a
    // day that does not exist, an empty number, a 15-digit number, full-width digits and a lower
    // x, a retired address code, an implausible province.
    let ids = [
        "360426199101010072".to_string(),
        "36042619910101007".to_string(),
        "36042619910A010071".to_string(),
        with_check("36042619910230007"),
        String::new(),
        "360426910101007".to_string(),
        "３６０４２６１９９１０１０１００７１".to_string(),
        with_check("32049919850615004"),
        with_check("99040219850615004"),
    ];
    let mut numbers = Vec::new();
    for (k, id) in ids.iter().enumerate() {
        let mut h = apps[0].clone();
        h.number = format!("{}-N{k}", h.number);
        h.members[0].id_number = id.clone();
        let Ok(filed) = hedui::city::file_applications(&app, &actor, &[h], common::as_of(), &|_| true) else {
            continue;
        };
        numbers.push(id.clone());
        let stored = app.store.household(filed[0].household).unwrap().unwrap();
        let note = &stored.members[0].id_note;
        assert!(!note.bytes().any(|b| b.is_ascii_digit()), "{id:?}: id_note {note:?} holds digits");
        let view = app.household_view(&actor, filed[0].household).unwrap();
        assert!(
            !view.members[0].note.contains("360426") && !view.members[0].note.contains("320499"),
            "{}",
            view.members[0].note
        );
    }
    assert!(numbers.len() >= 8, "most kinds of problem were filed: {numbers:?}");
}
