//! The server-rendered pages of the clerk's UI.

use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use hedui_app::{App, AppError, AppResult, Caller};
use hedui_core::{BatchId, JobId};

use crate::views::JobView;

use crate::Web;

/// A page of the menu: its path, its name and the action of its route.
type MenuItem = (&'static str, &'static str, hedui_app::Action);

/// The menu: modules, each with the pages a role may open (by the action of the page's route).
pub(crate) const MENU: [(&str, &[MenuItem]); 4] = {
    use hedui_app::Action as A;
    [
        (
            "核对业务",
            &[
                ("home", "工作台", A::JobList),
                ("households", "家庭登记", A::HouseholdRead),
                ("jobs", "核对任务", A::JobList),
                ("linkage", "人工关联", A::RecordLink),
            ],
        ),
        (
            "数据管理",
            &[
                ("imports", "数据导入", A::ImportRead),
                ("exchange", "文件交换", A::ImportRead),
                ("sources", "数据源", A::SourceRead),
            ],
        ),
        ("政策参数", &[("policy", "政策与参数", A::PolicyRead)]),
        (
            "系统管理",
            &[
                ("users", "用户管理", A::UserManage),
                ("security", "安全事件", A::SecurityEvents),
                ("audit", "审计日志", A::AuditRead),
            ],
        ),
    ]
};

/// The signed-in user as pages show them: name, role, whether a demo account, and the menu of the
/// modules and pages their role may open (the same table that decides each route).
/// How a report's rule compares, in words.
pub(crate) const RULE_WORDS: [(&str, &str); 5] = [
    ("<", "低于（严格小于）"),
    ("≤", "不超过（小于或等于）"),
    ("=", "不得有计入项"),
    ("≥", "不低于"),
    (">", "超过（严格大于）"),
];

pub(crate) fn user_ctx(a: &Caller) -> serde_json::Value {
    user_ctx_at(a, "")
}

/// The user as [`user_ctx`] shows them, on the page `active` (its menu item marked, and the
/// breadcrumbs leading to it).
pub(crate) fn user_ctx_at(a: &Caller, active: &str) -> serde_json::Value {
    use hedui_app::access::permits;
    let mut crumbs = Vec::new();
    let menu: Vec<_> = MENU
        .iter()
        .filter_map(|(module, items)| {
            let items: Vec<_> = items
                .iter()
                .filter(|(_, _, action)| permits(a.role, *action))
                .map(|(page, label, _)| {
                    if *page == active {
                        crumbs = vec![json!({"label": module}), json!({"label": label, "href": format!("/{page}")})];
                    }
                    json!({ "page": page, "label": label, "active": *page == active })
                })
                .collect();
            (!items.is_empty()).then(|| json!({ "module": module, "items": items }))
        })
        .collect();
    json!({
        "login": a.name(), "role_name": a.role.name_zh(), "demo": a.demo, "menu": menu, "crumbs": crumbs,
    })
}

pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

/// Runs `f` for the caller the authorization middleware let through, on the blocking pool; an
/// error becomes the error page.
pub(crate) async fn page<T: IntoResponse + Send + 'static>(
    web: &Web,
    actor: Caller,
    f: impl FnOnce(&App, &Caller, &Web) -> AppResult<T> + Send + 'static,
) -> Response {
    let rid = web.request_id();
    let w = web.clone();
    let user = actor.clone();
    match web.blocking(move |app| f(app, &actor, &w)).await {
        Ok(r) => r.into_response(),
        Err(e) => crate::page_error_for(web, e, &rid, Some(&user)),
    }
}

