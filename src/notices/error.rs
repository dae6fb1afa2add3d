//! What can go wrong composing, previewing and approving notices (mapped to HTTP in
//! `crate::error`).
use crate::incidents::IncidentError;

#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error(transparent)]
    Incident(#[from] IncidentError),
    /// 409 `not_composed`
    #[error("there are no composed notices: compose them first")]
    NotComposed,
    /// 409 `stale_notices`: what the notices were composed from changed since.
    #[error("{0}: compose the notices again, then approve")]
    Stale(&'static str),
    /// 409 `stale_composition`: the approver reviewed something else than what is current.
    #[error("composition {given} is not the current one ({current}): the notices changed after you reviewed them; preview them again and approve what you see")]
    CompositionMismatch { given: String, current: String },
    /// 403 `four_eyes`
    #[error("four eyes: the person who composed the notices cannot approve them")]
    FourEyes,
    /// 409 `already_approved`
    #[error("the notices are already approved")]
    AlreadyApproved,
    /// 409 `incomplete_notices`: what each jurisdiction requires and the notices lack.
    #[error("the notices lack what {} requires: see details.missing; complete them, or approve with \"accept_incomplete\": true", jurisdictions(.0))]
    Incomplete(Vec<super::completeness::Missing>),
    /// 409 `not_approved`
    #[error("the notices are not approved as they stand: an approver must approve the current composition first")]
    NotApproved,
    /// 409 `already_dispatched`
    #[error("the notices were already dispatched; people found later need a follow-up incident")]
    AlreadyDispatched,
    /// 409 `incident_closed`
    #[error("the incident is closed")]
    Closed,
    /// 409 `no_population`
    #[error(
        "the incident has no affected people yet: POST /api/v1/incidents/{{id}}/population first"
    )]
    NoPopulation,
    /// 404
    #[error("subject '{0}' not found")]
    SubjectNotFound(String),
    /// 422 on the named field.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// 500: a template failed to render.
    #[error("rendering failed: {0:#}")]
    Render(anyhow::Error),
    /// 500
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<crate::domain::Corrupt> for NoticeError {
    fn from(c: crate::domain::Corrupt) -> Self {
        NoticeError::Incident(c.into())
    }
}

fn jurisdictions(missing: &[super::completeness::Missing]) -> String {
    let mut j: Vec<&str> = missing.iter().map(|m| m.jurisdiction.as_str()).collect();
    j.dedup();
    j.join(", ")
}
