//! Commissions and the verification job: authorization, data collection, bank queries, the means test and the report.
// tidy: allow(long-file): complete_job and its helpers; they become pipeline stages in issue 10.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use hedui_connect::BankQuery;
use hedui_core::authorization::{AuthorizationStatus, Scope};
use hedui_core::commission::CommissionKind;
use hedui_core::fact::{DEPARTMENT_SOURCES, Fact, FactKind, department_source};
use hedui_core::id_number::IdNumber;
use hedui_core::job::{JobEvent, JobState};
use hedui_core::means_test::{self, AnomalyParams, CaseInput, MemberCase, MistypedHit, SourceState, SourceStatus};
use hedui_core::programme::Programme;
use hedui_core::{BatchId, Date, Fen, HouseholdId, JobId, PersonId};
use hedui_import::{period, place};
use hedui_store::{AuditOutcome, HouseholdRow, JobFilter, JobRow, NewCommission, SnapshotMode, StoredRecord};

use crate::households::mask_declared_id;
use crate::report::{
    AuthorizationInfo, CommissionInfo, HouseholdInfo, MemberInfo, NOTICE, Report, SpecialCheck, SupporterInfo,
};
use crate::{Actor, App, AppError, AppResult};

/// A commission as the business department files it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CommissionInput {
    /// The commission number; generated when absent.
    #[serde(default)]
    pub number: Option<String>,
    pub kind: CommissionKind,
    pub programme: Programme,
    pub household: HouseholdId,
    /// Commissioning department; the kind's usual department when absent.
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// The date data is checked as of; today when absent.
    #[serde(default)]
    pub as_of: Option<Date>,
    /// What the application states and no department knows (a sudden expense, a disaster loss,
    /// a single-person application, a care assessment …), by input name; money in fen.
    #[serde(default)]
    pub declared: hedui_core::means_test::Declared,
}

fn step(state: JobState, event: JobEvent) -> AppResult<JobState> {
    state.next(event).map_err(|e| AppError::InvalidState(e.to_string()))
}

/// What a complaint check or a death-removal check reports first.
fn special_check(
    kind: CommissionKind,
    note: Option<&str>,
    a: &hedui_core::means_test::Assessment,
    members: &[MemberInfo],
) -> Option<SpecialCheck> {
    let name = |seq: Option<u32>| {
        members
            .iter()
            .find(|m| Some(m.seq) == seq)
            .map(|m| format!("第 {} 号成员 {}", m.seq, m.name))
            .unwrap_or_default()
    };
    match kind {
        CommissionKind::ComplaintCheck => Some(SpecialCheck {
            title: "信访举报核查反馈".into(),
            lines: vec![
                format!("举报内容：{}", note.unwrap_or("（委托未附举报内容）")),
                format!("核查结果：{}", a.conclusion),
                "请委托部门在审核确认后，将处理结果书面反馈实名举报人。".into(),
            ],
        }),
        CommissionKind::DeathRemovalDisabled | CommissionKind::DeathRemovalVeteran => {
            let deaths: Vec<String> = a
                .anomalies
                .iter()
                .filter(|x| x.code == "member_deceased")
                .map(|x| format!("{}：{}", name(x.member_seq), x.detail))
                .collect();
            let lines = if deaths.is_empty() {
                vec!["在已反馈的部门数据中未发现成员死亡注销记录。".to_string()]
            } else {
                deaths
            };
            Some(SpecialCheck { title: format!("{}结果", kind.name_zh()), lines })
        }
        _ => None,
    }
}

/// One character changed, or two adjacent characters swapped.
/// Birth date and sex code (1 male, 2 female, 0 unknown) from a declared ID number.
fn birth_and_sex(id: Option<&hedui_core::id_number::Parsed>) -> (Option<Date>, u8) {
    match id {
        Some(p) => (Some(p.id.birth_date()), if p.id.sex() == hedui_core::Sex::Male { 1 } else { 2 }),
        None => (None, 0),
    }
}

pub fn one_typo_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() != b.len() || a == b {
        return false;
    }
    let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    match diff.as_slice() {
        [_] => true,
        [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
        _ => false,
    }
}

