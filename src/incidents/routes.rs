//! `/api/v1/incidents…` and `/api/v1/playbooks`.
use super::{find, is_approved, list, record_event, view, Status};
use crate::auth::{Action, Auth};
use crate::domain::Severity;
use crate::error::{AppError, AppResult};
use crate::web::{ApiJson, AppState, Page};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, SubsecRound, Utc};
use entity::{incident, incident_event};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/playbooks", get(playbooks))
        .route("/api/v1/incidents", get(list_incidents).post(create))
        .route("/api/v1/incidents/{id}", get(show).patch(update))
        .route("/api/v1/incidents/{id}/timeline", get(timeline))
}

async fn playbooks(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    auth.require(Action::PlaybooksRead)?;
    let kinds: Vec<&super::playbooks::Kind> = state.playbooks.kinds.values().collect();
    Ok(Json(
        json!({ "kinds": kinds, "organisation": state.playbooks.organisation }),
    ))
}

/// Field-by-field validation errors, collected so one response names every bad field.
#[derive(Default)]
struct Fields(Vec<(String, String)>);

impl Fields {
    fn add(&mut self, field: &str, reason: impl Into<String>) {
        self.0.push((field.into(), reason.into()));
    }

    fn text(&mut self, field: &str, value: &str, max: usize, required: bool) -> String {
        let v = value.trim();
        if required && v.is_empty() {
            self.add(field, "must not be empty");
        } else if v.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        }
        v.to_owned()
    }

    fn instant(&mut self, field: &str, value: &str) -> Option<DateTime<Utc>> {
        match DateTime::parse_from_rfc3339(value.trim()) {
            Ok(t) => Some(t.with_timezone(&Utc).trunc_subsecs(6)),
            Err(_) => {
                self.add(
                    field,
                    "must be an RFC 3339 instant such as 2026-11-25T08:30:00Z",
                );
                None
            }
        }
    }

    fn finish(self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}

/// The body of `POST /api/v1/incidents`. Omitted lists and texts come from the kind's playbook.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateIncident {
    pub title: String,
    #[serde(default)]
    pub summary: String,
    pub kind: String,
    pub severity: Option<String>,
    pub aware_at: String,
    pub occurred_from: Option<String>,
    pub occurred_to: Option<String>,
    pub data_categories: Option<Vec<String>>,
    pub systems: Option<Vec<String>>,
    pub cause: Option<String>,
    pub measures_taken: Option<String>,
    pub mitigations: Option<Vec<String>>,
    pub likely_consequences: Option<String>,
    pub contact: Option<String>,
    pub channels: Option<Vec<String>>,
}

/// The editable content, shared by create and update.
struct Content {
    title: String,
    summary: String,
    occurred_from: Option<DateTime<Utc>>,
    occurred_to: Option<DateTime<Utc>>,
    data_categories: Vec<String>,
    systems: Vec<String>,
    cause: String,
    measures_taken: String,
    mitigations: Vec<String>,
    likely_consequences: String,
    contact: String,
    channels: Vec<String>,
}

fn check_lists(f: &mut Fields, state: &AppState, c: &Content) {
    for cat in &c.data_categories {
        if !state.playbooks.inventory.is_known(cat) {
            f.add(
                "data_categories",
                format!("'{cat}' is not a base category nor in the inventory"),
            );
        }
    }
    if c.systems
        .iter()
        .any(|s| s.trim().is_empty() || s.len() > 200)
    {
        f.add("systems", "entries must be 1 to 200 characters");
    }
    if c.mitigations
        .iter()
        .any(|s| s.trim().is_empty() || s.chars().count() > 2000)
    {
        f.add("mitigations", "entries must be 1 to 2000 characters");
    }
    if c.channels.is_empty() {
        f.add("channels", "list at least one of email, sms, push");
    }
    for ch in &c.channels {
        if !super::playbooks::CHANNELS.contains(&ch.as_str()) {
            f.add("channels", format!("'{ch}' is not one of email, sms, push"));
        }
    }
    if let (Some(a), Some(b)) = (c.occurred_from, c.occurred_to) {
        if a > b {
            f.add("occurred_to", "must not be before occurred_from");
        }
    }
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<CreateIncident>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let actor = auth.require(Action::IncidentsWrite)?;
    let model = create_incident(&state, &actor, req).await?;
    Ok((StatusCode::CREATED, Json(view(&model))))
}

