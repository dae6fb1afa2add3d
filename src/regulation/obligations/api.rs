//! `GET /api/v1/incidents/{id}/obligations` (recomputed, by due time) and
//! `POST /api/v1/incidents/{id}/obligations/{oid}/done`: thin adapters over the use cases.
use super::refresh::{mark_done, obligations, Done};
use crate::app::AppState;
use crate::auth::{Action, Auth};
use crate::error::AppResult;
use crate::web::ApiJson;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents/{id}/obligations", get(list))
        .route("/api/v1/incidents/{id}/obligations/{oid}/done", post(done))
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    auth.require(Action::ObligationsRead)?;
    let list = obligations(&state.db, &state.playbooks, id, state.clock.now()).await?;
    Ok(Json(json!(list)))
}

async fn done(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, oid)): Path<(i64, i64)>,
    ApiJson(req): ApiJson<Done>,
) -> AppResult<Json<Value>> {
    let actor = auth.require(Action::ObligationsWrite)?;
    let o = mark_done(
        &state.db,
        &state.playbooks,
        &actor,
        id,
        oid,
        req,
        state.clock.now(),
    )
    .await?;
    Ok(Json(json!(o)))
}
