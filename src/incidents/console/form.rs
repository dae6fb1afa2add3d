//! `/incidents/new`: the form that opens an incident. Its fields are named as the API's JSON
//! fields and it is parsed into the same `CreateIncident`, then the same `NewIncident::parse`:
//! a field left empty is a field left out, so the kind's playbook fills it. A bad form comes
//! back with every value kept and an error summary at the top linking to each bad field.
use crate::app::AppState;
use crate::auth::Action;
use crate::domain::{Channel, Severity, BASE_CATEGORIES};
use crate::incidents::{create, CreateIncident, IncidentError, NewIncident};
use crate::playbooks::{Kind, Playbooks};
use crate::web::console::{errors, instant, Console, Flash, FormData, PageError, PageResult};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/incidents/new", get(new_form).post(open))
        .route("/incidents/new/defaults", get(defaults))
}

/// Every field of the form, in the order of the page (the error summary follows it).
const FIELDS: &[(&str, &str)] = &[
    ("title", "Title"),
    ("summary", "What happened"),
    ("kind", "Kind of incident"),
    ("severity", "Severity"),
    ("aware_at", "Became aware (UTC)"),
    ("occurred_from", "Started (UTC)"),
    ("occurred_to", "Ended (UTC)"),
    ("data_categories", "Data involved"),
    ("systems", "Systems"),
    ("cause", "Cause"),
    ("measures_taken", "What we are doing"),
    ("mitigations", "What people can do"),
    ("channels", "Channels"),
];

/// The form as the API's request body.
fn request(form: &FormData) -> CreateIncident {
    let some = |v: Vec<String>| (!v.is_empty()).then_some(v);
    CreateIncident {
        title: form.get("title").unwrap_or_default().to_owned(),
        summary: form.get("summary").unwrap_or_default().to_owned(),
        kind: form.get("kind").unwrap_or_default().to_owned(),
        severity: form.text("severity"),
        aware_at: instant(form.get("aware_at").unwrap_or_default()),
        occurred_from: form.text("occurred_from").map(|v| instant(&v)),
        occurred_to: form.text("occurred_to").map(|v| instant(&v)),
        data_categories: some(form.all("data_categories")),
        systems: form.lines("systems"),
        cause: form.text("cause"),
        measures_taken: form.text("measures_taken"),
        mitigations: form.lines("mitigations"),
        likely_consequences: None,
        contact: None,
        channels: some(form.all("channels")),
        determined_at: form.text("determined_at").map(|v| instant(&v)),
        assessed_at: form.text("assessed_at").map(|v| instant(&v)),
        materiality_determined_at: form.text("materiality_determined_at").map(|v| instant(&v)),
        handling_ended_at: form.text("handling_ended_at").map(|v| instant(&v)),
        risk_assessment: form.text("risk_assessment"),
    }
}

/// What the kind's playbook fills in when a field is left empty.
fn kind_defaults(kind: &Kind) -> Value {
    json!({
        "id": kind.id,
        "title": kind.title,
        "description": kind.description,
        "severity": kind.severity.as_str(),
        "data_categories": kind.data_categories,
        "systems": kind.systems,
        "measures_taken": kind.measures_taken,
        "mitigations": kind.mitigations,
        "channels": kind.channels.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    })
}

