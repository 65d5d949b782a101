//! Identity resolution: ID numbers to blind indexes and sealed values.
//!
//! Every record that enters hedui passes through here. A valid ID number
//! (15-digit numbers upgraded to 18) becomes a [`PersonKey`]: the HMAC-SM3
//! blind index of the normalized number and its SM4 ciphertext. Nothing else
//! in hedui handles raw ID numbers in storage.

use std::sync::Arc;

use hedui_core::id_number::{self, IdNumber};
use hedui_core::name::normalize_name;
use hedui_core::{BlindIndex, Sealed};
use hedui_crypto::{CryptoError, KeyProvider, Place, encode_hex};
use hedui_store::{PersonKey, ROW_DIGEST_LEN};

/// The place of every sealed value: its table, column and row. A ciphertext opens only at the
/// place it was sealed for, so a value copied to another row fails to open, naming the row.
pub mod place {
    use hedui_core::{BatchId, JobId};
    use hedui_crypto::{Place, encode_hex};
    use hedui_store::NewRecord;

    /// The labels the first release sealed each column under, for the migration that re-seals them.
    pub mod legacy {
        pub const PERSON_ID: &[u8] = b"person.id";
        pub const RECORD_RAW_ID: &[u8] = b"record.raw_id";
        pub const RECORD_DETAIL: &[u8] = b"record.detail";
        pub const ISSUE_RAW: &[u8] = b"import_issue.raw";
        pub const MEMBER_NAME: &[u8] = b"member.name";
        pub const MEMBER_ID: &[u8] = b"member.id";
        pub const HOUSEHOLD_ADDRESS: &[u8] = b"household.address";
        pub const COMMISSION_NOTE: &[u8] = b"commission.note";
        pub const COMMISSION_DECLARED: &[u8] = b"commission.declared";
        pub const REPORT_BODY: &[u8] = b"report.body";
    }

    /// A person's sealed ID number, bound to the blind index of the same number.
    pub fn person_id(bidx: &[u8]) -> Place {
        Place::new("person", "id_enc", format!("bidx={}", encode_hex(bidx)))
    }

