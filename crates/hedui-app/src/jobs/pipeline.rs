//! The verification of one dispatched job, in stages with typed hand-offs:
//! [`Case`] (the household opened, the policy resolved once) → [`Evidence`] (what every source
//! said, in force on the job's date) → [`Assessed`] (the means test) → [`Report`] (the model a
//! reader sees), which `issue` completes, signs and issues. Only the orchestrator in `verify`
//! moves the job between states; the stages read, open and compute.

use std::collections::BTreeMap;
use std::sync::Arc;

use hedui_core::commission::CommissionKind;
use hedui_core::fact::Fact;
use hedui_core::id_number::IdNumber;
use hedui_core::programme::Programme;
use hedui_core::{Date, Fen, PersonId};
use hedui_identity::place;
use hedui_means::{Assessment, CaseInput, Declared, MemberCase, MistypedHit, SourceState, SourceStatus};
use hedui_store::{AuthorizationRow, HouseholdRow, JobRow};

use crate::cases::mask_declared_id;
use crate::cases::supporters::SUPPORTER_SEQ_BASE;
use crate::evidence::financial_summary;
use crate::policy::Compiled;
use crate::reports::{
    AuthorizationInfo, CommissionInfo, FinancialSummary, HouseholdInfo, MemberInfo, NOTICE, Report, SpecialCheck,
    SupporterInfo,
};
use crate::{App, AppError, AppResult};

/// A dispatched job with its household opened and its policy resolved.
pub(crate) struct Case {
    pub job: JobRow,
    pub household: HouseholdRow,
    pub letter: AuthorizationRow,
    /// The programme compiled for the job's region and date (shared by every job on them).
    pub policy: Arc<Compiled>,
    /// Members (and, for 特困, the obligors) as the means test sees them.
    pub members: Vec<MemberCase>,
    /// Members as the report shows them.
    pub infos: Vec<MemberInfo>,
    /// The valid ID numbers of resolved members, by member number.
    pub ids: BTreeMap<u32, IdNumber>,
    /// The persons whose records the job reads: the members, and the supporters who authorized
    /// a check of their own.
    pub persons: Vec<PersonId>,
    /// What each supporter's own letter covers, by person: their facts from other sources are
    /// never read.
    pub supporter_scopes: BTreeMap<PersonId, Vec<hedui_core::authorization::Scope>>,
}

/// What every source said about the case's persons, in force on the job's date.
pub(crate) struct Evidence {
    pub facts: Vec<Fact>,
    pub sources: Vec<SourceStatus>,
    pub mistyped: Vec<MistypedHit>,
    /// Every source answered before the deadline (otherwise the job moves on at its deadline).
    pub complete: bool,
}

/// The means test's result, with what the report shows beside it.
pub(crate) struct Assessed {
    pub assessment: Assessment,
    pub sources: Vec<SourceStatus>,
    pub financial: FinancialSummary,
}

/// Birth date and sex code (1 male, 2 female, 0 unknown) from a declared ID number.
fn birth_and_sex(id: Option<&hedui_core::id_number::Parsed>) -> (Option<Date>, u8) {
    match id {
        Some(p) => (Some(p.id.birth_date()), if p.id.sex() == hedui_core::Sex::Male { 1 } else { 2 }),
        None => (None, 0),
    }
}

impl App {
    /// Stage 1: opens the household's members and resolves the programme's policy for the job's
    /// region and date, once.
    pub(crate) fn load_case(&self, job: JobRow, h: HouseholdRow, letter: AuthorizationRow) -> AppResult<Case> {
        let policy = self.policies.program(&h.region, job.as_of, job.programme)?;
        let mut members = Vec::new();
        let mut infos = Vec::new();
        let mut ids = BTreeMap::new();
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
                authorized: None,
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
        let mut persons: Vec<PersonId> = h.members.iter().filter_map(|m| m.person).collect();
        let mut supporter_scopes = BTreeMap::new();
        // 特困 asks whether the obligors can support: they enter the case as obligors, never
        // counted, their own finances checked only as far as a letter of their own allows.
        if job.programme == Programme::Tekun {
            let letters = self.store.authorizations(h.id)?;
            for sp in &h.supporters {
                let declared = self.identity.open_string(&place::supporter_id(&h.number, sp.seq), &sp.id_enc)?;
                let (birth, sex) = birth_and_sex(IdNumber::parse(&declared).ok().as_ref());
                let own = App::supporter_letter(&letters, sp.seq, job.as_of).filter(|_| sp.person.is_some());
                if let (Some(a), Some(p)) = (own, sp.person) {
                    persons.push(p);
                    supporter_scopes.insert(p, a.scopes.clone());
                }
                members.push(MemberCase {
                    seq: SUPPORTER_SEQ_BASE + sp.seq,
                    name: self.identity.open_string(&place::supporter_name(&h.number, sp.seq), &sp.name_enc)?,
                    counted: false,
                    declared_income: Fen::ZERO,
                    person: own.and(sp.person),
                    unresolved_reason: (own.is_some() && sp.person.is_none()).then(|| sp.id_note.clone()),
                    birth,
                    sex,
                    supporter: true,
                    authorized: Some(
                        own.map(|a| self.categories_covered(&a.scopes).iter().map(|c| c.code().to_string()).collect())
                            .unwrap_or_default(),
                    ),
                });
            }
        }
        Ok(Case { job, household: h, letter, policy, members, infos, ids, persons, supporter_scopes })
    }

