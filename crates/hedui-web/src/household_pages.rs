//! 家庭登记: the household list of the caller's region (search by number, programme, region, a
//! member's name or ID number; paging; Excel export) and the form that registers a family with
//! its members and supporters. A form that does not pass comes back with everything typed in it
//! and the reason, so nothing is lost.

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use hedui_app::cases::intake::HouseholdSearch;
use hedui_app::cases::search::PersonSearch;
use hedui_app::cases::{HouseholdInput, MemberInput, SupporterInput};
use hedui_app::{App, AppError, AppResult, Caller};
use hedui_core::household::{Capacity, ExclusionReason, Relation};
use hedui_core::programme::Programme;
use hedui_core::{Date, Fen};

use crate::Web;
use crate::job_list::SIZES;
use crate::pages::{page, urlencode, user_ctx_at};

/// Rows the registration form offers (empty rows are ignored).
const MEMBER_ROWS: usize = 8;
const SUPPORTER_ROWS: usize = 3;
pub const RELATIONS: [&str; 9] = ["本人", "配偶", "子女", "父母", "孙子女", "祖父母", "兄弟姐妹", "儿媳/女婿", "其他"];

#[derive(Debug, Default, Deserialize, Clone)]
pub struct HouseholdQuery {
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub programme: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub size: Option<i64>,
    #[serde(default)]
    pub page: Option<i64>,
}

impl HouseholdQuery {
    fn size(&self) -> i64 {
        self.size.filter(|s| SIZES.contains(s)).unwrap_or(SIZES[0])
    }

    fn search(&self, size: i64) -> AppResult<HouseholdSearch> {
        let programme = match self.programme.trim() {
            "" => None,
            p => Some(
                Programme::from_code(p)
                    .ok_or_else(|| AppError::Invalid(format!("筛选条件“救助项目”的取值 {p:?} 无效")))?,
            ),
        };
        Ok(HouseholdSearch {
            number: self.number.trim().to_string(),
            programme,
            region: self.region.trim().to_string(),
            person: PersonSearch { name: self.name.clone(), id_number: self.id_number.clone() },
            oldest_first: self.sort == "oldest",
            page: self.page.unwrap_or(1).max(1),
            size,
        })
    }

    fn query(&self, page: i64) -> String {
        let mut q: Vec<String> = [
            ("number", &self.number),
            ("programme", &self.programme),
            ("region", &self.region),
            ("name", &self.name),
            ("id_number", &self.id_number),
            ("sort", &self.sort),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
        .collect();
        q.push(format!("size={}", self.size()));
        q.push(format!("page={page}"));
        q.join("&")
    }
}

fn programmes() -> Vec<serde_json::Value> {
    Programme::ALL.iter().map(|p| json!({"code": p.code(), "name": p.name_zh()})).collect()
}

pub async fn households(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Query(q): Query<HouseholdQuery>,
) -> Response {
    page(&web, actor, move |app, actor, web| {
        let size = q.size();
        let s = q.search(size)?;
        let (rows, total) = app.households(actor, &s)?;
        let pages = ((total + size - 1) / size).max(1);
        let page = s.page;
        let rows: Vec<_> = rows
            .iter()
            .map(|h| {
                json!({"id": h.id.0, "number": h.number, "region": h.region, "region_name": app.region_name(&h.region),
                    "programme": h.programme.name_zh(), "applied_on": h.applied_on, "members": h.members,
                    "supporters": h.supporters, "letters": h.active_letters, "created_at": h.created_at})
            })
            .collect();
        let ctx = crate::ctx! {
            user => user_ctx_at(actor, "households"), rows => rows, total => total, page => page, pages => pages,
            size => size, sizes => SIZES, programmes => programmes(), f => json!({"number": q.number,
            "programme": q.programme, "region": q.region, "name": q.name, "id_number": q.id_number, "sort": q.sort}),
            prev_url => (page > 1).then(|| format!("/households?{}", q.query(page - 1))),
            next_url => (page < pages).then(|| format!("/households?{}", q.query(page + 1))),
            first_url => format!("/households?{}", q.query(1)), last_url => format!("/households?{}", q.query(pages)),
            export_url => format!("/households.xlsx?{}", q.query(1)),
            can_create => hedui_app::access::permits(actor.role, hedui_app::Action::HouseholdCreate),
        };
        web.render("households.html", ctx).map(Html)
    })
    .await
}

pub async fn households_xlsx(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Query(q): Query<HouseholdQuery>,
) -> Response {
    page(&web, actor, move |app, actor, _| {
        let mut s = q.search(hedui_app::cases::search::EXPORT_LIMIT)?;
        s.page = 1;
        let (rows, _) = app.households(actor, &s)?;
        let header =
            ["户编号", "户籍地", "区划代码", "救助项目", "申请日期", "成员数", "义务人数", "有效授权书", "登记时间"];
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|h| {
                vec![
                    h.number.clone(),
                    app.region_name(&h.region),
                    h.region.clone(),
                    h.programme.name_zh().to_string(),
                    h.applied_on.to_string(),
                    h.members.to_string(),
                    h.supporters.to_string(),
                    h.active_letters.to_string(),
                    h.created_at.beijing(),
                ]
            })
            .collect();
        crate::exports::xlsx(app, "households", "家庭", &header, &cells)
    })
    .await
}

