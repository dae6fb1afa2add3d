//! GDPR Art. 33 (EU) and UK GDPR Art. 33: every question of the ICO's "Report a personal data
//! breach" form (REGULATIONS.md §3.1) in its order, each answer also covering Art. 33(3)'s
//! minimum contents. The EU report counts people in the EU/EEA, the UK one people in the UK.
use super::draft::{list, number, say, text, time, Draft};
use super::Facts;
use crate::playbooks::jurisdictions::Audience;
use crate::regulation::document::Value;
use crate::regulation::gdpr::in_eea;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Eu,
    Uk,
}

/// The ICO form's tick boxes for categories of personal data, from the base vocabulary.
fn ico_category(base: &str) -> Option<&'static str> {
    Some(match base {
        "racial_or_ethnic_origin" => "Racial or ethnic origin",
        "political_opinions" => "Political opinions",
        "religious_beliefs" => "Religious or philosophical beliefs",
        "trade_union_membership" => "Trade union membership",
        "sex_life_or_orientation" => "Sex life or sexual orientation",
        "health" => "Health data",
        "name" | "email_address" | "phone_number" | "postal_address" | "date_of_birth" => {
            "Basic personal identifiers (e.g. name, contact details)"
        }
        "credentials" | "online_identifiers" | "device_identifiers" => {
            "Identification data (e.g. usernames, passwords)"
        }
        "financial_account" | "payment_card" => {
            "Economic and financial data (e.g. credit card numbers, bank details)"
        }
        "government_id" => "Official documents (e.g. driving licences)",
        "location" => "Location data",
        "genetic" | "biometric" => "Genetic or biometric data",
        "criminal_records" => "Criminal convictions, offences",
        _ => return None,
    })
}

