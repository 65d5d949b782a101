//! Unusual access, raised to the 安全管理员: one user reading or downloading more personal data in
//! an hour than the threshold allows, reading it at night, many refusals in an hour, and every
//! lock-out; and the 审计管理员's own readings of the trail. Events are derived from the audit
//! trail itself (nothing else records them, so nothing else can lose them), over a window.

use std::collections::BTreeMap;

use hedui_core::Timestamp;
use hedui_store::{AuditOutcome, AuditRow};

use crate::{Action, App, AppResult, Caller, Object};

/// The thresholds (configurable per deployment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertPolicy {
    /// Reads and downloads of reports or households by one user in one clock hour.
    pub reads_per_hour: usize,
    /// Refusals (of any kind) of one user in one clock hour.
    pub denials_per_hour: usize,
    /// Night, in China Standard Time: from this hour …
    pub night_from: u32,
    /// … to this one.
    pub night_to: u32,
}

impl Default for AlertPolicy {
    fn default() -> AlertPolicy {
        AlertPolicy { reads_per_hour: 50, denials_per_hour: 10, night_from: 22, night_to: 6 }
    }
}

/// One event of the security-event view.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SecurityEvent {
    /// When it began (the hour, or the row).
    pub at: Timestamp,
    /// `bulk_read`, `night_read`, `denials`, `lockout`, `audit_read` or `recovery`.
    pub kind: String,
    pub actor: String,
    pub count: usize,
    pub detail: String,
}

/// Actions that read personal data.
const READS: [&str; 3] = ["report.read", "report.download", "household.read"];

/// The hour of the day (China Standard Time) of a time.
fn china_hour(t: Timestamp) -> u32 {
    ((t.unix() + 8 * 3600).rem_euclid(86_400) / 3600) as u32
}

/// The events in `rows` under `policy`, oldest first.
pub fn events(rows: &[AuditRow], policy: &AlertPolicy) -> Vec<SecurityEvent> {
    let mut out = Vec::new();
    // (actor, hour) → rows, for the two per-hour counts.
    let mut reads: BTreeMap<(String, i64), Vec<&AuditRow>> = BTreeMap::new();
    let mut denials: BTreeMap<(String, i64), Vec<&AuditRow>> = BTreeMap::new();
    let mut nights: BTreeMap<(String, i64), Vec<&AuditRow>> = BTreeMap::new();
    for r in rows {
        let e = &r.entry;
        let hour = e.at.unix().div_euclid(3600);
        let ok = matches!(e.outcome, AuditOutcome::Ok);
        if ok && READS.contains(&e.action.as_str()) {
            reads.entry((e.actor.clone(), hour)).or_default().push(r);
            let h = china_hour(e.at);
            let night = if policy.night_from > policy.night_to {
                h >= policy.night_from || h < policy.night_to
            } else {
                h >= policy.night_from && h < policy.night_to
            };
            if night {
                // One event per user per night: keyed by the day the night began.
                let day = (e.at.unix() + 8 * 3600 - i64::from(policy.night_to) * 3600).div_euclid(86_400);
                nights.entry((e.actor.clone(), day)).or_default().push(r);
            }
        }
        if matches!(e.outcome, AuditOutcome::Denied) {
            denials.entry((e.actor.clone(), hour)).or_default().push(r);
            if e.action == "login" && e.detail.contains("锁定至") {
                out.push(SecurityEvent {
                    at: e.at,
                    kind: "lockout".into(),
                    actor: e.actor.clone(),
                    count: 1,
                    detail: format!("{}：{}", e.object, e.detail),
                });
            }
        }
        if e.action == "user.recover" {
            out.push(SecurityEvent {
                at: e.at,
                kind: "recovery".into(),
                actor: e.actor.clone(),
                count: 1,
                detail: format!("{}：{}", e.object, e.detail),
            });
        }
        // A check of the trail that found it altered.
        if e.action == "audit.verify" && matches!(e.outcome, AuditOutcome::Error) {
            out.push(SecurityEvent {
                at: e.at,
                kind: "audit_tampered".into(),
                actor: e.actor.clone(),
                count: 1,
                detail: format!("审计链核验发现问题：{}", e.detail),
            });
        }
        // Every action on the trail itself (reading, checking, exporting, purging) is shown.
        let on_trail = match e.action.as_str() {
            "audit.read" => Some("查看审计记录"),
            "audit.verify" => Some("核验审计链"),
            "audit.export" => Some("导出审计记录"),
            "audit.purge" => Some("按保留期限清理审计记录"),
            "audit.person" => Some("查询某人的被查询记录"),
            _ => None,
        };
        if let (true, Some(what)) = (ok || e.action == "audit.verify", on_trail) {
            out.push(SecurityEvent {
                at: e.at,
                kind: "audit_read".into(),
                actor: e.actor.clone(),
                count: 1,
                detail: format!("{what}（{}）", e.detail),
            });
        }
    }
    let mut over = |groups: BTreeMap<(String, i64), Vec<&AuditRow>>, kind: &str, limit: usize, what: &str| {
        for ((actor, _), rows) in groups.into_iter().filter(|(_, v)| v.len() > limit) {
            out.push(SecurityEvent {
                at: rows[0].entry.at,
                kind: kind.into(),
                actor,
                count: rows.len(),
                detail: format!("{what} {} 次（阈值 {limit}）", rows.len()),
            });
        }
    };
    over(reads, "bulk_read", policy.reads_per_hour, "一小时内查看或下载报告、家庭信息");
    over(denials, "denials", policy.denials_per_hour, "一小时内被拒绝");
    over(nights, "night_read", 0, "夜间查看或下载个人信息");
    out.sort_by(|a, b| (a.at, &a.kind, &a.actor).cmp(&(b.at, &b.kind, &b.actor)));
    out
}

