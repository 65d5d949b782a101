//! Every route with the action it performs, and the middleware that decides each request through
//! [`hedui_app::App::authorize`] before its handler runs (so before a JSON body is parsed). The
//! router and its table come from one builder: a route cannot be served without an action, and
//! the authorization-matrix test reads the same table (a route missing from it fails closed).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::MethodRouter;
use serde::Serialize;

use hedui_app::{Action, AppError, Object};
use hedui_core::{HouseholdId, JobId};

use crate::Web;

/// One route: its method, its full path pattern and what it does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouteAccess {
    pub method: &'static str,
    pub path: String,
    pub action: Action,
}

impl RouteAccess {
    /// What the route acts on, from its path: `/households/{id}…` a household, `/jobs/{id}…` a job.
    pub fn object_kind(&self) -> ObjectKind {
        let p = self.path.strip_prefix("/api/v1").unwrap_or(&self.path);
        if p.starts_with("/households/{id}") {
            ObjectKind::Household
        } else if p.starts_with("/jobs/{id}") {
            ObjectKind::Job
        } else {
            ObjectKind::None
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    None,
    Household,
    Job,
}

/// The routes being built: the router and its table, side by side.
pub(crate) struct Routes {
    pub(crate) router: Router<Web>,
    pub(crate) table: Vec<RouteAccess>,
    prefix: &'static str,
}

impl Routes {
    pub(crate) fn new() -> Routes {
        Routes { router: Router::new(), table: Vec::new(), prefix: "" }
    }

    /// Routes added from here on are under `prefix`.
    pub(crate) fn under(mut self, prefix: &'static str) -> Routes {
        self.prefix = prefix;
        self
    }

    pub(crate) fn get<H: Handler<T, Web>, T: 'static>(self, path: &str, action: Action, h: H) -> Routes {
        self.add("GET", path, action, axum::routing::get(h))
    }

    pub(crate) fn post<H: Handler<T, Web>, T: 'static>(self, path: &str, action: Action, h: H) -> Routes {
        self.add("POST", path, action, axum::routing::post(h))
    }

    fn add(mut self, method: &'static str, path: &str, action: Action, mr: MethodRouter<Web>) -> Routes {
        let full = format!("{}{path}", self.prefix);
        self.table.push(RouteAccess { method, path: full.clone(), action });
        self.router = self.router.route(&full, mr);
        self
    }
}

/// The table by (method, path pattern).
pub(crate) type AccessMap = Arc<HashMap<(String, String), Action>>;

pub(crate) fn access_map(table: &[RouteAccess]) -> AccessMap {
    Arc::new(table.iter().map(|r| ((r.method.to_string(), r.path.clone()), r.action)).collect())
}

/// The `{id}` of a path, by the segment of its pattern.
fn path_id(pattern: &str, path: &str) -> Option<i64> {
    let i = pattern.split('/').position(|s| s == "{id}")?;
    path.split('/').nth(i)?.parse().ok()
}

/// The middleware: the route's action, the caller, the object; then `App::authorize`.
pub async fn authorize(State(web): State<Web>, matched: Option<MatchedPath>, req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let refuse = |web: &Web, e: AppError, rid: &str| -> Response {
        if api {
            crate::api_error(e, rid)
        } else if matches!(e, AppError::Unauthenticated) {
            Redirect::to("/login").into_response()
        } else if matches!(e, AppError::PasswordChangeRequired) {
            Redirect::to("/password").into_response()
        } else if matches!(e, AppError::SecondFactorRequired) {
            Redirect::to("/factors").into_response()
        } else {
            crate::page_error(web, e, rid)
        }
    };
    let method = if req.method() == Method::HEAD { "GET" } else { req.method().as_str() };
    let pattern = matched.as_ref().map(|m| m.as_str().to_string()).unwrap_or_default();
    let action = web.access.get(&(method.to_string(), pattern.clone())).copied();
    let rid = web.request_id();
    let Some(action) = action else {
        // Fail closed: a route without an action in the table serves nobody.
        return refuse(&web, AppError::Forbidden(format!("路由 {method} {pattern} 未登记权限")), &rid);
    };
    if action == Action::Public {
        return next.run(req).await;
    }
    let client = req.extensions().get::<crate::guard::ClientAddr>().and_then(|c| c.0).map(|a| a.to_string());
    let kind = RouteAccess { method: "", path: pattern.clone(), action }.object_kind();
    let id = path_id(&pattern, req.uri().path());
    let object = match (kind, id) {
        (ObjectKind::None, _) => Some(Object::None),
        (ObjectKind::Household, Some(id)) => Some(Object::Household(HouseholdId(id))),
        (ObjectKind::Job, Some(id)) => Some(Object::Job(JobId(id))),
        (_, None) => None,
    };
    // The session and the decision in one trip to the blocking pool (each trip is a thread's
    // wake-up and a context switch on the way there and back).
    let token = crate::session_token(req.headers());
    let r = rid.clone();
    let decided = web
        .blocking(move |app| {
            let token = token.ok_or(AppError::Unauthenticated)?;
            let caller = app.session_caller(&token, &r)?.client(&client.unwrap_or_default());
            let Some(object) = object else { return Err(AppError::Invalid("地址中的编号无效".into())) };
            Ok(match app.authorize(&caller, action, &object) {
                Ok(()) => Ok(caller),
                Err(e) => Err((e, caller)),
            })
        })
        .await;
    let caller = match decided {
        Ok(Ok(caller)) => caller,
        // A page refused to a signed-in user is shown inside their layout, with their menu.
        Ok(Err((e, caller))) if !api && matches!(e, AppError::Forbidden(_) | AppError::NotFound(_)) => {
            return crate::page_error_for(&web, e, &rid, Some(&caller));
        }
        Ok(Err((e, _))) | Err(e) => return refuse(&web, e, &rid),
    };
    // The handler acts as the caller decided on here: the session is read once per request.
    let mut req = req;
    req.extensions_mut().insert(caller);
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_the_patterns_segment() {
        assert_eq!(path_id("/jobs/{id}/report.{ext}", "/jobs/42/report.pdf"), Some(42));
        assert_eq!(path_id("/api/v1/households/{id}", "/api/v1/households/7"), Some(7));
        assert_eq!(path_id("/api/v1/households/{id}", "/api/v1/households/x"), None);
        assert_eq!(path_id("/jobs", "/jobs"), None);
    }
}
