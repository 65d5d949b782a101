//! Reports signed when completed and when issued, and read only when everything agrees.
//!
//! A report is *completed* when it is computed: the node's SM2 key signs its body's SM3 digest
//! together with its number, version, job, household and outcome, and the signature is stored
//! with it. It is *issued* when it is given out: issuing checks the completion signature, takes
//! the outcome from the signed body (never from a column) and adds a second signature. For now a
//! report is issued as soon as it is completed; the step is separate so that a reviewer's
//! approval can become the act of issuing.
//!
//! Every read checks the lot: the body opens only at its own job and version, its digest is the
//! stored one, the signatures hold, and the plain `outcome` columns (of the report and of its
//! job) say what the body says. Anything else is refused, and the refusal audited.

use serde::{Deserialize, Serialize};

use hedui_core::job::JobState;
use hedui_core::{JobId, ReportId};
use hedui_crypto::{encode_hex, sm3};
use hedui_identity::{period, place};
use hedui_store::{AuditOutcome, CaseloadEntry, NewReport, ReportRow, ReportState};

use crate::reports::Report;
use crate::reports::sign::ReportSigner;
use crate::{App, AppError, AppResult, Caller};

/// What the stored signatures of one report version say, as report files carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Seal {
    pub report: String,
    pub version: i64,
    pub job: i64,
    pub household: String,
    pub outcome: String,
    pub body_sm3: String,
    /// The SM3 of the body as the store keeps it (deflated), signed with the body's digest by
    /// reports completed since it was kept; empty for earlier ones. A reading checks the stored
    /// bytes against it; a file's reader checks the JSON against `body_sm3`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub packed_sm3: String,
    pub completed_sig: String,
    pub issued_sig: String,
    pub issued_at: String,
    /// Issued before reports were signed in the store, and signed by the migration.
    #[serde(default)]
    pub signed_in_migration: bool,
    /// The approval an 审核员 issued it with (none: issued without review).
    #[serde(default)]
    pub approval: Option<hedui_store::Approval>,
}

impl Seal {
    /// The seal of a report whose body has digest `body_sm3`, not yet signed.
    pub fn of(report: &Report, body_sm3: String) -> Seal {
        Seal {
            report: report.number.clone(),
            version: report.version,
            job: report.job.0,
            household: report.household.number.clone(),
            outcome: report.assessment.outcome.code().to_string(),
            body_sm3,
            packed_sm3: String::new(),
            completed_sig: String::new(),
            issued_sig: String::new(),
            issued_at: String::new(),
            signed_in_migration: false,
            approval: None,
        }
    }

    /// What the completion signature covers.
    pub fn completed_statement(&self) -> String {
        completed_statement(
            &self.report,
            self.version,
            self.job,
            &self.household,
            &self.outcome,
            &self.body_sm3,
            &self.packed_sm3,
        )
    }
}

/// The statement the completion signature covers; `packed_sm3` (the stored body's digest) is
/// a line of its own when the report has one.
pub fn completed_statement(
    report: &str,
    version: i64,
    job: i64,
    household: &str,
    outcome: &str,
    body_sm3: &str,
    packed_sm3: &str,
) -> String {
    let mut s = format!(
        "hedui-report-completed\nreport={report}\nversion={version}\njob={job}\nhousehold={household}\n\
         outcome={outcome}\nbody_sm3={body_sm3}\n"
    );
    if !packed_sm3.is_empty() {
        s.push_str(&format!("packed_sm3={packed_sm3}\n"));
    }
    s
}

/// The statement the issue signature covers: the completed one, its signature and the time, and
/// with an approval the verifier, the reviewer, the issuing organization and the reviewer's own
/// signature.
pub fn issued_statement(seal: &Seal) -> String {
    let mut s = format!(
        "hedui-report-issued\n{}completed_sig={}\nissued_at={}\n",
        seal.completed_statement(),
        seal.completed_sig,
        seal.issued_at
    );
    if let Some(a) = &seal.approval {
        s.push_str(&format!(
            "verifier={}\nverifier_name={}\nreviewer={}\nreviewer_name={}\norganization={}\nreviewer_key={}\n\
             reviewer_sig={}\n",
            a.verifier, a.verifier_name, a.reviewer, a.reviewer_name, a.organization, a.reviewer_key, a.reviewer_sig
        ));
    }
    s
}

/// What an 审核员 signs with their own key to approve a completed report: the completed
/// statement, its signature, who verified it, the reviewer and the organization issuing it. It
/// holds no time, so the page can show it before the reviewer's UKey signs it.
pub fn approval_statement(seal: &Seal, verifier: &str, reviewer: &str, organization: &str) -> String {
    format!(
        "hedui-report-approval\n{}completed_sig={}\nverifier={verifier}\nreviewer={reviewer}\n\
         organization={organization}\n",
        seal.completed_statement(),
        seal.completed_sig
    )
}

