//! Logging in and out, and an admin's switch of the account the session acts on.

use super::session::{self, LOGIN_COOKIE, SESSION_COOKIE};
use super::{error_page, form_field, render, Viewer, SESSION_TTL};
use crate::api::{access::verify_login, blocking, S};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use drydock_store::Session;
use drydock_web::Frame;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// `GET /login?next=`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct LoginQuery {
    next: Option<String>,
}

#[derive(Debug, Default, Serialize)]
struct LoginPage {
    next: Option<String>,
    error: Option<String>,
    notice: Option<String>,
    username: Option<String>,
}

/// Where to go after logging in: a local path only (never another site).
fn local_target(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && n.len() < 2048 => n.to_string(),
        _ => "/".to_string(),
    }
}

/// The login page, with a fresh login token in its form and its cookie.
fn login_page(state: &S, headers: &HeaderMap, status: StatusCode, page: LoginPage) -> Response {
    let token = match session::new_token() {
        Ok(t) => t,
        Err(e) => {
            tracing::error!("{e}");
            return (StatusCode::SERVICE_UNAVAILABLE, "no randomness available").into_response();
        }
    };
    let frame = Frame {
        title: "Log in".into(),
        csrf: token.clone(),
        now: drydock_store::now(),
        ..Frame::default()
    };
    let mut r = render(state, "login.html", &frame, &page);
    *r.status_mut() = status;
    r.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(LOGIN_COOKIE, &token, Some(3600), session::over_tls(headers)),
    );
    r
}

pub(super) async fn form(State(s): State<S>, headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    if let Ok(Some(_)) = super::viewer(&s, &headers).await {
        return Redirect::to(&local_target(q.next.as_deref())).into_response();
    }
    login_page(
        &s,
        &headers,
        StatusCode::OK,
        LoginPage {
            next: q.next.map(|n| local_target(Some(&n))),
            ..LoginPage::default()
        },
    )
}

pub(super) async fn submit(
    State(s): State<S>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let field = |n: &str| form_field(&body, n).unwrap_or_default();
    let (username, password, next) = (field("username"), field("password"), field("next"));
    let next = local_target(Some(&next));
    // The login form's token must match its cookie: another site cannot log a browser in.
    let expected = session::cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !session::same_token(&field("csrf"), &expected) {
        return login_page(
            &s,
            &headers,
            StatusCode::FORBIDDEN,
            LoginPage {
                next: Some(next),
                error: Some("The login form expired: try again.".into()),
                username: Some(username),
                ..LoginPage::default()
            },
        );
    }
    let refused = |status: StatusCode, message: String| {
        login_page(
            &s,
            &headers,
            status,
            LoginPage {
                next: Some(next.clone()),
                error: Some(message),
                username: Some(username.clone()),
                ..LoginPage::default()
            },
        )
    };
    if username.is_empty() || password.is_empty() {
        return refused(StatusCode::OK, "Enter your user name and password.".into());
    }
    let user = match verify_login(&s, username.clone(), password, &remote.ip().to_string()).await {
        Ok(u) => u,
        Err(e) => {
            let (status, message, _) = e.parts();
            // A wrong password shows the form again as a page (200: a browser logs a 4xx
            // document as a console error); other refusals keep their status.
            if status == StatusCode::UNAUTHORIZED {
                return refused(StatusCode::OK, "Wrong user name or password.".to_string());
            }
            return refused(status, message.to_string());
        }
    };
    let (token, csrf) = match (session::new_token(), session::new_token()) {
        (Ok(t), Ok(c)) => (t, c),
        _ => return (StatusCode::SERVICE_UNAVAILABLE, "no randomness available").into_response(),
    };
    let now = drydock_store::now();
    let stored = Session {
        id_hash: session::hash_token(&token),
        user: user.name.clone(),
        account: user.account.clone(),
        csrf,
        created_at: now,
        expires_at: now + SESSION_TTL.as_secs() as i64,
    };
    let st = s.clone();
    if let Err(e) = blocking(move || {
        // Expired sessions are forgotten as new ones begin.
        st.store.delete_expired_sessions()?;
        Ok(st.store.add_session(&stored)?)
    })
    .await
    {
        let (status, message, _) = e.parts();
        return refused(status, message.to_string());
    }
    let secure = session::over_tls(&headers);
    let mut r = Redirect::to(&next).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(SESSION_COOKIE, &token, Some(SESSION_TTL.as_secs()), secure),
    );
    r.headers_mut()
        .append(header::SET_COOKIE, session::set_cookie(LOGIN_COOKIE, "", None, secure));
    r
}

pub(super) async fn logout(State(s): State<S>, Extension(v): Extension<Viewer>, headers: HeaderMap) -> Response {
    let st = s.clone();
    let hash = v.session.clone();
    if let Err(e) = blocking(move || Ok(st.store.delete_session(&hash)?)).await {
        return super::api_error_page(&s, &v, e);
    }
    let mut r = login_page(
        &s,
        &headers,
        StatusCode::OK,
        LoginPage {
            notice: Some("You are logged out.".into()),
            ..LoginPage::default()
        },
    );
    r.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(SESSION_COOKIE, "", None, session::over_tls(&headers)),
    );
    r
}

pub(super) async fn switch_account(State(s): State<S>, Extension(v): Extension<Viewer>, body: Bytes) -> Response {
    let account = form_field(&body, "account").unwrap_or_default();
    let st = s.clone();
    let hash = v.session.clone();
    let result = blocking(move || {
        if !st.store.accounts()?.contains(&account) {
            return Ok(false);
        }
        let expires = drydock_store::now() + SESSION_TTL.as_secs() as i64;
        st.store.update_session(&hash, expires, Some(&account))?;
        Ok(true)
    })
    .await;
    match result {
        Ok(true) => Redirect::to("/").into_response(),
        Ok(false) => error_page(
            &s,
            Some(&v),
            StatusCode::NOT_FOUND,
            "No such account",
            "That account does not exist.",
            None,
        ),
        Err(e) => super::api_error_page(&s, &v, e),
    }
}
