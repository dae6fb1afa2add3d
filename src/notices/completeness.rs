//! What each jurisdiction requires notices to its residents to say, checked before approval, and
//! what it forbids them to say, applied per person when composing.
//!
//! The rules (`playbooks::jurisdictions`) list the elements of the notice to individuals. Some
//! Tocsin fills from the incident and the organisation (`DERIVED`); every other element is a
//! statement the organisation writes once in organisation.yaml (`notice_statements`), and each
//! person's notice carries the statements of the jurisdictions they live in. The check names
//! what is missing, by jurisdiction and element, and how to supply it. Prohibitions (Massachusetts:
//! not the nature of the breach, not the number affected) choose a variant of the content for
//! the people they protect, chosen by where each person lives when composing.
use super::content::NoticeContent;
use super::NoticeError;
use crate::incidents::Incident;
use crate::playbooks::jurisdictions::{evaluate::evaluate, Audience, Counts, Finding, Situation};
use crate::playbooks::{Organisation, Playbooks};
use crate::population::PopulationFacts;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The elements Tocsin fills itself, with the incident field that supplies each.
pub const DERIVED: &[(&str, &str)] = &[
    ("organisation_identity", "organisation.yaml name"),
    ("nature_of_breach", "summary"),
    ("cause", "cause"),
    ("breach_dates", "occurred_from / occurred_to"),
    ("discovery_date", "aware_at"),
    ("notice_date", "the notice's date"),
    ("data_involved", "data_categories"),
    ("likely_consequences", "likely_consequences"),
    ("measures_taken", "measures_taken"),
    ("steps_for_individuals", "mitigations"),
    (
        "contact_point",
        "contact (or organisation.yaml contact_email)",
    ),
    ("dpo_contact", "organisation.yaml dpo"),
];

fn is_derived(element: &str) -> bool {
    DERIVED.iter().any(|(d, _)| *d == element)
}

/// Whether a derived element is present; `None` for a statement element.
fn derived(element: &str, i: &Incident, org: &Organisation) -> Option<bool> {
    let given = |s: &str| !s.trim().is_empty();
    Some(match element {
        "organisation_identity" => given(&org.name),
        "nature_of_breach" => given(&i.summary),
        "cause" => given(&i.cause),
        "breach_dates" => i.occurred_from.is_some() || i.occurred_to.is_some(),
        "discovery_date" | "notice_date" => true,
        "data_involved" => !i.data_categories.is_empty(),
        "likely_consequences" => given(&i.likely_consequences),
        "measures_taken" => given(&i.measures_taken),
        "steps_for_individuals" => !i.mitigations.is_empty(),
        "contact_point" => given(&i.contact) || given(&org.contact_email),
        "dpo_contact" => given(&org.dpo),
        _ => return None,
    })
}

/// One element a jurisdiction requires that the notices lack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub jurisdiction: String,
    pub element: String,
    /// Where to supply it.
    pub fix: String,
    /// The rule that asks for it is unverified.
    pub unverified: bool,
}

/// A variant of the notices for the residents of a jurisdiction that forbids some content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variant {
    pub jurisdiction: String,
    pub omits: Vec<String>,
    /// How many people of the population get it.
    pub people: u64,
}

/// The answer of `GET …/notices/completeness`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Completeness {
    pub complete: bool,
    /// The regimes whose notice to individuals applies, and so were checked.
    pub checked: Vec<String>,
    pub missing: Vec<Missing>,
    pub variants: Vec<Variant>,
}

/// The rules read against the incident and its population, for the notices (who cannot be
/// reached and what is done do not change what notices must say).
pub fn findings(
    playbooks: &Playbooks,
    i: &Incident,
    people: &Counts,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let categories = playbooks.inventory.to_base(&i.data_categories);
    let none = Counts::default();
    let done = BTreeMap::new();
    evaluate(
        &playbooks.jurisdictions,
        &Situation {
            organisation: &playbooks.organisation,
            categories: &categories,
            risk: i.obligation_facts.risk_assessment,
            severity: i.severity,
            clocks: i.clocks(),
            people,
            unreachable: &none,
            done: &done,
            now,
        },
    )
}

fn individuals(found: &[Finding]) -> impl Iterator<Item = &Finding> {
    found.iter().filter(|f| {
        f.audience == Audience::Individuals && f.required() && f.substitute_for.is_none()
    })
}

