//! The push channel: a notice goes to every live device of the person, through the provider of
//! the device's platform (FCM, APNs, Web Push) — or, with no push provider configured at all,
//! into JSON files under the outbox (`push/delivery-{id}.json`).
//!
//! A delivery is one person, not one device: it is sent when any device took it, retried when
//! none did but one may later, and permanent (the next channel is tried) when none ever will.
//! Devices a provider says are gone come back as `dead_devices`, so they are never used again.
//! Reasons name providers, codes and statuses only: never a token, an endpoint or a number.
mod apns;
mod fcm;
mod files;
mod webpush;

use super::channel::{Attempt, Device, Outcome, Outgoing, Transport};
use super::wire::{code_text, parse_retry_after, Fault, ProviderOutcome};
use crate::config::Settings;
use crate::domain::Channel;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Device ids loaded per query at most (a batch of deliveries fits in one).
const DEVICES_PER_QUERY: usize = 5000;
/// How long a push stays worth delivering when the device is offline (FCM, APNs, Web Push).
const TIME_TO_LIVE: u64 = 24 * 3600;

/// The push transport: one provider per configured platform, or the outbox folder.
pub struct Push {
    db: DatabaseConnection,
    fcm: Option<fcm::Fcm>,
    apns: Option<apns::Apns>,
    webpush: Option<webpush::WebPush>,
    /// Set only when no push provider is configured: the notices go here instead.
    files: Option<PathBuf>,
}

impl Push {
    /// The providers `TOCSIN_FCM_*`, `TOCSIN_APNS_*` and `TOCSIN_VAPID_*` configure; key and
    /// credential files are read now, so a bad one stops startup rather than every send.
    pub fn from_settings(settings: &Settings, db: &DatabaseConnection) -> anyhow::Result<Push> {
        let c = &settings.channels;
        let fcm = c.fcm.as_ref().map(fcm::Fcm::new).transpose()?;
        let apns = c.apns.as_ref().map(apns::Apns::new).transpose()?;
        let webpush = c
            .vapid
            .as_ref()
            .map(|v| webpush::WebPush::new(v, &c.webpush_allow))
            .transpose()?;
        let files = (fcm.is_none() && apns.is_none() && webpush.is_none())
            .then(|| settings.outbox_dir.join("push"));
        Ok(Push {
            db: db.clone(),
            fcm,
            apns,
            webpush,
            files,
        })
    }

    /// The transport, ready for `Channels::with`.
    pub fn shared(settings: &Settings, db: &DatabaseConnection) -> anyhow::Result<Arc<Push>> {
        Push::from_settings(settings, db).map(Arc::new)
    }

    fn supports(&self, platform: &str) -> bool {
        match platform {
            "fcm" => self.fcm.is_some(),
            "apns" => self.apns.is_some(),
            "webpush" => self.webpush.is_some(),
            _ => false,
        }
    }

    async fn send_to(&self, out: &Outgoing, device: &Device) -> ProviderOutcome {
        let missing =
            |name: &str| ProviderOutcome::permanent(format!("no {name} provider is configured"));
        let outcome = match device.platform.as_str() {
            "fcm" => match &self.fcm {
                Some(p) => p.send(out, device).await,
                None => missing("FCM"),
            },
            "apns" => match &self.apns {
                Some(p) => p.send(out, device).await,
                None => missing("APNs"),
            },
            "webpush" => match &self.webpush {
                Some(p) => p.send(out, device).await,
                None => missing("Web Push"),
            },
            other => {
                ProviderOutcome::permanent(format!("unknown push platform '{}'", code_text(other)))
            }
        };
        if let ProviderOutcome::Transient {
            reason,
            fault: Fault::Configuration | Fault::Credentials,
            ..
        } = &outcome
        {
            // Ours to fix, not the person's: an operator has to hear of it.
            tracing::error!(
                delivery.id = out.delivery_id,
                reason,
                "push provider refused our credentials or configuration"
            );
        }
        outcome
    }
}

#[async_trait::async_trait]
impl Transport for Push {
    fn channel(&self) -> Channel {
        Channel::Push
    }

    /// The delivery's idempotency key (APNs ids and file names derive from it).
    fn identity(&self, out: &Outgoing) -> String {
        out.idempotency_key.clone()
    }

    /// A provider for at least one of the person's devices; anything, when push goes to files.
    fn can_send(&self, out: &Outgoing) -> bool {
        self.files.is_some() || out.devices.iter().any(|d| self.supports(&d.platform))
    }

    /// Loads the live devices the batch's notices name, in one query.
    async fn prepare(&self, batch: &mut [Outgoing]) -> anyhow::Result<()> {
        let mut ids: Vec<i64> = batch.iter().flat_map(device_ids).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut live: HashMap<i64, Device> = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(DEVICES_PER_QUERY) {
            for row in crate::population::store::devices(&self.db, chunk).await? {
                let device = Device {
                    id: row.id,
                    platform: row.platform,
                    token: row.token,
                };
                live.insert(device.id, device);
            }
        }
        for out in batch.iter_mut() {
            out.devices = device_ids(out)
                .filter_map(|id| live.get(&id).cloned())
                .collect();
        }
        Ok(())
    }

