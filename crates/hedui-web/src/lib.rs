//! hedui's web UI and JSON API.
//!
//! The UI is Chinese first and server-rendered (minijinja templates embedded
//! in the binary); the API under `/api/v1` speaks JSON and is described by
//! `/api/v1/openapi.json`. Every error leaves through one mapping, the
//! public error table of `hedui-app`: a stable code, an HTTP status and a
//! message a clerk can act on, plus the request id for support.
//!
//! The store is synchronous, so every handler runs its work on the blocking
//! pool.

mod accounts;
mod api;
mod api_waiting;
mod audit_pages;
mod exchange_pages;
mod exports;
pub mod guard;
mod household_page;
mod household_pages;
pub mod i18n;
mod import_pages;
mod job_list;
mod linkage_pages;
pub mod multipart;
pub mod openapi;
mod pages;
mod report_pages;
mod report_view;
mod review_pages;
pub mod routes;
mod session_pages;
mod source_pages;
pub mod tls;
mod user_pages;
pub mod views;

pub use report_pages::report_html;

/// A template context from `name => value` pairs of anything serializable.
#[macro_export]
macro_rules! ctx {
    ($($k:ident => $v:expr),* $(,)?) => {{
        let mut m = serde_json::Map::new();
        $( m.insert(stringify!($k).to_string(), serde_json::to_value(&$v).unwrap_or(serde_json::Value::Null)); )*
        minijinja::Value::from(minijinja::value::Serde(serde_json::Value::Object(m)))
    }};
}

/// A template's context with each value converted once, straight from its type (for the largest
/// pages; [`ctx!`] goes through JSON).
#[macro_export]
macro_rules! direct_ctx {
    ($($k:ident => $v:expr),* $(,)?) => {{
        let mut m = std::collections::BTreeMap::<String, minijinja::Value>::new();
        $( m.insert(stringify!($k).to_string(), minijinja::Value::from(minijinja::value::Serde(&$v))); )*
        minijinja::Value::from(m)
    }};
}

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::Environment;

use hedui_app::{App, AppError, AppResult};

/// Shared state of the server.
#[derive(Clone)]
pub struct Web {
    pub app: Arc<App>,
    templates: Arc<Environment<'static>>,
    seq: Arc<AtomicU64>,
    started: u64,
    /// What each route does (set when the router is built).
    access: routes::AccessMap,
    /// Served over TLS: cookies are `Secure` and responses carry HSTS.
    pub secure: bool,
    /// Uploaded files waiting for confirmation, and imports running.
    uploads: Arc<import_pages::Uploads>,
    /// Exported request packages waiting to be downloaded.
    packages: Arc<exchange_pages::Packages>,
}

impl std::fmt::Debug for Web {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Web").finish_non_exhaustive()
    }
}

/// The session cookie's name.
pub const COOKIE: &str = "hedui_session";

/// `{{ fen|yuan }}`: integer fen as yuan with two decimals and thousands separators.
fn yuan(v: i64) -> String {
    hedui_core::Fen(v).to_string()
}

/// `{{ p|param }}`: a policy parameter's value in its unit (fen-valued keys as yuan).
fn param(key: String, value: i64) -> String {
    if key.ends_with("_fen") { format!("{} 元", hedui_core::Fen(value)) } else { value.to_string() }
}

