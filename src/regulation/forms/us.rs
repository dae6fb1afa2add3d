//! United States forms: the HHS breach portal (REGULATIONS.md §3.2), the California Attorney
//! General's submission with its sample notice (§3.5), the Texas Attorney General's data
//! breach report (§3.6) and a draft of SEC Form 8-K Item 1.05 (§2.14).
use super::draft::{list, number, say, text, time, yes_no, Draft};
use super::{Facts, VersionKind};
use crate::playbooks::jurisdictions::Audience;
use crate::regulation::document::Value;

/// HHS's types of PHI, from the base vocabulary.
fn phi_type(base: &str) -> &'static str {
    match base {
        "health" | "genetic" | "biometric" => "Clinical",
        "name" | "date_of_birth" | "postal_address" | "email_address" | "phone_number"
        | "government_id" => "Demographic",
        "financial_account" | "payment_card" => "Financial",
        _ => "Other",
    }
}

pub fn hipaa(f: &Facts) -> Draft {
    let i = f.incident;
    let org = f.org();
    let mut d = Draft::new(
        "US-HIPAA",
        "Notice to the Secretary of HHS of Breach of Unsecured Protected Health Information",
        "45 CFR 164.408",
        i.id,
    );
    let total = f.population.total;
    d.section("general", "General");
    d.field(
        "breach_affecting",
        "Breach affecting: 500 or more individuals / fewer than 500 individuals",
        (total > 0)
            .then(|| {
                say(if total >= 500 {
                    "500 or more individuals"
                } else {
                    "Fewer than 500 individuals"
                })
            })
            .flatten(),
    );
    d.field(
        "report_type",
        "Report type: initial breach report / addendum to a previous report",
        say(match f.kind {
            VersionKind::Initial => "Initial breach report",
            _ => "Addendum to a previous report",
        }),
    );
    d.field(
        "transaction_number",
        "Transaction number of the previous report (addendum)",
        if f.kind == VersionKind::Initial {
            say("Not applicable: initial report")
        } else {
            None
        },
    );

    d.section("covered_entity", "Section 1: Covered entity");
    d.field("name", "Name of covered entity", text(&org.name));
    d.field("address", "Street address, city, state, ZIP", None);
    d.field(
        "entity_type",
        "Type of covered entity (health plan / healthcare provider / healthcare clearinghouse)",
        None,
    );
    d.field("contact_name", "Contact name", text(&org.dpo));
    d.field("contact_phone", "Contact phone", text(&org.contact_phone));
    d.field("contact_email", "Contact e-mail", text(&org.contact_email));

    d.section("business_associate", "Section 2: Business associate");
    d.field(
        "involved",
        "Did the breach occur at or by a business associate?",
        None,
    );
    d.field("name", "Name of business associate", None);
    d.field("address", "Address of business associate", None);
    d.field(
        "contact",
        "Business associate contact (name, phone, e-mail)",
        None,
    );

    d.section("breach", "Section 3: Breach");
    d.field("start", "Breach start date", time(i.occurred_from));
    d.field("end", "Breach end date", time(i.occurred_to));
    d.field(
        "discovery_start",
        "Discovery start date",
        time(Some(i.aware_at)),
    );
    d.field("discovery_end", "Discovery end date", None);
    d.field(
        "individuals_affected",
        "Approximate number of individuals affected by the breach",
        (total > 0).then(|| number(total)).flatten(),
    );
    d.field(
        "type_of_breach",
        "Type of breach (hacking/IT incident, improper disposal, loss, theft, unauthorized access/disclosure, other)",
        None,
    );
    d.field(
        "location",
        "Location of breached information (desktop computer, electronic medical record, e-mail, laptop, network server, other portable electronic device, paper/films, other)",
        None,
    );
    let mut phi: Vec<&str> = f.base_categories().iter().map(|b| phi_type(b)).collect();
    phi.sort();
    phi.dedup();
    d.field(
        "type_of_phi",
        "Type of protected health information involved (clinical, demographic, financial, other)",
        list(&phi),
    );
    let description = f.description();
    let clipped = crate::notices::render::clip(&description, 4000);
    if clipped != description {
        d.notice("The description was shortened to the portal's 4,000 characters.");
    }
    d.field(
        "description",
        "Brief description of the breach (how it occurred, the media and the PHI involved; at most 4,000 characters)",
        text(&clipped),
    );
    d.field(
        "safeguards",
        "Safeguards in place prior to the breach (none; privacy rule safeguards; security rule administrative, physical, technical safeguards)",
        None,
    );

    d.section("notice", "Section 4: Notice of breach and actions taken");
    d.field(
        "individual_notice_start",
        "Date individual notice provided (start)",
        time(i.notices.dispatched_at),
    );
    d.field(
        "individual_notice_end",
        "Date individual notice provided (projected or actual end)",
        None,
    );
    d.field(
        "substitute_notice",
        "Was substitute notice required?",
        yes_no(f.substitute_required("US-HIPAA")),
    );
    d.field(
        "media_notice",
        "Was media notice required (more than 500 residents of a State)?",
        yes_no(f.required("US-HIPAA", Audience::Media).next().is_some()),
    );
    d.field(
        "actions_taken",
        "Actions taken in response to the breach",
        text(&i.measures_taken),
    );

    d.section("attestation", "Section 5: Attestation");
    d.field(
        "attestation",
        "Attestation that the information is accurate (completed by the filer on the portal)",
        None,
    );
    d
}

