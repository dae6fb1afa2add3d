//! The dispatcher: claims due deliveries in a short transaction (status `sending`, attempts + 1,
//! a lease), sends outside any transaction, and finalises each with a guarded update. Expired
//! leases are reclaimed; temporary failures back off exponentially with jitter up to a cap,
//! then the delivery is `failed`. Any number of dispatchers can share one PostgreSQL: claims
//! use `FOR UPDATE SKIP LOCKED`.
use super::channel::{Channels, Outcome, Outgoing};
use super::store::{self, AttemptResult, Claimed};
use crate::app::{AppState, Clock};
use crate::config::Settings;
use crate::domain::Channel;
use crate::metrics::Metrics;
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use rand::Rng;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const CLAIM: i64 = 100;
const LEASE_SECS: i64 = 300;
const MAX_BACKOFF_SECS: i64 = 6 * 3600;

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// First retry delay; doubles per attempt (with jitter, capped).
    pub retry_base: std::time::Duration,
    /// Deliveries in flight at once.
    pub concurrency: usize,
}

impl Policy {
    pub fn from_settings(s: &Settings) -> Policy {
        Policy {
            retry_base: s.retry_base,
            concurrency: s.send_concurrency,
        }
    }
}

#[derive(Clone)]
pub struct Dispatcher {
    db: DatabaseConnection,
    channels: Channels,
    metrics: Arc<Metrics>,
    wakeup: Arc<Notify>,
    policy: Policy,
    clock: Clock,
}

impl Dispatcher {
    /// A dispatcher over `db` with the channels the settings configure: all `tocsin worker`
    /// needs.
    pub fn build(
        db: DatabaseConnection,
        settings: &Settings,
        metrics: Arc<Metrics>,
        wakeup: Arc<Notify>,
    ) -> anyhow::Result<Dispatcher> {
        Ok(Dispatcher {
            db,
            channels: Channels::from_settings(settings)?,
            metrics,
            wakeup,
            policy: Policy::from_settings(settings),
            clock: Clock::system(),
        })
    }

    /// The dispatcher of a running application (shares its wake-up and metrics).
    pub fn for_app(state: &AppState) -> anyhow::Result<Dispatcher> {
        let mut d = Dispatcher::build(
            state.db.clone(),
            &state.settings,
            state.metrics.clone(),
            state.dispatch_wakeup.clone(),
        )?;
        d.clock = state.clock.clone();
        Ok(d)
    }

