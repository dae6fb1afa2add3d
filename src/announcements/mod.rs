//! The public fallback: a page per incident, an index, an Atom feed and a JSON feed.
use crate::web::AppState;
use axum::Router;

/// `POST /api/v1/incidents/{id}/announcement`.
pub fn api_routes() -> Router<AppState> {
    Router::new()
}

/// `/announcements`, `/announcements/{slug}`, `/announcements.atom`, `/announcements.json`.
pub fn public_routes() -> Router<AppState> {
    Router::new()
}