/// What the notices lack, by jurisdiction and element, and the variants prohibitions call for.
pub fn check(
    playbooks: &Playbooks,
    i: &Incident,
    people: &Counts,
    found: &[Finding],
) -> Completeness {
    let org = &playbooks.organisation;
    let mut checked = Vec::new();
    let mut missing = Vec::new();
    for f in individuals(found) {
        if !checked.contains(&f.regime) {
            checked.push(f.regime.clone());
        }
        for e in &f.contents {
            let present = derived(e, i, org).unwrap_or_else(|| org.statement(e).is_some());
            if present
                || missing
                    .iter()
                    .any(|m: &Missing| m.jurisdiction == f.regime && m.element == *e)
            {
                continue;
            }
            let fix = match DERIVED.iter().find(|(d, _)| *d == e.as_str()) {
                Some((_, field)) => format!("fill in the incident's {field}"),
                None => format!("add notice_statements.{e} to organisation.yaml"),
            };
            missing.push(Missing {
                jurisdiction: f.regime.clone(),
                element: e.clone(),
                fix,
                unverified: f.unverified(),
            });
        }
    }
    let variants = playbooks
        .jurisdictions
        .rules
        .values()
        .filter(|r| !r.prohibited_contents.is_empty())
        .filter_map(|r| {
            let n = people.residents(&r.residence);
            (n > 0).then(|| Variant {
                jurisdiction: r.id.clone(),
                omits: r.prohibited_contents.clone(),
                people: n,
            })
        })
        .collect();
    Completeness {
        complete: missing.is_empty(),
        checked,
        missing,
        variants,
    }
}

/// The completeness of the incident's notices as they stand.
pub async fn completeness(
    db: &impl ConnectionTrait,
    playbooks: &Playbooks,
    i: &Incident,
    now: DateTime<Utc>,
) -> Result<Completeness, NoticeError> {
    let people = PopulationFacts::load(db, i.id).await?.counts();
    Ok(completeness_of(playbooks, i, &people, now))
}

/// [`completeness`] for population counts already read (a page that also previews reads
/// them once).
pub fn completeness_of(
    playbooks: &Playbooks,
    i: &Incident,
    people: &crate::playbooks::jurisdictions::Counts,
    now: DateTime<Utc>,
) -> Completeness {
    let found = findings(playbooks, i, people, now);
    check(playbooks, i, people, &found)
}

/// Each person's content, by where they live: the statements their jurisdictions require and
/// the omissions they impose. Built once per (country, region) while composing.
pub struct PerPerson<'a> {
    playbooks: &'a Playbooks,
    base: NoticeContent,
    found: Vec<Finding>,
    cache: HashMap<(Option<String>, Option<String>), NoticeContent>,
}

impl<'a> PerPerson<'a> {
    pub fn new(
        playbooks: &'a Playbooks,
        base: NoticeContent,
        found: Vec<Finding>,
    ) -> PerPerson<'a> {
        PerPerson {
            playbooks,
            base,
            found,
            cache: HashMap::new(),
        }
    }

    /// The content for someone living in `country` / `region`.
    pub fn content(&mut self, country: Option<&str>, region: Option<&str>) -> &NoticeContent {
        let key = (country.map(str::to_owned), region.map(str::to_owned));
        if !self.cache.contains_key(&key) {
            let c = self.build(country, region);
            self.cache.insert(key.clone(), c);
        }
        &self.cache[&key]
    }

    fn build(&self, country: Option<&str>, region: Option<&str>) -> NoticeContent {
        let rules = &self.playbooks.jurisdictions.rules;
        let org = &self.playbooks.organisation;
        let mut c = self.base.clone();
        let mut seen: Vec<&str> = Vec::new();
        for f in individuals(&self.found) {
            let Some(rule) = rules.get(&f.regime) else {
                continue;
            };
            if rule.residence.anywhere || !rule.covers(country, region) {
                continue;
            }
            for e in &f.contents {
                if is_derived(e) || seen.contains(&e.as_str()) {
                    continue;
                }
                if let Some(text) = org.statement(e) {
                    seen.push(e);
                    c.other_information.push(text.to_owned());
                }
            }
        }
        let omit_nature = rules.values().any(|r| {
            !r.residence.anywhere
                && r.covers(country, region)
                && r.prohibited_contents
                    .iter()
                    .any(|p| p == "nature_of_breach")
        });
        if omit_nature {
            c.omit_nature();
        }
        c
    }
}
