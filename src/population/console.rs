//! `/incidents/{id}/population` in the console: who is affected, counted by country and region
//! and by whether any of the incident's channels reaches them; forms that add people by
//! external ids (typed or read from a file) or by a selector (countries, regions, everyone),
//! each with a "Check counts" dry run that shows the counts per jurisdiction before saving.
//! Both go through `set_population`, as `POST /api/v1/incidents/{id}/population` does.
use super::{set_population, PopulationError, PopulationFacts, PopulationRequest, Selector};
use crate::app::AppState;
use crate::auth::Action;
use crate::incidents::{self, Incident, Status};
use crate::web::console::{tabs, Console, Flash, FormData, Locale, PageError, PageResult};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

pub fn routes() -> Router<AppState> {
    Router::new().route("/incidents/{id}/population", get(show).post(add))
}

/// The form fields, their element ids and labels (the error summary links to them).
const FIELDS: &[(&str, &str, &str)] = &[
    ("external_ids", "external_ids", "External ids"),
    ("selector", "countries", "Who"),
    ("selector.countries", "countries", "Countries"),
    ("selector.regions", "regions", "Regions"),
    ("reason", "reason", "Why they are affected"),
];

/// Counts per jurisdiction as rows: each country, then its regions, then the unknown.
fn jurisdictions(by: &Map<String, Value>, l: &Locale) -> Vec<Value> {
    let n = |v: &Value| l.number(v.as_i64().unwrap_or(0));
    let mut rows = Vec::new();
    for (code, count) in by
        .iter()
        .filter(|(k, _)| !k.contains('-') && *k != "unknown")
    {
        rows.push(json!({ "code": code, "people": n(count), "region": false }));
        for (r, c) in by
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("{code}-")))
        {
            rows.push(json!({ "code": r, "people": n(c), "region": true }));
        }
    }
    if let Some(u) = by.get("unknown") {
        rows.push(json!({ "code": "country not known", "people": n(u), "region": false }));
    }
    rows
}

/// Codes typed in one field, separated by commas, spaces or lines.
fn codes(form: &FormData, name: &str) -> Vec<String> {
    form.get(name)
        .unwrap_or_default()
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The form as the API's request body: ids when the ids form was sent, else the selector.
fn request(form: &FormData) -> PopulationRequest {
    let reason = form.text("reason");
    if form.get("external_ids").is_some() {
        return PopulationRequest {
            external_ids: Some(form.lines("external_ids").unwrap_or_default()),
            selector: None,
            reason,
        };
    }
    PopulationRequest {
        external_ids: None,
        selector: Some(Selector {
            countries: codes(form, "selector.countries"),
            regions: codes(form, "selector.regions"),
            all: form.get("selector.all") == Some("true"),
        }),
        reason,
    }
}

/// Why this incident's population cannot change now, if it cannot.
fn closed_for_changes(i: &Incident) -> Option<&'static str> {
    if i.status == Status::Closed {
        Some("The incident is closed: its population cannot change.")
    } else if i.notices.dispatched_at.is_some() {
        Some("The notices were already dispatched: people found later need a follow-up incident.")
    } else {
        None
    }
}

async fn page(
    state: &AppState,
    cx: &Console,
    i: &Incident,
    form: &FormData,
    checked: Option<&super::PopulationSummary>,
    bad: &[(String, String)],
) -> PageResult {
    let l = &cx.locale;
    let facts = PopulationFacts::load(&state.db, i.id).await?;
    let unreachable = super::store::unreachable(&state.db, i.id, &i.channels).await?;
    let mut by_channel = Vec::new();
    for c in &i.channels {
        let none = super::store::unreachable(&state.db, i.id, std::slice::from_ref(c)).await?;
        by_channel
            .push(json!({ "channel": c.as_str(), "people": l.number(facts.total as i64 - none) }));
    }
    let mut data = tabs::head(cx, i, "/population");
    let blocked = closed_for_changes(i);
    data.insert(
        "people".into(),
        json!({
            "total": l.number(facts.total as i64),
            "none": facts.total == 0,
            "reachable": l.number(facts.total as i64 - unreachable),
            "unreachable": l.number(unreachable),
            "channels": i.channels.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "by_channel": by_channel,
            "jurisdictions": jurisdictions(&facts.by_jurisdiction(), l),
        }),
    );
    data.insert(
        "can_add".into(),
        json!(cx.can(Action::PopulationWrite) && blocked.is_none()),
    );
    data.insert("blocked".into(), json!(blocked));
    data.insert(
        "checked".into(),
        match checked {
            None => Value::Null,
            Some(s) => json!({
                "count": l.number(s.count),
                "added": l.number(s.added as i64),
                "unreachable": l.number(s.unreachable),
                "jurisdictions": jurisdictions(&s.by_jurisdiction, l),
                "unknown": s.unknown.iter().take(20).collect::<Vec<_>>(),
                "unknown_count": l.number(s.unknown_count as i64),
                "more_unknown": s.unknown_count > 20,
            }),
        },
    );
    let ids_sent = form.get("external_ids").is_some();
    data.insert(
        "values".into(),
        json!({
            "external_ids": form.get("external_ids").unwrap_or_default(),
            "countries": form.get("selector.countries").unwrap_or_default(),
            "regions": form.get("selector.regions").unwrap_or_default(),
            "all": form.get("selector.all") == Some("true"),
            "ids_reason": if ids_sent { form.get("reason").unwrap_or_default() } else { "" },
            "sel_reason": if ids_sent { "" } else { form.get("reason").unwrap_or_default() },
            "ids_checked": checked.is_some() && ids_sent,
            "sel_checked": checked.is_some() && !ids_sent,
        }),
    );
    data.insert("errors".into(), tabs::summary(bad, FIELDS));
    let status = if bad.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    cx.page_with(
        status,
        "console/incidents/population.html",
        &format!("People affected · Incident #{}", i.id),
        "incidents",
        Value::Object(data),
    )
}

