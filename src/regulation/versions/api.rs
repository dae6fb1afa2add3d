//! `…/reports/{jurisdiction}/versions`: save the current report as the next version, list the
//! versions, render one exactly as saved, record its submission (once), compare two.
use super::{SaveRequest, SubmitRequest};
use crate::app::AppState;
use crate::auth::{Action, Auth};
use crate::regulation::report::{self, Build, Format, ReportError};
use crate::web::ApiJson;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/incidents/{id}/reports/{jurisdiction}/versions",
            get(list).post(save),
        )
        .route(
            "/api/v1/incidents/{id}/reports/{jurisdiction}/versions/{n}",
            get(one),
        )
        .route(
            "/api/v1/incidents/{id}/reports/{jurisdiction}/versions/{n}/submission",
            post(submit),
        )
        .route(
            "/api/v1/incidents/{id}/reports/{jurisdiction}/versions/{n}/diff",
            get(diff),
        )
}

async fn save(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, jurisdiction)): Path<(i64, String)>,
    ApiJson(req): ApiJson<SaveRequest>,
) -> Result<Response, ReportError> {
    let actor = auth.require(Action::ReportsWrite)?;
    let regime = report::regime(&state.playbooks, &jurisdiction)?;
    let build = Build {
        playbooks: &state.playbooks,
        templates: &state.templates,
        kind: None,
        now: crate::audit::now(),
    };
    let v = super::save(&state.db, &build, id, &regime, req, &actor).await?;
    Ok((StatusCode::CREATED, Json(json!(v))).into_response())
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, jurisdiction)): Path<(i64, String)>,
) -> Result<Response, ReportError> {
    auth.require(Action::ReportsRead)?;
    let regime = report::regime(&state.playbooks, &jurisdiction)?;
    let list = super::list(&state.db, id, &regime).await?;
    Ok(Json(json!({ "regime": regime.id, "versions": list })).into_response())
}

#[derive(Deserialize)]
struct FormatQuery {
    format: Option<String>,
}

async fn one(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, jurisdiction, n)): Path<(i64, String, i32)>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, ReportError> {
    auth.require(Action::ReportsRead)?;
    let regime = report::regime(&state.playbooks, &jurisdiction)?;
    let format = Format::parse(q.format.as_deref().unwrap_or("json"))?;
    let bytes = super::render(&state.db, id, &regime, n, format, &state.pdf_fonts).await?;
    let name = format!(
        "inline; filename=\"TOCSIN-{id}-{}-v{n}.{}\"",
        regime.id,
        format.as_str()
    );
    let disposition =
        HeaderValue::from_str(&name).map_err(|e| crate::error::AppError::Internal(e.into()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response())
}

async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, jurisdiction, n)): Path<(i64, String, i32)>,
    ApiJson(req): ApiJson<SubmitRequest>,
) -> Result<Response, ReportError> {
    let actor = auth.require(Action::ReportsWrite)?;
    let regime = report::regime(&state.playbooks, &jurisdiction)?;
    let v = super::submit(
        &state.db,
        &state.playbooks,
        id,
        &regime,
        n,
        req,
        &actor,
        crate::audit::now(),
    )
    .await?;
    Ok(Json(json!(v)).into_response())
}

#[derive(Deserialize)]
struct DiffQuery {
    against: Option<String>,
}

async fn diff(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, jurisdiction, n)): Path<(i64, String, i32)>,
    Query(q): Query<DiffQuery>,
) -> Result<Response, ReportError> {
    auth.require(Action::ReportsRead)?;
    let regime = report::regime(&state.playbooks, &jurisdiction)?;
    let against = match q.against.as_deref().map(str::trim) {
        None | Some("") => n - 1,
        Some(s) => s.parse::<i32>().map_err(|_| ReportError::Invalid {
            field: "against",
            reason: "must be a version number".into(),
        })?,
    };
    let changes = super::diff(&state.db, id, &regime, n, against).await?;
    Ok(Json(json!({
        "regime": regime.id,
        "version": n,
        "against": against,
        "changes": changes,
    }))
    .into_response())
}
