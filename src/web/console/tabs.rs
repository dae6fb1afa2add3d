//! The tabs of an incident's page. Details is built; the others are placeholders that a later
//! step replaces, each with its capability's `console.rs` (population, notices, delivery,
//! obligations, reports): remove a tab's path from [`PLACEHOLDERS`] when its page arrives.
use super::{Console, PageResult};
use crate::app::AppState;
use crate::auth::Action;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

/// Every tab: its path after `/incidents/{id}` and its label.
pub const TABS: &[(&str, &str)] = &[
    ("", "Details"),
    ("/population", "People affected"),
    ("/notices", "Notices"),
    ("/delivery", "Delivery"),
    ("/obligations", "Obligations"),
    ("/reports", "Reports"),
];

/// PLACEHOLDER: tabs whose page is not built yet; each shows a marked placeholder page.
pub const PLACEHOLDERS: &[&str] = &[
    "population",
    "notices",
    "delivery",
    "obligations",
    "reports",
];

/// The tab strip for incident `id` with `active` (a path of [`TABS`]) marked.
pub fn strip(base: &str, id: i64, active: &str) -> Value {
    json!(TABS
        .iter()
        .map(|(path, label)| json!({
            "href": format!("{base}/incidents/{id}{path}"),
            "label": label,
            "current": *path == active,
            "placeholder": PLACEHOLDERS.contains(&path.trim_start_matches('/')),
        }))
        .collect::<Vec<_>>())
}

pub fn routes() -> Router<AppState> {
    let mut r = Router::new();
    for tab in PLACEHOLDERS {
        r = r.route(&format!("/incidents/{{id}}/{tab}"), get(placeholder));
    }
    r
}

async fn placeholder(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<i64>,
    uri: axum::http::Uri,
) -> PageResult {
    cx.require(Action::IncidentsRead)?;
    let incident = crate::incidents::find(&state.db, id).await?;
    let tab = uri.path().rsplit('/').next().unwrap_or_default().to_owned();
    let label = TABS
        .iter()
        .find(|(p, _)| p.trim_start_matches('/') == tab)
        .map_or("", |(_, l)| *l);
    cx.page(
        "console/incidents/placeholder.html",
        &format!("{label} · Incident #{id}"),
        "incidents",
        json!({
            "incident": { "id": incident.id, "title": incident.title },
            "tabs": strip(&cx.base, id, &format!("/{tab}")),
            "label": label,
            "api": format!("/api/v1/incidents/{id}/{tab}"),
        }),
    )
}