/// The registration form, filled with `values` (what was posted) and showing `error`.
fn new_form(web: &Web, actor: &Caller, values: &[(String, String)], error: Option<String>) -> AppResult<String> {
    let v: serde_json::Map<String, serde_json::Value> = values.iter().map(|(k, val)| (k.clone(), json!(val))).collect();
    web.render(
        "household_new.html",
        crate::ctx! {
            user => user_ctx_at(actor, "households"), v => v, error => error, programmes => programmes(),
            members => (1..=MEMBER_ROWS).collect::<Vec<_>>(), supporters => (1..=SUPPORTER_ROWS).collect::<Vec<_>>(),
            relations => RELATIONS, region => actor.region,
        },
    )
}

pub async fn new_household(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    page(&web, actor, move |_, actor, web| new_form(web, actor, &[], None).map(Html)).await
}

/// The household the form describes; an error names the row and the field.
fn input_of(values: &[(String, String)]) -> AppResult<HouseholdInput> {
    let get = |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let money = |k: &str, what: &str| -> AppResult<Fen> {
        let s = get(k);
        if s.is_empty() {
            return Ok(Fen(0));
        }
        Fen::parse_yuan(&s).map_err(|e| AppError::Invalid(format!("{what}“{s}”无效：{e}")))
    };
    let programme =
        Programme::from_code(&get("programme")).ok_or_else(|| AppError::Invalid("请选择救助项目".into()))?;
    let applied = get("applied_on");
    let applied_on = Date::parse(&applied).map_err(|_| AppError::Invalid(format!("申请日期“{applied}”无效")))?;
    let mut members = Vec::new();
    for i in 1..=MEMBER_ROWS {
        let f = |k: &str| get(&format!("m{i}_{k}"));
        if f("name").is_empty() && f("id").is_empty() {
            continue;
        }
        let row = format!("第 {i} 行成员");
        if f("name").is_empty() || f("id").is_empty() {
            return Err(AppError::Invalid(format!("{row}：姓名和身份证号都要填写")));
        }
        let relation = Relation::parse_zh(&f("relation"))
            .ok_or_else(|| AppError::Invalid(format!("{row}：与申请人关系“{}”无效", f("relation"))))?;
        let capacity = Capacity::parse_zh(&f("capacity"))
            .ok_or_else(|| AppError::Invalid(format!("{row}：民事行为能力“{}”无效", f("capacity"))))?;
        let guardian_seq = match f("guardian").as_str() {
            "" => None,
            g => Some(g.parse::<u32>().map_err(|_| AppError::Invalid(format!("{row}：监护人序号“{g}”无效")))?),
        };
        members.push(MemberInput {
            seq: members.len() as u32 + 1,
            name: f("name"),
            id_number: f("id").to_uppercase(),
            relation,
            excluded: (!f("excluded").is_empty()).then(|| ExclusionReason::parse_zh(&f("excluded"))),
            capacity,
            guardian_seq,
            declared_income: money(&format!("m{i}_income"), &format!("{row}申报月收入"))?,
        });
    }
    if members.is_empty() {
        return Err(AppError::Invalid("至少登记一名家庭成员".into()));
    }
    let mut supporters = Vec::new();
    for i in 1..=SUPPORTER_ROWS {
        let f = |k: &str| get(&format!("s{i}_{k}"));
        if f("name").is_empty() && f("id").is_empty() {
            continue;
        }
        if f("name").is_empty() || f("id").is_empty() {
            return Err(AppError::Invalid(format!("第 {i} 行义务人：姓名和身份证号都要填写")));
        }
        supporters.push(SupporterInput { name: f("name"), id_number: f("id").to_uppercase(), duty: f("duty") });
    }
    Ok(HouseholdInput {
        number: get("number"),
        region: get("region"),
        address: get("address"),
        programme,
        applied_on,
        declared_income: money("declared_income", "申报家庭月收入")?,
        declared_assets: money("declared_assets", "申报家庭财产")?,
        members,
        supporters,
    })
}

fn register(app: &App, actor: &Caller, values: &[(String, String)]) -> AppResult<hedui_core::HouseholdId> {
    app.create_household(actor, &input_of(values)?)
}

pub async fn create_household(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Form(values): Form<Vec<(String, String)>>,
) -> Response {
    page(&web, actor, move |app, actor, web| match register(app, actor, &values) {
        Ok(id) => Ok(Redirect::to(&format!("/households/{}?done=registered", id.0)).into_response()),
        Err(
            e @ (AppError::Invalid(_) | AppError::UnknownRegion(_) | AppError::Conflict(_) | AppError::Forbidden(_)),
        ) => {
            let html = new_form(web, actor, &values, Some(e.public_message()))?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
        }
        Err(e) => Err(e),
    })
    .await
}
