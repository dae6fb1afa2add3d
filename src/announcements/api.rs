//! `POST|GET /api/v1/incidents/{id}/announcement` and the public pages and feeds.
use super::{
    day, day_and_time, feeds, find_by_slug, find_for_incident, latest, publish, reference, view,
    DEFAULT_LOCALE,
};
use crate::app::AppState;
use crate::auth::{Action, Auth};
use crate::error::{AppError, AppResult};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use entity::announcement;
use serde_json::{json, Value};

/// `POST /api/v1/incidents/{id}/announcement` publishes or updates; `GET` reads it back.
pub fn api_routes() -> Router<AppState> {
    Router::new().route(
        "/api/v1/incidents/{id}/announcement",
        post(publish_announcement).get(show_announcement),
    )
}

/// `/announcements`, `/announcements/{slug}`, `/announcements.atom`, `/announcements.json`.
pub fn public_routes() -> Router<AppState> {
    Router::new()
        .route("/announcements", get(index))
        .route("/announcements/", get(index))
        .route("/announcements/{slug}", get(page))
        .route("/announcements.atom", get(atom))
        .route("/announcements.json", get(json_feed))
}

async fn publish_announcement(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let actor = auth.require(Action::AnnouncementPublish)?;
    let input = super::PublishInput {
        templates: &state.templates,
        playbooks: &state.playbooks,
        links: &state.links,
    };
    let p = publish(&state.db, input, &actor, id, state.clock.now()).await?;
    let status = if p.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view(&state.links, &p.announcement))))
}

async fn show_announcement(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    auth.require(Action::IncidentsRead)?;
    crate::incidents::find(&state.db, id).await?;
    let a = find_for_incident(&state.db, id, DEFAULT_LOCALE)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("announcement of incident {id}")))?;
    Ok(Json(view(&state.links, &a)))
}

/// Pages carry no script and load nothing from elsewhere; the policy says so to the browser.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Public responses may be cached briefly: an update shows within a minute.
const CACHE: &str = "public, max-age=60";

fn html_page(status: StatusCode, body: String) -> Response {
    let mut res = (status, Html(body)).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    if status.is_success() {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE));
    }
    res
}

/// Links and names every public page shows.
fn common(state: &AppState) -> Value {
    let org = &state.playbooks.organisation;
    json!({
        "lang": DEFAULT_LOCALE,
        "organisation": org.name,
        "website": org.website,
        "contact_email": org.contact_email,
        "index_url": state.links.to("/announcements"),
        "atom_url": state.links.to("/announcements.atom"),
        "json_url": state.links.to("/announcements.json"),
    })
}

fn render(state: &AppState, file: &str, mut data: Value, extra: Value) -> AppResult<String> {
    if let (Some(d), Value::Object(e)) = (data.as_object_mut(), extra) {
        d.extend(e);
    }
    let t = &state.templates;
    Ok(t.render(&t.localized("announcements", DEFAULT_LOCALE, file), &data)?)
}

fn entry(state: &AppState, a: &announcement::Model) -> Value {
    json!({
        "title": a.title,
        "url": state.links.announcement(&a.slug),
        "published": day(a.published_at),
        "published_iso": a.published_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "updated": day_and_time(a.updated_at),
        "updated_iso": a.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "was_updated": a.updated_at != a.published_at,
        "reference": reference(a.incident_id),
    })
}

async fn index(State(state): State<AppState>) -> AppResult<Response> {
    let rows = latest(&state.db).await?;
    let entries: Vec<Value> = rows.iter().map(|a| entry(&state, a)).collect();
    let body = render(
        &state,
        "index.html",
        common(&state),
        json!({ "announcements": entries }),
    )?;
    Ok(html_page(StatusCode::OK, body))
}

async fn page(State(state): State<AppState>, Path(slug): Path<String>) -> AppResult<Response> {
    let Some(a) = find_by_slug(&state.db, &slug).await? else {
        let body = render(&state, "not_found.html", common(&state), json!({}))?;
        return Ok(html_page(StatusCode::NOT_FOUND, body));
    };
    let mut data = entry(&state, &a);
    data["body_html"] = Value::String(a.body_html.clone());
    data["lang"] = Value::String(a.locale.clone());
    let body = render(&state, "page.html", common(&state), data)?;
    Ok(html_page(StatusCode::OK, body))
}

async fn atom(State(state): State<AppState>) -> AppResult<Response> {
    let rows = latest(&state.db).await?;
    let xml = feeds::atom(&state, &rows)?;
    let mut res = xml.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE));
    Ok(res)
}

async fn json_feed(State(state): State<AppState>) -> AppResult<Response> {
    let rows = latest(&state.db).await?;
    let feed = feeds::json_feed(&state, &rows);
    let mut res = Json(feed).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/feed+json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE));
    Ok(res)
}
