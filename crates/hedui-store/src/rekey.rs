//! What a master-key rotation reads and rewrites: every table that holds sealed values or blind
//! indexes, and the node's key epochs.

use crate::Timestamp;

/// A table a rotation re-seals, row by row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RekeyTable {
    Person,
    Record,
    ImportIssue,
    Household,
    Member,
    Supporter,
    Commission,
    Report,
    Caseload,
    StaffRelative,
    SecondFactor,
    NodeKey,
    KeyEpoch,
    /// Letters' signed scans.
    LetterScan,
    /// Objections' files.
    ObjectionFile,
    /// Audit rows' sealed text (their search index stays in the row's MAC epoch).
    Audit,
}

/// How a table is read and written: its name, the column that orders its rows, the columns that
/// name a row's place (as text), and its sealed and index columns (blobs, in this order).
#[derive(Clone, Copy, Debug)]
pub struct RekeySpec {
    pub table: &'static str,
    pub id: &'static str,
    pub context: &'static [&'static str],
    pub values: &'static [&'static str],
}

impl RekeyTable {
    /// Every table, in the order a rotation takes them (the key epochs' own table last).
    pub const ALL: [RekeyTable; 16] = [
        RekeyTable::Person,
        RekeyTable::Record,
        RekeyTable::ImportIssue,
        RekeyTable::Household,
        RekeyTable::Member,
        RekeyTable::Supporter,
        RekeyTable::Commission,
        RekeyTable::Report,
        RekeyTable::Caseload,
        RekeyTable::StaffRelative,
        RekeyTable::SecondFactor,
        RekeyTable::NodeKey,
        RekeyTable::LetterScan,
        RekeyTable::ObjectionFile,
        RekeyTable::Audit,
        RekeyTable::KeyEpoch,
    ];

    pub fn spec(self) -> RekeySpec {
        const HOUSEHOLD_OF: &str = "(SELECT h.number FROM household h WHERE h.id = household_id)";
        let (table, id, context, values): (_, _, &'static [&'static str], &'static [&'static str]) = match self {
            RekeyTable::Person => ("person", "id", &[], &["id_bidx", "id_enc"]),
            RekeyTable::Record => ("record", "id", &[], &["raw_id_enc", "name_bidx", "detail_enc"]),
            RekeyTable::ImportIssue => {
                ("import_issue", "id", &["CAST(batch_id AS TEXT)", "CAST(line AS TEXT)"], &["raw_enc"])
            }
            RekeyTable::Household => ("household", "id", &["number"], &["address_enc"]),
            RekeyTable::Member => {
                ("member", "id", &[HOUSEHOLD_OF, "CAST(seq AS TEXT)"], &["name_enc", "name_bidx", "id_enc"])
            }
            RekeyTable::Supporter => {
                ("supporter", "id", &[HOUSEHOLD_OF, "CAST(seq AS TEXT)"], &["name_enc", "name_bidx", "id_enc"])
            }
            RekeyTable::Commission => ("commission", "id", &["number"], &["note_enc", "declared_enc"]),
            RekeyTable::Report => ("report", "id", &["CAST(job_id AS TEXT)", "CAST(version AS TEXT)"], &["body_enc"]),
            RekeyTable::Caseload => {
                ("caseload_inputs", "household_id", &["CAST(job_id AS TEXT)", "CAST(version AS TEXT)"], &["inputs_enc"])
            }
            RekeyTable::StaffRelative => ("staff_relative", "id", &["login"], &["id_bidx", "id_enc"]),
            RekeyTable::SecondFactor => ("second_factor", "id", &["CAST(user_id AS TEXT)", "kind"], &["secret_enc"]),
            RekeyTable::NodeKey => ("node_key", "id", &["public_key"], &["secret_enc"]),
            RekeyTable::KeyEpoch => ("key_epoch", "id", &["CAST(epoch AS TEXT)"], &["retained_enc"]),
            RekeyTable::Audit => ("audit", "id", &[], &["search_enc", "note_enc"]),
            RekeyTable::LetterScan => ("letter_scan", "id", &["CAST(authorization_id AS TEXT)"], &["content_enc"]),
            RekeyTable::ObjectionFile => {
                ("objection_file", "id", &["CAST(job_id AS TEXT)", "CAST(seq AS TEXT)"], &["content_enc"])
            }
        };
        RekeySpec { table, id, context, values }
    }

    /// The `meta` key of the table's rotation cursor.
    pub fn cursor_key(self) -> String {
        format!("rekey.{}", self.spec().table)
    }
}

/// One row as a rotation reads it: its id, the text that names its place, and its sealed and
/// index values in the table's order (`None` where a column is empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RekeyRow {
    pub id: i64,
    pub context: Vec<String>,
    pub values: Vec<Option<Vec<u8>>>,
}

/// A master key's epoch as the database records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyEpochRow {
    pub epoch: i64,
    /// The master key's public fingerprint.
    pub fingerprint: String,
    /// `current`, `rotating` (its values are being re-sealed under the next epoch) or `retired`.
    pub state: String,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// A retired epoch's index key, sealed under the current master key.
    pub retained_enc: Option<Vec<u8>>,
}
