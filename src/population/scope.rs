//! Scoping an incident's affected population: by a list of external ids or a selector. The
//! result is a snapshot stored with the incident (who, why, jurisdiction and reachability at
//! that moment), so the evidence survives later edits of the registry.
use super::facts::PopulationFacts;
use super::store;
use crate::audit::Actor;
use crate::incidents::{self, record_event, IncidentError, Status};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::HashSet;

/// How many unknown ids a response lists (the count goes on).
const MAX_UNKNOWN_LISTED: usize = 1000;
const CHUNK: usize = 500;

/// Who is affected: explicit ids, or everyone matching a selector.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationRequest {
    pub external_ids: Option<Vec<String>>,
    pub selector: Option<Selector>,
    /// Why these people are affected (kept with each of them).
    pub reason: Option<String>,
}

/// Everyone in the registry who matches all given conditions.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    /// ISO 3166-1 alpha-2 codes.
    #[serde(default)]
    pub countries: Vec<String>,
    /// ISO 3166-2 codes.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Must be true to select the whole registry.
    #[serde(default)]
    pub all: bool,
}

#[derive(Debug, Serialize)]
pub struct PopulationSummary {
    /// People in the population (after this change).
    pub count: i64,
    /// People per country, and per region where one is known (`US`, `US-CA`); `unknown` when
    /// the country is not known.
    pub by_jurisdiction: Map<String, Value>,
    /// People with no contact point on any of the incident's channels.
    pub unreachable: i64,
    /// People this request added.
    pub added: u64,
    pub unknown: Vec<String>,
    pub unknown_count: usize,
    pub dry_run: bool,
}

/// What can go wrong scoping a population (mapped to HTTP in `crate::error`).
#[derive(Debug, thiserror::Error)]
pub enum PopulationError {
    #[error(transparent)]
    Incident(#[from] IncidentError),
    /// 409 `incident_closed`
    #[error("the incident is closed")]
    Closed,
    /// 409 `already_dispatched`
    #[error("notices of this incident were already dispatched; people found later need a follow-up incident")]
    AlreadyDispatched,
    /// 400 `invalid_body`
    #[error("send either {{\"external_ids\": [...]}} or {{\"selector\": {{...}}}}")]
    Ambiguous,
    /// 422: field → reason.
    #[error("invalid fields")]
    Invalid(Vec<(String, String)>),
    /// 500
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl PopulationError {
    fn field(field: &str, reason: &str) -> PopulationError {
        PopulationError::Invalid(vec![(field.into(), reason.into())])
    }
}

/// Adds people to an incident's population, under the incident's row lock. With `dry_run`,
/// does the same work in a transaction that is rolled back, so the counts are exactly what a
/// real run would give. A change makes any composition stale (the incident's content version
/// moves), and the timeline says so when the notices were approved.
pub async fn set_population(
    db: &DatabaseConnection,
    actor: &Actor,
    incident_id: i64,
    req: PopulationRequest,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<PopulationSummary, PopulationError> {
    let reason = req.reason.unwrap_or_default().trim().to_owned();
    if reason.chars().count() > 500 {
        return Err(PopulationError::field(
            "reason",
            "must be at most 500 characters",
        ));
    }
    let txn = db.begin().await?;
    let inc = incidents::store::lock(&txn, incident_id).await?;
    if inc.status == Status::Closed {
        return Err(PopulationError::Closed);
    }
    if inc.notices.dispatched_at.is_some() {
        return Err(PopulationError::AlreadyDispatched);
    }
    let (added, unknown, unknown_count, source) = match (req.external_ids, req.selector) {
        (Some(ids), None) => {
            let (added, unknown, n) = add_ids(&txn, incident_id, ids, &reason, now).await?;
            (added, unknown, n, "external_ids")
        }
        (None, Some(sel)) => (
            add_selected(&txn, incident_id, sel, &reason, now).await?,
            vec![],
            0,
            "selector",
        ),
        _ => return Err(PopulationError::Ambiguous),
    };
    let facts = PopulationFacts::load(&txn, incident_id).await?;
    let unreachable = store::unreachable(&txn, incident_id, &inc.channels).await?;
    let summary = PopulationSummary {
        count: facts.total as i64,
        by_jurisdiction: facts.by_jurisdiction(),
        unreachable,
        added,
        unknown,
        unknown_count,
        dry_run,
    };
    if dry_run {
        txn.rollback().await?;
        return Ok(summary);
    }
    if added > 0 {
        incidents::store::population_changed(&txn, incident_id, now).await?;
        record_event(
            &txn,
            incident_id,
            actor,
            "population_changed",
            json!({ "source": source, "added": added, "count": summary.count, "unknown": unknown_count, "reason": reason }),
        )
        .await?;
        if inc.notices.composition.is_some() {
            record_event(
                &txn,
                incident_id,
                actor,
                "approval_withdrawn",
                json!({ "reason": "the population changed; compose the notices again", "was_approved": inc.is_approved() }),
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(summary)
}

async fn add_ids(
    txn: &DatabaseTransaction,
    incident_id: i64,
    ids: Vec<String>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(u64, Vec<String>, usize), PopulationError> {
    if ids.is_empty() {
        return Err(PopulationError::field(
            "external_ids",
            "must list at least one id",
        ));
    }
    let mut seen: HashSet<String> = HashSet::with_capacity(ids.len());
    let ids: Vec<String> = ids
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| seen.insert(s.clone()))
        .collect();
    let mut unknown = Vec::new();
    let mut unknown_count = 0usize;
    let mut added = 0u64;
    for chunk in ids.chunks(CHUNK) {
        let (n, missing) = store::add_by_ids(txn, incident_id, chunk, reason, now).await?;
        added += n;
        unknown_count += missing.len();
        let room = MAX_UNKNOWN_LISTED.saturating_sub(unknown.len());
        unknown.extend(missing.into_iter().take(room));
    }
    Ok((added, unknown, unknown_count))
}

/// A selector's list, normalised; each bad entry is named under `selector.<field>`.
fn codes(
    field: &str,
    given: &[String],
    errors: &mut Vec<(String, String)>,
    normalise: impl Fn(&str) -> Result<String, crate::domain::Invalid>,
) -> Vec<String> {
    let mut codes = Vec::with_capacity(given.len());
    for g in given {
        match normalise(g) {
            Ok(c) => codes.push(c),
            Err(e) => errors.push((format!("selector.{field}"), e.0)),
        }
    }
    codes
}

async fn add_selected(
    txn: &DatabaseTransaction,
    incident_id: i64,
    sel: Selector,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, PopulationError> {
    let mut errors = Vec::new();
    let countries = codes("countries", &sel.countries, &mut errors, |c| {
        crate::domain::Country::parse(c).map(|c| c.as_str().to_owned())
    });
    let regions = codes("regions", &sel.regions, &mut errors, |r| {
        crate::domain::Region::parse(r).map(|r| r.as_str().to_owned())
    });
    if !errors.is_empty() {
        return Err(PopulationError::Invalid(errors));
    }
    if countries.is_empty() && regions.is_empty() && !sel.all {
        return Err(PopulationError::field(
            "selector",
            "name countries or regions, or set \"all\": true to select the whole registry",
        ));
    }
    Ok(store::add_selected(txn, incident_id, countries, regions, reason, now).await?)
}
