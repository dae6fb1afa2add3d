//! SeaORM entities, one file per table. Plain data, no logic: conversions live in the tocsin crate.
pub mod account;
pub mod announcement;
pub mod api_token;
pub mod audit_head;
pub mod audit_log;
pub mod delivery;
pub mod idempotency_key;
pub mod incident;
pub mod incident_event;
pub mod incident_population;
pub mod notice;
pub mod notice_link;
pub mod obligation;
pub mod report;
pub mod session;
pub mod subject;
pub mod subject_device;
