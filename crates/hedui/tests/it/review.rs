//! 审核签发: a report a 核对员 verified waits for an 审核员 who did not verify it; the reviewer
//! approves it with their own SM2 signature (a UKey hedui never holds), and the issued report
//! carries both names and the organization under the node's signature; or returns it, and the
//! next version is verified again. Run on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use sm2::dsa::signature::Signer;

use hedui_app::admin::accounts::AccountChange;
use hedui_app::admin::users::Account;
use hedui_app::{AppError, Caller, Role};
use hedui_core::job::JobState;
use hedui_crypto::encode_hex;

use crate::common;

const PASSWORD: &str = "Review-flows-2026!";

/// A UKey: an SM2 key whose private half stays with the test.
pub(crate) struct UKey(sm2::dsa::SigningKey);

impl UKey {
    pub(crate) fn new(seed: u8) -> UKey {
        UKey(sm2::dsa::SigningKey::from_slice("1234567812345678", &[seed; 32]).unwrap())
    }

    pub(crate) fn public(&self) -> String {
        encode_hex(&sm2::SecretKey::from_slice(&self.0.to_bytes()).unwrap().public_key().to_sec1_bytes())
    }

    pub(crate) fn sign(&self, text: &str) -> String {
        let sig: sm2::dsa::Signature = self.0.sign(text.as_bytes());
        encode_hex(&sig.to_der().to_vec())
    }
}

