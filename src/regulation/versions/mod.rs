//! Versions of a regime's report: the initial, follow-up and final reports kept as the exact
//! documents they were, each with its SHA-256, who saved it and when, and — once — when and how
//! it was submitted; a stored version renders in any format exactly as saved, and two versions
//! compare field by field. Every change is on the incident's timeline and in the audit log.
mod api;
pub mod store;

pub use api::routes;

use super::document::Document;
use super::forms::VersionKind;
use super::report::{self, Build, Format, Regime, ReportError};
use crate::audit::Actor;
use crate::error::AppError;
use crate::incidents;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use store::Version;

/// How far in the future a submission may be dated (clock skew).
const FUTURE_SLACK_MINUTES: i64 = 5;

/// The body of `POST …/versions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveRequest {
    pub kind: String,
}

/// Saves the regime's report as it stands now as the next version. The first version must be
/// the initial report; a follow-up needs one before it.
pub async fn save(
    db: &DatabaseConnection,
    b: &Build<'_>,
    incident_id: i64,
    regime: &Regime,
    req: SaveRequest,
    actor: &Actor,
) -> Result<Version, ReportError> {
    let kind = VersionKind::parse(&req.kind).map_err(|e| ReportError::Invalid {
        field: "kind",
        reason: e.0,
    })?;
    let txn = db.begin().await?;
    // The incident's row lock orders concurrent saves: version numbers never collide.
    let incident = incidents::store::lock(&txn, incident_id)
        .await
        .map_err(AppError::from)?;
    let existing = store::list(&txn, incident_id, &regime.id).await?;
    match (kind, existing.is_empty()) {
        (VersionKind::Initial, false) => return Err(ReportError::Invalid {
            field: "kind",
            reason:
                "the initial report is version 1, saved already; save a follow_up or final report"
                    .into(),
        }),
        (VersionKind::FollowUp, true) => {
            return Err(ReportError::Invalid {
                field: "kind",
                reason: "a follow-up needs an earlier report: save the initial report first".into(),
            })
        }
        _ => {}
    }
    let build = Build {
        kind: Some(kind),
        ..*b
    };
    let doc = report::document(&txn, &build, regime, &incident).await?;
    let bytes = super::render::json(&doc).map_err(|e| AppError::Internal(e.into()))?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let number = existing.last().map_or(1, |v| v.version + 1);
    let v = store::insert(
        &txn,
        store::New {
            incident_id,
            regime: &regime.id,
            version: number,
            kind,
            document: String::from_utf8(bytes).map_err(|e| AppError::Internal(e.into()))?,
            sha256: sha256.clone(),
            created_by: actor.account_id(),
            created_at: b.now,
        },
    )
    .await?;
    incidents::record_event(
        &txn,
        incident_id,
        actor,
        "report_version_saved",
        json!({
            "regime": regime.id,
            "version": number,
            "kind": kind,
            "sha256": sha256,
            "missing": doc.missing.len(),
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(v)
}

pub async fn list(
    db: &DatabaseConnection,
    incident_id: i64,
    regime: &Regime,
) -> Result<Vec<Version>, ReportError> {
    incidents::find(db, incident_id)
        .await
        .map_err(AppError::from)?;
    Ok(store::list(db, incident_id, &regime.id).await?)
}

async fn one(
    db: &DatabaseConnection,
    incident_id: i64,
    regime: &Regime,
    n: i32,
) -> Result<Version, ReportError> {
    incidents::find(db, incident_id)
        .await
        .map_err(AppError::from)?;
    store::find(db, incident_id, &regime.id, n)
        .await?
        .ok_or(ReportError::VersionNotFound(n))
}

fn stored_document(v: &Version) -> Result<Document, ReportError> {
    serde_json::from_str(&v.document).map_err(|e| {
        ReportError::App(AppError::Internal(anyhow::anyhow!(
            "report version {} is not a document: {e}",
            v.version
        )))
    })
}

/// A stored version rendered in a format: JSON gives back the exact bytes saved.
pub async fn render(
    db: &DatabaseConnection,
    incident_id: i64,
    regime: &Regime,
    n: i32,
    format: Format,
    fonts: &super::pdf::Fonts,
) -> Result<Vec<u8>, ReportError> {
    let v = one(db, incident_id, regime, n).await?;
    if format == Format::Json {
        return Ok(v.document.into_bytes());
    }
    report::render(&stored_document(&v)?, format, fonts)
}

/// The body of `POST …/versions/{n}/submission`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// How it was submitted: the route and any reference ("ICO online form, case IC-123").
    #[serde(default)]
    pub how: String,
    /// When (RFC 3339); now when left out.
    #[serde(default)]
    pub at: Option<String>,
    /// The id of the regime's obligation towards the authority that this submission fulfils
    /// (from `GET …/obligations`): marked done in the same transaction.
    #[serde(default)]
    pub obligation: Option<i64>,
}

/// Records that a version was submitted to the authority: once. With an obligation id, the
/// regime's obligation towards the authority is marked done by the same act, atomically.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    db: &DatabaseConnection,
    playbooks: &crate::playbooks::Playbooks,
    incident_id: i64,
    regime: &Regime,
    n: i32,
    req: SubmitRequest,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Version, ReportError> {
    let how = req.how.trim().to_owned();
    if how.is_empty() || how.chars().count() > 1000 {
        return Err(ReportError::Invalid {
            field: "how",
            reason: "say how it was submitted (route, reference), in at most 1000 characters"
                .into(),
        });
    }
    let at = match req.at.as_deref().map(str::trim) {
        None | Some("") => now,
        Some(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) if t.with_timezone(&Utc) > now + Duration::minutes(FUTURE_SLACK_MINUTES) => {
                return Err(ReportError::Invalid {
                    field: "at",
                    reason: "is in the future".into(),
                })
            }
            Ok(t) => t.with_timezone(&Utc),
            Err(_) => {
                return Err(ReportError::Invalid {
                    field: "at",
                    reason: "must be an RFC 3339 instant".into(),
                })
            }
        },
    };
    let txn = db.begin().await?;
    let incident = incidents::store::lock(&txn, incident_id)
        .await
        .map_err(AppError::from)?;
    let v = store::find(&txn, incident_id, &regime.id, n)
        .await?
        .ok_or(ReportError::VersionNotFound(n))?;
    if let Some(at) = v.submitted_at {
        return Err(ReportError::AlreadySubmitted { version: n, at });
    }
    if let Some(oid) = req.obligation {
        fulfil_obligation(
            &txn, playbooks, &incident, regime, n, oid, at, &how, actor, now,
        )
        .await?;
    }
    if !store::submit(&txn, v.id, at, actor.account_id(), &how, now).await? {
        return Err(ReportError::AlreadySubmitted { version: n, at });
    }
    incidents::record_event(
        &txn,
        incident_id,
        actor,
        "report_submitted",
        json!({
            "regime": regime.id,
            "version": n,
            "kind": v.kind,
            "sha256": v.sha256,
            "at": at,
            "how": how,
            "obligation": req.obligation,
        }),
    )
    .await?;
    let v = store::find(&txn, incident_id, &regime.id, n)
        .await?
        .ok_or(ReportError::VersionNotFound(n))?;
    txn.commit().await?;
    Ok(v)
}

/// Marks the regime's obligation towards the authority done as the submission (inside the
/// submission's transaction, the incident locked): it must be this regime's, towards an
/// authority, required and not done yet.
#[allow(clippy::too_many_arguments)]
async fn fulfil_obligation(
    txn: &sea_orm::DatabaseTransaction,
    playbooks: &crate::playbooks::Playbooks,
    incident: &crate::incidents::Incident,
    regime: &Regime,
    n: i32,
    oid: i64,
    at: DateTime<Utc>,
    how: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), ReportError> {
    use super::obligations::{refresh, store as ostore, Fulfilment, Status};
    let bad = |reason: String| ReportError::Invalid {
        field: "obligation",
        reason,
    };
    refresh::refresh_in(txn, playbooks, incident, now)
        .await
        .map_err(AppError::from)?;
    let o = ostore::find(txn, incident.id, oid)
        .await?
        .ok_or_else(|| bad(format!("no obligation {oid} for this incident")))?;
    if o.jurisdiction != regime.id || o.audience != "authority" {
        return Err(bad(format!(
            "obligation {oid} is {} towards {}, not the {} report to the authority",
            o.jurisdiction, o.audience, regime.id
        )));
    }
    if let Some(f) = &o.fulfilled {
        return Err(bad(format!(
            "obligation {oid} was already done at {}",
            f.at
        )));
    }
    if o.status == Status::NotRequired {
        return Err(bad(format!(
            "obligation {oid} is not required ({})",
            o.reason
        )));
    }
    let f = Fulfilment {
        at,
        by: actor.account_id(),
        how: format!("{} report version {n} submitted: {how}", regime.id),
    };
    let done = refresh::fulfil_in(txn, playbooks, incident, actor, &o, &f, now)
        .await
        .map_err(AppError::from)?;
    if !done {
        return Err(bad(format!("obligation {oid} was already done")));
    }
    Ok(())
}

/// One answer that differs between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `section.key`.
    pub key: String,
    pub label: String,
    /// In the earlier version (`against`); null: missing or absent.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The field-level changes from version `against` to version `n`. The generation time is not
/// a change.
pub async fn diff(
    db: &DatabaseConnection,
    incident_id: i64,
    regime: &Regime,
    n: i32,
    against: i32,
) -> Result<Vec<Change>, ReportError> {
    let after = stored_document(&one(db, incident_id, regime, n).await?)?;
    let before = stored_document(&one(db, incident_id, regime, against).await?)?;
    Ok(changes(&before, &after))
}

pub fn changes(before: &Document, after: &Document) -> Vec<Change> {
    use super::render::{flatten, Row};
    let key = |r: &Row| format!("{}.{}", r.section, r.key);
    let old: Vec<(String, Row)> = flatten(before).into_iter().map(|r| (key(&r), r)).collect();
    let new: Vec<(String, Row)> = flatten(after).into_iter().map(|r| (key(&r), r)).collect();
    let mut out = Vec::new();
    for (k, r) in &new {
        if k == "document.generated_at" {
            continue;
        }
        let was = old.iter().find(|(o, _)| o == k).map(|(_, r)| r);
        let before = was.and_then(|w| w.value.clone());
        if was.is_none() || before != r.value {
            out.push(Change {
                key: k.clone(),
                label: r.label.clone(),
                before,
                after: r.value.clone(),
            });
        }
    }
    for (k, r) in &old {
        if !new.iter().any(|(n, _)| n == k) {
            out.push(Change {
                key: k.clone(),
                label: r.label.clone(),
                before: r.value.clone(),
                after: None,
            });
        }
    }
    out
}
