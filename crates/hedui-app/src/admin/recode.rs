//! The one-time migration that gives records stored before data categories their category and
//! codes.
//!
//! Earlier releases kept a record's kind (`wage_income`, `hukou` …) and its category and status
//! as the source wrote them (住宅, 营运, 存续 …). This release keeps the catalog's category and
//! codes, and binds a record's sealed values to them. A department's row is mapped again from its
//! own sealed values with the mappings in use, exactly as an import would map it now (its key
//! hashed in its namespace where the mapping shares one, as a credit code is); an
//! institution's answer has its category from its old kind and its fields renamed as the
//! protocol names them. The sealed values are re-sealed for the row's new place in the same
//! transaction. A record whose values already are what the mapping gives is left alone, so an
//! interrupted run continues where it stopped.

use std::collections::HashMap;

use hedui_core::BatchId;
use hedui_core::catalog::{Category, known};
use hedui_identity::period;
use hedui_identity::place::{self, Owner};
use hedui_import::mapping::Cols;
use hedui_store::{AuditOutcome, NewRecord, Reseal, SealedSlot, StoredRecord};

use crate::{App, AppError, AppResult, Caller};

/// The `meta` key set once every record carries a category and codes.
pub const RECORD_CODES: &str = "record_codes";
const CHUNK: usize = 1000;

/// The category of each kind of the earlier releases.
const KINDS: [(&str, Category); 17] = [
    ("hukou", known::HOUSEHOLD_REGISTER),
    ("death", known::DEATH_RECORD),
    ("pension", known::PENSION),
    ("unemployment", known::UNEMPLOYMENT_BENEFIT),
    ("contribution_base", known::SOCIAL_INSURANCE),
    ("real_estate", known::REAL_ESTATE),
    ("vehicle", known::VEHICLE),
    ("business", known::BUSINESS_ENTITY),
    ("provident_fund", known::HOUSING_FUND),
    ("wage_income", known::TAX_INCOME),
    ("business_income", known::TAX_INCOME),
    ("labour_income", known::TAX_INCOME),
    ("disability", known::DISABILITY),
    ("assistance", known::ASSISTANCE_ROLL),
    ("deposit", known::DEPOSIT),
    ("financial_product", known::WEALTH_MANAGEMENT),
    ("movement", known::MOVEMENT),
];

/// The protocol's name of each field an earlier release wrote into an answer's detail.
const ANSWER_FIELDS: [(&str, &str); 10] = [
    ("账号", "key"),
    ("产品名称", "key"),
    ("账户类型", "label"),
    ("产品类型", "label"),
    ("摘要", "label"),
    ("余额", "amount"),
    ("估值", "amount"),
    ("金额", "amount"),
    ("估值日期", "on"),
    ("交易日期", "on"),
];

impl App {
    /// Gives every record stored by an earlier release its category and codes, once. Returns how
    /// many records changed.
    pub fn recode_records(&self) -> AppResult<usize> {
        if self.store.meta(RECORD_CODES)?.as_deref() == Some("1") {
            return Ok(0);
        }
        let columns: HashMap<BatchId, Vec<String>> =
            self.store.batches()?.into_iter().map(|b| (b.id, b.columns)).collect();
        let mut pending: Vec<Reseal> = Vec::new();
        let (mut changed, mut after) = (0, 0);
        loop {
            let page = self.store.records_page(after, CHUNK as i64)?;
            let Some(last) = page.last() else { break };
            after = last.id.0;
            for r in &page {
                if let Some(changes) = self.recode(r, &columns)? {
                    pending.extend(changes);
                    changed += 1;
                }
            }
            self.flush_recoded(&mut pending, changed)?;
        }
        let actor = Caller::system("migration");
        let audit = self.audit_entry(
            &actor,
            "record.recode",
            "database",
            AuditOutcome::Ok,
            format!("{changed} 条记录已按数据类别和代码表重新编码"),
        );
        self.store.set_meta(RECORD_CODES, "1", &audit)?;
        Ok(changed)
    }

