//! Access: the roles, what each may do (one table), where (the user's region subtree), on whose
//! cases (the user's organization, the relatives the user recorded), and what each sees (one
//! masking table). [`App::authorize`] is the one function that decides a request, before any of
//! the object's data is read; a denial is audited like an allow.
//!
//! The roles follow GB/T 22239-2019 level 3: case work is split between 乡镇经办人, 核对员 and
//! 审核员; 业务部门 see their own commissions; 领导 see statistics only; and the three
//! administrators (三员分立) each do only their own work: the 系统管理员 runs the system, the
//! 安全管理员 manages users and security, the 审计管理员 reads the audit trail.

use serde::{Deserialize, Serialize};

use hedui_core::catalog::Sensitivity;
use hedui_core::{HouseholdId, JobId};
use hedui_store::AuditOutcome;

use crate::{App, AppError, AppResult, Caller, Principal};

/// What a user may do and see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 乡镇经办人: intake, letters and commissions for the township's families.
    Township,
    /// 核对员: runs verifications, handles objections and 复核.
    Clerk,
    /// 审核员: reads what was verified, to approve and issue it.
    Reviewer,
    /// 业务部门: its own commissions and their reports.
    Department,
    /// 数据源管理员: imports, the file exchange, source health; rows masked.
    Operator,
    /// 领导: statistics only, no personal data.
    Leader,
    /// 系统管理员: configures and runs the system; no audit trail, no users, no cases.
    Admin,
    /// 安全管理员: users, roles, sessions and security policies; no case.
    Security,
    /// 审计管理员: reads, verifies and exports the audit trail only.
    Auditor,
    /// 查阅人员: reads cases and reports, names and sensitive details masked.
    Viewer,
}

/// Every role, in the order pages list them.
pub const ROLES: [Role; 10] = [
    Role::Township,
    Role::Clerk,
    Role::Reviewer,
    Role::Department,
    Role::Operator,
    Role::Leader,
    Role::Admin,
    Role::Security,
    Role::Auditor,
    Role::Viewer,
];

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        ROLES.into_iter().find(|r| r.code() == s)
    }

    pub fn code(self) -> &'static str {
        match self {
            Role::Township => "township",
            Role::Clerk => "clerk",
            Role::Reviewer => "reviewer",
            Role::Department => "department",
            Role::Operator => "operator",
            Role::Leader => "leader",
            Role::Admin => "admin",
            Role::Security => "security",
            Role::Auditor => "auditor",
            Role::Viewer => "viewer",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Role::Township => "乡镇经办人",
            Role::Clerk => "核对员",
            Role::Reviewer => "审核员",
            Role::Department => "业务部门",
            Role::Operator => "数据源管理员",
            Role::Leader => "领导",
            Role::Admin => "系统管理员",
            Role::Security => "安全管理员",
            Role::Auditor => "审计管理员",
            Role::Viewer => "查阅人员",
        }
    }

    /// Whether this is one of the three administrators (三员), of whom no user holds two.
    pub fn is_administrator(self) -> bool {
        matches!(self, Role::Admin | Role::Security | Role::Auditor)
    }

    /// Whether names appear in full on screens and exports.
    pub fn sees_names(self) -> bool {
        shown(self, Field::Name) == Shown::Full
    }

    /// Whether the details of facts of this sensitivity (the catalog's class of each data
    /// category) appear in full; others see that such a fact exists and its amount, not what
    /// identifies it.
    pub fn sees(self, s: Sensitivity) -> bool {
        let field = match s {
            Sensitivity::General => Field::General,
            Sensitivity::Sensitive => Field::Sensitive,
        };
        shown(self, field) == Shown::Full
    }

    /// Whether the role changes cases at all (households, letters, commissions, jobs, imports).
    pub fn may_change_cases(self) -> bool {
        CHANGES.iter().any(|a| permits(self, *a))
    }
}

