//! Mirror import: a department's snapshot file into the store.
//!
//! Each row is validated, its ID number resolved to a `person_id` through the
//! blind index, its values sealed, and the row stored once per snapshot: the
//! SM3 of (source, as-of date, row) is its identity, checked against the
//! digests the snapshot already holds. A file already imported is recognised
//! by its own SM3 and changes nothing. (Two imports of overlapping files for
//! the same snapshot must not run at the same time; the CLI and the UI run
//! one import at a time.)
//!
//! Bad input never loses data:
//! * a row with a broken structure (wrong column count, bad date, bad amount)
//!   is not stored, and goes into the batch's rejection report with its line
//!   and reason;
//! * a row whose ID number is missing or invalid is stored unresolved, for
//!   record linkage later, and listed as a warning;
//! * a file whose header lacks a required column is refused as a whole
//!   before anything is stored.

pub mod identity;
pub mod mapping;

use std::collections::{HashMap, HashSet};

use hedui_core::Date;
use hedui_core::id_number::IdNumber;
use hedui_crypto::{CryptoError, encode_hex, sm3};
use hedui_store::{
    AuditEntry, AuditOutcome, BatchStart, BatchStats, ImportIssue, IssueSeverity, NewBatch, NewRecord, Store,
    StoreError,
};

pub use identity::{Identity, aad};

/// Rows stored per transaction. The person index takes its inserts at random places, so each
/// transaction rewrites many of its pages; larger transactions spread that over more rows
/// (`cargo run --release -p xtask -- bench-import` measures it). A pending row holds about 1.5 KB.
const CHUNK: usize = 32_000;

/// Why a whole file was refused. Row-level problems never end up here.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("未知的数据来源“{0}”（可用来源：{1}）")]
    UnknownSource(String, String),
    #[error("文件为空，没有表头")]
    Empty,
    #[error("表头缺少必需的列：{}（数据来源 {data_source}）", .missing.join("、"))]
    MissingColumns { data_source: String, missing: Vec<String> },
    #[error("表头不是有效的 UTF-8 文本（如为 GB18030 编码，请先转换）")]
    HeaderEncoding,
    #[error("文件无法读取: {0}")]
    Csv(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("加密失败: {0}")]
    Crypto(#[from] CryptoError),
}

/// One file to import.
#[derive(Debug, Clone)]
pub struct ImportInput<'a> {
    pub source: &'a str,
    pub file_name: &'a str,
    pub as_of: Date,
    pub bytes: &'a [u8],
    /// The timestamp the caller read once for this import.
    pub now: &'a str,
    pub actor: &'a str,
    pub request_id: &'a str,
}

/// One issue as a clerk sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IssueLine {
    pub line: i64,
    pub severity: IssueSeverity,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportSummary {
    pub batch: hedui_core::BatchId,
    pub source: String,
    pub as_of: Date,
    /// The same file had been imported before; nothing changed.
    pub already_imported: bool,
    pub stats: BatchStats,
    pub issues: Vec<IssueLine>,
}

fn audit(input: &ImportInput<'_>, outcome: AuditOutcome, detail: String) -> AuditEntry {
    AuditEntry {
        at: input.now.to_string(),
        actor: input.actor.to_string(),
        action: "mirror.import".into(),
        object: format!("source:{}", input.source),
        outcome,
        detail,
        request_id: input.request_id.to_string(),
    }
}

fn row_text(values: &[String]) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing to memory cannot fail; an empty line is the fallback.
    let _ = w.write_record(values);
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).trim_end().to_string()
}

/// Imports one snapshot file. See the module documentation for what happens to bad rows.
pub fn import(store: &dyn Store, identity: &Identity, input: &ImportInput<'_>) -> Result<ImportSummary, ImportError> {
    let result = import_inner(store, identity, input);
    if let Err(e) = &result {
        // A refused file is itself an event worth auditing; the audit write must not hide the cause.
        let _ = store.audit(&audit(input, AuditOutcome::Error, format!("{} {}", input.file_name, e)));
    }
    result
}

