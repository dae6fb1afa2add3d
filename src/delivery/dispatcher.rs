//! The dispatcher: claims due deliveries in batches, hands each to its channel's transport, and
//! records each result as soon as it is known, so one slow send never holds the others.
//!
//! - A worker owns what it claims through a short lease (`LEASE`) that a heartbeat renews while
//!   the worker lives; rows of a worker that died are taken over within a lease.
//! - Each channel's sends run concurrently, as many as its transport says for
//!   `Policy::concurrency` (`Transport::in_flight`), each channel under its own rate limit.
//! - Results are written in batches by one finaliser: a guarded update per delivery; dead push
//!   devices are marked; a delivery that ends unreachable or failed queues the person's next
//!   channel (the fallback chain); temporary failures back off exponentially with jitter (no
//!   sooner than a provider's `Retry-After`), up to a cap on attempts and on age.
//! - Any number of dispatchers share one PostgreSQL (`FOR UPDATE SKIP LOCKED`).
use super::channel::{Attempt, Channels, Outcome, Outgoing};
use super::evidence;
pub use super::policy::Policy;
use super::policy::{limiters, result_label, Limiter};
use super::side::{database_side, retryable, FINALISE_TRIES};
use super::store::{self, AttemptResult, Claim, Claimed};
use crate::app::{AppState, Clock};
use crate::config::Settings;
use crate::domain::Channel;
use crate::evidence::{content_sha256, ContentHash};
use crate::metrics::Metrics;
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio_util::sync::CancellationToken;

/// Results written per finaliser transaction at most.
const FINALISE_BATCH: usize = 512;

/// Rounds of `concurrency` sends claimed at once.
const CLAIM_ROUNDS: usize = 16;

/// Rounds of `concurrency` results written per finaliser transaction at most (up to
/// `FINALISE_BATCH`). Batches of 16 rounds rather than 4 (and 4 rounds of results queued
/// rather than 1) took 20,000 e-mails from 2.38–2.49 s to 1.98–2.10 s (bench/delivery.sh,
/// three runs each, 2026-12-01): every transaction is a handful of round trips to the
/// database, which on SQLite every claim waits for. The price is the crash window below.
const FINALISE_ROUNDS: usize = 16;

/// Rounds of `concurrency` results queued for the finaliser at most.
const RESULT_ROUNDS: usize = 4;

/// Sends outstanding at once, in rounds of `concurrency`, summed over the channels: e-mail
/// over SMTP `SMTP_IN_FLIGHT_ROUNDS`, SMS and push one each (`Transport::in_flight`).
const IN_FLIGHT_ROUNDS: usize = super::email::SMTP_IN_FLIGHT_ROUNDS + 1 + 1;

/// What a crash can leave sent but not recorded, in rounds of `concurrency`: the sends
/// outstanding (`IN_FLIGHT_ROUNDS`; a send holds its permit until its result is queued), the
/// results queued (`RESULT_ROUNDS`), the batch being filled or written (`FINALISE_ROUNDS`, at
/// most `FINALISE_BATCH` results). The README states it; `tests/api/crash.rs` checks it.
pub const CRASH_WINDOW_ROUNDS: usize = IN_FLIGHT_ROUNDS + RESULT_ROUNDS + FINALISE_ROUNDS;

/// Rows claimed at once at most.
const MAX_CLAIM: i64 = 2000;

/// How long the finaliser waits for a batch to fill once it holds a result.
const LINGER: std::time::Duration = std::time::Duration::from_millis(5);

/// How often a pass looks for deliveries whose worker died.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Clone)]
pub struct Dispatcher {
    db: DatabaseConnection,
    channels: Channels,
    metrics: Arc<Metrics>,
    wakeup: Arc<Notify>,
    policy: Policy,
    clock: Clock,
    /// This worker's name on the rows it claims.
    worker: Arc<str>,
    limits: Arc<HashMap<Channel, Limiter>>,
    max_attempts: i32,
    /// Where the people's full notices are (`/n/{code}`), for transports that link to them.
    links: crate::links::Links,
}

/// A claimed delivery, ready to send: its notice (none when it is missing) and channel (none
/// when the stored one is corrupt).
type Ready = (Option<Outgoing>, Claimed, Option<Channel>);

/// One finished attempt on its way to the finaliser.
struct Done {
    claimed: Claimed,
    attempt: Attempt,
    identity: String,
    channel: Option<Channel>,
    /// The hash of the exact content handed to the transport; `None` when nothing was (the
    /// notice or the channel was missing), and then the ledger records no attempt.
    content: Option<ContentHash>,
    elapsed: std::time::Duration,
}