/// Opens an incident: validates every field (422 naming each bad one), fills what the request
/// leaves out from the kind's playbook, and records it on the timeline and in the audit log.
pub async fn create_incident(
    state: &AppState,
    actor: &crate::audit::Actor,
    req: CreateIncident,
) -> AppResult<incident::Model> {
    let mut f = Fields::default();
    let kind = state.playbooks.kinds.get(req.kind.trim()).cloned();
    if kind.is_none() {
        let known: Vec<&str> = state.playbooks.kinds.keys().map(String::as_str).collect();
        f.add(
            "kind",
            format!(
                "'{}' is not a playbook; known: {}",
                req.kind,
                known.join(", ")
            ),
        );
    }
    let kind = kind.unwrap_or_else(|| super::playbooks::Kind {
        id: req.kind.clone(),
        title: String::new(),
        description: String::new(),
        severity: Severity::Medium,
        data_categories: vec![],
        systems: vec![],
        likely_consequences: String::new(),
        measures_taken: String::new(),
        mitigations: vec![],
        channels: vec!["email".into()],
    });
    let severity = match req.severity.as_deref() {
        None => kind.severity,
        Some(s) => Severity::parse(s).unwrap_or_else(|e| {
            f.add("severity", e.0);
            kind.severity
        }),
    };
    let aware_at = f.instant("aware_at", &req.aware_at);
    if aware_at.is_some_and(|a| a > Utc::now() + chrono::Duration::minutes(5)) {
        f.add("aware_at", "is in the future");
    }
    let org = &state.playbooks.organisation;
    let default_contact = if org.contact_phone.is_empty() {
        org.contact_email.clone()
    } else {
        format!("{} or {}", org.contact_email, org.contact_phone)
    };
    let content = Content {
        title: f.text("title", &req.title, 200, true),
        summary: f.text("summary", &req.summary, 10_000, false),
        occurred_from: req
            .occurred_from
            .as_deref()
            .and_then(|v| f.instant("occurred_from", v)),
        occurred_to: req
            .occurred_to
            .as_deref()
            .and_then(|v| f.instant("occurred_to", v)),
        data_categories: req
            .data_categories
            .unwrap_or_else(|| kind.data_categories.clone()),
        systems: req.systems.unwrap_or_else(|| kind.systems.clone()),
        cause: f.text("cause", req.cause.as_deref().unwrap_or(""), 10_000, false),
        measures_taken: f.text(
            "measures_taken",
            req.measures_taken
                .as_deref()
                .unwrap_or(&kind.measures_taken),
            10_000,
            false,
        ),
        mitigations: req.mitigations.unwrap_or_else(|| kind.mitigations.clone()),
        likely_consequences: f.text(
            "likely_consequences",
            req.likely_consequences
                .as_deref()
                .unwrap_or(&kind.likely_consequences),
            10_000,
            false,
        ),
        contact: f.text(
            "contact",
            req.contact.as_deref().unwrap_or(&default_contact),
            1000,
            false,
        ),
        channels: req.channels.unwrap_or_else(|| kind.channels.clone()),
    };
    check_lists(&mut f, state, &content);
    f.finish()?;
    let aware_at = aware_at.unwrap_or_else(crate::audit::now);

    let now = crate::audit::now();
    let txn = state.db.begin().await?;
    let model = incident::ActiveModel {
        title: Set(content.title),
        summary: Set(content.summary),
        kind: Set(kind.id.clone()),
        severity: Set(severity.as_str().into()),
        status: Set(Status::Open.as_str().into()),
        aware_at: Set(aware_at),
        occurred_from: Set(content.occurred_from),
        occurred_to: Set(content.occurred_to),
        data_categories: Set(json!(content.data_categories).to_string()),
        systems: Set(json!(content.systems).to_string()),
        cause: Set(content.cause),
        measures_taken: Set(content.measures_taken),
        mitigations: Set(json!(content.mitigations).to_string()),
        likely_consequences: Set(content.likely_consequences),
        contact: Set(content.contact),
        channels: Set(json!(content.channels).to_string()),
        content_version: Set(1),
        created_by: Set(actor.account_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record_event(
        &txn,
        model.id,
        actor,
        "created",
        json!({ "title": model.title, "kind": model.kind, "severity": model.severity, "aware_at": model.aware_at }),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

#[derive(Deserialize)]
struct StatusFilter {
    status: Option<String>,
}

async fn list_incidents(
    State(state): State<AppState>,
    auth: Auth,
    Query(page): Query<Page>,
    Query(filter): Query<StatusFilter>,
) -> AppResult<Json<Value>> {
    auth.require(Action::IncidentsRead)?;
    let mut sel = incident::Entity::find()
        .order_by_desc(incident::Column::Id)
        .limit(page.limit());
    if let Some(s) = filter.status.as_deref() {
        let s = Status::parse(s)
            .ok_or_else(|| AppError::field("status", format!("'{s}' is not a status")))?;
        sel = sel.filter(incident::Column::Status.eq(s.as_str()));
    }
    if let Some(b) = page.before() {
        sel = sel.filter(incident::Column::Id.lt(b));
    }
    let rows = sel.all(&state.db).await?;
    let next = page.next_before(&rows, |r| r.id);
    Ok(Json(
        json!({ "incidents": rows.iter().map(view).collect::<Vec<_>>(), "next_before": next }),
    ))
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    auth.require(Action::IncidentsRead)?;
    let i = find(&state.db, id).await?;
    Ok(Json(view(&i)))
}

async fn timeline(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    auth.require(Action::IncidentsRead)?;
    find(&state.db, id).await?;
    let events = incident_event::Entity::find()
        .filter(incident_event::Column::IncidentId.eq(id))
        .order_by_asc(incident_event::Column::Id)
        .all(&state.db)
        .await?;
    let events: Vec<Value> = events
        .into_iter()
        .map(|e| {
            json!({
                "at": e.at,
                "actor": e.actor,
                "kind": e.kind,
                "details": serde_json::from_str::<Value>(&e.details).unwrap_or(Value::Null),
            })
        })
        .collect();
    Ok(Json(json!({ "events": events })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateIncident {
    title: Option<String>,
    summary: Option<String>,
    severity: Option<String>,
    status: Option<String>,
    aware_at: Option<String>,
    occurred_from: Option<String>,
    occurred_to: Option<String>,
    data_categories: Option<Vec<String>>,
    systems: Option<Vec<String>>,
    cause: Option<String>,
    measures_taken: Option<String>,
    mitigations: Option<Vec<String>>,
    likely_consequences: Option<String>,
    contact: Option<String>,
    channels: Option<Vec<String>>,
}

async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<UpdateIncident>,
) -> AppResult<Json<Value>> {
    let actor = auth.require(Action::IncidentsWrite)?;
    let txn = state.db.begin().await?;
    let cur = find(&txn, id).await?;
    let mut f = Fields::default();
    let mut changed: Vec<&str> = Vec::new();
    let mut content_changed = false;
    let mut c = Content {
        title: cur.title.clone(),
        summary: cur.summary.clone(),
        occurred_from: cur.occurred_from,
        occurred_to: cur.occurred_to,
        data_categories: list(&cur.data_categories),
        systems: list(&cur.systems),
        cause: cur.cause.clone(),
        measures_taken: cur.measures_taken.clone(),
        mitigations: list(&cur.mitigations),
        likely_consequences: cur.likely_consequences.clone(),
        contact: cur.contact.clone(),
        channels: list(&cur.channels),
    };
    macro_rules! text_field {
        ($name:ident, $max:expr, $required:expr) => {
            if let Some(v) = &req.$name {
                let v = f.text(stringify!($name), v, $max, $required);
                if v != c.$name {
                    c.$name = v;
                    changed.push(stringify!($name));
                    content_changed = true;
                }
            }
        };
    }
    macro_rules! list_field {
        ($name:ident) => {
            if let Some(v) = &req.$name {
                if *v != c.$name {
                    c.$name = v.clone();
                    changed.push(stringify!($name));
                    content_changed = true;
                }
            }
        };
    }
    text_field!(title, 200, true);
    text_field!(summary, 10_000, false);
    text_field!(cause, 10_000, false);
    text_field!(measures_taken, 10_000, false);
    text_field!(likely_consequences, 10_000, false);
    text_field!(contact, 1000, false);
    list_field!(data_categories);
    list_field!(systems);
    list_field!(mitigations);
    list_field!(channels);
    for (name, value, slot) in [
        ("occurred_from", &req.occurred_from, &mut c.occurred_from),
        ("occurred_to", &req.occurred_to, &mut c.occurred_to),
    ] {
        if let Some(v) = value {
            let t = f.instant(name, v);
            if t.is_some() && t != *slot {
                *slot = t;
                changed.push(name);
                content_changed = true;
            }
        }
    }
    check_lists(&mut f, &state, &c);
    let severity = req.severity.as_deref().map(|s| {
        Severity::parse(s)
            .map(|s| s.as_str().to_owned())
            .unwrap_or_else(|e| {
                f.add("severity", e.0);
                cur.severity.clone()
            })
    });
    let aware_at = req
        .aware_at
        .as_deref()
        .and_then(|v| f.instant("aware_at", v));
    let status = match req.status.as_deref() {
        None => None,
        Some(s) => match Status::parse(s) {
            Some(s) => Some(s),
            None => {
                f.add(
                    "status",
                    format!(
                        "'{s}' is not one of open, investigating, contained, notifying, closed"
                    ),
                );
                None
            }
        },
    };
    f.finish()?;
    let from = Status::parse(&cur.status).unwrap_or(Status::Open);
    if let Some(to) = status.filter(|s| *s != from) {
        from.check_move(to)
            .map_err(|why| AppError::conflict("illegal_status_change", why))?;
    }
    if from == Status::Closed && (content_changed || severity.is_some() || aware_at.is_some()) {
        return Err(AppError::conflict(
            "incident_closed",
            "the incident is closed: it can no longer be changed",
        ));
    }

    let was_approved = is_approved(&cur);
    let mut m = cur.clone().into_active_model();
    if content_changed {
        m.title = Set(c.title);
        m.summary = Set(c.summary);
        m.occurred_from = Set(c.occurred_from);
        m.occurred_to = Set(c.occurred_to);
        m.data_categories = Set(json!(c.data_categories).to_string());
        m.systems = Set(json!(c.systems).to_string());
        m.cause = Set(c.cause);
        m.measures_taken = Set(c.measures_taken);
        m.mitigations = Set(json!(c.mitigations).to_string());
        m.likely_consequences = Set(c.likely_consequences);
        m.contact = Set(c.contact);
        m.channels = Set(json!(c.channels).to_string());
        m.content_version = Set(cur.content_version + 1);
        if was_approved {
            m.approved_at = Set(None);
            m.approved_by = Set(None);
        }
    }
    if let Some(s) = &severity {
        if *s != cur.severity {
            m.severity = Set(s.clone());
            changed.push("severity");
        }
    }
    if let Some(a) = aware_at {
        if a != cur.aware_at {
            m.aware_at = Set(a);
            changed.push("aware_at");
        }
    }
    if let Some(to) = status.filter(|s| *s != from) {
        m.status = Set(to.as_str().into());
    }
    m.updated_at = Set(crate::audit::now());
    let updated = m.update(&txn).await?;
    if !changed.is_empty() {
        record_event(
            &txn,
            id,
            &actor,
            "updated",
            json!({ "fields": changed, "content_version": updated.content_version }),
        )
        .await?;
    }
    if content_changed && was_approved {
        record_event(
            &txn,
            id,
            &actor,
            "approval_withdrawn",
            json!({ "reason": "the notice content changed after approval", "fields": changed }),
        )
        .await?;
    }
    if let Some(to) = status.filter(|s| *s != from) {
        record_event(
            &txn,
            id,
            &actor,
            "status_changed",
            json!({ "from": from.as_str(), "to": to.as_str() }),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Json(view(&updated)))
}
