//! When an obligation is due: the clock start its rule names, read from the incident, and the
//! limit counted in the rule's time zone (`clock`).
use super::clock;
use super::evaluate::{Due, Situation};
use super::schema::*;
use super::Jurisdictions;
use crate::playbooks::Organisation;
use chrono::{DateTime, Datelike, Utc};

pub(super) fn deadline_words(d: &Deadline, org: &Organisation) -> String {
    let from = match d.from {
        ClockStart::ObligationDone => {
            format!("after {} is done", d.after.as_deref().unwrap_or("?"))
        }
        other => format!("from {}", other.as_str().replace('_', " ")),
    };
    match d.limit() {
        None => format!(
            "{} {from}",
            d.qualifier.as_deref().unwrap_or("no fixed time")
        ),
        Some((v, u)) => {
            let v = if d.doubled_for.is_some_and(|f| org.has(f)) {
                v * 2
            } else {
                v
            };
            format!("{} {from}", u.words(v))
        }
    }
}

/// The due time, when the clock started, and what was presumed.
pub(super) fn due(
    j: &Jurisdictions,
    rule: &Rule,
    o: &ObligationRule,
    s: &Situation<'_>,
) -> (Due, Option<DateTime<Utc>>, Vec<String>) {
    let c = &s.clocks;
    let d = &o.deadline;
    let mut notes = Vec::new();
    let mut estimated = |at: Option<DateTime<Utc>>, what: &str, field: &str| match at {
        Some(t) => Ok(t),
        None => {
            notes.push(format!(
                "no {what} recorded ({field}): counted from aware_at, the earliest it can be"
            ));
            Ok(c.aware_at)
        }
    };
    let start: Result<DateTime<Utc>, String> = match d.from {
        ClockStart::Awareness | ClockStart::Discovery => Ok(c.aware_at),
        ClockStart::Determination => estimated(c.determined_at, "determination", "determined_at"),
        ClockStart::NotifiableAssessment => {
            estimated(c.assessed_at, "notifiable assessment", "assessed_at")
        }
        ClockStart::IndividualNoticeSent => c
            .individuals_notified_at
            .ok_or_else(|| "individuals have not been notified yet".to_owned()),
        ClockStart::MaterialityDetermination => c.materiality_determined_at.ok_or_else(|| {
            "no materiality determination recorded (materiality_determined_at)".to_owned()
        }),
        ClockStart::HandlingEnd => c
            .handling_ended_at
            .ok_or_else(|| "the incident's handling has not ended (handling_ended_at)".to_owned()),
        ClockStart::EndOfDiscoveryYear => {
            let tz = rule.zone();
            let year = c.aware_at.with_timezone(&tz).year();
            let last = chrono::NaiveDate::from_ymd_opt(year, 12, 31).expect("31 December");
            Ok(clock::end_of_day(last, tz))
        }
        ClockStart::ObligationDone => {
            let after = d.after.clone().unwrap_or_default();
            let done = s
                .done
                .iter()
                .filter(|(k, _)| **k == after || k.starts_with(&format!("{after}/")))
                .map(|(_, t)| *t)
                .min();
            done.ok_or_else(|| format!("{after} is not done yet"))
        }
    };
    let start = match start {
        Ok(t) => t,
        Err(why) => return (Due::Waiting(why), None, notes),
    };
    let Some((mut value, unit)) = d.limit() else {
        return (Due::NoFixedTime, Some(start), notes);
    };
    if let Some(flag) = d.doubled_for.filter(|f| s.organisation.has(*f)) {
        value *= 2;
        notes.push(format!(
            "doubled: the organisation is declared {}",
            flag.as_str()
        ));
    }
    let computed = clock::due_at(start, value, unit, rule.zone(), j.calendar(rule));
    notes.extend(computed.notes);
    (Due::At(computed.due_at), Some(start), notes)
}
