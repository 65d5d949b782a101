//! The API of accounts: the 安全管理员's user management, and each user's own password.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use hedui_app::Caller;
use hedui_app::admin::accounts::AccountChange;
use hedui_app::admin::users::Account;
use hedui_core::UserId;
use hedui_store::UserRow;

use crate::Web;
use crate::api::{body, with_actor};
use crate::views::ErrorBody;

/// A new account and its first password (the user changes it at the first login).
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewAccountBody {
    #[serde(flatten)]
    pub account: Account,
    pub password: String,
}

impl Drop for NewAccountBody {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.password);
    }
}

/// A password set by the 安全管理员.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordBody {
    pub password: String,
}

impl Drop for PasswordBody {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.password);
    }
}

/// The caller's own password change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OwnPasswordBody {
    pub old_password: String,
    pub new_password: String,
}

impl Drop for OwnPasswordBody {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.old_password);
        zeroize::Zeroize::zeroize(&mut self.new_password);
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    pub done: bool,
}

type JsonBody<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

#[utoipa::path(get, path = "/users", tag = "账户", security(("bearer" = [])), responses((status = 200, description = "全部账户（仅安全管理员）", body = [UserRow]), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn users(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    with_actor(&web, actor, StatusCode::OK, |app, actor| app.users(actor)).await
}

#[utoipa::path(post, path = "/users", tag = "账户", request_body = NewAccountBody, security(("bearer" = [])), responses((status = 201, description = "账户已创建；用户首次登录须修改密码", body = Done), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody), (status = 409, description = "用户名已存在", body = ErrorBody), (status = 422, description = "用户名、区划或密码不合规则", body = ErrorBody)))]
pub(crate) async fn create_user(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    b: JsonBody<NewAccountBody>,
) -> Response {
    let b = match body(b, &web.request_id()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, actor, StatusCode::CREATED, move |app, actor| {
        app.create_user(actor, &b.account, &b.password)?;
        Ok(Done { done: true })
    })
    .await
}

#[utoipa::path(post, path = "/users/{uid}/change", tag = "账户", params(("uid" = i64, Path, description = "用户编号")), request_body = AccountChange, security(("bearer" = [])), responses((status = 200, description = "已修改", body = Done), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody), (status = 404, description = "用户不存在", body = ErrorBody)))]
pub(crate) async fn change_user(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(uid): Path<i64>,
    b: JsonBody<AccountChange>,
) -> Response {
    let b = match body(b, &web.request_id()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, actor, StatusCode::OK, move |app, actor| {
        app.change_user(actor, UserId(uid), &b)?;
        Ok(Done { done: true })
    })
    .await
}

/// One of the switches: disable, enable, lock, unlock.
async fn switch(web: Web, actor: Caller, uid: i64, what: &'static str) -> Response {
    with_actor(&web, actor, StatusCode::OK, move |app, actor| {
        let id = UserId(uid);
        match what {
            "disable" => app.set_user_disabled(actor, id, true)?,
            "enable" => app.set_user_disabled(actor, id, false)?,
            "lock" => app.set_user_locked(actor, id, true)?,
            _ => app.set_user_locked(actor, id, false)?,
        }
        Ok(Done { done: true })
    })
    .await
}

#[utoipa::path(post, path = "/users/{uid}/disable", tag = "账户", params(("uid" = i64, Path, description = "用户编号")), security(("bearer" = [])), responses((status = 200, description = "已停用，其会话全部结束", body = Done), (status = 403, description = "无权限", body = ErrorBody), (status = 404, description = "用户不存在", body = ErrorBody)))]
pub(crate) async fn disable(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(uid): Path<i64>,
) -> Response {
    switch(web, actor, uid, "disable").await
}

#[utoipa::path(post, path = "/users/{uid}/enable", tag = "账户", params(("uid" = i64, Path, description = "用户编号")), security(("bearer" = [])), responses((status = 200, description = "已启用", body = Done), (status = 403, description = "无权限", body = ErrorBody), (status = 404, description = "用户不存在", body = ErrorBody)))]
pub(crate) async fn enable(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(uid): Path<i64>,
) -> Response {
    switch(web, actor, uid, "enable").await
}

