//! What can go wrong with an incident's own use cases (mapped to HTTP in `crate::error`).
use crate::domain::Corrupt;

#[derive(Debug, thiserror::Error)]
pub enum IncidentError {
    /// 404
    #[error("incident {0} not found")]
    NotFound(i64),
    /// 422: field name → reason, every bad field at once.
    #[error("invalid fields")]
    Invalid(Vec<(String, String)>),
    /// 409: the move is not allowed from the current status.
    #[error("{0}")]
    IllegalMove(String),
    /// 409
    #[error("the incident is closed: it can no longer be changed")]
    Closed,
    /// 500: a row Tocsin did not write.
    #[error(transparent)]
    Corrupt(#[from] Corrupt),
    /// 500
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}
