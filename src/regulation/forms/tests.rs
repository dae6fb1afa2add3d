//! The builders without a database: every blank field named, stale directory entries flagged.
use super::*;
use crate::assets::Assets;
use crate::regulation::document::{Item, Value};
use chrono::TimeZone;

fn incident(aware_at: DateTime<Utc>) -> Incident {
    Incident::try_from(entity::incident::Model {
        id: 7,
        title: "Leaked backup".into(),
        summary: String::new(),
        kind: "credential-exposure".into(),
        severity: "high".into(),
        status: "open".into(),
        aware_at,
        occurred_from: None,
        occurred_to: None,
        data_categories: "[]".into(),
        systems: "[]".into(),
        cause: String::new(),
        measures_taken: String::new(),
        mitigations: "[]".into(),
        likely_consequences: String::new(),
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
        dispatching_at_once: None,
        dispatching_touched: None,
    })
    .unwrap()
}

fn build_at(regime: &str, form: Form, now: DateTime<Utc>) -> Document {
    let playbooks = Playbooks::load(&Assets::builtin_playbooks()).unwrap();
    let i = incident(now);
    let none = PopulationFacts::default();
    let facts = Facts {
        incident: &i,
        playbooks: &playbooks,
        population: &none,
        unreached: &none,
        findings: &[],
        announced_at: None,
        kind: VersionKind::FollowUp,
        first_submitted_at: None,
        sample_notice: None,
        now,
    };
    build(form, regime, &facts)
}

/// The document's field keys (`section.field`), each asserted once, and those left blank.
fn field_keys(d: &Document, regime: &str) -> (Vec<String>, Vec<String>) {
    let mut keys = Vec::new();
    let mut blank = Vec::new();
    for s in &d.sections {
        for item in &s.items {
            if let Item::Field(f) = item {
                let k = format!("{}.{}", s.key, f.key);
                assert!(!keys.contains(&k), "{regime}: {k} twice");
                if f.value == Value::Missing {
                    blank.push(k.clone());
                }
                keys.push(k);
            }
        }
    }
    (keys, blank)
}

#[test]
fn an_empty_incident_names_every_blank_field_and_keys_are_unique() {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    for (regime, form) in Form::DEDICATED {
        let d = build_at(regime, *form, now);
        let (_, blank) = field_keys(&d, regime);
        assert_eq!(d.missing, blank, "{regime}");
        assert!(!d.missing.is_empty(), "{regime}");
        // Nothing known about the people: counts are missing, never zero.
        assert!(
            d.missing.iter().any(|m| m.contains("subjects")
                || m.contains("individuals")
                || m.contains("scope")
                || m.contains("breach_affecting")
                || m.contains("material_impact")
                || m.contains("pi_types")
                || m.contains("information_involved")),
            "{regime}: {:?}",
            d.missing
        );
        assert!(d.title.ends_with(": Leaked backup"), "{}", d.title);
    }
}

#[test]
fn every_regime_of_the_rules_gets_a_generic_report_with_unique_keys() {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let playbooks = Playbooks::load(&Assets::builtin_playbooks()).unwrap();
    let ids: Vec<String> = playbooks.jurisdictions.rules.keys().cloned().collect();
    assert!(ids.len() > 60);
    for regime in &ids {
        let d = build_at(regime, Form::Generic, now);
        let (keys, blank) = field_keys(&d, regime);
        assert_eq!(d.missing, blank, "{regime}");
        assert_eq!(&d.regime, regime);
        assert!(keys.len() > 6, "{regime}: {keys:?}");
    }
}

#[test]
fn a_directory_entry_older_than_a_year_is_flagged() {
    let fresh = build_at(
        "UK-GDPR",
        Form::UkGdpr,
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
    );
    assert_eq!(fresh.addressee.as_ref().unwrap().id, "UK-ICO");
    assert!(!fresh
        .notices
        .iter()
        .any(|n| n.contains("more than a year ago")));
    let later = build_at(
        "UK-GDPR",
        Form::UkGdpr,
        Utc.with_ymd_and_hms(2028, 1, 1, 0, 0, 0).unwrap(),
    );
    assert!(
        later
            .notices
            .iter()
            .any(|n| n.contains("more than a year ago") && n.contains("Information Commissioner")),
        "{:?}",
        later.notices
    );
}
