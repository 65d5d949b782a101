//! Administration: node metadata, re-sealing, users and sessions.

use super::*;

pub(super) fn meta(st: &SqlStore, key: &str) -> Result<Option<String>> {
    st.meta_in(key)
}

pub(super) fn set_meta(st: &SqlStore, key: &str, value: &str, audit: &AuditEntry) -> Result<()> {
    st.set_meta_in(key, value, audit)
}

pub(super) fn reseal(st: &SqlStore, changes: &[Reseal], audit: &AuditEntry) -> Result<()> {
    st.tx(|c| {
        for ch in changes {
            crate::sealed::reseal_in(c, ch)?;
        }
        write_audit(c, audit)
    })
}

/// A new user's columns, in the order `create_user` and `create_first_user` insert them.
fn user_values(u: &NewUser, created_at: Timestamp) -> [Value; 10] {
    [
        u.login.as_str().into(),
        u.display_name.as_str().into(),
        u.role.as_str().into(),
        u.region.as_str().into(),
        u.password_hash.as_str().into(),
        created_at.into(),
        u.organization.as_str().into(),
        i64::from(u.demo).into(),
        i64::from(u.must_change).into(),
        created_at.into(),
    ]
}

pub(super) fn users(st: &SqlStore) -> Result<Vec<UserRow>> {
    st.query(&format!("SELECT {USER_COLS} FROM app_user ORDER BY login"), &[])?.iter().map(|r| user_from(r)).collect()
}

pub(super) fn change_user(st: &SqlStore, id: UserId, ch: &UserChange, audit: &AuditEntry) -> Result<()> {
    st.tx(|c| {
        if first_i64(&c.query("SELECT COUNT(*) FROM app_user WHERE id = ?", &[id.0.into()])?)? == 0 {
            return Err(StoreError::NotFound(format!("用户 {id}")));
        }
        if let Some(v) = &ch.role {
            c.execute("UPDATE app_user SET role = ? WHERE id = ?", &[v.as_str().into(), id.0.into()])?;
        }
        if let Some(v) = &ch.region {
            c.execute("UPDATE app_user SET region = ? WHERE id = ?", &[v.as_str().into(), id.0.into()])?;
        }
        if let Some(v) = &ch.organization {
            c.execute("UPDATE app_user SET organization = ? WHERE id = ?", &[v.as_str().into(), id.0.into()])?;
        }
        if let Some(v) = ch.disabled {
            c.execute("UPDATE app_user SET disabled = ? WHERE id = ?", &[i64::from(v).into(), id.0.into()])?;
            if v {
                // A disabled account's sessions end with it.
                c.execute("DELETE FROM app_session WHERE user_id = ?", &[id.0.into()])?;
            }
        }
        write_audit(c, audit)
    })
}

pub(super) fn set_password(
    st: &SqlStore,
    id: UserId,
    password_hash: &str,
    must_change: bool,
    at: Timestamp,
    audit: &AuditEntry,
) -> Result<()> {
    st.tx(|c| {
        let n = c.execute(
            "UPDATE app_user SET password_hash = ?, must_change = ?, password_changed_at = ?, failed_logins = 0, \
             locked_until = NULL WHERE id = ?",
            &[password_hash.into(), i64::from(must_change).into(), at.into(), id.0.into()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("用户 {id}")));
        }
        remember_password(c, id, password_hash, at)?;
        // A new password ends the sessions opened with the old one.
        c.execute("DELETE FROM app_session WHERE user_id = ?", &[id.0.into()])?;
        write_audit(c, audit)
    })
}

/// Keeps a verifier in the user's history, so that it is not chosen again soon.
fn remember_password(c: &mut dyn Conn, id: UserId, password_hash: &str, at: Timestamp) -> Result<()> {
    c.execute(
        "INSERT INTO password_history (user_id, password_hash, created_at) VALUES (?, ?, ?)",
        &[id.0.into(), password_hash.into(), at.into()],
    )?;
    Ok(())
}

pub(super) fn password_history(st: &SqlStore, id: UserId, limit: i64) -> Result<Vec<String>> {
    st.query(
        "SELECT password_hash FROM password_history WHERE user_id = ? ORDER BY id DESC LIMIT ?",
        &[id.0.into(), limit.into()],
    )?
    .iter()
    .map(|r| Row(r).text(0))
    .collect()
}

