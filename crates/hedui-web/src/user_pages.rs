//! User management for the 安全管理员, as a list page: search (login or name, role, region,
//! state), paging, Excel export, a form to add a user, and each row's switches (disable, enable,
//! unlock) and password reset. Every change goes through the app, which audits it.

use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use hedui_app::access::ROLES;
use hedui_app::admin::users::Account;
use hedui_app::{App, AppError, AppResult, Caller, Role};
use hedui_core::UserId;
use hedui_store::UserRow;

use crate::Web;
use crate::pages::{page, urlencode, user_ctx_at};

const SIZES: [usize; 4] = [20, 50, 100, 10];

/// The list's search as it arrives in the query string.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct UserQuery {
    /// Part of the login or the name.
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub role: String,
    /// Region code prefix.
    #[serde(default)]
    pub region: String,
    /// `enabled`, `disabled` or `locked`.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub size: Option<usize>,
    #[serde(default)]
    pub page: Option<usize>,
    /// A message after a change.
    #[serde(default)]
    pub done: String,
}

impl UserQuery {
    fn size(&self) -> usize {
        self.size.filter(|s| SIZES.contains(s)).unwrap_or(SIZES[0])
    }

    fn matches(&self, u: &UserRow, now: hedui_core::Timestamp) -> bool {
        let q = self.q.trim();
        let locked = u.locked_until.is_some_and(|t| t > now);
        (q.is_empty() || u.login.contains(q) || u.display_name.contains(q))
            && (self.role.is_empty() || u.role == self.role)
            && (self.region.trim().is_empty() || u.region.starts_with(self.region.trim()))
            && match self.state.as_str() {
                "enabled" => !u.disabled,
                "disabled" => u.disabled,
                "locked" => locked,
                _ => true,
            }
    }

    fn query(&self, page: usize) -> String {
        let mut q: Vec<String> =
            [("q", &self.q), ("role", &self.role), ("region", &self.region), ("state", &self.state)]
                .iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
                .collect();
        q.push(format!("size={}", self.size()));
        q.push(format!("page={page}"));
        q.join("&")
    }
}

/// The users the search selects, in login order.
fn selected(app: &App, actor: &Caller, q: &UserQuery) -> AppResult<Vec<UserRow>> {
    let now = app.now();
    let mut users: Vec<UserRow> = app.users(actor)?.into_iter().filter(|u| q.matches(u, now)).collect();
    users.sort_by(|a, b| a.login.cmp(&b.login));
    Ok(users)
}

fn role_name(code: &str) -> String {
    Role::parse(code).map_or_else(|| code.to_string(), |r| r.name_zh().to_string())
}

fn state_name(u: &UserRow, now: hedui_core::Timestamp) -> &'static str {
    match (u.disabled, u.locked_until.is_some_and(|t| t > now)) {
        (true, _) => "停用",
        (false, true) => "锁定",
        _ => "正常",
    }
}

fn render(web: &Web, app: &App, actor: &Caller, q: &UserQuery, error: Option<String>) -> AppResult<String> {
    let users = selected(app, actor, q)?;
    let now = app.now();
    let size = q.size();
    let total = users.len();
    let pages = total.div_ceil(size).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let rows: Vec<_> = users
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|u| {
            json!({"id": u.id.0, "login": u.login, "name": u.display_name, "role": role_name(&u.role),
                "region": app.region_name(&u.region), "region_code": u.region, "organization": u.organization,
                "state": state_name(u, now), "disabled": u.disabled, "locked": u.locked_until.is_some_and(|t| t > now),
                "created_at": u.created_at})
        })
        .collect();
    let roles: Vec<_> = ROLES.iter().map(|r| json!({"code": r.code(), "name": r.name_zh()})).collect();
    web.render(
        "users.html",
        crate::ctx! {
            user => user_ctx_at(actor, "users"), rows => rows, total => total, page => page, pages => pages,
            size => size, sizes => SIZES, roles => roles, f => json!({"q": q.q, "role": q.role, "region": q.region, "state": q.state}),
            prev_url => (page > 1).then(|| format!("/users?{}", q.query(page - 1))),
            next_url => (page < pages).then(|| format!("/users?{}", q.query(page + 1))),
            export_url => format!("/users.xlsx?{}", q.query(1)),
            done => (!q.done.is_empty()).then(|| q.done.clone()), error => error,
        },
    )
}

