//! Obligations: who must be told, by when, with what — for one incident, from the jurisdiction
//! rules (`playbooks::jurisdictions`), the organisation, the incident's clock starts and risk
//! assessment, and its population counted by where people live (`population::facts`).
//!
//! Recomputed on read, and stored: `refresh` reads the facts, evaluates the rules and writes the
//! result to `obligations` (one row per key, fulfilment kept) in one transaction under the
//! incident's row lock, then the rows are read back. Reading recomputes because the answer
//! moves with things no incident or population use case sees — the clock (due → overdue, a
//! public notice's time running out), announcements and deliveries (substitute notice), rules
//! reloaded at start-up — and because incidents and population must not call regulation
//! (regulation reads them; nothing points back). The reminder timer refreshes open incidents
//! the same way before it looks for deadlines, so the stored rows are never older than a tick.
//!
//! `gather` collects the facts, `store` alone writes the table, `refresh` holds the use cases
//! (read, mark done), `api` the routes, `reminders` the e-mails before and after each deadline.
mod api;
pub mod console;
pub(crate) mod gather;
pub mod refresh;
pub mod reminders;
pub mod store;

pub use api::routes;
pub use refresh::{mark_done, obligations, Done, ObligationError};

use crate::domain::text_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

text_enum! {
    /// Where an obligation stands.
    pub enum Status ("an obligation status") {
        /// To do; `due_at` is the limit, or null where the law fixes none.
        Due = "due",
        /// Its due time passed and it is not done.
        Overdue = "overdue",
        Done = "done",
        /// The rules considered it and it does not apply (`reason` says why).
        NotRequired = "not_required",
        /// Its clock has not started (`waiting_for` says on what).
        Waiting = "waiting",
        /// A public notice that is up and must stay up until `keep_until`.
        Ongoing = "ongoing",
    }
}

/// Who fulfilled an obligation, when and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fulfilment {
    pub at: DateTime<Utc>,
    /// The account that recorded it; null when Tocsin saw it done (a published announcement).
    pub by: Option<i64>,
    pub how: String,
}

/// What the rules said about an obligation, kept with it (`obligations.details`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Details {
    pub regime_name: String,
    pub title: String,
    /// Why it applies, or why not: the rule and the facts.
    pub reasons: Vec<String>,
    /// Presumptions, unverified routes, missing holiday years.
    pub notes: Vec<String>,
    /// The deadline in words ("72 hours from awareness").
    pub deadline: String,
    pub qualifier: Option<String>,
    pub clock_start: String,
    /// What the clock waits for, when it has not started.
    pub waiting_for: Option<String>,
    pub source: String,
    pub contents: Vec<String>,
    pub optional_contents: Vec<String>,
    pub keep_days: Option<u32>,
    pub substitute_for: Option<String>,
}

/// One obligation as the API shows it: API.md's `{jurisdiction, authority, audience, due_at,
/// status, reason}` and the rest of what Tocsin knows about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Obligation {
    pub id: i64,
    pub incident_id: i64,
    /// `REGIME/obligation[/…]`: stable across recomputations.
    pub key: String,
    /// The regime id.
    pub jurisdiction: String,
    /// The authority's name, or who to tell in words; null when there is no one to name.
    pub authority: Option<String>,
    pub authority_id: Option<String>,
    pub audience: String,
    pub due_at: Option<DateTime<Utc>>,
    pub status: Status,
    /// Why it applies (or why not), in one line.
    pub reason: String,
    /// The rule's verification tag (REGULATIONS.md §0).
    pub verification: String,
    /// Tagged `U`: say so wherever it is used.
    pub unverified: bool,
    pub clock_started_at: Option<DateTime<Utc>>,
    /// A public notice must stay up until then.
    pub keep_until: Option<DateTime<Utc>>,
    pub fulfilled: Option<Fulfilment>,
    #[serde(flatten)]
    pub details: Details,
}

impl Obligation {
    /// Sorted by due time, those without one last, then by key.
    pub fn sort(list: &mut [Obligation]) {
        list.sort_by(|a, b| {
            (a.due_at.is_none(), a.due_at, &a.key).cmp(&(b.due_at.is_none(), b.due_at, &b.key))
        });
    }
}
