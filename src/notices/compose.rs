//! Composing: one rendered notice per affected person, streamed in batches.
use super::content::NoticeContent;
use super::templates::Templates;
use crate::audit::Actor;
use crate::db::stmt;
use crate::error::{AppError, AppResult};
use crate::incidents::{self, record_event};
use crate::web::AppState;
use entity::incident;
use sea_orm::{ConnectionTrait, TransactionTrait, Value as DbValue};
use serde::Serialize;
use serde_json::json;

const BATCH: i64 = 500;

/// One rendered e-mail.
#[derive(Debug, Clone, Serialize)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders the e-mail notice for one person. `name` is interpolated escaped in HTML.
pub fn render_email(
    templates: &Templates,
    locale: &str,
    content: &NoticeContent,
    name: Option<&str>,
) -> anyhow::Result<Rendered> {
    let data = json!({ "content": content, "recipient_name": name });
    let subject = templates.render(
        &templates.localized("notices", locale, "email.subject"),
        &data,
    )?;
    Ok(Rendered {
        // A subject is one line, whatever the template or the data did.
        subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
        text: templates.render(&templates.localized("notices", locale, "email.txt"), &data)?,
        html: templates.render(&templates.localized("notices", locale, "email.html"), &data)?,
    })
}

/// The public announcement's URL, if one is published (notices link to it).
pub async fn announcement_url(
    db: &impl ConnectionTrait,
    state: &AppState,
    incident_id: i64,
) -> Result<Option<String>, sea_orm::DbErr> {
    let row = db
        .query_one(stmt(
            db.get_database_backend(),
            "SELECT slug FROM announcements WHERE incident_id = ? ORDER BY id LIMIT 1",
            [incident_id.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => {
            let slug: String = r.try_get("", "slug")?;
            state
                .settings
                .public_url
                .join(&format!("announcements/{slug}"))
                .ok()
                .map(|u| u.to_string())
        }
        None => None,
    })
}

/// Composes the e-mail notice of everyone in the population, replacing notices composed
/// earlier. Withdraws any approval: a second person must approve what was composed.
pub async fn compose(state: &AppState, actor: &Actor, incident_id: i64) -> AppResult<u64> {
    let txn = state.db.begin().await?;
    let inc: incident::Model = incidents::find(&txn, incident_id).await?;
    if inc.dispatched_at.is_some() {
        return Err(AppError::conflict(
            "already_dispatched",
            "the notices were already dispatched",
        ));
    }
    if inc.status == "closed" {
        return Err(AppError::conflict(
            "incident_closed",
            "the incident is closed",
        ));
    }
    let backend = txn.get_database_backend();
    let content = NoticeContent::build(
        &inc,
        &state.playbooks,
        announcement_url(&txn, state, incident_id).await?,
    );
    txn.execute(stmt(
        backend,
        "DELETE FROM notices WHERE incident_id = ?",
        [incident_id.into()],
    ))
    .await?;
    let now = crate::audit::now();
    let mut after = 0i64;
    let mut count = 0u64;
    loop {
        let rows = txn
            .query_all(stmt(
                backend,
                "SELECT p.id AS pid, s.id AS sid, s.name, s.email, s.locale FROM incident_population p \
                 JOIN subjects s ON s.id = p.subject_id WHERE p.incident_id = ? AND p.id > ? \
                 ORDER BY p.id LIMIT ?",
                [incident_id.into(), after.into(), BATCH.into()],
            ))
            .await?;
        if rows.is_empty() {
            break;
        }
        let mut values: Vec<DbValue> = Vec::with_capacity(rows.len() * 11);
        for r in &rows {
            after = r.try_get("", "pid")?;
            let sid: i64 = r.try_get("", "sid")?;
            let name: Option<String> = r.try_get("", "name")?;
            let email: Option<String> = r.try_get("", "email")?;
            let locale: Option<String> = r.try_get("", "locale")?;
            let locale = locale.unwrap_or_else(|| "en".into());
            let rendered = render_email(&state.templates, &locale, &content, name.as_deref())
                .map_err(AppError::Internal)?;
            values.extend([
                incident_id.into(),
                sid.into(),
                "email".into(),
                locale.into(),
                email.into(),
                rendered.subject.into(),
                rendered.text.into(),
                Some(rendered.html).into(),
                inc.content_version.into(),
                now.into(),
            ]);
        }
        let n = rows.len();
        let sql = format!(
            "INSERT INTO notices (incident_id, subject_id, channel, locale, recipient, subject_line, \
             body_text, body_html, content_version, created_at) VALUES {}",
            vec!["(?,?,?,?,?,?,?,?,?,?)"; n].join(",")
        );
        txn.execute(stmt(backend, &sql, values)).await?;
        count += n as u64;
    }
    if count == 0 {
        return Err(AppError::conflict(
            "no_population",
            "the incident has no affected people yet: POST /api/v1/incidents/{id}/population first",
        ));
    }
    txn.execute(stmt(
        backend,
        "UPDATE incidents SET composed_at = ?, composed_by = ?, composed_version = ?, approved_at = NULL, \
         approved_by = NULL, updated_at = ? WHERE id = ?",
        [
            now.into(),
            actor.account_id().into(),
            inc.content_version.into(),
            now.into(),
            incident_id.into(),
        ],
    ))
    .await?;
    record_event(
        &txn,
        incident_id,
        actor,
        "notices_composed",
        json!({ "count": count, "channel": "email", "content_version": inc.content_version }),
    )
    .await?;
    txn.commit().await?;
    Ok(count)
}

/// Approves the composed notices: the approver must not be who composed them, and they must
/// be composed from the incident's current content.
pub async fn approve(
    state: &AppState,
    actor: &Actor,
    incident_id: i64,
) -> AppResult<incident::Model> {
    let txn = state.db.begin().await?;
    let inc = incidents::find(&txn, incident_id).await?;
    if inc.composed_at.is_none() {
        return Err(AppError::conflict(
            "not_composed",
            "there are no composed notices to approve",
        ));
    }
    if inc.composed_version != inc.content_version {
        return Err(AppError::conflict(
            "stale_notices",
            "the incident changed after the notices were composed: compose them again, then approve",
        ));
    }
    if inc.composed_by.is_some() && inc.composed_by == actor.account_id() {
        return Err(AppError::Forbidden(
            "four eyes: the person who composed the notices cannot approve them".into(),
        ));
    }
    if incidents::is_approved(&inc) {
        return Err(AppError::conflict(
            "already_approved",
            "the notices are already approved",
        ));
    }
    let now = crate::audit::now();
    txn.execute(stmt(
        txn.get_database_backend(),
        "UPDATE incidents SET approved_at = ?, approved_by = ?, approved_version = ?, updated_at = ? WHERE id = ?",
        [now.into(), actor.account_id().into(), inc.content_version.into(), now.into(), incident_id.into()],
    ))
    .await?;
    record_event(
        &txn,
        incident_id,
        actor,
        "notices_approved",
        json!({ "content_version": inc.content_version }),
    )
    .await?;
    let inc = incidents::find(&txn, incident_id).await?;
    txn.commit().await?;
    Ok(inc)
}
