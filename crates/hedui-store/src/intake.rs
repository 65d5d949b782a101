//! What intake in the browser stores besides households and letters: a list of households to
//! search and page, the signed scan of a letter (sealed), and a member's correction (补正).

use hedui_core::programme::Programme;
use hedui_core::{AuthorizationId, BlindIndex, Date, HouseholdId, JobId, PersonId, ReportId, Sealed, Timestamp};

/// Which households a list shows, and which page of them.
#[derive(Clone, Debug, Default)]
pub struct HouseholdFilter {
    /// Region code prefixes, any of which a household's region starts with; none: every region.
    pub regions: Vec<String>,
    /// Part of the household number.
    pub number_contains: Option<String>,
    pub programme: Option<Programme>,
    /// Only these households (from a search by a member's name or ID number).
    pub households: Option<Vec<HouseholdId>>,
    /// Newest first when false (the default), oldest first when true.
    pub oldest_first: bool,
    pub limit: i64,
    pub offset: i64,
}

/// A household as a list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HouseholdSummary {
    pub id: HouseholdId,
    pub number: String,
    pub region: String,
    pub programme: Programme,
    pub applied_on: Date,
    pub members: i64,
    pub supporters: i64,
    /// Letters in force (the household's and its supporters').
    pub active_letters: i64,
    pub created_at: Timestamp,
}

/// The signed scan of a letter, to store.
#[derive(Clone, Debug)]
pub struct NewLetterScan {
    pub authorization: AuthorizationId,
    /// `application/pdf`, `image/jpeg` or `image/png`, from the content itself.
    pub content_type: String,
    pub file_name: String,
    pub size: i64,
    /// SM3 of the plain content, hex.
    pub content_sm3: String,
    pub content_enc: Sealed,
}

/// A stored scan: what a letter's row shows, and its sealed content when asked for.
#[derive(Clone, Debug)]
pub struct LetterScanRow {
    pub authorization: AuthorizationId,
    pub content_type: String,
    pub file_name: String,
    pub size: i64,
    pub content_sm3: String,
    pub created_at: Timestamp,
    /// Present only from [`crate::Store::letter_scan`].
    pub content_enc: Option<Sealed>,
}

/// A member's name or ID number corrected (补正): the new sealed values and what they resolve to.
#[derive(Clone, Debug)]
pub struct MemberCorrection {
    pub seq: u32,
    /// Members or supporters (whose seq is their own).
    pub supporter: bool,
    pub person: Option<PersonId>,
    pub name_enc: Sealed,
    pub name_bidx: BlindIndex,
    pub id_enc: Sealed,
    pub id_note: String,
}

/// A department's 回执 for a report it received: when, and what it decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub report: ReportId,
    pub job: JobId,
    /// The department user who recorded it, and their organization.
    pub received_by: String,
    pub organization: String,
    pub received_on: Date,
    /// The department's decision, by code (`approved`, `refused`, `continued`, `adjusted`,
    /// `stopped`, `other`); empty until it decides.
    pub decision: String,
    pub decided_on: Option<Date>,
    pub created_at: Timestamp,
}

/// A file that comes with an objection, to store.
#[derive(Clone, Debug)]
pub struct NewAttachment {
    pub content_type: String,
    pub file_name: String,
    pub size: i64,
    pub content_sm3: String,
    pub content_enc: Sealed,
}

/// A stored objection file: its number under the job, and its sealed content when asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentRow {
    pub seq: i64,
    pub content_type: String,
    pub file_name: String,
    pub size: i64,
    pub content_sm3: String,
    pub created_at: Timestamp,
    pub content_enc: Option<Sealed>,
}

/// A reminder (催办) sent to a source that has not answered a job's queries by its deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reminder {
    pub job: JobId,
    pub source: String,
    /// Who reminded it (a login).
    pub actor: String,
    pub note: String,
    pub created_at: Timestamp,
}

/// Which same-name candidates of unresolved rows a 核对员 sees: those of members of households in
/// any of `regions` (prefixes; none: every region), one page of them.
#[derive(Clone, Debug, Default)]
pub struct LinkFilter {
    pub regions: Vec<String>,
    /// Only this row's candidates.
    pub record: Option<hedui_core::RecordId>,
    pub limit: i64,
    pub offset: i64,
}

/// An unresolved row and a member with the same name (by blind index) it may belong to.
#[derive(Clone, Debug)]
pub struct LinkCandidate {
    pub record: crate::StoredRecord,
    pub household: HouseholdId,
    pub household_number: String,
    pub region: String,
    pub member_seq: u32,
    pub person: PersonId,
}

/// A 核对员's decision on an unresolved row and a person: the same person (linked) or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkDecision {
    pub record: hedui_core::RecordId,
    pub person: PersonId,
    pub linked: bool,
    pub actor: String,
    pub created_at: Timestamp,
}
