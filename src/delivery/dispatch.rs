//! Dispatching: the approved notices go into the outbox before any channel sees them. Each
//! person is queued on the first channel of the incident's order they can be reached on (two
//! at once for high-severity incidents when asked); the dispatcher falls back along the order
//! from there. A dispatch can be planned first (`super::plan`), and paused, resumed or
//! cancelled while it runs.
//!
//! The outbox is written a chunk of people at a time (`CHUNK`), each chunk in a transaction of
//! its own under the incident's lock, with its `queued` ledger entries, and the dispatcher is
//! woken after each: the first notices leave while the rest is written (a million people take
//! tens of seconds to queue). While a dispatch is being written the incident says so
//! (`dispatching_at_once`, `dispatching_touched`); a dispatch whose writer died is finished by
//! a dispatcher (`resume_stale`). Queuing is idempotent (a person already queued is not queued
//! again), so finishing one twice, or over a live writer, queues no one twice. Each chunk
//! checks again that the notices may be sent: a dispatch cancelled, closed or no longer
//! approved stops there, and says so on the incident's timeline.
pub use super::plan::{plan, ChannelPlan, Plan};
use super::store;
use crate::app::Clock;
use crate::audit::Actor;
use crate::db::stmt;
use crate::domain::Severity;
use crate::incidents::{self, DeliveryState, Incident, Status};
use crate::notices::{approval, NoticeError};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use tokio::sync::Notify;

/// Rows of notices (a person has one per channel) looked at per outbox transaction, on
/// PostgreSQL: the workers send from the first chunk while the rest is written.
pub const CHUNK: i64 = 2000;

/// The same on SQLite, where chunks overlap little with the sending (the dispatcher's claims
/// wait behind each chunk on the one connection; 100,000 people in chunks of 10,000 were no
/// faster than whole) but bound what one transaction holds: queuing reads the outbox it
/// writes, so SQLite first copies each statement's rows into a temporary table, and a chunk's
/// dirty pages stay near the page cache's size. A million people in one transaction held the
/// write lock for 42.6 s, so another process's dispatcher waited (and logged "database is
/// locked"); in chunks of 20,000 it sends between them, and the dispatch request took 32.0 s
/// (bench/delivery.sh, 2026-12-01).
pub const CHUNK_SQLITE: i64 = 20_000;

/// The chunk size for this database.
fn chunk_for(db: &impl ConnectionTrait) -> i64 {
    if crate::db::is_postgres(db) {
        CHUNK
    } else {
        CHUNK_SQLITE
    }
}

/// A dispatch whose writer has committed nothing for this long is finished by a dispatcher.
pub const STALE_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Notice(#[from] NoticeError),
    /// 409 `delivery_state`: the dispatch cannot move that way from where it is.
    #[error("{0}")]
    State(String),
    /// 422 on the named field.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<crate::evidence::LedgerError> for DispatchError {
    fn from(e: crate::evidence::LedgerError) -> Self {
        match e {
            crate::evidence::LedgerError::Db(db) => DispatchError::Db(db),
            invalid => DispatchError::Db(sea_orm::DbErr::Custom(invalid.to_string())),
        }
    }
}

impl From<incidents::IncidentError> for DispatchError {
    fn from(e: incidents::IncidentError) -> Self {
        DispatchError::Notice(e.into())
    }
}

/// How a dispatch goes out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Channels each person gets at once (1, or 2 for high and critical incidents).
    pub at_once: Option<usize>,
    /// Rows of notices per outbox transaction; `None`: the database's (`CHUNK` on
    /// PostgreSQL, `CHUNK_SQLITE` on SQLite). Tests use small ones.
    pub chunk: Option<i64>,
}

impl Options {
    pub(super) fn at_once(&self, inc: &Incident) -> Result<usize, DispatchError> {
        match self.at_once {
            None | Some(1) => Ok(1),
            Some(n @ 2..=3) if inc.severity >= Severity::High => Ok(n),
            Some(2..=3) => Err(DispatchError::Invalid {
                field: "at_once",
                reason: "more than one channel at once is for high and critical incidents".into(),
            }),
            Some(_) => Err(DispatchError::Invalid {
                field: "at_once",
                reason: "must be 1, 2 or 3".into(),
            }),
        }
    }
}

