//! `POST …/dispatch` and `GET …/delivery`.
use crate::audit::Actor;
use crate::auth::{Action, Auth};
use crate::db::stmt;
use crate::error::{AppError, AppResult};
use crate::incidents::{self, record_event, Status};
use crate::web::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{json, Map, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents/{id}/dispatch", post(dispatch_route))
        .route("/api/v1/incidents/{id}/delivery", get(delivery))
}

async fn dispatch_route(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let actor = auth.require(Action::Dispatch)?;
    let queued = dispatch(&state, &actor, id).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "queued": queued }))))
}

/// Puts the approved notices into the outbox, in one transaction, and wakes the dispatcher.
/// Dispatching again queues only what was not queued before.
pub async fn dispatch(state: &AppState, actor: &Actor, incident_id: i64) -> AppResult<u64> {
    let txn = state.db.begin().await?;
    let inc = incidents::find(&txn, incident_id).await?;
    if inc.status == Status::Closed.as_str() {
        return Err(AppError::conflict(
            "incident_closed",
            "the incident is closed",
        ));
    }
    if inc.composed_at.is_none() {
        return Err(AppError::conflict(
            "not_composed",
            "compose the notices first",
        ));
    }
    if !incidents::is_approved(&inc) || inc.composed_version != inc.content_version {
        return Err(AppError::conflict(
            "not_approved",
            "the notices are not approved for the incident's current content: an approver must approve them first",
        ));
    }
    let backend = txn.get_database_backend();
    let now = crate::audit::now();
    let queued = txn
        .execute(stmt(
            backend,
            "INSERT INTO deliveries (notice_id, incident_id, channel, status, attempts, max_attempts, \
             next_attempt_at, message_id, created_at, updated_at) \
             SELECT id, incident_id, channel, 'pending', 0, ?, ?, '', ?, ? FROM notices WHERE incident_id = ? \
             ON CONFLICT (notice_id) DO NOTHING",
            [
                state.settings.max_attempts.into(),
                now.into(),
                now.into(),
                now.into(),
                incident_id.into(),
            ],
        ))
        .await?
        .rows_affected();
    let from = Status::parse(&inc.status).unwrap_or(Status::Open);
    // Sending notices is notifying, whatever stage the investigation is at.
    let moves = matches!(
        from,
        Status::Open | Status::Investigating | Status::Contained
    );
    txn.execute(stmt(
        backend,
        "UPDATE incidents SET dispatched_at = COALESCE(dispatched_at, ?), status = ?, updated_at = ? WHERE id = ?",
        [
            now.into(),
            if moves { Status::Notifying.as_str() } else { inc.status.as_str() }.into(),
            now.into(),
            incident_id.into(),
        ],
    ))
    .await?;
    record_event(
        &txn,
        incident_id,
        actor,
        "dispatched",
        json!({ "queued": queued }),
    )
    .await?;
    if moves {
        record_event(
            &txn,
            incident_id,
            actor,
            "status_changed",
            json!({ "from": from.as_str(), "to": Status::Notifying.as_str() }),
        )
        .await?;
    }
    txn.commit().await?;
    state.dispatch_wakeup.notify_waiters();
    Ok(queued)
}

async fn delivery(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    auth.require(Action::DeliveryRead)?;
    incidents::find(&state.db, id).await?;
    let rows = state
        .db
        .query_all(stmt(
            state.db.get_database_backend(),
            "SELECT channel, status, COUNT(*) AS n FROM deliveries WHERE incident_id = ? GROUP BY channel, status",
            [id.into()],
        ))
        .await?;
    let blank = || json!({ "total": 0, "pending": 0, "sent": 0, "failed": 0, "unreachable": 0 });
    let mut total = blank();
    let mut by_channel = Map::new();
    for ch in ["email", "sms", "push"] {
        by_channel.insert(ch.into(), blank());
    }
    for r in rows {
        let channel: String = r.try_get("", "channel")?;
        let status: String = r.try_get("", "status")?;
        let n: i64 = r.try_get("", "n")?;
        let key = match status.as_str() {
            "pending" | "sending" => "pending",
            "sent" => "sent",
            "unreachable" => "unreachable",
            _ => "failed",
        };
        for bucket in [&mut total, by_channel.entry(channel).or_insert_with(blank)] {
            bucket["total"] = json!(bucket["total"].as_i64().unwrap_or(0) + n);
            bucket[key] = json!(bucket[key].as_i64().unwrap_or(0) + n);
        }
    }
    total["by_channel"] = Value::Object(by_channel);
    Ok(Json(total))
}