/// What a request does: each route names one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// No session needed (the login form, public keys, an institution's signed answer).
    Public,
    /// Any logged-in user (logging out, recording one's own relatives).
    Session,
    HouseholdCreate,
    HouseholdRead,
    /// Correcting a member's or supporter's name or ID number (补正).
    HouseholdChange,
    /// Recording or ending an authorization letter.
    LetterChange,
    CommissionCreate,
    JobList,
    JobRead,
    JobRun,
    Objection,
    Recheck,
    ReportRead,
    ReportDownload,
    /// Reading a report that waits for review (its 核对员 and the 审核员).
    ReportReview,
    /// Approving and issuing a report, or returning it (审核员).
    ReportApprove,
    /// Recording a department's 回执 for a report it commissioned (业务部门).
    ReceiptRecord,
    ImportRead,
    ImportRun,
    /// Deciding whether an unresolved department row is a member's (人工关联, 核对员).
    RecordLink,
    SourceRead,
    PolicyRead,
    PolicySimulate,
    AuditRead,
    /// A retention run: deleting what is due (the audit administrator starts it).
    RetentionRun,
    /// Who queried one person's data (a citizen's request, PIPL Art. 45).
    PersonAccessLog,
    UserManage,
    /// The security-event view.
    SecurityEvents,
}

/// Every action, for tests and pages.
pub const ACTIONS: [Action; 28] = [
    Action::Public,
    Action::Session,
    Action::HouseholdCreate,
    Action::HouseholdRead,
    Action::HouseholdChange,
    Action::LetterChange,
    Action::CommissionCreate,
    Action::JobList,
    Action::JobRead,
    Action::JobRun,
    Action::Objection,
    Action::Recheck,
    Action::ReportRead,
    Action::ReportDownload,
    Action::ReportReview,
    Action::ReportApprove,
    Action::ReceiptRecord,
    Action::ImportRead,
    Action::ImportRun,
    Action::RecordLink,
    Action::SourceRead,
    Action::PolicyRead,
    Action::PolicySimulate,
    Action::AuditRead,
    Action::RetentionRun,
    Action::PersonAccessLog,
    Action::UserManage,
    Action::SecurityEvents,
];

/// The actions that change cases.
const CHANGES: [Action; 10] = [
    Action::HouseholdCreate,
    Action::HouseholdChange,
    Action::ReportApprove,
    Action::LetterChange,
    Action::CommissionCreate,
    Action::JobRun,
    Action::Objection,
    Action::Recheck,
    Action::ImportRun,
    Action::RecordLink,
];

impl Action {
    pub fn code(self) -> &'static str {
        match self {
            Action::Public => "public",
            Action::Session => "session",
            Action::HouseholdCreate => "household.create",
            Action::HouseholdRead => "household.read",
            Action::HouseholdChange => "household.change",
            Action::LetterChange => "authorization.change",
            Action::CommissionCreate => "commission.create",
            Action::JobList => "job.list",
            Action::JobRead => "job.read",
            Action::JobRun => "job.run",
            Action::Objection => "job.objection",
            Action::Recheck => "job.recheck",
            Action::ReportRead => "report.read",
            Action::ReportDownload => "report.download",
            Action::ReportReview => "report.review",
            Action::ReportApprove => "report.approve",
            Action::ReceiptRecord => "report.receipt",
            Action::ImportRead => "import.read",
            Action::ImportRun => "import.run",
            Action::RecordLink => "record.link",
            Action::SourceRead => "source.read",
            Action::PolicyRead => "policy.read",
            Action::PolicySimulate => "policy.simulate",
            Action::AuditRead => "audit.read",
            Action::RetentionRun => "retention.run",
            Action::PersonAccessLog => "person.access_log",
            Action::UserManage => "user.manage",
            Action::SecurityEvents => "security.events",
        }
    }
}

/// Who may do what: the one table. Region, organization and relatives are checked on top.
pub fn permits(role: Role, action: Action) -> bool {
    use Action as A;
    use Role as R;
    match action {
        A::Public | A::Session => true,
        A::HouseholdCreate | A::HouseholdChange | A::LetterChange | A::CommissionCreate => {
            matches!(role, R::Township | R::Clerk)
        }
        A::HouseholdRead => matches!(role, R::Township | R::Clerk | R::Reviewer | R::Viewer),
        A::JobList | A::JobRead | A::ReportRead | A::ReportDownload => {
            matches!(role, R::Township | R::Clerk | R::Reviewer | R::Department | R::Viewer)
        }
        A::Objection => matches!(role, R::Township | R::Clerk),
        A::ReportReview => matches!(role, R::Clerk | R::Reviewer),
        A::ReportApprove => role == R::Reviewer,
        A::ReceiptRecord => role == R::Department,
        A::JobRun | A::Recheck | A::RecordLink => role == R::Clerk,
        A::ImportRead | A::ImportRun => matches!(role, R::Operator | R::Clerk),
        A::SourceRead => matches!(role, R::Operator | R::Admin | R::Clerk),
        A::PolicyRead => matches!(role, R::Leader | R::Admin | R::Clerk | R::Reviewer),
        A::PolicySimulate => matches!(role, R::Leader | R::Clerk | R::Reviewer),
        A::AuditRead | A::RetentionRun => role == R::Auditor,
        A::PersonAccessLog => matches!(role, R::Township | R::Clerk | R::Reviewer | R::Auditor),
        A::UserManage | A::SecurityEvents => role == R::Security,
    }
}

