//! 人工关联 in the browser: the rows of the 核对员's region waiting for a person, each next to a
//! same-name member with the fields to decide, paged; confirming or rejecting a pair.

use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use hedui_app::Caller;
use hedui_core::{HouseholdId, RecordId};

use crate::Web;
use crate::pages::{page, user_ctx_at};

const SIZE: i64 = 20;

#[derive(Deserialize, Default)]
pub struct LinkQuery {
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    done: Option<String>,
}

pub async fn queue(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Query(q): Query<LinkQuery>,
) -> Response {
    page(&web, actor, move |app, actor, web| {
        let (rows, total) = app.link_queue(actor, q.page.unwrap_or(1), SIZE)?;
        let pages = ((total + SIZE - 1) / SIZE).max(1);
        let page = q.page.unwrap_or(1).clamp(1, pages);
        let done = match q.done.as_deref() {
            Some("linked") => Some("已确认为同一人：该记录此后计入该成员的核对数据"),
            Some("rejected") => Some("已记录为不是同一人：此对不再列出"),
            _ => None,
        };
        let ctx = crate::ctx! {
            user => user_ctx_at(actor, "linkage"), rows => rows, total => total, page => page, pages => pages,
            prev_url => (page > 1).then(|| format!("/linkage?page={}", page - 1)),
            next_url => (page < pages).then(|| format!("/linkage?page={}", page + 1)),
            first_url => "/linkage?page=1", last_url => format!("/linkage?page={pages}"), done => done,
        };
        web.render("linkage.html", ctx).map(Html)
    })
    .await
}

#[derive(Deserialize)]
pub struct Decision {
    household: i64,
    seq: u32,
    /// `link` or `reject`.
    decision: String,
}

pub async fn decide(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(record): Path<i64>,
    Form(d): Form<Decision>,
) -> Response {
    page(&web, actor, move |app, actor, _| {
        let linked = d.decision == "link";
        app.decide_link(actor, RecordId(record), HouseholdId(d.household), d.seq, linked)?;
        let done = if linked { "linked" } else { "rejected" };
        Ok(Redirect::to(&format!("/linkage?done={done}")).into_response())
    })
    .await
}
