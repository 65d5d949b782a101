//! The file exchange in the browser (文件交换): each file-channel institution's requests and
//! answers, request packages exported (each a download, kept in memory for its exporter until
//! fetched once), and an institution's response package imported through an upload.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use hedui_app::{AppError, Caller};
use hedui_core::catalog::Channel;

use crate::Web;
use crate::pages::{page, user_ctx_at};

/// An exported package waiting for its download: (owner, file name, bytes).
type Waiting = (String, String, Vec<u8>);

/// Exported packages waiting to be downloaded, by token.
#[derive(Default)]
pub(crate) struct Packages(Mutex<HashMap<String, Waiting>>);

fn render(web: &Web, app: &hedui_app::App, actor: &Caller, done: serde_json::Value) -> Result<String, AppError> {
    let sources: Vec<_> = app
        .source_overview(actor)?
        .into_iter()
        .filter(|s| app.catalog().get(&s.code).is_some_and(|c| c.channel == Channel::File))
        .map(|s| {
            json!({"code": s.code, "name": s.name, "institution": s.institution, "sla": s.sla,
            "backlog": s.backlog, "unanswered": s.unanswered, "requests": s.requests})
        })
        .collect();
    let may_run = hedui_app::access::permits(actor.role, hedui_app::Action::ImportRun);
    web.render(
        "exchange.html",
        crate::ctx! { user => user_ctx_at(actor, "exchange"), sources => sources, done => done, may_run => may_run },
    )
}

pub async fn exchange(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    page(&web, actor, move |app, actor, web| render(web, app, actor, json!(null)).map(Html)).await
}

/// Exports a package for every open file-exchange request and lists them for download.
pub async fn export(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    page(&web, actor, move |app, actor, web| {
        let exported = app.export_packages(actor)?;
        let mut links = Vec::new();
        let mut table = web.packages.0.lock().map_err(|_| AppError::Internal("package table lock poisoned".into()))?;
        for p in exported {
            let token = web.request_id();
            links.push(json!({"token": token, "file_name": p.file_name, "source": p.source, "persons": p.persons}));
            table.insert(token, (actor.name().to_string(), p.file_name, p.bytes));
        }
        drop(table);
        render(web, app, actor, json!({"exported": links})).map(Html)
    })
    .await
}

/// An exported package, once, to its exporter.
pub async fn package(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(token): Path<String>,
) -> Response {
    let taken = web.packages.0.lock().ok().and_then(|mut t| match t.get(&token) {
        Some((owner, _, _)) if *owner == actor.name() => t.remove(&token),
        _ => None,
    });
    match taken {
        Some((_, name, bytes)) => (
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            ],
            bytes,
        )
            .into_response(),
        None => crate::page_error_for(
            &web,
            AppError::NotFound("文件包不存在或已下载；已导出的请求不会重复导出".into()),
            &web.request_id(),
            Some(&actor),
        ),
    }
}

/// Imports an institution's response package.
pub async fn import(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let parts = crate::household_page::upload(&headers, body).await;
    page(&web, actor, move |app, actor, web| {
        let parts = parts?;
        let file = crate::multipart::field(&parts, "file").filter(|f| !f.data.is_empty());
        let file = file.ok_or_else(|| AppError::Invalid("请选择机构返回的响应文件包".into()))?;
        let done = match app.import_package(actor, &file.data) {
            // Jobs that waited only for this answer are completed now, by whoever started them.
            Ok(p) => json!({"imported": p, "completed": app.settle_waiting()?.len()}),
            Err(e @ AppError::Invalid(_)) => json!({"refused": e.public_message()}),
            Err(e) => return Err(e),
        };
        render(web, app, actor, done).map(Html)
    })
    .await
}