/// What a request acts on, as its route names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Object {
    None,
    Household(HouseholdId),
    Job(JobId),
    /// Something placed in a region (a new household, a simulation's scope).
    Region(String),
}

impl Object {
    /// How audit rows name it.
    pub fn audit_name(&self) -> String {
        match self {
            Object::None => "-".into(),
            Object::Household(h) => format!("household:{h}"),
            Object::Job(j) => format!("job:{j}"),
            Object::Region(r) => format!("region:{r}"),
        }
    }
}

/// Whether `region` lies in the subtree of the user's region `scope` (codes with their trailing
/// zeros dropped, so a county `320481` holds its townships `320481101…`); an empty scope is all.
pub fn in_scope(scope: &str, region: &str) -> bool {
    let scope = scope.trim_end_matches('0');
    scope.is_empty() || region.starts_with(scope)
}

/// The fields a masking rule covers: the catalog's sensitivity classes, and the identifiers every
/// output carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    IdNumber,
    Address,
    Account,
    /// Details of facts in categories of 一般个人信息.
    General,
    /// Details of facts in categories of 敏感个人信息 (accounts, health, disability, assistance).
    Sensitive,
}

pub const FIELDS: [Field; 6] =
    [Field::Name, Field::IdNumber, Field::Address, Field::Account, Field::General, Field::Sensitive];

/// How a field is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shown {
    Full,
    /// Partly: a name's surname, an ID number's first six and last four, an account's last four.
    Masked,
    /// Not at all (the role reads no personal data).
    Hidden,
}

/// The masking table: role × field. Pages, PDF, JSON and the API all read it through
/// [`Role::sees_names`] and [`Role::sees`]. ID numbers are masked for everyone: no output needs
/// one in full.
pub fn shown(role: Role, field: Field) -> Shown {
    use Field as F;
    use Role as R;
    match (role, field) {
        (R::Leader | R::Admin | R::Security | R::Auditor, _) => Shown::Hidden,
        (_, F::IdNumber) => Shown::Masked,
        (R::Township | R::Clerk | R::Reviewer, _) => Shown::Full,
        (R::Department, F::Sensitive | F::Account) => Shown::Masked,
        (R::Department, _) => Shown::Full,
        (R::Operator | R::Viewer, F::General) => Shown::Full,
        (R::Operator | R::Viewer, _) => Shown::Masked,
    }
}

impl App {
    /// Decides a request: `caller` doing `action` on `object`. Checks the role's table entry,
    /// then that the object lies in the caller's region subtree, that a 业务部门 commissioned it,
    /// and that no relative the caller recorded is a member of its household. Reads only the
    /// object's region, department and member index; a denial is audited (`access.deny`) and
    /// answered as forbidden. hedui's own work (the demo, bulk runs) is not a user's request.
    pub fn authorize(&self, caller: &Caller, action: Action, object: &Object) -> AppResult<()> {
        if matches!(caller.principal, Principal::System(_)) || action == Action::Public {
            return Ok(());
        }
        let deny = |why: String| -> AppResult<()> {
            self.audit(
                caller,
                "access.deny",
                &object.audit_name(),
                AuditOutcome::Denied,
                format!("{}：{why}", action.code()),
            )?;
            Err(AppError::Forbidden(why))
        };
        if caller.must_change && action != Action::Session {
            self.audit(
                caller,
                "access.deny",
                &object.audit_name(),
                AuditOutcome::Denied,
                format!("{}：须先修改密码", action.code()),
            )?;
            return Err(AppError::PasswordChangeRequired);
        }
        if caller.must_enrol && action != Action::Session {
            self.audit(
                caller,
                "access.deny",
                &object.audit_name(),
                AuditOutcome::Denied,
                format!("{}：须先登记第二因子", action.code()),
            )?;
            return Err(AppError::SecondFactorRequired);
        }
        if !permits(caller.role, action) {
            return deny(format!("角色“{}”无权执行此操作", caller.role.name_zh()));
        }
        let (region, household, department) = match object {
            Object::None => return Ok(()),
            Object::Region(r) => (r.clone(), None, None),
            Object::Household(h) => {
                let row = self.store.household(*h)?.ok_or_else(|| AppError::NotFound(format!("家庭 {h}")))?;
                (row.region.clone(), Some(*h), None)
            }
            Object::Job(j) => {
                let row = self.store.job(*j)?.ok_or_else(|| AppError::NotFound(format!("核对任务 {j}")))?;
                (row.region, Some(row.household), Some(row.department))
            }
        };
        if !in_scope(&caller.region, &region) {
            return deny(format!("对象属于区划 {region}，不在您的辖区（{}）内", caller.region));
        }
        if caller.role == Role::Department
            && let Some(d) = department
            && d != caller.organization
        {
            return deny(format!("该核对由“{d}”委托，不是本部门（{}）的委托", caller.organization));
        }
        if let Some(h) = household
            && self.relative_in_household(caller.name(), h)?
        {
            return deny("该家庭有您备案的近亲属，按回避规定您不能办理此案件".into());
        }
        Ok(())
    }
}