pub(crate) fn job_page(web: &Web, app: &App, actor: &Caller, id: JobId, message: Option<String>) -> AppResult<String> {
    use hedui_app::{Action, access::permits};
    let job = app.job(id)?;
    let household = app.household_view(actor, job.household)?;
    let versions = app.report_versions(actor, id)?;
    let reports: Vec<_> = versions
        .iter()
        .map(|r| json!({"version": r.version, "created_at": r.created_at, "outcome": r.outcome.code(), "outcome_name": r.outcome.name_zh()}))
        .collect();
    let audit = app.job_history(actor, id, 100)?;
    let progress = app.job_progress(actor, id)?;
    let objection_files: Vec<_> = app
        .objection_files(id)?
        .iter()
        .map(|f| json!({"seq": f.seq, "name": f.file_name, "size": f.size, "at": f.created_at}))
        .collect();
    let stored = app.receipts(id)?;
    let latest = versions.last().map(|r| r.id);
    let receipted = stored.iter().any(|r| Some(r.report) == latest);
    let receipts: Vec<_> = stored
        .iter()
        .map(|r| {
            let version = versions.iter().find(|x| x.id == r.report).map(|x| x.version);
            json!({"version": version, "received_on": r.received_on, "organization": r.organization, "by": r.received_by,
                "decision": hedui_app::cases::delivery::decision_name(&r.decision), "decided_on": r.decided_on})
        })
        .collect();
    let authorizations: Vec<_> = household
        .authorizations
        .iter()
        .map(|a| {
            json!({"number": a.number, "signed_on": a.signed_on, "signatures": a.signatures, "status_name": a.status.name_zh(), "status_reason": a.status_reason})
        })
        .collect();
    let mut hv = serde_json::to_value(&household).map_err(|e| AppError::Internal(e.to_string()))?;
    hv["authorizations"] = json!(authorizations);
    web.render(
        "job.html",
        crate::ctx! {
            user => user_ctx_at(actor, "jobs"), job => JobView::of(app, &job), household => hv, reports => reports,
            audit => audit, message => message, can_run => permits(actor.role, Action::JobRun), progress => progress,
            receipts => receipts, decisions => hedui_app::cases::delivery::DECISIONS, today => app.today(),
            can_receipt => permits(actor.role, Action::ReceiptRecord) && !receipted, objection_files => objection_files,
            can_object => permits(actor.role, Action::Objection), can_recheck => permits(actor.role, Action::Recheck),
        },
    )
}

pub async fn job(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
) -> Response {
    page(&web, actor, move |app, actor, web| job_page(web, app, actor, JobId(id), None).map(Html)).await
}

pub async fn run_job(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
) -> Response {
    page(&web, actor, move |app, actor, web| {
        let started = match app.start_job(actor, JobId(id)) {
            // Started: the sources are asked in the background. A collection that ends within a
            // few seconds (institutions read in process, quick online ones) is waited for; a
            // longer one goes on while the job page shows the sources live.
            Ok(None) => {
                let (shared, caller) = (web.app.clone(), actor.clone());
                let (tx, rx) = std::sync::mpsc::channel();
                std::thread::spawn(move || {
                    let done = shared.collect_and_settle(&caller, JobId(id));
                    if let Err(e) = &done {
                        tracing::warn!(job = id, error = %e, "collecting a started job failed");
                    }
                    let _ = tx.send(done);
                });
                match rx.recv_timeout(std::time::Duration::from_secs(3)) {
                    Ok(Ok(Some(report))) => Ok(Some(report)),
                    Ok(Err(e)) => Err(e),
                    Ok(Ok(None)) | Err(_) => Ok(None),
                }
            }
            other => other,
        };
        match started {
            // A report waiting for its 审核员 is not issued yet: back to the job, which says so.
            Ok(Some(_)) if app.job(JobId(id))?.state == hedui_core::job::JobState::Completed => {
                Ok(Redirect::to(&format!("/jobs/{id}")).into_response())
            }
            Ok(Some(_)) => Ok(Redirect::to(&format!("/jobs/{id}/report")).into_response()),
            Ok(None) => Ok(Redirect::to(&format!("/jobs/{id}#sources")).into_response()),
            // A refusal is shown on the job page itself, next to the missing letter.
            Err(e @ AppError::AuthorizationRequired(_)) => {
                let html = job_page(web, app, actor, JobId(id), Some(e.public_message()))?;
                Ok((StatusCode::FORBIDDEN, Html(html)).into_response())
            }
            Err(e) => Err(e),
        }
    })
    .await
}