/// What starts a deflated report body. A stored body is the report's JSON (which starts with
/// `{`; reports completed before bodies were deflated), or this marker and the JSON deflated.
/// The digest and the signatures are always over the JSON itself, so a body reads and verifies
/// the same either way.
const DEFLATED: &[u8] = b"\0deflate\n";

/// No report body comes near this; a larger one is refused rather than inflated.
const MAX_BODY: u64 = 64 << 20;

/// A report's JSON as it is sealed: deflated (a body's decision trace repeats itself, so it
/// shrinks about sixfold, and sealing, hashing the ciphertext's tag and writing it cost less).
fn pack(json: &[u8]) -> AppResult<Vec<u8>> {
    use std::io::Write;
    let mut out = DEFLATED.to_vec();
    let mut z = flate2::write::DeflateEncoder::new(&mut out, flate2::Compression::fast());
    z.write_all(json).map_err(|e| AppError::Internal(format!("deflating a report body: {e}")))?;
    z.finish().map_err(|e| AppError::Internal(format!("deflating a report body: {e}")))?;
    Ok(out)
}

/// The report's JSON from an opened body, deflated or not.
fn unpack(opened: Vec<u8>) -> AppResult<Vec<u8>> {
    use std::io::Read;
    let Some(deflated) = opened.strip_prefix(DEFLATED) else { return Ok(opened) };
    let mut json = Vec::with_capacity(deflated.len() * 6);
    flate2::read::DeflateDecoder::new(deflated)
        .take(MAX_BODY)
        .read_to_end(&mut json)
        .map_err(|e| AppError::Internal(format!("inflating a report body: {e}")))?;
    Ok(json)
}

impl App {
    /// Seals, signs and stores a computed report (completed), then issues it; when the node
    /// requires review and a person verified it, it waits for an 审核员 instead (`Completed`).
    pub(crate) fn complete_and_issue(&self, actor: &Caller, from: JobState, report: &Report) -> AppResult<()> {
        let review = self.review && matches!(actor.principal, crate::Principal::User(_));
        let body = serde_json::to_vec(report).map_err(|e| AppError::Internal(e.to_string()))?;
        let body_sm3 = encode_hex(&sm3(&body));
        let at = place::report_body(report.job, report.version);
        let packed = pack(&body)?;
        let sealed = self.identity.seal(&at, period(report.as_of), &packed)?;
        let outcome = report.assessment.outcome;
        let mut seal = Seal::of(report, body_sm3.clone());
        seal.packed_sm3 = encode_hex(&sm3(&packed));
        let statement = seal.completed_statement();
        seal.completed_sig = self.signer.sign_statement(statement.as_bytes()).map_err(AppError::Internal)?;
        let audit = self.audit_entry(
            actor,
            "report.complete",
            &format!("job:{}", report.job),
            AuditOutcome::Ok,
            format!(
                "报告 {}：{}（已签名，{}）",
                report.number,
                outcome.name_zh(),
                if review { "待审核" } else { "待签发" }
            ),
        );
        let stored = NewReport {
            version: report.version,
            outcome,
            body_enc: sealed,
            body_sm3,
            packed_sm3: seal.packed_sm3.clone(),
            completed_sig: seal.completed_sig.clone(),
            caseload: Some(self.caseload_entry(report)?),
            review,
        };
        let id = self.store.complete_report(report.job, from, &stored, self.now(), &audit)?;
        if review {
            return Ok(());
        }
        // The completion signature was made just now over the statement in hand, so it is issued
        // without reading the body back; a report completed earlier (`issue`) is read back and
        // both its digest and its completion signature are checked first, and every read checks
        // both signatures.
        self.issue_sealed(actor, id, report, seal)
    }

    /// Issues a completed report whose body and completion seal have been checked (with the
    /// approval the seal carries, if any).
    pub(crate) fn issue_sealed(
        &self,
        actor: &Caller,
        report_id: ReportId,
        report: &Report,
        mut seal: Seal,
    ) -> AppResult<()> {
        let issued_at = self.now();
        seal.issued_at = issued_at.to_string();
        seal.issued_sig = self.signer.sign_statement(issued_statement(&seal).as_bytes()).map_err(AppError::Internal)?;
        let by = seal
            .approval
            .as_ref()
            .map(|a| format!("；审核员 {}（{}）审核签发，个人 SM2 签名已验证", a.reviewer_name, a.reviewer));
        let audit = self.audit_entry(
            actor,
            "report.issue",
            &format!("job:{}", report.job),
            AuditOutcome::Ok,
            format!("报告 {}：{}{}", report.number, report.assessment.outcome.name_zh(), by.unwrap_or_default()),
        );
        let approval = seal.approval.as_ref();
        self.store.issue_report(report_id, report.assessment.outcome, &seal.issued_sig, issued_at, approval, &audit)?;
        Ok(())
    }

