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
use futures::StreamExt;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

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
    let upload = spool(&headers, body, state.settings.import_max_bytes).await?;
    let report = import_subjects(
        &ImportTarget::Database(state.db.clone()),
        upload,
        format,
        Arc::new(state.playbooks.own_categories()),
        &actor,
        Arc::new(AtomicU64::new(0)),
        |_| {},
    )
    .await
    .map_err(|e| match e {
        ImportError::Db(db) => AppError::from(db),
        e @ ImportError::Internal(_) => AppError::Internal(e.into()),
        e => AppError::bad_request(e.code(), e.to_string()),
    })?;
    state
        .metrics
        .subjects_imported
        .inc_by(report.imported + report.updated);
    Ok(Json(report))
}

/// Keeps the upload in an unnamed temporary file (in the OS temp dir: `TMPDIR`) until it is
/// complete, so that the import's transaction, which holds SQLite's write lock, does not wait
/// on a slow client. Refuses it once it passes `max` bytes, before reading a body whose
/// announced length already does.
async fn spool(headers: &HeaderMap, body: Body, max: u64) -> AppResult<std::fs::File> {
    let too_large = || {
        AppError::TooLarge(format!(
            "the upload is larger than the import limit of {max} bytes \
             (TOCSIN_IMPORT_MAX_BYTES); nothing was imported: split the file or raise the limit"
        ))
    };
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let disk = |e: std::io::Error| {
        AppError::Internal(anyhow::Error::new(e).context("keeping the upload in a temporary file"))
    };
    let file = tokio::task::spawn_blocking(tempfile::tempfile)
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(disk)?;
    // Uploads arrive in chunks of a few KiB: written a quarter MiB at a time.
    let mut file = tokio::io::BufWriter::with_capacity(256 * 1024, tokio::fs::File::from_std(file));
    let mut stream = body.into_data_stream();
    let mut size = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            AppError::bad_request("read_failed", format!("the upload broke off: {e}"))
        })?;
        size += chunk.len() as u64;
        if size > max {
            return Err(too_large());
        }
        file.write_all(&chunk).await.map_err(disk)?;
    }
    file.flush().await.map_err(disk)?;
    let mut file = file.into_inner();
    file.rewind().await.map_err(disk)?;
    Ok(file.into_std().await)
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
