//! Console sessions, kept in the database so that every process sees a sign-out at once.
//!
//! A session's id is 32 random bytes (the cookie's value); only its SHA-256 is stored, so a
//! copy of the database signs no one in. A session ends at its absolute expiry, when unused
//! past the idle limit, at sign-out, and with its account (disabled, or its password changed).
use super::hash_token;
use chrono::{DateTime, Duration, Utc};
use entity::{account, session};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};

/// A session's `last_seen_at` is written at most this often (not on every request).
const TOUCH_EVERY: i64 = 60;

/// A new session: its row and the secret that goes in the cookie (never stored).
pub struct NewSession {
    pub session: session::Model,
    pub secret: String,
}

/// A session that is still valid, with its account.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub session: session::Model,
    pub account: account::Model,
}

/// Starts a session for `account_id`, ending `max` from `now` at the latest. Expired sessions
/// of anyone are deleted on the way (a bounded batch), so the table does not grow.
pub async fn create(
    db: &impl ConnectionTrait,
    account_id: i64,
    max: Duration,
    now: DateTime<Utc>,
) -> Result<NewSession, sea_orm::DbErr> {
    purge_expired(db, now).await?;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    let session = session::ActiveModel {
        account_id: Set(account_id),
        token_hash: Set(hash_token(&secret)),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + max),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(NewSession { session, secret })
}

/// The live session whose cookie holds `secret`: not past its absolute expiry, used within
/// `idle`, of an account that is not disabled. Records the use (at most once a minute).
pub async fn find(
    db: &impl ConnectionTrait,
    secret: &str,
    idle: Duration,
    now: DateTime<Utc>,
) -> Result<Option<LiveSession>, sea_orm::DbErr> {
    let Some(s) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(hash_token(secret)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if s.expires_at <= now || s.last_seen_at + idle <= now {
        session::Entity::delete_by_id(s.id).exec(db).await?;
        return Ok(None);
    }
    let Some(account) = account::Entity::find_by_id(s.account_id).one(db).await? else {
        return Ok(None);
    };
    if account.disabled {
        return Ok(None);
    }
    if now - s.last_seen_at >= Duration::seconds(TOUCH_EVERY) {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .filter(session::Column::Id.eq(s.id))
            .exec(db)
            .await?;
    }
    Ok(Some(LiveSession {
        session: s,
        account,
    }))
}

/// Ends one session.
pub async fn end(db: &impl ConnectionTrait, id: i64) -> Result<(), sea_orm::DbErr> {
    session::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Ends every session of an account, or every one but `keep`; returns how many ended.
pub async fn end_all(
    db: &impl ConnectionTrait,
    account_id: i64,
    keep: Option<i64>,
) -> Result<u64, sea_orm::DbErr> {
    let mut q = session::Entity::delete_many().filter(session::Column::AccountId.eq(account_id));
    if let Some(k) = keep {
        q = q.filter(session::Column::Id.ne(k));
    }
    Ok(q.exec(db).await?.rows_affected)
}

/// Deletes up to 500 sessions past their absolute expiry.
async fn purge_expired(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let ids: Vec<i64> = session::Entity::find()
        .select_only()
        .column(session::Column::Id)
        .filter(session::Column::ExpiresAt.lte(now))
        .limit(500)
        .into_tuple()
        .all(db)
        .await?;
    if !ids.is_empty() {
        session::Entity::delete_many()
            .filter(session::Column::Id.is_in(ids))
            .exec(db)
            .await?;
    }
    Ok(())
}
