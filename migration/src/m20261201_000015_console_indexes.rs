//! Indexes that fit the console's reads of a population of millions:
//! - `incident_population.locale`: each person's locale as it was when they were added (like
//!   their country and region), so the notices tab finds the first person of each language
//!   with a few index seeks (`idx_incident_population_locale`: incident, locale, id) instead of
//!   grouping the whole population joined to the registry on every page view; existing rows
//!   take their subject's locale now;
//! - `idx_incident_population_reach` (incident, country, region, has_email, has_phone,
//!   has_push) replaces `idx_incident_population_jurisdiction` (its first three columns): the
//!   counts of unreachable people per jurisdiction, which the obligations and every next
//!   deadline recompute, are then read from the index alone instead of from every row.
use crate::helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

crate::migration_name!("m20261201_000015_console_indexes");

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_text_null(m, "incident_population", "locale").await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE incident_population SET locale = \
                 (SELECT s.locale FROM subjects s WHERE s.id = incident_population.subject_id)",
            )
            .await?;
        m.create_index(index(
            "incident_population",
            "idx_incident_population_locale",
            &["incident_id", "locale", "id"],
        ))
        .await?;
        m.create_index(index(
            "incident_population",
            "idx_incident_population_reach",
            &[
                "incident_id",
                "country",
                "region",
                "has_email",
                "has_phone",
                "has_push",
            ],
        ))
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_incident_population_jurisdiction")
                .table(Alias::new("incident_population"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            "incident_population",
            "idx_incident_population_jurisdiction",
            &["incident_id", "country", "region"],
        ))
        .await?;
        for name in [
            "idx_incident_population_reach",
            "idx_incident_population_locale",
        ] {
            m.drop_index(
                Index::drop()
                    .name(name)
                    .table(Alias::new("incident_population"))
                    .to_owned(),
            )
            .await?;
        }
        drop_column(m, "incident_population", "locale").await
    }
}
