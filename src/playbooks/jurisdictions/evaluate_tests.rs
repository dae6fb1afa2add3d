//! The shipped rules read against realistic incidents: which obligations arise, when they are
//! due, and why not when they are not.
use super::*;
use crate::assets::Assets;
use crate::domain::{RiskLevel, Severity};
use crate::playbooks::{OrgFlag, Organisation, Playbooks};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

fn shipped() -> Playbooks {
    Playbooks::load(&Assets::builtin_playbooks()).unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// People by place: `US-CA` counts for the region and its country, `DE` for the country.
fn counts(places: &[(&str, u64)]) -> Counts {
    let mut c = Counts::default();
    for (place, n) in places {
        c.total += n;
        let country = place.split('-').next().unwrap().to_owned();
        *c.by_country.entry(country).or_default() += n;
        if place.contains('-') {
            *c.by_region.entry((*place).to_owned()).or_default() += n;
        }
    }
    c
}

/// An incident's facts, owned, with the defaults of a plain one.
struct Facts {
    org: Organisation,
    categories: Vec<String>,
    risk: Option<RiskLevel>,
    severity: Severity,
    clocks: Clocks,
    people: Counts,
    unreachable: Counts,
    done: BTreeMap<String, DateTime<Utc>>,
    now: DateTime<Utc>,
}

impl Facts {
    fn new(places: &[(&str, u64)], categories: &[&str]) -> Facts {
        Facts {
            org: Organisation::default(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            risk: None,
            severity: Severity::High,
            clocks: Clocks {
                aware_at: utc("2026-11-20T09:00:00Z"),
                ..Clocks::default()
            },
            people: counts(places),
            unreachable: Counts::default(),
            done: BTreeMap::new(),
            now: utc("2026-11-21T09:00:00Z"),
        }
    }

    fn run(&self, p: &Playbooks) -> Vec<Finding> {
        evaluate(
            &p.jurisdictions,
            &Situation {
                organisation: &self.org,
                categories: &self.categories,
                risk: self.risk,
                severity: self.severity,
                clocks: self.clocks.clone(),
                people: &self.people,
                unreachable: &self.unreachable,
                done: &self.done,
                now: self.now,
            },
        )
    }
}

fn find<'a>(found: &'a [Finding], key: &str) -> &'a Finding {
    found.iter().find(|f| f.key == key).unwrap_or_else(|| {
        let keys: Vec<&str> = found.iter().map(|f| f.key.as_str()).collect();
        panic!("no {key} in {keys:?}")
    })
}

fn at(f: &Finding) -> DateTime<Utc> {
    match &f.due {
        Due::At(t) => *t,
        other => panic!("{} is not due at a time: {other:?}", f.key),
    }
}

/// 600 Californians, 300 Germans, 1,200 Koreans and 10 Texans, whose names, e-mail addresses
/// and passwords leaked; no risk assessment yet.
#[test]
fn a_mixed_population_gets_each_regimes_obligations_and_due_times() {
    let p = shipped();
    let f = Facts::new(
        &[("US-CA", 600), ("DE", 300), ("KR", 1200), ("US-TX", 10)],
        &["name", "email_address", "credentials"],
    );
    let found = f.run(&p);
    // Each row: key, required, due (an instant, "none" for no fixed time, "waiting").
    let rows: &[(&str, bool, &str)] = &[
        ("EU-GDPR/authority/DE", true, "2026-11-23T09:00:00Z"),
        ("EU-GDPR/individuals", true, "none"),
        ("KR-PIPA/individuals", true, "2026-11-23T09:00:00Z"),
        ("KR-PIPA/authority", true, "2026-11-23T09:00:00Z"),
        // 30 calendar days from 20 Nov in Los Angeles: the end of 20 Dec, PST.
        ("US-CA/individuals", true, "2026-12-21T07:59:59Z"),
        ("US-CA/authority", true, "waiting"),
        // Texas's sensitive personal information does not include credentials.
        ("US-TX/individuals", false, "none"),
        ("US-TX/authority", false, "none"),
    ];
    for (key, required, due) in rows {
        let x = find(&found, key);
        assert_eq!(x.required(), *required, "{key}: {:?}", x.not_required);
        if !required {
            continue;
        }
        match *due {
            "none" => assert_eq!(x.due, Due::NoFixedTime, "{key}"),
            "waiting" => assert!(matches!(x.due, Due::Waiting(_)), "{key}: {:?}", x.due),
            t => assert_eq!(at(x), utc(t), "{key}"),
        }
    }
    assert!(
        find(&found, "US-TX/individuals")
            .not_required
            .as_deref()
            .unwrap()
            .contains("none of"),
        "the reason names the data"
    );
    // No regime without anyone affected in its territory, and no organisation-only regime.
    assert!(!found
        .iter()
        .any(|x| x.regime == "JP-APPI" || x.regime == "US-HIPAA"));
    // Germany has no single national authority for companies (the Länder): said, not guessed.
    let de = find(&found, "EU-GDPR/authority/DE");
    assert_eq!(de.authority_id, None);
    assert!(
        de.notes.iter().any(|n| n.contains("lead_authorities")),
        "{:?}",
        de.notes
    );
    // The presumption is said.
    let gdpr = find(&found, "EU-GDPR/individuals");
    assert!(
        gdpr.notes.iter().any(|n| n.contains("no risk assessment")),
        "{:?}",
        gdpr.notes
    );
    assert!(
        gdpr.reasons
            .iter()
            .any(|r| r.contains("300 of the people affected")),
        "{:?}",
        gdpr.reasons
    );
}