    /// Who a record belongs with: the batch it was imported in, or the job whose answer it is.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Owner {
        Batch(BatchId),
        Job(JobId),
    }

    /// A record's row: its owner and line, and the values the means test reads from its plain
    /// columns, so that a changed amount, kind or date also stops its detail from opening.
    fn record_row(owner: Owner, r: &NewRecord) -> String {
        use std::fmt::Write;
        // Built into one buffer with the dates' fixed-width forms: every imported row pays for it.
        let mut s = String::with_capacity(96 + r.key.len() + r.code.len() + r.form.len() + r.status.len());
        s.push_str(&r.source);
        let _ = match owner {
            Owner::Batch(b) => write!(s, "/batch={}", b.0),
            Owner::Job(j) => write!(s, "/job={}", j.0),
        };
        let _ = write!(s, "/line={}/{}/{}/", r.line, r.category.code(), r.as_of.iso().as_str());
        if let Some((a, b)) = r.period {
            s.push_str(a.iso().as_str());
            s.push_str("..");
            s.push_str(b.iso().as_str());
        }
        s.push('/');
        if let Some(d) = r.on {
            s.push_str(d.iso().as_str());
        }
        let _ = write!(s, "/{}/{}/{}/{}/{}", r.amount.0, r.quantity, r.key, r.code, r.status);
        // A form is part of the place where there is one (rows stored before forms keep theirs).
        if !r.form.is_empty() {
            let _ = write!(s, "/form={}", r.form);
        }
        s
    }

    pub fn record_detail(owner: Owner, r: &NewRecord) -> Place {
        Place::new("record", "detail_enc", record_row(owner, r))
    }

    pub fn record_raw_id(owner: Owner, r: &NewRecord) -> Place {
        Place::new("record", "raw_id_enc", record_row(owner, r))
    }

    pub fn issue_raw(batch: BatchId, line: i64) -> Place {
        Place::new("import_issue", "raw_enc", format!("batch={batch}/line={line}"))
    }

    pub fn member_name(household: &str, seq: u32) -> Place {
        Place::new("member", "name_enc", format!("household={household}/member={seq}"))
    }

    pub fn member_id(household: &str, seq: u32) -> Place {
        Place::new("member", "id_enc", format!("household={household}/member={seq}"))
    }

    pub fn supporter_name(household: &str, seq: u32) -> Place {
        Place::new("supporter", "name_enc", format!("household={household}/supporter={seq}"))
    }

    pub fn supporter_id(household: &str, seq: u32) -> Place {
        Place::new("supporter", "id_enc", format!("household={household}/supporter={seq}"))
    }

    pub fn household_address(household: &str) -> Place {
        Place::new("household", "address_enc", format!("household={household}"))
    }

    pub fn commission_note(commission: &str) -> Place {
        Place::new("commission", "note_enc", format!("commission={commission}"))
    }

    pub fn commission_declared(commission: &str) -> Place {
        Place::new("commission", "declared_enc", format!("commission={commission}"))
    }

    pub fn report_body(job: JobId, version: i64) -> Place {
        Place::new("report", "body_enc", format!("job={job}/version={version}"))
    }

    /// The ID number of a relative a member of staff recorded, bound to them and to its index.
    pub fn staff_relative_id(login: &str, bidx: &[u8]) -> Place {
        Place::new("staff_relative", "id_enc", format!("login={login}/bidx={}", encode_hex(bidx)))
    }

    /// A user's TOTP secret, bound to the user.
    pub fn totp_secret(user: i64) -> Place {
        Place::new("second_factor", "secret_enc", format!("user={user}/kind=totp"))
    }

    /// Free text a user wrote, kept with an audit row (the row's MAC binds it there).
    pub fn audit_note() -> Place {
        Place::new("audit", "note_enc", "free-text")
    }

    /// A searched ID number or name, kept with an audit row.
    pub fn audit_search() -> Place {
        Place::new("audit", "search_enc", "search-term")
    }

    /// The private half of one of the node's signing keys, bound to its public half.
    pub fn node_key_secret(public_key: &str) -> Place {
        Place::new("node_key", "secret_enc", format!("public={public_key}"))
    }

    /// A retired key epoch's index key, sealed under the current master key.
    pub fn key_epoch_retained(epoch: i64) -> Place {
        Place::new("key_epoch", "retained_enc", format!("epoch={epoch}"))
    }

    /// A user's GM/T 0021 token seed, bound to the user.
    pub fn token_seed(user: i64) -> Place {
        Place::new("second_factor", "secret_enc", format!("user={user}/kind=sm3otp"))
    }

    /// The signed scan of an authorization letter, bound to its letter.
    pub fn letter_scan(authorization: i64) -> Place {
        Place::new("letter_scan", "content_enc", format!("authorization={authorization}"))
    }

    /// A file of a job's objection, bound to its job and number.
    pub fn objection_file(job: JobId, seq: i64) -> Place {
        Place::new("objection_file", "content_enc", format!("job={job}/seq={seq}"))
    }

    /// A report's compact inputs in the caseload, bound to the report they came from.
    pub fn caseload_inputs(job: JobId, version: i64) -> Place {
        Place::new("caseload_inputs", "inputs_enc", format!("job={job}/version={version}"))
    }
}

/// The key period of a value sealed for a day: its month, `YYYYMM`. Values of one table and
/// column sealed in one month share a key; the next month has its own.
pub fn period(d: hedui_core::Date) -> u32 {
    u32::from(d.year()) * 100 + u32::from(d.month())
}

/// Blind-index domains.
const IDX_ID: &[u8] = b"id";
const IDX_NAME: &[u8] = b"name";
const IDX_KEY: &[u8] = b"item-key";
const IDX_ROW: &[u8] = b"row";

/// Keyed identity operations over a [`KeyProvider`].
#[derive(Clone)]
pub struct Identity {
    keys: Arc<dyn KeyProvider>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Identity")
    }
}

impl Identity {
    pub fn new(keys: Arc<dyn KeyProvider>) -> Identity {
        Identity { keys }
    }

    pub fn keys(&self) -> &dyn KeyProvider {
        self.keys.as_ref()
    }

    /// The registry key of a valid ID number, sealed in period `period`.
    pub fn person_key(&self, id: &IdNumber, period: u32) -> Result<PersonKey, CryptoError> {
        self.person_key_indexed(id, &self.id_index(id), period)
    }

    /// The registry key of a valid ID number whose blind index is already known.
    pub fn person_key_indexed(&self, id: &IdNumber, bidx: &BlindIndex, period: u32) -> Result<PersonKey, CryptoError> {
        let previous = self.previous_id_index(id);
        Ok(PersonKey {
            bidx: *bidx,
            id_enc: self.seal(&place::person_id(bidx), period, id.as_str().as_bytes())?,
            previous,
        })
    }

