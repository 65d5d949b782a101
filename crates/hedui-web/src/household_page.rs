//! One household's page: its members and supporters (each correctable, 补正), its letters with
//! their signed scans (recorded with the scan, withdrawn or ended), its commissions and jobs, and
//! the form that files a commission. Every change goes through the app, which audits it; a change
//! refused comes back to the page with the reason.

use axum::body::Body;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use hedui_app::cases::intake::{Correction, SCAN_LIMIT, scan_type};
use hedui_app::cases::search::PersonSearch;
use hedui_app::cases::supporters::SupporterAuthorizationInput;
use hedui_app::cases::{AuthorizationInput, CommissionInput};
use hedui_app::{App, AppError, AppResult, Caller};
use hedui_core::authorization::{AuthorizationStatus, Scope, Signature};
use hedui_core::commission::CommissionKind;
use hedui_core::programme::Programme;
use hedui_core::{AuthorizationId, Date, HouseholdId};
use hedui_store::JobFilter;

use crate::Web;
use crate::multipart::{self, Part};
use crate::pages::{page, user_ctx_at};
use crate::views::JobView;

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    pub done: String,
}

fn done_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "registered" => "家庭已登记。下一步：录入授权书（附签字扫描件），然后发起核对委托。",
        "letter" => "授权书已录入，扫描件已加密保存。",
        "scan" => "扫描件已加密保存。",
        "ended" => "授权书已撤回或终止。",
        "corrected" => "补正已保存，并已记入审计日志。",
        _ => return None,
    })
}

/// The page, with `error` shown at the top (a refused change).
fn household_page(
    web: &Web,
    app: &App,
    actor: &Caller,
    id: HouseholdId,
    notice: Option<&str>,
    error: Option<String>,
) -> AppResult<String> {
    let h = app.household_view(actor, id)?;
    let scans = app.letter_scans(id)?;
    let letters: Vec<_> = h
        .authorizations
        .iter()
        .map(|a| {
            let scan = scans.iter().find(|s| s.authorization == a.id);
            let signer = match a.supporter {
                Some(seq) => h.supporters.iter().find(|s| s.seq == seq).map(|s| format!("义务人 {}", s.name)),
                None => Some("家庭成员".to_string()),
            };
            json!({"id": a.id.0, "number": a.number, "signed_on": a.signed_on, "signer": signer,
                "scopes": a.scopes.iter().map(|s| s.name_zh()).collect::<Vec<_>>().join("、"),
                "signatures": a.signatures.len(), "status": a.status.code(), "status_name": a.status.name_zh(),
                "status_reason": a.status_reason, "active": a.status == AuthorizationStatus::Active,
                "scan": scan.map(|s| json!({"type": s.content_type, "size": s.size, "name": s.file_name}))})
        })
        .collect();
    let filter = JobFilter { households: Some(vec![id]), limit: 50, ..JobFilter::default() };
    let jobs: Vec<_> = if hedui_app::access::permits(actor.role, hedui_app::Action::JobList) {
        app.search_jobs(actor, &filter, &PersonSearch::default())?.0.iter().map(|j| JobView::of(app, j)).collect()
    } else {
        Vec::new()
    };
    let scopes: Vec<_> = Scope::ALL.iter().map(|s| json!({"code": s.code(), "name": s.name_zh()})).collect();
    let kinds: Vec<_> = CommissionKind::ALL.iter().map(|k| json!({"code": k.code(), "name": k.name_zh()})).collect();
    let programmes: Vec<_> = Programme::ALL.iter().map(|p| json!({"code": p.code(), "name": p.name_zh()})).collect();
    let may = |a| hedui_app::access::permits(actor.role, a);
    web.render(
        "household.html",
        crate::ctx! {
            user => user_ctx_at(actor, "households"), h => h, programme_name => h.programme.name_zh(), letters => letters,
            jobs => jobs, scopes => scopes, kinds => kinds, programmes => programmes, notice => notice, error => error,
            today => app.today(), scan_mb => SCAN_LIMIT >> 20,
            can_letter => may(hedui_app::Action::LetterChange), can_correct => may(hedui_app::Action::HouseholdChange),
            can_commission => may(hedui_app::Action::CommissionCreate),
        },
    )
}

pub async fn household(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
    Query(d): Query<Done>,
) -> Response {
    page(&web, actor, move |app, actor, web| {
        household_page(web, app, actor, HouseholdId(id), done_message(&d.done), None).map(Html)
    })
    .await
}

