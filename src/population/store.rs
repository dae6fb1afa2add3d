//! The only module that writes `incident_population`, and the population's reads of the
//! subjects registry. (The registry itself is written by the import, in `import` and
//! `sqlite_bulk`.)
use crate::db::stmt;
use crate::domain::Channel;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value as DbValue};
use std::collections::HashSet;

/// Snapshot of each subject's jurisdiction, reachability and locale as they are now.
const INSERT_FROM_SUBJECTS: &str = "INSERT INTO incident_population \
    (incident_id, subject_id, external_id, country, region, has_email, has_phone, has_push, locale, reason, added_at) \
    SELECT ?, s.id, s.external_id, s.country, s.region, s.email IS NOT NULL, s.phone IS NOT NULL, \
    EXISTS (SELECT 1 FROM subject_devices d WHERE d.subject_id = s.id), s.locale, ?, ? FROM subjects s WHERE ";

/// Adds the subjects with these external ids; returns how many were added and which of the
/// ids are not in the registry.
pub async fn add_by_ids(
    txn: &impl ConnectionTrait,
    incident_id: i64,
    ids: &[String],
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(u64, Vec<String>), DbErr> {
    let backend = txn.get_database_backend();
    let marks = vec!["?"; ids.len()].join(",");
    let values: Vec<DbValue> = ids.iter().map(|s| s.clone().into()).collect();
    let found: HashSet<String> = txn
        .query_all(stmt(
            backend,
            &format!("SELECT external_id FROM subjects WHERE external_id IN ({marks})"),
            values.clone(),
        ))
        .await?
        .into_iter()
        .map(|r| r.try_get::<String>("", "external_id"))
        .collect::<Result<_, _>>()?;
    let unknown = ids
        .iter()
        .filter(|id| !found.contains(*id))
        .cloned()
        .collect();
    let mut params: Vec<DbValue> = vec![incident_id.into(), reason.into(), now.into()];
    params.extend(values);
    let sql = format!(
        "{INSERT_FROM_SUBJECTS} s.external_id IN ({marks}) ON CONFLICT (incident_id, subject_id) DO NOTHING"
    );
    let added = txn
        .execute(stmt(backend, &sql, params))
        .await?
        .rows_affected();
    Ok((added, unknown))
}

/// Adds every subject whose country is one of `countries` and region one of `regions` (an
/// empty list does not filter; both empty selects everyone).
pub async fn add_selected(
    txn: &impl ConnectionTrait,
    incident_id: i64,
    countries: Vec<String>,
    regions: Vec<String>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut conditions: Vec<String> = Vec::new();
    let mut params: Vec<DbValue> = vec![incident_id.into(), reason.into(), now.into()];
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

/// The SQL condition "has a contact point on one of `channels`" over the snapshot's columns
/// (false when there are no channels). Built from fixed column names only.
fn reachable_on(channels: &[Channel]) -> String {
    let usable: Vec<&str> = channels
        .iter()
        .map(|c| match c {
            Channel::Email => "has_email",
            Channel::Sms => "has_phone",
            Channel::Push => "has_push",
        })
        .collect();
    if usable.is_empty() {
        "1 = 0".to_string()
    } else {
        usable.join(" OR ")
    }
}

/// People in the population with no contact point on any of `channels` (as snapshotted).
pub async fn unreachable(
    db: &impl ConnectionTrait,
    incident_id: i64,
    channels: &[Channel],
) -> Result<i64, DbErr> {
    let reachable = reachable_on(channels);
    let row = db
        .query_one(stmt(
            db.get_database_backend(),
            &format!(
                "SELECT COUNT(*) AS n FROM incident_population WHERE incident_id = ? AND NOT ({reachable})"
            ),
            [incident_id.into()],
        ))
        .await?;
    row.map(|r| r.try_get::<i64>("", "n"))
        .transpose()
        .map(|n| n.unwrap_or(0))
}

/// Everyone in the population and those with no contact point on any of `channels` (as
/// snapshotted), by where they live, in one pass over the incident's range of
/// `idx_incident_population_reach` (which holds every column read): `(country, region,
/// people, unreachable)` groups. `PopulationFacts::from_groups` folds either count (the
/// obligations read both before dispatch).
pub async fn groups_with_unreachable(
    db: &impl ConnectionTrait,
    incident_id: i64,
    channels: &[Channel],
) -> Result<Vec<(Option<String>, Option<String>, i64, i64)>, DbErr> {
    let reachable = reachable_on(channels);
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            &format!(
                "SELECT country, region, COUNT(*) AS n, \
                 SUM(CASE WHEN {reachable} THEN 0 ELSE 1 END) AS u FROM incident_population \
                 WHERE incident_id = ? GROUP BY country, region"
            ),
            [incident_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("", "country")?,
                r.try_get("", "region")?,
                r.try_get("", "n")?,
                r.try_get::<Option<i64>>("", "u")?.unwrap_or(0),
            ))
        })
        .collect()
}