/// The page's data: choices, the values as typed, and errors (every field named, so the
/// strict templates can ask for any).
fn view(playbooks: &Playbooks, form: &FormData, bad: &[(String, String)], now: &str) -> Value {
    let kind_id = form
        .text("kind")
        .filter(|k| playbooks.kinds.contains_key(k))
        .or_else(|| playbooks.kinds.keys().next().cloned())
        .unwrap_or_default();
    let kinds: Vec<Value> = playbooks
        .kinds
        .values()
        .map(|k| json!({ "id": k.id, "title": k.title, "selected": k.id == kind_id }))
        .collect();
    let severity = form.text("severity").unwrap_or_default();
    let severities: Vec<Value> = Severity::ALL
        .iter()
        .map(|s| json!({ "value": s.as_str(), "selected": s.as_str() == severity }))
        .collect();
    let chosen = form.all("data_categories");
    let mut names: Vec<String> = BASE_CATEGORIES.iter().map(|c| c.to_string()).collect();
    names.extend(playbooks.inventory.own_names());
    let categories: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({
                "value": c,
                "label": c.replace('_', " "),
                "checked": chosen.contains(c),
                "id": if i == 0 { "f-data_categories".to_owned() } else { format!("f-data_categories-{i}") },
            })
        })
        .collect();
    let given = form.all("channels");
    let channel_slots: Vec<Value> = ["First channel", "Then", "Last"]
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let picked = given.get(i).cloned().unwrap_or_default();
            json!({
                "label": label,
                "id": if i == 0 { "f-channels".to_owned() } else { format!("f-channels-{i}") },
                "options": Channel::ALL.iter().map(|c| json!({ "value": c.as_str(), "selected": c.as_str() == picked })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut per_field = serde_json::Map::new();
    for (f, _) in FIELDS {
        per_field.insert((*f).into(), Value::Null);
    }
    let mut shown = errors(bad);
    if let Some(m) = shown["fields"].as_object() {
        for (f, msg) in m {
            per_field.insert(f.clone(), msg.clone());
        }
    }
    // Label each summary line, in the page's order.
    if let Some(list) = shown["summary"].as_array_mut() {
        list.sort_by_key(|e| {
            FIELDS
                .iter()
                .position(|(f, _)| Some(*f) == e["field"].as_str())
        });
        for e in list.iter_mut() {
            let label = FIELDS
                .iter()
                .find(|(f, _)| Some(*f) == e["field"].as_str())
                .map_or("Form", |(_, l)| *l);
            e["label"] = json!(label);
        }
    }
    let value = |n: &str| json!(form.get(n).unwrap_or_default());
    json!({
        "kinds": kinds,
        "severities": severities,
        "categories": categories,
        "channels": channel_slots,
        "defaults": playbooks.kinds.get(&kind_id).map(kind_defaults),
        "values": {
            "title": value("title"),
            "summary": value("summary"),
            "aware_at": form.get("aware_at").map_or_else(|| json!(now), |v| json!(v)),
            "occurred_from": value("occurred_from"),
            "occurred_to": value("occurred_to"),
            "systems": value("systems"),
            "cause": value("cause"),
            "measures_taken": value("measures_taken"),
            "mitigations": value("mitigations"),
        },
        "errors": { "summary": shown["summary"], "fields": Value::Object(per_field) },
    })
}

#[derive(Deserialize)]
struct KindQuery {
    kind: Option<String>,
}

fn now_local(state: &AppState) -> String {
    state.clock.now().format("%Y-%m-%dT%H:%M").to_string()
}

async fn new_form(
    State(state): State<AppState>,
    cx: Console,
    Query(q): Query<KindQuery>,
) -> PageResult {
    cx.require(Action::IncidentsWrite)?;
    let mut form = FormData::default();
    if let Some(k) = q.kind {
        form = FormData::parse(format!("kind={}", urlencoding::encode(&k)).as_bytes());
    }
    let data = view(&state.playbooks, &form, &[], &now_local(&state));
    cx.page(
        "console/incidents/new.html",
        "Open an incident",
        "incidents",
        data,
    )
}

/// The defaults block for another kind (htmx swaps it in when the kind changes).
async fn defaults(
    State(state): State<AppState>,
    cx: Console,
    Query(q): Query<KindQuery>,
) -> PageResult {
    cx.require(Action::IncidentsWrite)?;
    let kind = q
        .kind
        .as_deref()
        .and_then(|k| state.playbooks.kinds.get(k))
        .ok_or_else(|| PageError::not_found("incident kind"))?;
    let ctx = json!({ "page": { "defaults": kind_defaults(kind) } });
    crate::web::console::html(
        &state,
        StatusCode::OK,
        "console/incidents/_defaults.html",
        &ctx,
    )
}

async fn open(State(state): State<AppState>, cx: Console, form: FormData) -> PageResult {
    let actor = cx.require(Action::IncidentsWrite)?;
    cx.check_csrf(&form)?;
    let now = state.clock.now();
    let parsed = NewIncident::parse(request(&form), &state.playbooks, now);
    let new = match parsed {
        Ok(n) => n,
        Err(IncidentError::Invalid(bad)) => {
            let data = view(&state.playbooks, &form, &bad, &now_local(&state));
            return cx.page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                "console/incidents/new.html",
                "Open an incident: check the form",
                "incidents",
                data,
            );
        }
        Err(e) => return Err(e.into()),
    };
    let incident = create(&state.db, &actor, new, now).await?;
    tracing::info!(
        incident.id = incident.id,
        "incident opened from the console"
    );
    Ok(cx.redirect(
        &format!("/incidents/{}", incident.id),
        Flash::ok(format!("Incident #{} opened.", incident.id)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_times_are_read_as_utc() {
        assert_eq!(instant("2026-11-25T09:00"), "2026-11-25T09:00:00Z");
        assert_eq!(instant("2026-11-25T09:00:30"), "2026-11-25T09:00:30Z");
        assert_eq!(
            instant("2026-11-25T09:00:00+01:00"),
            "2026-11-25T09:00:00+01:00"
        );
        assert_eq!(instant("2026-11-25T09:00:00Z"), "2026-11-25T09:00:00Z");
        assert_eq!(instant("yesterday"), "yesterday");
        assert_eq!(instant(""), "");
        assert_eq!(instant("2026-11-25T09:0ééé"), "2026-11-25T09:0ééé");
        assert_eq!(instant("2026-11-25T09:00+01"), "2026-11-25T09:00+01");
    }

    #[test]
    fn the_form_becomes_the_apis_request_with_empty_parts_left_out() {
        let f = FormData::parse(
            b"title=Leak&kind=credential-exposure&severity=&aware_at=2026-11-25T09:00\
              &systems=&channels=sms&channels=&channels=email&data_categories=name",
        );
        let r = request(&f);
        assert_eq!(r.title, "Leak");
        assert_eq!(r.severity, None);
        assert_eq!(r.aware_at, "2026-11-25T09:00:00Z");
        assert_eq!(r.systems, None, "empty: the playbook's");
        assert_eq!(r.channels.unwrap(), ["sms", "email"]);
        assert_eq!(r.data_categories.unwrap(), ["name"]);
        assert_eq!(r.mitigations, None);
    }
}
