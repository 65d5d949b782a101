//! File exchange with institutions that have no online interface: request packages out,
//! response packages in.

use std::collections::HashMap;

use hedui_core::catalog::Channel;
use hedui_exchange::{PersonStatus, SearchResponse};
use hedui_store::RequestState;

use crate::{App, AppError, AppResult};

/// A request package written for an institution without an online interface.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ExportedPackage {
    pub source: String,
    pub transaction_id: String,
    pub file_name: String,
    pub persons: usize,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// What importing a response package did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ImportedPackage {
    pub source: String,
    pub transaction_id: String,
    pub persons: usize,
    pub found: usize,
}

impl App {
    /// Writes one request package per open file-exchange request, and marks each request as
    /// waiting for the institution's response. Nothing is exported twice.
    pub fn export_packages(&self, actor: &crate::Caller) -> AppResult<Vec<ExportedPackage>> {
        actor.require_change()?;
        let setup = self.setup()?;
        let busy = std::collections::HashSet::new();
        self.batch_queued(setup, &busy)?;
        let mut cache = HashMap::new();
        let mut out = Vec::new();
        for r in self.store.open_requests(1_000_000)? {
            let Some(source) = setup.client.catalog().get(&r.source).filter(|s| s.channel == Channel::File).cloned()
            else {
                continue;
            };
            if r.state != RequestState::Pending {
                continue;
            }
            let (req, _) = self.search_request(&r, &mut cache)?;
            let manifest = hedui_exchange::package::Manifest {
                kind: hedui_exchange::package::PackageKind::Request,
                transaction_id: r.transaction_id.clone(),
                query_date: req.query_date,
                lookback_months: req.lookback_months,
                persons: req.persons.len() as u32,
                files: Vec::new(),
            };
            let files =
                hedui_exchange::package::request_files(&req.persons).map_err(|e| AppError::Internal(e.to_string()))?;
            let body = hedui_exchange::package::PackageBody::new(manifest, files);
            let bytes = setup
                .client
                .seal_package(&source, &r.transaction_id, &self.now().to_string(), &body)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            self.store.retry_request(r.id, RequestState::Accepted, r.attempts + 1, self.now(), "", self.now())?;
            self.audit(
                actor,
                "exchange.export",
                &format!("source:{}", source.code),
                hedui_store::AuditOutcome::Ok,
                format!("请求文件包 {}，{} 人", r.transaction_id, req.persons.len()),
            )?;
            out.push(ExportedPackage {
                file_name: format!("{}-{}.request.json", source.code, r.transaction_id),
                source: source.code.clone(),
                transaction_id: r.transaction_id.clone(),
                persons: req.persons.len(),
                bytes,
            });
        }
        Ok(out)
    }

    /// Imports an institution's response package. A package that fails its signature, its
    /// decryption or its digests, answers a request hedui did not send, answers someone not
    /// asked, or was imported before, is refused whole: nothing from it is stored.
    pub fn import_package(&self, actor: &crate::Caller, bytes: &[u8]) -> AppResult<ImportedPackage> {
        actor.require_change()?;
        let result = self.import_package_inner(bytes);
        let (outcome, detail) = match &result {
            Ok(p) => (hedui_store::AuditOutcome::Ok, format!("响应文件包 {}，{} 人", p.transaction_id, p.persons)),
            Err(e) => (hedui_store::AuditOutcome::Error, format!("响应文件包被拒收：{e}")),
        };
        let object = match &result {
            Ok(p) => format!("source:{}", p.source),
            Err(_) => "exchange:package".to_string(),
        };
        self.audit(actor, "exchange.import", &object, outcome, detail)?;
        result
    }

    fn import_package_inner(&self, bytes: &[u8]) -> AppResult<ImportedPackage> {
        let setup = self.setup()?;
        let refuse = |why: String| AppError::Invalid(format!("文件包被拒收：{why}"));
        let header = hedui_exchange::package::peek(bytes).map_err(|e| refuse(e.to_string()))?;
        let source = setup
            .client
            .catalog()
            .get(&header.sender_id)
            .filter(|s| s.channel == Channel::File)
            .cloned()
            .ok_or_else(|| refuse(format!("发送方 {} 不是文件交换渠道的数据源", header.sender_id)))?;
        let (header, body) = setup.client.open_package(&source, bytes).map_err(|e| refuse(e.to_string()))?;
        if body.manifest.kind != hedui_exchange::package::PackageKind::Response {
            return Err(refuse("不是响应文件包".into()));
        }
        let request = self
            .store
            .request_by_message(&header.transaction_id)?
            .filter(|r| r.source == source.code)
            .ok_or_else(|| refuse(format!("本平台没有发给 {} 的请求 {}", source.code, header.transaction_id)))?;
        if request.state.is_final() {
            return Err(AppError::Conflict(format!(
                "文件包被拒收：请求 {} 已有答复，该文件包已导入过或被重放",
                request.transaction_id
            )));
        }
        let answers =
            hedui_exchange::package::read_answers(&body.file("answers.csv").map_err(|e| refuse(e.to_string()))?)
                .map_err(|e| refuse(e.to_string()))?;
        let asked: std::collections::HashSet<String> =
            self.store.request_queries(request.id)?.iter().map(|q| q.id.to_string()).collect();
        if let Some(stray) = answers.iter().find(|a| !asked.contains(&a.ref_id)) {
            return Err(refuse(format!("包含未查询人员的答复（序号 {}）", stray.ref_id)));
        }
        let found = answers.iter().filter(|a| a.status == PersonStatus::Found).count();
        let persons = answers.len();
        let resp = SearchResponse { status: hedui_exchange::ResponseStatus::Completed, results: answers };
        if !self.apply_answer(setup, &source, &request, &resp)? {
            return Err(AppError::Conflict("文件包被拒收：该请求已有答复".into()));
        }
        Ok(ImportedPackage { source: source.code.clone(), transaction_id: request.transaction_id, persons, found })
    }
}
