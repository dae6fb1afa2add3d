//! Loading the rules: the shipped ones load, and a malformed file stops start-up naming the
//! file, the field and the reason.
use super::*;
use crate::assets::Assets;

/// The regimes of REGULATIONS.md §1 (and EU-ePriv) all ship.
#[test]
fn every_regime_of_the_summary_table_ships_and_loads() {
    let j = Jurisdictions::load(&Assets::builtin_playbooks()).unwrap();
    for id in [
        "EU-GDPR",
        "UK-GDPR",
        "EU-NIS2",
        "EU-ePriv",
        "CN-PIPL",
        "CN-CAC25",
        "US-HIPAA",
        "US-CA",
        "US-NY",
        "US-TX",
        "US-FL",
        "US-WA",
        "US-CO",
        "US-MA",
        "US-SEC",
        "JP-APPI",
        "BR-LGPD",
        "AU-NDB",
        "CA-PIPEDA",
        "SG-PDPA",
        "IN-DPDP",
        "KR-PIPA",
    ] {
        assert!(j.rules.contains_key(id), "{id} is missing");
    }
    assert!(j.rule("eu-gdpr").is_some(), "ids match case-insensitively");
    // Every state, DC, Puerto Rico, Guam and the US Virgin Islands of
    // REGULATIONS-US-STATES.md.
    let us = j
        .rules
        .keys()
        .filter(|k| k.starts_with("US-") && k.len() == 5)
        .count();
    assert_eq!(us, 54);
    for (id, r) in &j.rules {
        for o in &r.obligations {
            for a in &o.authorities {
                assert!(j.authorities.authority(a).is_some(), "{id}: {a}");
            }
        }
    }
    assert!(j.calendars.contains_key("US") && j.calendars.contains_key("BR"));
    assert!(j.authorities.authority("FR-CNIL").is_some());
    assert!(j.authorities.len() >= 75);
}

/// A folder holding only the shipped holidays and authorities and one rule file.
fn with_rule(text: &str) -> Result<Jurisdictions, crate::playbooks::PlaybookError> {
    let dir = tempfile::tempdir().unwrap();
    let builtin = Assets::builtin_playbooks();
    for rel in builtin.files("").unwrap() {
        if rel.starts_with("holidays/") || rel == "authorities.yaml" {
            let path = dir.path().join(&rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, builtin.read(&rel).unwrap().unwrap()).unwrap();
        }
    }
    std::fs::create_dir_all(dir.path().join("jurisdictions")).unwrap();
    std::fs::write(dir.path().join("jurisdictions/XX-TEST.yaml"), text).unwrap();
    Jurisdictions::load(&Assets::Folder(dir.path().into()))
}

const GOOD: &str = "id: XX-TEST\nname: Test\nsource: test\nverification: U\n\
residence: {regions: [US-CA]}\nobligations:\n  - id: individuals\n    audience: individuals\n    \
title: Tell them\n    source: s\n    deadline: {value: 30, unit: calendar_days, from: discovery}\n";

#[test]
fn a_malformed_rule_names_file_field_and_reason() {
    assert!(with_rule(GOOD).is_ok());
    // Each row: what to change in the good file, what the error must say.
    let rows: &[(&str, &str, &[&str])] = &[
        (
            "unit: calendar_days",
            "unit: fortnights",
            &["fortnights", "obligations"],
        ),
        ("from: discovery", "from: discovery, valu: 3", &["valu"]),
        (
            "regions: [US-CA]",
            "regions: [US-ZZ]",
            &["residence.regions", "US-ZZ"],
        ),
        ("id: XX-TEST", "id: XX-OTHER", &["id:", "file's name"]),
        ("value: 30, ", "", &["deadline", "value and unit together"]),
        (
            "audience: individuals",
            "audience: regulators",
            &["regulators"],
        ),
        (
            "unit: calendar_days",
            "unit: business_days",
            &["holidays calendar"],
        ),
        (
            "from: discovery",
            "from: obligation_done, after: XX-TEST/nope",
            &["deadline.after", "XX-TEST/nope"],
        ),
        (
            "title: Tell them",
            "title: Tell them\n    authorities: [XX-NOBODY]",
            &["authorities", "XX-NOBODY"],
        ),
        (
            "title: Tell them",
            "title: Tell them\n    threshold: {of: residents, more_than: 5, at_least: 5}",
            &["threshold", "exactly one"],
        ),
        (
            "title: Tell them",
            "title: Tell them\n    trigger: {data_any_of: [[name, shoe_size]]}",
            &["shoe_size", "base data category"],
        ),
    ];
    for (from, to, says) in rows {
        let text = GOOD.replacen(from, to, 1);
        assert_ne!(text, GOOD, "{from}");
        let e = with_rule(&text).expect_err(to).to_string();
        assert!(e.contains("XX-TEST.yaml"), "{e}");
        for s in *says {
            assert!(e.contains(s), "{to}: {e}");
        }
    }
}