    /// Runs until `shutdown`: works while there is work, then waits for a wake-up (a dispatch)
    /// or a second, whichever comes first (retries fall due without a wake-up).
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!("dispatcher started");
        loop {
            let worked = match self.tick().await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "dispatcher tick failed");
                    false
                }
            };
            if shutdown.is_cancelled() {
                break;
            }
            if !worked {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = self.wakeup.notified() => {},
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {},
                }
            }
        }
        tracing::info!("dispatcher stopped");
    }

    /// Works until nothing is due now. Returns how many attempts were made.
    pub async fn run_until_idle(&self) -> anyhow::Result<u64> {
        let mut total = 0;
        loop {
            let n = self.tick().await?;
            if n == 0 {
                return Ok(total);
            }
            total += n as u64;
        }
    }

    /// One round: claim a batch, send it, finalise it. Returns the number claimed.
    pub async fn tick(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let claimed =
            store::claim(&self.db, CLAIM, now + Duration::seconds(LEASE_SECS), now).await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let n = claimed.len();
        let ids: Vec<i64> = claimed.iter().map(|c| c.notice_id).collect();
        let mut notices = crate::notices::store::by_ids(&self.db, &ids).await?;
        let jobs: Vec<(Claimed, Option<crate::notices::store::Notice>)> = claimed
            .into_iter()
            .map(|c| {
                let n = notices.remove(&c.notice_id);
                (c, n)
            })
            .collect();
        let results: Vec<(Claimed, Outcome, String)> = futures::stream::iter(jobs)
            .map(|(c, notice)| async move {
                let (outcome, identity) = self.attempt(&c, notice).await;
                (c, outcome, identity)
            })
            .buffer_unordered(self.policy.concurrency)
            .collect()
            .await;
        for (c, outcome, identity) in results {
            self.finalise(&c, outcome, &identity).await?;
        }
        Ok(n)
    }

    /// One attempt of one delivery, on its channel's transport.
    async fn attempt(
        &self,
        c: &Claimed,
        notice: Option<crate::notices::store::Notice>,
    ) -> (Outcome, String) {
        let channel = match Channel::from_stored(&c.channel) {
            Ok(ch) => ch,
            Err(e) => return (Outcome::Permanent(e.to_string()), String::new()),
        };
        let Some(transport) = self.channels.get(channel) else {
            return (
                Outcome::Permanent(format!("no {channel} transport is configured")),
                String::new(),
            );
        };
        let Some(notice) = notice else {
            return (
                Outcome::Permanent("the notice is missing".into()),
                String::new(),
            );
        };
        let out = Outgoing {
            delivery_id: c.id,
            incident_id: c.incident_id,
            idempotency_key: Outgoing::key(c.incident_id, c.id),
            notice,
        };
        let identity = transport.identity(&out);
        (transport.send(&out).await, identity)
    }

    async fn finalise(&self, c: &Claimed, outcome: Outcome, identity: &str) -> anyhow::Result<()> {
        let now = self.clock.now();
        let result = match outcome {
            Outcome::Sent(reference) => AttemptResult::Sent { reference },
            Outcome::Permanent(reason) => AttemptResult::Unreachable { reason },
            Outcome::Transient(reason) if c.attempts >= c.max_attempts => {
                AttemptResult::Failed { reason }
            }
            Outcome::Transient(reason) => AttemptResult::Retry {
                reason,
                at: next_attempt(now, c.attempts, self.policy.retry_base),
            },
        };
        let label = match &result {
            AttemptResult::Retry { .. } => "retry",
            r => r.status().as_str(),
        };
        if !store::finalise(&self.db, c, &result, identity, now).await? {
            // Another dispatcher reclaimed it after our lease expired; its result stands.
            tracing::warn!(
                delivery.id = c.id,
                "delivery was reclaimed before it was finalised"
            );
        }
        let channel = Channel::from_stored(&c.channel).map_or("unknown", |c| c.as_str());
        self.metrics.delivery(channel, label);
        tracing::debug!(
            delivery.id = c.id,
            incident.id = c.incident_id,
            outcome = label,
            attempt = c.attempts,
            "delivery attempt"
        );
        Ok(())
    }
}

/// `base · 2^(attempt-1)`, ±20 % jitter, capped.
fn next_attempt(now: DateTime<Utc>, attempt: i32, base: std::time::Duration) -> DateTime<Utc> {
    let base_ms = base.as_millis() as i64;
    let exp = base_ms.saturating_mul(1i64 << (attempt.clamp(1, 30) - 1));
    let capped = exp.min(MAX_BACKOFF_SECS * 1000);
    let jitter = if capped > 0 {
        rand::thread_rng().gen_range(-(capped / 5)..=(capped / 5))
    } else {
        0
    };
    now + Duration::milliseconds((capped + jitter).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let now = Utc::now();
        let base = std::time::Duration::from_secs(30);
        let d1 = (next_attempt(now, 1, base) - now).num_milliseconds();
        let d3 = (next_attempt(now, 3, base) - now).num_milliseconds();
        assert!((24_000..=36_000).contains(&d1), "{d1}");
        assert!((96_000..=144_000).contains(&d3), "{d3}");
        let d20 = (next_attempt(now, 20, base) - now).num_milliseconds();
        assert!(d20 <= MAX_BACKOFF_SECS * 1000 * 6 / 5);
    }
}