pub fn build(f: &Facts, v: Variant) -> Draft {
    let i = f.incident;
    let org = f.org();
    let (regime, title, basis, authority_word) = match v {
        Variant::Eu => (
            "EU-GDPR",
            "Personal data breach notification to the supervisory authority (GDPR Art. 33)",
            "Regulation (EU) 2016/679 (GDPR), Art. 33",
            "the supervisory authority",
        ),
        Variant::Uk => (
            "UK-GDPR",
            "Report a personal data breach (ICO, UK GDPR Art. 33)",
            "UK GDPR Art. 33; Data Protection Act 2018",
            "the ICO",
        ),
    };
    let mut d = Draft::new(regime, title, basis, i.id);

    d.section("report", "About your report");
    d.field(
        "report_type",
        "Report type (initial report / follow-up to an earlier report)",
        say(match f.kind {
            super::VersionKind::Initial => "Initial report",
            super::VersionKind::FollowUp => "Follow-up report",
            super::VersionKind::Final => "Follow-up report (final)",
        }),
    );
    let follow_up = f.kind != super::VersionKind::Initial;
    d.field(
        "case_reference",
        &format!("Case reference given by {authority_word} (follow-up reports)"),
        if follow_up {
            None
        } else {
            say("Not applicable: initial report")
        },
    );
    d.field(
        "staff_spoken_to",
        &format!("Have you already spoken to a member of staff at {authority_word} about this breach? Who?"),
        None,
    );

    d.section("reporter", "Your details");
    d.field("organisation_name", "Organisation name", text(&org.name));
    d.field("reporter_name", "Name of the person reporting", None);
    d.field("reporter_email", "E-mail of the person reporting", None);
    d.field("reporter_phone", "Telephone of the person reporting", None);
    d.field(
        "contact_point",
        "Contact for this matter: data protection officer or other contact point (Art. 33(3)(b))",
        text(&f.contact_point()),
    );
    d.field("contact_email", "Contact e-mail", text(&org.contact_email));
    d.field(
        "contact_phone",
        "Contact telephone",
        text(&org.contact_phone),
    );

    d.section("what_happened", "About the breach");
    d.field(
        "description",
        "What has happened? Tell us what went wrong and how (Art. 33(3)(a))",
        text(&i.summary),
    );
    d.field("cause", "How did it happen? (cause)", text(&i.cause));
    d.field(
        "cyber_incident",
        "Was the breach caused by a cyber incident? (Yes / No / Don't know)",
        None,
    );
    d.field(
        "how_found_out",
        "How did you find out about the breach?",
        None,
    );
    d.field(
        "discovered_at",
        "When did you discover the breach? (date and time)",
        time(Some(i.aware_at)),
    );
    d.field(
        "occurred_at",
        "When did the breach happen? (date and time)",
        f.occurred(),
    );
    d.field(
        "reasons_for_delay",
        "If you are reporting more than 72 hours after discovery, why? (Art. 33(1))",
        if f.late(regime) {
            None
        } else {
            say("Not applicable: reported within 72 hours of awareness")
        },
    );

    d.section("personal_data", "Personal data placed at risk");
    let base = f.base_categories();
    let mut ticks: Vec<String> = Vec::new();
    for b in &base {
        let t = match ico_category(b) {
            Some(t) => t.to_owned(),
            None => format!(
                "Other: {}",
                crate::notices::content::category_label(f.playbooks, b)
            ),
        };
        if !ticks.contains(&t) {
            ticks.push(t);
        }
    }
    d.field(
        "categories",
        "What categories of personal data have been affected? (Art. 33(3)(a))",
        list(&ticks),
    );
    d.field(
        "categories_in_detail",
        "The personal data affected, in the organisation's words",
        list(&f.category_labels()),
    );
    d.field(
        "records",
        "Approximately how many personal data records are concerned? (Art. 33(3)(a))",
        None,
    );
    let total = f.population.total;
    d.field(
        "subjects",
        "How many data subjects could be affected? (Art. 33(3)(a))",
        (total > 0).then(|| number(total)).flatten(),
    );
    let (territory_label, in_territory) = match v {
        Variant::Eu => (
            "Of whom living in the EU/EEA",
            f.population
                .by_country
                .iter()
                .filter(|(c, _)| in_eea(c))
                .map(|(_, n)| n)
                .sum::<u64>(),
        ),
        Variant::Uk => ("Of whom living in the United Kingdom", f.in_country("GB")),
    };
    d.field(
        "subjects_in_territory",
        territory_label,
        (total > 0).then(|| number(in_territory)).flatten(),
    );
    if total > 0 {
        d.table(f.counts_table());
    }
    d.field(
        "subject_categories",
        "What categories of data subjects are affected? (Art. 33(3)(a))",
        list(&org.data_subject_categories),
    );
    d.field(
        "likely_consequences",
        "What are the potential consequences for the data subjects? (Art. 33(3)(c))",
        text(&i.likely_consequences),
    );
    d.field(
        "likelihood_of_significant_consequences",
        "How likely is it that data subjects will experience significant consequences? (the organisation's risk assessment)",
        i.obligation_facts.risk_assessment.map(|r| {
            Value::Text(
                match r {
                    crate::domain::RiskLevel::Unlikely => "Unlikely to result in a risk",
                    crate::domain::RiskLevel::Risk => "A risk to data subjects",
                    crate::domain::RiskLevel::HighRisk => "A high risk to data subjects",
                }
                .into(),
            )
        }),
    );

    d.section("cyber", "Cyber incidents");
    d.field(
        "cia_affected",
        "Has the confidentiality, integrity and/or availability of your information systems been affected?",
        None,
    );
    d.field(
        "impact_on_organisation",
        "Impact on your organisation (the incident's severity as rated)",
        say(i.severity.as_str()),
    );
    d.field(
        "recovery_time",
        "Estimated recovery time (regular / supplemented / extended / not recoverable / already recovered / not yet known)",
        None,
    );
    d.field("systems", "Systems affected", list(&i.systems));

    d.section("staff", "Staff");
    d.field(
        "staff_involved",
        "Was a member of staff involved in the breach?",
        None,
    );
    d.field(
        "staff_training",
        "Have the staff involved received data protection training, and when?",
        None,
    );

    d.section("measures", "Taking action");
    d.field(
        "preventive_measures",
        "What measures were in place before the breach to prevent an incident of this nature?",
        None,
    );
    d.field(
        "actions_taken",
        "What have you done, or propose to do, to contain the breach, mitigate its effects and prevent recurrence? (Art. 33(3)(d))",
        text(&i.measures_taken),
    );
    d.field(
        "advice_to_subjects",
        "What you advise data subjects to do to mitigate possible adverse effects (Art. 33(3)(d))",
        list(&i.mitigations),
    );

    d.section("others", "Telling others");
    let others = f.other_authorities(regime);
    d.field(
        "other_organisations",
        "Have you told, or are you planning to tell, any other organisations about the breach?",
        if others.is_empty() {
            say("No other authority is required by the rules for this incident")
        } else {
            Some(Value::List(others))
        },
    );
    let individuals_required = f.required(regime, Audience::Individuals).next().is_some();
    d.field(
        "subjects_told",
        "Have you told data subjects about the breach? When?",
        say(match i.notices.dispatched_at {
            Some(t) => format!("Yes, from {}", t.format("%Y-%m-%d %H:%M UTC")),
            None if individuals_required => "Not yet; the rules require telling them".into(),
            None => "No; the rules do not require it as the incident stands".into(),
        }),
    );
    d
}
