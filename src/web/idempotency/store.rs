//! The only module that writes `idempotency_keys`.
//!
//! A key is claimed by `INSERT … ON CONFLICT DO NOTHING` in a short transaction of its own
//! (committed before the request runs), so of two concurrent requests with one key exactly one
//! inserts: on PostgreSQL the second insert waits for the first's commit, then finds the row.
//! The claim ends with the answer stored ([`complete`]) or the row deleted ([`release`]).
use crate::domain::text_enum;
use chrono::{DateTime, Duration, Utc};
use entity::idempotency_key::{ActiveModel, Column, Entity, Model};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

/// How long an answer is kept; an older key counts as new.
pub const KEEP: Duration = Duration::hours(24);

/// At most this many expired keys are deleted per new key, so cleaning up stays cheap.
pub const CLEANUP_BATCH: u64 = 100;

text_enum! {
    /// Where a claimed key stands.
    pub enum State ("an idempotency key state") {
        InProgress = "in_progress",
        Done = "done",
    }
}

/// A request that carries a key, as the store compares it with the first.
pub struct Attempt<'a> {
    pub account_id: i64,
    pub key: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    /// SHA-256 of the request body, hex.
    pub request_hash: &'a str,
}

/// What to do with a request that carries a key.
#[derive(Debug, PartialEq, Eq)]
pub enum Reservation {
    /// The key is new (or expired) and now claimed by this request, as row `id`: run it.
    Claimed(i64),
    /// The key's first request finished: send its answer again.
    Replay { status: u16, body: String },
    /// The key's first request is still running.
    InProgress,
    /// The key was first used for another request (method, path or body).
    Mismatch,
}

/// Claims `attempt.key` for `attempt.account_id`, or says why not.
pub async fn reserve(
    db: &DatabaseConnection,
    attempt: &Attempt<'_>,
    now: DateTime<Utc>,
) -> Result<Reservation, DbErr> {
    let cutoff = now - KEEP;
    let txn = db.begin().await?;
    // Twice at most: an expired row found the first time is deleted, then the key claimed anew.
    let mut expired_deleted = false;
    let outcome = loop {
        let inserted = Entity::insert(ActiveModel {
            id: NotSet,
            account_id: Set(attempt.account_id),
            key: Set(attempt.key.to_owned()),
            method: Set(attempt.method.to_owned()),
            path: Set(attempt.path.to_owned()),
            request_hash: Set(attempt.request_hash.to_owned()),
            state: Set(State::InProgress.as_str().to_owned()),
            response_status: Set(None),
            response_body: Set(None),
            created_at: Set(now),
            completed_at: Set(None),
        })
        .on_conflict(
            OnConflict::columns([Column::AccountId, Column::Key])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        let row = Entity::find()
            .filter(Column::AccountId.eq(attempt.account_id))
            .filter(Column::Key.eq(attempt.key))
            .one(&txn)
            .await?
            .ok_or_else(|| DbErr::Custom("an idempotency key vanished while claimed".into()))?;
        if inserted == 1 {
            break Reservation::Claimed(row.id);
        }
        if row.created_at <= cutoff && !expired_deleted {
            Entity::delete_many()
                .filter(Column::Id.eq(row.id))
                .filter(Column::CreatedAt.lte(cutoff))
                .exec(&txn)
                .await?;
            expired_deleted = true;
            continue;
        }
        break judge(&row, attempt)?;
    };
    txn.commit().await?;
    if matches!(outcome, Reservation::Claimed(_)) {
        // Opportunistic: a failure here costs nothing but a later retry of the cleanup.
        if let Err(e) = delete_expired(db, cutoff).await {
            tracing::warn!(error = %e, "could not delete expired idempotency keys");
        }
    }
    Ok(outcome)
}

/// What a request gets when its key is already claimed by `row`.
fn judge(row: &Model, attempt: &Attempt<'_>) -> Result<Reservation, DbErr> {
    if row.method != attempt.method
        || row.path != attempt.path
        || row.request_hash != attempt.request_hash
    {
        return Ok(Reservation::Mismatch);
    }
    Ok(match State::from_stored(&row.state)? {
        State::InProgress => Reservation::InProgress,
        State::Done => {
            let status = row
                .response_status
                .and_then(|s| u16::try_from(s).ok())
                .filter(|s| (100..600).contains(s));
            match (status, &row.response_body) {
                (Some(status), Some(body)) => Reservation::Replay {
                    status,
                    body: body.clone(),
                },
                _ => {
                    return Err(DbErr::Custom(format!(
                        "idempotency key row {} is done without a valid answer",
                        row.id
                    )))
                }
            }
        }
    })
}

/// Stores the answer of the request that claimed row `id`.
pub async fn complete(
    db: &DatabaseConnection,
    id: i64,
    status: u16,
    body: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::State, State::Done.as_str().into())
        .col_expr(Column::ResponseStatus, i32::from(status).into())
        .col_expr(Column::ResponseBody, body.into())
        .col_expr(Column::CompletedAt, now.into())
        .filter(Column::Id.eq(id))
        .filter(Column::State.eq(State::InProgress.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives up the claim on row `id` (the request failed on our side), so the key may be retried.
pub async fn release(db: &DatabaseConnection, id: i64) -> Result<(), DbErr> {
    Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::State.eq(State::InProgress.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes up to [`CLEANUP_BATCH`] keys created at or before `cutoff`, oldest first.
async fn delete_expired(db: &DatabaseConnection, cutoff: DateTime<Utc>) -> Result<u64, DbErr> {
    let oldest = Query::select()
        .column(Column::Id)
        .from(Entity)
        .and_where(Column::CreatedAt.lte(cutoff))
        .order_by(Column::CreatedAt, sea_orm::Order::Asc)
        .limit(CLEANUP_BATCH)
        .to_owned();
    let res = Entity::delete_many()
        .filter(Column::Id.in_subquery(oldest))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
