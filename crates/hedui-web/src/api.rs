//! The JSON API under `/api/v1`, described by `/api/v1/openapi.json`, which is generated from
//! the handlers' annotations and the request and response types (`crate::openapi`).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use hedui_app::cases::supporters::SupporterAuthorizationInput;
use hedui_app::cases::{AuthorizationInput, CommissionInput, HouseholdInput, HouseholdView};
use hedui_app::collect::SourceOverview;
use hedui_app::policy::simulate::Simulation;
use hedui_app::reports::Report;
use hedui_app::{App, AppError, AppResult, Caller, ERROR_CODES};
use hedui_core::catalog::NodeKeys;
use hedui_core::{HouseholdId, JobId};

use crate::job_list::JobQuery;
use crate::report_pages::VersionQuery;
use crate::views::*;
use crate::{Web, api_error};

/// The API's routes, each with the action it performs.
pub(crate) fn routes(r: crate::routes::Routes) -> crate::routes::Routes {
    use hedui_app::Action as A;
    r.get("/openapi.json", A::Public, openapi_json)
        .get("/errors", A::Public, errors)
        .post("/login", A::Public, login)
        .post("/households", A::HouseholdCreate, create_household)
        .get("/households/{id}", A::HouseholdRead, household)
        .post("/households/{id}/authorizations", A::LetterChange, record_authorization)
        .post("/households/{id}/authorizations/{aid}/end", A::LetterChange, end_authorization)
        .post("/households/{id}/supporters/{seq}/authorizations", A::LetterChange, record_supporter_authorization)
        .post("/commissions", A::CommissionCreate, commission)
        .get("/jobs", A::JobList, jobs)
        .get("/jobs/{id}", A::JobRead, job)
        .post("/jobs/{id}/run", A::JobRun, run_job)
        .post("/jobs/{id}/start", A::JobRun, crate::api_waiting::start)
        .get("/jobs/{id}/sources", A::JobRead, crate::api_waiting::sources)
        .post("/jobs/{id}/sources/{source}/remind", A::JobRun, crate::api_waiting::remind)
        .post("/jobs/{id}/partial", A::JobRun, crate::api_waiting::partial)
        .post("/jobs/{id}/objection", A::Objection, object)
        .post("/jobs/{id}/recheck", A::Recheck, recheck)
        .get("/jobs/{id}/report", A::ReportRead, report)
        .get("/jobs/{id}/report/{format}", A::ReportDownload, report_file)
        .get("/reports/signing-key", A::Public, signing_key)
        .post("/exchange/callback", A::Public, exchange_callback)
        .get("/exchange/keys", A::Public, exchange_keys)
        .get("/sources", A::SourceRead, sources)
        .post("/policy/simulate", A::PolicySimulate, policy_simulate)
        .post("/me/relatives", A::Session, record_relative)
        .post("/persons/access-log", A::PersonAccessLog, crate::accounts::person_access_log)
        .post("/me/password", A::Session, crate::accounts::own_password)
        .post("/login/second", A::Public, login_second)
        .post("/me/factors/totp", A::Session, enrol_totp)
        .post("/me/factors/sm2", A::Session, enrol_sm2)
        .post("/me/factors/token", A::Session, crate::accounts::enrol_token)
        .get("/users", A::UserManage, crate::accounts::users)
        .post("/users", A::UserManage, crate::accounts::create_user)
        .post("/users/{uid}/change", A::UserManage, crate::accounts::change_user)
        .post("/users/{uid}/disable", A::UserManage, crate::accounts::disable)
        .post("/users/{uid}/enable", A::UserManage, crate::accounts::enable)
        .post("/users/{uid}/lock", A::UserManage, crate::accounts::lock)
        .post("/users/{uid}/unlock", A::UserManage, crate::accounts::unlock)
        .post("/users/{uid}/reset", A::UserManage, crate::accounts::reset)
        .post("/users/{uid}/factors/sm2", A::UserManage, crate::accounts::enrol_sm2_for)
        .post("/users/{uid}/factors/token", A::UserManage, crate::accounts::enrol_token_for)
        .get("/security/events", A::SecurityEvents, crate::accounts::security_events)
        .get("/sessions", A::UserManage, crate::accounts::sessions)
        .post("/sessions/{sid}/end", A::UserManage, crate::accounts::end_session)
}

