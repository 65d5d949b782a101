//! What the mirrors said on a date: the snapshots in force and the rows a verification reads.
//!
//! A source's snapshots in force on a date are its latest full snapshot on or before the date and
//! the incremental snapshots after that one (all of them when it has no full one). Of their rows,
//! a later snapshot's row replaces an earlier one about the same thing (person, source, kind, key
//! and period); rows of one snapshot all stand. Later imports never change what an earlier date
//! shows, so a report can be reproduced. The selection is one statement, so the contract suite
//! proves it the same on every backend.

use hedui_core::{Date, JobId, PersonId};

use crate::sql::{BATCH_COLS, RECORD_COLS, SqlStore, Value, batch_from, code, record_from};
use crate::{Batch, BatchStatus, Result, SnapshotMode, StoredRecord};

/// The ids of the snapshots in force on the date bound to the first parameter.
fn used_batches() -> String {
    format!(
        "WITH usable AS (SELECT id, source, as_of, mode FROM import_batch WHERE as_of <= ? AND status = '{done}'), \
         base AS (SELECT source, MAX(as_of) AS full_as_of FROM usable WHERE mode = '{full}' GROUP BY source), \
         used AS (SELECT u.id FROM usable u LEFT JOIN base b ON b.source = u.source \
                  WHERE (u.mode = '{full}' AND u.as_of = b.full_as_of) \
                     OR (u.mode = '{incr}' AND (b.full_as_of IS NULL OR u.as_of > b.full_as_of)))",
        done = code(&BatchStatus::Done),
        full = code(&SnapshotMode::Full),
        incr = code(&SnapshotMode::Incremental),
    )
}

impl SqlStore {
    pub(crate) fn snapshots_in_force_sql(&self, as_of: Date) -> Result<Vec<Batch>> {
        self.query(
            &format!(
                "{} SELECT {BATCH_COLS} FROM import_batch WHERE id IN (SELECT id FROM used) ORDER BY id",
                used_batches()
            ),
            &[as_of.to_string().into()],
        )?
        .iter()
        .map(|r| batch_from(r))
        .collect()
    }

    pub(crate) fn records_in_force_sql(&self, persons: &[PersonId], as_of: Date) -> Result<Vec<StoredRecord>> {
        let mut out = Vec::new();
        // Chunks hold whole persons, and the replacement rule compares rows of one person only.
        for chunk in persons.chunks(200) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut params: Vec<Value> = vec![as_of.to_string().into()];
            params.extend(chunk.iter().map(|p| Value::from(p.0)));
            let sql = format!(
                "{}, cand AS (SELECT {RECORD_COLS}, MAX(as_of) OVER \
                   (PARTITION BY person_id, source, kind, item_key, period_from, period_to) AS newest \
                   FROM record WHERE person_id IN ({marks}) AND batch_id IN (SELECT id FROM used)) \
                 SELECT {RECORD_COLS} FROM cand WHERE as_of = newest ORDER BY id",
                used_batches()
            );
            for r in self.query(&sql, &params)? {
                out.push(record_from(&r)?);
            }
        }
        out.sort_by_key(|r| r.id);
        Ok(out)
    }

    pub(crate) fn job_records_sql(&self, job: JobId) -> Result<Vec<StoredRecord>> {
        self.query(&format!("SELECT {RECORD_COLS} FROM record WHERE job_id = ? ORDER BY id"), &[job.0.into()])?
            .iter()
            .map(|r| record_from(r))
            .collect()
    }
}
