//! The job list as Chinese admin systems lay lists out: a search form above the table (state,
//! outcome, programme, kind, region, household and commission number in part, a member's name or
//! ID number, a date range), the total and the page count, a page size, sortable columns, and the
//! same list as an Excel file.

use axum::extract::{Query, State};
use axum::response::{Html, Response};
use serde::Deserialize;
use serde_json::json;

use hedui_app::cases::search::PersonSearch;
use hedui_app::{AppError, AppResult, Caller};
use hedui_core::Date;
use hedui_core::commission::CommissionKind;
use hedui_core::job::JobState;
use hedui_core::programme::Programme;
use hedui_means::Outcome;
use hedui_store::{JobFilter, JobSort};

use crate::Web;
use crate::pages::{page, urlencode, user_ctx_at};
use crate::views::JobView;

/// The page sizes offered; the first is the default.
pub const SIZES: [i64; 4] = [20, 50, 100, 10];

/// The job list's filters as they arrive in the query string.
#[derive(Debug, Default, Deserialize, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub programme: String,
    #[serde(default)]
    pub kind: String,
    /// Region code prefix.
    #[serde(default)]
    pub region: String,
    /// A part of the household number.
    #[serde(default)]
    pub household: String,
    /// A part of the commission number.
    #[serde(default)]
    pub commission: String,
    /// A member's or supporter's name (found through its blind index).
    #[serde(default)]
    pub name: String,
    /// A member's or supporter's ID number (found through its blind index).
    #[serde(default)]
    pub id_number: String,
    /// The job's date from (YYYY-MM-DD).
    #[serde(default)]
    pub from: String,
    /// The job's date to (YYYY-MM-DD).
    #[serde(default)]
    pub to: String,
    /// `newest_first`, `oldest_first`, `as_of_desc`, `as_of_asc`, `household_asc`,
    /// `household_desc`, `state_asc` or `updated_desc`.
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub size: Option<i64>,
    #[serde(default)]
    pub page: Option<i64>,
}

impl JobQuery {
    /// The page size asked for, if it is one of [`SIZES`].
    pub fn size(&self) -> i64 {
        self.size.filter(|s| SIZES.contains(s)).unwrap_or(SIZES[0])
    }

    /// The store filter; an unknown value is an error a clerk can correct, never silently ignored.
    pub fn filter(&self) -> AppResult<JobFilter> {
        let bad = |what: &str, v: &str| AppError::Invalid(format!("筛选条件“{what}”的取值 {v:?} 无效"));
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        let date = |what: &str, s: &str| -> AppResult<Option<Date>> {
            opt(s).map(|d| Date::parse(&d).map_err(|_| bad(what, &d))).transpose()
        };
        let size = self.size();
        Ok(JobFilter {
            state: opt(&self.state).map(|s| JobState::from_code(&s).ok_or_else(|| bad("状态", &s))).transpose()?,
            outcome: opt(&self.outcome)
                .map(|s| Outcome::from_code(&s).ok_or_else(|| bad("核对结果", &s)))
                .transpose()?,
            programme: opt(&self.programme)
                .map(|s| Programme::from_code(&s).ok_or_else(|| bad("救助项目", &s)))
                .transpose()?,
            kind: opt(&self.kind)
                .map(|s| CommissionKind::from_code(&s).ok_or_else(|| bad("委托类型", &s)))
                .transpose()?,
            region_prefix: opt(&self.region),
            household_contains: opt(&self.household),
            commission_contains: opt(&self.commission),
            as_of_from: date("核对日期起", &self.from)?,
            as_of_to: date("核对日期止", &self.to)?,
            sort: opt(&self.sort)
                .map(|s| JobSort::from_code(&s).ok_or_else(|| bad("排序", &s)))
                .transpose()?
                .unwrap_or_default(),
            limit: size,
            offset: (self.page.unwrap_or(1).max(1) - 1) * size,
            ..JobFilter::default()
        })
    }

    /// The person searched for.
    pub fn person(&self) -> PersonSearch {
        PersonSearch { name: self.name.clone(), id_number: self.id_number.clone() }
    }

    /// The query string of this search on `page`, sorted by `sort`.
    fn query(&self, page: i64, sort: &str) -> String {
        let mut q = vec![];
        for (k, v) in [
            ("state", &self.state),
            ("outcome", &self.outcome),
            ("programme", &self.programme),
            ("kind", &self.kind),
            ("region", &self.region),
            ("household", &self.household),
            ("commission", &self.commission),
            ("name", &self.name),
            ("id_number", &self.id_number),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.trim().is_empty() {
                q.push(format!("{k}={}", urlencode(v.trim())));
            }
        }
        if !sort.is_empty() {
            q.push(format!("sort={sort}"));
        }
        q.push(format!("size={}", self.size()));
        q.push(format!("page={page}"));
        q.join("&")
    }
}

