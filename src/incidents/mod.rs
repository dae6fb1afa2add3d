//! Incidents: lifecycle, timeline, clock start ("aware at"), what was involved, what is done.
pub mod playbooks;
mod routes;
mod status;

pub use routes::{create_incident, routes, CreateIncident};
pub use status::Status;

use crate::audit::{self, Actor, Target};
use crate::error::AppError;
use entity::{incident, incident_event};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde_json::{json, Value};

/// Appends an event to the incident's timeline and the same change to the audit log.
pub async fn record_event(
    db: &impl ConnectionTrait,
    incident_id: i64,
    actor: &Actor,
    kind: &str,
    details: Value,
) -> Result<(), sea_orm::DbErr> {
    incident_event::ActiveModel {
        incident_id: Set(incident_id),
        at: Set(audit::now()),
        actor: Set(actor.label()),
        kind: Set(kind.to_owned()),
        details: Set(details.to_string()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        actor,
        &format!("incident.{kind}"),
        Target::new("incident", incident_id),
        details,
    )
    .await?;
    Ok(())
}

/// Loads an incident or answers 404.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<incident::Model, AppError> {
    incident::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("incident {id}")))
}

/// A JSON list stored as text.
pub fn list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Whether the notices of this incident are approved for its current content.
pub fn is_approved(i: &incident::Model) -> bool {
    i.approved_at.is_some() && i.approved_version == i.content_version
}

/// The incident as the API shows it.
pub fn view(i: &incident::Model) -> Value {
    json!({
        "id": i.id,
        "title": i.title,
        "summary": i.summary,
        "kind": i.kind,
        "severity": i.severity,
        "status": i.status,
        "aware_at": i.aware_at,
        "occurred_from": i.occurred_from,
        "occurred_to": i.occurred_to,
        "data_categories": list(&i.data_categories),
        "systems": list(&i.systems),
        "cause": i.cause,
        "measures_taken": i.measures_taken,
        "mitigations": list(&i.mitigations),
        "likely_consequences": i.likely_consequences,
        "contact": i.contact,
        "channels": list(&i.channels),
        "content_version": i.content_version,
        "notices": {
            "composed_at": i.composed_at,
            "composed_version": i.composed_version,
            "approved_at": i.approved_at,
            "approved_by": i.approved_by,
            "approved": is_approved(i),
            "dispatched_at": i.dispatched_at,
        },
        "created_at": i.created_at,
        "updated_at": i.updated_at,
    })
}
