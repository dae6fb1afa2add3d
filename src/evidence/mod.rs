//! Proof of notification: the delivery evidence ledger.
//!
//! One entry per event of a delivery — queued, each attempt and its outcome, a fallback to the
//! next channel, a provider's later status — naming the incident, the delivery, the subject
//! (by registry id, never by address), the channel, the SHA-256 of the exact content sent
//! ([`content_sha256`]), the templates fingerprint it was composed with, the provider's
//! message id, the time, and free `details` (JSON, no personal data). The ledger is a hash
//! chain with signed checkpoints, like the audit log (`crate::chain`), with its own head, so
//! the two never wait on each other.
//!
//! How the dispatcher records evidence, inside the transaction that moves the deliveries:
//!
//! ```ignore
//! use tocsin::evidence::{self, content_sha256, Entry, Event, Outcome};
//! let txn = db.begin().await?;
//! // … finalise the deliveries of this round …
//! let entries: Vec<Entry> = sent.iter().map(|s| {
//!     Entry::new(s.incident_id, s.delivery_id, s.subject_id, s.channel,
//!                Event::Attempt(Outcome::Sent), clock.now())
//!         .content(content_sha256(&s.subject, &s.text, s.html.as_deref()), &s.templates)
//!         .provider_ref(&s.message_id)
//!         .details(serde_json::json!({ "attempt": s.attempt, "smtp": 250 }))
//! }).collect();
//! evidence::append_batch(&txn, &entries).await?; // last: it holds the ledger head's lock
//! txn.commit().await?;
//! ```
//!
//! One batch costs one lock of the head, multi-row INSERTs of 500 rows, and one signature,
//! whatever its size. Exports: `GET /api/v1/incidents/{id}/ledger?format=json|csv` and
//! `tocsin ledger export`; `tocsin audit verify` checks the chain.
mod api;
pub mod export;
mod ledger;
mod store;

pub use api::routes;
pub use ledger::{content_sha256, entry_hash, ContentHash, Entry, Event, Outcome, ProviderStatus};
pub use store::{append, append_batch, verify, LedgerError};
