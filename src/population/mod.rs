//! The subjects registry (import, lookup) and, later, the selector that finds the affected
//! subset of an incident.
mod import;
pub mod inventory;
mod read;
mod routes;
pub mod scope;
mod sqlite_bulk;
mod validate;

pub use import::{
    import_subjects, Format, ImportError, ImportReport, ImportTarget, Rejected, MAX_LINE_BYTES,
};
pub use routes::{incident_routes, routes};
pub use scope::{set_population, PopulationRequest, PopulationSummary, Selector};
pub use sqlite_bulk::database_file;
