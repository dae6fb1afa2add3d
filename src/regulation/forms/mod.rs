//! One builder per regulator form, each turning the same [`Facts`] into a
//! [`Document`](super::document::Document) with every field of its form in the form's order
//! (REGULATIONS.md §3), and a generic one for any other regime the rules know, built from the
//! rule's required contents for the authority. What Tocsin cannot fill is `Missing` and named.
//!
//! The facts come from the incident, its population counts (and who was not reached), the
//! organisation profile, the obligations the rules give now (due times, authorities) and the
//! individual notice as a resident would get it (the sample notice some regulators ask for).
//! `finish` adds what every report shares: the addressee from the authority directory, the
//! warnings (unverified rule, stale directory entry, a report the rules do not require) and the
//! filing section with the due time.
pub mod draft;
mod gdpr;
mod generic;
mod intl;
mod lgpd;
mod us;

use crate::domain::text_enum;
use crate::incidents::Incident;
use crate::playbooks::jurisdictions::{Audience, Due, Finding};
use crate::playbooks::Playbooks;
use crate::population::PopulationFacts;
use crate::regulation::document::{Addressee, Document, Table};
use chrono::{DateTime, Utc};
use draft::Draft;

text_enum! {
    /// Which report of a regime this is.
    pub enum VersionKind ("a report kind") {
        Initial = "initial",
        FollowUp = "follow_up",
        Final = "final",
    }
}

impl VersionKind {
    pub fn words(self) -> &'static str {
        match self {
            VersionKind::Initial => "initial report",
            VersionKind::FollowUp => "follow-up report",
            VersionKind::Final => "final report",
        }
    }
}

/// The forms Tocsin knows field by field; every other regime of the rules gets `Generic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    EuGdpr,
    UkGdpr,
    Hipaa,
    California,
    Texas,
    Ndb,
    Lgpd,
    Appi,
    Pipa,
    Pipl,
    Sec,
    Generic,
}

impl Form {
    /// The regimes with a form of their own, by REGULATIONS.md id.
    pub const DEDICATED: &'static [(&'static str, Form)] = &[
        ("EU-GDPR", Form::EuGdpr),
        ("UK-GDPR", Form::UkGdpr),
        ("US-HIPAA", Form::Hipaa),
        ("US-CA", Form::California),
        ("US-TX", Form::Texas),
        ("AU-NDB", Form::Ndb),
        ("BR-LGPD", Form::Lgpd),
        ("JP-APPI", Form::Appi),
        ("KR-PIPA", Form::Pipa),
        ("CN-PIPL", Form::Pipl),
        ("US-SEC", Form::Sec),
    ];

    /// Where the form's sample notice comes from: the residence of the person whose notice is
    /// shown (country, region).
    fn sample_residence(self) -> Option<(&'static str, Option<&'static str>)> {
        match self {
            Form::California => Some(("US", Some("US-CA"))),
            Form::Ndb => Some(("AU", None)),
            _ => None,
        }
    }
}

/// Everything a builder reads.
pub struct Facts<'a> {
    pub incident: &'a Incident,
    pub playbooks: &'a Playbooks,
    pub population: &'a PopulationFacts,
    /// Who no delivery reached (after dispatch); empty before.
    pub unreached: &'a PopulationFacts,
    /// The obligations as the rules give them now.
    pub findings: &'a [Finding],
    /// When the public announcement went up.
    pub announced_at: Option<DateTime<Utc>>,
    pub kind: VersionKind,
    /// When a report of this regime was first submitted (recorded on a version).
    pub first_submitted_at: Option<DateTime<Utc>>,
    /// The individual notice (plain text) as the form's sample resident gets it.
    pub sample_notice: Option<String>,
    pub now: DateTime<Utc>,
}