#[utoipa::path(post, path = "/me/relatives", tag = "账户", request_body = RelativeBody, security(("bearer" = [])), responses((status = 201, description = "近亲属已备案：此后该亲属为成员的家庭，本人一律不能办理", body = Recorded), (status = 400, description = "身份证号码无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 409, description = "已备案", body = ErrorBody)))]
pub(crate) async fn record_relative(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    b: Result<Json<RelativeBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let b = match body(b, &web.request_id()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, actor, StatusCode::CREATED, move |app, actor| {
        app.record_relative(actor, &b.id_number, &b.relation)?;
        Ok(Recorded { recorded: true })
    })
    .await
}

/// An institution's asynchronous answer. No session: the envelope's SM2 signature, checked
/// against the catalog's key for its sender, is the authentication.
#[utoipa::path(post, path = "/exchange/callback", tag = "数据交换", request_body(content = serde_json::Value, description = "SM2 签名、SM4 加密的交换信封（docs/exchange.md）；信封的签名即认证"), responses((status = 200, description = "是否为新答复", body = CallbackReply), (status = 400, description = "信封无效", body = ErrorBody), (status = 422, description = "签名或内容被拒", body = ErrorBody)))]
pub(crate) async fn exchange_callback(
    State(web): State<Web>,
    env: Result<Json<hedui_exchange::Envelope>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let rid = web.request_id();
    let env = match body(env, &rid) {
        Ok(e) => e,
        Err(r) => return *r,
    };
    match web.blocking(move |app| app.exchange_callback(&env)).await {
        Ok(new) => Json(CallbackReply { new }).into_response(),
        Err(e) => api_error(e, &rid),
    }
}

/// This node's published SM2 keys, for the institutions it queries. Public by nature.
#[utoipa::path(get, path = "/exchange/keys", tag = "数据交换", responses((status = 200, description = "本节点的 SM2 公钥", body = NodeKeys), (status = 404, description = "未配置在线数据交换", body = ErrorBody)))]
pub(crate) async fn exchange_keys(State(web): State<Web>) -> Response {
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

#[utoipa::path(get, path = "/sources", tag = "数据来源", security(("bearer" = [])), responses((status = 200, description = "数据来源概况", body = Vec<SourceOverview>), (status = 400, description = "请求无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn sources(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    with_actor(&web, actor, StatusCode::OK, |app, actor| app.source_overview(actor)).await
}

