//! The file's own checks before any row is read: its text encoding (UTF-8 or GB18030) and
//! format (CSV, or XLSX turned into CSV), and the snapshot guard that refuses an empty or shrunken
//! full snapshot unless confirmed.

use hedui_core::Date;
use hedui_store::{AuditOutcome, Store, StoreError};

use crate::{ImportError, ImportInput, OpenFile, audit};

/// Rows after the header that hold anything, counted up to `enough`: a file with at least that
/// many rows needs no exact count.
pub(crate) fn data_rows(text: &[u8], enough: i64) -> i64 {
    let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(text);
    let mut rec = csv::ByteRecord::new();
    let mut n = 0;
    while n < enough
        && let Ok(true) = reader.read_byte_record(&mut rec)
    {
        if rec.iter().any(|f| !f.is_empty()) {
            n += 1;
        }
    }
    n
}

/// The source's last finished full snapshot other than this very file.
pub fn last_full(store: &dyn Store, source: &str, file_sm3: &str) -> Result<Option<hedui_store::Batch>, StoreError> {
    Ok(last_full_of(store.batches()?, source, file_sm3))
}

pub(crate) fn last_full_of(
    batches: Vec<hedui_store::Batch>,
    source: &str,
    file_sm3: &str,
) -> Option<hedui_store::Batch> {
    batches
        .into_iter()
        .filter(|b| {
            b.source == source
                && b.mode == hedui_store::SnapshotMode::Full
                && b.finished_at.is_some()
                && b.file_sm3 != file_sm3
        })
        .max_by_key(|b| (b.as_of, b.id.0))
}

/// Why a full snapshot would be refused (empty, or below `min_share` % of the source's last full
/// snapshot), with its exact row count, or `None`.
pub(crate) fn shrink_refusal(
    store: &dyn Store,
    input: &ImportInput<'_>,
    file: &OpenFile<'_, '_>,
) -> Result<Option<(i64, String)>, StoreError> {
    let batches = store.batches()?;
    if batches.iter().any(|b| b.source == input.source && b.file_sm3 == file.file_sm3) {
        // The same file again changes nothing.
        return Ok(None);
    }
    let last = last_full_of(batches, input.source, &file.file_sm3);
    let last_rows = last.as_ref().map_or(0, |b| b.stats.total);
    // The fewest rows that pass: one, or the share of the last snapshot, rounded up.
    let need = ((last_rows * i64::from(input.min_share) + 99) / 100).max(1);
    let rows = data_rows(&file.text, need);
    if rows >= need {
        return Ok(None);
    }
    Ok(Some((
        rows,
        match &last {
            Some(b) => format!(
                "上一次全量快照（{}，批次 {}）有 {} 行{}",
                b.as_of,
                b.id,
                b.stats.total,
                if rows == 0 { String::new() } else { format!("，本次不到其 {}%", input.min_share) }
            ),
            None => "该来源此前没有全量快照".to_string(),
        },
    )))
}

/// Refuses an empty or shrunken full snapshot unless confirmed; a confirmed one is audited with
/// who confirmed it.
pub(crate) fn check_shrink(
    store: &dyn Store,
    input: &ImportInput<'_>,
    file: &OpenFile<'_, '_>,
) -> Result<(), ImportError> {
    let Some((rows, last)) = shrink_refusal(store, input, file)? else { return Ok(()) };
    match input.confirm_shrink {
        None => Err(ImportError::Shrunk { source_code: input.source.to_string(), rows, last }),
        Some(who) => {
            let mut a = audit(
                input,
                AuditOutcome::Ok,
                format!("{who} 确认导入数据减少的全量快照 {}：本次 {rows} 行，{last}", input.file_name),
            );
            a.action = "mirror.import.confirm_shrink".into();
            a.actor = who.to_string();
            store.audit(&a)?;
            Ok(())
        }
    }
}

/// A file's text as UTF-8, and the encoding it was read in. Many department systems export
/// GB18030: a file whose header is not UTF-8 but is GB18030 is read as GB18030, line by line,
/// so that one undecodable line is that line's rejection, not the file's.
pub(crate) fn decode(raw: &[u8]) -> Result<(std::borrow::Cow<'_, [u8]>, &'static str), ImportError> {
    if raw.starts_with(b"PK\x03\x04") {
        return Ok((std::borrow::Cow::Owned(xlsx_text(raw)?), "XLSX"));
    }
    let raw = raw.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(raw);
    let first = raw.split(|b| *b == b'\n').next().unwrap_or_default();
    if std::str::from_utf8(first).is_ok() {
        return Ok((std::borrow::Cow::Borrowed(raw), "UTF-8"));
    }
    let gb = encoding_rs::GB18030;
    if gb.decode_without_bom_handling_and_without_replacement(first).is_none() {
        return Err(ImportError::HeaderEncoding);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 2);
    for (i, line) in raw.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        match gb.decode_without_bom_handling_and_without_replacement(line) {
            Some(text) => out.extend_from_slice(text.as_bytes()),
            // Kept as it was: the row check rejects it with its line number.
            None => out.extend_from_slice(line),
        }
    }
    Ok((std::borrow::Cow::Owned(out), "GB18030"))
}

/// The first worksheet of an XLSX workbook as CSV text, one line per sheet row, so that line
/// numbers in the rejection report are the rows a clerk sees in Excel. Text cells are taken as
/// they are; numbers are written without exponent where they are whole; date cells become
/// `YYYY-MM-DD`. (An ID number that was typed into a number cell has lost its last digits to
/// floating point: it fails its check and is kept unresolved.)
pub fn xlsx_text(bytes: &[u8]) -> Result<Vec<u8>, ImportError> {
    use calamine::{Data, Reader};
    let bad = |e: String| ImportError::Csv(format!("XLSX 文件无法读取：{e}"));
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| bad(e.to_string()))?;
    let range = book.worksheet_range_at(0).ok_or_else(|| bad("没有工作表".into()))?.map_err(|e| bad(e.to_string()))?;
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    // Rows above the used range are empty; keep them so line numbers stay sheet row numbers.
    let first = range.start().map_or(0, |(r, _)| r);
    for _ in 0..first {
        w.write_record([""]).map_err(|e| bad(e.to_string()))?;
    }
    for row in range.rows() {
        let mut cells: Vec<String> = row
            .iter()
            .map(|c| match c.clone() {
                Data::Empty => String::new(),
                Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s,
                Data::Int(i) => i.to_string(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
                Data::Float(f) => format!("{f}"),
                Data::Bool(b) => b.to_string(),
                Data::DateTime(d) => {
                    // Excel's day 25569 is 1970-01-01.
                    let days = d.as_f64().floor() as i64 - 25_569;
                    Date::from_days(days).map(|x| x.to_string()).unwrap_or_else(|| d.as_f64().to_string())
                }
                Data::Error(e) => format!("#{e:?}"),
            })
            .collect();
        while cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        w.write_record(&cells).map_err(|e| bad(e.to_string()))?;
    }
    w.into_inner().map_err(|e| bad(e.to_string()))
}
