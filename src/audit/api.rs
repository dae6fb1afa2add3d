//! `GET /api/v1/audit`: entries, newest first, paginated with `?before=<seq>&limit=<n>`.
use crate::app::AppState;
use crate::auth::{Action, Auth};
use crate::error::AppResult;
use crate::web::Page;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use entity::audit_log;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(list))
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(page): Query<Page>,
) -> AppResult<Json<Value>> {
    auth.require(Action::AuditRead)?;
    let mut q = audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Seq)
        .limit(page.limit());
    if let Some(b) = page.before() {
        q = q.filter(audit_log::Column::Seq.lt(b));
    }
    let rows = q.all(&state.db).await?;
    let next = page.next_before(&rows, |r| r.seq);
    let entries: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({
                "seq": r.seq,
                "at": r.at,
                "actor": r.actor,
                "action": r.action,
                "target_type": r.target_type,
                "target_id": r.target_id,
                "details": serde_json::from_str::<Value>(&r.details).unwrap_or(Value::Null),
                "hash": r.hash,
            })
        })
        .collect();
    Ok(Json(json!({ "entries": entries, "next_before": next })))
}
