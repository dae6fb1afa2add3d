//! `POST …/dispatch` and `GET …/delivery`.
use super::dispatch::dispatch;
use super::store;
use crate::app::AppState;
use crate::auth::{Action, Auth};
use crate::domain::Channel;
use crate::error::AppResult;
use crate::incidents;
use crate::web::idempotent;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents/{id}/dispatch", post(idempotent(start)))
        .route("/api/v1/incidents/{id}/delivery", get(progress))
}

async fn start(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let actor = auth.require(Action::Dispatch)?;
    let queued = dispatch(
        &state.db,
        state.templates.fingerprint(),
        state.settings.max_attempts,
        &actor,
        id,
        state.clock.now(),
    )
    .await?;
    state.dispatch_wakeup.notify_waiters();
    Ok((StatusCode::ACCEPTED, Json(json!({ "queued": queued }))))
}

async fn progress(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    auth.require(Action::DeliveryRead)?;
    incidents::find(&state.db, id).await?;
    let blank = || json!({ "total": 0, "pending": 0, "sent": 0, "failed": 0, "unreachable": 0 });
    let mut total = blank();
    let mut by_channel = Map::new();
    for ch in Channel::ALL {
        by_channel.insert(ch.as_str().into(), blank());
    }
    for (channel, status, n) in store::counts(&state.db, id).await? {
        let key = status.bucket();
        for bucket in [
            &mut total,
            by_channel.entry(channel.as_str()).or_insert_with(blank),
        ] {
            bucket["total"] = json!(bucket["total"].as_i64().unwrap_or(0) + n);
            bucket[key] = json!(bucket[key].as_i64().unwrap_or(0) + n);
        }
    }
    total["by_channel"] = Value::Object(by_channel);
    Ok(Json(total))
}
