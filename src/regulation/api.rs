//! `GET /api/v1/incidents/{id}/reports/{jurisdiction}?format=json|csv|html`, and the versions'
//! routes (`versions::api`).
use super::report::{generate, ReportError};
use crate::app::AppState;
use crate::auth::{Action, Auth};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents/{id}/reports/{jurisdiction}", get(report))
        .merge(super::versions::routes())
}

#[derive(Deserialize)]
struct ReportQuery {
    format: Option<String>,
}

/// The report, as bytes: what is returned is exactly what was hashed and recorded.
async fn report(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, jurisdiction)): Path<(i64, String)>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ReportError> {
    let actor = auth.require(Action::ReportsRead)?;
    let format = q.format.as_deref().unwrap_or("json");
    let g = generate(
        &state.db,
        super::report::Sources::of(&state),
        id,
        &jurisdiction,
        format,
        &actor,
    )
    .await?;
    let disposition = HeaderValue::from_str(&format!("inline; filename=\"{}\"", g.file_name()))
        .map_err(|e| crate::error::AppError::Internal(e.into()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(g.format.content_type()),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        g.bytes,
    )
        .into_response())
}