/// The audit actions' names for people.
pub(crate) const ACTION_NAMES: [(&str, &str); 60] = [
    ("login", "登录"),
    ("household.create", "登记家庭"),
    ("household.read", "查看家庭"),
    ("authorization.record", "录入授权书"),
    ("authorization.end", "终止或撤回授权书"),
    ("authorization.scan", "上传授权书扫描件"),
    ("authorization.scan_read", "下载授权书扫描件"),
    ("household.correct", "补正成员信息"),
    ("household.list", "查看家庭列表"),
    ("report.complete", "形成报告（待签发或待审核）"),
    ("report.approve", "审核签发"),
    ("report.changes", "复核前后变化"),
    ("report.receipt", "登记回执"),
    ("job.objection_file", "登记异议材料"),
    ("job.objection_file_read", "下载异议材料"),
    ("import.dry_run", "预览导入"),
    ("exchange.export", "导出请求文件包"),
    ("exchange.import", "导入响应文件包"),
    ("commission.create", "委托核对"),
    ("job.transition", "任务状态变更"),
    ("job.refuse", "拒绝核对（授权无效）"),
    ("job.start", "开始核对（等待数据源反馈）"),
    ("job.sources", "查看数据源反馈"),
    ("job.partial", "按部分结果完成"),
    ("source.remind", "催办数据源"),
    ("record.link_list", "查看待人工关联记录"),
    ("record.link", "人工关联：确认为同一人"),
    ("record.link_reject", "人工关联：不是同一人"),
    ("job.list", "查看任务列表"),
    ("report.issue", "出具报告"),
    ("report.read", "查看报告"),
    ("report.download", "下载报告"),
    ("mirror.import", "导入部门数据"),
    ("import.issues.download", "下载导入问题清单"),
    ("audit.read", "查看审计日志"),
    ("audit.export", "导出审计日志"),
    ("audit.verify", "核验审计链"),
    ("audit.purge", "按保留期限清理审计记录"),
    ("audit.person", "查询某人的被查询记录"),
    ("node.backup", "备份数据库"),
    ("node.restore", "从备份恢复"),
    ("user.create", "创建用户"),
    ("user.change", "修改用户"),
    ("user.disable", "停用用户"),
    ("user.enable", "启用用户"),
    ("user.lock", "锁定用户"),
    ("user.unlock", "解锁用户"),
    ("user.reset", "重置密码"),
    ("user.password", "修改密码"),
    ("user.list", "查看用户列表"),
    ("relative.add", "近亲属备案"),
    ("factor.enrol", "登记第二因子"),
    ("security.events", "查看安全事件"),
    ("source.read", "查看数据源状态"),
    ("import.list", "查看导入批次"),
    ("session.list", "查看会话"),
    ("session.end", "结束会话"),
    ("user.recover", "恢复安全管理员"),
    ("access.deny", "拒绝访问"),
    ("request.refuse", "拒绝请求（来源或表单令牌无效）"),
];

/// `{{ code|action }}`: an audit action's name for people.
fn action(code: String) -> String {
    ACTION_NAMES.iter().find(|(c, _)| *c == code).map_or(code, |(_, name)| name.to_string())
}

/// `{{ at|bjt }}`: a stored instant (`…Z`) in Beijing time; anything else as it is.
fn bjt(value: String) -> String {
    hedui_core::Timestamp::parse(&value).map_or(value, hedui_core::Timestamp::beijing)
}

/// `{{ outcome|audit_outcome }}`.
fn audit_outcome(code: String) -> String {
    match code.as_str() {
        "ok" => "成功",
        "denied" => "拒绝",
        "error" => "失败",
        other => other,
    }
    .to_string()
}

/// The templates, by name: part of the binary.
pub(crate) const TEMPLATES: [(&str, &str); 26] = [
    ("base.html", include_str!("../templates/base.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("jobs.html", include_str!("../templates/jobs.html")),
    ("job.html", include_str!("../templates/job.html")),
    ("linkage.html", include_str!("../templates/linkage.html")),
    ("report.html", include_str!("../templates/report.html")),
    ("trace.html", include_str!("../templates/trace.html")),
    ("imports.html", include_str!("../templates/imports.html")),
    ("sources.html", include_str!("../templates/sources.html")),
    ("policy.html", include_str!("../templates/policy.html")),
    ("audit.html", include_str!("../templates/audit.html")),
    ("password.html", include_str!("../templates/password.html")),
    ("second.html", include_str!("../templates/second.html")),
    ("security.html", include_str!("../templates/security.html")),
    ("factors.html", include_str!("../templates/factors.html")),
    ("users.html", include_str!("../templates/users.html")),
    ("households.html", include_str!("../templates/households.html")),
    ("household_new.html", include_str!("../templates/household_new.html")),
    ("household.html", include_str!("../templates/household.html")),
    ("commission_batch.html", include_str!("../templates/commission_batch.html")),
    ("pager.html", include_str!("../templates/pager.html")),
    ("exchange.html", include_str!("../templates/exchange.html")),
    ("import_preview.html", include_str!("../templates/import_preview.html")),
    ("import_run.html", include_str!("../templates/import_run.html")),
    ("home.html", include_str!("../templates/home.html")),
];

fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    env.add_filter("yuan", yuan);
    env.add_function("param", param);
    env.add_filter("action", action);
    env.add_filter("audit_outcome", audit_outcome);
    env.add_filter("bjt", bjt);
    let files = TEMPLATES;
    for (name, text) in files {
        // The templates are part of the binary and covered by tests; a broken one is a build defect.
        if let Err(e) = env.add_template(name, text) {
            tracing::error!("template {name}: {e}");
        }
    }
    env
}

impl Web {
    pub fn new(app: Arc<App>) -> Web {
        Web {
            app,
            templates: Arc::new(templates()),
            seq: Arc::new(AtomicU64::new(0)),
            started: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            access: Default::default(),
            secure: false,
            uploads: Default::default(),
            packages: Default::default(),
        }
    }

    /// The same server, known to be reached over TLS (hedui's own, or a gateway's).
    pub fn secure(mut self) -> Web {
        self.secure = true;
        self
    }

    /// A new request id, logged with every internal error and shown to the user.
    pub fn request_id(&self) -> String {
        format!("{:x}-{}", self.started, self.seq.fetch_add(1, Ordering::Relaxed))
    }

    /// Renders a template to HTML.
    pub fn render(&self, name: &str, ctx: minijinja::Value) -> Result<String, AppError> {
        self.templates
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| AppError::Internal(format!("template {name}: {e:#}")))
    }

    /// Runs service work on the blocking pool.
    pub async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&App) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let app = self.app.clone();
        match tokio::task::spawn_blocking(move || f(&app)).await {
            Ok(r) => r,
            Err(e) => Err(AppError::Internal(format!("worker failed: {e}"))),
        }
    }
}

