//! What delivery tells the evidence ledger: each delivery queued, each attempt with the exact
//! content sent, each fallback, each provider status — appended in the same transaction as the
//! change it proves, as its last statement (see `evidence::append_batch`).
use super::store::{AttemptResult, Claimed};
use crate::db::stmt;
use crate::domain::Channel;
use crate::evidence::{self, content_sha256, ContentHash, Entry, Event, LedgerError, Outcome};
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
                // The hash kept at compose time; the text only for notices composed before
                // it was kept.
                "SELECT d.id, d.subject_id, d.channel, n.content_sha256, \
                 CASE WHEN n.content_sha256 IS NULL THEN n.subject_line END AS subject_line, \
                 CASE WHEN n.content_sha256 IS NULL THEN n.body_text END AS body_text, \
                 CASE WHEN n.content_sha256 IS NULL THEN n.body_html END AS body_html \
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
            let kept: Option<String> = r.try_get("", "content_sha256")?;
            let content = match kept.map(|h| ContentHash::parse(&h)) {
                Some(Ok(hash)) => hash,
                Some(Err(e)) => {
                    return Err(
                        sea_orm::DbErr::Custom(format!("notices.content_sha256: {e}")).into(),
                    )
                }
                None => {
                    let html: Option<String> = r.try_get("", "body_html")?;
                    content_sha256(
                        &r.try_get::<Option<String>>("", "subject_line")?
                            .unwrap_or_default(),
                        &r.try_get::<Option<String>>("", "body_text")?
                            .unwrap_or_default(),
                        html.as_deref(),
                    )
                }
            };
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

/// The ledger's record of one attempt: what was sent (content hash, templates), how it
/// ended, the provider's reference when it was accepted. `details` holds the attempt number
/// and the message's identity, never a provider's reason (it may quote an address).
pub(super) fn attempt(
    c: &Claimed,
    identity: &str,
    channel: Channel,
    result: &AttemptResult,
    content: &ContentHash,
    templates: &str,
    now: DateTime<Utc>,
) -> Entry {
    let outcome = match result {
        AttemptResult::Sent { .. } => Outcome::Sent,
        AttemptResult::Unreachable { .. } => Outcome::PermanentFailure,
        AttemptResult::Retry { .. } | AttemptResult::Failed { .. } => Outcome::TransientFailure,
    };
    let mut details = serde_json::json!({ "attempt": c.attempts });
    if !identity.is_empty() {
        details["identity"] = serde_json::Value::String(printable(identity, 256));
    }
    let entry = Entry::new(
        c.incident_id,
        c.id,
        c.subject_id,
        channel,
        Event::Attempt(outcome),
        now,
    )
    .content(content.clone(), templates)
    .details(details);
    match result {
        AttemptResult::Sent { reference } if !printable(reference, 512).is_empty() => {
            entry.provider_ref(printable(reference, 512))
        }
        _ => entry,
    }
}

/// The ledger's record of a fallback from `c`'s channel to `to`.
pub(super) fn fell_back(c: &Claimed, to: Channel, now: DateTime<Utc>) -> Option<Entry> {
    let from = Channel::from_stored(&c.channel).ok()?;
    Some(Entry::new(
        c.incident_id,
        c.id,
        c.subject_id,
        from,
        Event::FellBack { to },
        now,
    ))
}

/// `s` without control characters, at most `max` bytes (cut at a character boundary), trimmed.
fn printable(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max));
    for ch in s.chars().filter(|c| !c.is_control()) {
        if out.len() + ch.len_utf8() > max {
            break;
        }
        out.push(ch);
    }
    out.trim().to_owned()
}
