//! Walking a chain: every link, every hash, every checkpoint, and the head.
//!
//! Each chain's module says how to recompute one of its entries' hash (the fields differ);
//! [`verify_chain`] pages through the table and hands each entry to a [`Walk`], which does the
//! rest the same way for every chain and stops at the first problem.
use super::{checkpoint_message, Chain, PublicKey, GENESIS};
use entity::chain_checkpoint;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::VecDeque;

/// Verifies the chain whose entries are the rows of `E`, ordered by `seq`; `link` gives an
/// entry's place, stored hashes and recomputed hash.
pub async fn verify_chain<E, F>(
    db: &impl ConnectionTrait,
    chain: Chain,
    key: &PublicKey,
    seq: E::Column,
    link: F,
) -> Result<Verification, sea_orm::DbErr>
where
    E: EntityTrait,
    F: for<'a> Fn(&'a E::Model) -> Link<'a>,
{
    let mut walk = Walk::new(chain, key);
    loop {
        let rows = E::find()
            .filter(seq.gte(walk.next_seq()))
            .order_by_asc(seq)
            .limit(PAGE)
            .all(db)
            .await?;
        for r in &rows {
            walk.step(db, link(r)).await?;
            if walk.is_broken() {
                break;
            }
        }
        if (rows.len() as u64) < PAGE || walk.is_broken() {
            break;
        }
    }
    let head = chain.head(db).await?;
    walk.finish(db, head).await
}

/// The first entry or checkpoint that breaks the chain, and how.
#[derive(Debug, PartialEq, Eq)]
pub struct Broken {
    pub seq: i64,
    pub reason: String,
}

/// Outcome of a verification.
#[derive(Debug)]
pub struct Verification {
    /// Entries that verified (all of them when nothing is broken).
    pub entries: i64,
    /// Checkpoints whose signature and hash verified.
    pub checkpoints: i64,
    pub broken: Option<Broken>,
}

/// One entry as stored, with the hash recomputed from its fields.
pub struct Link<'a> {
    pub seq: i64,
    pub prev_hash: &'a str,
    pub hash: &'a str,
    pub recomputed: String,
}

const PAGE: u64 = 2000;

/// A walk along one chain, entry by entry, in order from 1.
struct Walk<'k> {
    chain: Chain,
    key: &'k PublicKey,
    /// The next sequence number expected.
    next: i64,
    prev: String,
    /// Checkpoints read but not yet reached, in order.
    pending: VecDeque<chain_checkpoint::Model>,
    /// Every checkpoint up to this seq has been read.
    read_to: i64,
    all_read: bool,
    checkpoints: i64,
    /// The newest entry a verified checkpoint covers.
    signed_to: i64,
    broken: Option<(i64, Broken)>,
}

