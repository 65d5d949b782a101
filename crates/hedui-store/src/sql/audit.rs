//! The audit trail: appending is `write_audit`'s; here the chains' heads, checkpoints, purges, the
//! viewer's search and the readings.

use super::*;

pub(super) fn audit(st: &SqlStore, entry: &AuditEntry) -> Result<()> {
    st.tx(|c| write_audit(c, entry))
}

pub(super) fn set_audit_mac(st: &SqlStore, mac: std::sync::Arc<dyn crate::chain::AuditMac>) {
    if let Ok(mut m) = st.audit_mac.write() {
        *m = Some(mac);
    }
}

/// Chained rows in id order, `limit` after `after_id`, with their chain columns.
pub(super) fn audit_chain(st: &SqlStore, after_id: i64, limit: i64) -> Result<Vec<crate::chain::ChainRow>> {
    st.query(
        &format!("SELECT {AUDIT_COLS}, chain, seq, key_epoch, mac, link FROM audit WHERE id > ? ORDER BY id LIMIT ?"),
        &[after_id.into(), limit.into()],
    )?
    .iter()
    .map(|r| {
        let row = audit_row(r)?;
        let c = Row(r);
        let n = AUDIT_WIDTH;
        Ok(crate::chain::ChainRow {
            id: row.id,
            chain: c.text(n)?,
            seq: c.opt_i64(n + 1)?,
            key_epoch: c.opt_i64(n + 2)?,
            mac: c.opt_blob(n + 3)?,
            link: c.opt_blob(n + 4)?,
            entry: row.entry,
        })
    })
    .collect()
}

/// A chain as one statement sees it: the last seq and its link, the rows held, the first seq.
pub(super) fn audit_head(st: &SqlStore, chain: &str) -> Result<crate::chain::ChainHead> {
    let rows = st.query(
        "SELECT s.hi, a.link, s.n, s.lo FROM (SELECT COUNT(seq) AS n, MIN(seq) AS lo, MAX(seq) AS hi FROM audit \
         WHERE chain = ?) s LEFT JOIN audit a ON a.chain = ? AND a.seq = s.hi",
        &[chain.into(), chain.into()],
    )?;
    let r = Row(rows.first().ok_or_else(|| StoreError::Corrupt("no row returned".into()))?);
    Ok(crate::chain::ChainHead {
        seq: r.opt_i64(0)?.unwrap_or(0),
        link: r.opt_blob(1)?,
        rows_held: r.i64(2)?,
        first_seq: r.opt_i64(3)?.unwrap_or(0),
    })
}

pub(super) fn audit_due(st: &SqlStore, chain: &str, before: Timestamp) -> Result<Option<crate::chain::DuePrefix>> {
    // The last row before the first that is not yet due (or the chain's last row).
    let rows = st.query(
        "SELECT COALESCE((SELECT MIN(seq) FROM audit WHERE chain = ? AND at >= ?) - 1, \
         (SELECT MAX(seq) FROM audit WHERE chain = ?))",
        &[chain.into(), before.into(), chain.into()],
    )?;
    let Some(through) = rows.first().map(|r| Row(r).opt_i64(0)).transpose()?.flatten() else { return Ok(None) };
    let rows = st.query(
        "SELECT COUNT(*), MAX(seq) FROM audit WHERE chain = ? AND seq <= ? AND seq IS NOT NULL",
        &[chain.into(), through.into()],
    )?;
    let r = Row(rows.first().ok_or_else(|| StoreError::Corrupt("no row returned".into()))?);
    let (count, last) = (r.i64(0)?, r.opt_i64(1)?);
    let Some(last) = last.filter(|_| count > 0) else { return Ok(None) };
    let link = st.query("SELECT link FROM audit WHERE chain = ? AND seq = ?", &[chain.into(), last.into()])?;
    let link = link.first().map(|r| Row(r).opt_blob(0)).transpose()?.flatten();
    Ok(Some(crate::chain::DuePrefix { through_seq: last, link, rows: count }))
}

