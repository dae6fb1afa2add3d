//! Dispatching: the approved notices go into the outbox in one transaction, under the
//! incident's row lock, before any channel sees them. Each person is queued on the first
//! channel of the incident's order they can be reached on (two at once for high-severity
//! incidents when asked); the dispatcher falls back along the order from there. A dispatch can
//! be planned first (`plan`), and paused, resumed or cancelled while it runs.
use super::store;
use crate::audit::Actor;
use crate::config::Settings;
use crate::delivery::wire::sms_text;
use crate::domain::{Channel, Severity};
use crate::incidents::{self, DeliveryState, Incident, Status};
use crate::notices::{approval, NoticeError};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde::Serialize;
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
    fn at_once(&self, inc: &Incident) -> Result<usize, DispatchError> {
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
async fn sendable(
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

/// A dispatch before it happens.
#[derive(Debug, Serialize)]
pub struct Plan {
    pub dry_run: bool,
    /// People in the population, and those no channel can reach.
    pub people: i64,
    pub unreachable: i64,
    pub channels: Vec<ChannelPlan>,
    /// The earliest regulatory deadline known for the incident, and which rule sets it.
    pub earliest_deadline: Option<DateTime<Utc>>,
    pub deadline_rule: Option<String>,
    /// When the slowest channel finishes at the configured rates (null: a channel has no rate
    /// limit, so the providers set the pace).
    pub finishes_at: Option<DateTime<Utc>>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ChannelPlan {
    pub channel: Channel,
    /// People queued first on this channel.
    pub people: i64,
    /// SMS only: segments in all, and their cost at `TOCSIN_SMS_PRICE`.
    pub segments: Option<u64>,
    pub cost: Option<f64>,
    /// Messages per second allowed (`TOCSIN_RATE_*`; null: no limit).
    pub rate_per_second: Option<u32>,
    pub seconds: Option<f64>,
}

/// What `dispatch` would queue now, per channel, with SMS segments and cost and the time at
/// the configured rates; warns when that passes the incident's earliest deadline. Does the
/// same work as a dispatch in a transaction that is rolled back.
pub async fn plan(
    db: &DatabaseConnection,
    playbooks: &crate::playbooks::Playbooks,
    templates: &str,
    settings: &Settings,
    incident_id: i64,
    options: Options,
    now: DateTime<Utc>,
) -> Result<Plan, DispatchError> {
    let (channels, max_attempts) = (&settings.channels, settings.max_attempts);
    let txn = db.begin().await?;
    let (inc, _) = sendable(&txn, templates, incident_id).await?;
    let at_once = options.at_once(&inc)?;
    store::enqueue(&txn, incident_id, &inc.channels, at_once, max_attempts, now).await?;
    let queued = store::queued_at(&txn, incident_id, now).await?;
    let segments = store::queued_texts(&txn, incident_id, Channel::Sms, now, |text| {
        sms_text::count(text).segments as u64
    })
    .await?;
    let facts = crate::population::PopulationFacts::load(&txn, incident_id).await?;
    let reached = store::people_with_deliveries(&txn, incident_id).await?;
    let deadline = crate::regulation::next_deadline(&txn, playbooks, &inc, now)
        .await
        .map_err(|e| DispatchError::Db(sea_orm::DbErr::Custom(e.to_string())))?;
    txn.rollback().await?;

    let mut warnings = Vec::new();
    let mut finishes_at = Some(now);
    let mut plans = Vec::new();
    for &channel in &inc.channels {
        let people = queued
            .iter()
            .find(|(c, _)| *c == channel)
            .map_or(0, |(_, n)| *n);
        let rate = match channel {
            Channel::Email => channels.rate_email,
            Channel::Sms => channels.rate_sms,
            Channel::Push => channels.rate_push,
        };
        let rate = (rate > 0).then_some(rate);
        let seconds = rate.map(|r| people as f64 / f64::from(r));
        match seconds {
            Some(s) => {
                let end = now + chrono::Duration::milliseconds((s * 1000.0) as i64);
                finishes_at = finishes_at.map(|f| f.max(end));
            }
            None if people > 0 => finishes_at = None,
            None => {}
        }
        let sms = channel == Channel::Sms;
        plans.push(ChannelPlan {
            channel,
            people,
            segments: sms.then_some(segments),
            cost: sms.then_some(segments as f64 * channels.sms_price),
            rate_per_second: rate,
            seconds,
        });
    }
    if let (Some((due, rule)), Some(end)) = (&deadline, finishes_at) {
        if end > *due {
            warnings.push(format!(
                "at the configured rates the last notice goes out at {end}, after the {rule} deadline ({due}): raise TOCSIN_RATE_* or start now"
            ));
        }
    }
    let people = facts.total as i64;
    Ok(Plan {
        dry_run: true,
        people,
        unreachable: people - reached,
        channels: plans,
        earliest_deadline: deadline.as_ref().map(|d| d.0),
        deadline_rule: deadline.map(|d| d.1),
        finishes_at,
        warnings,
    })
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
