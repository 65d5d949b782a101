//! Imports through the browser: a department's file uploaded with its source, date and mode, a
//! preview of what it would change (rows read, rejected and unresolved, and rows new, gone and
//! changed against the source's last snapshot, or why the shrink guard would refuse it), then a
//! confirmation that runs the import in the background, its progress shown live. The file waits
//! between the two steps only in this process's memory, for its uploader, for half an hour.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Json, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use hedui_app::{App, AppError, AppResult, Caller, ImportInput, Progress};
use hedui_core::Date;
use hedui_store::SnapshotMode;

use crate::Web;
use crate::multipart;
use crate::pages::{page, user_ctx_at};

/// How long an uploaded file waits for its confirmation.
const STAGED_FOR: Duration = Duration::from_secs(30 * 60);

/// A file uploaded and previewed, waiting for its uploader's confirmation.
struct Staged {
    owner: String,
    source: String,
    as_of: Date,
    mode: SnapshotMode,
    file_name: String,
    bytes: Arc<Vec<u8>>,
    at: Instant,
}

/// An import running (or run) in the background.
pub(crate) struct Run {
    owner: String,
    source: String,
    file_name: String,
    done: AtomicI64,
    total: AtomicI64,
    /// The batch stored and its counts, or why it was refused; `None` while it runs.
    outcome: Mutex<Option<Result<serde_json::Value, String>>>,
}

/// Files waiting for confirmation and imports running, by token.
#[derive(Default)]
pub(crate) struct Uploads {
    staged: Mutex<HashMap<String, Staged>>,
    runs: Mutex<HashMap<String, Arc<Run>>>,
}

fn lock<T>(m: &Mutex<T>) -> AppResult<std::sync::MutexGuard<'_, T>> {
    m.lock().map_err(|_| AppError::Internal("upload table lock poisoned".into()))
}

/// The mirror sources a file may be imported for: (code, name).
pub(crate) fn mirror_sources(app: &App) -> Vec<(String, String)> {
    app.catalog()
        .by_channel(hedui_core::catalog::Channel::Mirror)
        .map(|s| (s.code.clone(), format!("{}（{}）", s.name, s.department)))
        .collect()
}

/// The running and finished imports of `owner`, newest first, for the imports page.
pub(crate) fn runs_of(web: &Web, owner: &str) -> Vec<serde_json::Value> {
    let Ok(runs) = lock(&web.uploads.runs) else { return Vec::new() };
    let mut out: Vec<_> = runs.iter().filter(|(_, r)| r.owner == owner).map(|(t, r)| (t.clone(), status(r))).collect();
    out.sort_by(|a, b| b.0.cmp(&a.0));
    out.into_iter()
        .map(|(t, mut s)| {
            s["token"] = json!(t);
            s
        })
        .collect()
}

fn status(r: &Run) -> serde_json::Value {
    let outcome = r.outcome.lock().ok().and_then(|o| o.clone());
    json!({
        "source": r.source, "file_name": r.file_name, "done": r.done.load(Ordering::Relaxed),
        "total": r.total.load(Ordering::Relaxed), "finished": outcome.is_some(),
        "result": outcome.as_ref().and_then(|o| o.as_ref().ok()), "error": outcome.as_ref().and_then(|o| o.as_ref().err()),
    })
}

/// The upload form's fields and the file.
fn staged_of(actor: &Caller, parts: &[multipart::Part]) -> AppResult<Staged> {
    let source = multipart::text(parts, "source").trim().to_string();
    let as_of_text = multipart::text(parts, "as_of");
    let as_of = Date::parse(as_of_text.trim())
        .map_err(|_| AppError::Invalid(format!("数据日期“{}”无效", as_of_text.trim())))?;
    let mode = match multipart::text(parts, "mode").as_str() {
        "incremental" => SnapshotMode::Incremental,
        _ => SnapshotMode::Full,
    };
    let file = multipart::field(parts, "file").filter(|f| !f.data.is_empty());
    let file = file.ok_or_else(|| AppError::Invalid("请选择要导入的文件（CSV 或 Excel）".into()))?;
    Ok(Staged {
        owner: actor.name().to_string(),
        source,
        as_of,
        mode,
        file_name: file.file_name.clone().unwrap_or_else(|| "upload.csv".into()),
        bytes: Arc::new(file.data.clone()),
        at: Instant::now(),
    })
}