pub async fn users(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Query(q): Query<UserQuery>,
) -> Response {
    page(&web, actor, move |app, actor, web| render(web, app, actor, &q, None).map(Html)).await
}

pub async fn users_xlsx(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Query(q): Query<UserQuery>,
) -> Response {
    page(&web, actor, move |app, actor, _| {
        let now = app.now();
        let cells: Vec<Vec<String>> = selected(app, actor, &q)?
            .iter()
            .map(|u| {
                vec![
                    u.login.clone(),
                    u.display_name.clone(),
                    role_name(&u.role),
                    u.region.clone(),
                    app.region_name(&u.region),
                    u.organization.clone(),
                    state_name(u, now).to_string(),
                    u.created_at.to_string(),
                ]
            })
            .collect();
        let header = ["用户名", "姓名", "角色", "区划代码", "区划", "单位", "状态", "创建时间"];
        crate::exports::xlsx(app, "users", "用户", &header, &cells)
    })
    .await
}

/// The form that adds a user.
#[derive(Debug, Deserialize)]
pub struct NewUserForm {
    pub login: String,
    pub name: String,
    pub role: String,
    pub region: String,
    #[serde(default)]
    pub organization: String,
    pub password: String,
}

pub async fn create(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Form(f): Form<NewUserForm>,
) -> Response {
    page(&web, actor, move |app, actor, web| {
        let created =
            Role::parse(&f.role).ok_or_else(|| AppError::Invalid(format!("角色 {:?} 无效", f.role))).and_then(|role| {
                let account = Account::new(f.login.trim(), f.name.trim(), role, f.region.trim(), f.organization.trim());
                app.create_user(actor, &account, &f.password)
            });
        match created {
            Ok(_) => Ok(Redirect::to(&format!(
                "/users?done={}",
                urlencode(&format!("已创建用户 {}，首次登录须修改密码", f.login.trim()))
            ))
            .into_response()),
            // A mistake the 安全管理员 can correct is shown on the list, the form kept open.
            Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::UnknownRegion(_))) => {
                render(web, app, actor, &UserQuery::default(), Some(e.public_message()))
                    .map(|h| Html(h).into_response())
            }
            Err(e) => Err(e),
        }
    })
    .await
}

/// A row's switch or a password reset.
#[derive(Debug, Deserialize)]
pub struct UserActionForm {
    #[serde(default)]
    pub password: String,
    /// A UKey's SM2 public key (hex) to enrol.
    #[serde(default)]
    pub public_key: String,
}

pub async fn act(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path((uid, what)): Path<(i64, String)>,
    Form(f): Form<UserActionForm>,
) -> Response {
    page(&web, actor, move |app, actor, _| {
        let id = UserId(uid);
        let done = match what.as_str() {
            "disable" => app.set_user_disabled(actor, id, true).map(|_| "已停用"),
            "enable" => app.set_user_disabled(actor, id, false).map(|_| "已启用"),
            "unlock" => app.set_user_locked(actor, id, false).map(|_| "已解锁"),
            "reset" => app.reset_password(actor, id, &f.password).map(|_| "密码已重置，下次登录须修改"),
            "ukey" => app.enrol_sm2(actor, Some(id), &f.public_key).map(|_| "UKey 公钥已登记（用于登录和审核签发）"),
            other => Err(AppError::NotFound(format!("操作 {other}"))),
        }?;
        Ok(Redirect::to(&format!("/users?done={}", urlencode(done))).into_response())
    })
    .await
}
