//! Composes the routers (API, public pages, health, metrics) and the middleware. No business
//! logic lives here.
mod extract;
mod health;
pub mod idempotency;
pub mod limit;
mod page;

pub use extract::ApiJson;
pub use idempotency::idempotent;
pub use page::Page;

use crate::app::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// Request bodies above this are refused, except the streamed subjects import.
const BODY_LIMIT: usize = 2 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(crate::audit::routes())
        .merge(crate::incidents::routes())
        .merge(crate::population::incident_routes())
        .merge(crate::notices::routes())
        .merge(crate::delivery::routes())
        .merge(crate::announcements::api_routes())
        .merge(crate::regulation::routes())
        .merge(crate::regulation::obligations::routes())
        .merge(crate::evidence::routes())
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT));
    Router::new()
        .merge(api)
        // Streams any size; lines are capped inside the importer.
        .merge(crate::population::routes().layer(axum::extract::DefaultBodyLimit::disable()))
        .merge(health::routes())
        .merge(crate::announcements::public_routes())
        .merge(crate::notices::public_routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .with_state(state)
}

async fn not_found() -> crate::error::AppError {
    crate::error::AppError::NotFound("route".into())
}

/// Counts requests by route and status, and logs each at debug level (ids only, no bodies).
async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16();
    state
        .metrics
        .record_request(&method, &route, status, started.elapsed());
    tracing::debug!(http.method = %method, http.route = %route, http.status = status, "request");
    res
}