#[utoipa::path(post, path = "/policy/simulate", tag = "政策", request_body = SimulateRequest, security(("bearer" = [])), responses((status = 200, description = "政策模拟结果（按县区和项目）", body = Simulation), (status = 400, description = "请求无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn policy_simulate(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    axum::Json(r): axum::Json<SimulateRequest>,
) -> Response {
    with_actor(&web, actor, StatusCode::OK, move |app, actor| {
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

/// Runs `f` for the caller the authorization middleware let through, on the blocking pool; every
/// failure becomes the JSON error body.
pub(crate) async fn with_actor<T: serde::Serialize + Send + 'static>(
    web: &Web,
    actor: Caller,
    ok: StatusCode,
    f: impl FnOnce(&App, &Caller) -> AppResult<T> + Send + 'static,
) -> Response {
    let rid = web.request_id();
    match web.blocking(move |app| f(app, &actor)).await {
        Ok(v) => (ok, Json(v)).into_response(),
        Err(e) => api_error(e, &rid),
    }
}

/// A request body that failed to parse becomes an `invalid_input` error, not a bare 400 text.
pub(crate) fn body<T>(
    r: Result<Json<T>, axum::extract::rejection::JsonRejection>,
    rid: &str,
) -> Result<T, Box<Response>> {
    r.map(|Json(v)| v)
        .map_err(|e| Box::new(api_error(AppError::Invalid(format!("请求内容无法解析：{}", e.body_text())), rid)))
}

#[utoipa::path(get, path = "/errors", tag = "公共", responses((status = 200, description = "公开的错误代码表", body = Vec<ErrorCodeRow>)))]
pub(crate) async fn errors() -> Response {
    let rows: Vec<ErrorCodeRow> = ERROR_CODES
        .iter()
        .map(|e| ErrorCodeRow { code: e.code.into(), status: e.status, title: e.title.into() })
        .collect();
    Json(rows).into_response()
}

#[utoipa::path(post, path = "/login", tag = "公共", request_body = LoginBody, responses((status = 200, description = "会话", body = Session), (status = 400, description = "请求无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn login(
    State(web): State<Web>,
    axum::Extension(from): axum::Extension<crate::guard::ClientAddr>,
    b: Result<Json<LoginBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let rid = web.request_id();
    let b = match body(b, &rid) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let r = rid.clone();
    match web.blocking(move |app| app.login_from(&b.login, &b.password, &r, from.0)).await {
        Ok(s) => Json(session_view(s)).into_response(),
        Err(e) => api_error(e, &rid),
    }
}

fn session_view(s: hedui_app::admin::users::Session) -> Session {
    let expires_in = match s.pending {
        Some(_) => hedui_app::admin::factors::PENDING_SECONDS,
        None => hedui_app::admin::users::SESSION_SECONDS,
    };
    Session { token: s.token, login: s.user.login, role: s.user.role, expires_in, pending: s.pending }
}

#[utoipa::path(post, path = "/login/second", tag = "公共", request_body = SecondBody, responses((status = 200, description = "会话（第二因子已验证）", body = Session), (status = 401, description = "待验证的登录不存在或已过期，或第二因子错误", body = ErrorBody), (status = 422, description = "请求无效", body = ErrorBody)))]
pub(crate) async fn login_second(
    State(web): State<Web>,
    b: Result<Json<SecondBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let rid = web.request_id();
    let b = match body(b, &rid) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let r = rid.clone();
    match web.blocking(move |app| app.login_second(&b.token, &b.proof, &r)).await {
        Ok(s) => Json(session_view(s)).into_response(),
        Err(e) => api_error(e, &rid),
    }
}

#[utoipa::path(post, path = "/me/factors/totp", tag = "账户", security(("bearer" = [])), responses((status = 201, description = "TOTP 密钥（供认证器应用扫描或输入；仅显示这一次）", body = hedui_app::admin::factors::TotpEnrolment), (status = 401, description = "未登录或会话已过期", body = ErrorBody)))]
pub(crate) async fn enrol_totp(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    with_actor(&web, actor, StatusCode::CREATED, |app, actor| app.enrol_totp(actor)).await
}

#[utoipa::path(post, path = "/me/factors/sm2", tag = "账户", request_body = PublicKeyBody, security(("bearer" = [])), responses((status = 201, description = "SM2 公钥已登记：此后登录须以该私钥签名挑战值", body = crate::accounts::Done), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 422, description = "不是有效的 SM2 公钥", body = ErrorBody)))]
pub(crate) async fn enrol_sm2(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    b: Result<Json<PublicKeyBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let b = match body(b, &web.request_id()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, actor, StatusCode::CREATED, move |app, actor| {
        app.enrol_sm2(actor, None, &b.public_key)?;
        Ok(crate::accounts::Done { done: true })
    })
    .await
}

#[utoipa::path(post, path = "/households", tag = "家庭与授权", request_body = HouseholdInput, security(("bearer" = [])), responses((status = 201, description = "家庭已登记", body = Created), (status = 400, description = "请求无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn create_household(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    b: Result<Json<HouseholdInput>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let b = match body(b, &web.request_id()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, actor, StatusCode::CREATED, move |app, actor| {
        let id = app.create_household(actor, &b)?;
        Ok(Created { id: id.0 })
    })
    .await
}

#[utoipa::path(get, path = "/households/{id}", tag = "家庭与授权", params(("id" = i64, Path, description = "家庭编号")), security(("bearer" = [])), responses((status = 200, description = "家庭、成员与授权书（按角色遮蔽）", body = HouseholdView), (status = 404, description = "不存在", body = ErrorBody), (status = 400, description = "请求无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn household(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
) -> Response {
    with_actor(&web, actor, StatusCode::OK, move |app, actor| app.household_view(actor, HouseholdId(id))).await
}

