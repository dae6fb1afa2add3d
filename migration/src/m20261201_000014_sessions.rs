//! Console sessions, replacing the `sessions` table of the first migration, which nothing ever
//! wrote: it kept a CSRF token per row, and the console derives that from the session's secret
//! instead. Ids are random and stored as SHA-256 (`token_hash`); a row ends at `expires_at`
//! (absolute) or when unused past the idle limit (`last_seen_at`).
use crate::helpers::*;
use sea_orm_migration::prelude::*;

crate::migration_name!("m20261201_000014_sessions");

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(drop("sessions")).await?;
        m.create_table(
            table("sessions")
                .col(id("id"))
                .col(fk_id("account_id"))
                .col(text("token_hash").unique_key())
                .col(ts("created_at"))
                .col(ts("last_seen_at"))
                .col(ts("expires_at"))
                .foreign_key(&mut fk("sessions", "account_id", "accounts", true))
                .to_owned(),
        )
        .await?;
        m.create_index(index("sessions", "idx_sessions_account", &["account_id"]))
            .await?;
        m.create_index(index("sessions", "idx_sessions_expires", &["expires_at"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(drop("sessions")).await?;
        m.create_table(
            table("sessions")
                .col(id("id"))
                .col(fk_id("account_id"))
                .col(text("token_hash").unique_key())
                .col(text("csrf_token"))
                .col(ts("created_at"))
                .col(ts("expires_at"))
                .col(ts("last_seen_at"))
                .foreign_key(&mut fk("sessions", "account_id", "accounts", true))
                .to_owned(),
        )
        .await?;
        m.create_index(index("sessions", "idx_sessions_account", &["account_id"]))
            .await
    }
}