#[utoipa::path(post, path = "/users/{uid}/lock", tag = "账户", params(("uid" = i64, Path, description = "用户编号")), security(("bearer" = [])), responses((status = 200, description = "已锁定，直至解锁", body = Done), (status = 403, description = "无权限", body = ErrorBody), (status = 404, description = "用户不存在", body = ErrorBody)))]
pub(crate) async fn lock(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(uid): Path<i64>,
) -> Response {
    switch(web, actor, uid, "lock").await
}

#[utoipa::path(post, path = "/users/{uid}/unlock", tag = "账户", params(("uid" = i64, Path, description = "用户编号")), security(("bearer" = [])), responses((status = 200, description = "已解锁，失败次数清零", body = Done), (status = 403, description = "无权限", body = ErrorBody), (status = 404, description = "用户不存在", body = ErrorBody)))]
pub(crate) async fn unlock(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(uid): Path<i64>,
) -> Response {
    switch(web, actor, uid, "unlock").await
}

#[utoipa::path(post, path = "/users/{uid}/reset", tag = "账户", params(("uid" = i64, Path, description = "用户编号")), request_body = PasswordBody, security(("bearer" = [])), responses((status = 200, description = "密码已重置；用户下次登录须修改", body = Done), (status = 403, description = "无权限", body = ErrorBody), (status = 404, description = "用户不存在", body = ErrorBody), (status = 422, description = "密码不合规则", body = ErrorBody)))]
pub(crate) async fn reset(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(uid): Path<i64>,
    b: JsonBody<PasswordBody>,
) -> Response {
    let b = match body(b, &web.request_id()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, actor, StatusCode::OK, move |app, actor| {
        app.reset_password(actor, UserId(uid), &b.password)?;
        Ok(Done { done: true })
    })
    .await
}

#[utoipa::path(post, path = "/me/password", tag = "账户", request_body = OwnPasswordBody, security(("bearer" = [])), responses((status = 200, description = "密码已修改；请用新密码重新登录", body = Done), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 422, description = "原密码错误，或新密码不合规则或与近期密码相同", body = ErrorBody)))]
pub(crate) async fn own_password(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    b: JsonBody<OwnPasswordBody>,
) -> Response {
    let b = match body(b, &web.request_id()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, actor, StatusCode::OK, move |app, actor| {
        app.change_own_password(actor, &b.old_password, &b.new_password)?;
        Ok(Done { done: true })
    })
    .await
}

#[utoipa::path(post, path = "/users/{uid}/factors/sm2", tag = "账户", params(("uid" = i64, Path, description = "用户编号")), request_body = crate::views::PublicKeyBody, security(("bearer" = [])), responses((status = 201, description = "已为该用户登记 UKey 的 SM2 公钥", body = Done), (status = 403, description = "无权限", body = ErrorBody), (status = 404, description = "用户不存在", body = ErrorBody), (status = 422, description = "不是有效的 SM2 公钥", body = ErrorBody)))]
pub(crate) async fn enrol_sm2_for(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(uid): Path<i64>,
    b: JsonBody<crate::views::PublicKeyBody>,
) -> Response {
    let b = match body(b, &web.request_id()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, actor, StatusCode::CREATED, move |app, actor| {
        app.enrol_sm2(actor, Some(UserId(uid)), &b.public_key)?;
        Ok(Done { done: true })
    })
    .await
}