#[test]
fn thresholds_compare_as_the_statute_words_them() {
    let p = shipped();
    // (place, people, key, required): California "more than 500", Texas "250 or more",
    // Florida "500 or more", New York's bureaus "more than 5,000".
    let rows: &[(&str, u64, &str, bool)] = &[
        ("US-CA", 500, "US-CA/authority", false),
        ("US-CA", 501, "US-CA/authority", true),
        ("US-TX", 249, "US-TX/authority", false),
        ("US-TX", 250, "US-TX/authority", true),
        ("US-FL", 499, "US-FL/authority", false),
        ("US-FL", 500, "US-FL/authority", true),
        ("US-NY", 5000, "US-NY/credit_bureaus", false),
        ("US-NY", 5001, "US-NY/credit_bureaus", true),
        ("JP", 1000, "JP-APPI/final", false),
        ("JP", 1001, "JP-APPI/final", true),
        ("US-DE", 500, "US-DE/authority", false),
        ("US-DE", 501, "US-DE/authority", true),
        ("US-DC", 49, "US-DC/authority", false),
        ("US-DC", 50, "US-DC/authority", true),
        ("US-ND", 250, "US-ND/authority", false),
        ("US-ND", 251, "US-ND/authority", true),
    ];
    for (place, n, key, required) in rows {
        let found = Facts::new(&[(place, *n)], &["name", "government_id"]).run(&p);
        let x = find(&found, key);
        assert_eq!(
            x.required(),
            *required,
            "{n} in {place}: {:?}",
            x.not_required
        );
        if !required {
            let why = x.not_required.as_deref().unwrap();
            assert!(why.contains(&n.to_string()), "{why}");
        }
    }
}

#[test]
fn clocks_start_where_each_rule_says() {
    let p = shipped();
    // Brazil: 3 business days skip Friday 20 November (Consciência Negra) and the weekend.
    let mut f = Facts::new(&[("BR", 40)], &["credentials"]);
    f.clocks.aware_at = utc("2026-11-19T15:00:00Z");
    let found = f.run(&p);
    assert_eq!(
        at(find(&found, "BR-LGPD/authority")),
        utc("2026-11-26T02:59:59Z")
    );
    assert!(matches!(
        find(&found, "BR-LGPD/supplement").due,
        Due::Waiting(_)
    ));
    // A small agent has twice as long.
    f.org.flags = vec![OrgFlag::SmallAgent];
    let found = f.run(&p);
    let x = find(&found, "BR-LGPD/authority");
    assert_eq!(at(x), utc("2026-12-01T02:59:59Z"));
    assert!(x.deadline.contains("6 business days"), "{}", x.deadline);
    // The supplement runs from the first communication, once it is done.
    f.done
        .insert("BR-LGPD/authority".into(), utc("2026-11-24T12:00:00Z"));
    let found = f.run(&p);
    assert!(matches!(find(&found, "BR-LGPD/supplement").due, Due::At(_)));

    // The SEC: 4 business days from the materiality determination, across Veterans Day.
    let mut f = Facts::new(&[("US-CA", 3)], &["name"]);
    f.org.flags = vec![OrgFlag::ListedCompany];
    let found = f.run(&p);
    assert!(matches!(
        find(&found, "US-SEC/form_8k").due,
        Due::Waiting(_)
    ));
    f.clocks.materiality_determined_at = Some(utc("2026-11-05T15:00:00Z"));
    let found = f.run(&p);
    assert_eq!(
        at(find(&found, "US-SEC/form_8k")),
        utc("2026-11-13T04:59:59Z")
    );

    // Iowa: the AG within 5 business days after the consumer notice (weekend and Thanksgiving).
    let mut f = Facts::new(&[("US-IA", 600)], &["name", "government_id"]);
    assert!(matches!(
        find(&f.run(&p), "US-IA/authority").due,
        Due::Waiting(_)
    ));
    f.clocks.individuals_notified_at = Some(utc("2026-11-24T16:00:00Z"));
    // Tue 24 Nov (Chicago) + 5: Wed 25, (Thu 26), Fri 27, Mon 30, Tue 1, Wed 2 December.
    assert_eq!(
        at(find(&f.run(&p), "US-IA/authority")),
        utc("2026-12-03T05:59:59Z")
    );

    // Texas counts from the determination; without one, from awareness, and says so.
    let f = Facts::new(&[("US-TX", 300)], &["name", "government_id"]);
    let x = find(&f.run(&p), "US-TX/authority").clone();
    assert!(
        x.notes.iter().any(|n| n.contains("determined_at")),
        "{:?}",
        x.notes
    );
    let mut g = Facts::new(&[("US-TX", 300)], &["name", "government_id"]);
    g.clocks.determined_at = Some(utc("2026-11-25T09:00:00Z"));
    assert!(at(find(&g.run(&p), "US-TX/authority")) > at(&x));
}

