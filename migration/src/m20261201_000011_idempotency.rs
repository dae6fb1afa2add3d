//! Idempotency keys: the first answer to a retried trigger (`POST /api/v1/incidents`,
//! `POST …/dispatch`), kept per account and key so a repeat gets that answer instead of running
//! again. Unique on (account, key): the insert that claims a key is what decides which of two
//! concurrent requests runs.
use crate::helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

crate::migration_name!("m20261201_000011_idempotency");

const TABLE: &str = "idempotency_keys";

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(TABLE)
                .col(id("id"))
                .col(fk_id("account_id"))
                .col(text("key"))
                .col(text("method"))
                .col(text("path"))
                // SHA-256 of the request body, hex.
                .col(text("request_hash"))
                .col(text("state"))
                .col(
                    ColumnDef::new(Alias::new("response_status"))
                        .integer()
                        .null(),
                )
                .col(text_null("response_body"))
                .col(ts("created_at"))
                .col(ts_null("completed_at"))
                .foreign_key(&mut fk(TABLE, "account_id", "accounts", true))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            TABLE,
            "uq_idempotency_keys_account_key",
            &["account_id", "key"],
        ))
        .await?;
        // Expired keys are deleted oldest first, a batch at a time.
        m.create_index(index(
            TABLE,
            "idx_idempotency_keys_created",
            &["created_at"],
        ))
        .await?;
        let db = m.get_connection();
        for sql in checked(
            m.get_database_backend(),
            TABLE,
            "state",
            &["in_progress", "done"],
        ) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for sql in unchecked(m.get_database_backend(), TABLE, "state") {
            db.execute_unprepared(&sql).await?;
        }
        m.drop_table(drop(TABLE)).await
    }
}
