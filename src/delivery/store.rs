//! The only module that writes `deliveries` (the outbox).
//!
//! A person's deliveries follow the incident's channel order: dispatch queues each person on
//! their first channel with a contact point (`enqueue`); a delivery that ends unreachable or
//! failed queues the next one (`fall_back`). Claims take due rows in a short transaction
//! (status `sending`, attempts + 1, a short lease owned by the claiming worker, which renews it
//! while it lives: `renew`); `FOR UPDATE SKIP LOCKED` on PostgreSQL lets any number of workers
//! share the work. Every result is a guarded update (`WHERE status = 'sending' AND attempts =
//! n`), so a worker whose lease expired cannot overwrite the result of the one that took over.
use super::status::DeliveryStatus;
use crate::db::{is_postgres, stmt};
use crate::domain::Channel;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value as DbValue};

/// Every column read from the notice is in `idx_notices_queue` (with `recipient IS NOT NULL`
/// in the caller's WHERE): queuing never reads a notice's text.
const INSERT: &str =
    "INSERT INTO deliveries (notice_id, incident_id, subject_id, channel, status, \
     attempts, max_attempts, next_attempt_at, message_id, content_sha256, created_at, updated_at) \
     SELECT n.id, n.incident_id, n.subject_id, n.channel, 'pending', 0, ?, ?, '', \
     n.content_sha256, ?, ? FROM notices n";

/// Queues each person of the incident who has fewer than `at_once` deliveries on their next
/// channel(s) in `order` that they can be reached on. Returns how many were queued.
///
/// `people` = `Some((after, upto))` limits it to people with `after < subject_id <= upto` (a
/// dispatch's chunk).
pub async fn enqueue(
    txn: &impl ConnectionTrait,
    incident_id: i64,
    order: &[Channel],
    at_once: usize,
    max_attempts: i32,
    now: DateTime<Utc>,
    people: Option<(i64, i64)>,
) -> Result<u64, DbErr> {
    let backend = txn.get_database_backend();
    let range = match people {
        Some(_) => " AND n.subject_id > ? AND n.subject_id <= ?",
        None => "",
    };
    let mut queued = 0;
    // Round r queues people with r deliveries; within a round, a person queued on one channel
    // is not queued on the next.
    for round in 0..at_once.max(1) {
        for &channel in order {
            let sql = format!(
                "{INSERT} WHERE n.incident_id = ? AND n.channel = ? AND n.recipient IS NOT NULL\
                 {range} AND (SELECT COUNT(*) FROM deliveries d WHERE d.incident_id = n.incident_id \
                 AND d.subject_id = n.subject_id) <= ? ON CONFLICT (notice_id) DO NOTHING"
            );
            let mut values: Vec<DbValue> = vec![
                max_attempts.into(),
                now.into(),
                now.into(),
                now.into(),
                incident_id.into(),
                channel.into(),
            ];
            if let Some((after, upto)) = people {
                values.extend([after.into(), upto.into()]);
            }
            values.push((round as i64).into());
            queued += txn
                .execute(stmt(backend, &sql, values))
                .await?
                .rows_affected();
        }
    }
    Ok(queued)
}