/// Locks the incident and checks it may be sent: open, composed, approved as it stands.
pub(super) async fn sendable(
    txn: &impl ConnectionTrait,
    templates: &str,
    incident_id: i64,
) -> Result<(Incident, String), DispatchError> {
    let inc = incidents::store::lock(txn, incident_id).await?;
    if inc.status == Status::Closed {
        return Err(NoticeError::Closed.into());
    }
    if inc.notices.composition.is_none() {
        return Err(NoticeError::NotComposed.into());
    }
    if inc.delivery_state == DeliveryState::Cancelled {
        return Err(DispatchError::State(
            "this incident's delivery was cancelled; people not reached need a follow-up incident"
                .into(),
        ));
    }
    let approved = approval::require_approved(&inc, templates)?.to_owned();
    Ok((inc, approved))
}

/// Queues the approved notices, a chunk at a time, waking the dispatcher (`wake`) after each.
/// Dispatching again queues only people not queued before. Returns how many deliveries were
/// queued.
#[allow(clippy::too_many_arguments)]
pub async fn dispatch(
    db: &DatabaseConnection,
    templates: &str,
    max_attempts: i32,
    actor: &Actor,
    incident_id: i64,
    options: Options,
    clock: &Clock,
    wake: &Notify,
) -> Result<u64, DispatchError> {
    let now = clock.now();
    let at_once = open(db, templates, actor, incident_id, options, now).await?;
    let w = Writer {
        db,
        templates,
        max_attempts,
        incident_id,
        at_once,
        clock,
        wake,
        chunk: options.chunk.unwrap_or_else(|| chunk_for(db)),
        now,
    };
    let queued = w.write(actor, usize::MAX).await?;
    end(db, actor, incident_id, "dispatched", queued, None).await?;
    Ok(queued)
}

/// Opens a dispatch: checks the notices may be sent, marks them dispatched (the incident moves
/// to notifying) and marks the incident as having a dispatch being written. Returns the
/// channels per person. Refused while another dispatch of the incident is being written.
pub async fn open(
    db: &DatabaseConnection,
    templates: &str,
    actor: &Actor,
    incident_id: i64,
    options: Options,
    now: DateTime<Utc>,
) -> Result<usize, DispatchError> {
    let txn = db.begin().await?;
    let (inc, approved) = sendable(&txn, templates, incident_id).await?;
    let at_once = options.at_once(&inc)?;
    if let Some((_, touched)) = marker(&txn, incident_id).await? {
        if now - touched < STALE_AFTER {
            return Err(DispatchError::State(
                "a dispatch of this incident is still being queued; it goes on by itself".into(),
            ));
        }
        // Its writer stopped: this dispatch takes over (queuing skips whoever it queued).
    }
    approval::dispatched(&txn, &inc, &approved, actor, now).await?;
    txn.execute(stmt(
        txn.get_database_backend(),
        "UPDATE incidents SET dispatching_at_once = ?, dispatching_touched = ? WHERE id = ?",
        [(at_once as i32).into(), now.into(), incident_id.into()],
    ))
    .await?;
    txn.commit().await?;
    Ok(at_once)
}

