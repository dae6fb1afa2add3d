//! Reading the rules against one incident: which obligations arise, to whom, by when, and why.
//! Pure: the callers gather the facts (`Situation`), so the same reading serves the obligations
//! API, the notices' completeness check and the command line.
//!
//! A rule is read when someone affected lives in its territory (or it follows the organisation,
//! `anywhere`) and the organisation's flags fit; each of its obligations then either applies —
//! with a due time, or none where the law fixes none, or a clock that has not started — or is
//! not required, with the reason (a threshold not reached, data not involved, risk assessed
//! lower). Presumptions are said, never silent: no risk assessment recorded, no data categories
//! named, a determination not recorded (counted from awareness, the earliest it can be).
use super::conditions::{alternatives, flags_fit, n_people, trigger, unplaced};
use super::due::{deadline_words, due};
use super::schema::*;
use super::substitute::substitutes;
use super::Jurisdictions;
use crate::domain::{RiskLevel, Severity};
use crate::playbooks::Organisation;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// People counted by where they live.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: u64,
    pub by_country: BTreeMap<String, u64>,
    pub by_region: BTreeMap<String, u64>,
}

impl Counts {
    /// People living in the rule's territory (each person once: a region inside a listed
    /// country is refused by `check`).
    pub fn residents(&self, r: &Residence) -> u64 {
        if r.anywhere {
            return self.total;
        }
        let c: u64 = r
            .countries
            .iter()
            .filter_map(|c| self.by_country.get(c))
            .sum();
        let g: u64 = r.regions.iter().filter_map(|g| self.by_region.get(g)).sum();
        c + g
    }

    /// The regions of the territory with people in them, and how many.
    pub(super) fn regions_of(&self, r: &Residence) -> Vec<(String, u64)> {
        self.by_region
            .iter()
            .filter(|(g, _)| {
                r.anywhere
                    || r.regions.contains(g)
                    || r.countries.iter().any(|c| g.starts_with(&format!("{c}-")))
            })
            .map(|(g, n)| (g.clone(), *n))
            .collect()
    }

    /// People counted as a threshold counts them.
    pub fn count(&self, of: Counted, r: &Residence) -> u64 {
        match of {
            Counted::Everyone => self.total,
            Counted::Residents | Counted::EachRegion => self.residents(r),
        }
    }
}

/// The clock starts an incident has recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clocks {
    pub aware_at: DateTime<Utc>,
    pub determined_at: Option<DateTime<Utc>>,
    pub assessed_at: Option<DateTime<Utc>>,
    pub materiality_determined_at: Option<DateTime<Utc>>,
    pub individuals_notified_at: Option<DateTime<Utc>>,
    pub handling_ended_at: Option<DateTime<Utc>>,
}

/// What the rules are read against.
pub struct Situation<'a> {
    pub organisation: &'a Organisation,
    /// The incident's data categories in the base vocabulary; empty when it names none.
    pub categories: &'a [String],
    pub risk: Option<RiskLevel>,
    pub severity: Severity,
    pub clocks: Clocks,
    pub people: &'a Counts,
    /// People no channel can reach (before dispatch: no contact point; after: none reached).
    pub unreachable: &'a Counts,
    /// When obligations of this incident were fulfilled, by key.
    pub done: &'a BTreeMap<String, DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

/// When an obligation is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    At(DateTime<Utc>),
    /// The law fixes no time ("immediately", "as soon as practicable").
    NoFixedTime,
    /// The clock has not started; what it waits for.
    Waiting(String),
}

/// One obligation of the incident (or one the rules considered and found not required).
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// `REGIME/obligation`, with `/AUTHORITY`, `/COUNTRY` or `/REGION` when one rule
    /// obligation becomes several; `/substitute` and `/substitute-media` for substitute notice.
    pub key: String,
    pub regime: String,
    pub regime_name: String,
    pub title: String,
    pub audience: Audience,
    pub authority_id: Option<String>,
    /// The authority's name (from the directory) or the rule's words for it.
    pub authority: Option<String>,
    /// Why not, when it is not required.
    pub not_required: Option<String>,
    pub due: Due,
    /// The deadline in words ("72 hours from awareness").
    pub deadline: String,
    pub qualifier: Option<String>,
    pub clock_start: ClockStart,
    pub clock_started_at: Option<DateTime<Utc>>,
    /// Why it applies (or not): the rule and the facts.
    pub reasons: Vec<String>,
    /// Presumptions, missing holiday years, unverified routes.
    pub notes: Vec<String>,
    pub verification: Verification,
    pub source: String,
    pub contents: Vec<String>,
    pub optional_contents: Vec<String>,
    /// A public notice that must stay up this many days.
    pub keep_days: Option<u32>,
    /// The obligation a substitute notice stands in for.
    pub substitute_for: Option<String>,
}

