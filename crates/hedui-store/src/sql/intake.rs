//! Intake: the household list, letters' scans and members' corrections.

use super::*;
use crate::intake::{
    AttachmentRow, HouseholdFilter, HouseholdSummary, LetterScanRow, LinkCandidate, LinkDecision, LinkFilter,
    MemberCorrection, NewAttachment, NewLetterScan, Receipt, Reminder,
};

fn household_where(f: &HouseholdFilter) -> (String, Vec<Value>) {
    let mut w = vec!["1 = 1".to_string()];
    let mut p: Vec<Value> = Vec::new();
    let regions: Vec<&str> = f.regions.iter().map(|r| r.trim()).filter(|r| !r.is_empty()).collect();
    if !regions.is_empty() {
        let any: Vec<&str> = regions.iter().map(|_| "SUBSTR(h.region, 1, ?) = ?").collect();
        w.push(format!("({})", any.join(" OR ")));
        for r in regions {
            p.push((r.chars().count() as i64).into());
            p.push(r.into());
        }
    }
    if let Some(t) = f.number_contains.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        w.push("h.number LIKE ? ESCAPE '!'".into());
        let escaped: String =
            t.chars().flat_map(|c| if matches!(c, '!' | '%' | '_') { vec!['!', c] } else { vec![c] }).collect();
        p.push(format!("%{escaped}%").into());
    }
    if let Some(pr) = f.programme {
        w.push("h.programme = ?".into());
        p.push(code(&pr).into());
    }
    if let Some(ids) = &f.households {
        if ids.is_empty() {
            w.push("1 = 0".into());
        } else {
            w.push(format!("h.id IN ({})", vec!["?"; ids.len()].join(", ")));
            p.extend(ids.iter().map(|i| Value::from(i.0)));
        }
    }
    (w.join(" AND "), p)
}