/// After `tried` failed for a person, queues the next channel in `order` they can be reached
/// on (unless the incident's delivery was cancelled). Returns that channel, or `None` when
/// none is left: the person is unreachable.
pub async fn fall_back(
    txn: &impl ConnectionTrait,
    incident_id: i64,
    subject_id: i64,
    tried: Channel,
    order: &[Channel],
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<Option<Channel>, DbErr> {
    let backend = txn.get_database_backend();
    let rest = order.iter().skip_while(|c| **c != tried).skip(1);
    for &channel in rest {
        let sql = format!(
            "{INSERT} WHERE n.incident_id = ? AND n.subject_id = ? AND n.channel = ? \
             AND n.recipient IS NOT NULL AND NOT EXISTS (SELECT 1 FROM incidents i \
             WHERE i.id = n.incident_id AND i.delivery_state = 'cancelled') \
             ON CONFLICT (notice_id) DO NOTHING"
        );
        let n = txn
            .execute(stmt(
                backend,
                &sql,
                [
                    max_attempts.into(),
                    now.into(),
                    now.into(),
                    now.into(),
                    incident_id.into(),
                    subject_id.into(),
                    channel.into(),
                ],
            ))
            .await?
            .rows_affected();
        if n > 0 {
            return Ok(Some(channel));
        }
    }
    Ok(None)
}

/// A delivery a worker holds for one attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub notice_id: i64,
    pub incident_id: i64,
    pub subject_id: i64,
    /// As stored; parsed by the dispatcher, which fails a corrupt row with a reason.
    pub channel: String,
    /// This attempt's number.
    pub attempts: i32,
    pub max_attempts: i32,
    pub created_at: DateTime<Utc>,
}

fn claimed(r: &sea_orm::QueryResult) -> Result<Claimed, DbErr> {
    Ok(Claimed {
        id: r.try_get("", "id")?,
        notice_id: r.try_get("", "notice_id")?,
        incident_id: r.try_get("", "incident_id")?,
        subject_id: r.try_get::<Option<i64>>("", "subject_id")?.unwrap_or(0),
        channel: r.try_get("", "channel")?,
        attempts: r.try_get("", "attempts")?,
        max_attempts: r.try_get("", "max_attempts")?,
        created_at: r.try_get("", "created_at")?,
    })
}

const RETURNING: &str =
    "RETURNING id, notice_id, incident_id, subject_id, channel, attempts, max_attempts, created_at";

/// Which deliveries a claim takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Sending under a lease that expired (its worker died), with attempts left.
    Expired,
    /// Pending and due.
    Due,
}

/// Claims up to `limit` deliveries of the kind `which` for `worker` (status `sending`, attempts
/// + 1, a lease), never those of a paused or cancelled incident.
///
/// One statement, atomic on its own (no transaction round trips): an ordered range of
/// `idx_deliveries_due` (status, then next_attempt_at or lease_until) that stops at `limit`;
/// one query with an `OR` of both kinds made SQLite collect and sort every pending row on each
/// claim (quadratic over a dispatch). On PostgreSQL `FOR UPDATE SKIP LOCKED` lets any number
/// of workers claim side by side.
pub async fn claim(
    db: &impl ConnectionTrait,
    which: Claim,
    worker: &str,
    limit: i64,
    lease_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Claimed>, DbErr> {
    let lock = if is_postgres(db) {
        " FOR UPDATE OF d SKIP LOCKED"
    } else {
        ""
    };
    let (filter, order) = match which {
        Claim::Expired => (
            "d.status = 'sending' AND d.lease_until < ? AND d.attempts < d.max_attempts",
            "d.lease_until",
        ),
        Claim::Due => (
            "d.status = 'pending' AND d.next_attempt_at <= ?",
            "d.next_attempt_at",
        ),
    };
    let sql = format!(
        "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, lease_until = ?, \
         claimed_by = ?, updated_at = ? WHERE id IN (SELECT d.id FROM deliveries d \
         WHERE {filter} \
         AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = d.incident_id \
         AND i.delivery_state <> 'running') \
         ORDER BY {order}, d.id LIMIT ?{lock}) {RETURNING}"
    );
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            &sql,
            [
                lease_until.into(),
                worker.into(),
                now.into(),
                now.into(),
                limit.into(),
            ],
        ))
        .await?;
    rows.iter().map(claimed).collect()
}