/// The most rows one view reads.
const WINDOW_ROWS: i64 = 200_000;

impl App {
    /// The security events of the last `hours` hours, for the 安全管理员; the reading is audited.
    pub fn security_events(&self, actor: &Caller, hours: i64) -> AppResult<Vec<SecurityEvent>> {
        self.authorize(actor, Action::SecurityEvents, &Object::None)?;
        let now = self.now();
        let from = now.plus_seconds(-hours.clamp(1, 24 * 90) * 3600);
        let rows = self.store.audit_between(from, now.plus_seconds(1), WINDOW_ROWS)?;
        let found = events(&rows, &self.alert_policy);
        self.audit(
            actor,
            "security.events",
            "security",
            AuditOutcome::Ok,
            format!("近 {hours} 小时，{} 条", found.len()),
        )?;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hedui_store::AuditEntry;

    fn row(id: i64, at: i64, actor: &str, action: &str, outcome: AuditOutcome, detail: &str) -> AuditRow {
        AuditRow {
            id,
            entry: AuditEntry {
                at: Timestamp::from_unix(at),
                actor: actor.into(),
                action: action.into(),
                object: "job:1".into(),
                outcome,
                detail: detail.into(),
                request_id: String::new(),
                client: String::new(),
                basis: String::new(),
                ..Default::default()
            },
        }
    }

    #[test]
    fn bulk_reads_nights_denials_and_lockouts_are_raised() {
        // 2026-12-07 10:00 China time is 02:00 UTC.
        let day = 1_796_522_400;
        let policy = AlertPolicy { reads_per_hour: 3, denials_per_hour: 2, ..AlertPolicy::default() };
        let mut rows = Vec::new();
        for i in 0..4 {
            rows.push(row(i, day + i * 60, "clerk", "report.download", AuditOutcome::Ok, ""));
        }
        // Three reads in the next hour by another: under the threshold.
        for i in 0..3 {
            rows.push(row(10 + i, day + 3600 + i, "calm", "report.read", AuditOutcome::Ok, ""));
        }
        // 23:30 China time.
        rows.push(row(20, day + 13 * 3600 + 1800, "owl", "household.read", AuditOutcome::Ok, ""));
        for i in 0..3 {
            rows.push(row(30 + i, day + 7200 + i, "probe", "access.deny", AuditOutcome::Denied, "x"));
        }
        rows.push(row(40, day + 7300, "sam", "login", AuditOutcome::Denied, "密码错误，连续 5 次，账户锁定至 …"));
        rows.push(row(41, day + 7400, "aud", "audit.read", AuditOutcome::Ok, "500 条"));
        let found = events(&rows, &policy);
        let kinds: Vec<(&str, &str, usize)> =
            found.iter().map(|e| (e.kind.as_str(), e.actor.as_str(), e.count)).collect();
        assert_eq!(
            kinds,
            [
                ("bulk_read", "clerk", 4),
                ("denials", "probe", 3),
                ("lockout", "sam", 1),
                ("audit_read", "aud", 1),
                ("night_read", "owl", 1)
            ]
        );
        assert_eq!(china_hour(Timestamp::from_unix(day)), 10);
    }
}