pub(super) fn households_list(st: &SqlStore, f: &HouseholdFilter) -> Result<(Vec<HouseholdSummary>, i64)> {
    let (w, mut p) = household_where(f);
    let total = st.count(&format!("SELECT COUNT(*) FROM household h WHERE {w}"), &p)?;
    p.push((if f.limit > 0 { f.limit } else { 20 }).into());
    p.push(f.offset.max(0).into());
    let order = if f.oldest_first { "h.id" } else { "h.id DESC" };
    let rows = st.query(
        &format!(
            "SELECT h.id, h.number, h.region, h.programme, h.applied_on, h.created_at, \
             (SELECT COUNT(*) FROM member m WHERE m.household_id = h.id), \
             (SELECT COUNT(*) FROM supporter s WHERE s.household_id = h.id), \
             (SELECT COUNT(*) FROM authz_letter a WHERE a.household_id = h.id AND a.status = 'active') \
             FROM household h WHERE {w} ORDER BY {order} LIMIT ? OFFSET ?"
        ),
        &p,
    )?;
    let list = rows
        .iter()
        .map(|r| {
            let r = Row(r);
            Ok(HouseholdSummary {
                id: HouseholdId(r.i64(0)?),
                number: r.text(1)?,
                region: r.text(2)?,
                programme: r.code(3)?,
                applied_on: r.date(4)?,
                created_at: r.ts(5)?,
                members: r.i64(6)?,
                supporters: r.i64(7)?,
                active_letters: r.i64(8)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((list, total))
}

pub(super) fn put_letter_scan(st: &SqlStore, s: &NewLetterScan, at: Timestamp, audit: &AuditEntry) -> Result<()> {
    st.tx(|c| {
        if c.query("SELECT id FROM authz_letter WHERE id = ?", &[s.authorization.0.into()])?.is_empty() {
            return Err(StoreError::NotFound(format!("授权书 {}", s.authorization)));
        }
        if !c.query("SELECT id FROM letter_scan WHERE authorization_id = ?", &[s.authorization.0.into()])?.is_empty() {
            return Err(StoreError::Conflict(format!("授权书 {} 的扫描件", s.authorization)));
        }
        c.execute(
            "INSERT INTO letter_scan (authorization_id, content_type, file_name, size, content_sm3, content_enc, \
             created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            &[
                s.authorization.0.into(),
                s.content_type.as_str().into(),
                s.file_name.as_str().into(),
                s.size.into(),
                s.content_sm3.as_str().into(),
                s.content_enc.as_slice().into(),
                at.into(),
            ],
        )?;
        write_audit(c, audit)
    })
}

const SCAN_COLS: &str = "s.authorization_id, s.content_type, s.file_name, s.size, s.content_sm3, s.created_at";

fn scan_from(r: &[Value], with_content: bool) -> Result<LetterScanRow> {
    let r = Row(r);
    Ok(LetterScanRow {
        authorization: AuthorizationId(r.i64(0)?),
        content_type: r.text(1)?,
        file_name: r.text(2)?,
        size: r.i64(3)?,
        content_sm3: r.text(4)?,
        created_at: r.ts(5)?,
        content_enc: if with_content { Some(r.sealed(6)?) } else { None },
    })
}

pub(super) fn letter_scans(st: &SqlStore, household: HouseholdId) -> Result<Vec<LetterScanRow>> {
    st.query(
        &format!(
            "SELECT {SCAN_COLS} FROM letter_scan s JOIN authz_letter a ON a.id = s.authorization_id \
             WHERE a.household_id = ? ORDER BY s.authorization_id"
        ),
        &[household.0.into()],
    )?
    .iter()
    .map(|r| scan_from(r, false))
    .collect()
}

pub(super) fn letter_scan(st: &SqlStore, authorization: AuthorizationId) -> Result<Option<LetterScanRow>> {
    st.query(
        &format!("SELECT {SCAN_COLS}, s.content_enc FROM letter_scan s WHERE s.authorization_id = ?"),
        &[authorization.0.into()],
    )?
    .first()
    .map(|r| scan_from(r, true))
    .transpose()
}

pub(super) fn correct_member(
    st: &SqlStore,
    household: HouseholdId,
    m: &MemberCorrection,
    audit: &AuditEntry,
) -> Result<()> {
    let table = if m.supporter { "supporter" } else { "member" };
    st.tx(|c| {
        let n = c.execute(
            &format!(
                "UPDATE {table} SET person_id = ?, name_enc = ?, name_bidx = ?, id_enc = ?, id_note = ? \
                 WHERE household_id = ? AND seq = ?"
            ),
            &[
                m.person.map(|p| p.0).into(),
                m.name_enc.as_slice().into(),
                m.name_bidx.as_slice().into(),
                m.id_enc.as_slice().into(),
                m.id_note.as_str().into(),
                household.0.into(),
                i64::from(m.seq).into(),
            ],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "家庭 {household} 第 {} 位{}",
                m.seq,
                if m.supporter { "义务人" } else { "成员" }
            )));
        }
        write_audit(c, audit)
    })
}

pub(super) fn record_receipt(st: &SqlStore, r: &Receipt, audit: &AuditEntry) -> Result<()> {
    st.tx(|c| {
        let issued = c.query(
            "SELECT r.id FROM report r JOIN report_issue i ON i.report_id = r.id WHERE r.id = ? AND r.job_id = ?",
            &[r.report.0.into(), r.job.0.into()],
        )?;
        if issued.is_empty() {
            return Err(StoreError::NotFound(format!("核对任务 {} 的已签发报告 {}", r.job, r.report)));
        }
        if !c.query("SELECT id FROM report_receipt WHERE report_id = ?", &[r.report.0.into()])?.is_empty() {
            return Err(StoreError::Conflict(format!("报告 {} 的回执", r.report)));
        }
        c.execute(
            "INSERT INTO report_receipt (report_id, job_id, received_by, organization, received_on, decision, \
             decided_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                r.report.0.into(),
                r.job.0.into(),
                r.received_by.as_str().into(),
                r.organization.as_str().into(),
                r.received_on.to_string().into(),
                r.decision.as_str().into(),
                r.decided_on.map(|d| d.to_string()).into(),
                r.created_at.into(),
            ],
        )?;
        write_audit(c, audit)
    })
}