/// A person in an incident's population, with what notices need of them now.
#[derive(Debug, Clone)]
pub struct Person {
    /// Position in the population (batches page on it).
    pub position: i64,
    pub subject_id: i64,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub locale: Option<String>,
    /// Where they live (as snapshotted with the population; the registry's for a subject
    /// looked up outside it): the notice variant their jurisdiction requires.
    pub country: Option<String>,
    pub region: Option<String>,
}

/// The next `limit` people of the population after `position`, in order.
pub async fn people(
    db: &impl ConnectionTrait,
    incident_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<Person>, DbErr> {
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            "SELECT p.id AS pid, s.id AS sid, s.name, s.email, s.phone, s.locale, p.country, \
             p.region FROM incident_population p JOIN subjects s ON s.id = p.subject_id \
             WHERE p.incident_id = ? AND p.id > ? ORDER BY p.id LIMIT ?",
            [incident_id.into(), after.into(), limit.into()],
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Person {
                position: r.try_get("", "pid")?,
                subject_id: r.try_get("", "sid")?,
                name: r.try_get("", "name")?,
                email: r.try_get("", "email")?,
                phone: r.try_get("", "phone")?,
                locale: r.try_get("", "locale")?,
                country: r.try_get("", "country")?,
                region: r.try_get("", "region")?,
            })
        })
        .collect()
}

/// The subject with this external id, if any: its id, name and locale.
pub async fn subject_by_external_id(
    db: &impl ConnectionTrait,
    external_id: &str,
) -> Result<Option<Person>, DbErr> {
    let row = db
        .query_one(stmt(
            db.get_database_backend(),
            "SELECT id, name, email, phone, locale, country, region FROM subjects \
             WHERE external_id = ?",
            [external_id.into()],
        ))
        .await?;
    row.map(|r| {
        Ok(Person {
            position: 0,
            subject_id: r.try_get("", "id")?,
            name: r.try_get("", "name")?,
            email: r.try_get("", "email")?,
            phone: r.try_get("", "phone")?,
            locale: r.try_get("", "locale")?,
            country: r.try_get("", "country")?,
            region: r.try_get("", "region")?,
        })
    })
    .transpose()
}

/// The live (not dead) push devices of these subjects.
pub async fn live_devices(
    db: &impl ConnectionTrait,
    subject_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<i64>>, DbErr> {
    let mut out: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    if subject_ids.is_empty() {
        return Ok(out);
    }
    let marks = vec!["?"; subject_ids.len()].join(",");
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            &format!(
                "SELECT id, subject_id FROM subject_devices WHERE dead_at IS NULL AND subject_id IN ({marks}) ORDER BY id"
            ),
            subject_ids.iter().map(|&s| DbValue::from(s)),
        ))
        .await?;
    for r in rows {
        out.entry(r.try_get("", "subject_id")?)
            .or_default()
            .push(r.try_get("", "id")?);
    }
    Ok(out)
}