    /// Issues a completed report: checks its completion signature, takes the outcome from its
    /// signed body and signs it a second time.
    pub fn issue(&self, actor: &Caller, job: JobId, report_id: ReportId) -> AppResult<()> {
        let row = self
            .store
            .reports(job)?
            .into_iter()
            .find(|r| r.id == report_id)
            .ok_or_else(|| AppError::NotFound(format!("核对任务 {job} 没有编号为 {report_id} 的报告")))?;
        if row.state != ReportState::Completed {
            return Err(AppError::InvalidState(format!("核对任务 {job} 第 {} 版报告已签发", row.version)));
        }
        let (report, seal) = self.checked(actor, &row)?;
        self.issue_sealed(actor, row.id, &report, seal)
    }

    /// A stored report version, opened and checked; a report that fails any check is refused
    /// and the refusal audited.
    pub(crate) fn open_report(&self, actor: &Caller, row: &ReportRow) -> AppResult<Report> {
        let latest = self.store.reports(row.job)?.last().map(|r| r.id);
        let job = self.store.job(row.job)?;
        self.open_report_in(actor, row, latest, job.as_ref())
    }

    /// [`App::open_report`] with the job's latest report version and its row already read: the
    /// latest version's outcome must be the job's outcome column.
    pub(crate) fn open_report_in(
        &self,
        actor: &Caller,
        row: &ReportRow,
        latest: Option<hedui_core::ReportId>,
        job: Option<&hedui_store::JobRow>,
    ) -> AppResult<Report> {
        let (mut report, seal) = self.checked(actor, row)?;
        if row.state != ReportState::Issued {
            return Err(AppError::InvalidState(format!("核对任务 {} 第 {} 版报告尚未签发", row.job, row.version)));
        }
        if let Some(job) = job
            && latest == Some(row.id)
            && job.outcome != Some(report.assessment.outcome)
        {
            return self.refuse(actor, row, "核对任务的结论列与已签名的报告不一致");
        }
        report.seal = Some(seal);
        Ok(report)
    }

    /// Opens a row and checks its body, digest, columns and signatures.
    pub(crate) fn checked(&self, actor: &Caller, row: &ReportRow) -> AppResult<(Report, Seal)> {
        let (report, seal) = self.opened(actor, row)?;
        // An issued report: the issue signature covers the completed statement and the completion
        // signature byte for byte (checked when it was issued), so it alone vouches for both; a
        // changed completion signature breaks it as surely as a changed body.
        if row.state == ReportState::Issued {
            if !self.signer.verify_statement(issued_statement(&seal).as_bytes(), &row.issued_sig) {
                return self.refuse(actor, row, "报告的签发签名无效");
            }
        } else if !self.signer.verify_statement(seal.completed_statement().as_bytes(), &row.completed_sig) {
            return self.refuse(actor, row, "报告的完成签名无效");
        }
        Ok((report, seal))
    }

    /// Signs again, with the active key, every stored report seal `public_key` signed (a revoked
    /// key), after checking each body as a reading does. Returns how many reports were signed.
    pub fn resign_reports_by(&self, actor: &Caller, public_key: &str) -> AppResult<usize> {
        let by = |statement: &str, sig: &str| ReportSigner::verify_by(public_key, statement.as_bytes(), sig);
        let sign = |statement: &str| self.signer.sign_statement(statement.as_bytes()).map_err(AppError::Internal);
        let (mut offset, mut signed) = (0, 0);
        loop {
            let filter = hedui_store::JobFilter { limit: 500, offset, ..Default::default() };
            let jobs = self.store.jobs(&filter)?;
            let mut batch = Vec::new();
            for j in &jobs {
                for row in self.store.reports(j.id)? {
                    let (_, mut seal) = self.opened(actor, &row)?;
                    let issued = row.state == ReportState::Issued;
                    let completed_by = by(&seal.completed_statement(), &row.completed_sig);
                    let issued_by = issued && by(&issued_statement(&seal), &row.issued_sig);
                    if !(completed_by || issued_by) {
                        continue;
                    }
                    if completed_by {
                        seal.completed_sig = sign(&seal.completed_statement())?;
                    }
                    // The issue signature covers the completion signature: signed again with it.
                    let issued_sig = if issued { Some(sign(&issued_statement(&seal))?) } else { None };
                    batch.push((row.id, seal.completed_sig.clone(), issued_sig));
                }
            }
            if !batch.is_empty() {
                signed += batch.len();
                let audit = self.audit_entry(
                    actor,
                    "key.resign",
                    "reports",
                    AuditOutcome::Ok,
                    format!("以现用签名密钥重新签署 {} 份报告（原签名密钥已吊销）", batch.len()),
                );
                self.store.resign_reports(&batch, &audit)?;
            }
            if (jobs.len() as i64) < filter.limit {
                return Ok(signed);
            }
            offset += filter.limit;
        }
    }