    /// While a key rotation runs, the index of `id` under the epoch it moves from.
    pub fn previous_id_index(&self, id: &IdNumber) -> Option<BlindIndex> {
        let epochs = self.keys.index_epochs();
        let from = *epochs.get(1)?;
        self.keys.blind_index_in(from, IDX_ID, id.as_str().as_bytes()).map(BlindIndex::from_digest)
    }

    /// The indexes of `id` under every epoch lookups must try: the current one first, and while
    /// a rotation runs the one it moves from.
    pub fn id_indexes(&self, id: &IdNumber) -> Vec<BlindIndex> {
        self.indexes_of(IDX_ID, id.as_str().as_bytes())
    }

    /// The indexes of a name under every epoch lookups must try (see [`Identity::id_indexes`]).
    pub fn name_indexes(&self, name: &str) -> Vec<BlindIndex> {
        self.indexes_of(IDX_NAME, normalize_name(name).as_bytes())
    }

    fn indexes_of(&self, domain: &[u8], value: &[u8]) -> Vec<BlindIndex> {
        let epochs = self.keys.index_epochs();
        epochs.iter().filter_map(|e| self.keys.blind_index_in(*e, domain, value)).map(BlindIndex::from_digest).collect()
    }

    /// Whether a key rotation is re-deriving blind indexes (lookups then try two epochs).
    pub fn rotating(&self) -> bool {
        self.keys.index_epochs().len() > 1
    }

    /// The blind index of a valid ID number.
    pub fn id_index(&self, id: &IdNumber) -> BlindIndex {
        BlindIndex::from_digest(self.keys.blind_index(IDX_ID, id.as_str().as_bytes()))
    }

    /// The blind index of a raw ID string, if it is valid.
    pub fn id_index_raw(&self, raw: &str) -> Option<BlindIndex> {
        id_number::normalize_for_index(raw)
            .map(|n| BlindIndex::from_digest(self.keys.blind_index(IDX_ID, n.as_bytes())))
    }

    /// The blind index of an ID number's text as sealed (already normalized).
    pub fn id_text_index(&self, id: &str) -> BlindIndex {
        BlindIndex::from_digest(self.keys.blind_index(IDX_ID, id.as_bytes()))
    }

    /// The blind index of a name, for finding unresolved records that may belong to a member.
    pub fn name_index(&self, name: &str) -> BlindIndex {
        BlindIndex::from_digest(self.keys.blind_index(IDX_NAME, normalize_name(name).as_bytes()))
    }

    /// A keyed, non-reversible key for counting distinct items (titles, plates, accounts) per source.
    pub fn item_key(&self, source: &str, value: &str) -> String {
        if value.is_empty() {
            return String::new();
        }
        let mut v = Vec::with_capacity(source.len() + 1 + value.len());
        v.extend_from_slice(source.as_bytes());
        v.push(0);
        v.extend_from_slice(value.trim().as_bytes());
        encode_hex(&self.keys.stable_index(IDX_KEY, &v)[..16])
    }

    /// The identity of a row within its snapshot: keyed, so that a stored digest cannot be matched
    /// against guessed rows, and truncated to [`ROW_DIGEST_LEN`] bytes.
    pub fn row_digest(&self, row: &[u8]) -> [u8; ROW_DIGEST_LEN] {
        let full = self.keys.stable_index(IDX_ROW, row);
        let mut out = [0u8; ROW_DIGEST_LEN];
        out.copy_from_slice(&full[..ROW_DIGEST_LEN]);
        out
    }

    /// Seals `plain` for `place` under the key of `period` (see [`period`]).
    pub fn seal(&self, place: &Place, period: u32, plain: &[u8]) -> Result<Sealed, CryptoError> {
        self.keys.seal(place, period, plain).map(Sealed::from_ciphertext)
    }

    /// Opens a value sealed for `place`; a value from any other place is refused, naming this one.
    pub fn open(&self, place: &Place, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.keys.open(place, sealed)
    }

    pub fn open_string(&self, place: &Place, sealed: &[u8]) -> Result<String, CryptoError> {
        let b = self.keys.open(place, sealed)?;
        String::from_utf8(b).map_err(|_| CryptoError::Format)
    }
}
