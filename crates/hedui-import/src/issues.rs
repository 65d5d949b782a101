//! A snapshot's issue list as a file a clerk opens in Excel.

use hedui_identity::{Identity, place};
use hedui_store::{IssueSeverity, Store};

use crate::ImportError;

/// The batch's rejection and warning report as CSV (UTF-8 with BOM, so Excel opens it), raw lines decrypted.
pub fn issues_csv(
    store: &dyn Store,
    identity: &Identity,
    batch: hedui_core::BatchId,
    with_raw: bool,
) -> Result<String, ImportError> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record(["行号", "类型", "原因", "原始内容"]);
    for i in store.batch_issues(batch)? {
        // The raw line carries names and ID numbers: opened only for readers who see them.
        let raw = match with_raw {
            true => identity.open_string(&place::issue_raw(batch, i.line), &i.raw_enc)?,
            false => "（已屏蔽）".to_string(),
        };
        let sev = match i.severity {
            IssueSeverity::Rejected => "拒收",
            IssueSeverity::Warning => "警告",
        };
        let _ = w.write_record([i.line.to_string().as_str(), sev, i.reason.as_str(), raw.as_str()]);
    }
    let body = w.into_inner().unwrap_or_default();
    let mut out = String::from("\u{FEFF}");
    out.push_str(&String::from_utf8_lossy(&body));
    Ok(out)
}