async fn show(State(state): State<AppState>, cx: Console, Path(id): Path<i64>) -> PageResult {
    cx.require(Action::IncidentsRead)?;
    let i = incidents::find(&state.db, id).await?;
    page(&state, &cx, &i, &FormData::default(), None, &[]).await
}

async fn add(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<i64>,
    form: FormData,
) -> PageResult {
    let actor = cx.require(Action::PopulationWrite)?;
    cx.check_csrf(&form)?;
    let dry_run = form.get("dry_run") == Some("true");
    let now = state.clock.now();
    let result = set_population(&state.db, &actor, id, request(&form), dry_run, now).await;
    let i = incidents::find(&state.db, id).await?;
    let bad: Vec<(String, String)> = match result {
        Ok(s) if dry_run => return page(&state, &cx, &i, &form, Some(&s), &[]).await,
        Ok(s) => {
            let l = &cx.locale;
            let mut text = format!(
                "{} {} added; {} in all.",
                l.number(s.added as i64),
                if s.added == 1 { "person" } else { "people" },
                l.number(s.count)
            );
            if s.unknown_count > 0 {
                let listed: Vec<&str> = s.unknown.iter().take(5).map(String::as_str).collect();
                text.push_str(&format!(
                    " {} not in the registry: {}{}",
                    l.number(s.unknown_count as i64),
                    listed.join(", "),
                    if s.unknown_count > listed.len() {
                        ", …"
                    } else {
                        ""
                    }
                ));
            }
            return Ok(cx.redirect(&format!("/incidents/{id}/population"), Flash::ok(text)));
        }
        Err(PopulationError::Invalid(fields)) => fields,
        Err(PopulationError::Ambiguous) => vec![(
            "external_ids".into(),
            "list the ids, or choose who by country, region or everyone".into(),
        )],
        Err(e @ (PopulationError::Closed | PopulationError::AlreadyDispatched)) => {
            vec![("external_ids".into(), e.to_string())]
        }
        Err(PopulationError::Incident(e)) => return Err(e.into()),
        Err(PopulationError::Db(e)) => return Err(PageError::from(e)),
    };
    page(&state, &cx, &i, &form, None, &bad).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_country_is_followed_by_its_regions_and_the_unknown_come_last() {
        let by: Map<String, Value> = serde_json::from_value(json!({
            "unknown": 2, "US-CA": 1200, "DE": 3, "US": 1500, "US-NY": 300
        }))
        .unwrap();
        let rows = jurisdictions(&by, &Locale::default());
        let codes: Vec<&str> = rows.iter().map(|r| r["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["DE", "US", "US-CA", "US-NY", "country not known"]);
        assert_eq!(rows[1]["people"], "1,500");
        assert_eq!(rows[2]["region"], true);
    }

    #[test]
    fn the_form_becomes_the_apis_request() {
        let ids = request(&FormData::parse(
            b"external_ids=a-1%0D%0A%0D%0A+a-2+&reason=leak&selector.countries=DE",
        ));
        assert_eq!(ids.external_ids.unwrap(), ["a-1", "a-2"]);
        assert!(ids.selector.is_none());
        assert_eq!(ids.reason.as_deref(), Some("leak"));
        let sel = request(&FormData::parse(
            b"selector.countries=de,+FR%0D%0Aus&selector.regions=&selector.all=true",
        ));
        let s = sel.selector.unwrap();
        assert_eq!(s.countries, ["de", "FR", "us"]);
        assert!(s.regions.is_empty());
        assert!(s.all);
        assert!(sel.external_ids.is_none());
    }
}
