//! `/audit` in the console: the log, newest first, filterable, a page at a time; and "verify
//! chain" (`POST /audit/verify`, admins) which checks the audit log's and the ledger's chains
//! as `tocsin audit verify` does and shows the outcome.
use super::list::{self, Filter};
use crate::app::AppState;
use crate::auth::Action;
use crate::web::console::{Console, FormData, PageError, PageResult};
use crate::web::Page;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/audit", get(show))
        .route("/audit/verify", post(verify))
}

async fn render(
    state: &AppState,
    cx: &Console,
    filter: &Filter,
    page: &Page,
    verified: Value,
) -> PageResult {
    let (rows, next) = list::page(&state.db, filter, page).await?;
    let entries: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "seq": cx.locale.number(r.seq),
                "at": cx.locale.time(Some(r.at)),
                "actor": r.actor,
                "action": r.action,
                "target": format!("{} {}", r.target_type, r.target_id),
                "details": r.details,
            })
        })
        .collect();
    let keep = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("action", &filter.action),
        ("actor", &filter.actor),
        ("target_type", &filter.target_type),
        ("target_id", &filter.target_id),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
            query.append_pair(k, v);
        }
    }
    let next_href = next.map(|b| {
        query.append_pair("before", &b.to_string());
        format!("{}/audit?{}", cx.base, query.finish())
    });
    cx.page(
        "console/audit.html",
        "Audit log",
        "audit",
        json!({
            "entries": entries,
            "filter": {
                "action": keep(&filter.action),
                "actor": keep(&filter.actor),
                "target_type": keep(&filter.target_type),
                "target_id": keep(&filter.target_id),
            },
            "next": next_href,
            "can_verify": cx.can(Action::AuditVerify),
            "verified": verified,
        }),
    )
}

async fn show(
    State(state): State<AppState>,
    cx: Console,
    Query(page): Query<Page>,
    Query(filter): Query<Filter>,
) -> PageResult {
    cx.require(Action::AuditRead)?;
    render(&state, &cx, &filter, &page, Value::Null).await
}

/// Walks both chains; the answer is this page with the outcome at its top (nothing changes,
/// so there is nothing to redirect after).
async fn verify(State(state): State<AppState>, cx: Console, form: FormData) -> PageResult {
    cx.require(Action::AuditVerify)?;
    cx.check_csrf(&form)?;
    let signer = crate::chain::signer::installed()
        .ok_or_else(|| PageError::Internal(anyhow::anyhow!("no audit signing key is installed")))?;
    let key = signer.public();
    let chains = [
        ("Audit log", super::verify(&state.db, key).await?),
        (
            "Delivery ledger",
            crate::evidence::verify(&state.db, key).await?,
        ),
    ];
    let results: Vec<Value> = chains
        .iter()
        .map(|(name, v)| {
            json!({
                "name": name,
                "intact": v.broken.is_none(),
                "entries": cx.locale.number(v.entries),
                "checkpoints": cx.locale.number(v.checkpoints),
                "broken": v.broken.as_ref().map(|b| json!({ "seq": b.seq, "reason": b.reason })),
            })
        })
        .collect();
    let all = chains.iter().all(|(_, v)| v.broken.is_none());
    tracing::info!(intact = all, "audit chains verified from the console");
    let verified = json!({ "intact": all, "chains": results, "key": key.id() });
    render(&state, &cx, &Filter::default(), &Page::default(), verified).await
}
