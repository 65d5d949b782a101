//! Batch commissions from an Excel template (批量委托): a department's list of households to
//! check, one commission per row. Every row is read and checked first; one bad row refuses the
//! whole file with each row's reason, so that a list is filed whole or not at all (a row that
//! fails while filing, a household filed meanwhile, is reported and the rest go on).

use hedui_core::Date;
use hedui_core::commission::CommissionKind;
use hedui_core::programme::Programme;

use crate::cases::CommissionInput;
use crate::{App, AppError, AppResult, Caller};

/// The template's columns, in order.
pub const COLUMNS: [&str; 6] = ["户编号", "委托类型", "救助项目", "委托单位", "核对日期", "备注"];

/// What became of one row of a batch.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BatchLine {
    /// The row in the sheet (the header is row 1).
    pub row: usize,
    pub household: String,
    /// The job filed, or why not.
    pub job: Option<i64>,
    pub error: Option<String>,
}

fn kind(s: &str) -> Option<CommissionKind> {
    CommissionKind::from_code(s).or_else(|| CommissionKind::ALL.into_iter().find(|k| k.name_zh() == s))
}

fn programme(s: &str) -> Option<Programme> {
    Programme::from_code(s).or_else(|| Programme::ALL.into_iter().find(|p| p.name_zh() == s))
}

impl App {
    /// Files a commission for every row of an XLSX (or CSV) list made from the template. Refused
    /// whole, with each bad row's reason, when any row is wrong.
    pub fn commission_batch(&self, actor: &Caller, bytes: &[u8]) -> AppResult<Vec<BatchLine>> {
        actor.require_change()?;
        let text = if bytes.starts_with(b"PK") {
            hedui_import::xlsx_text(bytes).map_err(|e| AppError::Invalid(e.to_string()))?
        } else {
            bytes.to_vec()
        };
        let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(&text[..]);
        let mut rows = reader.records();
        let header = rows.next().transpose().map_err(|e| AppError::Invalid(format!("无法读取表头：{e}")))?;
        let header: Vec<String> = header.map(|h| h.iter().map(|c| c.trim().to_string()).collect()).unwrap_or_default();
        if header.iter().map(String::as_str).take(COLUMNS.len()).ne(COLUMNS) {
            return Err(AppError::Invalid(format!("表头应为：{}（请使用批量委托模板）", COLUMNS.join("、"))));
        }
        let (mut inputs, mut lines, mut bad) = (Vec::new(), Vec::new(), false);
        for (i, r) in rows.enumerate() {
            let row = i + 2;
            let r = r.map_err(|e| AppError::Invalid(format!("第 {row} 行无法读取：{e}")))?;
            let cell = |n: usize| r.get(n).unwrap_or("").trim().to_string();
            if (0..COLUMNS.len()).all(|n| cell(n).is_empty()) {
                continue;
            }
            let checked = (|| -> Result<CommissionInput, String> {
                let h = self.store.household_by_number(&cell(0)).map_err(|e| e.to_string())?;
                let h = h.ok_or_else(|| format!("户编号“{}”未登记", cell(0)))?;
                let as_of = match cell(4).as_str() {
                    "" => None,
                    d => Some(Date::parse(d).map_err(|_| format!("核对日期“{d}”无效"))?),
                };
                Ok(CommissionInput {
                    number: None,
                    kind: kind(&cell(1)).ok_or_else(|| format!("委托类型“{}”无效", cell(1)))?,
                    programme: programme(&cell(2)).ok_or_else(|| format!("救助项目“{}”无效", cell(2)))?,
                    household: h.id,
                    department: Some(cell(3)).filter(|d| !d.is_empty()),
                    note: Some(cell(5)).filter(|n| !n.is_empty()),
                    as_of,
                    declared: Default::default(),
                })
            })();
            bad |= checked.is_err();
            lines.push(BatchLine { row, household: cell(0), job: None, error: checked.as_ref().err().cloned() });
            inputs.push(checked.ok());
        }
        if lines.is_empty() {
            return Err(AppError::Invalid("模板中没有委托行".into()));
        }
        if bad {
            return Ok(lines);
        }
        for (line, input) in lines.iter_mut().zip(inputs) {
            let Some(input) = input else { continue };
            match self.commission(actor, &input) {
                Ok(job) => line.job = Some(job.0),
                Err(e) => line.error = Some(e.public_message()),
            }
        }
        Ok(lines)
    }
}
