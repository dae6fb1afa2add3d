//! Composes the routers (API, console, public pages, health, metrics, static files) and the
//! middleware: security headers and request ids, timeouts, the concurrency limit. No business
//! logic lives here.
pub mod console;
mod extract;
mod health;
pub mod idempotency;
pub mod limit;
mod page;
pub mod security;
pub mod statics;

pub use extract::ApiJson;
pub use idempotency::idempotent;
pub use page::Page;

use crate::app::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

/// Request bodies above this are refused, except the streamed subjects import.
const BODY_LIMIT: usize = 2 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let web = state.settings.web.clone();
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
    // Everything but the import answers within the request timeout.
    let timed = Router::new()
        .merge(api)
        .merge(health::routes())
        .merge(crate::announcements::public_routes())
        .merge(crate::notices::public_routes())
        .merge(console::routes(&state))
        .merge(statics::routes())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            web.request_timeout,
        ));
    Router::new()
        .merge(timed)
        // Streams any size; lines are capped inside the importer.
        .merge(crate::population::routes().layer(axum::extract::DefaultBodyLimit::disable()))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .layer(RequestBodyTimeoutLayer::new(web.body_timeout))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(GlobalConcurrencyLimitLayer::new(
            web.max_concurrent_requests,
        ))
        .with_state(state)
}

/// JSON under `/api/`, the console's page elsewhere.
async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        crate::error::AppError::NotFound("route".into()).into_response()
    } else {
        console::PageError::not_found("page").into_response()
    }
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
