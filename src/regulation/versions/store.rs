//! The `report_versions` table: the only code that reads or writes it.
use crate::regulation::forms::VersionKind;
use chrono::{DateTime, Utc};
use entity::report_version;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use serde::Serialize;

/// A stored version as the API lists it (the document itself is fetched by rendering it).
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    #[serde(skip)]
    pub id: i64,
    pub incident_id: i64,
    pub regime: String,
    pub version: i32,
    pub kind: VersionKind,
    /// SHA-256 of the version's JSON rendering.
    pub sha256: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub submitted_by: Option<i64>,
    pub submitted_how: Option<String>,
    /// How many fields it left missing.
    pub missing: usize,
    #[serde(skip)]
    pub document: String,
}

fn version(m: report_version::Model) -> Result<Version, DbErr> {
    let missing = serde_json::from_str::<serde_json::Value>(&m.document)
        .ok()
        .and_then(|v| v["missing"].as_array().map(Vec::len))
        .unwrap_or(0);
    Ok(Version {
        id: m.id,
        incident_id: m.incident_id,
        regime: m.regime,
        version: m.version,
        kind: VersionKind::from_stored(&m.kind)?,
        sha256: m.sha256,
        created_by: m.created_by,
        created_at: m.created_at,
        submitted_at: m.submitted_at,
        submitted_by: m.submitted_by,
        submitted_how: m.submitted_how,
        missing,
        document: m.document,
    })
}

pub async fn list(
    db: &impl ConnectionTrait,
    incident_id: i64,
    regime: &str,
) -> Result<Vec<Version>, DbErr> {
    report_version::Entity::find()
        .filter(report_version::Column::IncidentId.eq(incident_id))
        .filter(report_version::Column::Regime.eq(regime))
        .order_by_asc(report_version::Column::Version)
        .all(db)
        .await?
        .into_iter()
        .map(version)
        .collect()
}

pub async fn find(
    db: &impl ConnectionTrait,
    incident_id: i64,
    regime: &str,
    n: i32,
) -> Result<Option<Version>, DbErr> {
    report_version::Entity::find()
        .filter(report_version::Column::IncidentId.eq(incident_id))
        .filter(report_version::Column::Regime.eq(regime))
        .filter(report_version::Column::Version.eq(n))
        .one(db)
        .await?
        .map(version)
        .transpose()
}

/// How many versions a regime's report has, and when one was first submitted.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub count: usize,
    pub first_submitted_at: Option<DateTime<Utc>>,
}

pub async fn summary(
    db: &impl ConnectionTrait,
    incident_id: i64,
    regime: &str,
) -> Result<History, DbErr> {
    let all = list(db, incident_id, regime).await?;
    Ok(History {
        count: all.len(),
        first_submitted_at: all.iter().filter_map(|v| v.submitted_at).min(),
    })
}

pub struct New<'a> {
    pub incident_id: i64,
    pub regime: &'a str,
    pub version: i32,
    pub kind: VersionKind,
    pub document: String,
    pub sha256: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(db: &impl ConnectionTrait, n: New<'_>) -> Result<Version, DbErr> {
    let m = report_version::ActiveModel {
        incident_id: Set(n.incident_id),
        regime: Set(n.regime.to_owned()),
        version: Set(n.version),
        kind: Set(n.kind.as_str().to_owned()),
        document: Set(n.document),
        sha256: Set(n.sha256),
        created_by: Set(n.created_by),
        created_at: Set(n.created_at),
        submitted_at: Set(None),
        submitted_by: Set(None),
        submitted_how: Set(None),
        submission_recorded_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    version(m)
}

/// Records the submission once: false when the version was already submitted.
pub async fn submit(
    db: &impl ConnectionTrait,
    id: i64,
    at: DateTime<Utc>,
    by: Option<i64>,
    how: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let r = report_version::Entity::update_many()
        .col_expr(report_version::Column::SubmittedAt, Expr::value(at))
        .col_expr(report_version::Column::SubmittedBy, Expr::value(by))
        .col_expr(report_version::Column::SubmittedHow, Expr::value(how))
        .col_expr(
            report_version::Column::SubmissionRecordedAt,
            Expr::value(now),
        )
        .filter(report_version::Column::Id.eq(id))
        .filter(report_version::Column::SubmittedAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}