    /// Stage 2: the mirrors in force on the job's date and what the exchange collected for the
    /// job (from institutions online or read in process, along the same path).
    pub(crate) fn gather(&self, case: &Case) -> AppResult<Evidence> {
        let (job, h) = (&case.job, &case.household);
        let mirror = self.mirror_evidence(&case.persons, job.as_of)?;
        let (mut facts, mut sources) = (mirror.facts, mirror.sources);
        // A supporter's facts only from the sources their own letter covers.
        let covered = |f: &hedui_core::fact::Fact| match case.supporter_scopes.get(&f.person) {
            None => true,
            Some(scopes) => self.catalog.get(&f.source).is_some_and(|s| scopes.contains(&s.scope)),
        };
        facts.retain(covered);
        let mut complete = mirror.every_source;
        if self.exchange.is_some() {
            let (statuses, failed) = self.exchange_statuses(job.id, job.as_of)?;
            complete &= !failed;
            sources.extend(statuses);
        } else {
            // Without an exchange no institution is asked: the account index (where accounts
            // are, which every balance depends on), or else each institution, did not answer.
            complete = false;
            let financial = self.catalog.sources.iter().filter(|s| s.kind.is_financial());
            let index: Vec<_> =
                financial.clone().filter(|s| s.kind == hedui_core::catalog::SourceKind::AccountService).collect();
            let silent = if index.is_empty() { financial.collect() } else { index };
            for s in silent {
                sources.push(SourceStatus {
                    source: s.code.clone(),
                    name: format!("{}（{}）", s.name, s.kind.name_zh()),
                    as_of: None,
                    state: SourceState::NotAnswered { reason: "未配置金融机构查询渠道".into() },
                });
            }
        }
        let columns = std::collections::HashMap::new();
        for r in self.store.job_records(job.id)? {
            let f = self.fact(&r, &columns)?;
            if covered(&f) {
                facts.push(f);
            }
        }
        let mistyped = self.mistyped_hits(h, &case.ids, job.as_of)?;
        Ok(Evidence { facts, sources, mistyped, complete })
    }

    /// Stage 3: the means test under the policy resolved in stage 1.
    pub(crate) fn assess(&self, case: &Case, evidence: Evidence) -> AppResult<Assessed> {
        let job = &case.job;
        let financial = financial_summary(job.as_of, &case.members, &evidence.facts, &evidence.sources);
        let declared = match &job.declared_enc {
            Some(enc) => {
                serde_json::from_slice(&self.identity.open(&place::commission_declared(&job.commission_number), enc)?)
                    .map_err(|e| AppError::Internal(format!("commission declared: {e}")))?
            }
            None => Declared::default(),
        };
        let input = CaseInput {
            as_of: job.as_of,
            members: case.members.clone(),
            facts: evidence.facts,
            sources: evidence.sources.clone(),
            mistyped: evidence.mistyped,
            declared,
        };
        let assessment = hedui_means::assess(&input, &case.policy.program, &case.policy.resolved, self.catalog())
            .map_err(|e| AppError::Policy(e.to_string()))?;
        Ok(Assessed { assessment, sources: evidence.sources, financial })
    }

    /// Stage 4: the report model, numbered as the job's next version.
    pub(crate) fn build_report(&self, case: Case, assessed: Assessed) -> AppResult<Report> {
        let Case { job, household: h, letter, policy, infos, members, .. } = case;
        let note = match &job.note_enc {
            Some(enc) => Some(self.identity.open_string(&place::commission_note(&job.commission_number), enc)?),
            None => None,
        };
        let members_declared: Vec<(u32, Fen)> = members.iter().map(|m| (m.seq, m.declared_income)).collect();
        let version = self.store.reports(job.id)?.len() as i64 + 1;
        let supporters = h
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
            .collect::<AppResult<Vec<_>>>()?;
        let assessment = assessed.assessment;
        Ok(Report {
            number: format!("HD-{}-{:06}-V{}", job.as_of.compact(), job.id.0, version),
            job: job.id,
            version,
            issued_at: self.now().to_string(),
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
            special: special_check(job.kind, note.as_deref(), &assessment, &infos),
            comparison: crate::reports::comparison(
                h.declared_income,
                h.declared_assets,
                &members_declared,
                &assessment,
            ),
            members: infos,
            supporters,
            sources: assessed.sources,
            financial: assessed.financial,
            assessment,
            verifier: String::new(),
            verifier_name: String::new(),
            policy_name: policy.resolved.chain.iter().map(|c| c.1.as_str()).collect::<Vec<_>>().join(" / "),
            notice: NOTICE.into(),
            seal: None,
        })
    }
}

/// What a complaint check or a death-removal check reports first.
fn special_check(
    kind: CommissionKind,
    note: Option<&str>,
    a: &Assessment,
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
                .filter(|x| x.code == hedui_means::AnomalyKind::MemberDeceased)
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
