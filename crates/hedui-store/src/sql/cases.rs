//! Cases: households with their members, authorization letters and commissions.

use super::*;

pub(super) fn create_household(
    st: &SqlStore,
    h: &NewHousehold,
    created_at: Timestamp,
    audit: &AuditEntry,
) -> Result<HouseholdId> {
    st.tx(|c| {
        if !c.query("SELECT id FROM household WHERE number = ?", &[h.number.as_str().into()])?.is_empty() {
            return Err(StoreError::Conflict(format!("户编号 {}", h.number)));
        }
        let id = first_i64(&c.query(
            "INSERT INTO household (number, region, address_enc, programme, applied_on, declared_income, \
             declared_assets, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            &[
                h.number.as_str().into(),
                h.region.as_str().into(),
                h.address_enc.as_slice().into(),
                code(&h.programme).into(),
                h.applied_on.to_string().into(),
                h.declared_income.0.into(),
                h.declared_assets.0.into(),
                created_at.into(),
            ],
        )?)?;
        for m in &h.members {
            c.execute(
                "INSERT INTO member (household_id, seq, person_id, name_enc, name_bidx, id_enc, id_note, relation, \
                 excluded, capacity, guardian_seq, declared_income) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                &[
                    id.into(),
                    i64::from(m.seq).into(),
                    m.person.map(|p| p.0).into(),
                    m.name_enc.as_slice().into(),
                    m.name_bidx.as_slice().into(),
                    m.id_enc.as_slice().into(),
                    m.id_note.as_str().into(),
                    code(&m.relation).into(),
                    m.excluded.as_ref().map(to_json).transpose()?.into(),
                    code(&m.capacity).into(),
                    m.guardian_seq.map(i64::from).into(),
                    m.declared_income.0.into(),
                ],
            )?;
        }
        for sp in &h.supporters {
            c.execute(
                "INSERT INTO supporter (household_id, seq, person_id, name_enc, name_bidx, id_enc, id_note, duty) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                &[
                    id.into(),
                    i64::from(sp.seq).into(),
                    sp.person.map(|p| p.0).into(),
                    sp.name_enc.as_slice().into(),
                    sp.name_bidx.as_slice().into(),
                    sp.id_enc.as_slice().into(),
                    sp.id_note.as_str().into(),
                    sp.duty.as_str().into(),
                ],
            )?;
        }
        write_audit(c, audit)?;
        Ok(HouseholdId(id))
    })
}

pub(super) fn household(st: &SqlStore, id: HouseholdId) -> Result<Option<HouseholdRow>> {
    let rows = st.query(&format!("SELECT {HOUSEHOLD_COLS} FROM household WHERE id = ?"), &[id.0.into()])?;
    st.load_household(rows)
}

pub(super) fn household_by_number(st: &SqlStore, number: &str) -> Result<Option<HouseholdRow>> {
    let rows = st.query(&format!("SELECT {HOUSEHOLD_COLS} FROM household WHERE number = ?"), &[number.into()])?;
    st.load_household(rows)
}

pub(super) fn count_households(st: &SqlStore) -> Result<i64> {
    st.count("SELECT COUNT(*) FROM household", &[])
}

pub(super) fn create_authorization(
    st: &SqlStore,
    a: &NewAuthorization,
    created_at: Timestamp,
    audit: &AuditEntry,
) -> Result<AuthorizationId> {
    st.tx(|c| {
        if c.query("SELECT id FROM household WHERE id = ?", &[a.household.0.into()])?.is_empty() {
            return Err(StoreError::NotFound(format!("家庭 {}", a.household)));
        }
        if !c.query("SELECT id FROM authz_letter WHERE number = ?", &[a.number.as_str().into()])?.is_empty() {
            return Err(StoreError::Conflict(format!("授权书编号 {}", a.number)));
        }
        // A letter supersedes only the active letter of the same signer: the household's, or one
        // supporter's.
        let why = format!("被授权书 {} 替代", a.number);
        match a.supporter {
            None => c.execute(
                "UPDATE authz_letter SET status = 'superseded', status_reason = ? \
                 WHERE household_id = ? AND status = 'active' AND supporter_seq IS NULL",
                &[why.into(), a.household.0.into()],
            )?,
            Some(seq) => c.execute(
                "UPDATE authz_letter SET status = 'superseded', status_reason = ? \
                 WHERE household_id = ? AND status = 'active' AND supporter_seq = ?",
                &[why.into(), a.household.0.into(), i64::from(seq).into()],
            )?,
        };
        let id = first_i64(&c.query(
            "INSERT INTO authz_letter (number, household_id, scopes, signatures, signed_on, status, created_at, \
             supporter_seq) VALUES (?, ?, ?, ?, ?, 'active', ?, ?) RETURNING id",
            &[
                a.number.as_str().into(),
                a.household.0.into(),
                to_json(&a.scopes)?.into(),
                to_json(&a.signatures)?.into(),
                a.signed_on.to_string().into(),
                created_at.into(),
                a.supporter.map(i64::from).into(),
            ],
        )?)?;
        write_audit(c, audit)?;
        Ok(AuthorizationId(id))
    })
}

