//! An incident as the code sees it: typed, parsed from its row, failing loudly on a row that
//! Tocsin did not write.
use super::{DeliveryState, Status};
use crate::domain::{Channel, Corrupt, RiskLevel, Severity};
use chrono::{DateTime, Utc};
use entity::incident;
use serde::Serialize;
use serde_json::{json, Value};

/// What the notices say and who gets them can only be approved as one composition: these are
/// the facts about it, written by `notices::approval` alone (through the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeState {
    pub composed_at: Option<DateTime<Utc>>,
    pub composed_by: Option<i64>,
    /// The `content_version` the notices were composed from.
    pub composed_version: i32,
    /// Digest of the current composition (every rendered notice and the population).
    pub composition: Option<String>,
    /// Fingerprint of the templates the composition was rendered with.
    pub composed_templates: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_by: Option<i64>,
    pub approved_version: i32,
    /// The composition the approver approved.
    pub approved_composition: Option<String>,
    pub dispatched_at: Option<DateTime<Utc>>,
}

/// What the jurisdiction rules count from besides awareness, and the risk assessment they read.
/// None of it is in the notices: changing it does not touch the composition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ObligationFacts {
    /// When the organisation determined that a breach occurred (Texas, Florida, Colorado …).
    pub determined_at: Option<DateTime<Utc>>,
    /// When it assessed the breach notifiable (Singapore).
    pub assessed_at: Option<DateTime<Utc>>,
    /// When it determined the incident material (SEC Form 8-K).
    pub materiality_determined_at: Option<DateTime<Utc>>,
    /// When the incident's handling ended (China's 30-day summary).
    pub handling_ended_at: Option<DateTime<Utc>>,
    /// The organisation's assessment of the risk to the people affected; unset: not assessed.
    pub risk_assessment: Option<RiskLevel>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub kind: String,
    pub severity: Severity,
    pub status: Status,
    /// When the organisation became aware: the clock start of every deadline.
    pub aware_at: DateTime<Utc>,
    pub occurred_from: Option<DateTime<Utc>>,
    pub occurred_to: Option<DateTime<Utc>>,
    pub data_categories: Vec<String>,
    pub systems: Vec<String>,
    pub cause: String,
    pub measures_taken: String,
    pub mitigations: Vec<String>,
    pub likely_consequences: String,
    pub contact: String,
    /// In order of preference: the fallback order.
    pub channels: Vec<Channel>,
    /// Bumped by every change to what the notices say or who gets them.
    pub content_version: i32,
    pub notices: NoticeState,
    /// Whether its deliveries go out (running), wait (paused) or were stopped (cancelled).
    pub delivery_state: DeliveryState,
    pub obligation_facts: ObligationFacts,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn list<T: serde::de::DeserializeOwned>(
    column: &'static str,
    text: &str,
) -> Result<Vec<T>, Corrupt> {
    serde_json::from_str(text).map_err(|_| Corrupt {
        what: column,
        value: text.chars().take(32).collect(),
    })
}

impl TryFrom<incident::Model> for Incident {
    type Error = Corrupt;

    fn try_from(m: incident::Model) -> Result<Incident, Corrupt> {
        Ok(Incident {
            id: m.id,
            severity: Severity::from_stored(&m.severity)?,
            status: Status::from_stored(&m.status)?,
            delivery_state: DeliveryState::from_stored(&m.delivery_state)?,
            data_categories: list("data_categories list", &m.data_categories)?,
            systems: list("systems list", &m.systems)?,
            mitigations: list("mitigations list", &m.mitigations)?,
            channels: list("channels list", &m.channels)?,
            obligation_facts: ObligationFacts {
                determined_at: m.determined_at,
                assessed_at: m.assessed_at,
                materiality_determined_at: m.materiality_determined_at,
                handling_ended_at: m.handling_ended_at,
                risk_assessment: m
                    .risk_assessment
                    .as_deref()
                    .map(RiskLevel::from_stored)
                    .transpose()?,
            },
            title: m.title,
            summary: m.summary,
            kind: m.kind,
            aware_at: m.aware_at,
            occurred_from: m.occurred_from,
            occurred_to: m.occurred_to,
            cause: m.cause,
            measures_taken: m.measures_taken,
            likely_consequences: m.likely_consequences,
            contact: m.contact,
            content_version: m.content_version,
            notices: NoticeState {
                composed_at: m.composed_at,
                composed_by: m.composed_by,
                composed_version: m.composed_version,
                composition: m.composition,
                composed_templates: m.composed_templates,
                approved_at: m.approved_at,
                approved_by: m.approved_by,
                approved_version: m.approved_version,
                approved_composition: m.approved_composition,
                dispatched_at: m.dispatched_at,
            },
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

impl Incident {
    /// The clock starts the jurisdiction rules count from: awareness, the obligation facts, and
    /// when individuals were notified (the first dispatch).
    pub fn clocks(&self) -> crate::playbooks::jurisdictions::Clocks {
        let f = &self.obligation_facts;
        crate::playbooks::jurisdictions::Clocks {
            aware_at: self.aware_at,
            determined_at: f.determined_at,
            assessed_at: f.assessed_at,
            materiality_determined_at: f.materiality_determined_at,
            individuals_notified_at: self.notices.dispatched_at,
            handling_ended_at: f.handling_ended_at,
        }
    }

    /// Whether the current composition was composed from the current content: compose it
    /// again otherwise.
    pub fn composition_is_current(&self) -> bool {
        self.notices.composition.is_some() && self.notices.composed_version == self.content_version
    }

    /// Whether the notices are approved as they stand: an approver approved exactly the current
    /// composition, and nothing it was composed from changed since. (Templates are checked by
    /// `notices::approval`, which knows the ones running.)
    pub fn is_approved(&self) -> bool {
        let n = &self.notices;
        self.composition_is_current()
            && n.approved_composition.is_some()
            && n.approved_composition == n.composition
            && n.approved_version == self.content_version
    }

    /// The incident as the API shows it.
    pub fn view(&self) -> Value {
        let n = &self.notices;
        json!({
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "kind": self.kind,
            "severity": self.severity,
            "status": self.status,
            "aware_at": self.aware_at,
            "occurred_from": self.occurred_from,
            "occurred_to": self.occurred_to,
            "data_categories": self.data_categories,
            "systems": self.systems,
            "cause": self.cause,
            "measures_taken": self.measures_taken,
            "mitigations": self.mitigations,
            "likely_consequences": self.likely_consequences,
            "contact": self.contact,
            "channels": self.channels,
            "content_version": self.content_version,
            "notices": {
                "composed_at": n.composed_at,
                "composed_version": n.composed_version,
                "composition": n.composition,
                "current": self.composition_is_current(),
                "approved_at": n.approved_at,
                "approved_by": n.approved_by,
                "approved_composition": n.approved_composition,
                "approved": self.is_approved(),
                "dispatched_at": n.dispatched_at,
            },
            "delivery_state": self.delivery_state,
            "determined_at": self.obligation_facts.determined_at,
            "assessed_at": self.obligation_facts.assessed_at,
            "materiality_determined_at": self.obligation_facts.materiality_determined_at,
            "handling_ended_at": self.obligation_facts.handling_ended_at,
            "risk_assessment": self.obligation_facts.risk_assessment,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}