impl Finding {
    pub fn unverified(&self) -> bool {
        self.verification.unverified()
    }

    pub fn required(&self) -> bool {
        self.not_required.is_none()
    }
}

/// The regimes that concern the incident and what each obliges, in rule then obligation order.
pub fn evaluate(j: &Jurisdictions, s: &Situation<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in j.rules.values() {
        let residents = s.people.residents(&rule.residence);
        if !rule.residence.anywhere && residents == 0 {
            continue;
        }
        if !flags_fit(&rule.organisation, s.organisation) {
            continue;
        }
        let mut base = Vec::new();
        if rule.residence.anywhere {
            base.push(format!(
                "{} applies to the organisation wherever the people live",
                rule.id
            ));
        } else {
            base.push(format!(
                "{residents} of the people affected live in its territory"
            ));
            base.extend(unplaced(s.people, &rule.residence));
        }
        let mut rule_block = None;
        if let Some(from) = rule.in_force_from {
            if s.now.date_naive() < from {
                rule_block = Some(format!("{} is not in force until {from}", rule.id));
            }
        }
        let (rule_ok, rule_reasons, rule_notes) = trigger(&rule.trigger, s);
        for o in &rule.obligations {
            if !flags_fit(&o.organisation, s.organisation) {
                continue;
            }
            let (o_ok, o_reasons, o_notes) = trigger(&o.trigger, s);
            let (alt_ok, alt_reasons, alt_notes) = alternatives(rule, o, s);
            let mut reasons = base.clone();
            reasons.extend(rule_reasons.iter().cloned());
            reasons.extend(o_reasons);
            reasons.extend(alt_reasons);
            let notes: Vec<String> = rule_notes
                .iter()
                .cloned()
                .chain(o_notes)
                .chain(alt_notes)
                .collect();
            for flag in rule.organisation.all.iter().chain(&o.organisation.all) {
                reasons.push(format!("the organisation is declared {}", flag.as_str()));
            }
            let blocked = rule_block
                .clone()
                .or_else(|| rule_ok.clone().err())
                .or_else(|| o_ok.err())
                .or_else(|| alt_ok.err());
            for (suffix, region, count) in instances(rule, o, s) {
                let mut f = finding(j, rule, o, s, suffix, reasons.clone(), notes.clone());
                f.not_required = blocked.clone();
                if let (Some(t), None) = (&o.threshold, &f.not_required) {
                    let place = region.as_deref().unwrap_or(match t.of {
                        Counted::Everyone => "anywhere",
                        _ => rule.id.as_str(),
                    });
                    let words = format!("{} affected in {place}", n_people(count));
                    if t.met(count) {
                        f.reasons
                            .push(format!("{words}: the threshold is {} people", t.words()));
                    } else {
                        f.not_required =
                            Some(format!("{words}; required only for {} people", t.words()));
                    }
                }
                let (substitute, said) = if f.required() {
                    substitutes(rule, o, s, &f)
                } else {
                    (vec![], vec![])
                };
                f.notes.extend(said);
                out.push(f);
                out.extend(substitute);
            }
        }
    }
    out
}

