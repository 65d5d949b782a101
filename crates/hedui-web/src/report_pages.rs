//! A report's pages: the report as the reader's role may see it, its calculation (计算过程)
//! opened on demand, and its signed files.
//!
//! The report page does not carry the calculation: it is most of a report's body, and a page
//! that built and printed it on every reading spent most of its time there. The page's
//! `<details>` fetches it from its own page when the clerk opens it (`ui.js`); without a script,
//! its link opens that page. A downloaded or printed-to-file report (`report_html`) carries it
//! inline.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use hedui_app::reports::sign::Format;
use serde::Deserialize;
use serde_json::json;

use hedui_app::{AppError, AppResult, Caller};
use hedui_core::JobId;

use crate::Web;
use crate::pages::{RULE_WORDS, page, user_ctx_at};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    pub version: Option<i64>,
}

/// Renders a report to HTML for the reader's role, its calculation inline (a file).
pub fn report_html(web: &Web, actor: Option<&Caller>, r: &hedui_app::reports::Report) -> AppResult<String> {
    report_page(web, actor, r, None, false)
}

/// A report as HTML; `review` is a draft's review panel (a report waiting for its 审核员);
/// `on_demand`: the calculation is fetched from its own page when opened, not carried inline.
pub(crate) fn report_page(
    web: &Web,
    actor: Option<&Caller>,
    r: &hedui_app::reports::Report,
    review: Option<serde_json::Value>,
    on_demand: bool,
) -> AppResult<String> {
    // The words every report page shows, converted once.
    static FIXED: std::sync::OnceLock<[minijinja::Value; 5]> = std::sync::OnceLock::new();
    let [rules, item_names, item_class, state_names, labels] = FIXED.get_or_init(|| {
        use hedui_app::reports::labels::{LABELS, RESULT_WORDS, STATE_WORDS};
        fn v<T: serde::Serialize>(x: &T) -> minijinja::Value {
            minijinja::Value::from(minijinja::value::Serde(x))
        }
        [
            v(&RULE_WORDS.iter().copied().collect::<HashMap<_, _>>()),
            v(&RESULT_WORDS.iter().copied().collect::<HashMap<_, _>>()),
            v(&json!({"within": "not_exceeded", "exceeds": "exceeds", "incomplete": "open"})),
            v(&STATE_WORDS.iter().copied().collect::<HashMap<_, _>>()),
            v(&LABELS),
        ]
    });
    // Source names by code: the report's own, and the catalog's for the facts' sources.
    let source_names: HashMap<&str, &str> = web
        .app
        .catalog()
        .sources
        .iter()
        .map(|s| (s.code.as_str(), s.name.as_str()))
        .chain(r.sources.iter().map(|s| (s.source.as_str(), s.name.as_str())))
        .collect();
    let member_names: HashMap<String, String> =
        r.members.iter().map(|m| (m.seq.to_string(), format!("{} {}", m.seq, m.name))).collect();
    // The report goes to the template as it is (one conversion, not through JSON), without what
    // the page does not read (`report_view`).
    web.render(
        "report.html",
        crate::direct_ctx! {
            user => actor.map(|a| user_ctx_at(a, "jobs")), r => crate::report_view::ReportHead(r), member_names => member_names,
            a => crate::report_view::AssessmentView(&r.assessment), outcome_name => r.assessment.outcome.word(r.assessment.decision.as_ref().and_then(|d| d.wording.as_deref())),
            source_names => source_names,
            trace_text => if on_demand { String::new() } else { trace_text(r) },
            trace_src => on_demand.then(|| format!("/jobs/{}/report/trace?version={}", r.job, r.version)),
            rules => rules, item_names => item_names, item_class => item_class, state_names => state_names, L => labels,
            approval => r.seal.as_ref().and_then(|s| s.approval.clone()), review => review,
            seal_picture => web.app.seal.picture.as_ref().map(|p| p.data_uri()),
        },
    )
}

pub async fn report(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
    Query(v): Query<VersionQuery>,
) -> Response {
    page(&web, actor, move |app, actor, web| {
        let r = app.report(actor, JobId(id), v.version)?;
        report_page(web, Some(actor), &r, None, true).map(Html)
    })
    .await
}

/// The calculation's text: each value's rule, parameters and facts.
fn trace_text(r: &hedui_app::reports::Report) -> String {
    r.assessment.decision.as_ref().and_then(|d| d.trace.as_ref()).map(|t| t.to_text()).unwrap_or_default()
}

/// A report's calculation (计算过程) on a page of its own, read (and audited) as the report is.
pub async fn report_trace(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
    Query(v): Query<VersionQuery>,
) -> Response {
    page(&web, actor, move |app, actor, web| {
        let r = app.report_trace(actor, JobId(id), v.version)?;
        web.render(
            "trace.html",
            crate::direct_ctx! {
                user => user_ctx_at(actor, "jobs"), job => r.job, number => r.number, version => r.version,
                text => trace_text(&r),
            },
        )
        .map(Html)
    })
    .await
}

/// A signed report file to download: `pdf`, `html` or `json`.
pub async fn report_file(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path((id, ext)): Path<(i64, String)>,
    Query(v): Query<VersionQuery>,
) -> Response {
    page(&web, actor, move |app, actor, web| {
        if ext == "ses" {
            // The organization's electronic seal (GB/T 38540) over the signed JSON report.
            let (number, der) = app.report_eseal(actor, JobId(id), v.version)?;
            let disposition = format!("attachment; filename=\"{number}.ses\"");
            let headers = [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ];
            return Ok((headers, der).into_response());
        }
        let format = match ext.as_str() {
            "pdf" => Format::Pdf,
            "html" => Format::Html,
            "json" => Format::Json,
            other => return Err(AppError::NotFound(format!("没有 {other} 格式的报告"))),
        };
        let (bytes, number, version) = match format {
            Format::Html => {
                let r = app.report(actor, JobId(id), v.version)?;
                let html = report_html(web, Some(actor), &r)?;
                (app.sign_report(&r, Format::Html, html.as_bytes())?, r.number, r.version)
            }
            _ => {
                let bytes = app.report_file(actor, JobId(id), v.version, format)?;
                let r =
                    hedui_app::reports::sign::verify(&bytes, None).map_err(|e| AppError::Internal(e.to_string()))?;
                (bytes, r.report, r.version)
            }
        };
        let name = format!("{number}.{}", format.code());
        let _ = version;
        Ok((
            [
                (header::CONTENT_TYPE, format.content_type().to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            ],
            bytes,
        )
            .into_response())
    })
    .await
}
