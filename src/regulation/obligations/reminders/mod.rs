//! Reminders: e-mails to the responders (accounts with the responder or admin role) at set
//! times before each obligation's deadline (`TOCSIN_REMINDERS`, default 24 and 4 hours), and
//! once when a deadline is missed.
//!
//! Run by the dispatcher's process on a timer (`tocsin serve`, `tocsin worker`). Each tick
//! refreshes the obligations of every open incident (the rules read against the clock), writes
//! the reminders now due to the database (`store::plan`: one row per obligation, account, kind,
//! offset and due time, so a reminder is written once whichever process and however often),
//! then claims unsent rows with a short lease and sends them through the e-mail transport that
//! sends the notices (`delivery::email`). A row is marked sent once the transport accepted it:
//! a restart finds what was written and not yet sent and sends it, once.
pub mod store;

use super::refresh::refresh_in;
use super::{Obligation, Status};
use crate::app::{AppState, Clock};
use crate::config::Settings;
use crate::delivery::email::Email;
use crate::delivery::Outcome;
use crate::links::Links;
use crate::playbooks::Playbooks;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// How often the timer runs.
pub const TICK: std::time::Duration = std::time::Duration::from_secs(60);
/// How long a claimed reminder is held before another process may take it over.
const LEASE_SECS: i64 = 120;
/// Reminders sent per claim.
const BATCH: i64 = 100;

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub incidents: usize,
    pub planned: u64,
    pub sent: u64,
    pub failed: u64,
}

/// The reminder due for an obligation due at `due_at`, now: `missed` once past it, else the
/// closest offset already reached (`before`, minutes), else none.
pub fn pick(
    due_at: DateTime<Utc>,
    offsets: &[std::time::Duration],
    now: DateTime<Utc>,
) -> Option<(&'static str, i32)> {
    if now > due_at {
        return Some(("missed", 0));
    }
    offsets
        .iter()
        .filter_map(|o| Duration::from_std(*o).ok())
        .filter(|o| now >= due_at - *o)
        .min()
        .map(|o| ("before", i32::try_from(o.num_minutes()).unwrap_or(i32::MAX)))
}

