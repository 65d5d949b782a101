//! A rotation's reads and writes: pages of rows still to re-seal, their new values with the
//! table's cursor in one transaction, and the key epochs.

use super::*;
use crate::rekey::{KeyEpochRow, RekeyRow, RekeyTable};
use crate::sealed::{expect_one, set_meta_tx};

pub(super) fn rekey_page(st: &SqlStore, table: RekeyTable, after: i64, limit: i64) -> Result<Vec<RekeyRow>> {
    let s = table.spec();
    let cols: Vec<&str> =
        std::iter::once(s.id).chain(s.context.iter().copied()).chain(s.values.iter().copied()).collect();
    let sql = format!("SELECT {} FROM {} WHERE {} > ? ORDER BY {} LIMIT ?", cols.join(", "), s.table, s.id, s.id);
    st.query(&sql, &[after.into(), limit.into()])?
        .iter()
        .map(|r| {
            let r = Row(r);
            let n = s.context.len();
            Ok(RekeyRow {
                id: r.i64(0)?,
                context: (0..n).map(|i| r.opt_text(1 + i).map(Option::unwrap_or_default)).collect::<Result<_>>()?,
                values: (0..s.values.len()).map(|i| r.opt_blob(1 + n + i)).collect::<Result<_>>()?,
            })
        })
        .collect()
}

fn update_rows(c: &mut dyn Conn, table: RekeyTable, rows: &[RekeyRow]) -> Result<()> {
    let s = table.spec();
    let set: Vec<String> = s.values.iter().map(|v| format!("{v} = ?")).collect();
    let sql = format!("UPDATE {} SET {} WHERE {} = ?", s.table, set.join(", "), s.id);
    for r in rows {
        if r.values.len() != s.values.len() {
            return Err(StoreError::Corrupt(format!(
                "{}: {} values for {} columns",
                s.table,
                r.values.len(),
                s.values.len()
            )));
        }
        let mut params: Vec<Value> =
            r.values.iter().map(|v| v.as_deref().map(Value::from).unwrap_or(Value::Null)).collect();
        params.push(r.id.into());
        expect_one(c.execute(&sql, &params)?, &format!("{} {}", s.table, r.id))?;
    }
    Ok(())
}

pub(super) fn rekey_apply(st: &SqlStore, table: RekeyTable, rows: &[RekeyRow], audit: &AuditEntry) -> Result<()> {
    if table == RekeyTable::Audit {
        return Err(StoreError::Invalid("audit rows are re-sealed only through rekey_audit".into()));
    }
    st.tx(|c| {
        update_rows(c, table, rows)?;
        if let Some(last) = rows.last() {
            set_meta_tx(c, &table.cursor_key(), &last.id.to_string())?;
        }
        write_audit(c, audit)
    })
}

pub(super) fn rekey_audit(st: &SqlStore, rows: &[RekeyRow]) -> Result<()> {
    st.tx(|c| {
        c.execute("UPDATE audit_head SET rekeying = 1", &[])?;
        update_rows(c, RekeyTable::Audit, rows)?;
        c.execute("UPDATE audit_head SET rekeying = 0", &[])?;
        Ok(())
    })
}

pub(super) fn key_epochs(st: &SqlStore) -> Result<Vec<KeyEpochRow>> {
    st.query(
        "SELECT epoch, fingerprint, state, started_at, finished_at, retained_enc FROM key_epoch ORDER BY epoch",
        &[],
    )?
    .iter()
    .map(|r| {
        let r = Row(r);
        Ok(KeyEpochRow {
            epoch: r.i64(0)?,
            fingerprint: r.text(1)?,
            state: r.text(2)?,
            started_at: r.ts(3)?,
            finished_at: r.opt_ts(4)?,
            retained_enc: r.opt_blob(5)?,
        })
    })
    .collect()
}

pub(super) fn put_key_epochs(
    st: &SqlStore,
    rows: &[KeyEpochRow],
    meta: &[(&str, &str)],
    audit: &AuditEntry,
) -> Result<()> {
    st.tx(|c| {
        for k in rows {
            let params: Vec<Value> = vec![
                k.fingerprint.as_str().into(),
                k.state.as_str().into(),
                k.started_at.into(),
                k.finished_at.map(Value::from).unwrap_or(Value::Null),
                k.retained_enc.as_deref().map(Value::from).unwrap_or(Value::Null),
                k.epoch.into(),
            ];
            let n = c.execute(
                "UPDATE key_epoch SET fingerprint = ?, state = ?, started_at = ?, finished_at = ?, retained_enc = ? \
                 WHERE epoch = ?",
                &params,
            )?;
            if n == 0 {
                c.execute(
                    "INSERT INTO key_epoch (fingerprint, state, started_at, finished_at, retained_enc, epoch) \
                     VALUES (?, ?, ?, ?, ?, ?)",
                    &params,
                )?;
            }
        }
        for (k, v) in meta {
            set_meta_tx(c, k, v)?;
        }
        write_audit(c, audit)
    })
}

pub(super) fn relative_ids(st: &SqlStore, login: &str) -> Result<Vec<(BlindIndex, Vec<u8>)>> {
    st.query("SELECT id_bidx, id_enc FROM staff_relative WHERE login = ? ORDER BY id", &[login.into()])?
        .iter()
        .map(|r| Ok((Row(r).bidx(0)?, Row(r).blob(1)?)))
        .collect()
}
