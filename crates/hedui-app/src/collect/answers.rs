//! Institutions' answers as records: what a source said about each person of a request, with
//! each item's detail sealed for its job. Pure work over the key provider, so that it can run off
//! the thread that stores answers.

use hedui_core::catalog::{Source, SourceKind, known};
use hedui_core::fact::Observation;
use hedui_core::{Date, JobId, PersonId};
use hedui_exchange::{Item, PersonStatus, ResponseStatus, SearchResponse};
use hedui_identity::{Identity, place};
use hedui_store::{NewRecord, QueryOutcome, QueryRow, QueryState};

use crate::{AppError, AppResult};

/// An answer ready to store: each query's outcome with its sealed records, and the banks the
/// account index named for each member it found.
pub(crate) struct Prepared {
    pub outcomes: Vec<QueryOutcome>,
    pub found_banks: Vec<(QueryRow, Vec<String>)>,
}

/// Each query's outcome in `resp`, a whole refusal or a missing person included.
pub(crate) fn prepare(
    identity: &Identity,
    source: &Source,
    queries: &[QueryRow],
    resp: &SearchResponse,
) -> AppResult<Prepared> {
    let by_ref: std::collections::HashMap<&str, &hedui_exchange::PersonResult> =
        resp.results.iter().map(|p| (p.ref_id.as_str(), p)).collect();
    let whole_refusal = match &resp.status {
        ResponseStatus::Refused(reason) => Some(reason.clone()),
        _ => None,
    };
    let mut outcomes = Vec::with_capacity(queries.len());
    let mut found_banks = Vec::new();
    for q in queries {
        let (state, reason, items) = match (&whole_refusal, by_ref.get(q.id.to_string().as_str())) {
            (Some(reason), _) => (QueryState::Refused, reason.clone(), &[][..]),
            (None, None) => (QueryState::Failed, "应答中缺少该成员".to_string(), &[][..]),
            (None, Some(p)) => match &p.status {
                PersonStatus::Found => (QueryState::Found, String::new(), p.items.as_slice()),
                PersonStatus::NoRecord => (QueryState::NoRecord, String::new(), &[][..]),
                PersonStatus::Refused(reason) => (QueryState::Refused, reason.clone(), &[][..]),
            },
        };
        if source.kind == SourceKind::AccountService && state == QueryState::Found {
            found_banks.push((q.clone(), items.iter().map(|i| i.key.clone()).collect()));
        }
        let records = item_records(identity, source, q.job, q.id.0 * 10_000, q.person, q.query_date, items)?;
        outcomes.push(QueryOutcome { query: q.id, state, reason, records });
    }
    Ok(Prepared { outcomes, found_banks })
}

/// Stored records for what a source said about one person: every item of a category the source
/// supplies, as the protocol carries it (`key`, `label`, `amount`, `on` and its further fields,
/// sealed as the detail the catalog's label template reads). Where accounts are (the account
/// index) is a routing answer, not a fact. `first_line` numbers them within the job's answers:
/// the query id times 10,000 for an exchanged answer, the count of records before them for an
/// in-process one.
#[allow(clippy::too_many_arguments)] // Each is one fact about where the answer belongs.
pub(crate) fn item_records(
    identity: &Identity,
    source: &Source,
    job: JobId,
    first_line: i64,
    person: PersonId,
    as_of: Date,
    items: &[Item],
) -> AppResult<Vec<NewRecord>> {
    let mut out = Vec::new();
    for i in items.iter().filter(|i| i.category != known::ACCOUNT_INDEX && source.supplies(&i.category)) {
        let mut detail: Vec<(String, String)> = vec![
            ("key".into(), i.key.clone()),
            ("label".into(), i.label.clone()),
            ("amount".into(), i.amount.to_string()),
            ("on".into(), i.on.map(|d| d.to_string()).unwrap_or_default()),
        ];
        detail.extend(i.detail.iter().cloned());
        let detail = serde_json::to_vec(&detail).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut rec = NewRecord {
            source: source.code.clone(),
            obs: Observation {
                category: i.category.clone(),
                period: None,
                on: i.on,
                amount: i.amount,
                quantity: i.quantity,
                code: String::new(),
                form: String::new(),
                status: String::new(),
                // Two holdings of one name differ by their kind.
                key: identity.item_key(&source.code, &format!("{}|{}", i.label, i.key)),
            },
            person: Some(person),
            raw_id_enc: None,
            name_bidx: None,
            as_of,
            detail_enc: hedui_core::Sealed::default(),
            line: first_line + out.len() as i64,
        };
        let at = place::record_detail(place::Owner::Job(job), &rec);
        rec.detail_enc = identity.seal(&at, hedui_identity::period(as_of), &detail)?;
        out.push(rec);
    }
    Ok(out)
}
