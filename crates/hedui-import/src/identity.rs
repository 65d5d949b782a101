//! Identity resolution: ID numbers to blind indexes and sealed values.
//!
//! Every record that enters hedui passes through here. A valid ID number
//! (15-digit numbers upgraded to 18) becomes a [`PersonKey`]: the HMAC-SM3
//! blind index of the normalized number and its SM4 ciphertext. Nothing else
//! in hedui handles raw ID numbers in storage.

use std::sync::Arc;

use hedui_core::id_number::{self, IdNumber};
use hedui_core::name::normalize_name;
use hedui_crypto::{CryptoError, KeyProvider, encode_hex};
use hedui_store::{PersonKey, ROW_DIGEST_LEN};

/// Associated-data labels: a ciphertext only opens in the column it was written for.
pub mod aad {
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

    /// The registry key of a valid ID number.
    pub fn person_key(&self, id: &IdNumber) -> Result<PersonKey, CryptoError> {
        Ok(PersonKey {
            bidx: self.id_index(id).to_vec(),
            id_enc: self.keys.seal(aad::PERSON_ID, id.as_str().as_bytes())?,
        })
    }

    /// The registry key of a valid ID number whose blind index is already known.
    pub fn person_key_indexed(&self, id: &IdNumber, bidx: &[u8; 32]) -> Result<PersonKey, CryptoError> {
        Ok(PersonKey { bidx: bidx.to_vec(), id_enc: self.keys.seal(aad::PERSON_ID, id.as_str().as_bytes())? })
    }

    /// The blind index of a valid ID number.
    pub fn id_index(&self, id: &IdNumber) -> [u8; 32] {
        self.keys.blind_index(IDX_ID, id.as_str().as_bytes())
    }

    /// The blind index of a raw ID string, if it is valid.
    pub fn id_index_raw(&self, raw: &str) -> Option<[u8; 32]> {
        id_number::normalize_for_index(raw).map(|n| self.keys.blind_index(IDX_ID, n.as_bytes()))
    }

    /// The blind index of a name, for finding unresolved records that may belong to a member.
    pub fn name_index(&self, name: &str) -> Vec<u8> {
        self.keys.blind_index(IDX_NAME, normalize_name(name).as_bytes()).to_vec()
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
        encode_hex(&self.keys.blind_index(IDX_KEY, &v)[..16])
    }

    /// The identity of a row within its snapshot: keyed, so that a stored digest cannot be matched
    /// against guessed rows, and truncated to [`ROW_DIGEST_LEN`] bytes.
    pub fn row_digest(&self, row: &[u8]) -> [u8; ROW_DIGEST_LEN] {
        let full = self.keys.blind_index(IDX_ROW, row);
        let mut out = [0u8; ROW_DIGEST_LEN];
        out.copy_from_slice(&full[..ROW_DIGEST_LEN]);
        out
    }

    pub fn seal(&self, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.keys.seal(aad, plain)
    }

    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.keys.open(aad, sealed)
    }

    pub fn open_string(&self, aad: &[u8], sealed: &[u8]) -> Result<String, CryptoError> {
        let b = self.keys.open(aad, sealed)?;
        String::from_utf8(b).map_err(|_| CryptoError::Format)
    }
}
