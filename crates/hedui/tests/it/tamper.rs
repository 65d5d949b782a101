//! An attacker with write access to the database moves sealed values between rows or edits a
//! plain column: nothing of it is shown, exported or signed, and the error names the row.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use hedui_app::AppError;
use hedui_app::reports::sign::Format;
use hedui_means::Outcome;
use hedui_store::{AuditOutcome, Reseal, SealedSlot, Store};

/// Direct access to the database behind a store, as an attacker with the database's password has.
pub(crate) enum Raw {
    Sqlite(std::path::PathBuf),
    Pg(String, String),
}

impl Raw {
    pub(crate) fn exec(&self, sql: &str) {
        assert_eq!(self.exec_n(sql), 1, "{sql}");
    }

    /// Runs a statement; the rows it changed.
    pub(crate) fn exec_n(&self, sql: &str) -> u64 {
        self.try_exec(sql).unwrap()
    }

    /// Runs a statement; the rows it changed, or the database's refusal.
    pub(crate) fn try_exec(&self, sql: &str) -> Result<u64, String> {
        match self {
            Raw::Sqlite(p) => {
                rusqlite::Connection::open(p).unwrap().execute(sql, []).map(|n| n as u64).map_err(|e| e.to_string())
            }
            Raw::Pg(url, schema) => {
                let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
                c.batch_execute(&format!("SET search_path TO {schema}")).unwrap();
                c.execute(sql, &[]).map_err(|e| format!("{e:?}"))
            }
        }
    }

    /// Removes the triggers that keep audit rows append-only, as an attacker who owns the
    /// database can.
    pub(crate) fn drop_audit_guards(&self) {
        let sql = match self {
            Raw::Sqlite(_) => "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;",
            Raw::Pg(..) => "DROP TRIGGER audit_append_only ON audit;",
        };
        match self {
            Raw::Sqlite(p) => rusqlite::Connection::open(p).unwrap().execute_batch(sql).unwrap(),
            Raw::Pg(url, schema) => {
                let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
                c.batch_execute(&format!("SET search_path TO {schema}; {sql}")).unwrap();
            }
        }
    }

    /// A blob literal in this database's SQL.
    pub(crate) fn blob(&self, bytes: &[u8]) -> String {
        let hex = hedui_crypto::encode_hex(bytes);
        match self {
            Raw::Sqlite(_) => format!("X'{hex}'"),
            Raw::Pg(..) => format!("decode('{hex}', 'hex')"),
        }
    }
}