pub(super) fn create_user(st: &SqlStore, u: &NewUser, created_at: Timestamp, audit: &AuditEntry) -> Result<UserId> {
    st.tx(|c| {
        if !c.query("SELECT id FROM app_user WHERE login = ?", &[u.login.as_str().into()])?.is_empty() {
            return Err(StoreError::Conflict(format!("用户名 {}", u.login)));
        }
        let id = first_i64(&c.query(
            "INSERT INTO app_user (login, display_name, role, region, password_hash, created_at, organization, demo, \
             must_change, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            &user_values(u, created_at),
        )?)?;
        remember_password(c, UserId(id), &u.password_hash, created_at)?;
        write_audit(c, audit)?;
        Ok(UserId(id))
    })
}

pub(super) fn create_first_user(
    st: &SqlStore,
    u: &NewUser,
    created_at: Timestamp,
    audit: &AuditEntry,
) -> Result<Option<UserId>> {
    st.tx(|c| {
        // One statement: two bootstraps at once cannot both find the table empty.
        let rows = c.query(
            "INSERT INTO app_user (login, display_name, role, region, password_hash, created_at, organization, demo, \
             must_change, password_changed_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM app_user) RETURNING id",
            &user_values(u, created_at),
        )?;
        let Some(r) = rows.first() else { return Ok(None) };
        let id = UserId(Row(r).i64(0)?);
        remember_password(c, id, &u.password_hash, created_at)?;
        write_audit(c, audit)?;
        Ok(Some(id))
    })
}

pub(super) fn user_by_login(st: &SqlStore, login: &str) -> Result<Option<UserRow>> {
    let rows = st.query(&format!("SELECT {USER_COLS} FROM app_user WHERE login = ?"), &[login.into()])?;
    rows.first().map(|r| user_from(r)).transpose()
}

pub(super) fn user(st: &SqlStore, id: UserId) -> Result<Option<UserRow>> {
    let rows = st.query(&format!("SELECT {USER_COLS} FROM app_user WHERE id = ?"), &[id.0.into()])?;
    rows.first().map(|r| user_from(r)).transpose()
}

pub(super) fn create_session(
    st: &SqlStore,
    token_sm3: &str,
    user: UserId,
    created_at: Timestamp,
    expires_at: Timestamp,
) -> Result<()> {
    st.lock()?.execute(
        "INSERT INTO app_session (token_sm3, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        &[token_sm3.into(), user.0.into(), created_at.into(), expires_at.into()],
    )?;
    Ok(())
}

/// A session's last use is written at most this often: a write per request costs more than the
/// idle limit (minutes) needs.
const SESSION_TOUCH_SECS: i64 = 30;

pub(super) fn session_user(
    st: &SqlStore,
    token_sm3: &str,
    now: Timestamp,
    idle_since: Timestamp,
) -> Result<Option<UserId>> {
    let rows = st.query(
        "SELECT user_id, COALESCE(last_seen, created_at) FROM app_session WHERE token_sm3 = ? AND expires_at > ? \
         AND COALESCE(last_seen, created_at) > ? AND pending = 0",
        &[token_sm3.into(), now.into(), idle_since.into()],
    )?;
    let Some(r) = rows.first() else { return Ok(None) };
    let user = Row(r).i64(0).map(UserId)?;
    if Row(r).ts(1)?.unix() < now.unix() - SESSION_TOUCH_SECS {
        st.tx(|c| {
            c.execute("UPDATE app_session SET last_seen = ? WHERE token_sm3 = ?", &[now.into(), token_sm3.into()])
        })?;
    }
    Ok(Some(user))
}

pub(super) fn record_login(
    st: &SqlStore,
    user: UserId,
    failed_logins: i64,
    locked_until: Option<Timestamp>,
    password_hash: Option<&str>,
    audit: &AuditEntry,
) -> Result<()> {
    st.tx(|c| {
        let n = c.execute(
            "UPDATE app_user SET failed_logins = ?, locked_until = ? WHERE id = ?",
            &[failed_logins.into(), locked_until.into(), user.0.into()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("用户 {user}")));
        }
        if let Some(h) = password_hash {
            c.execute("UPDATE app_user SET password_hash = ? WHERE id = ?", &[h.into(), user.0.into()])?;
        }
        write_audit(c, audit)
    })
}

pub(super) fn delete_session(st: &SqlStore, token_sm3: &str) -> Result<()> {
    st.lock()?.execute("DELETE FROM app_session WHERE token_sm3 = ?", &[token_sm3.into()])?;
    Ok(())
}

pub(super) fn user_from(r: &[Value]) -> Result<UserRow> {
    let r = Row(r);
    Ok(UserRow {
        id: UserId(r.i64(0)?),
        login: r.text(1)?,
        display_name: r.text(2)?,
        role: r.text(3)?,
        region: r.text(4)?,
        password_hash: r.text(5)?,
        created_at: r.ts(6)?,
        failed_logins: r.i64(7)?,
        locked_until: r.opt_ts(8)?,
        organization: r.text(9)?,
        demo: r.i64(10)? != 0,
        disabled: r.i64(11)? != 0,
        must_change: r.i64(12)? != 0,
        password_changed_at: r.opt_ts(13)?,
    })
}

