//! The database's own facts (its key's fingerprint, the format of its sealed values) and the
//! statements of the migration that re-seals every value for its own row.

use crate::audit::*;
use crate::sql::{Conn, Row, SqlStore, Value, write_audit};
use crate::types::*;
use crate::{Result, StoreError};

impl SqlStore {
    pub(crate) fn meta_in(&self, key: &str) -> Result<Option<String>> {
        let rows = self.query("SELECT value FROM meta WHERE key = ?", &[key.into()])?;
        rows.first().map(|r| Row(r).text(0)).transpose()
    }

    pub(crate) fn set_meta_in(&self, key: &str, value: &str, audit: &AuditEntry) -> Result<()> {
        self.tx(|c| {
            set_meta_tx(c, key, value)?;
            write_audit(c, audit)
        })
    }

    pub(crate) fn persons_page_in(&self, after: i64, limit: i64) -> Result<Vec<PersonRow>> {
        self.query(
            "SELECT id, id_bidx, id_enc FROM person WHERE id > ? ORDER BY id LIMIT ?",
            &[after.into(), limit.into()],
        )?
        .iter()
        .map(|r| {
            let r = Row(r);
            Ok(PersonRow { id: hedui_core::PersonId(r.i64(0)?), bidx: r.bidx(1)?, id_enc: r.sealed(2)? })
        })
        .collect()
    }

    pub(crate) fn issues_page_in(&self, after: i64, limit: i64) -> Result<Vec<IssueRow>> {
        self.query(
            "SELECT id, batch_id, line, severity, reason, raw_enc FROM import_issue WHERE id > ? ORDER BY id LIMIT ?",
            &[after.into(), limit.into()],
        )?
        .iter()
        .map(|r| {
            let r = Row(r);
            Ok(IssueRow {
                id: r.i64(0)?,
                batch: hedui_core::BatchId(r.i64(1)?),
                issue: ImportIssue { line: r.i64(2)?, severity: r.code(3)?, reason: r.text(4)?, raw_enc: r.sealed(5)? },
            })
        })
        .collect()
    }
}

/// Sets a `meta` value inside the caller's transaction.
pub(crate) fn set_meta_tx(c: &mut dyn Conn, key: &str, value: &str) -> Result<()> {
    if c.execute("UPDATE meta SET value = ? WHERE key = ?", &[value.into(), key.into()])? == 0 {
        c.execute("INSERT INTO meta (key, value) VALUES (?, ?)", &[key.into(), value.into()])?;
    }
    Ok(())
}

/// One change of the re-sealing migration, inside its transaction.
pub(crate) fn reseal_in(c: &mut dyn Conn, change: &Reseal) -> Result<()> {
    let (sql, value, keys): (&str, &[u8], Vec<Value>) = match change {
        Reseal::ReportSigned { report, completed_sig, issued_sig, at } => {
            let n = c.execute(
                "UPDATE report SET completed_sig = ?, signed_in_migration = 1 WHERE id = ? AND completed_sig = ''",
                &[completed_sig.as_str().into(), (*report).into()],
            )?;
            expect_one(n, &format!("report {report}"))?;
            c.execute(
                "INSERT INTO report_issue (report_id, issued_sig, issued_at) VALUES (?, ?, ?)",
                &[(*report).into(), issued_sig.as_str().into(), (*at).into()],
            )?;
            return Ok(());
        }
        Reseal::Recode { record, category, code, form, status, key } => {
            let n = c.execute(
                "UPDATE record SET kind = ?, category = ?, form = ?, status = ?, item_key = ? WHERE id = ?",
                &[
                    category.as_str().into(),
                    code.as_str().into(),
                    form.as_str().into(),
                    status.as_str().into(),
                    key.as_str().into(),
                    (*record).into(),
                ],
            )?;
            return expect_one(n, &format!("record {record}"));
        }
        Reseal::IdNote { household, seq, supporter, note } => {
            let table = if *supporter { "supporter" } else { "member" };
            let n = c.execute(
                &format!("UPDATE {table} SET id_note = ? WHERE household_id = ? AND seq = ?"),
                &[note.as_str().into(), household.0.into(), i64::from(*seq).into()],
            )?;
            return expect_one(n, &format!("{table} {household}/{seq}"));
        }
        Reseal::Value(slot, value) => {
            let hm = |h: &hedui_core::HouseholdId, s: &u32| vec![h.0.into(), i64::from(*s).into()];
            match slot {
                SealedSlot::PersonId(p) => ("UPDATE person SET id_enc = ? WHERE id = ?", value, vec![p.0.into()]),
                SealedSlot::RecordRawId(id) => {
                    ("UPDATE record SET raw_id_enc = ? WHERE id = ?", value, vec![(*id).into()])
                }
                SealedSlot::RecordDetail(id) => {
                    ("UPDATE record SET detail_enc = ? WHERE id = ?", value, vec![(*id).into()])
                }
                SealedSlot::IssueRaw(id) => {
                    ("UPDATE import_issue SET raw_enc = ? WHERE id = ?", value, vec![(*id).into()])
                }
                SealedSlot::MemberName(h, s) => {
                    ("UPDATE member SET name_enc = ? WHERE household_id = ? AND seq = ?", value, hm(h, s))
                }
                SealedSlot::MemberId(h, s) => {
                    ("UPDATE member SET id_enc = ? WHERE household_id = ? AND seq = ?", value, hm(h, s))
                }
                SealedSlot::SupporterName(h, s) => {
                    ("UPDATE supporter SET name_enc = ? WHERE household_id = ? AND seq = ?", value, hm(h, s))
                }
                SealedSlot::SupporterId(h, s) => {
                    ("UPDATE supporter SET id_enc = ? WHERE household_id = ? AND seq = ?", value, hm(h, s))
                }
                SealedSlot::HouseholdAddress(h) => {
                    ("UPDATE household SET address_enc = ? WHERE id = ?", value, vec![h.0.into()])
                }
                SealedSlot::CommissionNote(cm) => {
                    ("UPDATE commission SET note_enc = ? WHERE id = ?", value, vec![cm.0.into()])
                }
                SealedSlot::CommissionDeclared(cm) => {
                    ("UPDATE commission SET declared_enc = ? WHERE id = ?", value, vec![cm.0.into()])
                }
                SealedSlot::ReportBody(id) => {
                    ("UPDATE report SET body_enc = ? WHERE id = ?", value, vec![(*id).into()])
                }
            }
        }
    };
    let mut params: Vec<Value> = vec![value.into()];
    params.extend(keys);
    let n = c.execute(sql, &params)?;
    expect_one(n, &format!("{change:?}").chars().take(60).collect::<String>())
}

pub(crate) fn expect_one(n: u64, what: &str) -> Result<()> {
    if n == 1 { Ok(()) } else { Err(StoreError::NotFound(what.to_string())) }
}
