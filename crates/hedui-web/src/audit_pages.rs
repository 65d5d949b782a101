//! The 审计管理员's audit viewer: conditions (user, object, action, outcome, dates), pages over
//! the whole trail with their count and size, an Excel export of what the conditions select, and a
//! check of the chains against the exported checkpoints. Every reading is audited by the service.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use hedui_app::{AppError, AppResult, Caller};
use hedui_core::{Date, Timestamp};
use hedui_store::{AuditOutcome, AuditQuery};

use crate::Web;
use crate::pages::{page, urlencode, user_ctx_at};

/// Page sizes the viewer offers.
const SIZES: [i64; 4] = [20, 50, 100, 500];

/// The viewer's conditions, as the form sends them.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub struct AuditParams {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub object: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub outcome: String,
    /// Dates (YYYY-MM-DD, China time), both inclusive.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: Option<i64>,
    #[serde(default)]
    pub size: Option<i64>,
}

impl AuditParams {
    fn size(&self) -> i64 {
        self.size.filter(|s| SIZES.contains(s)).unwrap_or(50)
    }

    /// The store query; a date or outcome that cannot be read is an error the user can correct.
    fn query(&self) -> AppResult<AuditQuery> {
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        // Midnight in China, as an instant.
        let day = |s: &str, what: &str, next: bool| -> AppResult<Option<Timestamp>> {
            let Some(s) = text(s) else { return Ok(None) };
            let d = Date::parse(&s).map_err(|_| AppError::Invalid(format!("{what}“{s}”不是日期（如 2026-12-07）")))?;
            let days = d.to_days() + i64::from(next);
            Ok(Some(Timestamp::from_unix(days * 86_400 - 8 * 3600)))
        };
        let outcome = match self.outcome.trim() {
            "" => None,
            "ok" => Some(AuditOutcome::Ok),
            "denied" => Some(AuditOutcome::Denied),
            "error" => Some(AuditOutcome::Error),
            other => return Err(AppError::Invalid(format!("结果“{other}”无效"))),
        };
        let size = self.size();
        Ok(AuditQuery {
            actor: text(&self.actor),
            object: text(&self.object),
            action: text(&self.action),
            outcome,
            from: day(&self.from, "起始日期", false)?,
            to: day(&self.to, "截止日期", true)?,
            limit: size,
            offset: (self.page.unwrap_or(1).max(1) - 1) * size,
        })
    }

    /// The viewer's address for `page` under the same conditions.
    fn url(&self, path: &str, page: i64) -> String {
        let mut q = vec![];
        for (k, v) in [
            ("actor", &self.actor),
            ("object", &self.object),
            ("action", &self.action),
            ("outcome", &self.outcome),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.trim().is_empty() {
                q.push(format!("{k}={}", urlencode(v.trim())));
            }
        }
        q.push(format!("size={}", self.size()));
        if page > 0 {
            q.push(format!("page={page}"));
        }
        format!("{path}?{}", q.join("&"))
    }
}

pub async fn audit(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Query(p): Query<AuditParams>,
) -> Response {
    page(&web, actor, move |app, actor, web| {
        let q = p.query()?;
        let (rows, total) = app.audit_find(actor, &q)?;
        let size = p.size();
        let pages = ((total + size - 1) / size).max(1);
        let current = p.page.unwrap_or(1).clamp(1, pages);
        web.render(
            "audit.html",
            crate::ctx! {
                user => user_ctx_at(actor, "audit"), rows => rows, total => total, q => &p, sizes => SIZES, size => size,
                page => current, pages => pages,
                prev => (current > 1).then(|| p.url("/audit", current - 1)),
                next => (current < pages).then(|| p.url("/audit", current + 1)),
                export => p.url("/audit.xlsx", 0),
                verification => (),
            },
        )
        .map(Html)
    })
    .await
}

pub async fn audit_xlsx(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Query(p): Query<AuditParams>,
) -> Response {
    page(&web, actor, move |app, actor, _| {
        let book = app.audit_export(actor, &p.query()?)?;
        let name = format!("audit-{}.xlsx", app.today());
        Ok((
            [
                (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            ],
            book,
        )
            .into_response())
    })
    .await
}

/// Checks the chains against the checkpoints exported to the node's checkpoint file (or, when it
/// has none, against the database's own copies, which the page says prove less).
pub async fn audit_verify(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    page(&web, actor, move |app, actor, web| {
        let (v, source) = app.verify_audit_here(actor)?;
        let findings: Vec<String> = v.findings().map(|(c, f)| format!("{c}：{f}")).collect();
        web.render(
            "audit.html",
            crate::ctx! {
                user => user_ctx_at(actor, "audit"), rows => Vec::<hedui_store::AuditRow>::new(), total => 0, q => AuditParams::default(),
                sizes => SIZES, size => 50, page => 1, pages => 1, prev => (), next => (), export => "/audit.xlsx",
                verification => crate::ctx! { intact => v.intact(), chains => &v.chains, findings => findings, source => source, before_chains => v.before_chains },
            },
        )
        .map(Html)
    })
    .await
}