pub(super) fn add_relative(st: &SqlStore, r: &NewRelative, created_at: Timestamp, audit: &AuditEntry) -> Result<()> {
    st.tx(|c| {
        let known = c.query(
            "SELECT id FROM staff_relative WHERE login = ? AND id_bidx = ?",
            &[r.login.as_str().into(), r.id_bidx.as_slice().into()],
        )?;
        if !known.is_empty() {
            return Err(StoreError::Conflict("该近亲属已备案".into()));
        }
        c.execute(
            "INSERT INTO staff_relative (login, id_bidx, id_enc, relation, created_at) VALUES (?, ?, ?, ?, ?)",
            &[
                r.login.as_str().into(),
                r.id_bidx.as_slice().into(),
                r.id_enc.as_bytes().into(),
                r.relation.as_str().into(),
                created_at.into(),
            ],
        )?;
        write_audit(c, audit)
    })
}

pub(super) fn relative_in_household(st: &SqlStore, login: &str, household: HouseholdId) -> Result<bool> {
    let rows = st.query(
        "SELECT 1 FROM staff_relative r JOIN person p ON p.id_bidx = r.id_bidx \
         JOIN member m ON m.person_id = p.id WHERE r.login = ? AND m.household_id = ? LIMIT 1",
        &[login.into(), household.0.into()],
    )?;
    Ok(!rows.is_empty())
}

pub(super) fn put_second_factor(st: &SqlStore, f: &SecondFactor, at: Timestamp, audit: &AuditEntry) -> Result<()> {
    st.tx(|c| {
        c.execute(
            "DELETE FROM second_factor WHERE user_id = ? AND kind = ?",
            &[f.user.0.into(), f.kind.as_str().into()],
        )?;
        c.execute(
            "INSERT INTO second_factor (user_id, kind, secret_enc, public_key, created_at) VALUES (?, ?, ?, ?, ?)",
            &[
                f.user.0.into(),
                f.kind.as_str().into(),
                f.secret_enc.as_ref().map(|s| Value::from(s.as_bytes())).unwrap_or(Value::Null),
                f.public_key.as_deref().into(),
                at.into(),
            ],
        )?;
        write_audit(c, audit)
    })
}

pub(super) fn second_factors(st: &SqlStore, user: UserId) -> Result<Vec<SecondFactor>> {
    st.query(
        "SELECT user_id, kind, secret_enc, public_key FROM second_factor WHERE user_id = ? ORDER BY kind",
        &[user.0.into()],
    )?
    .iter()
    .map(|r| {
        let r = Row(r);
        Ok(SecondFactor {
            user: UserId(r.i64(0)?),
            kind: r.text(1)?,
            secret_enc: r.opt_sealed(2)?,
            public_key: r.opt_text(3)?,
        })
    })
    .collect()
}

pub(super) fn create_pending_session(
    st: &SqlStore,
    token_sm3: &str,
    user: UserId,
    created_at: Timestamp,
    expires_at: Timestamp,
    challenge: &str,
) -> Result<()> {
    st.lock()?.execute(
        "INSERT INTO app_session (token_sm3, user_id, created_at, expires_at, pending, challenge) VALUES (?, ?, ?, ?, 1, ?)",
        &[token_sm3.into(), user.0.into(), created_at.into(), expires_at.into(), challenge.into()],
    )?;
    Ok(())
}

pub(super) fn pending_session(st: &SqlStore, token_sm3: &str, now: Timestamp) -> Result<Option<PendingSession>> {
    let rows = st.query(
        "SELECT user_id, challenge FROM app_session WHERE token_sm3 = ? AND pending = 1 AND expires_at > ?",
        &[token_sm3.into(), now.into()],
    )?;
    rows.first().map(|r| Ok(PendingSession { user: UserId(Row(r).i64(0)?), challenge: Row(r).text(1)? })).transpose()
}

pub(super) fn complete_session(st: &SqlStore, token_sm3: &str, expires_at: Timestamp, now: Timestamp) -> Result<bool> {
    let n = st.lock()?.execute(
        "UPDATE app_session SET pending = 0, challenge = NULL, expires_at = ?, last_seen = ? WHERE token_sm3 = ? AND pending = 1",
        &[expires_at.into(), now.into(), token_sm3.into()],
    )?;
    Ok(n == 1)
}