impl App {
    /// Files a commission and creates its job.
    pub fn commission(&self, actor: &Actor, input: &CommissionInput) -> AppResult<JobId> {
        actor.require_change()?;
        let h = self
            .store
            .household(input.household)?
            .ok_or_else(|| AppError::NotFound(format!("家庭 {} 不存在", input.household)))?;
        let as_of = input.as_of.unwrap_or_else(|| self.today());
        if as_of > self.today() {
            return Err(AppError::Invalid(format!("核对日期 {as_of} 晚于今天")));
        }
        let number = match &input.number {
            Some(n) if !n.trim().is_empty() => n.trim().to_string(),
            _ => {
                // Numbered per household, so a second commission on the same day gets its own number.
                let n = self
                    .store
                    .count_jobs(&JobFilter { household_number: Some(h.number.clone()), ..Default::default() })?;
                format!("WT-{}-{}-{}-{}", h.region.get(..6).unwrap_or(&h.region), as_of.compact(), h.number, n + 1)
            }
        };
        let note_enc = match &input.note {
            Some(n) if !n.trim().is_empty() => {
                Some(self.identity.seal(&place::commission_note(&number), period(as_of), n.as_bytes())?)
            }
            _ => None,
        };
        let seqs: Vec<u32> = h.members.iter().map(|m| m.seq).collect();
        input.declared.check(&seqs).map_err(|e| AppError::Invalid(format!("申报事项有误：{e}")))?;
        let declared_enc = if input.declared.is_empty() {
            None
        } else {
            let json = serde_json::to_vec(&input.declared).map_err(|e| AppError::Internal(e.to_string()))?;
            Some(self.identity.seal(&place::commission_declared(&number), period(as_of), &json)?)
        };
        let c = NewCommission {
            number: number.clone(),
            kind: input.kind,
            programme: input.programme,
            household: input.household,
            department: input.department.clone().unwrap_or_else(|| input.kind.default_department().to_string()),
            note_enc,
            declared_enc,
            as_of,
        };
        let audit = self.audit_entry(
            actor,
            "commission.create",
            &format!("household:{}", h.number),
            AuditOutcome::Ok,
            format!("委托 {number}（{}，{}）", input.kind.name_zh(), input.programme.name_zh()),
        );
        Ok(self.store.create_commission(&c, &self.now(), &audit)?)
    }

    pub fn job(&self, id: JobId) -> AppResult<JobRow> {
        self.store.job(id)?.ok_or_else(|| AppError::NotFound(format!("核对任务 {id} 不存在")))
    }

    /// The job list; audited because it names households.
    pub fn jobs(&self, actor: &Actor, filter: &JobFilter) -> AppResult<(Vec<JobRow>, i64)> {
        let mut f = filter.clone();
        if !actor.region.is_empty() {
            // A user only sees the region they work in.
            let wanted = f.region_prefix.clone().unwrap_or_default();
            if !wanted.starts_with(&actor.region) {
                f.region_prefix = Some(actor.region.clone());
            }
        }
        let rows = self.store.jobs(&f)?;
        let total = self.store.count_jobs(&f)?;
        self.audit(actor, "job.list", "jobs", AuditOutcome::Ok, format!("{} 条", rows.len()))?;
        Ok((rows, total))
    }

    fn move_job(
        &self,
        actor: &Actor,
        job: &JobRow,
        from: JobState,
        event: JobEvent,
        detail: String,
    ) -> AppResult<JobState> {
        let to = step(from, event)?;
        let audit = self.audit_entry(
            actor,
            "job.transition",
            &format!("job:{}", job.id),
            AuditOutcome::Ok,
            format!("{} → {}：{detail}", from.name_zh(), to.name_zh()),
        );
        self.store.transition_job(job.id, from, to, None, &self.now(), &audit)?;
        Ok(to)
    }

    /// Checks the household's active letter against every member and every category the job queries.
    fn check_authorization(&self, job: &JobRow, h: &HouseholdRow) -> Result<hedui_store::AuthorizationRow, String> {
        let letters = self.store.authorizations(h.id).map_err(|e| e.to_string())?;
        let Some(a) = letters.into_iter().rev().find(|a| a.status == AuthorizationStatus::Active) else {
            return Err(hedui_core::authorization::AuthorizationError::NoActiveAuthorization.to_string());
        };
        let letter = hedui_core::authorization::Authorization {
            number: a.number.clone(),
            signatures: a.signatures.clone(),
            scopes: a.scopes.clone(),
            signed_on: a.signed_on,
            status: a.status,
            status_reason: a.status_reason.clone(),
        };
        let seqs: Vec<u32> = h.members.iter().map(|m| m.seq).collect();
        let mut scopes: Vec<Scope> = DEPARTMENT_SOURCES.iter().map(|s| s.scope).collect();
        scopes.push(Scope::Financial);
        scopes.sort();
        scopes.dedup();
        for scope in scopes {
            letter.check_query(&seqs, scope, job.as_of).map_err(|e| e.to_string())?;
        }
        Ok(a)
    }

