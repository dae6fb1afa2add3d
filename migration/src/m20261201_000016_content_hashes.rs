//! Content hashes kept where a dispatch needs them, so it never reads a notice's text:
//! - `notices.content_sha256`: the hash of each notice's content (the evidence ledger's
//!   `content_sha256`), written when it is composed;
//! - `deliveries.content_sha256`: copied from the notice when the delivery is queued, for the
//!   dispatch's `queued` ledger entries;
//! - `idx_notices_queue` (incident, channel, person, id, hash, recipient; only notices with a
//!   contact point): everything queuing reads from a notice, so an incident's notices are
//!   queued from the index alone instead of from rows that hold every notice's text (SQLite
//!   counts a partial index as covering only when the columns of its WHERE are in it too).
//!
//! Notices composed before this migration have no hash; a dispatch then hashes their text.
use crate::helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

crate::migration_name!("m20261201_000016_content_hashes");

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_text_null(m, "notices", "content_sha256").await?;
        add_text_null(m, "deliveries", "content_sha256").await?;
        // Partial (SQLite and PostgreSQL): the queue reads only notices with a recipient.
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_notices_queue ON notices \
                 (incident_id, channel, subject_id, id, content_sha256, recipient) \
                 WHERE recipient IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("DROP INDEX idx_notices_queue")
            .await?;
        drop_column(m, "deliveries", "content_sha256").await?;
        drop_column(m, "notices", "content_sha256").await
    }
}
