//! Notices: per person and channel, rendered from the incident's content in the person's
//! locale; previewed; approved by a second person.
pub mod compose;
pub mod content;
mod routes;
pub mod templates;

pub use content::NoticeContent;
pub use routes::routes;
