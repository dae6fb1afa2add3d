//! The tabs of an incident's page: Details (`incidents::console::show`), people affected
//! (`population::console`), notices (`notices::console`), delivery (`delivery::console`),
//! obligations and reports (`regulation::console`). This module holds what they share: the tab
//! strip, the head of every tab page, and a form's error summary labelled for the page.
use super::{errors, Console};
use crate::incidents::Incident;
use serde_json::{json, Map, Value};

/// Every tab: its path after `/incidents/{id}` and its label.
pub const TABS: &[(&str, &str)] = &[
    ("", "Details"),
    ("/population", "People affected"),
    ("/notices", "Notices"),
    ("/delivery", "Delivery"),
    ("/obligations", "Obligations"),
    ("/reports", "Reports"),
];

/// PLACEHOLDER: tabs whose page is not built yet (none left; kept so a new tab can start as one).
pub const PLACEHOLDERS: &[&str] = &[];

/// The tab strip for incident `id` with `active` (a path of [`TABS`]) marked.
pub fn strip(base: &str, id: i64, active: &str) -> Value {
    json!(TABS
        .iter()
        .map(|(path, label)| json!({
            "href": format!("{base}/incidents/{id}{path}"),
            "label": label,
            "current": *path == active,
            "placeholder": PLACEHOLDERS.contains(&path.trim_start_matches('/')),
        }))
        .collect::<Vec<_>>())
}

/// The page data every tab starts from: the incident's head and the tab strip, with `tab`
/// (`"/population"` …) current; the tab adds its own keys.
pub fn head(cx: &Console, i: &Incident, tab: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "incident".into(),
        json!({ "id": i.id, "title": i.title, "status": i.status.as_str(),
                "closed": i.status == crate::incidents::Status::Closed,
                "dispatched": i.notices.dispatched_at.is_some() }),
    );
    m.insert("tabs".into(), strip(&cx.base, i.id, tab));
    m.insert(
        "here".into(),
        json!(cx.path(&format!("/incidents/{}{tab}", i.id))),
    );
    m.insert("errors".into(), json!({ "summary": [], "fields": {} }));
    m
}

/// A form's error summary for `console/_errors.html`: each field's message labelled from
/// `fields` (`(field, element id without its "f-", label)`), linking to that element; a field
/// the form does not show links to the form's first.
pub fn summary(bad: &[(String, String)], fields: &[(&str, &str, &str)]) -> Value {
    let mut shown = errors(bad);
    // Every field named, so the strict templates can ask for any.
    if let Some(m) = shown["fields"].as_object_mut() {
        for (f, _, _) in fields {
            m.entry(f.to_string()).or_insert(Value::Null);
        }
    }
    if let Some(list) = shown["summary"].as_array_mut() {
        for e in list.iter_mut() {
            let name = e["field"].as_str().unwrap_or_default().to_owned();
            let (id, label) = fields
                .iter()
                .find(|(f, _, _)| *f == name)
                .or(fields.first())
                .map_or(("", "Form"), |(_, id, l)| (*id, *l));
            e["field"] = json!(id);
            e["label"] = json!(label);
        }
    }
    shown
}

/// A span of time in words, to the minute ("2 days 3 hours", "45 minutes").
pub fn span(d: chrono::Duration) -> String {
    let mins = d.num_minutes().abs();
    let (days, hours, minutes) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    let unit = |n: i64, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(unit(days, "day"));
    }
    if hours > 0 {
        parts.push(unit(hours, "hour"));
    }
    if days == 0 && (minutes > 0 || hours == 0) {
        parts.push(unit(minutes, "minute"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_words() {
        let m = chrono::Duration::minutes;
        assert_eq!(span(m(0)), "0 minutes");
        assert_eq!(span(m(1)), "1 minute");
        assert_eq!(span(m(61)), "1 hour 1 minute");
        assert_eq!(span(m(-120)), "2 hours");
        assert_eq!(span(m(3 * 1440 + 125)), "3 days 2 hours");
    }

    #[test]
    fn the_summary_links_each_message_to_its_field() {
        let s = summary(
            &[
                ("selector.countries".into(), "bad code".into()),
                ("other".into(), "no".into()),
            ],
            &[
                ("external_ids", "external_ids", "Ids"),
                ("selector.countries", "countries", "Countries"),
            ],
        );
        assert_eq!(s["summary"][0]["field"], "countries");
        assert_eq!(s["summary"][0]["label"], "Countries");
        assert_eq!(s["summary"][1]["field"], "external_ids");
        assert_eq!(s["fields"]["selector.countries"], "bad code");
    }
}