    async fn send(&self, out: &Outgoing) -> Attempt {
        if out.devices.is_empty() {
            return Outcome::Permanent("no live push device".into()).into();
        }
        if let Some(dir) = &self.files {
            return files::write(dir, out).await.into();
        }
        let sends = out.devices.iter().map(|d| async move {
            let outcome = self.send_to(out, d).await;
            (d, outcome)
        });
        aggregate(futures::future::join_all(sends).await)
    }
}

/// The device ids a composed push notice names (`recipient`, comma-separated).
fn device_ids(out: &Outgoing) -> impl Iterator<Item = i64> + '_ {
    out.notice
        .recipient
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter_map(|id| id.trim().parse::<i64>().ok())
}

/// One person's result from their devices' results: any device accepted → sent (the provider
/// ids, joined); else any transient → retry (after the longest `Retry-After`); else permanent.
/// Dead devices are reported whatever the outcome.
fn aggregate(results: Vec<(&Device, ProviderOutcome)>) -> Attempt {
    let mut accepted = Vec::new();
    let mut transient = Vec::new();
    let mut permanent = Vec::new();
    let mut retry_after: Option<Duration> = None;
    let mut dead_devices = Vec::new();
    for (device, outcome) in results {
        match outcome {
            ProviderOutcome::Accepted { provider_id } if provider_id.is_empty() => {
                accepted.push(format!("{} accepted", device.platform))
            }
            ProviderOutcome::Accepted { provider_id } => {
                accepted.push(format!("{} {provider_id}", device.platform))
            }
            ProviderOutcome::Transient {
                reason,
                retry_after: after,
                ..
            } => {
                transient.push(reason);
                retry_after = retry_after.max(after);
            }
            ProviderOutcome::Permanent { reason, dead_token } => {
                if dead_token {
                    dead_devices.push(device.id);
                }
                permanent.push(reason);
            }
        }
    }
    let joined = |mut reasons: Vec<String>| {
        reasons.dedup();
        reasons.join("; ")
    };
    let outcome = if !accepted.is_empty() {
        Outcome::Sent(accepted.join(", "))
    } else if !transient.is_empty() {
        Outcome::Transient {
            reason: joined(transient),
            retry_after,
        }
    } else {
        Outcome::Permanent(joined(permanent))
    };
    Attempt {
        outcome,
        dead_devices,
    }
}

/// Unix seconds now: provider tokens are stamped with the real time, whatever clock the
/// application runs on.
fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A response's `Retry-After`, read as a delay.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()))
}

/// A request that got no answer: worth retrying. The URL is left out (an APNs path holds the
/// device token, a Web Push endpoint is a capability).
fn unanswered(provider: &str, e: reqwest::Error) -> ProviderOutcome {
    let e = e.without_url();
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut reason = format!("{provider}: {what}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        reason.push_str(&format!(": {s}"));
        source = s.source();
    }
    ProviderOutcome::transient(reason, None)
}

/// An HTTP client for providers: bounded waits, and no redirects (a push service that
/// redirects must not make us send a notice somewhere else).
fn client() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("tocsin/", env!("CARGO_PKG_VERSION")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(id: i64, platform: &str) -> Device {
        Device {
            id,
            platform: platform.into(),
            token: format!("token-{id}"),
        }
    }

    #[test]
    fn one_accepting_device_makes_the_delivery_sent_and_dead_ones_are_still_reported() {
        let (a, b, c) = (device(1, "fcm"), device(2, "apns"), device(3, "webpush"));
        let attempt = aggregate(vec![
            (&a, ProviderOutcome::dead_token("fcm UNREGISTERED")),
            (&b, ProviderOutcome::accepted("a-b-c")),
            (&c, ProviderOutcome::transient("web push 500", None)),
        ]);
        assert_eq!(attempt.outcome, Outcome::Sent("apns a-b-c".into()));
        assert_eq!(attempt.dead_devices, vec![1]);
    }

    #[test]
    fn without_an_acceptance_a_transient_failure_retries_after_the_longest_wait() {
        let (a, b, c) = (device(1, "fcm"), device(2, "apns"), device(3, "webpush"));
        let attempt = aggregate(vec![
            (
                &a,
                ProviderOutcome::transient("x", Some(Duration::from_secs(5))),
            ),
            (
                &b,
                ProviderOutcome::transient("y", Some(Duration::from_secs(60))),
            ),
            (&c, ProviderOutcome::dead_token("z")),
        ]);
        assert_eq!(
            attempt.outcome,
            Outcome::Transient {
                reason: "x; y".into(),
                retry_after: Some(Duration::from_secs(60))
            }
        );
        assert_eq!(attempt.dead_devices, vec![3]);
    }

    #[test]
    fn only_permanent_failures_make_the_person_unreachable_on_push() {
        let (a, b) = (device(1, "fcm"), device(2, "webpush"));
        let attempt = aggregate(vec![
            (&a, ProviderOutcome::dead_token("gone")),
            (&b, ProviderOutcome::permanent("not allowed")),
        ]);
        assert_eq!(
            attempt.outcome,
            Outcome::Permanent("gone; not allowed".into())
        );
        assert_eq!(attempt.dead_devices, vec![1]);
    }
}
