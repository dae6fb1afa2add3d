//! Where an incident's delivery stands: people counted once each (reached on some channel,
//! on their way, given up, cancelled, unreachable), attempts counted per channel. The API, its
//! live stream, the CLI and the console all show this one view.
use super::store;
use crate::domain::Channel;
use crate::incidents::{self, DeliveryState, IncidentError};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use std::collections::BTreeMap;

/// Counts in one bucket set (`GET …/delivery` in API.md's shape).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub total: i64,
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    pub unreachable: i64,
    pub cancelled: i64,
    /// Provider statuses after sending (SMS), when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undelivered: Option<i64>,
}

impl Counts {
    fn add(&mut self, bucket: &str, n: i64) {
        self.total += n;
        match bucket {
            "pending" => self.pending += n,
            "sent" => self.sent += n,
            "failed" => self.failed += n,
            "cancelled" => self.cancelled += n,
            _ => self.unreachable += n,
        }
    }

    /// Share of `total` no longer pending, 0 to 1.
    pub fn done(&self) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        (self.total - self.pending) as f64 / self.total as f64
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// People: each counts once, in the bucket of their best outcome so far.
    #[serde(flatten)]
    pub people: Counts,
    /// Attempted deliveries per channel.
    pub by_channel: BTreeMap<Channel, Counts>,
    pub state: DeliveryState,
    /// A dispatch is still writing the outbox: more people are yet to be queued.
    pub queuing: bool,
}

impl Progress {
    /// Whether nothing is on its way any more (and something was sent at all).
    pub fn finished(&self) -> bool {
        !self.queuing
            && self.people.total > 0
            && self.people.pending == 0
            && self.by_channel.values().all(|c| c.pending == 0)
    }
}

pub async fn progress(
    db: &impl ConnectionTrait,
    incident_id: i64,
) -> Result<Progress, IncidentError> {
    let inc = incidents::find(db, incident_id).await?;
    let mut people = Counts::default();
    if inc.notices.dispatched_at.is_some() {
        for (state, n) in store::people(db, incident_id).await? {
            people.add(&state, n);
        }
    }
    let mut by_channel: BTreeMap<Channel, Counts> = Channel::ALL
        .iter()
        .map(|c| (*c, Counts::default()))
        .collect();
    for (channel, status, n) in store::counts(db, incident_id).await? {
        let c = by_channel.entry(channel).or_default();
        c.add(status.bucket(), n);
        match status.as_str() {
            "delivered" => *c.delivered.get_or_insert(0) += n,
            "undelivered" => *c.undelivered.get_or_insert(0) += n,
            _ => {}
        }
    }
    let queuing = super::dispatch::marker(db, incident_id).await?.is_some();
    Ok(Progress {
        people,
        by_channel,
        state: inc.delivery_state,
        queuing,
    })
}
