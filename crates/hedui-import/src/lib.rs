//! Mirror import: a department's snapshot file into the store.
//!
//! Each row is validated, its ID number resolved to a `person_id` through the
//! blind index, its values sealed, and the row stored once per snapshot: a
//! keyed digest of its values is its identity, checked against the digests the
//! snapshot already holds. A file already imported is recognised by its own SM3
//! and changes nothing.
//!
//! Two threads share the work: one parses, validates, indexes and seals rows
//! into chunks; the calling thread resolves persons and stores each chunk, its
//! digests and its issues in one transaction. (Two imports of overlapping files for
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

pub mod dry_run;
mod file;
mod issues;
pub mod mapping;

use std::collections::{HashMap, HashSet};

use file::{check_shrink, decode, shrink_refusal};
pub use file::{last_full, xlsx_text};

use hedui_core::id_number::IdNumber;
use hedui_core::{BlindIndex, Date, Sealed, Timestamp};
use hedui_crypto::{CryptoError, encode_hex, sm3};
use hedui_store::{
    AuditEntry, AuditOutcome, BatchStart, BatchStats, ImportIssue, IssueSeverity, NewBatch, NewRecord, ROW_DIGEST_LEN,
    Store, StoreError,
};

pub use dry_run::{DryRun, dry_run};
use hedui_identity::{Identity, period, place};
pub use issues::issues_csv;

/// Rows stored per transaction. One thread prepares chunks (parsing, validation, blind indexes,
/// digests, sealing) while the calling thread stores the previous one, so a chunk should be large
/// enough to spread each commit over many rows and small enough to keep both threads busy
/// (`cargo run --release -p xtask -- bench-import` measures it).
const CHUNK: usize = 32_768;
/// Prepared chunks waiting for the store; bounds the memory an import holds.
pub(crate) const CHUNKS_IN_FLIGHT: usize = 2;

/// Why a whole file was refused. Row-level problems never end up here.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("未知的数据来源“{0}”（可用来源：{1}）")]
    UnknownSource(String, String),
    #[error("文件为空，没有表头")]
    Empty,
    #[error("表头缺少必需的列：{}（数据来源 {data_source}）", .missing.join("、"))]
    MissingColumns { data_source: String, missing: Vec<String> },
    #[error("表头既不是 UTF-8 也不是 GB18030 文本，无法识别文件编码")]
    HeaderEncoding,
    #[error("文件无法读取: {0}")]
    Csv(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("加密失败: {0}")]
    Crypto(#[from] CryptoError),
    #[error("导入线程异常退出")]
    Worker,
    /// A full snapshot that is empty, or much smaller than the source's last one: importing it
    /// would make every later verification see the missing rows as "nothing there".
    #[error(
        "拒绝导入：{source_code} 的全量快照只有 {rows} 行，{last}。全量快照会替换该来源此前的全部数据，\
         若数据确实如此，请确认后重新导入（命令行加 --confirm-shrink）"
    )]
    Shrunk { source_code: String, rows: i64, last: String },
}

/// The share of the last full snapshot's rows (in %) below which a new full snapshot of the same
/// source is refused without a confirmation.
pub const DEFAULT_MIN_SHARE: u8 = 50;

/// One file to import.
#[derive(Debug, Clone)]
pub struct ImportInput<'a> {
    pub source: &'a str,
    pub file_name: &'a str,
    pub as_of: Date,
    pub bytes: &'a [u8],
    /// The timestamp the caller read once for this import.
    pub now: Timestamp,
    pub actor: &'a str,
    pub request_id: &'a str,
    /// Full or incremental.
    pub mode: hedui_store::SnapshotMode,
    /// Who confirmed that a full snapshot may be empty or much smaller than the last one; `None`
    /// when nobody did (then such a snapshot is refused).
    pub confirm_shrink: Option<&'a str>,
    /// The share of the last full snapshot's rows (in %) a full snapshot must reach unconfirmed.
    pub min_share: u8,
    /// Told how far the import is, as it stores rows: `None` for no one.
    pub progress: Option<Progress<'a>>,
}

/// Who is told how far an import is: called with the rows handled so far and the rows of the
/// file (its lines after the header), after each chunk the store took.
#[derive(Clone, Copy)]
pub struct Progress<'a>(pub &'a (dyn Fn(i64, i64) + Sync));