/// Deliveries whose worker died during their last allowed attempt: they end `failed` (the
/// caller falls back); returned so the caller can.
pub async fn reap(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Vec<Claimed>, DbErr> {
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            &format!(
                "UPDATE deliveries SET status = 'failed', lease_until = NULL, updated_at = ?, \
                 last_error = 'the worker sending the last allowed attempt stopped before it finished' \
                 WHERE status = 'sending' AND lease_until < ? AND attempts >= max_attempts {RETURNING}"
            ),
            [now.into(), now.into()],
        ))
        .await?;
    rows.iter().map(claimed).collect()
}

/// Renews the leases of everything `worker` holds; returns how many.
pub async fn renew(
    db: &impl ConnectionTrait,
    worker: &str,
    lease_until: DateTime<Utc>,
) -> Result<u64, DbErr> {
    // On PostgreSQL rows being finalised right now are skipped (they are leaving `sending`):
    // waiting on them, in another order than the finaliser's, was a deadlock.
    let sql = if is_postgres(db) {
        "UPDATE deliveries SET lease_until = ? WHERE id IN (SELECT id FROM deliveries \
         WHERE claimed_by = ? AND status = 'sending' FOR UPDATE SKIP LOCKED)"
    } else {
        "UPDATE deliveries SET lease_until = ? WHERE claimed_by = ? AND status = 'sending'"
    };
    Ok(db
        .execute(stmt(
            db.get_database_backend(),
            sql,
            [lease_until.into(), worker.into()],
        ))
        .await?
        .rows_affected())
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

    /// Whether the person must now be tried on their next channel.
    pub fn falls_back(&self) -> bool {
        matches!(
            self,
            AttemptResult::Unreachable { .. } | AttemptResult::Failed { .. }
        )
    }
}

/// Records an attempt's result, guarded on the claim. Returns false when the delivery was
/// reclaimed by another worker meanwhile (its result stands).
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
            format!("UPDATE deliveries SET status = 'sent', sent_at = ?, provider_ref = ?, message_id = ?, lease_until = NULL, claimed_by = NULL, last_error = NULL, updated_at = ?{guard}"),
            vec![now.into(), reference.clone().into(), identity.into(), now.into()],
        ),
        AttemptResult::Unreachable { reason } | AttemptResult::Failed { reason } => (
            format!("UPDATE deliveries SET status = ?, last_error = ?, message_id = ?, lease_until = NULL, claimed_by = NULL, updated_at = ?{guard}"),
            vec![result.status().into(), reason.clone().into(), identity.into(), now.into()],
        ),
        AttemptResult::Retry { reason, at } => (
            format!("UPDATE deliveries SET status = 'pending', last_error = ?, message_id = ?, next_attempt_at = ?, lease_until = NULL, claimed_by = NULL, updated_at = ?{guard}"),
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

/// Rows per multi-row statement of [`finalise_sent`].
const SENT_PER_STATEMENT: usize = 256;

/// Records many accepted messages at once: the update of [`finalise`] for
/// [`AttemptResult::Sent`], guarded on each claim the same way, as one statement per
/// `SENT_PER_STATEMENT` rows (`UPDATE … FROM (VALUES …)`; SQLite 3.33+, PostgreSQL). Each item
/// is (claim, provider reference, identity); returns the ids updated (a row another worker
/// took over is not among them).
pub async fn finalise_sent(
    db: &impl ConnectionTrait,
    sent: &[(&Claimed, &str, &str)],
    now: DateTime<Utc>,
) -> Result<std::collections::HashSet<i64>, DbErr> {
    let mut updated = std::collections::HashSet::with_capacity(sent.len());
    // Rows in id order, like every other multi-row lock taker.
    let mut sent = sent.to_vec();
    sent.sort_unstable_by_key(|(c, _, _)| c.id);
    for chunk in sent.chunks(SENT_PER_STATEMENT) {
        let rows = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
        let sql = format!(
            "UPDATE deliveries SET status = 'sent', sent_at = ?, provider_ref = v.column3, \
             message_id = v.column4, lease_until = NULL, claimed_by = NULL, last_error = NULL, \
             updated_at = ? FROM (VALUES {rows}) AS v WHERE deliveries.id = v.column1 \
             AND deliveries.status = 'sending' AND deliveries.attempts = v.column2 \
             RETURNING deliveries.id"
        );
        let mut values: Vec<DbValue> = Vec::with_capacity(2 + chunk.len() * 4);
        values.push(now.into());
        values.push(now.into());
        for (c, reference, identity) in chunk {
            values.push(c.id.into());
            values.push(c.attempts.into());
            values.push((*reference).into());
            values.push((*identity).into());
        }
        for r in db
            .query_all(stmt(db.get_database_backend(), &sql, values))
            .await?
        {
            updated.insert(r.try_get::<i64>("", "id")?);
        }
    }
    Ok(updated)
}

/// A provider's later word on a sent message (an SMS status callback), found by the
/// provider's message id: `delivered`, or `undelivered` (then the person is tried on their
/// next channel). Returns the delivery it concerned, if any changed.
pub async fn provider_status(
    db: &impl ConnectionTrait,
    channel: Channel,
    provider_ref: &str,
    status: DeliveryStatus,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<Claimed>, DbErr> {
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            &format!(
                "UPDATE deliveries SET status = ?, last_error = COALESCE(?, last_error), updated_at = ? \
                 WHERE channel = ? AND provider_ref = ? AND status IN ('sent', 'delivered') \
                 AND status <> ? {RETURNING}"
            ),
            [
                status.into(),
                reason.map(str::to_owned).into(),
                now.into(),
                channel.into(),
                provider_ref.into(),
                status.into(),
            ],
        ))
        .await?;
    rows.first().map(claimed).transpose()
}