pub fn california(f: &Facts) -> Draft {
    let i = f.incident;
    let org = f.org();
    let mut d = Draft::new(
        "US-CA",
        "Submit Data Security Breach (California Attorney General)",
        "Cal. Civ. Code § 1798.82(f)",
        i.id,
    );
    d.section("organization", "Organization");
    d.field("name", "Organization name", text(&org.name));
    d.field("contact_name", "Contact name", text(&org.dpo));
    d.field("contact_email", "Contact e-mail", text(&org.contact_email));
    d.field("contact_phone", "Contact phone", text(&org.contact_phone));

    d.section("sample_notice", "Section 1: Sample copy of the notice");
    d.text("A single sample copy of the notice sent to California residents, without any personal information; the Attorney General publishes it.");
    d.field(
        "sample_notice",
        "Sample notice (as a California resident receives it)",
        f.sample_notice.as_deref().and_then(text),
    );

    d.section("doj", "Section 2: For Department of Justice use");
    d.field("breach_dates", "Date(s) of breach (if known)", f.occurred());
    d.field(
        "discovery_dates",
        "Date(s) of discovery",
        time(Some(i.aware_at)),
    );
    d.field(
        "notice_dates",
        "Date(s) consumer notification provided",
        time(i.notices.dispatched_at),
    );
    d.field(
        "pi_types",
        "Type of personal information involved",
        list(&f.category_labels()),
    );
    d.field("breach_type", "Type of breach", None);
    d.field(
        "small_business",
        "Is the organization a small business (SBA size standards)?",
        None,
    );
    d.field(
        "california_residents",
        "California residents affected (the report is required above 500)",
        number(f.in_region("US-CA")),
    );
    d
}