impl Facts<'_> {
    pub fn org(&self) -> &crate::playbooks::Organisation {
        &self.playbooks.organisation
    }

    /// The incident's data categories in plain words.
    pub fn category_labels(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .incident
            .data_categories
            .iter()
            .map(|c| crate::notices::content::category_label(self.playbooks, c))
            .collect();
        v.dedup();
        v
    }

    /// The incident's data categories in the base vocabulary.
    pub fn base_categories(&self) -> Vec<String> {
        self.playbooks
            .inventory
            .to_base(&self.incident.data_categories)
    }

    pub fn in_country(&self, country: &str) -> u64 {
        self.population
            .by_country
            .get(country)
            .copied()
            .unwrap_or(0)
    }

    pub fn in_region(&self, region: &str) -> u64 {
        self.population.by_region.get(region).copied().unwrap_or(0)
    }

    /// How many of the residents of a country (or region) were notified individually: none
    /// before dispatch, everyone a delivery reached after.
    pub fn notified(&self, country: Option<&str>, region: Option<&str>) -> u64 {
        if self.incident.notices.dispatched_at.is_none() {
            return 0;
        }
        let of = |p: &PopulationFacts| match (country, region) {
            (_, Some(r)) => p.by_region.get(r).copied().unwrap_or(0),
            (Some(c), None) => p.by_country.get(c).copied().unwrap_or(0),
            (None, None) => p.total,
        };
        of(self.population).saturating_sub(of(self.unreached))
    }

    /// When the breach happened, as far as known: one instant or a range in words.
    pub fn occurred(&self) -> Option<crate::regulation::document::Value> {
        use crate::regulation::document::Value;
        let f = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        match (self.incident.occurred_from, self.incident.occurred_to) {
            (Some(a), Some(b)) if a == b => Some(Value::Time(a)),
            (Some(a), Some(b)) => Some(Value::Text(format!("from {} to {}", f(a), f(b)))),
            (Some(a), None) => Some(Value::Text(format!("from {} (end not known)", f(a)))),
            (None, Some(b)) => Some(Value::Text(format!("until {} (start not known)", f(b)))),
            (None, None) => None,
        }
    }

    /// The summary, and the cause after it when known.
    pub fn description(&self) -> String {
        let i = self.incident;
        let mut s = i.summary.trim().to_owned();
        if !s.is_empty() && !i.cause.trim().is_empty() {
            s.push_str(" Cause: ");
            s.push_str(i.cause.trim());
        }
        s
    }

    /// The contact point: the DPO when named, else the organisation's e-mail and phone.
    pub fn contact_point(&self) -> String {
        let org = self.org();
        if org.dpo.trim().is_empty() {
            org.contact_line()
        } else {
            org.dpo.trim().to_owned()
        }
    }

    /// The required obligations of a regime for one audience.
    pub fn required<'f>(
        &'f self,
        regime: &'f str,
        audience: Audience,
    ) -> impl Iterator<Item = &'f Finding> + 'f {
        self.findings.iter().filter(move |f| {
            f.regime == regime
                && f.audience == audience
                && f.required()
                && f.substitute_for.is_none()
        })
    }

    /// Whether a substitute notice is required under the regime.
    pub fn substitute_required(&self, regime: &str) -> bool {
        self.findings
            .iter()
            .any(|f| f.regime == regime && f.required() && f.substitute_for.is_some())
    }

    /// The other authorities the rules say must be told, with their due times, in words.
    pub fn other_authorities(&self, regime: &str) -> Vec<String> {
        self.findings
            .iter()
            .filter(|f| f.regime != regime && f.audience == Audience::Authority && f.required())
            .map(|f| {
                let who = f.authority.clone().unwrap_or_else(|| f.title.clone());
                format!("{} ({}): {}", who, f.regime, due_words(&f.due))
            })
            .collect()
    }

    /// Whether the report comes after the regime's authority deadline.
    pub fn late(&self, regime: &str) -> bool {
        self.required(regime, Audience::Authority)
            .any(|f| matches!(f.due, Due::At(t) if self.now > t))
    }

    /// People per country (and region), for the tables of counts.
    pub fn counts_table(&self) -> Table {
        let mut rows: Vec<Vec<String>> = Vec::new();
        for (c, n) in &self.population.by_country {
            rows.push(vec![c.clone(), n.to_string()]);
            for (r, m) in &self.population.by_region {
                if r.starts_with(&format!("{c}-")) {
                    rows.push(vec![r.clone(), m.to_string()]);
                }
            }
        }
        if self.population.country_unknown > 0 {
            rows.push(vec![
                "unknown".into(),
                self.population.country_unknown.to_string(),
            ]);
        }
        Table {
            key: "people_by_place".into(),
            caption: "People affected by country and region".into(),
            columns: vec!["Country or region".into(), "People".into()],
            rows,
        }
    }
}

