//! Master-key rotation.
//!
//! A rotation starts when the key file holds a newer epoch than the database records, beside
//! the database's own (see `hedui_crypto::ring`): the audit chain is checkpointed under the old
//! epoch and the new one is recorded; from then on every value is sealed, indexed, peppered and
//! chained under the new epoch. [`App::rotation_run`] then re-seals every row of every sealed
//! table and re-derives its blind indexes, a chunk per transaction with the table's cursor, so a
//! killed run resumes where it stopped. Reads go on meanwhile: values of both epochs open, and
//! lookups try both epochs' indexes. [`App::rotation_finish`] sweeps every table once more, keeps
//! the old epoch's index key sealed under the new master key (for the audit MACs and password
//! verifiers made under it), and marks the epoch retired; the old master key can then leave the
//! key file, and no stored value opens under it any more.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use hedui_core::BatchId;
use hedui_crypto::{CryptoError, Place};
use hedui_identity::place::{self, Owner};
use hedui_store::rekey::{KeyEpochRow, RekeyRow, RekeyTable};
use hedui_store::{AuditOutcome, Store, StoredRecord};

use crate::{App, AppError, AppResult, Caller};

/// The `meta` key of the database's current key epoch (absent: 1).
pub const KEY_EPOCH: &str = "key_epoch";
/// Rows re-sealed per transaction.
const CHUNK: i64 = 500;

/// Rows of a page, each with a record's places (its raw ID's and its detail's).
type Page = Vec<(RekeyRow, Option<(Place, Place)>)>;
/// Batches' columns, by batch, read once.
type Batches = HashMap<BatchId, Vec<String>>;

/// Every sealed value the database holds, opened: how many opened, by the epoch that sealed them,
/// and where one did not open.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SealedCensus {
    /// Values that opened, by key epoch.
    pub opened: BTreeMap<u8, usize>,
    /// Values that did not open: where, and why (the first 20).
    pub failed: Vec<String>,
    pub failed_count: usize,
}

/// What a rotation did, table by table.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Rotation {
    pub from: u8,
    pub to: u8,
    /// Rows re-sealed, by table.
    pub resealed: BTreeMap<String, usize>,
}

impl Rotation {
    pub fn total(&self) -> usize {
        self.resealed.values().sum()
    }
}

impl App {
    /// The key epoch the database records as current.
    pub fn recorded_epoch(&self) -> AppResult<u8> {
        Ok(self.store.meta(KEY_EPOCH)?.and_then(|e| e.parse().ok()).unwrap_or(1))
    }

    /// The epoch a rotation moves from, while one runs.
    pub fn rotating_from(&self) -> AppResult<Option<u8>> {
        Ok(self.store.key_epochs()?.iter().find(|k| k.state == "rotating").and_then(|k| u8::try_from(k.epoch).ok()))
    }

    /// Records the start of a rotation from the database's epoch `from` to the key file's newer
    /// current epoch, after a checkpoint of the audit chain made under `from`.
    pub(crate) fn rotation_begin(&self, from: u8) -> AppResult<()> {
        let keys = self.identity.keys();
        let to = keys.epoch();
        let fp = |e: u8| keys.fingerprint_in(e).ok_or_else(|| AppError::WrongKey(format!("主密钥文件中没有纪元 {e}")));
        // The chain's head under the old epoch, signed before any row is chained under the new.
        self.checkpoint("rotate")?;
        let now = self.now();
        let known = self.store.key_epochs()?;
        let started = known.iter().find(|k| k.epoch == i64::from(from)).map_or(now, |k| k.started_at);
        let rows = [
            KeyEpochRow {
                epoch: from.into(),
                fingerprint: fp(from)?,
                state: "rotating".into(),
                started_at: started,
                finished_at: None,
                retained_enc: None,
            },
            KeyEpochRow {
                epoch: to.into(),
                fingerprint: fp(to)?,
                state: "current".into(),
                started_at: now,
                finished_at: None,
                retained_enc: None,
            },
        ];
        let to_text = to.to_string();
        let fp_to = fp(to)?;
        let zero = "0".to_string();
        let cursors: Vec<String> = RekeyTable::ALL.iter().map(|t| t.cursor_key()).collect();
        let mut meta: Vec<(&str, &str)> =
            vec![(KEY_EPOCH, to_text.as_str()), (super::upgrade::KEY_FINGERPRINT, fp_to.as_str())];
        meta.extend(cursors.iter().map(|c| (c.as_str(), zero.as_str())));
        let why = format!("开始轮换主密钥：纪元 {from}（指纹 {}）→ 纪元 {to}（指纹 {fp_to}）", fp(from)?);
        let audit = self.audit_entry(&Caller::system("key-rotate"), "key.rotate", "master-key", AuditOutcome::Ok, why);
        self.store.put_key_epochs(&rows, &meta, &audit)?;
        Ok(())
    }