/// "4 hours", "1 day", "30 minutes".
fn words(minutes: i32) -> String {
    let (n, unit) = if minutes % 1440 == 0 {
        (minutes / 1440, "day")
    } else if minutes % 60 == 0 {
        (minutes / 60, "hour")
    } else {
        (minutes, "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[derive(Clone)]
pub struct Reminders {
    db: DatabaseConnection,
    playbooks: Arc<Playbooks>,
    email: Arc<Email>,
    offsets: Vec<std::time::Duration>,
    links: Links,
    clock: Clock,
}

impl Reminders {
    pub fn build(
        db: DatabaseConnection,
        settings: &Settings,
        playbooks: Arc<Playbooks>,
        links: Links,
    ) -> anyhow::Result<Reminders> {
        Ok(Reminders {
            email: Arc::new(Email::from_settings(settings)?),
            db,
            playbooks,
            offsets: settings.reminders.clone(),
            links,
            clock: Clock::system(),
        })
    }

    /// The reminders of a running application (its database, playbooks, links and clock).
    pub fn for_app(state: &AppState) -> anyhow::Result<Reminders> {
        let mut r = Reminders::build(
            state.db.clone(),
            &state.settings,
            state.playbooks.clone(),
            state.links.clone(),
        )?;
        r.clock = state.clock.clone();
        Ok(r)
    }

    /// Runs a tick now and every `TICK` until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.run_once(self.clock.now()).await {
                tracing::error!(error = format!("{e:#}"), "reminder tick failed");
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(TICK) => {}
            }
        }
    }

    /// One tick at `now`: refresh, plan, send.
    pub async fn run_once(&self, now: DateTime<Utc>) -> anyhow::Result<Pass> {
        let incidents = self.refresh_open(now).await?;
        let planned = self.plan(now).await?;
        let (sent, failed) = self.send(now).await?;
        Ok(Pass {
            incidents,
            planned,
            sent,
            failed,
        })
    }

    /// Recomputes the obligations of every incident that is not closed.
    pub async fn refresh_open(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let ids = store::open_incidents(&self.db).await?;
        for &id in &ids {
            let txn = self.db.begin().await?;
            let inc = crate::incidents::store::lock(&txn, id).await?;
            refresh_in(&txn, &self.playbooks, &inc, now).await?;
            txn.commit().await?;
        }
        Ok(ids.len())
    }

    /// Writes the reminders due now for open incidents' obligations, to every responder.
    pub async fn plan(&self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        let horizon = self
            .offsets
            .iter()
            .filter_map(|o| Duration::from_std(*o).ok())
            .max()
            .unwrap_or_else(Duration::zero);
        let open = store::open_incidents(&self.db).await?;
        let due = super::store::due_before(&self.db, now + horizon).await?;
        let recipients = store::recipients(&self.db).await?;
        let mut planned = Vec::new();
        for o in due.iter().filter(|o| open.contains(&o.incident_id)) {
            let Some(due_at) = o.due_at else { continue };
            let Some((kind, offset_minutes)) = pick(due_at, &self.offsets, now) else {
                continue;
            };
            planned.extend(recipients.iter().map(|&account_id| store::Planned {
                obligation_id: o.id,
                account_id,
                kind,
                offset_minutes,
                due_at,
            }));
        }
        let txn = self.db.begin().await?;
        let n = store::plan(&txn, &planned, now).await?;
        txn.commit().await?;
        Ok(n)
    }

    /// Sends what is written and unsent; returns (sent, failed).
    pub async fn send(&self, now: DateTime<Utc>) -> anyhow::Result<(u64, u64)> {
        let (mut sent, mut failed) = (0, 0);
        loop {
            let batch = store::claim(&self.db, BATCH, Duration::seconds(LEASE_SECS), now).await?;
            if batch.is_empty() {
                return Ok((sent, failed));
            }
            for r in batch {
                let o = super::store::by_id(&self.db, r.obligation_id).await?;
                // Done meanwhile, or due at another time now: nothing to remind of.
                let current = o.as_ref().is_some_and(|o| {
                    matches!(o.status, Status::Due | Status::Overdue) && o.due_at == Some(r.due_at)
                });
                let Some(o) = o.filter(|_| current) else {
                    store::sent(&self.db, r.id, now).await?;
                    continue;
                };
                let title = crate::incidents::find(&self.db, o.incident_id)
                    .await
                    .map(|i| i.title)
                    .unwrap_or_default();
                let (subject, text) = self.message(&o, &title, &r);
                let key = format!("tocsin.reminder.{}", r.id);
                let file = format!("reminder-{}.eml", r.id);
                match self
                    .email
                    .send_text(&key, &file, &r.email, &subject, &text)
                    .await
                {
                    Outcome::Sent(_) => {
                        store::sent(&self.db, r.id, now).await?;
                        sent += 1;
                    }
                    other => {
                        let permanent = matches!(other, Outcome::Permanent(_));
                        let reason = match &other {
                            Outcome::Permanent(w) | Outcome::Transient { reason: w, .. } => {
                                w.clone()
                            }
                            Outcome::Sent(_) => String::new(),
                        };
                        tracing::warn!(
                            reminder.id = r.id,
                            permanent,
                            "a reminder could not be sent"
                        );
                        let retry = now + Duration::minutes(5);
                        store::failed(&self.db, r.id, &reason, permanent, retry).await?;
                        failed += 1;
                    }
                }
            }
        }
    }

    fn message(
        &self,
        o: &Obligation,
        incident_title: &str,
        r: &store::Claimed,
    ) -> (String, String) {
        let reference = format!("TOCSIN-{}", o.incident_id);
        let what = if o.details.title.is_empty() {
            o.key.clone()
        } else {
            o.details.title.clone()
        };
        let when = if r.kind == "missed" {
            "is overdue".to_owned()
        } else {
            format!("is due in {}", words(r.offset_minutes))
        };
        let unverified = if o.unverified {
            " [UNVERIFIED RULE]"
        } else {
            ""
        };
        let subject = format!(
            "[Tocsin] {reference}: {what} ({}) {when}{unverified}",
            o.jurisdiction
        );
        let mut text = format!(
            "{incident_title} ({reference})\n\n{what} {when}.\n\n\
             Regime:    {} — {}{unverified}\n\
             Audience:  {}\n",
            o.jurisdiction, o.details.regime_name, o.audience
        );
        if let Some(a) = &o.authority {
            text.push_str(&format!("Authority: {a}\n"));
        }
        text.push_str(&format!(
            "Due:       {} ({})\nWhy:       {}\n",
            r.due_at.to_rfc3339(),
            o.details.deadline,
            o.reason
        ));
        for n in &o.details.notes {
            text.push_str(&format!("Note:      {n}\n"));
        }
        text.push_str(&format!(
            "\nOnce it is done, record when and how: {} \
             (or POST /api/v1/incidents/{}/obligations/{}/done).\n",
            self.links
                .to(&format!("/incidents/{}/obligations", o.incident_id)),
            o.incident_id,
            o.id
        ));
        (subject, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_closest_reminder_reached_is_picked_and_a_missed_deadline_once() {
        let h = |n: u64| std::time::Duration::from_secs(n * 3600);
        let offsets = [h(24), h(4)];
        let due = t("2026-11-23T09:00:00Z");
        let rows = [
            ("2026-11-22T08:59:59Z", None),
            ("2026-11-22T09:00:00Z", Some(("before", 1440))),
            ("2026-11-23T04:59:59Z", Some(("before", 1440))),
            ("2026-11-23T05:00:00Z", Some(("before", 240))),
            ("2026-11-23T09:00:00Z", Some(("before", 240))),
            ("2026-11-23T09:00:01Z", Some(("missed", 0))),
        ];
        for (now, want) in rows {
            assert_eq!(pick(due, &offsets, t(now)), want, "{now}");
        }
        assert_eq!(pick(due, &[], t("2026-11-23T08:00:00Z")), None);
        assert_eq!(words(240), "4 hours");
        assert_eq!(words(1440), "1 day");
        assert_eq!(words(30), "30 minutes");
    }
}
