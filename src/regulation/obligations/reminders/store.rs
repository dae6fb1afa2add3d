//! The only module that writes `obligation_reminders`: a reminder is written before it is sent
//! (unique per obligation, account, kind, offset and due time, so it is written once however
//! often the timer runs and whichever process runs it), claimed with a short lease, and marked
//! sent once the transport accepted it.
use crate::db::stmt;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr};

/// Attempts before a reminder is given up.
pub const MAX_ATTEMPTS: i32 = 8;

/// One reminder to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub obligation_id: i64,
    pub account_id: i64,
    /// `before` or `missed`.
    pub kind: &'static str,
    pub offset_minutes: i32,
    pub due_at: DateTime<Utc>,
}

/// Writes the reminders not yet written; returns how many were new.
pub async fn plan(
    txn: &impl ConnectionTrait,
    planned: &[Planned],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut n = 0;
    for p in planned {
        n += txn
            .execute(stmt(
                txn.get_database_backend(),
                "INSERT INTO obligation_reminders (obligation_id, account_id, kind, \
                 offset_minutes, due_at, created_at, attempts) VALUES (?, ?, ?, ?, ?, ?, 0) \
                 ON CONFLICT (obligation_id, account_id, kind, offset_minutes, due_at) DO NOTHING",
                [
                    p.obligation_id.into(),
                    p.account_id.into(),
                    p.kind.into(),
                    p.offset_minutes.into(),
                    p.due_at.into(),
                    now.into(),
                ],
            ))
            .await?
            .rows_affected();
    }
    Ok(n)
}

/// A reminder claimed for sending, with what its message needs.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub obligation_id: i64,
    pub kind: String,
    pub offset_minutes: i32,
    pub due_at: DateTime<Utc>,
    /// The responder's address.
    pub email: String,
}

/// Claims up to `limit` unsent reminders whose lease (if any) ran out, for `lease`: each by a
/// guarded update, so two processes never claim the same one.
pub async fn claim(
    db: &impl ConnectionTrait,
    limit: i64,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<Claimed>, DbErr> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all(stmt(
            backend,
            "SELECT r.id, r.obligation_id, r.kind, r.offset_minutes, r.due_at, a.email \
             FROM obligation_reminders r JOIN accounts a ON a.id = r.account_id \
             WHERE r.sent_at IS NULL AND r.attempts < ? \
             AND (r.claimed_until IS NULL OR r.claimed_until < ?) ORDER BY r.id LIMIT ?",
            [MAX_ATTEMPTS.into(), now.into(), limit.into()],
        ))
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let id: i64 = r.try_get("", "id")?;
        let res = db
            .execute(stmt(
                backend,
                "UPDATE obligation_reminders SET claimed_until = ?, attempts = attempts + 1 \
                 WHERE id = ? AND sent_at IS NULL \
                 AND (claimed_until IS NULL OR claimed_until < ?)",
                [(now + lease).into(), id.into(), now.into()],
            ))
            .await?;
        if res.rows_affected() == 1 {
            out.push(Claimed {
                id,
                obligation_id: r.try_get("", "obligation_id")?,
                kind: r.try_get("", "kind")?,
                offset_minutes: r.try_get("", "offset_minutes")?,
                due_at: r.try_get("", "due_at")?,
                email: r.try_get("", "email")?,
            });
        }
    }
    Ok(out)
}

/// The transport accepted it: never sent again.
pub async fn sent(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    db.execute(stmt(
        db.get_database_backend(),
        "UPDATE obligation_reminders SET sent_at = ?, claimed_until = NULL, last_error = NULL \
         WHERE id = ?",
        [now.into(), id.into()],
    ))
    .await?;
    Ok(())
}

/// It failed: retried after `retry_at`, or given up at once when the failure is permanent.
pub async fn failed(
    db: &impl ConnectionTrait,
    id: i64,
    reason: &str,
    permanent: bool,
    retry_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let reason: String = reason.chars().take(500).collect();
    let (sql, values): (&str, Vec<sea_orm::Value>) = if permanent {
        (
            "UPDATE obligation_reminders SET last_error = ?, claimed_until = NULL, attempts = ? \
             WHERE id = ?",
            vec![reason.into(), MAX_ATTEMPTS.into(), id.into()],
        )
    } else {
        (
            "UPDATE obligation_reminders SET last_error = ?, claimed_until = ? WHERE id = ?",
            vec![reason.into(), retry_at.into(), id.into()],
        )
    };
    db.execute(stmt(db.get_database_backend(), sql, values))
        .await?;
    Ok(())
}

/// The accounts reminders go to: responders and admins whose account is active.
pub async fn recipients(db: &impl ConnectionTrait) -> Result<Vec<i64>, DbErr> {
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            "SELECT id FROM accounts WHERE role IN ('responder', 'admin') AND disabled = ? \
             ORDER BY id",
            [false.into()],
        ))
        .await?;
    rows.iter().map(|r| r.try_get("", "id")).collect()
}

/// The incidents whose obligations are watched: every incident not closed.
pub async fn open_incidents(db: &impl ConnectionTrait) -> Result<Vec<i64>, DbErr> {
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            "SELECT id FROM incidents WHERE status <> 'closed' ORDER BY id",
            [],
        ))
        .await?;
    rows.iter().map(|r| r.try_get("", "id")).collect()
}
