//! Dispatching: the approved notices go into the outbox in one transaction, under the
//! incident's row lock, before any channel sees them. Each person is queued on the first
//! channel of the incident's order they can be reached on (two at once for high-severity
//! incidents when asked); the dispatcher falls back along the order from there. A dispatch can
//! be planned first (`super::plan`), and paused, resumed or cancelled while it runs.
pub use super::plan::{plan, ChannelPlan, Plan};
use super::store;
use crate::audit::Actor;
use crate::domain::Severity;
use crate::incidents::{self, DeliveryState, Incident, Status};
use crate::notices::{approval, NoticeError};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Notice(#[from] NoticeError),
    /// 409 `delivery_state`: the dispatch cannot move that way from where it is.
    #[error("{0}")]
    State(String),
    /// 422 on the named field.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<crate::evidence::LedgerError> for DispatchError {
    fn from(e: crate::evidence::LedgerError) -> Self {
        match e {
            crate::evidence::LedgerError::Db(db) => DispatchError::Db(db),
            invalid => DispatchError::Db(sea_orm::DbErr::Custom(invalid.to_string())),
        }
    }
}

impl From<incidents::IncidentError> for DispatchError {
    fn from(e: incidents::IncidentError) -> Self {
        DispatchError::Notice(e.into())
    }
}

/// How a dispatch goes out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Channels each person gets at once (1, or 2 for high and critical incidents).
    pub at_once: Option<usize>,
}

impl Options {
    pub(super) fn at_once(&self, inc: &Incident) -> Result<usize, DispatchError> {
        match self.at_once {
            None | Some(1) => Ok(1),
            Some(n @ 2..=3) if inc.severity >= Severity::High => Ok(n),
            Some(2..=3) => Err(DispatchError::Invalid {
                field: "at_once",
                reason: "more than one channel at once is for high and critical incidents".into(),
            }),
            Some(_) => Err(DispatchError::Invalid {
                field: "at_once",
                reason: "must be 1, 2 or 3".into(),
            }),
        }
    }
}

/// Locks the incident and checks it may be sent: open, composed, approved as it stands.
pub(super) async fn sendable(
    txn: &impl ConnectionTrait,
    templates: &str,
    incident_id: i64,
) -> Result<(Incident, String), DispatchError> {
    let inc = incidents::store::lock(txn, incident_id).await?;
    if inc.status == Status::Closed {
        return Err(NoticeError::Closed.into());
    }
    if inc.notices.composition.is_none() {
        return Err(NoticeError::NotComposed.into());
    }
    if inc.delivery_state == DeliveryState::Cancelled {
        return Err(DispatchError::State(
            "this incident's delivery was cancelled; people not reached need a follow-up incident"
                .into(),
        ));
    }
    let approved = approval::require_approved(&inc, templates)?.to_owned();
    Ok((inc, approved))
}

/// Queues the approved notices. Dispatching again queues only people not queued before.
/// Returns how many deliveries were queued.
pub async fn dispatch(
    db: &DatabaseConnection,
    templates: &str,
    max_attempts: i32,
    actor: &Actor,
    incident_id: i64,
    options: Options,
    now: DateTime<Utc>,
) -> Result<u64, DispatchError> {
    let txn = db.begin().await?;
    let (inc, approved) = sendable(&txn, templates, incident_id).await?;
    let at_once = options.at_once(&inc)?;
    let queued =
        store::enqueue(&txn, incident_id, &inc.channels, at_once, max_attempts, now).await?;
    approval::dispatched(&txn, &inc, &approved, actor, queued, now).await?;
    let templates = inc.notices.composed_templates.clone().unwrap_or_default();
    super::evidence::queued(&txn, incident_id, &templates, now).await?;
    txn.commit().await?;
    Ok(queued)
}

/// Pauses, resumes or cancels an incident's delivery. Cancelling stops everything not yet
/// sent and cannot be undone.
pub async fn control(
    db: &DatabaseConnection,
    actor: &Actor,
    incident_id: i64,
    to: DeliveryState,
    now: DateTime<Utc>,
) -> Result<Incident, DispatchError> {
    let txn = db.begin().await?;
    let inc = incidents::store::lock(&txn, incident_id).await?;
    let from = inc.delivery_state;
    let allowed = matches!(
        (from, to),
        (DeliveryState::Running, DeliveryState::Paused)
            | (DeliveryState::Paused, DeliveryState::Running)
            | (
                DeliveryState::Running | DeliveryState::Paused,
                DeliveryState::Cancelled
            )
    );
    if !allowed {
        return Err(DispatchError::State(format!(
            "the incident's delivery is {from}: it cannot be made {to}"
        )));
    }
    if inc.notices.dispatched_at.is_none() && to != DeliveryState::Cancelled {
        return Err(DispatchError::State(
            "nothing was dispatched yet: there is no delivery to pause or resume".into(),
        ));
    }
    incidents::store::set_delivery_state(&txn, incident_id, from, to, now).await?;
    let stopped = if to == DeliveryState::Cancelled {
        store::cancel_pending(&txn, incident_id, now).await?
    } else {
        0
    };
    let kind = match to {
        DeliveryState::Paused => "delivery_paused",
        DeliveryState::Running => "delivery_resumed",
        DeliveryState::Cancelled => "delivery_cancelled",
    };
    incidents::record_event(
        &txn,
        incident_id,
        actor,
        kind,
        json!({ "from": from, "to": to, "cancelled_deliveries": stopped }),
    )
    .await?;
    let inc = incidents::store::find(&txn, incident_id).await?;
    txn.commit().await?;
    Ok(inc)
}