/// How a rule obligation fans out: key suffix, the region (per-region thresholds) and the count
/// its threshold is compared with.
fn instances(
    rule: &Rule,
    o: &ObligationRule,
    s: &Situation<'_>,
) -> Vec<(Suffix, Option<String>, u64)> {
    let count = o
        .threshold
        .as_ref()
        .map_or(0, |t| s.people.count(t.of, &rule.residence));
    if o.threshold
        .as_ref()
        .is_some_and(|t| t.of == Counted::EachRegion)
    {
        return s
            .people
            .regions_of(&rule.residence)
            .into_iter()
            .map(|(g, n)| (Suffix::Region(g.clone()), Some(g), n))
            .collect();
    }
    if !o.authorities.is_empty() {
        let many = o.authorities.len() > 1;
        return o
            .authorities
            .iter()
            .map(|a| (Suffix::Authority(a.clone(), many), None, count))
            .collect();
    }
    if o.authority_by_residence {
        if let Some(lead) = s.organisation.lead_authorities.get(&rule.id) {
            return vec![(Suffix::Authority(lead.clone(), false), None, count)];
        }
        let mut countries: Vec<String> = rule
            .residence
            .countries
            .iter()
            .filter(|c| s.people.by_country.get(*c).is_some_and(|n| *n > 0))
            .cloned()
            .collect();
        countries.sort();
        return countries
            .into_iter()
            .map(|c| (Suffix::Country(c), None, count))
            .collect();
    }
    vec![(Suffix::None, None, count)]
}

enum Suffix {
    None,
    /// An authority id; whether it goes in the key (several authorities for one obligation).
    Authority(String, bool),
    Country(String),
    Region(String),
}

fn finding(
    j: &Jurisdictions,
    rule: &Rule,
    o: &ObligationRule,
    s: &Situation<'_>,
    suffix: Suffix,
    reasons: Vec<String>,
    mut notes: Vec<String>,
) -> Finding {
    let base_key = format!("{}/{}", rule.id, o.id);
    let today = s.now.date_naive();
    let (key, authority_id, authority) = match &suffix {
        Suffix::None => (base_key, None, o.authority_note.clone()),
        Suffix::Region(g) => (
            format!("{base_key}/{g}"),
            None,
            o.authority_note.as_ref().map(|n| format!("{n} ({g})")),
        ),
        Suffix::Authority(id, in_key) => {
            let key = if *in_key {
                format!("{base_key}/{id}")
            } else {
                base_key
            };
            match j.authorities.authority(id) {
                Some(a) => {
                    notes.extend(a.flags(today).into_iter().map(|f| format!("{}: {f}", a.id)));
                    (key, Some(id.clone()), Some(a.name.clone()))
                }
                None => {
                    notes.push(format!(
                        "organisation.yaml names '{id}', which is not in authorities.yaml"
                    ));
                    (key, Some(id.clone()), None)
                }
            }
        }
        Suffix::Country(c) => {
            let key = format!("{base_key}/{c}");
            match j.authorities.national(&rule.id, c) {
                Some(a) => {
                    notes.extend(a.flags(today).into_iter().map(|f| format!("{}: {f}", a.id)));
                    (key, Some(a.id.clone()), Some(a.name.clone()))
                }
                None => {
                    notes.push(format!(
                        "no single national authority for {c} in authorities.yaml: name the \
                         competent one in organisation.yaml lead_authorities"
                    ));
                    (
                        key,
                        None,
                        o.authority_note.as_ref().map(|n| format!("{n} ({c})")),
                    )
                }
            }
        }
    };
    let verification = o.verification.unwrap_or(rule.verification);
    let (due, started, clock_notes) = due(j, rule, o, s);
    notes.extend(clock_notes);
    notes.extend(o.notes.iter().cloned());
    let mut contents = o.contents.clone();
    for c in &o.contents_when {
        if c.data_any.iter().any(|d| s.categories.contains(d)) && !contents.contains(&c.element) {
            contents.push(c.element.clone());
        }
    }
    Finding {
        key,
        regime: rule.id.clone(),
        regime_name: rule.name.clone(),
        title: o.title.clone(),
        audience: o.audience,
        authority_id,
        authority,
        not_required: None,
        due,
        deadline: deadline_words(&o.deadline, s.organisation),
        qualifier: o.deadline.qualifier.clone(),
        clock_start: o.deadline.from,
        clock_started_at: started,
        reasons,
        notes,
        verification,
        source: o.source.clone(),
        contents,
        optional_contents: o.optional_contents.clone(),
        keep_days: None,
        substitute_for: None,
    }
}

#[cfg(test)]
#[path = "evaluate_tests.rs"]
mod tests;
