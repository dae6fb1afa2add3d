//! Schema migrations. Every migration runs on SQLite and PostgreSQL alike.
pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261125_000001_create_auth;
mod m20261125_000002_create_audit;
mod m20261125_000003_create_subjects;
mod m20261125_000004_create_incidents;
mod m20261125_000005_create_delivery;
mod m20261125_000006_create_regulation;
mod m20261130_000007_bind_approvals;
mod m20261201_000008_channels;
mod m20261201_000010_ledger;
mod m20261201_000011_idempotency;
mod m20261201_000012_obligation_facts;
mod m20261201_000013_report_versions;
mod m20261201_000014_sessions;
mod m20261201_000015_console_indexes;
mod m20261201_000016_content_hashes;
mod m20261201_000017_dispatch_progress;

pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_auth::Migration),
            Box::new(m20261125_000002_create_audit::Migration),
            Box::new(m20261125_000003_create_subjects::Migration),
            Box::new(m20261125_000004_create_incidents::Migration),
            Box::new(m20261125_000005_create_delivery::Migration),
            Box::new(m20261125_000006_create_regulation::Migration),
            Box::new(m20261130_000007_bind_approvals::Migration),
            Box::new(m20261201_000008_channels::Migration),
            Box::new(m20261201_000010_ledger::Migration),
            Box::new(m20261201_000011_idempotency::Migration),
            Box::new(m20261201_000012_obligation_facts::Migration),
            Box::new(m20261201_000013_report_versions::Migration),
            Box::new(m20261201_000014_sessions::Migration),
            Box::new(m20261201_000015_console_indexes::Migration),
            Box::new(m20261201_000016_content_hashes::Migration),
            Box::new(m20261201_000017_dispatch_progress::Migration),
        ]
    }
}
