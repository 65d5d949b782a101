//! One row of a rotation: its sealed values opened where they were sealed, sealed again under the
//! current epoch (in the same key period), and its blind indexes derived again from the values.

use hedui_crypto::{Place, sealed_epoch, sealed_period};
use hedui_identity::place;
use hedui_store::rekey::{RekeyRow, RekeyTable};
use zeroize::Zeroizing;

use crate::{App, AppError, AppResult};

/// The positions of a table's sealed values among its values (the others are blind indexes).
fn sealed_columns(table: RekeyTable) -> &'static [usize] {
    match table {
        RekeyTable::Person | RekeyTable::StaffRelative => &[1],
        RekeyTable::Record | RekeyTable::Member | RekeyTable::Supporter => &[0, 2],
        RekeyTable::Commission | RekeyTable::Audit => &[0, 1],
        _ => &[0],
    }
}

impl App {
    /// The row with every value under the current epoch, or `None` when it is already.
    /// `record` gives a record's places (raw ID, detail), which its plain columns name.
    pub(super) fn rekey_row(
        &self,
        table: RekeyTable,
        row: &RekeyRow,
        record: Option<&(Place, Place)>,
    ) -> AppResult<Option<RekeyRow>> {
        let epoch = self.identity.keys().epoch();
        let stale =
            |i: &usize| row.values.get(*i).and_then(|v| v.as_deref()).is_some_and(|v| sealed_epoch(v) != Some(epoch));
        if !sealed_columns(table).iter().any(stale) {
            return Ok(None);
        }
        let ctx = |i: usize| row.context.get(i).map(String::as_str).unwrap_or("");
        let num = |i: usize| {
            ctx(i).parse::<i64>().map_err(|_| AppError::Internal(format!("{table:?} {}: {}", row.id, ctx(i))))
        };
        let mut out = row.clone();
        match table {
            RekeyTable::Person | RekeyTable::StaffRelative => {
                let (old_bidx, enc) = (self.value(row, 0)?, self.value(row, 1)?);
                let at = |b: &[u8]| match table {
                    RekeyTable::Person => place::person_id(b),
                    _ => place::staff_relative_id(ctx(0), b),
                };
                let plain = self.open_at(&at(old_bidx), enc)?;
                let id = String::from_utf8(plain.to_vec()).map_err(|_| AppError::Internal("ID 不是文本".into()))?;
                let bidx = self.identity.id_text_index(&id);
                out.values = vec![Some(bidx.to_vec()), Some(self.seal_like(&at(bidx.as_slice()), enc, &plain)?)];
            }
            RekeyTable::Member | RekeyTable::Supporter => {
                let seq = u32::try_from(num(1)?).map_err(|_| AppError::Internal("seq".into()))?;
                let (name_at, id_at) = match table {
                    RekeyTable::Member => (place::member_name(ctx(0), seq), place::member_id(ctx(0), seq)),
                    _ => (place::supporter_name(ctx(0), seq), place::supporter_id(ctx(0), seq)),
                };
                let name_enc = self.value(row, 0)?;
                let name = self.open_at(&name_at, name_enc)?;
                let index = self.identity.name_index(&String::from_utf8_lossy(&name));
                out.values = vec![
                    Some(self.seal_like(&name_at, name_enc, &name)?),
                    Some(index.to_vec()),
                    Some(self.reseal(&id_at, self.value(row, 2)?)?),
                ];
            }
            RekeyTable::Record => {
                let (raw_at, detail_at) = record.ok_or_else(|| AppError::Internal("record places".into()))?;
                let detail_enc = self.value(row, 2)?;
                let detail = self.open_at(detail_at, detail_enc)?;
                let name_index = row.values[1].as_ref().map(|_| {
                    let values: Vec<String> = serde_json::from_slice(&detail).unwrap_or_default();
                    let name = ctx(0).parse::<usize>().ok().and_then(|i| values.get(i).cloned()).unwrap_or_default();
                    self.identity.name_index(&name).to_vec()
                });
                out.values = vec![
                    row.values[0].as_deref().map(|v| self.reseal(raw_at, v)).transpose()?,
                    name_index,
                    Some(self.seal_like(detail_at, detail_enc, &detail)?),
                ];
            }
            _ => {
                let places = self.places_of(table, row)?;
                out.values = row
                    .values
                    .iter()
                    .zip(&places)
                    .map(|(v, at)| v.as_deref().map(|v| self.reseal(at, v)).transpose())
                    .collect::<AppResult<_>>()?;
            }
        }
        Ok(Some(out))
    }