impl<'k> Walk<'k> {
    fn new(chain: Chain, key: &'k PublicKey) -> Walk<'k> {
        Walk {
            chain,
            key,
            next: 1,
            prev: GENESIS.to_owned(),
            pending: VecDeque::new(),
            read_to: i64::MIN,
            all_read: false,
            checkpoints: 0,
            signed_to: 0,
            broken: None,
        }
    }

    /// The sequence number to read from next.
    fn next_seq(&self) -> i64 {
        self.next
    }

    /// Whether the walk has stopped at a problem.
    fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    fn fail(&mut self, verified: i64, seq: i64, reason: String) {
        self.broken = Some((verified, Broken { seq, reason }));
    }

    /// Checks the next entry: its place, its link, its hash, then any checkpoint at it.
    async fn step(&mut self, db: &impl ConnectionTrait, e: Link<'_>) -> Result<(), sea_orm::DbErr> {
        if self.broken.is_some() {
            return Ok(());
        }
        let expected = self.next;
        if e.seq != expected {
            let reason = format!("entry {expected} is missing (the next entry is {})", e.seq);
            self.fail(expected - 1, expected, reason);
            return Ok(());
        }
        if e.prev_hash != self.prev {
            if e.seq == 1 {
                let reason = "entry 1 does not start the chain: it was changed".into();
                self.fail(0, 1, reason);
            } else {
                // The previous entry's own hash checked out, so it was rewritten whole.
                let reason = format!(
                    "entry {} was changed or replaced: entry {} no longer links to it",
                    e.seq - 1,
                    e.seq
                );
                self.fail(e.seq - 2, e.seq - 1, reason);
            }
            return Ok(());
        }
        if e.recomputed != e.hash {
            let reason = format!("entry {} was edited: its hash does not match", e.seq);
            self.fail(e.seq - 1, e.seq, reason);
            return Ok(());
        }
        self.prev = e.hash.to_owned();
        self.next += 1;
        self.checkpoints_at(db, e.seq, e.hash).await
    }

    /// Reads checkpoints up to `seq` (a page at a time) into `pending`.
    async fn read_through(
        &mut self,
        db: &impl ConnectionTrait,
        seq: i64,
    ) -> Result<(), sea_orm::DbErr> {
        while !self.all_read && self.read_to < seq {
            let rows = chain_checkpoint::Entity::find()
                .filter(chain_checkpoint::Column::Chain.eq(self.chain.name))
                .filter(chain_checkpoint::Column::Seq.gt(self.read_to))
                .order_by_asc(chain_checkpoint::Column::Seq)
                .limit(PAGE)
                .all(db)
                .await?;
            self.all_read = (rows.len() as u64) < PAGE;
            if let Some(last) = rows.last() {
                self.read_to = last.seq;
            }
            if self.all_read {
                self.read_to = i64::MAX;
            }
            self.pending.extend(rows);
        }
        Ok(())
    }

    async fn checkpoints_at(
        &mut self,
        db: &impl ConnectionTrait,
        seq: i64,
        hash: &str,
    ) -> Result<(), sea_orm::DbErr> {
        self.read_through(db, seq).await?;
        while let Some(c) = self.pending.front() {
            if c.seq > seq {
                break;
            }
            let c = self.pending.pop_front().expect("front exists");
            if c.seq < seq {
                // Entries are walked one by one from 1: only a checkpoint before entry 1 can
                // be passed over.
                let reason = format!("a checkpoint names entry {}, which cannot exist", c.seq);
                self.fail(seq - 1, c.seq, reason);
                return Ok(());
            }
            if let Some(reason) = self.check(&c, hash) {
                // Only what a verified checkpoint covers can be trusted.
                self.fail(self.signed_to, seq, reason);
                return Ok(());
            }
            self.checkpoints += 1;
            self.signed_to = seq;
        }
        Ok(())
    }

    /// Why checkpoint `c` (at an entry whose hash is `hash`) fails, if it does.
    fn check(&self, c: &chain_checkpoint::Model, hash: &str) -> Option<String> {
        if c.key_id != self.key.id() {
            return Some(format!(
                "the checkpoint at entry {} was signed by key {}, not by the configured key {}",
                c.seq,
                c.key_id,
                self.key.id()
            ));
        }
        let message = checkpoint_message(self.chain.name, c.seq, &c.hash, &c.key_id, &c.at);
        let valid = decode(&c.signature).is_some_and(|s| self.key.verifies(&message, &s));
        if !valid {
            return Some(format!(
                "the checkpoint at entry {}: its signature does not match (the checkpoint was \
                 altered or forged)",
                c.seq
            ));
        }
        if c.hash != hash {
            // Entries up to the previous checkpoint verified: the change is after it.
            let from = self.signed_to + 1;
            let which = if from == c.seq {
                format!("entry {from} was")
            } else {
                format!("one of entries {from} to {} was", c.seq)
            };
            return Some(format!(
                "the checkpoint at entry {} does not match the chain: {which} rewritten after \
                 it was signed",
                c.seq
            ));
        }
        None
    }

    /// Checks the head and what no entry reached: checkpoints past the end, and an unsigned
    /// tail. `head` is the head row's (seq, hash), if the row exists.
    async fn finish(
        mut self,
        db: &impl ConnectionTrait,
        head: Option<(i64, String)>,
    ) -> Result<Verification, sea_orm::DbErr> {
        if let Some((verified, broken)) = self.broken.take() {
            return Ok(self.outcome(verified, Some(broken)));
        }
        let last = self.next - 1;
        let broken = match head {
            None => Some(Broken {
                seq: last + 1,
                reason: format!("the {} head row is missing", self.chain.name),
            }),
            Some((seq, hash)) if seq != last || hash != self.prev => Some(Broken {
                seq: last + 1,
                reason: format!(
                    "the chain ends at entry {last} but the head records entry {seq}: entries \
                     were removed from the end"
                ),
            }),
            Some(_) => None,
        };
        if broken.is_some() {
            return Ok(self.outcome(last, broken));
        }
        self.read_through(db, i64::MAX).await?;
        if let Some(c) = self.pending.front() {
            let reason = format!(
                "a checkpoint names entry {} but the chain ends at entry {last}: entries were \
                 removed from the end",
                c.seq
            );
            let seq = c.seq;
            return Ok(self.outcome(last, Some(Broken { seq, reason })));
        }
        if self.signed_to < last {
            let from = self.signed_to + 1;
            let reason = format!(
                "unsigned tail: entries {from} to {last} are covered by no signed checkpoint \
                 (they were written without the signing key)"
            );
            return Ok(self.outcome(self.signed_to, Some(Broken { seq: from, reason })));
        }
        Ok(self.outcome(last, None))
    }

    fn outcome(&self, entries: i64, broken: Option<Broken>) -> Verification {
        Verification {
            entries,
            checkpoints: self.checkpoints,
            broken,
        }
    }
}

fn decode(signature: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .ok()
}
