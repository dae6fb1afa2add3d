//! `notices.content_sha256`: the hash of each notice's content (see the evidence ledger's
//! `content_sha256`), written when it is composed, so a dispatch records its `queued` ledger
//! entries without reading every notice's text back. Notices composed before this migration
//! have none; the dispatch then hashes their text as before.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

crate::migration_name!("m20261201_000016_notice_content_hash");

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_text_null(m, "notices", "content_sha256").await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_column(m, "notices", "content_sha256").await
    }
}
