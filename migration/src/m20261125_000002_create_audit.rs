//! The append-only, hash-chained audit log and its head (the last sequence number and hash).
use crate::helpers::*;
use sea_orm_migration::prelude::*;

crate::migration_name!("m20261125_000002_create_audit");

/// The hash of the empty chain: the `prev_hash` of entry 1.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("audit_log")
                .col(
                    ColumnDef::new(Alias::new("seq"))
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ts("at"))
                .col(text("actor"))
                .col(text("action"))
                .col(text("target_type"))
                .col(text("target_id"))
                .col(json("details"))
                .col(text("prev_hash"))
                .col(text("hash"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "audit_log",
            "idx_audit_target",
            &["target_type", "target_id"],
        ))
        .await?;
        // One row, id = 1: appenders lock it, so the chain stays linear across processes.
        m.create_table(
            table("audit_head")
                .col(
                    ColumnDef::new(Alias::new("id"))
                        .integer()
                        .not_null()
                        .primary_key(),
                )
                .col(big("seq"))
                .col(text("hash"))
                .to_owned(),
        )
        .await?;
        let insert = Query::insert()
            .into_table(Alias::new("audit_head"))
            .columns([Alias::new("id"), Alias::new("seq"), Alias::new("hash")])
            .values_panic([1.into(), 0i64.into(), GENESIS.into()])
            .to_owned();
        m.exec_stmt(insert).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(drop("audit_head")).await?;
        m.drop_table(drop("audit_log")).await
    }
}