    /// Keeps the index keys of retired epochs that the database holds (sealed under the current
    /// key) in the key provider. Returns the epochs kept.
    pub fn load_retained_keys(&self) -> AppResult<Vec<u8>> {
        let keys = self.identity.keys();
        let mut kept = Vec::new();
        for k in self.store.key_epochs()? {
            let (Some(enc), Ok(epoch)) = (&k.retained_enc, u8::try_from(k.epoch)) else { continue };
            if keys.fingerprint_in(epoch).is_some() {
                continue;
            }
            let plain = zeroize::Zeroizing::new(self.identity.open(&place::key_epoch_retained(k.epoch), enc)?);
            let key: [u8; 32] = plain.as_slice().try_into().map_err(|_| AppError::from(CryptoError::Format))?;
            if keys.retain_index_key(epoch, &key) {
                kept.push(epoch);
            }
        }
        Ok(kept)
    }

    /// Re-seals every row still under an older epoch, from each table's cursor. Audit rows'
    /// sealed text is written through `audit_store` (the purge role's store on PostgreSQL).
    /// `progress` hears each table and the rows re-sealed so far.
    pub fn rotation_run(
        &self,
        actor: &Caller,
        audit_store: &dyn Store,
        progress: &mut dyn FnMut(RekeyTable, usize),
    ) -> AppResult<Rotation> {
        let from = self.rotating_from()?.ok_or_else(|| AppError::InvalidState("没有进行中的主密钥轮换".into()))?;
        self.pass(actor, from, audit_store, true, progress)
    }

    /// Sweeps every table once more, keeps the old epoch's index key sealed under the current
    /// key and retires the old epoch. The old master key may then leave the key file.
    pub fn rotation_finish(&self, actor: &Caller, audit_store: &dyn Store) -> AppResult<Rotation> {
        let from = self.rotating_from()?.ok_or_else(|| AppError::InvalidState("没有进行中的主密钥轮换".into()))?;
        let swept = self.pass(actor, from, audit_store, false, &mut |_, _| {})?;
        let keys = self.identity.keys();
        let index_key = keys.index_key(from).ok_or_else(|| {
            AppError::WrongKey(format!(
                "主密钥文件中没有纪元 {from} 的密钥，无法保留其索引密钥：请保留旧密钥直到轮换完成"
            ))
        })?;
        let retained = self.identity.seal(&place::key_epoch_retained(from.into()), 0, index_key.as_slice())?;
        let known = self.store.key_epochs()?;
        let old = known
            .iter()
            .find(|k| k.epoch == i64::from(from))
            .ok_or_else(|| AppError::Internal(format!("key epoch {from} not recorded")))?;
        let row = KeyEpochRow {
            state: "retired".into(),
            finished_at: Some(self.now()),
            retained_enc: Some(retained.as_bytes().to_vec()),
            ..old.clone()
        };
        let why =
            format!("主密钥轮换完成：纪元 {from} 退役，仅保留其索引密钥（已用纪元 {} 的主密钥加密）", keys.epoch());
        let audit = self.audit_entry(actor, "key.rotate", "master-key", AuditOutcome::Ok, why);
        self.store.put_key_epochs(&[row], &[], &audit)?;
        self.checkpoint("rotate")?;
        Ok(swept)
    }

