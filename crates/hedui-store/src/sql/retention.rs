//! Retention of case data: counting and deleting what is past its period (see
//! [`crate::retention`]).

use super::*;

/// Reports created before the cut-off.
const REPORTS_DUE: &str = "SELECT id FROM report WHERE created_at < ?";

/// Jobs created before the cut-off that no longer have a report, whose answers are due.
const ANSWER_JOBS_DUE: &str =
    "SELECT j.id FROM job j WHERE j.created_at < ? AND NOT EXISTS (SELECT 1 FROM report p WHERE p.job_id = j.id)";

/// Snapshots out of force since before the mirror's cut-off date (a later full snapshot of the
/// source replaced them), on whose dates in force no job was made that still holds a report or is
/// younger than the reports' cut-off.
fn snapshots_due() -> String {
    format!(
        "WITH spans AS (SELECT b.id, b.as_of, (SELECT MIN(f.as_of) FROM import_batch f WHERE f.source = b.source \
           AND f.mode = '{full}' AND f.status = '{done}' AND f.as_of > b.as_of) AS until \
           FROM import_batch b WHERE b.status = '{done}') \
         SELECT s.id FROM spans s WHERE s.until IS NOT NULL AND s.until <= ? AND NOT EXISTS ( \
           SELECT 1 FROM job j WHERE j.as_of >= s.as_of AND j.as_of < s.until \
           AND (j.created_at >= ? OR EXISTS (SELECT 1 FROM report p WHERE p.job_id = j.id)))",
        full = code(&SnapshotMode::Full),
        done = code(&BatchStatus::Done),
    )
}

fn mirror_params(cut: &Cutoffs) -> Vec<Value> {
    let date = cut.mirror.to_string();
    vec![date.get(..10).unwrap_or(&date).to_string().into(), cut.reports.into()]
}

pub(super) fn data_due(st: &SqlStore, class: DataClass, cut: &Cutoffs) -> Result<i64> {
    match class {
        DataClass::Reports => st.count(&format!("SELECT COUNT(*) FROM ({REPORTS_DUE}) d"), &[cut.reports.into()]),
        DataClass::Answers => {
            st.count(&format!("SELECT COUNT(*) FROM record WHERE job_id IN ({ANSWER_JOBS_DUE})"), &[cut.answers.into()])
        }
        DataClass::Mirror => st.count(
            &format!("SELECT COUNT(*) FROM record WHERE batch_id IN ({})", snapshots_due()),
            &mirror_params(cut),
        ),
    }
}

pub(super) fn purge_data(st: &SqlStore, class: DataClass, cut: &Cutoffs, audit: &AuditEntry) -> Result<i64> {
    st.tx(|c| {
        let deleted = match class {
            DataClass::Reports => {
                let p = [cut.reports.into()];
                c.execute(&format!("DELETE FROM report_issue WHERE report_id IN ({REPORTS_DUE})"), &p)?;
                c.execute(
                    "DELETE FROM caseload_inputs WHERE EXISTS (SELECT 1 FROM report r WHERE r.job_id = \
                     caseload_inputs.job_id AND r.version = caseload_inputs.version AND r.created_at < ?)",
                    &p,
                )?;
                c.execute("DELETE FROM report WHERE created_at < ?", &p)?
            }
            DataClass::Answers => {
                c.execute(&format!("DELETE FROM record WHERE job_id IN ({ANSWER_JOBS_DUE})"), &[cut.answers.into()])?
            }
            DataClass::Mirror => {
                let ids: Vec<i64> = c
                    .query(&snapshots_due(), &mirror_params(cut))?
                    .iter()
                    .map(|r| Row(r).i64(0))
                    .collect::<Result<_>>()?;
                let mut n = 0;
                for id in ids {
                    n += c.execute("DELETE FROM record WHERE batch_id = ?", &[id.into()])?;
                    c.execute("DELETE FROM record_digest WHERE batch_id = ?", &[id.into()])?;
                    c.execute("DELETE FROM import_issue WHERE batch_id = ?", &[id.into()])?;
                    c.execute(
                        "UPDATE import_batch SET status = ? WHERE id = ?",
                        &[code(&BatchStatus::Purged).into(), id.into()],
                    )?;
                }
                n
            }
        };
        write_audit(c, audit)?;
        Ok(deleted as i64)
    })
}