pub fn texas(f: &Facts) -> Draft {
    let i = f.incident;
    let org = f.org();
    let mut d = Draft::new(
        "US-TX",
        "Data Security Breach Report (Texas Attorney General)",
        "Tex. Bus. & Com. Code § 521.053(i)",
        i.id,
    );
    d.section("entity", "Entity and authorized submitter");
    d.field("name", "Name of the entity", text(&org.name));
    d.field("address", "Address of the entity", None);
    d.field(
        "submitter_name",
        "Authorized submitter: name and title",
        None,
    );
    d.field(
        "submitter_contact",
        "Authorized submitter: e-mail and phone",
        None,
    );
    d.field(
        "contact",
        "Contact for the breach",
        text(&f.contact_point()),
    );

    d.section("breach", "The breach");
    d.field(
        "description",
        "Detailed description of the nature and circumstances of the breach or of the use of sensitive personal information",
        text(&f.description()),
    );
    d.field(
        "information_involved",
        "Sensitive personal information involved",
        list(&f.category_labels()),
    );
    d.field(
        "determined_at",
        "When the breach was determined",
        time(i.obligation_facts.determined_at),
    );
    d.field(
        "texans_affected",
        "Number of Texas residents affected",
        number(f.in_region("US-TX")),
    );
    d.field(
        "texans_notified",
        "Number of affected Texas residents notified by mail or other direct method",
        number(f.notified(Some("US"), Some("US-TX"))),
    );
    d.field(
        "notice_method",
        "How they were notified",
        i.notices
            .dispatched_at
            .map(|_| Value::List(i.channels.iter().map(|c| c.as_str().to_owned()).collect()))
            .or_else(|| say("Not yet notified")),
    );

    d.section("measures", "Measures");
    d.field(
        "measures_taken",
        "Measures taken regarding the breach",
        text(&i.measures_taken),
    );
    d.field(
        "measures_planned",
        "Measures the entity intends to take after the notification",
        None,
    );
    d.field(
        "law_enforcement",
        "Is law enforcement investigating the breach?",
        None,
    );
    d
}

pub fn sec(f: &Facts) -> Draft {
    let i = f.incident;
    let org = f.org();
    let mut d = Draft::new(
        "US-SEC",
        "Form 8-K, Item 1.05 Material Cybersecurity Incidents (draft)",
        "Securities Exchange Act of 1934; Form 8-K Item 1.05 (Release 33-11216)",
        i.id,
    );
    d.notice("A draft for counsel: the registrant decides what is material and what is disclosed.");
    d.section("cover", "Cover page");
    d.field(
        "registrant",
        "Exact name of registrant as specified in its charter",
        text(&org.name),
    );
    d.field("commission_file_number", "Commission file number", None);
    d.field(
        "date_of_event",
        "Date of report (date of earliest event reported: the materiality determination)",
        time(i.obligation_facts.materiality_determined_at),
    );
    d.field(
        "amendment",
        "Form 8-K or amendment (8-K/A) for information not determined at the initial filing",
        say(match f.kind {
            VersionKind::Initial => "Form 8-K",
            _ => "Form 8-K/A",
        }),
    );

    d.section("item_1_05", "Item 1.05 Material Cybersecurity Incidents");
    d.field(
        "nature",
        "The material aspects of the nature of the incident",
        text(&f.description()),
    );
    let mut scope: Vec<String> = Vec::new();
    if !i.systems.is_empty() {
        scope.push(format!("Systems: {}", i.systems.join(", ")));
    }
    let cats = f.category_labels();
    if !cats.is_empty() {
        scope.push(format!("Data: {}", cats.join(", ")));
    }
    if f.population.total > 0 {
        scope.push(format!("People affected: {}", f.population.total));
    }
    d.field("scope", "The material aspects of its scope", list(&scope));
    let mut timing: Vec<String> = Vec::new();
    if let Some(t) = f.occurred().and_then(|v| v.display()) {
        timing.push(format!("Occurred: {t}"));
    }
    timing.push(format!(
        "Discovered: {}",
        i.aware_at.format("%Y-%m-%d %H:%M UTC")
    ));
    d.field(
        "timing",
        "The material aspects of its timing",
        list(&timing),
    );
    d.field(
        "material_impact",
        "The material impact or reasonably likely material impact on the registrant, including its financial condition and results of operations",
        None,
    );

    d.section("signature", "Signature");
    d.field(
        "signatory",
        "Signed on behalf of the registrant by (name and title)",
        None,
    );
    d.field("signature_date", "Date", None);
    d
}