#[utoipa::path(post, path = "/households/{id}/authorizations", tag = "家庭与授权", params(("id" = i64, Path, description = "家庭编号")), request_body = AuthorizationInput, security(("bearer" = [])), responses((status = 201, description = "授权书已登记", body = Created), (status = 400, description = "请求无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn record_authorization(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
    b: Result<Json<AuthorizationInput>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let b = match body(b, &web.request_id()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, actor, StatusCode::CREATED, move |app, actor| {
        let aid = app.record_authorization(actor, HouseholdId(id), &b)?;
        Ok(Created { id: aid.0 })
    })
    .await
}

#[utoipa::path(post, path = "/households/{id}/supporters/{seq}/authorizations", tag = "家庭与授权", params(("id" = i64, Path, description = "家庭编号"), ("seq" = u32, Path, description = "义务人序号")), request_body = SupporterAuthorizationInput, security(("bearer" = [])), responses((status = 201, description = "义务人本人的授权书已登记", body = Created), (status = 404, description = "家庭或义务人不存在", body = ErrorBody), (status = 400, description = "请求无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn record_supporter_authorization(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path((id, seq)): Path<(i64, u32)>,
    b: Result<Json<SupporterAuthorizationInput>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let b = match body(b, &web.request_id()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, actor, StatusCode::CREATED, move |app, actor| {
        let aid = app.record_supporter_authorization(actor, HouseholdId(id), seq, &b)?;
        Ok(Created { id: aid.0 })
    })
    .await
}

#[utoipa::path(post, path = "/households/{id}/authorizations/{aid}/end", tag = "家庭与授权", params(("id" = i64, Path, description = "家庭编号"), ("aid" = i64, Path, description = "授权书编号")), request_body = EndBody, security(("bearer" = [])), responses((status = 200, description = "授权书已撤回或终止", body = Ended), (status = 400, description = "请求无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn end_authorization(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path((id, aid)): Path<(i64, i64)>,
    b: Result<Json<EndBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let b = match body(b, &web.request_id()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, actor, StatusCode::OK, move |app, actor| {
        app.end_authorization(actor, HouseholdId(id), hedui_core::AuthorizationId(aid), b.status, &b.reason)?;
        Ok(Ended { id: aid, status: b.status })
    })
    .await
}

#[utoipa::path(post, path = "/commissions", tag = "委托与核对", request_body = CommissionInput, security(("bearer" = [])), responses((status = 201, description = "委托已受理，核对任务已建立", body = CommissionCreated), (status = 400, description = "请求无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn commission(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    b: Result<Json<CommissionInput>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let b = match body(b, &web.request_id()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, actor, StatusCode::CREATED, move |app, actor| {
        let job = app.commission(actor, &b)?;
        Ok(CommissionCreated { job })
    })
    .await
}

#[utoipa::path(get, path = "/jobs", tag = "委托与核对", params(JobQuery), security(("bearer" = [])), responses((status = 200, description = "本辖区的核对任务", body = JobList), (status = 400, description = "请求无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn jobs(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Query(q): Query<JobQuery>,
) -> Response {
    with_actor(&web, actor, StatusCode::OK, move |app, actor| {
        let (rows, total) = app.search_jobs(actor, &q.filter()?, &q.person())?;
        Ok(JobList { total, jobs: rows.iter().map(|j| JobView::of(app, j)).collect() })
    })
    .await
}

#[utoipa::path(get, path = "/jobs/{id}", tag = "委托与核对", params(("id" = i64, Path, description = "核对任务号")), security(("bearer" = [])), responses((status = 200, description = "核对任务", body = JobView), (status = 404, description = "不存在", body = ErrorBody), (status = 400, description = "请求无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn job(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
) -> Response {
    with_actor(&web, actor, StatusCode::OK, move |app, _| Ok(JobView::of(app, &app.job(JobId(id))?))).await
}