/// What the finaliser remembers of each incident it has seen: its channel order (the
/// fallback chain) and the templates fingerprint its notices were composed with.
#[derive(Default)]
struct Seen {
    orders: HashMap<i64, Vec<Channel>>,
    templates: HashMap<i64, Option<String>>,
}

impl Dispatcher {
    /// A dispatcher over `db` with the channels the settings configure: all `tocsin worker`
    /// needs. Links follow `TOCSIN_PUBLIC_URL`, else the configured address.
    pub fn build(
        db: DatabaseConnection,
        settings: &Settings,
        metrics: Arc<Metrics>,
        wakeup: Arc<Notify>,
    ) -> anyhow::Result<Dispatcher> {
        let links = crate::links::Links::new(&settings.public_url.clone().unwrap_or_else(|| {
            url::Url::parse(&format!("http://{}", settings.addr)).expect("an address is a URL")
        }));
        Dispatcher::with_links(db, settings, metrics, wakeup, links)
    }

    /// The dispatcher of a running application (shares its wake-up, metrics, clock and links).
    pub fn for_app(state: &AppState) -> anyhow::Result<Dispatcher> {
        let mut d = Dispatcher::with_links(
            state.db.clone(),
            &state.settings,
            state.metrics.clone(),
            state.dispatch_wakeup.clone(),
            state.links.clone(),
        )?;
        d.clock = state.clock.clone();
        Ok(d)
    }

    fn with_links(
        db: DatabaseConnection,
        settings: &Settings,
        metrics: Arc<Metrics>,
        wakeup: Arc<Notify>,
        links: crate::links::Links,
    ) -> anyhow::Result<Dispatcher> {
        Ok(Dispatcher {
            channels: Channels::from_settings(settings, &links, &db)?,
            db,
            metrics,
            wakeup,
            policy: Policy::from_settings(settings),
            clock: Clock::system(),
            worker: uuid::Uuid::new_v4().simple().to_string().into(),
            limits: Arc::new(limiters(settings)),
            max_attempts: settings.max_attempts,
            links,
        })
    }

    /// With other transports (tests, benchmarks).
    pub fn with_channels(mut self, channels: Channels) -> Dispatcher {
        self.channels = channels;
        self
    }

