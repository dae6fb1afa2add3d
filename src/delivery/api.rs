//! `POST …/dispatch` (and its plan), `GET …/delivery` (and its live stream), and
//! `POST …/delivery/{pause,resume,cancel}`; providers' status callbacks (`callbacks`).
use super::dispatch::{control, dispatch, plan, Options};
use super::progress;
use crate::app::AppState;
use crate::auth::{Action, Auth};
use crate::error::{AppError, AppResult};
use crate::incidents::DeliveryState;
use crate::web::idempotent;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::time::Duration;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents/{id}/dispatch", post(idempotent(start)))
        .route("/api/v1/incidents/{id}/delivery", get(progress))
        .route("/api/v1/incidents/{id}/delivery/stream", get(stream))
        .route("/api/v1/incidents/{id}/delivery/pause", post(pause))
        .route("/api/v1/incidents/{id}/delivery/resume", post(resume))
        .route("/api/v1/incidents/{id}/delivery/cancel", post(cancel))
        .merge(super::callbacks::routes())
}

#[derive(Deserialize)]
struct DryRun {
    #[serde(default)]
    dry_run: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DispatchRequest {
    /// Channels each person gets at once (high and critical incidents).
    at_once: Option<usize>,
}

async fn start(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<DryRun>,
    body: Bytes,
) -> AppResult<Response> {
    let actor = auth.require(Action::Dispatch)?;
    let req: DispatchRequest = if body.iter().all(u8::is_ascii_whitespace) {
        DispatchRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| AppError::bad_request("invalid_body", e.to_string()))?
    };
    let options = Options {
        at_once: req.at_once,
        ..Options::default()
    };
    let now = state.clock.now();
    let fingerprint = state.templates.fingerprint();
    let s = &state.settings;
    if q.dry_run {
        let p = plan(
            &state.db,
            &state.playbooks,
            fingerprint,
            s,
            id,
            options,
            now,
        )
        .await?;
        return Ok(Json(json!(p)).into_response());
    }
    let queued = dispatch(
        &state.db,
        fingerprint,
        s.max_attempts,
        &actor,
        id,
        options,
        &state.clock,
        &state.dispatch_wakeup,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "queued": queued }))).into_response())
}

/// People counted once each in `total` and its buckets; attempts per channel in `by_channel`
/// (what `GET …/delivery` answers; the console's overview reads it too).
pub(crate) async fn delivery_view(state: &AppState, id: i64) -> AppResult<Value> {
    Ok(json!(progress::progress(&state.db, id).await?))
}

async fn progress(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    auth.require(Action::DeliveryRead)?;
    Ok(Json(delivery_view(&state, id).await?))
}

/// Server-Sent Events: the delivery view whenever it changes (checked every second), until
/// nothing is pending any more.
async fn stream(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Sse<impl futures::Stream<Item = Result<Event, Infallible>>>> {
    auth.require(Action::DeliveryRead)?;
    let first = progress::progress(&state.db, id).await?;
    let events = futures::stream::unfold(
        (state, Some(first), None::<progress::Progress>, false),
        move |(state, next, last, done)| async move {
            if done {
                return None;
            }
            let mut view = next;
            loop {
                let p = match view.take() {
                    Some(p) => p,
                    None => {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        match progress::progress(&state.db, id).await {
                            Ok(p) => p,
                            Err(_) => return None,
                        }
                    }
                };
                if Some(&p) != last.as_ref() {
                    let finished = p.finished();
                    let event = Event::default()
                        .event("delivery")
                        .data(json!(p).to_string());
                    return Some((Ok(event), (state, None, Some(p), finished)));
                }
            }
        },
    );
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

async fn set_state(
    state: AppState,
    auth: Auth,
    id: i64,
    to: DeliveryState,
) -> AppResult<Json<Value>> {
    let actor = auth.require(Action::Dispatch)?;
    let inc = control(&state.db, &actor, id, to, state.clock.now()).await?;
    state.dispatch_wakeup.notify_waiters();
    Ok(Json(delivery_view(&state, inc.id).await?))
}

async fn pause(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    set_state(state, auth, id, DeliveryState::Paused).await
}

async fn resume(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    set_state(state, auth, id, DeliveryState::Running).await
}

async fn cancel(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    set_state(state, auth, id, DeliveryState::Cancelled).await
}
