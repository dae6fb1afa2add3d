//! `POST …/notices` (compose), `GET …/notices/preview`, `POST …/approval` (approve) and
//! `DELETE …/approval` (withdraw): thin adapters over the use cases.
use super::approval;
use super::compose::{compose, ComposeInput};
use super::preview::{preview, PreviewInput};
use crate::app::AppState;
use crate::auth::{Action, Auth};
use crate::domain::Channel;
use crate::error::{AppError, AppResult};
use crate::web::ApiJson;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents/{id}/notices", post(compose_notices))
        .route("/api/v1/incidents/{id}/notices/preview", get(show_preview))
        .route(
            "/api/v1/incidents/{id}/notices/completeness",
            get(show_completeness),
        )
        .route(
            "/api/v1/incidents/{id}/approval",
            post(approve).delete(withdraw),
        )
}

/// The public announcement's address, if published: notices link to it.
async fn announcement_url(state: &AppState, id: i64) -> AppResult<Option<String>> {
    Ok(crate::announcements::url_for_incident(&state.db, &state.links, id).await?)
}

async fn compose_notices(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let actor = auth.require(Action::NoticesCompose)?;
    let input = ComposeInput {
        templates: &state.templates,
        playbooks: &state.playbooks,
        links: &state.links,
        sms_max_segments: state.settings.channels.sms_max_segments,
        announcement_url: announcement_url(&state, id).await?,
    };
    let composed = compose(&state.db, input, &actor, id, state.clock.now()).await?;
    Ok(Json(json!(composed)))
}

#[derive(Deserialize)]
struct PreviewQuery {
    external_id: String,
    channel: Option<String>,
}

async fn show_preview(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<PreviewQuery>,
) -> AppResult<Json<Value>> {
    auth.require(Action::NoticesRead)?;
    let channel = match q.channel.as_deref() {
        None => Channel::Email,
        Some(c) => Channel::parse(c).map_err(|e| AppError::field("channel", e.0))?,
    };
    let input = PreviewInput {
        templates: &state.templates,
        playbooks: &state.playbooks,
        links: &state.links,
        sms_max_segments: state.settings.channels.sms_max_segments,
        announcement_url: announcement_url(&state, id).await?,
        counts: None,
    };
    let p = preview(&state.db, input, id, &q.external_id, channel).await?;
    Ok(Json(json!(p)))
}

/// What each jurisdiction requires the notices to say and what they lack; the variants
/// prohibitions call for.
async fn show_completeness(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    auth.require(Action::NoticesRead)?;
    let inc = crate::incidents::find(&state.db, id).await?;
    let c = super::completeness::completeness(&state.db, &state.playbooks, &inc, state.clock.now())
        .await?;
    Ok(Json(json!(c)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApprovalRequest {
    /// The digest of the composition the approver reviewed.
    #[serde(default)]
    composition: String,
    /// Approve although the notices lack what a jurisdiction requires (recorded).
    #[serde(default)]
    accept_incomplete: bool,
}

async fn approve(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ApprovalRequest>,
) -> AppResult<Json<Value>> {
    let actor = auth.require(Action::NoticesApprove)?;
    let inc = approval::approve(
        &state.db,
        state.templates.fingerprint(),
        &state.playbooks,
        &actor,
        id,
        &req.composition,
        req.accept_incomplete,
        state.clock.now(),
    )
    .await?;
    Ok(Json(inc.view()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WithdrawRequest {
    #[serde(default)]
    reason: String,
}

async fn withdraw(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    let actor = auth.require(Action::NoticesApprove)?;
    let reason = if body.iter().all(u8::is_ascii_whitespace) {
        String::new()
    } else {
        serde_json::from_slice::<WithdrawRequest>(&body)
            .map_err(|e| AppError::bad_request("invalid_body", e.to_string()))?
            .reason
    };
    let reason: String = reason.trim().chars().take(500).collect();
    let reason = if reason.is_empty() {
        "withdrawn by an approver".to_owned()
    } else {
        reason
    };
    let inc = approval::withdraw(&state.db, &actor, id, &reason, state.clock.now()).await?;
    Ok(Json(inc.view()))
}