#[utoipa::path(post, path = "/jobs/{id}/run", tag = "委托与核对", params(("id" = i64, Path, description = "核对任务号")), security(("bearer" = [])), responses((status = 200, description = "核对报告", body = Report), (status = 409, description = "任务状态不允许", body = ErrorBody), (status = 400, description = "请求无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn run_job(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
) -> Response {
    with_actor(&web, actor, StatusCode::OK, move |app, actor| app.run_job(actor, JobId(id))).await
}

/// A signed report file: `pdf` or `json`.
#[utoipa::path(get, path = "/jobs/{id}/report/{format}", tag = "报告", params(("id" = i64, Path, description = "核对任务号"), ("format" = String, Path, description = "pdf 或 json"), VersionQuery), security(("bearer" = [])), responses((status = 200, description = "附 SM2 签名的报告文件", content((Vec<u8> = "application/pdf"), (Vec<u8> = "application/json"))), (status = 404, description = "没有报告或格式", body = ErrorBody), (status = 400, description = "请求无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn report_file(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path((id, format)): Path<(i64, String)>,
    Query(v): Query<VersionQuery>,
) -> Response {
    let rid = web.request_id();
    let format = match format.as_str() {
        "pdf" => hedui_app::reports::sign::Format::Pdf,
        "json" => hedui_app::reports::sign::Format::Json,
        other => return api_error(AppError::NotFound(format!("没有 {other} 格式的报告（可用 pdf、json）")), &rid),
    };
    match web.blocking(move |app| app.report_file(&actor, JobId(id), v.version, format)).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, format.content_type())], bytes).into_response(),
        Err(e) => api_error(e, &rid),
    }
}

/// The node's report-signing public key, for `hedui report verify --public-key`.
#[utoipa::path(get, path = "/reports/signing-key", tag = "报告", responses((status = 200, description = "报告签名公钥", body = SigningKey)))]
pub(crate) async fn signing_key(State(web): State<Web>) -> Response {
    let k = web.app.signer.public();
    let (accepted, revoked) = web.app.signer.other_keys();
    axum::Json(SigningKey {
        signer: web.app.signer.signer().to_string(),
        alg: "SM2-with-SM3".into(),
        public_key: k.sign,
        accepted: accepted.to_vec(),
        revoked: revoked.to_vec(),
    })
    .into_response()
}

#[utoipa::path(post, path = "/jobs/{id}/objection", tag = "委托与核对", params(("id" = i64, Path, description = "核对任务号")), request_body = Objection, security(("bearer" = [])), responses((status = 200, description = "已登记异议", body = JobView), (status = 400, description = "请求无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn object(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
    axum::Json(o): axum::Json<Objection>,
) -> Response {
    with_actor(&web, actor, StatusCode::OK, move |app, actor| {
        app.object(actor, JobId(id), &o.reason).map(|j| JobView::of(app, &j))
    })
    .await
}

#[utoipa::path(post, path = "/jobs/{id}/recheck", tag = "委托与核对", params(("id" = i64, Path, description = "核对任务号")), security(("bearer" = [])), responses((status = 200, description = "复核后的新版报告", body = Report), (status = 400, description = "请求无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn recheck(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
) -> Response {
    with_actor(&web, actor, StatusCode::OK, move |app, actor| app.recheck(actor, JobId(id))).await
}

#[utoipa::path(get, path = "/jobs/{id}/report", tag = "报告", params(("id" = i64, Path, description = "核对任务号"), VersionQuery), security(("bearer" = [])), responses((status = 200, description = "报告（按角色遮蔽）", body = Report), (status = 404, description = "没有报告", body = ErrorBody), (status = 400, description = "请求无效", body = ErrorBody), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn report(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
    Query(v): Query<VersionQuery>,
) -> Response {
    with_actor(&web, actor, StatusCode::OK, move |app, actor| app.report(actor, JobId(id), v.version)).await
}

#[utoipa::path(get, path = "/openapi.json", tag = "公共", responses((status = 200, description = "本 API 的 OpenAPI 3.1 文档", body = serde_json::Value)))]
pub(crate) async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], crate::openapi::json()).into_response()
}
