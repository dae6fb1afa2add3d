//! The dispatcher: claims due deliveries in a short transaction (status `sending`, attempts + 1,
//! a lease), sends outside any transaction, and finalises each with a guarded update. Expired
//! leases are reclaimed; temporary failures back off exponentially with jitter up to a cap,
//! then the delivery is `failed`. Any number of dispatchers can share one PostgreSQL: claims
//! use `FOR UPDATE SKIP LOCKED`.
use super::email::{message_id, Mailer, Outcome, OutgoingEmail};
use crate::db::stmt;
use crate::web::AppState;
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use rand::Rng;
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait, Value as DbValue};
use std::collections::HashMap;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

const CLAIM: i64 = 100;
const LEASE_SECS: i64 = 300;
const MAX_BACKOFF_SECS: i64 = 6 * 3600;

struct Claimed {
    id: i64,
    notice_id: i64,
    incident_id: i64,
    channel: String,
    attempts: i32,
    max_attempts: i32,
}

#[derive(Clone)]
pub struct Dispatcher {
    state: AppState,
    mailer: Arc<Mailer>,
}

impl Dispatcher {
    pub fn new(state: AppState) -> anyhow::Result<Dispatcher> {
        let mailer = Mailer::from_settings(&state.settings)?;
        Ok(Dispatcher {
            state,
            mailer: Arc::new(mailer),
        })
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
                    _ = self.state.dispatch_wakeup.notified() => {},
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
        let claimed = self.claim().await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let n = claimed.len();
        let mut emails = self.load(&claimed).await?;
        let from = self.state.settings.mail_from.clone();
        let jobs: Vec<(Claimed, Option<Option<OutgoingEmail>>)> = claimed
            .into_iter()
            .map(|c| {
                let mail = emails.remove(&c.id);
                (c, mail)
            })
            .collect();
        let results: Vec<(Claimed, Outcome, String)> = futures::stream::iter(jobs)
            .map(|(c, mail)| {
                let mailer = self.mailer.clone();
                let from = from.clone();
                async move {
                    let mid = message_id(c.id, c.incident_id, &from);
                    let outcome = match (c.channel.as_str(), mail) {
                        ("email", Some(Some(m))) => mailer.send(&from, &m).await,
                        ("email", Some(None)) => Outcome::Permanent("no e-mail address".into()),
                        ("email", None) => Outcome::Permanent("the notice is missing".into()),
                        (other, _) => {
                            Outcome::Permanent(format!("channel {other} is not available yet"))
                        }
                    };
                    (c, outcome, mid)
                }
            })
            .buffer_unordered(self.state.settings.send_concurrency)
            .collect()
            .await;
        for (c, outcome, mid) in results {
            self.finalise(&c, &outcome, &mid).await?;
        }
        Ok(n)
    }