#[test]
fn hipaa_counts_per_state_and_overall() {
    let p = shipped();
    let mut f = Facts::new(&[("US-CA", 600), ("US-NY", 300)], &["name", "health"]);
    f.org.flags = vec![OrgFlag::HipaaCoveredEntity];
    let found = f.run(&p);
    assert!(find(&found, "US-HIPAA/media/US-CA").required());
    assert!(!find(&found, "US-HIPAA/media/US-NY").required());
    assert!(find(&found, "US-HIPAA/hhs").required());
    assert!(!find(&found, "US-HIPAA/hhs_annual").required());
    // 60 days from discovery, Eastern time.
    assert_eq!(
        at(find(&found, "US-HIPAA/individuals")),
        utc("2027-01-20T04:59:59Z")
    );

    let mut small = Facts::new(&[("US-CA", 499)], &["name", "health"]);
    small.org.flags = vec![OrgFlag::HipaaCoveredEntity];
    let found = small.run(&p);
    assert!(!find(&found, "US-HIPAA/hhs").required());
    // 60 days after the end of 2026: 1 March 2027, Eastern time.
    assert_eq!(
        at(find(&found, "US-HIPAA/hhs_annual")),
        utc("2027-03-02T04:59:59Z")
    );

    // Assessed as a low probability of compromise: no breach to notify.
    small.risk = Some(RiskLevel::Unlikely);
    let found = small.run(&p);
    assert!(found
        .iter()
        .filter(|x| x.regime == "US-HIPAA")
        .all(|x| !x.required()));
}

#[test]
fn substitute_notice_arises_when_its_conditions_hold() {
    let p = shipped();
    // Two Californians cannot be reached: email + website (30 days) + statewide media.
    let mut f = Facts::new(&[("US-CA", 600)], &["name", "government_id"]);
    f.unreachable = counts(&[("US-CA", 2)]);
    let found = f.run(&p);
    let public = find(&found, "US-CA/individuals/substitute");
    assert_eq!(public.audience, Audience::Public);
    assert_eq!(public.keep_days, Some(30));
    assert_eq!(public.due, find(&found, "US-CA/individuals").due);
    assert!(public
        .reasons
        .iter()
        .any(|r| r.contains("2 of them cannot be reached")));
    assert_eq!(
        find(&found, "US-CA/individuals/substitute-media").audience,
        Audience::Media
    );

    // Everyone reachable and no cost known: none, and the unknown cost is said.
    f.unreachable = Counts::default();
    let found = f.run(&p);
    assert!(!found.iter().any(|x| x.key.contains("substitute")));
    let notes = &find(&found, "US-CA/individuals").notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("notice_cost_per_person_usd")),
        "{notes:?}"
    );

    // The cost: $1 a person for 300,000 Californians is more than $250,000.
    let mut f = Facts::new(&[("US-CA", 300_000)], &["name", "government_id"]);
    f.org.notice_cost_per_person_usd = Some(1.0);
    assert!(find(&f.run(&p), "US-CA/individuals/substitute")
        .reasons
        .iter()
        .any(|r| r.contains("$300000")));

    // HIPAA: 9 unreachable is not 10.
    let mut f = Facts::new(&[("US-CA", 100)], &["name", "health"]);
    f.org.flags = vec![OrgFlag::HipaaCoveredEntity];
    f.unreachable = counts(&[("US-CA", 9)]);
    let found = f.run(&p);
    assert!(!found
        .iter()
        .any(|x| x.key == "US-HIPAA/individuals/substitute"));
    assert!(
        found
            .iter()
            .any(|x| x.key == "US-CA/individuals/substitute"),
        "California's own"
    );
    f.unreachable = counts(&[("US-CA", 10)]);
    let found = f.run(&p);
    assert_eq!(
        find(&found, "US-HIPAA/individuals/substitute").keep_days,
        Some(90)
    );

    // GDPR Art. 34(3)(c): a public communication for those who cannot be reached.
    let mut f = Facts::new(&[("FR", 20)], &["name"]);
    f.unreachable = counts(&[("FR", 3)]);
    let x = find(&f.run(&p), "EU-GDPR/individuals/substitute").clone();
    assert!(x.source.contains("34(3)(c)"));
}

