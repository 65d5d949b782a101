//! The JSON API under `/api/v1`, described by `/api/v1/openapi.json`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use hedui_app::cases::CommissionInput;
use hedui_app::cases::{AuthorizationInput, HouseholdInput};
use hedui_app::{App, AppError, AppResult, Caller, ERROR_CODES};
use hedui_core::{HouseholdId, JobId};

use crate::pages::{JobQuery, VersionQuery, job_view};
use crate::{Web, api_error};

const OPENAPI: &str = include_str!("../openapi.json");

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/openapi.json", get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI) }))
        .route("/errors", get(errors))
        .route("/login", post(login))
        .route("/households", post(create_household))
        .route("/households/{id}", get(household))
        .route("/households/{id}/authorizations", post(record_authorization))
        .route("/households/{id}/authorizations/{aid}/end", post(end_authorization))
        .route("/commissions", post(commission))
        .route("/jobs", get(jobs))
        .route("/jobs/{id}", get(job))
        .route("/jobs/{id}/run", post(run_job))
        .route("/jobs/{id}/objection", post(object))
        .route("/jobs/{id}/recheck", post(recheck))
        .route("/jobs/{id}/report", get(report))
        .route("/jobs/{id}/report/{format}", get(report_file))
        .route("/reports/signing-key", get(signing_key))
        .route("/exchange/callback", post(exchange_callback))
        .route("/exchange/keys", get(exchange_keys))
        .route("/sources", get(sources))
        .route("/policy/simulate", post(policy_simulate))
}

/// An institution's asynchronous answer. No session: the envelope's SM2 signature, checked
/// against the catalog's key for its sender, is the authentication.
async fn exchange_callback(
    State(web): State<Web>,
    env: Result<Json<hedui_exchange::Envelope>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let rid = web.request_id();
    let env = match body(env, &rid) {
        Ok(e) => e,
        Err(r) => return *r,
    };
    match web.blocking(move |app| app.exchange_callback(&env)).await {
        Ok(new) => Json(json!({ "new": new })).into_response(),
        Err(e) => api_error(e, &rid),
    }
}

/// This node's published SM2 keys, for the institutions it queries. Public by nature.
async fn exchange_keys(State(web): State<Web>) -> Response {
    let rid = web.request_id();
    match web
        .blocking(|app| {
            app.exchange
                .as_ref()
                .map(|e| e.client.public_keys())
                .ok_or_else(|| AppError::NotFound("本节点未配置在线数据交换".into()))
        })
        .await
    {
        Ok(k) => Json(k).into_response(),
        Err(e) => api_error(e, &rid),
    }
}

async fn sources(State(web): State<Web>, headers: HeaderMap) -> Response {
    with_actor(&web, &headers, StatusCode::OK, |app, actor| app.source_overview(actor)).await
}

#[derive(Debug, Deserialize)]
struct SimulateRequest {
    changes: Vec<String>,
    as_of: Option<String>,
}

async fn policy_simulate(
    State(web): State<Web>,
    headers: HeaderMap,
    axum::Json(r): axum::Json<SimulateRequest>,
) -> Response {
    with_actor(&web, &headers, StatusCode::OK, move |app, actor| {
        let changes = r
            .changes
            .iter()
            .map(|c| hedui_app::policy::simulate::Change::parse(c))
            .collect::<hedui_app::AppResult<Vec<_>>>()?;
        let as_of = match r.as_of.as_deref() {
            Some(d) => hedui_core::Date::parse(d).map_err(|e| AppError::Invalid(format!("日期 {d} 无效：{e}")))?,
            None => app.today(),
        };
        app.simulate(actor, &changes, as_of)
    })
    .await
}

/// Authenticates, then runs `f` on the blocking pool; every failure becomes the JSON error body.
async fn with_actor<T: serde::Serialize + Send + 'static>(
    web: &Web,
    headers: &HeaderMap,
    ok: StatusCode,
    f: impl FnOnce(&App, &Caller) -> AppResult<T> + Send + 'static,
) -> Response {
    let rid = web.request_id();
    let actor = match web.actor(headers, &rid).await {
        Ok(a) => a,
        Err(e) => return api_error(e, &rid),
    };
    match web.blocking(move |app| f(app, &actor)).await {
        Ok(v) => (ok, Json(v)).into_response(),
        Err(e) => api_error(e, &rid),
    }
}

/// A request body that failed to parse becomes an `invalid_input` error, not a bare 400 text.
fn body<T>(r: Result<Json<T>, axum::extract::rejection::JsonRejection>, rid: &str) -> Result<T, Box<Response>> {
    r.map(|Json(v)| v)
        .map_err(|e| Box::new(api_error(AppError::Invalid(format!("请求内容无法解析：{}", e.body_text())), rid)))
}

async fn errors() -> Response {
    let rows: Vec<_> =
        ERROR_CODES.iter().map(|e| json!({"code": e.code, "status": e.status, "title": e.title})).collect();
    Json(rows).into_response()
}