/// Stops what has not gone out yet: pending deliveries of the incident become `cancelled`.
pub async fn cancel_pending(
    txn: &impl ConnectionTrait,
    incident_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(txn
        .execute(stmt(
            txn.get_database_backend(),
            "UPDATE deliveries SET status = 'cancelled', updated_at = ? WHERE incident_id = ? AND status = 'pending'",
            [now.into(), incident_id.into()],
        ))
        .await?
        .rows_affected())
}

/// Deliveries (attempted channels) of an incident counted by channel and status.
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

/// Where the people live whom no delivery reached or is still trying to reach (every delivery
/// of theirs ended unreachable, failed, undelivered or cancelled, or they had none): `(country,
/// region, n)` groups of the population snapshot, for `PopulationFacts::from_groups`
/// (substitute notice after dispatch).
pub async fn unreached_groups(
    db: &impl ConnectionTrait,
    incident_id: i64,
) -> Result<Vec<(Option<String>, Option<String>, i64)>, DbErr> {
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            "SELECT p.country, p.region, COUNT(*) AS n FROM incident_population p \
             WHERE p.incident_id = ? AND NOT EXISTS (SELECT 1 FROM deliveries d \
             WHERE d.incident_id = p.incident_id AND d.subject_id = p.subject_id \
             AND d.status IN ('pending', 'sending', 'sent', 'delivered')) \
             GROUP BY p.country, p.region",
            [incident_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("", "country")?,
                r.try_get("", "region")?,
                r.try_get("", "n")?,
            ))
        })
        .collect()
}

