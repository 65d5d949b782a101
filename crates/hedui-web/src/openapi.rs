//! The OpenAPI document of `/api/v1`, generated from the handlers' annotations in `api` and the
//! types they take and return, so it cannot drift from the code; `tests` check that every route of
//! the router is in it and every path in it is routed.

use std::sync::LazyLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::{Modify, OpenApi};

use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hedui（核对）API",
        description = "社会救助家庭经济状况核对：家庭与授权、委托与核对、报告、数据交换、政策模拟。错误一律以 ErrorBody 返回，代码见 /errors。"
    ),
    paths(
        api::openapi_json,
        api::errors,
        api::login,
        api::create_household,
        api::household,
        api::record_authorization,
        api::record_supporter_authorization,
        api::end_authorization,
        api::commission,
        api::jobs,
        api::job,
        api::run_job,
        crate::api_waiting::start,
        crate::api_waiting::sources,
        crate::api_waiting::remind,
        crate::api_waiting::partial,
        api::object,
        api::recheck,
        api::report,
        api::report_file,
        api::signing_key,
        api::exchange_callback,
        api::exchange_keys,
        api::sources,
        api::policy_simulate,
        api::record_relative,
        crate::accounts::person_access_log,
        crate::accounts::own_password,
        api::login_second,
        api::enrol_totp,
        api::enrol_sm2,
        crate::accounts::users,
        crate::accounts::create_user,
        crate::accounts::change_user,
        crate::accounts::disable,
        crate::accounts::enable,
        crate::accounts::lock,
        crate::accounts::unlock,
        crate::accounts::reset,
        crate::accounts::enrol_sm2_for,
        crate::accounts::enrol_token,
        crate::accounts::enrol_token_for,
        crate::accounts::security_events,
        crate::accounts::sessions,
        crate::accounts::end_session,
    ),
    modifiers(&Prefix)
)]
struct ApiDoc;

/// The server prefix and the session's bearer token.
struct Prefix;

impl Modify for Prefix {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        doc.servers = Some(vec![Server::new("/api/v1")]);
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("POST /login 返回的会话令牌"))
                    .build(),
            ),
        );
    }
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as JSON, made once.
pub fn json() -> &'static str {
    static JSON: LazyLock<String> =
        LazyLock::new(|| document().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")));
    &JSON
}
