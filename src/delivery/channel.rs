//! Delivery channels behind one trait. The dispatcher hands each claimed delivery to the
//! transport of its channel and records the outcome; it never names a channel itself. E-mail
//! (`email`), SMS (`sms`) and push (`push`) are transports; each has a file transport for when
//! no provider is configured.
use crate::domain::Channel;
use crate::notices::store::Notice;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// A push device of the person, as the push transport sends to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: i64,
    pub platform: String,
    pub token: String,
}

/// One notice on its way out.
pub struct Outgoing {
    pub delivery_id: i64,
    pub incident_id: i64,
    pub subject_id: i64,
    /// Stable for the delivery, whatever the attempt: providers deduplicate on it.
    pub idempotency_key: String,
    pub notice: Notice,
    /// The link to the person's full notice (`/n/{code}`), when known.
    pub link: Option<String>,
    /// Push only: the live devices the notice goes to (filled by the push transport's
    /// `prepare`).
    pub devices: Vec<Device>,
}

impl Outgoing {
    pub fn key(incident_id: i64, delivery_id: i64) -> String {
        format!("tocsin.{incident_id}.{delivery_id}")
    }
}

/// What a transport says about one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted; the provider's reference (SMTP reply, message id, file path).
    Sent(String),
    /// Will never work this way (SMTP 5xx, no or invalid address, unregistered device): the
    /// person is unreachable on this channel, and the next channel is tried at once.
    Permanent(String),
    /// May work later (SMTP 4xx, provider outage, rate limit); no sooner than `retry_after`
    /// when the provider said so.
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
}

impl Outcome {
    pub fn transient(reason: impl Into<String>) -> Outcome {
        Outcome::Transient {
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// The label metrics and logs use.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Sent(_) => "sent",
            Outcome::Permanent(_) => "permanent",
            Outcome::Transient { .. } => "transient",
        }
    }
}

/// An attempt's result: its outcome, and push devices found dead on the way (never used
/// again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub outcome: Outcome,
    pub dead_devices: Vec<i64>,
}

impl From<Outcome> for Attempt {
    fn from(outcome: Outcome) -> Attempt {
        Attempt {
            outcome,
            dead_devices: Vec::new(),
        }
    }
}

/// Sends notices on one channel.
#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    fn channel(&self) -> Channel;

    /// The identity the provider sees for this delivery (an e-mail's Message-ID), recorded as
    /// evidence; the same for every attempt.
    fn identity(&self, out: &Outgoing) -> String;

    /// Whether this transport can send `out` at all (push: a provider for at least one of the
    /// devices' platforms). A delivery it cannot send is skipped, not failed: the next channel
    /// is tried.
    fn can_send(&self, _out: &Outgoing) -> bool {
        true
    }

    /// Called once per claimed batch before sending, to load what the batch needs in one go.
    async fn prepare(&self, _batch: &mut [Outgoing]) -> anyhow::Result<()> {
        Ok(())
    }

    /// How many of its sends may be outstanding at once, `concurrency` being
    /// `TOCSIN_SEND_CONCURRENCY`: that many, unless the transport queues some behind others
    /// (SMTP: on each of `concurrency` connections the next message rides along with the one
    /// before, so twice as many).
    fn in_flight(&self, concurrency: usize) -> usize {
        concurrency
    }

    /// One attempt. Never panics; every failure is an outcome.
    async fn send(&self, out: &Outgoing) -> Attempt;

    /// Closes provider connections politely (SMTP `QUIT`) when the dispatcher stops.
    async fn shutdown(&self) {}
}

/// The configured transport of each channel.
#[derive(Clone, Default)]
pub struct Channels(HashMap<Channel, Arc<dyn Transport>>);

impl Channels {
    pub fn with(mut self, t: Arc<dyn Transport>) -> Channels {
        self.0.insert(t.channel(), t);
        self
    }

    pub fn get(&self, c: Channel) -> Option<&Arc<dyn Transport>> {
        self.0.get(&c)
    }

    /// Every transport's `shutdown`.
    pub async fn shutdown(&self) {
        for t in self.0.values() {
            t.shutdown().await;
        }
    }

    /// The transports the settings configure. `links` are the public URLs providers call back
    /// (SMS status callbacks).
    pub fn from_settings(
        settings: &crate::config::Settings,
        links: &crate::links::Links,
        db: &sea_orm::DatabaseConnection,
    ) -> anyhow::Result<Channels> {
        Ok(Channels::default()
            .with(Arc::new(super::email::Email::from_settings(settings)?))
            .with(Arc::new(super::sms::Sms::from_settings(settings, links)?))
            .with(super::push::Push::shared(settings, db)?))
    }
}
