//! A job that waits for its sources, over the API: starting it (the sources are asked in the
//! background), its sources' status, 催办 for a late source, and completing it with what has
//! come back (按部分结果完成). `POST /jobs/{id}/run` stays the one-call run for scripts: it
//! collects within the exchange's window and completes the job with what answered.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use hedui_app::Caller;
use hedui_app::collect::progress::JobProgress;
use hedui_app::reports::Report;
use hedui_core::JobId;

use crate::Web;
use crate::api::with_actor;
use crate::views::ErrorBody;

/// Why a waiting job is completed with what has come back.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Partial {
    pub reason: String,
}

/// Starts a submitted job: 202 with its sources, asked in the background. Without an online
/// exchange nothing is asked and the job is completed at once.
#[utoipa::path(post, path = "/jobs/{id}/start", tag = "委托与核对", params(("id" = i64, Path, description = "核对任务号")), security(("bearer" = [])), responses((status = 202, description = "已开始，各数据源的反馈状态", body = JobProgress), (status = 409, description = "任务状态不允许", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限或授权无效", body = ErrorBody)))]
pub(crate) async fn start(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
) -> Response {
    let shared = web.app.clone();
    with_actor(&web, actor, StatusCode::ACCEPTED, move |app, actor| {
        if app.start_job(actor, JobId(id))?.is_none() {
            let actor = actor.clone();
            std::thread::spawn(move || {
                if let Err(e) = shared.collect_and_settle(&actor, JobId(id)) {
                    tracing::warn!(job = id, error = %e, "collecting a started job failed");
                }
            });
        }
        app.job_progress(actor, JobId(id))
    })
    .await
}

/// Each source the job asked: asked, open, waiting or late against its deadline, reminders.
#[utoipa::path(get, path = "/jobs/{id}/sources", tag = "委托与核对", params(("id" = i64, Path, description = "核对任务号")), security(("bearer" = [])), responses((status = 200, description = "各数据源的反馈状态", body = JobProgress), (status = 404, description = "不存在", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn sources(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
) -> Response {
    with_actor(&web, actor, StatusCode::OK, move |app, actor| app.job_progress(actor, JobId(id))).await
}

/// Reminds a late source (催办); a source that is not late is a conflict.
#[utoipa::path(post, path = "/jobs/{id}/sources/{source}/remind", tag = "委托与核对", params(("id" = i64, Path, description = "核对任务号"), ("source" = String, Path, description = "数据源代码")), security(("bearer" = [])), responses((status = 200, description = "已催办，各数据源的反馈状态", body = JobProgress), (status = 409, description = "该数据源未超时", body = ErrorBody), (status = 404, description = "任务未向该数据源查询", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn remind(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path((id, source)): Path<(i64, String)>,
) -> Response {
    with_actor(&web, actor, StatusCode::OK, move |app, actor| {
        app.remind_source(actor, JobId(id), &source)?;
        app.job_progress(actor, JobId(id))
    })
    .await
}

/// Completes a waiting job with what has come back; the silent sources are 未反馈 in its report.
#[utoipa::path(post, path = "/jobs/{id}/partial", tag = "委托与核对", params(("id" = i64, Path, description = "核对任务号")), request_body = Partial, security(("bearer" = [])), responses((status = 200, description = "核对报告", body = Report), (status = 409, description = "任务不在等待反馈", body = ErrorBody), (status = 400, description = "缺少理由", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn partial(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
    body: Result<axum::Json<Partial>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let rid = web.request_id();
    let p = match crate::api::body(body, &rid) {
        Ok(p) => p,
        Err(e) => return *e,
    };
    with_actor(&web, actor, StatusCode::OK, move |app, actor| app.complete_partial(actor, JobId(id), &p.reason)).await
}