/// Records a family's objection to the report (异议), with its materials (an upload form).
pub async fn object(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Response {
    let parts = crate::household_page::upload(&headers, body).await;
    page(&web, actor, move |app, actor, web| {
        let parts = parts?;
        let reason = crate::multipart::text(&parts, "reason");
        let files: Vec<_> = parts
            .iter()
            .filter(|p| p.name == "files" && !p.data.is_empty())
            .map(|p| hedui_app::jobs::objection::Material {
                file_name: p.file_name.clone().unwrap_or_default(),
                bytes: p.data.clone(),
            })
            .collect();
        match app.object_with(actor, JobId(id), &reason, &files) {
            Ok(_) => Ok(Redirect::to(&format!("/jobs/{id}")).into_response()),
            Err(e @ (AppError::Invalid(_) | AppError::InvalidState(_))) => {
                let html = job_page(web, app, actor, JobId(id), Some(e.public_message()))?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
            }
            Err(e) => Err(e),
        }
    })
    .await
}

/// One of an objection's files, only ever as a download.
pub async fn objection_file(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path((id, seq)): Path<(i64, i64)>,
) -> Response {
    page(&web, actor, move |app, actor, _| {
        let (content_type, bytes) = app.objection_file(actor, JobId(id), seq)?;
        let ext = crate::household_page::extension(&content_type);
        let disposition = format!("attachment; filename=\"objection-{id}-{seq}.{ext}\"");
        Ok(([(header::CONTENT_TYPE, content_type), (header::CONTENT_DISPOSITION, disposition)], bytes))
    })
    .await
}

/// Re-examines a job under objection (复核): a new report version.
pub async fn recheck(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
) -> Response {
    page(&web, actor, move |app, actor, web| match app.recheck(actor, JobId(id)) {
        Ok(r) => Ok(Redirect::to(&format!("/jobs/{id}/report?version={}", r.version)).into_response()),
        Err(e @ (AppError::AuthorizationRequired(_) | AppError::InvalidState(_))) => {
            let html = job_page(web, app, actor, JobId(id), Some(e.public_message()))?;
            Ok((StatusCode::FORBIDDEN, Html(html)).into_response())
        }
        Err(e) => Err(e),
    })
    .await
}

pub async fn imports(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    page(&web, actor, move |app, actor, web| {
        let batches: Vec<_> = app
            .batches(actor)?
            .into_iter()
            .rev()
            .map(|b| {
                let name = app
                    .catalog()
                    .get(&b.source)
                    .map_or(b.source.clone(), |s| format!("{}（{}）", s.name, s.department));
                let mut v = serde_json::to_value(&b).unwrap_or_default();
                v["source_name"] = json!(name);
                v
            })
            .collect();
        let ctx = crate::ctx! {
            user => user_ctx_at(actor, "imports"), batches => batches, today => app.today(),
            sources => crate::import_pages::mirror_sources(app), runs => crate::import_pages::runs_of(web, actor.name()),
            can_import => hedui_app::access::permits(actor.role, hedui_app::Action::ImportRun),
        };
        web.render("imports.html", ctx).map(Html)
    })
    .await
}

pub async fn issues_csv(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
) -> Response {
    page(&web, actor, move |app, actor, _| {
        let csv = app.import_issues_csv(actor, BatchId(id))?;
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"batch-{id}-issues.csv\"")),
            ],
            csv,
        ))
    })
    .await
}