/// The incident's open dispatch: its channels per person and when it last moved.
pub(super) async fn marker(
    db: &impl ConnectionTrait,
    incident_id: i64,
) -> Result<Option<(usize, DateTime<Utc>)>, sea_orm::DbErr> {
    let row = db
        .query_one(stmt(
            db.get_database_backend(),
            "SELECT dispatching_at_once, dispatching_touched FROM incidents WHERE id = ?",
            [incident_id.into()],
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let at_once: Option<i32> = row.try_get("", "dispatching_at_once")?;
    let touched: Option<DateTime<Utc>> = row.try_get("", "dispatching_touched")?;
    Ok(at_once.zip(touched).map(|(n, t)| (n.max(1) as usize, t)))
}

/// Ends the incident's open dispatch: the mark is cleared and `kind` goes on the timeline
/// with what was queued (and why it stopped, for `dispatch_stopped`).
async fn end(
    db: &DatabaseConnection,
    actor: &Actor,
    incident_id: i64,
    kind: &str,
    queued: u64,
    reason: Option<String>,
) -> Result<(), DispatchError> {
    let txn = db.begin().await?;
    let inc = incidents::store::lock(&txn, incident_id).await?;
    clear(&txn, incident_id).await?;
    let mut details = json!({ "queued": queued, "composition": inc.notices.approved_composition });
    if let Some(reason) = reason {
        details["reason"] = reason.into();
    }
    incidents::record_event(&txn, incident_id, actor, kind, details).await?;
    txn.commit().await?;
    Ok(())
}

async fn clear(txn: &impl ConnectionTrait, incident_id: i64) -> Result<(), sea_orm::DbErr> {
    txn.execute(stmt(
        txn.get_database_backend(),
        "UPDATE incidents SET dispatching_at_once = NULL, dispatching_touched = NULL WHERE id = ?",
        [incident_id.into()],
    ))
    .await?;
    Ok(())
}

/// Writes one open dispatch's outbox.
struct Writer<'a> {
    db: &'a DatabaseConnection,
    templates: &'a str,
    max_attempts: i32,
    incident_id: i64,
    at_once: usize,
    clock: &'a Clock,
    wake: &'a Notify,
    chunk: i64,
    /// The dispatch's time: every delivery it queues is created at it.
    now: DateTime<Utc>,
}

impl Writer<'_> {
    /// Queues every person not yet queued, chunk after chunk (at most `chunks` of them). When
    /// the notices may no longer be sent (cancelled, closed, no longer approved) the dispatch
    /// ends there: the mark is cleared and `dispatch_stopped` says why. A database error
    /// leaves the mark for a dispatcher to finish the dispatch.
    async fn write(&self, actor: &Actor, chunks: usize) -> Result<u64, DispatchError> {
        let mut after = 0;
        let mut queued = 0;
        for _ in 0..chunks {
            match self.chunk(after).await {
                Ok(Some((upto, n))) => {
                    after = upto;
                    queued += n;
                    // A permit if the dispatcher is busy: it claims again when done.
                    self.wake.notify_one();
                }
                Ok(None) => break,
                Err(e @ (DispatchError::Db(_) | DispatchError::Invalid { .. })) => return Err(e),
                Err(e) => {
                    let why = Some(e.to_string());
                    end(
                        self.db,
                        actor,
                        self.incident_id,
                        "dispatch_stopped",
                        queued,
                        why,
                    )
                    .await?;
                    return Err(e);
                }
            }
        }
        Ok(queued)
    }

    /// Queues the people of the next chunk after person `after` in one transaction, with
    /// their `queued` ledger entries. Returns the chunk's last person and how many deliveries
    /// it queued; `None` when no one is left.
    async fn chunk(&self, after: i64) -> Result<Option<(i64, u64)>, DispatchError> {
        let txn = self.db.begin().await?;
        let (inc, _) = sendable(&txn, self.templates, self.incident_id).await?;
        let backend = txn.get_database_backend();
        // The chunk's last person: from the unique (incident, person, channel) index alone.
        let upto: Option<i64> = txn
            .query_one(stmt(
                backend,
                "SELECT MAX(subject_id) AS upto FROM (SELECT subject_id FROM notices \
                 WHERE incident_id = ? AND subject_id > ? ORDER BY subject_id LIMIT ?) c",
                [self.incident_id.into(), after.into(), self.chunk.into()],
            ))
            .await?
            .map(|r| r.try_get("", "upto"))
            .transpose()?
            .flatten();
        let Some(upto) = upto else {
            return Ok(None);
        };
        let queued = store::enqueue(
            &txn,
            self.incident_id,
            &inc.channels,
            self.at_once,
            self.max_attempts,
            self.now,
            Some((after, upto)),
        )
        .await?;
        txn.execute(stmt(
            backend,
            "UPDATE incidents SET dispatching_touched = ? WHERE id = ?",
            [self.clock.now().into(), self.incident_id.into()],
        ))
        .await?;
        let templates = inc.notices.composed_templates.clone().unwrap_or_default();
        super::evidence::queued(&txn, self.incident_id, &templates, self.now, (after, upto))
            .await?;
        txn.commit().await?;
        Ok(Some((upto, queued)))
    }
}

/// Queues the first `chunks` chunks of `chunk` rows of the incident's open dispatch (see
/// [`open`]) and leaves it open: what a writer that died leaves behind. Returns how many
/// deliveries were queued. For tests of [`resume_stale`].
#[allow(clippy::too_many_arguments)]
pub async fn write_part(
    db: &DatabaseConnection,
    templates: &str,
    max_attempts: i32,
    incident_id: i64,
    at_once: usize,
    clock: &Clock,
    chunks: usize,
    chunk: i64,
) -> Result<u64, DispatchError> {
    let wake = Notify::new();
    let w = Writer {
        db,
        templates,
        max_attempts,
        incident_id,
        at_once,
        clock,
        wake: &wake,
        chunk,
        now: clock.now(),
    };
    w.write(&Actor::System, chunks).await
}