impl std::fmt::Debug for Progress<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
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
    /// The encoding the file was read in (UTF-8 or GB18030).
    pub encoding: String,
    pub stats: BatchStats,
    pub issues: Vec<IssueLine>,
}

fn audit(input: &ImportInput<'_>, outcome: AuditOutcome, detail: String) -> AuditEntry {
    AuditEntry {
        at: input.now,
        actor: input.actor.to_string(),
        action: "mirror.import".into(),
        object: format!("source:{}", input.source),
        outcome,
        detail,
        request_id: input.request_id.to_string(),
        client: String::new(),
        basis: String::new(),
        ..Default::default()
    }
}

fn row_text<S: AsRef<[u8]>>(values: &[S]) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing to memory cannot fail; an empty line is the fallback.
    let _ = w.write_record(values);
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).trim_end().to_string()
}

/// Imports one snapshot file with the built-in column mappings. See the module documentation
/// for what happens to bad rows.
pub fn import(store: &dyn Store, identity: &Identity, input: &ImportInput<'_>) -> Result<ImportSummary, ImportError> {
    import_with(store, identity, mapping::Mappings::builtin(), input)
}

/// Imports one snapshot file with the given column mappings.
pub fn import_with(
    store: &dyn Store,
    identity: &Identity,
    mappings: &mapping::Mappings,
    input: &ImportInput<'_>,
) -> Result<ImportSummary, ImportError> {
    let result = import_inner(store, identity, mappings, input);
    if let Err(e) = &result {
        // A refused file is itself an event worth auditing; the audit write must not hide the cause.
        let _ = store.audit(&audit(input, AuditOutcome::Error, format!("{} {}", input.file_name, e)));
    }
    result
}

fn import_inner(
    store: &dyn Store,
    identity: &Identity,
    mappings: &mapping::Mappings,
    input: &ImportInput<'_>,
) -> Result<ImportSummary, ImportError> {
    let file = open_file(store, mappings, input)?;
    if input.mode == hedui_store::SnapshotMode::Full {
        check_shrink(store, input, &file)?;
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(&file.text[..]);
    let mut header = csv::ByteRecord::new();
    let _ = reader.read_byte_record(&mut header);
    let (spec, encoding, headers, file_sm3) = (file.spec, file.encoding, &file.headers, file.file_sm3.clone());

    let batch = NewBatch {
        source: input.source.to_string(),
        file_name: input.file_name.to_string(),
        file_sm3,
        as_of: input.as_of,
        columns: headers.to_vec(),
        started_at: input.now,
        mode: input.mode,
    };
    // The batch is registered first: every sealed value of the import is bound to its batch.
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
            // The earlier batch's date: the file is that snapshot, whatever date came with it now.
            return Ok(ImportSummary {
                batch: id,
                source: input.source.to_string(),
                as_of: b.as_of,
                already_imported: true,
                encoding: encoding.to_string(),
                stats: b.stats,
                issues: Vec::new(),
            });
        }
        BatchStart::New(id) | BatchStart::Resume(id) => id,
    };

    std::thread::scope(|scope| {
        // Rows are prepared on a second thread while this one stores what the other prepared.
        let (tx, rx) = std::sync::mpsc::sync_channel(CHUNKS_IN_FLIGHT);
        let prep = Prepare::new(identity, spec, input, batch_id, encoding, headers).with_seen(file.seen);
        let worker = scope.spawn(move || prep.run(reader, tx));

        let mut store_side = StoreSide {
            store,
            identity,
            batch: batch_id,
            period: period(input.as_of),
            cache: HashMap::new(),
            accepted: 0,
        };
        let total = file.text.iter().filter(|b| **b == b'\n').count().saturating_sub(1) as i64;
        let mut handled = 0i64;
        for chunk in rx.iter() {
            // On an error the receiver is dropped on return, which stops the preparing thread.
            let chunk = chunk?;
            handled += (chunk.recs.len() + chunk.issues.len()) as i64;
            store_side.store(chunk)?;
            if let Some(p) = input.progress {
                (p.0)(handled.min(total), total);
            }
        }
        let (mut stats, issues) = worker.join().map_err(|_| ImportError::Worker)??;
        stats.accepted = i64::try_from(store_side.accepted).unwrap_or(i64::MAX);
        store.finish_import(batch_id, &stats, input.now)?;
        Ok(ImportSummary {
            batch: batch_id,
            source: input.source.to_string(),
            as_of: input.as_of,
            already_imported: false,
            encoding: encoding.to_string(),
            stats,
            issues,
        })
    })
}