    async fn claim(&self) -> Result<Vec<Claimed>, sea_orm::DbErr> {
        let db = &self.state.db;
        let backend = db.get_database_backend();
        let now = crate::audit::now();
        let lock = if backend == DbBackend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, lease_until = ?, updated_at = ? \
             WHERE id IN (SELECT id FROM deliveries WHERE (status = 'pending' AND next_attempt_at <= ?) \
             OR (status = 'sending' AND lease_until < ?) ORDER BY next_attempt_at, id LIMIT ?{lock}) \
             RETURNING id, notice_id, incident_id, channel, attempts, max_attempts"
        );
        let txn = db.begin().await?;
        let rows = txn
            .query_all(stmt(
                backend,
                &sql,
                [
                    (now + Duration::seconds(LEASE_SECS)).into(),
                    now.into(),
                    now.into(),
                    now.into(),
                    CLAIM.into(),
                ],
            ))
            .await?;
        txn.commit().await?;
        rows.into_iter()
            .map(|r| {
                Ok(Claimed {
                    id: r.try_get("", "id")?,
                    notice_id: r.try_get("", "notice_id")?,
                    incident_id: r.try_get("", "incident_id")?,
                    channel: r.try_get("", "channel")?,
                    attempts: r.try_get("", "attempts")?,
                    max_attempts: r.try_get("", "max_attempts")?,
                })
            })
            .collect()
    }

    /// The notices behind the claimed deliveries: delivery id → the e-mail (None: no address).
    async fn load(
        &self,
        claimed: &[Claimed],
    ) -> Result<HashMap<i64, Option<OutgoingEmail>>, sea_orm::DbErr> {
        let db = &self.state.db;
        let backend = db.get_database_backend();
        let by_notice: HashMap<i64, (i64, i64)> = claimed
            .iter()
            .map(|c| (c.notice_id, (c.id, c.incident_id)))
            .collect();
        let marks = vec!["?"; claimed.len()].join(",");
        let values: Vec<DbValue> = claimed.iter().map(|c| c.notice_id.into()).collect();
        let rows = db
            .query_all(stmt(
                backend,
                &format!(
                    "SELECT n.id, n.recipient, n.subject_line, n.body_text, n.body_html, s.name \
                     FROM notices n JOIN subjects s ON s.id = n.subject_id WHERE n.id IN ({marks})"
                ),
                values,
            ))
            .await?;
        let from = &self.state.settings.mail_from;
        let mut out = HashMap::new();
        for r in rows {
            let nid: i64 = r.try_get("", "id")?;
            let Some(&(did, iid)) = by_notice.get(&nid) else {
                continue;
            };
            let recipient: Option<String> = r.try_get("", "recipient")?;
            let mail = match recipient {
                None => None,
                Some(to) => Some(OutgoingEmail {
                    delivery_id: did,
                    message_id: message_id(did, iid, from),
                    to_address: to,
                    to_name: r.try_get("", "name")?,
                    subject: r.try_get("", "subject_line")?,
                    text: r.try_get("", "body_text")?,
                    html: r.try_get("", "body_html")?,
                }),
            };
            out.insert(did, mail);
        }
        Ok(out)
    }

    async fn finalise(
        &self,
        c: &Claimed,
        outcome: &Outcome,
        mid: &str,
    ) -> Result<(), sea_orm::DbErr> {
        let db = &self.state.db;
        let backend = db.get_database_backend();
        let now = crate::audit::now();
        let guard = " WHERE id = ? AND status = 'sending' AND attempts = ?";
        let (label, sql, mut values): (&str, String, Vec<DbValue>) = match outcome {
            Outcome::Sent(reference) => (
                "sent",
                format!("UPDATE deliveries SET status = 'sent', sent_at = ?, provider_ref = ?, message_id = ?, lease_until = NULL, last_error = NULL, updated_at = ?{guard}"),
                vec![now.into(), reference.clone().into(), mid.into(), now.into()],
            ),
            Outcome::Permanent(why) => (
                "unreachable",
                format!("UPDATE deliveries SET status = 'unreachable', last_error = ?, message_id = ?, lease_until = NULL, updated_at = ?{guard}"),
                vec![why.clone().into(), mid.into(), now.into()],
            ),
            Outcome::Transient(why) if c.attempts >= c.max_attempts => (
                "failed",
                format!("UPDATE deliveries SET status = 'failed', last_error = ?, message_id = ?, lease_until = NULL, updated_at = ?{guard}"),
                vec![why.clone().into(), mid.into(), now.into()],
            ),
            Outcome::Transient(why) => (
                "retry",
                format!("UPDATE deliveries SET status = 'pending', last_error = ?, message_id = ?, next_attempt_at = ?, lease_until = NULL, updated_at = ?{guard}"),
                vec![why.clone().into(), mid.into(), next_attempt(now, c.attempts, self.state.settings.retry_base).into(), now.into()],
            ),
        };
        values.push(c.id.into());
        values.push(c.attempts.into());
        let res = db.execute(stmt(backend, &sql, values)).await?;
        if res.rows_affected() == 0 {
            // Another dispatcher reclaimed it after our lease expired; its result stands.
            tracing::warn!(
                delivery.id = c.id,
                "delivery was reclaimed before it was finalised"
            );
        }
        self.state.metrics.delivery(&c.channel, label);
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
