//! EU GDPR Art. 33: the notification of a personal data breach to the supervisory authority.
//!
//! The report holds every item of Art. 33(3) (REGULATIONS.md 2.1). Nothing is invented: an item
//! Tocsin does not know, or that is left empty, is `null` and its name is listed in `missing`,
//! so whoever files the report sees at once what still has to be supplied.
use crate::incidents::Incident;
use crate::playbooks::Playbooks;
use crate::population::PopulationFacts;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

pub const REGIME: &str = "EU-GDPR";
pub const LEGAL_BASIS: &str = "Regulation (EU) 2016/679 (GDPR), Art. 33";
pub const AUTHORITY: &str = "competent supervisory authority (lead SA under Art. 56)";
/// Art. 33(1): "without undue delay and, where feasible, not later than 72 hours after having
/// become aware of it"; a later notification must give the reasons for the delay.
pub const DEADLINE_HOURS: i64 = 72;

/// Where the GDPR applies as territory: the 27 EU member states and Iceland, Liechtenstein and
/// Norway (EEA). ISO 3166-1 codes some parts of the EU separately: the Åland Islands (AX,
/// Finland) and France's outermost regions (GF, GP, MQ, RE, YT, MF) are inside; overseas
/// countries and territories (BL, PM, NC, PF, WF, the Dutch Caribbean, FO, GL) and Svalbard (SJ)
/// are not. Greece is `GR` in ISO 3166-1 (the EU writes `EL`).
const EEA: &[&str] = &[
    // EU-27
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", // EEA
    "IS", "LI", "NO", // parts of member states with their own ISO 3166-1 code
    "AX", "GF", "GP", "MF", "MQ", "RE", "YT",
];

/// Whether an ISO 3166-1 alpha-2 country is in the EU/EEA.
pub fn in_eea(country: &str) -> bool {
    EEA.iter().any(|c| c.eq_ignore_ascii_case(country))
}

