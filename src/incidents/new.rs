//! Opening an incident: the request as sent (`CreateIncident`, plain strings) is parsed once
//! into a typed `NewIncident`, filling what it leaves out from the kind's playbook.
use super::model::{Incident, ObligationFacts};
use super::{store, IncidentError};
use crate::audit::Actor;
use crate::domain::{Channel, RiskLevel, Severity};
use crate::playbooks::{Kind, Playbooks};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde::Deserialize;
use serde_json::json;

/// Most entries a list field may hold.
const MAX_LIST: usize = 100;
/// How far in the future a clock start may be (clock skew between systems).
const FUTURE_SLACK_MINUTES: i64 = 5;

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
    /// Clock starts of the jurisdiction rules and the risk assessment (`ObligationFacts`).
    pub determined_at: Option<String>,
    pub assessed_at: Option<String>,
    pub materiality_determined_at: Option<String>,
    pub handling_ended_at: Option<String>,
    pub risk_assessment: Option<String>,
}

/// The editable content of an incident: what the notices are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub title: String,
    pub summary: String,
    pub occurred_from: Option<DateTime<Utc>>,
    pub occurred_to: Option<DateTime<Utc>>,
    pub data_categories: Vec<String>,
    pub systems: Vec<String>,
    pub cause: String,
    pub measures_taken: String,
    pub mitigations: Vec<String>,
    pub likely_consequences: String,
    pub contact: String,
    pub channels: Vec<Channel>,
}

impl Content {
    /// The content of `incident` as it stands.
    pub fn of(i: &Incident) -> Content {
        Content {
            title: i.title.clone(),
            summary: i.summary.clone(),
            occurred_from: i.occurred_from,
            occurred_to: i.occurred_to,
            data_categories: i.data_categories.clone(),
            systems: i.systems.clone(),
            cause: i.cause.clone(),
            measures_taken: i.measures_taken.clone(),
            mitigations: i.mitigations.clone(),
            likely_consequences: i.likely_consequences.clone(),
            contact: i.contact.clone(),
            channels: i.channels.clone(),
        }
    }

    /// The playbook's defaults for an incident of `kind`.
    pub fn from_kind(kind: &Kind, playbooks: &Playbooks, title: &str, summary: &str) -> Content {
        Content {
            title: title.to_owned(),
            summary: summary.to_owned(),
            occurred_from: None,
            occurred_to: None,
            data_categories: kind.data_categories.clone(),
            systems: kind.systems.clone(),
            cause: String::new(),
            measures_taken: kind.measures_taken.clone(),
            mitigations: kind.mitigations.clone(),
            likely_consequences: kind.likely_consequences.clone(),
            contact: playbooks.organisation.contact_line(),
            channels: kind.channels.clone(),
        }
    }

    /// Checks what a field-by-field parse cannot: lists against the inventory and each other.
    pub(super) fn check(&self, playbooks: &Playbooks, f: &mut Fields) {
        for cat in &self.data_categories {
            if !playbooks.inventory.is_known(cat) {
                let shown: String = cat.chars().take(64).collect();
                f.add(
                    "data_categories",
                    format!("'{shown}' is not a base category nor in the inventory"),
                );
            }
        }
        for (name, len) in [
            ("data_categories", self.data_categories.len()),
            ("systems", self.systems.len()),
            ("mitigations", self.mitigations.len()),
        ] {
            if len > MAX_LIST {
                f.add(name, format!("must list at most {MAX_LIST} entries"));
            }
        }
        if self
            .systems
            .iter()
            .any(|s| s.trim().is_empty() || s.chars().count() > 200)
        {
            f.add("systems", "entries must be 1 to 200 characters");
        }
        if self
            .mitigations
            .iter()
            .any(|s| s.trim().is_empty() || s.chars().count() > 2000)
        {
            f.add("mitigations", "entries must be 1 to 2000 characters");
        }
        if self.channels.is_empty() {
            f.add("channels", "list at least one of email, sms, push");
        }
        for (i, c) in self.channels.iter().enumerate() {
            if self.channels[..i].contains(c) {
                f.add("channels", format!("'{c}' is listed twice"));
            }
        }
        if let (Some(a), Some(b)) = (self.occurred_from, self.occurred_to) {
            if a > b {
                f.add("occurred_to", "must not be before occurred_from");
            }
        }
    }
}

/// A valid incident, ready to open.
#[derive(Debug, Clone)]
pub struct NewIncident {
    pub kind: String,
    pub severity: Severity,
    pub aware_at: DateTime<Utc>,
    pub content: Content,
    pub facts: ObligationFacts,
}

/// Field-by-field validation errors, collected so one response names every bad field.
#[derive(Default)]
pub(super) struct Fields(Vec<(String, String)>);

impl Fields {
    pub(super) fn add(&mut self, field: &str, reason: impl Into<String>) {
        self.0.push((field.into(), reason.into()));
    }

