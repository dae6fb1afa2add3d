//! Whether a rule's conditions hold for an incident: the organisation's flags, triggers on
//! data, risk and severity, and alternatives; presumptions are said.
use super::evaluate::{Counts, Situation};
use super::schema::*;
use crate::playbooks::Organisation;

pub(super) fn n_people(n: u64) -> String {
    if n == 1 {
        "1 person".into()
    } else {
        format!("{n} people")
    }
}

/// A note for a regional rule when some people of its countries have no region on record.
pub(super) fn unplaced(p: &Counts, r: &Residence) -> Option<String> {
    let mut countries: Vec<&str> = r
        .regions
        .iter()
        .filter_map(|g| g.split_once('-').map(|(c, _)| c))
        .collect();
    countries.dedup();
    let n: u64 = countries
        .iter()
        .map(|c| {
            let all = p.by_country.get(*c).copied().unwrap_or(0);
            let placed: u64 = p
                .by_region
                .iter()
                .filter(|(g, _)| g.starts_with(&format!("{c}-")))
                .map(|(_, n)| n)
                .sum();
            all.saturating_sub(placed)
        })
        .sum();
    (n > 0).then(|| {
        format!("{n} affected people of the same country have no region on record and are not counted here")
    })
}

pub(super) fn flags_fit(c: &FlagCondition, org: &Organisation) -> bool {
    c.all.iter().all(|f| org.has(*f)) && !c.none.iter().any(|f| org.has(*f))
}

/// Whether a trigger holds: `Ok` or the reason it does not; the reasons it holds; presumptions.
pub(super) fn trigger(
    t: &Trigger,
    s: &Situation<'_>,
) -> (Result<(), String>, Vec<String>, Vec<String>) {
    let mut reasons = Vec::new();
    let mut notes = Vec::new();
    if !t.data_any_of.is_empty() {
        let sets = t
            .data_any_of
            .iter()
            .map(|set| set.join(" + "))
            .collect::<Vec<_>>()
            .join("; ");
        if s.categories.is_empty() {
            notes.push(format!(
                "the incident names no data categories: presumed to involve one of: {sets}"
            ));
        } else {
            match t
                .data_any_of
                .iter()
                .find(|set| set.iter().all(|c| s.categories.contains(c)))
            {
                Some(set) => reasons.push(format!("the data involved include {}", set.join(" + "))),
                None => {
                    return (
                        Err(format!("the data involved include none of: {sets}")),
                        reasons,
                        notes,
                    )
                }
            }
        }
    }
    if let Some(min) = t.risk_at_least {
        match s.risk {
            None => notes.push(format!(
                "no risk assessment recorded: presumed at least {}",
                min.as_str()
            )),
            Some(r) if r < min => {
                return (
                    Err(format!(
                        "the risk was assessed as {}; required from {}",
                        r.as_str(),
                        min.as_str()
                    )),
                    reasons,
                    notes,
                )
            }
            Some(r) => reasons.push(format!("the risk was assessed as {}", r.as_str())),
        }
    }
    if let Some(min) = t.severity_at_least {
        if s.severity < min {
            return (
                Err(format!(
                    "the incident's severity is {}; required from {}",
                    s.severity.as_str(),
                    min.as_str()
                )),
                reasons,
                notes,
            );
        }
        reasons.push(format!(
            "the incident's severity is {}",
            s.severity.as_str()
        ));
    }
    (Ok(()), reasons, notes)
}

/// Whether at least one of an obligation's alternatives holds (none given: it does). One that
/// holds only by presumption (no categories named, no risk assessed) counts, and says so.
pub(super) fn alternatives(
    rule: &Rule,
    o: &ObligationRule,
    s: &Situation<'_>,
) -> (Result<(), String>, Vec<String>, Vec<String>) {
    if o.any_of.is_empty() {
        return (Ok(()), vec![], vec![]);
    }
    let mut presumed: Option<(String, Vec<String>)> = None;
    for alt in &o.any_of {
        let t = Trigger {
            data_any_of: alt.data_any_of.clone(),
            risk_at_least: alt.risk_at_least,
            severity_at_least: None,
        };
        let (ok, mut reasons, notes) = trigger(&t, s);
        if ok.is_err() {
            continue;
        }
        if let Some(th) = &alt.threshold {
            let n = s.people.count(th.of, &rule.residence);
            if !th.met(n) {
                continue;
            }
            reasons.push(format!("{} affected: {} people", n_people(n), th.words()));
        }
        if notes.is_empty() {
            let mut r = vec![format!("applies because: {}", alt.label)];
            r.extend(reasons);
            return (Ok(()), r, vec![]);
        }
        presumed.get_or_insert((alt.label.clone(), notes));
    }
    match presumed {
        Some((label, mut notes)) => {
            notes.push(format!("presumed to apply because: {label}"));
            (Ok(()), vec![], notes)
        }
        None => {
            let labels: Vec<String> = o
                .any_of
                .iter()
                .map(|a| match &a.threshold {
                    Some(th) => format!(
                        "{} ({} counted)",
                        a.label,
                        s.people.count(th.of, &rule.residence)
                    ),
                    None => a.label.clone(),
                })
                .collect();
            (
                Err(format!("none of these holds: {}", labels.join("; "))),
                vec![],
                vec![],
            )
        }
    }
}