/// A sortable column's header: its label, the link that sorts by it (the other way when it is the
/// order now), and an arrow for the order now.
fn sortable(q: &JobQuery, label: &str, asc: JobSort, desc: JobSort) -> serde_json::Value {
    let now = JobSort::from_code(q.sort.trim()).unwrap_or_default();
    let (next, arrow) = match now {
        s if s == desc => (asc, "↓"),
        s if s == asc => (desc, "↑"),
        _ => (desc, ""),
    };
    json!({ "label": label, "href": format!("/jobs?{}", q.query(1, next.code())), "arrow": arrow })
}

pub async fn jobs(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Query(q): Query<JobQuery>,
) -> Response {
    page(&web, actor, move |app, actor, web| {
        let f = q.filter()?;
        let (rows, total) = app.search_jobs(actor, &f, &q.person())?;
        let rows: Vec<_> = rows.iter().map(|j| JobView::of(app, j)).collect();
        let size = q.size();
        let page = f.offset / size + 1;
        let pages = ((total + size - 1) / size).max(1);
        let states: Vec<_> = JobState::ALL.iter().map(|s| json!({"code": s.code(), "name": s.name_zh()})).collect();
        let outcomes: Vec<_> = [Outcome::Exceeds, Outcome::NotExceeded, Outcome::Open]
            .iter()
            .map(|o| json!({"code": o.code(), "name": o.name_zh()}))
            .collect();
        let programmes: Vec<_> =
            Programme::ALL.iter().map(|p| json!({"code": p.code(), "name": p.name_zh()})).collect();
        let kinds: Vec<_> =
            CommissionKind::ALL.iter().map(|k| json!({"code": k.code(), "name": k.name_zh()})).collect();
        let sort = q.sort.trim().to_string();
        let columns = json!({
            "id": sortable(&q, "任务", JobSort::OldestFirst, JobSort::NewestFirst),
            "household": sortable(&q, "户编号", JobSort::HouseholdAsc, JobSort::HouseholdDesc),
            "as_of": sortable(&q, "核对日期", JobSort::AsOfAsc, JobSort::AsOfDesc),
            "state": sortable(&q, "状态", JobSort::StateAsc, JobSort::StateAsc),
        });
        let ctx = crate::ctx! {
            user => user_ctx_at(actor, "jobs"), jobs => rows, total => total, page => page, pages => pages,
            size => size, sizes => crate::job_list::SIZES, columns => columns,
            prev_url => (page > 1).then(|| format!("/jobs?{}", q.query(page - 1, &sort))),
            next_url => (page < pages).then(|| format!("/jobs?{}", q.query(page + 1, &sort))),
            first_url => format!("/jobs?{}", q.query(1, &sort)),
            last_url => format!("/jobs?{}", q.query(pages, &sort)),
            export_url => format!("/jobs.xlsx?{}", q.query(1, &sort)),
            f => json!({"state": q.state, "outcome": q.outcome, "programme": q.programme, "kind": q.kind,
                "region": q.region, "household": q.household, "commission": q.commission, "name": q.name,
                "id_number": q.id_number, "from": q.from, "to": q.to, "sort": sort}),
            states => states, outcomes => outcomes, programmes => programmes, kinds => kinds,
            can_commission => hedui_app::access::permits(actor.role, hedui_app::Action::CommissionCreate),
        };
        web.render("jobs.html", ctx).map(Html)
    })
    .await
}

/// The list a search selects as an Excel file, every code shown by its name.
pub async fn jobs_xlsx(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Query(q): Query<JobQuery>,
) -> Response {
    page(&web, actor, move |app, actor, _| {
        let rows = app.export_jobs(actor, &q.filter()?, &q.person())?;
        let header = [
            "任务",
            "户编号",
            "户籍地",
            "救助项目",
            "委托类型",
            "委托编号",
            "委托单位",
            "核对日期",
            "状态",
            "核对结果",
        ];
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|j| {
                let v = JobView::of(app, j);
                vec![
                    v.id.to_string(),
                    v.household_number,
                    v.region_name,
                    v.programme_name,
                    v.kind_name,
                    v.commission_number,
                    v.department,
                    v.as_of.to_string(),
                    v.state_name,
                    v.outcome_name.unwrap_or_default(),
                ]
            })
            .collect();
        crate::exports::xlsx(app, "jobs", "核对任务", &header, &cells)
    })
    .await
}
