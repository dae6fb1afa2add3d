//! The only code that writes the ledger: appends in the caller's transaction, and the reads
//! of the export and the verification.
use super::ledger::{entry_hash, Entry};
use crate::chain::{self, verify::Link, PublicKey, Verification, LEDGER};
use crate::db::stmt;
use entity::ledger_entry;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::ops::Range;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// An entry the ledger refuses; nothing of its batch was written.
    #[error("ledger entry {index} of the batch: {reason}")]
    Invalid { index: usize, reason: String },
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

const COLUMNS: &str = "seq, at, incident_id, delivery_id, subject_id, channel, event, status, \
     next_channel, content_sha256, templates, provider_ref, details, prev_hash, hash";
const PER_ROW: usize = 15;
/// Rows per INSERT: 7,500 parameters, well under SQLite's 32,766 and PostgreSQL's 65,535.
const ROWS_PER_INSERT: usize = 500;

/// Appends `entries`, in order, and one signed checkpoint for all of them; returns their
/// sequence numbers. Every entry is checked first: one bad entry refuses the whole batch
/// before anything is written. An empty batch writes nothing.
///
/// Call it inside the transaction that changes the deliveries, as its last statement: the
/// ledger head's lock is held until that transaction ends, and taking it after any audit
/// entry of the same transaction keeps one lock order everywhere.
pub async fn append_batch(
    txn: &DatabaseTransaction,
    entries: &[Entry],
) -> Result<Range<i64>, LedgerError> {
    if let Some((index, reason)) = entries
        .iter()
        .enumerate()
        .find_map(|(i, e)| e.problem().map(|r| (i, r)))
    {
        return Err(LedgerError::Invalid { index, reason });
    }
    if entries.is_empty() {
        return Ok(0..0);
    }
    let n = entries.len() as i64;
    let slot = LEDGER.claim(txn, n).await?;
    let backend = txn.get_database_backend();
    let mut prev = slot.prev_hash.clone();
    let mut seq = slot.first;
    for chunk in entries.chunks(ROWS_PER_INSERT) {
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * PER_ROW);
        for e in chunk {
            let row = e.seal(seq, std::mem::take(&mut prev));
            prev = row.hash.clone();
            seq += 1;
            push_row(&mut values, row);
        }
        txn.execute(stmt(backend, &insert_sql(chunk.len()), values))
            .await?;
    }
    LEDGER.close(txn, &slot, seq - 1, &prev).await?;
    Ok(slot.first..seq)
}

/// Appends one entry (and its checkpoint); prefer [`append_batch`] for more.
pub async fn append(txn: &DatabaseTransaction, entry: &Entry) -> Result<i64, LedgerError> {
    Ok(append_batch(txn, std::slice::from_ref(entry)).await?.start)
}

fn insert_sql(rows: usize) -> String {
    let one = format!("({})", vec!["?"; PER_ROW].join(", "));
    format!(
        "INSERT INTO ledger_entries ({COLUMNS}) VALUES {}",
        vec![one.as_str(); rows].join(", ")
    )
}

fn push_row(values: &mut Vec<sea_orm::Value>, r: ledger_entry::Model) {
    values.extend([
        r.seq.into(),
        r.at.into(),
        r.incident_id.into(),
        r.delivery_id.into(),
        r.subject_id.into(),
        r.channel.into(),
        r.event.into(),
        r.status.into(),
        r.next_channel.into(),
        r.content_sha256.into(),
        r.templates.into(),
        r.provider_ref.into(),
        r.details.into(),
        r.prev_hash.into(),
        r.hash.into(),
    ]);
}

/// Up to `limit` of an incident's entries after `after`, in order.
pub async fn page(
    db: &impl ConnectionTrait,
    incident_id: i64,
    after: i64,
    limit: u64,
) -> Result<Vec<ledger_entry::Model>, sea_orm::DbErr> {
    ledger_entry::Entity::find()
        .filter(ledger_entry::Column::IncidentId.eq(incident_id))
        .filter(ledger_entry::Column::Seq.gt(after))
        .order_by_asc(ledger_entry::Column::Seq)
        .limit(limit)
        .all(db)
        .await
}

/// Walks the whole ledger: every hash, every checkpoint (signed by `key`), the head.
pub async fn verify(
    db: &impl ConnectionTrait,
    key: &PublicKey,
) -> Result<Verification, sea_orm::DbErr> {
    chain::verify::verify_chain::<ledger_entry::Entity, _>(
        db,
        LEDGER,
        key,
        ledger_entry::Column::Seq,
        |r| Link {
            seq: r.seq,
            prev_hash: &r.prev_hash,
            hash: &r.hash,
            recomputed: entry_hash(r),
        },
    )
    .await
}