    /// The place of each of a row's values (`None` for a blind index).
    pub(super) fn value_places(
        &self,
        table: RekeyTable,
        row: &RekeyRow,
        record: Option<&(Place, Place)>,
    ) -> AppResult<Vec<Option<Place>>> {
        let ctx = |i: usize| row.context.get(i).map(String::as_str).unwrap_or("");
        let bidx = |i: usize| row.values.get(i).and_then(|v| v.clone()).unwrap_or_default();
        Ok(match table {
            RekeyTable::Person => vec![None, Some(place::person_id(&bidx(0)))],
            RekeyTable::StaffRelative => vec![None, Some(place::staff_relative_id(ctx(0), &bidx(0)))],
            RekeyTable::Member | RekeyTable::Supporter => {
                let seq: u32 = ctx(1).parse().map_err(|_| AppError::Internal(format!("{table:?} seq {}", ctx(1))))?;
                match table {
                    RekeyTable::Member => {
                        vec![Some(place::member_name(ctx(0), seq)), None, Some(place::member_id(ctx(0), seq))]
                    }
                    _ => vec![Some(place::supporter_name(ctx(0), seq)), None, Some(place::supporter_id(ctx(0), seq))],
                }
            }
            RekeyTable::Record => {
                let (raw, detail) = record.ok_or_else(|| AppError::Internal("record places".into()))?;
                vec![Some(raw.clone()), None, Some(detail.clone())]
            }
            _ => self.places_of(table, row)?.into_iter().map(Some).collect(),
        })
    }

    /// The places of the sealed values of a table whose values are all sealed.
    fn places_of(&self, table: RekeyTable, row: &RekeyRow) -> AppResult<Vec<Place>> {
        let ctx = |i: usize| row.context.get(i).map(String::as_str).unwrap_or("");
        let num = |i: usize| {
            ctx(i).parse::<i64>().map_err(|_| AppError::Internal(format!("{table:?} {}: {}", row.id, ctx(i))))
        };
        Ok(match table {
            RekeyTable::ImportIssue => vec![place::issue_raw(hedui_core::BatchId(num(0)?), num(1)?)],
            RekeyTable::Household => vec![place::household_address(ctx(0))],
            RekeyTable::Commission => vec![place::commission_note(ctx(0)), place::commission_declared(ctx(0))],
            RekeyTable::Report => vec![place::report_body(hedui_core::JobId(num(0)?), num(1)?)],
            RekeyTable::Caseload => vec![place::caseload_inputs(hedui_core::JobId(num(0)?), num(1)?)],
            RekeyTable::SecondFactor => vec![match ctx(1) {
                "totp" => place::totp_secret(num(0)?),
                _ => place::token_seed(num(0)?),
            }],
            RekeyTable::NodeKey => vec![place::node_key_secret(ctx(0))],
            RekeyTable::KeyEpoch => vec![place::key_epoch_retained(num(0)?)],
            RekeyTable::LetterScan => vec![place::letter_scan(num(0)?)],
            RekeyTable::ObjectionFile => vec![place::objection_file(hedui_core::JobId(num(0)?), num(1)?)],
            RekeyTable::Audit => vec![place::audit_search(), place::audit_note()],
            other => return Err(AppError::Internal(format!("{other:?} has its own places"))),
        })
    }

    fn value<'r>(&self, row: &'r RekeyRow, i: usize) -> AppResult<&'r [u8]> {
        row.values
            .get(i)
            .and_then(|v| v.as_deref())
            .ok_or_else(|| AppError::Internal(format!("row {} lacks value {i}", row.id)))
    }

    fn open_at(&self, at: &Place, sealed: &[u8]) -> AppResult<Zeroizing<Vec<u8>>> {
        Ok(Zeroizing::new(self.identity.open(at, sealed)?))
    }

    /// `plain` sealed at `at` under the current epoch, in the key period `like` was sealed in.
    fn seal_like(&self, at: &Place, like: &[u8], plain: &[u8]) -> AppResult<Vec<u8>> {
        let period = sealed_period(like).unwrap_or(0);
        Ok(self.identity.seal(at, period, plain)?.as_bytes().to_vec())
    }

    /// A value opened and sealed again at the same place under the current epoch (a value already
    /// under it stays as it is).
    fn reseal(&self, at: &Place, sealed: &[u8]) -> AppResult<Vec<u8>> {
        if sealed_epoch(sealed) == Some(self.identity.keys().epoch()) {
            return Ok(sealed.to_vec());
        }
        let plain = self.open_at(at, sealed)?;
        self.seal_like(at, sealed, &plain)
    }
}
