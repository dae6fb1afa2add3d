//! The delivery evidence ledger (hash-chained like the audit log, with its own head) and the
//! signed checkpoints of both chains.
//!
//! No foreign keys on the ledger: evidence outlives whatever happens to the rows it is about
//! (deliveries, subjects), and an append must not wait on their locks.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

crate::migration_name!("m20261201_000010_ledger");

/// The hash of the empty chain: the `prev_hash` of entry 1.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("ledger_entries")
                .col(
                    ColumnDef::new(Alias::new("seq"))
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ts("at"))
                .col(fk_id("incident_id"))
                .col(fk_id("delivery_id"))
                .col(fk_id("subject_id"))
                .col(text("channel"))
                .col(text("event"))
                .col(text("status"))
                .col(text_null("next_channel"))
                .col(text_null("content_sha256"))
                .col(text_null("templates"))
                .col(text_null("provider_ref"))
                .col(json("details"))
                .col(text("prev_hash"))
                .col(text("hash"))
                .to_owned(),
        )
        .await?;
        // The export reads an incident's entries in order.
        m.create_index(index(
            "ledger_entries",
            "idx_ledger_incident",
            &["incident_id", "seq"],
        ))
        .await?;
        // One row, id = 1: appenders lock it, so the chain stays linear across processes.
        m.create_table(
            table("ledger_head")
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
            .into_table(Alias::new("ledger_head"))
            .columns([Alias::new("id"), Alias::new("seq"), Alias::new("hash")])
            .values_panic([1.into(), 0i64.into(), GENESIS.into()])
            .to_owned();
        m.exec_stmt(insert).await?;
        // One per append (an audit entry, a ledger batch), signed with a key kept outside the
        // database.
        m.create_table(
            table("chain_checkpoints")
                .col(id("id"))
                .col(text("chain"))
                .col(big("seq"))
                .col(text("hash"))
                .col(text("signature"))
                .col(text("key_id"))
                .col(ts("at"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "chain_checkpoints",
            "idx_checkpoint_chain_seq",
            &["chain", "seq"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(drop("chain_checkpoints")).await?;
        m.drop_table(drop("ledger_head")).await?;
        m.drop_table(drop("ledger_entries")).await
    }
}