/// A file read and checked as far as can be before any row: its mapping, its text as UTF-8,
/// its header, its SM3 and the row digests its snapshot already holds.
pub(crate) struct OpenFile<'m, 'b> {
    pub(crate) spec: &'m mapping::Spec,
    pub(crate) text: std::borrow::Cow<'b, [u8]>,
    pub(crate) encoding: &'static str,
    pub(crate) headers: Vec<String>,
    pub(crate) file_sm3: String,
    pub(crate) seen: HashSet<[u8; ROW_DIGEST_LEN]>,
}

pub(crate) fn open_file<'m, 'b>(
    store: &dyn Store,
    mappings: &'m mapping::Mappings,
    input: &ImportInput<'b>,
) -> Result<OpenFile<'m, 'b>, ImportError> {
    let spec = mappings.spec(input.source).ok_or_else(|| {
        let known: Vec<&str> = mappings.sources().collect();
        ImportError::UnknownSource(input.source.to_string(), known.join("、"))
    })?;
    let (text, encoding) = decode(input.bytes)?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(&text[..]);
    let mut header = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut header).map_err(|e| ImportError::Csv(e.to_string()))? {
        return Err(ImportError::Empty);
    }
    let headers: Vec<String> = header
        .iter()
        .map(|f| std::str::from_utf8(f).map(|s| s.trim().to_string()))
        .collect::<Result<_, _>>()
        .map_err(|_| ImportError::HeaderEncoding)?;
    let missing: Vec<String> = ["身份证号", "姓名"]
        .into_iter()
        .chain(spec.columns.iter().map(String::as_str))
        .filter(|c| !headers.iter().any(|h| h == c))
        .map(str::to_string)
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns { data_source: input.source.to_string(), missing });
    }
    let seen = store
        .row_digests(input.source, input.as_of)?
        .chunks_exact(ROW_DIGEST_LEN)
        .filter_map(|d| d.try_into().ok())
        .collect();
    Ok(OpenFile { spec, text, encoding, headers, file_sm3: encode_hex(&sm3(input.bytes)), seen })
}

/// A valid ID number and its blind index.
type Resolvable = (IdNumber, BlindIndex);

/// Rows ready for the store.
#[derive(Default)]
pub(crate) struct Chunk {
    recs: Vec<NewRecord>,
    /// Per record: the ID number to resolve, or `None` for a row kept unresolved.
    ids: Vec<Option<Resolvable>>,
    /// Per record, in order: the row digest.
    digests: Vec<u8>,
    issues: Vec<ImportIssue>,
}

/// The preparing side: parses, validates, indexes, digests and seals rows into chunks.
pub(crate) struct Prepare<'a> {
    identity: &'a Identity,
    spec: &'a mapping::Spec,
    source: &'a str,
    batch: hedui_core::BatchId,
    as_of: Date,
    /// The encoding the file was read in, for the clerk's messages.
    encoding: &'static str,
    headers: &'a [String],
    /// Digests of the rows this snapshot (source, as-of date) already holds: a row is stored once.
    seen: HashSet<[u8; ROW_DIGEST_LEN]>,
    /// The previous row's ID number, parsed and indexed: department files list a person's rows together.
    last_id: Option<(String, Result<Resolvable, String>)>,
    /// The previous row's item key (plain, hashed): a person's monthly rows name the same payer.
    last_key: (String, String),
    chunk: Chunk,
    issues: Vec<IssueLine>,
    stats: BatchStats,
}

type Sent = Result<Chunk, ImportError>;

