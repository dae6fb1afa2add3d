//! The only module that writes `incidents` and `incident_events`.
//!
//! Every step that changes an incident runs in a transaction that first takes the incident's
//! row lock ([`lock`]): `SELECT … FOR UPDATE` on PostgreSQL; on SQLite a write that takes the
//! database's write lock before anything is read (a deferred transaction that reads first could
//! fail to upgrade). Counters change in SQL (`content_version = content_version + 1`), and moves
//! between states are guarded updates whose `rows_affected` is checked.
use super::model::Incident;
use super::new::{Content, NewIncident};
use super::{IncidentError, Status};
use crate::audit::{self, Actor, Target};
use crate::db::{is_postgres, stmt};
use crate::web::Page;
use chrono::{DateTime, Utc};
use entity::{incident, incident_event};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::{json, Value};

fn parse(m: incident::Model) -> Result<Incident, IncidentError> {
    Ok(Incident::try_from(m)?)
}

/// Reads an incident (no lock).
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Incident, IncidentError> {
    let m = incident::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(IncidentError::NotFound(id))?;
    parse(m)
}

/// Takes the incident's row lock for the rest of the transaction `txn`, then reads it.
pub async fn lock(txn: &impl ConnectionTrait, id: i64) -> Result<Incident, IncidentError> {
    let m = if is_postgres(txn) {
        incident::Entity::find_by_id(id)
            .lock_exclusive()
            .one(txn)
            .await?
    } else {
        let res = txn
            .execute(stmt(
                txn.get_database_backend(),
                "UPDATE incidents SET id = id WHERE id = ?",
                [id.into()],
            ))
            .await?;
        if res.rows_affected() == 0 {
            None
        } else {
            incident::Entity::find_by_id(id).one(txn).await?
        }
    };
    parse(m.ok_or(IncidentError::NotFound(id))?)
}

fn lists(c: &Content) -> [(incident::Column, String); 4] {
    [
        (
            incident::Column::DataCategories,
            json!(c.data_categories).to_string(),
        ),
        (incident::Column::Systems, json!(c.systems).to_string()),
        (
            incident::Column::Mitigations,
            json!(c.mitigations).to_string(),
        ),
        (incident::Column::Channels, json!(c.channels).to_string()),
    ]
}