    /// Opens every sealed value of every table with `keys` (this node's after a rotation or a
    /// restore; a retired key's, to show that it opens nothing).
    pub fn sealed_census(&self, keys: &dyn hedui_crypto::KeyProvider) -> AppResult<SealedCensus> {
        let mut out = SealedCensus::default();
        let mut batches = Batches::new();
        for table in RekeyTable::ALL {
            let mut after = 0;
            loop {
                let page = self.read_page(table, after, &mut batches)?;
                let Some((last, _)) = page.last() else { break };
                after = last.id;
                for (row, record) in &page {
                    let places = self.value_places(table, row, record.as_ref())?;
                    for (v, at) in row.values.iter().zip(places) {
                        let (Some(v), Some(at)) = (v, at) else { continue };
                        match keys.open(&at, v) {
                            Ok(_) => *out.opened.entry(hedui_crypto::sealed_epoch(v).unwrap_or(0)).or_default() += 1,
                            Err(e) => {
                                out.failed_count += 1;
                                if out.failed.len() < 20 {
                                    out.failed.push(format!("{} 第 {} 行：{e}", table.spec().table, row.id));
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// One pass over every table: from each cursor (`resume`), or from the start.
    fn pass(
        &self,
        actor: &Caller,
        from: u8,
        audit_store: &dyn Store,
        resume: bool,
        progress: &mut dyn FnMut(RekeyTable, usize),
    ) -> AppResult<Rotation> {
        let mut out = Rotation { from, to: self.identity.keys().epoch(), ..Rotation::default() };
        let mut batches = Batches::new();
        for table in RekeyTable::ALL {
            let mut after = match resume {
                true => self.store.meta(&table.cursor_key())?.and_then(|c| c.parse().ok()).unwrap_or(0),
                false => 0,
            };
            let mut done = 0;
            loop {
                let page = self.read_page(table, after, &mut batches)?;
                let Some((last, _)) = page.last() else { break };
                after = last.id;
                let mut changed = Vec::new();
                for (row, places) in &page {
                    if let Some(r) = self.rekey_row(table, row, places.as_ref())? {
                        changed.push(r);
                    }
                }
                if changed.is_empty() {
                    continue;
                }
                done += changed.len();
                self.write_chunk(actor, table, &changed, audit_store)?;
                progress(table, done);
            }
            out.resealed.insert(table.spec().table.to_string(), done);
        }
        Ok(out)
    }

    fn write_chunk(
        &self,
        actor: &Caller,
        table: RekeyTable,
        rows: &[RekeyRow],
        audit_store: &dyn Store,
    ) -> AppResult<()> {
        let what = format!("{} 行重新加密到纪元 {}", rows.len(), self.identity.keys().epoch());
        let audit = self.audit_entry(
            actor,
            "key.rotate.chunk",
            &format!("table:{}", table.spec().table),
            AuditOutcome::Ok,
            what,
        );
        if table == RekeyTable::Audit {
            audit_store.rekey_audit(rows)?;
            // The cursor and the row that says so, after the rows (a re-run skips rows done).
            let last = rows.last().map_or(0, |r| r.id).to_string();
            self.store.set_meta(&table.cursor_key(), &last, &audit)?;
        } else {
            self.store.rekey_apply(table, rows, &audit)?;
        }
        Ok(())
    }

    /// A page of a table's rows after `after`, with a record's places.
    fn read_page(&self, table: RekeyTable, after: i64, batches: &mut Batches) -> AppResult<Page> {
        match table {
            RekeyTable::Record => self.record_page(after, batches),
            _ => Ok(self.store.rekey_page(table, after, CHUNK)?.into_iter().map(|r| (r, None)).collect()),
        }
    }

    /// A page of records as a rotation reads them, with the names of unresolved rows found in
    /// their detail through their batch's columns.
    fn record_page(&self, after: i64, batches: &mut Batches) -> AppResult<Page> {
        let page = self.store.records_page(after, CHUNK)?;
        let mut out = Vec::with_capacity(page.len());
        for r in &page {
            let name_col = match r.batch {
                Some(b) if r.rec.name_bidx.is_some() => {
                    let cols = match batches.entry(b) {
                        Entry::Occupied(e) => e.into_mut(),
                        Entry::Vacant(v) => v.insert(self.store.batch(b)?.map(|b| b.columns).unwrap_or_default()),
                    };
                    cols.iter().position(|c| c == "姓名").map(|i| i.to_string())
                }
                _ => None,
            };
            let row = RekeyRow {
                id: r.id.0,
                context: vec![name_col.unwrap_or_default()],
                values: vec![
                    r.rec.raw_id_enc.as_ref().map(|s| s.as_bytes().to_vec()),
                    r.rec.name_bidx.map(|b| b.to_vec()),
                    Some(r.rec.detail_enc.as_bytes().to_vec()),
                ],
            };
            out.push((row, Some(record_places(r)?)));
        }
        Ok(out)
    }
}

/// The places of a record's raw ID and detail.
fn record_places(r: &StoredRecord) -> AppResult<(Place, Place)> {
    let owner = match (r.batch, r.job) {
        (Some(b), _) => Owner::Batch(b),
        (None, Some(j)) => Owner::Job(j),
        (None, None) => return Err(AppError::Internal(format!("record {} has neither batch nor job", r.id))),
    };
    Ok((place::record_raw_id(owner, &r.rec), place::record_detail(owner, &r.rec)))
}
