//! The report for any regime without a form of its own: one section per obligation of the rule
//! towards an authority, one field per element its `contents` (then `optional_contents`) name,
//! answered from the incident where the element's name says what it is, `Missing` otherwise.
use super::draft::{list, number, say, text, time, Draft};
use super::Facts;
use crate::playbooks::jurisdictions::Audience;
use crate::regulation::document::Value;

/// Whether an element asks for a copy of the notice to individuals.
pub fn is_notice_copy(element: &str) -> bool {
    let e = element;
    (e.contains("copy") || e.contains("sample") || e.contains("template")) && !e.contains("hhs")
        || e == "sample_notice"
        || e == "written_notice"
}

/// The element's name as a label: `number_of_texas_residents` → "Number of texas residents".
fn label(element: &str) -> String {
    let words = element
        .split('_')
        .map(|w| match w {
            "pi" | "phi" | "spi" | "dpo" | "hhs" | "ag" | "fein" | "wisp" | "ssn" => {
                w.to_uppercase()
            }
            w => w.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut c = words.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => words,
    }
}

/// The answer to one element, when its name says what Tocsin knows.
fn answer(f: &Facts, regime: &str, element: &str) -> Option<Value> {
    let i = f.incident;
    let has = |words: &[&str]| words.iter().any(|w| element.contains(w));
    if is_notice_copy(element) {
        return f.sample_notice.as_deref().and_then(text);
    }
    if has(&["records"]) {
        // Tocsin counts people, not records.
        return None;
    }
    if has(&["number_notified"]) {
        return number(f.notified(None, None));
    }
    if has(&[
        "notify_individuals",
        "intimations",
        "communication_to_data_subjects",
        "status_of_response",
    ]) {
        return say(match i.notices.dispatched_at {
            Some(t) => format!(
                "Individuals notified from {} ({} reached)",
                t.format("%Y-%m-%d %H:%M UTC"),
                f.notified(None, None)
            ),
            None => "Individuals not yet notified".into(),
        });
    }
    if has(&["determination_date"]) {
        return time(i.obligation_facts.determined_at);
    }
    if has(&["number", "approximate_number", "estimated_total"]) {
        if f.population.total == 0 {
            return None;
        }
        let residents = f
            .playbooks
            .jurisdictions
            .rule(regime)
            .map(|r| f.population.counts().residents(&r.residence))
            .unwrap_or(f.population.total);
        return say(format!(
            "{residents} in the jurisdiction ({} affected in all)",
            f.population.total
        ));
    }
    if has(&["discovery"]) {
        return time(Some(i.aware_at));
    }
    if has(&["notice_dates", "individual_notice_dates"]) {
        return time(i.notices.dispatched_at);
    }
    if has(&[
        "breach_date",
        "dates",
        "date_or_period",
        "timing",
        "timeline",
    ]) && !has(&["notice"])
    {
        return f.occurred();
    }
    if has(&["cause", "root_cause"]) {
        return text(&i.cause);
    }
    if has(&[
        "pi_types",
        "pi_categories",
        "data_involved",
        "data_items",
        "type_of_phi",
        "kinds_of_information",
        "description_of_pi",
        "categories_of_pi",
        "categories_and_approx",
    ]) {
        return list(&f.category_labels());
    }
    if has(&[
        "consequences",
        "harm",
        "likely_impact",
        "possible_harm",
        "risks",
    ]) {
        return text(&i.likely_consequences);
    }
    if has(&[
        "steps_for_individuals",
        "measures_individuals",
        "recommended_steps",
    ]) {
        return list(&i.mitigations);
    }
    if has(&[
        "measures_taken",
        "steps_taken",
        "actions_taken",
        "remedial",
        "remediation",
        "mitigation_measures",
        "response_measures",
        "applied_and_ongoing",
    ]) {
        return text(&i.measures_taken);
    }
    if has(&[
        "nature",
        "description",
        "summary",
        "synopsis",
        "overview",
        "circumstances",
        "general_description",
        "short_description",
    ]) {
        return text(&f.description());
    }
    if has(&[
        "dpo",
        "contact_point",
        "contact_person",
        "contacts",
        "contact_employee",
    ]) {
        return text(&f.contact_point());
    }
    if has(&[
        "entity_name",
        "identity_and_contact",
        "entity_contact",
        "controller",
    ]) {
        return say(format!("{}, {}", f.org().name, f.org().contact_line()));
    }
    None
}

pub fn build(f: &Facts, regime: &str) -> Draft {
    let i = f.incident;
    let rule = f.playbooks.jurisdictions.rule(regime);
    let name = rule
        .map(|r| r.name.clone())
        .unwrap_or_else(|| regime.to_owned());
    let mut d = Draft::new(
        regime,
        &format!("Breach report to the authority ({name})"),
        &rule.map(|r| r.name.clone()).unwrap_or_default(),
        i.id,
    );
    d.notice("No form of this authority is modelled: the fields are the contents the rule requires (REGULATIONS.md), named as the rule names them.");
    d.section("reporter", "Reporting organisation");
    d.field("name", "Organisation", text(&f.org().name));
    d.field("contact", "Contact point", text(&f.contact_point()));
    d.field(
        "discovered_at",
        "When the organisation became aware",
        time(Some(i.aware_at)),
    );
    let Some(rule) = rule else { return d };
    let to_authority: Vec<_> = rule
        .obligations
        .iter()
        .filter(|o| o.audience == Audience::Authority)
        .collect();
    if to_authority.is_empty() {
        d.notice(format!(
            "The {regime} rule names no report to an authority: this is a summary of the incident for the record."
        ));
        d.section("summary", "The incident");
        d.field(
            "description",
            "Description of the breach",
            text(&f.description()),
        );
        d.field(
            "data_involved",
            "Personal information involved",
            list(&f.category_labels()),
        );
        d.field(
            "people",
            "People affected in the jurisdiction",
            answer(f, regime, "number_affected"),
        );
        d.field("measures_taken", "Measures taken", text(&i.measures_taken));
    }
    for o in to_authority {
        d.section(&o.id, &o.title);
        let mut seen: Vec<&str> = Vec::new();
        for e in o.contents.iter().chain(&o.optional_contents) {
            if seen.contains(&e.as_str()) {
                continue;
            }
            seen.push(e);
            d.field(e, &label(e), answer(f, regime, e));
        }
        if o.contents.is_empty() && o.optional_contents.is_empty() {
            d.field(
                "description",
                "Description of the breach",
                text(&f.description()),
            );
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_notice_copies() {
        assert_eq!(
            label("number_of_texas_residents"),
            "Number of texas residents"
        );
        assert_eq!(label("pi_types"), "PI types");
        assert!(is_notice_copy("sample_copy_of_consumer_notice"));
        assert!(is_notice_copy("copy_of_template_notice"));
        assert!(!is_notice_copy("copy_of_hhs_notice"));
        assert!(!is_notice_copy("timing_of_notices"));
    }
}
