//! The only module that writes `deliveries` (the outbox).
//!
//! Claims take due rows in a short transaction (status `sending`, attempts + 1, a lease;
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL so any number of dispatchers share the work), and
//! every result is written by a guarded update (`WHERE status = 'sending' AND attempts = n`),
//! so a dispatcher whose lease expired cannot overwrite the result of the one that took over.
use super::status::DeliveryStatus;
use crate::db::{is_postgres, stmt};
use crate::domain::Channel;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait, Value as DbValue};

/// Queues one delivery per composed notice of the incident; a notice queued before is not
/// queued again. Returns how many were queued.
pub async fn enqueue(
    txn: &impl ConnectionTrait,
    incident_id: i64,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(txn
        .execute(stmt(
            txn.get_database_backend(),
            "INSERT INTO deliveries (notice_id, incident_id, channel, status, attempts, max_attempts, \
             next_attempt_at, message_id, created_at, updated_at) \
             SELECT id, incident_id, channel, 'pending', 0, ?, ?, '', ?, ? FROM notices WHERE incident_id = ? \
             ON CONFLICT (notice_id) DO NOTHING",
            [
                max_attempts.into(),
                now.into(),
                now.into(),
                now.into(),
                incident_id.into(),
            ],
        ))
        .await?
        .rows_affected())
}

/// A delivery a dispatcher holds for one attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub notice_id: i64,
    pub incident_id: i64,
    /// As stored; parsed by the dispatcher, which fails a corrupt row with a reason.
    pub channel: String,
    /// This attempt's number.
    pub attempts: i32,
    pub max_attempts: i32,
}

/// Claims up to `limit` due deliveries (pending and due, or sending with an expired lease).
pub async fn claim(
    db: &impl TransactionTrait,
    limit: i64,
    lease_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Claimed>, DbErr> {
    let txn = db.begin().await?;
    let lock = if is_postgres(&txn) {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, lease_until = ?, updated_at = ? \
         WHERE id IN (SELECT id FROM deliveries WHERE (status = 'pending' AND next_attempt_at <= ?) \
         OR (status = 'sending' AND lease_until < ?) ORDER BY next_attempt_at, id LIMIT ?{lock}) \
         RETURNING id, notice_id, incident_id, channel, attempts, max_attempts"
    );
    let rows = txn
        .query_all(stmt(
            txn.get_database_backend(),
            &sql,
            [
                lease_until.into(),
                now.into(),
                now.into(),
                now.into(),
                limit.into(),
            ],
        ))
        .await?;
    txn.commit().await?;
    rows.into_iter()
        .map(|r| {
            Ok(Claimed {
                id: r.try_get("", "id")?,
                notice_id: r.try_get("", "notice_id")?,
                incident_id: r.try_get("", "incident_id")?,
                channel: r.try_get("", "channel")?,
                attempts: r.try_get("", "attempts")?,
                max_attempts: r.try_get("", "max_attempts")?,
            })
        })
        .collect()
}

/// The result of one attempt, as it is recorded.
pub enum AttemptResult {
    Sent { reference: String },
    Unreachable { reason: String },
    Failed { reason: String },
    Retry { reason: String, at: DateTime<Utc> },
}

impl AttemptResult {
    pub fn status(&self) -> DeliveryStatus {
        match self {
            AttemptResult::Sent { .. } => DeliveryStatus::Sent,
            AttemptResult::Unreachable { .. } => DeliveryStatus::Unreachable,
            AttemptResult::Failed { .. } => DeliveryStatus::Failed,
            AttemptResult::Retry { .. } => DeliveryStatus::Pending,
        }
    }
}

/// Records an attempt's result, guarded on the claim. Returns false when the delivery was
/// reclaimed by another dispatcher meanwhile (its result stands).
pub async fn finalise(
    db: &impl ConnectionTrait,
    c: &Claimed,
    result: &AttemptResult,
    identity: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let guard = " WHERE id = ? AND status = 'sending' AND attempts = ?";
    let (sql, mut values): (String, Vec<DbValue>) = match result {
        AttemptResult::Sent { reference } => (
            format!("UPDATE deliveries SET status = 'sent', sent_at = ?, provider_ref = ?, message_id = ?, lease_until = NULL, last_error = NULL, updated_at = ?{guard}"),
            vec![now.into(), reference.clone().into(), identity.into(), now.into()],
        ),
        AttemptResult::Unreachable { reason } | AttemptResult::Failed { reason } => (
            format!("UPDATE deliveries SET status = ?, last_error = ?, message_id = ?, lease_until = NULL, updated_at = ?{guard}"),
            vec![result.status().into(), reason.clone().into(), identity.into(), now.into()],
        ),
        AttemptResult::Retry { reason, at } => (
            format!("UPDATE deliveries SET status = 'pending', last_error = ?, message_id = ?, next_attempt_at = ?, lease_until = NULL, updated_at = ?{guard}"),
            vec![reason.clone().into(), identity.into(), (*at).into(), now.into()],
        ),
    };
    values.push(c.id.into());
    values.push(c.attempts.into());
    let res = db
        .execute(stmt(db.get_database_backend(), &sql, values))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Deliveries of an incident counted by channel and status.
pub async fn counts(
    db: &impl ConnectionTrait,
    incident_id: i64,
) -> Result<Vec<(Channel, DeliveryStatus, i64)>, DbErr> {
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            "SELECT channel, status, COUNT(*) AS n FROM deliveries WHERE incident_id = ? GROUP BY channel, status",
            [incident_id.into()],
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            let channel: String = r.try_get("", "channel")?;
            let status: String = r.try_get("", "status")?;
            Ok((
                Channel::from_stored(&channel)?,
                DeliveryStatus::from_stored(&status)?,
                r.try_get("", "n")?,
            ))
        })
        .collect()
}
