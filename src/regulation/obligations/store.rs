//! The only module that writes `obligations`. A recomputation upserts each obligation by its key
//! (what the rules say: authority, due time, status, why) and never touches who fulfilled it;
//! an obligation the rules no longer produce is kept, as not required, unless it was done.
use super::{Details, Fulfilment, Obligation, Status};
use crate::db::stmt;
use crate::domain::Corrupt;
use chrono::{DateTime, Utc};
use entity::obligation;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Value as DbValue,
};
use std::collections::BTreeMap;

/// What a recomputation writes for one obligation.
#[derive(Debug, Clone)]
pub struct Computed {
    pub key: String,
    pub jurisdiction: String,
    pub authority: Option<String>,
    pub authority_id: Option<String>,
    pub audience: String,
    pub due_at: Option<DateTime<Utc>>,
    pub status: Status,
    pub reason: String,
    pub verification: String,
    pub unverified: bool,
    pub details: Details,
    pub clock_started_at: Option<DateTime<Utc>>,
    pub keep_until: Option<DateTime<Utc>>,
}

fn parse(m: obligation::Model) -> Result<Obligation, Corrupt> {
    let details: Details = serde_json::from_str(&m.details).map_err(|_| Corrupt {
        what: "obligation's details",
        value: m.details.chars().take(32).collect(),
    })?;
    let fulfilled = match (m.fulfilled_at, m.fulfilled_how) {
        (Some(at), how) => Some(Fulfilment {
            at,
            by: m.fulfilled_by,
            how: how.unwrap_or_default(),
        }),
        (None, _) => None,
    };
    Ok(Obligation {
        id: m.id,
        incident_id: m.incident_id,
        key: m.key,
        jurisdiction: m.jurisdiction,
        authority: (!m.authority.is_empty()).then_some(m.authority),
        authority_id: m.authority_id,
        audience: m.audience,
        due_at: m.due_at,
        status: Status::from_stored(&m.status)?,
        reason: m.reason,
        verification: m.verification,
        unverified: m.unverified,
        clock_started_at: m.clock_started_at,
        keep_until: m.keep_until,
        fulfilled,
        details,
    })
}

/// The incident's obligations, by key order.
pub async fn list(db: &impl ConnectionTrait, incident_id: i64) -> Result<Vec<Obligation>, DbErr> {
    obligation::Entity::find()
        .filter(obligation::Column::IncidentId.eq(incident_id))
        .order_by_asc(obligation::Column::Key)
        .all(db)
        .await?
        .into_iter()
        .map(|m| parse(m).map_err(DbErr::from))
        .collect()
}

pub async fn find(
    db: &impl ConnectionTrait,
    incident_id: i64,
    id: i64,
) -> Result<Option<Obligation>, DbErr> {
    obligation::Entity::find_by_id(id)
        .filter(obligation::Column::IncidentId.eq(incident_id))
        .one(db)
        .await?
        .map(|m| parse(m).map_err(DbErr::from))
        .transpose()
}

/// One obligation by id, whichever incident.
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<Obligation>, DbErr> {
    obligation::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|m| parse(m).map_err(DbErr::from))
        .transpose()
}

/// Who fulfilled which of the incident's obligations, by key.
pub async fn fulfilments(
    db: &impl ConnectionTrait,
    incident_id: i64,
) -> Result<BTreeMap<String, Fulfilment>, DbErr> {
    Ok(list(db, incident_id)
        .await?
        .into_iter()
        .filter_map(|o| o.fulfilled.map(|f| (o.key, f)))
        .collect())
}

/// When each obligation was fulfilled, by key (the clocks that start when another is done).
pub async fn fulfilled(
    db: &impl ConnectionTrait,
    incident_id: i64,
) -> Result<BTreeMap<String, DateTime<Utc>>, DbErr> {
    Ok(fulfilments(db, incident_id)
        .await?
        .into_iter()
        .map(|(k, f)| (k, f.at))
        .collect())
}

