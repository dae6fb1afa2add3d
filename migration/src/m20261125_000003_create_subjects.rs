//! The subjects registry: people an incident may affect, with their contact points.
use crate::helpers::*;
use sea_orm_migration::prelude::*;

crate::migration_name!("m20261125_000003_create_subjects");

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("subjects")
                .col(id("id"))
                .col(text("external_id"))
                .col(text_null("name"))
                .col(text_null("email"))
                .col(text_null("phone"))
                .col(text_null("locale"))
                .col(text_null("country"))
                .col(text_null("region"))
                .col(text_null("birth_date"))
                .col(json("attributes"))
                .col(json_list("data_categories"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;
        // Upsert key of every import.
        m.create_index(unique(
            "subjects",
            "ux_subjects_external_id",
            &["external_id"],
        ))
        .await?;
        // Jurisdiction selectors and counts.
        m.create_index(index(
            "subjects",
            "idx_subjects_country_region",
            &["country", "region"],
        ))
        .await?;
        m.create_table(
            table("subject_devices")
                .col(id("id"))
                .col(fk_id("subject_id"))
                .col(text("platform"))
                .col(text("token"))
                .col(ts("created_at"))
                .foreign_key(&mut fk("subject_devices", "subject_id", "subjects", true))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "subject_devices",
            "ux_subject_devices",
            &["subject_id", "platform", "token"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(drop("subject_devices")).await?;
        m.drop_table(drop("subjects")).await
    }
}