    /// Runs a submitted job to its report.
    ///
    /// Without an active letter that covers every member and every data
    /// category, the job is refused: it moves to `Refused`, the refusal is
    /// audited, and no department or bank is asked anything.
    pub fn run_job(&self, actor: &Actor, id: JobId) -> AppResult<Report> {
        let (job, h, letter) = self.dispatch_job(actor, id)?;
        if self.exchange.is_some() {
            self.enqueue_online(&job, &h, &letter)?;
            self.collect()?;
        }
        self.complete_job(actor, job, h, letter)
    }

    /// A job in `state`, with its household, that a policy covers: a job whose region, date and
    /// programme no policy covers is not run at all.
    fn job_to_run(&self, actor: &Actor, id: JobId, state: JobState, only: &str) -> AppResult<(JobRow, HouseholdRow)> {
        actor.require_change()?;
        let job = self.job(id)?;
        if job.state != state {
            return Err(AppError::InvalidState(format!("核对任务 {id} 状态为“{}”，{only}", job.state.name_zh())));
        }
        let h = self
            .store
            .household(job.household)?
            .ok_or_else(|| AppError::NotFound(format!("家庭 {} 不存在", job.household)))?;
        self.policies.program(&h.region, job.as_of, job.programme)?;
        Ok((job, h))
    }