    pub(super) fn text(&mut self, field: &str, value: &str, max: usize, required: bool) -> String {
        let v = value.trim();
        if required && v.is_empty() {
            self.add(field, "must not be empty");
        } else if v.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        }
        v.to_owned()
    }

    pub(super) fn instant(&mut self, field: &str, value: &str) -> Option<DateTime<Utc>> {
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

    /// A clock start: an instant, not in the future.
    pub(super) fn aware_at(&mut self, value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let t = self.instant("aware_at", value)?;
        if t > now + chrono::Duration::minutes(FUTURE_SLACK_MINUTES) {
            self.add("aware_at", "is in the future");
            return None;
        }
        Some(t)
    }

    /// An obligation fact's instant: not in the future; `""` clears it (`Some(None)`).
    pub(super) fn fact_instant(
        &mut self,
        field: &str,
        value: &str,
        now: DateTime<Utc>,
    ) -> Option<Option<DateTime<Utc>>> {
        if value.trim().is_empty() {
            return Some(None);
        }
        let t = self.instant(field, value)?;
        if t > now + chrono::Duration::minutes(FUTURE_SLACK_MINUTES) {
            self.add(field, "is in the future");
            return None;
        }
        Some(Some(t))
    }

    /// A risk level; `""` clears it (`Some(None)`).
    pub(super) fn risk(&mut self, value: &str) -> Option<Option<RiskLevel>> {
        if value.trim().is_empty() {
            return Some(None);
        }
        match RiskLevel::parse(value) {
            Ok(r) => Some(Some(r)),
            Err(e) => {
                self.add("risk_assessment", e.0);
                None
            }
        }
    }

    /// The facts a request gives, over `base` (a field not given keeps its value).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn facts(
        &mut self,
        base: &ObligationFacts,
        determined_at: Option<&str>,
        assessed_at: Option<&str>,
        materiality_determined_at: Option<&str>,
        handling_ended_at: Option<&str>,
        risk_assessment: Option<&str>,
        now: DateTime<Utc>,
    ) -> ObligationFacts {
        let mut f = base.clone();
        for (name, given, slot) in [
            ("determined_at", determined_at, &mut f.determined_at),
            ("assessed_at", assessed_at, &mut f.assessed_at),
            (
                "materiality_determined_at",
                materiality_determined_at,
                &mut f.materiality_determined_at,
            ),
            (
                "handling_ended_at",
                handling_ended_at,
                &mut f.handling_ended_at,
            ),
        ] {
            if let Some(v) = given.and_then(|v| self.fact_instant(name, v, now)) {
                *slot = v;
            }
        }
        if let Some(r) = risk_assessment.and_then(|v| self.risk(v)) {
            f.risk_assessment = r;
        }
        f
    }

    pub(super) fn channels(&mut self, given: &[String]) -> Vec<Channel> {
        given
            .iter()
            .filter_map(|c| match Channel::parse(c) {
                Ok(c) => Some(c),
                Err(e) => {
                    self.add("channels", e.0);
                    None
                }
            })
            .collect()
    }

    pub(super) fn finish(self) -> Result<(), IncidentError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(IncidentError::Invalid(self.0))
        }
    }
}

impl NewIncident {
    /// Parses a request: every bad field is named at once (422).
    pub fn parse(
        req: CreateIncident,
        playbooks: &Playbooks,
        now: DateTime<Utc>,
    ) -> Result<NewIncident, IncidentError> {
        let mut f = Fields::default();
        let unknown;
        let kind = match playbooks.kinds.get(req.kind.trim()) {
            Some(k) => k,
            None => {
                let known: Vec<&str> = playbooks.kinds.keys().map(String::as_str).collect();
                let shown: String = req.kind.chars().take(64).collect();
                f.add(
                    "kind",
                    format!("'{shown}' is not a playbook; known: {}", known.join(", ")),
                );
                // Go on with empty defaults, so one answer names every bad field.
                unknown = Kind::unknown(&req.kind);
                &unknown
            }
        };
        let severity = match req.severity.as_deref() {
            None => kind.severity,
            Some(s) => Severity::parse(s).unwrap_or_else(|e| {
                f.add("severity", e.0);
                kind.severity
            }),
        };
        let aware_at = f.aware_at(&req.aware_at, now);
        let d = Content::from_kind(kind, playbooks, "", "");
        let text = |f: &mut Fields, name, given: Option<&str>, default: &str, max| {
            f.text(name, given.unwrap_or(default), max, false)
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
            data_categories: req.data_categories.unwrap_or(d.data_categories),
            systems: req.systems.unwrap_or(d.systems),
            cause: text(&mut f, "cause", req.cause.as_deref(), "", 10_000),
            measures_taken: text(
                &mut f,
                "measures_taken",
                req.measures_taken.as_deref(),
                &d.measures_taken,
                10_000,
            ),
            mitigations: req.mitigations.unwrap_or(d.mitigations),
            likely_consequences: text(
                &mut f,
                "likely_consequences",
                req.likely_consequences.as_deref(),
                &d.likely_consequences,
                10_000,
            ),
            contact: text(&mut f, "contact", req.contact.as_deref(), &d.contact, 1000),
            channels: match &req.channels {
                Some(given) => f.channels(given),
                None => d.channels,
            },
        };
        content.check(playbooks, &mut f);
        let facts = f.facts(
            &ObligationFacts::default(),
            req.determined_at.as_deref(),
            req.assessed_at.as_deref(),
            req.materiality_determined_at.as_deref(),
            req.handling_ended_at.as_deref(),
            req.risk_assessment.as_deref(),
            now,
        );
        match (aware_at, f.0.is_empty()) {
            (Some(aware_at), true) => Ok(NewIncident {
                kind: kind.id.clone(),
                severity,
                aware_at,
                content,
                facts,
            }),
            _ => Err(IncidentError::Invalid(f.0)),
        }
    }
}

/// Opens an incident and records it on the timeline and in the audit log.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    new: NewIncident,
    now: DateTime<Utc>,
) -> Result<Incident, IncidentError> {
    let txn = db.begin().await?;
    let incident = store::insert(&txn, &new, actor, now).await?;
    store::record_event(
        &txn,
        incident.id,
        actor,
        "created",
        json!({
            "title": incident.title,
            "kind": incident.kind,
            "severity": incident.severity,
            "aware_at": incident.aware_at,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(incident)
}