#[derive(Debug, Deserialize)]
struct LoginBody {
    login: String,
    password: String,
}

async fn login(
    State(web): State<Web>,
    b: Result<Json<LoginBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let rid = web.request_id();
    let b = match body(b, &rid) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let r = rid.clone();
    match web.blocking(move |app| app.login(&b.login, &b.password, &r)).await {
        Ok(s) => Json(json!({"token": s.token, "login": s.user.login, "role": s.user.role, "expires_in": hedui_app::admin::users::SESSION_SECONDS})).into_response(),
        Err(e) => api_error(e, &rid),
    }
}

async fn create_household(
    State(web): State<Web>,
    headers: HeaderMap,
    b: Result<Json<HouseholdInput>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let b = match body(b, "body") {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, &headers, StatusCode::CREATED, move |app, actor| {
        let id = app.create_household(actor, &b)?;
        Ok(json!({ "id": id }))
    })
    .await
}

async fn household(State(web): State<Web>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    with_actor(&web, &headers, StatusCode::OK, move |app, actor| app.household_view(actor, HouseholdId(id))).await
}

async fn record_authorization(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    b: Result<Json<AuthorizationInput>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let b = match body(b, "body") {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, &headers, StatusCode::CREATED, move |app, actor| {
        let aid = app.record_authorization(actor, HouseholdId(id), &b)?;
        Ok(json!({ "id": aid }))
    })
    .await
}

#[derive(Debug, Deserialize)]
struct EndBody {
    status: hedui_core::authorization::AuthorizationStatus,
    reason: String,
}

async fn end_authorization(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((id, aid)): Path<(i64, i64)>,
    b: Result<Json<EndBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let b = match body(b, "body") {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, &headers, StatusCode::OK, move |app, actor| {
        app.end_authorization(actor, HouseholdId(id), hedui_core::AuthorizationId(aid), b.status, &b.reason)?;
        Ok(json!({ "id": aid, "status": b.status }))
    })
    .await
}

async fn commission(
    State(web): State<Web>,
    headers: HeaderMap,
    b: Result<Json<CommissionInput>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let b = match body(b, "body") {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, &headers, StatusCode::CREATED, move |app, actor| {
        let job = app.commission(actor, &b)?;
        Ok(json!({ "job": job }))
    })
    .await
}

async fn jobs(State(web): State<Web>, headers: HeaderMap, Query(q): Query<JobQuery>) -> Response {
    with_actor(&web, &headers, StatusCode::OK, move |app, actor| {
        let (rows, total) = app.jobs(actor, &q.filter()?)?;
        Ok(json!({ "total": total, "jobs": rows.iter().map(|j| job_view(app, j)).collect::<Vec<_>>() }))
    })
    .await
}

async fn job(State(web): State<Web>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    with_actor(&web, &headers, StatusCode::OK, move |app, _| Ok(job_view(app, &app.job(JobId(id))?))).await
}

async fn run_job(State(web): State<Web>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    with_actor(&web, &headers, StatusCode::OK, move |app, actor| app.run_job(actor, JobId(id))).await
}

/// A signed report file: `pdf` or `json`.
async fn report_file(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((id, format)): Path<(i64, String)>,
    Query(v): Query<VersionQuery>,
) -> Response {
    let rid = web.request_id();
    let format = match format.as_str() {
        "pdf" => hedui_app::reports::sign::Format::Pdf,
        "json" => hedui_app::reports::sign::Format::Json,
        other => return api_error(AppError::NotFound(format!("没有 {other} 格式的报告（可用 pdf、json）")), &rid),
    };
    let actor = match web.actor(&headers, &rid).await {
        Ok(a) => a,
        Err(e) => return api_error(e, &rid),
    };
    match web.blocking(move |app| app.report_file(&actor, JobId(id), v.version, format)).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, format.content_type())], bytes).into_response(),
        Err(e) => api_error(e, &rid),
    }
}

/// The node's report-signing public key, for `hedui report verify --public-key`.
async fn signing_key(State(web): State<Web>) -> Response {
    let k = web.app.signer.public();
    axum::Json(json!({"signer": web.app.signer.signer(), "alg": "SM2-with-SM3", "public_key": k.sign})).into_response()
}

#[derive(Debug, Deserialize)]
struct Objection {
    reason: String,
}

async fn object(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Json(o): axum::Json<Objection>,
) -> Response {
    with_actor(&web, &headers, StatusCode::OK, move |app, actor| {
        app.object(actor, JobId(id), &o.reason).map(|j| job_view(app, &j))
    })
    .await
}

async fn recheck(State(web): State<Web>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    with_actor(&web, &headers, StatusCode::OK, move |app, actor| app.recheck(actor, JobId(id))).await
}

async fn report(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(v): Query<VersionQuery>,
) -> Response {
    with_actor(&web, &headers, StatusCode::OK, move |app, actor| app.report(actor, JobId(id), v.version)).await
}