pub async fn sources(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    page(&web, actor, move |app, actor, web| {
        let sources = app.source_overview(actor)?;
        let catalog = app.catalog();
        let departments = sources.iter().filter(|s| s.kind == "政府部门").count();
        web.render(
            "sources.html",
            crate::ctx! {
                user => user_ctx_at(actor, "sources"),
                departments => departments,
                department_names => catalog.departments().len(),
                financial => sources.len() - departments,
                categories => catalog.supplied().len(),
                sources => sources,
            },
        )
        .map(Html)
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct HoursQuery {
    #[serde(default)]
    pub hours: Option<i64>,
}

pub async fn security(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Query(q): Query<HoursQuery>,
) -> Response {
    page(&web, actor, move |app, actor, web| {
        let hours = q.hours.unwrap_or(24);
        let events = app.security_events(actor, hours)?;
        let kinds = json!({
            "bulk_read": "大量查看或下载", "night_read": "夜间查看", "denials": "多次被拒绝",
            "lockout": "账户锁定", "audit_read": "审计记录的查看与管理", "recovery": "恢复安全管理员",
            "audit_tampered": "审计链被篡改",
        });
        web.render(
            "security.html",
            crate::ctx! { user => user_ctx_at(actor, "security"), events => events, hours => hours, kinds => kinds },
        )
        .map(Html)
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct SimulateForm {
    /// One change a line: `dibao.standard=+5%`.
    #[serde(default)]
    pub changes: String,
    #[serde(default)]
    pub as_of: String,
}

fn policy_page(web: &Web, app: &App, actor: &Caller, form: &SimulateForm) -> AppResult<String> {
    let set = app.policies.current();
    let docs: Vec<serde_json::Value> = set
        .docs()
        .map(|d| json!({"region": d.region, "name": d.name, "note": d.note, "parameters": d.parameters.len(), "rules": d.rules.len()}))
        .collect();
    let (simulation, error) = if form.changes.trim().is_empty() {
        (None, None)
    } else {
        let run = || -> AppResult<hedui_app::policy::simulate::Simulation> {
            let changes = form
                .changes
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(hedui_app::policy::simulate::Change::parse)
                .collect::<AppResult<Vec<_>>>()?;
            let as_of = if form.as_of.trim().is_empty() {
                app.today()
            } else {
                hedui_core::Date::parse(form.as_of.trim())
                    .map_err(|e| AppError::Invalid(format!("日期 {} 无效：{e}", form.as_of.trim())))?
            };
            app.simulate(actor, &changes, as_of)
        };
        match run() {
            Ok(s) => (Some(s), None),
            Err(e @ (AppError::Invalid(_) | AppError::Policy(_))) => (None, Some(e.public_message())),
            Err(e) => return Err(e),
        }
    };
    web.render(
        "policy.html",
        crate::ctx! {
            user => user_ctx_at(actor, "policy"),
            docs => docs,
            reload_error => app.policies.reload_error(),
            policy_dir => app.policies.dir().map(|d| d.display().to_string()),
            form_changes => &form.changes,
            form_as_of => &form.as_of,
            sim => simulation,
            error => error,
            outcome_names => json!({"pass": "未超出", "fail": "超出", "unknown": "待核实"}),
        },
    )
}

/// The policy in force and the simulation form.
pub async fn policy(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    page(&web, actor, move |app, actor, web| policy_page(web, app, actor, &SimulateForm::default()).map(Html)).await
}

/// Runs a simulation from the form.
pub async fn policy_simulate(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Form(f): Form<SimulateForm>,
) -> Response {
    page(&web, actor, move |app, actor, web| policy_page(web, app, actor, &f).map(Html)).await
}

/// The 工作台: the counts of the caller's region by state, and the commissions to start with
/// their deadlines in working days.
pub async fn home(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    page(&web, actor, move |app, actor, web| {
        let w = app.workbench(actor)?;
        // The sources late for the jobs this role runs (超时未反馈), to remind or complete.
        let late = match hedui_app::access::permits(actor.role, hedui_app::Action::JobRun) {
            true => app.late_sources(actor, 20)?,
            false => Vec::new(),
        };
        web.render("home.html", crate::ctx! { user => user_ctx_at(actor, "home"), w => w, late => late }).map(Html)
    })
    .await
}

/// Where a signed-in user starts: the first page of their menu.
pub async fn start(axum::Extension(actor): axum::Extension<Caller>) -> Response {
    let ctx = user_ctx(&actor);
    let first = ctx["menu"][0]["items"][0]["page"].as_str().unwrap_or("password").to_string();
    Redirect::to(&format!("/{first}")).into_response()
}
