//! The use cases: an incident's obligations as they stand now (recomputed and stored), and
//! marking one done.
use super::gather::{gather, Gathered};
use super::store::{self, Computed};
use super::{Details, Fulfilment, Obligation, Status};
use crate::audit::Actor;
use crate::incidents::{self, Incident, IncidentError};
use crate::playbooks::jurisdictions::{evaluate::evaluate, Audience, Due, Finding, Situation};
use crate::playbooks::Playbooks;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// How far in the future a fulfilment may be dated (clock skew).
const FUTURE_SLACK_MINUTES: i64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum ObligationError {
    #[error(transparent)]
    Incident(#[from] IncidentError),
    /// 404
    #[error("obligation {0} not found for this incident")]
    NotFound(i64),
    /// 409 `not_required`
    #[error("this obligation is not required ({0}): there is nothing to mark done")]
    NotRequired(String),
    /// 409 `already_done`
    #[error("this obligation was already marked done at {0}")]
    AlreadyDone(DateTime<Utc>),
    /// 422: field → reason.
    #[error("invalid fields")]
    Invalid(Vec<(String, String)>),
    /// 500
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

/// What `status` needs of a finding besides the time: whether and when it was fulfilled.
pub fn status(
    f: &Finding,
    fulfilled: Option<&Fulfilment>,
    now: DateTime<Utc>,
) -> (Status, Option<DateTime<Utc>>) {
    if !f.required() {
        return (Status::NotRequired, None);
    }
    if let Some(x) = fulfilled {
        return match f.keep_days {
            Some(days) => {
                let until = x.at + Duration::days(i64::from(days));
                (
                    if now < until {
                        Status::Ongoing
                    } else {
                        Status::Done
                    },
                    Some(until),
                )
            }
            None => (Status::Done, None),
        };
    }
    let s = match &f.due {
        Due::At(t) if now > *t => Status::Overdue,
        Due::At(_) | Due::NoFixedTime => Status::Due,
        Due::Waiting(_) => Status::Waiting,
    };
    (s, None)
}

fn computed(f: &Finding, fulfilled: Option<&Fulfilment>, now: DateTime<Utc>) -> Computed {
    let (status, keep_until) = status(f, fulfilled, now);
    let reason = match &f.not_required {
        Some(why) => why.clone(),
        None => f.reasons.join("; "),
    };
    Computed {
        key: f.key.clone(),
        jurisdiction: f.regime.clone(),
        authority: f.authority.clone(),
        authority_id: f.authority_id.clone(),
        audience: f.audience.as_str().to_owned(),
        due_at: match f.due {
            Due::At(t) if f.required() => Some(t),
            _ => None,
        },
        status,
        reason,
        verification: f.verification.as_str().to_owned(),
        unverified: f.unverified(),
        details: Details {
            regime_name: f.regime_name.clone(),
            title: f.title.clone(),
            reasons: f.reasons.clone(),
            notes: f.notes.clone(),
            deadline: f.deadline.clone(),
            qualifier: f.qualifier.clone(),
            clock_start: f.clock_start.as_str().to_owned(),
            waiting_for: match &f.due {
                Due::Waiting(w) => Some(w.clone()),
                _ => None,
            },
            source: f.source.clone(),
            contents: f.contents.clone(),
            optional_contents: f.optional_contents.clone(),
            keep_days: f.keep_days,
            substitute_for: f.substitute_for.clone(),
        },
        clock_started_at: f.clock_started_at,
        keep_until,
    }
}

/// The rules read against the incident as it stands, for the obligations and the notices.
pub fn findings(
    playbooks: &Playbooks,
    i: &Incident,
    g: &Gathered,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    evaluate(
        &playbooks.jurisdictions,
        &Situation {
            organisation: &playbooks.organisation,
            categories: &g.categories,
            risk: i.obligation_facts.risk_assessment,
            severity: i.severity,
            clocks: g.clocks.clone(),
            people: &g.people,
            unreachable: &g.unreachable,
            done: &g.done,
            now,
        },
    )
}

/// Recomputes and stores the obligations of the (locked) incident `i` inside `txn`. A public
/// notice counts as published when the incident's announcement is up: that is recorded once,
/// as Tocsin's own observation, on the timeline.
pub async fn refresh_in(
    txn: &impl ConnectionTrait,
    playbooks: &Playbooks,
    i: &Incident,
    now: DateTime<Utc>,
) -> Result<(), ObligationError> {
    let g = gather(txn, playbooks, i).await?;
    let found = findings(playbooks, i, &g, now);
    let mut fulfilments: BTreeMap<String, Fulfilment> = store::fulfilments(txn, i.id).await?;
    let mut rows = Vec::with_capacity(found.len());
    let mut seen_published = Vec::new();
    for f in &found {
        if f.audience == Audience::Public && f.required() && !fulfilments.contains_key(&f.key) {
            if let Some(at) = g.announced_at {
                fulfilments.insert(
                    f.key.clone(),
                    Fulfilment {
                        at,
                        by: None,
                        how: "the public announcement was published".into(),
                    },
                );
                seen_published.push(f.key.clone());
            }
        }
        rows.push(computed(f, fulfilments.get(&f.key), now));
    }
    store::reconcile(txn, i.id, &rows, now).await?;
    if !seen_published.is_empty() {
        for o in store::list(txn, i.id).await? {
            if seen_published.contains(&o.key) {
                let f = &fulfilments[&o.key];
                if store::fulfil(txn, o.id, f, now).await? {
                    incidents::record_event(
                        txn,
                        i.id,
                        &Actor::System,
                        "obligation_done",
                        json!({ "key": o.key, "at": f.at, "how": f.how }),
                    )
                    .await?;
                }
            }
        }
    }
    Ok(())
}

/// The incident's obligations, recomputed now, by due time.
pub async fn obligations(
    db: &DatabaseConnection,
    playbooks: &Playbooks,
    incident_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Obligation>, ObligationError> {
    let txn = db.begin().await?;
    let i = incidents::store::lock(&txn, incident_id).await?;
    refresh_in(&txn, playbooks, &i, now).await?;
    let mut list = store::list(&txn, incident_id).await?;
    txn.commit().await?;
    Obligation::sort(&mut list);
    Ok(list)
}

/// The body of `POST …/obligations/{oid}/done`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Done {
    /// How it was done: the route and any reference ("ICO online form, case IC-12345").
    #[serde(default)]
    pub how: String,
    /// When (RFC 3339); now when left out.
    pub at: Option<String>,
}

/// Marks an obligation done: when, how and by whom, on the timeline and in the audit log; then
/// the obligations are recomputed (a clock may start when another obligation is done).
pub async fn mark_done(
    db: &DatabaseConnection,
    playbooks: &Playbooks,
    actor: &Actor,
    incident_id: i64,
    obligation_id: i64,
    req: Done,
    now: DateTime<Utc>,
) -> Result<Obligation, ObligationError> {
    let mut bad = Vec::new();
    let how = req.how.trim().to_owned();
    if how.is_empty() {
        bad.push((
            "how".to_owned(),
            "say how it was done (route, reference)".to_owned(),
        ));
    } else if how.chars().count() > 1000 {
        bad.push((
            "how".to_owned(),
            "must be at most 1000 characters".to_owned(),
        ));
    }
    let at = match req.at.as_deref().map(str::trim) {
        None | Some("") => Some(now),
        Some(v) => match DateTime::parse_from_rfc3339(v) {
            Ok(t) if t.with_timezone(&Utc) > now + Duration::minutes(FUTURE_SLACK_MINUTES) => {
                bad.push(("at".into(), "is in the future".into()));
                None
            }
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                bad.push(("at".into(), "must be an RFC 3339 instant".into()));
                None
            }
        },
    };
    if !bad.is_empty() {
        return Err(ObligationError::Invalid(bad));
    }
    let at = at.unwrap_or(now);
    let txn = db.begin().await?;
    let i = incidents::store::lock(&txn, incident_id).await?;
    refresh_in(&txn, playbooks, &i, now).await?;
    let o = store::find(&txn, incident_id, obligation_id)
        .await?
        .ok_or(ObligationError::NotFound(obligation_id))?;
    if let Some(f) = &o.fulfilled {
        return Err(ObligationError::AlreadyDone(f.at));
    }
    if o.status == Status::NotRequired {
        return Err(ObligationError::NotRequired(o.reason));
    }
    let f = Fulfilment {
        at,
        by: actor.account_id(),
        how,
    };
    if !fulfil_in(&txn, playbooks, &i, actor, &o, &f, now).await? {
        return Err(ObligationError::AlreadyDone(at));
    }
    let o = store::find(&txn, incident_id, obligation_id)
        .await?
        .ok_or(ObligationError::NotFound(obligation_id))?;
    txn.commit().await?;
    Ok(o)
}

/// Marks `o` done as `f` says, records it on the incident's timeline and recomputes the
/// incident's obligations, in the caller's transaction: the one way an obligation is done (by
/// hand, or with a report's submission). False when it was already done.
pub async fn fulfil_in(
    txn: &impl ConnectionTrait,
    playbooks: &Playbooks,
    incident: &Incident,
    actor: &Actor,
    o: &Obligation,
    f: &Fulfilment,
    now: DateTime<Utc>,
) -> Result<bool, ObligationError> {
    if !store::fulfil(txn, o.id, f, now).await? {
        return Ok(false);
    }
    incidents::record_event(
        txn,
        incident.id,
        actor,
        "obligation_done",
        json!({
            "obligation": o.id,
            "key": o.key,
            "jurisdiction": o.jurisdiction,
            "audience": o.audience,
            "at": f.at,
            "how": f.how,
        }),
    )
    .await?;
    refresh_in(txn, playbooks, incident, now).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playbooks::jurisdictions::{ClockStart, Verification};

    fn finding(due: Due, keep_days: Option<u32>) -> Finding {
        Finding {
            key: "X/y".into(),
            regime: "X".into(),
            regime_name: "X".into(),
            title: "t".into(),
            audience: Audience::Public,
            authority_id: None,
            authority: None,
            not_required: None,
            due,
            deadline: String::new(),
            qualifier: None,
            clock_start: ClockStart::Awareness,
            clock_started_at: None,
            reasons: vec![],
            notes: vec![],
            verification: Verification::V1,
            source: String::new(),
            contents: vec![],
            optional_contents: vec![],
            keep_days,
            substitute_for: None,
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn status_follows_the_clock_the_fulfilment_and_the_time_a_notice_stays_up() {
        let due = t("2026-11-23T09:00:00Z");
        let before = t("2026-11-23T08:59:59Z");
        let after = t("2026-11-23T09:00:01Z");
        assert_eq!(
            status(&finding(Due::At(due), None), None, before).0,
            Status::Due
        );
        assert_eq!(
            status(&finding(Due::At(due), None), None, due).0,
            Status::Due
        );
        assert_eq!(
            status(&finding(Due::At(due), None), None, after).0,
            Status::Overdue
        );
        assert_eq!(
            status(&finding(Due::NoFixedTime, None), None, after).0,
            Status::Due
        );
        assert_eq!(
            status(&finding(Due::Waiting("x".into()), None), None, after).0,
            Status::Waiting
        );
        let mut nr = finding(Due::At(due), None);
        nr.not_required = Some("no".into());
        assert_eq!(status(&nr, None, after).0, Status::NotRequired);
        let posted = Fulfilment {
            at: t("2026-11-20T00:00:00Z"),
            by: None,
            how: "x".into(),
        };
        let kept = finding(Due::At(due), Some(30));
        let (s, until) = status(&kept, Some(&posted), t("2026-12-19T23:59:59Z"));
        assert_eq!(
            (s, until),
            (Status::Ongoing, Some(t("2026-12-20T00:00:00Z")))
        );
        assert_eq!(
            status(&kept, Some(&posted), t("2026-12-20T00:00:00Z")).0,
            Status::Done
        );
        assert_eq!(
            status(&finding(Due::At(due), None), Some(&posted), after).0,
            Status::Done
        );
    }
}
