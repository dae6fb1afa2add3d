//! Approvals bound to what was reviewed, and stored words checked by the database.
//!
//! - `incidents.composition`: the digest of the current composition (every rendered notice and
//!   the population); `composed_templates`: the templates it was rendered with;
//!   `approved_composition`: the digest an approver approved. Dispatch needs the two equal.
//! - `notices.recipient_name`: the name as composed, so what is sent is what was approved.
//! - Enum columns accept only Tocsin's words (CHECK on PostgreSQL, triggers on SQLite).
use crate::helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

crate::migration_name!("m20261130_000007_bind_approvals");

/// Every column that holds one of a fixed set of words.
pub const CHECKED: &[(&str, &str, &[&str])] = &[
    (
        "incidents",
        "status",
        &["open", "investigating", "contained", "notifying", "closed"],
    ),
    (
        "incidents",
        "severity",
        &["low", "medium", "high", "critical"],
    ),
    ("notices", "channel", &["email", "sms", "push"]),
    ("deliveries", "channel", &["email", "sms", "push"]),
    (
        "deliveries",
        "status",
        &["pending", "sending", "sent", "unreachable", "failed"],
    ),
    (
        "accounts",
        "role",
        &["admin", "responder", "approver", "viewer"],
    ),
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in ["composition", "approved_composition", "composed_templates"] {
            add_text_null(m, "incidents", c).await?;
        }
        add_text_null(m, "notices", "recipient_name").await?;
        let db = m.get_connection();
        let backend = m.get_database_backend();
        for (table, column, values) in CHECKED {
            for sql in checked(backend, table, column, values) {
                db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        for (table, column, _) in CHECKED {
            for sql in unchecked(backend, table, column) {
                db.execute_unprepared(&sql).await?;
            }
        }
        drop_column(m, "notices", "recipient_name").await?;
        for c in ["composition", "approved_composition", "composed_templates"] {
            drop_column(m, "incidents", c).await?;
        }
        Ok(())
    }
}
