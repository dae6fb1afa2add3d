//! The audit log: append-only and hash-chained.
//!
//! Every state change appends one entry inside the same transaction as the change. Each entry
//! holds the hash of the previous one; the `audit_head` row holds the last sequence number and
//! hash, and appenders lock it first, so the chain stays linear across any number of processes.
//! Nothing in this code base updates or deletes an `audit_log` row.
use crate::db::stmt;
use chrono::{DateTime, SubsecRound, Utc};
use entity::audit_log;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;
use sha2::{Digest, Sha256};

mod api;
pub use api::routes;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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

// The four statements of an append, shared by both ways in.
/// Takes the head's row lock (PostgreSQL) or the write lock (SQLite) before reading it.
const LOCK_HEAD: &str = "UPDATE audit_head SET seq = seq + 1 WHERE id = 1";
const READ_HEAD: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";
const INSERT_ENTRY: &str = "INSERT INTO audit_log \
     (seq, at, actor, action, target_type, target_id, details, prev_hash, hash) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
const SET_HEAD: &str = "UPDATE audit_head SET hash = ? WHERE id = 1";

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
    seq: i64,
    prev_hash: String,
    actor: &Actor,
    action: &str,
    target: &Target<'_>,
    details: &Value,
) -> Sealed {
    let at = now();
    let actor = actor.label();
    let details = details.to_string();
    let hash = entry_hash(
        seq,
        &at,
        &actor,
        action,
        target.kind,
        &target.id,
        &details,
        &prev_hash,
    );
    Sealed {
        seq,
        at,
        actor,
        details,
        prev_hash,
        hash,
    }
}

/// Appends one entry. Call it inside the transaction that makes the change.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    target: Target<'_>,
    details: Value,
) -> Result<i64, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    db.execute(stmt(backend, LOCK_HEAD, vec![])).await?;
    let head = db
        .query_one(stmt(backend, READ_HEAD, vec![]))
        .await?
        .ok_or_else(|| sea_orm::DbErr::Custom("audit_head row is missing".into()))?;
    let e = seal(
        head.try_get("", "seq")?,
        head.try_get("", "hash")?,
        actor,
        action,
        &target,
        &details,
    );
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
    db.execute(stmt(backend, SET_HEAD, vec![e.hash.into()]))
        .await?;
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
    conn.execute(LOCK_HEAD, [])?;
    let (seq, prev_hash) = conn.query_row(READ_HEAD, [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let e = seal(seq, prev_hash, actor, action, &target, &details);
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
    conn.execute(SET_HEAD, [&e.hash])?;
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
    let canonical = serde_json::json!([
        seq,
        at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        actor,
        action,
        target_type,
        target_id,
        details,
        prev_hash
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// The first entry that breaks the chain, and how.
#[derive(Debug, PartialEq, Eq)]
pub struct Broken {
    pub seq: i64,
    pub reason: String,
}

/// Outcome of `verify`.
#[derive(Debug)]
pub struct Verification {
    pub entries: i64,
    pub broken: Option<Broken>,
}

/// Walks the whole chain in pages and recomputes every hash.
pub async fn verify(db: &impl ConnectionTrait) -> Result<Verification, sea_orm::DbErr> {
    const PAGE: u64 = 2000;
    let mut expected_seq = 1i64;
    let mut prev = GENESIS.to_string();
    loop {
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::Seq.gte(expected_seq))
            .order_by_asc(audit_log::Column::Seq)
            .limit(PAGE)
            .all(db)
            .await?;
        let n = rows.len();
        for r in rows {
            let fail = |reason: String| Verification {
                entries: expected_seq - 1,
                broken: Some(Broken {
                    seq: expected_seq,
                    reason,
                }),
            };
            if r.seq != expected_seq {
                return Ok(fail(format!(
                    "entry {expected_seq} is missing (the next entry is {})",
                    r.seq
                )));
            }
            if r.prev_hash != prev {
                if r.seq == 1 {
                    return Ok(fail(
                        "entry 1 does not start the chain: it was changed".into(),
                    ));
                }
                // The previous entry's own hash checked out, so it was rewritten whole.
                return Ok(Verification {
                    entries: r.seq - 2,
                    broken: Some(Broken {
                        seq: r.seq - 1,
                        reason: format!(
                            "entry {} was changed or replaced: entry {} no longer links to it",
                            r.seq - 1,
                            r.seq
                        ),
                    }),
                });
            }
            let h = entry_hash(
                r.seq,
                &r.at,
                &r.actor,
                &r.action,
                &r.target_type,
                &r.target_id,
                &r.details,
                &r.prev_hash,
            );
            if h != r.hash {
                return Ok(fail(format!(
                    "entry {} was edited: its hash does not match",
                    r.seq
                )));
            }
            prev = r.hash;
            expected_seq += 1;
        }
        if (n as u64) < PAGE {
            break;
        }
    }
    let last = expected_seq - 1;
    let head = entity::audit_head::Entity::find_by_id(1).one(db).await?;
    let broken = match head {
        None => Some(Broken { seq: last + 1, reason: "the audit head row is missing".into() }),
        Some(h) if h.seq != last || h.hash != prev => Some(Broken {
            seq: last + 1,
            reason: format!(
                "the log ends at entry {last} but the head records entry {}: entries were removed from the end",
                h.seq
            ),
        }),
        Some(_) => None,
    };
    Ok(Verification {
        entries: last,
        broken,
    })
}