impl<'a> Prepare<'a> {
    pub(crate) fn new(
        identity: &'a Identity,
        spec: &'a mapping::Spec,
        input: &ImportInput<'a>,
        batch: hedui_core::BatchId,
        encoding: &'static str,
        headers: &'a [String],
    ) -> Prepare<'a> {
        Prepare {
            identity,
            spec,
            source: input.source,
            batch,
            as_of: input.as_of,
            encoding,
            headers,
            seen: HashSet::new(),
            last_id: None,
            last_key: (String::new(), String::new()),
            chunk: Chunk::default(),
            issues: Vec::new(),
            stats: BatchStats::default(),
        }
    }

    /// The digests of the rows the snapshot already holds: such rows are duplicates.
    pub(crate) fn with_seen(mut self, seen: HashSet<[u8; ROW_DIGEST_LEN]>) -> Prepare<'a> {
        self.seen = seen;
        self
    }

    /// Prepares every row; returns the counts (all but `accepted`) and the issue list.
    fn run(
        mut self,
        mut reader: csv::Reader<&[u8]>,
        tx: std::sync::mpsc::SyncSender<Sent>,
    ) -> Result<(BatchStats, Vec<IssueLine>), ImportError> {
        let mut rec = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let _ = tx.send(Err(ImportError::Csv(e.to_string())));
                    return Err(ImportError::Worker);
                }
            }
            if let Err(e) = self.row(&rec) {
                let _ = tx.send(Err(e));
                return Err(ImportError::Worker);
            }
            // Issues count too: a file imported before yields nothing but duplicate warnings.
            if self.chunk.recs.len() + self.chunk.issues.len() >= CHUNK
                && tx.send(Ok(std::mem::take(&mut self.chunk))).is_err()
            {
                // The store side stopped (an error, or the file was imported before).
                return Err(ImportError::Worker);
            }
        }
        let last = std::mem::take(&mut self.chunk);
        if (!last.recs.is_empty() || !last.issues.is_empty()) && tx.send(Ok(last)).is_err() {
            return Err(ImportError::Worker);
        }
        Ok((self.stats, self.issues))
    }

    fn issue<S: AsRef<[u8]>>(
        &mut self,
        line: i64,
        severity: IssueSeverity,
        reason: String,
        raw: &[S],
    ) -> Result<(), ImportError> {
        let raw_enc =
            self.identity.seal(&place::issue_raw(self.batch, line), period(self.as_of), row_text(raw).as_bytes())?;
        self.issues.push(IssueLine { line, severity, reason: reason.clone() });
        self.chunk.issues.push(ImportIssue { line, severity, reason, raw_enc });
        Ok(())
    }

    fn reject<S: AsRef<[u8]>>(&mut self, line: i64, reason: String, raw: &[S]) -> Result<(), ImportError> {
        self.stats.rejected += 1;
        self.issue(line, IssueSeverity::Rejected, format!("第 {line} 行：{reason}"), raw)
    }

    fn row(&mut self, rec: &csv::ByteRecord) -> Result<(), ImportError> {
        let line = rec.position().map_or(0, |p| p.line() as i64);
        self.stats.total += 1;
        if rec.len() != self.headers.len() {
            let raw: Vec<String> = rec.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
            return self.reject(line, format!("列数为 {}，表头为 {} 列", rec.len(), self.headers.len()), &raw);
        }
        let Ok(values) = rec.iter().map(std::str::from_utf8).collect::<Result<Vec<&str>, _>>() else {
            let raw: Vec<String> = rec.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
            return self.reject(line, format!("含有无法识别的字符（文件按 {} 编码读取）", self.encoding), &raw);
        };
        let cols = mapping::Cols { headers: self.headers, values: &values };
        match self.spec.map(&cols) {
            Err(reason) => self.reject(line, reason, &values),
            Ok(m) => self.accept(line, &cols, m),
        }
    }

    fn accept(&mut self, line: i64, cols: &mapping::Cols<'_>, m: mapping::Mapped) -> Result<(), ImportError> {
        let raw_id = cols.get("身份证号");
        let id = match &self.last_id {
            Some((raw, id)) if raw == raw_id => id.clone(),
            _ => {
                let id = if raw_id.is_empty() {
                    Err("身份证号为空".to_string())
                } else {
                    IdNumber::parse(raw_id).map(|p| p.id).map_err(|e| e.to_string())
                };
                let id = id.map(|i| {
                    let bidx = self.identity.id_index(&i);
                    (i, bidx)
                });
                self.last_id = Some((raw_id.to_string(), id.clone()));
                id
            }
        };
        // Values only, in the batch's column order: the header is stored once, with the batch.
        let trimmed: Vec<&str> = cols.values.iter().map(|v| v.trim()).collect();
        let detail_json = serde_json::to_vec(&trimmed).unwrap_or_default();
        let digest = self.identity.row_digest(&detail_json);
        if !self.seen.insert(digest) {
            self.stats.duplicate += 1;
            return self.issue(
                line,
                IssueSeverity::Warning,
                format!("第 {line} 行：与已导入的记录完全相同，未重复保存"),
                cols.values,
            );
        }
        let unresolved = id.as_ref().err().cloned();
        if let Some(reason) = &unresolved {
            self.stats.unresolved += 1;
            self.issue(
                line,
                IssueSeverity::Warning,
                format!("第 {line} 行：身份证号无效（{reason}），已保留为未识别记录，待人工关联"),
                cols.values,
            )?;
        }
        let key = if m.key == self.last_key.0 {
            self.last_key.1.clone()
        } else {
            let k = self.identity.item_key(self.spec.key_space(), &m.key);
            self.last_key = (m.key.clone(), k.clone());
            k
        };
        let mut rec = NewRecord {
            source: self.source.to_string(),
            obs: mapping::Mapped { key, ..m },
            person: None,
            raw_id_enc: None,
            name_bidx: unresolved.as_ref().map(|_| self.identity.name_index(cols.get("姓名"))),
            as_of: self.as_of,
            detail_enc: Sealed::default(),
            line,
        };
        let owner = place::Owner::Batch(self.batch);
        let p = period(self.as_of);
        if unresolved.is_some() {
            rec.raw_id_enc = Some(self.identity.seal(&place::record_raw_id(owner, &rec), p, raw_id.as_bytes())?);
        }
        rec.detail_enc = self.identity.seal(&place::record_detail(owner, &rec), p, &detail_json)?;
        self.chunk.recs.push(rec);
        self.chunk.ids.push(id.ok());
        self.chunk.digests.extend_from_slice(&digest);
        Ok(())
    }
}

