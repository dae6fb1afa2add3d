//! The subjects registry (import, lookup) and, later, the selector that finds the affected
//! subset of an incident.
mod import;
pub mod inventory;
mod read;
mod routes;
mod validate;

pub use import::{import_subjects, Format, ImportError, ImportReport, Rejected, MAX_LINE_BYTES};
pub use routes::routes;

/// Routes that scope an incident's population.
pub fn incident_routes() -> axum::Router<crate::web::AppState> {
    axum::Router::new()
}