pub async fn insert(
    txn: &impl ConnectionTrait,
    new: &NewIncident,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Incident, IncidentError> {
    let c = &new.content;
    let [(_, data_categories), (_, systems), (_, mitigations), (_, channels)] = lists(c);
    let m = incident::ActiveModel {
        title: Set(c.title.clone()),
        summary: Set(c.summary.clone()),
        kind: Set(new.kind.clone()),
        severity: Set(new.severity.as_str().into()),
        status: Set(Status::Open.as_str().into()),
        delivery_state: Set(super::DeliveryState::Running.as_str().into()),
        aware_at: Set(new.aware_at),
        occurred_from: Set(c.occurred_from),
        occurred_to: Set(c.occurred_to),
        data_categories: Set(data_categories),
        systems: Set(systems),
        cause: Set(c.cause.clone()),
        measures_taken: Set(c.measures_taken.clone()),
        mitigations: Set(mitigations),
        likely_consequences: Set(c.likely_consequences.clone()),
        contact: Set(c.contact.clone()),
        channels: Set(channels),
        content_version: Set(1),
        determined_at: Set(new.facts.determined_at),
        assessed_at: Set(new.facts.assessed_at),
        materiality_determined_at: Set(new.facts.materiality_determined_at),
        handling_ended_at: Set(new.facts.handling_ended_at),
        risk_assessment: Set(new.facts.risk_assessment.map(|r| r.as_str().to_owned())),
        created_by: Set(actor.account_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    parse(m)
}

/// What an update changes; `None` leaves a part alone.
#[derive(Default)]
pub struct Changes {
    /// New content (bumps `content_version`).
    pub content: Option<Content>,
    /// A new clock start: content too (notices say when the organisation became aware).
    pub aware_at: Option<DateTime<Utc>>,
    pub severity: Option<crate::domain::Severity>,
    /// A status move from the first to the second, guarded on the first.
    pub status: Option<(Status, Status)>,
    /// New obligation facts (clock starts, risk assessment): not content.
    pub facts: Option<super::ObligationFacts>,
}

/// Applies `changes` to the (locked) incident `id` and returns it as it now is.
pub async fn update(
    txn: &impl ConnectionTrait,
    id: i64,
    changes: &Changes,
    now: DateTime<Utc>,
) -> Result<Incident, IncidentError> {
    use incident::Column as C;
    let mut q = incident::Entity::update_many()
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(id));
    if let Some(c) = &changes.content {
        for (col, text) in [
            (C::Title, &c.title),
            (C::Summary, &c.summary),
            (C::Cause, &c.cause),
            (C::MeasuresTaken, &c.measures_taken),
            (C::LikelyConsequences, &c.likely_consequences),
            (C::Contact, &c.contact),
        ] {
            q = q.col_expr(col, Expr::value(text.clone()));
        }
        for (col, text) in lists(c) {
            q = q.col_expr(col, Expr::value(text));
        }
        q = q
            .col_expr(C::OccurredFrom, Expr::value(c.occurred_from))
            .col_expr(C::OccurredTo, Expr::value(c.occurred_to));
    }
    if let Some(a) = changes.aware_at {
        q = q.col_expr(C::AwareAt, Expr::value(a));
    }
    if changes.content.is_some() || changes.aware_at.is_some() {
        q = q.col_expr(C::ContentVersion, Expr::col(C::ContentVersion).add(1));
    }
    if let Some(s) = changes.severity {
        q = q.col_expr(C::Severity, Expr::value(s.as_str()));
    }
    if let Some(f) = &changes.facts {
        q = q
            .col_expr(C::DeterminedAt, Expr::value(f.determined_at))
            .col_expr(C::AssessedAt, Expr::value(f.assessed_at))
            .col_expr(
                C::MaterialityDeterminedAt,
                Expr::value(f.materiality_determined_at),
            )
            .col_expr(C::HandlingEndedAt, Expr::value(f.handling_ended_at))
            .col_expr(
                C::RiskAssessment,
                Expr::value(f.risk_assessment.map(|r| r.as_str().to_owned())),
            );
    }
    if let Some((from, to)) = changes.status {
        q = q
            .col_expr(C::Status, Expr::value(to.as_str()))
            .filter(C::Status.eq(from.as_str()));
    }
    if q.exec(txn).await?.rows_affected != 1 {
        // Under the row lock only a status that moved meanwhile can get here.
        return Err(IncidentError::IllegalMove(
            "the incident changed while this request ran: read it again".into(),
        ));
    }
    find(txn, id).await
}

/// Who gets the notices changed: what was composed no longer covers them.
pub async fn population_changed(
    txn: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), IncidentError> {
    use incident::Column as C;
    incident::Entity::update_many()
        .col_expr(C::ContentVersion, Expr::col(C::ContentVersion).add(1))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The approval columns, written by `notices::approval` alone.
pub mod approval {
    use super::*;

    /// Records a composition of `version`'s content; any approval of an earlier one lapses.
    pub async fn composed(
        txn: &impl ConnectionTrait,
        id: i64,
        by: Option<i64>,
        version: i32,
        digest: &str,
        templates: &str,
        now: DateTime<Utc>,
    ) -> Result<(), IncidentError> {
        use incident::Column as C;
        incident::Entity::update_many()
            .col_expr(C::ComposedAt, Expr::value(now))
            .col_expr(C::ComposedBy, Expr::value(by))
            .col_expr(C::ComposedVersion, Expr::value(version))
            .col_expr(C::Composition, Expr::value(digest))
            .col_expr(C::ComposedTemplates, Expr::value(templates))
            .col_expr(C::ApprovedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(C::ApprovedBy, Expr::value(Option::<i64>::None))
            .col_expr(C::ApprovedComposition, Expr::value(Option::<String>::None))
            .col_expr(C::UpdatedAt, Expr::value(now))
            .filter(C::Id.eq(id))
            .exec(txn)
            .await?;
        Ok(())
    }

    /// Records an approval of `digest`, only if it is still the composition of the current
    /// content. Returns whether it was recorded.
    pub async fn approved(
        txn: &impl ConnectionTrait,
        id: i64,
        by: Option<i64>,
        version: i32,
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, IncidentError> {
        use incident::Column as C;
        let res = incident::Entity::update_many()
            .col_expr(C::ApprovedAt, Expr::value(now))
            .col_expr(C::ApprovedBy, Expr::value(by))
            .col_expr(C::ApprovedVersion, Expr::value(version))
            .col_expr(C::ApprovedComposition, Expr::value(digest))
            .col_expr(C::UpdatedAt, Expr::value(now))
            .filter(C::Id.eq(id))
            .filter(C::Composition.eq(digest))
            .filter(C::ContentVersion.eq(version))
            .filter(C::ComposedVersion.eq(version))
            .exec(txn)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Takes back an approval.
    pub async fn withdrawn(
        txn: &impl ConnectionTrait,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), IncidentError> {
        use incident::Column as C;
        incident::Entity::update_many()
            .col_expr(C::ApprovedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(C::ApprovedBy, Expr::value(Option::<i64>::None))
            .col_expr(C::ApprovedComposition, Expr::value(Option::<String>::None))
            .col_expr(C::UpdatedAt, Expr::value(now))
            .filter(C::Id.eq(id))
            .exec(txn)
            .await?;
        Ok(())
    }

    /// Marks the notices dispatched at `since` (the first dispatch's time) and moves the
    /// incident to notifying from `from` when `moves`, guarded on the approved composition.
    pub async fn dispatched(
        txn: &impl ConnectionTrait,
        id: i64,
        approved: &str,
        from: Status,
        moves: bool,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, IncidentError> {
        use incident::Column as C;
        let mut q = incident::Entity::update_many()
            .col_expr(C::DispatchedAt, Expr::value(since))
            .col_expr(C::UpdatedAt, Expr::value(now))
            .filter(C::Id.eq(id))
            .filter(C::ApprovedComposition.eq(approved))
            .filter(C::Status.eq(from.as_str()));
        if moves {
            q = q.col_expr(C::Status, Expr::value(Status::Notifying.as_str()));
        }
        Ok(q.exec(txn).await?.rows_affected == 1)
    }
}

/// Moves the incident's delivery state `from` → `to`, guarded; returns whether it moved.
pub async fn set_delivery_state(
    txn: &impl ConnectionTrait,
    id: i64,
    from: super::DeliveryState,
    to: super::DeliveryState,
    now: DateTime<Utc>,
) -> Result<bool, IncidentError> {
    use incident::Column as C;
    let res = incident::Entity::update_many()
        .col_expr(C::DeliveryState, Expr::value(to.as_str()))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(id))
        .filter(C::DeliveryState.eq(from.as_str()))
        .exec(txn)
        .await?;
    Ok(res.rows_affected == 1)
}

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

/// A page of incidents, newest first, optionally of one status.
pub async fn list(
    db: &impl ConnectionTrait,
    status: Option<Status>,
    page: &Page,
) -> Result<(Vec<Incident>, Option<i64>), IncidentError> {
    let mut sel = incident::Entity::find()
        .order_by_desc(incident::Column::Id)
        .limit(page.limit());
    if let Some(s) = status {
        sel = sel.filter(incident::Column::Status.eq(s.as_str()));
    }
    if let Some(b) = page.before() {
        sel = sel.filter(incident::Column::Id.lt(b));
    }
    let rows = sel.all(db).await?;
    let next = page.next_before(&rows, |r| r.id);
    let list = rows.into_iter().map(parse).collect::<Result<_, _>>()?;
    Ok((list, next))
}

/// The incident's timeline, oldest first.
pub async fn timeline(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Vec<incident_event::Model>, IncidentError> {
    Ok(incident_event::Entity::find()
        .filter(incident_event::Column::IncidentId.eq(id))
        .order_by_asc(incident_event::Column::Id)
        .all(db)
        .await?)
}