fn due_words(due: &Due) -> String {
    match due {
        Due::At(t) => format!("due {}", t.format("%Y-%m-%d %H:%M UTC")),
        Due::NoFixedTime => "no fixed time".into(),
        Due::Waiting(w) => format!("waiting for {w}"),
    }
}

/// Builds the regime's document.
pub fn build(form: Form, regime: &str, facts: &Facts) -> Document {
    let mut d = match form {
        Form::EuGdpr => gdpr::build(facts, gdpr::Variant::Eu),
        Form::UkGdpr => gdpr::build(facts, gdpr::Variant::Uk),
        Form::Hipaa => us::hipaa(facts),
        Form::California => us::california(facts),
        Form::Texas => us::texas(facts),
        Form::Sec => us::sec(facts),
        Form::Ndb => intl::ndb(facts),
        Form::Lgpd => lgpd::build(facts),
        Form::Appi => intl::appi(facts),
        Form::Pipa => intl::pipa(facts),
        Form::Pipl => intl::pipl(facts),
        Form::Generic => generic::build(facts, regime),
    };
    finish(&mut d, regime, facts);
    d.finish()
}

/// The residence whose individual notice a form attaches, if any (generic: the rule's first
/// region or country, when its authority asks for a copy of the notice).
pub fn sample_residence(
    form: Form,
    regime: &str,
    playbooks: &Playbooks,
) -> Option<(String, Option<String>)> {
    if let Some((c, r)) = form.sample_residence() {
        return Some((c.to_owned(), r.map(str::to_owned)));
    }
    if form != Form::Generic {
        return None;
    }
    let rule = playbooks.jurisdictions.rule(regime)?;
    let wants = rule.obligations.iter().any(|o| {
        o.audience == Audience::Authority
            && o.contents
                .iter()
                .chain(&o.optional_contents)
                .any(|e| generic::is_notice_copy(e))
    });
    if !wants {
        return None;
    }
    let res = &rule.residence;
    match (res.regions.first(), res.countries.first()) {
        (Some(r), _) => Some((
            r.split('-').next().unwrap_or("").to_owned(),
            Some(r.clone()),
        )),
        (None, Some(c)) => Some((c.clone(), None)),
        _ => None,
    }
}

