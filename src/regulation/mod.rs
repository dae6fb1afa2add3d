//! Jurisdiction rules, obligations, deadlines and regulator reports.
//!
//! A report is made in three steps: `population::facts` counts what the database knows about the affected
//! population (in SQL, never row by row); a regime module (`gdpr`) turns the incident, the
//! playbooks and those facts into that regime's typed report, naming every required item it
//! cannot fill; `report` renders it in the requested format and records the exact bytes'
//! SHA-256. A new regime is a module with its report type plus a `Regime` variant; a new format
//! is a branch of `Report::render` plus an entry in `Format::AVAILABLE`.
mod api;
pub mod gdpr;
pub mod report;

pub use api::routes;
pub use report::{generate, Format, Generated, Regime, Report, ReportError};