impl App {
    /// Whether a relative `login` recorded is a member of `household`. While a key rotation
    /// re-derives blind indexes, a relative and a member may be indexed under different epochs:
    /// each relative's number is then looked up under both.
    fn relative_in_household(&self, login: &str, household: HouseholdId) -> AppResult<bool> {
        if !self.identity.rotating() {
            return Ok(self.store.relative_in_household(login, household)?);
        }
        let Some(h) = self.store.household(household)? else { return Ok(false) };
        let members: Vec<_> = h.members.iter().filter_map(|m| m.person).collect();
        for (bidx, enc) in self.store.relative_ids(login)? {
            let id =
                self.identity.open_string(&hedui_identity::place::staff_relative_id(login, bidx.as_slice()), &enc)?;
            let Ok(id) = hedui_core::id_number::IdNumber::parse(&id).map(|p| p.id) else { continue };
            for b in self.identity.id_indexes(&id) {
                if self.store.find_person(&b)?.is_some_and(|p| members.contains(&p)) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_user_holds_two_administrators_work() {
        // Each administrator's own work is theirs alone.
        for (role, only) in [
            (Role::Admin, Action::SourceRead),
            (Role::Security, Action::UserManage),
            (Role::Auditor, Action::AuditRead),
        ] {
            assert!(permits(role, only));
            for other in [Role::Admin, Role::Security, Role::Auditor].into_iter().filter(|r| *r != role) {
                let theirs = match other {
                    Role::Security => Action::UserManage,
                    Role::Auditor => Action::AuditRead,
                    _ => continue,
                };
                assert!(!permits(role, theirs), "{role:?} may not do {theirs:?}");
            }
            // No administrator changes or reads a case.
            for a in CHANGES.into_iter().chain([Action::HouseholdRead, Action::JobRead, Action::ReportRead]) {
                assert!(!permits(role, a), "{role:?} may not {a:?}");
            }
        }
        assert!(!permits(Role::Leader, Action::JobList), "a leader reads statistics only");
    }

    #[test]
    fn regions_are_subtrees() {
        assert!(in_scope("", "320481101"));
        assert!(in_scope("320481", "320481101"));
        assert!(in_scope("320481000000", "320481101"), "trailing zeros name the same region");
        assert!(!in_scope("320481101", "320481"), "a township does not hold its county");
        assert!(!in_scope("320481", "320412"), "nor a county its sibling");
    }

    #[test]
    fn masking_hides_everything_from_roles_without_case_data() {
        for role in ROLES {
            for f in FIELDS {
                let s = shown(role, f);
                if matches!(role, Role::Leader | Role::Admin | Role::Security | Role::Auditor) {
                    assert_eq!(s, Shown::Hidden);
                } else if f == Field::IdNumber {
                    assert_eq!(s, Shown::Masked, "no output shows an ID number whole");
                }
            }
        }
        assert!(Role::Clerk.sees(Sensitivity::Sensitive) && !Role::Viewer.sees(Sensitivity::Sensitive));
        assert!(!Role::Viewer.sees_names() && Role::Township.sees_names());
    }
}
