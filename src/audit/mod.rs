//! The audit log: append-only, hash-chained and signed.
//!
//! Every state change appends one entry inside the same transaction as the change. Each entry
//! holds the hash of the previous one; the `audit_head` row holds the last sequence number and
//! hash, and appenders lock it first, so the chain stays linear across any number of processes.
//! Each append also writes a checkpoint signed with the key kept outside the database, so a
//! rewrite by someone who can only reach the database shows (`crate::chain` has the shared
//! machinery and says why the key is installed once per process). Nothing in this code base
//! updates or deletes an `audit_log` row.
use crate::chain::{self, verify::Link, PublicKey, AUDIT};
use crate::db::stmt;
use chrono::{DateTime, SubsecRound, Utc};
use entity::audit_log;
use sea_orm::ConnectionTrait;
use serde_json::Value;

mod api;
pub mod console;
pub mod list;
pub use api::routes;
pub use chain::{Broken, Verification, GENESIS};

/// Who did it.
#[derive(Debug, Clone)]
pub enum Actor {
    Account {
        id: i64,
        email: String,
    },
    /// The command line, run by whoever can reach the database.
    Cli,
    /// Tocsin itself (bootstrap, dispatcher).
    System,
}

impl Actor {
    pub fn label(&self) -> String {
        match self {
            Actor::Account { id, email } => format!("account:{id}:{email}"),
            Actor::Cli => "cli".into(),
            Actor::System => "system".into(),
        }
    }

    pub fn account_id(&self) -> Option<i64> {
        match self {
            Actor::Account { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// What an entry is about.
pub struct Target<'a> {
    pub kind: &'a str,
    pub id: String,
}

impl<'a> Target<'a> {
    pub fn new(kind: &'a str, id: impl ToString) -> Self {
        Target {
            kind,
            id: id.to_string(),
        }
    }
}

const INSERT_ENTRY: &str = "INSERT INTO audit_log \
     (seq, at, actor, action, target_type, target_id, details, prev_hash, hash) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// An entry with its place in the chain and its hash, ready to insert.
struct Sealed {
    seq: i64,
    at: DateTime<Utc>,
    actor: String,
    details: String,
    prev_hash: String,
    hash: String,
}

fn seal(
    slot: &chain::Slot,
    actor: &Actor,
    action: &str,
    target: &Target<'_>,
    details: &Value,
) -> Sealed {
    let at = now();
    let actor = actor.label();
    let details = details.to_string();
    let hash = entry_hash(
        slot.first,
        &at,
        &actor,
        action,
        target.kind,
        &target.id,
        &details,
        &slot.prev_hash,
    );
    Sealed {
        seq: slot.first,
        at,
        actor,
        details,
        prev_hash: slot.prev_hash.clone(),
        hash,
    }
}

/// Appends one entry and its signed checkpoint. Call it inside the transaction that makes the
/// change. Fails when no signing key is installed (see `crate::chain`).
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    target: Target<'_>,
    details: Value,
) -> Result<i64, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let slot = AUDIT.claim(db, 1).await?;
    let e = seal(&slot, actor, action, &target, &details);
    let values: Vec<sea_orm::Value> = vec![
        e.seq.into(),
        e.at.into(),
        e.actor.into(),
        action.into(),
        target.kind.into(),
        target.id.into(),
        e.details.into(),
        e.prev_hash.into(),
        e.hash.clone().into(),
    ];
    db.execute(stmt(backend, INSERT_ENTRY, values)).await?;
    AUDIT.close(db, &slot, e.seq, &e.hash).await?;
    Ok(e.seq)
}

/// [`record`] on a plain SQLite connection (the bulk import's own), inside its transaction.
/// Timestamps are written as sqlx writes them, so both ways in read back alike.
pub fn record_sqlite(
    conn: &rusqlite::Connection,
    actor: &Actor,
    action: &str,
    target: Target<'_>,
    details: Value,
) -> rusqlite::Result<i64> {
    let slot = AUDIT.claim_sqlite(conn, 1)?;
    let e = seal(&slot, actor, action, &target, &details);
    conn.execute(
        INSERT_ENTRY,
        rusqlite::params![
            e.seq,
            crate::db::sqlite_timestamp(&e.at),
            e.actor,
            action,
            target.kind,
            target.id,
            e.details,
            e.prev_hash,
            e.hash,
        ],
    )?;
    AUDIT.close_sqlite(conn, &slot, e.seq, &e.hash)?;
    Ok(e.seq)
}

/// The current instant at the precision both databases keep (microseconds).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The hash of an entry: SHA-256 over a JSON array of its fields, so no field can bleed into
/// its neighbour. Public so that tests can forge a rewritten entry.
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    seq: i64,
    at: &DateTime<Utc>,
    actor: &str,
    action: &str,
    target_type: &str,
    target_id: &str,
    details: &str,
    prev_hash: &str,
) -> String {
    chain::digest(&serde_json::json!([
        seq,
        chain::stamp(at),
        actor,
        action,
        target_type,
        target_id,
        details,
        prev_hash
    ]))
}

/// Walks the whole chain in pages: every hash, every checkpoint (signed by `key`), the head.
pub async fn verify(
    db: &impl ConnectionTrait,
    key: &PublicKey,
) -> Result<Verification, sea_orm::DbErr> {
    chain::verify::verify_chain::<audit_log::Entity, _>(
        db,
        AUDIT,
        key,
        audit_log::Column::Seq,
        |r| Link {
            seq: r.seq,
            prev_hash: &r.prev_hash,
            hash: &r.hash,
            recomputed: entry_hash(
                r.seq,
                &r.at,
                &r.actor,
                &r.action,
                &r.target_type,
                &r.target_id,
                &r.details,
                &r.prev_hash,
            ),
        },
    )
    .await
}