/// The addressee, the warnings and the filing section every report carries.
fn finish(d: &mut Draft, regime: &str, facts: &Facts) {
    let p = facts.playbooks;
    let today = facts.now.date_naive();
    let rule = p.jurisdictions.rule(regime);
    if let Some(rule) = rule {
        if rule.verification.unverified() {
            d.notice(format!(
                "The {regime} rule is tagged unverified (U) in REGULATIONS.md: check it before relying on this report."
            ));
        }
    }
    let required: Vec<&Finding> = facts.required(regime, Audience::Authority).collect();
    let rule_unverified = rule.is_some_and(|r| {
        r.obligations.iter().any(|o| {
            o.audience == Audience::Authority && o.verification.is_some_and(|v| v.unverified())
        })
    });
    if rule_unverified || required.iter().any(|f| f.unverified()) {
        d.notice(format!(
            "The {regime} report obligation is tagged unverified (U): check it before filing."
        ));
    }
    // The authority: the organisation's lead authority, else the ones the obligations name,
    // else the first the rule names.
    let mut ids: Vec<String> = Vec::new();
    if let Some(lead) = p.organisation.lead_authorities.get(regime) {
        ids.push(lead.clone());
    }
    for f in &required {
        if let Some(id) = &f.authority_id {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    if ids.is_empty() {
        if let Some(rule) = rule {
            if let Some(id) = rule
                .obligations
                .iter()
                .filter(|o| o.audience == Audience::Authority)
                .flat_map(|o| o.authorities.iter())
                .next()
            {
                ids.push(id.clone());
            }
        }
    }
    let mut addressee = None;
    for id in &ids {
        let Some(a) = p.authority(id) else { continue };
        if a.is_stale(today) {
            d.notice(match a.verified_on {
                Some(on) => format!(
                    "The directory entry for {} was last verified on {on}, more than a year ago: check the route before filing.",
                    a.name
                ),
                None => format!(
                    "The directory entry for {} was never verified: check the route before filing.",
                    a.name
                ),
            });
        }
        if a.unverified() {
            d.notice(format!(
                "The reporting route of {} is unverified (U) in the authority directory.",
                a.name
            ));
        }
        if addressee.is_none() {
            let mut routes: Vec<String> = Vec::new();
            routes.extend(a.form.url.iter().cloned());
            routes.extend(a.start_page.iter().cloned());
            routes.extend(a.emails.iter().cloned());
            routes.extend(a.other_channels.iter().cloned());
            routes.dedup();
            addressee = Some(Addressee {
                id: a.id.clone(),
                name: a.name.clone(),
                local_name: a.local_name.clone(),
                routes,
                verified_on: a.verified_on.map(|d| d.to_string()),
            });
        }
    }
    // Every other authority the regime's report is due to, by name where the directory has
    // none (Germany's supervisory authorities are per Land).
    let first = addressee.as_ref().map(|a: &Addressee| a.id.clone());
    let others: Vec<String> = required
        .iter()
        .filter(|f| f.authority_id.is_none() || f.authority_id != first)
        .map(|f| match (&f.authority_id, &f.authority) {
            (Some(id), _) => id.clone(),
            (None, Some(name)) => format!("{name} ({})", f.key),
            (None, None) => f.key.clone(),
        })
        .collect();
    if !others.is_empty() && (first.is_some() || others.len() > 1) {
        d.notice(format!(
            "Under {regime} a report is also due to: {}. This document is addressed to {}.",
            others.join("; "),
            addressee.as_ref().map_or("the first", |a| a.name.as_str())
        ));
    }
    d.addressee(addressee);
    if required.is_empty() {
        let why = facts
            .findings
            .iter()
            .find(|f| f.regime == regime && f.audience == Audience::Authority)
            .and_then(|f| f.not_required.clone());
        d.notice(match why {
            Some(why) => format!(
                "The rules do not require this report for the incident as it stands: {why}."
            ),
            None => format!(
                "The rules do not require a {regime} report to an authority for the incident as it stands (no one affected in its territory, or its conditions are not met)."
            ),
        });
    }
    d.notice("A draft prepared by Tocsin from what it knows: review every answer, and supply the missing ones, before filing.");

    d.section("filing", "Filing (prepared by Tocsin)");
    // A later report answers the regime's later obligation (Japan's final report, Brazil's
    // supplement) where it has one.
    let this = if facts.kind == VersionKind::Initial {
        required.first()
    } else {
        required.last()
    };
    let due = this.map(|f| &f.due);
    d.field(
        "due",
        "When the report is due",
        Some(match due {
            Some(Due::At(t)) => crate::regulation::document::Value::Time(*t),
            Some(other) => crate::regulation::document::Value::Text(due_words(other)),
            None => crate::regulation::document::Value::Text("not required by the rules".into()),
        }),
    );
    d.field(
        "deadline",
        "Deadline under the rule",
        draft::say(
            this.map(|f| match &f.qualifier {
                Some(q) => format!("{} ({q})", f.deadline),
                None => f.deadline.clone(),
            })
            .unwrap_or_else(|| "none for this incident".into()),
        ),
    );
    d.field("report_kind", "Report", draft::say(facts.kind.words()));
    d.generated_at(facts.now);
    d.about(&facts.incident.title);
}

#[cfg(test)]
mod tests;
