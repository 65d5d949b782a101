//! Who answers an online source's searches: an institution over HTTP ([`OnlineClient`]), or an
//! institution's books read in process ([`InProcess`]: a node without a configured exchange, the
//! tests). The collection asks either the same way, so every institution has one path: queries
//! stored, batched into requests, answered, and stored with the queries they lead to.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use hedui_core::catalog::{Catalog, Source, SourceKind, known};
use hedui_exchange::{Item, PersonQuery, PersonResult, PersonStatus, ResponseStatus, SearchRequest, SearchResponse};

use crate::online::{OnlineClient, Reply, SendError};
use crate::{BankQuery, FinancialSource};

/// An answer on its way.
pub type Pending<'a> = Pin<Box<dyn Future<Output = Result<Reply, SendError>> + Send + 'a>>;

/// Answers searches for the sources of a catalog.
pub trait Institutions: Send + Sync + std::fmt::Debug {
    /// One attempt at a search; the same `message_id` on every attempt of the same request.
    fn search<'a>(
        &'a self,
        source: &'a Source,
        message_id: &'a str,
        req: &'a SearchRequest,
        now: &'a str,
    ) -> Pending<'a>;
    /// The state of an earlier search that was accepted to be answered later.
    fn status<'a>(&'a self, source: &'a Source, message_id: &'a str, now: &'a str) -> Pending<'a>;
}

impl Institutions for OnlineClient {
    fn search<'a>(
        &'a self,
        source: &'a Source,
        message_id: &'a str,
        req: &'a SearchRequest,
        now: &'a str,
    ) -> Pending<'a> {
        Box::pin(OnlineClient::search(self, source, message_id, req, now))
    }

    fn status<'a>(&'a self, source: &'a Source, message_id: &'a str, now: &'a str) -> Pending<'a> {
        Box::pin(OnlineClient::status(self, source, message_id, now))
    }
}

/// Institutions whose books are read in this process. A bank that cannot read its books fails
/// the whole request (it is tried again, and is 未反馈 if it never can), as an institution that
/// does not answer would.
pub struct InProcess {
    catalog: Arc<Catalog>,
    banks: HashMap<String, Arc<dyn FinancialSource>>,
}

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut codes: Vec<&String> = self.banks.keys().collect();
        codes.sort();
        f.debug_struct("InProcess").field("banks", &codes).finish()
    }
}

impl InProcess {
    pub fn new(catalog: Arc<Catalog>, banks: &[Arc<dyn FinancialSource>]) -> InProcess {
        InProcess { catalog, banks: banks.iter().map(|b| (b.code().to_string(), b.clone())).collect() }
    }
}

impl Institutions for InProcess {
    fn search<'a>(&'a self, source: &'a Source, _: &'a str, req: &'a SearchRequest, _: &'a str) -> Pending<'a> {
        Box::pin(async move {
            let mut results = Vec::with_capacity(req.persons.len());
            for p in &req.persons {
                results.push(answer_person(&self.catalog, &self.banks, source, req, p).map_err(SendError::Books)?);
            }
            Ok(Reply::Answer(SearchResponse { status: ResponseStatus::Completed, results }))
        })
    }

    fn status<'a>(&'a self, source: &'a Source, _: &'a str, _: &'a str) -> Pending<'a> {
        // Books in process answer at once; nothing is ever left to ask about.
        Box::pin(async move { Err(SendError::NotConfigured(source.code.clone())) })
    }
}

/// What a source's books say about one person: a refusal without a letter and a commission
/// number; for the account-information service, which banks hold something for the person; for
/// an institution, its accounts, holdings and movements within the asked categories. `Err` is a
/// bank that could not read its books.
pub fn answer_person(
    catalog: &Catalog,
    banks: &HashMap<String, Arc<dyn FinancialSource>>,
    source: &Source,
    req: &SearchRequest,
    p: &PersonQuery,
) -> Result<PersonResult, String> {
    if p.authorization_no.trim().is_empty() || p.commission_no.trim().is_empty() {
        return Ok(PersonResult {
            ref_id: p.ref_id.clone(),
            status: PersonStatus::Refused("查询须附授权书编号和委托编号".into()),
            items: Vec::new(),
        });
    }
    let bank_query = BankQuery {
        id_number: p.id_number.clone(),
        name: p.name.clone(),
        as_of: req.query_date,
        lookback_months: req.lookback_months,
        authorization_no: p.authorization_no.clone(),
        commission_no: p.commission_no.clone(),
    };
    let mut items = Vec::new();
    match source.kind {
        SourceKind::AccountService => {
            // Which banks hold accounts or products for the person (the service covers banks only).
            let is_bank = |code: &str| catalog.get(code).is_some_and(|s| s.kind == SourceKind::Bank);
            for (code, bank) in banks.iter().filter(|(code, _)| is_bank(code)) {
                if let Ok(a) = bank.query(&bank_query)
                    && !a.is_empty()
                {
                    items.push(Item {
                        category: known::ACCOUNT_INDEX,
                        key: code.clone(),
                        label: bank.name().to_string(),
                        amount: hedui_core::Fen::ZERO,
                        quantity: a.accounts.len() as i64,
                        on: Some(req.query_date),
                        detail: Vec::new(),
                    });
                }
            }
            items.sort_by(|a, b| a.key.cmp(&b.key));
        }
        _ => {
            if let Some(books) = banks.get(&source.code) {
                items = books.items(&bank_query).map_err(|e| e.to_string())?;
            }
        }
    }
    items.retain(|i| req.categories.is_empty() || req.categories.contains(&i.category));
    Ok(PersonResult {
        ref_id: p.ref_id.clone(),
        status: if items.is_empty() { PersonStatus::NoRecord } else { PersonStatus::Found },
        items,
    })
}