#[test]
fn unverified_parts_are_marked_wherever_they_are_used() {
    let p = shipped();
    let mut f = Facts::new(&[("US-NY", 40), ("US-TX", 300)], &["name", "government_id"]);
    f.unreachable = counts(&[("US-TX", 1)]);
    let found = f.run(&p);
    for key in ["US-NY/regulators/US-NY-AG", "US-TX/individuals/substitute"] {
        assert!(find(&found, key).unverified(), "{key}");
    }
    assert!(!find(&found, "US-NY/individuals").unverified());
    // An authority whose route is unverified is flagged in the notes.
    let x = find(
        &Facts::new(&[("MT", 20)], &["name"]).run(&p),
        "EU-GDPR/authority/MT",
    )
    .clone();
    assert_eq!(x.authority_id.as_deref(), Some("MT-IDPC"));
    assert!(
        x.notes
            .iter()
            .any(|n| n.contains("MT-IDPC: unverified route")),
        "{:?}",
        x.notes
    );
}

#[test]
fn the_organisation_decides_authorities_and_flagged_regimes() {
    let p = shipped();
    let mut f = Facts::new(&[("FR", 10), ("IE", 5)], &["name"]);
    let found = f.run(&p);
    assert_eq!(
        find(&found, "EU-GDPR/authority/FR").authority_id.as_deref(),
        Some("FR-CNIL")
    );
    assert!(find(&found, "EU-GDPR/authority/IE").required());
    f.org
        .lead_authorities
        .insert("EU-GDPR".into(), "IE-DPC".into());
    let found = f.run(&p);
    let lead = find(&found, "EU-GDPR/authority");
    assert_eq!(lead.authority_id.as_deref(), Some("IE-DPC"));
    assert_eq!(
        found
            .iter()
            .filter(|x| x.key.starts_with("EU-GDPR/authority"))
            .count(),
        1
    );
    // NIS2 only for an entity that declares it, and only for a significant incident.
    assert!(!found.iter().any(|x| x.regime == "EU-NIS2"));
    f.org.flags = vec![OrgFlag::Nis2Entity];
    let found = f.run(&p);
    assert!(matches!(
        find(&found, "EU-NIS2/final_report").due,
        Due::Waiting(_)
    ));
    f.done.insert(
        "EU-NIS2/incident_notification".into(),
        utc("2026-11-22T10:00:00Z"),
    );
    assert_eq!(
        at(find(&f.run(&p), "EU-NIS2/final_report")),
        utc("2026-12-22T22:59:59Z")
    );
    f.severity = Severity::Medium;
    assert!(!find(&f.run(&p), "EU-NIS2/early_warning").required());
}

#[test]
fn a_law_not_in_force_is_not_required_yet() {
    let p = shipped();
    let mut f = Facts::new(&[("IN", 5)], &["name"]);
    let x = find(&f.run(&p), "IN-DPDP/individuals").clone();
    assert!(x.not_required.unwrap().contains("2027-05-13"));
    f.now = utc("2027-06-01T00:00:00Z");
    assert!(find(&f.run(&p), "IN-DPDP/board_detailed").required());
}

#[test]
fn massachusetts_forbids_the_nature_and_count_in_notices() {
    let p = shipped();
    let ma = p.jurisdictions.rule("us-ma").unwrap();
    assert_eq!(
        ma.prohibited_contents,
        ["nature_of_breach", "number_affected"]
    );
    assert!(ma.covers(Some("US"), Some("US-MA")));
    assert!(!ma.covers(Some("US"), Some("US-NY")));
}
