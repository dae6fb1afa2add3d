//! A dispatch writes its outbox a chunk of people at a time, each chunk committed (so the
//! dispatcher sends the first while the rest is written). While one is being written the
//! incident says so:
//! - `dispatching_at_once`: the dispatch's channels per person (NULL when none is open);
//! - `dispatching_touched`: when its writer last committed a chunk. A dispatch whose writer
//!   stopped (the process died) is finished by a dispatcher once this is old enough.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

crate::migration_name!("m20261201_000017_dispatch_progress");

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ColumnDef::new(Alias::new("dispatching_at_once"))
                .integer()
                .null()
                .to_owned(),
            ts_null("dispatching_touched"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new("incidents"))
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_column(m, "incidents", "dispatching_touched").await?;
        drop_column(m, "incidents", "dispatching_at_once").await
    }
}
