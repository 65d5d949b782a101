//! A started job waiting for its sources, in the browser: each source's status, polled live by
//! the job page; 催办 for a late source; completing the job with what has come back (按部分结果
//! 完成) with a reason.

use axum::Json;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use hedui_app::{AppError, Caller};
use hedui_core::JobId;

use crate::Web;
use crate::pages::{job_page, page};

/// The job's sources as JSON, for the job page to refresh itself.
pub async fn progress(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
) -> Response {
    page(&web, actor, move |app, actor, _| app.job_progress(actor, JobId(id)).map(Json)).await
}

#[derive(Deserialize)]
pub struct PartialForm {
    #[serde(default)]
    reason: String,
}

/// Completes a waiting job with what has come back; without a reason, back to the job page.
pub async fn partial(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
    Form(form): Form<PartialForm>,
) -> Response {
    page(&web, actor, move |app, actor, web| match app.complete_partial(actor, JobId(id), &form.reason) {
        Ok(_) if app.job(JobId(id))?.state == hedui_core::job::JobState::Completed => {
            Ok(Redirect::to(&format!("/jobs/{id}")).into_response())
        }
        Ok(_) => Ok(Redirect::to(&format!("/jobs/{id}/report")).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::InvalidState(_))) => {
            let html = job_page(web, app, actor, JobId(id), Some(e.public_message()))?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
        }
        Err(e) => Err(e),
    })
    .await
}

/// Reminds a late source (催办), then back to the job page.
pub async fn remind(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path((id, source)): Path<(i64, String)>,
) -> Response {
    page(&web, actor, move |app, actor, web| match app.remind_source(actor, JobId(id), &source) {
        Ok(()) => Ok(Redirect::to(&format!("/jobs/{id}#sources")).into_response()),
        Err(e @ AppError::InvalidState(_)) => {
            let html = job_page(web, app, actor, JobId(id), Some(e.public_message()))?;
            Ok((StatusCode::CONFLICT, Html(html)).into_response())
        }
        Err(e) => Err(e),
    })
    .await
}
