//! `/incidents/{id}/reports` in the console: for each regime whose obligations apply to the
//! incident and that Tocsin writes a report for, a download link per format of
//! `Format::AVAILABLE`; the download (`/incidents/{id}/reports/{REGIME}.{format}`) goes through
//! `report::generate` with the signed-in actor, as the API does, so every download is recorded
//! with its SHA-256; the reports generated so far are listed.
use super::obligations::{obligations, Status};
use super::report::{generate, Format, Regime, ReportError};
use crate::app::AppState;
use crate::auth::Action;
use crate::error::AppError;
use crate::incidents;
use crate::web::console::{tabs, Console, PageError, PageResult};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use entity::{account, report};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/incidents/{id}/reports", get(show))
        .route("/incidents/{id}/reports/{file}", get(download))
}

/// Reports listed in the history, newest first.
const HISTORY: u64 = 50;

async fn show(State(state): State<AppState>, cx: Console, Path(id): Path<i64>) -> PageResult {
    cx.require(Action::IncidentsRead)?;
    let i = incidents::find(&state.db, id).await?;
    let mut data = tabs::head(&cx, &i, "/reports");
    let readable = cx.can(Action::ReportsRead);
    // The regimes whose obligations apply, from the obligations engine.
    let mut applying: Vec<String> = Vec::new();
    if cx.can(Action::ObligationsRead) {
        let list = obligations(&state.db, &state.playbooks, id, state.clock.now())
            .await
            .map_err(|e| PageError::from(AppError::from(e)))?;
        for o in list.iter().filter(|o| o.status != Status::NotRequired) {
            if !applying.contains(&o.jurisdiction) {
                applying.push(o.jurisdiction.clone());
            }
        }
    }
    let mut reports = Vec::new();
    let mut without = Vec::new();
    for regime_id in &applying {
        match Regime::parse(regime_id, &state.playbooks) {
            Some(r) => reports.push(json!({
                "regime": r.id(),
                "formats": Format::AVAILABLE.iter().map(|f| json!({
                    "format": f.as_str(),
                    "href": cx.path(&format!("/incidents/{id}/reports/{}.{}", r.id(), f.as_str())),
                })).collect::<Vec<_>>(),
            })),
            None => without.push(regime_id.clone()),
        }
    }
    data.insert("readable".into(), json!(readable));
    data.insert("reports".into(), json!(reports));
    data.insert("without".into(), json!(without));
    let history = if readable {
        let rows = report::Entity::find()
            .filter(report::Column::IncidentId.eq(id))
            .order_by_desc(report::Column::Id)
            .limit(HISTORY)
            .all(&state.db)
            .await?;
        let ids: Vec<i64> = rows.iter().filter_map(|r| r.generated_by).collect();
        let emails: BTreeMap<i64, String> = account::Entity::find()
            .filter(account::Column::Id.is_in(ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|a| (a.id, a.email))
            .collect();
        rows.iter()
            .map(|r| {
                json!({
                    "at": cx.locale.time(Some(r.generated_at)),
                    "regime": r.jurisdiction,
                    "format": r.format,
                    "sha256": r.content_sha256,
                    "by": r.generated_by.and_then(|a| emails.get(&a).cloned())
                        .unwrap_or_else(|| "command line or API".into()),
                })
            })
            .collect::<Vec<_>>()
    } else {
        Vec::new()
    };
    data.insert("history".into(), json!(history));
    cx.page(
        "console/incidents/reports.html",
        &format!("Reports · Incident #{id}"),
        "incidents",
        Value::Object(data),
    )
}

/// `EU-GDPR.json` → (`EU-GDPR`, `json`).
fn split(file: &str) -> Option<(&str, &str)> {
    file.rsplit_once('.')
        .filter(|(r, f)| !r.is_empty() && !f.is_empty())
}

async fn download(
    State(state): State<AppState>,
    cx: Console,
    Path((id, file)): Path<(i64, String)>,
) -> PageResult {
    let actor = cx.require(Action::ReportsRead)?;
    let (regime, format) = split(&file).ok_or_else(|| PageError::not_found("report"))?;
    let g = generate(
        &state.db,
        super::report::Sources::of(&state),
        id,
        regime,
        format,
        &actor,
    )
    .await
    .map_err(|e| match e {
        ReportError::App(e) => PageError::from(e),
        e @ ReportError::UnknownJurisdiction { .. } => {
            PageError::show(StatusCode::NOT_FOUND, e.to_string())
        }
        e => PageError::show(StatusCode::BAD_REQUEST, e.to_string()),
    })?;
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", g.file_name()))
        .map_err(|e| PageError::Internal(e.into()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(g.format.content_type()),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        g.bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn a_file_name_splits_into_regime_and_format() {
        assert_eq!(split("EU-GDPR.json"), Some(("EU-GDPR", "json")));
        assert_eq!(split("US.CA.pdf"), Some(("US.CA", "pdf")));
        assert_eq!(split("EU-GDPR"), None);
        assert_eq!(split(".json"), None);
    }
}
