//! The outbox and the dispatcher. A notice is in the database before any channel sees it; the
//! delivery row is the truth about where it is.
pub mod dispatcher;
pub mod email;
mod routes;
pub mod wire;

pub use dispatcher::Dispatcher;
pub use routes::{dispatch, routes};
