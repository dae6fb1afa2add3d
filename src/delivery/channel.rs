//! Delivery channels behind one trait. The dispatcher hands each claimed delivery to the
//! transport of its channel and records the outcome; it never names a channel itself. E-mail is
//! the first transport (`email`); SMS and push plug in here.
use crate::domain::Channel;
use crate::notices::store::Notice;
use std::collections::HashMap;
use std::sync::Arc;

/// One notice on its way out.
pub struct Outgoing {
    pub delivery_id: i64,
    pub incident_id: i64,
    /// Stable for the delivery, whatever the attempt: providers deduplicate on it.
    pub idempotency_key: String,
    pub notice: Notice,
}

impl Outgoing {
    pub fn key(incident_id: i64, delivery_id: i64) -> String {
        format!("tocsin.{incident_id}.{delivery_id}")
    }
}

/// What a transport says about one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted; the provider's reference (SMTP reply, file path, message id).
    Sent(String),
    /// Will never work this way (SMTP 5xx, no or invalid address): the person is unreachable
    /// on this channel.
    Permanent(String),
    /// May work later (SMTP 4xx, connection trouble).
    Transient(String),
}

/// Sends notices on one channel.
#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    fn channel(&self) -> Channel;

    /// The identity the provider sees for this delivery (an e-mail's Message-ID), recorded as
    /// evidence; the same for every attempt.
    fn identity(&self, out: &Outgoing) -> String;

    /// One attempt. Never panics; every failure is an outcome.
    async fn send(&self, out: &Outgoing) -> Outcome;
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

    /// The transports the settings configure.
    pub fn from_settings(settings: &crate::config::Settings) -> anyhow::Result<Channels> {
        Ok(Channels::default().with(Arc::new(super::email::Email::from_settings(settings)?)))
    }
}
