//! The pages of a session: logging in (with the second step), enrolling a second factor,
//! changing one's password, logging out.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use hedui_app::{AppError, Caller};

use crate::pages::{page, user_ctx};
use crate::{COOKIE, Web, page_error, session_token};

pub async fn login_form(State(web): State<Web>) -> Response {
    match web.render("login.html", crate::ctx! { user => (), error => () }) {
        Ok(h) => Html(h).into_response(),
        Err(e) => page_error(&web, e, "login"),
    }
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
}

impl Drop for LoginForm {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.password);
    }
}

fn session_cookie(web: &Web, token: &str, max_age: i64) -> String {
    let secure = if web.secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

pub async fn login(
    State(web): State<Web>,
    axum::Extension(from): axum::Extension<crate::guard::ClientAddr>,
    Form(f): Form<LoginForm>,
) -> Response {
    let rid = web.request_id();
    let r = rid.clone();
    match web.blocking(move |app| app.login_from(&f.login, &f.password, &r, from.0)).await {
        Ok(s) => (
            StatusCode::SEE_OTHER,
            [
                (header::SET_COOKIE, session_cookie(&web, &s.token, hedui_app::admin::users::SESSION_SECONDS)),
                (header::LOCATION, if s.pending.is_some() { "/login/second" } else { "/" }.into()),
            ],
        )
            .into_response(),
        Err(AppError::Unauthenticated) => {
            let html = web.render("login.html", crate::ctx! { user => (), error => "用户名或密码错误" });
            match html {
                Ok(h) => (StatusCode::UNAUTHORIZED, Html(h)).into_response(),
                Err(e) => page_error(&web, e, &rid),
            }
        }
        Err(e) => page_error(&web, e, &rid),
    }
}

pub async fn factors_form(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    page(&web, actor, |_, actor, web| {
        web.render("factors.html", crate::ctx! { user => user_ctx(actor), must => actor.must_enrol, enrolment => () })
            .map(Html)
    })
    .await
}

/// Enrols a TOTP secret for the signed-in user and shows it once.
pub async fn enrol_totp(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    page(&web, actor, |app, actor, web| {
        let enrolment = app.enrol_totp(actor)?;
        // The otpauth URI as a QR code for an authenticator app's camera (inline SVG: the page
        // loads nothing).
        let qr = qrcode::QrCode::new(enrolment.uri.as_bytes())
            .map(|c| c.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build())
            .map(|svg| svg.find("<svg").map_or(svg.clone(), |i| svg[i..].to_string()))
            .unwrap_or_default();
        web.render(
            "factors.html",
            crate::ctx! { user => user_ctx(actor), must => false, enrolment => enrolment, qr => qr },
        )
        .map(Html)
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    seed: String,
}

impl Drop for TokenForm {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.seed);
    }
}

/// Enrols a GM/T 0021 token for the signed-in user: the seed of a hardware token, or, left empty,
/// a software token whose seed is shown once.
pub async fn enrol_token(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Form(f): Form<TokenForm>,
) -> Response {
    page(&web, actor, move |app, actor, web| {
        let seed = Some(f.seed.trim()).filter(|s| !s.is_empty());
        let token = app.enrol_token(actor, None, seed)?;
        web.render(
            "factors.html",
            crate::ctx! { user => user_ctx(actor), must => false, enrolment => (), token => token },
        )
        .map(Html)
    })
    .await
}

pub async fn password_form(State(web): State<Web>, axum::Extension(actor): axum::Extension<Caller>) -> Response {
    page(&web, actor, |_, actor, web| {
        web.render("password.html", crate::ctx! { user => user_ctx(actor), must => actor.must_change, error => () })
            .map(Html)
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    old_password: String,
    new_password: String,
    confirm: String,
}

impl Drop for PasswordForm {
    fn drop(&mut self) {
        for p in [&mut self.old_password, &mut self.new_password, &mut self.confirm] {
            zeroize::Zeroize::zeroize(p);
        }
    }
}

/// Changes the user's own password; every session ends, so the user logs in again.
pub async fn change_password(
    State(web): State<Web>,
    axum::Extension(actor): axum::Extension<Caller>,
    Form(f): Form<PasswordForm>,
) -> Response {
    let done = page(&web, actor, move |app, actor, _| {
        if f.new_password != f.confirm {
            return Err(AppError::Invalid("两次输入的新密码不一致".into()));
        }
        app.change_own_password(actor, &f.old_password, &f.new_password)?;
        Ok(Redirect::to("/login"))
    })
    .await;
    if done.status().is_redirection() {
        return ([(header::SET_COOKIE, session_cookie(&web, "", 0))], done).into_response();
    }
    done
}

/// The second step of a login: the form, with the SM2 challenge of the pending session.
pub async fn second_form(State(web): State<Web>, headers: HeaderMap) -> Response {
    let rid = web.request_id();
    let Some(token) = session_token(&headers) else { return Redirect::to("/login").into_response() };
    let challenge = web.blocking(move |app| app.pending_challenge(&token)).await;
    match challenge {
        Ok(c) => match web.render("second.html", crate::ctx! { user => (), challenge => c, error => () }) {
            Ok(h) => Html(h).into_response(),
            Err(e) => page_error(&web, e, &rid),
        },
        Err(_) => Redirect::to("/login").into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct SecondForm {
    /// The six digits of the user's token or authenticator app.
    #[serde(default, alias = "totp")]
    code: String,
    #[serde(default)]
    sm2: String,
}

pub async fn second(State(web): State<Web>, headers: HeaderMap, Form(f): Form<SecondForm>) -> Response {
    let rid = web.request_id();
    let Some(token) = session_token(&headers) else { return Redirect::to("/login").into_response() };
    let proof = match f.sm2.trim().is_empty() {
        true => hedui_app::admin::factors::Proof::Code(f.code),
        false => hedui_app::admin::factors::Proof::Sm2(f.sm2),
    };
    let r = rid.clone();
    match web.blocking(move |app| app.login_second(&token, &proof, &r)).await {
        Ok(_) => Redirect::to("/").into_response(),
        Err(AppError::Unauthenticated) => Redirect::to("/login").into_response(),
        Err(e) => page_error(&web, e, &rid),
    }
}

pub async fn logout(State(web): State<Web>, headers: HeaderMap) -> Response {
    if let Some(t) = session_token(&headers) {
        // Logging out an unknown session is not an error worth showing.
        let _ = web.blocking(move |app| app.logout(&t)).await;
    }
    ([(header::SET_COOKIE, session_cookie(&web, "", 0))], Redirect::to("/login")).into_response()
}
