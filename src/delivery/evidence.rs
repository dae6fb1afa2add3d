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

/// Ledger entries for every delivery of the incident queued at `at` (one dispatch) for people
/// with `after < subject_id <= upto` (the chunk just queued), with the hash of the notice each
/// will send and the templates it was composed with.
pub async fn queued(
    txn: &DatabaseTransaction,
    incident_id: i64,
    templates: &str,
    at: DateTime<Utc>,
    (people_after, upto): (i64, i64),
) -> Result<u64, LedgerError> {
    let backend = txn.get_database_backend();
    let mut after = 0i64;
    let mut n = 0;
    loop {
        // The hash the delivery was queued with; the notices without one (composed before
        // hashes were kept) are hashed from their text below.
        let rows = txn
            .query_all(stmt(
                backend,
                // The chunk's people, over the (incident, person) index.
                "SELECT d.id, d.notice_id, d.subject_id, d.channel, d.content_sha256 \
                 FROM deliveries d WHERE d.incident_id = ? AND d.subject_id > ? \
                 AND d.subject_id <= ? AND d.created_at = ? AND d.id > ? ORDER BY d.id LIMIT ?",
                [
                    incident_id.into(),
                    people_after.into(),
                    upto.into(),
                    at.into(),
                    after.into(),
                    BATCH.into(),
                ],
            ))
            .await?;
        let Some(last) = rows.last() else {
            return Ok(n);
        };
        after = last.try_get("", "id")?;
        // (delivery, notice, person, channel, the hash it was queued with)
        let mut queued = Vec::with_capacity(rows.len());
        for r in &rows {
            let channel: String = r.try_get("", "channel")?;
            queued.push((
                r.try_get::<i64>("", "id")?,
                r.try_get::<i64>("", "notice_id")?,
                r.try_get::<Option<i64>>("", "subject_id")?.unwrap_or(0),
                Channel::from_stored(&channel).map_err(sea_orm::DbErr::from)?,
                r.try_get::<Option<String>>("", "content_sha256")?,
            ));
        }
        let unhashed: Vec<i64> = queued
            .iter()
            .filter(|q| q.4.is_none())
            .map(|q| q.1)
            .collect();
        let mut hashed = hash_texts(txn, &unhashed).await?;
        let mut entries = Vec::with_capacity(queued.len());
        for (delivery, notice, person, channel, kept) in queued {
            let content = match kept {
                Some(kept) => ContentHash::parse(&kept).map_err(|e| {
                    sea_orm::DbErr::Custom(format!("deliveries.content_sha256: {e}"))
                })?,
                None => hashed
                    .remove(&notice)
                    .ok_or_else(|| sea_orm::DbErr::Custom(format!("notice {notice} is missing")))?,
            };
            entries.push(
                Entry::new(incident_id, delivery, person, channel, Event::Queued, at)
                    .content(content, templates),
            );
        }
        n += entries.len() as u64;
        evidence::append_batch(txn, &entries).await?;
    }
}

/// The content hashes of these notices, from their text.
async fn hash_texts(
    txn: &DatabaseTransaction,
    notices: &[i64],
) -> Result<std::collections::HashMap<i64, ContentHash>, LedgerError> {
    let mut out = std::collections::HashMap::with_capacity(notices.len());
    for chunk in notices.chunks(500) {
        for (id, (n, _)) in crate::notices::store::by_ids_with_links(txn, chunk).await? {
            let hash = content_sha256(&n.subject_line, &n.body_text, n.body_html.as_deref());
            out.insert(id, hash);
        }
    }
    Ok(out)
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
pub(super) fn printable(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max));
    for ch in s.chars().filter(|c| !c.is_control()) {
        if out.len() + ch.len_utf8() > max {
            break;
        }
        out.push(ch);
    }
    out.trim().to_owned()
}