pub(super) fn authorizations(st: &SqlStore, household: HouseholdId) -> Result<Vec<AuthorizationRow>> {
    st.query(
        &format!("SELECT {AUTHZ_COLS} FROM authz_letter WHERE household_id = ? ORDER BY id"),
        &[household.0.into()],
    )?
    .iter()
    .map(|r| authz_from(r))
    .collect()
}

pub(super) fn set_authorization_status(
    st: &SqlStore,
    id: AuthorizationId,
    status: AuthorizationStatus,
    reason: Option<&str>,
    audit: &AuditEntry,
) -> Result<()> {
    st.tx(|c| {
        let n = c.execute(
            "UPDATE authz_letter SET status = ?, status_reason = ? WHERE id = ?",
            &[status.code().into(), reason.into(), id.0.into()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("授权书 {id}")));
        }
        write_audit(c, audit)
    })
}

pub(super) fn create_commission(
    st: &SqlStore,
    cm: &NewCommission,
    created_at: Timestamp,
    audit: &AuditEntry,
) -> Result<JobId> {
    st.tx(|c| {
        if c.query("SELECT id FROM household WHERE id = ?", &[cm.household.0.into()])?.is_empty() {
            return Err(StoreError::NotFound(format!("家庭 {}", cm.household)));
        }
        if !c.query("SELECT id FROM commission WHERE number = ?", &[cm.number.as_str().into()])?.is_empty() {
            return Err(StoreError::Conflict(format!("委托编号 {}", cm.number)));
        }
        let cid = first_i64(&c.query(
            "INSERT INTO commission (number, kind, programme, household_id, department, note_enc, declared_enc, \
             created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            &[
                cm.number.as_str().into(),
                code(&cm.kind).into(),
                code(&cm.programme).into(),
                cm.household.0.into(),
                cm.department.as_str().into(),
                cm.note_enc.as_deref().into(),
                cm.declared_enc.as_deref().into(),
                created_at.into(),
            ],
        )?)?;
        let jid = first_i64(&c.query(
            "INSERT INTO job (commission_id, household_id, state, as_of, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            &[
                cid.into(),
                cm.household.0.into(),
                JobState::Submitted.code().into(),
                cm.as_of.to_string().into(),
                created_at.into(),
                created_at.into(),
            ],
        )?)?;
        write_audit(c, audit)?;
        Ok(JobId(jid))
    })
}

pub(super) fn households_page(st: &SqlStore, after: i64, limit: i64) -> Result<Vec<HouseholdRow>> {
    let ids: Vec<i64> = st
        .query("SELECT id FROM household WHERE id > ? ORDER BY id LIMIT ?", &[after.into(), limit.into()])?
        .iter()
        .map(|r| Row(r).i64(0))
        .collect::<Result<_>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.extend(st.household(HouseholdId(id))?);
    }
    Ok(out)
}

pub(super) fn member_from(r: &[Value]) -> Result<NewMember> {
    let r = Row(r);
    Ok(NewMember {
        seq: u32::try_from(r.i64(0)?).map_err(|_| StoreError::Corrupt("member seq".into()))?,
        person: r.opt_i64(1)?.map(PersonId),
        name_enc: r.sealed(2)?,
        name_bidx: r.bidx(3)?,
        id_enc: r.sealed(4)?,
        id_note: r.text(5)?,
        relation: r.code(6)?,
        excluded: r.opt_text(7)?.map(|t| from_json(&t)).transpose()?,
        capacity: r.code(8)?,
        guardian_seq: r.opt_i64(9)?.and_then(|g| u32::try_from(g).ok()),
        declared_income: Fen(r.i64(10)?),
    })
}

pub(super) fn authz_from(r: &[Value]) -> Result<AuthorizationRow> {
    let r = Row(r);
    let status_code = r.text(6)?;
    Ok(AuthorizationRow {
        id: AuthorizationId(r.i64(0)?),
        number: r.text(1)?,
        household: HouseholdId(r.i64(2)?),
        scopes: from_json(&r.text(3)?)?,
        signatures: from_json(&r.text(4)?)?,
        signed_on: r.date(5)?,
        status: AuthorizationStatus::from_code(&status_code)
            .ok_or_else(|| StoreError::Corrupt(format!("authorization status {status_code}")))?,
        status_reason: r.opt_text(7)?,
        created_at: r.ts(8)?,
        supporter: r.opt_i64(9)?.and_then(|s| u32::try_from(s).ok()),
    })
}
