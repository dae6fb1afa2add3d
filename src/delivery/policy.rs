//! How hard the dispatcher tries: concurrency, leases, retries with backoff and jitter, caps on
//! attempts and age, per-channel rate limits; and what an attempt's outcome means for its
//! delivery (sent, retry at a time, failed, unreachable).
use super::channel::Outcome;
use super::store::{AttemptResult, Claimed};
use crate::config::Settings;
use crate::domain::Channel;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use std::collections::HashMap;
use std::num::NonZeroU32;

const MAX_BACKOFF_SECS: i64 = 6 * 3600;

pub(super) type Limiter = governor::DefaultDirectRateLimiter;

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// First retry delay; doubles per attempt (with jitter, capped).
    pub retry_base: std::time::Duration,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// A delivery older than this is not retried any more (it fails and falls back).
    pub max_age: Duration,
    /// How long a claim holds without a heartbeat (renewed every third of it).
    pub lease: Duration,
}

impl Policy {
    pub fn from_settings(s: &Settings) -> Policy {
        Policy {
            retry_base: s.retry_base,
            concurrency: s.send_concurrency,
            max_age: Duration::hours(24),
            lease: Duration::from_std(s.lease).unwrap_or(Duration::seconds(30)),
        }
    }
}

pub(super) fn limiters(s: &Settings) -> HashMap<Channel, Limiter> {
    let c = &s.channels;
    [
        (Channel::Email, c.rate_email),
        (Channel::Sms, c.rate_sms),
        (Channel::Push, c.rate_push),
    ]
    .into_iter()
    .filter_map(|(ch, rate)| {
        let rate = NonZeroU32::new(rate)?;
        Some((
            ch,
            governor::RateLimiter::direct(governor::Quota::per_second(rate)),
        ))
    })
    .collect()
}

impl Policy {
    /// What an attempt's outcome means for its delivery under this policy.
    pub(super) fn result(
        &self,
        c: &Claimed,
        outcome: &Outcome,
        now: DateTime<Utc>,
    ) -> AttemptResult {
        match outcome {
            Outcome::Sent(reference) => AttemptResult::Sent {
                reference: reference.clone(),
            },
            Outcome::Permanent(reason) => AttemptResult::Unreachable {
                reason: reason.clone(),
            },
            Outcome::Transient { reason, .. } if c.attempts >= c.max_attempts => {
                AttemptResult::Failed {
                    reason: format!("{reason} (after {} attempts)", c.attempts),
                }
            }
            Outcome::Transient { reason, .. } if now - c.created_at > self.max_age => {
                AttemptResult::Failed {
                    reason: format!(
                        "{reason} (still failing after {} hours)",
                        self.max_age.num_hours()
                    ),
                }
            }
            Outcome::Transient {
                reason,
                retry_after,
            } => {
                let mut at = next_attempt(now, c.attempts, self.retry_base);
                if let Some(ra) = retry_after.and_then(|d| Duration::from_std(d).ok()) {
                    at = at.max(now + ra);
                }
                AttemptResult::Retry {
                    reason: reason.clone(),
                    at,
                }
            }
        }
    }
}

pub(super) fn result_label(r: &AttemptResult) -> &'static str {
    match r {
        AttemptResult::Retry { .. } => "retry",
        r => r.status().as_str(),
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
