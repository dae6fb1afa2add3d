//! Notices: per person and channel, rendered from the incident's content in the person's
//! locale (`render`), in the variant their jurisdiction requires (`completeness`), composed in
//! batches (`compose`), previewed (`preview`), checked against what each jurisdiction requires
//! (`completeness`) and approved by a second person (`approval`, the one place the approval
//! state changes). `store` alone writes the notices table.
mod api;
pub mod approval;
pub mod completeness;
pub mod compose;
pub mod console;
pub mod content;
mod error;
pub mod links;
pub mod preview;
mod public;
pub mod render;
pub mod store;

pub use api::routes;
pub use content::NoticeContent;
pub use error::NoticeError;
pub use public::routes as public_routes;