#[test]
fn a_reviewer_who_did_not_verify_approves_with_their_own_key_or_returns_it() {
    let city = common::city(4, 91);
    for (i, store) in common::stores("review").into_iter().enumerate() {
        let mut app = common::app(store.clone(), Some(&city));
        app.review = true;
        app.organization = "常州市居民家庭经济状况核对中心".into();
        let app = std::sync::Arc::new(app);
        let system = Caller::system("t");
        hedui::city::import_mirrors(&app, &system, &city).unwrap();
        let apps = hedui::city::applications(&city).unwrap();
        let filed = hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
        for (login, name, role) in
            [("clerk", "王核对", Role::Clerk), ("rev", "李审核", Role::Reviewer), ("nokey", "赵审核", Role::Reviewer)]
        {
            app.create_user(&system, &Account::new(login, name, role, "", ""), PASSWORD).unwrap();
        }
        let ukey = UKey::new(11);
        let rev_id = store.user_by_login("rev").unwrap().unwrap().id;
        app.enrol_sm2(&system, Some(rev_id), &ukey.public()).unwrap();
        let clerk = Caller::user("clerk", Role::Clerk, "", "t");
        let rev = Caller::user("rev", Role::Reviewer, "", "t");
        let nokey = Caller::user("nokey", Role::Reviewer, "", "t");

        // The clerk verifies: the report is completed and signed, not issued.
        let job = filed[0].job;
        let computed = app.run_job(&clerk, job).unwrap();
        assert_eq!(app.job(job).unwrap().state, JobState::Completed, "store {i}");
        assert_eq!((computed.verifier.as_str(), computed.verifier_name.as_str()), ("clerk", "王核对"));
        assert!(
            matches!(app.report(&rev, job, None), Err(AppError::InvalidState(_))),
            "not issued, not read as issued"
        );
        assert!(app.resume_jobs(&system).unwrap().is_empty());
        assert_eq!(app.job(job).unwrap().state, JobState::Completed, "a restart does not issue it");
        let as_clerk = app.draft_report(&clerk, job).unwrap();
        assert!(as_clerk.statement.is_empty() && as_clerk.may_approve.is_err(), "the clerk reads the draft only");
        let why = app.draft_report(&nokey, job).unwrap().may_approve.unwrap_err();
        assert!(why.contains("SM2"), "{why}");
        let draft = app.draft_report(&rev, job).unwrap();
        assert!(draft.statement.contains("verifier=clerk\nreviewer=rev\norganization=常州市"), "{}", draft.statement);

        // Another key's signature, or one over another text, is refused, and the refusal audited.
        let forged = UKey::new(12).sign(&draft.statement);
        let r = app.approve(&rev, job, &forged);
        assert!(matches!(r, Err(AppError::Invalid(_))), "{r:?}");
        assert!(matches!(app.approve(&rev, job, &ukey.sign("另一份声明")), Err(AppError::Invalid(_))));
        assert!(matches!(app.approve(&nokey, job, &ukey.sign(&draft.statement)), Err(AppError::Forbidden(_))));
        assert!(matches!(app.approve(&clerk, job, &ukey.sign(&draft.statement)), Err(AppError::Forbidden(_))));
        assert_eq!(app.job(job).unwrap().state, JobState::Completed);
        let denied = store.audit_log(Some(&format!("job:{job}")), 50).unwrap();
        assert!(denied.iter().any(|r| r.entry.action == "report.approve" && r.entry.detail.contains("签名无效")));

        // The reviewer's own signature issues it: both names and the organization, signed.
        app.approve(&rev, job, &ukey.sign(&draft.statement)).unwrap();
        assert_eq!(app.job(job).unwrap().state, JobState::ReportIssued);
        let issued = app.report(&rev, job, None).unwrap();
        let approval = issued.seal.clone().unwrap().approval.unwrap();
        assert_eq!((approval.verifier_name.as_str(), approval.reviewer_name.as_str()), ("王核对", "李审核"));
        assert_eq!(
            (approval.organization.as_str(), approval.reviewer_key.as_str()),
            ("常州市居民家庭经济状况核对中心", ukey.public().as_str())
        );
        assert!(app.approve(&rev, job, &ukey.sign(&draft.statement)).is_err(), "issued once");
        // The names are under the node's issue signature: another name does not verify.
        let seal = issued.seal.clone().unwrap();
        let statement = hedui_app::reports::issue::issued_statement(&seal);
        assert!(app.signer.verify_statement(statement.as_bytes(), &seal.issued_sig));
        let mut renamed = seal.clone();
        renamed.approval.as_mut().unwrap().reviewer_name = "张冒名".into();
        let forged = hedui_app::reports::issue::issued_statement(&renamed);
        assert!(!app.signer.verify_statement(forged.as_bytes(), &seal.issued_sig), "a changed name breaks it");
        let html = hedui_web::report_html(&hedui_web::Web::new(app.clone()), Some(&rev), &issued).unwrap();
        for shown in ["核对人", "王核对", "审核员", "李审核", "常州市居民家庭经济状况核对中心", "核对专用章"]
        {
            assert!(html.contains(shown), "{shown} on the report");
        }
        // A site's installed seal picture (reports.seal_picture) in place of the drawn seal.
        let mut site = common::app(store.clone(), Some(&city));
        let png = [&b"\x89PNG\r\n\x1a\n"[..], b"x"].concat();
        site.seal = hedui_app::reports::org_seal::OrgSeal::new(Some(png), None, &[]).unwrap();
        let html =
            hedui_web::report_html(&hedui_web::Web::new(std::sync::Arc::new(site)), Some(&rev), &issued).unwrap();
        assert!(html.contains(r#"<img class="seal""#) && html.contains("base64,iVBORw0KGgp4"), "the installed picture");
        assert!(!html.contains(r#"<svg class="seal""#), "and not the drawn one");

        // A clerk moved to the reviewers' role cannot approve what they verified.
        let next = filed[1].job;
        app.run_job(&clerk, next).unwrap();
        let clerk_id = store.user_by_login("clerk").unwrap().unwrap().id;
        app.enrol_sm2(&system, Some(clerk_id), &UKey::new(13).public()).unwrap();
        let change = AccountChange { role: Some(Role::Reviewer), region: None, organization: None };
        app.change_user(&system, clerk_id, &change).unwrap();
        let turned = Caller::user("clerk", Role::Reviewer, "", "t");
        let own = app.draft_report(&turned, next).unwrap();
        assert!(own.may_approve.unwrap_err().contains("自己核对"), "the verifier is not the reviewer");
        let statement = hedui_app::reports::issue::approval_statement(
            &hedui_app::reports::issue::Seal::of(&own.report, String::new()),
            "clerk",
            "clerk",
            &app.organization,
        );
        assert!(matches!(app.approve(&turned, next, &UKey::new(13).sign(&statement)), Err(AppError::Forbidden(_))));

        // Returned: the version sent back is never issued; the clerk verifies again.
        assert!(matches!(app.return_report(&rev, next, "  "), Err(AppError::Invalid(_))), "a reason is required");
        app.return_report(&rev, next, "存款数据日期过早，请重新查询").unwrap();
        assert_eq!(app.job(next).unwrap().state, JobState::Returned);
        let again = Caller::user("clerk2", Role::Clerk, "", "t");
        let v2 = app.recheck(&again, next).unwrap();
        assert_eq!((v2.version, app.job(next).unwrap().state), (2, JobState::Completed));
        let d2 = app.draft_report(&rev, next).unwrap();
        app.approve(&rev, next, &ukey.sign(&d2.statement)).unwrap();
        let versions = app.report_versions(&rev, next).unwrap();
        assert_eq!(
            versions.iter().map(|r| r.state).collect::<Vec<_>>(),
            [hedui_store::ReportState::Completed, hedui_store::ReportState::Issued]
        );
        assert!(app.report(&rev, next, Some(1)).is_err(), "the returned version is never issued");

        // The node's own runs (bulk, the demo's seed) are issued as before.
        let r = app.run_job(&system, filed[2].job).unwrap();
        assert_eq!((app.job(filed[2].job).unwrap().state, r.verifier.as_str()), (JobState::ReportIssued, "system"));
    }
}

/// `hedui ukey`: a software UKey whose signature the approval check accepts.
#[test]
fn the_software_ukey_signs_what_the_check_accepts() {
    let dir = common::temp_dir("ukey");
    let key = dir.join("reviewer.ukey");
    let out = common::hedui_with_stdin(&["ukey", "new", "--out", key.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let public = String::from_utf8_lossy(&out.stdout).lines().last().unwrap().trim().to_string();
    assert!(hedui_exchange::gm::valid_user_key(&public), "{public}");
    let again = common::hedui_with_stdin(&["ukey", "new", "--out", key.to_str().unwrap()], "");
    assert!(!again.status.success(), "a key file is never overwritten");
    let text = "hedui-report-approval\nreport=HD-1\n";
    let out = common::hedui_with_stdin(&["ukey", "sign", "--key", key.to_str().unwrap()], text);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sig = hedui_crypto::decode_hex(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert!(hedui_exchange::gm::verify_user(&public, text.as_bytes(), &sig).is_ok());
    assert!(hedui_exchange::gm::verify_user(&public, b"another text", &sig).is_err());
}

/// Delivery: the commissioning department sees the issued report in its own list and records its
/// 回执; another department cannot, nor can a 回执 come before the report or twice.
#[test]
fn the_commissioning_department_records_its_receipt() {
    use hedui_app::cases::delivery::ReceiptInput;
    let city = common::city(3, 95);
    for store in common::stores("receipt") {
        let app = common::app(store.clone(), Some(&city));
        let system = Caller::system("t");
        hedui::city::import_mirrors(&app, &system, &city).unwrap();
        let apps = hedui::city::applications(&city).unwrap();
        let filed = hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
        let job = app.job(filed[0].job).unwrap();
        let dept = Caller::user("dept", Role::Department, "", "t").of(&job.department);
        let other = Caller::user("other", Role::Department, "", "t").of("别的部门");
        let day = |d: &str| hedui_core::Date::parse(d).unwrap();
        let received =
            ReceiptInput { received_on: common::as_of().add_days(1), decision: String::new(), decided_on: None };
        let early = app.record_receipt(&dept, job.id, &received).unwrap_err();
        assert!(matches!(early, AppError::InvalidState(_)), "no report yet: {early:?}");
        app.run_job(&system, job.id).unwrap();
        let w = app.workbench(&dept).unwrap();
        assert_eq!(w.to_review.iter().map(|x| x.job).collect::<Vec<_>>(), [job.id], "its report, waiting for its 回执");
        assert!(app.workbench(&other).unwrap().to_review.is_empty(), "another department's list is its own");
        assert!(matches!(app.record_receipt(&other, job.id, &received), Err(AppError::Forbidden(_))));
        let before = ReceiptInput { received_on: day("2026-01-01"), ..received.clone() };
        assert!(matches!(app.record_receipt(&dept, job.id, &before), Err(AppError::Invalid(_))), "before the report");
        let undated = ReceiptInput { decision: "approved".into(), ..received.clone() };
        assert!(
            matches!(app.record_receipt(&dept, job.id, &undated), Err(AppError::Invalid(_))),
            "a decision has a date"
        );
        let unknown =
            ReceiptInput { decision: "maybe".into(), decided_on: Some(received.received_on), ..received.clone() };
        assert!(matches!(app.record_receipt(&dept, job.id, &unknown), Err(AppError::Invalid(_))));
        let decided = ReceiptInput { decision: "approved".into(), decided_on: Some(received.received_on), ..received };
        app.record_receipt(&dept, job.id, &decided).unwrap();
        assert!(matches!(app.record_receipt(&dept, job.id, &decided), Err(AppError::InvalidState(_))), "once");
        let r = app.receipts(job.id).unwrap();
        assert_eq!(
            (r.len(), r[0].decision.as_str(), r[0].organization.as_str()),
            (1, "approved", job.department.as_str())
        );
        assert!(app.workbench(&dept).unwrap().to_review.is_empty(), "acknowledged");
        let audit = store.audit_log(Some(&format!("job:{}", job.id)), 50).unwrap();
        assert!(audit.iter().any(|a| a.entry.action == "report.receipt" && a.entry.detail.contains("批准救助")));
    }
}

/// An objection brings its materials: checked before anything is stored, sealed, read back
/// whole; a file that is not a document refuses the whole objection.
#[test]
fn an_objection_keeps_its_materials() {
    use hedui_app::jobs::objection::Material;
    let city = common::city(3, 99);
    for store in common::stores("objection_files") {
        let app = common::app(store.clone(), Some(&city));
        let system = Caller::system("t");
        hedui::city::import_mirrors(&app, &system, &city).unwrap();
        let apps = hedui::city::applications(&city).unwrap();
        let filed = hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
        let clerk = common::clerk();
        let job = filed[0].job;
        app.run_job(&clerk, job).unwrap();
        let pdf = Material { file_name: "户口簿.pdf".into(), bytes: b"%PDF-1.4\n% a page\n%%EOF\n".to_vec() };
        let exe = Material { file_name: "x.pdf".into(), bytes: b"MZ\x90\0".to_vec() };
        let refused = app.object_with(&clerk, job, "收入已变化", &[pdf.clone(), exe]).unwrap_err();
        assert!(matches!(refused, AppError::Invalid(_)), "{refused:?}");
        assert_eq!(app.job(job).unwrap().state, JobState::ReportIssued, "nothing recorded");
        assert!(app.objection_files(job).unwrap().is_empty());
        let png =
            Material { file_name: "银行流水.png".into(), bytes: b"\x89PNG\r\n\x1a\n....IEND\xaeB`\x82".to_vec() };
        app.object_with(&clerk, job, "收入已变化，附户口簿和银行流水", &[pdf.clone(), png.clone()]).unwrap();
        assert_eq!(app.job(job).unwrap().state, JobState::Objection);
        let listed = app.objection_files(job).unwrap();
        assert_eq!(
            listed.iter().map(|f| (f.seq, f.file_name.as_str())).collect::<Vec<_>>(),
            [(1, "户口簿.pdf"), (2, "银行流水.png")]
        );
        assert_eq!(app.objection_file(&clerk, job, 2).unwrap(), ("image/png".to_string(), png.bytes));
        assert!(matches!(app.objection_file(&clerk, job, 3), Err(AppError::NotFound(_))));
        // The 复核 records what changed against the report objected to.
        app.recheck(&clerk, job).unwrap();
        let history = store.audit_log(Some(&format!("job:{job}")), 100).unwrap();
        assert!(
            history.iter().any(|r| r.entry.action == "report.changes" && r.entry.detail.contains("第 2 版与第 1 版"))
        );
    }
}
