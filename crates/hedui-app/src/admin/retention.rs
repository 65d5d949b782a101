//! Retention as data (`data/retention.json`, or a deployment's own file): how many months each
//! class of data is kept, never below its legal floor (网络安全法 §21: logs at least 6 months;
//! PIPL Art. 56 and 网数条例 Art. 12: processing and provision records at least 3 years), and
//! never shorter for the data a report was made from than for the report itself, so that a report
//! can be reproduced within its period. PIPL Arts. 19 and 47: what is past its period is deleted.
//!
//! A retention run is started by the 审计管理员. It deletes each audit chain's oldest stretch that
//! is past its period, under the purge role's connection: before deleting, it signs and exports a
//! purge checkpoint naming the last row deleted and its link, where the chain restarts, so that
//! `verify` still passes; nothing younger than the cut-off is ever deleted. It then deletes case
//! data past its period, in this order: reports; the answers of jobs that no longer have a report;
//! superseded mirror snapshots that no report still held was made on (see
//! `hedui_store::retention`). The run and its counts are audited, and a checkpoint of the result
//! follows.

use serde::{Deserialize, Serialize};

use hedui_crypto::encode_hex;
use hedui_store::chain::{CHAINS, Checkpoint};
use hedui_store::retention::{Cutoffs, DataClass};
use hedui_store::{AuditOutcome, Store};

use crate::{Action, App, AppError, AppResult, Caller, Object};

/// The built-in schedule.
const BUILTIN: &str = include_str!("../../../../data/retention.json");

/// The classes a schedule must name, and which must be kept at least as long as `reports`.
const CLASSES: [&str; 5] = ["security", "query", "reports", "answers", "mirror"];
const SOURCES_OF_REPORTS: [&str; 2] = ["answers", "mirror"];

/// How long one class of data is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RetentionClass {
    pub class: String,
    pub name: String,
    pub what: String,
    pub months: i64,
    pub minimum_months: i64,
    pub basis: String,
}

/// The schedule: one entry per class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Retention {
    #[serde(default)]
    pub note: String,
    pub classes: Vec<RetentionClass>,
}

impl Retention {
    /// The built-in schedule.
    pub fn builtin() -> Retention {
        Retention::parse(BUILTIN).unwrap_or_else(|e| panic!("the built-in retention schedule: {e}"))
    }

    /// Reads and checks a schedule; the error names what is wrong.
    pub fn parse(json: &str) -> Result<Retention, String> {
        let r: Retention = serde_json::from_str(json).map_err(|e| format!("保留期限配置无法读取：{e}"))?;
        for c in &r.classes {
            if !CLASSES.contains(&c.class.as_str()) {
                return Err(format!("保留期限配置中的类别“{}”未知（应为 {}）", c.class, CLASSES.join("、")));
            }
            if c.months < c.minimum_months || c.minimum_months < 1 {
                return Err(format!(
                    "“{}”保留 {} 个月，低于下限 {} 个月（{}）",
                    c.name, c.months, c.minimum_months, c.basis
                ));
            }
        }
        for class in CLASSES {
            if r.classes.iter().filter(|c| c.class == class).count() != 1 {
                return Err(format!("保留期限配置须恰好有一项“{class}”"));
            }
        }
        // Both floors are the law's, and a deployment cannot lower them in its own file.
        for (class, floor) in [("security", 6), ("query", 36)] {
            if r.months(class) < floor {
                return Err(format!("“{class}”的保留期不得短于 {floor} 个月"));
            }
        }
        for class in SOURCES_OF_REPORTS {
            if r.months(class) < r.months("reports") {
                return Err(format!(
                    "“{class}”保留 {} 个月，短于核对报告的 {} 个月：报告在其保留期内将无法复现",
                    r.months(class),
                    r.months("reports")
                ));
            }
        }
        Ok(r)
    }

    /// The months a class is kept (0 for a class the schedule does not name).
    pub fn months(&self, class: &str) -> i64 {
        self.classes.iter().find(|c| c.class == class).map_or(0, |c| c.months)
    }
}

/// The classes of case data, in the order a run deletes them.
const DATA: [(&str, DataClass); 3] =
    [("reports", DataClass::Reports), ("answers", DataClass::Answers), ("mirror", DataClass::Mirror)];

/// What a run did (or, planned, would do) to one class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Purged {
    pub class: String,
    /// Data older than this were due.
    pub before: hedui_core::Timestamp,
    pub rows: i64,
    /// The chain's last seq deleted, for an audit chain.
    pub through_seq: Option<i64>,
}