pub(super) fn purge_audit(st: &SqlStore, chain: &str, through_seq: i64) -> Result<u64> {
    st.tx(|c| {
        c.execute("UPDATE audit_head SET purging = 1 WHERE chain = ?", &[chain.into()])?;
        let n = c.execute("DELETE FROM audit WHERE chain = ? AND seq <= ?", &[chain.into(), through_seq.into()])?;
        c.execute("UPDATE audit_head SET purging = 0 WHERE chain = ?", &[chain.into()])?;
        Ok(n)
    })
}

const CHECKPOINT_COLS: &str =
    "chain, seq, link, rows_held, first_seq, at, kind, key_epoch, signer, public_key, signature";

pub(super) fn put_checkpoint(st: &SqlStore, cp: &crate::chain::Checkpoint) -> Result<()> {
    st.lock()?.execute(
        &format!("INSERT INTO audit_checkpoint ({CHECKPOINT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        &[
            cp.chain.as_str().into(),
            cp.seq.into(),
            cp.link.as_str().into(),
            cp.rows_held.into(),
            cp.first_seq.into(),
            cp.at.into(),
            cp.kind.as_str().into(),
            cp.key_epoch.into(),
            cp.signer.as_str().into(),
            cp.public_key.as_str().into(),
            cp.signature.as_str().into(),
        ],
    )?;
    Ok(())
}

pub(super) fn checkpoints(st: &SqlStore) -> Result<Vec<crate::chain::Checkpoint>> {
    st.query(&format!("SELECT {CHECKPOINT_COLS} FROM audit_checkpoint ORDER BY id"), &[])?
        .iter()
        .map(|r| checkpoint_from(r))
        .collect()
}

pub(super) fn last_checkpoint(st: &SqlStore, chain: &str) -> Result<Option<crate::chain::Checkpoint>> {
    st.query(
        &format!("SELECT {CHECKPOINT_COLS} FROM audit_checkpoint WHERE chain = ? ORDER BY id DESC LIMIT 1"),
        &[chain.into()],
    )?
    .first()
    .map(|r| checkpoint_from(r))
    .transpose()
}

fn checkpoint_from(r: &[Value]) -> Result<crate::chain::Checkpoint> {
    let r = Row(r);
    Ok(crate::chain::Checkpoint {
        chain: r.text(0)?,
        seq: r.i64(1)?,
        link: r.text(2)?,
        rows_held: r.i64(3)?,
        first_seq: r.i64(4)?,
        at: r.ts(5)?,
        kind: r.text(6)?,
        key_epoch: r.i64(7)?,
        signer: r.text(8)?,
        public_key: r.text(9)?,
        signature: r.text(10)?,
    })
}

pub(super) fn audit_log(st: &SqlStore, object: Option<&str>, limit: i64) -> Result<Vec<AuditRow>> {
    let (w, mut p): (&str, Vec<Value>) = match object {
        Some(o) => ("WHERE object = ?", vec![o.into()]),
        None => ("", vec![]),
    };
    p.push(limit.into());
    st.query(&format!("SELECT {AUDIT_COLS} FROM audit {w} ORDER BY id DESC LIMIT ?"), &p)?
        .iter()
        .map(|r| audit_row(r))
        .collect()
}

pub(super) fn households_of_person(st: &SqlStore, person: PersonId) -> Result<Vec<(HouseholdId, String, String)>> {
    st.query(
        "SELECT id, number, region FROM household WHERE id IN (SELECT household_id FROM member WHERE person_id = ?) \
         OR id IN (SELECT household_id FROM supporter WHERE person_id = ?) ORDER BY id",
        &[person.0.into(), person.0.into()],
    )?
    .iter()
    .map(|r| {
        let r = Row(r);
        Ok((HouseholdId(r.i64(0)?), r.text(1)?, r.text(2)?))
    })
    .collect()
}

pub(super) fn households_named(st: &SqlStore, name_bidx: &BlindIndex) -> Result<Vec<HouseholdId>> {
    st.query(
        "SELECT household_id FROM member WHERE name_bidx = ? UNION SELECT household_id FROM supporter WHERE name_bidx = ? \
         ORDER BY 1",
        &[name_bidx.into(), name_bidx.into()],
    )?
    .iter()
    .map(|r| Ok(HouseholdId(Row(r).i64(0)?)))
    .collect()
}