/// The Art. 33 report, field by field. The names of the required items are the names that
/// `missing` lists.
#[derive(Debug, Clone, Serialize)]
pub struct Art33Report {
    pub regime: &'static str,
    pub legal_basis: &'static str,
    pub authority: &'static str,
    pub incident: IncidentRef,
    pub controller: Controller,
    /// Art. 33(3)(a)
    pub nature_of_breach: NatureOfBreach,
    /// Art. 33(3)(a), from the organisation's `data_subject_categories`.
    pub categories_of_data_subjects: Option<Vec<String>>,
    /// Art. 33(3)(a), from the population snapshot; `null` when no population was scoped.
    pub approximate_number_of_data_subjects: Option<SubjectCounts>,
    /// Art. 33(3)(a)
    pub categories_of_personal_data: Option<Vec<PersonalDataCategory>>,
    /// Art. 33(3)(a): Tocsin does not know how many records were involved.
    pub approximate_number_of_records: Option<u64>,
    /// Art. 33(3)(b)
    pub dpo_or_contact_point: Option<ContactPoint>,
    /// Art. 33(3)(c)
    pub likely_consequences: Option<String>,
    /// Art. 33(3)(d)
    pub measures_taken_or_proposed: Measures,
    pub timeline: Timeline,
    /// Art. 33(1): required when the notification comes after the 72 hours.
    pub reasons_for_delay: Option<String>,
    pub generated_at: DateTime<Utc>,
    /// The names of required items that are empty or unknown.
    pub missing: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentRef {
    pub id: i64,
    pub reference: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Controller {
    pub name: String,
    pub website: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NatureOfBreach {
    pub title: String,
    pub summary: Option<String>,
    pub kind: String,
    /// The playbook's title of the kind; `null` if the playbook is no longer there.
    pub kind_title: Option<String>,
    pub cause: Option<String>,
    pub systems: Vec<String>,
    pub occurred_from: Option<DateTime<Utc>>,
    pub occurred_to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubjectCounts {
    /// Everyone affected, wherever they live.
    pub total: u64,
    /// Those living in the EU/EEA.
    pub in_eea: u64,
    /// Those living in the EU/EEA, per country.
    pub by_country: BTreeMap<String, u64>,
    /// Those whose country is not known (some may live in the EU/EEA).
    pub country_unknown: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PersonalDataCategory {
    /// As the incident names it: a base category or one of the inventory's own.
    pub category: String,
    /// In plain words.
    pub label: String,
    /// The base-vocabulary categories it amounts to.
    pub base: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContactPoint {
    pub dpo: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Measures {
    /// What the controller did or proposes to do.
    pub measures_taken: Option<String>,
    /// What affected people are advised to do, to mitigate possible adverse effects.
    pub mitigations_recommended_to_individuals: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub aware_at: DateTime<Utc>,
    /// `aware_at` + 72 hours.
    pub deadline_at: DateTime<Utc>,
    pub occurred_from: Option<DateTime<Utc>>,
    pub occurred_to: Option<DateTime<Utc>>,
    pub individuals_notified_at: Option<DateTime<Utc>>,
    /// Tocsin does not record the filing with the authority.
    pub authority_notified_at: Option<DateTime<Utc>>,
    /// The report is generated after the deadline.
    pub late: bool,
}

/// A text that is blank counts as not given.
fn given(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Builds the report from the incident, the playbooks (organisation, kinds, inventory) and the
/// population counts, as of `now`.
pub fn build(
    i: &Incident,
    playbooks: &Playbooks,
    population: &PopulationFacts,
    now: DateTime<Utc>,
) -> Art33Report {
    let org = &playbooks.organisation;
    let mut missing = Vec::new();

    let nature_of_breach = NatureOfBreach {
        title: i.title.clone(),
        summary: given(&i.summary),
        kind: i.kind.clone(),
        kind_title: playbooks.kinds.get(&i.kind).map(|k| k.title.clone()),
        cause: given(&i.cause),
        systems: i.systems.clone(),
        occurred_from: i.occurred_from,
        occurred_to: i.occurred_to,
    };
    if nature_of_breach.summary.is_none() {
        missing.push("nature_of_breach");
    }

    let subject_categories: Vec<String> = org
        .data_subject_categories
        .iter()
        .filter_map(|c| given(c))
        .collect();
    let categories_of_data_subjects =
        (!subject_categories.is_empty()).then_some(subject_categories);
    if categories_of_data_subjects.is_none() {
        missing.push("categories_of_data_subjects");
    }

    let approximate_number_of_data_subjects = (population.total > 0).then(|| {
        let by_country: BTreeMap<String, u64> = population
            .by_country
            .iter()
            .filter(|(c, _)| in_eea(c))
            .map(|(c, n)| (c.clone(), *n))
            .collect();
        SubjectCounts {
            total: population.total,
            in_eea: by_country.values().sum(),
            by_country,
            country_unknown: population.country_unknown,
        }
    });
    if approximate_number_of_data_subjects.is_none() {
        missing.push("approximate_number_of_data_subjects");
    }

    let categories: Vec<PersonalDataCategory> = i
        .data_categories
        .iter()
        .cloned()
        .map(|c| PersonalDataCategory {
            label: crate::notices::content::category_label(playbooks, &c),
            base: playbooks.inventory.to_base(std::slice::from_ref(&c)),
            category: c,
        })
        .collect();
    let categories_of_personal_data = (!categories.is_empty()).then_some(categories);
    if categories_of_personal_data.is_none() {
        missing.push("categories_of_personal_data");
    }

    missing.push("approximate_number_of_records");

    let contact = ContactPoint {
        dpo: given(&org.dpo),
        email: given(&org.contact_email),
        phone: given(&org.contact_phone),
    };
    let dpo_or_contact_point =
        (contact.dpo.is_some() || contact.email.is_some() || contact.phone.is_some())
            .then_some(contact);
    if dpo_or_contact_point.is_none() {
        missing.push("dpo_or_contact_point");
    }

    let likely_consequences = given(&i.likely_consequences);
    if likely_consequences.is_none() {
        missing.push("likely_consequences");
    }

    let measures_taken_or_proposed = Measures {
        measures_taken: given(&i.measures_taken),
        mitigations_recommended_to_individuals: i.mitigations.clone(),
    };
    if measures_taken_or_proposed.measures_taken.is_none() {
        missing.push("measures_taken_or_proposed");
    }

    let deadline_at = i.aware_at + Duration::hours(DEADLINE_HOURS);
    let late = now > deadline_at;
    if late {
        missing.push("reasons_for_delay");
    }

    Art33Report {
        regime: REGIME,
        legal_basis: LEGAL_BASIS,
        authority: AUTHORITY,
        incident: IncidentRef {
            id: i.id,
            reference: format!("TOCSIN-{}", i.id),
        },
        controller: Controller {
            name: org.name.clone(),
            website: given(&org.website),
        },
        nature_of_breach,
        categories_of_data_subjects,
        approximate_number_of_data_subjects,
        categories_of_personal_data,
        approximate_number_of_records: None,
        dpo_or_contact_point,
        likely_consequences,
        measures_taken_or_proposed,
        timeline: Timeline {
            aware_at: i.aware_at,
            deadline_at,
            occurred_from: i.occurred_from,
            occurred_to: i.occurred_to,
            individuals_notified_at: i.notices.dispatched_at,
            authority_notified_at: None,
            late,
        },
        reasons_for_delay: None,
        generated_at: now,
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::Assets;
    use crate::playbooks::Organisation;
    use chrono::TimeZone;
    use entity::incident;

    fn shipped() -> Playbooks {
        Playbooks::load(&Assets::builtin_playbooks()).unwrap()
    }

    fn incident(aware_at: DateTime<Utc>) -> Incident {
        Incident::try_from(incident::Model {
            id: 7,
            title: "Leaked backup".into(),
            summary: "A database backup was readable from the internet.".into(),
            kind: "credential-exposure".into(),
            severity: "high".into(),
            status: "open".into(),
            aware_at,
            occurred_from: None,
            occurred_to: None,
            data_categories: r#"["member_credentials","name"]"#.into(),
            systems: r#"["member_accounts"]"#.into(),
            cause: String::new(),
            measures_taken: "Passwords reset.".into(),
            mitigations: r#"["Change your password."]"#.into(),
            likely_consequences: "Phishing.".into(),
            contact: String::new(),
            channels: r#"["email"]"#.into(),
            content_version: 1,
            composed_at: None,
            composed_by: None,
            composed_version: 0,
            approved_at: None,
            approved_by: None,
            approved_version: 0,
            composition: None,
            approved_composition: None,
            composed_templates: None,
            dispatched_at: None,
            created_by: None,
            created_at: aware_at,
            updated_at: aware_at,
            delivery_state: "running".into(),
            determined_at: None,
            assessed_at: None,
            materiality_determined_at: None,
            handling_ended_at: None,
            risk_assessment: None,
        })
        .unwrap()
    }

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, h, 0, 0).unwrap()
    }

    #[test]
    fn eea_is_eu27_plus_three_and_outermost_regions() {
        let eu27 = EEA.len() - 3 - 7;
        assert_eq!(eu27, 27);
        for c in ["DE", "fr", "GR", "NO", "IS", "LI", "RE"] {
            assert!(in_eea(c), "{c}");
        }
        for c in ["GB", "CH", "US", "EL", "SJ", "GL", ""] {
            assert!(!in_eea(c), "{c}");
        }
    }

    #[test]
    fn a_complete_incident_misses_only_what_tocsin_cannot_know() {
        let p = shipped();
        let facts = PopulationFacts::from_groups([
            (Some("DE".into()), None, 2),
            (Some("US".into()), Some("US-CA".into()), 1),
        ]);
        let r = build(&incident(t(0)), &p, &facts, t(1));
        assert_eq!(r.missing, ["approximate_number_of_records"]);
        assert_eq!(r.timeline.deadline_at, t(0) + Duration::hours(72));
        assert!(!r.timeline.late);
        let n = r.approximate_number_of_data_subjects.unwrap();
        assert_eq!((n.total, n.in_eea), (3, 2));
        let cats = r.categories_of_personal_data.unwrap();
        assert_eq!(cats[0].category, "member_credentials");
        assert_eq!(cats[0].base, ["credentials", "online_identifiers"]);
        assert_eq!(cats[0].label, "member account name with its password");
        assert_eq!(
            r.nature_of_breach.kind_title.as_deref(),
            Some("Account credential exposure")
        );
        assert_eq!(r.nature_of_breach.cause, None);
    }

    #[test]
    fn every_empty_required_item_is_null_and_named() {
        let p = Playbooks {
            organisation: Organisation {
                contact_email: " ".into(),
                ..Organisation::default()
            },
            ..Playbooks::default()
        };
        let mut i = incident(t(0));
        i.summary = " ".into();
        i.data_categories = vec![];
        i.likely_consequences = String::new();
        i.measures_taken = String::new();
        let r = build(
            &i,
            &p,
            &PopulationFacts::default(),
            t(0) + Duration::hours(73),
        );
        assert_eq!(
            r.missing,
            [
                "nature_of_breach",
                "categories_of_data_subjects",
                "approximate_number_of_data_subjects",
                "categories_of_personal_data",
                "approximate_number_of_records",
                "dpo_or_contact_point",
                "likely_consequences",
                "measures_taken_or_proposed",
                "reasons_for_delay",
            ]
        );
        assert!(r.timeline.late);
        let v = serde_json::to_value(&r).unwrap();
        for name in &r.missing {
            if *name != "nature_of_breach" && *name != "measures_taken_or_proposed" {
                assert!(v[name].is_null(), "{name}: {}", v[name]);
            }
        }
        assert!(v["nature_of_breach"]["summary"].is_null());
        assert!(v["measures_taken_or_proposed"]["measures_taken"].is_null());
        assert!(v["nature_of_breach"]["kind_title"].is_null());
    }

    #[test]
    fn exactly_at_the_deadline_is_not_late() {
        let r = build(
            &incident(t(0)),
            &shipped(),
            &PopulationFacts::default(),
            t(0) + Duration::hours(72),
        );
        assert!(!r.timeline.late);
        assert!(!r.missing.contains(&"reasons_for_delay"));
    }
}
