//! Incidents: lifecycle, timeline, clock start ("aware at"), what was involved, what is done.
//!
//! `model` is the typed incident (parsed from its row, failing loudly on a corrupt one); `new`
//! and `update` are the use cases that open and change one; `store` alone writes the incident
//! tables, under the incident's row lock; `api` adapts them to HTTP. The approval columns are
//! written through `store::approval` by `notices::approval` alone.
mod api;
pub mod console;
mod error;
mod model;
pub mod new;
mod status;
pub mod store;
pub mod update;

pub use api::routes;
pub use error::IncidentError;
pub use model::{Incident, NoticeState, ObligationFacts};
pub use new::{create, Content, CreateIncident, NewIncident};
pub use status::{DeliveryState, Status};
pub use store::{find, record_event};