pub(super) fn receipts(st: &SqlStore, job: JobId) -> Result<Vec<Receipt>> {
    st.query(
        "SELECT report_id, job_id, received_by, organization, received_on, decision, decided_on, created_at \
         FROM report_receipt WHERE job_id = ? ORDER BY report_id",
        &[job.0.into()],
    )?
    .iter()
    .map(|r| {
        let r = Row(r);
        Ok(Receipt {
            report: ReportId(r.i64(0)?),
            job: JobId(r.i64(1)?),
            received_by: r.text(2)?,
            organization: r.text(3)?,
            received_on: r.date(4)?,
            decision: r.text(5)?,
            decided_on: r.opt_date(6)?,
            created_at: r.ts(7)?,
        })
    })
    .collect()
}

pub(super) fn link_candidates(st: &SqlStore, f: &LinkFilter) -> Result<(Vec<LinkCandidate>, i64)> {
    let (mut w, mut p) = household_where(&HouseholdFilter { regions: f.regions.clone(), ..HouseholdFilter::default() });
    if let Some(r) = f.record {
        w.push_str(" AND r.id = ?");
        p.push(r.0.into());
    }
    let from = format!(
        "FROM record r JOIN member m ON m.name_bidx = r.name_bidx JOIN household h ON h.id = m.household_id \
         WHERE r.name_bidx IS NOT NULL AND r.person_id IS NULL AND m.person_id IS NOT NULL AND {w} \
         AND NOT EXISTS (SELECT 1 FROM record_link l WHERE l.record_id = r.id AND l.person_id = m.person_id)"
    );
    let total = st.count(&format!("SELECT COUNT(*) {from}"), &p)?;
    let cols: Vec<String> = super::RECORD_COLS.split(',').map(|c| format!("r.{}", c.trim())).collect();
    p.push(f.limit.clamp(1, 1000).into());
    p.push(f.offset.max(0).into());
    let rows = st.query(
        &format!(
            "SELECT {}, h.id, h.number, h.region, m.seq, m.person_id {from} ORDER BY r.id, h.id, m.seq LIMIT ? OFFSET ?",
            cols.join(", ")
        ),
        &p,
    )?;
    let n = cols.len();
    let out = rows
        .iter()
        .map(|r| {
            let record = super::record_from(&r[..n])?;
            let rest = Row(&r[n..]);
            Ok(LinkCandidate {
                record,
                household: HouseholdId(rest.i64(0)?),
                household_number: rest.text(1)?,
                region: rest.text(2)?,
                member_seq: u32::try_from(rest.i64(3)?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                person: PersonId(rest.i64(4)?),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((out, total))
}

pub(super) fn decide_link(st: &SqlStore, d: &LinkDecision, audit: &AuditEntry) -> Result<()> {
    st.tx(|c| {
        if c.query("SELECT id FROM record WHERE id = ?", &[d.record.0.into()])?.is_empty() {
            return Err(StoreError::NotFound(format!("记录 {}", d.record)));
        }
        let decided = "SELECT id FROM record_link WHERE record_id = ? AND person_id = ?";
        if !c.query(decided, &[d.record.0.into(), d.person.0.into()])?.is_empty() {
            return Err(StoreError::Conflict(format!("记录 {} 与该人员的关联已有决定", d.record)));
        }
        if d.linked {
            let moved = c.execute(
                "UPDATE record SET person_id = ? WHERE id = ? AND person_id IS NULL",
                &[d.person.0.into(), d.record.0.into()],
            )?;
            if moved != 1 {
                return Err(StoreError::Conflict(format!("记录 {} 已关联到人员", d.record)));
            }
        }
        c.execute(
            "INSERT INTO record_link (record_id, person_id, linked, actor, created_at) VALUES (?, ?, ?, ?, ?)",
            &[
                d.record.0.into(),
                d.person.0.into(),
                i64::from(d.linked).into(),
                d.actor.as_str().into(),
                d.created_at.into(),
            ],
        )?;
        write_audit(c, audit)
    })
}

pub(super) fn add_reminder(st: &SqlStore, r: &Reminder, audit: &AuditEntry) -> Result<()> {
    st.tx(|c| {
        if c.query("SELECT id FROM job WHERE id = ?", &[r.job.0.into()])?.is_empty() {
            return Err(StoreError::NotFound(format!("核对任务 {}", r.job)));
        }
        c.execute(
            "INSERT INTO source_reminder (job_id, source, actor, note, created_at) VALUES (?, ?, ?, ?, ?)",
            &[
                r.job.0.into(),
                r.source.as_str().into(),
                r.actor.as_str().into(),
                r.note.as_str().into(),
                r.created_at.into(),
            ],
        )?;
        write_audit(c, audit)
    })
}

pub(super) fn reminders(st: &SqlStore, job: JobId) -> Result<Vec<Reminder>> {
    st.query(
        "SELECT job_id, source, actor, note, created_at FROM source_reminder WHERE job_id = ? ORDER BY id",
        &[job.0.into()],
    )?
    .iter()
    .map(|r| {
        let r = Row(r);
        Ok(Reminder {
            job: JobId(r.i64(0)?),
            source: r.text(1)?,
            actor: r.text(2)?,
            note: r.text(3)?,
            created_at: r.ts(4)?,
        })
    })
    .collect()
}

pub(super) fn put_objection_file(
    st: &SqlStore,
    job: JobId,
    f: &NewAttachment,
    at: Timestamp,
    audit: &AuditEntry,
) -> Result<i64> {
    st.tx(|c| {
        if c.query("SELECT id FROM job WHERE id = ?", &[job.0.into()])?.is_empty() {
            return Err(StoreError::NotFound(format!("核对任务 {job}")));
        }
        let seq = first_i64(&c.query("SELECT COALESCE(MAX(seq), 0) + 1 FROM objection_file WHERE job_id = ?", &[job.0.into()])?)?;
        c.execute(
            "INSERT INTO objection_file (job_id, seq, content_type, file_name, size, content_sm3, content_enc, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                job.0.into(),
                seq.into(),
                f.content_type.as_str().into(),
                f.file_name.as_str().into(),
                f.size.into(),
                f.content_sm3.as_str().into(),
                f.content_enc.as_slice().into(),
                at.into(),
            ],
        )?;
        write_audit(c, audit)?;
        Ok(seq)
    })
}

pub(super) fn objection_files(st: &SqlStore, job: JobId, seq: Option<i64>) -> Result<Vec<AttachmentRow>> {
    let content = if seq.is_some() { "content_enc" } else { "NULL" };
    let (filter, params): (&str, Vec<Value>) = match seq {
        Some(n) => ("AND seq = ?", vec![job.0.into(), n.into()]),
        None => ("", vec![job.0.into()]),
    };
    st.query(
        &format!(
            "SELECT seq, content_type, file_name, size, content_sm3, created_at, {content} FROM objection_file \
             WHERE job_id = ? {filter} ORDER BY seq"
        ),
        &params,
    )?
    .iter()
    .map(|r| {
        let r = Row(r);
        Ok(AttachmentRow {
            seq: r.i64(0)?,
            content_type: r.text(1)?,
            file_name: r.text(2)?,
            size: r.i64(3)?,
            content_sm3: r.text(4)?,
            created_at: r.ts(5)?,
            content_enc: r.opt_sealed(6)?,
        })
    })
    .collect()
}