#[utoipa::path(post, path = "/me/factors/token", tag = "账户", request_body = crate::views::TokenBody, security(("bearer" = [])), responses((status = 201, description = "国密动态令牌（GM/T 0021，SM3，60 秒、6 位）已登记；未给种子时生成软件令牌的种子并只显示这一次", body = hedui_app::admin::factors::TokenEnrolment), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 422, description = "种子无效", body = ErrorBody)))]
pub(crate) async fn enrol_token(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    raw: axum::body::Bytes,
) -> Response {
    // The body is optional: none asks for a software token's seed to be generated.
    let b = match raw.iter().all(u8::is_ascii_whitespace) {
        true => crate::views::TokenBody::default(),
        false => match serde_json::from_slice::<crate::views::TokenBody>(&raw) {
            Ok(b) => b,
            Err(e) => {
                let e = hedui_app::AppError::Invalid(format!("请求体不是有效的 JSON：{e}"));
                return crate::api_error(e, &web.request_id());
            }
        },
    };
    with_actor(&web, actor, StatusCode::CREATED, move |app, actor| app.enrol_token(actor, None, b.seed.as_deref()))
        .await
}

#[utoipa::path(post, path = "/users/{uid}/factors/token", tag = "账户", params(("uid" = i64, Path, description = "用户编号")), request_body = crate::views::TokenBody, security(("bearer" = [])), responses((status = 201, description = "已为该用户登记国密动态令牌（种子来自令牌的种子文件）", body = hedui_app::admin::factors::TokenEnrolment), (status = 403, description = "无权限", body = ErrorBody), (status = 404, description = "用户不存在", body = ErrorBody), (status = 422, description = "种子缺失或无效", body = ErrorBody)))]
pub(crate) async fn enrol_token_for(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(uid): Path<i64>,
    b: JsonBody<crate::views::TokenBody>,
) -> Response {
    let b = match body(b, &web.request_id()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, actor, StatusCode::CREATED, move |app, actor| {
        app.enrol_token(actor, Some(UserId(uid)), b.seed.as_deref())
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HoursParam {
    /// How many hours back (default 24).
    #[serde(default)]
    pub hours: Option<i64>,
}

#[utoipa::path(get, path = "/security/events", tag = "账户", params(HoursParam), security(("bearer" = [])), responses((status = 200, description = "安全事件（仅安全管理员）：大量查看、夜间查看、多次被拒绝、账户锁定、查看审计记录", body = [hedui_app::admin::security::SecurityEvent]), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn security_events(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    axum::extract::Query(q): axum::extract::Query<HoursParam>,
) -> Response {
    with_actor(&web, actor, StatusCode::OK, move |app, actor| app.security_events(actor, q.hours.unwrap_or(24))).await
}

#[utoipa::path(get, path = "/sessions", tag = "账户", security(("bearer" = [])), responses((status = 200, description = "未过期的会话（仅安全管理员）", body = [hedui_store::SessionInfo]), (status = 401, description = "未登录或会话已过期", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn sessions(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    with_actor(&web, actor, StatusCode::OK, |app, actor| app.sessions(actor)).await
}

#[utoipa::path(post, path = "/sessions/{sid}/end", tag = "账户", params(("sid" = String, Path, description = "会话编号（令牌的 SM3）")), security(("bearer" = [])), responses((status = 200, description = "会话已结束", body = Done), (status = 403, description = "无权限", body = ErrorBody), (status = 404, description = "会话不存在或已过期", body = ErrorBody)))]
pub(crate) async fn end_session(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Path(sid): Path<String>,
) -> Response {
    with_actor(&web, actor, StatusCode::OK, move |app, actor| {
        app.end_session(actor, &sid)?;
        Ok(Done { done: true })
    })
    .await
}

#[utoipa::path(post, path = "/persons/access-log", tag = "审计", request_body = crate::views::PersonBody, security(("bearer" = [])), responses((status = 200, description = "谁在何时、依据哪份委托和授权书查询或查阅了此人的数据（限本人所在地区的家庭）", body = hedui_app::admin::transparency::AccessLog), (status = 400, description = "身份证号码无效", body = ErrorBody), (status = 403, description = "无权限", body = ErrorBody)))]
pub(crate) async fn person_access_log(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    b: JsonBody<crate::views::PersonBody>,
) -> Response {
    let b = match body(b, &web.request_id()) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    with_actor(&web, actor, StatusCode::OK, move |app, actor| app.person_access_log(actor, &b.id_number)).await
}