/// Runs a change; on success goes back to the page with `done`, on a refusal a clerk can act on
/// shows the page with the reason.
async fn change(
    web: Web,
    actor: Caller,
    id: i64,
    done: &'static str,
    f: impl FnOnce(&App, &Caller) -> AppResult<String> + Send + 'static,
) -> Response {
    page(&web, actor, move |app, actor, web| match f(app, actor) {
        Ok(to) if to.is_empty() => Ok(Redirect::to(&format!("/households/{id}?done={done}")).into_response()),
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(
            e @ (AppError::Invalid(_)
            | AppError::InvalidState(_)
            | AppError::Conflict(_)
            | AppError::NotFound(_)
            | AppError::AuthorizationRequired(_)),
        ) => {
            let html = household_page(web, app, actor, HouseholdId(id), None, Some(e.public_message()))?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
        }
        Err(e) => Err(e),
    })
    .await
}

/// An upload's parts, read within the upload limit.
pub(crate) async fn upload(headers: &HeaderMap, body: Body) -> AppResult<Vec<Part>> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let bytes = axum::body::to_bytes(body, crate::guard::UPLOAD_LIMIT)
        .await
        .map_err(|_| AppError::Invalid("上传的文件过大或连接中断".into()))?;
    multipart::parse(content_type, &bytes).map_err(AppError::Invalid)
}

/// The scan a form carries, checked before anything is stored.
fn scan_of(parts: &[Part]) -> AppResult<(String, Vec<u8>)> {
    let Some(f) = multipart::field(parts, "scan").filter(|f| !f.data.is_empty()) else {
        return Err(AppError::Invalid("请选择授权书签字页的扫描件（PDF、JPEG 或 PNG）".into()));
    };
    if f.data.len() > SCAN_LIMIT {
        return Err(AppError::Invalid(format!("扫描件超过 {} MB，请降低扫描分辨率后重新上传", SCAN_LIMIT >> 20)));
    }
    scan_type(&f.data).map_err(AppError::Invalid)?;
    Ok((f.file_name.clone().unwrap_or_default(), f.data.clone()))
}

/// A letter from the form: number, date, scopes and, for the household's, each member's signature.
fn record_letter(app: &App, actor: &Caller, id: HouseholdId, parts: &[Part]) -> AppResult<()> {
    let (file_name, scan) = scan_of(parts)?;
    let signed = multipart::text(parts, "signed_on");
    let signed_on =
        Date::parse(signed.trim()).map_err(|_| AppError::Invalid(format!("签署日期“{}”无效", signed.trim())))?;
    let scopes: Vec<Scope> = parts
        .iter()
        .filter(|p| p.name == "scope")
        .filter_map(|p| Scope::ALL.into_iter().find(|s| s.code() == p.text()))
        .collect();
    if scopes.is_empty() {
        return Err(AppError::Invalid("请勾选授权查询的数据类别".into()));
    }
    let number = multipart::text(parts, "number");
    let letter = match multipart::text(parts, "supporter").trim() {
        "" => {
            let h = app.household_view(actor, id)?;
            let mut signatures = Vec::new();
            for m in &h.members {
                match multipart::text(parts, &format!("sig_{}", m.seq)).as_str() {
                    "self" => signatures.push(Signature { member_seq: m.seq, guardian_seq: None, signed_on }),
                    "guardian" => {
                        signatures.push(Signature { member_seq: m.seq, guardian_seq: m.guardian_seq, signed_on })
                    }
                    _ => {}
                }
            }
            let input = AuthorizationInput { number, signed_on, scopes: Some(scopes), signatures };
            app.record_authorization(actor, id, &input)?
        }
        seq => {
            let seq: u32 = seq.parse().map_err(|_| AppError::Invalid(format!("义务人序号“{seq}”无效")))?;
            let input = SupporterAuthorizationInput { number, signed_on, scopes: Some(scopes) };
            app.record_supporter_authorization(actor, id, seq, &input)?
        }
    };
    app.attach_scan(actor, id, letter, &file_name, &scan)
}

pub async fn letter(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let parts = upload(&headers, body).await;
    change(web, actor, id, "letter", move |app, actor| {
        record_letter(app, actor, HouseholdId(id), &parts?)?;
        Ok(String::new())
    })
    .await
}

pub async fn attach(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path((id, aid)): Path<(i64, i64)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let parts = upload(&headers, body).await;
    change(web, actor, id, "scan", move |app, actor| {
        let (name, scan) = scan_of(&parts?)?;
        app.attach_scan(actor, HouseholdId(id), AuthorizationId(aid), &name, &scan)?;
        Ok(String::new())
    })
    .await
}

