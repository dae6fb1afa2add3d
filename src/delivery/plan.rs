//! A dispatch before it happens (`POST …/dispatch?dry_run=true`, the console's delivery tab):
//! per channel the people it would queue, SMS segments and cost, and the time at the configured
//! rates, with a warning when that passes the incident's earliest deadline.
//!
//! With one channel at a time (every dispatch but a high-severity `at_once`), what a dispatch
//! queues is counted, not rehearsed: each person with no delivery yet goes to the first channel of
//! the incident's order they have a contact point on. That is one pass over the incident's
//! notices in `ux_notices_person_channel` order, and the SMS texts of the people whose first
//! channel is SMS read in pages; a million people take seconds, not the minute that queuing
//! them all in a rolled-back transaction took. `at_once` > 1 still rehearses the dispatch.
use super::dispatch::{sendable, DispatchError, Options};
use super::store;
use crate::config::Settings;
use crate::db::stmt;
use crate::delivery::wire::sms_text;
use crate::domain::Channel;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait, Value};
use serde::Serialize;

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
/// the configured rates; warns when that passes the incident's earliest deadline. Nothing is
/// written: the transaction (which holds the incident's lock while it counts) is rolled back.
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
    let counts = if at_once == 1 {
        counted(&txn, incident_id, &inc.channels).await?
    } else {
        rehearsed(&txn, incident_id, &inc.channels, at_once, max_attempts, now).await?
    };
    let (queued, segments, reached) = (counts.queued, counts.sms_segments, counts.reached);
    let facts = crate::population::PopulationFacts::load(&txn, incident_id).await?;
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

/// What a dispatch would queue: people per channel, the SMS segments of those queued on SMS,
/// and the people who would then have a delivery (queued now or before).
#[derive(Debug, Default, PartialEq)]
pub struct Counts {
    pub queued: Vec<(Channel, i64)>,
    pub sms_segments: u64,
    pub reached: i64,
}

/// Queues in the caller's transaction (which is then rolled back) and counts what was queued.
async fn rehearsed(
    txn: &impl ConnectionTrait,
    incident_id: i64,
    order: &[Channel],
    at_once: usize,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<Counts, DbErr> {
    store::enqueue(txn, incident_id, order, at_once, max_attempts, now, None).await?;
    Ok(Counts {
        queued: store::queued_at(txn, incident_id, now).await?,
        sms_segments: store::queued_texts(txn, incident_id, Channel::Sms, now, |text| {
            sms_text::count(text).segments as u64
        })
        .await?,
        reached: store::people_with_deliveries(txn, incident_id).await?,
    })
}

/// What `store::enqueue` with one channel at a time would queue, counted without queuing.
pub async fn counted(
    db: &impl ConnectionTrait,
    incident_id: i64,
    order: &[Channel],
) -> Result<Counts, DbErr> {
    let before = store::people_with_deliveries(db, incident_id).await?;
    if order.is_empty() {
        return Ok(Counts {
            reached: before,
            ..Counts::default()
        });
    }
    let backend = db.get_database_backend();
    let marks = vec!["?"; order.len()].join(", ");
    let ranks: String = (0..order.len())
        .map(|i| format!(" WHEN ? THEN {i}"))
        .collect();
    let sql = format!(
        "SELECT t.r AS r, COUNT(*) AS n FROM (SELECT MIN(CASE n.channel{ranks} END) AS r \
         FROM notices n WHERE n.incident_id = ? AND n.recipient IS NOT NULL \
         AND n.channel IN ({marks}) AND {NOT_QUEUED} GROUP BY n.subject_id) t GROUP BY t.r"
    );
    let mut values: Vec<Value> = order.iter().map(|&c| c.into()).collect();
    values.push(incident_id.into());
    values.extend(order.iter().map(|&c| Value::from(c)));
    let mut queued: Vec<(Channel, i64)> = Vec::new();
    for row in db.query_all(stmt(backend, &sql, values)).await? {
        let rank: i32 = row.try_get("", "r")?;
        let n: i64 = row.try_get("", "n")?;
        if let Some(&channel) = usize::try_from(rank).ok().and_then(|r| order.get(r)) {
            queued.push((channel, n));
        }
    }
    let sms_segments = match order.iter().position(|&c| c == Channel::Sms) {
        Some(at) => first_sms_segments(db, incident_id, &order[..at]).await?,
        None => 0,
    };
    Ok(Counts {
        reached: before + queued.iter().map(|(_, n)| n).sum::<i64>(),
        queued,
        sms_segments,
    })
}

/// The person has no delivery yet (enqueue's first round).
const NOT_QUEUED: &str = "NOT EXISTS (SELECT 1 FROM deliveries d \
     WHERE d.incident_id = n.incident_id AND d.subject_id = n.subject_id)";

/// SMS segments of the people whose first channel would be SMS: not yet queued, an SMS notice
/// with a phone number, no contact point on an `earlier` channel. In pages of the person's id.
async fn first_sms_segments(
    db: &impl ConnectionTrait,
    incident_id: i64,
    earlier: &[Channel],
) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let earlier_sql = if earlier.is_empty() {
        String::new()
    } else {
        format!(
            " AND NOT EXISTS (SELECT 1 FROM notices e WHERE e.incident_id = n.incident_id \
             AND e.subject_id = n.subject_id AND e.recipient IS NOT NULL AND e.channel IN ({}))",
            vec!["?"; earlier.len()].join(", ")
        )
    };
    let sql = format!(
        "SELECT n.subject_id, n.body_text FROM notices n WHERE n.incident_id = ? \
         AND n.channel = ? AND n.recipient IS NOT NULL AND n.subject_id > ? AND {NOT_QUEUED}\
         {earlier_sql} ORDER BY n.subject_id LIMIT 1000"
    );
    let (mut after, mut sum) = (0i64, 0u64);
    loop {
        let mut values: Vec<Value> = vec![incident_id.into(), Channel::Sms.into(), after.into()];
        values.extend(earlier.iter().map(|&c| Value::from(c)));
        let rows = db.query_all(stmt(backend, &sql, values)).await?;
        let Some(last) = rows.last() else {
            return Ok(sum);
        };
        after = last.try_get("", "subject_id")?;
        for r in &rows {
            sum += sms_text::count(&r.try_get::<String>("", "body_text")?).segments as u64;
        }
    }
}
