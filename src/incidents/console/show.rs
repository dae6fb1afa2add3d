//! `/incidents/{id}`: an incident's details, timeline and people affected, with its status
//! moves (only those the lifecycle allows, only to roles that may make them). A move posts
//! `status` to the same address and goes through `update`, as `PATCH` does.
use super::next_deadline;
use crate::app::AppState;
use crate::auth::Action;
use crate::incidents::update::{update, UpdateIncident};
use crate::incidents::{store, Status};
use crate::population::PopulationFacts;
use crate::web::console::{tabs, Console, Flash, FormData, PageResult};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new().route("/incidents/{id}", get(show).post(change_status))
}

/// A timeline event in words.
fn describe(kind: &str, details: &Value) -> String {
    let s = |k: &str| details[k].as_str().unwrap_or_default().to_owned();
    match kind {
        "created" => format!("Opened as {} ({})", s("kind"), s("severity")),
        "status_changed" => format!("Status: {} → {}", s("from"), s("to")),
        "updated" => {
            let fields: Vec<&str> = details["fields"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            format!("Changed: {}", fields.join(", ").replace('_', " "))
        }
        "approval_withdrawn" => format!("Approval lapsed: {}", s("reason")),
        other => other.replace(['_', '.'], " "),
    }
}

/// Who did it, from the timeline's actor label (`account:3:alice@…`, `cli`, `system`).
fn who(label: &str) -> String {
    match label.splitn(3, ':').collect::<Vec<_>>()[..] {
        ["account", _, email] => email.to_owned(),
        ["cli"] => "command line".into(),
        _ => label.to_owned(),
    }
}

async fn show(State(state): State<AppState>, cx: Console, Path(id): Path<i64>) -> PageResult {
    cx.require(Action::IncidentsRead)?;
    let i = store::find(&state.db, id).await?;
    let people = PopulationFacts::total(&state.db, id).await?;
    let kind = state.playbooks.kinds.get(&i.kind);
    let events: Vec<Value> = store::timeline(&state.db, id)
        .await?
        .into_iter()
        .map(|e| {
            let details = serde_json::from_str::<Value>(&e.details).unwrap_or(Value::Null);
            json!({
                "at": cx.locale.time(Some(e.at)),
                "who": who(&e.actor),
                "what": describe(&e.kind, &details),
            })
        })
        .collect();
    let moves: Vec<Value> = if cx.can(Action::IncidentsWrite) {
        i.status
            .next()
            .iter()
            .map(|s| json!({ "value": s.as_str(), "closes": *s == Status::Closed }))
            .collect()
    } else {
        Vec::new()
    };
    let l = &cx.locale;
    let deadline = next_deadline(&state, id, l).await?;
    cx.page(
        "console/incidents/show.html",
        &format!("Incident #{id}: {}", i.title),
        "incidents",
        json!({
            "incident": {
                "id": i.id,
                "title": i.title,
                "summary": i.summary,
                "kind": kind.map_or(i.kind.clone(), |k| k.title.clone()),
                "severity": i.severity.as_str(),
                "status": i.status.as_str(),
                "aware_at": l.time(Some(i.aware_at)),
                "occurred_from": l.time(i.occurred_from),
                "occurred_to": l.time(i.occurred_to),
                "data_categories": i.data_categories.iter().map(|c| c.replace('_', " ")).collect::<Vec<_>>(),
                "systems": i.systems,
                "cause": i.cause,
                "measures_taken": i.measures_taken,
                "mitigations": i.mitigations,
                "channels": i.channels.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                "contact": i.contact,
                "created_at": l.time(Some(i.created_at)),
                "updated_at": l.time(Some(i.updated_at)),
            },
            "people": l.number(people as i64),
            "deadline": deadline,
            "timeline": events,
            "moves": moves,
            "action": cx.path(&format!("/incidents/{id}")),
            "tabs": tabs::strip(&cx.base, id, ""),
            "api": format!("/api/v1/incidents/{id}"),
        }),
    )
}

async fn change_status(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<i64>,
    form: FormData,
) -> PageResult {
    let actor = cx.require(Action::IncidentsWrite)?;
    cx.check_csrf(&form)?;
    let req = UpdateIncident {
        status: form.text("status"),
        ..Default::default()
    };
    let here = format!("/incidents/{id}");
    match update(
        &state.db,
        &state.playbooks,
        &actor,
        id,
        req,
        state.clock.now(),
    )
    .await
    {
        Ok(i) => Ok(cx.redirect(
            &here,
            Flash::ok(format!("Status changed to {}.", i.status.as_str())),
        )),
        Err(crate::incidents::IncidentError::IllegalMove(why)) => {
            Ok(cx.redirect(&here, Flash::error(why)))
        }
        Err(crate::incidents::IncidentError::Invalid(fields)) => Ok(cx.redirect(
            &here,
            Flash::error(
                fields
                    .into_iter()
                    .map(|(_, r)| r)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        )),
        Err(e) => Err(e.into()),
    }
}
