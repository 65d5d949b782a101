//! Commissions and the jobs they create: filing one, the job list in the caller's region, and
//! the household and letter a job runs under.

use serde::{Deserialize, Serialize};

use hedui_core::authorization::{AuthorizationStatus, Scope};
use hedui_core::commission::CommissionKind;
use hedui_core::programme::Programme;
use hedui_core::{Date, HouseholdId, JobId};
use hedui_identity::{period, place};
use hedui_store::{AuditOutcome, HouseholdRow, JobFilter, JobRow, NewCommission};

use crate::{App, AppError, AppResult, Caller};

/// A commission as the business department files it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
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
    pub declared: hedui_means::Declared,
}

impl App {
    /// Files a commission and creates its job.
    pub fn commission(&self, actor: &Caller, input: &CommissionInput) -> AppResult<JobId> {
        self.authorize(actor, crate::Action::CommissionCreate, &crate::Object::Household(input.household))?;
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
        Ok(self.store.create_commission(&c, self.now(), &audit)?)
    }

    pub fn job(&self, id: JobId) -> AppResult<JobRow> {
        self.store.job(id)?.ok_or_else(|| AppError::NotFound(format!("核对任务 {id} 不存在")))
    }

    /// The job list; audited because it names households.
    pub fn jobs(&self, actor: &Caller, filter: &JobFilter) -> AppResult<(Vec<JobRow>, i64)> {
        self.authorize(actor, crate::Action::JobList, &crate::Object::None)?;
        self.list_jobs(actor, filter, "job.list", None)
    }

    /// `filter` within the caller's scope: a user sees the region they work in, a commissioning
    /// department its own commissions.
    pub(crate) fn scoped(&self, actor: &Caller, filter: &JobFilter) -> JobFilter {
        let mut f = filter.clone();
        let scope = actor.region.trim_end_matches('0');
        if !scope.is_empty() {
            let wanted = f.region_prefix.clone().unwrap_or_default();
            if !wanted.starts_with(scope) {
                f.region_prefix = Some(scope.to_string());
            }
        }
        if actor.role == crate::Role::Department {
            f.department = Some(actor.organization.clone());
        }
        f
    }

    /// The jobs `filter` selects within the caller's scope, audited as `action` with the search's
    /// conditions; a person searched for is kept as a blind index and a sealed copy of `text`.
    pub(crate) fn list_jobs(
        &self,
        actor: &Caller,
        filter: &JobFilter,
        action: &str,
        person: Option<(hedui_core::BlindIndex, &str)>,
    ) -> AppResult<(Vec<JobRow>, i64)> {
        let f = self.scoped(actor, filter);
        let rows = self.store.jobs(&f)?;
        let total = self.store.count_jobs(&f)?;
        let mut entry = self.audit_entry(actor, action, "jobs", AuditOutcome::Ok, format!("{} 条", rows.len()));
        entry.search = describe(&f);
        if let Some((bidx, text)) = person {
            entry.search.push_str("；按姓名或身份证号检索（检索词已加密）");
            entry.search_bidx = Some(bidx);
            let place = hedui_identity::place::audit_search();
            entry.search_enc =
                Some(self.identity.seal(&place, hedui_identity::period(self.today()), text.as_bytes())?);
        }
        self.store.audit(&entry)?;
        Ok((rows, total))
    }

    /// Checks the household's active letter against every member and every category the job queries.
    pub(crate) fn check_authorization(
        &self,
        job: &JobRow,
        h: &HouseholdRow,
    ) -> Result<hedui_store::AuthorizationRow, String> {
        let letters = self.store.authorizations(h.id).map_err(|e| e.to_string())?;
        // The household's letter, which its members sign (a supporter's own letter is theirs).
        let Some(a) =
            letters.into_iter().rev().find(|a| a.status == AuthorizationStatus::Active && a.supporter.is_none())
        else {
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
        // Every source of the catalog may be asked about every member: the letter must cover each
        // one's scope.
        let mut scopes: Vec<Scope> = self.catalog.sources.iter().map(|s| s.scope).collect();
        scopes.sort();
        scopes.dedup();
        for scope in scopes {
            letter.check_query(&seqs, scope, job.as_of).map_err(|e| e.to_string())?;
        }
        Ok(a)
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
}

/// A job search's conditions as the audit trail keeps them (no personal data: household numbers
/// and region codes are the system's own).
fn describe(f: &JobFilter) -> String {
    let mut parts = Vec::new();
    let mut add = |name: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            parts.push(format!("{name}={v}"));
        }
    };
    add("状态", f.state.map(|s| s.name_zh().to_string()));
    add("结果", f.outcome.map(|o| format!("{o:?}")));
    add("项目", f.programme.map(|p| p.name_zh().to_string()));
    add("类型", f.kind.map(|k| k.name_zh().to_string()));
    add("地区", f.region_prefix.clone());
    add("户号", f.household_number.clone());
    add("部门", f.department.clone());
    add("户号含", f.household_contains.clone());
    add("委托编号含", f.commission_contains.clone());
    add("核对日期起", f.as_of_from.map(|d| d.to_string()));
    add("核对日期止", f.as_of_to.map(|d| d.to_string()));
    if f.sort != hedui_store::JobSort::default() {
        add("排序", Some(f.sort.code().to_string()));
    }
    parts.push(format!("第 {}–{} 条", f.offset + 1, f.offset + f.limit));
    parts.join("；")
}