impl App {
    /// What is due now, class by class, without deleting anything.
    pub fn retention_plan(&self, actor: &Caller, schedule: &Retention) -> AppResult<Vec<Purged>> {
        self.authorize(actor, Action::RetentionRun, &Object::None)?;
        let mut out = Vec::new();
        for chain in CHAINS {
            let before = self.cut_off(schedule.months(chain));
            let due = self.store.audit_due(chain, before)?;
            out.push(Purged {
                class: chain.into(),
                before,
                rows: due.as_ref().map_or(0, |d| d.rows),
                through_seq: due.map(|d| d.through_seq),
            });
        }
        // Answers and snapshots that a report still held needs are not due. A run deletes due
        // reports first, so it may also delete answers and snapshots that only those reports
        // needed, which this plan does not count yet.
        let cut = self.cutoffs(schedule);
        for (class, data) in DATA {
            out.push(Purged {
                class: class.into(),
                before: self.cut_off(schedule.months(class)),
                rows: self.store.data_due(data, &cut)?,
                through_seq: None,
            });
        }
        Ok(out)
    }

    fn cutoffs(&self, schedule: &Retention) -> Cutoffs {
        Cutoffs {
            reports: self.cut_off(schedule.months("reports")),
            answers: self.cut_off(schedule.months("answers")),
            mirror: self.cut_off(schedule.months("mirror")),
        }
    }

    /// Deletes what is due, on `purge` (the purge role's connection to this node's database), each
    /// audit chain from its oldest end after a signed purge checkpoint. For the 审计管理员.
    pub fn retention_run(&self, actor: &Caller, schedule: &Retention, purge: &dyn Store) -> AppResult<Vec<Purged>> {
        let plan = self.retention_plan(actor, schedule)?;
        let mut done = Vec::new();
        for p in plan.into_iter().filter(|p| CHAINS.contains(&p.class.as_str())) {
            let Some(through) = p.through_seq.filter(|_| p.rows > 0) else {
                done.push(p);
                continue;
            };
            // Re-read under the cut-off: nothing written since can be due (it is younger).
            let due = self.store.audit_due(&p.class, p.before)?.filter(|d| d.through_seq == through);
            let Some(due) = due else {
                return Err(AppError::InvalidState(format!("审计链 {} 在计划与清理之间发生变化，请重新运行", p.class)));
            };
            let head = self.store.audit_head(&p.class)?;
            self.signed_checkpoint(Checkpoint {
                chain: p.class.clone(),
                seq: due.through_seq,
                link: due.link.as_deref().map(encode_hex).unwrap_or_default(),
                rows_held: head.rows_held - due.rows,
                first_seq: due.through_seq + 1,
                at: self.now(),
                kind: "purge".into(),
                key_epoch: i64::from(self.identity.keys().epoch()),
                signer: String::new(),
                public_key: String::new(),
                signature: String::new(),
            })?;
            let deleted = purge.purge_audit(&p.class, due.through_seq)? as i64;
            if deleted != due.rows {
                return Err(AppError::Internal(format!(
                    "审计链 {} 应清理 {} 行，实际删除 {deleted} 行",
                    p.class, due.rows
                )));
            }
            let detail = format!("清理“{}”链 {} 行（{} 之前，至 seq {}）", p.class, deleted, p.before, due.through_seq);
            self.audit(actor, "audit.purge", &format!("chain:{}", p.class), AuditOutcome::Ok, detail)?;
            done.push(Purged { rows: deleted, through_seq: Some(due.through_seq), ..p });
        }
        let cut = self.cutoffs(schedule);
        for (class, data) in DATA {
            let before = self.cut_off(schedule.months(class));
            let detail = format!("清理“{class}”中 {before} 之前已过保留期的数据");
            let audit = self.audit_entry(actor, "retention.purge", &format!("data:{class}"), AuditOutcome::Ok, detail);
            let rows = self.store.purge_data(data, &cut, &audit)?;
            done.push(Purged { class: class.into(), before, rows, through_seq: None });
        }
        self.checkpoint("manual")?;
        Ok(done)
    }

    /// The instant `months` months before now, a month counted as 31 days so that a period is
    /// never cut short.
    fn cut_off(&self, months: i64) -> hedui_core::Timestamp {
        hedui_core::Timestamp::from_unix(self.clock.unix_seconds() - months * 31 * 86_400)
    }
}