/// People of the incident by where their notification stands: reached on some channel
/// (`sent`), still on its way (`pending`), given up after failures (`failed`), stopped
/// (`cancelled`), or no channel could reach them (`unreachable`). Each person counts once.
pub async fn people(
    db: &impl ConnectionTrait,
    incident_id: i64,
) -> Result<Vec<(String, i64)>, DbErr> {
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            "SELECT state, COUNT(*) AS n FROM (SELECT p.subject_id, CASE \
             WHEN SUM(CASE WHEN d.status IN ('sent', 'delivered') THEN 1 ELSE 0 END) > 0 THEN 'sent' \
             WHEN SUM(CASE WHEN d.status IN ('pending', 'sending') THEN 1 ELSE 0 END) > 0 THEN 'pending' \
             WHEN SUM(CASE WHEN d.status = 'cancelled' THEN 1 ELSE 0 END) > 0 THEN 'cancelled' \
             WHEN SUM(CASE WHEN d.status IN ('failed', 'undelivered') THEN 1 ELSE 0 END) > 0 THEN 'failed' \
             ELSE 'unreachable' END AS state \
             FROM incident_population p LEFT JOIN deliveries d \
             ON d.incident_id = p.incident_id AND d.subject_id = p.subject_id \
             WHERE p.incident_id = ? GROUP BY p.subject_id) per_person GROUP BY state",
            [incident_id.into()],
        ))
        .await?;
    rows.into_iter()
        .map(|r| Ok((r.try_get("", "state")?, r.try_get("", "n")?)))
        .collect()
}

/// Deliveries of the incident queued at `at`, per channel (what one dispatch queued).
pub async fn queued_at(
    db: &impl ConnectionTrait,
    incident_id: i64,
    at: DateTime<Utc>,
) -> Result<Vec<(Channel, i64)>, DbErr> {
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            "SELECT channel, COUNT(*) AS n FROM deliveries WHERE incident_id = ? AND created_at = ? GROUP BY channel",
            [incident_id.into(), at.into()],
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            let c: String = r.try_get("", "channel")?;
            Ok((Channel::from_stored(&c)?, r.try_get("", "n")?))
        })
        .collect()
}

/// Sums `f` over the texts of the notices queued at `at` on `channel`, in batches.
pub async fn queued_texts(
    db: &impl ConnectionTrait,
    incident_id: i64,
    channel: Channel,
    at: DateTime<Utc>,
    f: impl Fn(&str) -> u64,
) -> Result<u64, DbErr> {
    let mut after = 0i64;
    let mut sum = 0;
    loop {
        let rows = db
            .query_all(stmt(
                db.get_database_backend(),
                "SELECT d.id, n.body_text FROM deliveries d JOIN notices n ON n.id = d.notice_id \
                 WHERE d.incident_id = ? AND d.channel = ? AND d.created_at = ? AND d.id > ? \
                 ORDER BY d.id LIMIT 1000",
                [incident_id.into(), channel.into(), at.into(), after.into()],
            ))
            .await?;
        let Some(last) = rows.last() else {
            return Ok(sum);
        };
        after = last.try_get("", "id")?;
        for r in &rows {
            sum += f(&r.try_get::<String>("", "body_text")?);
        }
    }
}

/// People of the incident with at least one delivery.
pub async fn people_with_deliveries(
    db: &impl ConnectionTrait,
    incident_id: i64,
) -> Result<i64, DbErr> {
    let row = db
        .query_one(stmt(
            db.get_database_backend(),
            "SELECT COUNT(DISTINCT subject_id) AS n FROM deliveries WHERE incident_id = ?",
            [incident_id.into()],
        ))
        .await?;
    row.map(|r| r.try_get("", "n"))
        .transpose()
        .map(|n| n.unwrap_or(0))
}

/// Deliveries that did not get through, counted by channel, status and the last error the
/// transport or provider gave, most frequent first, at most `limit` groups: `(channel, status,
/// error, n)`.
pub async fn failure_reasons(
    db: &impl ConnectionTrait,
    incident_id: i64,
    limit: i64,
) -> Result<Vec<(String, String, Option<String>, i64)>, DbErr> {
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            "SELECT channel, status, last_error, COUNT(*) AS n FROM deliveries \
             WHERE incident_id = ? AND status IN ('failed', 'undelivered', 'unreachable') \
             GROUP BY channel, status, last_error ORDER BY n DESC, channel, status LIMIT ?",
            [incident_id.into(), limit.into()],
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.try_get("", "channel")?,
                r.try_get("", "status")?,
                r.try_get("", "last_error")?,
                r.try_get("", "n")?,
            ))
        })
        .collect()
}
