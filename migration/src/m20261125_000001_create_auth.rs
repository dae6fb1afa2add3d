//! Console accounts, API tokens (stored hashed) and console sessions.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

crate::migration_name!("m20261125_000001_create_auth");

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("accounts")
                .col(id("id"))
                .col(text("email").unique_key())
                .col(text("role"))
                .col(text("password_hash"))
                .col(flag("must_change_password"))
                .col(flag("disabled"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("api_tokens")
                .col(id("id"))
                .col(fk_id("account_id"))
                .col(text("name"))
                .col(text("token_hash").unique_key())
                .col(text("prefix"))
                .col(ts("created_at"))
                .col(ts_null("last_used_at"))
                .col(ts_null("expires_at"))
                .col(ts_null("revoked_at"))
                .foreign_key(&mut fk("api_tokens", "account_id", "accounts", true))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "api_tokens",
            "idx_api_tokens_account",
            &["account_id"],
        ))
        .await?;
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
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["sessions", "api_tokens", "accounts"] {
            m.drop_table(drop(t)).await?;
        }
        Ok(())
    }
}
