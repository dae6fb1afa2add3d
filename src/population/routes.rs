//! `POST /api/v1/subjects/import`, `GET /api/v1/subjects/{external_id}`.
use super::import::{import_subjects, Format, ImportError, ImportReport, ImportTarget};
use crate::app::AppState;
use crate::auth::{Action, Auth};
use crate::error::{AppError, AppResult};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::routing::{get, post};
use axum::{Json, Router};
use entity::{subject, subject_device};
use futures::TryStreamExt;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// `POST /api/v1/incidents/{id}/population`.
pub fn incident_routes() -> Router<AppState> {
    Router::new().route("/api/v1/incidents/{id}/population", post(population))
}

#[derive(serde::Deserialize)]
struct DryRun {
    #[serde(default)]
    dry_run: bool,
}

async fn population(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<DryRun>,
    crate::web::ApiJson(req): crate::web::ApiJson<super::PopulationRequest>,
) -> AppResult<Json<super::PopulationSummary>> {
    let actor = auth.require(Action::PopulationWrite)?;
    let now = state.clock.now();
    Ok(Json(
        super::set_population(&state.db, &actor, id, req, q.dry_run, now).await?,
    ))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/subjects/import", post(import))
        .route("/api/v1/subjects/{external_id}", get(show))
}

async fn import(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Json<ImportReport>> {
    let actor = auth.require(Action::SubjectsImport)?;
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let format = match ctype.as_str() {
        "text/csv" => Format::Csv,
        "application/x-ndjson" | "application/jsonl" | "application/x-jsonlines" => Format::Jsonl,
        _ => return Err(AppError::UnsupportedMediaType(
            "send CSV as 'Content-Type: text/csv' or JSONL as 'Content-Type: application/x-ndjson'"
                .into(),
        )),
    };
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(stream));
    let report = import_subjects(
        &ImportTarget::Database(state.db.clone()),
        reader,
        format,
        Arc::new(state.playbooks.own_categories()),
        &actor,
        Arc::new(AtomicU64::new(0)),
        |_| {},
    )
    .await
    .map_err(|e| match e {
        ImportError::Db(db) => AppError::from(db),
        e => AppError::bad_request(e.code(), e.to_string()),
    })?;
    state
        .metrics
        .subjects_imported
        .inc_by(report.imported + report.updated);
    Ok(Json(report))
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(external_id): Path<String>,
) -> AppResult<Json<Value>> {
    auth.require(Action::SubjectsRead)?;
    let s = subject::Entity::find()
        .filter(subject::Column::ExternalId.eq(&external_id))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("subject '{external_id}'")))?;
    let devices = subject_device::Entity::find()
        .filter(subject_device::Column::SubjectId.eq(s.id))
        .all(&state.db)
        .await?;
    Ok(Json(subject_view(&s, &devices)))
}

pub fn subject_view(s: &subject::Model, devices: &[subject_device::Model]) -> Value {
    let parse = |t: &str, empty: Value| serde_json::from_str::<Value>(t).unwrap_or(empty);
    json!({
        "id": s.id,
        "external_id": s.external_id,
        "name": s.name,
        "email": s.email,
        "phone": s.phone,
        "locale": s.locale,
        "country": s.country,
        "region": s.region,
        "birth_date": s.birth_date,
        "attributes": parse(&s.attributes, json!({})),
        "data_categories": parse(&s.data_categories, json!([])),
        "push_devices": devices.iter().map(|d| json!({"platform": d.platform, "token": d.token})).collect::<Vec<_>>(),
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    })
}