/// A push device as the push transport sends to it.
pub struct DeviceRow {
    pub id: i64,
    pub platform: String,
    pub token: String,
}

/// These devices, those not dead.
pub async fn devices(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<DeviceRow>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; ids.len()].join(",");
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            &format!(
                "SELECT id, platform, token FROM subject_devices WHERE dead_at IS NULL AND id IN ({marks})"
            ),
            ids.iter().map(|&s| DbValue::from(s)),
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(DeviceRow {
                id: r.try_get("", "id")?,
                platform: r.try_get("", "platform")?,
                token: r.try_get("", "token")?,
            })
        })
        .collect()
}

/// Marks push devices dead (unregistered, invalid): they are never used again.
pub async fn mark_devices_dead(
    db: &impl ConnectionTrait,
    ids: &[i64],
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    let marks = vec!["?"; ids.len()].join(",");
    let mut params: Vec<DbValue> = vec![now.into(), reason.into()];
    params.extend(ids.iter().map(|&s| DbValue::from(s)));
    db.execute(stmt(
        db.get_database_backend(),
        &format!(
            "UPDATE subject_devices SET dead_at = ?, dead_reason = ? WHERE dead_at IS NULL AND id IN ({marks})"
        ),
        params,
    ))
    .await?;
    Ok(())
}

/// The first person (by position) of each locale in an incident's population, up to `limit`
/// locales, as `(external id, locale)`: whose notices the console previews side by side.
///
/// Locales are those snapshotted when each person was added. A handful of index seeks on
/// `idx_incident_population_locale` (incident, locale, id), however large the population: the
/// distinct locales one after the other (a loose index scan, written as a recursive query that
/// both databases run), the first position of each and of the people without a locale; no
/// grouping of the population.
pub async fn samples_by_locale(
    db: &impl ConnectionTrait,
    incident_id: i64,
    limit: i64,
) -> Result<Vec<(String, Option<String>)>, DbErr> {
    let backend = db.get_database_backend();
    let firsts = db
        .query_all(stmt(
            backend,
            "WITH RECURSIVE l(locale) AS ( \
               SELECT (SELECT q.locale FROM incident_population q WHERE q.incident_id = ? \
                       AND q.locale IS NOT NULL ORDER BY q.locale LIMIT 1) \
               UNION ALL \
               SELECT (SELECT q.locale FROM incident_population q WHERE q.incident_id = ? \
                       AND q.locale > l.locale ORDER BY q.locale LIMIT 1) \
               FROM l WHERE l.locale IS NOT NULL) \
             SELECT (SELECT q.id FROM incident_population q WHERE q.incident_id = ? \
                     AND q.locale = l.locale ORDER BY q.id LIMIT 1) AS first \
             FROM l WHERE l.locale IS NOT NULL \
             UNION ALL \
             SELECT (SELECT q.id FROM incident_population q WHERE q.incident_id = ? \
                     AND q.locale IS NULL ORDER BY q.id LIMIT 1) AS first",
            [
                incident_id.into(),
                incident_id.into(),
                incident_id.into(),
                incident_id.into(),
            ],
        ))
        .await?;
    let mut firsts: Vec<i64> = firsts
        .into_iter()
        .map(|r| r.try_get::<Option<i64>>("", "first"))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    firsts.sort_unstable();
    firsts.truncate(usize::try_from(limit).unwrap_or(0));
    if firsts.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; firsts.len()].join(",");
    let rows = db
        .query_all(stmt(
            backend,
            &format!(
                "SELECT p.external_id, s.locale FROM incident_population p \
                 JOIN subjects s ON s.id = p.subject_id WHERE p.id IN ({marks}) ORDER BY p.id"
            ),
            firsts.into_iter().map(DbValue::from),
        ))
        .await?;
    rows.into_iter()
        .map(|r| Ok((r.try_get("", "external_id")?, r.try_get("", "locale")?)))
        .collect()
}
