//! Hash chains with signed checkpoints: what the audit log (`crate::audit`) and the delivery
//! evidence ledger (`crate::evidence`) share.
//!
//! A chain is a table of entries, each holding the hash of the one before it, and a head row
//! (`id = 1`: the last sequence number and hash). An append runs inside the caller's
//! transaction and
//! 1. claims the next `n` places by bumping the head's `seq` ([`Chain::claim`]), which takes
//!    the head's row lock on PostgreSQL (the write lock on SQLite) until the transaction ends,
//!    so the chain stays linear across any number of processes;
//! 2. inserts its entries, each hashed ([`digest`]) over its fields and the previous hash;
//! 3. moves the head's hash to its last entry and writes one signed checkpoint for the whole
//!    append ([`Chain::close`]): chain, seq, hash, an Ed25519 signature, the signing key's id.
//!
//! Hashes alone show an edit only to someone who does not recompute them all; anyone who can
//! write to the database can. The checkpoints are what such a person cannot make: the key is
//! kept outside the database ([`signer`]). `tocsin audit verify` ([`verify::verify_chain`]) recomputes
//! every hash, checks every checkpoint's signature and that it names an entry as it now is,
//! and reports entries after the last checkpoint as an unsigned tail.
//!
//! **Why a process-wide signer.** `audit::record` is called from dozens of places, each with a
//! connection or transaction and nothing else; threading a key through all of them (and
//! through the dispatcher's calls into the ledger) would touch every use case for no gain, as
//! one process signs with one key. So the key is installed once at start-up
//! ([`signer::install`]: `Application::build`, the CLI commands that write, the test harness)
//! and appends take it from there. With no signer installed an append fails with an error
//! rather than write an entry nobody signed; installing a second, different key is refused.
//!
//! Cost: one signature (tens of microseconds) and one insert per append, whatever its size;
//! the ledger appends hundreds of entries at once for that reason.
pub mod signer;
pub mod verify;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::ConnectionTrait;
use sha2::{Digest, Sha256};
pub use signer::{PublicKey, Signer};
pub use verify::{Broken, Verification};

/// The `prev_hash` of every chain's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A chain: its name in `chain_checkpoints` and its head table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chain {
    pub name: &'static str,
    head: &'static str,
}

pub const AUDIT: Chain = Chain {
    name: "audit",
    head: "audit_head",
};

pub const LEDGER: Chain = Chain {
    name: "ledger",
    head: "ledger_head",
};

/// Where an append goes: the sequence number of its first entry, the hash it links to, and
/// the key that will sign it.
pub struct Slot {
    pub first: i64,
    pub prev_hash: String,
    pub signer: &'static Signer,
}

const INSERT_CHECKPOINT: &str = "INSERT INTO chain_checkpoints \
     (chain, seq, hash, signature, key_id, at) VALUES (?, ?, ?, ?, ?, ?)";

/// The error of an append when no key was installed.
pub const NO_SIGNER: &str = "no audit signing key is installed in this process, so nothing can \
     be appended to the audit log or the ledger (start-up installs it; see chain::signer)";

impl Chain {
    fn lock_sql(&self) -> String {
        // Bumping seq first takes the lock before anything is read.
        format!("UPDATE {} SET seq = seq + ? WHERE id = 1", self.head)
    }

    fn read_sql(&self) -> String {
        format!("SELECT seq, hash FROM {} WHERE id = 1", self.head)
    }

    fn set_sql(&self) -> String {
        format!("UPDATE {} SET hash = ? WHERE id = 1", self.head)
    }

