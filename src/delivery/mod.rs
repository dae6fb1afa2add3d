//! The outbox and the dispatcher. A notice is in the database before any channel sees it; the
//! delivery row is the truth about where it is.
//!
//! `dispatch` queues approved notices; the `Dispatcher` claims due deliveries, hands each to
//! its channel's `Transport` (`channel`: `email`, `sms`), and records the outcome; `callbacks`
//! take providers' later word on sent messages; `store` alone writes the outbox.
mod api;
pub mod callbacks;
pub mod channel;
pub mod console;
pub mod dispatch;
pub mod dispatcher;
pub mod email;
mod evidence;
mod files;
mod plan;
mod policy;
pub mod progress;
pub mod push;
mod side;
pub mod sms;
pub mod smtp;
pub mod status;
pub mod store;
pub mod wire;

pub(crate) use api::delivery_view as view;
pub use api::routes;
pub use channel::{Attempt, Channels, Device, Outcome, Outgoing, Transport};
pub use dispatch::{dispatch, DispatchError};
pub use dispatcher::Dispatcher;
pub use status::DeliveryStatus;
