//! Substitute notice: when an obligation's conditions (cost, count, people who cannot be
//! reached) hold, the public posting and media notice that replace or complete it.
use super::evaluate::{Finding, Situation};
use super::schema::*;

/// The substitute notice findings of an obligation that applies, when one of its conditions
/// holds: the public posting (kept `keep_days`) and, where the law names it, the media. Also
/// what could not be judged, for the obligation's own notes.
pub(super) fn substitutes(
    rule: &Rule,
    o: &ObligationRule,
    s: &Situation<'_>,
    parent: &Finding,
) -> (Vec<Finding>, Vec<String>) {
    let Some(sub) = &o.substitute else {
        return (vec![], vec![]);
    };
    let w = &sub.when;
    let residents = s.people.residents(&rule.residence);
    let mut met = Vec::new();
    let mut notes = Vec::new();
    if let Some(limit) = w.cost_more_than_usd {
        match s.organisation.notice_cost_per_person_usd {
            Some(per) if per * residents as f64 > limit => met.push(format!(
                "notifying {residents} people individually would cost about ${:.0}, more than ${limit:.0}",
                per * residents as f64
            )),
            Some(_) => {}
            None => notes.push(format!(
                "the cost condition (more than ${limit:.0}) cannot be judged: organisation.yaml gives no notice_cost_per_person_usd"
            )),
        }
    }
    if let Some(limit) = w.people_more_than {
        let n = s
            .people
            .count(w.people_of.unwrap_or(Counted::Residents), &rule.residence);
        if n > limit {
            met.push(format!("{n} people to notify, more than {limit}"));
        }
    }
    if let Some(min) = w.unreachable_at_least {
        let n = s.unreachable.residents(&rule.residence);
        if n >= min {
            met.push(format!(
                "{n} of them cannot be reached individually (at least {min})"
            ));
        }
    }
    if met.is_empty() {
        return (vec![], notes);
    }
    let verification = sub.verification.unwrap_or(parent.verification);
    let mut reasons = vec![format!("substitute notice for {}", parent.key)];
    reasons.extend(met);
    notes.extend(sub.notes.iter().cloned());
    let methods = sub.methods.join(", ");
    let public = Finding {
        key: format!("{}/substitute", parent.key),
        title: match sub.keep_days {
            Some(d) => format!("Substitute notice ({methods}); keep the public notice up {d} days"),
            None => format!("Substitute notice ({methods})"),
        },
        audience: Audience::Public,
        authority_id: None,
        authority: None,
        reasons: reasons.clone(),
        notes: notes.clone(),
        verification,
        source: sub.source.clone(),
        contents: parent.contents.clone(),
        optional_contents: vec![],
        keep_days: sub.keep_days,
        substitute_for: Some(parent.key.clone()),
        ..parent.clone()
    };
    let mut out = vec![public];
    if sub.methods.iter().any(|m| m.contains("media")) {
        out.push(Finding {
            key: format!("{}/substitute-media", parent.key),
            title: format!("Substitute notice in the media ({methods})"),
            audience: Audience::Media,
            keep_days: None,
            ..out[0].clone()
        });
    }
    (out, vec![])
}