    /// The head row's (seq, hash), if the row exists.
    pub async fn head(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<Option<(i64, String)>, sea_orm::DbErr> {
        let backend = db.get_database_backend();
        match db
            .query_one(crate::db::stmt(backend, &self.read_sql(), []))
            .await?
        {
            Some(row) => Ok(Some((row.try_get("", "seq")?, row.try_get("", "hash")?))),
            None => Ok(None),
        }
    }

    /// Locks the head and claims `n` (≥ 1) places. Call it inside a transaction, and late in
    /// it: the lock is held until the transaction ends.
    pub async fn claim(&self, db: &impl ConnectionTrait, n: i64) -> Result<Slot, sea_orm::DbErr> {
        self.claim_as(db, n, signer::installed()).await
    }

    async fn claim_as(
        &self,
        db: &impl ConnectionTrait,
        n: i64,
        signer: Option<&'static Signer>,
    ) -> Result<Slot, sea_orm::DbErr> {
        let signer = signer.ok_or_else(|| sea_orm::DbErr::Custom(NO_SIGNER.into()))?;
        let backend = db.get_database_backend();
        // One statement: bumping seq takes the lock and reads the head back.
        let sql = format!("{} RETURNING seq, hash", self.lock_sql());
        let row = db
            .query_one(crate::db::stmt(backend, &sql, [n.into()]))
            .await?
            .ok_or_else(|| sea_orm::DbErr::Custom(format!("the {} row is missing", self.head)))?;
        let (last, prev_hash): (i64, String) = (row.try_get("", "seq")?, row.try_get("", "hash")?);
        Ok(Slot {
            first: last - n + 1,
            prev_hash,
            signer,
        })
    }

    /// Moves the head's hash to the append's last entry and signs it.
    pub async fn close(
        &self,
        db: &impl ConnectionTrait,
        slot: &Slot,
        last: i64,
        hash: &str,
    ) -> Result<(), sea_orm::DbErr> {
        let backend = db.get_database_backend();
        db.execute(crate::db::stmt(backend, &self.set_sql(), [hash.into()]))
            .await?;
        let c = self.checkpoint(slot.signer, last, hash);
        let values: Vec<sea_orm::Value> = vec![
            self.name.into(),
            last.into(),
            hash.into(),
            c.signature.into(),
            c.key_id.into(),
            c.at.into(),
        ];
        db.execute(crate::db::stmt(backend, INSERT_CHECKPOINT, values))
            .await?;
        Ok(())
    }

    /// [`Chain::claim`] on a plain SQLite connection (the bulk import's own).
    pub fn claim_sqlite(&self, conn: &rusqlite::Connection, n: i64) -> rusqlite::Result<Slot> {
        let signer = signer::installed().ok_or_else(|| {
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_MISUSE),
                Some(NO_SIGNER.into()),
            )
        })?;
        conn.execute(&self.lock_sql(), [n])?;
        let (last, prev_hash): (i64, String) =
            conn.query_row(&self.read_sql(), [], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(Slot {
            first: last - n + 1,
            prev_hash,
            signer,
        })
    }

    /// [`Chain::close`] on a plain SQLite connection; timestamps as sqlx writes them.
    pub fn close_sqlite(
        &self,
        conn: &rusqlite::Connection,
        slot: &Slot,
        last: i64,
        hash: &str,
    ) -> rusqlite::Result<()> {
        conn.execute(&self.set_sql(), [hash])?;
        let c = self.checkpoint(slot.signer, last, hash);
        conn.execute(
            INSERT_CHECKPOINT,
            rusqlite::params![
                self.name,
                last,
                hash,
                c.signature,
                c.key_id,
                crate::db::sqlite_timestamp(&c.at)
            ],
        )?;
        Ok(())
    }

    fn checkpoint(&self, signer: &Signer, seq: i64, hash: &str) -> Signed {
        let at = Utc::now().trunc_subsecs(6);
        let key_id = signer.public().id().to_owned();
        let message = checkpoint_message(self.name, seq, hash, &key_id, &at);
        Signed {
            signature: encode(&signer.sign(&message)),
            key_id,
            at,
        }
    }
}

struct Signed {
    signature: String,
    key_id: String,
    at: DateTime<Utc>,
}

/// What a checkpoint's signature covers: every column of it but the signature.
pub fn checkpoint_message(
    chain: &str,
    seq: i64,
    hash: &str,
    key_id: &str,
    at: &DateTime<Utc>,
) -> Vec<u8> {
    serde_json::json!(["tocsin checkpoint v1", chain, seq, hash, key_id, stamp(at)])
        .to_string()
        .into_bytes()
}

/// Signatures are stored as base64url without padding.
pub fn encode(signature: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signature)
}

/// An instant as hashes and signatures spell it: RFC 3339, UTC, microseconds.
pub fn stamp(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The hash of an entry: hex SHA-256 over the compact JSON of an array of its fields (so no
/// field can bleed into its neighbour), the previous hash last. A tuple of the fields
/// serialises as the same array as `json!([…])` would, without copying every string into a
/// `Value` first.
pub fn digest(fields: &impl serde::Serialize) -> String {
    let json = serde_json::to_vec(fields).expect("an entry's fields serialise as JSON");
    hex::encode(Sha256::digest(&json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_a_signer_nothing_is_appended() {
        let url = crate::config::DatabaseUrl::parse("sqlite::memory:").unwrap();
        let db = crate::db::connect(&url).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        for chain in [AUDIT, LEDGER] {
            let err = chain.claim_as(&db, 3, None).await.err().expect("refused");
            assert!(err.to_string().contains("no audit signing key"), "{err}");
            assert_eq!(
                chain.head(&db).await.unwrap(),
                Some((0, GENESIS.to_owned()))
            );
        }
    }

    #[test]
    fn a_checkpoint_signature_covers_each_of_its_fields() {
        let at: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        let base = checkpoint_message("audit", 7, "ab", "k1", &at);
        for other in [
            checkpoint_message("ledger", 7, "ab", "k1", &at),
            checkpoint_message("audit", 8, "ab", "k1", &at),
            checkpoint_message("audit", 7, "ac", "k1", &at),
            checkpoint_message("audit", 7, "ab", "k2", &at),
            checkpoint_message(
                "audit",
                7,
                "ab",
                "k1",
                &(at + chrono::Duration::microseconds(1)),
            ),
        ] {
            assert_ne!(other, base);
        }
    }
}
