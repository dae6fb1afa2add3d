//! `GET /api/v1/incidents/{id}/ledger?format=json|csv`: the incident's delivery evidence,
//! streamed in order with its hashes.
use super::export::{stream, Format};
use crate::app::AppState;
use crate::auth::{Action, Auth};
use crate::error::{AppError, AppResult};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/incidents/{id}/ledger", get(export))
}

#[derive(Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

async fn export(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    auth.require(Action::LedgerRead)?;
    let format = match q.format.as_deref() {
        None => Format::Json,
        Some(f) => Format::parse(f)
            .ok_or_else(|| AppError::bad_request("bad_format", "format is json or csv"))?,
    };
    // Known before the first byte goes out: an unknown incident is a 404, not an empty list.
    crate::incidents::find(&state.db, id).await?;
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"incident-{id}-ledger.{}\"",
        format.extension()
    ))
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Body::from_stream(stream(state.db.clone(), id, format)),
    )
        .into_response())
}
