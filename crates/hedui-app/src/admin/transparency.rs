//! Transparency to the citizen (PIPL Art. 45): for one person, who queried or read their data,
//! when, why (the action), and under which commission and authorization letter, from the audit
//! trail. The person is found by their ID number's blind index; the number searched is kept in the
//! audit row only as that index and a sealed copy. Staff are named by login to the 审计管理员 and
//! by role to everyone else; only households in the caller's region are listed.

use hedui_core::Timestamp;
use hedui_store::{AuditEntry, AuditOutcome};

use crate::{Action, App, AppError, AppResult, Caller, Object, Role};

/// One reading or query of the person's data.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AccessEntry {
    pub at: Timestamp,
    /// Who: the user's login (for the 审计管理员) or their role; `系统` for hedui itself.
    pub who: String,
    /// What was done, in words.
    pub what: String,
    pub object: String,
    /// The commission and letter relied on.
    pub basis: String,
    pub outcome: AuditOutcome,
}

/// Everything the trail holds about one person's data.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AccessLog {
    /// The households the person belongs to (as member or supporter) in the caller's region.
    pub households: Vec<String>,
    pub entries: Vec<AccessEntry>,
}

/// The most rows one export lists.
const LIMIT: i64 = 10_000;

impl App {
    /// Who queried or read the data of the person with `id_number`. Audited, with the number kept
    /// only as its blind index and a sealed copy.
    pub fn person_access_log(&self, actor: &Caller, id_number: &str) -> AppResult<AccessLog> {
        self.authorize(actor, Action::PersonAccessLog, &Object::None)?;
        let parsed = hedui_core::id_number::IdNumber::parse_with_table(id_number.trim(), &self.regions)
            .map_err(|e| AppError::Invalid(format!("身份证号码无效：{e}")))?;
        let bidx = self.identity.id_index(&parsed.id);
        let mut person = None;
        for b in self.identity.id_indexes(&parsed.id) {
            if let Some(p) = self.store.find_person(&b)? {
                person = Some(p);
                break;
            }
        }
        let households: Vec<(hedui_core::HouseholdId, String, String)> = match person {
            Some(p) => self.store.households_of_person(p)?,
            None => Vec::new(),
        }
        .into_iter()
        .filter(|(_, _, region)| crate::access::in_scope(&actor.region, region))
        .collect();
        let mut objects = Vec::new();
        for (id, number, _) in &households {
            objects.push(format!("household:{number}"));
            let filter =
                hedui_store::JobFilter { household_number: Some(number.clone()), limit: 1000, ..Default::default() };
            objects.extend(self.store.jobs(&filter)?.into_iter().map(|j| format!("job:{}", j.id)));
            objects.extend(self.store.authorizations(*id)?.into_iter().map(|a| format!("authorization:{}", a.number)));
        }
        let roles: std::collections::HashMap<String, Role> =
            self.store.users()?.into_iter().filter_map(|u| Role::parse(&u.role).map(|r| (u.login, r))).collect();
        let entries = self
            .store
            .audit_about(&objects, LIMIT)?
            .into_iter()
            .filter(|r| hedui_store::chain::chain_of(&r.entry.action) == "query")
            .map(|r| AccessEntry {
                at: r.entry.at,
                who: who(actor, &roles, &r.entry),
                what: what(&r.entry.action).into(),
                object: r.entry.object,
                basis: r.entry.basis,
                outcome: r.entry.outcome,
            })
            .collect::<Vec<_>>();
        let mut entry = self.audit_entry(
            actor,
            "audit.person",
            "person",
            AuditOutcome::Ok,
            format!("{} 户，{} 条", households.len(), entries.len()),
        );
        entry.search = "身份证号码".into();
        entry.search_bidx = Some(bidx);
        let place = hedui_identity::place::audit_search();
        let sealed = self.identity.seal(&place, hedui_identity::period(self.today()), parsed.id.as_str().as_bytes())?;
        entry.search_enc = Some(sealed);
        self.store.audit(&entry)?;
        Ok(AccessLog { households: households.into_iter().map(|(_, n, _)| n).collect(), entries })
    }
}

/// The actor as the reader may see them.
fn who(reader: &Caller, roles: &std::collections::HashMap<String, Role>, e: &AuditEntry) -> String {
    match roles.get(&e.actor) {
        None => "系统".into(),
        Some(_) if reader.role == Role::Auditor => e.actor.clone(),
        Some(role) => role.name_zh().into(),
    }
}

/// An action in words.
fn what(action: &str) -> &str {
    match action {
        "household.create" => "登记家庭",
        "household.read" => "查阅家庭信息",
        "authorization.record" => "登记授权书",
        "authorization.end" => "授权书终止或撤回",
        "commission.create" => "委托核对",
        "job.run" | "job.transition" => "核对查询（向部门和金融机构查询）",
        "exchange.answer" => "部门或机构答复",
        "report.complete" => "形成核对报告",
        "report.issue" => "出具核对报告",
        "report.receipt" => "业务部门签收核对报告",
        "report.read" => "查阅核对报告",
        "report.download" => "下载核对报告",
        other => other,
    }
}