/// Finishes the dispatches whose writer stopped (nothing committed for `STALE_AFTER`): queues
/// whoever they had not queued yet, as the dispatch would have. Returns how many deliveries
/// were queued. Each is taken over with a guarded update, so two dispatchers never finish the
/// same one at once.
pub async fn resume_stale(
    db: &DatabaseConnection,
    max_attempts: i32,
    clock: &Clock,
    wake: &Notify,
) -> Result<u64, DispatchError> {
    let now = clock.now();
    let stale = db
        .query_all(stmt(
            db.get_database_backend(),
            "SELECT id, dispatching_at_once, dispatching_touched FROM incidents \
             WHERE dispatching_touched < ? AND dispatching_at_once IS NOT NULL",
            [(now - STALE_AFTER).into()],
        ))
        .await?;
    let mut total = 0;
    for row in stale {
        let id: i64 = row.try_get("", "id")?;
        let at_once: i32 = row.try_get("", "dispatching_at_once")?;
        let touched: DateTime<Utc> = row.try_get("", "dispatching_touched")?;
        let took = db
            .execute(stmt(
                db.get_database_backend(),
                "UPDATE incidents SET dispatching_touched = ? WHERE id = ? \
                 AND dispatching_touched = ?",
                [now.into(), id.into(), touched.into()],
            ))
            .await?
            .rows_affected();
        if took == 0 {
            continue; // another dispatcher took it, or its writer moved
        }
        tracing::warn!(
            incident.id = id,
            "finishing a dispatch whose writer stopped"
        );
        // The notices were approved with the templates they were composed with; the dispatch
        // goes on under the same approval, checked again per chunk.
        let templates = incidents::find(db, id)
            .await?
            .notices
            .composed_templates
            .unwrap_or_default();
        let w = Writer {
            db,
            templates: &templates,
            max_attempts,
            incident_id: id,
            at_once: at_once.max(1) as usize,
            clock,
            wake,
            chunk: chunk_for(db),
            now,
        };
        match w.write(&Actor::System, usize::MAX).await {
            Ok(n) => {
                end(db, &Actor::System, id, "dispatch_resumed", n, None).await?;
                total += n;
            }
            Err(e @ DispatchError::Db(_)) => return Err(e),
            // Stopped, and said why on the timeline.
            Err(_) => {}
        }
    }
    Ok(total)
}

/// Pauses, resumes or cancels an incident's delivery. Cancelling stops everything not yet
/// sent and cannot be undone.
pub async fn control(
    db: &DatabaseConnection,
    actor: &Actor,
    incident_id: i64,
    to: DeliveryState,
    now: DateTime<Utc>,
) -> Result<Incident, DispatchError> {
    let txn = db.begin().await?;
    let inc = incidents::store::lock(&txn, incident_id).await?;
    let from = inc.delivery_state;
    let allowed = matches!(
        (from, to),
        (DeliveryState::Running, DeliveryState::Paused)
            | (DeliveryState::Paused, DeliveryState::Running)
            | (
                DeliveryState::Running | DeliveryState::Paused,
                DeliveryState::Cancelled
            )
    );
    if !allowed {
        return Err(DispatchError::State(format!(
            "the incident's delivery is {from}: it cannot be made {to}"
        )));
    }
    if inc.notices.dispatched_at.is_none() && to != DeliveryState::Cancelled {
        return Err(DispatchError::State(
            "nothing was dispatched yet: there is no delivery to pause or resume".into(),
        ));
    }
    incidents::store::set_delivery_state(&txn, incident_id, from, to, now).await?;
    let stopped = if to == DeliveryState::Cancelled {
        store::cancel_pending(&txn, incident_id, now).await?
    } else {
        0
    };
    let kind = match to {
        DeliveryState::Paused => "delivery_paused",
        DeliveryState::Running => "delivery_resumed",
        DeliveryState::Cancelled => "delivery_cancelled",
    };
    incidents::record_event(
        &txn,
        incident_id,
        actor,
        kind,
        json!({ "from": from, "to": to, "cancelled_deliveries": stopped }),
    )
    .await?;
    let inc = incidents::store::find(&txn, incident_id).await?;
    txn.commit().await?;
    Ok(inc)
}