pub(crate) fn nodes(tag: &str) -> Vec<(Arc<dyn Store>, Raw)> {
    let dir = common::temp_dir(tag);
    let path = dir.join("hedui.db");
    let mut out: Vec<(Arc<dyn Store>, Raw)> =
        vec![(hedui::open_store(&path.display().to_string()).unwrap(), Raw::Sqlite(path))];
    match hedui_store_postgres::test_url() {
        Some(url) => {
            static N: AtomicU32 = AtomicU32::new(0);
            let schema = format!("it_{tag}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
            let pg = hedui_store_postgres::open_scratch_schema(&url, &schema).unwrap();
            pg.migrate().unwrap();
            out.push((Arc::new(pg), Raw::Pg(url, schema)));
        }
        None => hedui_store_postgres::skip_notice(tag),
    }
    out
}

fn tampered(r: Result<impl std::fmt::Debug, AppError>, row: &str) {
    match r {
        Err(AppError::Tampered(m)) => assert!(m.contains(row), "the error does not name {row}: {m}"),
        other => panic!("expected a refusal naming {row}, got {other:?}"),
    }
}

#[test]
fn moved_ciphertexts_and_edited_outcomes_are_refused_naming_the_row() {
    let city = common::city(24, 31);
    for (store, raw) in nodes("tamper") {
        let app = common::app(store.clone(), Some(&city));
        let actor = common::clerk();
        hedui::city::import_mirrors(&app, &actor, &city).unwrap();
        let apps = hedui::city::applications(&city).unwrap();
        let filed = hedui::city::file_applications(&app, &actor, &apps, common::as_of(), &|_| true).unwrap();
        let mut reports = Vec::new();
        for f in &filed {
            let r = app.run_job(&actor, f.job).unwrap();
            let h = store.household_by_number(&f.number).unwrap().unwrap();
            reports.push((f.job, h.id, h.number.clone(), r.assessment.outcome));
        }
        let exceeds: Vec<_> = reports.iter().filter(|r| r.3 == Outcome::Exceeds).collect();
        let within: Vec<_> = reports.iter().filter(|r| r.3 == Outcome::NotExceeded).collect();
        assert!(exceeds.len() >= 3 && within.len() >= 3, "the city needs both outcomes");
        let report_id = |job: hedui_core::JobId| store.reports(job).unwrap()[0].id;

        // 1. Job B's 未超出 report (body, digest and outcome) copied onto job A, which was 超出.
        let (a, b) = (exceeds[0].0, within[0].0);
        raw.exec(&format!(
            "UPDATE report SET body_enc = (SELECT body_enc FROM report WHERE id = {rb}), \
             body_sm3 = (SELECT body_sm3 FROM report WHERE id = {rb}), outcome = 'not_exceeded' WHERE id = {ra}",
            ra = report_id(a),
            rb = report_id(b)
        ));
        let row = format!("job={a}/version=1");
        tampered(app.report(&actor, a, None), &row);
        tampered(app.report_file(&actor, a, None, Format::Pdf), &row);
        tampered(app.report_file(&actor, a, None, Format::Json), &row);
        let audit = store.audit_log(Some(&format!("job:{a}")), 50).unwrap();
        assert!(audit.iter().any(|e| e.entry.action == "report.tampered" && e.entry.outcome == AuditOutcome::Denied));
        app.report(&actor, b, None).unwrap();

        // 2. The outcome column alone, of the report and then of the job.
        let c = exceeds[1].0;
        raw.exec(&format!("UPDATE report SET outcome = 'not_exceeded' WHERE id = {}", report_id(c)));
        tampered(app.report(&actor, c, None), &format!("核对任务 {c} 第 1 版"));
        tampered(app.report_file(&actor, c, None, Format::Pdf), &format!("核对任务 {c} 第 1 版"));
        let d = exceeds[2].0;
        raw.exec(&format!("UPDATE job SET outcome = 'not_exceeded' WHERE id = {d}"));
        tampered(app.report(&actor, d, None), &format!("核对任务 {d} 第 1 版"));

        // The digests the signatures cover: the stored body's (which a reading hashes) and the
        // JSON's, each changed alone, are refused; put back, the report reads again.
        let e = reports.iter().find(|r| ![a, b, c, d, within[1].0].contains(&r.0)).unwrap().0;
        assert!(!store.reports(e).unwrap()[0].packed_sm3.is_empty(), "a new report keeps its stored body's digest");
        for column in ["packed_sm3", "body_sm3"] {
            raw.exec(&format!("UPDATE report SET {column} = '0' || {column} WHERE id = {}", report_id(e)));
            tampered(app.report(&actor, e, None), &format!("核对任务 {e} 第 1 版"));
            raw.exec(&format!("UPDATE report SET {column} = substr({column}, 2) WHERE id = {}", report_id(e)));
            app.report(&actor, e, None).unwrap();
        }

        // 3. Member ID numbers, member names and addresses moved between households.
        let (h1, n1) = (within[1].1, &within[1].2);
        let h2 = within[2].1;
        let original = store.household(h1).unwrap().unwrap();
        for (table, column, key, row, slot, value) in [
            (
                "member",
                "id_enc",
                "AND seq = 1",
                format!("household={n1}/member=1"),
                SealedSlot::MemberId(h1, 1),
                original.members[0].id_enc.clone(),
            ),
            (
                "member",
                "name_enc",
                "AND seq = 1",
                format!("household={n1}/member=1"),
                SealedSlot::MemberName(h1, 1),
                original.members[0].name_enc.clone(),
            ),
            (
                "household",
                "address_enc",
                "",
                format!("household={n1}"),
                SealedSlot::HouseholdAddress(h1),
                original.address_enc.clone(),
            ),
        ] {
            let id = if table == "household" { "id" } else { "household_id" };
            raw.exec(&format!(
                "UPDATE {table} SET {column} = (SELECT {column} FROM {table} WHERE {id} = {h2} {key}) \
                 WHERE {id} = {h1} {key}"
            ));
            let err = app.household_view(&actor, h1).unwrap_err().to_string();
            assert!(err.contains(&format!("{table}.{column}")) && err.contains(&row), "{err}");
            // Put the original back, so that the next case tests only its own column.
            store
                .reseal(
                    &[Reseal::Value(slot, value)],
                    &app.audit_entry(&actor, "test.restore", "db", AuditOutcome::Ok, String::new()),
                )
                .unwrap();
            app.household_view(&actor, h1).unwrap();
        }
        // A moved member ID also stops the member's household from being verified again.
        raw.exec(&format!(
            "UPDATE member SET id_enc = (SELECT id_enc FROM member WHERE household_id = {h2} AND seq = 1) \
             WHERE household_id = {h1} AND seq = 1"
        ));
        let job = within[1].0;
        app.object(&actor, job, "复核").unwrap();
        tampered(app.recheck(&actor, job), &format!("household={n1}/member=1"));
    }
}

/// A process that stopped between completing a report and issuing it leaves a completed report:
/// it is not given out until issued, and `jobs resume` issues it after checking it.
#[test]
fn a_report_completed_but_not_issued_is_issued_on_resume() {
    let city = common::city(6, 37);
    for (store, raw) in nodes("unissued") {
        let app = common::app(store.clone(), Some(&city));
        let actor = common::clerk();
        hedui::city::import_mirrors(&app, &actor, &city).unwrap();
        let apps = hedui::city::applications(&city).unwrap();
        let filed = hedui::city::file_applications(&app, &actor, &apps, common::as_of(), &|_| true).unwrap();
        let job = filed.iter().find(|f| app.run_job(&actor, f.job).is_ok()).unwrap().job;
        let row = store.reports(job).unwrap().remove(0);
        raw.exec(&format!("DELETE FROM report_issue WHERE report_id = {}", row.id));
        assert!(matches!(app.report(&actor, job, None), Err(AppError::InvalidState(_))));
        assert_eq!(store.unissued_reports().unwrap(), [(row.id, job)]);
        app.resume_jobs(&actor).unwrap();
        let r = app.report(&actor, job, None).unwrap();
        assert!(r.seal.is_some_and(|s| !s.issued_sig.is_empty() && !s.signed_in_migration));
        assert!(store.unissued_reports().unwrap().is_empty());
    }
}