fn input<'a>(s: &'a Staged, app: &App, actor: &'a Caller, confirm: Option<&'a str>) -> ImportInput<'a> {
    ImportInput {
        source: &s.source,
        file_name: &s.file_name,
        as_of: s.as_of,
        bytes: &s.bytes,
        now: app.now(),
        actor: actor.name(),
        request_id: &actor.request_id,
        mode: s.mode,
        confirm_shrink: confirm,
        min_share: hedui_app::DEFAULT_MIN_SHARE,
        progress: None,
    }
}

/// Uploads a file and shows what importing it would change.
pub async fn preview(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let parts = crate::household_page::upload(&headers, body).await;
    let token = web.request_id();
    page(&web, actor, move |app, actor, web| {
        let staged = staged_of(actor, &parts?)?;
        let dry = app.dry_run_import(actor, &app.mappings, &input(&staged, app, actor, None))?;
        let source_name = mirror_sources(app).into_iter().find(|(c, _)| *c == staged.source).map(|(_, n)| n);
        let ctx = crate::ctx! {
            user => user_ctx_at(actor, "imports"), token => token, d => dry, file_name => staged.file_name,
            source_name => source_name.unwrap_or_else(|| staged.source.clone()), size => staged.bytes.len(),
            mode => if staged.mode == SnapshotMode::Full { "全量快照" } else { "增量" },
        };
        let html = web.render("import_preview.html", ctx)?;
        let mut table = lock(&web.uploads.staged)?;
        table.retain(|_, s| s.owner != actor.name() && s.at.elapsed() < STAGED_FOR);
        table.insert(token, staged);
        Ok(Html(html))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    pub token: String,
    /// The uploader confirms that a full snapshot much smaller than the last one is right.
    #[serde(default)]
    pub confirm_shrink: String,
}

/// Starts the import of a previewed file in the background and goes to its progress page.
pub async fn confirm(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Form(f): Form<ConfirmForm>,
) -> Response {
    let taken = lock(&web.uploads.staged).map(|mut t| match t.remove(&f.token) {
        Some(s) if s.owner == actor.name() && s.at.elapsed() < STAGED_FOR => Some(s),
        _ => None,
    });
    let staged = match taken {
        Ok(Some(s)) => s,
        Ok(None) => {
            let e = AppError::NotFound("待确认的文件不存在或已过期（30 分钟），请重新上传".into());
            return crate::page_error_for(&web, e, &web.request_id(), Some(&actor));
        }
        Err(e) => return crate::page_error_for(&web, e, &web.request_id(), Some(&actor)),
    };
    let run = Arc::new(Run {
        owner: actor.name().to_string(),
        source: staged.source.clone(),
        file_name: staged.file_name.clone(),
        done: AtomicI64::new(0),
        total: AtomicI64::new(0),
        outcome: Mutex::new(None),
    });
    if let Ok(mut runs) = lock(&web.uploads.runs) {
        runs.insert(f.token.clone(), run.clone());
    }
    let app = web.app.clone();
    let confirmed = (f.confirm_shrink == "yes").then(|| actor.name().to_string());
    tokio::task::spawn_blocking(move || {
        let tell = |done: i64, total: i64| {
            run.done.store(done, Ordering::Relaxed);
            run.total.store(total, Ordering::Relaxed);
        };
        let mut i = input(&staged, &app, &actor, confirmed.as_deref());
        i.progress = Some(Progress(&tell));
        let outcome = app
            .import_file(&actor, &app.mappings, &i)
            .map(|s| json!({"batch": s.batch.0, "stats": s.stats, "already_imported": s.already_imported}))
            .map_err(|e| e.public_message());
        if let Ok(mut o) = run.outcome.lock() {
            *o = Some(outcome);
        }
    });
    Redirect::to(&format!("/imports/runs/{}", f.token)).into_response()
}

fn run_of(web: &Web, actor: &Caller, token: &str) -> AppResult<Arc<Run>> {
    let runs = lock(&web.uploads.runs)?;
    match runs.get(token) {
        Some(r) if r.owner == actor.name() => Ok(r.clone()),
        _ => Err(AppError::NotFound("没有这个导入任务".into())),
    }
}

/// An import's progress as a page (updated live by the page's script, or by reloading it).
pub async fn run_page(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(token): Path<String>,
) -> Response {
    page(&web, actor, move |_, actor, web| {
        let r = run_of(web, actor, &token)?;
        let ctx = crate::ctx! { user => user_ctx_at(actor, "imports"), token => token, r => status(&r) };
        web.render("import_run.html", ctx).map(Html)
    })
    .await
}

/// An import's progress as JSON, for the page's script.
pub async fn run_json(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(token): Path<String>,
) -> Response {
    match run_of(&web, &actor, &token) {
        Ok(r) => Json(status(&r)).into_response(),
        Err(e) => crate::api_error(e, &web.request_id()),
    }
}
