//! Changing an incident (`PATCH`): content, clock start, severity, status. Runs under the
//! incident's row lock; a change of what the notices say (content or clock start) makes any
//! approval lapse, which the timeline records.
use super::model::Incident;
use super::new::{Content, Fields};
use super::store::{self, Changes};
use super::{IncidentError, Status};
use crate::audit::Actor;
use crate::domain::Severity;
use crate::playbooks::Playbooks;
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde::Deserialize;
use serde_json::json;

/// The body of `PATCH /api/v1/incidents/{id}`: every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateIncident {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub severity: Option<String>,
    pub status: Option<String>,
    pub aware_at: Option<String>,
    pub occurred_from: Option<String>,
    pub occurred_to: Option<String>,
    pub data_categories: Option<Vec<String>>,
    pub systems: Option<Vec<String>>,
    pub cause: Option<String>,
    pub measures_taken: Option<String>,
    pub mitigations: Option<Vec<String>>,
    pub likely_consequences: Option<String>,
    pub contact: Option<String>,
    pub channels: Option<Vec<String>>,
    /// Obligation facts: an instant (or `""` to clear it), a risk level (or `""`).
    pub determined_at: Option<String>,
    pub assessed_at: Option<String>,
    pub materiality_determined_at: Option<String>,
    pub handling_ended_at: Option<String>,
    pub risk_assessment: Option<String>,
}

pub async fn update(
    db: &DatabaseConnection,
    playbooks: &Playbooks,
    actor: &Actor,
    id: i64,
    req: UpdateIncident,
    now: DateTime<Utc>,
) -> Result<Incident, IncidentError> {
    let txn = db.begin().await?;
    let cur = store::lock(&txn, id).await?;
    let mut f = Fields::default();
    let mut changed: Vec<&str> = Vec::new();
    let mut c = Content::of(&cur);
    for (name, given, slot, max, required) in [
        ("title", &req.title, &mut c.title, 200, true),
        ("summary", &req.summary, &mut c.summary, 10_000, false),
        ("cause", &req.cause, &mut c.cause, 10_000, false),
        (
            "measures_taken",
            &req.measures_taken,
            &mut c.measures_taken,
            10_000,
            false,
        ),
        (
            "likely_consequences",
            &req.likely_consequences,
            &mut c.likely_consequences,
            10_000,
            false,
        ),
        ("contact", &req.contact, &mut c.contact, 1000, false),
    ] {
        if let Some(v) = given {
            let v = f.text(name, v, max, required);
            if v != *slot {
                *slot = v;
                changed.push(name);
            }
        }
    }
    for (name, given, slot) in [
        (
            "data_categories",
            &req.data_categories,
            &mut c.data_categories,
        ),
        ("systems", &req.systems, &mut c.systems),
        ("mitigations", &req.mitigations, &mut c.mitigations),
    ] {
        if let Some(v) = given {
            if v != slot {
                *slot = v.clone();
                changed.push(name);
            }
        }
    }
    if let Some(given) = &req.channels {
        let channels = f.channels(given);
        if channels != c.channels {
            c.channels = channels;
            changed.push("channels");
        }
    }
    for (name, given, slot) in [
        ("occurred_from", &req.occurred_from, &mut c.occurred_from),
        ("occurred_to", &req.occurred_to, &mut c.occurred_to),
    ] {
        if let Some(v) = given {
            let t = f.instant(name, v);
            if t.is_some() && t != *slot {
                *slot = t;
                changed.push(name);
            }
        }
    }
    let content_changed = !changed.is_empty();
    c.check(playbooks, &mut f);
    let severity = req
        .severity
        .as_deref()
        .and_then(|s| match Severity::parse(s) {
            Ok(s) => Some(s).filter(|s| *s != cur.severity),
            Err(e) => {
                f.add("severity", e.0);
                None
            }
        });
    let aware_at = req
        .aware_at
        .as_deref()
        .and_then(|v| f.aware_at(v, now))
        .filter(|a| *a != cur.aware_at);
    let status = req.status.as_deref().and_then(|s| match Status::parse(s) {
        Ok(s) => Some(s).filter(|s| *s != cur.status),
        Err(e) => {
            f.add("status", e.0);
            None
        }
    });
    let facts = f.facts(
        &cur.obligation_facts,
        req.determined_at.as_deref(),
        req.assessed_at.as_deref(),
        req.materiality_determined_at.as_deref(),
        req.handling_ended_at.as_deref(),
        req.risk_assessment.as_deref(),
        now,
    );
    let facts_changed = fact_changes(&cur.obligation_facts, &facts);
    f.finish()?;
    if let Some(to) = status {
        cur.status
            .check_move(to)
            .map_err(IncidentError::IllegalMove)?;
    }
    if cur.status == Status::Closed && (content_changed || severity.is_some() || aware_at.is_some())
    {
        return Err(IncidentError::Closed);
    }
    if severity.is_some() {
        changed.push("severity");
    }
    if aware_at.is_some() {
        changed.push("aware_at");
    }
    changed.extend(facts_changed.iter().copied());
    if changed.is_empty() && status.is_none() {
        return Ok(cur);
    }
    let changes = Changes {
        content: content_changed.then_some(c),
        aware_at,
        severity,
        status: status.map(|to| (cur.status, to)),
        facts: (!facts_changed.is_empty()).then_some(facts),
    };
    let updated = store::update(&txn, id, &changes, now).await?;
    if !changed.is_empty() {
        store::record_event(
            &txn,
            id,
            actor,
            "updated",
            json!({ "fields": changed, "content_version": updated.content_version }),
        )
        .await?;
    }
    if (content_changed || aware_at.is_some()) && cur.is_approved() {
        store::record_event(
            &txn,
            id,
            actor,
            "approval_withdrawn",
            json!({
                "reason": "what the notices say changed after approval",
                "fields": changed,
                "composition": cur.notices.approved_composition,
            }),
        )
        .await?;
    }
    if let Some(to) = status {
        store::record_event(
            &txn,
            id,
            actor,
            "status_changed",
            json!({ "from": cur.status, "to": to }),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// The names of the obligation facts that differ. They are not content: the notices do not
/// say them, so they leave any composition and approval as they are.
fn fact_changes(
    cur: &crate::incidents::ObligationFacts,
    new: &crate::incidents::ObligationFacts,
) -> Vec<&'static str> {
    let mut out = Vec::new();
    for (name, a, b) in [
        ("determined_at", cur.determined_at, new.determined_at),
        ("assessed_at", cur.assessed_at, new.assessed_at),
        (
            "materiality_determined_at",
            cur.materiality_determined_at,
            new.materiality_determined_at,
        ),
        (
            "handling_ended_at",
            cur.handling_ended_at,
            new.handling_ended_at,
        ),
    ] {
        if a != b {
            out.push(name);
        }
    }
    if cur.risk_assessment != new.risk_assessment {
        out.push("risk_assessment");
    }
    out
}
