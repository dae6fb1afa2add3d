//! The incidents in the console: the overview (`/`), the list (`/incidents`), the form that
//! opens one (`form`: `/incidents/new`) and an incident's page with its status moves (`show`:
//! `/incidents/{id}`). They call the same use cases as `api.rs`.
mod form;
mod show;

use super::{store, Incident, Status};
use crate::app::AppState;
use crate::auth::Action;
use crate::population::PopulationFacts;
use crate::web::console::{Console, Locale, PageError, PageResult};
use crate::web::Page;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(overview))
        .route("/incidents", get(list))
        .merge(form::routes())
        .merge(show::routes())
}

/// Open incidents shown on the overview, at most, per status.
const OVERVIEW_PER_STATUS: u64 = 50;

/// The next regulatory deadline of an incident: `regulation::next_deadline`, the earliest due
/// or overdue obligation with a due time from the obligations engine (recomputed under the
/// incident's lock, as `GET …/obligations` does), with the time left or how late it is; null
/// when none is open.
pub(crate) async fn next_deadline(state: &AppState, id: i64, l: &Locale) -> PageResult<Value> {
    use sea_orm::TransactionTrait;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let incident = store::lock(&txn, id).await?;
    let next = crate::regulation::next_deadline(&txn, &state.playbooks, &incident, now)
        .await
        .map_err(|e| PageError::from(crate::error::AppError::from(e)))?;
    txn.commit().await?;
    Ok(match next {
        None => Value::Null,
        Some((at, rule)) => json!({
            "at": l.time(Some(at)),
            "rule": rule,
            "overdue": at < now,
            "left": if at >= now {
                format!("{} left", crate::web::console::tabs::span(at - now))
            } else {
                format!("overdue by {}", crate::web::console::tabs::span(now - at))
            },
        }),
    })
}

/// An incident's line in a table: words for status and severity (styled, never colour alone).
pub(crate) fn row(i: &Incident, base: &str, l: &Locale) -> Value {
    json!({
        "id": i.id,
        "href": format!("{base}/incidents/{}", i.id),
        "title": i.title,
        "status": i.status.as_str(),
        "severity": i.severity.as_str(),
        "aware_at": l.time(Some(i.aware_at)),
        "created_at": l.time(Some(i.created_at)),
    })
}

async fn overview(State(state): State<AppState>, cx: Console) -> PageResult {
    cx.require(Action::IncidentsRead)?;
    let delivery = cx.can(Action::DeliveryRead);
    let mut open = Vec::new();
    let page: Page = serde_json::from_value(json!({ "limit": OVERVIEW_PER_STATUS }))
        .map_err(|e| PageError::Internal(e.into()))?;
    for status in [
        Status::Open,
        Status::Investigating,
        Status::Contained,
        Status::Notifying,
    ] {
        let (rows, _) = store::list(&state.db, Some(status), &page).await?;
        open.extend(rows);
    }
    open.sort_by_key(|i| std::cmp::Reverse(i.id));
    let mut rows = Vec::new();
    let mut attention = Vec::new();
    for i in &open {
        let people = PopulationFacts::total(&state.db, i.id).await?;
        let mut r = row(i, &cx.base, &cx.locale);
        r["people"] = json!(cx.locale.number(people as i64));
        r["deadline"] = next_deadline(&state, i.id, &cx.locale).await?;
        rows.push(r);
        if delivery && i.notices.dispatched_at.is_some() {
            let d = crate::delivery::view(&state, i.id).await?;
            let failed = d["failed"].as_i64().unwrap_or(0);
            let unreachable = d["unreachable"].as_i64().unwrap_or(0);
            if failed + unreachable > 0 {
                attention.push(json!({
                    "id": i.id,
                    "title": i.title,
                    "href": format!("{}/incidents/{}/delivery", cx.base, i.id),
                    "failed": cx.locale.number(failed),
                    "unreachable": cx.locale.number(unreachable),
                    "total": cx.locale.number(d["total"].as_i64().unwrap_or(0)),
                }));
            }
        }
    }
    cx.page(
        "console/overview.html",
        "Overview",
        "overview",
        json!({
            "incidents": rows,
            "attention": attention,
            "delivery": delivery,
            "can_open": cx.can(Action::IncidentsWrite),
            "announcements": format!("{}/announcements", cx.base),
        }),
    )
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    cx: Console,
    Query(page): Query<Page>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    cx.require(Action::IncidentsRead)?;
    let wanted = q.status.as_deref().filter(|s| !s.is_empty());
    let status = match wanted.map(Status::parse).transpose() {
        Ok(s) => s,
        Err(e) => return Err(PageError::show(axum::http::StatusCode::BAD_REQUEST, e.0)),
    };
    let (incidents, next) = store::list(&state.db, status, &page).await?;
    let mut rows: Vec<Value> = Vec::with_capacity(incidents.len());
    for i in &incidents {
        let mut r = row(i, &cx.base, &cx.locale);
        let people = PopulationFacts::total(&state.db, i.id).await?;
        r["people"] = json!(cx.locale.number(people as i64));
        // A closed incident has no clock left to show.
        r["deadline"] = if i.status == Status::Closed {
            Value::Null
        } else {
            next_deadline(&state, i.id, &cx.locale).await?
        };
        rows.push(r);
    }
    let filter = status.map(|s| s.as_str()).unwrap_or_default();
    let next_href = next.map(|b| {
        let mut href = format!("{}/incidents?before={b}", cx.base);
        if !filter.is_empty() {
            href.push_str(&format!("&status={filter}"));
        }
        href
    });
    let statuses: Vec<Value> = Status::ALL
        .iter()
        .map(|s| json!({ "value": s.as_str(), "selected": s.as_str() == filter }))
        .collect();
    cx.page(
        "console/incidents/list.html",
        "Incidents",
        "incidents",
        json!({
            "incidents": rows,
            "statuses": statuses,
            "filter": filter,
            "next": next_href,
            "first": page.before().is_some(),
            "can_open": cx.can(Action::IncidentsWrite),
        }),
    )
}