    /// This worker's name on the rows it claims.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Runs until `shutdown`: works while there is work, then waits for a wake-up (a dispatch)
    /// or a second, whichever comes first (retries fall due without a wake-up). A heartbeat
    /// renews the leases of what is in flight.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(worker = %self.worker, "dispatcher started");
        let heartbeat = tokio::spawn(self.clone().heartbeat(shutdown.clone()));
        loop {
            let worked = match self.run_until_idle().await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "dispatcher round failed");
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
        heartbeat.abort();
        self.channels.shutdown().await;
        tracing::info!(worker = %self.worker, "dispatcher stopped");
    }

    async fn heartbeat(self, shutdown: CancellationToken) {
        let every = (self.policy.lease / 3)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(10));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
            let until = self.clock.now() + self.policy.lease;
            if let Err(e) = store::renew(&self.db, &self.worker, until).await {
                tracing::warn!(error = %e, "renewing leases failed");
            }
        }
    }

    /// Finishes interrupted dispatches, then sends until nothing is due now (retries and
    /// fallbacks that fall due meanwhile included), each result recorded as it comes. Returns
    /// how many attempts were made.
    pub async fn run_until_idle(&self) -> anyhow::Result<u64> {
        // Dispatches whose writer died are finished first (what they queue is sent below).
        let resumed =
            super::dispatch::resume_stale(&self.db, self.max_attempts, &self.clock, &self.wakeup);
        if let Err(e) = resumed.await {
            tracing::error!(error = %e, "finishing an interrupted dispatch failed");
        }
        let mut total = 0;
        loop {
            let n = self.pass().await?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    }

    /// Claims and sends until a claim comes back empty, then waits for every result to be
    /// recorded.
    ///
    /// Three stages run side by side: the claimer (claims a batch, reads its notices, and
    /// stays one batch ahead), the sends (up to `concurrency` at once) and the finaliser
    /// (records results in batches). With one SQLite connection a claim can wait behind the
    /// finaliser's transaction; claiming ahead keeps the sends busy meanwhile.
    async fn pass(&self) -> anyhow::Result<u64> {
        let concurrency = self.policy.concurrency;
        // Several rounds of sends per claim: a claim, and the notices' read, per handful of rows
        // cost more than the sending. Rows claimed and not yet sent are never duplicates after
        // a crash (only sent ones can be); they wait under the lease, renewed by the heartbeat.
        let size = (CLAIM_ROUNDS * concurrency).min(MAX_CLAIM as usize);
        let (ready_tx, mut ready) = mpsc::channel::<Ready>(size);
        let claimer = database_side().spawn(self.clone().claim_ahead(ready_tx, size as i64));
        // Results wait here at most `RESULT_ROUNDS` × concurrency deep, and a send holds its
        // permit until its result is queued, so what a crash can leave sent but unrecorded is
        // bounded: `CRASH_WINDOW_ROUNDS` × concurrency.
        let (tx, rx) = mpsc::channel::<Done>(RESULT_ROUNDS * concurrency);
        let finaliser = database_side().spawn(self.clone().finalise_all(rx));
        // Each channel's sends outstanding at once, as its transport says.
        let mut permits: HashMap<Option<Channel>, Arc<Semaphore>> = HashMap::new();
        let mut attempts = 0u64;
        while let Some((out, claimed, channel)) = ready.recv().await {
            attempts += 1;
            let sem = permits.entry(channel).or_insert_with(|| {
                let n = channel
                    .and_then(|c| self.channels.get(c))
                    .map_or(concurrency, |t| t.in_flight(concurrency));
                Arc::new(Semaphore::new(n))
            });
            let permit = sem.clone().acquire_owned().await?;
            let tx = tx.clone();
            let this = self.clone();
            tokio::spawn(async move {
                let done = this.attempt(claimed, channel, out).await;
                let _ = tx.send(done).await;
                drop(permit);
            });
        }
        drop(tx);
        let claimed = claimer.await?;
        // Every send holds a clone of `tx`: the finaliser ends when the last one is recorded.
        let finalised = finaliser.await?;
        claimed?;
        finalised?;
        Ok(attempts)
    }

    /// Claims batches and hands their deliveries on, ready to send, until a claim comes back
    /// empty. Rows of dead workers are looked for at the start and then every `SWEEP_EVERY`,
    /// not on every claim: they appear only when a lease runs out.
    async fn claim_ahead(self, ready: mpsc::Sender<Ready>, size: i64) -> anyhow::Result<()> {
        let mut swept: Option<std::time::Instant> = None;
        loop {
            let now = self.clock.now();
            let lease = now + self.policy.lease;
            let mut batch = Vec::new();
            if swept.is_none_or(|t| t.elapsed() >= SWEEP_EVERY) {
                self.reap().await?;
                batch =
                    store::claim(&self.db, Claim::Expired, &self.worker, size, lease, now).await?;
                if (batch.len() as i64) < size {
                    swept = Some(std::time::Instant::now());
                }
            }
            if batch.is_empty() {
                batch = store::claim(&self.db, Claim::Due, &self.worker, size, lease, now).await?;
            }
            if batch.is_empty() {
                return Ok(());
            }
            for item in self.outgoing(batch).await? {
                if ready.send(item).await.is_err() {
                    // The sending side stopped (an error there); what was claimed waits out
                    // its lease.
                    return Ok(());
                }
            }
        }
    }

    /// The batch's notices and links, prepared by each channel's transport in one go.
    async fn outgoing(&self, batch: Vec<Claimed>) -> anyhow::Result<Vec<Ready>> {
        let ids: Vec<i64> = batch.iter().map(|c| c.notice_id).collect();
        let mut notices = crate::notices::store::by_ids_with_links(&self.db, &ids).await?;
        let mut groups: HashMap<Channel, Vec<(Outgoing, Claimed)>> = HashMap::new();
        let mut out = Vec::with_capacity(batch.len());
        for c in batch {
            let channel = Channel::from_stored(&c.channel).ok();
            match (channel, notices.remove(&c.notice_id)) {
                (Some(ch), Some((notice, code))) => {
                    let link = code.map(|code| self.links.to(&format!("/n/{code}")));
                    let o = Outgoing {
                        delivery_id: c.id,
                        incident_id: c.incident_id,
                        subject_id: c.subject_id,
                        idempotency_key: Outgoing::key(c.incident_id, c.id),
                        notice,
                        link,
                        devices: Vec::new(),
                    };
                    groups.entry(ch).or_default().push((o, c));
                }
                (channel, _) => out.push((None, c, channel)),
            }
        }
        for (ch, group) in groups {
            let (mut outs, claims): (Vec<Outgoing>, Vec<Claimed>) = group.into_iter().unzip();
            if let Some(t) = self.channels.get(ch) {
                t.prepare(&mut outs).await?;
            }
            out.extend(
                outs.into_iter()
                    .zip(claims)
                    .map(|(o, c)| (Some(o), c, Some(ch))),
            );
        }
        Ok(out)
    }

    /// One attempt of one delivery, on its channel's transport.
    async fn attempt(
        &self,
        claimed: Claimed,
        channel: Option<Channel>,
        out: Option<Outgoing>,
    ) -> Done {
        let started = std::time::Instant::now();
        let content = out.as_ref().map(|o| {
            let n = &o.notice;
            content_sha256(&n.subject_line, &n.body_text, n.body_html.as_deref())
        });
        let done = |attempt: Attempt, identity: String| Done {
            channel,
            attempt,
            identity,
            content: content.clone(),
            elapsed: started.elapsed(),
            claimed: claimed.clone(),
        };
        let Some(channel) = channel else {
            let reason = format!("corrupt stored channel '{}'", claimed.channel);
            return done(Outcome::Permanent(reason).into(), String::new());
        };
        let Some(out) = out else {
            return done(
                Outcome::Permanent("the notice is missing".into()).into(),
                String::new(),
            );
        };
        let Some(transport) = self.channels.get(channel) else {
            return done(
                Outcome::Permanent(format!("no {channel} transport is configured")).into(),
                String::new(),
            );
        };
        let identity = transport.identity(&out);
        if !transport.can_send(&out) {
            let reason = format!("{channel} is not configured for this contact point");
            return done(Outcome::Permanent(reason).into(), identity);
        }
        if let Some(l) = self.limits.get(&channel) {
            l.until_ready().await;
        }
        let attempt = transport.send(&out).await;
        done(attempt, identity)
    }

    /// Deliveries whose worker died on their last attempt fail and fall back.
    async fn reap(&self) -> anyhow::Result<()> {
        let now = self.clock.now();
        let reaped = store::reap(&self.db, now).await?;
        if reaped.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin().await?;
        let mut orders = HashMap::new();
        let mut entries = Vec::new();
        for c in &reaped {
            if let Some(to) = self.fall_back(&txn, &mut orders, c, now).await? {
                entries.extend(evidence::fell_back(c, to, now));
            }
        }
        crate::evidence::append_batch(&txn, &entries).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Records results as they come, in batches: a batch is written when it holds
    /// `FINALISE_ROUNDS` × concurrency results or `LINGER` after its first, whichever is first
    /// (a transaction per handful of results cost more than the sending; on SQLite every
    /// statement is a hand-off to its worker thread).
    async fn finalise_all(self, mut rx: mpsc::Receiver<Done>) -> anyhow::Result<()> {
        let target = (FINALISE_ROUNDS * self.policy.concurrency).min(FINALISE_BATCH);
        let mut buf = Vec::with_capacity(target);
        let mut seen = Seen::default();
        let mut failed = None;
        while rx.recv_many(&mut buf, target).await > 0 {
            let until = tokio::time::Instant::now() + LINGER;
            while buf.len() < target {
                let room = target - buf.len();
                let more = tokio::time::timeout_at(until, rx.recv_many(&mut buf, room));
                match more.await {
                    Ok(n) if n > 0 => {}
                    _ => break, // the time is up, or every send is done
                }
            }
            // Keep draining after an error so no send waits forever; report the first error.
            // A transaction the database aborted (a deadlock, a busy SQLite) is tried again: it
            // was rolled back whole and every update is guarded on its claim.
            let mut tries = 0;
            while failed.is_none() {
                match self.finalise(&mut seen, &buf).await {
                    Ok(()) => break,
                    Err(e) if tries < FINALISE_TRIES && retryable(&e) => {
                        tries += 1;
                        tracing::warn!(error = format!("{e:#}"), tries, "recording results again");
                        tokio::time::sleep(std::time::Duration::from_millis(10 << tries)).await;
                    }
                    Err(e) => failed = Some(e),
                }
            }
            buf.clear();
        }
        failed.map_or(Ok(()), Err)
    }

    /// Records a batch of results in one transaction: each delivery's guarded update, dead
    /// devices, the fallbacks, and last the ledger entries proving each attempt and fallback.
    async fn finalise(&self, seen: &mut Seen, done: &[Done]) -> anyhow::Result<()> {
        let now = self.clock.now();
        let txn = self.db.begin().await?;
        let mut labels = Vec::with_capacity(done.len());
        let mut entries = Vec::with_capacity(done.len());
        let results: Vec<AttemptResult> = done
            .iter()
            .map(|d| self.policy.result(&d.claimed, &d.attempt.outcome, now))
            .collect();
        // Accepted messages, the bulk of any batch, in multi-row statements; each still guarded
        // on its own claim.
        let sent: Vec<(&Claimed, &str, &str)> = done
            .iter()
            .zip(&results)
            .filter_map(|(d, r)| match r {
                AttemptResult::Sent { reference } => {
                    Some((&d.claimed, reference.as_str(), d.identity.as_str()))
                }
                _ => None,
            })
            .collect();
        let sent = store::finalise_sent(&txn, &sent, now).await?;
        for (d, result) in done.iter().zip(results) {
            let c = &d.claimed;
            if !d.attempt.dead_devices.is_empty() {
                crate::population::store::mark_devices_dead(
                    &txn,
                    &d.attempt.dead_devices,
                    "the push provider says this device is no longer registered",
                    now,
                )
                .await?;
            }
            let finalised = match result {
                AttemptResult::Sent { .. } => sent.contains(&c.id),
                _ => store::finalise(&txn, c, &result, &d.identity, now).await?,
            };
            if !finalised {
                // Another worker took it over after our lease expired; its result stands.
                tracing::warn!(
                    delivery.id = c.id,
                    "delivery was reclaimed before it was finalised"
                );
                continue;
            }
            if let (Some(channel), Some(content)) = (d.channel, &d.content) {
                let templates = match seen.templates.entry(c.incident_id) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => e.insert(
                        crate::incidents::find(&txn, c.incident_id)
                            .await?
                            .notices
                            .composed_templates,
                    ),
                };
                if let Some(templates) = templates {
                    entries.push(evidence::attempt(
                        c,
                        &d.identity,
                        channel,
                        &result,
                        content,
                        templates,
                        now,
                    ));
                }
            }
            if result.falls_back() {
                if let Some(to) = self.fall_back(&txn, &mut seen.orders, c, now).await? {
                    entries.extend(evidence::fell_back(c, to, now));
                }
            }
            labels.push((d.channel, result_label(&result), d.elapsed));
        }
        crate::evidence::append_batch(&txn, &entries).await?;
        txn.commit().await?;
        for (channel, label, elapsed) in labels {
            let channel = channel.map_or("unknown", |c| c.as_str());
            self.metrics.delivery(channel, label);
            self.metrics.delivery_latency(channel, label, elapsed);
        }
        Ok(())
    }

    /// Queues the person's next channel after `c`'s and wakes the dispatcher for it; returns
    /// the channel queued.
    async fn fall_back(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        orders: &mut HashMap<i64, Vec<Channel>>,
        c: &Claimed,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<Channel>> {
        let next = fall_back(txn, orders, c, self.max_attempts, now).await?;
        if next.is_some() {
            self.wakeup.notify_one();
        }
        Ok(next)
    }
}

/// Queues the person's next channel after the one `c` was on, in their incident's order
/// (`orders` caches the orders of incidents already seen), unless none is left or the
/// incident's delivery was cancelled. Returns the channel queued. The one fallback path: the
/// dispatcher's finaliser and reaper, and providers' later word on a sent message (an SMS
/// status callback saying undelivered), all come through here.
pub async fn fall_back(
    txn: &impl sea_orm::ConnectionTrait,
    orders: &mut HashMap<i64, Vec<Channel>>,
    c: &Claimed,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Channel>> {
    let Ok(tried) = Channel::from_stored(&c.channel) else {
        return Ok(None);
    };
    let order = match orders.entry(c.incident_id) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(crate::incidents::find(txn, c.incident_id).await?.channels)
        }
    };
    let next = store::fall_back(
        txn,
        c.incident_id,
        c.subject_id,
        tried,
        order,
        max_attempts,
        now,
    )
    .await?;
    tracing::debug!(
        delivery.id = c.id,
        incident.id = c.incident_id,
        next = next.map_or("none", |c| c.as_str()),
        "falling back"
    );
    Ok(next)
}