/// The file extension of a stored document's content type (a scan, an objection's material).
pub(crate) fn extension(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "pdf",
        "image/png" => "png",
        _ => "jpg",
    }
}

/// A letter's scan, only ever as a download (never shown inline).
pub async fn scan(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path((id, aid)): Path<(i64, i64)>,
) -> Response {
    page(&web, actor, move |app, actor, _| {
        let (content_type, _, bytes) = app.scan_file(actor, HouseholdId(id), AuthorizationId(aid))?;
        let ext = extension(&content_type);
        Ok((
            [
                (header::CONTENT_TYPE, content_type),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"letter-{aid}.{ext}\"")),
            ],
            bytes,
        ))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct EndForm {
    pub status: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn end_letter(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path((id, aid)): Path<(i64, i64)>,
    Form(f): Form<EndForm>,
) -> Response {
    change(web, actor, id, "ended", move |app, actor| {
        let status = match f.status.as_str() {
            "withdrawn" => AuthorizationStatus::Withdrawn,
            "terminated" => AuthorizationStatus::Terminated,
            other => return Err(AppError::Invalid(format!("授权书只能撤回或终止（{other:?}）"))),
        };
        if f.reason.trim().is_empty() {
            return Err(AppError::Invalid("请填写撤回或终止的原因".into()));
        }
        app.end_authorization(actor, HouseholdId(id), AuthorizationId(aid), status, f.reason.trim())?;
        Ok(String::new())
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct CorrectForm {
    /// `member` or `supporter`.
    pub kind: String,
    pub seq: u32,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn correct(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
    Form(f): Form<CorrectForm>,
) -> Response {
    change(web, actor, id, "corrected", move |app, actor| {
        let c = Correction {
            name: Some(f.name.clone()),
            id_number: Some(f.id_number.trim().to_uppercase()),
            reason: f.reason.clone(),
        };
        app.correct_member(actor, HouseholdId(id), f.seq, f.kind == "supporter", &c)?;
        Ok(String::new())
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct CommissionForm {
    pub kind: String,
    pub programme: String,
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub as_of: String,
    #[serde(default)]
    pub note: String,
}

pub async fn commission(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(id): Path<i64>,
    Form(f): Form<CommissionForm>,
) -> Response {
    change(web, actor, id, "", move |app, actor| {
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        let input = CommissionInput {
            number: opt(&f.number),
            kind: CommissionKind::from_code(&f.kind).ok_or_else(|| AppError::Invalid("请选择委托类型".into()))?,
            programme: Programme::from_code(&f.programme).ok_or_else(|| AppError::Invalid("请选择救助项目".into()))?,
            household: HouseholdId(id),
            department: opt(&f.department),
            note: opt(&f.note),
            as_of: opt(&f.as_of)
                .map(|d| Date::parse(&d).map_err(|_| AppError::Invalid(format!("核对日期“{d}”无效"))))
                .transpose()?,
            declared: Default::default(),
        };
        let job = app.commission(actor, &input)?;
        Ok(format!("/jobs/{job}"))
    })
    .await
}

/// The batch commission template (批量委托模板): its header and one example row.
pub async fn batch_template(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    page(&web, actor, move |app, _, _| {
        let example = vec![
            "H000001".to_string(),
            CommissionKind::PeriodicRecheck.name_zh().to_string(),
            Programme::Dibao.name_zh().to_string(),
            String::new(),
            app.today().to_string(),
            "（示例行，请删除）".to_string(),
        ];
        crate::exports::xlsx(app, "commission-template", "批量委托", &hedui_app::cases::batch::COLUMNS, &[example])
    })
    .await
}

/// Files the commissions of an uploaded list, and shows each row's result.
pub async fn batch(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let parts = upload(&headers, body).await;
    page(&web, actor, move |app, actor, web| {
        let parts = parts?;
        let file = multipart::field(&parts, "file").filter(|f| !f.data.is_empty());
        let file = file.ok_or_else(|| AppError::Invalid("请选择填好的批量委托模板".into()))?;
        let lines = app.commission_batch(actor, &file.data)?;
        let filed = lines.iter().filter(|l| l.job.is_some()).count();
        let refused = lines.iter().any(|l| l.job.is_none());
        let ctx = crate::ctx! {
            user => user_ctx_at(actor, "jobs"), lines => lines, filed => filed, refused => refused,
            file_name => file.file_name.clone().unwrap_or_default(),
        };
        web.render("commission_batch.html", ctx).map(Html)
    })
    .await
}
