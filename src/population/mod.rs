//! The subjects registry (import, lookup) and each incident's affected population: who, why,
//! and where they live, as a snapshot; `facts` counts it by jurisdiction (the one place that
//! does), `store` alone writes it.
mod api;
pub mod console;
pub mod facts;
mod import;
mod read;
pub mod scope;
mod sqlite_bulk;
pub mod store;
mod validate;

pub use api::{incident_routes, routes};
pub use facts::PopulationFacts;
pub use import::{
    import_subjects, Format, ImportError, ImportReport, ImportTarget, Rejected, MAX_LINE_BYTES,
};
pub use scope::{set_population, PopulationError, PopulationRequest, PopulationSummary, Selector};
pub use sqlite_bulk::database_file;
