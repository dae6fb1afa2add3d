//! What delivery tells the evidence ledger: each delivery queued, each attempt with the exact
//! content sent, each fallback, each provider status — appended in the same transaction as the
//! change it proves, as its last statement (see `evidence::append_batch`).
use crate::db::stmt;
use crate::domain::Channel;
use crate::evidence::{self, content_sha256, Entry, Event, LedgerError};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

const BATCH: i64 = 5000;

/// Ledger entries for every delivery of the incident queued at `at` (one dispatch), with the
/// hash of the notice each will send and the templates it was composed with.
pub async fn queued(
    txn: &DatabaseTransaction,
    incident_id: i64,
    templates: &str,
    at: DateTime<Utc>,
) -> Result<u64, LedgerError> {
    let mut after = 0i64;
    let mut n = 0;
    loop {
        let rows = txn
            .query_all(stmt(
                txn.get_database_backend(),
                "SELECT d.id, d.subject_id, d.channel, n.subject_line, n.body_text, n.body_html \
                 FROM deliveries d JOIN notices n ON n.id = d.notice_id \
                 WHERE d.incident_id = ? AND d.created_at = ? AND d.id > ? ORDER BY d.id LIMIT ?",
                [incident_id.into(), at.into(), after.into(), BATCH.into()],
            ))
            .await?;
        let Some(last) = rows.last() else {
            return Ok(n);
        };
        after = last.try_get("", "id")?;
        let mut entries = Vec::with_capacity(rows.len());
        for r in &rows {
            let channel: String = r.try_get("", "channel")?;
            let channel = Channel::from_stored(&channel).map_err(sea_orm::DbErr::from)?;
            let html: Option<String> = r.try_get("", "body_html")?;
            let content = content_sha256(
                &r.try_get::<String>("", "subject_line")?,
                &r.try_get::<String>("", "body_text")?,
                html.as_deref(),
            );
            entries.push(
                Entry::new(
                    incident_id,
                    r.try_get("", "id")?,
                    r.try_get::<Option<i64>>("", "subject_id")?.unwrap_or(0),
                    channel,
                    Event::Queued,
                    at,
                )
                .content(content, templates),
            );
        }
        n += entries.len() as u64;
        evidence::append_batch(txn, &entries).await?;
    }
}
