//! 审核签发 and delivery in the browser: the draft of a report waiting for review (its 核对员
//! and the 审核员 read it), the statement the 审核员's UKey signs, approving (the signature
//! checked, the report issued) and returning it with a reason; and the commissioning department's
//! 回执 for an issued report.

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use hedui_app::{App, AppError, AppResult, Caller};
use hedui_core::JobId;

use crate::Web;
use crate::pages::page;
use crate::report_pages::report_page;

fn draft_page(web: &Web, app: &App, actor: &Caller, id: JobId, error: Option<String>) -> AppResult<String> {
    let d = app.draft_report(actor, id)?;
    let review = json!({
        "job": id.0, "statement": d.statement, "may_approve": d.may_approve.is_ok(),
        "why_not": d.may_approve.err(), "error": error, "verifier": d.report.verifier_name,
    });
    report_page(web, Some(actor), &d.report, Some(review), false)
}

/// After approving or returning: on to `to`, or back to the draft with a refusal the reviewer
/// can act on (a signature that does not verify, a missing reason).
fn then(web: &Web, app: &App, actor: &Caller, id: i64, done: AppResult<()>, to: String) -> AppResult<Response> {
    match done {
        Ok(()) => Ok(Redirect::to(&to).into_response()),
        Err(e @ AppError::Invalid(_)) => {
            let html = draft_page(web, app, actor, JobId(id), Some(e.public_message()))?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
        }
        Err(e) => Err(e),
    }
}

pub async fn draft(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
) -> Response {
    page(&web, actor, move |app, actor, web| draft_page(web, app, actor, JobId(id), None).map(Html)).await
}

/// The approval statement as a file, for a UKey client to sign byte for byte.
pub async fn statement(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
) -> Response {
    page(&web, actor, move |app, actor, _| {
        let d = app.draft_report(actor, JobId(id))?;
        d.may_approve.map_err(AppError::Forbidden)?;
        Ok((
            [
                (axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8".to_string()),
                (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"approval-{id}.txt\"")),
            ],
            d.statement,
        ))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    pub signature: String,
}

/// Approves and issues: on success the issued report; a refused signature back to the draft.
pub async fn approve(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
    Form(f): Form<ApproveForm>,
) -> Response {
    page(&web, actor, move |app, actor, web| {
        let done = app.approve(actor, JobId(id), &f.signature);
        then(web, app, actor, id, done, format!("/jobs/{id}/report"))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct ReturnForm {
    #[serde(default)]
    pub reason: String,
}

pub async fn send_back(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
    Form(f): Form<ReturnForm>,
) -> Response {
    page(&web, actor, move |app, actor, web| {
        let done = app.return_report(actor, JobId(id), &f.reason);
        then(web, app, actor, id, done, format!("/jobs/{id}"))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct ReceiptForm {
    pub received_on: String,
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub decided_on: String,
}

pub async fn receipt(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
    Form(f): Form<ReceiptForm>,
) -> Response {
    page(&web, actor, move |app, actor, web| {
        let date = |what: &str, s: &str| {
            hedui_core::Date::parse(s.trim()).map_err(|_| AppError::Invalid(format!("{what}“{}”无效", s.trim())))
        };
        let input = hedui_app::cases::delivery::ReceiptInput {
            received_on: date("签收日期", &f.received_on)?,
            decision: f.decision.clone(),
            decided_on: (!f.decided_on.trim().is_empty()).then(|| date("认定日期", &f.decided_on)).transpose()?,
        };
        match app.record_receipt(actor, JobId(id), &input) {
            Ok(()) => Ok(Redirect::to(&format!("/jobs/{id}#receipt")).into_response()),
            Err(e @ (AppError::Invalid(_) | AppError::InvalidState(_))) => {
                let html = crate::pages::job_page(web, app, actor, JobId(id), Some(e.public_message()))?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
            }
            Err(e) => Err(e),
        }
    })
    .await
}