    /// Opens a row and checks its body, digest and columns (not its signatures): the report and
    /// its seal as the row holds it.
    fn opened(&self, actor: &Caller, row: &ReportRow) -> AppResult<(Report, Seal)> {
        let stored = match self.identity.open(&place::report_body(row.job, row.version), &row.body_enc) {
            Ok(b) => b,
            Err(e @ hedui_crypto::CryptoError::Misplaced { .. }) => return self.refuse(actor, row, &e.to_string()),
            Err(e) => return Err(e.into()),
        };
        // The digest the signatures cover: of the stored bytes when the report keeps one (the
        // JSON is what they inflate to), else of the JSON itself.
        let packed = !row.packed_sm3.is_empty();
        if packed && encode_hex(&sm3(&stored)) != row.packed_sm3 {
            return self.refuse(actor, row, "报告正文（压缩存储）的 SM3 摘要与存储的摘要不一致");
        }
        let body = unpack(stored)?;
        if !packed && encode_hex(&sm3(&body)) != row.body_sm3 {
            return self.refuse(actor, row, "报告正文的 SM3 摘要与存储的摘要不一致");
        }
        let body_sm3 = row.body_sm3.clone();
        let report: Report = serde_json::from_slice(&body).map_err(|e| AppError::Internal(e.to_string()))?;
        if report.job != row.job || report.version != row.version {
            return self.refuse(actor, row, "报告正文属于另一个核对任务或版本");
        }
        if report.assessment.outcome != row.outcome {
            return self.refuse(actor, row, "报告的结论列与已签名的报告正文不一致");
        }
        let mut seal = Seal::of(&report, body_sm3);
        seal.packed_sm3 = row.packed_sm3.clone();
        seal.completed_sig = row.completed_sig.clone();
        seal.issued_sig = row.issued_sig.clone();
        seal.issued_at = row.issued_at.map(|t| t.to_string()).unwrap_or_default();
        seal.signed_in_migration = row.signed_in_migration;
        seal.approval = row.approval.clone();
        Ok((report, seal))
    }

    fn refuse<T>(&self, actor: &Caller, row: &ReportRow, why: &str) -> AppResult<T> {
        let msg = format!("核对任务 {} 第 {} 版报告（report 行 {}）被拒绝：{why}", row.job, row.version, row.id);
        self.audit(actor, "report.tampered", &format!("job:{}", row.job), AuditOutcome::Denied, msg.clone())?;
        tracing::error!(job = row.job.0, version = row.version, "{msg}");
        Err(AppError::Tampered(msg))
    }
}

impl App {
    /// What a report adds to the caseload: its inputs in compact form, sealed for the report. A
    /// report that kept no inputs (one of the first release) adds an empty value, so a simulation
    /// names the household instead of leaving it out.
    pub(crate) fn caseload_entry(&self, report: &Report) -> AppResult<CaseloadEntry> {
        let inputs_enc = match &report.assessment.inputs {
            Some(snapshot) => {
                let compact = hedui_rules::compact::encode(&snapshot.inputs());
                let at = place::caseload_inputs(report.job, report.version);
                self.identity.seal(&at, period(report.as_of), &compact)?
            }
            None => hedui_core::Sealed::default(),
        };
        Ok(CaseloadEntry {
            household_number: report.household.number.clone(),
            region: report.household.region.clone(),
            programme: report.commission.programme.clone(),
            as_of: report.as_of,
            inputs_enc,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{pack, unpack};

    #[test]
    fn bodies_round_trip_deflated_and_plain_bodies_still_open() {
        let json = br#"{"number":"HD-1","steps":["same","same","same","same","same","same"]}"#.repeat(40);
        let packed = pack(&json).unwrap();
        assert!(packed.len() < json.len() / 4, "{} of {}", packed.len(), json.len());
        assert_eq!(unpack(packed).unwrap(), json);
        assert_eq!(unpack(json.clone()).unwrap(), json, "a body stored before deflating opens as it was");
    }
}