fn import_inner(store: &dyn Store, identity: &Identity, input: &ImportInput<'_>) -> Result<ImportSummary, ImportError> {
    let spec = mapping::spec(input.source).ok_or_else(|| {
        let known: Vec<&str> = mapping::SPECS.iter().map(|s| s.source).collect();
        ImportError::UnknownSource(input.source.to_string(), known.join("、"))
    })?;
    let bytes = input.bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(input.bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(bytes);
    let mut records = reader.byte_records();
    let header = match records.next() {
        None => return Err(ImportError::Empty),
        Some(h) => h.map_err(|e| ImportError::Csv(e.to_string()))?,
    };
    let headers: Vec<String> = header
        .iter()
        .map(|f| std::str::from_utf8(f).map(|s| s.trim().to_string()))
        .collect::<Result<_, _>>()
        .map_err(|_| ImportError::HeaderEncoding)?;
    let missing: Vec<String> = ["身份证号", "姓名"]
        .iter()
        .chain(spec.columns.iter())
        .filter(|c| !headers.iter().any(|h| h == *c))
        .map(|c| c.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns { data_source: input.source.to_string(), missing });
    }

    let file_sm3 = encode_hex(&sm3(input.bytes));
    let batch = NewBatch {
        source: input.source.to_string(),
        file_name: input.file_name.to_string(),
        file_sm3,
        as_of: input.as_of,
        columns: headers.clone(),
        started_at: input.now.to_string(),
    };
    let start = store
        .begin_import(&batch, &audit(input, AuditOutcome::Ok, format!("{} as_of {}", input.file_name, input.as_of)))?;
    let batch_id = match start {
        BatchStart::AlreadyImported(id) => {
            let b = store.batch(id)?.ok_or_else(|| StoreError::NotFound(format!("batch {id}")))?;
            store.audit(&audit(
                input,
                AuditOutcome::Ok,
                format!("{} 已导入过（批次 {id}），未作更改", input.file_name),
            ))?;
            return Ok(ImportSummary {
                batch: id,
                source: input.source.to_string(),
                as_of: input.as_of,
                already_imported: true,
                stats: b.stats,
                issues: Vec::new(),
            });
        }
        BatchStart::New(id) | BatchStart::Resume(id) => id,
    };

    let mut run = Run {
        store,
        identity,
        source: input.source,
        as_of: input.as_of,
        batch: batch_id,
        cache: HashMap::new(),
        seen: store.row_digests(input.source, input.as_of)?.into_iter().filter_map(|d| d.try_into().ok()).collect(),
        last_id: None,
        last_key: (String::new(), String::new()),
        pending: Vec::new(),
        issues: Vec::new(),
        all_issues: Vec::new(),
        stats: BatchStats::default(),
    };
    for rec in records {
        let rec = rec.map_err(|e| ImportError::Csv(e.to_string()))?;
        let line = rec.position().map_or(0, |p| p.line() as i64);
        run.stats.total += 1;
        let values: Vec<String> = rec.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
        if rec.len() != headers.len() {
            run.reject(line, format!("列数为 {}，表头为 {} 列", rec.len(), headers.len()), &values)?;
            continue;
        }
        if rec.iter().any(|f| std::str::from_utf8(f).is_err()) {
            run.reject(line, "含有非 UTF-8 字符（如为 GB18030 编码，请先转换）".into(), &values)?;
            continue;
        }
        let cols = mapping::Cols { headers: &headers, values: &values };
        match (spec.map)(&cols) {
            Err(reason) => run.reject(line, reason, &values)?,
            Ok(m) => run.accept(line, &headers, &values, m)?,
        }
        if run.pending.len() >= CHUNK {
            run.flush()?;
        }
    }
    run.flush()?;
    store.finish_import(batch_id, &run.stats, input.now)?;
    Ok(ImportSummary {
        batch: batch_id,
        source: input.source.to_string(),
        as_of: input.as_of,
        already_imported: false,
        stats: run.stats,
        issues: run.all_issues,
    })
}

/// A raw ID number with its parse result and blind index.
type ParsedId = (String, Result<IdNumber, String>, Option<[u8; 32]>);

struct Pending {
    line: i64,
    raw: Vec<String>,
    id: Result<IdNumber, String>,
    /// The blind index of a valid ID number, computed once per row.
    bidx: Option<[u8; 32]>,
    rec: NewRecord,
}

/// What a pending row leaves behind once its record is handed to the store.
struct Row {
    line: i64,
    raw: Vec<String>,
    id: Result<IdNumber, String>,
}

struct Run<'a> {
    store: &'a dyn Store,
    identity: &'a Identity,
    source: &'a str,
    as_of: Date,
    batch: hedui_core::BatchId,
    cache: HashMap<[u8; 32], hedui_core::PersonId>,
    /// Digests of the rows this snapshot (source, as-of date) already holds: a row is stored once.
    seen: HashSet<[u8; 32]>,
    /// The previous row's ID number, parsed and indexed: department files list a person's rows together.
    last_id: Option<ParsedId>,
    /// The previous row's item key (plain, hashed): a person's monthly rows name the same payer.
    last_key: (String, String),
    pending: Vec<Pending>,
    issues: Vec<ImportIssue>,
    all_issues: Vec<IssueLine>,
    stats: BatchStats,
}