pub(super) fn sessions(st: &SqlStore, now: Timestamp) -> Result<Vec<SessionInfo>> {
    st.query(
        "SELECT s.token_sm3, u.login, s.created_at, s.last_seen, s.expires_at, s.pending FROM app_session s \
         JOIN app_user u ON u.id = s.user_id WHERE s.expires_at > ? ORDER BY s.created_at, s.token_sm3",
        &[now.into()],
    )?
    .iter()
    .map(|r| {
        let r = Row(r);
        Ok(SessionInfo {
            id: r.text(0)?,
            login: r.text(1)?,
            created_at: r.ts(2)?,
            last_seen: r.opt_ts(3)?,
            expires_at: r.ts(4)?,
            pending: r.i64(5)? != 0,
        })
    })
    .collect()
}

pub(super) fn end_session(st: &SqlStore, token_sm3: &str, audit: &AuditEntry) -> Result<bool> {
    st.tx(|c| {
        let n = c.execute("DELETE FROM app_session WHERE token_sm3 = ?", &[token_sm3.into()])?;
        if n == 1 {
            write_audit(c, audit)?;
        }
        Ok(n == 1)
    })
}

pub(super) fn use_otp_step(st: &SqlStore, user: UserId, kind: &str, step: i64) -> Result<bool> {
    let n = st.lock()?.execute(
        "UPDATE second_factor SET last_step = ? WHERE user_id = ? AND kind = ? \
         AND (last_step IS NULL OR last_step < ?)",
        &[step.into(), user.0.into(), kind.into(), step.into()],
    )?;
    Ok(n == 1)
}

const NODE_KEY_COLS: &str = "id, purpose, public_key, secret_enc, state, created_at, changed_at, reason";

pub(super) fn node_keys(st: &SqlStore, purpose: &str) -> Result<Vec<NodeKeyRow>> {
    st.query(&format!("SELECT {NODE_KEY_COLS} FROM node_key WHERE purpose = ? ORDER BY id"), &[purpose.into()])?
        .iter()
        .map(|r| {
            let r = Row(r);
            Ok(NodeKeyRow {
                id: r.i64(0)?,
                purpose: r.text(1)?,
                public_key: r.text(2)?,
                secret_enc: r.sealed(3)?,
                state: r.text(4)?,
                created_at: r.ts(5)?,
                changed_at: r.opt_ts(6)?,
                reason: r.text(7)?,
            })
        })
        .collect()
}

pub(super) fn add_node_key(st: &SqlStore, k: &NodeKeyRow, audit: &AuditEntry) -> Result<i64> {
    st.tx(|c| {
        c.execute(
            "UPDATE node_key SET state = 'retired', changed_at = ? WHERE purpose = ? AND state = 'active'",
            &[k.created_at.into(), k.purpose.as_str().into()],
        )?;
        let id = first_i64(&c.query(
            "INSERT INTO node_key (purpose, public_key, secret_enc, state, created_at, reason) \
             VALUES (?, ?, ?, 'active', ?, ?) RETURNING id",
            &[
                k.purpose.as_str().into(),
                k.public_key.as_str().into(),
                (&k.secret_enc).into(),
                k.created_at.into(),
                k.reason.as_str().into(),
            ],
        )?)?;
        write_audit(c, audit)?;
        Ok(id)
    })
}

pub(super) fn revoke_node_key(st: &SqlStore, id: i64, at: Timestamp, reason: &str, audit: &AuditEntry) -> Result<bool> {
    st.tx(|c| {
        let n = c.execute(
            "UPDATE node_key SET state = 'revoked', changed_at = ?, reason = ? WHERE id = ? AND state <> 'revoked'",
            &[at.into(), reason.into(), id.into()],
        )?;
        if n == 1 {
            write_audit(c, audit)?;
        }
        Ok(n == 1)
    })
}

pub(super) fn resign_reports(
    st: &SqlStore,
    sigs: &[(ReportId, String, Option<String>)],
    audit: &AuditEntry,
) -> Result<()> {
    st.tx(|c| {
        for (report, completed, issued) in sigs {
            let n = c.execute(
                "UPDATE report SET completed_sig = ? WHERE id = ?",
                &[completed.as_str().into(), (*report).into()],
            )?;
            if n != 1 {
                return Err(StoreError::NotFound(format!("report {report}")));
            }
            if let Some(issued) = issued {
                c.execute(
                    "UPDATE report_issue SET issued_sig = ? WHERE report_id = ?",
                    &[issued.as_str().into(), (*report).into()],
                )?;
            }
        }
        write_audit(c, audit)
    })
}