    fn flush_recoded(&self, pending: &mut Vec<Reseal>, changed: usize) -> AppResult<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let actor = Caller::system("migration");
        let audit =
            self.audit_entry(&actor, "record.recode", "database", AuditOutcome::Ok, format!("已重新编码 {changed} 条"));
        self.store.reseal(pending, &audit)?;
        pending.clear();
        Ok(())
    }

    /// The changes that give one record its category and codes, or `None` when it has them.
    fn recode(&self, r: &StoredRecord, columns: &HashMap<BatchId, Vec<String>>) -> AppResult<Option<Vec<Reseal>>> {
        let owner = crate::record_owner(r)?;
        let at = place::record_detail(owner, &r.rec);
        let plain = self.identity.open(&at, &r.rec.detail_enc)?;
        let legacy = KINDS.iter().find(|(k, _)| *k == r.rec.category.code()).map(|(_, c)| c.clone());
        let mut rec = r.rec.clone();
        let mut detail = plain.clone();
        match owner {
            Owner::Batch(b) => {
                let cols = columns.get(&b).map(Vec::as_slice).unwrap_or_default();
                let values: Vec<String> = serde_json::from_slice(&plain).unwrap_or_default();
                let refs: Vec<&str> = values.iter().map(String::as_str).collect();
                let spec = self.mappings.spec(&r.rec.source);
                let mapped = spec.map(|s| (s.key_space(), s.map(&Cols { headers: cols, values: &refs })));
                match mapped {
                    Some((space, Ok(m))) => {
                        // A key shared across sources (a credit code) is hashed in its namespace.
                        rec.obs.key = self.identity.item_key(space, &m.key);
                        rec.obs.category = m.category;
                        rec.obs.code = m.code;
                        rec.obs.form = m.form;
                        rec.obs.status = m.status;
                    }
                    // A row the mapping in use no longer accepts keeps its words, under its category.
                    _ => rec.obs.category = legacy.unwrap_or(rec.obs.category),
                }
            }
            Owner::Job(_) => {
                let Some(category) = legacy else { return Ok(None) };
                let pairs: Vec<(String, String)> = serde_json::from_slice(&plain).unwrap_or_default();
                let renamed: Vec<(String, String)> = pairs
                    .into_iter()
                    .map(|(k, v)| {
                        let name =
                            ANSWER_FIELDS.iter().find(|(old, _)| *old == k).map_or(k, |(_, new)| new.to_string());
                        (name, v)
                    })
                    .collect();
                rec.obs.category = if category == known::WEALTH_MANAGEMENT {
                    hedui_connect::product_category(&rec.obs.code)
                } else {
                    category
                };
                rec.obs.code = String::new();
                rec.obs.status = String::new();
                detail = serde_json::to_vec(&renamed).map_err(|e| AppError::Internal(e.to_string()))?;
            }
        }
        if rec.obs == r.rec.obs {
            return Ok(None);
        }
        Ok(Some(self.resealed(r, owner, &rec, &detail)?))
    }

    /// The record's new codes, and its sealed values sealed again for its new place.
    fn resealed(&self, r: &StoredRecord, owner: Owner, rec: &NewRecord, detail: &[u8]) -> AppResult<Vec<Reseal>> {
        let month = period(rec.as_of);
        let mut out = vec![
            Reseal::Recode {
                record: r.id,
                category: rec.category.code().to_string(),
                code: rec.code.clone(),
                form: rec.form.clone(),
                status: rec.status.clone(),
                key: rec.key.clone(),
            },
            Reseal::Value(
                SealedSlot::RecordDetail(r.id),
                self.identity.seal(&place::record_detail(owner, rec), month, detail)?,
            ),
        ];
        if let Some(old) = &r.rec.raw_id_enc {
            let raw = self.identity.open(&place::record_raw_id(owner, &r.rec), old)?;
            let v = self.identity.seal(&place::record_raw_id(owner, rec), month, &raw)?;
            out.push(Reseal::Value(SealedSlot::RecordRawId(r.id), v));
        }
        Ok(out)
    }
}