const UPSERT: &str = "INSERT INTO obligations (incident_id, \"key\", jurisdiction, authority, \
    authority_id, audience, due_at, status, reason, verification, unverified, details, \
    clock_started_at, keep_until, created_at, updated_at) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
    ON CONFLICT (incident_id, \"key\") DO UPDATE SET jurisdiction = excluded.jurisdiction, \
    authority = excluded.authority, authority_id = excluded.authority_id, \
    audience = excluded.audience, due_at = excluded.due_at, status = excluded.status, \
    reason = excluded.reason, verification = excluded.verification, \
    unverified = excluded.unverified, details = excluded.details, \
    clock_started_at = excluded.clock_started_at, keep_until = excluded.keep_until, \
    updated_at = excluded.updated_at";

/// Writes what the rules say now; an obligation they no longer produce and that nobody
/// fulfilled becomes not required.
pub async fn reconcile(
    txn: &impl ConnectionTrait,
    incident_id: i64,
    computed: &[Computed],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let backend = txn.get_database_backend();
    for c in computed {
        let details = serde_json::to_string(&c.details)
            .map_err(|e| DbErr::Custom(format!("obligation details: {e}")))?;
        let values: Vec<DbValue> = vec![
            incident_id.into(),
            c.key.clone().into(),
            c.jurisdiction.clone().into(),
            c.authority.clone().unwrap_or_default().into(),
            c.authority_id.clone().into(),
            c.audience.clone().into(),
            c.due_at.into(),
            c.status.into(),
            c.reason.clone().into(),
            c.verification.clone().into(),
            c.unverified.into(),
            details.into(),
            c.clock_started_at.into(),
            c.keep_until.into(),
            now.into(),
            now.into(),
        ];
        txn.execute(stmt(backend, UPSERT, values)).await?;
    }
    let mut values: Vec<DbValue> = vec![
        Status::NotRequired.into(),
        "no longer applies: the incident, its population or the rules changed".into(),
        now.into(),
        incident_id.into(),
        Status::NotRequired.into(),
    ];
    let mut sql = "UPDATE obligations SET status = ?, reason = ?, due_at = NULL, updated_at = ? \
        WHERE incident_id = ? AND fulfilled_at IS NULL AND status <> ?"
        .to_owned();
    if !computed.is_empty() {
        sql.push_str(&format!(
            " AND \"key\" NOT IN ({})",
            vec!["?"; computed.len()].join(",")
        ));
        values.extend(computed.iter().map(|c| DbValue::from(c.key.clone())));
    }
    txn.execute(stmt(backend, &sql, values)).await?;
    Ok(())
}

/// Records who fulfilled an obligation, when and how, once: `false` when it already was.
pub async fn fulfil(
    txn: &impl ConnectionTrait,
    id: i64,
    f: &Fulfilment,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = txn
        .execute(stmt(
            txn.get_database_backend(),
            "UPDATE obligations SET fulfilled_at = ?, fulfilled_by = ?, fulfilled_how = ?, \
             updated_at = ? WHERE id = ? AND fulfilled_at IS NULL",
            [
                f.at.into(),
                f.by.into(),
                f.how.clone().into(),
                now.into(),
                id.into(),
            ],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Obligations due or overdue (not done) with a due time before `until`: what the reminders
/// look at (they keep those of open incidents).
pub async fn due_before(
    db: &impl ConnectionTrait,
    until: DateTime<Utc>,
) -> Result<Vec<Obligation>, DbErr> {
    obligation::Entity::find()
        .filter(obligation::Column::Status.is_in([Status::Due.as_str(), Status::Overdue.as_str()]))
        .filter(obligation::Column::FulfilledAt.is_null())
        .filter(obligation::Column::DueAt.lte(until))
        .order_by_asc(obligation::Column::DueAt)
        .all(db)
        .await?
        .into_iter()
        .map(|m| parse(m).map_err(DbErr::from))
        .collect()
}
