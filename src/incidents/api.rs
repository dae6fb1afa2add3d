//! `/api/v1/incidents…` and `/api/v1/playbooks`: thin adapters over the use cases.
use super::new::{create, CreateIncident, NewIncident};
use super::update::{update, UpdateIncident};
use super::{store, Status};
use crate::app::AppState;
use crate::auth::{Action, Auth};
use crate::error::{AppError, AppResult};
use crate::web::{idempotent, ApiJson, Page};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/playbooks", get(playbooks))
        .route("/api/v1/incidents", get(list).post(idempotent(open)))
        .route("/api/v1/incidents/{id}", get(show).patch(change))
        .route("/api/v1/incidents/{id}/timeline", get(timeline))
}

async fn playbooks(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    auth.require(Action::PlaybooksRead)?;
    let kinds: Vec<_> = state.playbooks.kinds.values().collect();
    Ok(Json(
        json!({ "kinds": kinds, "organisation": state.playbooks.organisation }),
    ))
}

async fn open(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<CreateIncident>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let actor = auth.require(Action::IncidentsWrite)?;
    let now = state.clock.now();
    let new = NewIncident::parse(req, &state.playbooks, now)?;
    let incident = create(&state.db, &actor, new, now).await?;
    Ok((StatusCode::CREATED, Json(incident.view())))
}

#[derive(Deserialize)]
struct StatusFilter {
    status: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(page): Query<Page>,
    Query(filter): Query<StatusFilter>,
) -> AppResult<Json<Value>> {
    auth.require(Action::IncidentsRead)?;
    let status = filter
        .status
        .as_deref()
        .map(Status::parse)
        .transpose()
        .map_err(|e| AppError::field("status", e.0))?;
    let (rows, next) = store::list(&state.db, status, &page).await?;
    Ok(Json(json!({
        "incidents": rows.iter().map(|i| i.view()).collect::<Vec<_>>(),
        "next_before": next,
    })))
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    auth.require(Action::IncidentsRead)?;
    Ok(Json(store::find(&state.db, id).await?.view()))
}

async fn change(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<UpdateIncident>,
) -> AppResult<Json<Value>> {
    let actor = auth.require(Action::IncidentsWrite)?;
    let now = state.clock.now();
    let i = update(&state.db, &state.playbooks, &actor, id, req, now).await?;
    Ok(Json(i.view()))
}

async fn timeline(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    auth.require(Action::IncidentsRead)?;
    store::find(&state.db, id).await?;
    let events = store::timeline(&state.db, id)
        .await?
        .into_iter()
        .map(|e| {
            let details =
                serde_json::from_str::<Value>(&e.details).map_err(|_| crate::domain::Corrupt {
                    what: "timeline event's details",
                    value: e.details.chars().take(32).collect(),
                })?;
            Ok(json!({ "at": e.at, "actor": e.actor, "kind": e.kind, "details": details }))
        })
        .collect::<Result<Vec<Value>, crate::domain::Corrupt>>()?;
    Ok(Json(json!({ "events": events })))
}