/// The session token from `Authorization: Bearer …` or the session cookie.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    if let Some(t) =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(t.trim().to_string());
    }
    let cookies = headers.get_all(header::COOKIE);
    for c in cookies.iter().filter_map(|v| v.to_str().ok()) {
        for part in c.split(';') {
            if let Some(v) = part.trim().strip_prefix(&format!("{COOKIE}=")) {
                return Some(v.to_string());
            }
        }
    }
    None
}

fn status(e: &AppError) -> StatusCode {
    StatusCode::from_u16(e.entry().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn log(e: &AppError, request_id: &str) {
    if let AppError::Internal(cause) = e {
        tracing::error!(request_id, cause, "internal error");
    } else {
        tracing::info!(request_id, code = e.code(), "request refused: {e}");
    }
}

/// An error as JSON: `{code, message, request_id}` with the table's status.
pub fn api_error(e: AppError, request_id: &str) -> Response {
    log(&e, request_id);
    let body = serde_json::json!({ "code": e.code(), "message": e.public_message(), "request_id": request_id });
    (status(&e), axum::Json(body)).into_response()
}

/// An error as a page; an anonymous visitor goes to the login page instead.
pub fn page_error(web: &Web, e: AppError, request_id: &str) -> Response {
    page_error_for(web, e, request_id, None)
}

/// The error page inside the layout of `user` (their menu and breadcrumbs) when signed in.
pub fn page_error_for(web: &Web, e: AppError, request_id: &str, user: Option<&hedui_app::Caller>) -> Response {
    if matches!(e, AppError::Unauthenticated) {
        return Redirect::to("/login").into_response();
    }
    log(&e, request_id);
    let user = user.map(pages::user_ctx);
    let ctx = crate::ctx! { message => e.public_message(), title => e.entry().title, code => e.code(), request_id => request_id, user => user };
    match web.render("error.html", ctx) {
        Ok(html) => (status(&e), Html(html)).into_response(),
        Err(_) => (status(&e), e.public_message()).into_response(),
    }
}

/// Every route with its action: the pages, then the API.
fn build() -> routes::Routes {
    use hedui_app::Action as A;
    let r = routes::Routes::new()
        .get("/", A::Session, pages::start)
        .get("/home", A::JobList, pages::home)
        .get("/login", A::Public, session_pages::login_form)
        .get("/static/ui.js", A::Public, || async {
            ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../static/ui.js"))
        })
        .get("/lang/{code}", A::Public, i18n::switch)
        .post("/login", A::Public, session_pages::login)
        .post("/logout", A::Public, session_pages::logout)
        .get("/login/second", A::Public, session_pages::second_form)
        .post("/login/second", A::Public, session_pages::second)
        .get("/factors", A::Session, session_pages::factors_form)
        .post("/factors", A::Session, session_pages::enrol_totp)
        .post("/factors/token", A::Session, session_pages::enrol_token)
        .get("/password", A::Session, session_pages::password_form)
        .post("/password", A::Session, session_pages::change_password)
        .get("/households", A::HouseholdRead, household_pages::households)
        .get("/households.xlsx", A::HouseholdRead, household_pages::households_xlsx)
        .get("/households/new", A::HouseholdCreate, household_pages::new_household)
        .post("/households", A::HouseholdCreate, household_pages::create_household)
        .get("/households/{id}", A::HouseholdRead, household_page::household)
        .post("/households/{id}/correct", A::HouseholdChange, household_page::correct)
        .post("/households/{id}/letters", A::LetterChange, household_page::letter)
        .post("/households/{id}/letters/{aid}/scan", A::LetterChange, household_page::attach)
        .get("/households/{id}/letters/{aid}/scan", A::HouseholdRead, household_page::scan)
        .post("/households/{id}/letters/{aid}/end", A::LetterChange, household_page::end_letter)
        .post("/households/{id}/commission", A::CommissionCreate, household_page::commission)
        .get("/commissions/template.xlsx", A::CommissionCreate, household_page::batch_template)
        .post("/commissions/batch", A::CommissionCreate, household_page::batch)
        .get("/jobs", A::JobList, job_list::jobs)
        .get("/jobs.xlsx", A::JobList, job_list::jobs_xlsx)
        .get("/users", A::UserManage, user_pages::users)
        .get("/users.xlsx", A::UserManage, user_pages::users_xlsx)
        .post("/users", A::UserManage, user_pages::create)
        .post("/users/{uid}/{what}", A::UserManage, user_pages::act)
        .get("/jobs/{id}", A::JobRead, pages::job)
        .post("/jobs/{id}/run", A::JobRun, pages::run_job)
        .get("/jobs/{id}/sources.json", A::JobRead, source_pages::progress)
        .post("/jobs/{id}/partial", A::JobRun, source_pages::partial)
        .post("/jobs/{id}/sources/{source}/remind", A::JobRun, source_pages::remind)
        .post("/jobs/{id}/objection", A::Objection, pages::object)
        .get("/jobs/{id}/objection-files/{seq}", A::JobRead, pages::objection_file)
        .post("/jobs/{id}/recheck", A::Recheck, pages::recheck)
        .get("/jobs/{id}/report", A::ReportRead, report_pages::report)
        .get("/jobs/{id}/report/trace", A::ReportRead, report_pages::report_trace)
        .get("/jobs/{id}/draft", A::ReportReview, review_pages::draft)
        .get("/jobs/{id}/draft/statement.txt", A::ReportApprove, review_pages::statement)
        .post("/jobs/{id}/approve", A::ReportApprove, review_pages::approve)
        .post("/jobs/{id}/return", A::ReportApprove, review_pages::send_back)
        .post("/jobs/{id}/receipt", A::ReceiptRecord, review_pages::receipt)
        .get("/jobs/{id}/report.{ext}", A::ReportDownload, report_pages::report_file)
        .get("/linkage", A::RecordLink, linkage_pages::queue)
        .post("/linkage/{record}", A::RecordLink, linkage_pages::decide)
        .get("/imports", A::ImportRead, pages::imports)
        .get("/imports.xlsx", A::ImportRead, exports::imports_xlsx)
        .get("/imports/{id}/issues.csv", A::ImportRead, pages::issues_csv)
        .post("/imports/preview", A::ImportRun, import_pages::preview)
        .post("/imports/confirm", A::ImportRun, import_pages::confirm)
        .get("/imports/runs/{token}", A::ImportRead, import_pages::run_page)
        .get("/imports/runs/{token}/progress", A::ImportRead, import_pages::run_json)
        .get("/exchange", A::ImportRead, exchange_pages::exchange)
        .post("/exchange/export", A::ImportRun, exchange_pages::export)
        .get("/exchange/packages/{token}", A::ImportRun, exchange_pages::package)
        .post("/exchange/import", A::ImportRun, exchange_pages::import)
        .get("/sources", A::SourceRead, pages::sources)
        .get("/sources.xlsx", A::SourceRead, exports::sources_xlsx)
        .get("/policy", A::PolicyRead, pages::policy)
        .post("/policy", A::PolicySimulate, pages::policy_simulate)
        .get("/audit", A::AuditRead, audit_pages::audit)
        .get("/audit.xlsx", A::AuditRead, audit_pages::audit_xlsx)
        .post("/audit/verify", A::AuditRead, audit_pages::audit_verify)
        .get("/security", A::SecurityEvents, pages::security)
        .get("/healthz", A::Public, || async { "ok" });
    api::routes(r.under("/api/v1"))
}

/// Every route of the application with the action it performs: the table the router is built
/// with, for tests and documentation.
pub fn route_table() -> Vec<routes::RouteAccess> {
    build().table
}

/// The router of the whole application.
pub fn router(mut web: Web) -> Router {
    let built = build();
    web.access = routes::access_map(&built.table);
    built
        .router
        .route_layer(axum::middleware::from_fn_with_state(web.clone(), routes::authorize))
        .layer(axum::middleware::from_fn_with_state(web.clone(), guard::guard))
        .with_state(web)
}

/// Serves until the process is stopped.
pub async fn serve(listener: tokio::net::TcpListener, web: Web) -> std::io::Result<()> {
    axum::serve(listener, router(web).into_make_service_with_connect_info::<std::net::SocketAddr>()).await
}
