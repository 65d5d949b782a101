//! Request hardening, around every route: a state-changing request must come from hedui's own
//! pages (its `Origin`, when the browser sends one, is this server's) and, when the session cookie
//! authenticates it, carry the session's CSRF token; every response carries the security headers
//! and `Cache-Control: no-store`. Forms on hedui's pages get the token inserted as they are served.
//! A refused request is audited like any denial. API clients that authenticate with a bearer token
//! send no ambient credential, so they need no CSRF token.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use hedui_app::{Caller, Role};
use hedui_store::AuditOutcome;

use crate::Web;

/// The form field and the header that carry the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The largest form a page posts (the policy simulation's changes, an objection).
const FORM_LIMIT: usize = 256 * 1024;
/// The largest upload a page posts (a department's file; a letter's scan is limited further).
pub const UPLOAD_LIMIT: usize = 128 << 20;

/// The security headers of every response.
const HEADERS: [(&str, &str); 6] = [
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; \
         form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    // Not `no-referrer`: under it a browser sends `Origin: null` with every form it posts, which
    // the origin check refuses. `same-origin` sends nothing to other sites.
    ("referrer-policy", "same-origin"),
    ("cache-control", "no-store"),
    ("pragma", "no-cache"),
];

pub use hedui_app::admin::users::csrf_token;

/// The session token from the cookie alone (a bearer token is not an ambient credential).
fn cookie_session(headers: &HeaderMap) -> Option<String> {
    if headers.contains_key(header::AUTHORIZATION) {
        return None;
    }
    crate::session_token(headers)
}

/// Whether an `Origin` header names this server (the request's own host and port).
fn same_origin(origin: &HeaderValue, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else { return false };
    let Ok(origin) = origin.to_str() else { return false };
    let without_scheme = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    without_scheme.trim_end_matches('/').eq_ignore_ascii_case(host)
}

/// The CSRF token a form body carries (URL-encoded, or a multipart upload's field).
fn form_token(content_type: &str, body: &[u8]) -> Option<String> {
    if crate::multipart::boundary(content_type).is_some() {
        let parts = crate::multipart::parse(content_type, body).ok()?;
        return crate::multipart::field(&parts, CSRF_FIELD).map(|p| p.text());
    }
    std::str::from_utf8(body).ok()?.split('&').find_map(|kv| kv.strip_prefix("csrf=")).map(str::to_string)
}

/// Inserts the token after the opening tag of every form that posts.
pub fn with_tokens(html: &str, token: &str) -> String {
    let field = format!(r#"<input type="hidden" name="{CSRF_FIELD}" value="{token}">"#);
    let mut out = String::with_capacity(html.len() + 128);
    let mut rest = html;
    while let Some(i) = rest.find("<form") {
        let Some(end) = rest[i..].find('>') else { break };
        let tag = &rest[i..i + end + 1];
        out.push_str(&rest[..i + end + 1]);
        if tag.to_ascii_lowercase().contains(r#"method="post""#) {
            out.push_str(&field);
        }
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    out
}

/// Refuses a request, audited, as a page or as JSON by its path.
async fn refuse(web: &Web, headers: &HeaderMap, path: &str, why: &str) -> Response {
    let rid = web.request_id();
    let token = crate::session_token(headers);
    let (p, w, r) = (path.to_string(), why.to_string(), rid.clone());
    let _ = web
        .blocking(move |app| {
            let actor = token
                .and_then(|t| app.session_caller(&t, &r).ok())
                .unwrap_or_else(|| Caller::user("anonymous", Role::Viewer, "", &r));
            app.audit(&actor, "request.refuse", &format!("route:{p}"), AuditOutcome::Denied, w)
        })
        .await;
    let e = hedui_app::AppError::Forbidden(format!("请求被拒绝：{why}（请从本系统的页面重新提交）"));
    if path.starts_with("/api/") { crate::api_error(e, &rid) } else { crate::page_error(web, e, &rid) }
}

/// The client's address, as the connection gives it (none when served without one).
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

/// The middleware: every response it lets through or gives itself carries the headers.
pub async fn guard(State(web): State<Web>, req: Request, next: Next) -> Response {
    let mut resp = checked(&web, req, next).await;
    for (k, v) in HEADERS {
        resp.headers_mut().insert(k, HeaderValue::from_static(v));
    }
    if web.secure {
        resp.headers_mut()
            .insert("strict-transport-security", HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    resp
}

/// The checks, and the page's forms given their token.
async fn checked(web: &Web, req: Request, next: Next) -> Response {
    let web = web.clone();
    let mut req = req;
    let addr = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    req.extensions_mut().insert(ClientAddr(addr));
    let changing = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let session = cookie_session(req.headers());
    let path = req.uri().path().to_string();
    let english = crate::i18n::wants_english(req.headers());
    if changing {
        if let Some(origin) = req.headers().get(header::ORIGIN)
            && !same_origin(origin, req.headers())
        {
            return refuse(&web, req.headers(), &path, "来源（Origin）不是本系统").await;
        }
        if let Some(t) = &session {
            let expected = csrf_token(t);
            let (parts, body) = req.into_parts();
            let content_type =
                parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let upload = crate::multipart::boundary(&content_type).is_some();
            let Ok(bytes) = axum::body::to_bytes(body, if upload { UPLOAD_LIMIT } else { FORM_LIMIT }).await else {
                let why = if upload { "上传的文件超过 128 MB" } else { "表单过大" };
                return (StatusCode::PAYLOAD_TOO_LARGE, why).into_response();
            };
            let given = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .or_else(|| form_token(&content_type, &bytes));
            if given.as_deref() != Some(expected.as_str()) {
                return refuse(&web, &parts.headers, &path, "缺少或错误的表单令牌（CSRF）").await;
            }
            req = Request::from_parts(parts, Body::from(bytes));
        }
    }
    let mut resp = next.run(req).await;
    // A page, not a file to download (a signed file is never changed).
    let html = !resp.headers().contains_key(header::CONTENT_DISPOSITION)
        && resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
    if html && (session.is_some() || english) {
        let (mut parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
        let mut page = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(t) = &session {
            page = with_tokens(&page, &csrf_token(t));
        }
        if english {
            page = crate::i18n::page(&page);
        }
        parts.headers.remove(header::CONTENT_LENGTH);
        resp = Response::from_parts(parts, Body::from(page));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_that_post_get_the_token_and_others_do_not() {
        let html = r#"<form class="f" method="get" action="/jobs"></form><form method="post" action="/logout"><button>x</button></form>"#;
        let out = with_tokens(html, "abc");
        assert_eq!(out.matches(r#"name="csrf" value="abc""#).count(), 1);
        assert!(out.contains(r#"<form method="post" action="/logout"><input type="hidden" name="csrf" value="abc">"#));
        assert_eq!(form_token("application/x-www-form-urlencoded", b"changes=x&csrf=abc"), Some("abc".into()));
        let upload = b"--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--b--\r\n";
        assert_eq!(form_token("multipart/form-data; boundary=b", upload), Some("abc".into()));
        assert_ne!(csrf_token("s1"), csrf_token("s2"));
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(same_origin(&HeaderValue::from_static("http://127.0.0.1:8080"), &h));
        assert!(!same_origin(&HeaderValue::from_static("http://127.0.0.1:8081"), &h));
        assert!(!same_origin(&HeaderValue::from_static("null"), &h));
    }
}