    /// Records an objection (异议) to an issued report, with the reason the family gave.
    pub fn object(&self, actor: &Actor, id: JobId, reason: &str) -> AppResult<JobRow> {
        actor.require_change()?;
        let job = self.job(id)?;
        if job.state != JobState::ReportIssued {
            return Err(AppError::InvalidState(format!(
                "核对任务 {id} 状态为“{}”，只有已出具报告的任务可以提出异议",
                job.state.name_zh()
            )));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::Invalid("请写明异议理由和所附材料".into()));
        }
        self.move_job(actor, &job, JobState::ReportIssued, JobEvent::Object, format!("异议：{reason}"))?;
        self.job(id)
    }

    /// Re-examines (复核) a job under objection: its data are collected again as of the job's
    /// date, corrected or late data included, and a new report version is issued. Earlier
    /// versions stay as they were.
    pub fn recheck(&self, actor: &Actor, id: JobId) -> AppResult<Report> {
        let (job, h) = self.job_to_run(actor, id, JobState::Objection, "只有异议中的任务可以复核")?;
        let letter = self.check_authorization(&job, &h).map_err(|reason| {
            AppError::AuthorizationRequired(format!("核对任务 {id} 不能复核：{reason}。请补录有效授权书。"))
        })?;
        let state = self.move_job(actor, &job, JobState::Objection, JobEvent::Recheck, "复核".into())?;
        self.move_job(actor, &job, state, JobEvent::Dispatch, "复核：重新查询部门数据与金融机构".into())?;
        let job = self.job(id)?;
        if self.exchange.is_some() {
            self.enqueue_online(&job, &h, &letter)?;
            self.collect()?;
        }
        self.complete_job(actor, job, h, letter)
    }

    /// Runs several submitted jobs: all are dispatched, their online queries are collected
    /// together (so requests carry persons of many families), then each gets its report. A job
    /// that cannot run (no valid letter, say) does not stop the others: its error is returned
    /// in its place.
    pub fn run_jobs(&self, actor: &Actor, ids: &[JobId]) -> AppResult<Vec<AppResult<Report>>> {
        self.run_jobs_with(actor, ids, &|_| Ok(()))
    }

    /// [`App::run_jobs`], with `between` run after the online collection and before the
    /// reports: the place where file-exchange packages go out and come back when that happens
    /// within the run (the demo and the tests; in production institutions answer days later).
    pub fn run_jobs_with(
        &self,
        actor: &Actor,
        ids: &[JobId],
        between: &dyn Fn(&App) -> AppResult<()>,
    ) -> AppResult<Vec<AppResult<Report>>> {
        let mut dispatched = Vec::new();
        let mut out: Vec<Option<AppResult<Report>>> = Vec::with_capacity(ids.len());
        let mut queries = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            match self.dispatch_job(actor, *id) {
                Ok(d) => {
                    if self.exchange.is_some() {
                        queries.extend(self.online_queries(&d.0, &d.1, &d.2)?);
                        if queries.len() >= 50_000 {
                            self.store.enqueue_queries(&std::mem::take(&mut queries), &self.now())?;
                        }
                    }
                    dispatched.push((i, d));
                    out.push(None);
                }
                Err(e) => out.push(Some(Err(e))),
            }
        }
        self.store.enqueue_queries(&queries, &self.now())?;
        if self.exchange.is_some() {
            self.collect()?;
        }
        between(self)?;
        for (i, (job, h, letter)) in dispatched {
            out[i] = Some(self.complete_job(actor, job, h, letter));
        }
        Ok(out.into_iter().map(|r| r.unwrap_or_else(|| Err(AppError::Internal("任务未执行".into())))).collect())
    }

    /// After a restart: collects what jobs in flight still wait for, then reports them.
    pub fn resume_jobs(&self, actor: &Actor) -> AppResult<Vec<AppResult<Report>>> {
        actor.require_change()?;
        // A run that stopped between completing a report and issuing it: issue it now, after
        // the checks `issue` makes on the stored report.
        for (report, job) in self.store.unissued_reports()? {
            self.issue(actor, job, report)?;
        }
        let waiting = self.store.jobs(&JobFilter {
            state: Some(JobState::Dispatched),
            limit: 100_000,
            ..JobFilter::default()
        })?;
        if waiting.is_empty() {
            return Ok(Vec::new());
        }
        if self.exchange.is_some() {
            self.collect()?;
        }
        let mut out = Vec::new();
        for job in waiting {
            let (h, letter) = self.household_and_letter(&job)?;
            out.push(self.complete_job(actor, job, h, letter));
        }
        Ok(out)
    }

    /// A dispatched job's household and the letter it was dispatched under.
    pub(crate) fn household_and_letter(
        &self,
        job: &JobRow,
    ) -> AppResult<(HouseholdRow, hedui_store::AuthorizationRow)> {
        let h = self
            .store
            .household(job.household)?
            .ok_or_else(|| AppError::NotFound(format!("家庭 {} 不存在", job.household)))?;
        let letter = self
            .store
            .authorizations(h.id)?
            .into_iter()
            .find(|a| Some(a.id) == job.authorization)
            .ok_or_else(|| AppError::NotFound(format!("核对任务 {} 的授权书不存在", job.id)))?;
        Ok((h, letter))
    }

    /// Checks the letter and moves a submitted job to `Dispatched`.
    fn dispatch_job(
        &self,
        actor: &Actor,
        id: JobId,
    ) -> AppResult<(JobRow, HouseholdRow, hedui_store::AuthorizationRow)> {
        let (job, h) = self.job_to_run(actor, id, JobState::Submitted, "只有“已委托”的任务可以执行")?;

        let letter = match self.check_authorization(&job, &h) {
            Ok(l) => l,
            Err(reason) => {
                let audit = self.audit_entry(
                    actor,
                    "job.refuse",
                    &format!("job:{}", job.id),
                    AuditOutcome::Denied,
                    reason.clone(),
                );
                self.store.transition_job(job.id, JobState::Submitted, JobState::Refused, None, &self.now(), &audit)?;
                return Err(AppError::AuthorizationRequired(format!(
                    "核对任务 {}（户 {}）未执行：{reason}。请补录全体成员签署的有效授权书后重新委托。",
                    job.id, h.number
                )));
            }
        };
        let audit = self.audit_entry(
            actor,
            "job.transition",
            &format!("job:{}", job.id),
            AuditOutcome::Ok,
            format!("授权核验通过，授权书 {}", letter.number),
        );
        self.store.transition_job(
            job.id,
            JobState::Submitted,
            JobState::AuthorizationVerified,
            Some(letter.id),
            &self.now(),
            &audit,
        )?;
        self.move_job(
            actor,
            &job,
            JobState::AuthorizationVerified,
            JobEvent::Dispatch,
            "查询部门数据与金融机构".into(),
        )?;
        let job = self.job(id)?;
        Ok((job, h, letter))
    }

    /// Collects a dispatched job's data and issues its report.
    fn complete_job(
        &self,
        actor: &Actor,
        job: JobRow,
        h: HouseholdRow,
        letter: hedui_store::AuthorizationRow,
    ) -> AppResult<Report> {
        let mut state = job.state;
        if state != JobState::Dispatched {
            return Err(AppError::InvalidState(format!(
                "核对任务 {} 状态为“{}”，不能出具报告",
                job.id,
                state.name_zh()
            )));
        }
        let (program, resolved) = self.policies.program(&h.region, job.as_of, job.programme)?;
        let anomaly_params = AnomalyParams::from_resolved(&resolved).map_err(|e| AppError::Policy(e.to_string()))?;

        // Members, decrypted once for matching and for the report.
        let mut members = Vec::new();
        let mut infos = Vec::new();
        let mut ids: BTreeMap<u32, IdNumber> = BTreeMap::new();
        for m in &h.members {
            let name = self.identity.open_string(&place::member_name(&h.number, m.seq), &m.name_enc)?;
            let declared = self.identity.open_string(&place::member_id(&h.number, m.seq), &m.id_enc)?;
            let parsed = IdNumber::parse(&declared).ok();
            let (birth, sex) = birth_and_sex(parsed.as_ref());
            if let (Some(_), Some(p)) = (m.person, parsed) {
                ids.insert(m.seq, p.id);
            }
            members.push(MemberCase {
                seq: m.seq,
                name: name.clone(),
                counted: m.excluded.is_none(),
                declared_income: m.declared_income,
                person: m.person,
                unresolved_reason: m.person.is_none().then(|| m.id_note.clone()),
                birth,
                sex,
                supporter: false,
            });
            infos.push(MemberInfo {
                seq: m.seq,
                name,
                id_masked: mask_declared_id(&declared),
                relation: m.relation.name_zh().into(),
                counted: m.excluded.is_none(),
                exclusion: m.excluded.as_ref().map(|e| e.text_zh()),
                resolved: m.person.is_some(),
                note: m.id_note.clone(),
            });
        }
        // 特困 asks whether the obligors can support: they enter the case as obligors, never
        // counted, their own finances unknown until they authorize a check of their own.
        if job.programme == hedui_core::programme::Programme::Tekun {
            for (i, sp) in h.supporters.iter().enumerate() {
                let declared = self.identity.open_string(&place::supporter_id(&h.number, sp.seq), &sp.id_enc)?;
                let parsed = IdNumber::parse(&declared).ok();
                let (birth, sex) = birth_and_sex(parsed.as_ref());
                members.push(MemberCase {
                    seq: 101 + i as u32,
                    name: self.identity.open_string(&place::supporter_name(&h.number, sp.seq), &sp.name_enc)?,
                    counted: false,
                    declared_income: hedui_core::Fen::ZERO,
                    person: None,
                    unresolved_reason: None,
                    birth,
                    sex,
                    supporter: true,
                });
            }
        }
        let persons: Vec<PersonId> = h.members.iter().filter_map(|m| m.person).collect();

        // Department mirrors, as they stood on the job's date: each source's latest full
        // snapshot on or before it, with the incremental snapshots after that one. Later
        // snapshots never change what an earlier date shows, so a report can be reproduced.
        let batches = self.store.batches()?;
        let columns: HashMap<BatchId, Vec<String>> = batches.iter().map(|b| (b.id, b.columns.clone())).collect();
        let usable = |b: &&hedui_store::Batch| b.as_of <= job.as_of && b.status == "done";
        let mut full: HashMap<String, Date> = HashMap::new();
        for b in batches.iter().filter(usable).filter(|b| b.mode == SnapshotMode::Full) {
            let e = full.entry(b.source.clone()).or_insert(b.as_of);
            *e = (*e).max(b.as_of);
        }
        let used: HashMap<BatchId, &hedui_store::Batch> = batches
            .iter()
            .filter(usable)
            .filter(|b| match b.mode {
                SnapshotMode::Full => full.get(&b.source) == Some(&b.as_of),
                SnapshotMode::Incremental => full.get(&b.source).is_none_or(|f| b.as_of > *f),
            })
            .map(|b| (b.id, b))
            .collect();
        let mut latest: HashMap<String, Date> = HashMap::new();
        for b in used.values() {
            let e = latest.entry(b.source.clone()).or_insert(b.as_of);
            *e = (*e).max(b.as_of);
        }
        let in_force: Vec<StoredRecord> = self
            .store
            .records_for(&persons)?
            .into_iter()
            .filter(|r| r.batch.is_some_and(|b| used.contains_key(&b)))
            .collect();
        // A later snapshot's row replaces an earlier one about the same thing (person, kind, key
        // and period); rows of one snapshot all stand.
        type Thing = (Option<PersonId>, String, FactKind, String, Option<(hedui_core::Month, hedui_core::Month)>);
        let thing = |r: &StoredRecord| -> Thing {
            (r.rec.person, r.rec.source.clone(), r.rec.kind, r.rec.key.clone(), r.rec.period)
        };
        let mut newest: HashMap<Thing, Date> = HashMap::new();
        for r in &in_force {
            let e = newest.entry(thing(r)).or_insert(r.rec.as_of);
            *e = (*e).max(r.rec.as_of);
        }
        let records: Vec<StoredRecord> =
            in_force.into_iter().filter(|r| newest.get(&thing(r)) == Some(&r.rec.as_of)).collect();
        let mut sources = Vec::new();
        for s in DEPARTMENT_SOURCES.iter() {
            let state = match latest.get(s.code) {
                None => SourceState::NotAnswered { reason: "没有该部门在核对日期前的数据".into() },
                Some(_) if records.iter().any(|r| r.rec.source == s.code) => SourceState::Answered,
                Some(_) => SourceState::NoRecord,
            };
            sources.push(SourceStatus {
                source: s.code.into(),
                name: format!("{}（{}）", s.name_zh, s.department),
                as_of: latest.get(s.code).copied(),
                state,
            });
        }

        // Online sources: what the exchange collected for this job.
        let mut any_failed = false;
        if self.exchange.is_some() {
            let (statuses, failed) = self.exchange_statuses(job.id, job.as_of)?;
            any_failed |= failed;
            sources.extend(statuses);
        }
        // Banks in process (without an exchange): one authorized query per member and institution.
        let lookback = anomaly_params.outflow_window_months.value.clamp(1, 24) as u32;
        let mut bank_records = Vec::new();
        for bank in &self.banks {
            let mut state = SourceState::NoRecord;
            for m in &h.members {
                let (Some(pid), Some(idn)) = (m.person, ids.get(&m.seq)) else { continue };
                let q = BankQuery {
                    id_number: idn.as_str().to_string(),
                    name: members.iter().find(|x| x.seq == m.seq).map(|x| x.name.clone()).unwrap_or_default(),
                    as_of: job.as_of,
                    lookback_months: lookback,
                    authorization_no: letter.number.clone(),
                    commission_no: job.commission_number.clone(),
                };
                match bank.query(&q) {
                    Ok(a) => {
                        if !a.is_empty() && state == SourceState::NoRecord {
                            state = SourceState::Answered;
                        }
                        let items = hedui_connect::answer_items(&a, job.as_of);
                        let first = bank_records.len() as i64;
                        bank_records.extend(self.item_records(bank.code(), job.id, first, pid, job.as_of, &items)?);
                    }
                    Err(e) => {
                        any_failed = true;
                        state = SourceState::NotAnswered { reason: e.to_string() };
                        break;
                    }
                }
            }
            sources.push(SourceStatus {
                source: bank.code().into(),
                name: bank.name().into(),
                as_of: Some(job.as_of),
                state,
            });
        }
        if self.banks.is_empty() && self.exchange.is_none() {
            any_failed = true;
            sources.push(SourceStatus {
                source: "banks".into(),
                name: "金融机构".into(),
                as_of: None,
                state: SourceState::NotAnswered { reason: "未配置金融机构查询渠道".into() },
            });
        }
        self.store.insert_records(None, Some(job.id), &bank_records)?;
        let returned = if any_failed || latest.len() < DEPARTMENT_SOURCES.len() {
            JobEvent::Deadline
        } else {
            JobEvent::AllReturned
        };
        state = self.move_job(actor, &job, state, returned, format!("{} 个来源", sources.len()))?;
        state = self.move_job(actor, &job, state, JobEvent::Analyse, String::new())?;

        let mut facts: Vec<Fact> = records.iter().map(|r| self.fact(r, &columns)).collect::<AppResult<_>>()?;
        let stored_bank: Vec<StoredRecord> =
            self.store.records_for(&persons)?.into_iter().filter(|r| r.job == Some(job.id)).collect();
        for r in &stored_bank {
            facts.push(self.fact(r, &columns)?);
        }
        let mistyped = self.mistyped_hits(&h, &ids, job.as_of)?;
        let financial = self.financial_summary(job.as_of, &members, &facts, &sources);
        let members_declared: Vec<(u32, hedui_core::Fen)> =
            members.iter().map(|m| (m.seq, m.declared_income)).collect();
        let declared = match &job.declared_enc {
            Some(enc) => {
                serde_json::from_slice(&self.identity.open(&place::commission_declared(&job.commission_number), enc)?)
                    .map_err(|e| AppError::Internal(format!("commission declared: {e}")))?
            }
            None => hedui_core::means_test::Declared::default(),
        };
        let case = CaseInput { as_of: job.as_of, members, facts, sources: sources.clone(), mistyped, declared };
        let assessment = means_test::assess(&case, &program, &resolved, &self.source_policy()?)
            .map_err(|e| AppError::Policy(e.to_string()))?;

        let note = match &job.note_enc {
            Some(enc) => Some(self.identity.open_string(&place::commission_note(&job.commission_number), enc)?),
            None => None,
        };
        let special = special_check(job.kind, note.as_deref(), &assessment, &infos);
        let assessment_for_comparison = assessment.clone();
        let version = self.store.reports(job.id)?.len() as i64 + 1;
        let report = Report {
            number: format!("HD-{}-{:06}-V{}", job.as_of.compact(), job.id.0, version),
            job: job.id,
            version,
            issued_at: self.now(),
            as_of: job.as_of,
            commission: CommissionInfo {
                number: job.commission_number.clone(),
                kind: job.kind.code().into(),
                kind_name: job.kind.name_zh().into(),
                programme: job.programme.code().into(),
                programme_name: job.programme.name_zh().into(),
                department: job.department.clone(),
                note: note.clone(),
            },
            authorization: AuthorizationInfo { number: letter.number.clone(), signed_on: letter.signed_on },
            household: HouseholdInfo {
                number: h.number.clone(),
                region: h.region.clone(),
                region_name: self.region_name(&h.region),
                address: self.identity.open_string(&place::household_address(&h.number), &h.address_enc)?,
                declared_income: h.declared_income,
                declared_assets: h.declared_assets,
            },
            members: infos,
            supporters: h
                .supporters
                .iter()
                .map(|sp| {
                    Ok(SupporterInfo {
                        name: self.identity.open_string(&place::supporter_name(&h.number, sp.seq), &sp.name_enc)?,
                        id_masked: mask_declared_id(
                            &self.identity.open_string(&place::supporter_id(&h.number, sp.seq), &sp.id_enc)?,
                        ),
                        duty: sp.duty.clone(),
                    })
                })
                .collect::<AppResult<Vec<_>>>()?,
            sources,
            financial,
            assessment,
            special,
            comparison: crate::report::comparison(
                h.declared_income,
                h.declared_assets,
                &members_declared,
                &assessment_for_comparison,
            ),
            policy_name: resolved.chain.iter().map(|c| c.1.as_str()).collect::<Vec<_>>().join(" / "),
            notice: NOTICE.into(),
            seal: None,
        };
        self.complete_and_issue(actor, state, &report)?;
        Ok(report)
    }

    /// Deposits and holdings of the counted members per institution, and their total, all as
    /// of the query date: what the financial-asset test adds up, shown institution by institution.
    fn financial_summary(
        &self,
        as_of: Date,
        members: &[MemberCase],
        facts: &[Fact],
        sources: &[SourceStatus],
    ) -> crate::report::FinancialSummary {
        let counted: std::collections::HashSet<PersonId> =
            members.iter().filter(|m| m.counted).filter_map(|m| m.person).collect();
        let mut per: BTreeMap<String, (Fen, Fen)> = BTreeMap::new();
        for f in facts.iter().filter(|f| counted.contains(&f.person)) {
            let e = per.entry(f.source.clone()).or_insert((Fen::ZERO, Fen::ZERO));
            match f.kind {
                FactKind::Deposit => e.0 += f.amount,
                FactKind::FinancialProduct => e.1 += f.amount,
                _ => {}
            }
        }
        let institutions: Vec<crate::report::InstitutionTotal> = per
            .into_iter()
            .filter(|(_, (d, p))| *d != Fen::ZERO || *p != Fen::ZERO)
            .map(|(source, (deposits, holdings))| crate::report::InstitutionTotal {
                name: sources.iter().find(|s| s.source == source).map_or_else(|| source.clone(), |s| s.name.clone()),
                source,
                deposits,
                holdings,
                total: deposits + holdings,
            })
            .collect();
        let total = institutions.iter().map(|i| i.total).sum();
        crate::report::FinancialSummary { as_of: Some(as_of), institutions, total }
    }

    /// A stored record as a fact, with a short masked description for the report.
    fn fact(&self, r: &StoredRecord, columns: &HashMap<BatchId, Vec<String>>) -> AppResult<Fact> {
        let plain = self.identity.open(&place::record_detail(record_owner(r)?, &r.rec), &r.rec.detail_enc)?;
        // Mirror rows store values in their batch's column order; bank answers store name-value pairs.
        let detail: Vec<(String, String)> =
            match (r.batch.and_then(|b| columns.get(&b)), serde_json::from_slice::<Vec<String>>(&plain)) {
                (Some(cols), Ok(values)) => cols.iter().cloned().zip(values).collect(),
                _ => serde_json::from_slice(&plain).unwrap_or_default(),
            };
        let get = |k: &str| detail.iter().find(|(h, _)| h == k).map_or("", |(_, v)| v.as_str());
        let masked_tail = |v: &str| {
            let c: Vec<char> = v.chars().collect();
            if c.len() <= 4 { v.to_string() } else { format!("***{}", c[c.len() - 4..].iter().collect::<String>()) }
        };
        let source_name = department_source(&r.rec.source).map_or(r.rec.source.as_str(), |s| s.name_zh);
        let label = match r.rec.kind {
            FactKind::RealEstate => format!(
                "{}，{} ㎡，{}，证号 {}",
                get("用途"),
                get("建筑面积"),
                get("共有方式"),
                masked_tail(get("不动产权证号"))
            ),
            FactKind::Vehicle => format!(
                "{} {}，{}，{}，号牌 {}",
                get("车辆类型"),
                get("品牌型号"),
                get("使用性质"),
                get("机动车状态"),
                masked_tail(get("号牌号码"))
            ),
            FactKind::Business => {
                format!("{}（{}），{}，{}", get("主体名称"), get("主体类型"), get("角色"), get("登记状态"))
            }
            FactKind::Deposit => format!("{}账户 {}", get("账户类型"), masked_tail(get("账号"))),
            FactKind::FinancialProduct => {
                format!("{}：{}（估值日 {}）", get("产品类型"), get("产品名称"), get("估值日期"))
            }
            FactKind::Movement => format!(
                "{} 账户 {} 对方 {}（{}）",
                get("交易日期"),
                masked_tail(get("账号")),
                get("对方户名"),
                get("摘要")
            ),
            FactKind::ContributionBase => format!("缴费单位 {}", get("单位名称")),
            FactKind::Hukou => format!("户籍状态 {}", get("户籍状态")),
            FactKind::Death => format!("死亡日期 {}", get("死亡日期")),
            kind => format!("{} {}", source_name, kind.name_zh()),
        };
        let person = r.rec.person.ok_or_else(|| AppError::Internal("unresolved record used as a fact".into()))?;
        Ok(Fact {
            source: r.rec.source.clone(),
            kind: r.rec.kind,
            person,
            as_of: r.rec.as_of,
            period: r.rec.period,
            on: r.rec.on,
            amount: r.rec.amount,
            quantity: r.rec.quantity,
            category: r.rec.category.clone(),
            status: r.rec.status.clone(),
            key: r.rec.key.clone(),
            label,
            record: r.id,
        })
    }

    /// Unresolved department records carrying a member's name and an ID number one typo from the member's.
    fn mistyped_hits(
        &self,
        h: &HouseholdRow,
        ids: &BTreeMap<u32, IdNumber>,
        as_of: Date,
    ) -> AppResult<Vec<MistypedHit>> {
        let mut hits = Vec::new();
        for m in &h.members {
            let Some(id) = ids.get(&m.seq) else { continue };
            let full = id.as_str();
            let short: String = full[..6].chars().chain(full[8..17].chars()).collect();
            for r in self.store.unresolved_by_name(&m.name_bidx)? {
                if r.rec.as_of > as_of {
                    continue;
                }
                let Some(enc) = &r.rec.raw_id_enc else { continue };
                let raw = self
                    .identity
                    .open_string(&place::record_raw_id(record_owner(&r)?, &r.rec), enc)?
                    .trim()
                    .to_uppercase();
                if one_typo_apart(&raw, full) || one_typo_apart(&raw, &short) {
                    hits.push(MistypedHit {
                        member_seq: m.seq,
                        source: department_source(&r.rec.source)
                            .map_or(r.rec.source.clone(), |s| s.name_zh.to_string()),
                        masked_id: mask_declared_id(&raw),
                        record: r.id,
                    });
                }
            }
        }
        Ok(hits)
    }

    /// A report version (the latest when `version` is `None`), masked for the reader. Audited.
    pub fn report(&self, actor: &Actor, job: JobId, version: Option<i64>) -> AppResult<Report> {
        let reports = self.store.reports(job)?;
        let row = match version {
            Some(v) => reports.into_iter().find(|r| r.version == v),
            None => reports.into_iter().last(),
        }
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "核对任务 {job} 没有{}报告",
                version.map(|v| format!("第 {v} 版")).unwrap_or_default()
            ))
        })?;
        let report = self.open_report(actor, &row)?;
        self.audit(
            actor,
            "report.read",
            &format!("job:{job}"),
            AuditOutcome::Ok,
            format!("报告 {} 第 {} 版", report.number, report.version),
        )?;
        Ok(if actor.role.sees_names() { report } else { report.masked_names() })
    }
}

/// The batch or the job a stored record belongs with: part of its sealed values' place.
fn record_owner(r: &StoredRecord) -> AppResult<place::Owner> {
    match (r.batch, r.job) {
        (Some(b), _) => Ok(place::Owner::Batch(b)),
        (None, Some(j)) => Ok(place::Owner::Job(j)),
        (None, None) => Err(AppError::Internal(format!("record {} has neither batch nor job", r.id))),
    }
}

#[cfg(test)]
mod tests {
    use super::one_typo_apart;

    #[test]
    fn typos_are_one_substitution_or_one_adjacent_swap() {
        assert!(one_typo_apart("360426199101010071", "360426199101010072"));
        assert!(one_typo_apart("360426199101010071", "360426199101010017"));
        assert!(!one_typo_apart("360426199101010071", "360426199101010071"));
        assert!(!one_typo_apart("360426199101010071", "360426199101011170"));
        assert!(!one_typo_apart("36042619910101007", "360426199101010071"));
    }
}
