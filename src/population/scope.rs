//! Scoping an incident's affected population: by a list of external ids or a selector. The
//! result is a snapshot stored with the incident (who, why, jurisdiction and reachability at
//! that moment), so the evidence survives later edits of the registry.
use crate::audit::Actor;
use crate::db::stmt;
use crate::error::{AppError, AppResult};
use crate::incidents::{self, record_event};
use crate::web::AppState;
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait, Value as DbValue};
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

/// Adds people to an incident's population. With `dry_run`, does the same work in a
/// transaction that is rolled back, so the counts are exactly what a real run would give.
pub async fn set_population(
    state: &AppState,
    actor: &Actor,
    incident_id: i64,
    req: PopulationRequest,
    dry_run: bool,
) -> AppResult<PopulationSummary> {
    let reason = req.reason.unwrap_or_default().trim().to_owned();
    if reason.chars().count() > 500 {
        return Err(AppError::field("reason", "must be at most 500 characters"));
    }
    let txn = state.db.begin().await?;
    let inc = incidents::find(&txn, incident_id).await?;
    if inc.status == "closed" {
        return Err(AppError::conflict(
            "incident_closed",
            "the incident is closed",
        ));
    }
    if inc.dispatched_at.is_some() {
        return Err(AppError::conflict(
            "already_dispatched",
            "notices of this incident were already dispatched; people found later need a follow-up incident",
        ));
    }
    let now = crate::audit::now();
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
        _ => {
            return Err(AppError::bad_request(
                "invalid_body",
                "send either {\"external_ids\": [...]} or {\"selector\": {...}}",
            ))
        }
    };
    let channels = incidents::list(&inc.channels);
    let (count, by_jurisdiction, unreachable) = summarise(&txn, incident_id, &channels).await?;
    let summary = PopulationSummary {
        count,
        by_jurisdiction,
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
        record_event(
            &txn,
            incident_id,
            actor,
            "population_changed",
            json!({ "source": source, "added": added, "count": count, "unknown": unknown_count, "reason": reason }),
        )
        .await?;
        // Notices composed for the old population no longer cover everyone.
        if inc.composed_at.is_some() {
            let backend = txn.get_database_backend();
            txn.execute(stmt(
                backend,
                "UPDATE incidents SET composed_at = NULL, composed_version = 0, approved_at = NULL, approved_by = NULL WHERE id = ?",
                [incident_id.into()],
            ))
            .await?;
            record_event(
                &txn,
                incident_id,
                actor,
                "approval_withdrawn",
                json!({ "reason": "the population changed; compose the notices again" }),
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(summary)
}

const INSERT_FROM_SUBJECTS: &str = "INSERT INTO incident_population \
    (incident_id, subject_id, external_id, country, region, has_email, has_phone, has_push, reason, added_at) \
    SELECT ?, s.id, s.external_id, s.country, s.region, s.email IS NOT NULL, s.phone IS NOT NULL, \
    EXISTS (SELECT 1 FROM subject_devices d WHERE d.subject_id = s.id), ?, ? FROM subjects s WHERE ";

async fn add_ids(
    txn: &DatabaseTransaction,
    incident_id: i64,
    ids: Vec<String>,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<(u64, Vec<String>, usize)> {
    if ids.is_empty() {
        return Err(AppError::field("external_ids", "must list at least one id"));
    }
    let backend = txn.get_database_backend();
    let mut seen: HashSet<String> = HashSet::with_capacity(ids.len());
    let mut unknown = Vec::new();
    let mut unknown_count = 0usize;
    let mut added = 0u64;
    let ids: Vec<String> = ids
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| seen.insert(s.clone()))
        .collect();
    for chunk in ids.chunks(CHUNK) {
        let marks = vec!["?"; chunk.len()].join(",");
        let values: Vec<DbValue> = chunk.iter().map(|s| s.clone().into()).collect();
        let found: HashSet<String> = txn
            .query_all(stmt(
                backend,
                &format!("SELECT external_id FROM subjects WHERE external_id IN ({marks})"),
                values.clone(),
            ))
            .await?
            .into_iter()
            .filter_map(|r| r.try_get::<String>("", "external_id").ok())
            .collect();
        for id in chunk.iter().filter(|id| !found.contains(*id)) {
            unknown_count += 1;
            if unknown.len() < MAX_UNKNOWN_LISTED {
                unknown.push(id.clone());
            }
        }
        let mut params: Vec<DbValue> = vec![incident_id.into(), reason.into(), now.into()];
        params.extend(values);
        let sql = format!(
            "{INSERT_FROM_SUBJECTS} s.external_id IN ({marks}) ON CONFLICT (incident_id, subject_id) DO NOTHING"
        );
        added += txn
            .execute(stmt(backend, &sql, params))
            .await?
            .rows_affected();
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
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<u64> {
    let mut conditions: Vec<String> = Vec::new();
    let mut params: Vec<DbValue> = vec![incident_id.into(), reason.into(), now.into()];
    let mut errors = Vec::new();
    let countries = codes("countries", &sel.countries, &mut errors, |c| {
        crate::domain::Country::parse(c).map(|c| c.as_str().to_owned())
    });
    let regions = codes("regions", &sel.regions, &mut errors, |r| {
        crate::domain::Region::parse(r).map(|r| r.as_str().to_owned())
    });
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    for (column, codes) in [("country", countries), ("region", regions)] {
        if !codes.is_empty() {
            conditions.push(format!(
                "s.{column} IN ({})",
                vec!["?"; codes.len()].join(",")
            ));
            params.extend(codes.into_iter().map(DbValue::from));
        }
    }
    if conditions.is_empty() {
        if !sel.all {
            return Err(AppError::field(
                "selector",
                "name countries or regions, or set \"all\": true to select the whole registry",
            ));
        }
        conditions.push("1 = 1".into());
    }
    let sql = format!(
        "{INSERT_FROM_SUBJECTS} {} ON CONFLICT (incident_id, subject_id) DO NOTHING",
        conditions.join(" AND ")
    );
    let backend = txn.get_database_backend();
    Ok(txn
        .execute(stmt(backend, &sql, params))
        .await?
        .rows_affected())
}

/// Count, per-jurisdiction counts and unreachable count, computed in SQL.
pub async fn summarise(
    db: &impl ConnectionTrait,
    incident_id: i64,
    channels: &[String],
) -> Result<(i64, Map<String, Value>, i64), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all(stmt(
            backend,
            "SELECT country, region, COUNT(*) AS n FROM incident_population WHERE incident_id = ? \
             GROUP BY country, region ORDER BY country, region",
            [incident_id.into()],
        ))
        .await?;
    let mut by = Map::new();
    let mut total = 0i64;
    for r in rows {
        let country: Option<String> = r.try_get("", "country")?;
        let region: Option<String> = r.try_get("", "region")?;
        let n: i64 = r.try_get("", "n")?;
        total += n;
        let c = country.unwrap_or_else(|| "unknown".into());
        let cur = by.get(&c).and_then(Value::as_i64).unwrap_or(0);
        by.insert(c, json!(cur + n));
        if let Some(region) = region {
            by.insert(region, json!(n));
        }
    }
    let usable: Vec<&str> = channels
        .iter()
        .filter_map(|c| match c.as_str() {
            "email" => Some("has_email"),
            "sms" => Some("has_phone"),
            "push" => Some("has_push"),
            _ => None,
        })
        .collect();
    let reachable = if usable.is_empty() {
        "1 = 0".to_string()
    } else {
        usable.join(" OR ")
    };
    let row = db
        .query_one(stmt(
            backend,
            &format!(
                "SELECT COUNT(*) AS n FROM incident_population WHERE incident_id = ? AND NOT ({reachable})"
            ),
            [incident_id.into()],
        ))
        .await?;
    let unreachable = match row {
        Some(r) => r.try_get::<i64>("", "n")?,
        None => 0,
    };
    Ok((total, by, unreachable))
}