/// The storing side: resolves persons and stores each chunk in one transaction.
struct StoreSide<'a> {
    store: &'a dyn Store,
    identity: &'a Identity,
    batch: hedui_core::BatchId,
    /// The key period of the snapshot: persons first seen in it are sealed under it.
    period: u32,
    /// Persons already resolved in this import, by blind index.
    cache: HashMap<BlindIndex, hedui_core::PersonId>,
    accepted: u64,
}

impl StoreSide<'_> {
    fn store(&mut self, mut chunk: Chunk) -> Result<(), ImportError> {
        // Persons not seen yet in this import: most are already registered, so look them up first
        // and create (sealing their ID numbers) only those that are new.
        let mut queued = HashSet::new();
        let mut unknown: Vec<&Resolvable> = chunk
            .ids
            .iter()
            .flatten()
            .filter(|(_, bidx)| !self.cache.contains_key(bidx) && queued.insert(*bidx))
            .collect();
        // Blind indexes are random: in their own order, lookups and inserts walk the registry's
        // index from one end to the other instead of jumping between its pages.
        unknown.sort_unstable_by_key(|(_, bidx)| *bidx);
        if !unknown.is_empty() {
            let bidxs: Vec<BlindIndex> = unknown.iter().map(|(_, b)| *b).collect();
            let found = self.store.find_persons(&bidxs)?;
            let mut new_keys = Vec::new();
            let mut new_idx = Vec::new();
            for ((id, bidx), pid) in unknown.into_iter().zip(found) {
                match pid {
                    Some(pid) => {
                        self.cache.insert(*bidx, pid);
                    }
                    None => {
                        new_keys.push(self.identity.person_key_indexed(id, bidx, self.period)?);
                        new_idx.push(*bidx);
                    }
                }
            }
            if !new_keys.is_empty() {
                for (bidx, pid) in new_idx.into_iter().zip(self.store.resolve_persons(&new_keys)?) {
                    self.cache.insert(bidx, pid);
                }
            }
        }
        for (rec, id) in chunk.recs.iter_mut().zip(&chunk.ids) {
            rec.person = id.as_ref().and_then(|(_, bidx)| self.cache.get(bidx).copied());
        }
        self.accepted += self.store.import_rows(self.batch, &chunk.recs, &chunk.digests, &chunk.issues)?;
        Ok(())
    }
}
