//! `hedui import --dry-run`: what a file would change, stored nowhere.
//!
//! The file is read, checked and mapped exactly as an import reads it; its rows are then compared
//! with the source's last full snapshot, item by item (the same person, kind of fact, keyed item
//! and period): rows new, gone and changed. Nothing is written, not even an audit row of the
//! import; the store is only read.

use std::collections::HashMap;

use hedui_core::{BlindIndex, Fen, Month, PersonId};
use hedui_store::{BatchStats, Store};

use crate::{Chunk, ImportError, ImportInput, Prepare, mapping};

/// What an import of one file would do.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DryRun {
    pub source: String,
    pub as_of: hedui_core::Date,
    pub stats: BatchStats,
    /// The snapshot compared with: its batch and date.
    pub compared_with: Option<(hedui_core::BatchId, hedui_core::Date)>,
    pub new: i64,
    pub gone: i64,
    pub changed: i64,
    pub unchanged: i64,
    /// Why the import itself would be refused (an empty or shrunken full snapshot), if it would.
    pub refused: Option<String>,
}

type Item = (PersonId, hedui_core::catalog::Category, String, Option<(Month, Month)>);
type Values = (Fen, i64, String, String, String, Option<hedui_core::Date>);

/// Reads `input` as an import would and says what it would change. Stores nothing.
pub fn dry_run(
    store: &dyn Store,
    identity: &hedui_identity::Identity,
    mappings: &mapping::Mappings,
    input: &ImportInput<'_>,
) -> Result<DryRun, ImportError> {
    let mut file = crate::open_file(store, mappings, input)?;
    let seen = std::mem::take(&mut file.seen);
    let refused = if input.mode == hedui_store::SnapshotMode::Full {
        crate::shrink_refusal(store, input, &file)?.map(|(rows, last)| format!("本次 {rows} 行，{last}"))
    } else {
        None
    };
    let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(&file.text[..]);
    let mut header = csv::ByteRecord::new();
    let _ = reader.read_byte_record(&mut header);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Chunk, ImportError>>(crate::CHUNKS_IN_FLIGHT);
    let mut after: HashMap<Item, Vec<Values>> = HashMap::new();
    let stats = std::thread::scope(|scope| -> Result<BatchStats, ImportError> {
        let prep = Prepare::new(identity, file.spec, input, hedui_core::BatchId(0), file.encoding, &file.headers)
            .with_seen(seen);
        let worker = scope.spawn(move || prep.run(reader, tx));
        for chunk in rx.iter() {
            let chunk = chunk?;
            let bidxs: Vec<BlindIndex> = chunk.ids.iter().flatten().map(|(_, b)| *b).collect();
            let mut persons = store.find_persons(&bidxs)?.into_iter();
            for (rec, id) in chunk.recs.iter().zip(&chunk.ids) {
                if id.is_none() {
                    continue;
                }
                // A person the registry does not know yet gets a placeholder: all their rows are new.
                let p = persons.next().flatten().unwrap_or(PersonId(-1));
                let values = (rec.amount, rec.quantity, rec.code.clone(), rec.form.clone(), rec.status.clone(), rec.on);
                after.entry((p, rec.category.clone(), rec.key.clone(), rec.period)).or_default().push(values);
            }
        }
        let (stats, _) = worker.join().map_err(|_| ImportError::Worker)??;
        Ok(stats)
    })?;

    let last = crate::last_full(store, input.source, &file.file_sm3)?;
    let mut before: HashMap<Item, Vec<Values>> = HashMap::new();
    if let Some(b) = &last {
        for r in store.batch_records(b.id)? {
            let Some(p) = r.rec.person else { continue };
            let values =
                (r.rec.amount, r.rec.quantity, r.rec.code.clone(), r.rec.form.clone(), r.rec.status.clone(), r.rec.on);
            before.entry((p, r.rec.category.clone(), r.rec.key.clone(), r.rec.period)).or_default().push(values);
        }
    }
    let (mut new, mut gone, mut changed, mut unchanged) = (0, 0, 0, 0);
    for (item, mut now) in after {
        match before.remove(&item) {
            None => new += now.len() as i64,
            Some(mut was) => {
                now.sort();
                was.sort();
                if now == was { unchanged += now.len() as i64 } else { changed += now.len().max(was.len()) as i64 }
            }
        }
    }
    gone += before.values().map(|v| v.len() as i64).sum::<i64>();
    Ok(DryRun {
        source: input.source.to_string(),
        as_of: input.as_of,
        stats,
        compared_with: last.map(|b| (b.id, b.as_of)),
        new,
        gone,
        changed,
        unchanged,
        refused,
    })
}