impl Run<'_> {
    fn issue(&mut self, line: i64, severity: IssueSeverity, reason: String, raw: &[String]) -> Result<(), ImportError> {
        let raw_enc = self.identity.seal(aad::ISSUE_RAW, row_text(raw).as_bytes())?;
        self.all_issues.push(IssueLine { line, severity, reason: reason.clone() });
        self.issues.push(ImportIssue { line, severity, reason, raw_enc });
        Ok(())
    }

    fn reject(&mut self, line: i64, reason: String, raw: &[String]) -> Result<(), ImportError> {
        self.stats.rejected += 1;
        self.issue(line, IssueSeverity::Rejected, format!("第 {line} 行：{reason}"), raw)
    }

    fn accept(
        &mut self,
        line: i64,
        headers: &[String],
        values: &[String],
        m: mapping::Mapped,
    ) -> Result<(), ImportError> {
        let cols = mapping::Cols { headers, values };
        let raw_id = cols.get("身份证号");
        let name = cols.get("姓名");
        let (id, bidx) = match &self.last_id {
            Some((raw, id, bidx)) if raw == raw_id => (id.clone(), *bidx),
            _ => {
                let id = if raw_id.is_empty() {
                    Err("身份证号为空".to_string())
                } else {
                    IdNumber::parse(raw_id).map(|p| p.id).map_err(|e| e.to_string())
                };
                let bidx = id.as_ref().ok().map(|i| self.identity.id_index(i));
                self.last_id = Some((raw_id.to_string(), id.clone(), bidx));
                (id, bidx)
            }
        };
        // Values only, in the batch's column order: the header is stored once, with the batch.
        let trimmed: Vec<&str> = values.iter().map(|v| v.trim()).collect();
        let detail_json = serde_json::to_vec(&trimmed).unwrap_or_default();
        let mut hashed = Vec::with_capacity(detail_json.len() + 32);
        hashed.extend_from_slice(self.source.as_bytes());
        hashed.push(0);
        hashed.extend_from_slice(self.as_of.to_string().as_bytes());
        hashed.push(0);
        hashed.extend_from_slice(&detail_json);
        let digest = sm3(&hashed);
        if !self.seen.insert(digest) {
            self.stats.duplicate += 1;
            return self.issue(
                line,
                IssueSeverity::Warning,
                format!("第 {line} 行：与已导入的记录完全相同，未重复保存"),
                values,
            );
        }
        let unresolved = id.is_err();
        let rec = NewRecord {
            source: self.source.to_string(),
            kind: m.kind,
            person: None,
            raw_id_enc: if unresolved {
                Some(self.identity.seal(aad::RECORD_RAW_ID, raw_id.as_bytes())?)
            } else {
                None
            },
            name_bidx: if unresolved { Some(self.identity.name_index(name)) } else { None },
            as_of: self.as_of,
            period: m.period,
            on: m.on,
            amount: m.amount,
            quantity: m.quantity,
            category: m.category,
            status: m.status,
            key: if m.key == self.last_key.0 {
                self.last_key.1.clone()
            } else {
                let k = self.identity.item_key(self.source, &m.key);
                self.last_key = (m.key.clone(), k.clone());
                k
            },
            detail_enc: self.identity.seal(aad::RECORD_DETAIL, &detail_json)?,
            row_sm3: digest.to_vec(),
        };
        self.pending.push(Pending { line, raw: values.to_vec(), id, bidx, rec });
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ImportError> {
        let pending = std::mem::take(&mut self.pending);
        // Resolve persons not seen yet in this import, in one round trip per chunk.
        let mut new_keys = Vec::new();
        let mut new_idx = Vec::new();
        let mut queued = HashSet::new();
        for p in &pending {
            if let (Ok(id), Some(bidx)) = (&p.id, p.bidx)
                && !self.cache.contains_key(&bidx)
                && queued.insert(bidx)
            {
                new_keys.push(self.identity.person_key(id)?);
                new_idx.push(bidx);
            }
        }
        if !new_keys.is_empty() {
            let ids = self.store.resolve_persons(&new_keys)?;
            for (bidx, pid) in new_idx.into_iter().zip(ids) {
                self.cache.insert(bidx, pid);
            }
        }
        // The records move out of the pending rows; what the issues need stays behind.
        let mut recs = Vec::with_capacity(pending.len());
        let mut rows = Vec::with_capacity(pending.len());
        for Pending { line, raw, id, bidx, mut rec } in pending {
            rec.person = bidx.and_then(|b| self.cache.get(&b).copied());
            recs.push(rec);
            rows.push(Row { line, raw, id });
        }
        self.store.insert_records(Some(self.batch), None, &recs)?;
        for p in &rows {
            self.stats.accepted += 1;
            if let Err(reason) = &p.id {
                self.stats.unresolved += 1;
                self.issue(
                    p.line,
                    IssueSeverity::Warning,
                    format!("第 {} 行：身份证号无效（{reason}），已保留为未识别记录，待人工关联", p.line),
                    &p.raw,
                )?;
            }
        }
        if !self.issues.is_empty() {
            self.store.insert_issues(self.batch, &std::mem::take(&mut self.issues))?;
        }
        Ok(())
    }
}

/// The batch's rejection and warning report as CSV (UTF-8 with BOM, so Excel opens it), raw lines decrypted.
pub fn issues_csv(store: &dyn Store, identity: &Identity, batch: hedui_core::BatchId) -> Result<String, ImportError> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record(["行号", "类型", "原因", "原始内容"]);
    for i in store.batch_issues(batch)? {
        let raw = identity.open_string(aad::ISSUE_RAW, &i.raw_enc)?;
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
