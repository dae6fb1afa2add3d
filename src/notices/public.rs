//! The pages people notified can open without signing in: `/n/{code}`, their full notice as
//! composed, and `/verify`, which says whether a code is one of ours. Both are rate-limited per
//! client address, so codes cannot be guessed by trying them.
use super::{links, store};
use crate::app::AppState;
use crate::domain::Channel;
use crate::error::{AppError, AppResult};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/n/{code}", get(notice))
        .route("/verify", get(verify))
}

fn limited(state: &AppState, peer: SocketAddr) -> Option<Response> {
    let wait = state.public_limit.check(peer.ip()).err()?;
    let mut res = (
        StatusCode::TOO_MANY_REQUESTS,
        "Too many requests from your address: try again in a minute.",
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Some(res)
}

/// A page for one person: never cached, never indexed, no referrer leaves it.
fn private_page(status: StatusCode, body: String, csp: &'static str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CONTENT_SECURITY_POLICY, csp),
            (header::HeaderName::from_static("x-robots-tag"), "noindex"),
        ],
        body,
    )
        .into_response()
}

/// The notice's own markup styles itself inline (it is an e-mail); nothing else may load.
const NOTICE_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const PAGE_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

async fn notice(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
) -> AppResult<Response> {
    if let Some(r) = limited(&state, peer) {
        return Ok(r);
    }
    let found = match links::find(&state.db, &code).await? {
        Some((incident, subject)) => store::find(&state.db, incident, subject, Channel::Email)
            .await?
            .and_then(|(n, _)| n.body_html),
        None => None,
    };
    Ok(match found {
        Some(html) => private_page(StatusCode::OK, html, NOTICE_CSP),
        None => private_page(
            StatusCode::NOT_FOUND,
            verify_page(&state, &code, Some(None))?,
            PAGE_CSP,
        ),
    })
}

#[derive(Deserialize)]
struct VerifyQuery {
    code: Option<String>,
}

/// What a genuine code says, without any personal data.
struct Genuine {
    reference: String,
    incident_title: String,
    sent: Option<String>,
    notice_url: String,
}

async fn verify(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<VerifyQuery>,
) -> AppResult<Response> {
    let Some(given) = q.code.filter(|c| !c.trim().is_empty()) else {
        return Ok(private_page(
            StatusCode::OK,
            verify_page(&state, "", None)?,
            PAGE_CSP,
        ));
    };
    if let Some(r) = limited(&state, peer) {
        return Ok(r);
    }
    let code: String = given
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .take(64)
        .collect();
    let genuine = match links::find(&state.db, &code).await? {
        None => None,
        Some((incident_id, _)) => {
            let inc = crate::incidents::find(&state.db, incident_id).await?;
            Some(Genuine {
                reference: format!("TOCSIN-{}", inc.id),
                incident_title: inc.title,
                sent: inc
                    .notices
                    .dispatched_at
                    .map(|t| t.format("%-d %B %Y").to_string()),
                notice_url: state.links.to(&format!("/n/{code}")),
            })
        }
    };
    Ok(private_page(
        StatusCode::OK,
        verify_page(&state, &code, Some(genuine))?,
        PAGE_CSP,
    ))
}

fn verify_page(
    state: &AppState,
    code: &str,
    checked: Option<Option<Genuine>>,
) -> AppResult<String> {
    let org = &state.playbooks.organisation;
    let genuine = checked.as_ref().and_then(|g| g.as_ref());
    let data = json!({
        "organisation": org.name,
        "website": org.website,
        "contact_email": org.contact_email,
        "announcements_url": state.links.to("/announcements"),
        "verify_url": state.links.to("/verify"),
        "code": code,
        "checked": checked.is_some(),
        "genuine": genuine.is_some(),
        "reference": genuine.map(|g| g.reference.clone()),
        "incident_title": genuine.map(|g| g.incident_title.clone()),
        "sent": genuine.and_then(|g| g.sent.clone()),
        "notice_url": genuine.map(|g| g.notice_url.clone()),
    });
    let t = &state.templates;
    t.render(&t.localized("notices", "en", "verify.html"), &data)
        .map_err(AppError::Internal)
}
