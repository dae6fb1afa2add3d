//! `POST …/notices` (compose), `GET …/notices/preview`, `POST …/approval`.
use super::compose::{announcement_url, approve, compose, render_email};
use super::content::NoticeContent;
use crate::auth::{Action, Auth};
use crate::error::{AppError, AppResult};
use crate::incidents;
use crate::web::AppState;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use entity::{notice, subject};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents/{id}/notices", post(compose_notices))
        .route("/api/v1/incidents/{id}/notices/preview", get(preview))
        .route("/api/v1/incidents/{id}/approval", post(approval))
}

async fn compose_notices(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let actor = auth.require(Action::NoticesCompose)?;
    let count = compose(&state, &actor, id).await?;
    Ok(Json(json!({ "count": count })))
}

#[derive(Deserialize)]
struct PreviewQuery {
    external_id: String,
    #[serde(default = "email")]
    channel: String,
}

fn email() -> String {
    "email".into()
}

async fn preview(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<PreviewQuery>,
) -> AppResult<Json<Value>> {
    auth.require(Action::NoticesRead)?;
    if q.channel != "email" {
        return Err(AppError::field(
            "channel",
            "only email notices exist so far",
        ));
    }
    let inc = incidents::find(&state.db, id).await?;
    let s = subject::Entity::find()
        .filter(subject::Column::ExternalId.eq(&q.external_id))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("subject '{}'", q.external_id)))?;
    let stored = notice::Entity::find()
        .filter(notice::Column::IncidentId.eq(id))
        .filter(notice::Column::SubjectId.eq(s.id))
        .filter(notice::Column::Channel.eq(&q.channel))
        .one(&state.db)
        .await?;
    let body = match stored {
        Some(n) => json!({
            "composed": true,
            "content_version": n.content_version,
            "locale": n.locale,
            "recipient": n.recipient,
            "subject": n.subject_line,
            "text": n.body_text,
            "html": n.body_html,
        }),
        None => {
            // Not composed yet (or not in the population): show what it would say now.
            let content = NoticeContent::build(
                &inc,
                &state.playbooks,
                announcement_url(&state.db, &state, id).await?,
            );
            let locale = s.locale.clone().unwrap_or_else(|| "en".into());
            let r = render_email(&state.templates, &locale, &content, s.name.as_deref())
                .map_err(AppError::Internal)?;
            json!({
                "composed": false,
                "content_version": inc.content_version,
                "locale": locale,
                "recipient": s.email,
                "subject": r.subject,
                "text": r.text,
                "html": r.html,
            })
        }
    };
    let mut body = body;
    body["external_id"] = json!(q.external_id);
    body["channel"] = json!(q.channel);
    Ok(Json(body))
}

async fn approval(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let actor = auth.require(Action::NoticesApprove)?;
    let inc = approve(&state, &actor, id).await?;
    Ok(Json(incidents::view(&inc)))
}