pub(super) fn audit_search(st: &SqlStore, q: &AuditQuery) -> Result<(Vec<AuditRow>, i64)> {
    let mut conds: Vec<&str> = Vec::new();
    let mut p: Vec<Value> = Vec::new();
    // A trailing `.` or `:` asks for a prefix; `LIKE` needs its wildcards escaped in the value.
    let mut exact_or_prefix = |col: &'static str, v: &Option<String>, conds: &mut Vec<&str>| {
        let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) else { return };
        if v.ends_with('.') || v.ends_with(':') {
            let escaped = v.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            conds.push(match col {
                "object" => "object LIKE ? ESCAPE '\\'",
                _ => "action LIKE ? ESCAPE '\\'",
            });
            p.push(format!("{escaped}%").into());
        } else {
            conds.push(match col {
                "object" => "object = ?",
                _ => "action = ?",
            });
            p.push(v.into());
        }
    };
    exact_or_prefix("object", &q.object, &mut conds);
    exact_or_prefix("action", &q.action, &mut conds);
    if let Some(a) = q.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        conds.push("actor = ?");
        p.push(a.into());
    }
    if let Some(o) = &q.outcome {
        conds.push("outcome = ?");
        p.push(code(o).into());
    }
    if let Some(f) = q.from {
        conds.push("at >= ?");
        p.push(f.into());
    }
    if let Some(t) = q.to {
        conds.push("at < ?");
        p.push(t.into());
    }
    let w = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
    let total = st.count(&format!("SELECT COUNT(*) FROM audit {w}"), &p)?;
    p.push(q.limit.clamp(0, 100_000).into());
    p.push(q.offset.max(0).into());
    let rows = st
        .query(&format!("SELECT {AUDIT_COLS} FROM audit {w} ORDER BY id DESC LIMIT ? OFFSET ?"), &p)?
        .iter()
        .map(|r| audit_row(r))
        .collect::<Result<Vec<_>>>()?;
    Ok((rows, total))
}

pub(super) fn audit_about(st: &SqlStore, objects: &[String], limit: i64) -> Result<Vec<AuditRow>> {
    let mut out = Vec::new();
    for chunk in objects.chunks(200) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut p: Vec<Value> = chunk.iter().map(|o| o.as_str().into()).collect();
        p.push(limit.into());
        let rows =
            st.query(&format!("SELECT {AUDIT_COLS} FROM audit WHERE object IN ({marks}) ORDER BY id LIMIT ?"), &p)?;
        for r in &rows {
            out.push(audit_row(r)?);
        }
    }
    out.sort_by_key(|r| r.id);
    out.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(out)
}

pub(super) fn audit_between(st: &SqlStore, from: Timestamp, to: Timestamp, limit: i64) -> Result<Vec<AuditRow>> {
    st.query(
        &format!("SELECT {AUDIT_COLS} FROM audit WHERE at >= ? AND at < ? ORDER BY id LIMIT ?"),
        &[from.into(), to.into(), limit.into()],
    )?
    .iter()
    .map(|r| audit_row(r))
    .collect()
}

/// An audit row's columns, in the order [`audit_row`] reads them.
const AUDIT_COLS: &str = "id, at, actor, action, object, outcome, detail, request_id, client, basis, search, search_bidx, search_enc, note_enc";
const AUDIT_WIDTH: usize = 14;

fn audit_row(r: &[Value]) -> Result<AuditRow> {
    let r = Row(r);
    Ok(AuditRow {
        id: r.i64(0)?,
        entry: AuditEntry {
            at: r.ts(1)?,
            actor: r.text(2)?,
            action: r.text(3)?,
            object: r.text(4)?,
            outcome: r.code(5)?,
            detail: r.text(6)?,
            request_id: r.text(7)?,
            client: r.text(8)?,
            basis: r.text(9)?,
            search: r.text(10)?,
            search_bidx: r.opt_bidx(11)?,
            search_enc: r.opt_sealed(12)?,
            note_enc: r.opt_sealed(13)?,
        },
    })
}
